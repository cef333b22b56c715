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

#include "daemon/control/identify-frame.h"
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
                      "zero %.1f° delay %.3f ms (true %d,%d,%d, %d, %.1f°, %.3f ms)", name, r, cal.why,
                      cal.result.frame.imu_axes[0], cal.result.frame.imu_axes[1],
                      cal.result.frame.imu_axes[2], cal.result.frame.encoder_reversed,
                      cal.result.frame.encoder_zero_rad * 180 / M_PI,
                      cal.result.frame.imu_delay_s * 1e3, params->imu_axes[0],
                      params->imu_axes[1], params->imu_axes[2], params->encoder_reversed,
                      params->encoder_zero_deg, params->imu_delay_s * 1e3);
        m = &cal.result.motor;
        fprintf(stderr, "%s: %.1f s; back-EMF %+.1f %%, viscous %+.1f %%, Coulomb %+.1f %%, "
                        "inertia %+.1f %%, stroke gain %+.2f %%, zero off %.2f°, R %+.1f %%, "
                        "axes %d,%d,%d (true %d,%d,%d), reversed %d (true %d), IMU delay %.3f ms "
                        "(true %.3f ms)\n",
                name, seconds, 100 * off(m->torque_constant_nm_per_a, t.back_emf),
                100 * off(m->viscous_nm_s_per_rad, t.viscous), 100 * off(m->coulomb_nm, t.coulomb),
                100 * off(m->inertia_kg_m2, t.inertia), 100 * off(cal.result.stroke_gain, t.gain),
                zero_error_deg(&cal.result, t.zero_deg),
                100 * off(m->resistance_ohm, params->resistance_ohm),
                cal.result.frame.imu_axes[0], cal.result.frame.imu_axes[1],
                cal.result.frame.imu_axes[2], params->imu_axes[0], params->imu_axes[1],
                params->imu_axes[2], cal.result.frame.encoder_reversed, params->encoder_reversed,
                cal.result.frame.imu_delay_s * 1e3, params->imu_delay_s * 1e3);
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
        unsigned member = family_member(_i);

        sim_gun_params_family(&p, (uint64_t)member + 1);
        {
                char name[32];

                snprintf(name, sizeof(name), "family gun %u", member + 1);
                calibrate_and_check(name, &p, (uint64_t)member + 100);
        }
}
END_TEST

/* What the air at the top speed and the long stroke reads, the head
 * touching nothing: the revolutions the stroke estimator took for
 * contact, its largest unexplained quadrature, Amplitude's worst error
 * against the true stroke. */
struct air_figures {
        unsigned revolutions, contact_revolutions;
        double worst_quadrature_m_s2, amplitude_error_mm;
};

static struct air_figures air_at_top_speed(void)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 3200, .ramp_s = 2.0, .stroke_mm = 16,
                               .generation = rig.cp.generation + 1,
                               .bus_voltage_v = sim_gun_bus_voltage(&rig.model) };
        struct air_figures f = { .revolutions = 0 };
        uint64_t revolution_start_ns;

        sim_gun_set_contact_force(&rig.model, 0.0);
        ck_assert_int_eq(sim_rig_run(&rig, &sp, 4 * SIM_RIG_HZ), 0);
        revolution_start_ns = rig.cp.stroke_estimator.start_ns;
        for (unsigned i = 0; i < 2 * SIM_RIG_HZ; i++) {
                ck_assert_int_eq(sim_rig_period(&rig, &sp), 0);
                f.amplitude_error_mm = fmax(f.amplitude_error_mm, fabs(rig.tm.amplitude_mm -
                                                                       sim_gun_true_stroke_mm(&rig.model)));
                /* a revolution closed: the next began */
                if (rig.cp.stroke_estimator.start_ns == revolution_start_ns)
                        continue;
                revolution_start_ns = rig.cp.stroke_estimator.start_ns;
                f.revolutions++;
                f.contact_revolutions += rig.cp.stroke_estimator.contact;
                f.worst_quadrature_m_s2 = fmax(f.worst_quadrature_m_s2,
                                               fabs(rig.cp.stroke_estimator.residual_m_s2));
        }
        return f;
}

