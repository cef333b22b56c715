/* SPDX-License-Identifier: MIT */
/*
 * service: percussd as a service, measured from outside like systemd sees
 * it (shared/design/QUALITY.md, "idle", "CPU while running", "memory",
 * "start-up"). It runs the real build/daemon/percussd --simulate with all
 * the shipped profiles on a private dbus-daemon, a NOTIFY_SOCKET of its own
 * and WATCHDOG_USEC=5 s as the unit gives, and prints:
 *
 *   start-up   exec → READY=1, median and max of N starts (bar ≤ 100 ms);
 *   idle       voluntary and involuntary context switches of every thread
 *              (/proc/PID/task/TID/status) over IDLE seconds with nothing
 *              playing, and the WATCHDOG=1 pings received meanwhile (bar:
 *              the control thread none, the main loop only for the pings);
 *   running    CPU (/proc/PID/stat utime+stime) while the routine "manual"
 *              plays at 1 kHz for RUN seconds, as % of one core (bar ≤ 3 %),
 *              and the wake-ups per thread per second;
 *   memory     VmRSS (anonymous and file pages), VmLck, VmHWM while it
 *              plays (bar: RSS ≤ 8 MiB with memory locked), and RSS right
 *              after READY against RSS after the run and CYCLES
 *              Start/GetAll/Stop cycles (growth);
 *   SIGTERM    while playing: time until the simulated board's motor
 *              enable is off (bar: one period) and the exit status.
 *
 * Run it as root (as the unit's LimitRTPRIO=/LimitMEMLOCK= allow) so that
 * the control thread has SCHED_FIFO and locked memory, as on the device:
 *   sudo build/tests/bench/service [-n STARTS] [-i IDLE_S] [-r RUN_S] [-c CYCLES]
 * defaults 20 starts, 30 s idle, 60 s running, 200 cycles.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "drivers/sim/sim-board.h"
#include "tests/fixtures/process.h"

#define THREADS_MAX 16

struct options {
        unsigned starts, idle_s, run_s, cycles;
};

struct thread_counts {
        int tid;
        char name[32];
        unsigned long voluntary, involuntary;
        unsigned long long on_cpu_ns; /* schedstat: exact, not sampled at ticks */
};

static char dir[64], address[128], notify_path[96];
static int notify_fd = -1;
static pid_t dbus_pid;
static pthread_t reader;

static void die(const char *what)
{
        fprintf(stderr, "service: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static pid_t spawn(const char *const *argv, bool notify)
{
        pid_t pid = process_spawn(argv, notify ? &(struct spawn_env){ .notify_socket = notify_path,
                                                                        .watchdog_usec = "5000000" } :
                                                 NULL);

        if (pid < 0) {
                errno = (int)-pid;
                die(argv[0]);
        }
        return pid;
}

/* A thread reads every notification at once, as systemd does: the
 * daemon would block in sd_notify on a full queue (10 datagrams) otherwise. */
static _Atomic uint64_t ready_at_ns;    /* when the last READY=1 arrived */
static atomic_uint watchdog_pings;

static void *read_notifications(void *arg)
{
        char buf[1024];

        (void)arg;
        for (;;) {
                ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        die("recv");
                }
                buf[n] = '\0';
                if (strstr(buf, "READY=1"))
                        atomic_store(&ready_at_ns, now_ns(CLOCK_MONOTONIC));
                if (strstr(buf, "WATCHDOG=1"))
                        atomic_fetch_add(&watchdog_pings, 1);
        }
        return NULL;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static pid_t start_percussd(uint64_t *ready_ns)
{
        char state_arg[96], bus_arg[160];
        const char *argv[] = { PERCUSSD_PATH, "--simulate", state_arg, bus_arg,
                               "--profiles-dir=" PROFILES_SRC_DIR,
                               "--config=/nonexistent/percussd.conf", NULL };
        uint64_t t0;
        pid_t pid;

        snprintf(state_arg, sizeof(state_arg), "--state-dir=%s", dir);
        snprintf(bus_arg, sizeof(bus_arg), "--bus-address=%s", address);
        atomic_store(&ready_at_ns, 0);
        t0 = now_ns(CLOCK_MONOTONIC);
        pid = spawn(argv, true);
        while (!atomic_load(&ready_at_ns)) {
                if (now_ns(CLOCK_MONOTONIC) - t0 > 10000000000ull) {
                        fprintf(stderr, "service: percussd sent no READY=1 within 10 s\n");
                        exit(EXIT_FAILURE);
                }
                usleep(100);
        }
        *ready_ns = atomic_load(&ready_at_ns) - t0;
        return pid;
}

static void stop_percussd(pid_t pid)
{
        int status;

        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
}

static size_t read_threads(pid_t pid, struct thread_counts *t)
{
        char path[128], line[256];
        struct dirent *e;
        size_t n = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", pid);
        d = opendir(path);
        if (!d)
                die(path);
        while ((e = readdir(d)) && n < THREADS_MAX) {
                FILE *f;

                if (e->d_name[0] == '.')
                        continue;
                t[n] = (struct thread_counts){ .tid = atoi(e->d_name) };
                snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, t[n].tid);
                f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f)) {
                        sscanf(line, "Name:\t%31s", t[n].name);
                        sscanf(line, "voluntary_ctxt_switches:\t%lu", &t[n].voluntary);
                        sscanf(line, "nonvoluntary_ctxt_switches:\t%lu", &t[n].involuntary);
                }
                fclose(f);
                snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, t[n].tid);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (fscanf(f, "%llu", &t[n].on_cpu_ns) != 1) {
                        fprintf(stderr, "service: cannot parse %s\n", path);
                        exit(EXIT_FAILURE);
                }
                fclose(f);
                n++;
        }
        closedir(d);
        return n;
}

