/* SPDX-License-Identifier: MIT */
/*
 * Calibrate on the real daemon (--simulate, in real time, on a private
 * bus): the whole bring-up, the gun turned head down when the Notice asks,
 * its result kept in the state directory, shown by GetCalibration and
 * loaded again at the next start; and the bad cases of issue 18: a second
 * Calibrate (Busy), Calibrate during a routine (Busy), in fault (Faulted),
 * Start while calibrating (Busy), Stop (cancels), contact and a sensor
 * lost mid-way (CalibrationFinished false, the step named, the motor
 * off), a corrupt calibration file at start (named in the journal, the
 * daemon runs on its configured constants).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "tests/fixtures/calibration-watch.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"

/* Calibrate takes about 25 s on the simulated gun; a loaded machine may
 * stretch the main thread's looks at it, never the gun's own time. */
#define CALIBRATION_TIMEOUT_MS 120000

static struct daemon_fixture fixture;

static void setup(void)
{
        static const char *const args[] = { "--profiles-dir", TEST_PROFILES_DIR, NULL };

        daemon_fixture_start(&fixture, args);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static void call_ok(const char *method)
{
        char *name = NULL, *message = NULL;
        int r = fixture_call(&fixture, method, NULL, &name, &message);

        ck_assert_msg(r >= 0, "%s: %s: %s", method, name ? name : "", message ? message : "");
        free(name);
        free(message);
}

static void call_ok_arg(const char *method, const char *arg)
{
        char *name = NULL, *message = NULL;
        int r = fixture_call(&fixture, method, arg, &name, &message);

        ck_assert_msg(r >= 0, "%s %s: %s: %s", method, arg, name ? name : "", message ? message : "");
        free(name);
        free(message);
}

static void call_refused(const char *method, const char *arg, const char *error_name)
{
        char *name = NULL, *message = NULL;
        int r = fixture_call(&fixture, method, arg, &name, &message);

        ck_assert_msg(r < 0, "%s accepted, %s expected", method, error_name);
        ck_assert_msg(name && strcmp(name, error_name) == 0, "%s answered %s (%s), %s expected",
                      method, name ? name : "nothing", message ? message : "", error_name);
        ck_assert_msg(message && strlen(message) > 20, "%s: no sentence: \"%s\"", method,
                      message ? message : "");
        free(name);
        free(message);
}

static bool motor_enabled(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int value = 1;

        ck_assert_int_ge(sd_bus_get_property_trivial(fixture.bus, BUS_NAME, BUS_SIMULATOR_PATH,
                                                     "io.percussd.Simulator1", "MotorEnabled",
                                                     &error, 'b', &value), 0);
        return value;
}

/* Calibrate, the gun turned head down when asked; returns once the motor
 * steps begin. */
static void calibrate_to_motor(struct calibration_watch *f)
{
        calibration_watch_start(&fixture, f);
        call_ok("Calibrate");
        fixture_expect_string(&fixture, "State", "calibrating");
        fixture_expect_string(&fixture, "CalibrationState", "running");
        ck_assert_msg(calibration_watch_notice(&fixture, f, "head to the floor", 30000),
                      "no Notice asked for head down");
        fixture_simulator(&fixture, "HoldHeadDown", "b", true);
        ck_assert_msg(calibration_watch_notice(&fixture, f, "steps through", 60000),
                      "the motor steps never began: %s", f->message);
}

static size_t calibration_keys(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        size_t keys = 0;
        int r;

        r = sd_bus_call_method(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetCalibration",
                               &error, &reply, NULL);
        ck_assert_msg(r >= 0, "GetCalibration: %s", error.message ? error.message : "");
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
        while (sd_bus_message_skip(reply, "{sv}") > 0)
                keys++;
        sd_bus_message_unref(reply);
        return keys;
}

START_TEST(test_bring_up)
{
        struct calibration_watch f;
        char path[160];

        ck_assert_uint_eq(calibration_keys(), 0);
        fixture_expect_string(&fixture, "CalibrationState", "none");
        calibrate_to_motor(&f);
        calibration_watch_finished(&fixture, &f, CALIBRATION_TIMEOUT_MS);
        fprintf(stderr, "CalibrationFinished: %s\n", f.message);
        ck_assert_msg(f.ok, "calibration failed: %s", f.message);
        fixture_expect_string(&fixture, "CalibrationState", "done");
        fixture_expect_string(&fixture, "State", "idle");
        ck_assert_double_eq(fixture_get_double(&fixture, "CalibrationProgress"), 1.0);
        ck_assert_uint_ge(calibration_keys(), 10);
        snprintf(path, sizeof(path), "%s/calibration.conf", fixture.dir);
        ck_assert_int_eq(access(path, R_OK), 0);

        /* kept: the next start runs on it */
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 5000), 0);
        daemon_fixture_log_to_file(&fixture);
        daemon_fixture_restart(&fixture, (const char *const[]){ "--profiles-dir", TEST_PROFILES_DIR, NULL });
        fixture_expect_string(&fixture, "CalibrationState", "done");
        ck_assert_uint_ge(calibration_keys(), 10);
        ck_assert(fixture_log_has_line(&fixture, (const char *const[]){ "calibration.conf", "Running on the calibration", NULL }));
        call_ok_arg("Start", "quick");
}
END_TEST

