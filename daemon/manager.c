/* SPDX-License-Identifier: MIT */
#include "manager.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/time-util.h"
#include "drivers/hw-drivers.h"
#include "power.h"
#include "service-status.h"
#include "stroke-sensor-watch.h"
#include "watchdog.h"

#define POST_RUN_ROUTINE "post-run"
#define MANUAL_ROUTINE "manual"
#define SIM_SEED 0x5045524355535344ull /* fixed: the simulated gun behaves the same every run */
#define HISTORY_FILE "history.sqlite"
/* ~10 telemetry reports a second while running (DBUS.md) */
#define PUBLISH_INTERVAL_US (100 * USEC_PER_MSEC)
/* sd-event would otherwise let the timer slip by up to 250 ms */
#define PUBLISH_ACCURACY_US (5 * USEC_PER_MSEC)
/* sd-event's default timer slack is 250 ms; a step's end slips by at most this */
#define STEP_TIMER_ACCURACY_US (10 * USEC_PER_MSEC)

uint64_t manager_now_realtime_usec(void)
{
        return now_usec(CLOCK_REALTIME);
}

static uint64_t session_now_usec(void *userdata)
{
        struct manager *m = userdata;
        uint64_t t = 0;

        (void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
        return t;
}

static int on_step_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        (void)source, (void)usec;
        session_on_timer(&m->session);
        return 0;
}

static int session_arm_timer(void *userdata, uint64_t at_usec)
{
        struct manager *m = userdata;
        int r;

        if (!m->step_timer)
                return sd_event_add_time(m->event, &m->step_timer, CLOCK_MONOTONIC, at_usec,
                                         STEP_TIMER_ACCURACY_US, on_step_timer, m);
        r = sd_event_source_set_time(m->step_timer, at_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->step_timer, SD_EVENT_ONESHOT);
}

static void session_disarm_timer(void *userdata)
{
        struct manager *m = userdata;

        if (m->step_timer)
                (void)sd_event_source_set_enabled(m->step_timer, SD_EVENT_OFF);
}

static void session_set_setpoint(void *userdata, const struct setpoint *session_sp)
{
        struct manager *m = userdata;
        /* the pack's voltage as measured: the feed-forward and the force
         * estimate go with it */
        struct setpoint measured = *session_sp, *sp = &measured;

        measured.bus_voltage_v = m->bus_voltage_v;
        /* asked before the loop wakes, dropped once the motor-off is handed
         * over: a SIGTERM's or a fault's stop waits for nothing */
        if (sp->motor_on)
                (void)cpu_latency_hold(&m->cpu_latency);
        rt_set_setpoint(&m->rt, sp);
        if (!sp->motor_on)
                cpu_latency_release(&m->cpu_latency);
}

static void session_changed(void *userdata, unsigned what)
{
        struct manager *m = userdata;

        MANAGER_REPORT(m, session_changed, what);
        if (what & (SESSION_CHANGED_STATE | SESSION_CHANGED_STEP | SESSION_CHANGED_FAULT))
                service_status_notify(m);
        if (what & (SESSION_CHANGED_STATE | SESSION_CHANGED_INTENSITY))
                led_status_show(&m->led_status, m->session.state,
                                session_effective_intensity(&m->session));
        /* telemetry flows while the motor runs or spins down */
        if ((what & SESSION_CHANGED_STATE) && m->publish_timer)
                (void)sd_event_source_set_enabled(m->publish_timer, SD_EVENT_ON);
}

static void session_step_started(void *userdata, unsigned step, const struct profile_step *s)
{
        struct manager *m = userdata;

        MANAGER_REPORT(m, step_started, step, s);
}

/* Routines a Reload replaced can go once no session plays from them; the
 * last selected routine then points into the new set (or is forgotten). */
static void retire_old_routines(struct manager *m)
{
        const char *id;

        if (m->retired.count == 0)
                return;
        id = m->session.profile ? m->session.profile->id : NULL;
        m->session.profile = id ? routines_find(&m->routines, id) : NULL;
        MANAGER_REPORT(m, session_changed, SESSION_CHANGED_ROUTINE);
        routines_clear(&m->retired);
}

