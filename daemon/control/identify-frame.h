/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How the sensors are mounted (sensor-frame.h), from identify.h's sums.
 *  - The IMU's axes: held level at rest, gravity (the IMU feels it as up)
 *    is on the gun's +z; held with the head to the floor, on its −x; a
 *    right-handed sensor in a right-handed gun gives y = z × x. The
 *    head's first harmonic tells x alone only up to its sign, which a half
 *    turn of the encoder's zero would take back: gravity tells it.
 *  - The encoder's direction: the sign of its travel under a positive duty.
 *  - Its zero and the IMU's delay: the body recoils from the head,
 *    −(m_head/m_body) r ω² cos θ on x, so the first harmonic of x against
 *    the encoder's angle is at the angle of the head's bottom, turned by
 *    a half turn, and later by what the crank turns in the IMU's delay
 *    τ: ω τ. The phase at two speeds or more, fitted by least squares
 *    against the speed, tells them apart: what stays is the zero, what
 *    grows with the speed the delay (sensor-frame.h). At the low
 *    speed and short stroke this is found at, the harmonic is weak and
 *    the IMU's noise leaves the zero a degree off, which at the top speed
 *    and the long stroke is a quadrature of a few m/s² that the head's
 *    motion does not explain: more than a touch of the skin gives
 *    (stroke-estimator.h). The stroke estimator's revolutions at the
 *    actuator's two ends, turning faster with the harmonic up to sixteen
 *    times stronger, tell the rest of it: that quadrature over the
 *    in-phase part is the tangent of the angle the zero is still off; the
 *    short stroke turned faster, that angle against the speed tells what
 *    the delay is still off too (at the top speed and the long stroke a
 *    tenth of a degree is a touch of the skin: 10 µs of delay).
 */

#include "identify.h"
#include "sensor-frame.h"

/* Gravity's axis, signed, in the driver's axes (1..3), from a rest; 0
 * when the mean is no gravity (the gun moved, or fell). */
int identify_gravity_axis(const struct identify_sums *rest);

/* The gun's axes from gravity's axis held level (gun +z) and head down
 * (gun −x): -EDOM when they are the same axis. */
int identify_imu_axes(int level_axis, int head_down_axis, int axes[3]);

/* The first harmonic of x at one speed: its phase against the sums'
 * angle, ψ of x = −K cos(φ − ψ), the speed it turned at (forward), the
 * amplitude K (m/s²) and the weight of the phase in a fit. -EDOM when
 * the harmonic is too weak to tell (amplitude_m_s2 then says how weak). */
struct identify_phase {
        double phase_rad, speed_rad_s, amplitude_m_s2, weight;
};
int identify_harmonic_phase(const struct identify_sums *harmonic, struct identify_phase *phase);

/* The encoder's zero, rad of the encoder's reading, and the IMU's delay,
 * s, from the phases at `count` speeds, taken with the encoder turned by
 * `reversed` only (the sums' zero at 0, no delay): -EDOM with fewer than
 * two speeds, or speeds too close to tell a delay. */
int identify_zero_and_delay(const struct identify_phase *phases, unsigned count, bool reversed,
                            double *zero_rad, double *delay_s);

/* The zero and the delay from identify_zero_and_delay(), set with
 * `reversed`, refined by the stroke ends' revolutions
 * (identify_end_revolution(), taken with them): the zero by the two
 * ends', the delay too by the short stroke's at a speed far enough from
 * theirs. -EDOM without the ends' revolutions, or without a head's
 * harmonic there. */
int identify_encoder_zero_refine(const struct identify_sums *sums, bool reversed, double *zero_rad,
                                 double *delay_s);

/* The driver axis that carries the strongest first harmonic (1..3), to
 * cross-check the gun's x. */
int identify_harmonic_axis(const struct identify_sums *harmonic);
