/* SPDX-License-Identifier: MIT */
/*
 * Amplitude under contact (issue 19, QUALITY.md): on the simulated gun
 * with a compliant stroke mechanism, in simulated time. With a
 * stroke-position sensor the amplitude loop closes on it and holds the
 * true stroke within ±0.3 mm at 10, 20 and 40 N; without one the stroke
 * measured in the air is held and the error the mechanism's yield makes
 * is stated, as AmplitudeSource says (held). Also: a step of the target
 * while pressed, the IMU checking the sensor in the air, Calibrate
 * measuring the sensor's map, and bad input (a map that is not monotonic,
 * a sensor that fails, reads out of range or goes silent mid-routine:
 * held, never a motor fault, and back to the sensor when it reads again).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/sim-calibrate.h"
#include "tests/fixtures/sim-rig.h"

#define TARGET_MM 12.0
#define SPEED_PPM 2000.0

static struct sim_rig rig;

static void open_gun(const struct sim_gun_params *p, uint64_t seed)
{
        struct control_params control;

        control_params_default(&control);
        sim_rig_init_gun(&rig, p, &control, seed);
}

static void compliant_gun(double compliance_mm_per_n, bool sensor, uint64_t seed)
{
        struct sim_gun_params p;

        sim_gun_params_default(&p);
        p.stroke_compliance_mm_per_n = compliance_mm_per_n;
        p.stroke_sensor = sensor;
        open_gun(&p, seed);
}

static void run(const struct setpoint *sp, unsigned periods)
{
        for (unsigned i = 0; i < periods; i++)
                ck_assert_int_eq(sim_rig_period(&rig, sp), 0);
}

struct contact_figures {
        double worst_true_error_mm;     /* |true stroke − target|, worst */
        double mean_true_error_mm;      /* true stroke − target, mean */
        double worst_amplitude_error_mm;/* |Amplitude − true stroke|, worst */
        enum amplitude_source source;   /* at the end */
};

static void measure(const struct setpoint *sp, unsigned periods, struct contact_figures *f)
{
        double sum_mm = 0.0;

        *f = (struct contact_figures){0};
        for (unsigned i = 0; i < periods; i++) {
                double true_mm;

                ck_assert_int_eq(sim_rig_period(&rig, sp), 0);
                true_mm = sim_gun_true_stroke_mm(&rig.model);
                f->worst_true_error_mm = fmax(f->worst_true_error_mm, fabs(true_mm - sp->stroke_mm));
                f->worst_amplitude_error_mm = fmax(f->worst_amplitude_error_mm,
                                                   fabs(rig.tm.amplitude_mm - true_mm));
                sum_mm += true_mm - sp->stroke_mm;
        }
        f->mean_true_error_mm = sum_mm / periods;
        f->source = rig.tm.amplitude_source;
}

/* 4 s in the air, then pressed with force_n: 1.5 s to settle, 2 s measured. */
static void contact_run(double compliance_mm_per_n, bool sensor, double force_n,
                        struct contact_figures *f)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = SPEED_PPM, .ramp_s = 1.0,
                               .stroke_mm = TARGET_MM, .generation = 1 };

        compliant_gun(compliance_mm_per_n, sensor, 19);
        run(&sp, 4000);
        sim_gun_set_contact_force(&rig.model, force_n);
        run(&sp, 1500);
        measure(&sp, 2000, f);
        ck_assert_int_eq(rig.tm.fault, FAULT_NONE);
}

