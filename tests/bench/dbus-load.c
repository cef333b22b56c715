/* SPDX-License-Identifier: MIT */
/*
 * dbus-load: percussd's D-Bus interface under load, against the bars of
 * shared/design/QUALITY.md ("D-Bus"), all on one private dbus-daemon:
 *
 * 1. GetAll throughput and latency for one client: percussd --simulate
 *    (idle) side by side with a trivial sd-bus service of 30 `d`
 *    properties (this program, forked), one call to each in turn so that
 *    both see the same machine at the same moment. Bar: percussd ≥ 0.9 ×
 *    the reference's calls/s, p99 ≤ 1.2 × the reference's p99. Also each
 *    server's main-thread CPU time per call (schedstat), steadier than
 *    the wall clock on a shared machine.
 * 2. Unloaded: a fresh percussd plays the routine `manual` (open-ended)
 *    for D seconds; the loop's Overruns and MaxLatency, the daemon's RSS.
 * 3. Loaded: the same with C clients, each on its own connection,
 *    subscribed to every signal of percussd and calling GetAll back to
 *    back, plus one more client subscribed to everything that never reads
 *    its socket. Bar: 0 overruns, MaxLatency ≤ 1.1 × the unloaded run's,
 *    RSS bounded, the routine still running at the end.
 *
 * MaxLatency is the worst wake-up of the control loop since the daemon
 * started, so each run has its own daemon. The machine's other load
 * weighs on both runs alike only when it is steady: compare runs made
 * together, and repeat them (-r alternates unloaded and loaded runs).
 *
 * Usage: dbus-load [-D SECONDS] [-c CLIENTS] [-n CALLS] [-r ROUNDS]
 *   -D, --duration  seconds of each of runs 2 and 3 (60)
 *   -c, --clients   flooding clients in run 3 (10)
 *   -n, --calls     GetAll calls to each service in part 1 (20000)
 *   -r, --rounds    pairs of runs 2 and 3, one after the other (1)
 * Example: build/tests/bench/dbus-load -D 60
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "common/time-util.h"
#include "tests/fixtures/bus-ready.h"
#include "tests/fixtures/process.h"

#define REF_NAME "io.percussd.BenchReference"
#define REF_PATH "/io/percussd/BenchReference"
#define REF_INTERFACE "io.percussd.BenchReference"

struct service {
        const char *label, *name, *path, *interface;
};

static const struct service percussd_service = { "percussd", BUS_NAME, BUS_PATH, BUS_INTERFACE };
static const struct service reference_service = { "reference (30 d)", REF_NAME, REF_PATH,
                                                  REF_INTERFACE };

static char dir[64], address[128];

static void die(const char *what, int r)
{
        fprintf(stderr, "dbus-load: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

static pid_t spawn(const char *const *argv, const char *notify_socket)
{
        pid_t pid = process_spawn(argv, &(struct spawn_env){ .notify_socket = notify_socket });

        if (pid < 0)
                die(argv[0], (int)pid);
        return pid;
}

static void stop_process(pid_t pid)
{
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
}

static sd_bus *connect_bus(void)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                die(address, r);
        return bus;
}

/* The reference: nothing but 30 double properties, served by sd-bus's
 * own getter straight from memory. */
struct reference {
        double value[30];
};

#define P(i) SD_BUS_PROPERTY("P" #i, "d", NULL, offsetof(struct reference, value[i]), 0)
static const sd_bus_vtable reference_vtable[] = {
        SD_BUS_VTABLE_START(0),
        P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9),
        P(10), P(11), P(12), P(13), P(14), P(15), P(16), P(17), P(18), P(19),
        P(20), P(21), P(22), P(23), P(24), P(25), P(26), P(27), P(28), P(29),
        SD_BUS_VTABLE_END,
};

static void serve_reference(void)
{
        struct reference reference;
        sd_bus *bus = connect_bus();
        int r;

        for (size_t i = 0; i < 30; i++)
                reference.value[i] = 1000.0 + (double)i / 7.0;
        r = sd_bus_add_object_vtable(bus, NULL, REF_PATH, REF_INTERFACE, reference_vtable,
                                     &reference);
        if (r >= 0)
                r = sd_bus_request_name(bus, REF_NAME, 0);
        if (r < 0)
                die("reference service", r);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        _exit(0);
                if (r == 0)
                        sd_bus_wait(bus, UINT64_MAX);
        }
}

static pid_t start_reference(void)
{
        pid_t pid = fork();

        if (pid < 0)
                die("fork", errno);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                serve_reference();
        }
        return pid;
}

