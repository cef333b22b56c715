/* SPDX-License-Identifier: MIT */
#include "control-speed.h"

#include <math.h>

void speed_control_params_default(struct speed_control_params *p)
{
        *p = (struct speed_control_params){
                .kp_duty_per_ppm = 5e-4,
                .ki_duty_per_ppm_s = 4e-2,
                .ff_duty_per_ppm = 1.0 / 4080.0,
                .ff_duty_offset = 0.01,
                .default_slew_ppm_per_s = 1000.0,
                .duty_max = 0.95,
        };
}

void speed_control_init(struct speed_control *ctl, const struct speed_control_params *p)
{
        ctl->p = *p;
        speed_control_reset(ctl, 0.0);
}

void speed_control_reset(struct speed_control *ctl, double measured_ppm)
{
        ctl->setpoint_ppm = fmax(0.0, measured_ppm);
        ctl->integral_duty = 0.0;
}

static double slew(double from, double to, double max_step)
{
        if (to > from + max_step)
                return from + max_step;
        if (to < from - max_step)
                return from - max_step;
        return to;
}

double speed_control_step(struct speed_control *ctl, double target_ppm, double slew_ppm_per_s,
                          double measured_ppm, double dt_s)
{
        const struct speed_control_params *p = &ctl->p;
        double rate = slew_ppm_per_s > 0.0 ? slew_ppm_per_s : p->default_slew_ppm_per_s;
        double error_ppm, feed_forward, unclamped, duty;

        ctl->setpoint_ppm = slew(ctl->setpoint_ppm, fmax(0.0, target_ppm), rate * dt_s);
        error_ppm = ctl->setpoint_ppm - measured_ppm;
        feed_forward = ctl->setpoint_ppm > 0.0 ?
                               p->ff_duty_offset + p->ff_duty_per_ppm * ctl->setpoint_ppm : 0.0;

        unclamped = feed_forward + p->kp_duty_per_ppm * error_ppm + ctl->integral_duty +
                    p->ki_duty_per_ppm_s * error_ppm * dt_s;
        duty = fmin(p->duty_max, fmax(0.0, unclamped));
        /* conditional integration: the integrator only moves when the
         * output is not held at a limit in the direction it would push */
        if (duty == unclamped || (unclamped > p->duty_max) != (error_ppm > 0.0))
                ctl->integral_duty += p->ki_duty_per_ppm_s * error_ppm * dt_s;
        return duty;
}
