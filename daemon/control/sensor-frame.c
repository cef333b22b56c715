/* SPDX-License-Identifier: MIT */
#include "sensor-frame.h"

#include <math.h>
#include <stdlib.h>

#define TWO_PI (2.0 * M_PI)

void sensor_frame_identity(struct sensor_frame *f)
{
        *f = (struct sensor_frame){ .imu_axes = { 1, 2, 3 } };
}

bool sensor_frame_axes_valid(const int axes[3])
{
        unsigned seen = 0;

        for (int i = 0; i < 3; i++) {
                int a = abs(axes[i]);

                if (a < 1 || a > 3)
                        return false;
                seen |= 1u << (a - 1);
        }
        return seen == 7;
}

double sensor_frame_angle(const struct sensor_frame *f, double encoder_rad)
{
        double angle = (f->encoder_reversed ? -1.0 : 1.0) * (encoder_rad - f->encoder_zero_rad);

        angle -= TWO_PI * floor(angle / TWO_PI);
        /* a rounding error short of 2π is 0 of the next turn */
        return angle < TWO_PI ? angle : 0.0;
}

double sensor_frame_velocity(const struct sensor_frame *f, double encoder_rad_s)
{
        return f->encoder_reversed ? -encoder_rad_s : encoder_rad_s;
}

void sensor_frame_imu(const struct sensor_frame *f, const double driver[3], double gun[3])
{
        for (int i = 0; i < 3; i++)
                gun[i] = (f->imu_axes[i] < 0 ? -1.0 : 1.0) * driver[abs(f->imu_axes[i]) - 1];
}

void sensor_frame_compose_axes(const int a[3], const int b[3], int out[3])
{
        for (int i = 0; i < 3; i++) {
                int inner = b[abs(a[i]) - 1];

                out[i] = (a[i] < 0 ? -inner : inner);
        }
}
