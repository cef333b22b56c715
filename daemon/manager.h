/* SPDX-License-Identifier: MIT */
#pragma once

/* Everything the daemon holds, owned by the main thread (but rt's
 * thread-side fields). */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon/bus/bus-access.h"
#include "daemon/panel/button-input.h"
#include "daemon/rt/cpu-latency.h"
#include "settings.h"
#include "drivers/driver.h"
#include "daemon/rt/handoff.h"
#include "daemon/session/history.h"
#include "daemon/panel/led-status.h"
#include "common/log.h"
#include "daemon/session/recovery.h"
#include "daemon/session/routines.h"
#include "daemon/rt/rt.h"
#include "daemon/session/session.h"
#include "drivers/sim/sim-drivers.h"
#include "drivers/sim/sim-gun.h"
#include "drivers/sim/sim-panel.h"

#define PROFILE_DIRS_MAX 8

enum bus_kind {
        BUS_SYSTEM,
        BUS_SESSION,
        BUS_ADDRESS,
};

struct options {
        const char *config_file;
        bool simulate;
        bool safe_stop;         /* --safe-stop: force the actuators off and exit */
        enum bus_kind bus_kind;
        const char *bus_address;
        const char *profile_dirs[PROFILE_DIRS_MAX];
        size_t n_profile_dirs;
        const char *state_dir;  /* history and the race record */
        unsigned control_hz;
        int rt_priority;
        int rt_cpu;             /* -1: any */
        enum log_level log_level;
        const char *module_dir; /* --module-dir; NULL: MODULE_DIR */
};

struct manager {
        struct options options;
        struct settings settings;
        sd_event *event;
        sd_bus *bus;
        struct bus_access bus_access;

        struct gun gun;
        struct sim_gun sim_gun;
        struct sim_drivers sim_drivers;
        struct sim_panel sim_panel;
        struct sim_board sim_board;     /* the simulated board's outputs, in the state dir */

        struct rt rt;
        struct cpu_latency cpu_latency; /* held while the motor runs */
        struct safety_params safety;
        struct routines routines;
        struct routines retired;        /* the set a Reload replaced while a session played from it */
        struct session session;
        sd_event_source *step_timer;
        uint64_t session_start_realtime_usec;

        struct history *history;        /* NULL when the state directory is unusable */
        struct recovery recovery;
        struct button_input button_input;
        struct led_status led_status;

        /* the RT thread's heartbeat: telemetry periods seen at the last tick */
        uint64_t heartbeat_periods;
        unsigned heartbeat_misses;

        /* a ClearFault waiting for the control loop's answer */
        bool clearing;
        sd_bus_message *clear_request;  /* NULL when a button asked */
        int64_t clear_count;            /* the fault_clears the loop must echo */
        sd_event_source *clear_timeout;
        char clear_refusal[768];        /* why ClearFault said -EAGAIN, a sentence */

        struct telemetry telemetry;     /* the newest the RT thread gave */
        struct telemetry published;     /* what PropertiesChanged last said */
        double published_elapsed_s;
        double published_step_remaining_s;
        double published_temperature_c;
        sd_event_source *rt_event_source;
        sd_event_source *publish_timer;
        struct battery_reading published_battery; /* see power.h */
        sd_event_source *battery_timer;
        double battery_use_percent_per_min;     /* measured, else as configured */
        double battery_mark_percent;            /* where the measurement started, NaN: none */
        double battery_mark_elapsed_s;
        char power_refusal[256];
};

/* The routine engine's hooks into the event loop, the RT thread, the bus,
 * the LEDs and the history. */
extern const struct session_ops manager_session_ops;

/* Start a routine by id: -ENOENT no such routine, -EPERM resting after a
 * race (not a gentle routine), and session_start()'s errors. */
int manager_start(struct manager *m, const char *id);

/* Re-reads the routines; a session playing keeps its routine. */
int manager_reload(struct manager *m);

/* The recovery guard's cap, as of now; updates Intensity if it drops. */
void manager_update_max_intensity(struct manager *m);

/* What a button gesture does, by state (ROUTINES.md, issue "buttons"). */
void manager_on_gesture(void *userdata, const char *button, enum gesture gesture);

uint64_t manager_now_realtime_usec(void);

/* The RT thread said something happened: a fault, a fault cleared. */
void manager_on_rt_event(struct manager *m);

/* Called at each telemetry tick while running: a control loop whose
 * periods stopped counting is dead, and the main thread forces the safe
 * state itself. */
void manager_check_heartbeat(struct manager *m);

/* The battery as its gauge reads it now: NaN and not charging when the
 * gun has no gauge or it does not answer. */
struct battery_reading manager_battery(struct manager *m);

/* The board's temperature; a fault when it nears the limit. */
double manager_board_temperature(struct manager *m);
void manager_check_temperature(struct manager *m);

/* ClearFault: answered at once when the cause is plainly there (-EAGAIN,
 * the reason in m->clear_refusal: still too hot, a device still missing),
 * else once the control loop has tried (request, which may be NULL for a
 * button, gets the reply then). A fault a device caused is cleared through
 * device_reopen() when the gun has real drivers for it. -ENOTCONN: no
 * fault; -EBUSY: a clear is already on its way. */
int manager_clear_fault(struct manager *m, sd_bus_message *request);
/* Ends a pending clear: 0 cleared, else the errno the reply carries. */
void manager_finish_clear(struct manager *m, int error);
