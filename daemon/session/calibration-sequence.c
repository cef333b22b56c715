/* SPDX-License-Identifier: MIT */
#include "calibration-sequence.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "daemon/control/envelope.h"
#include "daemon/control/fault.h"
#include "daemon/control/identify-frame.h"
#include "daemon/control/identify-stroke.h"

#define NS_PER_S 1000000000ull
#define PPM_TO_RAD_S (2.0 * M_PI / 60.0)
/* a delay this far from [IMU] Delay is worth a word: 6° of crank at 3200 ppm */
#define DELAY_DIFFERS_S 0.3e-3
#define REST_S 1.0
#define HEAD_DOWN_WINDOW_S 0.5
#define DIRECTION_S 0.6
#define DIRECTION_DUTY 0.15
/* a crank slower than this under the direction's duty does not turn */
#define DIRECTION_MIN_PPM 60.0
/* "a low speed": the bottom of the routines' range */
#define PHASE_SPEED_MAX_PPM ENVELOPE_SPEED_MIN_PPM
/* the phase's speeds must lie this far apart to tell the IMU's delay */
#define PHASE_SPEEDS_APART_PPM 300.0

/* The head's harmonic at two speeds: a faster one first (its harmonic
 * stronger, the sooner told; under a duty no speed limit eases, whose
 * easing would ripple the torque with the angle), then the low one, from
 * which the motor's moves start as they always did. Each settles, then is
 * summed. The duty is a share of DutyMax, the speed its limit. */
static const struct phase_speed {
        double duty_share, speed_max_ppm, settle_s, seconds;
} phase_speeds[CALIBRATION_PHASE_SPEEDS] = {
        { 0.45, ENVELOPE_SPEED_MAX_PPM, 0.6, 1.0 },
        { 0.3, PHASE_SPEED_MAX_PPM, 1.0, 2.0 },
};

/* The motor step's moves: duty steps and spin-downs at the short stroke
 * (the head's inertia hardly changes with the angle there), then at the
 * long one (where it does: the inertia's scale), the stroke gain at both
 * ends. The duty is a share of DutyMax. */
struct move {
        bool motor_on;
        double duty_share;
        double position;
        enum identify_what identify;
        double seconds;
};

static const struct move moves[] = {
        { true, 0.2, 0, IDENTIFY_MOTOR, 0.6 },
        { true, 0.45, 0, IDENTIFY_MOTOR, 0.6 },
        { true, 0.3, 0, IDENTIFY_MOTOR, 0.6 },
        { true, 0.5, 0, IDENTIFY_MOTOR, 0.6 },
        /* spin-downs from the top: friction over the whole speed range */
        { false, 0, 0, IDENTIFY_MOTOR, 1.5 },
        { true, 0.35, 0, IDENTIFY_MOTOR, 0.6 },
        { true, 0.7, 0, IDENTIFY_MOTOR, 0.6 },
        { false, 0, 0, IDENTIFY_MOTOR, 1.5 },
        /* the short stroke's revolutions at the top duty: against the
         * stroke ends' at the slower duty below, the head's phase tells
         * what the phase step left of the IMU's delay */
        { true, 0.7, 0, IDENTIFY_STROKE_MIN_FAST, 0.6 },
        { false, 0, 0, IDENTIFY_MOTOR, 1.5 },
        /* the actuator moves while the crank stands: the head's motion
         * then is no stroke, and the motor is off anyway */
        { false, 0, 1, IDENTIFY_NOTHING, 0.3 },
        { true, 0.3, 1, IDENTIFY_STROKE_MAX, 1.5 },
        { true, 0.35, 1, IDENTIFY_MOTOR, 0.6 },
        { false, 0, 1, IDENTIFY_MOTOR, 1.5 },
        { false, 0, 0, IDENTIFY_NOTHING, 0.3 },
        { true, 0.3, 0, IDENTIFY_STROKE_MIN, 1.5 },
};
#define MOVES (sizeof(moves) / sizeof(moves[0]))

