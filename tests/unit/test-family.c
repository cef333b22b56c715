/* SPDX-License-Identifier: MIT */
/*
 * QUALITY.md's "A family of guns": each gun of a seeded family, and the
 * three of issue 18 (a weak motor, a sagged pack, a heavy head), brought
 * up once by Calibrate in the air through the real sequence and control
 * period, then held to every control bar: speed (settling, steady state,
 * the top speed or its SpeedLimit, the dip under a 40 N push), amplitude
 * in the air (the true stroke and the published Amplitude, positive
 * whatever the encoder's zero), the force within ±10 % or ±3 N with the
 * measured pack voltage, and a Stop at the top speed that coasts down
 * with no runaway. tests/bench/family-report prints the same
 * figures before calibration too.
 *
 * Each gun is brought up under two draws of the sensors' noise
 * (sim_rig_noise_seed()): a bar held under one draw only would be a tuned
 * result. The second, 22, is the draw under which the encoder's zero as
 * the phase step alone found it (0.9° off on gun 2) made the air read as
 * contact at the top speed (identify-frame.h).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/control-bars.h"
#include "tests/fixtures/sim-calibrate.h"

#define FAMILY_SIZE 20
static const uint64_t noise_seeds[] = { 0, 22 };
#define NOISE_SEEDS (sizeof(noise_seeds) / sizeof(noise_seeds[0]))

static struct sim_rig rig;

static void bring_up_and_hold(const char *gun_name, const struct sim_gun_params *params,
                              uint64_t noise_seed, uint64_t draw)
{
        uint64_t seed = sim_rig_noise_seed(noise_seed, draw);
        char name[128];
        struct control_params control;
        struct control_figures f;
        struct calibration cal;
        double seconds;
        int r;

        snprintf(name, sizeof(name), "%s, noise seed %llu", gun_name, (unsigned long long)noise_seed);
        control_params_default(&control);
        sim_rig_init_gun(&rig, params, &control, seed);
        r = sim_rig_calibrate(&rig, params->body_mass_kg, &cal, &seconds);
        ck_assert_msg(r == 1, "%s: calibration failed: %s", name, cal.why);
        control_bars_measure(&rig, &f);
        fprintf(stderr, "%s: calibrated in %.1f s; 2000 ppm within ±2 %% after %u ms, RMS %.3f %%; "
                        "%.0f ppm after %u ms; 40 N dip %.2f %%, back in %u ms; stroke ±%.3f mm, "
                        "Amplitude %.2f mm ±%.3f mm; force ±%.2f N, ±%.2f N at 20 N at the top speed "
                        "(%+.2f N past the bar); coast from 3200 ppm %.1f s at SpinDownRate %.0f ppm/s\n",
                name, seconds, f.settle_ms, f.rms_percent, f.top_target_ppm, f.top_settle_ms,
                f.dip_percent, f.recover_ms, f.stroke_error_mm, f.amplitude_mm,
                f.amplitude_error_mm, f.force_error_n, f.top_force_error_n, f.force_excess_n,
                f.coast_ms * 1e-3,
                rig.cp.safety_params.spin_down_ppm_per_s);
        ck_assert_msg(control_bars_met(&f), "%s: a control bar is not met", name);
        ck_assert_double_gt(f.amplitude_mm, 0.0);
}

START_TEST(test_family_member)
{
        unsigned member = family_member(_i), gun = member % FAMILY_SIZE + 1;
        struct sim_gun_params p;
        char name[32];

        /* the draws family-report makes */
        sim_gun_params_family(&p, gun);
        snprintf(name, sizeof(name), "family gun %u", gun);
        bring_up_and_hold(name, &p, noise_seeds[member / FAMILY_SIZE], gun + 500);
}
END_TEST

/* The reference gun with its motor's constants scaled */
static void reference_motor_scaled(struct sim_gun_params *p, double torque, double resistance,
                                   double inertia, double friction)
{
        sim_gun_params_default(p);
        p->torque_constant_nm_per_a *= torque;
        p->resistance_ohm *= resistance;
        p->inertia_kg_m2 *= inertia;
        p->viscous_nm_s_per_rad *= friction;
        p->coulomb_nm *= friction;
}

/* The three guns of issue 18's table. */
START_TEST(test_weak_motor)
{
        struct sim_gun_params p;

        reference_motor_scaled(&p, 0.8, 1.3, 2.0, 2.0);
        bring_up_and_hold("motor ×0.8 torque, ×1.3 resistance, ×2 inertia and friction", &p,
                          noise_seeds[_i], 31);
}
END_TEST

START_TEST(test_sagged_pack)
{
        struct sim_gun_params p;

        sim_gun_params_default(&p);
        p.bus_voltage_v = 20.0;
        bring_up_and_hold("pack sagged to 20 V", &p, noise_seeds[_i], 32);
}
END_TEST

START_TEST(test_heavy_head)
{
        struct sim_gun_params p;

        sim_gun_params_default(&p);
        p.head_mass_kg = 0.15;
        p.body_mass_kg = 0.8;
        p.encoder_zero_deg = 117.0; /* and an encoder whose zero is not at the bottom */
        bring_up_and_hold("head 0.15 kg, body 0.8 kg, encoder zero at 117°", &p, noise_seeds[_i], 33);
}
END_TEST

/* Outside the family: a flywheel and bearings that barely brake, the
 * crank coasting at 400 ppm/s. The reference gun's SpinDownRate (800)
 * took that healthy coast for a driver stuck on, at every Stop; the rate
 * Calibrate measured does not. */
START_TEST(test_flywheel)
{
        struct sim_gun_params p;

        reference_motor_scaled(&p, 1.0, 1.0, 4.0, 0.5);
        bring_up_and_hold("flywheel: ×4 inertia, ×0.5 friction", &p, noise_seeds[_i], 34);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("family");
        TCase *family = tcase_create("family");
        TCase *issue = tcase_create("issue-18");

        tcase_set_timeout(family, 300);
        tcase_add_loop_test(family, test_family_member, 0, family_loop_end(FAMILY_SIZE * NOISE_SEEDS));
        suite_add_tcase(s, family);
        tcase_set_timeout(issue, 120);
        tcase_add_loop_test(issue, test_weak_motor, 0, (int)NOISE_SEEDS);
        tcase_add_loop_test(issue, test_sagged_pack, 0, (int)NOISE_SEEDS);
        tcase_add_loop_test(issue, test_heavy_head, 0, (int)NOISE_SEEDS);
        tcase_add_loop_test(issue, test_flywheel, 0, (int)NOISE_SEEDS);
        suite_add_tcase(s, issue);
        return run_suite(s);
}
