/* SPDX-License-Identifier: MIT */
/*
 * Calibrate's motor sums on a device's scans as the real drivers hand them
 * to the control period: a device sampling as fast as the loop runs, free
 * of it, gives the loop one scan, none (the same scan again) or two (the
 * older one lost) in a period. The simulated gun gives one per period;
 * these feed the patterns test-calibrate-e2e met on the emulated board.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "daemon/control/identify.h"
#include "tests/fixtures/check-main.h"

#define SCAN_NS 1000000ull              /* the device's grid: 1 kHz */
#define SPEED_RAD_S (2.0 * M_PI * 40.0) /* 2400 ppm */

static void feed(struct identify_sums *sums, struct identify_history *history, unsigned i)
{
        double t_s = (double)(i * SCAN_NS) * 1e-9;
        /* a crank slowing down, with a ripple inside the revolution */
        double angle_rad = SPEED_RAD_S * t_s - 20.0 * t_s * t_s + 0.01 * sin(SPEED_RAD_S * t_s);

        identify_update(sums, history, IDENTIFY_MOTOR, &(struct identify_sample){
                                .time_ns = i * SCAN_NS,
                                .running_angle_rad = angle_rad,
                                .cos_angle = cos(angle_rad),
                                .sin_angle = sin(angle_rad),
                                .driven = false,
                                .bus_voltage_v = 24.0,
                                .radius_m = 0.004,
                        });
}

/* The same scan twice (a period with no new one) adds nothing. */
START_TEST(test_identify_repeated_scan)
{
        struct identify_sums once, repeated;
        struct identify_history history;

        identify_reset(&once, &history);
        for (unsigned i = 0; i < 500; i++)
                feed(&once, &history, i);
        identify_reset(&repeated, &history);
        for (unsigned i = 0; i < 500; i++) {
                feed(&repeated, &history, i);
                if (i % 3 == 1)
                        feed(&repeated, &history, i);
        }
        ck_assert_uint_gt(once.motor_samples, 400);
        ck_assert_uint_eq(repeated.motor_samples, once.motor_samples);
        ck_assert_mem_eq(repeated.normal, once.normal, sizeof(once.normal));
        ck_assert_mem_eq(repeated.rhs, once.rhs, sizeof(once.rhs));
}
END_TEST

/* A hole (scans the loop missed) leaves the rows across it out: their
 * central differences are a part of the revolution's mean speed. */
START_TEST(test_identify_hole)
{
        struct identify_sums sums;
        struct identify_history history;
        unsigned fed = 0;

        identify_reset(&sums, &history);
        for (unsigned i = 0; i < 500; i++) {
                if (i % 50 >= 45)
                        continue;
                feed(&sums, &history, i);
                fed++;
        }
        /* each hole costs the rows whose intervals it makes uneven */
        ck_assert_uint_lt(sums.motor_samples, fed - 2 * (500 / 50));
        ck_assert_uint_gt(sums.motor_samples, fed - 4 * (500 / 50) - 3);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("uneven-samples");
        TCase *tc = tcase_create("identify");

        tcase_add_test(tc, test_identify_repeated_scan);
        tcase_add_test(tc, test_identify_hole);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
