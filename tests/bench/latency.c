/* SPDX-License-Identifier: MIT */
/*
 * latency: the control loop's wake-up latency against cyclictest's, in the
 * same run, at the same priority, under the same load
 * (shared/design/QUALITY.md, "wake-up latency": p99 ≤ 1.2 × cyclictest's
 * p99 + 10 µs, max ≤ 1.5 × cyclictest's max).
 *
 * It runs the real RT thread (rt_start() from daemon/rt/rt.c, unchanged:
 * SCHED_FIFO at PRIO, memory locked, 1 kHz) on the simulated gun in real
 * time, following a set-point of 2000 ppm for D seconds, while
 *
 *   cyclictest -m -p<PRIO> -i<PERIOD_US> -h<HIST_US> -q -D<D> [-a<CPU>]
 *
 * runs beside it, and with --stress, `stress-ng --cpu 1` as the load on
 * both. It prints p50/p99/max of both, the ratios and whether the bars
 * hold. It needs root (or CAP_SYS_NICE and CAP_IPC_LOCK) and the Debian
 * packages rt-tests (cyclictest) and, for --stress, stress-ng; without
 * cyclictest it measures the loop alone.
 *
 * How the loop's latency of every period is known without touching
 * daemon/: the RT thread's pacing (clock_nanosleep(TIMER_ABSTIME) on a grid
 * t0 + k·period) and its telemetry stay as they are; the bench wraps the
 * simulated encoder's read, which control_period_run() calls first in
 * every period, and there copies from the telemetry slot the period is
 * filling: the wake-up time the loop itself measured (time_ns), its period
 * and overrun counts, and its running max_latency_us. The wake-up time
 * minus k periods is t0 + latency; the loop's own max_latency_us (whole
 * µs, rising exactly when a period was the worst so far) and latency ≥ 0
 * pin t0 down to an interval of under a microsecond, printed as the
 * grid's uncertainty; latencies are taken at the interval's early end,
 * the pessimistic one. The wrapper adds a few loads and stores to a
 * period, after the wake-up being measured.
 *
 * Usage: latency [-D SECONDS] [-p PRIO] [-r HZ] [-a CPU|any] [--stress]
 *                [-H HIST_US] [-o FILE]
 *   -D, --duration   seconds to run (30)
 *   -p, --priority   SCHED_FIFO priority of the loop and of cyclictest (80)
 *   -r, --rate       control rate, Hz (1000); cyclictest's -i is its period
 *   -a, --cpu        pin the loop, cyclictest and stress-ng to this CPU, or
 *                    "any" to let the scheduler place them (default: the
 *                    last CPU). On one CPU the loop and cyclictest take
 *                    turns: each delays the other by a few µs when their
 *                    wake-ups coincide; but they see the same stalls of
 *                    that CPU, which on a shared VM (the host taking a
 *                    virtual CPU away for ms) decide both maxima. Apart,
 *                    each max is a different CPU's worst stall.
 *   -s, --stress     run `stress-ng --cpu 1 --timeout D` as the load
 *   -H, --histogram  cyclictest's histogram range, µs (1000)
 *   -o, --output     write both histograms (µs, loop count, cyclictest count)
 * Example: sudo build/tests/bench/latency -D 30 -p 80 --stress
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/time-util.h"
#include "daemon/rt/rt.h"
#include "drivers/sim/sim-drivers.h"
#include "drivers/sim/sim-gun.h"


extern char **environ;

struct options {
        unsigned duration_s;
        int priority;
        unsigned rate_hz;
        int cpu;
        bool stress;
        unsigned histogram_us;
        const char *output;
};

/* Written by the RT thread only, read by main after rt_stop() joined it. */
static struct {
        struct rt *rt;
        const struct encoder_ops *sim_encoder;
        uint64_t *wake_minus_grid_ns;   /* time_ns − (periods + overruns before) · period */
        uint32_t *max_latency_us;       /* the loop's running max, that period */
        size_t capacity, count;
        uint64_t last_periods, overruns_before;
} rec;

static struct encoder_ops recording_encoder_ops;

static int recording_encoder_read(struct encoder *enc, struct encoder_sample *out)
{
        const struct telemetry *tm = triple_buffer_write_slot(&rec.rt->telemetry_handoff);

        if (tm->periods != rec.last_periods && rec.count < rec.capacity) {
                rec.wake_minus_grid_ns[rec.count] =
                        tm->time_ns - (tm->periods + rec.overruns_before) * rec.rt->period_ns;
                rec.max_latency_us[rec.count] = tm->max_latency_us;
                rec.count++;
                rec.last_periods = tm->periods;
                rec.overruns_before = tm->overruns;
        }
        return rec.sim_encoder->read(enc, out);
}

