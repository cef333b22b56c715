/* SPDX-License-Identifier: MIT */
/*
 * Soak: the shipped routines back to back, for HOURS of simulated time
 * (default 24), through the routine engine (session.c), the control
 * period (control_period_run) and the simulated gun, at 1 kHz in
 * simulated time, as fast as the machine goes. The user answers every
 * wait after 2 s. Prints, for each simulated hour, the routines played,
 * faults, the period's cost (median, p99, max wall time of one
 * control_period_run with the model), the periods that would have
 * overrun (cost above the period) and the mean speed error at steady
 * state (|revolution speed - set-point|, ppm), RSS and open fds; and
 * RSS and open fds at start and end, and their growth.
 *
 *   build/tests/bench/soak [HOURS]
 *
 * Exits 1 if a fault was raised or an fd was left open (the test suite
 * runs a quarter of an hour so); the figures are only printed.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time-util.h"
#include "daemon/session/routines.h"
#include "daemon/session/session.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/sim-rig.h"

#define PERIODS_PER_HOUR (3600ull * SIM_RIG_HZ)
#define USER_ANSWER_US 2000000ull
/* the cost histogram: 50 ns buckets up to 1 ms; longer in the last */
#define COST_BUCKET_NS 50u
#define COST_BUCKETS (SIM_RIG_PERIOD_NS / COST_BUCKET_NS + 1)

struct soak {
        struct sim_rig rig;
        struct session session;
        uint64_t timer_at_us;           /* 0: not armed */
        uint64_t waiting_since_us;

        /* this hour */
        uint64_t cost_counts[COST_BUCKETS];
        uint64_t cost_max_ns, would_overrun;
        unsigned routines_finished, faults;
        double speed_error_sum;
        uint64_t speed_error_n;
};

static uint64_t sim_now_us(void *userdata)
{
        struct soak *s = userdata;

        return s->rig.now_ns / 1000;
}

static int arm_timer(void *userdata, uint64_t at_usec)
{
        struct soak *s = userdata;

        s->timer_at_us = at_usec ? at_usec : 1;
        return 0;
}

static void disarm_timer(void *userdata)
{
        struct soak *s = userdata;

        s->timer_at_us = 0;
}

static void set_setpoint(void *userdata, const struct setpoint *sp)
{
        (void)userdata, (void)sp; /* the engine keeps it in session.setpoint */
}

static void finished(void *userdata, const struct session_summary *summary)
{
        struct soak *s = userdata;

        (void)summary;
        s->routines_finished++;
}

static void fault_raised(void *userdata, enum fault fault, const char *message)
{
        struct soak *s = userdata;

        s->faults++;
        fprintf(stderr, "fault at %.3f h: %s: %s\n", (double)s->rig.now_ns / 3.6e12,
                fault_to_string(fault), message);
}

static const struct session_ops soak_ops = {
        .now_usec = sim_now_us,
        .arm_timer = arm_timer,
        .disarm_timer = disarm_timer,
        .set_setpoint = set_setpoint,
        .finished = finished,
        .fault_raised = fault_raised,
};

