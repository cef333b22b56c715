/* SPDX-License-Identifier: MIT */
/*
 * The stroke actuator: a servo on a sysfs PWM channel, its position the
 * pulse width between PulseMin (shortest stroke) and PulseMax.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hw-drivers.h"
#include "pwm-channel.h"

struct pwm_stroke {
        struct pwm_channel pwm;
        uint64_t pulse_min_ns, pulse_max_ns;
};

static int pwm_stroke_set_position(struct stroke *stroke, double position)
{
        struct pwm_stroke *ps = stroke->data;

        if (!(position >= 0.0 && position <= 1.0))
                return -EINVAL;
        return pwm_channel_set_duty_ns(&ps->pwm, ps->pulse_min_ns + (uint64_t)llround(
                position * (double)(ps->pulse_max_ns - ps->pulse_min_ns)));
}

static void pwm_stroke_close(struct stroke *stroke)
{
        struct pwm_stroke *ps = stroke->data;

        pwm_channel_close(&ps->pwm);
        free(ps);
        stroke->data = NULL;
}

static const struct stroke_ops pwm_stroke_ops = {
        .name = "pwm-stroke",
        .set_position = pwm_stroke_set_position,
        .close = pwm_stroke_close,
};

int pwm_stroke_open(struct stroke *stroke, const struct hw_stroke_config *config, char *error,
                    size_t error_size)
{
        struct pwm_stroke *ps;
        int r;

        if (config->pulse_min_ns >= config->pulse_max_ns ||
            config->pulse_max_ns > config->pwm.period_ns) {
                snprintf(error, error_size, "[Stroke] PulseMin=%llu, PulseMax=%llu, Period=%llu: "
                         "the pulses must grow from PulseMin to PulseMax within the period",
                         (unsigned long long)config->pulse_min_ns,
                         (unsigned long long)config->pulse_max_ns,
                         (unsigned long long)config->pwm.period_ns);
                return -EINVAL;
        }
        if (config->min_mm >= config->max_mm) {
                snprintf(error, error_size, "[Stroke] StrokeMin=%g, StrokeMax=%g: the longest "
                         "stroke must be longer than the shortest", config->min_mm, config->max_mm);
                return -EINVAL;
        }
        ps = calloc(1, sizeof(*ps));
        if (!ps)
                return -ENOMEM;
        ps->pulse_min_ns = config->pulse_min_ns;
        ps->pulse_max_ns = config->pulse_max_ns;
        r = pwm_channel_open(&ps->pwm, &config->pwm, "Stroke", error, error_size);
        if (r < 0) {
                free(ps);
                return r;
        }
        *stroke = (struct stroke){
                .ops = &pwm_stroke_ops,
                .data = ps,
                .min_mm = config->min_mm,
                .max_mm = config->max_mm,
        };
        return 0;
}
