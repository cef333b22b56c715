/* SPDX-License-Identifier: MIT */
#include "control-period.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "daemon/control/envelope.h"
#include "daemon/control/pattern.h"

/* The IMU's axis along the percussion (driver.h): the simulated gun's x,
 * the board's long side. */
#define PERCUSSION_AXIS 0
#define PPM_TO_RAD_S (2.0 * M_PI / 60.0)
/* Calibrate stops on a quadrature past this many ContactQuadrature. */
#define CALIBRATION_CONTACT_SHARE 2.0
/* … and past this share of the head's own harmonic: the scans of a
 * device sampling as fast as the loop runs, free of it, come unevenly to
 * the loop (one missed, two in a period), which leaves up to a few per
 * cent of the harmonic in quadrature in the air; a push on the tissue's
 * damping gives tens of per cent. */
#define CALIBRATION_CONTACT_HARMONIC_SHARE 0.1
/* … in this many revolutions in a row. */
#define CALIBRATION_CONTACT_REVOLUTIONS 2
/* A revolution whose samples are further apart than this share of it
 * somewhere tells Calibrate nothing. */
#define CALIBRATION_STEP_SHARE 0.15
/* A force past this share of ContactForce may be contact. */
#define CONTACT_MAYBE_SHARE 0.5
/* The ripple notch's step: a few revolutions to learn. */
#define RIPPLE_LEARNING_RATE 0.02
/* The speed limit leaves the loop this share of DutyMax to fight a
 * disturbance with. */
#define SPEED_LIMIT_DUTY_SHARE 0.95
/* Calibrate's duty fades to 0 over this share of its speed limit. */
#define SPEED_LIMIT_EASE 0.1

