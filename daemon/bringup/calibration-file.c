/* SPDX-License-Identifier: MIT */
#include "calibration-file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/session/ini-file.h"
#include "drivers/hw-config.h"
#include "daemon/stroke-sensor-map-text.h"

/* Every figure the file holds: its key there and in GetCalibration. */
struct field {
        const char *key;                /* in the file */
        const char *name;               /* in GetCalibration, with its unit */
        size_t offset;                  /* a double in struct calibration_record */
        double min, max;
        bool optional;                  /* files from before it was measured lack it: 0 */
};

#define RESULT(f) (offsetof(struct calibration_record, result) + offsetof(struct calibration_result, f))

static const struct field fields[] = {
        { "TorqueConstant", "torque_constant_nm_per_a", RESULT(motor.torque_constant_nm_per_a), 1e-4, 10, false },
        { "Resistance", "resistance_ohm", RESULT(motor.resistance_ohm), 1e-3, 100, false },
        { "Inertia", "inertia_kg_m2", RESULT(motor.inertia_kg_m2), 1e-9, 1, false },
        { "Viscous", "viscous_nm_s_per_rad", RESULT(motor.viscous_nm_s_per_rad), 0, 1, false },
        { "Coulomb", "coulomb_nm", RESULT(motor.coulomb_nm), 0, 10, false },
        { "FeedForward", "ff_duty_per_ppm", RESULT(speed.ff_duty_per_ppm), 0, 0.01, false },
        { "FeedForwardOffset", "ff_duty_offset", RESULT(speed.ff_duty_offset), 0, 0.5, false },
        { "SpeedKp", "speed_kp_duty_per_ppm", RESULT(speed.kp_duty_per_ppm), 0, 0.01, false },
        { "SpeedKi", "speed_ki_duty_per_ppm_s", RESULT(speed.ki_duty_per_ppm_s), 0, 1, false },
        { "StrokeGain", "stroke_gain", RESULT(stroke_gain), 1, 200, false },
        { "HeadMass", "head_mass_kg", RESULT(head_mass_kg), 0.001, 10, false },
        { "BusVoltage", "bus_voltage_v", RESULT(bus_voltage_v), 1, 100, false },
        { "EncoderZero", "encoder_zero_rad", RESULT(frame.encoder_zero_rad), 0, 2 * M_PI, false },
        { "IMUDelay", "imu_delay_s", RESULT(frame.imu_delay_s), 0, 0.01, true },
};
#define FIELDS (sizeof(fields) / sizeof(fields[0]))

static double *field_of(struct calibration_record *rec, const struct field *f)
{
        return (double *)(void *)((char *)rec + f->offset);
}

static double field_value(const struct calibration_record *rec, const struct field *f)
{
        return *(const double *)(const void *)((const char *)rec + f->offset);
}

static void axes_text(const int axes[3], char text[16])
{
        snprintf(text, 16, "%s%c,%s%c,%s%c", axes[0] < 0 ? "-" : "", 'x' + abs(axes[0]) - 1,
                 axes[1] < 0 ? "-" : "", 'x' + abs(axes[1]) - 1, axes[2] < 0 ? "-" : "",
                 'x' + abs(axes[2]) - 1);
}

int calibration_file_save(const char *path, const struct calibration_record *rec)
{
        char tmp[PATH_MAX], axes[16];
        FILE *f;
        int fd, r = 0;

        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        axes_text(rec->result.frame.imu_axes, axes);
        fprintf(f, "# What percussd's Calibrate measured on this gun. A key set in the\n"
                   "# configuration file wins over the figure here.\n"
                   "[Calibration]\nVersion=%d\nWhen=%" PRIu64 "\n", CALIBRATION_FILE_VERSION,
                rec->when_usec);
        for (size_t i = 0; i < FIELDS; i++)
                fprintf(f, "%s=%.9g\n", fields[i].key, field_value(rec, &fields[i]));
        fprintf(f, "EncoderReversed=%s\nIMUAxes=%s\n", rec->result.frame.encoder_reversed ? "yes" : "no",
                axes);
        /* a gun without a stroke sensor has no map to keep */
        if (rec->result.stroke_sensor_measured) {
                char map[192];

                stroke_sensor_map_format(&rec->result.stroke_sensor_map, map, sizeof(map));
                fprintf(f, "StrokeSensorMap=%s\n", map);
        }
        if (fflush(f) != 0 || fsync(fd) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        /* the rename itself, on the disk */
        {
                char dir[PATH_MAX];
                char *slash;

                snprintf(dir, sizeof(dir), "%s", path);
                slash = strrchr(dir, '/');
                if (slash) {
                        *slash = '\0';
                        fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0) {
                                (void)fsync(fd);
                                close(fd);
                        }
                }
        }
        return 0;
}

