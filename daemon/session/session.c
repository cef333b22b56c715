/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/time-util.h"

/* Each Intensity level away from 3 changes speed and stroke by this much. */
#define INTENSITY_STEP 0.075

static const char *const state_names[] = {
        [SESSION_IDLE] = "idle",
        [SESSION_RUNNING] = "running",
        [SESSION_PAUSED] = "paused",
        [SESSION_WAITING] = "waiting",
        [SESSION_FAULT] = "fault",
};

const char *session_state_to_string(enum session_state state)
{
        return state_names[state];
}

static uint64_t now_us(const struct session *s)
{
        return s->ops->now_usec(s->userdata);
}

static void changed(struct session *s, unsigned what)
{
        if (s->ops->changed)
                s->ops->changed(s->userdata, what);
}

static void set_state(struct session *s, enum session_state state)
{
        if (s->state == state)
                return;
        log_debug("State %s → %s.", state_names[s->state], state_names[state]);
        s->state = state;
        changed(s, SESSION_CHANGED_STATE);
}

static bool active(const struct session *s)
{
        return s->state == SESSION_RUNNING || s->state == SESSION_PAUSED ||
               s->state == SESSION_WAITING;
}

static void hand_setpoint(struct session *s, const struct setpoint *sp)
{
        s->setpoint = *sp;
        s->ops->set_setpoint(s->userdata, sp);
}

static void motor_off(struct session *s)
{
        struct setpoint sp = s->setpoint;

        sp.motor_on = false;
        hand_setpoint(s, &sp);
}

static void motor_to_step(struct session *s, const struct profile_step *step, double ramp_s)
{
        unsigned intensity = session_effective_intensity(s);

        hand_setpoint(s, &(struct setpoint){
                .motor_on = true,
                .speed_ppm = session_scaled_speed_ppm(step, intensity),
                .ramp_s = ramp_s,
                .stroke_mm = session_scaled_amplitude_mm(step, intensity),
                .pattern = step->pattern,
                .fault_clears = s->setpoint.fault_clears,
        });
}

/* Ends the running stretch: what was played is added to the counters. */
static void close_segment(struct session *s)
{
        double played_s;

        if (s->state != SESSION_RUNNING)
                return;
        played_s = (double)(now_us(s) - s->segment_start_us) / (double)USEC_PER_SEC;
        s->step_played_s += played_s;
        s->elapsed_before_s += played_s;
        /* counted once, however many paths close it */
        s->segment_start_us = now_us(s);
}

static bool percussion_used_up(const struct session *s)
{
        return s->max_percussion_s > 0.0 && session_elapsed_s(s) >= s->max_percussion_s - 1e-6;
}

/* Paused, or waiting for the user: the session ends by itself after
 * idle_off_s, and the daemon then has nothing left to wake it. */
static void arm_idle_off(struct session *s)
{
        int r;

        if (s->idle_off_s <= 0.0)
                return;
        r = s->ops->arm_timer(s->userdata, now_us(s) + (uint64_t)(s->idle_off_s * (double)USEC_PER_SEC));
        if (r < 0)
                log_error_errno(r, "Failed to arm the %.0f s idle auto-off: %m; the session waits "
                                "for the user.", s->idle_off_s);
}

/* Runs the current step from where it stands (step_played_s). */
static void run_step(struct session *s)
{
        const struct profile_step *step = &s->profile->steps[s->step];
        double remaining_s = fmax(0.0, step->duration_s - s->step_played_s);
        int r;

        /* the auto-off may come before the step's end */
        if (s->max_percussion_s > 0.0)
                remaining_s = fmin(remaining_s, fmax(0.0, s->max_percussion_s - s->elapsed_before_s));

        s->segment_start_us = now_us(s);
        s->wait_end_us = 0;
        /* a soft start every time the motor starts, resumed steps too */
        motor_to_step(s, step, step->ramp_s);
        r = s->ops->arm_timer(s->userdata,
                              s->segment_start_us + (uint64_t)(remaining_s * (double)USEC_PER_SEC));
        if (r < 0) {
                log_error_errno(r, "Failed to arm the timer of step %u of routine %s: %m",
                                s->step + 1, s->profile->id);
                session_fault(s, FAULT_INTERNAL, "The daemon could not time the step; the motor was stopped.");
                return;
        }
        set_state(s, SESSION_RUNNING);
}

static void begin_step(struct session *s, unsigned index)
{
        s->step = index;
        s->step_played_s = 0.0;
        changed(s, SESSION_CHANGED_STEP);
        run_step(s);
        if (s->state == SESSION_RUNNING && s->ops->step_started)
                s->ops->step_started(s->userdata, index, &s->profile->steps[index]);
}

