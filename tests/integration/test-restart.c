/* SPDX-License-Identifier: MIT */
/*
 * percussd restarted on every kind of persisted state (QUALITY.md,
 * "restart with any persisted state"): a race recorded now (in the rest
 * period), in the taper, long ago; a large history; and the history file
 * damaged, empty, unreadable (a directory) or from a newer percussd. Each
 * time the daemon must come up and answer; what can be read is kept, and
 * a line of its log names the file and what was done.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "common/time-util.h"
#include "daemon/session/history.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"

#define USEC_PER_DAY (24 * 3600 * USEC_PER_SEC)

static struct daemon_fixture fixture;
static char history_path[128];

static void setup(void)
{
        daemon_fixture_start(&fixture, NULL);
        snprintf(history_path, sizeof(history_path), "%s/history.sqlite", fixture.dir);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static void record_race(uint64_t when_usec)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "RecordRace", &error,
                               NULL, "t", when_usec);
        ck_assert_msg(r >= 0, "RecordRace: %s", error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
}

static uint64_t last_race(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t value = 0;

        ck_assert_int_ge(sd_bus_get_property_trivial(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                                     "LastRace", &error, 't', &value),
                         0);
        return value;
}

/* percussd stopped as systemd stops it, the state left as it was. */
static void stop_daemon(void)
{
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 5000), 0);
}

/* Up again (READY=1), and answering. */
static void restart(void)
{
        daemon_fixture_log_to_file(&fixture);
        daemon_fixture_restart(&fixture, NULL);
        fixture_expect_string(&fixture, "State", "idle");
}

/* Number of sessions GetHistory gives (at most max), or the error's name. */
static int history_count(unsigned max, char **error_name)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r, n = 0;

        *error_name = NULL;
        r = sd_bus_call_method(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetHistory", &error,
                               &reply, "u", max);
        if (r < 0) {
                *error_name = strdup(error.name);
                sd_bus_error_free(&error);
                return r;
        }
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(tsdu)"), 0);
        while (sd_bus_message_skip(reply, "(tsdu)") > 0)
                n++;
        sd_bus_message_unref(reply);
        return n;
}

static void play_and_stop(void)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
}

static void expect_log(const char *const *words)
{
        ck_assert_msg(fixture_log_has_line(&fixture, words), "no line in %s names %s and %s",
                      fixture.log_path, words[0], words[1]);
}

/* Before the fix the panel started after the state files, and the cap of
 * a race on record crashed percussd at every start. */
START_TEST(test_race_in_the_rest_period)
{
        uint64_t when;

        record_race(0);
        when = last_race();
        ck_assert_uint_ne(when, 0);
        stop_daemon();
        restart();
        ck_assert_uint_eq(last_race(), when);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 1);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 1);
}
END_TEST

START_TEST(test_race_in_the_taper)
{
        uint32_t cap;

        record_race(now_usec(CLOCK_REALTIME) - 4 * USEC_PER_DAY);
        stop_daemon();
        restart();
        cap = fixture_get_u32(&fixture, "MaxIntensity");
        ck_assert_msg(cap > 1 && cap < 5, "MaxIntensity %u four days into a ten-day taper", cap);
        ck_assert_uint_le(fixture_get_u32(&fixture, "Intensity"), cap);
}
END_TEST

START_TEST(test_race_long_ago)
{
        uint64_t when = now_usec(CLOCK_REALTIME) - 60 * USEC_PER_DAY;

        record_race(when);
        stop_daemon();
        restart();
        ck_assert_uint_eq(last_race(), when);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 5);
}
END_TEST

START_TEST(test_large_history)
{
        struct history *h;
        struct history_entry e = { .seconds = 120.0, .steps_completed = 2 };
        char *error_name;

        stop_daemon();
        ck_assert_int_eq(history_open(history_path, &h), 0);
        snprintf(e.routine, sizeof(e.routine), "calves");
        for (unsigned i = 0; i < 3 * HISTORY_ENTRIES_MAX; i++) {
                e.start_usec = 1700000000ull * USEC_PER_SEC + i * USEC_PER_SEC;
                ck_assert_int_eq(history_add(h, &e), 0);
        }
        history_close(h);
        restart();
        ck_assert_int_eq(history_count(HISTORY_ENTRIES_MAX + 10, &error_name),
                         HISTORY_ENTRIES_MAX);
        play_and_stop();
        ck_assert_int_eq(history_count(HISTORY_ENTRIES_MAX + 10, &error_name),
                         HISTORY_ENTRIES_MAX);
}
END_TEST

