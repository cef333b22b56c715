/* SPDX-License-Identifier: MIT */
/*
 * percussd started as systemd starts it: a NOTIFY_SOCKET the test listens
 * on and WATCHDOG_USEC (tests/fixtures/daemon-fixture.c's service
 * variant). READY=1, STATUS= lines that follow the session, WATCHDOG=1
 * pings; SIGTERM while running stops the motor and writes the session;
 * after kill -9 the simulated board still drives the motor until
 * `percussd --safe-stop` (the unit's ExecStopPost=) forces it off.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time-util.h"
#include "daemon/session/history.h"
#include "drivers/sim/sim-board.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"
#include "tests/fixtures/open-fds.h"

#define WATCHDOG_USEC "100000"

static struct daemon_fixture fixture;
static char board_path[128];

static void setup(void)
{
        daemon_fixture_start_service(&fixture, WATCHDOG_USEC);
        snprintf(board_path, sizeof(board_path), "%s/%s", fixture.dir, SIM_BOARD_FILE);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static void call(const char *method, const char *routine)
{
        char *message = NULL;
        int r = fixture_call(&fixture, method, routine, NULL, &message);

        ck_assert_msg(r >= 0, "%s: %s", method, message ? message : strerror(-r));
        free(message);
}

static bool wait_notification(const char *what, int timeout_ms, unsigned *pings, char *seen,
                              size_t seen_size)
{
        return fixture_wait_notification(&fixture, what, timeout_ms, pings, seen, seen_size);
}

/* Plays calves until the crank turns at speed: the board drives the motor.
 * A fault on the way is named rather than waited out. */
static void spin_up(void)
{
        long deadline;

        call("Start", "calves");
        for (deadline = fixture_now_ms() + 5000; fixture_get_double(&fixture, "Speed") < 1000.0;) {
                char *fault = fixture_get_string(&fixture, "FaultMessage");

                ck_assert_msg(!*fault, "fault while spinning up: %s", fault);
                free(fault);
                ck_assert_msg(fixture_now_ms() < deadline, "the crank did not reach 1000 ppm in 5 s");
                usleep(50000);
        }
}

START_TEST(test_ready_status_and_watchdog)
{
        char status[1024];
        unsigned pings = 0;
        long since;

        ck_assert_msg(wait_notification("STATUS=", 1000, &pings, status, sizeof(status)),
                      "no STATUS= after READY=1");
        ck_assert_msg(strstr(status, "STATUS=Idle, 7 routines loaded, simulated gun."),
                      "status \"%s\"", status);

        /* sd-event pings at half of WATCHDOG_USEC (100 ms): about 20 in a second */
        pings = 0;
        since = fixture_now_ms();
        while (fixture_now_ms() - since < 1000)
                if (wait_notification("WATCHDOG=1", 100, NULL, NULL, 0))
                        pings++;
        ck_assert_msg(pings >= 5, "%u WATCHDOG=1 in a second with WATCHDOG_USEC=" WATCHDOG_USEC,
                      pings);
}
END_TEST

START_TEST(test_status_follows_the_session)
{
        char status[1024];

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
        int n = open_fds_on(fixture.percussd_pid, path);

        ck_assert_msg(n >= 0, "/proc/%d/fd: %s", fixture.percussd_pid, strerror(-n));
        return n;
}

/* The PM QoS request (percussd.conf(5), WakeLatency=) lives as long as the
 * motor is asked to run. Without write access to the device (not root) the
 * daemon cannot hold it and plays anyway. */