/* Issue 18: a gun whose IMU lags 2 ms (an MPU-6050's low-pass), brought
 * up by Calibrate, reads no contact in the air at 3200 ppm and 16 mm
 * (where 10 µs of delay unaccounted for is a quadrature of a touch), and
 * its Amplitude holds QUALITY.md's ±0.2 mm. The same gun with the delay
 * left out, as before Calibrate measured it, reads contact. */
START_TEST(test_imu_delay_air)
{
        struct sim_gun_params p;
        struct control_params control;
        struct calibration cal;
        struct air_figures with, without;
        double seconds, zero_off_deg, delay_off_ms;

        sim_gun_params_default(&p);
        p.imu_delay_s = 2e-3;
        p.encoder_zero_deg = 231.0;
        control_params_default(&control);
        sim_rig_init_gun(&rig, &p, &control, 41);
        ck_assert_int_eq(sim_rig_calibrate(&rig, p.body_mass_kg, &cal, &seconds), 1);
        zero_off_deg = zero_error_deg(&cal.result, p.encoder_zero_deg);
        delay_off_ms = (cal.result.frame.imu_delay_s - p.imu_delay_s) * 1e3;
        with = air_at_top_speed();

        calibration_apply(&cal.result, &control);
        control.frame.imu_delay_s = 0.0;
        sim_rig_set_control(&rig, &control);
        without = air_at_top_speed();
        fprintf(stderr, "2 ms IMU delay: measured %+.4f ms off, zero %.3f° off; at 3200 ppm and 16 mm "
                        "in the air, contact in %u of %u revolutions, quadrature up to %.3f m/s², "
                        "Amplitude ±%.3f mm; the delay left out: contact in %u of %u, up to %.2f m/s²\n",
                delay_off_ms, zero_off_deg, with.contact_revolutions, with.revolutions,
                with.worst_quadrature_m_s2, with.amplitude_error_mm, without.contact_revolutions,
                without.revolutions, without.worst_quadrature_m_s2);
        ck_assert_double_le(fabs(delay_off_ms), 0.05);
        ck_assert_double_le(zero_off_deg, 3.0);
        ck_assert_uint_gt(with.revolutions, 50);
        ck_assert_uint_eq(with.contact_revolutions, 0);
        ck_assert_double_le(with.amplitude_error_mm, 0.2);
        ck_assert_uint_gt(without.contact_revolutions, without.revolutions / 2);
}
END_TEST

/* The zero the phase step found, a degree off either way and with the
 * encoder either way round, is brought to the truth by the stroke ends'
 * unexplained quadrature: the body's harmonic against the angle that zero
 * gives, −K cos(φ + off), has −K cos off in phase and K sin off left over. */
START_TEST(test_zero_refined)
{
        const double true_zero_rad = 40.0 * M_PI / 180.0;
        const double harmonic_m_s2[2] = { 30.0, 120.0 }; /* the short stroke, the long one */

        for (int i = 0; i < 4; i++) {
                bool reversed = i & 1;
                double found_rad = true_zero_rad + (i & 2 ? -1.0 : 1.0) * M_PI / 180.0;
                double off_rad = (reversed ? -1.0 : 1.0) * (found_rad - true_zero_rad);
                struct identify_sums sums = { .harmonic_samples = 0 };
                double zero_rad = found_rad, delay_s = 1e-3;

                for (int end = 0; end < 2; end++) {
                        sums.end_revolutions[end] = 10;
                        sums.end_in_phase_m_s2[end] = -10.0 * harmonic_m_s2[end] * cos(off_rad);
                        sums.end_residual_m_s2[end] = 10.0 * harmonic_m_s2[end] * sin(off_rad);
                }
                /* no speeds told: the delay stays */
                ck_assert_int_eq(identify_encoder_zero_refine(&sums, reversed, &zero_rad, &delay_s), 0);
                ck_assert_double_eq(delay_s, 1e-3);
                ck_assert_msg(fabs(remainder(zero_rad - true_zero_rad, 2.0 * M_PI)) < 1e-9,
                              "reversed %d: zero %.4f°, true %.4f°", reversed, zero_rad * 180 / M_PI,
                              true_zero_rad * 180 / M_PI);
        }
}
END_TEST

