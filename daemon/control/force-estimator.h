/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The force the user presses the gun with, from the load torque the speed
 * loop fights (ARCHITECTURE.md, "Control"). The crank drives the head
 * through the yoke, whose force on the head is N = F_user − m_body a (the
 * hand and the body's own acceleration a hold the gun), so the crank feels
 *   τ_load = r sin θ · (F_user − m_body a).
 * τ_load is what the motor gives beyond friction and the rotor's
 * acceleration: k_t i − (viscous ω + coulomb) − J dω/dt, with i from the
 * duty and the speed through the winding (R, L) and the encoder's speed.
 * Demodulated against sin θ over a whole revolution,
 *   2 ⟨τ_load sin θ⟩ = r F_user − r m_body (a₀ − a₂/2),
 * where a₂ is the body's acceleration on cos 2θ and a₀ its mean (zero
 * once the hand holds its force: gravity and bias, which would be there
 * too, are left out). So F_user = 2 ⟨τ_load sin θ⟩ / r − m_body a₂ / 2,
 * whatever the tissue, given the stroke r.
 *
 * No allocation, no I/O: called from the RT thread every period.
 */

#include <stdbool.h>
#include <stdint.h>

struct force_estimator_params {
        double bus_voltage_v;           /* 24 V */
        double resistance_ohm;          /* 0.4 Ω, phase to phase */
        double inductance_h;            /* 0.15 mH */
        double torque_constant_nm_per_a;/* 0.0562 N·m/A (= V·s/rad) */
        double inertia_kg_m2;           /* 3e-5 kg·m²: rotor, crank, flywheel, without the head */
        double viscous_nm_s_per_rad;    /* 2e-5 N·m·s/rad */
        double coulomb_nm;              /* 0.01 N·m */
        double body_mass_kg;            /* 1.0 kg: the gun without its head */
};

struct force_estimator {
        struct force_estimator_params p;
        double period_s;                /* the loop's, bounding a sample's interval */
        bool primed;                    /* a previous sample is known */
        uint64_t prev_time_ns;
        double prev_angle_rad, prev_speed_rad_s, prev_sin, prev_accel_m_s2;
        double prev_imu_cos, prev_imu_sin;   /* of the angle the IMU's sample is the motion of */
        bool prev_speed_known;
        double current_a;               /* the winding's current, modelled */

        /* this revolution */
        unsigned samples;
        double sum_load_sin;            /* ∫ τ_load sin θ dt, N·m·s */
        double sum_accel, sum_accel_cos2, sum_cos2;

        /* the last whole revolution */
        double revolution_force_n;
        double force_n;                 /* averaged over the last revolutions */
        unsigned revolutions;
        /* what a force meter shows: smoothed over about half a second,
         * never negative */
        double meter_n;
};

/* The meter's time constant: a push held steady reads steady, a new push
 * shows within half a second. */
#define FORCE_METER_TIME_CONSTANT_S 0.25

void force_estimator_init(struct force_estimator *fe, const struct force_estimator_params *p,
                          double period_s);
void force_estimator_reset(struct force_estimator *fe);

/* One period: the time of the encoder's sample (a period's length is
 * what the clock says, not what the loop asked for: a late wake-up makes
 * it longer), the crank's running angle and the sine of its angle then
 * (the motor's torque), the body's acceleration and the cosine and sine
 * of the angle it is the motion of (sensor-frame.h: the IMU lags), and
 * the duty the motor ran at since the last sample. Call once per period, before
 * force_estimator_end_revolution() when the stroke estimator closed one
 * with this sample. */
void force_estimator_update(struct force_estimator *fe, uint64_t time_ns,
                            double running_angle_rad, double sin_angle, double imu_cos_angle,
                            double imu_sin_angle, double accel_m_s2, double duty);

/* Closes the revolution that lasted revolution_s, with the stroke it ran
 * at; returns the averaged force (for the loops: quick to see contact) and
 * moves the meter (for a person: force_estimator.meter_n). */
double force_estimator_end_revolution(struct force_estimator *fe, double revolution_s,
                                      double stroke_mm);