static void session_finished(void *userdata, const struct session_summary *summary)
{
        struct manager *m = userdata;
        struct history_entry entry = {
                .start_usec = m->session_start_realtime_usec,
                .seconds = summary->seconds,
                .steps_completed = summary->steps_completed,
        };
        int r;

        snprintf(entry.routine, sizeof(entry.routine), "%s", summary->routine);
        if (m->history) {
                r = history_add(m->history, &entry);
                if (r < 0)
                        log_error_errno(r, "Failed to record the session of %s in the history: %m",
                                        summary->routine);
        }
        MANAGER_REPORT(m, finished, summary);
        retire_old_routines(m);
}

static void session_fault_raised(void *userdata, enum fault fault, const char *message)
{
        struct manager *m = userdata;

        MANAGER_REPORT(m, fault_raised, fault, message);
}

static const struct session_ops manager_session_ops = {
        .now_usec = session_now_usec,
        .arm_timer = session_arm_timer,
        .disarm_timer = session_disarm_timer,
        .set_setpoint = session_set_setpoint,
        .changed = session_changed,
        .step_started = session_step_started,
        .finished = session_finished,
        .fault_raised = session_fault_raised,
};

void manager_update_max_intensity(struct manager *m)
{
        session_set_max_intensity(&m->session,
                                  recovery_max_intensity(&m->recovery, manager_now_realtime_usec()));
}

int manager_start_routine(struct manager *m, const char *id)
{
        const struct profile *profile = routines_find(&m->routines, id);
        uint64_t allowed_from_usec;

        if (!profile)
                return -ENOENT;
        manager_check_temperature(m);
        if (!profile->gentle &&
            recovery_resting(&m->recovery, manager_now_realtime_usec(), &allowed_from_usec))
                return -EPERM;
        if (m->session.state != SESSION_FAULT && power_may_start(m, profile) < 0)
                return -ENOSPC;
        manager_update_max_intensity(m);
        m->session_start_realtime_usec = manager_now_realtime_usec();
        return session_start(&m->session, profile);
}

int manager_reload(struct manager *m)
{
        struct routines fresh = {0};
        int r;

        r = routines_load(&fresh, m->options.profile_dirs, m->options.n_profile_dirs);
        if (r < 0)
                return r;
        if (m->session.state == SESSION_RUNNING || m->session.state == SESSION_PAUSED ||
            m->session.state == SESSION_WAITING) {
                /* the session goes on with the routine it started with */
                if (m->retired.count == 0)
                        m->retired = m->routines;
                else
                        routines_clear(&m->routines);
                m->routines = fresh;
        } else {
                routines_clear(&m->retired);
                m->retired = m->routines;
                m->routines = fresh;
                retire_old_routines(m);
        }
        log_info("Reloaded %zu routines.", m->routines.count);
        MANAGER_REPORT(m, routines_changed);
        return r;
}

static void log_refusal(struct manager *m, const char *what, int r)
{
        if (r == -ENOSPC)
                log_notice("Button: could not %s: %s", what, m->power_refusal);
        else if (r == -EAGAIN)
                log_notice("Button: could not %s: %s", what, m->clear_refusal);
        else if (r < 0)
                log_notice_errno(r, "Button: could not %s in state %s: %m", what,
                                 session_state_to_string(m->session.state));
}

static void main_button(struct manager *m, enum gesture gesture)
{
        struct session *s = &m->session;

        switch (s->state) {
        case SESSION_IDLE:
                if (gesture == GESTURE_PRESS)
                        log_refusal(m, "start " POST_RUN_ROUTINE,
                                    manager_start_routine(m, POST_RUN_ROUTINE));
                else if (gesture == GESTURE_LONG_PRESS)
                        log_refusal(m, "start " MANUAL_ROUTINE,
                                    manager_start_routine(m, MANUAL_ROUTINE));
                break;
        case SESSION_RUNNING:
        case SESSION_PAUSED:
        case SESSION_WAITING:
                if (gesture == GESTURE_LONG_PRESS)
                        log_refusal(m, "stop", session_stop(s));
                else if (gesture == GESTURE_DOUBLE_PRESS)
                        log_refusal(m, "skip to the next step", session_next(s));
                else if (s->state == SESSION_RUNNING)
                        log_refusal(m, "pause", session_pause(s));
                else
                        log_refusal(m, "resume", session_resume(s));
                break;
        case SESSION_FAULT:
                if (gesture == GESTURE_LONG_PRESS)
                        log_refusal(m, "clear the fault", manager_clear_fault(m, NULL));
                break;
        }
}

