/* SPDX-License-Identifier: MIT */
/*
 * The speed loop on its own, on the simulated gun, in simulated time: each
 * period does what the RT thread does for speed (encoder read → estimator
 * → speed_control_step → motor duty) through the driver operations, with
 * a clock the test moves by one period. The figures the speed bars of
 * QUALITY.md ask for are printed to stderr so that they can be quoted.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "daemon/control/control-speed.h"
#include "drivers/sim/sim-drivers.h"
#include "drivers/sim/sim-gun.h"
#include "daemon/control/speed-estimator.h"

#define CONTROL_HZ 1000.0
#define PERIOD_NS 1000000ull
#define PERIOD_S 1e-3
#define PPM_PER_RAD_S (60.0 / (2.0 * M_PI))
/* Actuator position for 12 mm on the default 4..16 mm gun. */
#define STROKE_12MM_POSITION (8.0 / 12.0)

static uint64_t now_ns;
static struct sim_gun model;
static struct sim_drivers sim;
static struct gun gun;
static struct speed_estimator est;
static struct speed_control ctl;
static double last_duty;

static uint64_t fake_now_ns(void *userdata)
{
        (void)userdata;
        return now_ns;
}

static void setup(void)
{
        static const struct sim_clock clock = { .now_ns = fake_now_ns };
        struct sim_gun_params gun_params;
        struct speed_control_params control_params;
        struct encoder_sample first;

        now_ns = 0; /* a clock may well start at 0 */
        sim_gun_params_default(&gun_params);
        sim_gun_init(&model, &gun_params, 42);
        ck_assert_int_eq(sim_gun_drivers_open(&gun, &sim, &model, &clock), 0);
        ck_assert_int_eq(gun.encoder.quantity, ENCODER_ANGLE);

        speed_estimator_init(&est, gun.encoder.quantity, CONTROL_HZ);
        speed_control_params_default(&control_params);
        speed_control_init(&ctl, &control_params);

        ck_assert_int_eq(gun.stroke.ops->set_position(&gun.stroke, STROKE_12MM_POSITION), 0);
        ck_assert_int_eq(gun.encoder.ops->read(&gun.encoder, &first), 0);
        speed_estimator_update(&est, &first);
        speed_control_reset(&ctl, speed_estimator_fast_ppm(&est));
        ck_assert_int_eq(gun.motor.ops->set_enable(&gun.motor, true), 0);
}

/* One RT period; returns the speed a person means (one revolution). */
static double period(double target_ppm, double slew_ppm_per_s)
{
        struct encoder_sample sample;
        double duty;

        now_ns += PERIOD_NS;
        ck_assert_int_eq(gun.encoder.ops->read(&gun.encoder, &sample), 0);
        speed_estimator_update(&est, &sample);
        duty = speed_control_step(&ctl, target_ppm, slew_ppm_per_s,
                                  speed_estimator_fast_ppm(&est), PERIOD_S);
        ck_assert(duty >= 0.0 && duty <= ctl.p.duty_max);
        ck_assert_int_eq(gun.motor.ops->set_duty(&gun.motor, duty), 0);
        last_duty = duty;
        return speed_estimator_revolution_ppm(&est);
}

static void run(double target_ppm, double slew_ppm_per_s, unsigned periods)
{
        for (unsigned i = 0; i < periods; i++)
                period(target_ppm, slew_ppm_per_s);
}

struct figures {
        unsigned last_outside_ms; /* the last period outside the band, 0 = never */
        double max_error;         /* |speed − target| / target */
        double rms_error;
        double min_ppm, max_ppm;
};

static struct figures measure(double target_ppm, double slew_ppm_per_s, unsigned periods,
                              double band)
{
        struct figures f = { .min_ppm = INFINITY, .max_ppm = -INFINITY };
        double sum_sq = 0.0;

        for (unsigned i = 1; i <= periods; i++) {
                double speed_ppm = period(target_ppm, slew_ppm_per_s);
                double error = (speed_ppm - target_ppm) / target_ppm;

                if (fabs(error) > band)
                        f.last_outside_ms = i;
                f.max_error = fmax(f.max_error, fabs(error));
                sum_sq += error * error;
                f.min_ppm = fmin(f.min_ppm, speed_ppm);
                f.max_ppm = fmax(f.max_ppm, speed_ppm);
        }
        f.rms_error = sqrt(sum_sq / periods);
        return f;
}