/* The closing table of issue 19, and the bars it holds. */
START_TEST(test_contact_with_and_without_sensor)
{
        static const double compliances[] = { 0.0, 0.02, 0.05 };
        static const double forces_n[] = { 0, 10, 20, 40 };

        fprintf(stderr, "true-stroke error at %.0f mm, %.0f ppm (worst |error| over 2 s, mean "
                        "error, source):\n", TARGET_MM, SPEED_PPM);
        fprintf(stderr, "compliance  force | with the sensor            | without (held)\n");
        for (size_t c = 0; c < 3; c++) {
                for (size_t i = 0; i < 4; i++) {
                        struct contact_figures with, without;
                        double yield_mm = compliances[c] * forces_n[i];

                        contact_run(compliances[c], true, forces_n[i], &with);
                        contact_run(compliances[c], false, forces_n[i], &without);
                        fprintf(stderr, "%.2f mm/N  %3.0f N | ±%.3f mm (%+.3f) %-6s | ±%.3f mm (%+.3f) %s, "
                                        "Amplitude %.2f mm\n",
                                compliances[c], forces_n[i], with.worst_true_error_mm,
                                with.mean_true_error_mm, amplitude_source_to_string(with.source),
                                without.worst_true_error_mm, without.mean_true_error_mm,
                                amplitude_source_to_string(without.source), rig.tm.amplitude_mm);
                        ck_assert_double_le(with.worst_true_error_mm, 0.3);
                        ck_assert_double_le(with.worst_amplitude_error_mm, 0.2);
                        ck_assert_int_eq(with.source, AMPLITUDE_SENSOR);
                        if (forces_n[i] == 0.0) {
                                ck_assert_int_eq(without.source, AMPLITUDE_IMU);
                                ck_assert_double_le(without.worst_true_error_mm, 0.3);
                                continue;
                        }
                        /* held: the stroke is short by what the mechanism yields, and
                         * Amplitude says so by its source, not by its figure */
                        ck_assert_int_eq(without.source, AMPLITUDE_HELD);
                        ck_assert_double_lt(fabs(without.mean_true_error_mm + yield_mm), 0.05);
                        /* a rigid mechanism needs no sensor */
                        if (compliances[c] == 0.0)
                                ck_assert_double_le(without.worst_true_error_mm, 0.3);
                }
        }
}
END_TEST

/* A new target while pressed at 40 N on the softest mechanism. */
START_TEST(test_step_while_pressed)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2400, .ramp_s = 1.0,
                               .stroke_mm = 8, .generation = 1 };
        struct contact_figures f;

        compliant_gun(0.05, true, 23);
        run(&sp, 4000);
        sim_gun_set_contact_force(&rig.model, 40.0);
        run(&sp, 1500);
        sp.stroke_mm = 12;
        sp.generation = 2;
        run(&sp, 1000);
        measure(&sp, 2000, &f);
        fprintf(stderr, "stroke 8 → 12 mm at 40 N, 0.05 mm/N, with the sensor: within ±%.3f mm "
                        "1 s after the step, Amplitude within ±%.3f mm\n",
                f.worst_true_error_mm, f.worst_amplitude_error_mm);
        ck_assert_double_le(f.worst_true_error_mm, 0.3);
        ck_assert_double_le(f.worst_amplitude_error_mm, 0.2);
        ck_assert_int_eq(f.source, AMPLITUDE_SENSOR);
}
END_TEST

/* Pressed at 40 N, the sensor stops: held, the actuator where it was, no
 * fault; then it reads again and the loop closes on it again. */
static void sensor_lost_and_back(int error, bool frozen, double garbage_v, int expected_errno)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = SPEED_PPM, .ramp_s = 1.0,
                               .stroke_mm = TARGET_MM, .generation = 1 };
        struct contact_figures f;
        double position;

        compliant_gun(0.05, true, 29);
        run(&sp, 4000);
        sim_gun_set_contact_force(&rig.model, 40.0);
        run(&sp, 1500);
        rig.stroke_sensor_error = error;
        rig.stroke_sensor_frozen = frozen;
        rig.stroke_sensor_garbage_v = garbage_v;
        run(&sp, (unsigned)(STROKE_SENSOR_STALE_S * SIM_RIG_HZ) + 2);
        ck_assert_int_eq(rig.tm.amplitude_source, AMPLITUDE_HELD);
        ck_assert_int_eq(rig.tm.stroke_sensor_errno, expected_errno);
        position = rig.stroke_position;
        run(&sp, 1000);
        ck_assert_int_eq(rig.tm.fault, FAULT_NONE);
        ck_assert(rig.tm.motor_on);
        ck_assert_int_eq(rig.tm.amplitude_source, AMPLITUDE_HELD);
        ck_assert_double_eq(rig.stroke_position, position);
        /* held: what the sensor measured last */
        ck_assert_double_lt(fabs(rig.tm.amplitude_mm - TARGET_MM), 0.3);

        rig.stroke_sensor_error = 0;
        rig.stroke_sensor_frozen = false;
        rig.stroke_sensor_garbage_v = 0.0;
        run(&sp, 1);
        ck_assert_int_eq(rig.tm.amplitude_source, AMPLITUDE_SENSOR);
        ck_assert_int_eq(rig.tm.stroke_sensor_errno, 0);
        measure(&sp, 1000, &f);
        ck_assert_double_le(f.worst_true_error_mm, 0.3);
}