static const char *const state_names[] = {
        [CALIBRATION_REST_LEVEL] = "rest-level",
        [CALIBRATION_HEAD_DOWN] = "head-down",
        [CALIBRATION_DIRECTION] = "direction",
        [CALIBRATION_PHASE] = "phase",
        [CALIBRATION_MOTOR] = "motor",
        [CALIBRATION_DONE] = "done",
        [CALIBRATION_FAILED] = "failed",
        [CALIBRATION_CANCELLED] = "cancelled",
};

const char *calibration_state_name(enum calibration_state state)
{
        return state_names[state];
}

static double seconds_since(uint64_t now_ns, uint64_t then_ns)
{
        return now_ns > then_ns ? (double)(now_ns - then_ns) / NS_PER_S : 0.0;
}

/* A new set-point for the RT thread: a new generation. */
static void hand(struct calibration *c, bool motor_on, double duty, double position,
                 enum identify_what identify, double speed_max_ppm)
{
        struct sensor_frame frame = c->result.frame;

        c->sp = (struct setpoint){
                .motor_on = motor_on,
                .generation = ++c->generation,
                .mode = SETPOINT_DUTY,
                .duty = motor_on ? duty : 0.0,
                .stroke_position = position,
                .speed_max_ppm = speed_max_ppm,
                .identify = identify,
                .identify_epoch = c->epoch,
                .stop_on_contact = c->state == CALIBRATION_MOTOR,
                .frame_set = true,
                .frame = frame,
        };
}

static void enter(struct calibration *c, enum calibration_state state, uint64_t now_ns)
{
        c->state = state;
        c->state_ns = c->move_ns = now_ns;
        c->move = 0;
        c->epoch++;
}

void calibration_start(struct calibration *c, const struct calibration_config *cfg,
                       uint32_t generation, uint64_t now_ns)
{
        *c = (struct calibration){ .cfg = *cfg, .generation = generation, .started_ns = now_ns };
        /* the IMU's axes and the encoder as the driver gives them: measured from scratch */
        sensor_frame_identity(&c->result.frame);
        enter(c, CALIBRATION_REST_LEVEL, now_ns);
        hand(c, false, 0, 0, IDENTIFY_REST, PHASE_SPEED_MAX_PPM);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct calibration *c, int r, const char *format, ...)
{
        char what[160];
        va_list ap;

        va_start(ap, format);
        vsnprintf(what, sizeof(what), format, ap);
        va_end(ap);
        if (c->state == CALIBRATION_MOTOR && c->move < MOVES)
                snprintf(c->why, sizeof(c->why), "%s (move %u of %zu): %s", state_names[c->state],
                         c->move + 1, MOVES, what);
        else
                snprintf(c->why, sizeof(c->why), "%s: %s", state_names[c->state], what);
        c->state = CALIBRATION_FAILED;
        c->sp = (struct setpoint){ .motor_on = false, .generation = ++c->generation };
        return r;
}

/* The top duties reach no further than TOP_SPEED_SHARE of the top
 * speed, scaled from the speed the first of them reached (the speed goes
 * with the duty): the RT thread's limit is a safety net, not a tool. */
#define TOP_SPEED_SHARE 0.85
#define FIRST_TOP_MOVE 3

static void play_move(struct calibration *c)
{
        const struct move *m = &moves[c->move];
        double duty = m->duty_share * c->cfg.duty_max;

        if (c->move > FIRST_TOP_MOVE && c->top_speed_ppm > 0.0)
                duty = fmin(duty, moves[FIRST_TOP_MOVE].duty_share * c->cfg.duty_max *
                                          TOP_SPEED_SHARE * ENVELOPE_SPEED_MAX_PPM / c->top_speed_ppm);
        hand(c, m->motor_on, duty, m->position, m->identify, ENVELOPE_SPEED_MAX_PPM);
}

