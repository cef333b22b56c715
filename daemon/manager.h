/* SPDX-License-Identifier: MIT */
#pragma once

/* Everything the daemon holds, owned by the main thread (but rt's
 * thread-side fields). */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "driver.h"
#include "handoff.h"
#include "log.h"
#include "routines.h"
#include "rt.h"
#include "session.h"
#include "sim-drivers.h"
#include "sim-gun.h"
#include "sim-panel.h"

#define PROFILE_DIRS_MAX 8

enum bus_kind {
        BUS_SYSTEM,
        BUS_SESSION,
        BUS_ADDRESS,
};

struct options {
        bool simulate;
        enum bus_kind bus_kind;
        const char *bus_address;
        const char *profile_dirs[PROFILE_DIRS_MAX];
        size_t n_profile_dirs;
        unsigned control_hz;
        int rt_priority;
        enum log_level log_level;
};

struct manager {
        struct options options;
        sd_event *event;
        sd_bus *bus;

        struct gun gun;
        struct sim_gun sim_gun;
        struct sim_drivers sim_drivers;
        struct sim_panel sim_panel;

        struct rt rt;
        struct routines routines;
        struct session session;

        struct telemetry telemetry;     /* the newest the RT thread gave */
        struct telemetry published;     /* what PropertiesChanged last said */
        double published_elapsed_s;
        double published_step_remaining_s;
        sd_event_source *rt_event_source;
        sd_event_source *publish_timer;
};
