/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the LEDs say: the "status" LED is off when idle, steady while
 * running, blinking while paused or waiting for the user; the "fault" LED
 * blinks fast in fault; "level1".."level5", where the gun has them, show
 * the intensity while a session is on; the fault LED steady beside a
 * steady status LED: the battery is low. Only blinking uses a timer, so an
 * idle gun has none.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "drivers/driver.h"
#include "daemon/session/session.h"

#define LED_BLINK_HALF_PERIOD_US 500000ull
#define LED_FAST_BLINK_HALF_PERIOD_US 125000ull

struct led_status {
        struct leds *leds;
        sd_event_source *blink_timer;
        int status, fault;              /* LED indexes, -1 when absent */
        int level[SESSION_INTENSITY_MAX];
        int blinking;                   /* the LED that blinks, -1 = none */
        bool blink_on;
        bool battery_low;               /* running: the fault LED lit steady */
};

int led_status_start(struct led_status *ls, sd_event *event, struct leds *leds);
void led_status_show(struct led_status *ls, enum session_state state, unsigned intensity);
/* A low battery while running: the fault LED lights steady beside the
 * status LED, a warning before the routine stops at the step's end. */
void led_status_battery_low(struct led_status *ls, bool low, enum session_state state,
                            unsigned intensity);
void led_status_stop(struct led_status *ls);
