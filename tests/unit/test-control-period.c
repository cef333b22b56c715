/* SPDX-License-Identifier: MIT */
/*
 * One control period, as the RT thread runs it, on the simulated gun in
 * simulated time: following set-points, the safe state, and faults from
 * the drivers. The motor and encoder operations are wrapped so that the
 * test sees every write and can make a read fail.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "daemon/rt/control-period.h"
#include "daemon/control/pattern.h"
#include "tests/fixtures/sim-rig.h"
#include "tests/fixtures/check-main.h"

static struct sim_rig t;

static void setup(void)
{
        sim_rig_init(&t, 42);
}

/* Runs `seconds` of periods; returns the last period's result. */
static int run(const struct setpoint *sp, double seconds, struct telemetry *tm)
{
        int r = sim_rig_run(&t, sp, (unsigned)lround(seconds * SIM_RIG_HZ));

        *tm = t.tm;
        return r;
}

START_TEST(test_follows_setpoint_and_ramp)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 2.0,
                               .stroke_mm = 10, .generation = 1 };
        struct telemetry tm = {0};

        /* half way through the ramp the set-point is half way */
        ck_assert_int_eq(run(&sp, 1.0, &tm), 0);
        ck_assert(t.enabled);
        ck_assert_msg(fabs(tm.setpoint_speed_ppm - 1000) < 50, "set-point %.0f ppm at 1 s",
                      tm.setpoint_speed_ppm);

        /* 300 ms after the ramp ends, and from then on, within ±2 % */
        ck_assert_int_eq(run(&sp, 1.3, &tm), 0);
        for (int i = 0; i < 30; i++) {
                ck_assert_int_eq(run(&sp, 0.1, &tm), 0);
                ck_assert_msg(fabs(tm.speed_ppm - 2000) <= 40, "speed %.1f ppm at +%d ms",
                              tm.speed_ppm, 300 + 100 * (i + 1));
        }
        ck_assert(tm.motor_on);
        ck_assert_uint_eq(tm.setpoint_generation, 1);
        ck_assert(tm.duty > 0.0 && tm.duty <= 1.0);
        ck_assert_int_eq(tm.fault, FAULT_NONE);
        ck_assert(fabs(sim_gun_true_stroke_mm(&t.model) - 10.0) < 0.5);
}
END_TEST

START_TEST(test_motor_off_is_safe_state_in_one_period)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 1.0,
                               .stroke_mm = 10, .generation = 1 };
        struct telemetry tm = {0};

        run(&sp, 2.0, &tm);
        sp = (struct setpoint){ .motor_on = false, .generation = 2 };
        ck_assert_int_eq(run(&sp, 0.001, &tm), 0);
        ck_assert(!t.enabled);
        ck_assert(t.duty == 0.0);
        ck_assert(!tm.motor_on);
        ck_assert(tm.setpoint_speed_ppm == 0.0);

        /* the crank coasts down by itself */
        run(&sp, 3.0, &tm);
        ck_assert_msg(tm.speed_ppm < 10, "still %.0f ppm 3 s after motor off", tm.speed_ppm);
}
END_TEST

START_TEST(test_encoder_error_latches_fault_and_stops)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 1.0,
                               .stroke_mm = 10, .generation = 1 };
        struct telemetry tm = {0};

        run(&sp, 1.5, &tm);
        t.encoder_error = -EIO;
        ck_assert_int_eq(run(&sp, 0.001, &tm), -EIO);
        ck_assert(!t.enabled);
        ck_assert(t.duty == 0.0);
        ck_assert_int_eq(tm.fault, FAULT_SENSOR_LOST);
        ck_assert_int_eq(tm.fault_errno, EIO);

        /* the sensor is back, but the fault holds until it is cleared */
        t.encoder_error = 0;
        ck_assert_int_eq(run(&sp, 0.1, &tm), 0);
        ck_assert_int_eq(tm.fault, FAULT_SENSOR_LOST);
        ck_assert(!t.enabled);

        sp.fault_clears++;
        sp.motor_on = false;
        sp.generation++;
        ck_assert_int_eq(run(&sp, 0.001, &tm), 0);
        ck_assert_int_eq(tm.fault, FAULT_NONE);

        /* and the motor may run again */
        sp.motor_on = true;
        sp.generation++;
        run(&sp, 0.01, &tm);
        ck_assert(t.enabled);
        ck_assert(tm.motor_on);
}
END_TEST

START_TEST(test_patterns_slow_down_never_up)
{
        for (double at_s = 0; at_s < 20; at_s += 0.01) {
                double pulse = pattern_speed_factor(STEP_PATTERN_PULSE, at_s);
                double wave = pattern_speed_factor(STEP_PATTERN_WAVE, at_s);

                ck_assert(pulse == 1.0 || pulse == PATTERN_PULSE_LOW);
                ck_assert(wave >= PATTERN_WAVE_LOW - 1e-12 && wave <= 1.0 + 1e-12);
                ck_assert_double_eq(pattern_speed_factor(STEP_PATTERN_CONSTANT, at_s), 1.0);
        }
        ck_assert_double_eq(pattern_speed_factor(STEP_PATTERN_PULSE, 0.5), 1.0);
        ck_assert_double_eq(pattern_speed_factor(STEP_PATTERN_PULSE, 1.5), PATTERN_PULSE_LOW);
        ck_assert_double_eq_tol(pattern_speed_factor(STEP_PATTERN_WAVE, PATTERN_WAVE_PERIOD_S / 2),
                                PATTERN_WAVE_LOW, 1e-12);
}
END_TEST

START_TEST(test_pulse_pattern_moves_the_speed)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 0.5,
                               .stroke_mm = 10, .pattern = STEP_PATTERN_PULSE, .generation = 1 };
        struct telemetry tm = {0};
        double high = 0, low = 1e9;

        run(&sp, 2.0, &tm);
        for (int i = 0; i < 400; i++) {
                run(&sp, 0.01, &tm);
                high = fmax(high, tm.speed_ppm);
                low = fmin(low, tm.speed_ppm);
        }
        ck_assert_msg(high > 1950 && high < 2040, "pulse top %.0f ppm", high);
        ck_assert_msg(low < 1600 && low > 1450, "pulse bottom %.0f ppm", low);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("control-period");
        TCase *tc = tcase_create("sim");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_follows_setpoint_and_ramp);
        tcase_add_test(tc, test_motor_off_is_safe_state_in_one_period);
        tcase_add_test(tc, test_encoder_error_latches_fault_and_stops);
        tcase_add_test(tc, test_patterns_slow_down_never_up);
        tcase_add_test(tc, test_pulse_pattern_moves_the_speed);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
