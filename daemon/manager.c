/* SPDX-License-Identifier: MIT */
#include "manager.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/bus/bus.h"
#include "device-reopen.h"
#include "power.h"
#include "service-status.h"

#define POST_RUN_ROUTINE "post-run"
#define MANUAL_ROUTINE "manual"

uint64_t manager_now_realtime_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
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

/* sd-event's default timer slack is 250 ms; a step's end slips by at most this */
#define STEP_TIMER_ACCURACY_US 10000

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

static void session_set_setpoint(void *userdata, const struct setpoint *sp)
{
        struct manager *m = userdata;

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

        bus_emit_session_changed(m, what);
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
        bus_emit_step_started(userdata, step, s);
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
        bus_emit_session_changed(m, SESSION_CHANGED_ROUTINE);
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
        bus_emit_finished(m, summary);
        retire_old_routines(m);
}

static void session_fault_raised(void *userdata, const char *code, const char *message)
{
        bus_emit_fault_raised(userdata, code, message);
}

const struct session_ops manager_session_ops = {
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

int manager_start(struct manager *m, const char *id)
{
        const struct profile *profile = routines_find(&m->routines, id);
        uint64_t allowed_from_usec;
        int r;

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
        r = session_start(&m->session, profile);
        return r;
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
        bus_emit_routines_changed(m);
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
                        log_refusal(m, "start " POST_RUN_ROUTINE, manager_start(m, POST_RUN_ROUTINE));
                else if (gesture == GESTURE_LONG_PRESS)
                        log_refusal(m, "start " MANUAL_ROUTINE, manager_start(m, MANUAL_ROUTINE));
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

void manager_on_gesture(void *userdata, const char *button, enum gesture gesture)
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
}

struct battery_reading manager_battery(struct manager *m)
{
        struct battery_reading reading;

        if (!m->gun.battery.ops || m->gun.battery.ops->read(&m->gun.battery, &reading) < 0)
                return (struct battery_reading){ .percent = NAN, .charging = false };
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

void manager_check_temperature(struct manager *m)
{
        double celsius;
        char message[200];

        if (m->session.state == SESSION_FAULT)
                return;
        celsius = manager_board_temperature(m);
        if (!safety_temperature_too_high(&m->safety, celsius))
                return;
        snprintf(message, sizeof(message),
                 "The driver board is at %.1f °C, near its limit of %.0f °C; the motor was "
                 "stopped to let it cool to %.0f °C.",
                 celsius, m->safety.temperature_limit_c, m->safety.temperature_resume_c);
        session_fault(&m->session, "over-temperature", message);
}

static const char *fault_code(enum rt_fault fault)
{
        switch (fault) {
        case RT_FAULT_SENSOR_LOST:
                return "sensor-lost";
        case RT_FAULT_ACTUATOR:
                return "actuator";
        case RT_FAULT_STALL:
                return "stall";
        case RT_FAULT_DROP:
                return "drop";
        case RT_FAULT_OVERRUN:
                return "overrun";
        case RT_FAULT_LIMIT:
                return "limit";
        case RT_FAULT_RUNAWAY:
                return "runaway";
        case RT_FAULT_NONE:
        default:
                return "";
        }
}

static void fault_sentence(struct manager *m, const struct telemetry *tm, char *buf, size_t size)
{
        switch (tm->fault) {
        case RT_FAULT_SENSOR_LOST:
                if (tm->fault_errno)
                        snprintf(buf, size, "The %s (%s) stopped answering: %s. The motor was "
                                 "stopped.", tm->fault_sensor == RT_SENSOR_IMU ? "IMU" : "encoder",
                                 tm->fault_sensor == RT_SENSOR_IMU && m->gun.imu.ops ?
                                         m->gun.imu.ops->name : m->gun.encoder.ops->name,
                                 strerror(tm->fault_errno));
                else if (tm->fault_sensor == RT_SENSOR_IMU && m->gun.imu.ops)
                        snprintf(buf, size, "The IMU (%s) gave no new sample for %g ms "
                                 "([Safety] IMUStaleTime). The motor was stopped.",
                                 m->gun.imu.ops->name, m->safety.imu_stale_s * 1e3);
                else
                        snprintf(buf, size, "The encoder (%s) gave no new reading for %g ms "
                                 "([Safety] EncoderStaleTime), or read a standing crank while the "
                                 "IMU felt the head percussing. The motor was stopped.",
                                 m->gun.encoder.ops->name, m->safety.encoder_stale_s * 1e3);
                break;
        case RT_FAULT_ACTUATOR:
                snprintf(buf, size, "Driving the motor (%s) or the stroke actuator (%s) failed: %s. "
                         "The motor was stopped.", m->gun.motor.ops->name, m->gun.stroke.ops->name,
                         strerror(tm->fault_errno));
                break;
        case RT_FAULT_STALL:
                snprintf(buf, size, "The head is jammed: the crank turned at less than %.0f %% of "
                         "its set speed for %.0f ms. The motor was stopped.",
                         100 * m->safety.stall_speed_ratio, 1000 * m->safety.stall_time_s);
                break;
        case RT_FAULT_DROP:
                snprintf(buf, size, "The gun fell: the IMU felt free fall for %.0f ms. The motor "
                         "was stopped.", 1000 * m->safety.free_fall_time_s);
                break;
        case RT_FAULT_OVERRUN:
                snprintf(buf, size, "The control loop missed %u deadlines in a row. The motor was "
                         "stopped.", m->safety.overrun_streak);
                break;
        case RT_FAULT_LIMIT:
                snprintf(buf, size, "The gun was asked for %.0f ppm at %.1f mm, outside its "
                         "envelope of %.0f–%.0f ppm and %.0f–%.0f mm. The motor was stopped.",
                         m->rt.setpoint.speed_ppm, m->rt.setpoint.stroke_mm, ENVELOPE_SPEED_MIN_PPM,
                         ENVELOPE_SPEED_MAX_PPM, ENVELOPE_AMPLITUDE_MIN_MM, ENVELOPE_AMPLITUDE_MAX_MM);
                break;
        case RT_FAULT_RUNAWAY:
                snprintf(buf, size, "The crank turned faster than asked (%.0f ppm) for %.0f ms, or "
                         "kept turning with the motor off: the motor driver (%s) may be stuck on. "
                         "The enable was turned off and the brake on; check the driver board "
                         "before running again.", tm->speed_ppm, 1000 * m->safety.runaway_time_s,
                         m->gun.motor.ops->name);
                break;
        case RT_FAULT_NONE:
        default:
                buf[0] = '\0';
                break;
        }
}

void manager_on_rt_event(struct manager *m)
{
        char message[256];

        rt_read_telemetry(&m->rt, &m->telemetry);
        if (m->clearing && m->telemetry.fault_clears == (uint32_t)m->clear_count) {
                manager_finish_clear(m, m->telemetry.fault == RT_FAULT_NONE ? 0 : -EAGAIN);
                return;
        }
        if (m->telemetry.fault != RT_FAULT_NONE && m->session.state != SESSION_FAULT) {
                fault_sentence(m, &m->telemetry, message, sizeof(message));
                session_fault(&m->session, fault_code(m->telemetry.fault), message);
        }
}

#define CLEAR_TIMEOUT_US 500000

static int on_clear_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void)source, (void)usec;
        manager_finish_clear(userdata, -ETIMEDOUT);
        return 0;
}

