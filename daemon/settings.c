/* SPDX-License-Identifier: MIT */
#include "settings.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/session/ini-file.h"
#include "stroke-sensor-map-text.h"
#include "drivers/battery-curve.h"
#include "common/log.h"

#define USEC_PER_HOUR 3600000000ull

enum key_type {
        KEY_BOOL,
        KEY_UNSIGNED,
        KEY_INT_OR_ANY, /* a whole number, or "any": -1 */
        KEY_DOUBLE,
        KEY_HOURS,      /* stored as µs */
        KEY_DAYS,       /* stored as µs */
        KEY_NS,         /* uint64_t, ns */
        KEY_STRING,     /* char[max] */
        KEY_DRIVER,     /* enum hw_driver: "simulated" or the real driver, named in unit */
        KEY_AXES,       /* int[3], see hw_parse_axes() */
        KEY_DEGREES,    /* stored as rad */
        KEY_MS,         /* stored as s */
        KEY_STROKE_MAP, /* struct stroke_sensor_map, see stroke-sensor-map-text.h */
};

struct key {
        const char *section;
        const char *name;
        enum key_type type;
        size_t offset;
        double min, max;
        const char *unit;
};

#define FIELD(f) offsetof(struct settings, f)
#define RESUME_MIN_C 20.0
#define RESUME_BELOW_STOP_C 5.0

