/* SPDX-License-Identifier: MIT */
#include "identify-motor.h"

#include <errno.h>
#include <math.h>

#include "envelope.h"

#define RAD_S_PER_PPM (2.0 * M_PI / 60.0)
/* The reference gun's plant, for which the default gains were tuned:
 * 24 V, k_e 0.0562 V·s/rad, R 0.4 Ω, J 3e-5 kg·m², viscous 2e-5: its
 * steady speed per unit of duty, and the time constant of its answer. */
#define REFERENCE_SPEED_GAIN_PPM_PER_DUTY 4068.0
#define REFERENCE_TIME_CONSTANT_S 0.00379
#define CALIBRATED_INTEGRATOR_SHARE 1.5

/* Gaussian elimination with partial pivoting; -EDOM on a pivot that is
 * nothing against the matrix's scale. */
static int solve(double a[IDENTIFY_UNKNOWNS][IDENTIFY_UNKNOWNS], double b[IDENTIFY_UNKNOWNS],
                 double x[IDENTIFY_UNKNOWNS])
{
        const int n = IDENTIFY_UNKNOWNS;
        double scale[IDENTIFY_UNKNOWNS];

        /* the unknowns differ by ten orders of magnitude: equilibrate */
        for (int i = 0; i < n; i++) {
                if (!(a[i][i] > 0.0))
                        return -EDOM;
                scale[i] = 1.0 / sqrt(a[i][i]);
        }
        for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++)
                        a[i][j] *= scale[i] * scale[j];
                b[i] *= scale[i];
        }
        for (int col = 0; col < n; col++) {
                int pivot = col;

                for (int row = col + 1; row < n; row++)
                        if (fabs(a[row][col]) > fabs(a[pivot][col]))
                                pivot = row;
                if (fabs(a[pivot][col]) < 1e-9)
                        return -EDOM;
                if (pivot != col) {
                        for (int j = 0; j < n; j++) {
                                double t = a[col][j];

                                a[col][j] = a[pivot][j];
                                a[pivot][j] = t;
                        }
                        double t = b[col];

                        b[col] = b[pivot];
                        b[pivot] = t;
                }
                for (int row = col + 1; row < n; row++) {
                        double f = a[row][col] / a[col][col];

                        for (int j = col; j < n; j++)
                                a[row][j] -= f * a[col][j];
                        b[row] -= f * b[col];
                }
        }
        for (int row = n - 1; row >= 0; row--) {
                double sum = b[row];

                for (int j = row + 1; j < n; j++)
                        sum -= a[row][j] * x[j];
                x[row] = sum / a[row][row];
        }
        for (int i = 0; i < n; i++)
                x[i] *= scale[i];
        return 0;
}

int identify_motor_solve(const struct identify_sums *sums, double bus_voltage_v,
                         double head_mass_kg, struct motor_identity *out)
{
        double a[IDENTIFY_UNKNOWNS][IDENTIFY_UNKNOWNS], b[IDENTIFY_UNKNOWNS], x[IDENTIFY_UNKNOWNS];
        double mu, per_inertia_a, damping, offset, viscous_b, coulomb_c, k_e, inertia;
        int r;

        if (sums->motor_samples < 100 || !(bus_voltage_v > 0.0) || !(head_mass_kg > 0.0))
                return -EDOM;
        for (int i = 0; i < IDENTIFY_UNKNOWNS; i++) {
                for (int j = 0; j < IDENTIFY_UNKNOWNS; j++)
                        a[i][j] = sums->normal[i][j];
                b[i] = sums->rhs[i];
        }
        r = solve(a, b, x);
        if (r < 0)
                return r;
        mu = x[0];
        per_inertia_a = x[1];
        damping = x[2];
        offset = x[3];
        viscous_b = fmax(x[4], 0.0);
        coulomb_c = fmax(x[5], 0.0);
        if (!(mu > 0.0) || !(per_inertia_a > 0.0) || !(damping > viscous_b))
                return -EDOM;

        k_e = (damping - viscous_b) / per_inertia_a;
        inertia = head_mass_kg / mu;
        *out = (struct motor_identity){
                .torque_constant_nm_per_a = k_e,
                .resistance_ohm = k_e / (per_inertia_a * inertia),
                .inertia_kg_m2 = inertia,
                .viscous_nm_s_per_rad = viscous_b * inertia,
                .coulomb_nm = coulomb_c * inertia,
                .ff_duty_per_ppm = damping * RAD_S_PER_PPM / (per_inertia_a * bus_voltage_v),
                .ff_duty_offset = fmax(offset, 0.0) / (per_inertia_a * bus_voltage_v),
                .speed_gain_ppm_per_duty = per_inertia_a * bus_voltage_v / damping / RAD_S_PER_PPM,
                .time_constant_s = 1.0 / damping,
        };
        return 0;
}

void identify_speed_gains(const struct motor_identity *m, double identified_at_v,
                          double bus_voltage_v, struct speed_control_params *p)
{
        struct speed_control_params defaults;
        double at_v = m->speed_gain_ppm_per_duty * bus_voltage_v / identified_at_v;
        /* the loop's crossover, gain over time constant, where the
         * reference's is: a slower plant gets more gain */
        double ratio = REFERENCE_SPEED_GAIN_PPM_PER_DUTY / at_v *
                       sqrt(m->time_constant_s / REFERENCE_TIME_CONSTANT_S);

        speed_control_params_default(&defaults);
        p->kp_duty_per_ppm = defaults.kp_duty_per_ppm * ratio;
        /* the head's ripple notched out (control-period.c), the loop
         * takes a faster integrator, which a soft muscle's slowly rising
         * push (the hand pressing in) needs to be back within ±1 % */
        p->ki_duty_per_ppm_s = CALIBRATED_INTEGRATOR_SHARE * defaults.ki_duty_per_ppm_s * ratio;
        p->ff_duty_per_ppm = m->ff_duty_per_ppm * identified_at_v / bus_voltage_v;
        p->ff_duty_offset = m->ff_duty_offset * identified_at_v / bus_voltage_v;
}

double identify_spin_down_ppm_per_s(const struct motor_identity *m, double head_mass_kg,
                                    double at_ppm)
{
        double radius_m = 0.5e-3 * ENVELOPE_AMPLITUDE_MAX_MM;
        /* the head's m r² sin²θ, over a revolution */
        double inertia_kg_m2 = m->inertia_kg_m2 + 0.5 * head_mass_kg * radius_m * radius_m;
        double torque_nm = m->coulomb_nm + m->viscous_nm_s_per_rad * at_ppm * RAD_S_PER_PPM;

        return 0.5 * torque_nm / inertia_kg_m2 / RAD_S_PER_PPM;
}

void identify_force_params(const struct motor_identity *m, double bus_voltage_v,
                           double body_mass_kg, struct force_estimator_params *p)
{
        p->bus_voltage_v = bus_voltage_v;
        p->resistance_ohm = m->resistance_ohm;
        p->torque_constant_nm_per_a = m->torque_constant_nm_per_a;
        p->inertia_kg_m2 = m->inertia_kg_m2;
        p->viscous_nm_s_per_rad = m->viscous_nm_s_per_rad;
        p->coulomb_nm = m->coulomb_nm;
        p->body_mass_kg = body_mass_kg;
}
