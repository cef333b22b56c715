/* SPDX-License-Identifier: MIT */
#include "control-period.h"

#include <math.h>

#include "pattern.h"

void control_period_init(struct control_period *cp, const struct speed_control_params *params,
                         const struct safety_params *safety, enum encoder_quantity quantity,
                         unsigned control_hz)
{
        *cp = (struct control_period){ .period_s = 1.0 / control_hz, .safety_params = *safety };
        speed_estimator_init(&cp->speed_estimator, quantity, control_hz);
        speed_control_init(&cp->speed_control, params);
}

void control_period_reset(struct control_period *cp)
{
        speed_estimator_reset(&cp->speed_estimator);
        safety_reset(&cp->safety);
        cp->motor_on = false;
}

int control_safe_state(struct gun *gun)
{
        int r = gun->motor.ops->set_duty(&gun->motor, 0.0);
        int r2 = gun->motor.ops->set_enable(&gun->motor, false);

        return r < 0 ? r : r2;
}

static int fail(struct control_period *cp, struct gun *gun, enum rt_fault fault, int error)
{
        if (cp->fault == RT_FAULT_NONE) {
                cp->fault = fault;
                cp->fault_errno = -error;
        }
        cp->motor_on = false;
        (void)control_safe_state(gun);
        return error;
}

static double stroke_position(const struct stroke *stroke, double stroke_mm)
{
        double span_mm = stroke->max_mm - stroke->min_mm;

        if (span_mm <= 0.0)
                return 0.0;
        return fmin(1.0, fmax(0.0, (stroke_mm - stroke->min_mm) / span_mm));
}

static int follow_setpoint(struct control_period *cp, struct gun *gun, const struct setpoint *sp)
{
        double measured_ppm = speed_estimator_fast_ppm(&cp->speed_estimator);
        int r;

        if (sp->generation == cp->generation && sp->motor_on == cp->motor_on)
                return 0;

        cp->generation = sp->generation;
        cp->pattern_s = 0.0;
        if (!safety_setpoint_allowed(sp))
                return fail(cp, gun, RT_FAULT_LIMIT, 0);
        if (sp->motor_on && !cp->motor_on) {
                /* bumpless: ramp from the speed the crank actually has */
                speed_control_reset(&cp->speed_control, measured_ppm);
                r = gun->motor.ops->set_enable(&gun->motor, true);
                if (r < 0)
                        return fail(cp, gun, RT_FAULT_ACTUATOR, r);
        } else if (!sp->motor_on && cp->motor_on) {
                r = control_safe_state(gun);
                if (r < 0)
                        return fail(cp, gun, RT_FAULT_ACTUATOR, r);
        }
        cp->motor_on = sp->motor_on;

        if (sp->ramp_s > 0.0)
                cp->slew_ppm_per_s = fabs(sp->speed_ppm - cp->speed_control.setpoint_ppm) / sp->ramp_s;
        else
                cp->slew_ppm_per_s = 0.0; /* the controller's default rate */

        if (sp->motor_on) {
                r = gun->stroke.ops->set_position(&gun->stroke,
                                                  stroke_position(&gun->stroke, sp->stroke_mm));
                if (r < 0)
                        return fail(cp, gun, RT_FAULT_ACTUATOR, r);
        }
        return 0;
}

int control_period_run(struct control_period *cp, struct gun *gun, const struct setpoint *sp,
                       struct telemetry *tm)
{
        struct encoder_sample sample;
        struct imu_sample imu;
        double duty = 0.0;
        int r;

        if (sp->fault_clears != cp->fault_clears) {
                cp->fault_clears = sp->fault_clears;
                cp->fault = RT_FAULT_NONE;
                cp->fault_errno = 0;
        }

        r = gun->encoder.ops->read(&gun->encoder, &sample);
        if (r < 0)
                r = fail(cp, gun, RT_FAULT_SENSOR_LOST, r);
        if (r >= 0 && gun->imu.ops) {
                r = gun->imu.ops->read(&gun->imu, &imu);
                if (r < 0)
                        r = fail(cp, gun, RT_FAULT_SENSOR_LOST, r);
        }
        if (r >= 0) {
                enum rt_fault verdict;

                speed_estimator_update(&cp->speed_estimator, &sample);
                verdict = safety_check(&cp->safety, &cp->safety_params, &(struct safety_input){
                        .period_s = cp->period_s,
                        .motor_on = cp->motor_on,
                        .setpoint_ppm = cp->speed_control.setpoint_ppm,
                        .speed_ppm = speed_estimator_fast_ppm(&cp->speed_estimator),
                        .encoder_time_ns = sample.time_ns,
                        .accel_m_s2 = gun->imu.ops ? imu.accel_m_s2 : NULL,
                        .overran = tm->overruns > cp->overruns,
                });
                cp->overruns = tm->overruns;
                if (verdict != RT_FAULT_NONE)
                        (void)fail(cp, gun, verdict, 0);
                if (cp->fault == RT_FAULT_NONE)
                        r = follow_setpoint(cp, gun, sp);
        }

        if (r >= 0 && cp->motor_on && cp->fault == RT_FAULT_NONE) {
                double target_ppm = sp->speed_ppm * pattern_speed_factor(sp->pattern, cp->pattern_s);

                cp->pattern_s += cp->period_s;
                duty = speed_control_step(&cp->speed_control, target_ppm, cp->slew_ppm_per_s,
                                          speed_estimator_fast_ppm(&cp->speed_estimator),
                                          cp->period_s);
                r = gun->motor.ops->set_duty(&gun->motor, duty);
                if (r < 0) {
                        duty = 0.0;
                        r = fail(cp, gun, RT_FAULT_ACTUATOR, r);
                }
        }

        tm->setpoint_generation = cp->generation;
        tm->motor_on = cp->motor_on;
        tm->setpoint_speed_ppm = cp->motor_on ? cp->speed_control.setpoint_ppm : 0.0;
        tm->speed_ppm = speed_estimator_revolution_ppm(&cp->speed_estimator);
        tm->duty = duty;
        tm->stroke_mm = sp->stroke_mm;
        tm->fault = cp->fault;
        tm->fault_errno = cp->fault_errno;
        tm->fault_clears = cp->fault_clears;
        return r < 0 ? r : 0;
}