static const struct key keys[] = {
        { "Daemon", "Simulate", KEY_BOOL, FIELD(simulate), 0, 1, "" },
        { "Control", "ControlHz", KEY_UNSIGNED, FIELD(control_hz), 250, 4000, "Hz" },
        { "Control", "RTPriority", KEY_UNSIGNED, FIELD(rt_priority), 1, 99, "" },
        { "Control", "RTCPU", KEY_INT_OR_ANY, FIELD(rt_cpu), 0, 1023, "" },
        { "Control", "WakeLatency", KEY_INT_OR_ANY, FIELD(wake_latency_us), 0, 100000, "µs" },
        { "Control", "SpeedKp", KEY_DOUBLE, FIELD(control.speed.kp_duty_per_ppm), 0, 0.01, "duty/ppm" },
        { "Control", "SpeedKi", KEY_DOUBLE, FIELD(control.speed.ki_duty_per_ppm_s), 0, 1, "duty/(ppm·s)" },
        { "Control", "FeedForward", KEY_DOUBLE, FIELD(control.speed.ff_duty_per_ppm), 0, 0.01, "duty/ppm" },
        { "Control", "FeedForwardOffset", KEY_DOUBLE, FIELD(control.speed.ff_duty_offset), 0, 0.5, "duty" },
        { "Control", "Slew", KEY_DOUBLE, FIELD(control.speed.default_slew_ppm_per_s), 10, 100000, "ppm/s" },
        { "Control", "DutyMax", KEY_DOUBLE, FIELD(control.speed.duty_max), 0.05, 1, "duty" },
        { "Amplitude", "StrokeGain", KEY_DOUBLE, FIELD(control.stroke_estimator.gain), 1, 200, "" },
        { "Amplitude", "ContactQuadrature", KEY_DOUBLE, FIELD(control.stroke_estimator.contact_m_s2), 0.05, 10, "m/s²" },
        { "Amplitude", "StrokeKi", KEY_DOUBLE, FIELD(control.stroke.ki_per_revolution), 0, 1, "per revolution" },
        { "Amplitude", "StrokeTrimMax", KEY_DOUBLE, FIELD(control.stroke.trim_max_mm), 0, 6, "mm" },
        { "Amplitude", "ContactForce", KEY_DOUBLE, FIELD(control.stroke.contact_force_n), 0.5, 20, "N" },
        { "Amplitude", "StrokeSettle", KEY_DOUBLE, FIELD(control.stroke.settle_s), 0, 2, "s" },
        { "Force", "BusVoltage", KEY_DOUBLE, FIELD(control.force.bus_voltage_v), 3, 60, "V" },
        { "Force", "Resistance", KEY_DOUBLE, FIELD(control.force.resistance_ohm), 0.01, 10, "Ω" },
        { "Force", "Inductance", KEY_DOUBLE, FIELD(control.force.inductance_h), 0, 0.01, "H" },
        { "Force", "TorqueConstant", KEY_DOUBLE, FIELD(control.force.torque_constant_nm_per_a), 0.001, 1, "N·m/A" },
        { "Force", "Inertia", KEY_DOUBLE, FIELD(control.force.inertia_kg_m2), 1e-7, 0.01, "kg·m²" },
        { "Force", "Viscous", KEY_DOUBLE, FIELD(control.force.viscous_nm_s_per_rad), 0, 0.01, "N·m·s/rad" },
        { "Force", "Coulomb", KEY_DOUBLE, FIELD(control.force.coulomb_nm), 0, 1, "N·m" },
        { "Force", "BodyMass", KEY_DOUBLE, FIELD(control.force.body_mass_kg), 0.1, 5, "kg" },
        { "Safety", "StallSpeedRatio", KEY_DOUBLE, FIELD(safety.stall_speed_ratio), 0.05, 0.9, "" },
        { "Safety", "StallTime", KEY_DOUBLE, FIELD(safety.stall_time_s), 0.005, 0.1, "s" },
        { "Safety", "FreeFall", KEY_DOUBLE, FIELD(safety.free_fall_g), 0.05, 0.9, "g" },
        { "Safety", "FreeFallTime", KEY_DOUBLE, FIELD(safety.free_fall_time_s), 0.005, 0.07, "s" },
        { "Safety", "EncoderStaleTime", KEY_DOUBLE, FIELD(safety.encoder_stale_s), 0.00025, 0.1, "s" },
        { "Safety", "IMUStaleTime", KEY_DOUBLE, FIELD(safety.imu_stale_s), 0.00025, 0.1, "s" },
        { "Safety", "OverrunStreak", KEY_UNSIGNED, FIELD(safety.overrun_streak), 1, 100, "periods" },
        { "Safety", "RunawayTime", KEY_DOUBLE, FIELD(safety.runaway_time_s), 0.005, 0.1, "s" },
        { "Safety", "SpinDownRate", KEY_DOUBLE, FIELD(safety.spin_down_ppm_per_s),
          SAFETY_SPIN_DOWN_MIN_PPM_PER_S, SAFETY_SPIN_DOWN_MAX_PPM_PER_S, "ppm/s" },
        { "Safety", "TemperatureLimit", KEY_DOUBLE, FIELD(safety.temperature_limit_c), 30, 120, "°C" },
        { "Safety", "TemperatureMargin", KEY_DOUBLE, FIELD(safety.temperature_margin_c), 0, 20, "°C" },
        { "Safety", "TemperatureResume", KEY_DOUBLE, FIELD(safety.temperature_resume_c), RESUME_MIN_C, 110, "°C" },
        { "Recovery", "RestHours", KEY_HOURS, FIELD(recovery.rest_usec), 0, 24 * 14, "h" },
        { "Recovery", "TaperDays", KEY_DAYS, FIELD(recovery.taper_usec), 0, 60, "days" },
        { "Power", "LowPercent", KEY_DOUBLE, FIELD(power.low_percent), 1, 50, "%" },
        { "Power", "CriticalPercent", KEY_DOUBLE, FIELD(power.critical_percent), 0, 20, "%" },
        { "Power", "UsePerMinute", KEY_DOUBLE, FIELD(power.use_percent_per_min), 0.01, 20, "%/min" },
        { "Power", "NoMotorWhileCharging", KEY_BOOL, FIELD(power.no_motor_while_charging), 0, 1, "" },
        { "Power", "MaxPercussion", KEY_DOUBLE, FIELD(power.max_percussion_s), 0, 7200, "s" },
        { "Power", "IdleOff", KEY_DOUBLE, FIELD(power.idle_off_s), 0, 86400, "s" },
        { "Encoder", "Driver", KEY_DRIVER, FIELD(hw.encoder.driver), 0, 0, "iio|counter" },
        { "Encoder", "Device", KEY_STRING, FIELD(hw.encoder.device), 0, HW_NAME_MAX, "" },
        { "Encoder", "Channel", KEY_STRING, FIELD(hw.encoder.channel), 0, HW_NAME_MAX, "" },
        { "Encoder", "CountsPerRevolution", KEY_DOUBLE, FIELD(hw.encoder.counts_per_rev), 1, 1e9, "" },
        { "Encoder", "Buffered", KEY_BOOL, FIELD(hw.encoder.buffered), 0, 1, "" },
        { "Encoder", "Trigger", KEY_STRING, FIELD(hw.encoder.trigger), 0, HW_NAME_MAX, "" },
        { "Encoder", "Zero", KEY_DEGREES, FIELD(control.frame.encoder_zero_rad), 0, 360, "°" },
        { "Encoder", "Reversed", KEY_BOOL, FIELD(control.frame.encoder_reversed), 0, 1, "" },
        { "IMU", "Driver", KEY_DRIVER, FIELD(hw.imu.driver), 0, 0, "iio" },
        { "IMU", "Device", KEY_STRING, FIELD(hw.imu.device), 0, HW_NAME_MAX, "" },
        { "IMU", "SamplingFrequency", KEY_DOUBLE, FIELD(hw.imu.sampling_hz), 0, 100000, "Hz" },
        { "IMU", "Axes", KEY_AXES, FIELD(hw.imu.axes), 0, 0, "" },
        { "IMU", "Delay", KEY_MS, FIELD(control.frame.imu_delay_s), 0, 10, "ms" },
        { "IMU", "Buffered", KEY_BOOL, FIELD(hw.imu.buffered), 0, 1, "" },
        { "IMU", "Trigger", KEY_STRING, FIELD(hw.imu.trigger), 0, HW_NAME_MAX, "" },
        { "IMU", "ThermalZone", KEY_STRING, FIELD(hw.imu.thermal_zone), 0, HW_PATH_MAX, "" },
        { "Motor", "Driver", KEY_DRIVER, FIELD(hw.motor.driver), 0, 0, "pwm" },
        { "Motor", "PWMChip", KEY_UNSIGNED, FIELD(hw.motor.pwm.chip), 0, 1023, "" },
        { "Motor", "PWMChannel", KEY_UNSIGNED, FIELD(hw.motor.pwm.channel), 0, 1023, "" },
        { "Motor", "Period", KEY_NS, FIELD(hw.motor.pwm.period_ns), 1000, 1e9, "ns" },
        { "Motor", "EnableLine", KEY_STRING, FIELD(hw.motor.enable.spec), 0, HW_NAME_MAX, "" },
        { "Motor", "EnableActiveLow", KEY_BOOL, FIELD(hw.motor.enable.active_low), 0, 1, "" },
        { "Motor", "DirectionLine", KEY_STRING, FIELD(hw.motor.direction.spec), 0, HW_NAME_MAX, "" },
        { "Motor", "DirectionActiveLow", KEY_BOOL, FIELD(hw.motor.direction.active_low), 0, 1, "" },
        { "Motor", "BrakeLine", KEY_STRING, FIELD(hw.motor.brake.spec), 0, HW_NAME_MAX, "" },
        { "Motor", "BrakeActiveLow", KEY_BOOL, FIELD(hw.motor.brake.active_low), 0, 1, "" },
        { "Stroke", "Driver", KEY_DRIVER, FIELD(hw.stroke.driver), 0, 0, "pwm" },
        { "Stroke", "PWMChip", KEY_UNSIGNED, FIELD(hw.stroke.pwm.chip), 0, 1023, "" },
        { "Stroke", "PWMChannel", KEY_UNSIGNED, FIELD(hw.stroke.pwm.channel), 0, 1023, "" },
        { "Stroke", "Period", KEY_NS, FIELD(hw.stroke.pwm.period_ns), 1000, 1e9, "ns" },
        { "Stroke", "PulseMin", KEY_NS, FIELD(hw.stroke.pulse_min_ns), 0, 1e9, "ns" },
        { "Stroke", "PulseMax", KEY_NS, FIELD(hw.stroke.pulse_max_ns), 0, 1e9, "ns" },
        { "Stroke", "StrokeMin", KEY_DOUBLE, FIELD(hw.stroke.min_mm), 0, 100, "mm" },
        { "Stroke", "StrokeMax", KEY_DOUBLE, FIELD(hw.stroke.max_mm), 0, 100, "mm" },
        { "StrokeSensor", "Driver", KEY_DRIVER, FIELD(hw.stroke_sensor.driver), 0, 0, "iio|none" },
        { "StrokeSensor", "Device", KEY_STRING, FIELD(hw.stroke_sensor.device), 0, HW_NAME_MAX, "" },
        { "StrokeSensor", "Channel", KEY_STRING, FIELD(hw.stroke_sensor.channel), 0, HW_NAME_MAX, "" },
        { "StrokeSensor", "Buffered", KEY_BOOL, FIELD(hw.stroke_sensor.buffered), 0, 1, "" },
        { "StrokeSensor", "Map", KEY_STROKE_MAP, FIELD(control.stroke_sensor_map), 0, 0, "V:mm" },
        { "Buttons", "Driver", KEY_DRIVER, FIELD(hw.buttons.driver), 0, 0, "gpio" },
        { "Buttons", "MainLine", KEY_STRING, FIELD(hw.buttons.lines[0]), 0, HW_NAME_MAX, "" },
        { "Buttons", "PlusLine", KEY_STRING, FIELD(hw.buttons.lines[1]), 0, HW_NAME_MAX, "" },
        { "Buttons", "MinusLine", KEY_STRING, FIELD(hw.buttons.lines[2]), 0, HW_NAME_MAX, "" },
        { "Buttons", "ActiveLow", KEY_BOOL, FIELD(hw.buttons.active_low), 0, 1, "" },
        { "LEDs", "Driver", KEY_DRIVER, FIELD(hw.leds.driver), 0, 0, "gpio" },
        { "LEDs", "StatusLine", KEY_STRING, FIELD(hw.leds.lines[0]), 0, HW_NAME_MAX, "" },
        { "LEDs", "FaultLine", KEY_STRING, FIELD(hw.leds.lines[1]), 0, HW_NAME_MAX, "" },
        { "LEDs", "Level1Line", KEY_STRING, FIELD(hw.leds.lines[2]), 0, HW_NAME_MAX, "" },
        { "LEDs", "Level2Line", KEY_STRING, FIELD(hw.leds.lines[3]), 0, HW_NAME_MAX, "" },
        { "LEDs", "Level3Line", KEY_STRING, FIELD(hw.leds.lines[4]), 0, HW_NAME_MAX, "" },
        { "LEDs", "Level4Line", KEY_STRING, FIELD(hw.leds.lines[5]), 0, HW_NAME_MAX, "" },
        { "LEDs", "Level5Line", KEY_STRING, FIELD(hw.leds.lines[6]), 0, HW_NAME_MAX, "" },
        { "LEDs", "ActiveLow", KEY_BOOL, FIELD(hw.leds.active_low), 0, 1, "" },
        { "Battery", "Driver", KEY_DRIVER, FIELD(hw.battery.driver), 0, 0, "power-supply|iio|none" },
        { "Battery", "Name", KEY_STRING, FIELD(hw.battery.name), 0, HW_NAME_MAX, "" },
        { "Battery", "Device", KEY_STRING, FIELD(hw.battery.device), 0, HW_NAME_MAX, "" },
        { "Battery", "Channel", KEY_STRING, FIELD(hw.battery.channel), 0, HW_NAME_MAX, "" },
        { "Battery", "Curve", KEY_STRING, FIELD(hw.battery.curve), 0, HW_PATH_MAX, "" },
        { "Battery", "Cells", KEY_UNSIGNED, FIELD(hw.battery.cells), 1, 24, "" },
        { "Battery", "Divider", KEY_DOUBLE, FIELD(hw.battery.divider), 1, 1000, "" },
        { "Simulator", "Family", KEY_UNSIGNED, FIELD(simulator_family), 0, 4294967295.0, "" },
        { "Simulator", "BusVoltage", KEY_DOUBLE, FIELD(simulator.bus_voltage_v), 0, 60, "V" },
        { "Simulator", "Resistance", KEY_DOUBLE, FIELD(simulator.resistance_ohm), 0.01, 10, "Ω" },
        { "Simulator", "Inductance", KEY_DOUBLE, FIELD(simulator.inductance_h), 1e-5, 0.01, "H" },
        { "Simulator", "TorqueConstant", KEY_DOUBLE, FIELD(simulator.torque_constant_nm_per_a), 0.001, 1, "N·m/A" },
        { "Simulator", "Inertia", KEY_DOUBLE, FIELD(simulator.inertia_kg_m2), 1e-7, 0.01, "kg·m²" },
        { "Simulator", "Viscous", KEY_DOUBLE, FIELD(simulator.viscous_nm_s_per_rad), 0, 0.01, "N·m·s/rad" },
        { "Simulator", "Coulomb", KEY_DOUBLE, FIELD(simulator.coulomb_nm), 0, 1, "N·m" },
        { "Simulator", "HeadMass", KEY_DOUBLE, FIELD(simulator.head_mass_kg), 0.01, 1, "kg" },
        { "Simulator", "BodyMass", KEY_DOUBLE, FIELD(simulator.body_mass_kg), 0.1, 5, "kg" },
        { "Simulator", "StrokeMin", KEY_DOUBLE, FIELD(simulator.stroke_min_mm), 0, 100, "mm" },
        { "Simulator", "StrokeMax", KEY_DOUBLE, FIELD(simulator.stroke_max_mm), 0, 100, "mm" },
        { "Simulator", "StrokeCompliance", KEY_DOUBLE, FIELD(simulator.stroke_compliance_mm_per_n), 0, 1, "mm/N" },
        { "Simulator", "StrokeSensor", KEY_BOOL, FIELD(simulator.stroke_sensor), 0, 1, "" },
        { "Simulator", "StrokeSensorScale", KEY_DOUBLE, FIELD(simulator.stroke_sensor_v_per_mm), -10, 10, "V/mm" },
        { "Simulator", "StrokeSensorOffset", KEY_DOUBLE, FIELD(simulator.stroke_sensor_offset_v), -10, 10, "V" },
        { "Simulator", "StrokeSensorNoise", KEY_DOUBLE, FIELD(simulator.stroke_sensor_noise_v), 0, 1, "V" },
        { "Simulator", "TissueStiffness", KEY_DOUBLE, FIELD(simulator.tissue_stiffness_n_per_m), 10, 1e6, "N/m" },
        { "Simulator", "TissueDamping", KEY_DOUBLE, FIELD(simulator.tissue_damping_n_s_per_m), 0, 1e4, "N·s/m" },
        { "Simulator", "EncoderCounts", KEY_UNSIGNED, FIELD(simulator.encoder_counts), 16, 1 << 24, "" },
        { "Simulator", "EncoderZero", KEY_DOUBLE, FIELD(simulator.encoder_zero_deg), 0, 360, "°" },
        { "Simulator", "EncoderReversed", KEY_BOOL, FIELD(simulator.encoder_reversed), 0, 1, "" },
        { "Simulator", "IMUAxes", KEY_AXES, FIELD(simulator.imu_axes), 0, 0, "" },
        { "Simulator", "IMUDelay", KEY_MS, FIELD(simulator.imu_delay_s), 0, SIM_IMU_DELAY_MAX_S * 1e3, "ms" },
};

