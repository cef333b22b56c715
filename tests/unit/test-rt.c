/* SPDX-License-Identifier: MIT */
/*
 * The real-time thread itself, in real time on the simulated gun: no heap
 * allocation and no page fault in steady state (QUALITY.md), the loop
 * keeps its period, and once the motor is off and the crank has stopped
 * the thread sleeps without waking.
 */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time-util.h"
#include "tests/fixtures/check-main.h"
#include "daemon/rt/rt.h"
#include "drivers/sim/sim-drivers.h"
#include "drivers/sim/sim-gun.h"
#include "tests/fixtures/heap-count.h"

#ifndef UNDER_QEMU_USER
#define UNDER_QEMU_USER 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* A field of /proc/self/task/TID/stat (minflt is 10) or a line's value in
 * .../status (voluntary_ctxt_switches). */
static unsigned long task_minflt(int tid)
{
        char path[64], buf[1024];
        unsigned long minflt = 0;
        FILE *f;
        char *p;

        snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
        fclose(f);
        p = strrchr(buf, ')'); /* the name may hold spaces */
        ck_assert_ptr_nonnull(p);
        /* after ")": state(3) ppid pgrp session tty tpgid flags minflt(10) */
        ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu", &minflt), 1);
        return minflt;
}

static unsigned long task_wakeups(int tid)
{
        char path[64], line[256];
        unsigned long n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "voluntary_ctxt_switches: %lu", &n) == 1)
                        break;
        fclose(f);
        return n;
}

/* The simulated gun and the control thread a test runs (static: large). */
static struct {
        struct sim_gun model;
        struct sim_drivers sim;
        struct gun gun;
        struct rt rt;
        struct control_params control;
        struct safety_params safety;
} rig;

static const struct sim_clock rig_clock = { .now_ns = monotonic_now_ns };

/* The simulated gun's drivers into gun, the model seeded; the loop's
 * parameters the defaults, but for the overrun streak: a loaded VM without
 * PREEMPT_RT runs the loop late many periods in a row now and then, and an
 * overrun fault would stop the thread these tests watch. The fault itself
 * is test-safety's and test-fault-matrix's to prove, in simulated time. */
static void rig_open(struct gun *gun, uint64_t seed)
{
        struct sim_gun_params params;

        sim_gun_params_default(&params);
        sim_gun_init(&rig.model, &params, seed);
        ck_assert_int_eq(sim_gun_drivers_open(gun, &rig.sim, &rig.model, &rig_clock), 0);
        control_params_default(&rig.control);
        safety_params_default(&rig.safety);
        rig.safety.overrun_streak = 1000000;
}

static void rig_start(const struct rt_config *config)
{
        ck_assert_int_eq(rt_start(&rig.rt, &rig.gun, &rig.control, &rig.safety, config), 0);
}