START_TEST(test_ramp_settles_and_holds)
{
        const double target_ppm = 2000.0, slew_ppm_per_s = target_ppm / 3.0;
        unsigned ramp_ms = 0;
        struct figures settle, hold;

        while (ctl.setpoint_ppm < target_ppm && ramp_ms < 4000) {
                period(target_ppm, slew_ppm_per_s);
                ramp_ms++;
        }
        ck_assert_uint_ge(ramp_ms, 2999);
        ck_assert_uint_le(ramp_ms, 3001);
        settle = measure(target_ppm, slew_ppm_per_s, 300, 0.02);
        hold = measure(target_ppm, slew_ppm_per_s, 5000, 0.02);
        fprintf(stderr, "# rest → 2000 ppm, 3 s ramp, 12 mm: within ±2 %% %u ms after the ramp "
                        "ended; next 5 s: max error %.3f %%, RMS error %.4f %%\n",
                settle.last_outside_ms, 100.0 * hold.max_error, 100.0 * hold.rms_error);
        ck_assert_uint_lt(settle.last_outside_ms, 300);
        ck_assert_uint_eq(hold.last_outside_ms, 0);
        ck_assert_double_le(hold.rms_error, 0.005);
}
END_TEST

START_TEST(test_contact_force_step)
{
        const double target_ppm = 2000.0, force_n = 40.0;
        unsigned rise_ms = 0, last_outside_ms = 0;
        double min_ppm = INFINITY, dip;

        run(target_ppm, 0.0, 4000);
        sim_gun_set_contact_force(&model, force_n);
        for (unsigned i = 1; i <= 2000; i++) {
                double speed_ppm = period(target_ppm, 0.0);

                min_ppm = fmin(min_ppm, speed_ppm);
                if (fabs(speed_ppm - target_ppm) > 0.01 * target_ppm)
                        last_outside_ms = i;
                /* the hand brings the gun onto the muscle: the step in
                 * force is as steep as this */
                if (rise_ms == 0 && model.mean_contact_n >= 0.9 * force_n)
                        rise_ms = i;
        }
        dip = (target_ppm - min_ppm) / target_ppm;
        fprintf(stderr, "# contact 0 → 40 N at 2000 ppm, 12 mm: dip %.2f %%, within ±1 %% %u ms "
                        "after the step; mean contact force at 90 %% after %u ms, %.1f N after 2 s\n",
                100.0 * dip, last_outside_ms, rise_ms, model.mean_contact_n);
        ck_assert_uint_gt(rise_ms, 0);
        ck_assert_double_le(fabs(model.mean_contact_n - force_n), 0.1 * force_n);
        ck_assert_double_le(dip, 0.05);
        ck_assert_uint_le(last_outside_ms, 150);
}
END_TEST

START_TEST(test_stall_does_not_wind_up)
{
        const double target_ppm = 2000.0;
        double stalled_integral_duty;
        struct figures f;

        run(target_ppm, 0.0, 3000);
        /* a head pressed far beyond the motor's torque: the crank stops */
        sim_gun_set_contact_force(&model, 800.0);
        run(target_ppm, 0.0, 200);
        ck_assert_double_lt(fabs(sim_gun_true_speed_ppm(&model)), 50.0);
        stalled_integral_duty = ctl.integral_duty;
        run(target_ppm, 0.0, 1800);
        /* held at the limit, the integrator must not have moved */
        ck_assert_double_eq(last_duty, ctl.p.duty_max);
        ck_assert_double_eq(ctl.integral_duty, stalled_integral_duty);

        sim_gun_set_contact_force(&model, 0.0);
        f = measure(target_ppm, 0.0, 2000, 0.02);
        fprintf(stderr, "# released after 2 s stalled at 2000 ppm: integrator held at %.3f duty, "
                        "peak %.0f ppm (overshoot %.2f %%), within ±2 %% %u ms after the release\n",
                stalled_integral_duty, f.max_ppm, 100.0 * (f.max_ppm - target_ppm) / target_ppm,
                f.last_outside_ms);
        ck_assert_double_lt(f.max_ppm, 1.05 * target_ppm);
        ck_assert_uint_le(f.last_outside_ms, 300);
}
END_TEST

