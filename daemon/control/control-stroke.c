/* SPDX-License-Identifier: MIT */
#include "control-stroke.h"

#include <math.h>

void stroke_control_params_default(struct stroke_control_params *p)
{
        *p = (struct stroke_control_params){
                .ki_per_revolution = 0.25,
                .trim_max_mm = 2.0,
                .contact_force_n = 2.0,
                .settle_s = 0.3,
                .sensor_ki_per_s = 5.0,
                .sensor_trim_max_mm = 4.0,
        };
}

void stroke_control_init(struct stroke_control *ctl, const struct stroke_control_params *p)
{
        *ctl = (struct stroke_control){ .p = *p, .settling_s = p->settle_s };
}

void stroke_control_restart(struct stroke_control *ctl)
{
        ctl->settling_s = ctl->p.settle_s;
}

double stroke_control_step(struct stroke_control *ctl, double target_mm, double dt_s)
{
        if (target_mm != ctl->target_mm) {
                ctl->target_mm = target_mm;
                ctl->settling_s = ctl->p.settle_s;
        } else if (ctl->settling_s > 0.0)
                ctl->settling_s -= dt_s;
        return target_mm + ctl->trim_mm;
}

bool stroke_control_correct(struct stroke_control *ctl, double estimate_mm, bool contact)
{
        if (contact) {
                /* once pressed, the average holds pressed revolutions for
                 * a while after the user lets go */
                ctl->settling_s = ctl->p.settle_s;
                return false;
        }
        if (ctl->settling_s > 0.0)
                return false;
        ctl->trim_mm = fmin(ctl->p.trim_max_mm,
                            fmax(-ctl->p.trim_max_mm,
                                 ctl->trim_mm + ctl->p.ki_per_revolution * (ctl->target_mm - estimate_mm)));
        return true;
}

void stroke_control_close(struct stroke_control *ctl, double measured_mm, double dt_s)
{
        double limit_mm = ctl->p.sensor_trim_max_mm;

        if (ctl->settling_s > 0.0)
                return;
        ctl->trim_mm = fmin(limit_mm, fmax(-limit_mm, ctl->trim_mm + ctl->p.sensor_ki_per_s * dt_s *
                                                                         (ctl->target_mm - measured_mm)));
}