START_TEST(test_steady_state_and_idle)
{
        struct rt_config config = { .control_hz = 1000, .priority = 50, .lock_memory = !SANITIZED,
                                   .cpu = -1 };
        struct telemetry before, after;
        unsigned long faults_before, faults_after, wakeups_before, wakeups_after, heap_calls;
        int tid;

        rig_open(&rig.gun, 5);
        rig_start(&config);

        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 0.5, .stroke_mm = 10 });
        usleep(1500000); /* ramp and settle: every page the loop uses is touched */
        tid = atomic_load(&rig.rt.tid);
        ck_assert_int_gt(tid, 0);

        rt_read_telemetry(&rig.rt, &before);
        faults_before = task_minflt(tid);
        heap_count_watch(rig.rt.thread);
        usleep(3000000);
        heap_calls = heap_count_unwatch();
        faults_after = task_minflt(tid);
        rt_read_telemetry(&rig.rt, &after);

        fprintf(stderr, "steady 3 s: %lu periods, %lu heap calls, %lu minor faults, %lu overruns, "
                        "worst wake-up %u µs, memory %s\n",
                (unsigned long)(after.periods - before.periods), heap_calls,
                faults_after - faults_before, (unsigned long)(after.overruns - before.overruns),
                after.max_latency_us, rig.rt.memory_locked ? "locked" : "not locked");
        /* timing on a shared machine is the benchmarks' business
         * (tests/bench/latency); here: the thread ran all along, and the
         * periods it ran plus those it missed make up the 3 s */
        ck_assert_msg(after.fault == FAULT_NONE, "fault %s while steady",
                      fault_to_string(after.fault));
        ck_assert_uint_gt(after.periods - before.periods, 1000);
        ck_assert_uint_ge(after.periods - before.periods + (after.overruns - before.overruns), 2950);
        ck_assert_uint_eq(heap_calls, 0);
        if (HEAP_COUNT_WORKS) {
                unsigned long calls = heap_count_all();
                void *volatile block = malloc(16); /* volatile: not elided */

                free(block);
                ck_assert_uint_gt(heap_count_all(), calls);
        }
        /* under qemu-user the thread also runs the emulator, whose code
         * translation takes faults of its own: there the count says
         * nothing about ours */
        if (rig.rt.memory_locked && !UNDER_QEMU_USER)
                ck_assert_uint_eq(faults_after - faults_before, 0);

        /* motor off: the crank coasts down, then the thread sleeps */
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = false, .generation = 0 });
        usleep(2500000);
        wakeups_before = task_wakeups(tid);
        usleep(1000000);
        wakeups_after = task_wakeups(tid);
        fprintf(stderr, "idle 1 s: %lu wake-ups of the control thread\n", wakeups_after - wakeups_before);
        ck_assert_uint_eq(wakeups_after - wakeups_before, 0);

        /* a set-point that leaves the motor off (as the motor-off one still
         * counted from before the thread slept) wakes it, but runs no
         * period: no 100 ms of coasting checks over a crank at rest */
        rt_read_telemetry(&rig.rt, &before);
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = false });
        usleep(300000);
        rt_read_telemetry(&rig.rt, &after);
        ck_assert_uint_eq(after.periods, before.periods);

        rt_stop(&rig.rt);
}
END_TEST

/* The gun as the halt/resume test drives it: the simulated drivers, with
 * every motor write counted and an encoder that can be made to fail as a
 * removed device does. */
static struct gun inner;
static atomic_uint motor_writes;
static atomic_bool encoder_gone;

static int counted_set_duty(struct motor *motor, double duty)
{
        (void)motor;
        atomic_fetch_add(&motor_writes, 1);
        return inner.motor.ops->set_duty(&inner.motor, duty);
}

static int counted_set_enable(struct motor *motor, bool enabled)
{
        (void)motor;
        atomic_fetch_add(&motor_writes, 1);
        return inner.motor.ops->set_enable(&inner.motor, enabled);
}

static int cut_encoder_read(struct encoder *enc, struct encoder_sample *out)
{
        (void)enc;
        if (atomic_load(&encoder_gone))
                return -ENODEV;
        return inner.encoder.ops->read(&inner.encoder, out);
}

static const struct motor_ops counted_motor_ops = {
        .name = "counted",
        .set_duty = counted_set_duty,
        .set_enable = counted_set_enable,
};

static const struct encoder_ops cut_encoder_ops = {
        .name = "cut",
        .read = cut_encoder_read,
};

/* Waits up to 2 s for the loop's telemetry to say what ok() wants. */
static bool wait_telemetry(struct rt *rt, struct telemetry *tm, bool (*ok)(const struct telemetry *))
{
        for (int i = 0; i < 200; i++) {
                rt_read_telemetry(rt, tm);
                if (ok(tm))
                        return true;
                usleep(10000);
        }
        return false;
}

static bool sensor_lost(const struct telemetry *tm)
{
        return tm->fault == FAULT_SENSOR_LOST;
}

static bool cleared(const struct telemetry *tm)
{
        return tm->fault_clears == 1 && tm->fault == FAULT_NONE;
}

