/* SPDX-License-Identifier: MIT */
/*
 * Fault reactions on the simulated gun, in simulated time, against the bars
 * of QUALITY.md: stall and drop detected and the motor off in ≤ 100 ms,
 * sensor lost within 3 periods, safe state in the period of detection,
 * over-temperature before the limit; and no false alarm in normal use.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "check-main.h"
#include "control-period.h"
#include "safety.h"
#include "sim-drivers.h"
#include "sim-gun.h"

#define CONTROL_HZ 1000u
#define PERIOD_NS (1000000000ull / CONTROL_HZ)

static struct {
        uint64_t now_ns;
        struct sim_gun model;
        struct sim_drivers sim;
        struct gun gun;
        struct control_period cp;
        struct telemetry tm;
        const struct motor_ops *sim_motor;
        bool enabled;
        double duty;
        bool freeze_encoder_time;
        const struct encoder_ops *sim_encoder;
        struct encoder_sample last_sample;
} t;

static uint64_t fake_now(void *userdata)
{
        (void)userdata;
        return t.now_ns;
}

static int spy_duty(struct motor *motor, double duty)
{
        t.duty = duty;
        return t.sim_motor->set_duty(motor, duty);
}

static int spy_enable(struct motor *motor, bool enabled)
{
        t.enabled = enabled;
        return t.sim_motor->set_enable(motor, enabled);
}

/* An encoder that, once frozen, keeps answering with its last reading: a
 * driver whose buffer stopped refilling. */
static int stale_read(struct encoder *enc, struct encoder_sample *out)
{
        int r;

        if (t.freeze_encoder_time) {
                *out = t.last_sample;
                return 0;
        }
        r = t.sim_encoder->read(enc, out);
        t.last_sample = *out;
        return r;
}

static struct motor_ops spy_motor_ops;
static struct encoder_ops stale_encoder_ops;

static void setup(void)
{
        static const struct sim_clock clock = { .now_ns = fake_now };
        struct sim_gun_params params;
        struct speed_control_params control;
        struct safety_params safety;

        t = (typeof(t)){ .now_ns = 1000000000ull };
        sim_gun_params_default(&params);
        sim_gun_init(&t.model, &params, 11);
        ck_assert_int_eq(sim_gun_drivers_open(&t.gun, &t.sim, &t.model, &clock), 0);
        t.sim_motor = t.gun.motor.ops;
        spy_motor_ops = *t.sim_motor;
        spy_motor_ops.set_duty = spy_duty;
        spy_motor_ops.set_enable = spy_enable;
        t.gun.motor.ops = &spy_motor_ops;
        t.sim_encoder = t.gun.encoder.ops;
        stale_encoder_ops = *t.sim_encoder;
        stale_encoder_ops.read = stale_read;
        t.gun.encoder.ops = &stale_encoder_ops;

        speed_control_params_default(&control);
        safety_params_default(&safety);
        control_period_init(&t.cp, &control, &safety, t.gun.encoder.quantity, CONTROL_HZ);
}

static const struct setpoint running = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 1.0,
                                         .stroke_mm = 12, .generation = 1 };

/* Runs periods until a fault or `max` periods; returns how many ran. */
static unsigned run_until_fault(const struct setpoint *sp, unsigned max)
{
        for (unsigned i = 1; i <= max; i++) {
                t.now_ns += PERIOD_NS;
                (void)control_period_run(&t.cp, &t.gun, sp, &t.tm);
                if (t.tm.fault != RT_FAULT_NONE)
                        return i;
        }
        return max + 1;
}

static void assert_safe_state(void)
{
        ck_assert(!t.enabled);
        ck_assert_double_eq(t.duty, 0.0);
        ck_assert(!t.tm.motor_on);
}

START_TEST(test_no_false_alarm_in_normal_use)
{
        /* ramps, steady running, pressing hard, stopping: 12 s without a fault */
        struct setpoint sp = running;

        ck_assert_uint_eq(run_until_fault(&sp, 3000), 3001);
        sim_gun_set_contact_force(&t.model, 60.0);
        ck_assert_uint_eq(run_until_fault(&sp, 3000), 3001);
        sp.speed_ppm = 3200;
        sp.ramp_s = 0.3;
        sp.generation++;
        ck_assert_uint_eq(run_until_fault(&sp, 3000), 3001);
        sp.motor_on = false;
        sp.generation++;
        ck_assert_uint_eq(run_until_fault(&sp, 3000), 3001);
}
END_TEST