#define KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(KEYS <= SETTINGS_KEYS_MAX, "struct settings' key_set is too short");

bool settings_key_set(const struct settings *c, const char *section, const char *name)
{
        for (size_t i = 0; i < KEYS; i++)
                if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
                        return c->key_set[i];
        return false;
}

const char *settings_key(size_t i, const char **section)
{
        if (i >= KEYS)
                return NULL;
        *section = keys[i].section;
        return keys[i].name;
}

int settings_key_value(const struct settings *c, size_t i, double *value, double *min, double *max)
{
        const struct key *k;
        const unsigned char *field;

        if (i >= KEYS)
                return -ERANGE;
        k = &keys[i];
        field = (const unsigned char *)c + k->offset;
        *min = k->min;
        *max = k->max;
        switch (k->type) {
        case KEY_BOOL:
                *value = *(const bool *)(const void *)field;
                break;
        case KEY_UNSIGNED:
                *value = *(const unsigned *)(const void *)field;
                break;
        case KEY_INT_OR_ANY:
                *value = *(const int *)(const void *)field;
                *min = -1; /* any */
                break;
        case KEY_DOUBLE:
                *value = *(const double *)(const void *)field;
                break;
        case KEY_HOURS:
                *value = (double)*(const uint64_t *)(const void *)field / (double)USEC_PER_HOUR;
                break;
        case KEY_DAYS:
                *value = (double)*(const uint64_t *)(const void *)field / (24.0 * (double)USEC_PER_HOUR);
                break;
        case KEY_NS:
                *value = (double)*(const uint64_t *)(const void *)field;
                break;
        case KEY_DEGREES:
                *value = *(const double *)(const void *)field * 180.0 / M_PI;
                break;
        case KEY_MS:
                *value = *(const double *)(const void *)field * 1e3;
                break;
        case KEY_STRING:
                /* its length, against the longest it may be */
                *value = (double)strnlen((const char *)field, (size_t)k->max);
                *max = k->max - 1;
                break;
        case KEY_DRIVER:
        case KEY_AXES:
        case KEY_STROKE_MAP:
                return -EMEDIUMTYPE;
        }
        return 0;
}

