/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "hw-drivers.h"

int hw_gun_open(struct gun *gun, const struct hw_config *config, const struct gun *simulated,
                unsigned control_hz, char *error, size_t error_size)
{
        int r = 0;

        *gun = (struct gun){0};
        if (config->encoder.driver == HW_REAL)
                r = iio_encoder_open(&gun->encoder, &config->encoder, control_hz, error, error_size);
        if (r >= 0 && config->imu.driver == HW_REAL)
                r = iio_imu_open(&gun->imu, &config->imu, error, error_size);
        if (r >= 0 && config->motor.driver == HW_REAL)
                r = pwm_motor_open(&gun->motor, &config->motor, error, error_size);
        if (r >= 0 && config->stroke.driver == HW_REAL)
                r = pwm_stroke_open(&gun->stroke, &config->stroke, error, error_size);
        if (r < 0) {
                gun_close(gun);
                return r;
        }

        /* the simulated kinds last: gun_close() above must not close them */
        if (config->encoder.driver == HW_SIMULATED)
                gun->encoder = simulated->encoder;
        if (config->imu.driver == HW_SIMULATED)
                gun->imu = simulated->imu;
        if (config->motor.driver == HW_SIMULATED)
                gun->motor = simulated->motor;
        if (config->stroke.driver == HW_SIMULATED)
                gun->stroke = simulated->stroke;
        if (config->buttons.driver == HW_SIMULATED)
                gun->buttons = simulated->buttons;
        if (config->leds.driver == HW_SIMULATED)
                gun->leds = simulated->leds;
        gun->simulated = config->encoder.driver == HW_SIMULATED &&
                         config->imu.driver == HW_SIMULATED &&
                         config->motor.driver == HW_SIMULATED &&
                         config->stroke.driver == HW_SIMULATED &&
                         config->buttons.driver == HW_SIMULATED &&
                         config->leds.driver == HW_SIMULATED;
        return 0;
}