static void sleep_s(double seconds)
{
        struct timespec ts = { .tv_sec = (time_t)seconds,
                               .tv_nsec = (long)((seconds - floor(seconds)) * 1e9) };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool on_path(const char *name)
{
        const char *path = getenv("PATH");
        char file[4096];

        for (const char *p = path ? path : ""; *p;) {
                size_t len = strcspn(p, ":");

                snprintf(file, sizeof(file), "%.*s/%s", (int)len, len ? p : ".", name);
                if (access(file, X_OK) == 0)
                        return true;
                p += len;
                if (*p == ':')
                        p++;
        }
        return false;
}

/* Starts argv[0] from PATH with its stdout to stdout_fd (-1: ours). */
static pid_t spawn(char *const argv[], int stdout_fd)
{
        posix_spawn_file_actions_t actions;
        pid_t pid;
        int r;

        posix_spawn_file_actions_init(&actions);
        if (stdout_fd >= 0)
                posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
        r = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0) {
                fprintf(stderr, "latency: cannot run %s: %s\n", argv[0], strerror(r));
                return -1;
        }
        return pid;
}

static int wait_child(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A latency distribution in whole µs: count[us] for us < range, beyond
 * that only the maximum is known. */
struct histogram {
        unsigned range_us;
        uint64_t *count;
        uint64_t total, overflows;
        uint64_t max_us;
};

static int histogram_init(struct histogram *h, unsigned range_us)
{
        *h = (struct histogram){ .range_us = range_us };
        h->count = calloc(range_us, sizeof(*h->count));
        return h->count ? 0 : -ENOMEM;
}

static void histogram_add(struct histogram *h, uint64_t us)
{
        if (us < h->range_us)
                h->count[us]++;
        else
                h->overflows++;
        h->total++;
        if (us > h->max_us)
                h->max_us = us;
}

/* Nearest rank; UINT64_MAX when the rank falls among the overflows. */
static uint64_t histogram_percentile(const struct histogram *h, double q)
{
        uint64_t rank = (uint64_t)ceil(q * (double)h->total), seen = 0;

        if (rank == 0)
                rank = 1;
        for (unsigned us = 0; us < h->range_us; us++) {
                seen += h->count[us];
                if (seen >= rank)
                        return us;
        }
        return UINT64_MAX;
}

/* cyclictest -q -h: "%06d %06lu" per µs, then "# Max Latencies: %05lu",
 * "# Histogram Overflows: %05lu" among other comment lines. */
static int parse_cyclictest(FILE *f, struct histogram *h)
{
        char *line = NULL;
        size_t size = 0;
        bool have_max = false;
        unsigned long us;
        uint64_t n;

        rewind(f);
        while (getline(&line, &size, f) > 0) {
                if (sscanf(line, "# Max Latencies: %" SCNu64, &n) == 1) {
                        h->max_us = n;
                        have_max = true;
                } else if (sscanf(line, "# Histogram Overflows: %" SCNu64, &n) == 1) {
                        h->overflows = n;
                } else if (line[0] != '#' && sscanf(line, "%lu %" SCNu64, &us, &n) == 2 &&
                           us < h->range_us) {
                        h->count[us] = n;
                        h->total += n;
                }
        }
        free(line);
        h->total += h->overflows;
        return have_max && h->total > 0 ? 0 : -EBADMSG;
}

/* A percentile, or ">RANGE" when it falls among the overflows. */
static void print_percentile(uint64_t us, unsigned range_us)
{
        char text[32];

        if (us == UINT64_MAX)
                snprintf(text, sizeof(text), ">%u", range_us - 1);
        else
                snprintf(text, sizeof(text), "%" PRIu64, us);
        printf(" %7s", text);
}

static void print_row(const char *name, const struct histogram *h, uint64_t p50, uint64_t p99)
{
        printf("%-12s %9" PRIu64, name, h->total);
        print_percentile(p50, h->range_us);
        print_percentile(p99, h->range_us);
        printf(" %7" PRIu64 "\n", h->max_us);
}

/* From what the loop reported, the interval t0 lies in (see the header). */
static int loop_grid(int64_t *t0_lo, int64_t *t0_hi)
{
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        uint32_t max_before = 0;

        for (size_t k = 0; k < rec.count; k++) {
                int64_t u = (int64_t)rec.wake_minus_grid_ns[k];
                int64_t m_ns = (int64_t)rec.max_latency_us[k] * 1000;

                if (u < hi)
                        hi = u;                                 /* latency ≥ 0 */
                if (u - m_ns - 999 > lo)
                        lo = u - m_ns - 999;                    /* latency < (max + 1) µs */
                if (rec.max_latency_us[k] > max_before && u - m_ns < hi)
                        hi = u - m_ns;                          /* this one was the max */
                max_before = rec.max_latency_us[k];
        }
        *t0_lo = lo;
        *t0_hi = hi;
        return rec.count > 0 && lo <= hi ? 0 : -ERANGE;
}

static int write_histograms(const char *path, const struct histogram *loop,
                            const struct histogram *cyclic)
{
        FILE *f = fopen(path, "we");

        if (!f) {
                fprintf(stderr, "latency: cannot write %s: %s\n", path, strerror(errno));
                return -errno;
        }
        fprintf(f, "# us loop cyclictest\n");
        for (unsigned us = 0; us < loop->range_us; us++)
                fprintf(f, "%u %" PRIu64 " %" PRIu64 "\n", us, loop->count[us],
                        cyclic ? cyclic->count[us] : 0);
        fprintf(f, "# overflows %" PRIu64 " %" PRIu64 "\n", loop->overflows,
                cyclic ? cyclic->overflows : 0);
        return fclose(f) == 0 ? 0 : -errno;
}

static void usage(const char *argv0)
{
        printf("Usage: %s [-D SECONDS] [-p PRIO] [-r HZ] [-a CPU] [--stress] [-H HIST_US] "
               "[-o FILE]\n"
               "Runs the control loop (SCHED_FIFO PRIO, simulated gun, 2000 ppm) beside "
               "cyclictest and prints both latencies.\n"
               "  -D, --duration=SECONDS  how long (30)\n"
               "  -p, --priority=PRIO     SCHED_FIFO priority of both (80)\n"
               "  -r, --rate=HZ           control rate (1000)\n"
               "  -a, --cpu=CPU|any       pin the loop, cyclictest and stress-ng to CPU (the last)\n"
               "  -s, --stress            load: stress-ng --cpu 1\n"
               "  -H, --histogram=US      histogram range, µs (1000)\n"
               "  -o, --output=FILE       write both histograms to FILE\n", argv0);
}

static int parse_options(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "duration", required_argument, NULL, 'D' },
                { "priority", required_argument, NULL, 'p' },
                { "rate", required_argument, NULL, 'r' },
                { "cpu", required_argument, NULL, 'a' },
                { "stress", no_argument, NULL, 's' },
                { "histogram", required_argument, NULL, 'H' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *o = (struct options){ .duration_s = 30, .priority = 80, .rate_hz = 1000,
                               .cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1, .histogram_us = 1000 };
        while ((c = getopt_long(argc, argv, "D:p:r:a:sH:o:h", longopts, NULL)) >= 0) {
                char *end = NULL;
                long value = 0;

                if (c == 'a' && strcmp(optarg, "any") == 0) {
                        o->cpu = -1;
                        continue;
                }
                if (optarg) {
                        errno = 0;
                        value = strtol(optarg, &end, 10);
                        if (c != 'o' && (errno || *end || value < 0 || value > 1000000)) {
                                fprintf(stderr, "latency: -%c wants a number, not '%s'\n", c, optarg);
                                return -EINVAL;
                        }
                }
                switch (c) {
                case 'D': o->duration_s = (unsigned)value; break;
                case 'p': o->priority = (int)value; break;
                case 'r': o->rate_hz = (unsigned)value; break;
                case 'a': o->cpu = (int)value; break;
                case 's': o->stress = true; break;
                case 'H': o->histogram_us = (unsigned)value; break;
                case 'o': o->output = optarg; break;
                case 'h': usage(argv[0]); exit(EXIT_SUCCESS);
                default: return -EINVAL;
                }
        }
        if (optind < argc || o->duration_s < 1 || o->priority < 1 || o->priority > 99 ||
            o->rate_hz < 250 || o->rate_hz > 4000 || o->histogram_us < 10) {
                fprintf(stderr, "latency: bad arguments: duration ≥ 1 s, priority 1..99, rate "
                                "250..4000 Hz, histogram ≥ 10 µs (see --help)\n");
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv)
{
        static const struct sim_clock clock = { .now_ns = monotonic_now_ns };
        static struct sim_gun model;
        static struct sim_drivers sim;
        static struct gun gun;
        static struct rt rt;
        struct sim_gun_params params;
        struct control_params control;
        struct safety_params safety;
        struct options o;
        struct rt_config config;
        struct telemetry tm;
        struct histogram loop, cyclic;
        char prio_arg[16], interval_arg[32], hist_arg[32], duration_arg[32], cpu_arg[32];
        char stress_timeout[32], stress_cpu[32];
        pid_t cyclictest = -1, stress = -1;
        FILE *cyclictest_out = NULL;
        bool have_cyclictest;
        int64_t t0_lo, t0_hi;
        uint64_t p50, p99, c50 = 0, c99 = 0;

        setvbuf(stdout, NULL, _IOLBF, 0); /* in order with the loop's log on stderr */
        if (parse_options(argc, argv, &o) < 0)
                return EXIT_FAILURE;
        if (histogram_init(&loop, o.histogram_us) < 0 || histogram_init(&cyclic, o.histogram_us) < 0)
                return EXIT_FAILURE;

        /* the record, touched now: the RT thread must not page-fault on it */
        rec.capacity = (size_t)(o.duration_s + 5) * o.rate_hz;
        rec.wake_minus_grid_ns = calloc(rec.capacity, sizeof(*rec.wake_minus_grid_ns));
        rec.max_latency_us = calloc(rec.capacity, sizeof(*rec.max_latency_us));
        if (!rec.wake_minus_grid_ns || !rec.max_latency_us)
                return EXIT_FAILURE;
        memset(rec.wake_minus_grid_ns, 0xff, rec.capacity * sizeof(*rec.wake_minus_grid_ns));
        memset(rec.max_latency_us, 0xff, rec.capacity * sizeof(*rec.max_latency_us));

        snprintf(cpu_arg, sizeof(cpu_arg), "-a%d", o.cpu);
        have_cyclictest = on_path("cyclictest");
        if (!have_cyclictest)
                printf("cyclictest is not on PATH (apt-get install rt-tests): measuring the loop "
                       "alone\n");
        if (o.stress) {
                char *argv_stress[] = { (char *)"stress-ng", (char *)"--quiet", (char *)"--cpu",
                                        (char *)"1", (char *)"--timeout", stress_timeout,
                                        o.cpu >= 0 ? (char *)"--taskset" : NULL, stress_cpu, NULL };

                if (!on_path("stress-ng")) {
                        fprintf(stderr, "latency: --stress needs stress-ng on PATH "
                                        "(apt-get install stress-ng)\n");
                        return EXIT_FAILURE;
                }
                snprintf(stress_timeout, sizeof(stress_timeout), "%us", o.duration_s + 3);
                snprintf(stress_cpu, sizeof(stress_cpu), "%d", o.cpu);
                stress = spawn(argv_stress, -1);
                if (stress < 0)
                        return EXIT_FAILURE;
                sleep_s(1.0); /* let the load start */
        }

        sim_gun_params_default(&params);
        sim_gun_init(&model, &params, 5);
        if (sim_gun_drivers_open(&gun, &sim, &model, &clock) < 0)
                return EXIT_FAILURE;
        rec.rt = &rt;
        rec.sim_encoder = gun.encoder.ops;
        recording_encoder_ops = *gun.encoder.ops;
        recording_encoder_ops.read = recording_encoder_read;
        gun.encoder.ops = &recording_encoder_ops;
        control_params_default(&control);
        safety_params_default(&safety);
        config = (struct rt_config){ .control_hz = o.rate_hz, .priority = o.priority,
                                     .lock_memory = true, .cpu = o.cpu };
        if (rt_start(&rt, &gun, &control, &safety, &config) < 0)
                return EXIT_FAILURE;

        if (have_cyclictest) {
                char *argv_cyclictest[] = { (char *)"cyclictest", (char *)"-m", prio_arg,
                                            interval_arg, hist_arg, (char *)"-q", duration_arg,
                                            o.cpu >= 0 ? cpu_arg : NULL, NULL };

                snprintf(prio_arg, sizeof(prio_arg), "-p%d", o.priority);
                snprintf(interval_arg, sizeof(interval_arg), "-i%u", 1000000 / o.rate_hz);
                snprintf(hist_arg, sizeof(hist_arg), "-h%u", o.histogram_us);
                snprintf(duration_arg, sizeof(duration_arg), "-D%u", o.duration_s);
                cyclictest_out = tmpfile();
                if (!cyclictest_out)
                        return EXIT_FAILURE;
                printf("running: cyclictest -m %s %s %s -q %s%s%s\n", prio_arg, interval_arg,
                       hist_arg, duration_arg, o.cpu >= 0 ? " " : "", o.cpu >= 0 ? cpu_arg : "");
                fflush(stdout);
                cyclictest = spawn(argv_cyclictest, fileno(cyclictest_out));
        }
        rt_set_setpoint(&rt, &(struct setpoint){ .motor_on = true, .speed_ppm = 2000,
                                                 .ramp_s = 1.0, .stroke_mm = 12 });
        sleep_s(o.duration_s);
        if (cyclictest > 0 && wait_child(cyclictest) != 0) {
                fprintf(stderr, "latency: cyclictest failed\n");
                cyclictest = -1;
        }
        (void)rt_read_telemetry(&rt, &tm);
        rt_stop(&rt);
        if (stress > 0) {
                kill(stress, SIGTERM);
                (void)wait_child(stress);
        }

        printf("latency: %u s at %u Hz, SCHED_FIFO %d (%s), memory %s, load %s, CPU %s\n",
               o.duration_s, o.rate_hz, o.priority, rt.fifo ? "granted" : "REFUSED",
               rt.memory_locked ? "locked" : "NOT locked",
               o.stress ? "stress-ng --cpu 1" : "none", o.cpu >= 0 ? cpu_arg + 2 : "any");
        if (tm.fault != FAULT_NONE) {
                fprintf(stderr, "latency: the loop faulted (fault %d): its grid was re-based, "
                                "no histogram\n", (int)tm.fault);
                return EXIT_FAILURE;
        }
        if (loop_grid(&t0_lo, &t0_hi) < 0) {
                fprintf(stderr, "latency: the loop's record is inconsistent (%zu periods)\n",
                        rec.count);
                return EXIT_FAILURE;
        }
        for (size_t k = 0; k < rec.count; k++)
                histogram_add(&loop, (uint64_t)((int64_t)rec.wake_minus_grid_ns[k] - t0_lo) / 1000);
        p50 = histogram_percentile(&loop, 0.50);
        p99 = histogram_percentile(&loop, 0.99);

        printf("%-12s %9s %7s %7s %7s   (µs)\n", "", "periods", "p50", "p99", "max");
        print_row("loop", &loop, p50, p99);
        if (cyclictest > 0 && parse_cyclictest(cyclictest_out, &cyclic) == 0) {
                c50 = histogram_percentile(&cyclic, 0.50);
                c99 = histogram_percentile(&cyclic, 0.99);
                print_row("cyclictest", &cyclic, c50, c99);
        } else if (have_cyclictest) {
                fprintf(stderr, "latency: no histogram from cyclictest\n");
                cyclictest = -1;
        }
        printf("loop telemetry: max_latency_us %" PRIu32 ", overruns %" PRIu64 ", periods %" PRIu64
               "; grid known to %" PRId64 " ns\n", tm.max_latency_us, tm.overruns, tm.periods,
               t0_hi - t0_lo);

        if (cyclictest > 0) {
                if (p99 == UINT64_MAX || c99 == UINT64_MAX)
                        printf("p99 beyond the histogram's %u µs: widen it with -H\n", o.histogram_us);
                else
                        printf("p99: loop %" PRIu64 " µs, bar 1.2 × %" PRIu64 " + 10 = %.1f µs: %s "
                               "(ratio %.3f)\n", p99, c99, 1.2 * (double)c99 + 10,
                               (double)p99 <= 1.2 * (double)c99 + 10 ? "inside the bar" : "OUTSIDE the bar",
                               c99 ? (double)p99 / (double)c99 : NAN);
                printf("max: loop %" PRIu64 " µs, bar 1.5 × %" PRIu64 " = %.1f µs: %s (ratio %.3f)\n",
                       loop.max_us, cyclic.max_us, 1.5 * (double)cyclic.max_us,
                       (double)loop.max_us <= 1.5 * (double)cyclic.max_us ? "inside the bar" :
                                                                            "OUTSIDE the bar",
                       cyclic.max_us ? (double)loop.max_us / (double)cyclic.max_us : NAN);
        }
        if (o.output && write_histograms(o.output, &loop, cyclictest > 0 ? &cyclic : NULL) < 0)
                return EXIT_FAILURE;
        if (cyclictest_out)
                fclose(cyclictest_out);
        free(loop.count);
        free(cyclic.count);
        free(rec.wake_minus_grid_ns);
        free(rec.max_latency_us);
        return EXIT_SUCCESS;
}
