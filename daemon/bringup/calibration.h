/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Calibrate on the main thread: the sequence (daemon/session/
 * calibration-sequence.h) stepped by a timer on the event loop, each step
 * handed to the RT thread; the result saved in the state directory and
 * the loop started again on it; loaded at start.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "calibration-file.h"
#include "daemon/session/calibration-sequence.h"

enum calibration_status {
        CALIBRATION_STATUS_NONE,        /* the configured constants */
        CALIBRATION_STATUS_RUNNING,
        CALIBRATION_STATUS_DONE,        /* a calibration's figures are in use */
        CALIBRATION_STATUS_FAILED,      /* the last one failed: the figures before it are in use */
};

struct manager_calibration {
        enum calibration_status status;
        struct calibration sequence;
        sd_event_source *timer;
        bool have_record;
        struct calibration_record record;
        char message[400];              /* the last one's outcome, a sentence */
};

struct manager;

/* At start, before the RT thread: calibration.conf over the settings. */
void manager_load_calibration(struct manager *m);
/* Calibrate: -EBUSY already calibrating or a session is on (paused,
 * waiting too), -EHOSTDOWN in fault; else 0, running. */
int manager_calibrate(struct manager *m);
/* Stop while calibrating: the motor off, CalibrationFinished false.
 * -ENOTCONN when not calibrating. */
int manager_cancel_calibration(struct manager *m);
bool manager_calibrating(const struct manager *m);
double manager_calibration_progress(const struct manager *m);
/* A running step's speed above SpeedLimit: the journal and the Notice
 * say it, once; true when the Notice changed. */
bool manager_check_speed_limit(struct manager *m);
/* The Notice property: a capped speed, what the user should do now while
 * calibrating, or the last calibration's outcome; "" when there is
 * nothing to say. */
const char *manager_notice(const struct manager *m);
const char *calibration_status_to_string(enum calibration_status status);
void manager_calibration_free(struct manager *m);