/* A deterministic noise, ±√3 σ uniform: the IMU's 0.2 m/s² RMS. */
static double noise_m_s2(uint64_t *state)
{
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        return 0.2 * sqrt(3.0) * (2.0 * (double)(*state >> 11) * 0x1.0p-53 - 1.0);
}

/* The phase step's sums, as the control period takes them, from an IMU
 * 2 ms behind the encoder: at 1100 and 2300 ppm, the head's harmonic
 * 4 and 17 m/s² under 0.2 m/s² of noise, 2 s and 1 s at 1 kHz (the
 * slow phase's noise alone is about 10 µs of delay). The fit gives the
 * delay within 20 µs (0.4° at 3200 ppm, which the stroke ends then
 * refine) and the zero within 0.2°, whichever way the encoder counts. */
START_TEST(test_zero_and_delay)
{
        const double delay_s = 2e-3, speeds_ppm[2] = { 1100, 2300 }, amplitude_m_s2[2] = { 4, 17 };
        const double seconds[2] = { 2.0, 1.0 };

        for (int reversed = 0; reversed < 2; reversed++) {
                const double zero_rad = 200.0 * M_PI / 180.0;
                /* the sums' angle is the reading turned by the direction alone */
                double sums_zero_rad = reversed ? -zero_rad : zero_rad;
                struct identify_phase phases[2];
                double found_zero_rad, found_delay_s;
                uint64_t state = 7;

                for (int k = 0; k < 2; k++) {
                        struct identify_sums sums = { .harmonic_samples = 0 };
                        struct identify_history history = { .count = 0 };
                        double speed_rad_s = speeds_ppm[k] * 2.0 * M_PI / 60.0;

                        for (unsigned i = 0; i < (unsigned)(seconds[k] * 1000); i++) {
                                double angle_rad = 0.3 + speed_rad_s * i * 1e-3;
                                /* the body's recoil of the crank's angle 2 ms ago */
                                double crank_then_rad = angle_rad - speed_rad_s * delay_s - sums_zero_rad;
                                struct identify_sample sample = {
                                        .time_ns = (uint64_t)i * 1000000u,
                                        .running_angle_rad = angle_rad,
                                        .cos_angle = cos(angle_rad),
                                        .sin_angle = sin(angle_rad),
                                        .imu_known = true,
                                        .imu_cos_angle = cos(angle_rad),
                                        .imu_sin_angle = sin(angle_rad),
                                        .speed_rad_s = speed_rad_s,
                                        .accel_m_s2 = { -amplitude_m_s2[k] * cos(crank_then_rad) +
                                                                noise_m_s2(&state),
                                                        noise_m_s2(&state), 9.8 + noise_m_s2(&state) },
                                };

                                identify_update(&sums, &history, IDENTIFY_HARMONIC, &sample);
                        }
                        ck_assert_int_eq(identify_harmonic_phase(&sums, &phases[k]), 0);
                }
                ck_assert_int_eq(identify_zero_and_delay(phases, 2, reversed, &found_zero_rad,
                                                         &found_delay_s), 0);
                fprintf(stderr, "reversed %d: delay %.4f ms (true 2 ms), zero %.3f° off\n", reversed,
                        found_delay_s * 1e3, remainder(found_zero_rad - zero_rad, 2 * M_PI) * 180 / M_PI);
                ck_assert_double_le(fabs(found_delay_s - delay_s), 20e-6);
                ck_assert_double_le(fabs(remainder(found_zero_rad - zero_rad, 2 * M_PI)) * 180 / M_PI, 0.2);
        }
        /* one speed, or two too close, tell no delay */
        {
                struct identify_phase same[2] = { { .phase_rad = 1.0, .speed_rad_s = 200, .weight = 1 },
                                                  { .phase_rad = 1.1, .speed_rad_s = 200, .weight = 1 } };
                double z, d;

                ck_assert_int_eq(identify_zero_and_delay(same, 1, false, &z, &d), -EDOM);
                ck_assert_int_eq(identify_zero_and_delay(same, 2, false, &z, &d), -EDOM);
        }
}
END_TEST

