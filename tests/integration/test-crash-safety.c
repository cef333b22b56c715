/* SPDX-License-Identifier: MIT */
/*
 * Crash safety of the session history (QUALITY.md, "Reliability and
 * safety"): the real percussd plays a thousand short sessions on the
 * simulated gun and is killed with SIGKILL at pseudo-random moments
 * (fixed seed, so every run kills alike) and started again. After every
 * kill the history must open and parse, every entry in it must be whole,
 * and it must hold every session whose Finished signal the client saw,
 * plus at most the one in flight.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"
#include "daemon/session/history.h"

#define SESSIONS 1000
#define KILL_AFTER_MAX_MS 1000  /* a kill every half second on average */
#define SESSION_TIMEOUT_MS 5000

static const char *const extra_args[] = { "--profiles-dir", TEST_PROFILES_DIR, NULL };
static unsigned finished;       /* completed sessions the client was told of */

static uint32_t next_random(uint32_t *state)
{
        /* xorshift32: deterministic, good enough to spread the kills */
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        return *state;
}

static int on_finished(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        const char *routine;
        double seconds;
        int completed;

        (void)userdata, (void)error;
        ck_assert_int_ge(sd_bus_message_read(m, "sdb", &routine, &seconds, &completed), 0);
        ck_assert_str_eq(routine, "flash");
        ck_assert_msg(completed, "a flash session ended uncompleted after %g s", seconds);
        finished++;
        return 0;
}

/* Opens the history as the daemon left it: it must parse, and every entry
 * must be a whole flash session. Returns how many it holds. */
static size_t check_history(const char *dir)
{
        struct history *h = NULL;
        struct history_entry *list = NULL;
        char path[128];
        size_t n = 0;

        snprintf(path, sizeof(path), "%s/history.sqlite", dir);
        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_int_eq(history_list(h, HISTORY_ENTRIES_MAX, &list, &n), 0);
        history_close(h);
        for (size_t i = 0; i < n; i++) {
                ck_assert_str_eq(list[i].routine, "flash");
                ck_assert_uint_eq(list[i].steps_completed, 1);
                ck_assert_msg(list[i].seconds > 0 && list[i].seconds < 1.0,
                              "entry %zu: %g s of percussion", i, list[i].seconds);
                ck_assert_uint_gt(list[i].start_usec, 0);
        }
        free(list);
        return n;
}

/* Takes every Finished the killed daemon sent: dbus-daemon delivers in
 * order, so once it answers a call, whatever the daemon sent before it
 * died is in our queue. */
static void drain_signals(struct daemon_fixture *f)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        ck_assert_int_ge(sd_bus_call_method(f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetId", &error, NULL, NULL),
                         0);
        sd_bus_error_free(&error);
        do
                r = sd_bus_process(f->bus, NULL);
        while (r > 0);
        ck_assert_int_ge(r, 0);
}

/* Plays sessions back to back until the deadline (or until all are
 * started and the last is finished). Returns whether one is in flight. */
static bool play_until(struct daemon_fixture *f, long deadline_ms, unsigned *started)
{
        bool in_flight = false;
        unsigned finished_before = finished;
        long session_deadline_ms = 0;

        for (;;) {
                long now = fixture_now_ms();
                int r;

                if (in_flight && finished != finished_before) {
                        in_flight = false;
                        finished_before = finished;
                }
                if (!in_flight && *started == SESSIONS)
                        return false;
                if (now >= deadline_ms)
                        return in_flight;
                if (!in_flight) {
                        char *error = NULL;

                        r = fixture_call(f, "Start", "flash", NULL, &error);
                        ck_assert_msg(r == 0, "Start flash (session %u): %s", *started + 1,
                                      error ? error : strerror(-r));
                        (*started)++;
                        in_flight = true;
                        session_deadline_ms = now + SESSION_TIMEOUT_MS;
                }
                ck_assert_msg(now < session_deadline_ms, "session %u did not finish within %d ms",
                              *started, SESSION_TIMEOUT_MS);
                do
                        r = sd_bus_process(f->bus, NULL);
                while (r > 0);
                ck_assert_int_ge(r, 0);
                if (finished == finished_before)
                        ck_assert_int_ge(sd_bus_wait(f->bus, 10000), 0);
        }
}

START_TEST(test_killed_daemon_keeps_history)
{
        struct daemon_fixture f;
        uint32_t seed = 0xc0ffee11u;
        unsigned started = 0, kills = 0, lost = 0, finished_at_kill;
        size_t recorded = 0;

        daemon_fixture_start(&f, extra_args);
        ck_assert_int_ge(sd_bus_match_signal(f.bus, NULL, "io.percussd.Massager1",
                                             "/io/percussd/Massager1", "io.percussd.Massager1",
                                             "Finished", on_finished, NULL),
                         0);

        while (started < SESSIONS || recorded < started - lost) {
                long kill_at = fixture_now_ms() + (long)(next_random(&seed) % KILL_AFTER_MAX_MS);
                bool in_flight = play_until(&f, kill_at, &started);
                size_t n;

                finished_at_kill = finished;
                daemon_fixture_kill(&f);
                kills++;
                drain_signals(&f);
                if (finished != finished_at_kill)
                        in_flight = false; /* its signal was on the way */
                n = check_history(f.dir);
                /* every session the client saw finish, and perhaps the one in flight */
                ck_assert_msg(n == finished || (in_flight && n == finished + 1),
                              "kill %u: %u sessions finished%s, the history holds %zu", kills,
                              finished, in_flight ? " and one in flight" : "", n);
                if (in_flight && n == finished + 1)
                        finished++; /* written, but killed before its signal went out */
                else if (in_flight)
                        lost++;
                recorded = n;
                daemon_fixture_restart(&f, extra_args);
                if (started == SESSIONS && !in_flight)
                        break;
        }
        ck_assert_uint_eq(recorded + lost, SESSIONS);
        ck_assert_uint_le(lost, kills);
        /* and the daemon itself reads what it left */
        {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;

                ck_assert_int_ge(sd_bus_call_method(f.bus, "io.percussd.Massager1",
                                                    "/io/percussd/Massager1", "io.percussd.Massager1",
                                                    "GetHistory", &error, &reply, "u", 1),
                                 0);
                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(tsdu)"), 0);
                ck_assert_int_gt(sd_bus_message_enter_container(reply, 'r', "tsdu"), 0);
                sd_bus_message_unref(reply);
        }
        printf("# %u sessions, %u kills, %u lost in flight, %zu recorded\n", started, kills, lost,
               recorded);
        daemon_fixture_stop(&f);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("crash-safety");
        TCase *tc = tcase_create("crash-safety");

        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_killed_daemon_keeps_history);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