START_TEST(test_cpu_latency_is_held_while_the_motor_runs)
{
        const char *qos = "/dev/cpu_dma_latency";
        int held = access(qos, W_OK) == 0;

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

        spin_up();
        ck_assert_int_eq(sim_board_open(&board, board_path), 0);
        ck_assert(sim_board_motor_enabled(&board, now_ns(CLOCK_MONOTONIC)));

        kill(fixture.percussd_pid, SIGTERM);
        ck_assert(wait_notification("STOPPING=1", 2000, NULL, status, sizeof(status)));
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
        /* off by the daemon itself, not by a lease running out */
        ck_assert(!atomic_load(&board.regs->enable));
        ck_assert(atomic_load(&board.regs->duty) == 0.0);
        sim_board_close(&board);

        snprintf(status, sizeof(status), "%s/history.sqlite", fixture.dir);
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

        spin_up();
        ck_assert_int_eq(sim_board_open(&board, board_path), 0);
        daemon_fixture_kill(&fixture);

        /* the outputs stay as the dead daemon left them … */
        ck_assert(atomic_load(&board.regs->enable));
        ck_assert_double_gt(atomic_load(&board.regs->duty), 0.1);
        /* … and the board's own enable lease ends without refreshes */
        usleep((useconds_t)(SIM_ENABLE_HOLD_NS / 1000) + 10000);
        ck_assert(!sim_board_motor_enabled(&board, now_ns(CLOCK_MONOTONIC)));

        ck_assert_int_eq(daemon_fixture_safe_stop(&fixture), 0);
        ck_assert(!atomic_load(&board.regs->enable));
        ck_assert(atomic_load(&board.regs->duty) == 0.0);
        ck_assert(atomic_load(&board.regs->stroke_position) == 0.0);
        sim_board_close(&board);
}
END_TEST

START_TEST(test_safe_stop_without_state_dir_fails_loudly)
{
        char saved[sizeof(fixture.dir)];

        /* the board file cannot be reached: the simulated outputs are gone
         * with it, yet a safe-stop that stops nothing must not say it did */
        memcpy(saved, fixture.dir, sizeof(saved));
        snprintf(fixture.dir, sizeof(fixture.dir), "/nonexistent/percussd");
        ck_assert_int_ne(daemon_fixture_safe_stop(&fixture), 0);
        memcpy(fixture.dir, saved, sizeof(saved));
}
END_TEST

/* The looks at a resting crank ride the keep-alives: at 1 s, one every
 * 0.5–0.75 s, far more than a runaway's confirmation (RunawayTime, 100 ms)
 * takes. */
#define LOOK_WATCHDOG_USEC "1000000"

static void setup_looks(void)
{
        daemon_fixture_start_service(&fixture, LOOK_WATCHDOG_USEC);
        snprintf(board_path, sizeof(board_path), "%s/%s", fixture.dir, SIM_BOARD_FILE);
}

/* A motor driver stuck on while the gun rests after a routine: the look
 * at the next keep-alive finds the crank turning with the motor off, the
 * loop watches it on and calls it a runaway. Counted in keep-alives, not
 * in wall time: the fault comes with the keep-alive whose look saw it, or
 * with the next when the main thread was held up past it. Looks at a
 * healthy crank at rest raise nothing. */
START_TEST(test_stuck_driver_at_rest_is_a_runaway)
{
        struct sim_board board;
        char status[1024];
        unsigned pings = 0;
        long deadline;

        spin_up();
        call("Stop", NULL);
        ck_assert(wait_notification("STATUS=Idle", 2000, NULL, NULL, 0));
        /* telemetry ends with Speed 0 once the crank rests and the thread sleeps */
        for (deadline = fixture_now_ms() + 5000; fixture_get_double(&fixture, "Speed") != 0.0;) {
                ck_assert_msg(fixture_now_ms() < deadline, "the crank never came to rest");
                usleep(50000);
        }
        for (unsigned i = 0; i < 3; i++)
                ck_assert_msg(wait_notification("WATCHDOG=1", 5000, NULL, NULL, 0),
                              "no keep-alive with WATCHDOG_USEC=" LOOK_WATCHDOG_USEC);
        fixture_expect_string(&fixture, "State", "idle");

        fixture_simulator(&fixture, "StickMotor", "b", 1);
        ck_assert_msg(wait_notification("STATUS=Fault runaway", 10000, &pings, status, sizeof(status)),
                      "no runaway fault after the driver stuck at rest");
        ck_assert_msg(strstr(status, "may be stuck on"), "status \"%s\"", status);
        ck_assert_msg(pings >= 1 && pings <= 2, "%u keep-alives before the fault", pings);
        fixture_expect_string(&fixture, "Fault", "runaway");
        ck_assert_int_eq(sim_board_open(&board, board_path), 0);
        ck_assert(!atomic_load(&board.regs->enable));
        ck_assert(atomic_load(&board.regs->duty) == 0.0);
        sim_board_close(&board);
        fixture_simulator(&fixture, "StickMotor", "b", 0);
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

        tc = tcase_create("looks");
        tcase_add_checked_fixture(tc, setup_looks, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_stuck_driver_at_rest_is_a_runaway);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