/* A constant-speed angle stream, quantised like a 12-bit encoder and
 * wrapped: the error stays within what one count over the window allows. */
static void check_angle_stream(double speed_ppm, double control_hz)
{
        const double counts = 4096.0, period_s = 1.0 / control_hz;
        const unsigned periods = (unsigned)(10.0 * control_hz); /* hundreds of wraps */
        /* one count in the window, plus the window's rounding to periods */
        double count_ppm = PPM_PER_RAD_S * 2.0 * M_PI / counts;
        double fast_bound_ppm = count_ppm / fmax(SPEED_ESTIMATOR_FAST_WINDOW_S, period_s) + 1e-6;
        double revolution_bound_ppm = 2.0 * count_ppm / (60.0 / speed_ppm) + 1e-6;
        struct speed_estimator e;
        double worst_fast = 0.0, worst_revolution = 0.0;

        speed_estimator_init(&e, ENCODER_ANGLE, control_hz);
        for (unsigned i = 0; i < periods; i++) {
                double turns = speed_ppm / 60.0 * i * period_s + 0.3;
                struct encoder_sample s = {
                        .time_ns = (uint64_t)llround(i * 1e9 * period_s) + 5000000000ull,
                        .value = floor((turns - floor(turns)) * counts) / counts * 2.0 * M_PI,
                };

                speed_estimator_update(&e, &s);
                if (i * period_s < 0.1)
                        continue;
                worst_fast = fmax(worst_fast, fabs(speed_estimator_fast_ppm(&e) - speed_ppm));
                worst_revolution = fmax(worst_revolution,
                                        fabs(speed_estimator_revolution_ppm(&e) - speed_ppm));
        }
        fprintf(stderr, "# estimator %.1f ppm at %.0f Hz: worst fast %.2f ppm (bound %.2f), "
                        "worst revolution %.3f ppm (bound %.3f)\n",
                speed_ppm, control_hz, worst_fast, fast_bound_ppm, worst_revolution,
                revolution_bound_ppm);
        ck_assert_double_le(worst_fast, fast_bound_ppm);
        ck_assert_double_le(worst_revolution, revolution_bound_ppm);
}

START_TEST(test_estimator_angle_wraps)
{
        check_angle_stream(2000.0, 1000.0);
        check_angle_stream(1234.5, 250.0);
        check_angle_stream(3200.0, 4000.0);
        check_angle_stream(2718.3, 1000.0);
}
END_TEST

START_TEST(test_estimator_angular_velocity)
{
        const double resolution_rad_s = 0.01;
        struct speed_estimator e;
        unsigned i;

        speed_estimator_init(&e, ENCODER_ANGULAR_VELOCITY, CONTROL_HZ);
        for (i = 0; i < 500; i++) {
                /* ±1 step of quantisation noise around 1500 ppm */
                double rad_s = 1500.0 / PPM_PER_RAD_S + (i % 2 ? resolution_rad_s : -resolution_rad_s);
                struct encoder_sample s = { .time_ns = i * PERIOD_NS, .value = rad_s };

                speed_estimator_update(&e, &s);
        }
        ck_assert_double_le(fabs(speed_estimator_fast_ppm(&e) - 1500.0), 0.1);
        ck_assert_double_le(fabs(speed_estimator_revolution_ppm(&e) - 1500.0), 0.01);

        /* a step to 2500 ppm: the fast estimate has it within its window,
         * the revolution estimate within a revolution */
        for (; i < 600; i++) {
                struct encoder_sample s = { .time_ns = i * PERIOD_NS,
                                            .value = 2500.0 / PPM_PER_RAD_S };

                speed_estimator_update(&e, &s);
                if (i == 500 + (unsigned)(SPEED_ESTIMATOR_FAST_WINDOW_S * CONTROL_HZ))
                        ck_assert_double_le(fabs(speed_estimator_fast_ppm(&e) - 2500.0), 1e-6);
        }
        ck_assert_double_le(fabs(speed_estimator_revolution_ppm(&e) - 2500.0), 1e-6);

        speed_estimator_reset(&e);
        ck_assert_double_eq(speed_estimator_fast_ppm(&e), 0.0);
}
END_TEST

/* Everything a caller can see of a model, to compare bit for bit. */
struct observation {
        double speed_ppm, stroke_mm, time_s, angle_rad;
        double accel_m_s2[3], gyro_rad_s[3];
};