static void finish(struct session *s, bool completed)
{
        struct session_summary summary;

        close_segment(s);
        s->ops->disarm_timer(s->userdata);
        if (s->state != SESSION_FAULT) {
                motor_off(s);
                set_state(s, SESSION_IDLE);
        }
        changed(s, SESSION_CHANGED_STEP);
        summary = (struct session_summary){
                .routine = s->profile->id,
                .seconds = s->elapsed_before_s,
                .steps_completed = s->steps_completed,
                .completed = completed,
        };
        log_info("Routine %s %s after %.1f s of percussion, %u of %u step%s.", s->profile->id,
                 completed ? "completed" : "stopped", summary.seconds, summary.steps_completed,
                 s->profile->n_steps, s->profile->n_steps == 1 ? "" : "s");
        if (s->ops->finished)
                s->ops->finished(s->userdata, &summary);
}

/* The current step is over: go on as the step's `after` says. */
static void step_done(struct session *s)
{
        const struct profile_step *step = &s->profile->steps[s->step];

        close_segment(s);
        s->steps_completed++;
        if (s->step + 1 >= s->profile->n_steps) {
                finish(s, true);
                return;
        }
        if (s->stop_after_step) {
                log_info("The battery is low: routine %s stops after step %u.", s->profile->id,
                         s->step + 1);
                finish(s, false);
                return;
        }
        if (percussion_used_up(s)) {
                log_info("Auto-off: %.0f s of percussion, the most a session plays.",
                         s->max_percussion_s);
                finish(s, false);
                return;
        }
        if (step->after == STEP_AFTER_CONTINUE) {
                begin_step(s, s->step + 1);
                return;
        }

        /* motor off while the user moves the gun to the next muscle */
        motor_off(s);
        s->step++;
        s->step_played_s = 0.0;
        changed(s, SESSION_CHANGED_STEP);
        s->wait_end_us = 0;
        s->ops->disarm_timer(s->userdata);
        if (step->after == STEP_AFTER_PAUSE) {
                uint64_t end_us = now_us(s) + (uint64_t)(step->pause_s * (double)USEC_PER_SEC);
                int r = s->ops->arm_timer(s->userdata, end_us);

                if (r < 0)
                        log_error_errno(r, "Failed to arm the %.0f s pause after step %u: %m; "
                                        "waiting for the button instead.", step->pause_s, s->step);
                else
                        s->wait_end_us = end_us;
        }
        if (!s->wait_end_us)
                arm_idle_off(s);
        set_state(s, SESSION_WAITING);
}

void session_on_timer(struct session *s)
{
        if (s->state == SESSION_RUNNING && percussion_used_up(s) &&
            session_step_remaining_s(s) > 1e-6) {
                log_info("Auto-off: %.0f s of percussion, the most a session plays; routine %s "
                         "stops in step %u.", s->max_percussion_s, s->profile->id, s->step + 1);
                finish(s, false);
        } else if (s->state == SESSION_RUNNING)
                step_done(s);
        else if (s->state == SESSION_WAITING && s->wait_end_us)
                begin_step(s, s->step);
        else if (s->state == SESSION_WAITING || s->state == SESSION_PAUSED) {
                log_info("Auto-off: routine %s was %s for %.0f s.", s->profile->id,
                         state_names[s->state], s->idle_off_s);
                finish(s, false);
        }
}

void session_init(struct session *s, const struct session_ops *ops, void *userdata)
{
        *s = (struct session){
                .ops = ops,
                .userdata = userdata,
                .state = SESSION_IDLE,
                .intensity = SESSION_INTENSITY_DEFAULT,
                .max_intensity = SESSION_INTENSITY_MAX,
        };
}

int session_start(struct session *s, const struct profile *profile)
{
        if (active(s))
                return -EBUSY;
        if (s->state == SESSION_FAULT)
                return -EHOSTDOWN;

        s->profile = profile;
        s->elapsed_before_s = 0.0;
        s->steps_completed = 0;
        s->stop_after_step = false;
        changed(s, SESSION_CHANGED_ROUTINE);
        log_info("Starting routine %s (%u step%s) at intensity %u.", profile->id, profile->n_steps,
                 profile->n_steps == 1 ? "" : "s",
                 session_effective_intensity(s));
        begin_step(s, 0);
        return 0;
}

int session_stop(struct session *s)
{
        if (!active(s))
                return -ENOTCONN;
        finish(s, false);
        return 0;
}

int session_pause(struct session *s)
{
        if (!active(s))
                return -ENOTCONN;
        if (s->state != SESSION_RUNNING)
                return 0;
        close_segment(s);
        s->ops->disarm_timer(s->userdata);
        motor_off(s);
        arm_idle_off(s);
        set_state(s, SESSION_PAUSED);
        return 0;
}

int session_resume(struct session *s)
{
        if (s->state == SESSION_FAULT)
                return -EHOSTDOWN;
        if (!active(s))
                return -ENOTCONN;
        if (s->state == SESSION_RUNNING)
                return -EBUSY;
        if (s->state == SESSION_WAITING) {
                begin_step(s, s->step);
                return 0;
        }
        run_step(s);
        return 0;
}

int session_next(struct session *s)
{
        if (!active(s))
                return -ENOTCONN;
        close_segment(s);
        if (s->step + 1 >= s->profile->n_steps) {
                finish(s, true);
                return 0;
        }
        if (s->stop_after_step) {
                finish(s, false);
                return 0;
        }
        begin_step(s, s->step + 1);
        return 0;
}