static int open_fds(void)
{
        DIR *dir = opendir("/proc/self/fd");
        struct dirent *entry;
        int n = 0;

        if (!dir)
                return -errno;
        while ((entry = readdir(dir)))
                if (entry->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n - 1; /* the directory's own */
}

static double cost_quantile_ns(const struct soak *s, double q)
{
        uint64_t total = 0, seen = 0;

        for (size_t i = 0; i < COST_BUCKETS; i++)
                total += s->cost_counts[i];
        for (size_t i = 0; i < COST_BUCKETS; i++) {
                seen += s->cost_counts[i];
                if ((double)seen >= q * (double)total)
                        return (double)(i * COST_BUCKET_NS + COST_BUCKET_NS / 2);
        }
        return NAN;
}

/* The engine's part of one period: its timer, the user, the loop's
 * faults and clears. */
static void drive_engine(struct soak *s, const struct routines *set, size_t *next)
{
        struct session *e = &s->session;
        uint64_t now_us = sim_now_us(s);

        if (s->timer_at_us && now_us >= s->timer_at_us) {
                s->timer_at_us = 0;
                session_on_timer(e);
        }
        switch (e->state) {
        case SESSION_IDLE:
                if (session_start(e, set->items[*next]) == 0)
                        *next = (*next + 1) % set->count;
                break;
        case SESSION_WAITING:
                if (!s->waiting_since_us)
                        s->waiting_since_us = now_us;
                else if (now_us - s->waiting_since_us >= USER_ANSWER_US) {
                        s->waiting_since_us = 0;
                        (void)session_resume(e);
                }
                break;
        case SESSION_FAULT:
                if (s->rig.tm.fault == FAULT_NONE && s->rig.tm.fault_clears == e->setpoint.fault_clears)
                        session_fault_cleared(e);
                else if (s->rig.tm.fault_clears == e->setpoint.fault_clears)
                        (void)session_request_fault_clear(e);
                break;
        case SESSION_RUNNING:
        case SESSION_PAUSED:
                break;
        }
        if (s->rig.tm.fault != FAULT_NONE && e->state != SESSION_FAULT &&
            s->rig.tm.fault_clears == e->setpoint.fault_clears)
                session_fault(e, s->rig.tm.fault, "The control loop reported a fault.");
}

static void print_hour(const struct soak *s, unsigned hour)
{
        printf("%5u %8u %6u %10.0f %10.0f %10llu %12llu %12.2f %9ld %4d\n", hour, s->routines_finished,
               s->faults, cost_quantile_ns(s, 0.5), cost_quantile_ns(s, 0.99),
               (unsigned long long)s->cost_max_ns, (unsigned long long)s->would_overrun,
               s->speed_error_n ? s->speed_error_sum / (double)s->speed_error_n : NAN,
               process_status_kib(0, "VmRSS"), open_fds());
}

int main(int argc, char **argv)
{
        static struct soak s;
        static struct routines set;
        const char *dirs[] = { PROFILES_SRC_DIR };
        double hours = argc > 1 ? strtod(argv[1], NULL) : 24.0;
        uint64_t periods = (uint64_t)(hours * (double)PERIODS_PER_HOUR), began_ns;
        unsigned total_routines = 0, total_faults = 0;
        long rss_start, rss_end;
        int fds_start, fds_end, r;
        size_t next = 0;

        if (!(hours > 0.0) || hours > 24.0 * 365) {
                fprintf(stderr, "soak: HOURS \"%s\" must be a number of hours, above 0\n", argv[1]);
                return 2;
        }
        r = routines_load(&set, dirs, 1);
        if (r <= 0) {
                fprintf(stderr, "soak: no routine loaded from %s: %s\n", PROFILES_SRC_DIR,
                        r < 0 ? strerror(-r) : "none there");
                return 1;
        }
        r = sim_rig_open(&s.rig, 1, false);
        if (r < 0) {
                fprintf(stderr, "soak: the simulated gun did not open: %s\n", strerror(-r));
                return 1;
        }
        session_init(&s.session, &soak_ops, &s);

        rss_start = process_status_kib(0, "VmRSS");
        fds_start = open_fds();
        printf("soak: %.1f h of simulated time, %zu routines from %s back to back, %u Hz\n", hours,
               set.count, PROFILES_SRC_DIR, SIM_RIG_HZ);
        printf("start: RSS %ld KiB, %d open fds\n", rss_start, fds_start);
        printf("%5s %8s %6s %10s %10s %10s %12s %12s %9s %4s\n", "hour", "routines", "faults",
               "median_ns", "p99_ns", "max_ns", "over_period", "speed_err_ppm", "rss_kib", "fds");
        began_ns = now_ns(CLOCK_MONOTONIC);
        for (uint64_t p = 0; p < periods; p++) {
                uint64_t t0, cost_ns;

                drive_engine(&s, &set, &next);
                t0 = now_ns(CLOCK_MONOTONIC);
                (void)sim_rig_period(&s.rig, &s.session.setpoint);
                cost_ns = now_ns(CLOCK_MONOTONIC) - t0;
                s.cost_counts[cost_ns / COST_BUCKET_NS < COST_BUCKETS ? cost_ns / COST_BUCKET_NS :
                                                                      COST_BUCKETS - 1]++;
                if (cost_ns > s.cost_max_ns)
                        s.cost_max_ns = cost_ns;
                if (cost_ns > SIM_RIG_PERIOD_NS)
                        s.would_overrun++;
                /* at steady state: running, the set-point reached its target */
                if (s.session.state == SESSION_RUNNING && s.rig.tm.motor_on &&
                    s.rig.tm.setpoint_speed_ppm == s.session.setpoint.speed_ppm &&
                    s.session.setpoint.pattern == STEP_PATTERN_CONSTANT) {
                        s.speed_error_sum += fabs(s.rig.tm.speed_ppm - s.rig.tm.setpoint_speed_ppm);
                        s.speed_error_n++;
                }
                if ((p + 1) % PERIODS_PER_HOUR == 0 || p + 1 == periods) {
                        print_hour(&s, (unsigned)((p + PERIODS_PER_HOUR - 1) / PERIODS_PER_HOUR));
                        fflush(stdout);
                        total_routines += s.routines_finished;
                        total_faults += s.faults;
                        memset(s.cost_counts, 0, sizeof(s.cost_counts));
                        s.cost_max_ns = s.would_overrun = 0;
                        s.routines_finished = s.faults = 0;
                        s.speed_error_sum = 0.0;
                        s.speed_error_n = 0;
                }
        }
        rss_end = process_status_kib(0, "VmRSS");
        fds_end = open_fds();
        printf("end: RSS %ld KiB (%+ld), %d open fds (%+d); %u routines, %u faults, "
               "%.1f s of wall time (%.0fx real time)\n",
               rss_end, rss_end - rss_start, fds_end, fds_end - fds_start, total_routines,
               total_faults, (double)(now_ns(CLOCK_MONOTONIC) - began_ns) * 1e-9,
               hours * 3600.0 / ((double)(now_ns(CLOCK_MONOTONIC) - began_ns) * 1e-9));
        routines_clear(&set);
        return total_faults == 0 && fds_end == fds_start && total_routines > 0 ? 0 : 1;
}
