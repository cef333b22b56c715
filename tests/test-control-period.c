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

#include "control-period.h"
#include "pattern.h"
#include "sim-drivers.h"
#include "sim-gun.h"
#include "check-main.h"

#define CONTROL_HZ 1000u
#define PERIOD_NS (1000000000ull / CONTROL_HZ)

static struct {
        uint64_t now_ns;
        struct sim_gun model;
        struct sim_drivers sim;
        struct gun gun;
        struct control_period cp;
        const struct motor_ops *sim_motor_ops;
        const struct encoder_ops *sim_encoder_ops;
        double last_duty;
        bool enabled;
        int encoder_error;      /* negative errno the encoder returns, 0 = works */
} t;

static uint64_t fake_now_ns(void *userdata)
{
        (void)userdata;
        return t.now_ns;
}

static int spy_set_duty(struct motor *motor, double duty)
{
        t.last_duty = duty;
        return t.sim_motor_ops->set_duty(motor, duty);
}

static int spy_set_enable(struct motor *motor, bool enabled)
{
        t.enabled = enabled;
        return t.sim_motor_ops->set_enable(motor, enabled);
}

static int faulty_read(struct encoder *enc, struct encoder_sample *out)
{
        if (t.encoder_error)
                return t.encoder_error;
        return t.sim_encoder_ops->read(enc, out);
}

static struct motor_ops spy_motor_ops;
static struct encoder_ops faulty_encoder_ops;

static void setup(void)
{
        static const struct sim_clock clock = { .now_ns = fake_now_ns };
        struct sim_gun_params params;
        struct speed_control_params control;
        struct safety_params safety;

        t.now_ns = 1000000000ull;
        t.encoder_error = 0;
        sim_gun_params_default(&params);
        sim_gun_init(&t.model, &params, 42);
        ck_assert_int_eq(sim_gun_drivers_open(&t.gun, &t.sim, &t.model, &clock), 0);

        t.sim_motor_ops = t.gun.motor.ops;
        spy_motor_ops = *t.sim_motor_ops;
        spy_motor_ops.set_duty = spy_set_duty;
        spy_motor_ops.set_enable = spy_set_enable;
        t.gun.motor.ops = &spy_motor_ops;

        t.sim_encoder_ops = t.gun.encoder.ops;
        faulty_encoder_ops = *t.sim_encoder_ops;
        faulty_encoder_ops.read = faulty_read;
        t.gun.encoder.ops = &faulty_encoder_ops;

        speed_control_params_default(&control);
        safety_params_default(&safety);
        control_period_init(&t.cp, &control, &safety, t.gun.encoder.quantity, CONTROL_HZ);
}

/* Runs `seconds` of periods; returns the last period's result. */
static int run(const struct setpoint *sp, double seconds, struct telemetry *tm)
{
        unsigned periods = (unsigned)lround(seconds * CONTROL_HZ);
        int r = 0;

        for (unsigned i = 0; i < periods; i++) {
                t.now_ns += PERIOD_NS;
                r = control_period_run(&t.cp, &t.gun, sp, tm);
        }
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
        ck_assert_int_eq(tm.fault, RT_FAULT_NONE);
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
        ck_assert(t.last_duty == 0.0);
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
        ck_assert(t.last_duty == 0.0);
        ck_assert_int_eq(tm.fault, RT_FAULT_SENSOR_LOST);
        ck_assert_int_eq(tm.fault_errno, EIO);

        /* the sensor is back, but the fault holds until it is cleared */
        t.encoder_error = 0;
        ck_assert_int_eq(run(&sp, 0.1, &tm), 0);
        ck_assert_int_eq(tm.fault, RT_FAULT_SENSOR_LOST);
        ck_assert(!t.enabled);

        sp.fault_clears++;
        sp.motor_on = false;
        sp.generation++;
        ck_assert_int_eq(run(&sp, 0.001, &tm), 0);
        ck_assert_int_eq(tm.fault, RT_FAULT_NONE);

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
