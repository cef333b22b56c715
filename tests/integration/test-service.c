/* SPDX-License-Identifier: MIT */
/*
 * percussd started as systemd starts it: a NOTIFY_SOCKET the test listens
 * on and WATCHDOG_USEC. READY=1, STATUS= lines that follow the session,
 * WATCHDOG=1 pings; SIGTERM while running stops the motor and writes the
 * session; after kill -9 the simulated board still drives the motor until
 * `percussd --safe-stop` (the unit's ExecStopPost=) forces it off.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
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

#include "tests/fixtures/bus-ready.h"
#include "tests/fixtures/check-main.h"
#include "daemon/session/history.h"
#include "tests/fixtures/open-fds.h"
#include "drivers/sim/sim-board.h"

#define BUS_NAME "io.percussd.Massager1"
#define BUS_PATH "/io/percussd/Massager1"
#define WATCHDOG_USEC "100000"

struct service {
        char dir[64];
        char address[128];
        char board_path[96];
        pid_t dbus_pid, percussd_pid;
        int notify_fd;
        sd_bus *bus;
};

static struct service svc;

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static pid_t spawn(const char *const *argv, const char *notify_socket)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (notify_socket) {
                        setenv("NOTIFY_SOCKET", notify_socket, 1);
                        setenv("WATCHDOG_USEC", WATCHDOG_USEC, 1);
                } else
                        unsetenv("NOTIFY_SOCKET");
                unsetenv("WATCHDOG_PID");
                execvp(argv[0], (char *const *)argv);
                fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        return pid;
}

/* systemd reads every notification at once; so must the test, or the
 * daemon blocks in sd_notify once the socket's queue (net.unix.max_dgram_qlen,
 * 10) is full. A thread keeps them all, in order. */