void settings_defaults(struct settings *c)
{
        *c = (struct settings){ .control_hz = 1000, .rt_priority = 80, .rt_cpu = -1,
                                .wake_latency_us = 0 };
        control_params_default(&c->control);
        safety_params_default(&c->safety);
        recovery_params_default(&c->recovery);
        battery_policy_default(&c->power);
        hw_config_defaults(&c->hw);
        sim_gun_params_default(&c->simulator);
        /* unless told a bus voltage, the simulated motor runs from its pack */
        c->simulator.bus_voltage_v = 0.0;
}

struct parse {
        struct ini_file ini;
        struct settings *config;
        char section[32];
        unsigned bad;
        bool set[KEYS];                 /* the file set the key */
        const struct key *key;          /* the line's, once found */
};

/* A bad line is told and skipped: the rest of the file still counts. */
__attribute__((format(printf, 2, 3)))
static int skip(struct parse *p, const char *format, ...)
{
        char reason[256];
        va_list ap;

        va_start(ap, format);
        vsnprintf(reason, sizeof(reason), format, ap);
        va_end(ap);
        log_error("%s:%u: %s; the line is ignored.", p->ini.path, p->ini.line, reason);
        p->bad++;
        return 0;
}

static int on_section(struct ini_file *f, const char *name, int name_len)
{
        struct parse *p = f->userdata;

        snprintf(p->section, sizeof(p->section), "%.*s", name_len, name);
        for (size_t i = 0; i < KEYS; i++)
                if (strcmp(keys[i].section, p->section) == 0)
                        return 0;
        return skip(p, "unknown section [%s]; expected [Daemon], [Control], [Amplitude], [Force], "
                       "[Safety], [Recovery], [Power], [Encoder], [IMU], [Motor], [Stroke], "
                       "[StrokeSensor], [Buttons], [LEDs], [Battery] or [Simulator]", p->section);
}

