/* SPDX-License-Identifier: MIT */
/* The calibration kept in the state directory: written and read back
 * whole, a damaged file refused with its line named, and a key the
 * configuration file set winning over Calibrate's figure. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/bringup/calibration-file.h"
#include "tests/fixtures/check-main.h"

static char dir[] = "/tmp/percussd-calibration-XXXXXX";

static const char *path_of(const char *name)
{
        static char path[128];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static const char *write_text(const char *name, const char *text)
{
        const char *path = path_of(name);
        FILE *f = fopen(path, "we");

        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
        char command[160];

        snprintf(command, sizeof(command), "rm -rf %s", dir);
        ck_assert_int_eq(system(command), 0);
        strcpy(dir, "/tmp/percussd-calibration-XXXXXX");
}

static struct calibration_record sample(void)
{
        struct calibration_record rec = { .when_usec = 1764750000123456ull };
        struct calibration_result *res = &rec.result;

        res->motor = (struct motor_identity){
                .torque_constant_nm_per_a = 0.0481, .resistance_ohm = 0.47, .inertia_kg_m2 = 4.2e-5,
                .viscous_nm_s_per_rad = 2.3e-5, .coulomb_nm = 0.012,
        };
        res->speed = (struct speed_control_params){ .kp_duty_per_ppm = 6e-4, .ki_duty_per_ppm_s = 0.07,
                                                    .ff_duty_per_ppm = 2.9e-4, .ff_duty_offset = 0.004 };
        res->stroke_gain = 11.3;
        res->head_mass_kg = 0.14;
        res->bus_voltage_v = 22.9;
        res->frame = (struct sensor_frame){ .encoder_reversed = true, .encoder_zero_rad = 2.5,
                                            .imu_axes = { -3, 1, -2 }, .imu_delay_s = 1.7e-3 };
        return rec;
}

/* A gun with a stroke sensor: its map, measured at the actuator's ends. */
static struct calibration_record sample_with_sensor(void)
{
        struct calibration_record rec = sample();

        rec.result.stroke_sensor_measured = true;
        rec.result.stroke_sensor_map = (struct stroke_sensor_map){
                .count = 2, .volts = { 2.91, 0.47 }, .stroke_mm = { 4.02, 15.97 } };
        return rec;
}

START_TEST(test_round_trip)
{
        struct calibration_record rec = sample(), back;
        char error[256];
        double value;
        const char *name;

        ck_assert_int_eq(calibration_file_save(path_of(CALIBRATION_FILE), &rec), 0);
        ck_assert_int_eq(access(path_of(CALIBRATION_FILE ".tmp"), F_OK), -1);
        ck_assert_int_eq(calibration_file_load(path_of(CALIBRATION_FILE), &back, error, sizeof(error)), 0);
        ck_assert_uint_eq(back.when_usec, rec.when_usec);
        for (size_t i = 0; (name = calibration_record_field(&rec, i, &value)); i++) {
                double other;

                ck_assert_str_eq(calibration_record_field(&back, i, &other), name);
                ck_assert_double_eq_tol(other, value, fabs(value) * 1e-8);
        }
        ck_assert(back.result.frame.encoder_reversed);
        ck_assert(memcmp(back.result.frame.imu_axes, rec.result.frame.imu_axes, sizeof(int[3])) == 0);
        ck_assert(!back.result.stroke_sensor_measured);
}
END_TEST

/* The stroke sensor's map kept, and shown by GetCalibration at both ends. */
START_TEST(test_round_trip_stroke_sensor)
{
        struct calibration_record rec = sample_with_sensor(), back;
        char error[256];
        double value = 0.0;
        const char *name;
        size_t i;

        ck_assert_int_eq(calibration_file_save(path_of(CALIBRATION_FILE), &rec), 0);
        ck_assert_int_eq(calibration_file_load(path_of(CALIBRATION_FILE), &back, error, sizeof(error)), 0);
        ck_assert(back.result.stroke_sensor_measured);
        ck_assert_uint_eq(back.result.stroke_sensor_map.count, 2);
        ck_assert_double_eq_tol(back.result.stroke_sensor_map.volts[1], 0.47, 1e-9);
        ck_assert_double_eq_tol(back.result.stroke_sensor_map.stroke_mm[1], 15.97, 1e-9);
        for (i = 0; (name = calibration_record_field(&back, i, &value)); i++)
                if (strcmp(name, "stroke_sensor_max_stroke_v") == 0)
                        break;
        ck_assert_ptr_nonnull(name);
        ck_assert_double_eq_tol(value, 0.47, 1e-9);
        ck_assert_str_eq(calibration_record_field(&back, i + 1, &value), "stroke_sensor_max_stroke_mm");
        ck_assert_double_eq_tol(value, 15.97, 1e-9);
}
END_TEST

