/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The simulated gun's panel: its buttons and LEDs behind the driver
 * operations. A button press comes from outside (the Simulator1 object, a
 * test) through sim_panel_set_button(); LED states can be read back.
 * Main thread only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "drivers/driver.h"

#define SIM_PANEL_QUEUE_MAX 32
#define SIM_PANEL_LEDS_MAX 8

struct sim_panel {
        int event_fd; /* readable while button events are queued */
        struct button_event queue[SIM_PANEL_QUEUE_MAX];
        unsigned head, count;
        bool led_on[SIM_PANEL_LEDS_MAX];
        uint64_t (*now_ns)(void *userdata);
        void *userdata;
};

/* Fills gun->buttons and gun->leds; the panel must outlive them. */
int sim_panel_open(struct gun *gun, struct sim_panel *panel,
                   uint64_t (*now_ns)(void *userdata), void *userdata);

/* -ENOENT for a name the panel does not have, -ENOBUFS when the queue is
 * full (nobody reads the buttons). */
int sim_panel_set_button(struct gun *gun, const char *name, bool pressed);

/* -ENOENT for an unknown name. */
int sim_panel_get_led(const struct gun *gun, const char *name, bool *on);