static void wait_for_ready(int notify_fd)
{
        uint64_t deadline = now_ns(CLOCK_MONOTONIC) + 10000000000u;
        char buf[512];

        for (;;) {
                struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
                ssize_t n;

                if (now_ns(CLOCK_MONOTONIC) > deadline) {
                        fprintf(stderr, "dbus-load: percussd sent no READY=1 within 10 s\n");
                        exit(1);
                }
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        die("recv NOTIFY_SOCKET", errno);
                buf[n] = '\0';
                if (strstr(buf, "READY=1"))
                        return;
        }
}

/* A fresh percussd with its own state directory, run number `run`. */
static pid_t start_percussd(unsigned run)
{
        char state_dir[96], notify_path[96], config_path[128];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int notify_fd;
        pid_t pid;

        snprintf(state_dir, sizeof(state_dir), "%s/state-%u", dir, run);
        snprintf(notify_path, sizeof(notify_path), "%s/notify-%u", dir, run);
        snprintf(config_path, sizeof(config_path), "%s/none.conf", dir);
        if (mkdir(state_dir, 0700) < 0)
                die(state_dir, errno);
        notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                die(notify_path, errno);
        pid = spawn((const char *const[]){ PERCUSSD_PATH, "--simulate", "--bus-address", address,
                                           "--profiles-dir", PROFILES_SRC_DIR, "--state-dir",
                                           state_dir, "--config", config_path, NULL },
                    notify_path);
        wait_for_ready(notify_fd);
        close(notify_fd);
        return pid;
}

/* One GetAll; its round trip in ns, or 0 on an error. */
static uint64_t get_all(sd_bus *bus, const struct service *s)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint64_t start = now_ns(CLOCK_MONOTONIC), took;
        int r;

        r = sd_bus_call_method(bus, s->name, s->path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", s->interface);
        took = now_ns(CLOCK_MONOTONIC) - start;
        if (r < 0) {
                fprintf(stderr, "dbus-load: GetAll on %s: %s\n", s->name,
                        error.message ? error.message : strerror(-r));
                took = 0;
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return took;
}

struct samples {
        uint64_t *ns;
        size_t count, size;
        uint64_t busy_ns;       /* time spent inside the calls */
        unsigned errors;
};

static void samples_add(struct samples *s, uint64_t ns)
{
        if (ns == 0) {
                s->errors++;
                return;
        }
        if (s->count == s->size) {
                s->size = s->size ? 2 * s->size : 4096;
                s->ns = realloc(s->ns, s->size * sizeof(*s->ns));
                if (!s->ns)
                        die("realloc", ENOMEM);
        }
        s->ns[s->count++] = ns;
        s->busy_ns += ns;
}

static int compare_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return (x > y) - (x < y);
}

static double percentile_us(struct samples *s, double p)
{
        size_t i;

        if (s->count == 0)
                return NAN;
        qsort(s->ns, s->count, sizeof(*s->ns), compare_u64);
        i = (size_t)ceil(p * (double)s->count) - 1;
        return (double)s->ns[i < s->count ? i : s->count - 1] / 1000.0;
}

static double calls_per_s(const struct samples *s)
{
        return s->busy_ns ? (double)s->count * 1e9 / (double)s->busy_ns : 0.0;
}

/* CPU time of a process's main thread so far, ns: less shaken by the
 * machine's other load than the wall clock. */
static uint64_t main_thread_cpu_ns(pid_t pid)
{
        char path[64];
        unsigned long long ns = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)pid);
        f = fopen(path, "re");
        if (!f || fscanf(f, "%llu", &ns) != 1)
                die(path, errno ? errno : EIO);
        fclose(f);
        return ns;
}

static void one_client(unsigned calls, pid_t reference_pid, pid_t percussd_pid)
{
        struct samples reference = {0}, percussd = {0};
        sd_bus *bus = connect_bus();
        double ref_rate, rate, ref_p99, p99, ref_cpu_us, cpu_us;
        uint64_t ref_cpu_ns, cpu_ns;

        /* warm both up: connections, caches, the CPU's frequency */
        for (unsigned i = 0; i < 500; i++) {
                get_all(bus, &reference_service);
                get_all(bus, &percussd_service);
        }
        ref_cpu_ns = main_thread_cpu_ns(reference_pid);
        cpu_ns = main_thread_cpu_ns(percussd_pid);
        for (unsigned i = 0; i < calls; i++) {
                samples_add(&reference, get_all(bus, &reference_service));
                samples_add(&percussd, get_all(bus, &percussd_service));
        }
        ref_cpu_us = (double)(main_thread_cpu_ns(reference_pid) - ref_cpu_ns) / 1000.0 / calls;
        cpu_us = (double)(main_thread_cpu_ns(percussd_pid) - cpu_ns) / 1000.0 / calls;
        ref_rate = calls_per_s(&reference);
        rate = calls_per_s(&percussd);
        ref_p99 = percentile_us(&reference, 0.99);
        p99 = percentile_us(&percussd, 0.99);
        printf("GetAll, one client, %u calls each, one to each service in turn (percussd idle):\n",
               calls);
        printf("  %-18s %10s %10s %10s %8s %14s\n", "", "calls/s", "p50 µs", "p99 µs", "errors",
               "server CPU µs");
        printf("  %-18s %10.0f %10.1f %10.1f %8u %14.1f\n", reference_service.label, ref_rate,
               percentile_us(&reference, 0.5), ref_p99, reference.errors, ref_cpu_us);
        printf("  %-18s %10.0f %10.1f %10.1f %8u %14.1f\n", percussd_service.label, rate,
               percentile_us(&percussd, 0.5), p99, percussd.errors, cpu_us);
        printf("  percussd/reference: calls/s %.2f × (bar ≥ 0.90: %s), p99 %.2f × (bar ≤ 1.20: %s)\n\n",
               rate / ref_rate, rate >= 0.9 * ref_rate ? "met" : "NOT met", p99 / ref_p99,
               p99 <= 1.2 * ref_p99 ? "met" : "NOT met");
        fflush(stdout);
        free(reference.ns);
        free(percussd.ns);
        sd_bus_flush_close_unref(bus);
}