/* What the phase step left of the delay, 40 µs, and of the zero, half a
 * degree, both come out of the stroke ends' revolutions (slow, 1500 ppm)
 * and the short stroke's at the top duty (2700 ppm): the angle the zero
 * and the delay gave is off by 0.5° + ω × 40 µs. */
START_TEST(test_delay_refined)
{
        const double true_zero_rad = 40.0 * M_PI / 180.0, true_delay_s = 2e-3;
        const double speed_rad_s[3] = { 157.0, 157.0, 283.0 }, harmonic_m_s2[3] = { 30, 120, 97 };

        for (int reversed = 0; reversed < 2; reversed++) {
                double zero_rad = true_zero_rad + (reversed ? -0.5 : 0.5) * M_PI / 180.0;
                double delay_s = true_delay_s - 40e-6;
                struct identify_sums sums = { .harmonic_samples = 0 };

                for (unsigned end = 0; end < IDENTIFY_END_SPEEDS; end++)
                        for (int rev = 0; rev < 10; rev++) {
                                double off_rad = 0.5 * M_PI / 180.0 - speed_rad_s[end] * 40e-6;

                                identify_end_revolution(&sums, end, -harmonic_m_s2[end] * cos(off_rad), 1.0,
                                                        harmonic_m_s2[end] * sin(off_rad), speed_rad_s[end]);
                        }
                ck_assert_int_eq(identify_encoder_zero_refine(&sums, reversed, &zero_rad, &delay_s), 0);
                ck_assert_msg(fabs(delay_s - true_delay_s) < 1e-9 &&
                                      fabs(remainder(zero_rad - true_zero_rad, 2 * M_PI)) < 1e-6,
                              "reversed %d: delay %.6f ms, zero %.4f°", reversed, delay_s * 1e3,
                              zero_rad * 180 / M_PI);
        }
}
END_TEST

/* Without revolutions at both ends, or with no harmonic there, the zero
 * is left as the phase step found it. */
START_TEST(test_zero_not_refined)
{
        struct identify_sums sums = { .end_revolutions = { 0, 10 },
                                      .end_in_phase_m_s2 = { 0.0, -1200.0 },
                                      .end_residual_m_s2 = { 0.0, 20.0 } };
        double zero_rad = 1.0, delay_s = 1e-3;

        ck_assert_int_eq(identify_encoder_zero_refine(&sums, false, &zero_rad, &delay_s), -EDOM);
        sums.end_revolutions[0] = 10;
        sums.end_in_phase_m_s2[1] = 0.01;
        ck_assert_int_eq(identify_encoder_zero_refine(&sums, false, &zero_rad, &delay_s), -EDOM);
        ck_assert_double_eq(zero_rad, 1.0);
        ck_assert_double_eq(delay_s, 1e-3);
}
END_TEST

/* The sequence stepped period by period as sim_rig_calibrate() does,
 * with an event injected once the motor steps have run `after_s`; the
 * sequence's result, and how long the motor stayed enabled after it. */
struct abort_figures {
        int result;
        double motor_on_after_s;        /* from the injection to the enable off */
        double max_duty, max_speed_ppm;
};

