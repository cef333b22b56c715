/* SPDX-License-Identifier: MIT */
#include "calibration.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/manager.h"

/* The sequence looks at the telemetry this often: its steps last
 * seconds, and the RT thread itself stops the motor on contact or a fault. */
#define CALIBRATION_TICK_USEC 20000
/* A person turns the gun head down within this. */
#define HEAD_DOWN_TIMEOUT_S 30.0

static const char *const status_names[] = {
        [CALIBRATION_STATUS_NONE] = "none",
        [CALIBRATION_STATUS_RUNNING] = "running",
        [CALIBRATION_STATUS_DONE] = "done",
        [CALIBRATION_STATUS_FAILED] = "failed",
};

const char *calibration_status_to_string(enum calibration_status status)
{
        return status_names[status];
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void file_path(const struct manager *m, char *path, size_t size)
{
        snprintf(path, size, "%s/%s", m->options.state_dir, CALIBRATION_FILE);
}

void manager_load_calibration(struct manager *m)
{
        struct manager_calibration *cal = &m->calibration;
        char path[PATH_MAX], error[512];
        int r;

        file_path(m, path, sizeof(path));
        r = calibration_file_load(path, &cal->record, error, sizeof(error));
        if (r == -ENOENT) {
                log_info("No calibration in %s: running on the configured constants.", path);
                return;
        }
        if (r < 0) {
                log_error("%s; the calibration is ignored, the configured constants are used.", error);
                return;
        }
        cal->have_record = true;
        cal->status = CALIBRATION_STATUS_DONE;
        calibration_apply_settings(&cal->record, &m->settings, m->options.config_file);
        log_info("Running on the calibration in %s, where %s sets no key.", path,
                 m->options.config_file);
}

bool manager_calibrating(const struct manager *m)
{
        return m->calibration.status == CALIBRATION_STATUS_RUNNING;
}

double manager_calibration_progress(const struct manager *m)
{
        const struct manager_calibration *cal = &m->calibration;

        if (cal->status == CALIBRATION_STATUS_RUNNING)
                return calibration_progress(&cal->sequence, monotonic_ns());
        return cal->status == CALIBRATION_STATUS_DONE ? 1.0 : 0.0;
}

static void hand(struct manager *m, struct setpoint *sp)
{
        sp->bus_voltage_v = m->bus_voltage_v;
        rt_set_setpoint(&m->rt, sp);
}

/* The result kept and put to work: the settings take it (but for the
 * keys the configuration file set), the RT thread starts again on them. */
static int adopt(struct manager *m)
{
        struct manager_calibration *cal = &m->calibration;
        const struct calibration_result *res = &cal->sequence.result;
        char path[PATH_MAX];
        int r;

        cal->record = (struct calibration_record){ .when_usec = manager_now_realtime_usec(),
                                                   .result = *res };
        cal->have_record = true;
        file_path(m, path, sizeof(path));
        r = calibration_file_save(path, &cal->record);
        if (r < 0)
                log_error_errno(r, "Failed to save the calibration to %s; it is used until percussd "
                                   "stops: %m", path);
        calibration_apply_settings(&cal->record, &m->settings, m->options.config_file);
        rt_halt(&m->rt);
        r = rt_resume(&m->rt);
        if (r < 0)
                return log_error_errno(r, "Failed to start the control loop again after the "
                                          "calibration: %m");
        snprintf(cal->message, sizeof(cal->message),
                 "Calibrated in %.0f s: back-EMF %.4f V·s/rad, resistance %.3f Ω, inertia %.3g kg·m², "
                 "friction %.3g N·m + %.3g N·m·s/rad, stroke gain %.2f, encoder zero %.1f°, "
                 "IMU delay %.2f ms%s%s%s%s.",
                 (double)(monotonic_ns() - cal->sequence.started_ns) * 1e-9,
                 res->motor.torque_constant_nm_per_a, res->motor.resistance_ohm,
                 res->motor.inertia_kg_m2, res->motor.coulomb_nm, res->motor.viscous_nm_s_per_rad,
                 res->stroke_gain, res->frame.encoder_zero_rad * 180.0 / M_PI,
                 res->frame.imu_delay_s * 1e3,
                 res->direction_differs ? ", the encoder counts the other way than configured" : "",
                 res->axes_differ ? ", the IMU is mounted otherwise than [IMU] Axes says" : "",
                 res->zero_differs ? ", its zero is not the configured one" : "",
                 res->delay_differs ? ", the IMU lags otherwise than [IMU] Delay says" : "");
        return 0;
}

static void finish(struct manager *m, bool ok)
{
        struct manager_calibration *cal = &m->calibration;

        cal->timer = sd_event_source_disable_unref(cal->timer);
        cal->status = ok ? CALIBRATION_STATUS_DONE : CALIBRATION_STATUS_FAILED;
        if (ok)
                log_info("%s", cal->message);
        else
                log_warning("Calibration failed: %s", cal->message);
        cpu_latency_release(&m->cpu_latency);
        MANAGER_REPORT(m, calibration_finished, ok, cal->message);
}

static int on_tick(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;
        struct manager_calibration *cal = &m->calibration;
        uint32_t generation = cal->sequence.generation;
        struct setpoint sp;
        int r;

        (void)rt_read_telemetry(&m->rt, &m->telemetry);
        r = calibration_step(&cal->sequence, monotonic_ns(), &m->telemetry, m->bus_voltage_v, &sp);
        if (cal->sequence.generation != generation)
                hand(m, &sp);
        if (r == 0) {
                MANAGER_REPORT(m, calibration_progress);
                r = sd_event_source_set_time(source, usec + CALIBRATION_TICK_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
                if (r >= 0)
                        return 0;
                /* without its timer the sequence cannot go on: the motor off */
                log_error_errno(r, "Failed to re-arm the calibration's timer: %m");
                calibration_cancel(&cal->sequence, &sp);
                hand(m, &sp);
                snprintf(cal->message, sizeof(cal->message), "%s: the daemon's timer failed",
                         calibration_state_name(cal->sequence.state));
                finish(m, false);
                return 0;
        }
        if (r == 1 && adopt(m) == 0) {
                finish(m, true);
                return 0;
        }
        if (r != 1)
                snprintf(cal->message, sizeof(cal->message), "%s", cal->sequence.why);
        else
                snprintf(cal->message, sizeof(cal->message), "the control loop did not start again");
        finish(m, false);
        return 0;
}

int manager_calibrate(struct manager *m)
{
        struct manager_calibration *cal = &m->calibration;
        struct calibration_config cfg = {
                .duty_max = m->settings.control.speed.duty_max,
                .stroke_min_mm = m->gun.stroke.min_mm,
                .stroke_max_mm = m->gun.stroke.max_mm,
                .body_mass_kg = m->settings.control.force.body_mass_kg,
                .nominal_bus_voltage_v = m->settings.control.force.bus_voltage_v,
                .settings_frame = m->settings.control.frame,
                .head_down_timeout_s = HEAD_DOWN_TIMEOUT_S,
        };
        uint64_t now_usec;
        int r;

        if (cal->status == CALIBRATION_STATUS_RUNNING || m->session.state != SESSION_IDLE)
                return m->session.state == SESSION_FAULT ? -EHOSTDOWN : -EBUSY;
        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now_usec);
        if (r < 0)
                return r;
        r = sd_event_add_time(m->event, &cal->timer, CLOCK_MONOTONIC, now_usec + CALIBRATION_TICK_USEC,
                              0, on_tick, m);
        if (r < 0)
                return r;
        calibration_start(&cal->sequence, &cfg, m->rt.setpoint.generation, monotonic_ns());
        cal->status = CALIBRATION_STATUS_RUNNING;
        cal->message[0] = '\0';
        (void)cpu_latency_hold(&m->cpu_latency);
        hand(m, &cal->sequence.sp);
        log_info("Calibrating: hold the gun still and level, in the air; turn it head down when "
                 "asked.");
        return 0;
}

int manager_cancel_calibration(struct manager *m)
{
        struct manager_calibration *cal = &m->calibration;
        struct setpoint sp;

        if (cal->status != CALIBRATION_STATUS_RUNNING)
                return -ENOTCONN;
        calibration_cancel(&cal->sequence, &sp);
        hand(m, &sp);
        snprintf(cal->message, sizeof(cal->message), "%s", cal->sequence.why);
        finish(m, false);
        return 0;
}

/* The share of the step's speed the cap may take before it is told. */
#define SPEED_CAP_TOLD 0.01

bool manager_check_speed_limit(struct manager *m)
{
        double asked_ppm = session_target_speed_ppm(&m->session);
        double limit_ppm = m->telemetry.speed_limit_ppm;
        bool capped = m->session.state == SESSION_RUNNING && limit_ppm > 0.0 &&
                      asked_ppm > limit_ppm * (1.0 + SPEED_CAP_TOLD);
        char notice[sizeof(m->speed_notice)] = "";

        if (capped)
                snprintf(notice, sizeof(notice), "The step asks for %.0f ppm; at %.1f V the motor holds "
                         "%.0f ppm, so the speed is capped there.", asked_ppm, m->telemetry.bus_voltage_v,
                         limit_ppm);
        /* told once per cap, not for each tenth of a volt the pack sags */
        if (capped == (m->speed_notice[0] != '\0'))
                return false;
        if (capped)
                log_notice("%s", notice);
        snprintf(m->speed_notice, sizeof(m->speed_notice), "%s", notice);
        return true;
}

const char *manager_notice(const struct manager *m)
{
        const struct manager_calibration *cal = &m->calibration;

        if (m->speed_notice[0])
                return m->speed_notice;
        if (m->stroke_sensor_notice[0])
                return m->stroke_sensor_notice;
        if (cal->status != CALIBRATION_STATUS_RUNNING)
                return cal->message;
        switch (cal->sequence.state) {
        case CALIBRATION_REST_LEVEL:
                return "Calibrating: hold the gun still and level, in the air.";
        case CALIBRATION_HEAD_DOWN:
                return "Calibrating: turn the gun with its head to the floor and hold it still.";
        case CALIBRATION_MOTOR:
                return "Calibrating: keep the gun in the air; the motor steps through its speeds and strokes.";
        default:
                return "Calibrating: keep the gun in the air; the motor turns slowly.";
        }
}

void manager_calibration_free(struct manager *m)
{
        m->calibration.timer = sd_event_source_disable_unref(m->calibration.timer);
}
