/* SPDX-License-Identifier: MIT */
#pragma once

/* The gun's buttons in the main loop: the driver's event fd, one gesture
 * detector per button, one timer for long and pending presses. */

#include <systemd/sd-event.h>

#include "drivers/driver.h"
#include "gestures.h"

#define BUTTON_INPUT_MAX 8
/* The name the chord of plus and minus is reported under. */
#define BUTTON_CHORD_PLUS_MINUS "plus+minus"

typedef void (*button_gesture_fn)(void *userdata, const char *button, enum gesture gesture);

struct button_input {
        struct buttons *buttons;
        struct gesture_detector detectors[BUTTON_INPUT_MAX];
        struct chord_detector plus_minus;
        int plus_index, minus_index;    /* -1: the gun has no such button */
        sd_event_source *io;
        sd_event_source *timer;
        button_gesture_fn on_gesture;
        void *userdata;
};

/* Only the button named "main" has double presses; the others (plus,
 * minus) act at release without waiting. plus and minus held together are
 * reported as GESTURE_CHORD of BUTTON_CHORD_PLUS_MINUS. */
int button_input_start(struct button_input *in, sd_event *event, struct buttons *buttons,
                       button_gesture_fn on_gesture, void *userdata);
void button_input_stop(struct button_input *in);