START_TEST(test_stall)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 2000), 2001);
        sim_gun_set_jammed(&t.model, true);
        periods = run_until_fault(&running, 1000);
        fprintf(stderr, "stall: motor off %u ms after the head jammed\n", periods);
        ck_assert_int_eq(t.tm.fault, RT_FAULT_STALL);
        ck_assert_uint_le(periods, 100);
        assert_safe_state();
}
END_TEST

START_TEST(test_drop)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 2000), 2001);
        sim_gun_drop(&t.model);
        periods = run_until_fault(&running, 1000);
        fprintf(stderr, "drop: motor off %u ms after the gun was let go of\n", periods);
        ck_assert_int_eq(t.tm.fault, RT_FAULT_DROP);
        ck_assert_uint_le(periods, 100);
        assert_safe_state();
}
END_TEST

START_TEST(test_sensor_cut)
{
        ck_assert_uint_eq(run_until_fault(&running, 1500), 1501);
        atomic_store(&t.model.imu_cut, true);
        ck_assert_uint_eq(run_until_fault(&running, 10), 1);
        ck_assert_int_eq(t.tm.fault, RT_FAULT_SENSOR_LOST);
        ck_assert_int_eq(t.tm.fault_errno, EIO);
        assert_safe_state();
}
END_TEST

START_TEST(test_sensor_stale)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 1500), 1501);
        t.freeze_encoder_time = true;
        periods = run_until_fault(&running, 10);
        ck_assert_int_eq(t.tm.fault, RT_FAULT_SENSOR_LOST);
        ck_assert_uint_le(periods, 3);
        assert_safe_state();
}
END_TEST

START_TEST(test_overrun_streak)
{
        ck_assert_uint_eq(run_until_fault(&running, 500), 501);
        for (unsigned i = 1; i <= 5; i++) {
                t.tm.overruns++;        /* what the RT thread counts before the period */
                t.now_ns += 2 * PERIOD_NS;
                (void)control_period_run(&t.cp, &t.gun, &running, &t.tm);
                if (i < 5)
                        ck_assert_int_eq(t.tm.fault, RT_FAULT_NONE);
        }
        ck_assert_int_eq(t.tm.fault, RT_FAULT_OVERRUN);
        assert_safe_state();
}
END_TEST

START_TEST(test_setpoint_outside_envelope)
{
        struct setpoint sp = running;

        ck_assert_uint_eq(run_until_fault(&sp, 500), 501);
        sp.speed_ppm = 4000;
        sp.generation++;
        ck_assert_uint_eq(run_until_fault(&sp, 10), 1);
        ck_assert_int_eq(t.tm.fault, RT_FAULT_LIMIT);
        assert_safe_state();

        ck_assert(!safety_setpoint_allowed(&(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                                .stroke_mm = 20 }));
        ck_assert(!safety_setpoint_allowed(&(struct setpoint){ .motor_on = true, .speed_ppm = NAN,
                                                                .stroke_mm = 10 }));
        ck_assert(safety_setpoint_allowed(&(struct setpoint){ .motor_on = false, .speed_ppm = 9000 }));
}
END_TEST

START_TEST(test_temperature)
{
        struct safety_params p;

        safety_params_default(&p);
        ck_assert(!safety_temperature_too_high(&p, 35.0));
        ck_assert(!safety_temperature_too_high(&p, NAN));
        ck_assert(safety_temperature_too_high(&p, p.temperature_limit_c - p.temperature_margin_c));
        ck_assert(safety_temperature_too_high(&p, p.temperature_limit_c - 0.5));
        ck_assert(!safety_temperature_cleared(&p, p.temperature_resume_c + 1));
        ck_assert(safety_temperature_cleared(&p, p.temperature_resume_c));
}
END_TEST

static Suite *safety_suite(void)
{
        Suite *s = suite_create("safety");
        TCase *tc = tcase_create("faults");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_no_false_alarm_in_normal_use);
        tcase_add_test(tc, test_stall);
        tcase_add_test(tc, test_drop);
        tcase_add_test(tc, test_sensor_cut);
        tcase_add_test(tc, test_sensor_stale);
        tcase_add_test(tc, test_overrun_streak);
        tcase_add_test(tc, test_setpoint_outside_envelope);
        tcase_add_test(tc, test_temperature);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(safety_suite());
}