struct flooder {
        pthread_t thread;
        uint64_t deadline_ns;
        struct samples samples;
        unsigned long signals;
};

static int count_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)m, (void)error;
        ((struct flooder *)userdata)->signals++;
        return 0;
}

static void *flood(void *userdata)
{
        struct flooder *f = userdata;
        sd_bus *bus = connect_bus();
        int r;

        r = sd_bus_add_match(bus, NULL, "type='signal',sender='" BUS_NAME "'", count_signal, f);
        if (r < 0)
                die("AddMatch", r);
        while (now_ns(CLOCK_MONOTONIC) < f->deadline_ns) {
                samples_add(&f->samples, get_all(bus, &percussd_service));
                /* the signals that came in meanwhile, as an app reads them */
                while (sd_bus_process(bus, NULL) > 0)
                        ;
        }
        sd_bus_flush_close_unref(bus);
        return NULL;
}

struct run {
        double overruns, max_latency_us;
        long rss_before_kib, rss_after_kib;
        char state[32];
        double calls_per_s, p99_us;
        unsigned long signals_per_client;
        unsigned errors;
};

static double get_number(sd_bus *bus, const char *property, char type)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t t = 0;
        uint32_t u = 0;
        int r;

        if (type == 't')
                r = sd_bus_get_property_trivial(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, property,
                                                &error, 't', &t);
        else
                r = sd_bus_get_property_trivial(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, property,
                                                &error, 'u', &u);
        if (r < 0)
                die(property, r);
        return type == 't' ? (double)t : (double)u;
}

static void play(unsigned run_number, unsigned seconds, unsigned clients, struct run *out)
{
        pid_t percussd = start_percussd(run_number);
        sd_bus *bus = connect_bus(), *lazy = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct flooder *flooders = calloc(clients ? clients : 1, sizeof(*flooders));
        struct samples all = {0};
        uint64_t deadline;
        char *state = NULL;
        int r;

        out->rss_before_kib = process_status_kib(percussd, "VmRSS");
        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Start", &error, NULL, "s",
                               "manual");
        if (r < 0) {
                fprintf(stderr, "dbus-load: Start manual: %s\n", error.message);
                exit(1);
        }
        deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)seconds * 1000000000u;
        if (clients) {
                /* subscribed to everything, and never reads a byte */
                lazy = connect_bus();
                r = sd_bus_add_match(lazy, NULL, "type='signal',sender='" BUS_NAME "'", NULL, NULL);
                if (r < 0)
                        die("AddMatch", r);
        }
        for (unsigned i = 0; i < clients; i++) {
                flooders[i].deadline_ns = deadline;
                r = pthread_create(&flooders[i].thread, NULL, flood, &flooders[i]);
                if (r)
                        die("pthread_create", r);
        }
        while (now_ns(CLOCK_MONOTONIC) < deadline)
                usleep(100000);
        out->signals_per_client = 0;
        out->errors = 0;
        for (unsigned i = 0; i < clients; i++) {
                pthread_join(flooders[i].thread, NULL);
                for (size_t k = 0; k < flooders[i].samples.count; k++)
                        samples_add(&all, flooders[i].samples.ns[k]);
                out->errors += flooders[i].samples.errors;
                out->signals_per_client += flooders[i].signals / clients;
                free(flooders[i].samples.ns);
        }
        out->calls_per_s = (double)all.count / seconds;
        out->p99_us = percentile_us(&all, 0.99);
        free(all.ns);
        free(flooders);

        r = sd_bus_get_property_string(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "State", &error,
                                       &state);
        if (r < 0)
                die("State", r);
        snprintf(out->state, sizeof(out->state), "%s", state);
        free(state);
        out->overruns = get_number(bus, "Overruns", 't');
        out->max_latency_us = get_number(bus, "MaxLatency", 'u');
        out->rss_after_kib = process_status_kib(percussd, "VmRSS");
        sd_bus_close_unref(lazy);
        sd_bus_flush_close_unref(bus);
        stop_process(percussd);
}

