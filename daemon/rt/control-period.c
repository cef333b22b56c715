/* SPDX-License-Identifier: MIT */
#include "control-period.h"

#include <errno.h>
#include <math.h>

#include "daemon/control/pattern.h"

/* The IMU's axis along the percussion (driver.h): the simulated gun's x,
 * the board's long side. */
#define PERCUSSION_AXIS 0
#define PPM_TO_RAD_S (2.0 * M_PI / 60.0)

void control_params_default(struct control_params *p)
{
        *p = (struct control_params){
                .stroke_estimator = { .gain = 20.0, .contact_m_s2 = 0.4 },
                .force = {
                        .bus_voltage_v = 24.0,
                        .resistance_ohm = 0.4,
                        .inductance_h = 0.15e-3,
                        .torque_constant_nm_per_a = 60.0 / (2.0 * M_PI * 170.0),
                        .inertia_kg_m2 = 3e-5,
                        .viscous_nm_s_per_rad = 2e-5,
                        .coulomb_nm = 0.01,
                        .body_mass_kg = 1.0,
                },
        };
        speed_control_params_default(&p->speed);
        stroke_control_params_default(&p->stroke);
}

void control_period_init(struct control_period *cp, const struct control_params *params,
                         const struct safety_params *safety, enum encoder_quantity quantity,
                         unsigned control_hz)
{
        *cp = (struct control_period){ .period_s = 1.0 / control_hz, .safety_params = *safety };
        speed_estimator_init(&cp->speed_estimator, quantity, control_hz);
        {
                /* The gains are the 1 kHz loop's. One period of a slower loop
                 * lets the crank move further on one correction: at 250 Hz the
                 * proportional term alone took back twice the error each period
                 * and the speed swung ±10 %. The correction per period stays
                 * that of 1 kHz. */
                struct speed_control_params speed = params->speed;

                if (control_hz < SPEED_CONTROL_TUNED_HZ)
                        speed.kp_duty_per_ppm *= (double)control_hz / SPEED_CONTROL_TUNED_HZ;
                speed_control_init(&cp->speed_control, &speed);
        }
        stroke_estimator_init(&cp->stroke_estimator, &params->stroke_estimator);
        force_estimator_init(&cp->force_estimator, &params->force, cp->period_s);
        stroke_control_init(&cp->stroke_control, &params->stroke);
        cp->stroke_position = -1.0;
}

/* The estimates start again with the motor: what the last run measured
 * is no longer true. */
static void restart_estimates(struct control_period *cp)
{
        stroke_estimator_reset(&cp->stroke_estimator);
        force_estimator_reset(&cp->force_estimator);
        stroke_control_restart(&cp->stroke_control);
        cp->amplitude_mm = 0.0;
        cp->force_n = 0.0;
        cp->in_contact = false;
}

void control_period_reset(struct control_period *cp)
{
        speed_estimator_reset(&cp->speed_estimator);
        safety_reset(&cp->safety);
        restart_estimates(cp);
        cp->motor_on = false;
        cp->duty = 0.0;
        cp->stroke_position = -1.0;
}

int control_safe_state(struct gun *gun)
{
        int r = gun->motor.ops->set_duty(&gun->motor, 0.0);
        int r2 = gun->motor.ops->set_enable(&gun->motor, false);

        return r < 0 ? r : r2;
}

static int fail(struct control_period *cp, struct gun *gun, enum fault fault, int error)
{
        if (cp->fault == FAULT_NONE) {
                cp->fault = fault;
                cp->fault_errno = -error;
        }
        cp->motor_on = false;
        cp->duty = 0.0;
        (void)control_safe_state(gun);
        return error;
}

