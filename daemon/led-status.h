/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the LEDs say: the "status" LED is off when idle, steady while
 * running, blinking while paused or waiting for the user; the "fault" LED
 * blinks fast in fault; "level1".."level5", where the gun has them, show
 * the intensity while a session is on. Only blinking uses a timer, so an
 * idle gun has none.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "driver.h"
#include "session.h"

#define LED_BLINK_HALF_PERIOD_US 500000ull
#define LED_FAST_BLINK_HALF_PERIOD_US 125000ull

struct led_status {
        struct leds *leds;
        sd_event_source *blink_timer;
        int status, fault;              /* LED indexes, -1 when absent */
        int level[SESSION_INTENSITY_MAX];
        int blinking;                   /* the LED that blinks, -1 = none */
        bool blink_on;
};

int led_status_start(struct led_status *ls, sd_event *event, struct leds *leds);
void led_status_show(struct led_status *ls, enum session_state state, unsigned intensity);
void led_status_stop(struct led_status *ls);
