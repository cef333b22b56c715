/* SPDX-License-Identifier: MIT */
#include "speed-estimator.h"

#include <math.h>

#define TWO_PI (2.0 * M_PI)
#define RAD_PER_S_TO_PPM (60.0 / TWO_PI)
/* half a turn at SPEED_ESTIMATOR_MAX_PPM */
#define ANGLE_GAP_MAX_NS ((uint64_t)(0.5 * 60.0 / SPEED_ESTIMATOR_MAX_PPM * 1e9))

void speed_estimator_init(struct speed_estimator *est, enum encoder_quantity quantity,
                          double control_hz)
{
        double samples = ceil(control_hz * SPEED_ESTIMATOR_HISTORY_S) + 1;

        est->quantity = quantity;
        est->capacity = (unsigned)fmin(samples, SPEED_ESTIMATOR_SAMPLES);
        est->fast_samples = (unsigned)fmax(1.0, round(control_hz * SPEED_ESTIMATOR_FAST_WINDOW_S));
        speed_estimator_reset(est);
}

void speed_estimator_reset(struct speed_estimator *est)
{
        est->head = 0;
        est->count = 0;
        est->last_value = 0.0;
        est->held_ppm = 0.0;
}

/* The shortest signed turn from one wrapped angle to the next: right as
 * long as the crank turns less than half a revolution per period
 * (30 000 ppm at 1 kHz). */
static double angle_step(double from, double to)
{
        double d = fmod(to - from, TWO_PI);

        if (d > M_PI)
                d -= TWO_PI;
        else if (d < -M_PI)
                d += TWO_PI;
        return d;
}

static unsigned older(const struct speed_estimator *est, unsigned back)
{
        return (est->head + est->capacity - back) % est->capacity;
}

void speed_estimator_update(struct speed_estimator *est, const struct encoder_sample *sample)
{
        double angle = 0.0;
        bool gap = false;

        /* a driver with no new scan hands the last one over again: no new
         * observation, and a window of no time between two copies would
         * read a standing crank */
        if (est->count > 0 && sample->time_ns == est->time_ns[est->head])
                return;
        if (est->count > 0) {
                uint64_t prev_ns = est->time_ns[est->head];
                double dt_s = sample->time_ns > prev_ns ? (double)(sample->time_ns - prev_ns) * 1e-9 : 0.0;

                /* a clock that stepped back spans no window either */
                gap = sample->time_ns < prev_ns;
                if (est->quantity == ENCODER_ANGLE) {
                        angle = est->angle_rad[est->head] + angle_step(est->last_value, sample->value);
                        /* a late period, or a backlog of which only the newest
                         * scan counts: how many turns lie between is unknown */
                        gap = gap || sample->time_ns - prev_ns > ANGLE_GAP_MAX_NS;
                } else /* trapezoidal integration of the velocity */
                        angle = est->angle_rad[est->head] + 0.5 * (est->last_value + sample->value) * dt_s;
                if (gap) {
                        /* the history starts again from this reading: no window
                         * spans the gap; the running angle goes on, its turns
                         * a guess that no speed is taken from */
                        est->held_ppm = speed_estimator_fast_ppm(est);
                        est->count = 0;
                } else
                        est->head = (est->head + 1) % est->capacity;
        }
        est->time_ns[est->head] = sample->time_ns;
        est->angle_rad[est->head] = angle;
        est->last_value = sample->value;
        if (est->count < est->capacity)
                est->count++;
}

static double ppm_between(const struct speed_estimator *est, unsigned back)
{
        unsigned old = older(est, back);
        uint64_t dt_ns = est->time_ns[est->head] - est->time_ns[old];

        if (dt_ns == 0)
                return 0.0;
        return (est->angle_rad[est->head] - est->angle_rad[old]) / ((double)dt_ns * 1e-9) *
               RAD_PER_S_TO_PPM;
}

double speed_estimator_fast_ppm(const struct speed_estimator *est)
{
        unsigned back;

        if (est->count < 2) {
                if (est->quantity == ENCODER_ANGLE)
                        return est->count == 1 ? est->held_ppm : 0.0;
                return est->count == 1 ? est->last_value * RAD_PER_S_TO_PPM : 0.0;
        }
        back = est->fast_samples < est->count - 1 ? est->fast_samples : est->count - 1;
        return ppm_between(est, back);
}

/* Exactly the last revolution: a window even one sample longer would let
 * part of the ripple inside a revolution (the head's inertia, each impact)
 * through, so the time the crank was 2π back is interpolated between the
 * two samples around it. */
double speed_estimator_revolution_ppm(const struct speed_estimator *est)
{
        double newest, turned = 0.0, before = 0.0, fraction, window_s;
        uint64_t after_ns, before_ns;
        unsigned back;

        if (est->count < 2)
                return speed_estimator_fast_ppm(est);
        newest = est->angle_rad[est->head];
        for (back = 1; back < est->count; back++) {
                turned = fabs(newest - est->angle_rad[older(est, back)]);
                if (turned >= TWO_PI)
                        break;
                before = turned;
        }
        if (back == est->count) /* less than a revolution kept: all of it */
                return ppm_between(est, est->count - 1);

        after_ns = est->time_ns[older(est, back - 1)];
        before_ns = est->time_ns[older(est, back)];
        fraction = (TWO_PI - before) / (turned - before);
        window_s = ((double)(est->time_ns[est->head] - after_ns) +
                    fraction * (double)(after_ns - before_ns)) * 1e-9;
        if (window_s <= 0.0)
                return 0.0;
        return copysign(TWO_PI, newest - est->angle_rad[older(est, back)]) / window_s *
               RAD_PER_S_TO_PPM;
}
