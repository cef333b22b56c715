/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The pairing window: opened when percussd says the user held plus and
 * minus (PairingRequested), it makes the adapter pairable and
 * discoverable for the configured time and lets the agent accept one
 * phone; it closes at the end of that time or once a phone has paired.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "bluez.h"

struct pairing_window {
        struct bluez *bluez;
        unsigned seconds;
        bool open;
        sd_event_source *timer;
};

int pairing_window_init(struct pairing_window *w, sd_event *event, struct bluez *bluez,
                        unsigned seconds);
void pairing_window_open(struct pairing_window *w);
void pairing_window_close(struct pairing_window *w, const char *why);
void pairing_window_free(struct pairing_window *w);
