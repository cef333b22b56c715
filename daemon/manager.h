/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The manager owns everything the daemon holds (but the RT thread's own
 * fields of struct rt) and runs on the main thread's event loop: the gun,
 * the control thread, the routines and the session playing one, the
 * history, the recovery guard, the buttons, the LEDs and the battery. It
 * knows nothing of D-Bus: what happens is reported through the listener
 * that the front end (daemon/frontend.h) sets, and the front end calls the
 * functions below.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "common/log.h"
#include "daemon/panel/button-input.h"
#include "daemon/panel/led-status.h"
#include "daemon/rt/cpu-latency.h"
#include "daemon/rt/handoff.h"
#include "daemon/rt/rt.h"
#include "daemon/session/history.h"
#include "daemon/session/recovery.h"
#include "daemon/session/routines.h"
#include "daemon/session/session.h"
#include "drivers/driver.h"
#include "drivers/sim/sim-drivers.h"
#include "drivers/sim/sim-gun.h"
#include "drivers/sim/sim-panel.h"
#include "daemon/bringup/calibration.h"
#include "settings.h"

#define PROFILE_DIRS_MAX 8
#define RT_CPU_UNSET (-2)

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
        int rt_cpu;             /* -1: any; RT_CPU_UNSET: as the configuration says */
        enum log_level log_level;
        const char *module_dir; /* --module-dir; NULL: MODULE_DIR */
};

/* What the manager reports, to whoever watches the gun (the bus adapter).
 * Each may be called from any manager function; userdata is the
 * listener's own. */
struct manager_listener {
        /* SESSION_CHANGED_* bits: the properties of that group changed */
        void (*session_changed)(void *userdata, unsigned what);
        void (*step_started)(void *userdata, unsigned step, const struct profile_step *s);
        void (*finished)(void *userdata, const struct session_summary *summary);
        void (*fault_raised)(void *userdata, enum fault fault, const char *message);
        /* plus and minus held together: the user asks for Bluetooth pairing */
        void (*pairing_requested)(void *userdata);
        void (*battery_changed)(void *userdata);
        void (*routines_changed)(void *userdata);
        /* about 10 a second while the motor runs or the crank turns:
         * m->telemetry is the newest */
        void (*telemetry)(void *userdata);
        /* a ClearFault that manager_clear_fault() left pending has ended:
         * 0 cleared, -EAGAIN the fault is still there (m->clear_refusal
         * says why), else what kept the control loop from answering */
        void (*clear_finished)(void *userdata, void *request, int error);
        /* Calibrate moved on (CalibrationProgress), about 50 a second:
         * the front end throttles */
        void (*calibration_progress)(void *userdata);
        /* Calibrate ended: what it measured, or which step failed and why */
        void (*calibration_finished)(void *userdata, bool ok, const char *message);
        /* the Notice property changed */
        void (*notice_changed)(void *userdata);
};

struct manager {
        struct options options;
        struct settings settings;
        sd_event *event;
        const struct manager_listener *listener;
        void *listener_data;

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
        void *clear_request;            /* the front end's, NULL when a button asked */
        int64_t clear_count;            /* the fault_clears the loop must echo */
        sd_event_source *clear_timeout;
        char clear_refusal[768];        /* why a clear was refused (-EAGAIN), a sentence */

        /* the systemd watchdog's keep-alive and the looks at a resting crank (watchdog.h) */
        sd_event_source *watchdog_beat;
        uint64_t watchdog_beat_usec;
        bool watchdog_armed;            /* WATCHDOG_USEC asks for keep-alives */

        struct telemetry telemetry;     /* the newest the RT thread gave */
        sd_event_source *rt_event_source;
        sd_event_source *publish_timer;
        struct battery_reading published_battery; /* see power.h */
        sd_event_source *battery_timer;
        double battery_use_percent_per_min;     /* measured, else as configured */
        double battery_mark_percent;            /* where the measurement started, NaN: none */
        double battery_mark_elapsed_s;
        char power_refusal[256];
        double bus_voltage_v;           /* the pack's as last measured; 0: no gauge gives it */
        char speed_notice[192];         /* a step's speed capped at SpeedLimit, or "" */
        char stroke_sensor_notice[768]; /* why Amplitude is held, or "" (stroke-sensor-watch.h) */
        int stroke_sensor_cause;        /* what stroke_sensor_notice tells: an errno, or 0 */
        struct manager_calibration calibration;
};

/* Tells the listener, if there is one yet, that something happened. */
#define MANAGER_REPORT(m, event, ...)                                                  \
        do {                                                                           \
                if ((m)->listener && (m)->listener->event)                             \
                        (m)->listener->event((m)->listener_data, ##__VA_ARGS__);       \
        } while (0)

/* Lifecycle, as main() runs it: new (the options from the command line),
 * start (configuration, routines, the gun, the control thread, the
 * buttons, LEDs, battery and state files), then the front end sets the
 * listener and the event loop runs; free undoes it all. */
int manager_new(const struct options *options, struct manager **ret);
int manager_start(struct manager *m);
void manager_set_listener(struct manager *m, const struct manager_listener *listener,
                          void *userdata);
struct manager *manager_free(struct manager *m);

/* ExecStopPost=: forces the actuators off, without the control thread or
 * the bus, whatever happened to the daemon. */
int manager_safe_stop(struct manager *m);

/* Start a routine by id: -ENOENT no such routine, -EPERM resting after a
 * race (not a gentle routine), -ENOSPC not enough charge
 * (m->power_refusal says why), and session_start()'s errors. */
int manager_start_routine(struct manager *m, const char *id);

/* Re-reads the routines; a session playing keeps its routine. */
int manager_reload(struct manager *m);

/* The recovery guard's cap, as of now; updates Intensity if it drops. */
void manager_update_max_intensity(struct manager *m);

uint64_t manager_now_realtime_usec(void);

/* The battery as its gauge reads it now: NaN and not charging when the
 * gun has no gauge or it does not answer. */
struct battery_reading manager_battery(struct manager *m);

/* The board's temperature; a fault when it nears the limit. */
double manager_board_temperature(struct manager *m);
void manager_check_temperature(struct manager *m);

/* ClearFault. 0: cleared now. 1: pending, the listener's clear_finished
 * gets request once the control loop has tried. -EAGAIN: the cause is
 * plainly still there (m->clear_refusal says why: still too hot, a
 * device still missing, a battery still flat). -ENOTCONN: no fault;
 * -EBUSY: a clear is already on its way. A fault a device caused is
 * cleared through device_reopen() when the gun has real drivers for it. */
int manager_clear_fault(struct manager *m, void *request);
/* Ends a pending clear: 0 cleared, else the error its requester gets. */
void manager_finish_clear(struct manager *m, int error);

/* manager-faults.c: what the RT thread reported, the heartbeat of the
 * control loop, and the sentence each fault is told with. */
void manager_on_rt_event(struct manager *m);
void manager_check_heartbeat(struct manager *m);
void manager_fault_sentence(const struct manager *m, const struct telemetry *tm, char *buf,
                            size_t size);
