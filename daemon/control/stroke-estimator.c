/* SPDX-License-Identifier: MIT */
#include "stroke-estimator.h"

#include <math.h>

#define TWO_PI (2.0 * M_PI)

void stroke_estimator_init(struct stroke_estimator *est, const struct stroke_estimator_params *p)
{
        *est = (struct stroke_estimator){ .p = *p };
}

void stroke_estimator_reset(struct stroke_estimator *est)
{
        stroke_estimator_init(est, &est->p);
}

static void begin_revolution(struct stroke_estimator *est, double running_angle_rad, uint64_t time_ns)
{
        est->started = true;
        est->start_angle_rad = running_angle_rad;
        est->start_ns = time_ns;
        est->samples = 0;
        est->weight_s = 0.0;
        est->longest_step_s = 0.0;
        est->clipped = false;
        est->sum_accel = est->sum_accel_cos = est->sum_accel_sin = 0.0;
        est->sum_head = est->sum_head_cos = est->sum_head_sin = 0.0;
        est->sum_cos = est->sum_sin = 0.0;
}

/* The previous sample, now that the next one gives the head's motion at
 * it: h = −d²(cos θ)/dt² as a second difference over the two intervals. */
static void accumulate(struct stroke_estimator *est, uint64_t time_ns, double cos_angle)
{
        double after_s = (double)(time_ns - est->prev_ns[0]) * 1e-9;
        double before_s = (double)(est->prev_ns[0] - est->prev_ns[1]) * 1e-9;
        double c = est->prev_cos[0], s = est->prev_sin, a = est->prev_accel_m_s2;
        double head_s2, w;

        if (after_s <= 0.0 || before_s <= 0.0)
                return;
        head_s2 = -2.0 * ((cos_angle - c) / after_s - (c - est->prev_cos[1]) / before_s) /
                  (after_s + before_s);
        /* the sample stands for the time from halfway to the one before
         * to halfway to the one after: the sums are time integrals even
         * where a device's samples come unevenly (a scan the control
         * period missed, two in one period) */
        w = 0.5 * (after_s + before_s);
        est->longest_step_s = fmax(est->longest_step_s, after_s);
        est->clipped = est->clipped || est->prev_clipped;
        est->samples++;
        est->weight_s += w;
        est->sum_accel += w * a;
        est->sum_accel_cos += w * a * c;
        est->sum_accel_sin += w * a * s;
        est->sum_head += w * head_s2;
        est->sum_head_cos += w * head_s2 * c;
        est->sum_head_sin += w * head_s2 * s;
        est->sum_cos += w * c;
        est->sum_sin += w * s;
}

/* The revolution's sums are time integrals, over n (its span) time
 * averages; the means are taken out of the products so that a revolution
 * a sample longer or shorter than 2π leaks no gravity or bias into the
 * harmonic. */
static void end_revolution(struct stroke_estimator *est, double turned_rad, double revolution_s)
{
        double n = est->weight_s;
        double accel_mean = est->sum_accel / n, head_mean = est->sum_head / n;
        /* a second difference sees a harmonic of ω sampled every dt as
         * sinc²(ω dt / 2) of its second derivative */
        double half_step_rad, sampled, residual_m_s2;
        unsigned average;

        est->revolution_s = revolution_s;
        est->revolution_longest_step_s = est->longest_step_s;
        est->revolution_clipped = est->clipped;
        half_step_rad = 0.5 * turned_rad / est->samples;
        sampled = sin(half_step_rad) / half_step_rad;
        sampled *= sampled;
        est->in_phase_m_s2 = 2.0 * (est->sum_accel_cos - accel_mean * est->sum_cos) / n;
        est->quadrature_m_s2 = 2.0 * (est->sum_accel_sin - accel_mean * est->sum_sin) / n;
        est->head_in_phase_s2 = 2.0 * (est->sum_head_cos - head_mean * est->sum_cos) / n / sampled;
        est->head_quadrature_s2 = 2.0 * (est->sum_head_sin - head_mean * est->sum_sin) / n / sampled;
        if (!(est->head_in_phase_s2 > 0.0) || est->clipped)
                return;
        est->revolution_stroke_mm = -est->p.gain * est->in_phase_m_s2 / est->head_in_phase_s2 * 1e3;
        residual_m_s2 = est->quadrature_m_s2 -
                        est->in_phase_m_s2 * est->head_quadrature_s2 / est->head_in_phase_s2;
        est->residual_m_s2 = residual_m_s2;
        est->contact = fabs(residual_m_s2) > est->p.contact_m_s2;

        average = est->revolutions < STROKE_ESTIMATOR_REVOLUTIONS ? ++est->revolutions :
                                                                    STROKE_ESTIMATOR_REVOLUTIONS;
        est->stroke_mm += (est->revolution_stroke_mm - est->stroke_mm) / average;
}

bool stroke_estimator_update(struct stroke_estimator *est, double running_angle_rad,
                             uint64_t time_ns, double cos_angle, double sin_angle,
                             double accel_m_s2, bool accel_clipped)
{
        bool done = false;

        if (est->history > 0 && time_ns <= est->prev_ns[0])
                return false; /* no new sample */
        if (est->history == 2 && est->started)
                accumulate(est, time_ns, cos_angle);

        if (!est->started)
                begin_revolution(est, running_angle_rad, time_ns);
        else {
                double turned_rad = fabs(running_angle_rad - est->start_angle_rad);
                double revolution_s = (double)(time_ns - est->start_ns) * 1e-9;

                if (revolution_s > STROKE_ESTIMATOR_REVOLUTION_MAX_S) {
                        est->revolutions = 0;
                        est->stroke_mm = 0.0;
                        begin_revolution(est, running_angle_rad, time_ns);
                } else if (turned_rad >= TWO_PI) {
                        if (est->samples > 0) {
                                end_revolution(est, turned_rad, revolution_s);
                                done = true;
                        }
                        begin_revolution(est, running_angle_rad, time_ns);
                }
        }

        est->prev_ns[1] = est->prev_ns[0];
        est->prev_cos[1] = est->prev_cos[0];
        est->prev_ns[0] = time_ns;
        est->prev_cos[0] = cos_angle;
        est->prev_sin = sin_angle;
        est->prev_accel_m_s2 = accel_m_s2;
        est->prev_clipped = accel_clipped;
        if (est->history < 2)
                est->history++;
        return done;
}
