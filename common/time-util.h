/* SPDX-License-Identifier: MIT */
#pragma once

/* Time in whole units, as systemd's time-util.h writes it: integers, so
 * that a sum of periods never drifts. Reading a clock is the one syscall
 * the control thread may make besides hardware I/O. */

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC UINT64_C(1000000000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_USEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define MSEC_PER_SEC UINT64_C(1000)

static inline uint64_t timespec_ns(const struct timespec *ts)
{
        return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static inline uint64_t now_ns(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return timespec_ns(&ts);
}

static inline uint64_t now_usec(clockid_t clock)
{
        return now_ns(clock) / NSEC_PER_USEC;
}

static inline uint64_t now_ms(clockid_t clock)
{
        return now_ns(clock) / NSEC_PER_MSEC;
}

/* CLOCK_MONOTONIC for the callbacks that take a clock with its userdata
 * (struct sim_clock, sim_panel_open()). */
static inline uint64_t monotonic_now_ns(void *userdata)
{
        (void)userdata;
        return now_ns(CLOCK_MONOTONIC);
}