/* What a button gesture does, by state (ROUTINES.md, issue "buttons"). */
static void on_gesture(void *userdata, const char *button, enum gesture gesture)
{
        struct manager *m = userdata;
        unsigned intensity = m->session.intensity;

        if (strcmp(button, "main") == 0)
                main_button(m, gesture);
        else if (strcmp(button, "plus") == 0 && gesture == GESTURE_PRESS &&
                 intensity < m->session.max_intensity)
                log_refusal(m, "raise the intensity", session_set_intensity(&m->session, intensity + 1));
        else if (strcmp(button, "minus") == 0 && gesture == GESTURE_PRESS &&
                 intensity > SESSION_INTENSITY_MIN)
                log_refusal(m, "lower the intensity", session_set_intensity(&m->session, intensity - 1));
        else if (strcmp(button, BUTTON_CHORD_PLUS_MINUS) == 0 && gesture == GESTURE_CHORD) {
                log_info("Buttons plus and minus held together: pairing requested.");
                MANAGER_REPORT(m, pairing_requested);
        }
}

struct battery_reading manager_battery(struct manager *m)
{
        struct battery_reading reading;

        if (!m->gun.battery.ops || m->gun.battery.ops->read(&m->gun.battery, &reading) < 0)
                return (struct battery_reading){ .percent = NAN, .charging = false };
        if (reading.voltage_v > 0.0)
                m->bus_voltage_v = reading.voltage_v;
        return reading;
}

double manager_board_temperature(struct manager *m)
{
        double celsius;

        if (!m->gun.imu.ops || !m->gun.imu.ops->read_temperature ||
            m->gun.imu.ops->read_temperature(&m->gun.imu, &celsius) < 0)
                return NAN;
        return celsius;
}

/* Defaults < the configuration file < the command line. */
static void apply_config(struct manager *m)
{
        struct options *o = &m->options;
        struct settings *c = &m->settings;

        settings_defaults(c);
        (void)settings_load(c, o->config_file);
        c->hw.module_dir = o->module_dir;
        o->simulate = o->simulate || c->simulate;
        if (!o->control_hz)
                o->control_hz = c->control_hz;
        if (!o->rt_priority)
                o->rt_priority = (int)c->rt_priority;
        if (o->rt_cpu == RT_CPU_UNSET)
                o->rt_cpu = c->rt_cpu;
        cpu_latency_init(&m->cpu_latency, CPU_LATENCY_DEVICE, c->wake_latency_us);
}

static int open_gun(struct manager *m)
{
        static const struct sim_clock clock = { .now_ns = monotonic_now_ns };
        struct gun simulated = {0};
        char path[PATH_MAX], error[512];
        int r;

        /* the simulated gun is there for the kinds the configuration leaves simulated */
        sim_gun_init(&m->sim_gun, &m->settings.simulator, SIM_SEED);
        r = sim_gun_drivers_open(&simulated, &m->sim_drivers, &m->sim_gun, &clock);
        if (r < 0)
                return log_error_errno(r, "Failed to open the simulated gun: %m");
        sim_gun_drivers_set_imu_axes(&m->sim_drivers, m->settings.hw.imu.axes);
        /* the safe-stop's view of a simulated motor: none to keep for a real one */
        if (m->options.simulate || m->settings.hw.motor.driver == HW_SIMULATED) {
                snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, SIM_BOARD_FILE);
                r = sim_board_open(&m->sim_board, path);
                if (r < 0 && m->options.safe_stop)
                        return log_error_errno(r, "Failed to open the simulated board's outputs "
                                               "%s: %m", path);
                if (r < 0)
                        log_warning_errno(r, "The simulated board's outputs are not kept in %s, "
                                          "so --safe-stop will not see them: %m", path);
                else
                        sim_gun_drivers_attach_board(&m->sim_drivers, &m->sim_board);
        }
        r = sim_panel_open(&simulated, &m->sim_panel, monotonic_now_ns, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to open the simulated buttons: %m");
        if (m->options.simulate) {
                m->gun = simulated;
                log_info("Running on the simulated gun.");
                return 0;
        }

        r = hw_gun_open(&m->gun, &m->settings.hw, &simulated, m->options.control_hz, error,
                        sizeof(error));
        if (r < 0)
                return log_error_errno(r, "%s: %s. The motor stays off; percussd stops.",
                                       m->options.config_file, error);
        log_info("Gun: encoder %s, IMU %s, motor %s, stroke %s, stroke sensor %s, buttons %s, "
                 "LEDs %s, battery %s.",
                 m->gun.encoder.ops->name, m->gun.imu.ops->name, m->gun.motor.ops->name,
                 m->gun.stroke.ops->name,
                 m->gun.stroke_sensor.ops ? m->gun.stroke_sensor.ops->name : "none",
                 m->gun.buttons.ops->name, m->gun.leds.ops->name,
                 m->gun.battery.ops ? m->gun.battery.ops->name : "none");
        return 0;
}

