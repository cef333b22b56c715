/* SPDX-License-Identifier: MIT */
#pragma once

/* The bus adapter: io.percussd.Massager1 (bus.c) and, on the simulated
 * gun, io.percussd.Simulator1 (bus-simulator.c), over the manager. */

#include <systemd/sd-bus.h>

#include "bus-access.h"
#include "common/bus-names.h"
#include "daemon/manager.h"

struct bus_adapter {
        struct manager *m;
        sd_bus *bus;
        struct bus_access access;

        /* what PropertiesChanged last said of the telemetry */
        struct telemetry published;
        double published_elapsed_s;
        double published_step_remaining_s;
        double published_temperature_c;
};

int bus_add_simulator(struct bus_adapter *a);
