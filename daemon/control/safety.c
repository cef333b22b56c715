/* SPDX-License-Identifier: MIT */
#include "safety.h"

#include <math.h>

#include "envelope.h"

#define STANDARD_GRAVITY_M_S2 9.80665

void safety_params_default(struct safety_params *p)
{
        *p = (struct safety_params){
                .stall_min_setpoint_ppm = 300.0,
                .stall_speed_ratio = 0.25,
                .stall_time_s = 0.05,
                .percussion_m_s2 = 2.0,
                .free_fall_g = 0.3,
                .free_fall_time_s = 0.03,
                .encoder_stale_s = 0.003,
                .imu_stale_s = 0.003,
                .overrun_streak = 5,
                .runaway_ratio = 0.10,
                .runaway_margin_ppm = 150.0,
                .runaway_time_s = 0.1,
                .spin_down_ppm_per_s = 800.0,
                .temperature_limit_c = 70.0,
                .temperature_margin_c = 2.0,
                .temperature_resume_c = 60.0,
        };
}

bool safety_setpoint_allowed(bool motor_on, double speed_ppm, double stroke_mm, double ramp_s)
{
        return !motor_on ||
               (speed_ppm >= ENVELOPE_SPEED_MIN_PPM && speed_ppm <= ENVELOPE_SPEED_MAX_PPM &&
                stroke_mm >= ENVELOPE_AMPLITUDE_MIN_MM && stroke_mm <= ENVELOPE_AMPLITUDE_MAX_MM &&
                ramp_s >= 0.0);
}

void safety_reset(struct safety *s)
{
        *s = (struct safety){0};
}

void safety_assume_coasting(struct safety *s, const struct safety_params *p)
{
        s->ceiling_ppm = ENVELOPE_SPEED_MAX_PPM +
                         fmax(p->runaway_ratio * ENVELOPE_SPEED_MAX_PPM, p->runaway_margin_ppm);
}

static bool stalled(struct safety *s, const struct safety_params *p, const struct safety_input *in)
{
        bool slow = in->motor_on && in->setpoint_ppm >= p->stall_min_setpoint_ppm &&
                    fabs(in->speed_ppm) < p->stall_speed_ratio * in->setpoint_ppm;

        s->stalled_s = slow ? s->stalled_s + in->period_s : 0.0;
        return s->stalled_s >= p->stall_time_s;
}

/*
 * The head shakes the body by several g at the percussion frequency, so
 * the acceleration is averaged over the last crank revolution, where that
 * shaking cancels (it is periodic in the crank angle) and what is left is
 * gravity and the hand: about 1 g while held, about 0 when falling.
 */
static bool falling(struct safety *s, const struct safety_params *p, const struct safety_input *in)
{
        double mean[3] = { 0, 0, 0 };
        unsigned window = 1;

        if (!in->accel_m_s2)
                return false;
        if (!in->motor_on) {
                /* a gun put down or dropped with the motor off is no danger */
                s->falling_s = 0.0;
                s->accel_count = 0;
                return false;
        }
        s->accel_head = (s->accel_head + 1) % SAFETY_ACCEL_HISTORY;
        for (int i = 0; i < 3; i++)
                s->accel[s->accel_head][i] = in->accel_m_s2[i];
        if (s->accel_count < SAFETY_ACCEL_HISTORY)
                s->accel_count++;

        if (fabs(in->speed_ppm) > 0.0) {
                double periods_per_rev = 60.0 / fabs(in->speed_ppm) / in->period_s;

                window = (unsigned)lround(fmin(periods_per_rev, SAFETY_ACCEL_HISTORY));
        }
        if (window < 1)
                window = 1;
        if (window > s->accel_count)
                window = s->accel_count;
        for (unsigned k = 0; k < window; k++) {
                unsigned i = (s->accel_head + SAFETY_ACCEL_HISTORY - k) % SAFETY_ACCEL_HISTORY;

                for (int a = 0; a < 3; a++)
                        mean[a] += s->accel[i][a] / window;
        }
        if (sqrt(mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]) <
            p->free_fall_g * STANDARD_GRAVITY_M_S2)
                s->falling_s += in->period_s;
        else
                s->falling_s = 0.0;
        return s->falling_s >= p->free_fall_time_s;
}

/* In time, not periods, as for the IMU below: an encoder whose driver
 * hands its scans over in bursts (a buffer's watermark, an interrupt
 * thread held up) leaves periods without a new one, which is no loss. */
static bool encoder_stale(struct safety *s, const struct safety_params *p,
                          const struct safety_input *in)
{
        if (in->encoder_time_ns == s->last_encoder_ns)
                s->encoder_unchanged_s += in->period_s;
        else
                s->encoder_unchanged_s = 0.0;
        s->last_encoder_ns = in->encoder_time_ns;
        /* never under three periods: at 250 Hz one period without a scan
         * is already 4 ms; a period's share of rounding must not add one */
        return s->encoder_unchanged_s >=
               fmax(p->encoder_stale_s, SAFETY_STALE_PERIODS_MIN * in->period_s) - 0.5 * in->period_s;
}

/* In time, not periods: an IMU may sample slower than the loop runs, and
 * its driver then hands the same sample to several periods. Only whether
 * its time moves counts: the IMU's clock need not be the encoder's. */