START_TEST(test_sensor_silent_mid_routine)
{
        sensor_lost_and_back(0, true, 0.0, ETIMEDOUT);
}
END_TEST

START_TEST(test_sensor_read_error)
{
        sensor_lost_and_back(-EIO, false, 0.0, EIO);
}
END_TEST

/* 4.5 V: past the 0.85–2.65 V map by far more than its margin. */
START_TEST(test_sensor_out_of_range)
{
        sensor_lost_and_back(0, false, 4.5, ERANGE);
        sensor_lost_and_back(0, false, NAN, ERANGE);
}
END_TEST

START_TEST(test_map_check)
{
        struct stroke_sensor_map rising = { .count = 3, .volts = { 0.5, 1.5, 2.5 }, .stroke_mm = { 4, 10, 16 } };
        struct stroke_sensor_map falling = { .count = 2, .volts = { 3.0, 1.0 }, .stroke_mm = { 4, 16 } };
        struct stroke_sensor_map folded = { .count = 3, .volts = { 0.5, 1.5, 1.2 }, .stroke_mm = { 4, 10, 16 } };
        struct stroke_sensor_map flat = { .count = 2, .volts = { 1.0, 1.0 }, .stroke_mm = { 4, 16 } };
        struct stroke_sensor_map backwards = { .count = 3, .volts = { 0.5, 1.5, 2.5 }, .stroke_mm = { 4, 10, 9 } };
        struct stroke_sensor_map one = { .count = 1, .volts = { 0.5 }, .stroke_mm = { 4 } };
        unsigned bad;
        double mm;

        ck_assert_int_eq(stroke_sensor_map_check(&rising, &bad), 0);
        ck_assert_int_eq(stroke_sensor_map_check(&falling, &bad), 0);
        ck_assert_int_eq(stroke_sensor_map_check(&folded, &bad), -EINVAL);
        ck_assert_uint_eq(bad, 2);
        ck_assert_int_eq(stroke_sensor_map_check(&flat, &bad), -EINVAL);
        ck_assert_uint_eq(bad, 1);
        ck_assert_int_eq(stroke_sensor_map_check(&backwards, &bad), -EINVAL);
        ck_assert_uint_eq(bad, 2);
        ck_assert_int_eq(stroke_sensor_map_check(&one, &bad), -EINVAL);
        ck_assert(!stroke_sensor_map_stroke(&one, 0.5, &mm));

        ck_assert(stroke_sensor_map_stroke(&rising, 2.0, &mm));
        ck_assert_double_eq_tol(mm, 13.0, 1e-9);
        ck_assert(stroke_sensor_map_stroke(&rising, 0.4, &mm)); /* inside the margin */
        ck_assert_double_eq_tol(mm, 3.4, 1e-9);
        ck_assert(!stroke_sensor_map_stroke(&rising, 0.2, &mm));
        ck_assert(stroke_sensor_map_stroke(&falling, 1.5, &mm));
        ck_assert_double_eq_tol(mm, 13.0, 1e-9);
        ck_assert(!stroke_sensor_map_stroke(&falling, 3.5, &mm));
}
END_TEST

