/* SPDX-License-Identifier: MIT */
/*
 * Issue 19's check from outside, on the real daemon (--simulate, in real
 * time, on a private bus): with [Simulator] StrokeCompliance=0.05 and
 * StrokeSensor=yes, SetContactForce 40 keeps TrueAmplitude within 0.3 mm
 * of TargetAmplitude, AmplitudeSource "sensor"; the sensor cut mid-routine
 * holds the stroke (AmplitudeSource "held", a Notice naming the sensor, no
 * fault) until it reads again. Without the sensor the same push shows
 * AmplitudeSource "held" and the stroke the mechanism gives up, which the
 * test prints and holds to the model's 0.05 mm/N × 40 N.
 *
 * The daemon runs on the machine's clock: every wait is for a state, with
 * a deadline far beyond what it takes, never a fixed delay that must do.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"

#define DEADLINE_MS 30000
/* consecutive looks, 50 ms apart, that must all be inside the bar */
#define LOOKS 20

static struct daemon_fixture fixture;
static char config_path[64];

static void start_with(const char *simulator_keys)
{
        char dir[] = "/tmp/percussd-stroke-XXXXXX";
        const char *args[] = { "--config", config_path, NULL };
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(config_path, sizeof(config_path), "%s/percussd.conf", dir);
        f = fopen(config_path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "[Safety]\nOverrunStreak=100\n[Simulator]\n%s", simulator_keys);
        ck_assert_int_eq(fclose(f), 0);
        daemon_fixture_start(&fixture, args);
}

static void teardown(void)
{
        char dir[sizeof(config_path)];

        daemon_fixture_stop(&fixture);
        snprintf(dir, sizeof(dir), "%s", config_path);
        *strrchr(dir, '/') = '\0';
        unlink(config_path);
        rmdir(dir);
}

static double simulator_double(const char *property)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        double value = NAN;
        int r = sd_bus_get_property_trivial(fixture.bus, "io.percussd.Massager1", "/io/percussd/Simulator1",
                                            "io.percussd.Simulator1", property, &error, 'd', &value);

        ck_assert_msg(r >= 0, "Simulator1.%s: %s", property, error.message ? error.message : "");
        sd_bus_error_free(&error);
        return value;
}

/* CutSensor as a client calls it: the D-Bus error's name, or NULL when it succeeded. */
static char *cut_sensor_error(const char *sensor)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *name = NULL;
        int r = sd_bus_call_method(fixture.bus, "io.percussd.Massager1", "/io/percussd/Simulator1",
                                   "io.percussd.Simulator1", "CutSensor", &error, NULL, "sb", sensor, 1);

        if (r < 0) {
                name = strdup(error.name ? error.name : "?");
                ck_assert_msg(error.message && strstr(error.message, "encoder and imu."),
                              "CutSensor %s: %s", sensor, error.message ? error.message : "");
        }
        sd_bus_error_free(&error);
        return name;
}

static double stroke_error_mm(void)
{
        return simulator_double("TrueAmplitude") - fixture_get_double(&fixture, "TargetAmplitude");
}

/* Looks until LOOKS in a row have |TrueAmplitude − TargetAmplitude| within
 * bar_mm of expected_mm; the last look's error, or NAN past the deadline. */
static double wait_stroke(double expected_mm, double bar_mm)
{
        long deadline = fixture_now_ms() + DEADLINE_MS;
        unsigned inside = 0;
        double error_mm = NAN;

        while (fixture_now_ms() < deadline && inside < LOOKS) {
                error_mm = stroke_error_mm();
                inside = fabs(error_mm - expected_mm) <= bar_mm ? inside + 1 : 0;
                usleep(50000);
        }
        return inside == LOOKS ? error_mm : NAN;
}

/* The Notice once it holds words, or what it holds at the deadline. */
static char *wait_notice(const char *words)
{
        long deadline = fixture_now_ms() + DEADLINE_MS;
        char *notice = fixture_get_string(&fixture, "Notice");

        while (!strstr(notice, words) && fixture_now_ms() < deadline) {
                free(notice);
                usleep(20000);
                notice = fixture_get_string(&fixture, "Notice");
        }
        ck_assert_msg(strstr(notice, words), "Notice \"%s\" does not say \"%s\"", notice, words);
        return notice;
}

