/* SPDX-License-Identifier: MIT */
#include "identify.h"

#include <math.h>

/* Below this the Coulomb friction is smoothed (sim-gun.h) and the
 * encoder's counts are too few per period to tell the speed: 190 ppm. */
#define IDENTIFY_MIN_SPEED_RAD_S 20.0
/* Two intervals between samples further from even than this tell no
 * speed at the sample between them. */
#define IDENTIFY_UNEVEN 1.5

void identify_history_reset(struct identify_history *history)
{
        history->count = 0;
}

void identify_reset(struct identify_sums *sums, struct identify_history *history)
{
        *sums = (struct identify_sums){ .rest_samples = 0 };
        identify_history_reset(history);
}

static void push(struct identify_history *h, const struct identify_sample *s)
{
        for (int i = 2; i > 0; i--) {
                h->time_ns[i] = h->time_ns[i - 1];
                h->angle_rad[i] = h->angle_rad[i - 1];
                h->sin_angle[i] = h->sin_angle[i - 1];
                h->duty[i] = h->duty[i - 1];
                h->driven[i] = h->driven[i - 1];
                h->bus_voltage_v[i] = h->bus_voltage_v[i - 1];
                h->radius_m[i] = h->radius_m[i - 1];
        }
        h->time_ns[0] = s->time_ns;
        h->angle_rad[0] = s->running_angle_rad;
        h->sin_angle[0] = s->sin_angle;
        h->duty[0] = s->duty;
        h->driven[0] = s->driven;
        h->bus_voltage_v[0] = s->bus_voltage_v;
        h->radius_m[0] = s->radius_m;
        if (h->count < 3)
                h->count++;
}

/* With samples k+1 (index 0), k (1), k−1 (2) and the one before, the
 * interval from k−1 to k: its ends' speeds are central differences. The
 * history keeps three samples, so the speed at k−1 is the one computed
 * the period before. */
static void accumulate_motor(struct identify_sums *sums, const struct identify_history *h,
                             double *prev_speed, bool *prev_known)
{
        double span_s = (double)(h->time_ns[0] - h->time_ns[2]) * 1e-9;
        double period_s = (double)(h->time_ns[1] - h->time_ns[2]) * 1e-9;
        double next_s = span_s - period_s;
        double speed_k, mean_speed;
        double x[IDENTIFY_UNKNOWNS], y;
        double radius_m = h->radius_m[2];

        /* a central difference across a hole in the samples (a scan the
         * loop missed, a device held up) is the mean speed of a part of
         * the revolution, not the speed at k: the head's term, a ripple
         * inside the revolution, would be lost in it */
        if (!(period_s > 0.0) || !(next_s > 0.0) || next_s > IDENTIFY_UNEVEN * period_s ||
            period_s > IDENTIFY_UNEVEN * next_s) {
                *prev_known = false;
                return;
        }
        speed_k = (h->angle_rad[0] - h->angle_rad[2]) / span_s;
        mean_speed = (h->angle_rad[1] - h->angle_rad[2]) / period_s;

        if (*prev_known && mean_speed > IDENTIFY_MIN_SPEED_RAD_S &&
            h->radius_m[1] == h->radius_m[2]) {
                double prev = *prev_speed;
                double s_k = h->sin_angle[1], s_prev = h->sin_angle[2];

                y = 0.5 * (speed_k * speed_k - prev * prev);
                x[0] = -0.5 * radius_m * radius_m *
                       (s_k * s_k * speed_k * speed_k - s_prev * s_prev * prev * prev);
                if (h->driven[2]) {
                        x[1] = h->bus_voltage_v[2] * h->duty[2] * mean_speed * period_s;
                        x[2] = -mean_speed * mean_speed * period_s;
                        x[3] = -mean_speed * period_s;
                        x[4] = x[5] = 0.0;
                } else {
                        x[1] = x[2] = x[3] = 0.0;
                        x[4] = -mean_speed * mean_speed * period_s;
                        x[5] = -mean_speed * period_s;
                }
                for (int i = 0; i < IDENTIFY_UNKNOWNS; i++) {
                        for (int j = 0; j < IDENTIFY_UNKNOWNS; j++)
                                sums->normal[i][j] += x[i] * x[j];
                        sums->rhs[i] += x[i] * y;
                }
                sums->motor_samples++;
        }
        *prev_speed = speed_k;
        *prev_known = true;
}

void identify_update(struct identify_sums *sums, struct identify_history *history,
                     enum identify_what what, const struct identify_sample *s)
{
        if (what == IDENTIFY_NOTHING) {
                identify_history_reset(history);
                return;
        }
        if (what == IDENTIFY_REST) {
                identify_history_reset(history);
                sums->rest_samples++;
                for (int i = 0; i < 3; i++)
                        sums->rest_accel_m_s2[i] += s->accel_m_s2[i];
                return;
        }
        /* the encoder's scan of the period before again (a device that
         * samples no faster than the loop runs, a period early on its
         * scans): the same instant twice would count as a sample and
         * make the motor's intervals out of one */
        if (history->count > 0 && s->time_ns == history->time_ns[0])
                return;
        if (what == IDENTIFY_HARMONIC && s->imu_known) {
                sums->harmonic_samples++;
                for (int i = 0; i < 3; i++) {
                        sums->accel[i] += s->accel_m_s2[i];
                        sums->accel_cos[i] += s->accel_m_s2[i] * s->imu_cos_angle;
                        sums->accel_sin[i] += s->accel_m_s2[i] * s->imu_sin_angle;
                }
                sums->cos_sum += s->imu_cos_angle;
                sums->sin_sum += s->imu_sin_angle;
                sums->harmonic_speed_rad_s += s->speed_rad_s;
        }
        push(history, s);
        if (history->count == 1)
                history->prev_known = false;
        if (history->count == 3)
                accumulate_motor(sums, history, &history->prev_speed_rad_s, &history->prev_known);
}

void identify_end_revolution(struct identify_sums *sums, unsigned end, double in_phase_m_s2,
                             double head_in_phase_s2, double residual_m_s2, double speed_rad_s)
{
        if (end >= IDENTIFY_END_SPEEDS)
                return;
        sums->end_revolutions[end]++;
        sums->end_in_phase_m_s2[end] += in_phase_m_s2;
        sums->end_head_s2[end] += head_in_phase_s2;
        sums->end_residual_m_s2[end] += residual_m_s2;
        sums->end_in_phase_speed[end] += in_phase_m_s2 * speed_rad_s;
}

void identify_end_sensor(struct identify_sums *sums, unsigned end, double volts)
{
        if (end > 1)
                return;
        sums->end_sensor_samples[end]++;
        sums->end_sensor_v[end] += volts;
}