START_TEST(test_busy_and_stop)
{
        struct calibration_watch f;

        calibration_watch_start(&fixture, &f);
        call_ok("Calibrate");
        call_refused("Calibrate", NULL, BUS_ERROR_BUSY);
        call_refused("Start", "quick", BUS_ERROR_BUSY);
        call_ok("Stop");
        while (sd_bus_process(fixture.bus, NULL) > 0)
                ;
        calibration_watch_finished(&fixture, &f, CALIBRATION_TIMEOUT_MS);
        ck_assert(!f.ok);
        ck_assert_msg(strstr(f.message, "cancelled"), "Stop's CalibrationFinished: %s", f.message);
        fixture_expect_string(&fixture, "State", "idle");
        fixture_expect_string(&fixture, "CalibrationState", "failed");
        ck_assert(!motor_enabled());
}
END_TEST

START_TEST(test_busy_during_routine)
{
        call_ok_arg("Start", "quick");
        call_refused("Calibrate", NULL, BUS_ERROR_BUSY);
        fixture_expect_string(&fixture, "State", "running");
}
END_TEST

START_TEST(test_faulted)
{
        /* the temperature is watched while the motor runs */
        call_ok_arg("Start", "quick");
        fixture_simulator(&fixture, "SetTemperature", "d", 69.0);
        ck_assert(fixture_wait_string(&fixture, "State", "fault", 10000));
        call_refused("Calibrate", NULL, BUS_ERROR_FAULTED);
        fixture_expect_string(&fixture, "CalibrationState", "none");
}
END_TEST

START_TEST(test_contact_aborts)
{
        struct calibration_watch f;

        calibrate_to_motor(&f);
        fixture_simulator(&fixture, "SetContactForce", "d", 40.0);
        calibration_watch_finished(&fixture, &f, CALIBRATION_TIMEOUT_MS);
        ck_assert(!f.ok);
        /* the head's quadrature, or (the gun held head down, the push
         * lifting the IMU's reading of gravity) the drop detector */
        ck_assert_msg(strstr(f.message, "motor (move") &&
                      (strstr(f.message, "touched") || strstr(f.message, "fault drop")),
                      "contact's CalibrationFinished: %s", f.message);
        ck_assert(!motor_enabled());
        fixture_expect_string(&fixture, "CalibrationState", "failed");
        ck_assert_uint_eq(calibration_keys(), 0);
}
END_TEST

START_TEST(test_sensor_lost_aborts)
{
        struct calibration_watch f;

        calibrate_to_motor(&f);
        fixture_simulator(&fixture, "CutSensor", "sb", "encoder", true);
        calibration_watch_finished(&fixture, &f, CALIBRATION_TIMEOUT_MS);
        ck_assert(!f.ok);
        ck_assert_msg(strstr(f.message, "sensor-lost"), "a lost sensor's CalibrationFinished: %s",
                      f.message);
        ck_assert(!motor_enabled());
}
END_TEST

START_TEST(test_corrupt_file_at_start)
{
        char path[160];
        FILE *file;

        snprintf(path, sizeof(path), "%s/calibration.conf", fixture.dir);
        file = fopen(path, "we");
        ck_assert_ptr_nonnull(file);
        fputs("[Calibration]\nVersion=1\nStrokeGain=many\n", file);
        ck_assert_int_eq(fclose(file), 0);
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 5000), 0);
        daemon_fixture_log_to_file(&fixture);
        daemon_fixture_restart(&fixture, (const char *const[]){ "--profiles-dir", TEST_PROFILES_DIR, NULL });
        ck_assert(fixture_log_has_line(&fixture, (const char *const[]){ "calibration.conf:3",
                                                                        "StrokeGain", "ignored", NULL }));
        fixture_expect_string(&fixture, "CalibrationState", "none");
        ck_assert_uint_eq(calibration_keys(), 0);
        fixture_expect_string(&fixture, "State", "idle");
}
END_TEST

int main(void)
{
        Suite *s = suite_create("calibrate");
        TCase *tc = tcase_create("calibrate");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_busy_and_stop);
        tcase_add_test(tc, test_busy_during_routine);
        tcase_add_test(tc, test_faulted);
        tcase_add_test(tc, test_corrupt_file_at_start);
        tcase_add_test(tc, test_contact_aborts);
        tcase_add_test(tc, test_sensor_lost_aborts);
        tcase_add_test(tc, test_bring_up);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