START_TEST(test_none)
{
        struct calibration_record rec;
        char error[256];

        ck_assert_int_eq(calibration_file_load(path_of("absent.conf"), &rec, error, sizeof(error)), -ENOENT);
}
END_TEST

/* Each damage, refused whole, the file and the line named. */
START_TEST(test_damaged)
{
        static const struct { const char *text, *said; } cases[] = {
                { "", "missing" },
                { "[Calibration]\nVersion=1\nWhen=5\nStrokeGain=abc\n", ":4: StrokeGain \"abc\" is not a number" },
                { "[Calibration]\nVersion=9\n", ":2: version 9 is newer" },
                { "[Calibration]\nColour=red\n", ":2: unknown key Colour" },
                { "[Gun]\n", ":1: unknown section [Gun]" },
                { "[Calibration]\nVersion=1\nWhen=5\nResistance=-2\n", ":4: Resistance -2 is outside" },
                { "[Calibration]\nVersion=1\nWhen=5\nIMUAxes=x,x,z\n", ":4: IMUAxes" },
                { "\xff\xfe garbage\n", ":1:" },
                { "[Calibration]\nVersion=1\nWhen=5\nStrokeSensorMap=1:4,2:16,1.5:20\n",
                  ":4: StrokeSensorMap \"1:4,2:16,1.5:20\": point 3" },
        };
        struct calibration_record rec = sample(), before = rec;
        char error[256], name[32];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(name, sizeof(name), "bad%zu.conf", i);
                error[0] = '\0';
                ck_assert_int_eq(calibration_file_load(write_text(name, cases[i].text), &rec, error,
                                                       sizeof(error)), -EINVAL);
                ck_assert_msg(strstr(error, name) && strstr(error, cases[i].said),
                              "case %zu: \"%s\" does not say \"%s\"", i, error, cases[i].said);
                ck_assert(memcmp(&rec, &before, sizeof(rec)) == 0);
        }
}
END_TEST

/* The configuration's key wins; the others come from Calibrate. */
START_TEST(test_config_wins)
{
        struct calibration_record rec = sample();
        struct settings s;

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_text("percussd.conf",
                "[Force]\nResistance=0.5\n[Encoder]\nZero=90\n")), 0);
        calibration_apply_settings(&rec, &s, path_of("percussd.conf"));
        ck_assert_double_eq(s.control.force.resistance_ohm, 0.5);
        ck_assert_double_eq_tol(s.control.frame.encoder_zero_rad, M_PI / 2, 1e-12);
        ck_assert_double_eq(s.control.force.torque_constant_nm_per_a, 0.0481);
        ck_assert_double_eq(s.control.stroke_estimator.gain, 11.3);
        ck_assert_double_eq(s.control.speed.ff_duty_per_ppm, 2.9e-4);
        ck_assert(s.control.frame.encoder_reversed);
        ck_assert_int_eq(s.control.frame.imu_axes[0], -3);
        ck_assert_double_eq(s.control.frame.imu_delay_s, 1.7e-3);
}
END_TEST

/* [IMU] Delay, in ms, wins over the delay Calibrate measured. */
START_TEST(test_imu_delay_config_wins)
{
        struct calibration_record rec = sample();
        struct settings s;

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_text("percussd.conf", "[IMU]\nDelay=2.5\n")), 0);
        calibration_apply_settings(&rec, &s, path_of("percussd.conf"));
        ck_assert_double_eq_tol(s.control.frame.imu_delay_s, 2.5e-3, 1e-15);
        ck_assert_double_eq(s.control.frame.encoder_zero_rad, 2.5);
}
END_TEST

/* A file written before Calibrate measured the IMU's delay loads, with
 * none: as the estimators ran then. */
