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

#include "tests/fixtures/check-main.h"
#include "daemon/control/envelope.h"
#include "daemon/control/safety.h"
#include "tests/fixtures/sim-rig.h"

static struct sim_rig t;

static void setup(void)
{
        sim_rig_init(&t, 11);
}

static const struct setpoint running = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 1.0,
                                         .stroke_mm = 12, .generation = 1 };

/* Runs periods until a fault or `max` periods; returns how many ran. */
static unsigned run_until_fault(const struct setpoint *sp, unsigned max)
{
        for (unsigned i = 1; i <= max; i++) {
                (void)sim_rig_period(&t, sp);
                if (t.tm.fault != FAULT_NONE)
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
        ck_assert_int_eq(t.tm.fault, FAULT_STALL);
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
        ck_assert_int_eq(t.tm.fault, FAULT_DROP);
        ck_assert_uint_le(periods, 100);
        assert_safe_state();
}
END_TEST

START_TEST(test_sensor_cut)
{
        ck_assert_uint_eq(run_until_fault(&running, 1500), 1501);
        atomic_store(&t.model.imu_cut, true);
        ck_assert_uint_eq(run_until_fault(&running, 10), 1);
        ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
        ck_assert_int_eq(t.tm.fault_errno, EIO);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_IMU);
        assert_safe_state();
}
END_TEST

START_TEST(test_sensor_stale)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 1500), 1501);
        t.encoder_frozen = true;
        periods = run_until_fault(&running, 10);
        ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
        ck_assert_uint_le(periods, 3);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_ENCODER);
        assert_safe_state();
}
END_TEST

/* A raw (unbuffered) encoder whose chip stopped answers its last value
 * at each new time: the crank seems to stand although the IMU feels it
 * percussing. That is a lost encoder, not a jammed head. */
START_TEST(test_frozen_raw_encoder_is_lost_not_a_jam)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 2500), 2501);
        t.encoder_value_frozen = true;
        periods = run_until_fault(&running, 1000);
        fprintf(stderr, "frozen raw encoder: motor off %u ms after it froze\n", periods);
        ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_ENCODER);
        ck_assert_int_eq(t.tm.fault_errno, 0);
        ck_assert_uint_le(periods, 100);
        assert_safe_state();

        /* a jam pressed into the muscle still reads as a jam */
        sim_rig_init(&t, 11);
        sim_gun_set_contact_force(&t.model, 30.0);
        ck_assert_uint_eq(run_until_fault(&running, 2500), 2501);
        sim_gun_set_jammed(&t.model, true);
        ck_assert_uint_le(run_until_fault(&running, 1000), 100);
        ck_assert_int_eq(t.tm.fault, FAULT_STALL);
}
END_TEST

/* An encoder whose driver delivers its scans in bursts: the newest scan,
 * with its own time, every other period (4 scans every 2 ms at 2 kHz), or
 * every fourth (a watermark of 4 at 1 kHz). Staleness is judged in time:
 * the first plays clean on the defaults, the second once EncoderStaleTime
 * is above its 4 ms gap (StalePeriods, in periods, stopped at 3); the
 * speed is what the crank turns. */
START_TEST(test_encoder_in_bursts)
{
        double sum_ppm = 0.0;

        t.encoder_every = 2;
        ck_assert_uint_eq(run_until_fault(&running, 3000), 3001);
        for (unsigned i = 0; i < 1000; i++) {
                (void)sim_rig_period(&t, &running);
                sum_ppm += t.tm.speed_ppm / 1000;
        }
        ck_assert_int_eq(t.tm.fault, FAULT_NONE);
        fprintf(stderr, "encoder in bursts every 2 ms: %.1f ppm for 2000\n", sum_ppm);
        ck_assert_double_le(fabs(sum_ppm - 2000.0), 0.01 * 2000.0);

        sim_rig_init(&t, 11);
        t.encoder_every = 4;
        ck_assert_uint_le(run_until_fault(&running, 3000), 3000);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_ENCODER);

        sim_rig_init(&t, 11);
        t.encoder_every = 4;
        t.cp.safety_params.encoder_stale_s = 0.005;
        ck_assert_uint_eq(run_until_fault(&running, 4000), 4001);
        t.encoder_frozen = true;
        ck_assert_uint_le(run_until_fault(&running, 10), 5);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_ENCODER);
}
END_TEST

/* At 250 Hz one period without a new scan is 4 ms, over the 3 ms of
 * EncoderStaleTime and IMUStaleTime: staleness is never judged on less
 * than three periods. */
START_TEST(test_stale_times_at_a_slow_rate)
{
        struct safety s;
        struct safety_params p;
        double accel[3] = { 0, 0, 9.81 };
        struct safety_input in = { .period_s = 0.004, .accel_m_s2 = accel };
        unsigned periods;

        safety_params_default(&p);
        safety_reset(&s);
        for (periods = 0; periods <= 100; periods++) {
                /* a new scan every other period, the last one too */
                if (periods % 2 == 0) {
                        in.encoder_time_ns += 8000000;
                        in.imu_time_ns += 8000000;
                }
                ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_NONE);
        }
        for (periods = 1; periods < 10; periods++)
                if (safety_check(&s, &p, &in) != FAULT_NONE)
                        break;
        ck_assert_int_eq(s.lost_sensor, RT_SENSOR_ENCODER);
        ck_assert_uint_eq(periods, 3);
}
END_TEST