static int finish(struct calibration *c, const struct identify_sums *sums)
{
        struct calibration_result *res = &c->result;
        const struct sensor_frame *settings = &c->cfg.settings_frame;
        int r;

        res->bus_voltage_v = c->voltage_samples ? c->voltage_sum_v / c->voltage_samples :
                                                  c->cfg.nominal_bus_voltage_v;
        r = identify_stroke_gain(sums, c->cfg.stroke_min_mm, c->cfg.stroke_max_mm, &res->stroke_gain);
        if (r < 0)
                return fail(c, r, "the head's motion at the stroke's ends tells no stroke gain");
        res->head_mass_kg = 2.0 * c->cfg.body_mass_kg / res->stroke_gain;
        r = identify_encoder_zero_refine(sums, res->frame.encoder_reversed, &res->frame.encoder_zero_rad,
                                         &res->frame.imu_delay_s);
        if (r < 0)
                return fail(c, r, "the head's motion at the stroke's ends is too weak to refine "
                                  "the encoder's zero");
        res->frame.imu_delay_s = fmax(0.0, res->frame.imu_delay_s);
        r = identify_stroke_sensor_map(sums, res->stroke_gain, &res->stroke_sensor_map);
        if (r == -EINVAL)
                return fail(c, r, "the stroke sensor reads the same at both ends of the stroke: "
                                  "it does not follow the stroke mechanism");
        if (r < 0 && r != -ENODATA)
                return fail(c, r, "the head's motion at the stroke's ends tells no stroke for the "
                                  "stroke sensor's map");
        res->stroke_sensor_measured = r == 0;
        r = identify_motor_solve(sums, res->bus_voltage_v, res->head_mass_kg, &res->motor);
        if (r < 0)
                return fail(c, r, "the steps and spin-downs tell no motor model");
        res->speed = (struct speed_control_params){ .duty_max = c->cfg.duty_max };
        identify_speed_gains(&res->motor, res->bus_voltage_v, c->cfg.nominal_bus_voltage_v,
                             &res->speed);
        res->axes_differ = memcmp(res->frame.imu_axes, settings->imu_axes, sizeof(settings->imu_axes)) != 0;
        res->direction_differs = res->frame.encoder_reversed != settings->encoder_reversed;
        res->zero_differs = fabs(remainder(res->frame.encoder_zero_rad - settings->encoder_zero_rad,
                                           2.0 * M_PI)) > 3.0 * M_PI / 180.0;
        res->delay_differs = fabs(res->frame.imu_delay_s - settings->imu_delay_s) > DELAY_DIFFERS_S;
        c->state = CALIBRATION_DONE;
        c->sp = (struct setpoint){ .motor_on = false, .generation = ++c->generation };
        return 1;
}

