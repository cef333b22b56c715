/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The pairing agent (BlueZ doc/agent-api.txt), NoInputNoOutput: the gun
 * has no screen and no keypad. It accepts a pairing only while the
 * pairing window is open and refuses every other (org.bluez.Error.Rejected).
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

struct agent {
        bool (*window_open)(void *userdata);
        void (*paired)(void *userdata, const char *device);
        void *userdata;
        sd_bus_slot *slot;
};

#define AGENT_CAPABILITY "NoInputNoOutput"

int agent_start(struct agent *a, sd_bus *bus, bool (*window_open)(void *userdata),
                void (*paired)(void *userdata, const char *device), void *userdata);
void agent_stop(struct agent *a);
