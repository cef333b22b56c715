/* SPDX-License-Identifier: MIT */
#pragma once

/* The gun's buttons in the main loop: the driver's event fd, one gesture
 * detector per button, one timer for long and pending presses. */

#include <systemd/sd-event.h>

#include "drivers/driver.h"
#include "gestures.h"

#define BUTTON_INPUT_MAX 8

typedef void (*button_gesture_fn)(void *userdata, const char *button, enum gesture gesture);

struct button_input {
        struct buttons *buttons;
        struct gesture_detector detectors[BUTTON_INPUT_MAX];
        sd_event_source *io;
        sd_event_source *timer;
        button_gesture_fn on_gesture;
        void *userdata;
};

/* Only the button named "main" has double presses; the others (plus,
 * minus) act at release without waiting. */
int button_input_start(struct button_input *in, sd_event *event, struct buttons *buttons,
                       button_gesture_fn on_gesture, void *userdata);
void button_input_stop(struct button_input *in);