void control_params_default(struct control_params *p)
{
        *p = (struct control_params){
                .stroke_estimator = { .gain = 20.0, .contact_m_s2 = 0.4 },
                /* the simulated gun's sensor: 0.25 V + 0.15 V/mm */
                .stroke_sensor_map = { .count = 2, .volts = { 0.85, 2.65 }, .stroke_mm = { 4.0, 16.0 } },
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
        sensor_frame_identity(&p->frame);
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
        cp->frame = cp->settings_frame = params->frame;
        cp->nominal_bus_voltage_v = params->force.bus_voltage_v;
        cp->ff_duty_per_ppm = params->speed.ff_duty_per_ppm;
        cp->ff_duty_offset = params->speed.ff_duty_offset;
        cp->sensor_map = params->stroke_sensor_map;
}

/* The estimates start again with the motor: what the last run measured
 * is no longer true. */
static void restart_estimates(struct control_period *cp)
{
        stroke_estimator_reset(&cp->stroke_estimator);
        force_estimator_reset(&cp->force_estimator);
        stroke_control_restart(&cp->stroke_control);
        cp->ripple_cos_ppm = cp->ripple_sin_ppm = 0.0;
        cp->contact_revolutions = 0;
        cp->amplitude_mm = 0.0;
        cp->force_n = 0.0;
        cp->in_contact = false;
        cp->free_revolutions = 0;
        cp->sensor_known = false;
}

void control_period_reset(struct control_period *cp)
{
        speed_estimator_reset(&cp->speed_estimator);
        angle_history_reset(&cp->angle_history);
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

/* Calibrate's excitation stays inside what a routine may do: the duty
 * under DutyMax, the speed under the envelope's. */
static bool duty_setpoint_allowed(const struct control_period *cp, const struct setpoint *sp)
{
        return !sp->motor_on ||
               (sp->duty >= 0.0 && sp->duty <= cp->speed_control.p.duty_max &&
                sp->stroke_position >= 0.0 && sp->stroke_position <= 1.0 &&
                sp->speed_max_ppm > 0.0 && sp->speed_max_ppm <= ENVELOPE_SPEED_MAX_PPM);
}

static int follow_setpoint(struct control_period *cp, struct gun *gun, const struct setpoint *sp)
{
        double measured_ppm = speed_estimator_fast_ppm(&cp->speed_estimator);
        int r;

        if (sp->generation == cp->generation && sp->motor_on == cp->motor_on)
                return 0;

        cp->generation = sp->generation;
        cp->pattern_s = 0.0;
        cp->contact = false;
        if (sp->mode == SETPOINT_DUTY ?
                    !duty_setpoint_allowed(cp, sp) :
                    !safety_setpoint_allowed(sp->motor_on, sp->speed_ppm, sp->stroke_mm, sp->ramp_s))
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

/* In the air, once the IMU's average holds only free revolutions, its
 * stroke and the sensor's must agree: a sensor that slipped on its shaft
 * or a map from another gun would otherwise steer the stroke wrong with
 * nothing to tell. */
static void check_stroke_sensor(struct control_period *cp)
{
        const struct stroke_estimator *se = &cp->stroke_estimator;

        if (cp->free_revolutions <= STROKE_ESTIMATOR_REVOLUTIONS || cp->stroke_control.settling_s > 0.0 ||
            cp->sensor_errno != 0 || !cp->sensor_known)
                return;
        cp->sensor_imu_mm = se->stroke_mm;
        cp->sensor_disagrees = fabs(se->stroke_mm - cp->sensor_mm) > STROKE_SENSOR_CHECK_MM;
}

/* The stroke sensor, every period: a new reading into the filter, or why
 * there is none. Returns whether the sensor gave a new reading (in
 * sensor_volts), in its map's range or not. */
static bool read_stroke_sensor(struct control_period *cp, struct gun *gun, uint64_t now_ns)
{
        struct stroke_sensor_sample sample;
        double stroke_mm;
        int r = gun->stroke_sensor.ops->read(&gun->stroke_sensor, &sample);

        if (r >= 0 && cp->sensor_time_ns != 0 && sample.time_ns == cp->sensor_time_ns) {
                if (cp->sensor_errno == 0 &&
                    (double)(now_ns - cp->sensor_time_ns) * 1e-9 > STROKE_SENSOR_STALE_S)
                        cp->sensor_errno = ETIMEDOUT;
                return false;
        }
        if (r < 0) {
                cp->sensor_errno = -r;
                return false;
        }
        cp->sensor_time_ns = sample.time_ns;
        cp->sensor_volts = sample.volts;
        if (!stroke_sensor_map_stroke(&cp->sensor_map, sample.volts, &stroke_mm)) {
                cp->sensor_errno = ERANGE;
                return true;
        }
        if (!cp->sensor_known || cp->sensor_errno != 0)
                cp->sensor_mm = stroke_mm;
        else
                cp->sensor_mm += (stroke_mm - cp->sensor_mm) * fmin(1.0, cp->period_s / STROKE_SENSOR_FILTER_S);
        cp->sensor_known = true;
        cp->sensor_errno = 0;
        return true;
}

/* What Amplitude says this period, and where it comes from. */
static void publish_amplitude(struct control_period *cp, const struct gun *gun)
{
        if (!cp->motor_on) {
                cp->amplitude_source = AMPLITUDE_NONE;
                return;
        }
        if (!gun->stroke_sensor.ops) {
                cp->amplitude_source = cp->in_contact || cp->stroke_estimator.revolution_clipped ?
                                               AMPLITUDE_HELD : AMPLITUDE_IMU;
                return;
        }
        if (cp->sensor_errno == 0 && cp->sensor_known) {
                cp->amplitude_source = AMPLITUDE_SENSOR;
                cp->amplitude_mm = cp->sensor_mm;
                cp->amplitude_offset_mm = cp->sensor_mm - cp->stroke_control.target_mm;
        } else {
                cp->amplitude_source = AMPLITUDE_HELD;
                cp->amplitude_mm = cp->stroke_control.target_mm + cp->amplitude_offset_mm;
        }
}

/* The cosine and sine of the crank angle the IMU's sample is the motion
 * of: the angle at the IMU's sample time less its delay (with the
 * devices' own timestamps the two scans may be periods apart, the IMU's
 * coming in bursts, or slower; the IMU's filter lags a millisecond or
 * more), looked up in the encoder's last periods. False while they do
 * not reach back that far (the frame, and the history, just changed):
 * the sample then is compared with nothing. */
static bool imu_angle(const struct control_period *cp, const struct encoder_sample *sample,
                      const struct imu_sample *imu, double *imu_cos, double *imu_sin)
{
        uint64_t delay_ns = (uint64_t)(cp->frame.imu_delay_s * 1e9);
        uint64_t when_ns = imu->time_ns > delay_ns ? imu->time_ns - delay_ns : 0;
        double then_rad = angle_history_at(&cp->angle_history, when_ns,
                                           speed_estimator_fast_ppm(&cp->speed_estimator) * PPM_TO_RAD_S);
        double angle_rad = sample->value - (speed_estimator_angle_rad(&cp->speed_estimator) - then_rad);

        *imu_cos = cos(angle_rad);
        *imu_sin = sin(angle_rad);
        return isfinite(angle_rad);
}

/* Stroke and force, from this period's samples; once per revolution the
 * amplitude loop learns from them. The estimators want the crank's
 * absolute angle (the head is at the bottom at 0): an angle channel. */
static void estimate(struct control_period *cp, const struct setpoint *sp, bool sensor_fitted,
                     const struct encoder_sample *sample, const struct imu_sample *imu,
                     double imu_cos, double imu_sin)
{
        const struct stroke_estimator *se = &cp->stroke_estimator;
        double running_rad = speed_estimator_angle_rad(&cp->speed_estimator);
        double s = sin(sample->value);
        double accel_m_s2 = imu->accel_m_s2[PERCUSSION_AXIS];
        double lever_mm;

        force_estimator_update(&cp->force_estimator, sample->time_ns, running_rad, s, imu_cos,
                               imu_sin, accel_m_s2, cp->duty);
        if (!stroke_estimator_update(&cp->stroke_estimator, running_rad, sample->time_ns, imu_cos,
                                     imu_sin, accel_m_s2, imu->accel_clipped))
                return;
        if (sp->mode == SETPOINT_DUTY) {
                /* Calibrate: the stroke's figures, not the loops'; the
                 * head's quadrature says it touches something. A
                 * revolution with a hole in its samples (a device or a
                 * loop held up) or a clipped one tells neither: its
                 * harmonic is a guess */
                if (se->revolution_longest_step_s > CALIBRATION_STEP_SHARE * se->revolution_s ||
                    se->revolution_clipped)
                        return;
                if (sp->identify == IDENTIFY_STROKE_MIN || sp->identify == IDENTIFY_STROKE_MAX ||
                    sp->identify == IDENTIFY_STROKE_MIN_FAST)
                        identify_end_revolution(&cp->identify,
                                                sp->identify == IDENTIFY_STROKE_MIN_FAST ? 2 :
                                                sp->identify == IDENTIFY_STROKE_MAX,
                                                se->in_phase_m_s2, se->head_in_phase_s2,
                                                se->residual_m_s2, 2.0 * M_PI / se->revolution_s);
                /* a loaded board's jittery periods add a few tenths of
                 * m/s² in the air, and now and then one revolution of
                 * more; a push gives several, revolution after revolution */
                if (fabs(se->residual_m_s2) > fmax(CALIBRATION_CONTACT_SHARE * se->p.contact_m_s2,
                                                   CALIBRATION_CONTACT_HARMONIC_SHARE *
                                                           fabs(se->in_phase_m_s2))) {
                        /* the tissue's damping always opposes the head: one
                         * sign, revolution after revolution. A hole at a
                         * revolution's end moves a piece of one into the
                         * next, and shows in both, with opposite signs */
                        bool positive = se->residual_m_s2 > 0.0;

                        if (cp->contact_revolutions && positive != cp->contact_positive)
                                cp->contact_revolutions = 0;
                        cp->contact_positive = positive;
                        cp->contact_revolutions++;
                } else
                        cp->contact_revolutions = 0;
                cp->in_contact = cp->contact_revolutions >= CALIBRATION_CONTACT_REVOLUTIONS;
                return;
        }

        /* the force needs the stroke as its lever: the one published,
         * or until there is one, the one asked for */
        lever_mm = cp->amplitude_mm > 0.0 ? cp->amplitude_mm : cp->stroke_control.target_mm;
        cp->force_n = force_estimator_end_revolution(&cp->force_estimator, se->revolution_s, lever_mm);
        cp->in_contact = se->contact || !(cp->force_n < cp->stroke_control.p.contact_force_n);
        /* the force meter is smoothed over half a second: the revolution's
         * own force tells a light press at once, before the IMU's average
         * of pressed revolutions could be taken for the stroke */
        if (cp->in_contact || !(cp->force_n < CONTACT_MAYBE_SHARE * cp->stroke_control.p.contact_force_n) ||
            !(cp->force_estimator.revolution_force_n < CONTACT_MAYBE_SHARE * cp->stroke_control.p.contact_force_n)) {
                if (cp->free_revolutions > 0 && !sensor_fitted) {
                        unsigned back = cp->free_revolutions < STROKE_UNLEARN_REVOLUTIONS ?
                                                cp->free_revolutions : STROKE_UNLEARN_REVOLUTIONS;

                        cp->stroke_control.trim_mm = cp->before_trim_mm[back - 1];
                        cp->amplitude_offset_mm = cp->before_offset_mm[back - 1];
                }
                cp->free_revolutions = 0;
        } else if (!se->revolution_clipped)
                cp->free_revolutions++;
        /* the IMU saturated: the stroke is not measured, and nothing is
         * learnt; Amplitude holds and says so. The force's share of the
         * IMU, its second harmonic, stays near enough (a wave cut alike at
         * both ends gains odd harmonics only): held, it would freeze the
         * meter under a push at the top speed */
        if (se->revolution_clipped) {
                if (!sensor_fitted && cp->amplitude_mm > 0.0)
                        cp->amplitude_mm = cp->stroke_control.target_mm + cp->amplitude_offset_mm;
                return;
        }
        if (sensor_fitted) {
                check_stroke_sensor(cp);
                return;
        }
        memmove(&cp->before_trim_mm[1], &cp->before_trim_mm[0],
                (STROKE_UNLEARN_REVOLUTIONS - 1) * sizeof(double));
        memmove(&cp->before_offset_mm[1], &cp->before_offset_mm[0],
                (STROKE_UNLEARN_REVOLUTIONS - 1) * sizeof(double));
        cp->before_trim_mm[0] = cp->stroke_control.trim_mm;
        cp->before_offset_mm[0] = cp->amplitude_offset_mm;
        /* half way to ContactForce the head may be meeting the skin (the
         * revolution the hand presses in): nothing is learnt from it, and
         * the figure published holds */
        if (stroke_control_correct(&cp->stroke_control, se->stroke_mm,
                                   cp->in_contact || !(cp->force_n < CONTACT_MAYBE_SHARE *
                                                                       cp->stroke_control.p.contact_force_n))) {
                cp->amplitude_mm = se->stroke_mm;
                cp->amplitude_offset_mm = se->stroke_mm - cp->stroke_control.target_mm;
        } else if (cp->in_contact && cp->amplitude_mm > 0.0) {
                /* pressed, the IMU cannot tell the stroke (stroke-estimator.h):
                 * the target with the error last measured free */
                cp->amplitude_mm = cp->stroke_control.target_mm + cp->amplitude_offset_mm;
        } else if (!cp->in_contact && (cp->amplitude_mm <= 0.0 ||
                                      cp->force_n < CONTACT_MAYBE_SHARE * cp->stroke_control.p.contact_force_n))
                cp->amplitude_mm = se->stroke_mm;
}

static int drive_stroke(struct control_period *cp, struct gun *gun, double target_mm)
{
        double position = stroke_position(&gun->stroke,
                                          stroke_control_step(&cp->stroke_control, target_mm,
                                                              cp->period_s));
        int r;

        /* a failed sensor freezes the trim: the actuator keeps its position */
        if (gun->stroke_sensor.ops && cp->sensor_errno == 0 && cp->sensor_known)
                stroke_control_close(&cp->stroke_control, cp->sensor_mm, cp->period_s);

        if (position == cp->stroke_position)
                return 0;
        r = gun->stroke.ops->set_position(&gun->stroke, position);
        if (r < 0)
                return r;
        cp->stroke_position = position;
        return 0;
}

/* Calibrate's excitation: the duty as given, fading to 0 as the crank
 * nears its speed limit; the stroke actuator where it is told. On contact
 * the motor goes off until the next set-point. */
static int play_duty(struct control_period *cp, struct gun *gun, const struct setpoint *sp,
                     double *duty)
{
        int r;

        *duty = 0.0;
        if (sp->stop_on_contact && cp->in_contact && !cp->contact) {
                cp->contact = true;
                cp->contact_quadrature_m_s2 = cp->stroke_estimator.residual_m_s2;
                cp->duty = 0.0;
                r = control_safe_state(gun);
                if (r < 0)
                        return fail(cp, gun, FAULT_ACTUATOR, r);
        }
        if (cp->contact)
                return 0;
        /* eased off over the top 10 % below the limit, not switched: a
         * duty that jumps every period would shake the head's harmonic */
        *duty = sp->duty * fmin(1.0, fmax(0.0, (sp->speed_max_ppm -
                                                 speed_estimator_fast_ppm(&cp->speed_estimator)) /
                                                        (SPEED_LIMIT_EASE * sp->speed_max_ppm)));
        r = gun->motor.ops->set_duty(&gun->motor, *duty);
        if (r < 0) {
                *duty = 0.0;
                return fail(cp, gun, FAULT_ACTUATOR, r);
        }
        cp->duty = *duty;
        return 0;
}

/* What Calibrate's duty would turn the crank at, by the feed-forward:
 * the safety supervisor's stall check holds the crank to a quarter of it. */
static double duty_speed_ppm(const struct control_period *cp)
{
        const struct speed_control_params *p = &cp->speed_control.p;

        if (!cp->motor_on || cp->contact || !(p->ff_duty_per_ppm > 0.0))
                return 0.0;
        return fmax(0.0, (cp->duty - p->ff_duty_offset) / p->ff_duty_per_ppm);
}

/* Calibrate's stroke actuator goes where it is told, the motor on or off. */
static int place_stroke(struct control_period *cp, struct gun *gun, const struct setpoint *sp)
{
        int r;

        if (sp->stroke_position == cp->stroke_position)
                return 0;
        r = gun->stroke.ops->set_position(&gun->stroke, sp->stroke_position);
        if (r < 0)
                return fail(cp, gun, FAULT_ACTUATOR, r);
        cp->stroke_position = sp->stroke_position;
        return 0;
}

/* The highest speed the motor holds at this period's pack voltage: the
 * feed-forward's duty for it reaches DutyMax, less a margin. */
static double speed_limit_ppm(const struct control_period *cp)
{
        const struct speed_control_params *p = &cp->speed_control.p;

        if (!(p->ff_duty_per_ppm > 0.0))
                return ENVELOPE_SPEED_MAX_PPM;
        return fmax(0.0, (SPEED_LIMIT_DUTY_SHARE * p->duty_max - p->ff_duty_offset) / p->ff_duty_per_ppm);
}

/* The crank's speed without the head's ripple. The head's inertia,
 * m r² sin²θ on top of the rotor's, trades kinetic energy with the rotor
 * twice a turn: on a heavy head at 16 mm the crank speeds up and slows
 * down by ±10 % each half turn, in a phase the motor's damping and the
 * loop itself shift. A loop that chased that ripple would saturate on its
 * crests and, not integrating there, settle below its set-point. So the
 * second harmonic of the crank angle is learnt from the fast speed (an
 * angle-synchronous LMS notch against the revolution's mean, which holds
 * no ripple) and taken out of what the loop sees. */
static double smooth_ppm(struct control_period *cp, double angle_rad)
{
        double fast_ppm = speed_estimator_fast_ppm(&cp->speed_estimator);
        double window_rad = SPEED_ESTIMATOR_FAST_WINDOW_S * fast_ppm * PPM_TO_RAD_S;
        double middle_rad = 2.0 * angle_rad - window_rad;
        double c2 = cos(middle_rad), s2 = sin(middle_rad);
        double ripple_ppm = cp->ripple_cos_ppm * c2 + cp->ripple_sin_ppm * s2;
        double error_ppm = fast_ppm - speed_estimator_revolution_ppm(&cp->speed_estimator) - ripple_ppm;

        /* pressed, the impacts shake the crank at every harmonic: what
         * was learnt in the air stays */
        if (!cp->in_contact) {
                cp->ripple_cos_ppm += RIPPLE_LEARNING_RATE * error_ppm * c2;
                cp->ripple_sin_ppm += RIPPLE_LEARNING_RATE * error_ppm * s2;
        }
        return fast_ppm - ripple_ppm;
}

static double stroke_radius_m(const struct control_period *cp, const struct stroke *stroke)
{
        double position = cp->stroke_position < 0.0 ? 0.0 : cp->stroke_position;

        return 0.5e-3 * (stroke->min_mm + position * (stroke->max_mm - stroke->min_mm));
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
        bool sensor_read = false;
        double duty = 0.0, imu_cos = 0.0, imu_sin = 0.0;
        bool imu_known = false;
        double bus_voltage_v = sp->bus_voltage_v > 0.0 ? sp->bus_voltage_v : cp->nominal_bus_voltage_v;
        const struct sensor_frame *frame;
        int r;

        frame = sp->frame_set ? &sp->frame : &cp->settings_frame;
        if (memcmp(frame, &cp->frame, sizeof(*frame)) != 0) {
                /* the angle and the axes jump: what was measured in the
                 * old frame means nothing in the new one */
                cp->frame = *frame;
                speed_estimator_reset(&cp->speed_estimator);
                angle_history_reset(&cp->angle_history);
                restart_estimates(cp);
                identify_history_reset(&cp->identify_history);
        }
        if (sp->identify_epoch != cp->identify_epoch) {
                cp->identify_epoch = sp->identify_epoch;
                identify_reset(&cp->identify, &cp->identify_history);
        }
        /* the duty that holds a speed, and the current a duty drives, go
         * with the pack's voltage */
        cp->speed_control.p.ff_duty_per_ppm = cp->ff_duty_per_ppm * cp->nominal_bus_voltage_v / bus_voltage_v;
        cp->speed_control.p.ff_duty_offset = cp->ff_duty_offset * cp->nominal_bus_voltage_v / bus_voltage_v;
        cp->force_estimator.p.bus_voltage_v = bus_voltage_v;

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
        else
                sample.value = gun->encoder.quantity == ENCODER_ANGLE ?
                                       sensor_frame_angle(&cp->frame, sample.value) :
                                       sensor_frame_velocity(&cp->frame, sample.value);
        if (r >= 0 && gun->imu.ops) {
                r = gun->imu.ops->read(&gun->imu, &imu);
                if (r >= 0 && !imu_sample_valid(&imu))
                        r = -EBADMSG;
                if (r < 0)
                        r = lose_sensor(cp, gun, RT_SENSOR_IMU, r);
                else {
                        struct imu_sample driver = imu;

                        sensor_frame_imu(&cp->frame, driver.accel_m_s2, imu.accel_m_s2);
                        sensor_frame_imu(&cp->frame, driver.gyro_rad_s, imu.gyro_rad_s);
                }
        }
        /* not a motor fault: a sensor that fails leaves the amplitude held */
        if (r >= 0 && gun->stroke_sensor.ops)
                sensor_read = read_stroke_sensor(cp, gun, sample.time_ns);
        if (r >= 0) {
                enum fault verdict;

                speed_estimator_update(&cp->speed_estimator, &sample);
                if (gun->encoder.quantity == ENCODER_ANGLE)
                        angle_history_push(&cp->angle_history, sample.time_ns,
                                           speed_estimator_angle_rad(&cp->speed_estimator));
                /* the estimators and Calibrate's sums compare the IMU's
                 * sample with the same angle: looked up once */
                if (gun->imu.ops && gun->encoder.quantity == ENCODER_ANGLE)
                        imu_known = imu_angle(cp, &sample, &imu, &imu_cos, &imu_sin);
                verdict = safety_check(&cp->safety, &cp->safety_params, &(struct safety_input){
                        .period_s = cp->period_s,
                        .motor_on = cp->motor_on,
                        .setpoint_ppm = sp->mode == SETPOINT_DUTY ? duty_speed_ppm(cp) :
                                                                    cp->speed_control.setpoint_ppm,
                        .speed_ppm = speed_estimator_fast_ppm(&cp->speed_estimator),
                        .revolution_ppm = speed_estimator_revolution_ppm(&cp->speed_estimator),
                        .runaway_ppm = sp->mode == SETPOINT_DUTY ? sp->speed_max_ppm : 0.0,
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
                        if (imu_known)
                                estimate(cp, sp, gun->stroke_sensor.ops != NULL, &sample, &imu,
                                         imu_cos, imu_sin);
                }
        }

        if (r >= 0 && cp->fault == FAULT_NONE && sp->mode == SETPOINT_DUTY)
                r = place_stroke(cp, gun, sp);
        if (r >= 0 && cp->motor_on && cp->fault == FAULT_NONE && sp->mode == SETPOINT_DUTY)
                r = play_duty(cp, gun, sp, &duty);
        else if (r >= 0 && cp->motor_on && cp->fault == FAULT_NONE) {
                /* a set-point the pack cannot reach is capped, not chased:
                 * the integrator does not wind up against DutyMax */
                double target_ppm = fmin(sp->speed_ppm * pattern_speed_factor(sp->pattern, cp->pattern_s),
                                         speed_limit_ppm(cp));

                cp->pattern_s += cp->period_s;
                duty = speed_control_step(&cp->speed_control, target_ppm, cp->slew_ppm_per_s,
                                          gun->encoder.quantity == ENCODER_ANGLE ?
                                                  smooth_ppm(cp, sample.value) :
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

        if (sensor_read && cp->fault == FAULT_NONE &&
            (sp->identify == IDENTIFY_STROKE_MIN || sp->identify == IDENTIFY_STROKE_MAX))
                identify_end_sensor(&cp->identify, sp->identify == IDENTIFY_STROKE_MAX, cp->sensor_volts);
        if (r >= 0 && cp->fault == FAULT_NONE && gun->imu.ops &&
            gun->encoder.quantity == ENCODER_ANGLE && sp->identify != IDENTIFY_NOTHING)
                identify_update(&cp->identify, &cp->identify_history, sp->identify,
                                &(struct identify_sample){
                                        .time_ns = sample.time_ns,
                                        .running_angle_rad = speed_estimator_angle_rad(&cp->speed_estimator),
                                        .cos_angle = cos(sample.value),
                                        .sin_angle = sin(sample.value),
                                        .imu_known = imu_known,
                                        .imu_cos_angle = imu_cos,
                                        .imu_sin_angle = imu_sin,
                                        .speed_rad_s = speed_estimator_fast_ppm(&cp->speed_estimator) *
                                                       PPM_TO_RAD_S,
                                        .accel_m_s2 = { imu.accel_m_s2[0], imu.accel_m_s2[1],
                                                        imu.accel_m_s2[2] },
                                        .duty = duty,
                                        .driven = cp->motor_on && !cp->contact,
                                        .bus_voltage_v = bus_voltage_v,
                                        .radius_m = stroke_radius_m(cp, &gun->stroke),
                                });
        else
                identify_history_reset(&cp->identify_history);

        publish_amplitude(cp, gun);
        tm->setpoint_generation = cp->generation;
        tm->motor_on = cp->motor_on;
        tm->setpoint_speed_ppm = cp->motor_on ? cp->speed_control.setpoint_ppm : 0.0;
        /* a crank turned backwards turns as fast: Speed is a rate, not a direction */
        tm->speed_ppm = fabs(speed_estimator_revolution_ppm(&cp->speed_estimator));
        tm->crank_speed_ppm = speed_estimator_revolution_ppm(&cp->speed_estimator);
        tm->duty = duty;
        tm->stroke_mm = sp->stroke_mm;
        tm->amplitude_mm = cp->motor_on ? cp->amplitude_mm : 0.0;
        tm->force_n = cp->motor_on ? fmax(0.0, cp->force_estimator.meter_n) : 0.0;
        tm->amplitude_source = cp->amplitude_source;
        tm->stroke_sensor_errno = gun->stroke_sensor.ops ? cp->sensor_errno : 0;
        tm->stroke_sensor_volts = cp->sensor_volts;
        tm->stroke_sensor_imu_mm = cp->sensor_imu_mm;
        tm->stroke_sensor_disagrees = cp->sensor_disagrees;
        tm->fault = cp->fault;
        tm->fault_errno = cp->fault_errno;
        tm->fault_sensor = cp->fault_sensor;
        tm->fault_clears = cp->fault_clears;
        tm->contact = cp->contact;
        tm->contact_quadrature_m_s2 = cp->contact_quadrature_m_s2;
        tm->speed_limit_ppm = speed_limit_ppm(cp);
        tm->bus_voltage_v = bus_voltage_v;
        tm->identify = cp->identify;
        return r < 0 ? r : 0;
}
