/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The routine engine: plays a routine's steps in the main loop, hands the
 * set-points to the RT thread, keeps time (Elapsed, StepRemaining) and
 * moves through the states of DBUS.md. Knows nothing of D-Bus; it reports
 * what changed through callbacks.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "profile.h"
#include "rt.h"

enum session_state {
        SESSION_IDLE,
        SESSION_RUNNING,
        SESSION_PAUSED,
        SESSION_WAITING,
        SESSION_FAULT,
};

const char *session_state_to_string(enum session_state state);

/* What changed, for the callbacks: one bit per group of properties. */
enum {
        SESSION_CHANGED_STATE = 1u << 0,
        SESSION_CHANGED_ROUTINE = 1u << 1,  /* Routine, StepCount */
        SESSION_CHANGED_STEP = 1u << 2,     /* Step, MuscleGroup, Side, TargetSpeed, TargetAmplitude */
        SESSION_CHANGED_FAULT = 1u << 3,    /* Fault, FaultMessage */
};

struct session_callbacks {
        void (*changed)(void *userdata, unsigned what);
        void (*step_started)(void *userdata, unsigned step, const struct profile_step *s);
        void (*finished)(void *userdata, const char *routine, double seconds, bool completed);
        void (*fault_raised)(void *userdata, const char *code, const char *message);
};

struct session {
        sd_event *event;
        struct rt *rt;
        const struct session_callbacks *callbacks;
        void *userdata;

        enum session_state state;
        enum session_state state_before_fault;
        const struct profile *profile; /* NULL before the first Start */
        unsigned step;
        sd_event_source *timer;        /* step end, or end of a timed pause */
        uint64_t segment_start_us;     /* CLOCK_MONOTONIC start of the running stretch */
        double step_played_s;          /* of the current step, before that stretch */
        double elapsed_before_s;       /* of the session, before that stretch */
        uint64_t wait_end_us;          /* end of a timed pause, 0 when waiting for the user */

        char fault[32];
        char fault_message[256];
};

void session_init(struct session *s, sd_event *event, struct rt *rt,
                  const struct session_callbacks *callbacks, void *userdata);
void session_done(struct session *s);

/* -EBUSY while a session runs, is paused or waits; -EHOSTDOWN in fault. */
int session_start(struct session *s, const struct profile *profile);
/* The remaining ones return -ENOTCONN when no session is active. */
int session_stop(struct session *s);
int session_pause(struct session *s);
int session_resume(struct session *s);   /* -EBUSY if already running */
int session_next(struct session *s);

/* Safe stop at once, session ended, state fault until cleared. */
void session_fault(struct session *s, const char *code, const char *message);
/* -ENOTCONN when not in fault. */
int session_clear_fault(struct session *s);

const struct profile_step *session_current_step(const struct session *s);
double session_elapsed_s(const struct session *s);
double session_step_remaining_s(const struct session *s);
/* The step's speed while the motor should run, else 0. */
double session_target_speed_ppm(const struct session *s);
double session_target_amplitude_mm(const struct session *s);
