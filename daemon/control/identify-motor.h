/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The motor, its friction and the inertia, from the energy sums of
 * identify.h. Motion alone gives the model divided by the inertia J: the
 * back-EMF constant k_e = B_e / A is absolute (volts against radians per
 * second), and so are the feed-forward's duty per ppm and its offset; J
 * itself needs a known mass, the head's (m_head = μ J, with m_head from
 * the body's mass and the stroke gain, identify-stroke.h). Then
 * R = k_t / (A J), viscous = b J, Coulomb = C J, with k_t = k_e (SI).
 */

#include "identify.h"
#include "control-speed.h"
#include "force-estimator.h"

struct motor_identity {
        double torque_constant_nm_per_a;        /* = back-EMF, V·s/rad */
        double resistance_ohm;
        double inertia_kg_m2;                   /* without the head */
        double viscous_nm_s_per_rad;
        double coulomb_nm;
        /* at the voltage the sums were taken at */
        double ff_duty_per_ppm;
        double ff_duty_offset;
        double speed_gain_ppm_per_duty;         /* steady speed per duty, friction aside */
        double time_constant_s;                 /* of the speed's answer to the duty */
};

/* -EDOM when the sums do not hold enough of each kind of motion (steps,
 * spin-downs, the long stroke) to tell the unknowns apart. */
int identify_motor_solve(const struct identify_sums *sums, double bus_voltage_v,
                         double head_mass_kg, struct motor_identity *out);

/* The speed loop's gains for the identified plant: the crossover and the
 * integrator's corner of the defaults, which were tuned on the reference
 * gun; the feed-forward at bus_voltage_v. */
void identify_speed_gains(const struct motor_identity *m, double identified_at_v,
                          double bus_voltage_v, struct speed_control_params *p);

/* Half the slowest a healthy crank slows with the motor off: at at_ppm,
 * the slowest speed a runaway is watched at (where friction brakes
 * least), with a head of head_mass_kg at the longest stroke (adding the
 * most inertia), in ppm/s. */
double identify_spin_down_ppm_per_s(const struct motor_identity *m, double head_mass_kg,
                                    double at_ppm);

/* The force estimator's model of the gun. */
void identify_force_params(const struct motor_identity *m, double bus_voltage_v,
                           double body_mass_kg, struct force_estimator_params *p);