/* In the air the IMU checks the sensor: one whose offset moved by 0.2 V
 * (1.3 mm) is told; a good one is not. */
START_TEST(test_imu_checks_sensor_in_air)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = SPEED_PPM, .ramp_s = 1.0,
                               .stroke_mm = TARGET_MM, .generation = 1 };
        struct sim_gun_params p;

        compliant_gun(0.05, true, 31);
        run(&sp, 4000);
        fprintf(stderr, "in the air, a good sensor: IMU %.2f mm, sensor %.2f mm\n",
                rig.tm.stroke_sensor_imu_mm, rig.tm.amplitude_mm);
        ck_assert_double_gt(rig.tm.stroke_sensor_imu_mm, 0.0);
        ck_assert(!rig.tm.stroke_sensor_disagrees);

        sim_gun_params_default(&p);
        p.stroke_sensor = true;
        p.stroke_sensor_offset_v += 0.2;
        open_gun(&p, 31);
        run(&sp, 4000);
        fprintf(stderr, "in the air, a sensor 0.2 V off: IMU %.2f mm, sensor %.2f mm\n",
                rig.tm.stroke_sensor_imu_mm, rig.tm.amplitude_mm);
        ck_assert(rig.tm.stroke_sensor_disagrees);
        ck_assert_int_eq(rig.tm.amplitude_source, AMPLITUDE_SENSOR);
}
END_TEST

/* Calibrate measures the sensor's map at the actuator's end stops against
 * the IMU: a sensor with another offset and scale than the default map's
 * is then read right, and the loop holds 40 N on it. */
START_TEST(test_calibrate_measures_map)
{
        struct sim_gun_params p;
        struct calibration cal;
        struct contact_figures f;
        struct setpoint sp = { .motor_on = true, .speed_ppm = SPEED_PPM, .ramp_s = 1.0,
                               .stroke_mm = TARGET_MM, .generation = 100 };
        double seconds, mm;
        int r;

        sim_gun_params_default(&p);
        p.stroke_sensor = true;
        p.stroke_compliance_mm_per_n = 0.05;
        p.stroke_sensor_offset_v = 0.6;
        p.stroke_sensor_v_per_mm = 0.12;
        open_gun(&p, 37);
        r = sim_rig_calibrate(&rig, p.body_mass_kg, &cal, &seconds);
        ck_assert_msg(r == 1, "calibration failed: %s", cal.why);
        ck_assert(cal.result.stroke_sensor_measured);
        fprintf(stderr, "Calibrate's stroke-sensor map: %.4f V → %.3f mm, %.4f V → %.3f mm "
                        "(true %.4f V, %.4f V)\n",
                cal.result.stroke_sensor_map.volts[0], cal.result.stroke_sensor_map.stroke_mm[0],
                cal.result.stroke_sensor_map.volts[1], cal.result.stroke_sensor_map.stroke_mm[1],
                0.6 + 0.12 * cal.result.stroke_sensor_map.stroke_mm[0],
                0.6 + 0.12 * cal.result.stroke_sensor_map.stroke_mm[1]);
        for (double true_mm = 4.0; true_mm <= 16.0; true_mm += 4.0) {
                ck_assert(stroke_sensor_map_stroke(&cal.result.stroke_sensor_map, 0.6 + 0.12 * true_mm, &mm));
                ck_assert_double_lt(fabs(mm - true_mm), 0.15);
        }
        run(&sp, 4000);
        sim_gun_set_contact_force(&rig.model, 40.0);
        run(&sp, 1500);
        measure(&sp, 2000, &f);
        fprintf(stderr, "after Calibrate, 40 N on 0.05 mm/N: within ±%.3f mm\n", f.worst_true_error_mm);
        ck_assert_double_le(f.worst_true_error_mm, 0.3);
}
END_TEST

