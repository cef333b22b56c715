/* SPDX-License-Identifier: MIT */
/*
 * The manager's faults: what the control thread reports, the main
 * thread's own checks (the board's temperature, the control loop's
 * heartbeat), the sentence each fault is told with, and ClearFault.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/time-util.h"
#include "daemon/session/battery-policy.h"
#include "device-reopen.h"
#include "manager.h"

#define CLEAR_TIMEOUT_US (500 * USEC_PER_MSEC)
/* Two telemetry ticks (200 ms) without a period: the loop is not late, it
 * is gone. */
#define HEARTBEAT_MISSES_MAX 2

void manager_fault_sentence(const struct manager *m, const struct telemetry *tm, char *buf,
                            size_t size)
{
        switch (tm->fault) {
        case FAULT_SENSOR_LOST:
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
        case FAULT_ACTUATOR:
                snprintf(buf, size, "Driving the motor (%s) or the stroke actuator (%s) failed: %s. "
                         "The motor was stopped.", m->gun.motor.ops->name, m->gun.stroke.ops->name,
                         strerror(tm->fault_errno));
                break;
        case FAULT_STALL:
                snprintf(buf, size, "The head is jammed: the crank turned at less than %.0f %% of "
                         "its set speed for %.0f ms. The motor was stopped.",
                         100 * m->safety.stall_speed_ratio, 1000 * m->safety.stall_time_s);
                break;
        case FAULT_DROP:
                snprintf(buf, size, "The gun fell: the IMU felt free fall for %.0f ms. The motor "
                         "was stopped.", 1000 * m->safety.free_fall_time_s);
                break;
        case FAULT_OVERRUN:
                snprintf(buf, size, "The control loop missed %u deadlines in a row. The motor was "
                         "stopped.", m->safety.overrun_streak);
                break;
        case FAULT_LIMIT:
                snprintf(buf, size, "The gun was asked for %.0f ppm at %.1f mm, outside its "
                         "envelope of %.0f–%.0f ppm and %.0f–%.0f mm. The motor was stopped.",
                         m->rt.setpoint.speed_ppm, m->rt.setpoint.stroke_mm, ENVELOPE_SPEED_MIN_PPM,
                         ENVELOPE_SPEED_MAX_PPM, ENVELOPE_AMPLITUDE_MIN_MM, ENVELOPE_AMPLITUDE_MAX_MM);
                break;
        case FAULT_RUNAWAY:
                snprintf(buf, size, "The crank turned faster than asked (%.0f ppm) for %.0f ms, or "
                         "kept turning with the motor off: the motor driver (%s) may be stuck on. "
                         "The enable was turned off and the brake on; check the driver board "
                         "before running again.", tm->speed_ppm, 1000 * m->safety.runaway_time_s,
                         m->gun.motor.ops->name);
                break;
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
                manager_finish_clear(m, m->telemetry.fault == FAULT_NONE ? 0 : -EAGAIN);
                return;
        }
        if (m->telemetry.fault != FAULT_NONE && m->session.state != SESSION_FAULT) {
                manager_fault_sentence(m, &m->telemetry, message, sizeof(message));
                session_fault(&m->session, m->telemetry.fault, message);
        }
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
        session_fault(&m->session, FAULT_OVER_TEMPERATURE, message);
}

static int on_clear_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void)source, (void)usec;
        manager_finish_clear(userdata, -ETIMEDOUT);
        return 0;
}

void manager_finish_clear(struct manager *m, int error)
{
        char message[256];
        void *request = m->clear_request;

        if (!m->clearing)
                return;
        m->clearing = false;
        m->clear_request = NULL;
        m->clear_timeout = sd_event_source_disable_unref(m->clear_timeout);
        if (error == 0)
                session_fault_cleared(&m->session);
        else
                log_notice_errno(error, "Fault %s not cleared: %m",
                                 fault_to_string(m->session.fault));
        if (error == -EAGAIN) {
                manager_fault_sentence(m, &m->telemetry, message, sizeof(message));
                snprintf(m->clear_refusal, sizeof(m->clear_refusal), "%s", message);
        }
        if (request)
                MANAGER_REPORT(m, clear_finished, request, error);
}

/* The faults the control loop had no part in: nothing of its to forget. */
static int clear_main_thread_fault(struct manager *m)
{
        double celsius;

        if (m->session.fault == FAULT_OVER_TEMPERATURE) {
                celsius = manager_board_temperature(m);
                if (!safety_temperature_cleared(&m->safety, celsius)) {
                        snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                                 "the driver board is at %.1f °C and must cool to %.0f °C first.",
                                 celsius, m->safety.temperature_resume_c);
                        return -EAGAIN;
                }
        }
        /* a battery no longer critical clears: Start then asks for the
         * charge a step needs */
        if (m->session.fault == FAULT_BATTERY) {
                double percent = manager_battery(m).percent;

                if (battery_policy_check(&m->settings.power, percent) == BATTERY_CRITICAL) {
                        snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                                 "the battery is at %.1f %%, at or under its critical %.0f %% "
                                 "([Power] CriticalPercent); charge it first.",
                                 percent, m->settings.power.critical_percent);
                        return -EAGAIN;
                }
        }
        session_fault_cleared(&m->session);
        return 0;
}

int manager_clear_fault(struct manager *m, void *request)
{
        int64_t count;
        int r;

        if (m->session.state != SESSION_FAULT)
                return -ENOTCONN;
        if (m->clearing)
                return -EBUSY;
        if (m->session.fault == FAULT_OVER_TEMPERATURE || m->session.fault == FAULT_BATTERY)
                return clear_main_thread_fault(m);
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
        m->clear_request = request;
        return 1;
}

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
        session_fault(&m->session, FAULT_OVERRUN,
                      "The control loop stopped running; the motor was stopped by the main thread.");
}