/* An IMU whose buffer gives no new scan hands the loop its last sample
 * again: no read error, only a time that stops. */
START_TEST(test_imu_stale)
{
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 1500), 1501);
        t.imu_frozen = true;
        periods = run_until_fault(&running, 10);
        ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_IMU);
        ck_assert_int_eq(t.tm.fault_errno, 0);
        ck_assert_uint_eq(periods, 3); /* IMUStaleTime 3 ms at 1 kHz */
        assert_safe_state();
}
END_TEST

/* An IMU sampling at a quarter of the loop's rate repeats each sample for
 * three periods: a lost sensor by the default, not once IMUStaleTime is
 * above its 4 ms sample interval. */
START_TEST(test_imu_slower_than_the_loop)
{
        t.imu_every = 4;
        ck_assert_uint_le(run_until_fault(&running, 10), 10);
        ck_assert_int_eq(t.tm.fault_sensor, RT_SENSOR_IMU);

        sim_rig_init(&t, 11);
        t.imu_every = 4;
        t.cp.safety_params.imu_stale_s = 0.006;
        ck_assert_uint_eq(run_until_fault(&running, 3000), 3001);
        while (t.imu_reads % 4 != 1) /* until the period that took a new sample */
                ck_assert_uint_eq(run_until_fault(&running, 1), 2);
        t.imu_frozen = true;
        ck_assert_uint_eq(run_until_fault(&running, 10), 6);
        ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
}
END_TEST

/* A driver stuck on drives the crank past its set-point: a runaway
 * 100 ms (RunawayTime) after the crank's revolution passes the set-point
 * by max(10 %, 150 ppm), and the safe state in that period. */
START_TEST(test_runaway_while_running)
{
        unsigned periods, over = 0;

        ck_assert_uint_eq(run_until_fault(&running, 2500), 2501);
        sim_gun_set_motor_stuck(&t.model, true);
        for (periods = 1; periods <= 1000; periods++) {
                (void)sim_rig_period(&t, &running);
                if (t.tm.fault != FAULT_NONE)
                        break;
                if (t.tm.speed_ppm > 2200.0)
                        over++;
        }
        fprintf(stderr, "runaway while running: fault %u ms after the driver stuck, %u ms after "
                "the crank passed 2200 ppm\n", periods, over);
        ck_assert_int_eq(t.tm.fault, FAULT_RUNAWAY);
        ck_assert_uint_le(over, 100);
        ck_assert_uint_ge(over, 99);
        assert_safe_state();
}
END_TEST

/* Stopped, a healthy crank coasts down: no fault. A crank the stuck driver
 * keeps turning is a runaway once it turns faster than one coasting down
 * from 2200 ppm at SpinDownRate would. */
START_TEST(test_runaway_after_stop)
{
        struct setpoint stop = running;
        double spin_down_s = (2200.0 - 150.0) / t.cp.safety_params.spin_down_ppm_per_s;
        unsigned periods;

        ck_assert_uint_eq(run_until_fault(&running, 2500), 2501);
        stop.motor_on = false;
        stop.generation++;
        sim_gun_set_motor_stuck(&t.model, true);
        periods = run_until_fault(&stop, 5000);
        fprintf(stderr, "runaway after Stop: fault %u ms after the motor was turned off\n", periods);
        ck_assert_int_eq(t.tm.fault, FAULT_RUNAWAY);
        ck_assert_uint_le(periods, (unsigned)(spin_down_s * 1000) + 100);
        assert_safe_state();
}
END_TEST

START_TEST(test_no_runaway_when_coasting_down)
{
        struct setpoint sp = running;

        ck_assert_uint_eq(run_until_fault(&sp, 2500), 2501);
        /* a step down faster than the crank can coast, then Stop */
        sp.speed_ppm = 1200;
        sp.ramp_s = 0.01;
        sp.generation++;
        ck_assert_uint_eq(run_until_fault(&sp, 2000), 2001);
        sp.motor_on = false;
        sp.generation++;
        ck_assert_uint_eq(run_until_fault(&sp, 3000), 3001);
        ck_assert_double_lt(fabs(sim_gun_true_speed_ppm(&t.model)), 1.0);
}
END_TEST

/* The verdict itself, on made-up readings: held at the set-point with the
 * motor off, the crank is a runaway once the ceiling, falling at
 * SpinDownRate from set-point + 10 %, passes under it, and 100 ms later. */