struct load {
        struct calibration_record rec;
        bool seen[FIELDS];
        bool version, when, reversed, axes, in_section;
};

static int on_section(struct ini_file *f, const char *name, int name_len)
{
        struct load *l = f->userdata;

        if (name_len != (int)strlen("Calibration") || strncmp(name, "Calibration", (size_t)name_len) != 0)
                return ini_file_error(f, f->line, -EINVAL, "unknown section [%.*s]; expected [Calibration]",
                                      name_len, name);
        l->in_section = true;
        return 0;
}

static int parse_double(struct ini_file *f, const char *key, const char *value, double min,
                        double max, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(value, &end);
        if (end == value || *end || errno == ERANGE || !isfinite(v))
                return ini_file_error(f, f->line, -EINVAL, "%s \"%s\" is not a number", key, value);
        if (v < min || v > max)
                return ini_file_error(f, f->line, -EINVAL, "%s %g is outside %g–%g", key, v, min, max);
        *out = v;
        return 0;
}

static int on_key(struct ini_file *f, const char *key, const char *value)
{
        struct load *l = f->userdata;
        double v;
        int r;

        if (!l->in_section)
                return ini_file_error(f, f->line, -EINVAL, "%s is in no section", key);
        if (strcmp(key, "Version") == 0) {
                r = parse_double(f, key, value, 1, 1e9, &v);
                if (r < 0)
                        return r;
                if (v > CALIBRATION_FILE_VERSION)
                        return ini_file_error(f, f->line, -EINVAL, "version %g is newer than this "
                                              "percussd's %d", v, CALIBRATION_FILE_VERSION);
                l->version = true;
                return 0;
        }
        if (strcmp(key, "When") == 0) {
                r = parse_double(f, key, value, 0, 1e19, &v);
                if (r < 0)
                        return r;
                l->rec.when_usec = (uint64_t)v;
                l->when = true;
                return 0;
        }
        if (strcmp(key, "EncoderReversed") == 0) {
                if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
                        return ini_file_error(f, f->line, -EINVAL, "%s \"%s\" is not yes or no", key, value);
                l->rec.result.frame.encoder_reversed = strcmp(value, "yes") == 0;
                l->reversed = true;
                return 0;
        }
        if (strcmp(key, "IMUAxes") == 0) {
                if (hw_parse_axes(value, l->rec.result.frame.imu_axes) < 0)
                        return ini_file_error(f, f->line, -EINVAL, "%s \"%s\" does not name each of "
                                              "x, y, z once", key, value);
                l->axes = true;
                return 0;
        }
        if (strcmp(key, "StrokeSensorMap") == 0) {
                char why[192];

                if (stroke_sensor_map_parse(&l->rec.result.stroke_sensor_map, value, why, sizeof(why)) < 0)
                        return ini_file_error(f, f->line, -EINVAL, "%s \"%s\": %s", key, value, why);
                l->rec.result.stroke_sensor_measured = true;
                return 0;
        }
        for (size_t i = 0; i < FIELDS; i++)
                if (strcmp(key, fields[i].key) == 0) {
                        r = parse_double(f, key, value, fields[i].min, fields[i].max,
                                         field_of(&l->rec, &fields[i]));
                        if (r < 0)
                                return r;
                        l->seen[i] = true;
                        return 0;
                }
        return ini_file_error(f, f->line, -EINVAL, "unknown key %s", key);
}

int calibration_file_load(const char *path, struct calibration_record *rec, char *error,
                          size_t error_size)
{
        struct load l = { .version = false };
        struct ini_file f = {
                .path = path,
                .kind = "calibration file",
                .on_section = on_section,
                .on_key = on_key,
                .userdata = &l,
                .error = error,
                .error_size = error_size,
        };
        int r;

        r = ini_file_parse(&f);
        if (r == -ENOENT && f.line == 0)
                return -ENOENT;
        if (r < 0)
                return -EINVAL;
        for (size_t i = 0; i < FIELDS; i++)
                if (!l.seen[i] && !fields[i].optional) {
                        snprintf(error, error_size, "%s: %s is missing", path, fields[i].key);
                        return -EINVAL;
                }
        if (!l.version || !l.when || !l.reversed || !l.axes) {
                snprintf(error, error_size, "%s: %s is missing", path,
                         !l.version ? "Version" : !l.when ? "When" : !l.reversed ? "EncoderReversed" :
                                                                                  "IMUAxes");
                return -EINVAL;
        }
        *rec = l.rec;
        return 0;
}

/* One figure: the file's key wins, else the calibration's; told in the
 * key's unit (the setting times shown_per_unit). */