enum injection { INJECT_NOTHING, INJECT_CONTACT, INJECT_ENCODER_CUT, INJECT_JAM };

static struct abort_figures calibrate_with(enum injection what, double after_s, struct calibration *cal)
{
        struct calibration_config cfg = {
                .duty_max = rig.cp.speed_control.p.duty_max,
                .stroke_min_mm = rig.gun.stroke.min_mm,
                .stroke_max_mm = rig.gun.stroke.max_mm,
                .body_mass_kg = rig.model.p.body_mass_kg,
                .nominal_bus_voltage_v = rig.cp.nominal_bus_voltage_v,
                .settings_frame = rig.cp.settings_frame,
                .head_down_timeout_s = 30.0,
        };
        struct abort_figures f = { .result = 0 };
        uint64_t motor_ns = 0, injected_ns = 0;
        struct setpoint sp;

        calibration_start(cal, &cfg, rig.cp.generation, rig.now_ns);
        sp = cal->sp;
        for (unsigned i = 0; i < 120u * SIM_RIG_HZ; i++) {
                sp.bus_voltage_v = sim_gun_bus_voltage(&rig.model);
                (void)sim_rig_period(&rig, &sp);
                f.max_duty = fmax(f.max_duty, rig.tm.duty);
                f.max_speed_ppm = fmax(f.max_speed_ppm, rig.tm.speed_ppm);
                sim_gun_set_head_down(&rig.model, cal->state == CALIBRATION_HEAD_DOWN ||
                                                          cal->state > CALIBRATION_HEAD_DOWN);
                if (cal->state == CALIBRATION_MOTOR && !motor_ns)
                        motor_ns = rig.now_ns;
                if (what != INJECT_NOTHING && motor_ns && !injected_ns &&
                    rig.now_ns - motor_ns >= (uint64_t)(after_s * 1e9)) {
                        injected_ns = rig.now_ns;
                        if (what == INJECT_CONTACT)
                                sim_gun_set_contact_force(&rig.model, 40.0);
                        else if (what == INJECT_ENCODER_CUT)
                                rig.encoder_error = -EIO;
                        else
                                sim_gun_set_jammed(&rig.model, true);
                }
                if (injected_ns && rig.enabled)
                        f.motor_on_after_s = (double)(rig.now_ns - injected_ns) * 1e-9;
                if (f.result == 0)
                        f.result = calibration_step(cal, rig.now_ns, &rig.tm,
                                                    sim_gun_bus_voltage(&rig.model), &sp);
                if (f.result != 0 && !rig.enabled &&
                    (!injected_ns || rig.now_ns - injected_ns > 200000000ull))
                        break;
        }
        return f;
}

/* Never above DutyMax nor the routines' top speed, however strong the gun. */
START_TEST(test_limits_kept)
{
        struct sim_gun_params p;
        struct control_params control;
        struct calibration cal;
        struct abort_figures f;

        sim_gun_params_default(&p);
        /* the strongest corner of the family: a weak back-EMF on a full pack */
        p.torque_constant_nm_per_a *= 0.7;
        p.bus_voltage_v = 25.2;
        control_params_default(&control);
        control.speed.duty_max = 0.8;
        sim_rig_init_gun(&rig, &p, &control, 41);
        f = calibrate_with(INJECT_NOTHING, 0, &cal);
        fprintf(stderr, "strong gun, DutyMax 0.8: duty at most %.3f, speed at most %.0f ppm\n",
                f.max_duty, f.max_speed_ppm);
        ck_assert_int_eq(f.result, 1);
        ck_assert_double_le(f.max_duty, 0.8);
        ck_assert_double_le(f.max_speed_ppm, 3200.0);
}
END_TEST

/* Contact, a lost sensor, a jam in the motor steps: the motor off within
 * 100 ms, the step named. */