static bool at_speed(const struct telemetry *tm)
{
        return tm->motor_on && tm->speed_ppm > 1500.0;
}

/* What the daemon does to recover from a device that went away: halt the
 * thread, (re-open the drivers), resume it. While halted nothing touches
 * the gun; resumed, the old fault is forgotten and the counts go on. */
START_TEST(test_halt_and_resume)
{
        struct rt_config config = { .control_hz = 1000, .priority = 50, .lock_memory = false,
                                   .cpu = -1 };
        struct telemetry tm, halted;
        unsigned writes;
        int tid;
        char task[64];

        rig_open(&inner, 7);
        rig.gun = inner;
        rig.gun.motor = (struct motor){ .ops = &counted_motor_ops };
        rig.gun.encoder.ops = &cut_encoder_ops;
        rig_start(&config);

        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 0.2, .stroke_mm = 10 });
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, at_speed), "not at speed: %.0f ppm", tm.speed_ppm);
        atomic_store(&encoder_gone, true);
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, sensor_lost), "no sensor-lost fault");
        ck_assert_int_eq(tm.fault_errno, ENODEV);
        ck_assert(!sim_gun_true_enabled(&rig.model));

        tid = atomic_load(&rig.rt.tid);
        rt_halt(&rig.rt);
        /* pthread_join() returns once the kernel has cleared the thread's
         * tid, a step before it takes the task out of /proc */
        snprintf(task, sizeof(task), "/proc/self/task/%d", tid);
        for (int i = 0; i < 1000 && access(task, F_OK) == 0; i++)
                usleep(1000);
        ck_assert_msg(access(task, F_OK) < 0, "the control thread is still there");
        rt_read_telemetry(&rig.rt, &halted);
        writes = atomic_load(&motor_writes);
        /* a setpoint meanwhile (the session clearing its fault) waits */
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = false, .fault_clears = 1 });
        usleep(200000);
        ck_assert_uint_eq(atomic_load(&motor_writes), writes);
        rt_read_telemetry(&rig.rt, &tm);
        ck_assert_uint_eq(tm.periods, halted.periods);

        atomic_store(&encoder_gone, false); /* the device back, the driver opened again */
        ck_assert_int_eq(rt_resume(&rig.rt), 0);
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, cleared), "fault %d, clears %u", tm.fault,
                      tm.fault_clears);
        ck_assert_int_ne(atomic_load(&rig.rt.tid), tid);
        ck_assert_uint_gt(tm.periods, halted.periods);
        ck_assert_uint_ge(tm.max_latency_us, halted.max_latency_us);
        ck_assert_uint_ge(tm.overruns, halted.overruns);
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 0.2, .stroke_mm = 10,
                                                 .fault_clears = 1 });
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, at_speed), "not at speed again: %.0f ppm",
                      tm.speed_ppm);
        fprintf(stderr, "halted after %llu periods, resumed: %llu periods, %.0f ppm\n",
                (unsigned long long)halted.periods, (unsigned long long)tm.periods, tm.speed_ppm);

        rt_stop(&rig.rt);
        ck_assert(!sim_gun_true_enabled(&rig.model));
        gun_close(&inner);
}
END_TEST

static bool look_over(const struct telemetry *tm)
{
        return tm->resting && tm->periods > 0;
}

static bool runaway_seen(const struct telemetry *tm)
{
        return tm->fault == FAULT_RUNAWAY;
}

/* The control thread asleep over a gun at rest, and the looks the main
 * thread asks for at its watchdog's beat: one at a crank at rest runs the
 * periods that fill the fast estimate's window, and sends the thread back
 * to sleep without a word to the main thread; one at a crank a driver
 * stuck on turns watches it on until the runaway, which it signals, the
 * driver's enable off. Waited for on the telemetry and the eventfd. */