int session_stop_after_step(struct session *s)
{
        if (!active(s))
                return -ENOTCONN;
        if (s->state == SESSION_RUNNING)
                s->stop_after_step = true;
        else
                finish(s, false);
        return 0;
}

unsigned session_effective_intensity(const struct session *s)
{
        return s->intensity < s->max_intensity ? s->intensity : s->max_intensity;
}

/* A new intensity takes effect at once, with a short ramp. */
static void intensity_changed(struct session *s)
{
        changed(s, SESSION_CHANGED_INTENSITY);
        if (s->state == SESSION_RUNNING)
                motor_to_step(s, &s->profile->steps[s->step], SESSION_INTENSITY_RAMP_S);
}

int session_set_intensity(struct session *s, unsigned intensity)
{
        if (intensity < SESSION_INTENSITY_MIN || intensity > SESSION_INTENSITY_MAX)
                return -ERANGE;
        if (intensity > s->max_intensity)
                return -EDOM;
        if (intensity == s->intensity)
                return 0;
        s->intensity = intensity;
        intensity_changed(s);
        return 0;
}

void session_set_max_intensity(struct session *s, unsigned max_intensity)
{
        unsigned before = session_effective_intensity(s);

        if (max_intensity < SESSION_INTENSITY_MIN)
                max_intensity = SESSION_INTENSITY_MIN;
        if (max_intensity > SESSION_INTENSITY_MAX)
                max_intensity = SESSION_INTENSITY_MAX;
        if (max_intensity == s->max_intensity)
                return;
        s->max_intensity = max_intensity;
        if (s->intensity > max_intensity)
                s->intensity = max_intensity;
        if (session_effective_intensity(s) != before)
                intensity_changed(s);
        else
                changed(s, SESSION_CHANGED_INTENSITY);
}

void session_fault(struct session *s, enum fault fault, const char *message)
{
        bool was_active = active(s);

        motor_off(s);
        if (s->state == SESSION_FAULT)
                return;
        s->fault = fault;
        snprintf(s->fault_message, sizeof(s->fault_message), "%s", message);
        log_error("Fault %s: %s", fault_to_string(fault), message);
        close_segment(s);
        s->ops->disarm_timer(s->userdata);
        set_state(s, SESSION_FAULT);
        changed(s, SESSION_CHANGED_FAULT);
        if (s->ops->fault_raised)
                s->ops->fault_raised(s->userdata, fault, message);
        if (was_active)
                finish(s, false);
}

int64_t session_request_fault_clear(struct session *s)
{
        struct setpoint sp = s->setpoint;

        if (s->state != SESSION_FAULT)
                return -ENOTCONN;
        sp.motor_on = false;
        sp.fault_clears++;
        hand_setpoint(s, &sp);
        return sp.fault_clears;
}

void session_fault_cleared(struct session *s)
{
        if (s->state != SESSION_FAULT)
                return;
        log_info("Fault %s cleared.", fault_to_string(s->fault));
        s->fault = FAULT_NONE;
        s->fault_message[0] = '\0';
        set_state(s, SESSION_IDLE);
        changed(s, SESSION_CHANGED_FAULT);
}

void session_forget_routine(struct session *s)
{
        if (active(s) || !s->profile)
                return;
        s->profile = NULL;
        changed(s, SESSION_CHANGED_ROUTINE);
}

const struct profile_step *session_current_step(const struct session *s)
{
        if (!active(s) || !s->profile)
                return NULL;
        return &s->profile->steps[s->step];
}

double session_elapsed_s(const struct session *s)
{
        if (s->state != SESSION_RUNNING)
                return s->elapsed_before_s;
        return s->elapsed_before_s + (double)(now_us(s) - s->segment_start_us) / (double)USEC_PER_SEC;
}

double session_step_remaining_s(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);
        double played_s;

        if (!step)
                return 0.0;
        played_s = s->step_played_s;
        if (s->state == SESSION_RUNNING)
                played_s += (double)(now_us(s) - s->segment_start_us) / (double)USEC_PER_SEC;
        return fmax(0.0, step->duration_s - played_s);
}

static double scale(double value, unsigned intensity, double min, double max)
{
        double scaled = value * (1.0 + INTENSITY_STEP * ((double)intensity - SESSION_INTENSITY_DEFAULT));

        return fmin(max, fmax(min, scaled));
}

double session_scaled_speed_ppm(const struct profile_step *step, unsigned intensity)
{
        return scale(step->speed_ppm, intensity, step->speed_min_ppm, step->speed_max_ppm);
}

double session_scaled_amplitude_mm(const struct profile_step *step, unsigned intensity)
{
        return scale(step->amplitude_mm, intensity, step->amplitude_min_mm, step->amplitude_max_mm);
}

double session_target_speed_ppm(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);

        return step && s->state == SESSION_RUNNING ?
                       session_scaled_speed_ppm(step, session_effective_intensity(s)) : 0.0;
}

double session_target_amplitude_mm(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);

        return step && s->state == SESSION_RUNNING ?
                       session_scaled_amplitude_mm(step, session_effective_intensity(s)) : 0.0;
}