static int parse_number(struct parse *p, const struct key *k, const char *value, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(value, &end);
        if (end == value || *end || errno == ERANGE || !isfinite(v))
                return skip(p, "%s \"%s\" is not a number", k->name, value) - 1;
        if (v < k->min || v > k->max)
                return skip(p, "%s %g%s%s is outside %g–%g%s%s", k->name, v, *k->unit ? " " : "",
                            k->unit, k->min, k->max, *k->unit ? " " : "", k->unit) - 1;
        if ((k->type == KEY_UNSIGNED || k->type == KEY_INT_OR_ANY || k->type == KEY_NS) && v != floor(v))
                return skip(p, "%s %g is not a whole number", k->name, v) - 1;
        *ret = v;
        return 0;
}

static const char *next_name(const char *names)
{
        size_t len = strcspn(names, "|");

        return names + len + (names[len] == '|');
}

/* "simulated", or one of the real drivers the key's unit names, "|"
 * between them: the kind's own (HW_REAL), or for an encoder a counter of
 * the counter subsystem, or for a battery none or an IIO voltage. */
static int parse_driver(struct parse *p, const struct key *k, const char *value,
                        enum hw_driver *driver)
{
        size_t len = strlen(value);
        char names[64];

        if (strcmp(value, "simulated") == 0) {
                *driver = HW_SIMULATED;
                return 0;
        }
        for (const char *at = k->unit; *at; at = next_name(at))
                if (strcspn(at, "|") == len && strncmp(at, value, len) == 0) {
                        *driver = strcmp(value, "counter") == 0 ? HW_COUNTER :
                                  strcmp(value, "none") == 0 ? HW_NONE :
                                  strcmp(value, "iio") == 0 && strcmp(k->section, "Battery") == 0 ?
                                  HW_IIO_VOLTAGE : HW_REAL;
                        return 0;
                }
        /* "iio|counter" reads "iio, counter" */
        snprintf(names, sizeof(names), "%s", k->unit);
        for (char *bar = strchr(names, '|'); bar && strlen(names) + 2 < sizeof(names);
             bar = strchr(bar, '|')) {
                memmove(bar + 2, bar + 1, strlen(bar + 1) + 1);
                bar[0] = ',';
                bar[1] = ' ';
        }
        return skip(p, "%s \"%s\" is not %s or simulated", k->name, value, names);
}