/* Runs 2 and 3, and their table. */
static void play_pair(unsigned round, unsigned seconds, unsigned clients)
{
        struct run unloaded, loaded;

        play(1 + 2 * round, seconds, 0, &unloaded);
        play(2 + 2 * round, seconds, clients, &loaded);
        if (round > 0)
                printf("\n");
        printf("  %-28s %12s %12s\n", "", "unloaded", "loaded");
        printf("  %-28s %12s %12.0f\n", "GetAll calls/s (all clients)", "-", loaded.calls_per_s);
        printf("  %-28s %12s %12.1f\n", "GetAll p99 µs", "-", loaded.p99_us);
        printf("  %-28s %12s %12u\n", "GetAll errors", "-", loaded.errors);
        printf("  %-28s %12s %12lu\n", "signals seen per client", "-", loaded.signals_per_client);
        printf("  %-28s %12.0f %12.0f\n", "Overruns", unloaded.overruns, loaded.overruns);
        printf("  %-28s %12.0f %12.0f\n", "MaxLatency µs", unloaded.max_latency_us,
               loaded.max_latency_us);
        printf("  %-28s %12ld %12ld\n", "RSS before kB", unloaded.rss_before_kib,
               loaded.rss_before_kib);
        printf("  %-28s %12ld %12ld\n", "RSS after kB", unloaded.rss_after_kib,
               loaded.rss_after_kib);
        printf("  %-28s %12s %12s\n", "State at the end", unloaded.state, loaded.state);
        printf("  loaded/unloaded MaxLatency %.2f × (bar ≤ 1.10: %s); overruns under load: %.0f "
               "(bar 0: %s)\n",
               loaded.max_latency_us / unloaded.max_latency_us,
               loaded.max_latency_us <= 1.1 * unloaded.max_latency_us ? "met" : "NOT met",
               loaded.overruns, loaded.overruns == 0 ? "met" : "NOT met");
        fflush(stdout);
}

static int parse_unsigned(const char *option, const char *value, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-' || v == 0 || v > 100000) {
                fprintf(stderr, "dbus-load: %s %s: expected a whole number from 1 to 100000.\n",
                        option, value);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st, (void)type, (void)ftw;
        remove(path);
        return 0;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "duration", required_argument, NULL, 'D' },
                { "clients", required_argument, NULL, 'c' },
                { "calls", required_argument, NULL, 'n' },
                { "rounds", required_argument, NULL, 'r' },
                {},
        };
        unsigned seconds = 60, clients = 10, calls = 20000, rounds = 1;
        pid_t dbus, reference;
        char bus_path[96];
        struct bus_ready ready;
        int r;
        int c;

        while ((c = getopt_long(argc, argv, "D:c:n:r:", options, NULL)) >= 0) {
                r = 0;
                if (c == 'D')
                        r = parse_unsigned("--duration", optarg, &seconds);
                else if (c == 'c')
                        r = parse_unsigned("--clients", optarg, &clients);
                else if (c == 'n')
                        r = parse_unsigned("--calls", optarg, &calls);
                else if (c == 'r')
                        r = parse_unsigned("--rounds", optarg, &rounds);
                else
                        return 2;
                if (r < 0)
                        return 2;
        }

        snprintf(dir, sizeof(dir), "/tmp/percussd-dbus-load-XXXXXX");
        if (!mkdtemp(dir))
                die("mkdtemp", errno);
        snprintf(bus_path, sizeof(bus_path), "%s/bus", dir);
        snprintf(address, sizeof(address), "unix:path=%s", bus_path);
        if (bus_ready_init(&ready) < 0)
                die("pipe", errno);
        dbus = spawn((const char *const[]){ "dbus-daemon", "--session", "--nofork", "--nopidfile",
                                            "--address", address, ready.arg, NULL },
                     NULL);
        r = bus_ready_wait(&ready, 5000);
        if (r < 0) {
                fprintf(stderr, "dbus-load: dbus-daemon did not start listening on %s: %s\n",
                        bus_path, strerror(-r));
                return 1;
        }

        reference = start_reference();
        {
                pid_t percussd = start_percussd(0);

                one_client(calls, reference, percussd);
                stop_process(percussd);
        }
        stop_process(reference);

        printf("Routine manual for %u s; loaded: %u clients flooding GetAll and subscribed to\n"
               "every signal, and one more subscribed that never reads:\n", seconds, clients);
        fflush(stdout);
        for (unsigned round = 0; round < rounds; round++)
                play_pair(round, seconds, clients);

        stop_process(dbus);
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        return 0;
}