START_TEST(test_file_without_imu_delay)
{
        struct calibration_record rec = sample(), back;
        char error[256], text[2048];
        FILE *f;
        size_t n;

        rec.result.frame.imu_delay_s = 0.0;
        ck_assert_int_eq(calibration_file_save(path_of(CALIBRATION_FILE), &rec), 0);
        f = fopen(path_of(CALIBRATION_FILE), "r");
        ck_assert_ptr_nonnull(f);
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        ck_assert_ptr_nonnull(strstr(text, "IMUDelay=0\n"));
        memmove(strstr(text, "IMUDelay=0\n"), strstr(text, "IMUDelay=0\n") + strlen("IMUDelay=0\n"),
                strlen(strstr(text, "IMUDelay=0\n") + strlen("IMUDelay=0\n")) + 1);
        ck_assert_ptr_null(strstr(text, "IMUDelay"));
        back.result.frame.imu_delay_s = 1.0;
        ck_assert_int_eq(calibration_file_load(write_text("old.conf", text), &back, error, sizeof(error)), 0);
        ck_assert_double_eq(back.result.frame.imu_delay_s, 0.0);
        ck_assert_double_eq(back.result.frame.encoder_zero_rad, 2.5);
}
END_TEST

/* The runaway check's SpinDownRate is half this gun's slowest coast: at
 * the runaway margin's 150 ppm, the 0.14 kg head at the 16 mm stroke
 * adding its inertia; within the key's range; the file's key wins. */
START_TEST(test_spin_down_from_calibrate)
{
        const double rad_s_per_ppm = 2 * M_PI / 60;
        struct calibration_record rec = sample();
        double torque_nm = 0.012 + 2.3e-5 * 150 * rad_s_per_ppm;
        double inertia_kg_m2 = 4.2e-5 + 0.5 * 0.14 * 0.008 * 0.008;
        struct settings s;

        settings_defaults(&s);
        ck_assert_double_eq(s.safety.spin_down_ppm_per_s, 800);
        calibration_apply_settings(&rec, &s, path_of("none.conf"));
        ck_assert_double_eq_tol(s.safety.spin_down_ppm_per_s,
                                0.5 * torque_nm / inertia_kg_m2 / rad_s_per_ppm, 1e-9);
        ck_assert_double_eq_tol(s.safety.spin_down_ppm_per_s, 1269.8, 0.1);

        rec.result.motor.coulomb_nm = rec.result.motor.viscous_nm_s_per_rad = 0.0;
        settings_defaults(&s);
        calibration_apply_settings(&rec, &s, path_of("none.conf"));
        ck_assert_double_eq(s.safety.spin_down_ppm_per_s, 100);

        rec = sample();
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_text("percussd.conf", "[Safety]\nSpinDownRate=500\n")), 0);
        calibration_apply_settings(&rec, &s, path_of("percussd.conf"));
        ck_assert_double_eq(s.safety.spin_down_ppm_per_s, 500);
}
END_TEST

/* Calibrate's sensor map applies, unless [StrokeSensor] Map is set. */
START_TEST(test_stroke_sensor_map_config_wins)
{
        struct calibration_record rec = sample_with_sensor();
        struct settings s;

        settings_defaults(&s);
        calibration_apply_settings(&rec, &s, path_of("none.conf"));
        ck_assert_double_eq(s.control.stroke_sensor_map.volts[0], 2.91);
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_text("percussd.conf", "[StrokeSensor]\nMap=0.5:3,3:17\n")), 0);
        calibration_apply_settings(&rec, &s, path_of("percussd.conf"));
        ck_assert_double_eq(s.control.stroke_sensor_map.volts[0], 0.5);
        ck_assert_double_eq(s.control.stroke_sensor_map.stroke_mm[1], 17);
        /* a map that folds back is refused, naming the point, and the default stays */
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_text("bad.conf", "[StrokeSensor]\nMap=0.5:3,3:17,2:18\n")), 1);
        ck_assert_double_eq(s.control.stroke_sensor_map.volts[0], 0.85);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("calibration-file");
        TCase *tc = tcase_create("file");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_none);
        tcase_add_test(tc, test_damaged);
        tcase_add_test(tc, test_config_wins);
        tcase_add_test(tc, test_spin_down_from_calibrate);
        tcase_add_test(tc, test_imu_delay_config_wins);
        tcase_add_test(tc, test_file_without_imu_delay);
        tcase_add_test(tc, test_round_trip_stroke_sensor);
        tcase_add_test(tc, test_stroke_sensor_map_config_wins);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
