/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define USEC_PER_SEC 1000000.0
/* sd-event's default timer slack is 250 ms; a step's end may slip by at most this */
#define STEP_TIMER_ACCURACY_US 10000

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
        uint64_t t = 0;

        (void)sd_event_now(s->event, CLOCK_MONOTONIC, &t);
        return t;
}

static void changed(struct session *s, unsigned what)
{
        if (s->callbacks->changed)
                s->callbacks->changed(s->userdata, what);
}

static void set_state(struct session *s, enum session_state state)
{
        if (s->state == state)
                return;
        log_debug("State %s → %s.", state_names[s->state], state_names[state]);
        s->state = state;
        changed(s, SESSION_CHANGED_STATE);
}

static void motor_off(struct session *s)
{
        rt_set_setpoint(s->rt, &(struct setpoint){
                .motor_on = false,
                .stroke_mm = s->rt->setpoint.stroke_mm,
                .fault_clears = s->rt->setpoint.fault_clears,
        });
}

static void motor_to_step(struct session *s, const struct profile_step *step)
{
        rt_set_setpoint(s->rt, &(struct setpoint){
                .motor_on = true,
                .speed_ppm = step->speed_ppm,
                .ramp_s = step->ramp_s,
                .stroke_mm = step->amplitude_mm,
                .fault_clears = s->rt->setpoint.fault_clears,
        });
}

/* Ends the running stretch: what was played is added to the counters. */
static void close_segment(struct session *s)
{
        double played_s;

        if (s->state != SESSION_RUNNING)
                return;
        played_s = (double)(now_us(s) - s->segment_start_us) / USEC_PER_SEC;
        s->step_played_s += played_s;
        s->elapsed_before_s += played_s;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata);

