/* SPDX-License-Identifier: MIT */
#include "rt.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time-util.h"
#include "memory-lock.h"

/* The crank counts as stopped below this speed, held for RT_STOPPED_NS;
 * the thread then sleeps. A coasting gun stops within a second or two,
 * and one that does not is a runaway (safety.c) well before
 * RT_COAST_MAX_NS, which bounds the wait if the encoder keeps jittering. */
#define RT_STOPPED_PPM 10.0
#define RT_STOPPED_NS (100ull * 1000 * 1000)
#define RT_COAST_MAX_NS (5ull * NSEC_PER_SEC)
/* Stack touched before the loop runs so that, with memory locked, the
 * loop never takes a page fault on it. */
#define RT_STACK_PREFAULT_BYTES (64 * 1024)
#define RT_STACK_BYTES (256 * 1024)
/* Sent by the main thread to the control thread alone (pthread_kill), to
 * cut its sleep short when the motor must stop now. */
#define RT_INTERRUPT_SIGNAL SIGRTMIN

static struct timespec ns_timespec(uint64_t ns)
{
        return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
                                  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

static void prefault_stack(void)
{
        volatile unsigned char stack[RT_STACK_PREFAULT_BYTES];

        for (size_t i = 0; i < sizeof(stack); i += 4096)
                stack[i] = 0;
}

static void signal_main(struct rt *rt)
{
        uint64_t one = 1;

        /* non-blocking eventfd: a full counter only means main already knows */
        if (write(rt->event_fd, &one, sizeof(one)) < 0)
                return;
}

/* Blocks until the main thread posts a setpoint or asks to quit. */
static void sleep_until_woken(struct rt *rt)
{
        uint64_t count;

        while (read(rt->wake_fd, &count, sizeof(count)) < 0 && errno == EINTR)
                ;
}

/* Woken with nothing to do: every set-point wakes the thread, and those
 * handed while it ran (the motor-off one that ended the routine too) are
 * still counted in the eventfd when it goes to sleep. A set-point is
 * published before its wake-up is written, so the newest one is here. */
static bool work_waiting(struct rt *rt)
{
        const struct setpoint *sp;

        (void)triple_buffer_update(&rt->setpoint_handoff);
        sp = triple_buffer_read_slot(&rt->setpoint_handoff);
        return sp->motor_on || sp->mode == SETPOINT_DUTY ||
               sp->fault_clears != rt->control.fault_clears;
}

/* The interrupt only ends clock_nanosleep() early. */
static void on_interrupt(int signo)
{
        (void)signo;
}

/* SA_RESTART: a driver's read or write the signal falls into goes on (the
 * drivers' I/O never waits: sysfs, non-blocking IIO buffers, GPIO ioctls);
 * clock_nanosleep() is never restarted after a handler, whatever the flag. */
static int install_interrupt(void)
{
        struct sigaction sa = { .sa_handler = on_interrupt, .sa_flags = SA_RESTART };

        sigemptyset(&sa.sa_mask);
        return sigaction(RT_INTERRUPT_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

static void interrupt(struct rt *rt)
{
        if (rt->thread_started)
                (void)pthread_kill(rt->thread, RT_INTERRUPT_SIGNAL);
}

static void *rt_thread(void *userdata)
{
        struct rt *rt = userdata;
        struct telemetry state = rt->counters;
        uint64_t next_ns = 0, stopped_since_ns = 0, motor_off_since_ns = 0;
        bool sleeping = true, looking = false;

        atomic_store(&rt->tid, (int)gettid());
        prefault_stack();

        while (!atomic_load(&rt->quit)) {
                const struct setpoint *sp;
                struct telemetry *tm;
                enum fault fault_before = rt->control.fault;
                uint32_t clears_before = rt->control.fault_clears;
                uint64_t woke_ns, late_ns;
                struct timespec next_ts;
                bool quiet_look = false;

                if (sleeping) {
                        bool work, look;

                        sleep_until_woken(rt);
                        work = work_waiting(rt);
                        look = atomic_exchange(&rt->look_now, false);
                        if (!atomic_load(&rt->quit) && !work && !look)
                                continue;
                        looking = look && !work;
                        control_period_reset(&rt->control);
                        if (rt->rest_unseen)
                                safety_assume_coasting(&rt->control.safety, rt->safety);
                        next_ns = now_ns(CLOCK_MONOTONIC);
                        stopped_since_ns = motor_off_since_ns = 0;
                        sleeping = false;
                        continue;
                }

                next_ns += rt->period_ns;
                next_ts = ns_timespec(next_ns);
                /* interrupted to stop the motor: this period runs now */
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next_ts, NULL) == EINTR &&
                       !atomic_load(&rt->quit) && !atomic_load(&rt->motor_off_now))
                        ;
                if (atomic_load(&rt->quit))
                        break;
                atomic_store(&rt->motor_off_now, false);

                woke_ns = now_ns(CLOCK_MONOTONIC);
                late_ns = woke_ns > next_ns ? woke_ns - next_ns : 0;
                if (late_ns / 1000 > state.max_latency_us)
                        state.max_latency_us = (uint32_t)(late_ns / 1000);
                if (late_ns >= rt->period_ns) {
                        /* missed deadlines are counted, then the schedule moves on */
                        state.overruns += late_ns / rt->period_ns;
                        next_ns += late_ns / rt->period_ns * rt->period_ns;
                }
                state.periods++;
                state.time_ns = woke_ns;

                triple_buffer_update(&rt->setpoint_handoff);
                sp = triple_buffer_read_slot(&rt->setpoint_handoff);
                tm = triple_buffer_write_slot(&rt->telemetry_handoff);
                *tm = state;
                (void)control_period_run(&rt->control, rt->gun, sp, tm);

                /* Calibrate measures the gun at rest too */
                if (rt->control.motor_on || sp->mode == SETPOINT_DUTY) {
                        motor_off_since_ns = stopped_since_ns = 0;
                        looking = false;
                } else {
                        if (!motor_off_since_ns)
                                motor_off_since_ns = woke_ns;
                        if (fabs(speed_estimator_fast_ppm(&rt->control.speed_estimator)) >=
                            RT_STOPPED_PPM)
                                stopped_since_ns = 0;
                        else if (!stopped_since_ns)
                                stopped_since_ns = woke_ns;
                        /* after a fault too the crank is watched until it rests (a
                         * runaway's goes on turning), unless the encoder that
                         * would show it is what was lost */
                        sleeping = (stopped_since_ns && woke_ns - stopped_since_ns >= RT_STOPPED_NS) ||
                                   woke_ns - motor_off_since_ns >= RT_COAST_MAX_NS ||
                                   rt->control.fault == FAULT_SENSOR_LOST;
                        /* a look answers once the fast estimate's window is full:
                         * a crank at rest sends the thread back to sleep, one
                         * that turns is watched on as after Stop */
                        if (looking && speed_estimator_settled(&rt->control.speed_estimator)) {
                                sleeping = sleeping || stopped_since_ns;
                                quiet_look = sleeping && rt->control.fault == FAULT_NONE;
                                looking = false;
                        }
                }
                tm->resting = sleeping;
                if (sleeping) {
                        rt->rest_unseen = !stopped_since_ns;
                        /* the last word until the motor runs again: the crank rests */
                        tm->speed_ppm = tm->amplitude_mm = tm->force_n = 0.0;
                }
                triple_buffer_publish(&rt->telemetry_handoff);

                if ((rt->control.fault != FAULT_NONE && fault_before == FAULT_NONE) ||
                    rt->control.fault_clears != clears_before || (sleeping && !quiet_look))
                        signal_main(rt);
        }

        (void)control_safe_state(rt->gun);
        /* for the thread that rt_resume() starts: the counts go on */
        rt->counters = state;
        return NULL;
}

static bool kernel_is_preempt_rt(void)
{
        char value = '0';
        FILE *f = fopen("/sys/kernel/realtime", "re");

        if (!f)
                return false;
        if (fread(&value, 1, 1, f) != 1)
                value = '0';
        fclose(f);
        return value == '1';
}

static int spawn(struct rt *rt, const struct sched_param *fifo_param, int cpu)
{
        pthread_attr_t attr;
        int r;

        r = pthread_attr_init(&attr);
        if (r != 0)
                return r;
        if (cpu >= 0) {
                cpu_set_t set;

                CPU_ZERO(&set);
                CPU_SET((size_t)cpu, &set);
                r = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
        }
        /* glibc's default 8 MiB stack would all be locked by mlockall() */
        if (r == 0)
                r = pthread_attr_setstacksize(&attr, RT_STACK_BYTES);
        if (r == 0 && fifo_param) {
                r = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
                if (r == 0)
                        r = pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
                if (r == 0)
                        r = pthread_attr_setschedparam(&attr, fifo_param);
        }
        if (r == 0)
                r = pthread_create(&rt->thread, &attr, rt_thread, rt);
        pthread_attr_destroy(&attr);
        return r;
}

static int create_thread(struct rt *rt, const struct rt_config *config)
{
        struct sched_param param = { .sched_priority = config->priority };
        int r;

        r = spawn(rt, &param, config->cpu);
        if (r == 0) {
                rt->fifo = true;
                return 0;
        }
        if (r != EPERM && r != EINVAL)
                return -r;

        log_warning("Control thread runs without real-time scheduling: SCHED_FIFO priority %d "
                    "was refused (%s); grant CAP_SYS_NICE or LimitRTPRIO= to get it.",
                    config->priority, strerror(r));
        return -spawn(rt, NULL, config->cpu);
}

int rt_start(struct rt *rt, struct gun *gun, const struct control_params *params,
             const struct safety_params *safety, const struct rt_config *config)
{
        int r;

        *rt = (struct rt){ .gun = gun, .params = params, .safety = safety, .config = *config,
                           .wake_fd = -1, .event_fd = -1 };
        rt->period_ns = NSEC_PER_SEC / config->control_hz;
        control_period_init(&rt->control, params, safety, gun->encoder.quantity, config->control_hz);
        triple_buffer_init(&rt->setpoint_handoff, rt->setpoint_slots, sizeof(struct setpoint));
        triple_buffer_init(&rt->telemetry_handoff, rt->telemetry_slots, sizeof(struct telemetry));
        atomic_init(&rt->quit, false);
        atomic_init(&rt->motor_off_now, false);
        atomic_init(&rt->look_now, false);
        /* until the first period: a gun at rest */
        rt->counters.resting = true;
        *(struct telemetry *)triple_buffer_write_slot(&rt->telemetry_handoff) = rt->counters;
        triple_buffer_publish(&rt->telemetry_handoff);

        r = control_safe_state(gun);
        if (r < 0)
                return log_error_errno(r, "Failed to put motor driver %s in the safe state: %m",
                                       gun->motor.ops->name);

        r = install_interrupt();
        if (r < 0)
                return log_error_errno(r, "Failed to install the control thread's interrupt: %m");

        rt->wake_fd = eventfd(0, EFD_CLOEXEC);
        rt->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (rt->wake_fd < 0 || rt->event_fd < 0) {
                r = log_error_errno(errno, "Failed to create the control thread's eventfd: %m");
                goto fail;
        }

        if (config->lock_memory) {
                r = memory_lock();
                if (r < 0)
                        log_warning_errno(r, "Memory not locked, the control loop may take page "
                                          "faults: %m");
                else
                        rt->memory_locked = true;
        }

        r = create_thread(rt, config);
        if (r < 0) {
                log_error_errno(r, "Failed to start the control thread: %m");
                goto fail;
        }
        rt->thread_started = true;
        rt->realtime = rt->fifo && kernel_is_preempt_rt();
        log_info("Control loop at %u Hz, %s%s, memory %s.", config->control_hz,
                 rt->fifo ? "SCHED_FIFO" : "SCHED_OTHER",
                 rt->fifo ? (rt->realtime ? " on a PREEMPT_RT kernel" :
                                            " on a kernel without PREEMPT_RT") : "",
                 rt->memory_locked ? "locked" : "not locked");
        return 0;

fail:
        if (rt->event_fd >= 0)
                close(rt->event_fd);
        if (rt->wake_fd >= 0)
                close(rt->wake_fd);
        rt->wake_fd = rt->event_fd = -1;
        return r;
}

static void wake(struct rt *rt)
{
        uint64_t one = 1;

        /* a blocking eventfd only refuses at a counter near 2^64 */
        if (write(rt->wake_fd, &one, sizeof(one)) < 0)
                log_warning_errno(errno, "Failed to wake the control thread: %m");
}

void rt_set_setpoint(struct rt *rt, const struct setpoint *sp)
{
        struct setpoint *slot = triple_buffer_write_slot(&rt->setpoint_handoff);
        uint32_t generation = rt->setpoint.generation + 1;
        bool stopping = rt->setpoint.motor_on && !sp->motor_on;

        rt->setpoint = *sp;
        rt->setpoint.generation = generation;
        *slot = rt->setpoint;
        triple_buffer_publish(&rt->setpoint_handoff);
        wake(rt);
        if (stopping) {
                atomic_store(&rt->motor_off_now, true);
                interrupt(rt);
        }
}

void rt_look(struct rt *rt)
{
        struct telemetry tm;

        if (!rt->thread_started)
                return;
        (void)rt_read_telemetry(rt, &tm);
        if (!tm.resting)
                return;
        atomic_store(&rt->look_now, true);
        wake(rt);
}

bool rt_read_telemetry(struct rt *rt, struct telemetry *out)
{
        bool fresh = triple_buffer_update(&rt->telemetry_handoff);

        *out = *(const struct telemetry *)triple_buffer_read_slot(&rt->telemetry_handoff);
        return fresh;
}

void rt_ack_event(struct rt *rt)
{
        uint64_t count;

        (void)!read(rt->event_fd, &count, sizeof(count));
}

void rt_halt(struct rt *rt)
{
        if (!rt->thread_started)
                return;
        atomic_store(&rt->quit, true);
        wake(rt);
        interrupt(rt);
        pthread_join(rt->thread, NULL);
        rt->thread_started = false;
}

int rt_resume(struct rt *rt)
{
        int r;

        if (rt->thread_started)
                return 0;
        /* what the loop knew of the old devices (speed, stroke, a fault) is
         * not true of the new ones */
        control_period_init(&rt->control, rt->params, rt->safety, rt->gun->encoder.quantity,
                            rt->config.control_hz);
        atomic_store(&rt->quit, false);
        atomic_store(&rt->motor_off_now, false);
        rt->fifo = false;
        /* the new thread's first act is a look at the crank, which may still
         * turn: Calibrate ends on a move */
        rt->rest_unseen = true;
        atomic_store(&rt->look_now, true);
        wake(rt);
        r = create_thread(rt, &rt->config);
        if (r < 0)
                return log_error_errno(r, "Failed to start the control thread again: %m");
        rt->thread_started = true;
        rt->realtime = rt->fifo && kernel_is_preempt_rt();
        log_info("Control loop running again at %u Hz, %s.", rt->config.control_hz,
                 rt->fifo ? "SCHED_FIFO" : "SCHED_OTHER");
        return 0;
}

void rt_stop(struct rt *rt)
{
        if (rt->thread_started)
                rt_halt(rt);
        else if (rt->gun && rt->gun->motor.ops)
                (void)control_safe_state(rt->gun);
        if (rt->memory_locked)
                munlockall();
        if (rt->event_fd >= 0)
                close(rt->event_fd);
        if (rt->wake_fd >= 0)
                close(rt->wake_fd);
        rt->wake_fd = rt->event_fd = -1;
}