START_TEST(test_looks_at_a_resting_crank)
{
        struct rt_config config = { .control_hz = 1000, .priority = 50, .lock_memory = !SANITIZED,
                                   .cpu = -1 };
        struct pollfd event = { .events = POLLIN };
        struct telemetry tm;

        rig_open(&rig.gun, 9);
        rig_start(&config);
        event.fd = rig.rt.event_fd;

        rt_look(&rig.rt);
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, look_over), "the look never ended");
        ck_assert_uint_eq(tm.periods, rig.rt.control.speed_estimator.fast_samples + 1);
        ck_assert(tm.fault == FAULT_NONE);
        ck_assert_int_eq(poll(&event, 1, 0), 0);

        sim_gun_set_motor_stuck(&rig.model, true);
        rt_look(&rig.rt);
        ck_assert_int_eq(poll(&event, 1, 5000), 1);
        rt_ack_event(&rig.rt);
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, runaway_seen), "no runaway: fault %s",
                      fault_to_string(tm.fault));
        ck_assert(!tm.motor_on);
        ck_assert(!rig.model.enabled);
        fprintf(stderr, "look at rest: %llu periods; stuck driver at rest: runaway after %llu "
                        "periods of watching\n",
                (unsigned long long)rig.rt.control.speed_estimator.fast_samples + 1,
                (unsigned long long)(tm.periods - rig.rt.control.speed_estimator.fast_samples - 1));
        sim_gun_set_motor_stuck(&rig.model, false);
        rt_stop(&rig.rt);
}
END_TEST

static bool watching_a_coast(const struct telemetry *tm)
{
        return !tm->resting && tm->speed_ppm > 300.0;
}

/* Started again over a crank that still turns (Calibrate ends on a move,
 * then the thread starts again on what it measured): the new thread looks
 * at once, finds the crank coasting and watches it to rest, Speed true all
 * the way, and no runaway, though the loop never saw how fast it was
 * driven: the ceiling falls from the first speed it sees. A gun with
 * little friction, SpinDownRate set to its slow coast, so that the crank
 * still turns however late the thread starts again. */
START_TEST(test_resumed_over_a_coasting_crank)
{
        struct rt_config config = { .control_hz = 1000, .priority = 50, .lock_memory = false,
                                   .cpu = -1 };
        struct telemetry tm;
        bool rested = false;

        rig_open(&rig.gun, 13);
        rig.model.p.coulomb_nm /= 8;
        rig.model.p.viscous_nm_s_per_rad /= 8;
        rig.safety.spin_down_ppm_per_s = 300;
        rig_start(&config);
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 0.2, .stroke_mm = 10 });
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, at_speed), "not at speed: %.0f ppm", tm.speed_ppm);
        rt_set_setpoint(&rig.rt, &(struct setpoint){ .motor_on = false });
        rt_halt(&rig.rt);
        ck_assert(!sim_gun_true_enabled(&rig.model));

        ck_assert_int_eq(rt_resume(&rig.rt), 0);
        ck_assert_msg(wait_telemetry(&rig.rt, &tm, watching_a_coast),
                      "the crank coasts at %.0f ppm, the thread publishes %.0f ppm%s",
                      sim_gun_true_speed_ppm(&rig.model), tm.speed_ppm,
                      tm.resting ? " and sleeps" : "");
        for (int i = 0; i < 10 && !rested; i++)
                rested = wait_telemetry(&rig.rt, &tm, look_over);
        ck_assert_msg(rested, "the crank never came to rest: %.0f ppm", tm.speed_ppm);
        ck_assert_msg(tm.fault == FAULT_NONE, "fault %s over a healthy coast", fault_to_string(tm.fault));
        ck_assert_double_lt(fabs(sim_gun_true_speed_ppm(&rig.model)), 10.0);
        rt_stop(&rig.rt);
}
END_TEST

static Suite *rt_suite(void)
{
        Suite *s = suite_create("rt");
        TCase *tc = tcase_create("thread");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_steady_state_and_idle);
        tcase_add_test(tc, test_halt_and_resume);
        tcase_add_test(tc, test_looks_at_a_resting_crank);
        tcase_add_test(tc, test_resumed_over_a_coasting_crank);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(rt_suite());
}