static int arm_timer(struct session *s, uint64_t at_us)
{
        int r;

        if (!s->timer)
                return sd_event_add_time(s->event, &s->timer, CLOCK_MONOTONIC, at_us,
                                         STEP_TIMER_ACCURACY_US, on_timer, s);
        r = sd_event_source_set_time(s->timer, at_us);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void disarm_timer(struct session *s)
{
        if (s->timer)
                (void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
}

/* Runs the current step from where it stands (step_played_s). */
static void run_step(struct session *s)
{
        const struct profile_step *step = &s->profile->steps[s->step];
        double remaining_s = fmax(0.0, step->duration_s - s->step_played_s);
        int r;

        s->segment_start_us = now_us(s);
        s->wait_end_us = 0;
        motor_to_step(s, step);
        r = arm_timer(s, s->segment_start_us + (uint64_t)(remaining_s * USEC_PER_SEC));
        if (r < 0) {
                log_error_errno(r, "Failed to arm the timer of step %u of routine %s: %m",
                                s->step + 1, s->profile->id);
                session_fault(s, "internal", "The daemon could not time the step; the motor was stopped.");
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
        if (s->state == SESSION_RUNNING && s->callbacks->step_started)
                s->callbacks->step_started(s->userdata, index, &s->profile->steps[index]);
}

static void finish(struct session *s, bool completed)
{
        double seconds;

        close_segment(s);
        disarm_timer(s);
        seconds = s->elapsed_before_s;
        if (s->state != SESSION_FAULT) {
                motor_off(s);
                set_state(s, SESSION_IDLE);
        }
        changed(s, SESSION_CHANGED_STEP);
        log_info("Routine %s %s after %.1f s of percussion.", s->profile->id,
                 completed ? "completed" : "stopped", seconds);
        if (s->callbacks->finished)
                s->callbacks->finished(s->userdata, s->profile->id, seconds, completed);
}

/* The current step is over: go on as the step's `after` says. */
static void step_done(struct session *s)
{
        const struct profile_step *step = &s->profile->steps[s->step];

        close_segment(s);
        if (s->step + 1 >= s->profile->n_steps) {
                finish(s, true);
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
        if (step->after == STEP_AFTER_PAUSE) {
                int r;

                s->wait_end_us = now_us(s) + (uint64_t)(step->pause_s * USEC_PER_SEC);
                r = arm_timer(s, s->wait_end_us);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the %.0f s pause after step %u: %m; "
                                        "waiting for Resume instead.", step->pause_s, s->step);
                if (r < 0)
                        s->wait_end_us = 0;
        } else {
                s->wait_end_us = 0;
                disarm_timer(s);
        }
        set_state(s, SESSION_WAITING);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct session *s = userdata;

        (void)source;
        (void)usec;
        if (s->state == SESSION_RUNNING)
                step_done(s);
        else if (s->state == SESSION_WAITING)
                begin_step(s, s->step);
        return 0;
}

void session_init(struct session *s, sd_event *event, struct rt *rt,
                  const struct session_callbacks *callbacks, void *userdata)
{
        *s = (struct session){
                .event = event,
                .rt = rt,
                .callbacks = callbacks,
                .userdata = userdata,
                .state = SESSION_IDLE,
        };
}

void session_done(struct session *s)
{
        s->timer = sd_event_source_disable_unref(s->timer);
}

static bool active(const struct session *s)
{
        return s->state == SESSION_RUNNING || s->state == SESSION_PAUSED ||
               s->state == SESSION_WAITING;
}

int session_start(struct session *s, const struct profile *profile)
{
        if (active(s))
                return -EBUSY;
        if (s->state == SESSION_FAULT)
                return -EHOSTDOWN;

        s->profile = profile;
        s->elapsed_before_s = 0.0;
        changed(s, SESSION_CHANGED_ROUTINE);
        log_info("Starting routine %s (%u steps).", profile->id, profile->n_steps);
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
        disarm_timer(s);
        motor_off(s);
        set_state(s, SESSION_PAUSED);
        return 0;
}

int session_resume(struct session *s)
{
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
        begin_step(s, s->step + 1);
        return 0;
}

void session_fault(struct session *s, const char *code, const char *message)
{
        bool was_active = active(s);

        motor_off(s);
        if (s->state == SESSION_FAULT)
                return;
        snprintf(s->fault, sizeof(s->fault), "%s", code);
        snprintf(s->fault_message, sizeof(s->fault_message), "%s", message);
        log_error("Fault %s: %s", code, message);
        close_segment(s);
        disarm_timer(s);
        set_state(s, SESSION_FAULT);
        changed(s, SESSION_CHANGED_FAULT);
        if (s->callbacks->fault_raised)
                s->callbacks->fault_raised(s->userdata, code, message);
        if (was_active)
                finish(s, false);
}

int session_clear_fault(struct session *s)
{
        struct setpoint sp;

        if (s->state != SESSION_FAULT)
                return -ENOTCONN;
        sp = s->rt->setpoint;
        sp.motor_on = false;
        sp.fault_clears++;
        rt_set_setpoint(s->rt, &sp);
        s->fault[0] = s->fault_message[0] = '\0';
        set_state(s, SESSION_IDLE);
        changed(s, SESSION_CHANGED_FAULT);
        return 0;
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
        return s->elapsed_before_s + (double)(now_us(s) - s->segment_start_us) / USEC_PER_SEC;
}

double session_step_remaining_s(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);
        double played_s;

        if (!step)
                return 0.0;
        played_s = s->step_played_s;
        if (s->state == SESSION_RUNNING)
                played_s += (double)(now_us(s) - s->segment_start_us) / USEC_PER_SEC;
        return fmax(0.0, step->duration_s - played_s);
}

double session_target_speed_ppm(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);

        return step && s->state == SESSION_RUNNING ? step->speed_ppm : 0.0;
}

double session_target_amplitude_mm(const struct session *s)
{
        const struct profile_step *step = session_current_step(s);

        return step && s->state == SESSION_RUNNING ? step->amplitude_mm : 0.0;
}