static bool imu_stale(struct safety *s, const struct safety_params *p,
                      const struct safety_input *in)
{
        if (!in->accel_m_s2)
                return false;
        if (in->imu_time_ns == s->last_imu_ns)
                s->imu_unchanged_s += in->period_s;
        else
                s->imu_unchanged_s = 0.0;
        s->last_imu_ns = in->imu_time_ns;
        /* as for the encoder */
        return s->imu_unchanged_s >=
               fmax(p->imu_stale_s, SAFETY_STALE_PERIODS_MIN * in->period_s) - 0.5 * in->period_s;
}

/*
 * A driver stuck on (a shorted switch) drives the crank whatever duty the
 * loop writes. The crank may turn as fast as its set-point and a margin,
 * or, when the set-point falls (a slower step, Stop, the motor off), as
 * fast as a crank coasting down from there: the ceiling falls no faster
 * than the slowest healthy spin-down. Over it for runaway_time_s, the
 * motor is driven by something the loop does not command. The mean over a
 * revolution: the ripple inside one (the head, each impact) is no runaway.
 */
static bool runaway(struct safety *s, const struct safety_params *p, const struct safety_input *in)
{
        double asked_ppm = in->runaway_ppm > 0.0 ? in->runaway_ppm :
                           in->motor_on ? fabs(in->setpoint_ppm) : 0.0;
        double allowed_ppm = asked_ppm + fmax(p->runaway_ratio * asked_ppm, p->runaway_margin_ppm);

        s->ceiling_ppm = fmax(allowed_ppm, s->ceiling_ppm - p->spin_down_ppm_per_s * in->period_s);
        if (!(fabs(in->revolution_ppm) > s->ceiling_ppm)) {
                s->overspeed = false;
                return false;
        }
        /* timed on the encoder's clock, not in periods: a loop held up for
         * a few periods must not give a runaway that much more time; a clock
         * that went back starts the count again */
        if (!s->overspeed || in->encoder_time_ns < s->overspeed_since_ns) {
                s->overspeed = true;
                s->overspeed_since_ns = in->encoder_time_ns;
        }
        /* a period's share of rounding must not add a period */
        return (double)(in->encoder_time_ns - s->overspeed_since_ns) * 1e-9 + in->period_s >=
               p->runaway_time_s - 0.5 * in->period_s;
}

/*
 * A crank too slow for its drive is a jammed head, or an encoder that no
 * longer follows a crank that turns (a raw channel whose chip stopped
 * answers the same value at every new time). The IMU tells them apart:
 * a turning crank shakes the body by several g at the percussion
 * frequency, a jammed one leaves it still. Only the newer half of the
 * stall's window counts, so that the shaking from before a jam does not.
 */
static bool percussing(const struct safety *s, const struct safety_params *p,
                       const struct safety_input *in)
{
        unsigned window = (unsigned)lround(0.5 * p->stall_time_s / in->period_s);
        double mean[3] = { 0, 0, 0 }, variance = 0.0;

        if (!in->accel_m_s2 || window < 2)
                return false;
        if (window > s->accel_count)
                window = s->accel_count;
        if (window < 2)
                return false;
        for (unsigned k = 0; k < window; k++) {
                unsigned i = (s->accel_head + SAFETY_ACCEL_HISTORY - k) % SAFETY_ACCEL_HISTORY;

                for (int a = 0; a < 3; a++)
                        mean[a] += s->accel[i][a] / window;
        }
        for (unsigned k = 0; k < window; k++) {
                unsigned i = (s->accel_head + SAFETY_ACCEL_HISTORY - k) % SAFETY_ACCEL_HISTORY;

                for (int a = 0; a < 3; a++)
                        variance += (s->accel[i][a] - mean[a]) * (s->accel[i][a] - mean[a]) / window;
        }
        return sqrt(variance) > p->percussion_m_s2;
}

enum fault safety_check(struct safety *s, const struct safety_params *p,
                           const struct safety_input *in)
{
        s->overruns_in_a_row = in->overran ? s->overruns_in_a_row + 1 : 0;
        if (encoder_stale(s, p, in)) {
                s->lost_sensor = RT_SENSOR_ENCODER;
                return FAULT_SENSOR_LOST;
        }
        if (imu_stale(s, p, in)) {
                s->lost_sensor = RT_SENSOR_IMU;
                return FAULT_SENSOR_LOST;
        }
        if (falling(s, p, in))
                return FAULT_DROP;
        if (stalled(s, p, in)) {
                if (!percussing(s, p, in))
                        return FAULT_STALL;
                s->lost_sensor = RT_SENSOR_ENCODER;
                return FAULT_SENSOR_LOST;
        }
        if (runaway(s, p, in))
                return FAULT_RUNAWAY;
        if (s->overruns_in_a_row >= p->overrun_streak)
                return FAULT_OVERRUN;
        return FAULT_NONE;
}

bool safety_temperature_too_high(const struct safety_params *p, double celsius)
{
        return !isnan(celsius) && celsius >= p->temperature_limit_c - p->temperature_margin_c;
}

bool safety_temperature_cleared(const struct safety_params *p, double celsius)
{
        return isnan(celsius) || celsius <= p->temperature_resume_c;
}