static int on_rt_event(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;

        (void)source, (void)fd, (void)revents;
        rt_ack_event(&m->rt);
        manager_on_rt_event(m);
        return 0;
}

static int on_publish_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;
        bool spinning, notice_changed;

        (void)usec;
        rt_read_telemetry(&m->rt, &m->telemetry);
        MANAGER_REPORT(m, telemetry);
        /* both checks run every tick: each keeps its own notice */
        notice_changed = manager_check_speed_limit(m);
        notice_changed = manager_check_stroke_sensor(m) || notice_changed;
        if (notice_changed)
                MANAGER_REPORT(m, notice_changed);
        manager_check_heartbeat(m);
        manager_check_temperature(m);
        power_check_battery(m);
        /* telemetry goes quiet once the session no longer runs and the control
         * thread saw the crank rest: the last one published says Speed 0 */
        spinning = !m->telemetry.resting;
        if (m->session.state != SESSION_RUNNING && !spinning)
                return sd_event_source_set_enabled(source, SD_EVENT_OFF);
        return sd_event_source_set_time_relative(source, PUBLISH_INTERVAL_US);
}

static int on_terminate(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;

        (void)source;
        /* the motor first, then the words */
        if (session_stop(&m->session) < 0)
                rt_set_setpoint(&m->rt, &(struct setpoint){ .motor_on = false });
        log_info("Received SIG%s, stopped the motor.", sigabbrev_np((int)si->ssi_signo));
        (void)sd_notify(0, "STOPPING=1\nSTATUS=Stopping the motor.");
        return sd_event_exit(sd_event_source_get_event(source), 0);
}

static int setup_event_loop(struct manager *m)
{
        sigset_t mask;
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        /* blocked before the control thread exists, so it inherits the mask
         * and the signals reach the loop's signalfd only */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        r = -pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to block SIGTERM and SIGINT: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM and SIGINT: %m");

        return watchdog_start(m);
}

