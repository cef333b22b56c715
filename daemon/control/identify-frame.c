/* SPDX-License-Identifier: MIT */
#include "identify-frame.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define STANDARD_GRAVITY_M_S2 9.80665
/* A rest's mean further than this from 1 g is no rest. */
#define GRAVITY_TOLERANCE_M_S2 1.5
/* Gravity must stand out this much over the other axes' sum. */
#define GRAVITY_DOMINANCE 3.0
/* The head's harmonic, m/s², below which its phase is noise. */
#define HARMONIC_MIN_M_S2 0.2
/* The short stroke's faster speed this far from the ends' (300 ppm) tells the delay too. */
#define REFINE_SPEEDS_APART_RAD_S 31.4

int identify_gravity_axis(const struct identify_sums *rest)
{
        double mean[3], norm = 0.0, others;
        int axis = 0;

        if (rest->rest_samples == 0)
                return 0;
        for (int i = 0; i < 3; i++) {
                mean[i] = rest->rest_accel_m_s2[i] / rest->rest_samples;
                norm += mean[i] * mean[i];
                if (fabs(mean[i]) > fabs(mean[axis]))
                        axis = i;
        }
        others = fabs(mean[(axis + 1) % 3]) + fabs(mean[(axis + 2) % 3]);
        if (fabs(sqrt(norm) - STANDARD_GRAVITY_M_S2) > GRAVITY_TOLERANCE_M_S2 ||
            fabs(mean[axis]) < GRAVITY_DOMINANCE * others)
                return 0;
        return mean[axis] > 0.0 ? axis + 1 : -(axis + 1);
}

int identify_imu_axes(int level_axis, int head_down_axis, int axes[3])
{
        double x[3] = { 0 }, z[3] = { 0 }, y[3];

        if (level_axis == 0 || head_down_axis == 0 || abs(level_axis) == abs(head_down_axis))
                return -EDOM;
        z[abs(level_axis) - 1] = level_axis > 0 ? 1.0 : -1.0;
        /* head down, up is the gun's −x */
        x[abs(head_down_axis) - 1] = head_down_axis > 0 ? -1.0 : 1.0;
        y[0] = z[1] * x[2] - z[2] * x[1];
        y[1] = z[2] * x[0] - z[0] * x[2];
        y[2] = z[0] * x[1] - z[1] * x[0];
        for (int i = 0; i < 3; i++) {
                if (x[i] != 0.0)
                        axes[0] = x[i] > 0.0 ? i + 1 : -(i + 1);
                if (y[i] != 0.0)
                        axes[1] = y[i] > 0.0 ? i + 1 : -(i + 1);
                if (z[i] != 0.0)
                        axes[2] = z[i] > 0.0 ? i + 1 : -(i + 1);
        }
        return 0;
}

/* The first harmonic of axis i: in phase with cos and with sin, means out. */
static void harmonic(const struct identify_sums *h, int i, double *in_phase, double *quadrature)
{
        double n = h->harmonic_samples, mean = h->accel[i] / n;

        *in_phase = 2.0 * (h->accel_cos[i] - mean * h->cos_sum) / n;
        *quadrature = 2.0 * (h->accel_sin[i] - mean * h->sin_sum) / n;
}

int identify_harmonic_phase(const struct identify_sums *h, struct identify_phase *phase)
{
        double p, q;

        phase->amplitude_m_s2 = 0.0;
        if (h->harmonic_samples < 100)
                return -EDOM;
        harmonic(h, 0, &p, &q);
        phase->amplitude_m_s2 = hypot(p, q);
        if (phase->amplitude_m_s2 < HARMONIC_MIN_M_S2)
                return -EDOM;
        /* x = −K cos(φ − ψ): p = −K cos ψ, q = −K sin ψ */
        phase->phase_rad = atan2(-q, -p);
        phase->speed_rad_s = h->harmonic_speed_rad_s / h->harmonic_samples;
        /* the phase's noise goes as the noise over K √n */
        phase->weight = phase->amplitude_m_s2 * phase->amplitude_m_s2 * h->harmonic_samples;
        return 0;
}