/* percussctl status's Stroke line, as a person sees it. */
static void expect_status_stroke(const char *words)
{
        char command[256], out[4096] = "";
        size_t used = 0;
        FILE *p;

        snprintf(command, sizeof(command), "%s --address=%s status", PERCUSSCTL_PATH, fixture.address);
        p = popen(command, "r");
        ck_assert_ptr_nonnull(p);
        while (used + 1 < sizeof(out) && fgets(out + used, (int)(sizeof(out) - used), p))
                used = strlen(out);
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_msg(strstr(out, words), "percussctl status does not say \"%s\":\n%s", words, out);
}

static void press_40_n(void)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", DEADLINE_MS));
        /* in the air first, as a person does */
        ck_assert(isfinite(wait_stroke(0.0, 0.3)));
        fixture_simulator(&fixture, "SetContactForce", "d", 40.0);
}

START_TEST(test_sensor_holds_40_n)
{
        char *notice;
        double error_mm;

        start_with("StrokeCompliance=0.05\nStrokeSensor=yes\n");
        fixture_expect_string(&fixture, "AmplitudeSource", "none");
        press_40_n();
        ck_assert(fixture_wait_string(&fixture, "AmplitudeSource", "sensor", DEADLINE_MS));
        error_mm = wait_stroke(0.0, 0.3);
        fprintf(stderr, "0.05 mm/N, stroke sensor, 40 N: TrueAmplitude − TargetAmplitude %+.3f mm "
                        "(%u looks in a row within ±0.3 mm), Amplitude %.2f mm\n", error_mm, LOOKS,
                fixture_get_double(&fixture, "Amplitude"));
        ck_assert_msg(isfinite(error_mm), "TrueAmplitude not within 0.3 mm of TargetAmplitude: %+.3f mm",
                      stroke_error_mm());
        fixture_expect_string(&fixture, "AmplitudeSource", "sensor");
        expect_status_stroke(" mm measured (sensor)\n");

        /* the sensor goes silent mid-routine: held, told, no fault */
        fixture_simulator(&fixture, "CutSensor", "sb", "stroke", 1);
        ck_assert(fixture_wait_string(&fixture, "AmplitudeSource", "held", DEADLINE_MS));
        /* told at the next telemetry tick */
        notice = wait_notice("stroke sensor");
        fprintf(stderr, "the sensor cut: Notice \"%s\"\n", notice);
        ck_assert_msg(strstr(notice, "held"), "Notice: %s", notice);
        free(notice);
        fixture_expect_string(&fixture, "State", "running");
        fixture_expect_string(&fixture, "Fault", "");
        fixture_simulator(&fixture, "CutSensor", "sb", "stroke", 0);
        ck_assert(fixture_wait_string(&fixture, "AmplitudeSource", "sensor", DEADLINE_MS));
        ck_assert(fixture_wait_string(&fixture, "Notice", "", DEADLINE_MS));
        ck_assert(isfinite(wait_stroke(0.0, 0.3)));
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "AmplitudeSource", "none", DEADLINE_MS));
}
END_TEST

START_TEST(test_without_sensor_held)
{
        char *name;
        double error_mm;

        start_with("StrokeCompliance=0.05\n");
        press_40_n();
        ck_assert(fixture_wait_string(&fixture, "AmplitudeSource", "held", DEADLINE_MS));
        /* the mechanism gives up 0.05 mm/N × 40 N */
        error_mm = wait_stroke(-2.0, 0.3);
        fprintf(stderr, "0.05 mm/N, no stroke sensor, 40 N: TrueAmplitude − TargetAmplitude %+.3f mm, "
                        "Amplitude %.2f mm (held)\n", error_mm, fixture_get_double(&fixture, "Amplitude"));
        ck_assert_msg(isfinite(error_mm), "TrueAmplitude − TargetAmplitude %+.3f mm, -2 mm expected",
                      stroke_error_mm());
        expect_status_stroke(" mm measured (held: measured in the air)\n");
        /* a gun without the sensor has none to cut */
        name = cut_sensor_error("stroke");
        ck_assert_ptr_nonnull(name);
        ck_assert_str_eq(name, SD_BUS_ERROR_INVALID_ARGS);
        free(name);
}
END_TEST

static Suite *stroke_sensor_dbus_suite(void)
{
        Suite *s = suite_create("stroke-sensor-dbus");
        TCase *tc = tcase_create("contact");

        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, test_sensor_holds_40_n);
        tcase_add_test(tc, test_without_sensor_held);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(stroke_sensor_dbus_suite());
}
