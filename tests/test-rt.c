/* SPDX-License-Identifier: MIT */
/*
 * The real-time thread itself, in real time on the simulated gun: no heap
 * allocation and no page fault in steady state (QUALITY.md), the loop
 * keeps its period, and once the motor is off and the crank has stopped
 * the thread sleeps without waking.
 */
#include <check.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "rt.h"
#include "sim-drivers.h"
#include "sim-gun.h"

#ifndef UNDER_QEMU_USER
#define UNDER_QEMU_USER 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* Heap calls made by the RT thread, counted by wrapping malloc and friends
 * (glibc's own entry points do the work). Not under ASan, which has its
 * own allocator. */
static atomic_ulong rt_heap_calls;
static atomic_ulong all_heap_calls;      /* proof that the wrappers are the ones called */
static _Atomic pthread_t watched;
static atomic_bool watching;

#if !SANITIZED
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static void count_call(void)
{
        atomic_fetch_add_explicit(&all_heap_calls, 1, memory_order_relaxed);
        if (atomic_load_explicit(&watching, memory_order_relaxed) &&
            pthread_equal(pthread_self(), atomic_load(&watched)))
                atomic_fetch_add(&rt_heap_calls, 1);
}

void *malloc(size_t size)
{
        count_call();
        return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        count_call();
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        count_call();
        return __libc_realloc(p, size);
}
#endif

static uint64_t monotonic_ns(void *userdata)
{
        struct timespec ts;

        (void)userdata;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

START_TEST(test_steady_state_and_idle)
{
        static const struct sim_clock clock = { .now_ns = monotonic_ns };
        static struct sim_gun model;
        static struct sim_drivers sim;
        static struct gun gun;
        static struct rt rt;
        struct sim_gun_params params;
        struct control_params control;
        struct safety_params safety;
        struct rt_config config = { .control_hz = 1000, .priority = 50, .lock_memory = !SANITIZED,
                                   .cpu = -1 };
        struct telemetry before, after;
        unsigned long faults_before, faults_after, wakeups_before, wakeups_after;
        int tid;

        sim_gun_params_default(&params);
        sim_gun_init(&model, &params, 5);
        ck_assert_int_eq(sim_gun_drivers_open(&gun, &sim, &model, &clock), 0);
        control_params_default(&control);
        safety_params_default(&safety);
        ck_assert_int_eq(rt_start(&rt, &gun, &control, &safety, &config), 0);
        atomic_store(&watched, rt.thread);

        rt_set_setpoint(&rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 0.5, .stroke_mm = 10 });
        usleep(1500000); /* ramp and settle: every page the loop uses is touched */
        tid = atomic_load(&rt.tid);
        ck_assert_int_gt(tid, 0);

        rt_read_telemetry(&rt, &before);
        faults_before = task_minflt(tid);
        atomic_store(&watching, true);
        usleep(3000000);
        atomic_store(&watching, false);
        faults_after = task_minflt(tid);
        rt_read_telemetry(&rt, &after);

        fprintf(stderr, "steady 3 s: %lu periods, %lu heap calls, %lu minor faults, %lu overruns, "
                        "worst wake-up %u µs, memory %s\n",
                (unsigned long)(after.periods - before.periods), atomic_load(&rt_heap_calls),
                faults_after - faults_before, (unsigned long)(after.overruns - before.overruns),
                after.max_latency_us, rt.memory_locked ? "locked" : "not locked");
        /* timing on a shared machine is the benchmarks' business
         * (tests/bench/latency); here: the thread ran all along, and the
         * periods it ran plus those it missed make up the 3 s */
        ck_assert_uint_gt(after.periods - before.periods, 1000);
        ck_assert_uint_ge(after.periods - before.periods + (after.overruns - before.overruns), 2950);
        ck_assert_uint_eq(atomic_load(&rt_heap_calls), 0);
        if (!SANITIZED) {
                unsigned long calls = atomic_load(&all_heap_calls);
                void *volatile block = malloc(16); /* volatile: not elided */

                free(block);
                ck_assert_uint_gt(atomic_load(&all_heap_calls), calls);
        }
        /* under qemu-user the thread also runs the emulator, whose code
         * translation takes faults of its own: there the count says
         * nothing about ours */
        if (rt.memory_locked && !UNDER_QEMU_USER)
                ck_assert_uint_eq(faults_after - faults_before, 0);

        /* motor off: the crank coasts down, then the thread sleeps */
        rt_set_setpoint(&rt, &(struct setpoint){ .motor_on = false, .generation = 0 });
        usleep(2500000);
        wakeups_before = task_wakeups(tid);
        usleep(1000000);
        wakeups_after = task_wakeups(tid);
        fprintf(stderr, "idle 1 s: %lu wake-ups of the control thread\n", wakeups_after - wakeups_before);
        ck_assert_uint_eq(wakeups_after - wakeups_before, 0);

        rt_stop(&rt);
}
END_TEST

static Suite *rt_suite(void)
{
        Suite *s = suite_create("rt");
        TCase *tc = tcase_create("thread");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_steady_state_and_idle);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(rt_suite());
}