/* A sensor that does not move with the stroke fails Calibrate, by name. */
START_TEST(test_calibrate_stuck_sensor)
{
        struct sim_gun_params p;
        struct calibration cal;
        double seconds;

        sim_gun_params_default(&p);
        p.stroke_sensor = true;
        p.stroke_sensor_v_per_mm = 0.0;
        p.stroke_sensor_noise_v = 0.0;
        open_gun(&p, 41);
        ck_assert_int_lt(sim_rig_calibrate(&rig, p.body_mass_kg, &cal, &seconds), 0);
        ck_assert_ptr_nonnull(strstr(cal.why, "stroke sensor"));
}
END_TEST

/* The family's 20 guns (test-family's), each with a sensor, calibrated in
 * the air, then pressed at 10, 20 and 40 N on a 0.02 and a 0.05 mm/N
 * mechanism (the family's compliance range, QUALITY.md). */
START_TEST(test_family_with_sensor)
{
        static const double compliances[] = { 0.02, SIM_FAMILY_COMPLIANCE_MAX_MM_PER_N };
        static const double forces_n[] = { 10, 20, 40 };
        struct sim_gun_params p;
        struct calibration cal;
        double seconds;
        double worst[2] = { 0.0, 0.0 };
        uint32_t generation = 100;
        unsigned member = family_member(_i);

        sim_gun_params_family(&p, (uint64_t)member + 1);
        p.stroke_sensor = true;
        open_gun(&p, (uint64_t)member + 700);
        ck_assert_msg(sim_rig_calibrate(&rig, p.body_mass_kg, &cal, &seconds) == 1,
                      "family gun %u: calibration failed: %s", member + 1, cal.why);
        for (int c = 0; c < 2; c++) {
                rig.model.p.stroke_compliance_mm_per_n = compliances[c];
                for (int i = 0; i < 3; i++) {
                        struct setpoint sp = { .motor_on = true, .speed_ppm = SPEED_PPM, .ramp_s = 1.0,
                                               .stroke_mm = TARGET_MM, .generation = generation++ };
                        struct contact_figures f;

                        sim_gun_set_contact_force(&rig.model, 0.0);
                        run(&sp, i == 0 ? 4000 : 500);
                        sim_gun_set_contact_force(&rig.model, forces_n[i]);
                        run(&sp, 1500);
                        measure(&sp, 1000, &f);
                        worst[c] = fmax(worst[c], f.worst_true_error_mm);
                        ck_assert_int_eq(f.source, AMPLITUDE_SENSOR);
                }
        }
        fprintf(stderr, "family gun %d with the sensor: true stroke within ±%.3f mm at 0.02 mm/N, "
                        "±%.3f mm at 0.05 mm/N, at 10, 20 and 40 N\n", member + 1, worst[0], worst[1]);
        ck_assert_double_le(worst[0], 0.3);
        ck_assert_double_le(worst[1], 0.3);
}
END_TEST

static Suite *stroke_sensor_suite(void)
{
        Suite *s = suite_create("stroke-sensor");
        TCase *contact = tcase_create("contact");
        TCase *bad = tcase_create("bad-input");
        TCase *calibrate = tcase_create("calibrate");

        tcase_set_timeout(contact, 300);
        tcase_add_test(contact, test_contact_with_and_without_sensor);
        tcase_add_test(contact, test_step_while_pressed);
        tcase_add_test(contact, test_imu_checks_sensor_in_air);
        suite_add_tcase(s, contact);
        tcase_set_timeout(bad, 120);
        tcase_add_test(bad, test_map_check);
        tcase_add_test(bad, test_sensor_silent_mid_routine);
        tcase_add_test(bad, test_sensor_read_error);
        tcase_add_test(bad, test_sensor_out_of_range);
        suite_add_tcase(s, bad);
        tcase_set_timeout(calibrate, 600);
        tcase_add_test(calibrate, test_calibrate_measures_map);
        tcase_add_test(calibrate, test_calibrate_stuck_sensor);
        tcase_add_loop_test(calibrate, test_family_with_sensor, 0, family_loop_end(20));
        suite_add_tcase(s, calibrate);
        return s;
}

int main(void)
{
        return run_suite(stroke_sensor_suite());
}