#define NOTIFICATIONS_MAX 4096
static struct {
        pthread_mutex_t lock;
        pthread_t thread;
        char *text[NOTIFICATIONS_MAX];
        unsigned count;         /* received */
        unsigned read;          /* looked at by the test */
        atomic_bool stop;
} log_ = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *read_notifications(void *arg)
{
        char buf[1024];
        ssize_t n;

        (void)arg;
        while (!atomic_load(&log_.stop)) {
                struct pollfd pfd = { .fd = svc.notify_fd, .events = POLLIN };

                if (poll(&pfd, 1, 50) <= 0)
                        continue;
                n = recv(svc.notify_fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        break;
                buf[n] = '\0';
                pthread_mutex_lock(&log_.lock);
                if (log_.count < NOTIFICATIONS_MAX)
                        log_.text[log_.count++] = strdup(buf);
                pthread_mutex_unlock(&log_.lock);
        }
        return NULL;
}

/* The next notification not looked at yet, within timeout_ms, into buf. */
static bool next_notification(char *buf, size_t size, int timeout_ms)
{
        long deadline = now_ms() + timeout_ms;

        for (;;) {
                bool got = false;

                pthread_mutex_lock(&log_.lock);
                if (log_.read < log_.count) {
                        snprintf(buf, size, "%s", log_.text[log_.read++]);
                        got = true;
                }
                pthread_mutex_unlock(&log_.lock);
                if (got)
                        return true;
                if (now_ms() >= deadline)
                        return false;
                usleep(2000);
        }
}

/* Waits for a notification holding `what`; counts the WATCHDOG=1 seen on the way. */
static bool wait_notification(const char *what, int timeout_ms, unsigned *pings, char *seen,
                              size_t seen_size)
{
        long deadline = now_ms() + timeout_ms;
        char buf[1024];

        while (now_ms() < deadline) {
                if (!next_notification(buf, sizeof(buf), (int)(deadline - now_ms())))
                        continue;
                if (pings && strstr(buf, "WATCHDOG=1"))
                        (*pings)++;
                if (strstr(buf, what)) {
                        if (seen)
                                snprintf(seen, seen_size, "%s", buf);
                        return true;
                }
        }
        return false;
}

static const char *const *percussd_argv(bool safe_stop)
{
        static char state_arg[96], bus_arg[160], config_arg[128];
        static const char *argv[12];
        size_t n = 0;
        FILE *config;

        snprintf(state_arg, sizeof(state_arg), "--state-dir=%s", svc.dir);
        snprintf(bus_arg, sizeof(bus_arg), "--bus-address=%s", svc.address);
        snprintf(config_arg, sizeof(config_arg), "--config=%s/percussd.conf", svc.dir);
        /* the defaults, whatever the machine's /etc holds, but for the
         * overrun streak, as the daemon fixture's: where SCHED_FIFO is
         * refused, on a loaded machine, five late periods in a row came,
         * the loop faulted "overrun" and the crank never reached its speed;
         * the machine's scheduling is not on trial here */
        config = fopen(config_arg + strlen("--config="), "we");
        ck_assert_ptr_nonnull(config);
        fputs("[Safety]\nOverrunStreak=100\n", config);
        ck_assert_int_eq(fclose(config), 0);
        argv[n++] = PERCUSSD_PATH;
        argv[n++] = "--simulate";
        argv[n++] = state_arg;
        argv[n++] = config_arg;
        if (safe_stop)
                argv[n++] = "--safe-stop";
        else {
                argv[n++] = bus_arg;
                argv[n++] = "--profiles-dir=" PROFILES_SRC_DIR;
        }
        argv[n] = NULL;
        return argv;
}

static void setup(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char bus_path[96], notify_path[96];
        struct bus_ready ready;
        int r;

        memset(&svc, 0, sizeof(svc));
        snprintf(svc.dir, sizeof(svc.dir), "/tmp/percussd-service-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(svc.dir));
        snprintf(bus_path, sizeof(bus_path), "%s/bus", svc.dir);
        snprintf(notify_path, sizeof(notify_path), "%s/notify", svc.dir);
        snprintf(svc.board_path, sizeof(svc.board_path), "%s/%s", svc.dir, SIM_BOARD_FILE);
        snprintf(svc.address, sizeof(svc.address), "unix:path=%s", bus_path);

        ck_assert_int_eq(bus_ready_init(&ready), 0);
        svc.dbus_pid = spawn((const char *const[]){ "dbus-daemon", "--session", "--nofork",
                                                    "--nopidfile", "--address", svc.address,
                                                    ready.arg, NULL },
                             NULL);
        r = bus_ready_wait(&ready, 5000);
        ck_assert_msg(r == 0, "dbus-daemon did not start listening: %s", strerror(-r));

        svc.notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(svc.notify_fd, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        ck_assert_int_eq(bind(svc.notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        ck_assert_int_eq(pthread_create(&log_.thread, NULL, read_notifications, NULL), 0);
        svc.percussd_pid = spawn(percussd_argv(false), notify_path);

        r = sd_bus_new(&svc.bus);
        if (r >= 0)
                r = sd_bus_set_address(svc.bus, svc.address);
        if (r >= 0)
                r = sd_bus_set_bus_client(svc.bus, true);
        if (r >= 0)
                r = sd_bus_start(svc.bus);
        ck_assert_msg(r >= 0, "connecting to %s: %s", svc.address, strerror(-r));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st, (void)type, (void)ftw;
        remove(path);
        return 0;
}

static void kill_and_reap(pid_t *pid)
{
        if (*pid > 0) {
                kill(*pid, SIGKILL);
                waitpid(*pid, NULL, 0);
        }
        *pid = 0;
}

static void teardown(void)
{
        svc.bus = sd_bus_flush_close_unref(svc.bus);
        kill_and_reap(&svc.percussd_pid);
        kill_and_reap(&svc.dbus_pid);
        atomic_store(&log_.stop, true);
        pthread_join(log_.thread, NULL);
        close(svc.notify_fd);
        for (unsigned i = 0; i < log_.count; i++)
                free(log_.text[i]);
        log_.count = log_.read = 0;
        atomic_store(&log_.stop, false);
        nftw(svc.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void call(const char *method, const char *routine)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = routine ? sd_bus_call_method(svc.bus, BUS_NAME, BUS_PATH, BUS_NAME, method, &error,
                                         NULL, "s", routine) :
                      sd_bus_call_method(svc.bus, BUS_NAME, BUS_PATH, BUS_NAME, method, &error,
                                         NULL, "");
        ck_assert_msg(r >= 0, "%s: %s", method, error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
}

static double speed_ppm(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        double v = 0;

        ck_assert_int_ge(sd_bus_get_property_trivial(svc.bus, BUS_NAME, BUS_PATH, BUS_NAME, "Speed",
                                                     &error, 'd', &v),
                         0);
        return v;
}

/* Plays calves until the crank turns at speed: the board drives the motor. */
static void spin_up(void)
{
        long deadline;

        call("Start", "calves");
        for (deadline = now_ms() + 5000; speed_ppm() < 1000.0;) {
                if (now_ms() >= deadline) {
                        char *fault = NULL;

                        (void)sd_bus_get_property_string(svc.bus, BUS_NAME, BUS_PATH, BUS_NAME,
                                                         "FaultMessage", NULL, &fault);
                        ck_abort_msg("the crank did not reach 1000 ppm in 5 s (fault: %s)",
                                     fault && *fault ? fault : "none");
                }
                usleep(50000);
        }
}

static void play_until_spinning(void)
{
        ck_assert(wait_notification("READY=1", 10000, NULL, NULL, 0));
        spin_up();
}

static int wait_exit(pid_t *pid, int timeout_ms)
{
        long deadline = now_ms() + timeout_ms;
        int status;

        while (waitpid(*pid, &status, WNOHANG) == 0) {
                if (now_ms() > deadline)
                        return -1;
                usleep(2000);
        }
        *pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(test_ready_status_and_watchdog)
{
        char status[1024];
        unsigned pings = 0;
        long since;

        ck_assert_msg(wait_notification("READY=1", 10000, &pings, NULL, 0), "no READY=1");
        ck_assert_msg(wait_notification("STATUS=", 1000, &pings, status, sizeof(status)),
                      "no STATUS= after READY=1");
        ck_assert_msg(strstr(status, "STATUS=Idle, 7 routines loaded, simulated gun."),
                      "status \"%s\"", status);

        /* sd-event pings at half of WATCHDOG_USEC (100 ms): about 20 in a second */
        pings = 0;
        since = now_ms();
        while (now_ms() - since < 1000)
                if (next_notification(status, sizeof(status), 100) && strstr(status, "WATCHDOG=1"))
                        pings++;
        ck_assert_msg(pings >= 5, "%u WATCHDOG=1 in a second with WATCHDOG_USEC=" WATCHDOG_USEC,
                      pings);
}
END_TEST

START_TEST(test_status_follows_the_session)
{
        char status[1024];

        ck_assert(wait_notification("READY=1", 10000, NULL, NULL, 0));
        call("Start", "calves");
        ck_assert(wait_notification("STATUS=Playing", 2000, NULL, status, sizeof(status)));
        ck_assert_msg(strstr(status, "STATUS=Playing calves, step 1 of 2: calves, left."),
                      "status \"%s\"", status);
        call("Pause", NULL);
        ck_assert(wait_notification("STATUS=Paused", 2000, NULL, status, sizeof(status)));
        ck_assert_msg(strstr(status, "STATUS=Paused in calves, step 1 of 2"), "status \"%s\"", status);
        call("Stop", NULL);
        ck_assert(wait_notification("STATUS=Idle", 2000, NULL, NULL, 0));
}
END_TEST

/* How many of the daemon's descriptors are open on path. */
static int daemon_fds_on(const char *path)
{
        int n = open_fds_on(svc.percussd_pid, path);

        ck_assert_msg(n >= 0, "/proc/%d/fd: %s", svc.percussd_pid, strerror(-n));
        return n;
}

/* The PM QoS request (percussd.conf(5), WakeLatency=) lives as long as the
 * motor is asked to run. Without write access to the device (not root) the
 * daemon cannot hold it and plays anyway. */
START_TEST(test_cpu_latency_is_held_while_the_motor_runs)
{
        const char *qos = "/dev/cpu_dma_latency";
        int held = access(qos, W_OK) == 0;

        ck_assert(wait_notification("READY=1", 10000, NULL, NULL, 0));
        ck_assert_int_eq(daemon_fds_on(qos), 0);
        spin_up();
        ck_assert_msg(daemon_fds_on(qos) == held, "%d descriptors on %s while playing, want %d",
                      daemon_fds_on(qos), qos, held);
        call("Stop", NULL);
        ck_assert(wait_notification("STATUS=Idle", 2000, NULL, NULL, 0));
        ck_assert_int_eq(daemon_fds_on(qos), 0);
        spin_up();
        ck_assert_int_eq(daemon_fds_on(qos), held);
}
END_TEST

START_TEST(test_sigterm_stops_motor_writes_session_exits_0)
{
        struct sim_board board;
        struct history *h;
        struct history_entry *entries = NULL;
        size_t n = 0;
        char status[1024];

        play_until_spinning();
        ck_assert_int_eq(sim_board_open(&board, svc.board_path), 0);
        ck_assert(sim_board_motor_enabled(&board, now_ns()));

        kill(svc.percussd_pid, SIGTERM);
        ck_assert(wait_notification("STOPPING=1", 2000, NULL, status, sizeof(status)));
        ck_assert_int_eq(wait_exit(&svc.percussd_pid, 3000), 0);
        /* off by the daemon itself, not by a lease running out */
        ck_assert(!atomic_load(&board.regs->enable));
        ck_assert(atomic_load(&board.regs->duty) == 0.0);
        sim_board_close(&board);

        snprintf(status, sizeof(status), "%s/history.sqlite", svc.dir);
        ck_assert_int_eq(history_open(status, &h), 0);
        ck_assert_int_eq(history_list(h, 5, &entries, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(entries[0].routine, "calves");
        ck_assert_double_gt(entries[0].seconds, 0.0);
        free(entries);
        history_close(h);
}
END_TEST

START_TEST(test_safe_stop_after_kill_9)
{
        struct sim_board board;
        pid_t safe_stop;

        play_until_spinning();
        ck_assert_int_eq(sim_board_open(&board, svc.board_path), 0);
        kill(svc.percussd_pid, SIGKILL);
        ck_assert_int_eq(wait_exit(&svc.percussd_pid, 3000), 128 + SIGKILL);

        /* the outputs stay as the dead daemon left them … */
        ck_assert(atomic_load(&board.regs->enable));
        ck_assert_double_gt(atomic_load(&board.regs->duty), 0.1);
        /* … and the board's own enable lease ends without refreshes */
        usleep((useconds_t)(SIM_ENABLE_HOLD_NS / 1000) + 10000);
        ck_assert(!sim_board_motor_enabled(&board, now_ns()));

        safe_stop = spawn(percussd_argv(true), NULL);
        ck_assert_int_eq(wait_exit(&safe_stop, 5000), 0);
        ck_assert(!atomic_load(&board.regs->enable));
        ck_assert(atomic_load(&board.regs->duty) == 0.0);
        ck_assert(atomic_load(&board.regs->stroke_position) == 0.0);
        sim_board_close(&board);
}
END_TEST

START_TEST(test_safe_stop_without_state_dir_fails_loudly)
{
        pid_t pid;
        const char *argv[] = { PERCUSSD_PATH, "--simulate", "--safe-stop",
                               "--state-dir=/nonexistent/percussd",
                               "--config=/nonexistent/percussd.conf", NULL };

        /* the board file cannot be reached: the simulated outputs are gone
         * with it, yet a safe-stop that stops nothing must not say it did */
        pid = spawn(argv, NULL);
        ck_assert_int_ne(wait_exit(&pid, 5000), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("service");
        TCase *tc = tcase_create("notify");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_ready_status_and_watchdog);
        tcase_add_test(tc, test_status_follows_the_session);
        tcase_add_test(tc, test_cpu_latency_is_held_while_the_motor_runs);
        tcase_add_test(tc, test_sigterm_stops_motor_writes_session_exits_0);
        tcase_add_test(tc, test_safe_stop_after_kill_9);
        tcase_add_test(tc, test_safe_stop_without_state_dir_fails_loudly);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
