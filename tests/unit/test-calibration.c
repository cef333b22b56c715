/* SPDX-License-Identifier: MIT */
/*
 * Calibrate on the simulated gun, through the real sequence and control
 * period: what it identifies against the model's truth (QUALITY.md: the
 * feed-forward within ±5 %, friction and inertia within ±20 %, the
 * encoder's zero within ±3°, its direction and the IMU's axes exactly,
 * the stroke gain within ±3 %), on the reference gun and the three of
 * issue 18; its safety: duty and speed inside their limits, contact and
 * faults stopping the motor, the step named.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/sim-calibrate.h"

static struct sim_rig rig;

struct truth {
        double back_emf, viscous, coulomb, inertia, gain, zero_deg;
};

static struct truth truth_of(const struct sim_gun_params *p)
{
        return (struct truth){
                .back_emf = p->torque_constant_nm_per_a,
                .viscous = p->viscous_nm_s_per_rad,
                .coulomb = p->coulomb_nm,
                .inertia = p->inertia_kg_m2,
                .gain = 2.0 * p->body_mass_kg / p->head_mass_kg,
                .zero_deg = p->encoder_zero_deg,
        };
}

static double off(double measured, double truth)
{
        return (measured - truth) / truth;
}

static double zero_error_deg(const struct calibration_result *res, double truth_deg)
{
        return fabs(remainder(res->frame.encoder_zero_rad * 180.0 / M_PI - truth_deg, 360.0));
}

/* Calibrates the gun and holds what it found to the bars. */
static void calibrate_and_check(const char *name, const struct sim_gun_params *params, uint64_t seed)
{
        struct control_params control;
        struct calibration cal;
        struct truth t = truth_of(params);
        const struct motor_identity *m;
        double seconds;
        int r;

        control_params_default(&control);
        sim_rig_init_gun(&rig, params, &control, seed);
        r = sim_rig_calibrate(&rig, params->body_mass_kg, &cal, &seconds);
        ck_assert_msg(r == 1, "%s: calibration failed (%d): %s; frame so far %d,%d,%d reversed %d "
                      "zero %.1f° (true %d,%d,%d, %d, %.1f°)", name, r, cal.why,
                      cal.result.frame.imu_axes[0], cal.result.frame.imu_axes[1],
                      cal.result.frame.imu_axes[2], cal.result.frame.encoder_reversed,
                      cal.result.frame.encoder_zero_rad * 180 / M_PI, params->imu_axes[0],
                      params->imu_axes[1], params->imu_axes[2], params->encoder_reversed,
                      params->encoder_zero_deg);
        m = &cal.result.motor;
        fprintf(stderr, "%s: %.1f s; back-EMF %+.1f %%, viscous %+.1f %%, Coulomb %+.1f %%, "
                        "inertia %+.1f %%, stroke gain %+.2f %%, zero off %.2f°, R %+.1f %%, "
                        "axes %d,%d,%d (true %d,%d,%d), reversed %d (true %d)\n",
                name, seconds, 100 * off(m->torque_constant_nm_per_a, t.back_emf),
                100 * off(m->viscous_nm_s_per_rad, t.viscous), 100 * off(m->coulomb_nm, t.coulomb),
                100 * off(m->inertia_kg_m2, t.inertia), 100 * off(cal.result.stroke_gain, t.gain),
                zero_error_deg(&cal.result, t.zero_deg),
                100 * off(m->resistance_ohm, params->resistance_ohm),
                cal.result.frame.imu_axes[0], cal.result.frame.imu_axes[1],
                cal.result.frame.imu_axes[2], params->imu_axes[0], params->imu_axes[1],
                params->imu_axes[2], cal.result.frame.encoder_reversed, params->encoder_reversed);
        ck_assert_double_le(seconds, 60.0);
        ck_assert(memcmp(cal.result.frame.imu_axes, params->imu_axes, sizeof(params->imu_axes)) == 0);
        ck_assert(cal.result.frame.encoder_reversed == params->encoder_reversed);
        ck_assert_double_le(zero_error_deg(&cal.result, t.zero_deg), 3.0);
        ck_assert_double_le(fabs(off(m->torque_constant_nm_per_a, t.back_emf)), 0.05);
        ck_assert_double_le(fabs(off(m->viscous_nm_s_per_rad, t.viscous)), 0.2);
        ck_assert_double_le(fabs(off(m->coulomb_nm, t.coulomb)), 0.2);
        ck_assert_double_le(fabs(off(m->inertia_kg_m2, t.inertia)), 0.2);
        ck_assert_double_le(fabs(off(cal.result.stroke_gain, t.gain)), 0.03);
}

START_TEST(test_reference_gun)
{
        struct sim_gun_params p;

        sim_gun_params_default(&p);
        calibrate_and_check("reference gun", &p, 11);
}
END_TEST

START_TEST(test_family_member)
{
        struct sim_gun_params p;

        sim_gun_params_family(&p, (uint64_t)_i + 1);
        {
                char name[32];

                snprintf(name, sizeof(name), "family gun %d", _i + 1);
                calibrate_and_check(name, &p, (uint64_t)_i + 100);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("calibration");
        TCase *identify = tcase_create("identify");

        tcase_set_timeout(identify, 120);
        tcase_add_test(identify, test_reference_gun);
        tcase_add_loop_test(identify, test_family_member, 0, 24);
        suite_add_tcase(s, identify);
        return run_suite(s);
}
