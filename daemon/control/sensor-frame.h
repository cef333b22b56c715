/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * How the sensors sit in the gun: where the encoder reads zero and which
 * way it counts, and which of the IMU driver's axes is the gun's x (the
 * percussion axis, the head moving out), y and z. The control laws want
 * the crank angle with the head at its bottom at 0, turning forward, and
 * the body's acceleration in the gun's axes; a board is mounted as it
 * is. An IMU's samples lag the motion they measure (its digital
 * low-pass: a millisecond or more, 19° of crank at 3200 ppm): the IMU's
 * sample is compared with the crank angle that much earlier. The
 * settings say it, Calibrate measures it. No I/O: RT.
 */

#include <stdbool.h>

struct sensor_frame {
        bool encoder_reversed;          /* the encoder counts down as the crank turns forward */
        double encoder_zero_rad;        /* the encoder's reading with the head at its bottom */
        int imu_axes[3];                /* the gun's x, y, z as the driver's axes: 1..3, signed */
        double imu_delay_s;             /* the IMU's sample is the motion this long before its time */
};

void sensor_frame_identity(struct sensor_frame *f);
/* Each driver axis once, a sign on each. */
bool sensor_frame_axes_valid(const int axes[3]);
/* The crank angle, [0, 2π), from an encoder angle. */
double sensor_frame_angle(const struct sensor_frame *f, double encoder_rad);
/* A crank angular velocity, from the encoder's. */
double sensor_frame_velocity(const struct sensor_frame *f, double encoder_rad_s);
/* A vector of the driver's axes in the gun's; in and out may not overlap. */
void sensor_frame_imu(const struct sensor_frame *f, const double driver[3], double gun[3]);
/* Axes a after axes b: the gun's axes as b's driver reads them through a. */
void sensor_frame_compose_axes(const int a[3], const int b[3], int out[3]);
