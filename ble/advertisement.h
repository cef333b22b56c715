/* SPDX-License-Identifier: MIT */
#pragma once

/* The LE advertisement (BlueZ doc/advertising-api.txt): a connectable
 * peripheral with the project's service UUID and the configured local
 * name, so that the app finds the gun among others. */

#include <systemd/sd-bus.h>

struct advertisement {
        const char *local_name;
        sd_bus_slot *slot;
};

int advertisement_start(struct advertisement *a, sd_bus *bus, const char *local_name);
void advertisement_stop(struct advertisement *a);