static void apply_scaled(const struct settings *c, const char *config_path, const char *section,
                         const char *key, double *setting, double measured, double shown_per_unit)
{
        if (settings_key_set(c, section, key)) {
                log_info("%s: [%s] %s=%g wins over Calibrate's %g.", config_path, section, key,
                         *setting * shown_per_unit, measured * shown_per_unit);
                return;
        }
        *setting = measured;
        log_debug("[%s] %s=%g, from Calibrate.", section, key, measured * shown_per_unit);
}

static void apply(const struct settings *c, const char *config_path, const char *section,
                  const char *key, double *setting, double measured)
{
        apply_scaled(c, config_path, section, key, setting, measured, 1.0);
}

void calibration_apply_settings(const struct calibration_record *rec, struct settings *c,
                                const char *config_path)
{
        const struct calibration_result *res = &rec->result;
        struct control_params *p = &c->control;
        double reversed = res->frame.encoder_reversed;

        apply(c, config_path, "Force", "TorqueConstant", &p->force.torque_constant_nm_per_a,
              res->motor.torque_constant_nm_per_a);
        apply(c, config_path, "Force", "Resistance", &p->force.resistance_ohm, res->motor.resistance_ohm);
        apply(c, config_path, "Force", "Inertia", &p->force.inertia_kg_m2, res->motor.inertia_kg_m2);
        apply(c, config_path, "Force", "Viscous", &p->force.viscous_nm_s_per_rad,
              res->motor.viscous_nm_s_per_rad);
        apply(c, config_path, "Force", "Coulomb", &p->force.coulomb_nm, res->motor.coulomb_nm);
        /* a runaway is told from a healthy coast by this gun's own friction
         * and inertia: the reference gun's would take a flywheel's coast
         * for a driver stuck on */
        apply(c, config_path, "Safety", "SpinDownRate", &c->safety.spin_down_ppm_per_s,
              calibration_spin_down_ppm_per_s(res, &c->safety));
        apply(c, config_path, "Control", "FeedForward", &p->speed.ff_duty_per_ppm, res->speed.ff_duty_per_ppm);
        apply(c, config_path, "Control", "FeedForwardOffset", &p->speed.ff_duty_offset,
              res->speed.ff_duty_offset);
        apply(c, config_path, "Control", "SpeedKp", &p->speed.kp_duty_per_ppm, res->speed.kp_duty_per_ppm);
        apply(c, config_path, "Control", "SpeedKi", &p->speed.ki_duty_per_ppm_s, res->speed.ki_duty_per_ppm_s);
        apply(c, config_path, "Amplitude", "StrokeGain", &p->stroke_estimator.gain, res->stroke_gain);
        apply_scaled(c, config_path, "Encoder", "Zero", &p->frame.encoder_zero_rad,
                     res->frame.encoder_zero_rad, 180.0 / M_PI);
        apply(c, config_path, "Encoder", "Reversed", &reversed, res->frame.encoder_reversed);
        apply_scaled(c, config_path, "IMU", "Delay", &p->frame.imu_delay_s, res->frame.imu_delay_s, 1e3);
        p->frame.encoder_reversed = reversed != 0.0;
        /* Calibrate measured the axes through the driver's map: with the
         * file's [IMU] Axes set, that map is the file's and stays alone */
        if (settings_key_set(c, "IMU", "Axes"))
                log_info("%s: [IMU] Axes wins over the axes Calibrate measured.", config_path);
        else
                memcpy(p->frame.imu_axes, res->frame.imu_axes, sizeof(p->frame.imu_axes));
        if (!res->stroke_sensor_measured)
                return;
        if (settings_key_set(c, "StrokeSensor", "Map"))
                log_info("%s: [StrokeSensor] Map wins over the map Calibrate measured.", config_path);
        else
                p->stroke_sensor_map = res->stroke_sensor_map;
}

const char *calibration_record_field(const struct calibration_record *rec, size_t i, double *value)
{
        if (i < FIELDS) {
                *value = field_value(rec, &fields[i]);
                return fields[i].name;
        }
        static const char *const sensor_names[4] = {
                "stroke_sensor_min_stroke_v", "stroke_sensor_min_stroke_mm",
                "stroke_sensor_max_stroke_v", "stroke_sensor_max_stroke_mm",
        };
        const struct stroke_sensor_map *map = &rec->result.stroke_sensor_map;

        if (i == FIELDS) {
                *value = rec->result.frame.encoder_reversed;
                return "encoder_reversed";
        }
        /* the sensor's map at the actuator's two ends, where Calibrate measured it */
        if (rec->result.stroke_sensor_measured && i - FIELDS - 1 < 4 && map->count >= 2) {
                unsigned point = (i - FIELDS - 1) / 2 ? map->count - 1 : 0;

                *value = (i - FIELDS - 1) % 2 ? map->stroke_mm[point] : map->volts[point];
                return sensor_names[i - FIELDS - 1];
        }
        return NULL;
}