int identify_zero_and_delay(const struct identify_phase *phases, unsigned count, bool reversed,
                            double *zero_rad, double *delay_s)
{
        double sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, det, zero_phase;

        if (count < 2)
                return -EDOM;
        for (unsigned i = 0; i < count; i++) {
                /* a delay turns the phase less than half a turn between
                 * the speeds: the nearest of the turns is the one */
                double y = phases[0].phase_rad + remainder(phases[i].phase_rad - phases[0].phase_rad,
                                                           2.0 * M_PI);
                double x = phases[i].speed_rad_s, w = phases[i].weight;

                sw += w;
                sx += w * x;
                sy += w * y;
                sxx += w * x * x;
                sxy += w * x * y;
        }
        det = sw * sxx - sx * sx;
        /* speeds too close tell no slope */
        if (!(det > 1e-6 * sxx * sw))
                return -EDOM;
        *delay_s = (sw * sxy - sx * sy) / det;
        zero_phase = (sy - *delay_s * sx) / sw;
        /* φ = ±(reading − zero_rad) with the sums' zero at 0: φ's zero is
         * the reading's ±zero */
        *zero_rad = reversed ? -zero_phase : zero_phase;
        *zero_rad -= 2.0 * M_PI * floor(*zero_rad / (2.0 * M_PI));
        return 0;
}

int identify_encoder_zero_refine(const struct identify_sums *sums, bool reversed, double *zero_rad,
                                 double *delay_s)
{
        double in_phase = 0.0, residual = 0.0, in_phase_speed = 0.0, off_rad;
        unsigned fast = IDENTIFY_END_SPEEDS - 1;

        for (int end = 0; end < 2; end++) {
                if (sums->end_revolutions[end] == 0)
                        return -EDOM;
                in_phase += sums->end_in_phase_m_s2[end];
                residual += sums->end_residual_m_s2[end];
                in_phase_speed += sums->end_in_phase_speed[end];
        }
        /* x = −K cos(φ + off) = −K cos off cos φ + K sin off sin φ, with
         * φ the angle the zero and the delay gave: in phase −K cos off,
         * unexplained quadrature K sin off. The revolutions' sums weigh
         * each end by its harmonic, the long stroke's most. */
        if (!(fabs(in_phase) / (sums->end_revolutions[0] + sums->end_revolutions[1]) >= HARMONIC_MIN_M_S2))
                return -EDOM;
        off_rad = atan(-residual / in_phase);
        /* the short stroke again, faster: off = off₀ − ω (τ − delay), the
         * angle the crank turns in what the delay is still short */
        if (sums->end_revolutions[fast] > 0 &&
            fabs(sums->end_in_phase_m_s2[fast]) / sums->end_revolutions[fast] >= HARMONIC_MIN_M_S2) {
                double slow_rad_s = in_phase_speed / in_phase;
                double fast_rad_s = sums->end_in_phase_speed[fast] / sums->end_in_phase_m_s2[fast];
                double fast_off_rad = atan(-sums->end_residual_m_s2[fast] / sums->end_in_phase_m_s2[fast]);

                if (fabs(fast_rad_s - slow_rad_s) >= REFINE_SPEEDS_APART_RAD_S) {
                        double slope_s = (fast_off_rad - off_rad) / (fast_rad_s - slow_rad_s);

                        *delay_s -= slope_s;
                        off_rad -= slope_s * slow_rad_s;
                }
        }
        /* φ = ±(reading − zero) + off = ±(reading − (zero ∓ off)) */
        *zero_rad += reversed ? off_rad : -off_rad;
        *zero_rad -= 2.0 * M_PI * floor(*zero_rad / (2.0 * M_PI));
        return 0;
}

int identify_harmonic_axis(const struct identify_sums *h)
{
        double best = -1.0;
        int axis = 0;

        if (h->harmonic_samples < 100)
                return 0;
        for (int i = 0; i < 3; i++) {
                double p, q;

                harmonic(h, i, &p, &q);
                if (hypot(p, q) > best) {
                        best = hypot(p, q);
                        axis = i + 1;
                }
        }
        return axis;
}