static int apply_key(struct ini_file *f, const char *name, const char *value)
{
        struct parse *p = f->userdata;
        const struct key *k = NULL;
        unsigned char *field;
        double v = 0;

        for (size_t i = 0; i < KEYS; i++)
                if (strcmp(keys[i].section, p->section) == 0 && strcmp(keys[i].name, name) == 0)
                        k = &keys[i];
        if (!k)
                return p->section[0] ? skip(p, "unknown key %s in [%s]", name, p->section) :
                                       skip(p, "%s is in no section", name);
        field = (unsigned char *)p->config + k->offset;
        p->key = k;
        /* an empty name or line: none */
        if (k->type == KEY_STRING) {
                if (strlen(value) >= (size_t)k->max)
                        return skip(p, "%s is longer than %g characters", name, k->max - 1);
                memset(field, 0, (size_t)k->max);
                strcpy((char *)field, value);
                return 0;
        }
        if (!*value)
                return skip(p, "%s has no value", name);
        if (k->type == KEY_BOOL) {
                if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
                        *(bool *)(void *)field = true;
                else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
                        *(bool *)(void *)field = false;
                else
                        return skip(p, "%s \"%s\" is not yes or no", name, value);
                return 0;
        }
        if (k->type == KEY_DRIVER)
                return parse_driver(p, k, value, (enum hw_driver *)(void *)field);
        if (k->type == KEY_AXES) {
                if (hw_parse_axes(value, (int *)(void *)field) < 0)
                        return skip(p, "%s \"%s\" does not name each of x, y, z once, as in "
                                    "\"x,y,z\" or \"-z,y,x\"", name, value);
                return 0;
        }
        if (k->type == KEY_STROKE_MAP) {
                char error[192];

                if (stroke_sensor_map_parse((struct stroke_sensor_map *)(void *)field, value, error,
                                            sizeof(error)) < 0)
                        return skip(p, "%s \"%s\": %s", name, value, error);
                return 0;
        }
        if (k->type == KEY_INT_OR_ANY && strcmp(value, "any") == 0) {
                *(int *)(void *)field = -1;
                return 0;
        }
        if (parse_number(p, k, value, &v) < 0)
                return 0;
        switch (k->type) {
        case KEY_UNSIGNED:
                *(unsigned *)(void *)field = (unsigned)v;
                break;
        case KEY_INT_OR_ANY:
                *(int *)(void *)field = (int)v;
                break;
        case KEY_DOUBLE:
                *(double *)(void *)field = v;
                break;
        case KEY_DEGREES:
                *(double *)(void *)field = v * M_PI / 180.0;
                break;
        case KEY_MS:
                *(double *)(void *)field = v * 1e-3;
                break;
        case KEY_HOURS:
                *(uint64_t *)(void *)field = (uint64_t)(v * (double)USEC_PER_HOUR);
                break;
        case KEY_DAYS:
                *(uint64_t *)(void *)field = (uint64_t)(v * 24.0 * (double)USEC_PER_HOUR);
                break;
        case KEY_NS:
                *(uint64_t *)(void *)field = (uint64_t)v;
                break;
        case KEY_BOOL:
        case KEY_STRING:
        case KEY_DRIVER:
        case KEY_AXES:
        case KEY_STROKE_MAP:
                break;
        }
        return 0;
}

