/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The real-time thread: paces control_period_run() with
 * clock_nanosleep(TIMER_ABSTIME) on CLOCK_MONOTONIC, under SCHED_FIFO with
 * memory locked when the system allows it. It sleeps (blocked, no
 * wake-ups) while the motor is off and the crank has stopped, but for a
 * look at the crank when the main thread asks for one (rt_look()).
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "control-period.h"
#include "handoff.h"
#include "triple-buffer.h"

struct rt_config {
        unsigned control_hz;    /* 250..4000 */
        int priority;           /* SCHED_FIFO priority, 1..99 */
        bool lock_memory;       /* mlockall(); off under AddressSanitizer */
        int cpu;                /* the one CPU the thread runs on, -1 = any */
};

struct rt {
        struct gun *gun;
        const struct control_params *params;
        const struct safety_params *safety;
        struct rt_config config;
        struct control_period control;
        uint64_t period_ns;

        struct triple_buffer setpoint_handoff;   /* main → RT */
        struct setpoint setpoint_slots[3];
        struct triple_buffer telemetry_handoff;  /* RT → main */
        struct telemetry telemetry_slots[3];

        int wake_fd;            /* eventfd, main → RT: new setpoint or quit */
        int event_fd;           /* eventfd, RT → main: a fault, a fault cleared, the motor stopped */
        atomic_bool quit;
        atomic_bool motor_off_now;  /* main → RT: a motor-off set-point, act before the period */
        atomic_bool look_now;       /* main → RT: look at the resting crank (rt_look()) */
        bool rest_unseen;           /* the thread did not see the crank come to rest */

        pthread_t thread;
        atomic_int tid;         /* the thread's kernel id, for /proc/self/task/ */
        bool thread_started;
        bool realtime;          /* SCHED_FIFO granted on a PREEMPT_RT kernel */
        bool fifo;              /* SCHED_FIFO granted */
        bool memory_locked;

        /* the thread's periods, overruns and worst latency, left here when
         * it quits so that a thread started again counts on from them */
        struct telemetry counters;

        /* owned by the main thread */
        struct setpoint setpoint;
};

/* gun, params and safety are kept (rt_resume() uses them again) and must
 * outlive rt. */
int rt_start(struct rt *rt, struct gun *gun, const struct control_params *params,
             const struct safety_params *safety, const struct rt_config *config);

/* Main thread: hand a new setpoint to the loop and wake it. A set-point
 * that turns the running motor off interrupts the thread's sleep: it acts
 * at once, not at its next period. */
void rt_set_setpoint(struct rt *rt, const struct setpoint *sp);

/* Main thread: while the crank rests and the thread sleeps, wakes it for
 * one look at the crank: the periods that fill the fast speed estimate's
 * window (5 at 1 kHz, 2 at 250 Hz), and those that drain a sensor's
 * backlog. A crank found turning is then watched as after Stop, where the
 * safety supervisor judges a runaway (a driver stuck on); one at rest
 * sends the thread back to sleep without a word to the main thread.
 * Nothing is done while the thread runs, or is halted. */
void rt_look(struct rt *rt);

/* Main thread: the newest telemetry; returns true when it is new. */
bool rt_read_telemetry(struct rt *rt, struct telemetry *out);

/* Drains the RT → main eventfd; call when it is readable. */
void rt_ack_event(struct rt *rt);

/* Stops the thread and leaves the gun in the safe state. */
void rt_stop(struct rt *rt);

/* Main thread: stops the thread, which leaves the gun in the safe state
 * and touches it no more, so that the gun's drivers can be closed and
 * opened again; the eventfds stay, setpoints handed meanwhile wait for
 * rt_resume(). */
void rt_halt(struct rt *rt);
/* Starts the thread again with rt_start()'s settings, on the gun as it is
 * now (its encoder's quantity too), its control state fresh; telemetry
 * counts (periods, overruns, worst latency) go on from where they were. */
int rt_resume(struct rt *rt);