static int lose_sensor(struct control_period *cp, struct gun *gun, enum rt_sensor sensor,
                       int error)
{
        if (cp->fault == FAULT_NONE)
                cp->fault_sensor = sensor;
        return fail(cp, gun, FAULT_SENSOR_LOST, error);
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
        if (!safety_setpoint_allowed(sp->motor_on, sp->speed_ppm, sp->stroke_mm, sp->ramp_s))
                return fail(cp, gun, FAULT_LIMIT, 0);
        if (sp->motor_on && !cp->motor_on) {
                /* bumpless: ramp from the speed the crank actually has */
                speed_control_reset(&cp->speed_control, measured_ppm);
                restart_estimates(cp);
                r = gun->motor.ops->set_enable(&gun->motor, true);
                if (r < 0)
                        return fail(cp, gun, FAULT_ACTUATOR, r);
        } else if (!sp->motor_on && cp->motor_on) {
                r = control_safe_state(gun);
                cp->duty = 0.0;
                if (r < 0)
                        return fail(cp, gun, FAULT_ACTUATOR, r);
        }
        cp->motor_on = sp->motor_on;

        if (sp->ramp_s > 0.0)
                cp->slew_ppm_per_s = fabs(sp->speed_ppm - cp->speed_control.setpoint_ppm) / sp->ramp_s;
        else
                cp->slew_ppm_per_s = 0.0; /* the controller's default rate */
        return 0;
}

/* Stroke and force, from this period's samples; once per revolution the
 * amplitude loop learns from them. The estimators want the crank's
 * absolute angle (the head is at the bottom at 0): an angle channel. */
static void estimate(struct control_period *cp, const struct encoder_sample *sample,
                     const struct imu_sample *imu)
{
        const struct stroke_estimator *se = &cp->stroke_estimator;
        double running_rad = speed_estimator_angle_rad(&cp->speed_estimator);
        double c = cos(sample->value), s = sin(sample->value);
        /* the crank turned on between the encoder's and the IMU's samples:
         * the angle is carried along by a rotation. With the devices' own
         * timestamps the two scans may be periods apart (the IMU's comes
         * in bursts, or slower), too far for a short series */
        double shift_rad = speed_estimator_fast_ppm(&cp->speed_estimator) * PPM_TO_RAD_S *
                           ((double)(int64_t)(imu->time_ns - sample->time_ns) * 1e-9);
        double shift_cos = cos(shift_rad);
        double shift_sin = sin(shift_rad);
        double accel_m_s2 = imu->accel_m_s2[PERCUSSION_AXIS];
        double lever_mm;

        force_estimator_update(&cp->force_estimator, sample->time_ns, running_rad, c, s, accel_m_s2,
                               cp->duty);
        if (!stroke_estimator_update(&cp->stroke_estimator, running_rad, sample->time_ns,
                                     c * shift_cos - s * shift_sin, s * shift_cos + c * shift_sin,
                                     accel_m_s2))
                return;

        /* the force needs the stroke as its lever: the one published,
         * or until there is one, the one asked for */
        lever_mm = cp->amplitude_mm > 0.0 ? cp->amplitude_mm : cp->stroke_control.target_mm;
        cp->force_n = force_estimator_end_revolution(&cp->force_estimator, se->revolution_s, lever_mm);
        cp->in_contact = se->contact || !(cp->force_n < cp->stroke_control.p.contact_force_n);
        if (stroke_control_correct(&cp->stroke_control, se->stroke_mm, cp->in_contact)) {
                cp->amplitude_mm = se->stroke_mm;
                cp->amplitude_offset_mm = se->stroke_mm - cp->stroke_control.target_mm;
        } else if (cp->in_contact && cp->amplitude_mm > 0.0) {
                /* pressed, the IMU cannot tell the stroke (stroke-estimator.h):
                 * the target with the error last measured free */
                cp->amplitude_mm = cp->stroke_control.target_mm + cp->amplitude_offset_mm;
        } else if (!cp->in_contact)
                cp->amplitude_mm = se->stroke_mm;
}

static int drive_stroke(struct control_period *cp, struct gun *gun, double target_mm)
{
        double position = stroke_position(&gun->stroke,
                                          stroke_control_step(&cp->stroke_control, target_mm,
                                                              cp->period_s));
        int r;

        if (position == cp->stroke_position)
                return 0;
        r = gun->stroke.ops->set_position(&gun->stroke, position);
        if (r < 0)
                return r;
        cp->stroke_position = position;
        return 0;
}

/* A sensor that answers with what no sensor can measure (NaN, an angle
 * outside a turn) is as lost as one that does not answer: nothing it says
 * may reach the loops. */
static bool encoder_sample_valid(const struct encoder *enc, const struct encoder_sample *s)
{
        if (enc->quantity == ENCODER_ANGLE)
                return s->value >= 0.0 && s->value <= 2.0 * M_PI;
        return isfinite(s->value);
}