static int setup_rt(struct manager *m)
{
        struct rt_config config = {
                .control_hz = m->options.control_hz,
                .priority = m->options.rt_priority,
                .cpu = m->options.rt_cpu,
#if defined(__SANITIZE_ADDRESS__)
                /* ASan's shadow memory is terabytes of address space */
                .lock_memory = false,
#else
                .lock_memory = true,
#endif
        };
        int r;

        m->safety = m->settings.safety;
        r = rt_start(&m->rt, &m->gun, &m->settings.control, &m->safety, &config);
        if (r < 0)
                return r;
        r = sd_event_add_io(m->event, &m->rt_event_source, m->rt.event_fd, EPOLLIN, on_rt_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the control thread's events: %m");
        r = sd_event_add_time_relative(m->event, &m->publish_timer, CLOCK_MONOTONIC,
                                       PUBLISH_INTERVAL_US, PUBLISH_ACCURACY_US, on_publish_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the telemetry timer: %m");
        r = sd_event_source_set_enabled(m->publish_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the telemetry timer: %m");
        return 0;
}

/* History and the race record. A damaged file is kept aside and a new
 * one started; one from a newer percussd is left alone. Without them the
 * gun still works: the failure is logged and GetHistory says so. */
static void open_state(struct manager *m)
{
        char path[PATH_MAX], aside[PATH_MAX + 32];
        int r;

        m->recovery.p = m->settings.recovery;
        snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, HISTORY_FILE);
        r = history_open(path, &m->history);
        if (r == -EBADMSG) {
                r = history_set_aside(path, aside, sizeof(aside));
                if (r < 0)
                        log_warning_errno(r, "Failed to move the damaged history %s aside: %m",
                                          path);
                else {
                        log_warning("History %s was damaged: kept it as %s and started a new "
                                    "history.", path, aside);
                        r = history_open(path, &m->history);
                }
        }
        if (r < 0) {
                log_warning_errno(r, "Going on without session history and race record (%s): %m",
                                  path);
                return;
        }
        r = recovery_load(&m->recovery, m->history);
        if (r < 0)
                log_warning_errno(r, "Failed to read the race record from %s: %m", path);
        manager_update_max_intensity(m);
}

int manager_new(const struct options *options, struct manager **ret)
{
        struct manager *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->options = *options;
        cpu_latency_init(&m->cpu_latency, CPU_LATENCY_DEVICE, -1);
        *ret = m;
        return 0;
}

void manager_set_listener(struct manager *m, const struct manager_listener *listener,
                          void *userdata)
{
        m->listener = listener;
        m->listener_data = userdata;
}

int manager_start(struct manager *m)
{
        int r;

        r = setup_event_loop(m);
        if (r < 0)
                return r;
        apply_config(m);
        manager_load_calibration(m);

        r = routines_load(&m->routines, m->options.profile_dirs, m->options.n_profile_dirs);
        if (r < 0)
                return log_error_errno(r, "Failed to load routines: %m");
        if (m->routines.count == 0)
                log_warning("No routine loaded from %s%s: Start will refuse every routine.",
                            m->options.profile_dirs[0],
                            m->options.n_profile_dirs > 1 ? " and the other directories" : "");

        r = open_gun(m);
        if (r < 0)
                return r;
        r = setup_rt(m);
        if (r < 0)
                return r;
        session_init(&m->session, &manager_session_ops, m);
        /* the panel before the state files: a race on record lowers the
         * intensity at once, and the LEDs show it */
        r = button_input_start(&m->button_input, m->event, &m->gun.buttons, on_gesture, m);
        if (r < 0)
                return r;
        r = led_status_start(&m->led_status, m->event, &m->gun.leds);
        if (r < 0)
                return r;
        r = power_setup(m);
        if (r < 0)
                return r;
        open_state(m);
        return 0;
}

struct manager *manager_free(struct manager *m)
{
        if (!m)
                return NULL;
        led_status_stop(&m->led_status);
        button_input_stop(&m->button_input);
        m->step_timer = sd_event_source_disable_unref(m->step_timer);
        manager_calibration_free(m);
        manager_finish_clear(m, -ESHUTDOWN);
        m->publish_timer = sd_event_source_disable_unref(m->publish_timer);
        m->watchdog_beat = sd_event_source_disable_unref(m->watchdog_beat);
        power_close(m);
        m->rt_event_source = sd_event_source_disable_unref(m->rt_event_source);
        rt_stop(&m->rt);
        cpu_latency_release(&m->cpu_latency);
        gun_close(&m->gun);
        sim_board_close(&m->sim_board);
        routines_clear(&m->routines);
        routines_clear(&m->retired);
        m->history = history_close(m->history);
        m->event = sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* What the simulated board was left doing, for the log of a safe-stop. */
static void report_sim_board(const struct manager *m)
{
        char path[PATH_MAX];
        struct sim_board board;
        uint64_t now = now_ns(CLOCK_MONOTONIC), deadline_ns;

        snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, SIM_BOARD_FILE);
        if (sim_board_open(&board, path) < 0)
                return;
        deadline_ns = atomic_load(&board.regs->enable_deadline_ns);
        if (atomic_load(&board.regs->enable))
                log_info("The simulated board was left with the motor enabled, duty %.2f, stroke "
                         "position %.2f; its enable lease %s %.0f ms%s.",
                         atomic_load(&board.regs->duty), atomic_load(&board.regs->stroke_position),
                         now < deadline_ns ? "runs out in" : "ran out",
                         (double)(now < deadline_ns ? deadline_ns - now : now - deadline_ns) * 1e-6,
                         now < deadline_ns ? "" : " ago");
        sim_board_close(&board);
}

int manager_safe_stop(struct manager *m)
{
        int r, r2;

        apply_config(m);
        if (m->options.simulate)
                report_sim_board(m);
        r = open_gun(m);
        if (r < 0)
                return log_error_errno(r, "Safe stop: could not open the actuators; the motor "
                                       "may still run: %m");
        r = control_safe_state(&m->gun);
        r2 = m->gun.stroke.ops->set_position(&m->gun.stroke, 0.0);
        if (r < 0)
                return log_error_errno(r, "Safe stop: the motor driver refused duty 0 and "
                                       "enable off: %m");
        if (r2 < 0)
                return log_error_errno(r2, "Safe stop: the stroke actuator refused its rest "
                                       "position: %m");
        log_info("Safe stop: motor duty 0 and enable off, stroke actuator at its shortest.");
        return 0;
}