START_TEST(test_runaway_ceiling)
{
        struct safety s;
        struct safety_params p;
        struct safety_input in = { .period_s = 0.001, .motor_on = true, .setpoint_ppm = 2000,
                                   .speed_ppm = 2150, .revolution_ppm = 2150 };
        unsigned periods;

        safety_params_default(&p);
        safety_reset(&s);
        for (periods = 0; periods < 5000; periods++) {
                in.encoder_time_ns += 1000000;
                ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_NONE);
        }
        in.revolution_ppm = in.speed_ppm = 2201;
        for (periods = 1; periods < 100; periods++) {
                in.encoder_time_ns += 1000000;
                ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_NONE);
        }
        in.encoder_time_ns += 1000000;
        ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_RUNAWAY);

        /* a set-point of 1000: 150 ppm is more than its 10 % */
        safety_reset(&s);
        in.setpoint_ppm = 1000;
        in.revolution_ppm = 1149;
        for (periods = 0; periods < 500; periods++) {
                in.encoder_time_ns += 1000000;
                ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_NONE);
        }

        /* the motor off at 2000 ppm, the crank held there */
        safety_reset(&s);
        in.setpoint_ppm = 2000;
        in.revolution_ppm = 2000;
        for (periods = 0; periods < 100; periods++) {
                in.encoder_time_ns += 1000000;
                (void)safety_check(&s, &p, &in);
        }
        in.motor_on = false;
        for (periods = 1; periods < 2000; periods++) {
                in.encoder_time_ns += 1000000;
                if (safety_check(&s, &p, &in) != FAULT_NONE)
                        break;
        }
        /* 200 ppm of ceiling above it at 800 ppm/s: 250 ms, then 100 ms
         * (give or take the period where the two meet) */
        ck_assert_uint_ge(periods, 349);
        ck_assert_uint_le(periods, 351);
}
END_TEST

/* The loop starts watching a crank it did not see come to rest (the
 * thread started again after Calibrate, the motor off): the ceiling falls
 * at SpinDownRate from the envelope's top and its margin. A crank coasting
 * down, however fast it was driven, is healthy; one held at 2000 ppm is a
 * runaway once the ceiling passes under it, and 100 ms on. */
START_TEST(test_runaway_ceiling_over_a_crank_not_seen_to_rest)
{
        struct safety s;
        struct safety_params p;
        struct safety_input in = { .period_s = 0.001 };
        double coast_ppm_per_s = 1000.0;
        unsigned periods;

        safety_params_default(&p);
        safety_reset(&s);
        safety_assume_coasting(&s, &p);
        for (in.revolution_ppm = in.speed_ppm = ENVELOPE_SPEED_MAX_PPM; in.revolution_ppm > 0;
             in.revolution_ppm = in.speed_ppm -= coast_ppm_per_s * in.period_s) {
                in.encoder_time_ns += 1000000;
                ck_assert_int_eq(safety_check(&s, &p, &in), FAULT_NONE);
        }

        safety_reset(&s);
        safety_assume_coasting(&s, &p);
        in.revolution_ppm = in.speed_ppm = 2000;
        for (periods = 1; periods < 5000; periods++) {
                in.encoder_time_ns += 1000000;
                if (safety_check(&s, &p, &in) != FAULT_NONE)
                        break;
        }
        /* from 3520 to 2000 ppm at 800 ppm/s: 1900 ms, then 100 ms */
        ck_assert_uint_ge(periods, 1999);
        ck_assert_uint_le(periods, 2001);
}
END_TEST

START_TEST(test_overrun_streak)
{
        ck_assert_uint_eq(run_until_fault(&running, 500), 501);
        for (unsigned i = 1; i <= 5; i++) {
                t.tm.overruns++;        /* what the RT thread counts before the period */
                t.now_ns += SIM_RIG_PERIOD_NS; /* a late period */
                (void)sim_rig_period(&t, &running);
                if (i < 5)
                        ck_assert_int_eq(t.tm.fault, FAULT_NONE);
        }
        ck_assert_int_eq(t.tm.fault, FAULT_OVERRUN);
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
        ck_assert_int_eq(t.tm.fault, FAULT_LIMIT);
        assert_safe_state();

        ck_assert(!safety_setpoint_allowed(true, 2000, 20, 0));
        ck_assert(!safety_setpoint_allowed(true, NAN, 10, 0));
        ck_assert(!safety_setpoint_allowed(true, 2000, 10, -1));
        ck_assert(safety_setpoint_allowed(true, 2000, 10, 0));
        ck_assert(safety_setpoint_allowed(false, 9000, 0, 0));
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
        tcase_add_test(tc, test_imu_stale);
        tcase_add_test(tc, test_frozen_raw_encoder_is_lost_not_a_jam);
        tcase_add_test(tc, test_encoder_in_bursts);
        tcase_add_test(tc, test_stale_times_at_a_slow_rate);
        tcase_add_test(tc, test_imu_slower_than_the_loop);
        tcase_add_test(tc, test_runaway_while_running);
        tcase_add_test(tc, test_runaway_after_stop);
        tcase_add_test(tc, test_no_runaway_when_coasting_down);
        tcase_add_test(tc, test_runaway_ceiling);
        tcase_add_test(tc, test_runaway_ceiling_over_a_crank_not_seen_to_rest);
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