static bool imu_sample_valid(const struct imu_sample *s)
{
        for (int i = 0; i < 3; i++)
                if (!isfinite(s->accel_m_s2[i]) || !isfinite(s->gyro_rad_s[i]))
                        return false;
        return true;
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
                cp->fault = FAULT_NONE;
                cp->fault_errno = 0;
        }

        r = gun->encoder.ops->read(&gun->encoder, &sample);
        if (r >= 0 && !encoder_sample_valid(&gun->encoder, &sample))
                r = -EBADMSG;
        if (r < 0)
                r = lose_sensor(cp, gun, RT_SENSOR_ENCODER, r);
        if (r >= 0 && gun->imu.ops) {
                r = gun->imu.ops->read(&gun->imu, &imu);
                if (r >= 0 && !imu_sample_valid(&imu))
                        r = -EBADMSG;
                if (r < 0)
                        r = lose_sensor(cp, gun, RT_SENSOR_IMU, r);
        }
        if (r >= 0) {
                enum fault verdict;

                speed_estimator_update(&cp->speed_estimator, &sample);
                verdict = safety_check(&cp->safety, &cp->safety_params, &(struct safety_input){
                        .period_s = cp->period_s,
                        .motor_on = cp->motor_on,
                        .setpoint_ppm = cp->speed_control.setpoint_ppm,
                        .speed_ppm = speed_estimator_fast_ppm(&cp->speed_estimator),
                        .revolution_ppm = speed_estimator_revolution_ppm(&cp->speed_estimator),
                        .encoder_time_ns = sample.time_ns,
                        .imu_time_ns = gun->imu.ops ? imu.time_ns : 0,
                        .accel_m_s2 = gun->imu.ops ? imu.accel_m_s2 : NULL,
                        .overran = tm->overruns > cp->overruns,
                });
                cp->overruns = tm->overruns;
                if (verdict == FAULT_SENSOR_LOST)
                        (void)lose_sensor(cp, gun, cp->safety.lost_sensor, 0);
                else if (verdict != FAULT_NONE)
                        (void)fail(cp, gun, verdict, 0);
                if (cp->fault == FAULT_NONE)
                        r = follow_setpoint(cp, gun, sp);
                /* an IMU sample handed over again (no new scan yet) is no new
                 * observation: paired with a newer angle it would be a wrong one */
                if (r >= 0 && cp->motor_on && cp->fault == FAULT_NONE && gun->imu.ops &&
                    gun->encoder.quantity == ENCODER_ANGLE && imu.time_ns != cp->imu_time_ns) {
                        cp->imu_time_ns = imu.time_ns;
                        estimate(cp, &sample, &imu);
                }
        }

        if (r >= 0 && cp->motor_on && cp->fault == FAULT_NONE) {
                double target_ppm = sp->speed_ppm * pattern_speed_factor(sp->pattern, cp->pattern_s);

                cp->pattern_s += cp->period_s;
                duty = speed_control_step(&cp->speed_control, target_ppm, cp->slew_ppm_per_s,
                                          speed_estimator_fast_ppm(&cp->speed_estimator),
                                          cp->period_s);
                r = gun->motor.ops->set_duty(&gun->motor, duty);
                if (r < 0) {
                        duty = 0.0;
                        r = fail(cp, gun, FAULT_ACTUATOR, r);
                } else
                        cp->duty = duty;
                if (r >= 0) {
                        r = drive_stroke(cp, gun, sp->stroke_mm);
                        if (r < 0)
                                r = fail(cp, gun, FAULT_ACTUATOR, r);
                }
        }

        tm->setpoint_generation = cp->generation;
        tm->motor_on = cp->motor_on;
        tm->setpoint_speed_ppm = cp->motor_on ? cp->speed_control.setpoint_ppm : 0.0;
        /* a crank turned backwards turns as fast: Speed is a rate, not a direction */
        tm->speed_ppm = fabs(speed_estimator_revolution_ppm(&cp->speed_estimator));
        tm->duty = duty;
        tm->stroke_mm = sp->stroke_mm;
        tm->amplitude_mm = cp->motor_on ? cp->amplitude_mm : 0.0;
        tm->force_n = cp->motor_on ? fmax(0.0, cp->force_estimator.meter_n) : 0.0;
        tm->fault = cp->fault;
        tm->fault_errno = cp->fault_errno;
        tm->fault_sensor = cp->fault_sensor;
        tm->fault_clears = cp->fault_clears;
        return r < 0 ? r : 0;
}
