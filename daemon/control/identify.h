/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What Calibrate measures, accumulated by the control period while it
 * plays a calibration step (handoff.h: the set-point's identify), as plain
 * sums the main thread reads from the telemetry and solves
 * (identify-motor.h, identify-frame.h, identify-stroke.h). No allocation,
 * no I/O: the update runs on the RT thread every period.
 *
 * The motor is identified from the energy of the crank between two
 * instants (ARCHITECTURE.md's DC-motor model, divided by the rotor's
 * inertia J): driven,
 *   ½ Δ(ω²) + ½ μ r² Δ(sin²θ ω²) = A V d Ω T − D Ω² T − E Ω T
 * and coasting, the driver off (no current),
 *   ½ Δ(ω²) + ½ μ r² Δ(sin²θ ω²) = − b Ω² T − C Ω T
 * over a period of length T (as the samples' times say) in which the crank
 * turned at Ω on average, the
 * motor at duty d of the pack's V. A = k_t / (R J), D = k_t k_e / (R J) +
 * b, b = viscous / J, C = Coulomb / J, E = C and what else offsets the
 * driven motor (the feed-forward's offset wants exactly that), μ =
 * m_head / J (the head's inertia, m r² sin²θ, changes with the angle at
 * stroke 2r). Linear in (μ, A, D, E, b, C): its least-squares sums are
 * kept.
 */

#include <stdbool.h>
#include <stdint.h>

#define IDENTIFY_UNKNOWNS 6 /* μ, A, D, E, b, C */
#define IDENTIFY_END_SPEEDS 3 /* position 0, position 1, position 0 faster */

struct identify_sums {
        /* at rest: the IMU's mean, gravity and bias */
        unsigned rest_samples;
        double rest_accel_m_s2[3];

        /* turning: the first harmonic of each IMU axis against the crank
         * angle its sample is the motion of, and the speed it turned at */
        unsigned harmonic_samples;
        double accel[3], accel_cos[3], accel_sin[3];
        double cos_sum, sin_sum;
        double harmonic_speed_rad_s;

        /* the stroke estimator's whole revolutions at the actuator's two
         * ends, and at its position 0 again, faster (IDENTIFY_END_SPEEDS) */
        unsigned end_revolutions[IDENTIFY_END_SPEEDS];
        double end_in_phase_m_s2[IDENTIFY_END_SPEEDS];  /* body acceleration on cos θ */
        double end_head_s2[IDENTIFY_END_SPEEDS];        /* the head's motion per unit of r, on cos θ */
        double end_residual_m_s2[IDENTIFY_END_SPEEDS];  /* the quadrature the head's motion does not explain */
        double end_in_phase_speed[IDENTIFY_END_SPEEDS]; /* the in-phase part times the speed, rad/s */
        unsigned end_sensor_samples[2]; /* the stroke sensor's readings there */
        double end_sensor_v[2];

        /* the motor's energy relation: normal equations */
        unsigned motor_samples;
        double normal[IDENTIFY_UNKNOWNS][IDENTIFY_UNKNOWNS];
        double rhs[IDENTIFY_UNKNOWNS];
};

/* The last periods the energy relation needs. */
struct identify_history {
        unsigned count;
        uint64_t time_ns[3];            /* of the encoder's sample */
        double angle_rad[3];            /* running crank angle */
        double sin_angle[3];
        double duty[3];                 /* run through the period that began at the sample */
        bool driven[3];                 /* the driver was on through it */
        double bus_voltage_v[3];
        double radius_m[3];             /* the crank's radius, half the stroke */
        double prev_speed_rad_s;        /* at the sample before the last interval's start */
        bool prev_known;
};

/* What to accumulate this period. */
enum identify_what {
        IDENTIFY_NOTHING,
        IDENTIFY_REST,                  /* the IMU's mean */
        IDENTIFY_HARMONIC,              /* the IMU's first harmonic, and the motor */
        IDENTIFY_MOTOR,                 /* the motor only */
        IDENTIFY_STROKE_MIN,            /* the stroke at the actuator's position 0, and the motor */
        IDENTIFY_STROKE_MAX,            /* … at 1, and the motor */
        IDENTIFY_STROKE_MIN_FAST,       /* the head's phase at position 0, faster, and the motor */
};

struct identify_sample {
        uint64_t time_ns;               /* the encoder's sample: the RT thread wakes with jitter */
        double running_angle_rad;       /* crank angle, unwrapped, 0 with the head at its bottom */
        double cos_angle, sin_angle;    /* of the crank angle */
        bool imu_known;                 /* the angle the IMU's sample is the motion of is known … */
        double imu_cos_angle, imu_sin_angle; /* … and these are its */
        double speed_rad_s;             /* the crank's, forward */
        double accel_m_s2[3];           /* in the gun's axes */
        double duty;                    /* to be run until the next sample */
        bool driven;
        double bus_voltage_v;
        double radius_m;
};

void identify_reset(struct identify_sums *sums, struct identify_history *history);
/* The motor's history forgets: the crank did something unmodelled. */
void identify_history_reset(struct identify_history *history);
void identify_update(struct identify_sums *sums, struct identify_history *history,
                     enum identify_what what, const struct identify_sample *s);
/* A revolution the stroke estimator closed at one of the actuator's ends
 * (0 or 1), or at position 0 faster (2). */
void identify_end_revolution(struct identify_sums *sums, unsigned end, double in_phase_m_s2,
                             double head_in_phase_s2, double residual_m_s2, double speed_rad_s);
/* A stroke-sensor reading at one of the actuator's ends. */
void identify_end_sensor(struct identify_sums *sums, unsigned end, double volts);
