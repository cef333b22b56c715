/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Stroke from the IMU in the handle (ARCHITECTURE.md, "Control"). The
 * head, x = r (1 − cos θ), is driven by the body, so along the percussion
 * axis the body feels −(m_head / m_body) ẍ. The encoder gives the head's
 * motion per unit of r, h = d²(1 − cos θ)/dt² (ω² cos θ, and sin θ dθ²/dt²
 * from the speed's ripple inside a revolution, which at 3200 ppm is worth
 * a millimetre); the IMU gives the body's. Both are demodulated against
 * the encoder's angle (in phase with cos θ, in quadrature with sin θ) over
 * whole crank revolutions, where gravity, the IMU's bias and every other
 * harmonic (the sharp impacts of the head on the muscle are made of them)
 * cancel and the noise averages down; the last few revolutions are
 * averaged. Then
 *   stroke = 2 r = −gain · in_phase(accel) / in_phase(h),
 *   gain = 2 m_body / m_head, calibrated per device.
 *
 * In contact the tissue pushes the head at the crank frequency as well:
 * its stiffness in phase with the head's position, so on cos θ like the
 * head's own inertia and not to be told apart from it by phase (at 40 N
 * and 2000 ppm it outweighs the head's reaction and the in-phase part
 * changes sign); its damping on sin θ. So the part of the quadrature the
 * head's motion does not explain tells that the head touches something:
 * the estimate is then not the stroke (contact).
 *
 * No allocation, no I/O: called from the RT thread every period.
 */

#include <stdbool.h>
#include <stdint.h>

/* Revolutions in the running average of the estimate. */
#define STROKE_ESTIMATOR_REVOLUTIONS 4
/* A revolution slower than this (under 120 ppm) tells nothing: the
 * crank is starting or stopping. */
#define STROKE_ESTIMATOR_REVOLUTION_MAX_S 0.5

struct stroke_estimator_params {
        double gain;            /* 20: 2 × body mass / head mass, calibrated per device */
        double contact_m_s2;    /* 0.4 m/s²: quadrature the head's motion does not explain, in contact */
};

struct stroke_estimator {
        struct stroke_estimator_params p;
        bool started;
        double start_angle_rad; /* running angle where this revolution began */
        uint64_t start_ns;
        /* the two samples before this one: the head's motion at the
         * previous one needs the next */
        unsigned history;
        uint64_t prev_ns[2];
        double prev_cos[2], prev_sin, prev_accel_m_s2;
        bool prev_clipped;
        unsigned samples;
        bool clipped;           /* one of them was the IMU's limit, not the motion */
        double weight_s;        /* the time the samples stand for */
        double longest_step_s;  /* between two of them */
        double sum_accel, sum_accel_cos, sum_accel_sin;
        double sum_head, sum_head_cos, sum_head_sin;
        double sum_cos, sum_sin;

        /* the last whole revolution */
        double revolution_s;
        double revolution_longest_step_s; /* between two of its samples */
        double in_phase_m_s2;   /* first harmonic of the body's acceleration on cos θ */
        double quadrature_m_s2; /* … and on sin θ */
        double head_in_phase_s2;/* first harmonic of h on cos θ, ≈ ω² */
        double head_quadrature_s2;
        double revolution_stroke_mm;
        double residual_m_s2;   /* the quadrature the head's motion does not explain */
        bool contact;           /* the last revolution's quadrature says the head touches */
        /* the IMU saturated in it: its harmonics are those of a clipped
         * wave (a heavy head at the top speed shakes the body past an
         * MPU-6050's ±16 g), the quadrature of the clipping, not of a
         * touch: it tells neither the stroke nor contact, and the last
         * revolution's stroke, residual and contact hold */
        bool revolution_clipped;

        double stroke_mm;       /* averaged over the last revolutions */
        unsigned revolutions;   /* in the average, up to STROKE_ESTIMATOR_REVOLUTIONS */
};

void stroke_estimator_init(struct stroke_estimator *est, const struct stroke_estimator_params *p);
void stroke_estimator_reset(struct stroke_estimator *est);

/* One sample: the crank's running (unwrapped) angle, the sine and cosine
 * of its angle when the IMU sampled, the body's acceleration along the
 * percussion axis and whether the IMU was at its limit. Returns true when
 * the sample closed a revolution: the revolution's figures, and the
 * average unless it was clipped, are then new. */
bool stroke_estimator_update(struct stroke_estimator *est, double running_angle_rad,
                             uint64_t time_ns, double cos_angle, double sin_angle,
                             double accel_m_s2, bool accel_clipped);