/* The earlier reading of the thread, NULL when it was not there yet. */
static const struct thread_counts *earlier(const struct thread_counts *before, size_t n_before,
                                           int tid)
{
        for (size_t j = 0; j < n_before; j++)
                if (before[j].tid == tid)
                        return &before[j];
        return NULL;
}

static void print_thread_deltas(pid_t pid, const struct thread_counts *before, size_t n_before,
                                const struct thread_counts *after, size_t n_after, double seconds)
{
        for (size_t i = 0; i < n_after; i++) {
                const struct thread_counts *b = earlier(before, n_before, after[i].tid);

                if (!b)
                        continue;
                printf("    %s thread %d (%s): %lu voluntary + %lu involuntary switches in %.0f s "
                       "(%.2f/s), on a CPU %.3f %% of the time\n",
                       after[i].tid == pid ? "main   " : "control", after[i].tid, after[i].name,
                       after[i].voluntary - b->voluntary, after[i].involuntary - b->involuntary,
                       seconds,
                       (double)(after[i].voluntary - b->voluntary + after[i].involuntary -
                                b->involuntary) / seconds,
                       1e-7 * (double)(after[i].on_cpu_ns - b->on_cpu_ns) / seconds);
        }
}

/* The threads' time on a CPU between the two readings, to the nanosecond:
 * /proc/PID/stat's utime+stime is sampled at the kernel's tick (250 Hz
 * here), which a 1 kHz thread can fall between or on. */
static double on_cpu_seconds(const struct thread_counts *before, size_t n_before,
                             const struct thread_counts *after, size_t n_after)
{
        unsigned long long ns = 0;

        for (size_t i = 0; i < n_after; i++) {
                const struct thread_counts *b = earlier(before, n_before, after[i].tid);

                if (b)
                        ns += after[i].on_cpu_ns - b->on_cpu_ns;
        }
        return (double)ns * 1e-9;
}

static unsigned long status_kib(pid_t pid, const char *key)
{
        long kib = process_status_kib(pid, key);

        if (kib < 0) {
                errno = (int)-kib;
                die("/proc/PID/status");
        }
        return (unsigned long)kib;
}

static double cpu_seconds(pid_t pid)
{
        char path[64], buf[1024], *p;
        unsigned long utime, stime;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof(buf), f))
                die(path);
        fclose(f);
        p = strrchr(buf, ')'); /* the command may hold blanks */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                         &stime) != 2) {
                fprintf(stderr, "service: cannot parse %s\n", path);
                exit(EXIT_FAILURE);
        }
        return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void call(sd_bus *bus, const char *method, const char *routine)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = routine ? sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_NAME, method, &error,
                                             NULL, "s", routine) :
                          sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_NAME, method, &error,
                                             NULL, "");

        if (r < 0) {
                fprintf(stderr, "service: %s: %s\n", method, error.message ? error.message : strerror(-r));
                exit(EXIT_FAILURE);
        }
}

