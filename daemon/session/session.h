/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The routine engine: plays a routine's steps, hands the set-points to the
 * control loop, keeps time (Elapsed, StepRemaining) and moves through the
 * states of DBUS.md. It knows neither D-Bus nor the event loop: time, the
 * one step timer and the set-point sink come in through session_ops, so
 * that tests play whole routines in simulated time.
 */

#include <stdbool.h>
#include <stdint.h>

#include "daemon/rt/handoff.h"
#include "profile.h"

#define SESSION_INTENSITY_MIN 1u
#define SESSION_INTENSITY_MAX 5u
#define SESSION_INTENSITY_DEFAULT 3u
/* Seconds to reach a new speed after Intensity changes mid-step. */
#define SESSION_INTENSITY_RAMP_S 1.0

enum session_state {
        SESSION_IDLE,
        SESSION_RUNNING,
        SESSION_PAUSED,
        SESSION_WAITING,
        SESSION_FAULT,
};

const char *session_state_to_string(enum session_state state);

/* What changed, for the callbacks: one bit per group of properties. */
enum {
        SESSION_CHANGED_STATE = 1u << 0,
        SESSION_CHANGED_ROUTINE = 1u << 1,  /* Routine, StepCount */
        SESSION_CHANGED_STEP = 1u << 2,     /* Step, MuscleGroup, Side, TargetSpeed, TargetAmplitude */
        SESSION_CHANGED_FAULT = 1u << 3,    /* Fault, FaultMessage */
        SESSION_CHANGED_INTENSITY = 1u << 4,/* Intensity, MaxIntensity, TargetSpeed, TargetAmplitude */
};

struct session_summary {
        const char *routine;
        double seconds;                 /* of percussion */
        unsigned steps_completed;       /* played to their end */
        bool completed;                 /* the whole routine */
};

struct session_ops {
        uint64_t (*now_usec)(void *userdata);                  /* CLOCK_MONOTONIC */
        int (*arm_timer)(void *userdata, uint64_t at_usec);    /* one shot: then session_on_timer() */
        void (*disarm_timer)(void *userdata);
        void (*set_setpoint)(void *userdata, const struct setpoint *sp);

        void (*changed)(void *userdata, unsigned what);
        void (*step_started)(void *userdata, unsigned step, const struct profile_step *s);
        void (*finished)(void *userdata, const struct session_summary *summary);
        void (*fault_raised)(void *userdata, enum fault fault, const char *message);
};

struct session {
        const struct session_ops *ops;
        void *userdata;

        enum session_state state;
        const struct profile *profile; /* NULL before the first Start */
        unsigned step;
        unsigned steps_completed;
        uint64_t segment_start_us;     /* start of the running stretch */
        double step_played_s;          /* of the current step, before that stretch */
        double elapsed_before_s;       /* of the session, before that stretch */
        uint64_t wait_end_us;          /* end of a timed pause, 0 when waiting for the user */
        struct setpoint setpoint;      /* the last one handed to the loop */

        /* auto-off, 0: none: a session stops after max_percussion_s of
         * percussion, and a paused one, or one waiting for the user, after
         * idle_off_s */
        double max_percussion_s;
        double idle_off_s;
        bool stop_after_step;          /* the battery is low: this step is the last */

        unsigned intensity;            /* 1..5, as the user set it */
        unsigned max_intensity;        /* today's cap from the recovery guard */

        enum fault fault;
        char fault_message[256];
};

void session_init(struct session *s, const struct session_ops *ops, void *userdata);

/* The time given to ops->arm_timer has come. */
void session_on_timer(struct session *s);

/* -EBUSY while a session runs, is paused or waits; -EHOSTDOWN in fault. */
int session_start(struct session *s, const struct profile *profile);
/* The remaining ones return -ENOTCONN when no session is active. */
int session_stop(struct session *s);
int session_pause(struct session *s);
/* -EBUSY if already running, -EHOSTDOWN in fault (DBUS.md: Faulted) */
int session_resume(struct session *s);
int session_next(struct session *s);
/* The battery is low: a running step plays to its end, then the session
 * stops (not completed); a paused or waiting one stops now. */
int session_stop_after_step(struct session *s);

/* -ERANGE outside 1..5, -EDOM above max_intensity. */
int session_set_intensity(struct session *s, unsigned intensity);
/* Lowers the intensity to the cap if it is above. */
void session_set_max_intensity(struct session *s, unsigned max_intensity);
unsigned session_effective_intensity(const struct session *s);

/* Safe stop at once, session ended, state fault until cleared. */
void session_fault(struct session *s, enum fault fault, const char *message);
/* Asks the control loop to forget its fault (the state stays fault until
 * session_fault_cleared()); returns the setpoint's new fault_clears, which
 * the loop's telemetry echoes once done, or -ENOTCONN when not in fault. */
int64_t session_request_fault_clear(struct session *s);
/* The cause is gone and the loop agreed: back to idle. */
void session_fault_cleared(struct session *s);

/* Forget the routine (its profile is about to be freed); only when no
 * session is active. */
void session_forget_routine(struct session *s);

const struct profile_step *session_current_step(const struct session *s);
double session_elapsed_s(const struct session *s);
double session_step_remaining_s(const struct session *s);
/* The current step's speed and stroke at the present intensity, inside
 * the muscle's envelope; 0 while the motor should not run. */
double session_target_speed_ppm(const struct session *s);
double session_target_amplitude_mm(const struct session *s);

/* Pure: a step's speed and stroke at an intensity (1..5): ±7.5 % a level
 * around the written values (level 3), kept inside the muscle's envelope. */
double session_scaled_speed_ppm(const struct profile_step *step, unsigned intensity);
double session_scaled_amplitude_mm(const struct profile_step *step, unsigned intensity);
