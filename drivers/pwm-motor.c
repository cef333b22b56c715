/* SPDX-License-Identifier: MIT */
/*
 * The brushless motor's driver board: speed from a sysfs PWM duty, and its
 * enable, direction and brake lines through libgpiod. Safe state: duty 0,
 * enable inactive, brake active.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "gpio-line.h"
#include "hw-drivers.h"
#include "pwm-channel.h"

struct pwm_motor {
        struct pwm_channel pwm;
        struct gpio_out enable, direction, brake;
};

static int pwm_motor_set_duty(struct motor *motor, double duty)
{
        struct pwm_motor *pm = motor->data;

        if (!(duty >= 0.0 && duty <= 1.0))
                return -EINVAL;
        return pwm_channel_set_duty_ns(&pm->pwm,
                                       (uint64_t)llround(duty * (double)pm->pwm.period_ns));
}

static int pwm_motor_set_enable(struct motor *motor, bool enabled)
{
        struct pwm_motor *pm = motor->data;
        int r;

        if (!enabled) {
                /* every step even when one fails: as much of the safe state as we can */
                int r2, r3;

                r = pwm_channel_set_duty_ns(&pm->pwm, 0);
                r2 = gpio_out_set(&pm->enable, false);
                r3 = gpio_out_set(&pm->brake, true);
                return r < 0 ? r : r2 < 0 ? r2 : r3;
        }
        r = gpio_out_set(&pm->brake, false);
        if (r >= 0)
                r = gpio_out_set(&pm->enable, true);
        return r;
}

static void pwm_motor_close(struct motor *motor)
{
        struct pwm_motor *pm = motor->data;

        (void)pwm_motor_set_enable(motor, false);
        pwm_channel_close(&pm->pwm);
        gpio_out_close(&pm->brake);
        gpio_out_close(&pm->direction);
        gpio_out_close(&pm->enable);
        free(pm);
        motor->data = NULL;
}

static const struct motor_ops pwm_motor_ops = {
        .name = "pwm-motor",
        .set_duty = pwm_motor_set_duty,
        .set_enable = pwm_motor_set_enable,
        .close = pwm_motor_close,
};

int pwm_motor_open(struct motor *motor, const struct hw_motor_config *config, char *error,
                   size_t error_size)
{
        struct pwm_motor *pm = calloc(1, sizeof(*pm));
        int r;

        if (!pm)
                return -ENOMEM;
        pm->pwm.duty_fd = -1;
        /* the lines first, in the safe state, before the PWM can drive anything */
        r = gpio_out_open(&pm->enable, config->enable.spec, config->enable.active_low, false,
                          "[Motor] EnableLine", error, error_size);
        if (r >= 0)
                r = gpio_out_open(&pm->brake, config->brake.spec, config->brake.active_low, true,
                                  "[Motor] BrakeLine", error, error_size);
        if (r >= 0)
                r = gpio_out_open(&pm->direction, config->direction.spec,
                                  config->direction.active_low, false, "[Motor] DirectionLine",
                                  error, error_size);
        if (r >= 0)
                r = pwm_channel_open(&pm->pwm, &config->pwm, "Motor", error, error_size);
        if (r < 0) {
                gpio_out_close(&pm->direction);
                gpio_out_close(&pm->brake);
                gpio_out_close(&pm->enable);
                free(pm);
                return r;
        }
        *motor = (struct motor){ .ops = &pwm_motor_ops, .data = pm };
        return 0;
}