/* A key whose line was not skipped is set: it wins over Family's draw
 * and over Calibrate's figures. */
static int on_key(struct ini_file *f, const char *name, const char *value)
{
        struct parse *p = f->userdata;
        unsigned bad = p->bad;
        int r;

        p->key = NULL;
        r = apply_key(f, name, value);
        if (p->key && p->bad == bad) {
                p->set[p->key - keys] = true;
                p->config->key_set[p->key - keys] = true;
        }
        return r;
}

/* The over-temperature fault must clear below where it is raised, or it
 * would come back at once. A resume point too high moves below the stop
 * point; where the limit and margin leave no room for one above
 * RESUME_MIN_C, the margin goes back to its default: the (perhaps lower,
 * safer) limit stays. Returns whether anything changed. */
static bool fix_temperatures(struct safety_params *s, const char *path)
{
        double stop_c = s->temperature_limit_c - s->temperature_margin_c;

        if (s->temperature_resume_c < stop_c)
                return false;
        if (stop_c - RESUME_BELOW_STOP_C < RESUME_MIN_C) {
                struct safety_params defaults;

                safety_params_default(&defaults);
                log_error("%s: TemperatureLimit %g °C less TemperatureMargin %g °C leaves no "
                          "TemperatureResume of %g °C or more below it; using a margin of %g °C.",
                          path, s->temperature_limit_c, s->temperature_margin_c, RESUME_MIN_C,
                          defaults.temperature_margin_c);
                s->temperature_margin_c = defaults.temperature_margin_c;
                stop_c = s->temperature_limit_c - s->temperature_margin_c;
        }
        log_error("%s: TemperatureResume %g °C must be below TemperatureLimit less "
                  "TemperatureMargin; using %g °C.", path, s->temperature_resume_c,
                  stop_c - RESUME_BELOW_STOP_C);
        s->temperature_resume_c = stop_c - RESUME_BELOW_STOP_C;
        return true;
}