static void write_file(const char *path, const char *content, size_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, content, size), (ssize_t)size);
        ck_assert_int_eq(close(fd), 0);
}

static void remove_history(void)
{
        char path[160];

        ck_assert_int_eq(unlink(history_path), 0);
        snprintf(path, sizeof(path), "%s-wal", history_path);
        unlink(path);
        snprintf(path, sizeof(path), "%s-shm", history_path);
        unlink(path);
}

/* The damaged file is kept beside, as it was; a new history records the
 * sessions from now on. */
START_TEST(test_damaged_history)
{
        static const char garbage[] = "This is not an SQLite database; a card reader mangled it.";
        char aside[160], content[sizeof(garbage)] = "";
        char *error_name;
        FILE *kept;
        int n;

        play_and_stop();
        stop_daemon();
        remove_history();
        write_file(history_path, garbage, sizeof(garbage));
        restart();
        expect_log((const char *const[]){ history_path, "damaged", "kept it as", NULL });

        n = snprintf(aside, sizeof(aside), "%s.damaged-", history_path);
        ck_assert_int_gt(n, 0);
        {
                /* the one file of that name the daemon wrote */
                char command[512];
                FILE *ls;

                snprintf(command, sizeof(command), "ls %s*", aside);
                ls = popen(command, "r");
                ck_assert_ptr_nonnull(ls);
                ck_assert_ptr_nonnull(fgets(aside, sizeof(aside), ls));
                aside[strcspn(aside, "\n")] = '\0';
                pclose(ls);
        }
        kept = fopen(aside, "r");
        ck_assert_msg(kept, "%s: %s", aside, strerror(errno));
        ck_assert_uint_eq(fread(content, 1, sizeof(content), kept), sizeof(garbage));
        fclose(kept);
        ck_assert_mem_eq(content, garbage, sizeof(garbage));

        ck_assert_int_eq(history_count(10, &error_name), 0);
        play_and_stop();
        ck_assert_int_eq(history_count(10, &error_name), 1);
}
END_TEST

START_TEST(test_empty_history)
{
        char *error_name;

        stop_daemon();
        remove_history();
        write_file(history_path, "", 0);
        restart();
        ck_assert_int_eq(history_count(10, &error_name), 0);
        play_and_stop();
        ck_assert_int_eq(history_count(10, &error_name), 1);
        record_race(0);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 1);
}
END_TEST

/* A directory where the file should be: nothing to read, nothing to move
 * (it is not a damaged database); the gun plays without a history. */
START_TEST(test_unreadable_history)
{
        char *error_name = NULL;

        stop_daemon();
        remove_history();
        ck_assert_int_eq(mkdir(history_path, 0755), 0);
        restart();
        expect_log((const char *const[]){ history_path, "without session history", NULL });
        ck_assert_int_lt(history_count(10, &error_name), 0);
        ck_assert_str_eq(error_name, SD_BUS_ERROR_FAILED);
        free(error_name);
        play_and_stop();
        ck_assert_int_eq(rmdir(history_path), 0);
}
END_TEST

static int user_version(void)
{
        sqlite3 *db;
        sqlite3_stmt *stmt;
        int version;

        ck_assert_int_eq(sqlite3_open_v2(history_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
        version = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return version;
}

/* Written by a newer percussd: left alone, not misread, not moved. */
START_TEST(test_history_from_a_newer_version)
{
        sqlite3 *db;
        char *error_name = NULL;

        play_and_stop();
        stop_daemon();
        ck_assert_int_eq(sqlite3_open(history_path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        restart();
        expect_log((const char *const[]){ history_path, "schema version 99", "leaving it alone",
                                          NULL });
        ck_assert_int_lt(history_count(10, &error_name), 0);
        free(error_name);
        play_and_stop();
        stop_daemon();
        ck_assert_int_eq(user_version(), 99);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("restart");
        TCase *tc = tcase_create("state");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_race_in_the_rest_period);
        tcase_add_test(tc, test_race_in_the_taper);
        tcase_add_test(tc, test_race_long_ago);
        tcase_add_test(tc, test_large_history);
        tcase_add_test(tc, test_damaged_history);
        tcase_add_test(tc, test_empty_history);
        tcase_add_test(tc, test_unreadable_history);
        tcase_add_test(tc, test_history_from_a_newer_version);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