START_TEST(test_aborts)
{
        static const struct { enum injection what; int result; const char *said; } cases[] = {
                { INJECT_CONTACT, -ECONNABORTED, "touched" },
                { INJECT_ENCODER_CUT, -EIO, "sensor-lost" },
                { INJECT_JAM, -EIO, "stall" },
        };
        struct calibration cal;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct abort_figures f;

                sim_rig_init(&rig, 50 + i);
                f = calibrate_with(cases[i].what, 1.0, &cal);
                fprintf(stderr, "%s: motor off %.0f ms after; \"%s\"\n", cases[i].said,
                        1e3 * f.motor_on_after_s, cal.why);
                ck_assert_int_eq(f.result, cases[i].result);
                ck_assert_msg(strstr(cal.why, "motor") && strstr(cal.why, cases[i].said), "%s", cal.why);
                ck_assert_double_le(f.motor_on_after_s, 0.1);
                ck_assert(!rig.enabled);
        }
}
END_TEST

/* Stop: the motor off at once. */
START_TEST(test_cancel)
{
        struct calibration cal;
        struct setpoint sp;

        sim_rig_init(&rig, 60);
        (void)calibrate_with(INJECT_NOTHING, 0, &cal);
        calibration_start(&cal, &(struct calibration_config){ .duty_max = 0.95, .stroke_min_mm = 4,
                                                              .stroke_max_mm = 16, .body_mass_kg = 1,
                                                              .nominal_bus_voltage_v = 24,
                                                              .head_down_timeout_s = 1 },
                          rig.cp.generation, rig.now_ns);
        calibration_cancel(&cal, &sp);
        ck_assert(!sp.motor_on);
        (void)sim_rig_period(&rig, &sp);
        ck_assert(!rig.enabled);
        ck_assert_msg(strstr(cal.why, "cancelled"), "%s", cal.why);
}
END_TEST

/* Nobody turns the gun: the sequence gives up, saying so. */
START_TEST(test_not_turned)
{
        struct calibration cal;
        struct setpoint sp;
        int r = 0;

        sim_rig_init(&rig, 61);
        calibration_start(&cal, &(struct calibration_config){ .duty_max = 0.95, .stroke_min_mm = 4,
                                                              .stroke_max_mm = 16, .body_mass_kg = 1,
                                                              .nominal_bus_voltage_v = 24,
                                                              .settings_frame = rig.cp.settings_frame,
                                                              .head_down_timeout_s = 5 },
                          rig.cp.generation, rig.now_ns);
        sp = cal.sp;
        for (unsigned i = 0; i < 10 * SIM_RIG_HZ && r == 0; i++) {
                (void)sim_rig_period(&rig, &sp);
                r = calibration_step(&cal, rig.now_ns, &rig.tm, 24.0, &sp);
        }
        ck_assert_int_eq(r, -ETIMEDOUT);
        ck_assert_msg(strstr(cal.why, "head-down") && strstr(cal.why, "head to the floor"), "%s", cal.why);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("calibration");
        TCase *identify = tcase_create("identify");
        TCase *safety = tcase_create("safety");

        tcase_set_timeout(identify, 120);
        tcase_add_test(identify, test_reference_gun);
        tcase_add_loop_test(identify, test_family_member, 0, family_loop_end(24));
        tcase_add_test(identify, test_zero_refined);
        tcase_add_test(identify, test_imu_delay_air);
        tcase_add_test(identify, test_zero_and_delay);
        tcase_add_test(identify, test_delay_refined);
        tcase_add_test(identify, test_zero_not_refined);
        suite_add_tcase(s, identify);
        tcase_set_timeout(safety, 120);
        tcase_add_test(safety, test_limits_kept);
        tcase_add_test(safety, test_aborts);
        tcase_add_test(safety, test_cancel);
        tcase_add_test(safety, test_not_turned);
        suite_add_tcase(s, safety);
        return run_suite(s);
}