static void get_all(sd_bus *bus)
{
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        if (sd_bus_call_method(bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", BUS_NAME) < 0) {
                fprintf(stderr, "service: GetAll: %s\n", error.message);
                exit(EXIT_FAILURE);
        }
        sd_bus_message_unref(reply);
}

/* SIGTERM while a routine plays: how long until the simulated board's
 * motor enable is off (the bar: within one period, 1 ms), and the exit. */
static void sigterm_while_running(sd_bus *bus, pid_t pid)
{
        char path[128];
        struct sim_board board;
        uint64_t t0, off_ns = 0;
        int status;

        snprintf(path, sizeof(path), "%s/%s", dir, SIM_BOARD_FILE);
        if (sim_board_open(&board, path) < 0)
                die(path);
        call(bus, "Start", "manual");
        sleep_ms(3000);
        if (!atomic_load(&board.regs->enable)) {
                fprintf(stderr, "service: the motor is not on 3 s after Start\n");
                exit(EXIT_FAILURE);
        }
        t0 = now_ns(CLOCK_MONOTONIC);
        kill(pid, SIGTERM);
        /* polled with short sleeps: a spinning poller would take a core of
         * this 2-core machine from the daemon's main thread */
        while (atomic_load(&board.regs->enable) && now_ns(CLOCK_MONOTONIC) - t0 < 2000000000ull)
                nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
        off_ns = now_ns(CLOCK_MONOTONIC) - t0;
        waitpid(pid, &status, 0);
        printf("SIGTERM while playing: motor enable off after %.2f ms (one period: 1 ms), "
               "process gone after %.2f ms, exit status %d\n",
               (double)off_ns * 1e-6, (double)(now_ns(CLOCK_MONOTONIC) - t0) * 1e-6,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        sim_board_close(&board);
}

static int compare_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

static void setup_bus(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char bus_path[96];
        struct bus_ready ready;
        int r;

        snprintf(dir, sizeof(dir), "/tmp/percussd-bench-XXXXXX");
        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(bus_path, sizeof(bus_path), "%s/bus", dir);
        snprintf(address, sizeof(address), "unix:path=%s", bus_path);
        snprintf(notify_path, sizeof(notify_path), "%s/notify", dir);
        if (bus_ready_init(&ready) < 0)
                die("pipe");
        dbus_pid = spawn((const char *const[]){ "dbus-daemon", "--session", "--nofork",
                                                "--nopidfile", "--address", address, ready.arg,
                                                NULL },
                         false);
        r = bus_ready_wait(&ready, 5000);
        if (r < 0) {
                fprintf(stderr, "service: dbus-daemon did not start listening on %s: %s\n",
                        bus_path, strerror(-r));
                exit(EXIT_FAILURE);
        }
        notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                die(notify_path);
        if (pthread_create(&reader, NULL, read_notifications, NULL) != 0)
                die("pthread_create");
}

static void cleanup(void)
{
        char cmd[128];

        if (dbus_pid > 0) {
                kill(dbus_pid, SIGTERM);
                waitpid(dbus_pid, NULL, 0);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (dir[0] && system(cmd) != 0)
                fprintf(stderr, "service: could not remove %s\n", dir);
}

static void parse_args(int argc, char *argv[], struct options *o)
{
        static const struct option options[] = {
                { "starts", required_argument, NULL, 'n' },
                { "idle", required_argument, NULL, 'i' },
                { "run", required_argument, NULL, 'r' },
                { "cycles", required_argument, NULL, 'c' },
                {}
        };
        int c;

        *o = (struct options){ .starts = 20, .idle_s = 30, .run_s = 60, .cycles = 200 };
        while ((c = getopt_long(argc, argv, "n:i:r:c:", options, NULL)) >= 0) {
                unsigned v = (unsigned)strtoul(optarg ? optarg : "0", NULL, 10);

                switch (c) {
                case 'n': o->starts = v ? v : 1; break;
                case 'i': o->idle_s = v ? v : 1; break;
                case 'r': o->run_s = v ? v : 1; break;
                case 'c': o->cycles = v; break;
                default:
                        fprintf(stderr, "Usage: service [-n STARTS] [-i IDLE_S] [-r RUN_S] [-c CYCLES]\n");
                        exit(2);
                }
        }
}

int main(int argc, char *argv[])
{
        struct thread_counts before[THREADS_MAX], after[THREADS_MAX];
        size_t n_before, n_after;
        struct options o;
        uint64_t *ready_ns, ready_median, ready_max;
        unsigned long rss_ready, rss_run, lck_run, hwm_run, rss_end;
        double cpu0, cpu1, seconds;
        unsigned pings;
        uint64_t t0;
        sd_bus *bus = NULL;
        pid_t pid;

        setvbuf(stdout, NULL, _IOLBF, 0);
        parse_args(argc, argv, &o);
        setup_bus();
        atexit(cleanup);
        printf("percussd service bench: %s, profiles %s, %s\n", PERCUSSD_PATH, PROFILES_SRC_DIR,
               geteuid() == 0 ? "as root (SCHED_FIFO, memory locked)" :
                                "NOT as root: no SCHED_FIFO, no locked memory unless limits allow");

        /* start-up: exec → READY=1, then SIGTERM; the last start stays up */
        ready_ns = calloc(o.starts, sizeof(*ready_ns));
        if (!ready_ns)
                die("calloc");
        for (unsigned i = 0;; i++) {
                pid = start_percussd(&ready_ns[i]);
                if (i + 1 == o.starts)
                        break;
                stop_percussd(pid);
        }
        qsort(ready_ns, o.starts, sizeof(*ready_ns), compare_u64);
        ready_median = ready_ns[o.starts / 2];
        ready_max = ready_ns[o.starts - 1];
        printf("start-up: exec -> READY=1 over %u starts: median %.1f ms, max %.1f ms (bar 100 ms)\n",
               o.starts, (double)ready_median * 1e-6, (double)ready_max * 1e-6);
        rss_ready = status_kib(pid, "VmRSS");

        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
            sd_bus_set_bus_client(bus, true) < 0 || sd_bus_start(bus) < 0) {
                fprintf(stderr, "service: cannot connect to %s\n", address);
                return EXIT_FAILURE;
        }

        /* idle */
        sleep_ms(1000);
        n_before = read_threads(pid, before);
        t0 = now_ns(CLOCK_MONOTONIC);
        pings = atomic_load(&watchdog_pings);
        sleep_ms(o.idle_s * 1000);
        pings = atomic_load(&watchdog_pings) - pings;
        n_after = read_threads(pid, after);
        seconds = (double)(now_ns(CLOCK_MONOTONIC) - t0) * 1e-9;
        printf("idle: %.0f s, %u WATCHDOG=1 pings received (WATCHDOG_USEC=5 s: sd-event pings every 2.5-3.75 s)\n",
               seconds, pings);
        print_thread_deltas(pid, before, n_before, after, n_after, seconds);

        /* running at 1 kHz */
        call(bus, "Start", "manual");
        sleep_ms(3000); /* past the 2 s ramp */
        n_before = read_threads(pid, before);
        cpu0 = cpu_seconds(pid);
        t0 = now_ns(CLOCK_MONOTONIC);
        sleep_ms(o.run_s * 1000);
        cpu1 = cpu_seconds(pid);
        seconds = (double)(now_ns(CLOCK_MONOTONIC) - t0) * 1e-9;
        n_after = read_threads(pid, after);
        rss_run = status_kib(pid, "VmRSS");
        lck_run = status_kib(pid, "VmLck");
        hwm_run = status_kib(pid, "VmHWM");
        printf("running: routine manual at 1 kHz for %.0f s: CPU %.2f %% of one core (bar 3 %%); "
               "by the threads' schedstat %.2f %%\n",
               seconds, 100.0 * (cpu1 - cpu0) / seconds,
               100.0 * on_cpu_seconds(before, n_before, after, n_after) / seconds);
        print_thread_deltas(pid, before, n_before, after, n_after, seconds);
        printf("memory while running: VmRSS %.2f MiB (RssAnon %.2f, RssFile %.2f: the pages of "
               "the program and its libraries it touched, each locked once touched), VmLck %.2f "
               "MiB (the locked mappings' size, touched or not), VmHWM %.2f MiB (bar: RSS 8 MiB)\n",
               (double)rss_run / 1024.0, (double)status_kib(pid, "RssAnon") / 1024.0,
               (double)status_kib(pid, "RssFile") / 1024.0, (double)lck_run / 1024.0,
               (double)hwm_run / 1024.0);
        call(bus, "Stop", NULL);

        for (unsigned i = 0; i < o.cycles; i++) {
                call(bus, "Start", "calves");
                get_all(bus);
                call(bus, "Stop", NULL);
        }
        sleep_ms(1000);
        rss_end = status_kib(pid, "VmRSS");
        printf("RSS growth: %.2f MiB after READY, %.2f MiB after the run and %u Start/GetAll/Stop "
               "cycles (%+ld KiB)\n",
               (double)rss_ready / 1024.0, (double)rss_end / 1024.0, o.cycles,
               (long)rss_end - (long)rss_ready);

        sigterm_while_running(bus, pid);
        sd_bus_flush_close_unref(bus);
        free(ready_ns);
        return EXIT_SUCCESS;
}