int calibration_step(struct calibration *c, uint64_t now_ns, const struct telemetry *tm,
                     double bus_voltage_v, struct setpoint *sp)
{
        double in_state_s = seconds_since(now_ns, c->state_ns);
        double in_move_s = seconds_since(now_ns, c->move_ns);
        int r = 0;

        if (c->state >= CALIBRATION_DONE) {
                *sp = c->sp;
                return c->state == CALIBRATION_DONE ? 1 : -ECANCELED;
        }
        if (tm->fault != FAULT_NONE) {
                r = fail(c, -EIO, "fault %s; the motor is off", fault_to_string(tm->fault));
                *sp = c->sp;
                return r;
        }
        if (tm->contact && tm->setpoint_generation == c->sp.generation) {
                r = fail(c, -ECONNABORTED, "the head touched something (a quadrature of %.2f m/s² "
                                           "its motion does not explain); the motor is off. "
                                           "Calibrate in the air", tm->contact_quadrature_m_s2);
                *sp = c->sp;
                return r;
        }
        if (bus_voltage_v > 0.0) {
                c->voltage_sum_v += bus_voltage_v;
                c->voltage_samples++;
        }

        switch (c->state) {
        case CALIBRATION_REST_LEVEL:
                if (in_state_s < REST_S)
                        break;
                c->level_axis = identify_gravity_axis(&tm->identify);
                if (!c->level_axis) {
                        r = fail(c, -EDOM, "the IMU felt no steady gravity; hold the gun still");
                        break;
                }
                enter(c, CALIBRATION_HEAD_DOWN, now_ns);
                hand(c, false, 0, 0, IDENTIFY_REST, PHASE_SPEED_MAX_PPM);
                break;
        case CALIBRATION_HEAD_DOWN: {
                int down;

                if (in_move_s < HEAD_DOWN_WINDOW_S)
                        break;
                down = identify_gravity_axis(&tm->identify);
                if (down && abs(down) != abs(c->level_axis)) {
                        r = identify_imu_axes(c->level_axis, down, c->result.frame.imu_axes);
                        if (r < 0) {
                                r = fail(c, r, "gravity's axes level and head down make no frame");
                                break;
                        }
                        enter(c, CALIBRATION_DIRECTION, now_ns);
                        hand(c, true, fmin(DIRECTION_DUTY, c->cfg.duty_max), 0, IDENTIFY_NOTHING,
                             PHASE_SPEED_MAX_PPM);
                        break;
                }
                if (in_state_s >= c->cfg.head_down_timeout_s) {
                        r = fail(c, -ETIMEDOUT, "the gun was not turned with its head to the floor "
                                                "within %.0f s", c->cfg.head_down_timeout_s);
                        break;
                }
                /* another window */
                c->move_ns = now_ns;
                c->epoch++;
                hand(c, false, 0, 0, IDENTIFY_REST, PHASE_SPEED_MAX_PPM);
                break;
        }
        case CALIBRATION_DIRECTION:
                if (in_state_s < DIRECTION_S)
                        break;
                if (fabs(tm->crank_speed_ppm) < DIRECTION_MIN_PPM) {
                        r = fail(c, -EDOM, "the crank turned at %.0f ppm under a duty of %.2f; is "
                                           "the head blocked?", fabs(tm->crank_speed_ppm),
                                 fmin(DIRECTION_DUTY, c->cfg.duty_max));
                        break;
                }
                c->result.frame.encoder_reversed = tm->crank_speed_ppm < 0.0;
                enter(c, CALIBRATION_PHASE, now_ns);
                hand(c, true, phase_speeds[0].duty_share * c->cfg.duty_max, 0, IDENTIFY_NOTHING,
                     phase_speeds[0].speed_max_ppm);
                break;
        case CALIBRATION_PHASE: {
                const struct phase_speed *speed = &phase_speeds[c->phase_speed];
                struct identify_phase *phase = &c->phases[c->phase_speed];
                double delay_s;
                int axis;

                if (in_move_s < speed->settle_s)
                        break;
                if (c->sp.identify == IDENTIFY_NOTHING) {
                        c->epoch++;
                        hand(c, true, speed->duty_share * c->cfg.duty_max, 0, IDENTIFY_HARMONIC,
                             speed->speed_max_ppm);
                        break;
                }
                if (in_move_s < speed->settle_s + speed->seconds)
                        break;
                axis = identify_harmonic_axis(&tm->identify);
                if (axis != 1) {
                        r = fail(c, -EDOM, "the head moves along the gun's %c axis, not the one "
                                           "that pointed down", "?xyz"[axis]);
                        break;
                }
                r = identify_harmonic_phase(&tm->identify, phase);
                if (r < 0) {
                        r = fail(c, r, "the head's motion on the IMU (%.2f m/s²) at %.0f ppm is too "
                                       "weak to find the encoder's zero", phase->amplitude_m_s2,
                                 fabs(tm->speed_ppm));
                        break;
                }
                if (++c->phase_speed < CALIBRATION_PHASE_SPEEDS) {
                        speed = &phase_speeds[c->phase_speed];
                        c->move_ns = now_ns;
                        hand(c, true, speed->duty_share * c->cfg.duty_max, 0, IDENTIFY_NOTHING,
                             speed->speed_max_ppm);
                        break;
                }
                r = fabs(c->phases[1].speed_rad_s - c->phases[0].speed_rad_s) / PPM_TO_RAD_S <
                                    PHASE_SPEEDS_APART_PPM ?
                            -EDOM :
                            identify_zero_and_delay(c->phases, CALIBRATION_PHASE_SPEEDS,
                                                    c->result.frame.encoder_reversed,
                                                    &c->result.frame.encoder_zero_rad, &delay_s);
                if (r < 0) {
                        r = fail(c, r, "the head's harmonic at %.0f and %.0f ppm tells no IMU delay: "
                                       "the speeds lie too close (DutyMax %.2f)",
                                 c->phases[0].speed_rad_s / PPM_TO_RAD_S,
                                 c->phases[1].speed_rad_s / PPM_TO_RAD_S, c->cfg.duty_max);
                        break;
                }
                /* an IMU does not see ahead: a delay below none is the phases' noise */
                c->result.frame.imu_delay_s = fmax(0.0, delay_s);
                enter(c, CALIBRATION_MOTOR, now_ns);
                play_move(c);
                break;
        }
        case CALIBRATION_MOTOR:
                if (in_move_s < moves[c->move].seconds)
                        break;
                if (c->move == FIRST_TOP_MOVE)
                        c->top_speed_ppm = fabs(tm->speed_ppm);
                if (++c->move == MOVES) {
                        r = finish(c, &tm->identify);
                        break;
                }
                c->move_ns = now_ns;
                play_move(c);
                break;
        case CALIBRATION_DONE:
        case CALIBRATION_FAILED:
        case CALIBRATION_CANCELLED:
                break;
        }
        *sp = c->sp;
        return r;
}