static void observe(struct sim_gun *g, struct observation *o)
{
        memset(o, 0, sizeof(*o));
        o->speed_ppm = sim_gun_true_speed_ppm(g);
        o->stroke_mm = sim_gun_true_stroke_mm(g);
        o->time_s = sim_gun_time_s(g);
        o->angle_rad = sim_gun_encoder_angle(g);
        sim_gun_imu_read(g, o->accel_m_s2, o->gyro_rad_s);
}

static void drive(struct sim_gun *g, unsigned step)
{
        sim_gun_set_enable(g, true);
        sim_gun_set_duty(g, 0.3 + 0.5 * (step % 7) / 7.0);
        sim_gun_set_stroke_position(g, (step % 5) / 4.0);
        sim_gun_set_contact_force(g, step % 3 ? 25.0 : 0.0);
        /* uneven periods, as a late RT thread gives */
        sim_gun_advance(g, 0.2 + 0.0173 * (step % 4));
}

START_TEST(test_model_is_deterministic)
{
        static struct sim_gun a, b, c;
        struct sim_gun_params params;
        struct observation oa, ob, oc;

        sim_gun_params_default(&params);
        sim_gun_init(&a, &params, 1234);
        sim_gun_init(&b, &params, 1234);
        sim_gun_init(&c, &params, 4321);
        for (unsigned step = 0; step < 20; step++) {
                drive(&a, step);
                drive(&b, step);
                drive(&c, step);
                observe(&a, &oa);
                observe(&b, &ob);
                observe(&c, &oc);
                ck_assert(memcmp(&oa, &ob, sizeof(oa)) == 0);
        }
        ck_assert_double_gt(oa.speed_ppm, 500.0);
        /* the seed is what the noise comes from */
        ck_assert(memcmp(oa.accel_m_s2, oc.accel_m_s2, sizeof(oa.accel_m_s2)) != 0);
}
END_TEST

/* The simulated motor driver's enable is a lease each duty write renews:
 * with no write for SIM_ENABLE_HOLD_NS, as when the loop dies, the board
 * drops it and the crank coasts down; a loop that only stalled takes it
 * back with its next write. */
START_TEST(test_enable_lease_expires_without_refresh)
{
        struct encoder_sample sample;
        double running_ppm;

        for (int i = 0; i < 3000; i++)
                running_ppm = period(2000.0, 0.0);
        ck_assert_double_gt(running_ppm, 1900.0);
        ck_assert(model.enabled);

        /* sensors still read, no duty written */
        for (uint64_t t = 0; t < SIM_ENABLE_HOLD_NS - PERIOD_NS; t += PERIOD_NS) {
                now_ns += PERIOD_NS;
                ck_assert_int_eq(gun.encoder.ops->read(&gun.encoder, &sample), 0);
        }
        ck_assert(model.enabled);
        now_ns += 2 * PERIOD_NS;
        ck_assert_int_eq(gun.encoder.ops->read(&gun.encoder, &sample), 0);
        ck_assert(!model.enabled);

        now_ns += 500 * PERIOD_NS;
        ck_assert_int_eq(gun.encoder.ops->read(&gun.encoder, &sample), 0);
        ck_assert_double_lt(sim_gun_true_speed_ppm(&model), 0.5 * running_ppm);

        for (int i = 0; i < 3000; i++)
                running_ppm = period(2000.0, 0.0);
        ck_assert(model.enabled);
        ck_assert_double_gt(running_ppm, 1900.0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("speed-loop");
        TCase *loop = tcase_create("loop");
        TCase *parts = tcase_create("parts");

        tcase_add_checked_fixture(loop, setup, NULL);
        tcase_set_timeout(loop, 60);
        tcase_add_test(loop, test_ramp_settles_and_holds);
        tcase_add_test(loop, test_contact_force_step);
        tcase_add_test(loop, test_stall_does_not_wind_up);
        tcase_add_test(loop, test_enable_lease_expires_without_refresh);
        suite_add_tcase(s, loop);

        tcase_add_test(parts, test_estimator_angle_wraps);
        tcase_add_test(parts, test_estimator_angular_velocity);
        tcase_add_test(parts, test_model_is_deterministic);
        suite_add_tcase(s, parts);
        return run_suite(s);
}