void manager_finish_clear(struct manager *m, int error)
{
        char message[256];
        int r = 0;

        if (!m->clearing)
                return;
        m->clearing = false;
        m->clear_timeout = sd_event_source_disable_unref(m->clear_timeout);
        if (error == 0)
                session_fault_cleared(&m->session);
        else
                log_notice_errno(error, "Fault %s not cleared: %m", m->session.fault);
        if (!m->clear_request)
                return;
        if (error == 0)
                r = sd_bus_reply_method_return(m->clear_request, NULL);
        else if (error == -EAGAIN) {
                fault_sentence(m, &m->telemetry, message, sizeof(message));
                r = sd_bus_reply_method_errorf(m->clear_request, "io.percussd.Error.FaultActive",
                                               "The fault is still there: %s", message);
        } else
                r = sd_bus_reply_method_errnof(m->clear_request, error,
                                               "The control loop did not confirm the clear: %m.");
        if (r < 0)
                log_warning_errno(r, "Failed to answer ClearFault: %m");
        m->clear_request = sd_bus_message_unref(m->clear_request);
}

int manager_clear_fault(struct manager *m, sd_bus_message *request)
{
        int64_t count;
        int r;

        if (m->session.state != SESSION_FAULT)
                return -ENOTCONN;
        if (m->clearing)
                return -EBUSY;
        /* the control loop had no part in these: nothing of its to forget; a
         * battery no longer critical clears (Start then asks for the charge
         * a step needs) */
        if (strcmp(m->session.fault, "over-temperature") == 0 ||
            strcmp(m->session.fault, "battery") == 0) {
                double celsius = manager_board_temperature(m);
                double percent = manager_battery(m).percent;

                if (strcmp(m->session.fault, "over-temperature") == 0 &&
                    !safety_temperature_cleared(&m->safety, celsius)) {
                        snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                                 "the driver board is at %.1f °C and must cool to %.0f °C first.",
                                 celsius, m->safety.temperature_resume_c);
                        return -EAGAIN;
                }
                if (strcmp(m->session.fault, "battery") == 0 &&
                    battery_policy_check(&m->settings.power, percent) == BATTERY_CRITICAL) {
                        snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                                 "the battery is at %.1f %%, at or under its critical %.0f %% "
                                 "([Power] CriticalPercent); charge it first.",
                                 percent, m->settings.power.critical_percent);
                        return -EAGAIN;
                }
                session_fault_cleared(&m->session);
                return request ? sd_bus_reply_method_return(request, NULL) : 0;
        }
        if (device_reopen_wanted(m)) {
                r = device_reopen(m);
                if (r < 0)
                        return r;
        }

        count = session_request_fault_clear(&m->session);
        if (count < 0)
                return (int)count;
        r = sd_event_add_time_relative(m->event, &m->clear_timeout, CLOCK_MONOTONIC,
                                       CLEAR_TIMEOUT_US, 0, on_clear_timeout, m);
        if (r < 0)
                return r;
        m->clearing = true;
        m->clear_count = count;
        m->clear_request = request ? sd_bus_message_ref(request) : NULL;
        return 0;
}

/* Two telemetry ticks (200 ms) without a period: the loop is not late, it
 * is gone. */
#define HEARTBEAT_MISSES_MAX 2

void manager_check_heartbeat(struct manager *m)
{
        int r;

        if (m->session.state != SESSION_RUNNING || m->telemetry.periods != m->heartbeat_periods) {
                m->heartbeat_periods = m->telemetry.periods;
                m->heartbeat_misses = 0;
                return;
        }
        if (++m->heartbeat_misses < HEARTBEAT_MISSES_MAX)
                return;
        /* the RT thread no longer drives the motor: the main thread does the safe stop */
        r = control_safe_state(&m->gun);
        if (r < 0)
                log_error_errno(r, "Failed to stop the motor (%s) from the main thread: %m",
                                m->gun.motor.ops->name);
        session_fault(&m->session, "overrun",
                      "The control loop stopped running; the motor was stopped by the main thread.");
}