void calibration_cancel(struct calibration *c, struct setpoint *sp)
{
        snprintf(c->why, sizeof(c->why), "%s: cancelled", state_names[c->state]);
        c->state = CALIBRATION_CANCELLED;
        c->sp = (struct setpoint){ .motor_on = false, .generation = ++c->generation };
        *sp = c->sp;
}

double calibration_spin_down_ppm_per_s(const struct calibration_result *res,
                                       const struct safety_params *safety)
{
        double rate = identify_spin_down_ppm_per_s(&res->motor, res->head_mass_kg,
                                                   safety->runaway_margin_ppm);

        return fmin(SAFETY_SPIN_DOWN_MAX_PPM_PER_S, fmax(SAFETY_SPIN_DOWN_MIN_PPM_PER_S, rate));
}

void calibration_apply(const struct calibration_result *res, struct control_params *p)
{
        double duty_max = p->speed.duty_max, slew = p->speed.default_slew_ppm_per_s;
        double inductance_h = p->force.inductance_h, body_mass_kg = p->force.body_mass_kg;

        p->speed = res->speed;
        p->speed.duty_max = duty_max;
        p->speed.default_slew_ppm_per_s = slew;
        p->stroke_estimator.gain = res->stroke_gain;
        if (res->stroke_sensor_measured)
                p->stroke_sensor_map = res->stroke_sensor_map;
        identify_force_params(&res->motor, p->force.bus_voltage_v, body_mass_kg, &p->force);
        p->force.inductance_h = inductance_h;
        p->frame = res->frame;
}

double calibration_progress(const struct calibration *c, uint64_t now_ns)
{
        /* the steps' share of the whole, roughly their lengths */
        static const double start[] = { 0.0, 0.05, 0.15, 0.2, 0.35, 1.0 };
        double motor_s = 0.0, done_s = 0.0;

        if (c->state >= CALIBRATION_DONE)
                return c->state == CALIBRATION_DONE ? 1.0 : 0.0;
        if (c->state != CALIBRATION_MOTOR)
                return start[c->state];
        for (unsigned i = 0; i < MOVES; i++) {
                motor_s += moves[i].seconds;
                if (i < c->move)
                        done_s += moves[i].seconds;
        }
        done_s += fmin(seconds_since(now_ns, c->move_ns), moves[c->move].seconds);
        return start[CALIBRATION_MOTOR] + (1.0 - start[CALIBRATION_MOTOR]) * done_s / motor_s;
}
