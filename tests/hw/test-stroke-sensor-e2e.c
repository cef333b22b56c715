/* SPDX-License-Identifier: MIT */
/*
 * The stroke sensor end to end on its real driver: percussd without
 * --simulate, the gun's other kinds simulated, [StrokeSensor] Driver=iio
 * on an ADS1115 emulated in a private mount namespace (as in
 * test-stroke-sensor-iio), through the IIO drivers' module as percussd
 * loads it. While a routine plays, the amplitude comes from the ADC's
 * in_voltage0_raw through the map (AmplitudeSource "sensor"); a reading
 * outside the map holds it, with a Notice naming the channel, the device
 * and the volts, and no fault; the next good reading takes over again. An
 * ADC that is not there stops the daemon naming the key.
 *
 * Every wait is for a state on the bus, with a deadline far beyond what
 * it takes.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"
#include "tests/fixtures/emulated-board.h"
#include "tests/fixtures/fake-sysfs.h"

#define ADC "/sys/bus/iio/devices/iio:device0"
#define DEADLINE_MS 20000
/* 14000 counts × 0.125 mV = 1.75 V: 10 mm on the default map 0.85:4,2.65:16 */
#define RAW_10_MM "14000\n"
/* 5 V: far past the map's 2.65 V */
#define RAW_OUT_OF_MAP "40000\n"

static struct emulated_board board;

static void setup(void)
{
        static const char *const no_fifos[] = { NULL };

        board_enter(&board, "stroke-e2e", no_fifos);
        fake_write(ADC "/name", "ads1115\n");
        fake_write(ADC "/in_voltage0_raw", RAW_10_MM);
        fake_write(ADC "/in_voltage0_scale", "0.125000000\n");
}

static void teardown(void)
{
        board_leave(&board);
}

static const char *write_config(const char *adc_device)
{
        return board_write_config(&board, "[Encoder]\nDriver=simulated\n[IMU]\nDriver=simulated\n"
                                          "[Motor]\nDriver=simulated\n[Stroke]\nDriver=simulated\n"
                                          "[Buttons]\nDriver=simulated\n[LEDs]\nDriver=simulated\n"
                                          "[StrokeSensor]\nDriver=iio\nDevice=%s\nChannel=voltage0\n"
                                          "[Safety]\nOverrunStreak=100\n", adc_device);
}

static char *wait_notice(struct daemon_fixture *f, const char *words)
{
        long deadline = fixture_now_ms() + DEADLINE_MS;
        char *notice = fixture_get_string(f, "Notice");

        while (!strstr(notice, words) && fixture_now_ms() < deadline) {
                free(notice);
                usleep(20000);
                notice = fixture_get_string(f, "Notice");
        }
        ck_assert_msg(strstr(notice, words), "Notice \"%s\" does not say \"%s\"", notice, words);
        return notice;
}

static bool wait_amplitude(struct daemon_fixture *f, double mm)
{
        long deadline = fixture_now_ms() + DEADLINE_MS;

        while (fixture_now_ms() < deadline) {
                if (fabs(fixture_get_double(f, "Amplitude") - mm) < 0.01)
                        return true;
                usleep(20000);
        }
        return false;
}

START_TEST(test_amplitude_from_the_adc)
{
        struct daemon_fixture f;
        char *notice;

        daemon_fixture_start_hardware(&f, write_config("ads1115"), NULL);
        fixture_expect_string(&f, "AmplitudeSource", "none");
        ck_assert_int_eq(fixture_call(&f, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&f, "AmplitudeSource", "sensor", DEADLINE_MS));
        ck_assert_msg(wait_amplitude(&f, 10.0), "Amplitude %.3f mm, 10 mm read from the ADC",
                      fixture_get_double(&f, "Amplitude"));

        fake_write(ADC "/in_voltage0_raw", RAW_OUT_OF_MAP);
        ck_assert(fixture_wait_string(&f, "AmplitudeSource", "held", DEADLINE_MS));
        notice = wait_notice(&f, "reads 5.000 V, outside its map 0.85:4,2.65:16");
        ck_assert_msg(strstr(notice, "(voltage0 of ads1115)"), "Notice: %s", notice);
        free(notice);
        fixture_expect_string(&f, "Fault", "");
        fixture_expect_string(&f, "State", "running");

        fake_write(ADC "/in_voltage0_raw", RAW_10_MM);
        ck_assert(fixture_wait_string(&f, "AmplitudeSource", "sensor", DEADLINE_MS));
        ck_assert(fixture_wait_string(&f, "Notice", "", DEADLINE_MS));
        daemon_fixture_stop(&f);
}
END_TEST

START_TEST(test_missing_adc_stops_the_daemon)
{
        char command[512], out[2048] = "";
        size_t used = 0;
        FILE *p;
        int status;

        /* percussd alone: it stops before it would take the bus */
        snprintf(command, sizeof(command), "%s --config %s --session-bus --state-dir %s "
                 "--profiles-dir %s --module-dir %s 2>&1", PERCUSSD_PATH, write_config("ads1015"), board.dir,
                 PROFILES_SRC_DIR, IIO_MODULE_BUILD_DIR);
        p = popen(command, "r");
        ck_assert_ptr_nonnull(p);
        while (used + 1 < sizeof(out) && fgets(out + used, (int)(sizeof(out) - used), p))
                used = strlen(out);
        status = pclose(p);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x: %s", status, out);
        ck_assert_msg(strstr(out, "[StrokeSensor] Device=ads1015: no IIO device of that name "
                                  "(there are: ads1115)"), "%s", out);
}
END_TEST

static Suite *stroke_sensor_e2e_suite(void)
{
        Suite *s = suite_create("stroke-sensor-e2e");
        TCase *tc = tcase_create("daemon");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 90);
        tcase_add_test(tc, test_amplitude_from_the_adc);
        tcase_add_test(tc, test_missing_adc_stops_the_daemon);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(stroke_sensor_e2e_suite());
}
