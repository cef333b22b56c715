/* SPDX-License-Identifier: MIT */
#include "force-estimator.h"

#include <math.h>

/* Revolutions in the running average, as for the stroke. */
#define FORCE_ESTIMATOR_REVOLUTIONS 4
/* No stroke, no lever: below this the force cannot be told. */
#define FORCE_ESTIMATOR_STROKE_MIN_MM 1.0

void force_estimator_init(struct force_estimator *fe, const struct force_estimator_params *p,
                          double period_s)
{
        *fe = (struct force_estimator){ .p = *p, .period_s = period_s };
}

void force_estimator_reset(struct force_estimator *fe)
{
        force_estimator_init(fe, &fe->p, fe->period_s);
}

/* The winding's mean current over a period of dt_s at constant duty: it
 * moves from where it was towards (duty V − k_e ω) / R with the time
 * constant L/R, a third of a 1 kHz period. */
static double mean_current_a(struct force_estimator *fe, double duty, double speed_rad_s,
                             double dt_s)
{
        const struct force_estimator_params *p = &fe->p;
        double steady_a = (duty * p->bus_voltage_v - p->torque_constant_nm_per_a * speed_rad_s) /
                          p->resistance_ohm;
        double start_a = fe->current_a;
        double tau_s = p->inductance_h / p->resistance_ohm;
        double decay = tau_s > 0.0 ? exp(-dt_s / tau_s) : 0.0;

        fe->current_a = steady_a + (start_a - steady_a) * decay;
        return steady_a + (start_a - steady_a) * tau_s / dt_s * (1.0 - decay);
}

static void accumulate(struct force_estimator *fe, double running_angle_rad, double sin_angle,
                       double duty, double dt_s)
{
        const struct force_estimator_params *p = &fe->p;
        double speed_rad_s = (running_angle_rad - fe->prev_angle_rad) / dt_s;
        double torque_nm = p->torque_constant_nm_per_a * mean_current_a(fe, duty, speed_rad_s, dt_s) -
                           p->viscous_nm_s_per_rad * speed_rad_s -
                           /* a revolution within STROKE_ESTIMATOR_REVOLUTION_MAX_S
                            * is far from standstill, where it would be smoothed */
                           copysign(p->coulomb_nm, speed_rad_s);
        double cos2 = fe->prev_imu_cos * fe->prev_imu_cos - fe->prev_imu_sin * fe->prev_imu_sin;

        /* the period's torque against the mean of sin θ across it; the
         * rotor's acceleration between this period and the last against
         * sin θ at the sample between them */
        fe->sum_load_sin += torque_nm * dt_s * 0.5 * (fe->prev_sin + sin_angle);
        if (fe->prev_speed_known) {
                double momentum_nm_s = p->inertia_kg_m2 * (speed_rad_s - fe->prev_speed_rad_s);

                fe->sum_load_sin -= momentum_nm_s * fe->prev_sin;
        }
        /* a revolution's samples are those from its start to the one
         * before its end: this period's start */
        fe->samples++;
        fe->sum_accel += fe->prev_accel_m_s2;
        fe->sum_accel_cos2 += fe->prev_accel_m_s2 * cos2;
        fe->sum_cos2 += cos2;
        fe->prev_speed_rad_s = speed_rad_s;
        fe->prev_speed_known = true;
}

void force_estimator_update(struct force_estimator *fe, uint64_t time_ns,
                            double running_angle_rad, double sin_angle, double imu_cos_angle,
                            double imu_sin_angle, double accel_m_s2, double duty)
{
        if (fe->primed) {
                double dt_s = (double)(int64_t)(time_ns - fe->prev_time_ns) * 1e-9;

                /* a clock that jumped says nothing of the period: the loop's own */
                if (!(dt_s > 0.1 * fe->period_s && dt_s < 10.0 * fe->period_s))
                        dt_s = fe->period_s;
                accumulate(fe, running_angle_rad, sin_angle, duty, dt_s);
        }
        fe->primed = true;
        fe->prev_time_ns = time_ns;
        fe->prev_angle_rad = running_angle_rad;
        fe->prev_sin = sin_angle;
        fe->prev_imu_cos = imu_cos_angle;
        fe->prev_imu_sin = imu_sin_angle;
        fe->prev_accel_m_s2 = accel_m_s2;
}

double force_estimator_end_revolution(struct force_estimator *fe, double revolution_s,
                                      double stroke_mm)
{
        double n = fe->samples;

        if (fe->samples > 0 && revolution_s > 0.0 && stroke_mm >= FORCE_ESTIMATOR_STROKE_MIN_MM) {
                double second_m_s2 = 2.0 * (fe->sum_accel_cos2 - fe->sum_accel / n * fe->sum_cos2) / n;
                unsigned average = fe->revolutions < FORCE_ESTIMATOR_REVOLUTIONS ?
                                           ++fe->revolutions : FORCE_ESTIMATOR_REVOLUTIONS;

                fe->revolution_force_n = 2.0 * fe->sum_load_sin / revolution_s /
                                                 (stroke_mm * 0.5e-3) -
                                         fe->p.body_mass_kg * second_m_s2 / 2.0;
                fe->force_n += (fe->revolution_force_n - fe->force_n) / average;
                /* the meter starts where the first revolutions put it, then
                 * follows as a first-order lag in time */
                if (fe->revolutions < FORCE_ESTIMATOR_REVOLUTIONS)
                        fe->meter_n = fe->force_n;
                else
                        fe->meter_n += (fe->force_n - fe->meter_n) *
                                       (1.0 - exp(-revolution_s / FORCE_METER_TIME_CONSTANT_S));
        }
        fe->samples = 0;
        fe->sum_load_sin = 0.0;
        fe->sum_accel = fe->sum_accel_cos2 = fe->sum_cos2 = 0.0;
        return fe->force_n;
}