/* The critical threshold stops at once, the low one at the step's end:
 * one at or above the other would never let the low one act. */
static bool fix_battery_thresholds(struct battery_policy *p, const char *path)
{
        struct battery_policy defaults;

        if (p->critical_percent < p->low_percent)
                return false;
        battery_policy_default(&defaults);
        log_error("%s: CriticalPercent %g %% must be below LowPercent %g %%; using %g %% and %g %%.",
                  path, p->critical_percent, p->low_percent, defaults.critical_percent,
                  defaults.low_percent);
        p->critical_percent = defaults.critical_percent;
        p->low_percent = defaults.low_percent;
        return true;
}

/* Family= draws the simulated gun's constants; a key the file sets
 * itself keeps its value, wherever it stands in the section. */
static void draw_family(struct parse *p)
{
        struct sim_gun_params drawn;
        size_t base = FIELD(simulator);

        if (!p->config->simulator_family)
                return;
        sim_gun_params_family(&drawn, p->config->simulator_family);
        for (size_t i = 0; i < KEYS; i++) {
                size_t size = keys[i].type == KEY_DOUBLE || keys[i].type == KEY_MS ? sizeof(double) :
                              keys[i].type == KEY_UNSIGNED ? sizeof(unsigned) :
                                            keys[i].type == KEY_BOOL ? sizeof(bool) : sizeof(int[3]);

                if (strcmp(keys[i].section, "Simulator") != 0 || p->set[i] ||
                    keys[i].offset < base || keys[i].offset >= base + sizeof(drawn))
                        continue;
                memcpy((unsigned char *)p->config + keys[i].offset,
                       (const unsigned char *)&drawn + (keys[i].offset - base), size);
        }
}

/* The model's stroke range must be one; its pack has the [Battery]
 * curve and cells. */
static bool fix_simulator(struct settings *c, const char *path)
{
        struct sim_gun_params defaults, *s = &c->simulator;
        struct battery_curve curve;
        char error[256];

        s->pack_cells = c->hw.battery.cells;
        /* a board that leaves its stroke sensor to the simulated gun gets one */
        if (c->hw.stroke_sensor.driver == HW_SIMULATED)
                s->stroke_sensor = true;
        if (battery_curve_parse(&curve, c->hw.battery.curve, error, sizeof(error)) == 0)
                s->pack_curve = curve;
        else
                log_error("%s: [Battery] Curve \"%s\": %s; the simulated pack keeps a Li-ion cell's.",
                          path, c->hw.battery.curve, error);
        if (s->stroke_min_mm < s->stroke_max_mm)
                return false;
        sim_gun_params_default(&defaults);
        log_error("%s: [Simulator] StrokeMin %g mm must be below StrokeMax %g mm; using %g mm and %g mm.",
                  path, s->stroke_min_mm, s->stroke_max_mm, defaults.stroke_min_mm,
                  defaults.stroke_max_mm);
        s->stroke_min_mm = defaults.stroke_min_mm;
        s->stroke_max_mm = defaults.stroke_max_mm;
        return true;
}

int settings_load(struct settings *c, const char *path)
{
        char error[512];
        struct parse p = {
                .ini = {
                        .path = path,
                        .kind = "configuration file",
                        .on_section = on_section,
                        .on_key = on_key,
                        .error = error,
                        .error_size = sizeof(error),
                },
                .config = c,
        };
        int r;

        p.ini.userdata = &p;
        r = ini_file_parse(&p.ini);
        if (r == -ENOENT && p.ini.line == 0) {
                log_debug("No %s, using the defaults.", path);
                return 0;
        }
        if (r < 0) {
                log_error("%s; the rest of the file is ignored.", error);
                p.bad++;
        }
        /* also after an error: the lines before it still apply */
        if (fix_temperatures(&c->safety, path))
                p.bad++;
        if (fix_battery_thresholds(&c->power, path))
                p.bad++;
        draw_family(&p);
        if (fix_simulator(c, path))
                p.bad++;
        return (int)p.bad;
}
