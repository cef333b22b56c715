/* SPDX-License-Identifier: MIT */
/*
 * The session history and its settings, on real files in a temporary
 * directory: round trips, pruning, bad input, damaged files, and a writer
 * killed at random moments.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/session/history.h"
#include "tests/fixtures/check-main.h"

static char dir[] = "/tmp/test-history-XXXXXX";
static char path[sizeof(dir) + 32];

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/history.sqlite", dir);
}

static void teardown(void)
{
        char command[sizeof(dir) + 16];

        snprintf(command, sizeof(command), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(command), 0);
        strcpy(dir, "/tmp/test-history-XXXXXX");
}

static struct history *open_ok(void)
{
        struct history *h = NULL;

        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_ptr_nonnull(h);
        return h;
}

/* Entry i as the tests write it: every field follows from i, so that a
 * torn or mixed-up row shows. */
static struct history_entry entry(uint32_t i)
{
        struct history_entry e = {
                .start_usec = 1700000000000000ull + (uint64_t)i * 1000000,
                .seconds = 10.0 * i,
                .steps_completed = i,
        };

        snprintf(e.routine, sizeof(e.routine), "r-%u", i % 7);
        return e;
}

static void assert_entry(const struct history_entry *e, uint32_t i)
{
        struct history_entry want = entry(i);

        ck_assert_uint_eq(e->steps_completed, i);
        ck_assert_uint_eq(e->start_usec, want.start_usec);
        ck_assert_str_eq(e->routine, want.routine);
        ck_assert(e->seconds == want.seconds);
}

static void add_entries(struct history *h, uint32_t first, uint32_t count)
{
        for (uint32_t i = first; i < first + count; i++) {
                struct history_entry e = entry(i);

                ck_assert_int_eq(history_add(h, &e), 0);
        }
}

START_TEST(test_round_trip_newest_first)
{
        struct history *h = open_ok();
        struct history_entry *list = NULL;
        size_t n = 99;

        /* empty */
        ck_assert_int_eq(history_list(h, 10, &list, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(list);

        add_entries(h, 1, 5);
        ck_assert_int_eq(history_list(h, 10, &list, &n), 0);
        ck_assert_uint_eq(n, 5);
        for (size_t k = 0; k < n; k++)
                assert_entry(&list[k], (uint32_t)(5 - k));
        free(list);

        /* max honoured, and 0 is none */
        ck_assert_int_eq(history_list(h, 2, &list, &n), 0);
        ck_assert_uint_eq(n, 2);
        assert_entry(&list[0], 5);
        assert_entry(&list[1], 4);
        free(list);
        ck_assert_int_eq(history_list(h, 0, &list, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(list);

        history_close(h);
}
END_TEST

START_TEST(test_order_is_order_added_not_clock)
{
        struct history *h = open_ok();
        struct history_entry *list = NULL, e = entry(3);
        size_t n;

        add_entries(h, 1, 2);
        /* recorded before the clock was set: still the newest */
        e.start_usec = 5000000;
        ck_assert_int_eq(history_add(h, &e), 0);
        ck_assert_int_eq(history_list(h, 10, &list, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(list[0].steps_completed, 3);
        ck_assert_uint_eq(list[0].start_usec, 5000000);
        free(list);
        history_close(h);
}
END_TEST

START_TEST(test_pruned_at_max)
{
        struct history *h = open_ok();
        struct history_entry *list = NULL;
        size_t n;

        add_entries(h, 1, HISTORY_ENTRIES_MAX + 25);
        ck_assert_int_eq(history_list(h, UINT32_MAX, &list, &n), 0);
        ck_assert_uint_eq(n, HISTORY_ENTRIES_MAX);
        /* the newest kept, the 25 oldest gone */
        assert_entry(&list[0], HISTORY_ENTRIES_MAX + 25);
        assert_entry(&list[n - 1], 26);
        free(list);
        history_close(h);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
        struct history *h = open_ok();
        struct history_entry *list = NULL;
        uint64_t value;
        size_t n;

        add_entries(h, 1, 3);
        ck_assert_int_eq(history_set_u64(h, "last-race-usec", 1717228800000000ull), 0);
        ck_assert_ptr_null(history_close(h));

        h = open_ok();
        ck_assert_int_eq(history_list(h, 10, &list, &n), 0);
        ck_assert_uint_eq(n, 3);
        assert_entry(&list[0], 3);
        assert_entry(&list[2], 1);
        free(list);
        ck_assert_int_eq(history_get_u64(h, "last-race-usec", &value), 0);
        ck_assert_uint_eq(value, 1717228800000000ull);
        history_close(h);
}
END_TEST

START_TEST(test_bad_entries_refused)
{
        static const char *const bad[] = { "", "Calves", "calves!", "a b", "x;DROP TABLE sessions",
                                           "r\xc3\xa9" "cup", "quads\n" };
        struct history *h = open_ok();
        struct history_entry *list = NULL, e = entry(1);
        size_t n;

        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                snprintf(e.routine, sizeof(e.routine), "%s", bad[k]);
                ck_assert_msg(history_add(h, &e) == -EINVAL, "routine id \"%s\" accepted", e.routine);
        }
        /* 33 characters fill the array with no room for the NUL */
        memset(e.routine, 'a', sizeof(e.routine));
        ck_assert_int_eq(history_add(h, &e), -EINVAL);

        e = entry(1);
        e.seconds = NAN;
        ck_assert_int_eq(history_add(h, &e), -EINVAL);
        e.seconds = -1;
        ck_assert_int_eq(history_add(h, &e), -EINVAL);

        /* the longest id is fine, and nothing of the refused ones was kept */
        e = entry(1);
        snprintf(e.routine, sizeof(e.routine), "%s", "abcdefghijklmnopqrstuvwxyz-01234");
        ck_assert_int_eq(history_add(h, &e), 0);
        ck_assert_int_eq(history_list(h, 10, &list, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(list[0].routine, "abcdefghijklmnopqrstuvwxyz-01234");
        free(list);
        history_close(h);
}
END_TEST

START_TEST(test_settings)
{
        struct history *h = open_ok();
        uint64_t value = 7;

        ck_assert_int_eq(history_get_u64(h, "last-race-usec", &value), -ENOENT);
        ck_assert_uint_eq(value, 7);
        ck_assert_int_eq(history_set_u64(h, "last-race-usec", 42), 0);
        ck_assert_int_eq(history_set_u64(h, "other", UINT64_MAX), 0);
        ck_assert_int_eq(history_get_u64(h, "last-race-usec", &value), 0);
        ck_assert_uint_eq(value, 42);
        /* all 64 bits survive SQLite's signed integers */
        ck_assert_int_eq(history_get_u64(h, "other", &value), 0);
        ck_assert(value == UINT64_MAX);

        /* overwrite */
        ck_assert_int_eq(history_set_u64(h, "last-race-usec", 43), 0);
        ck_assert_int_eq(history_get_u64(h, "last-race-usec", &value), 0);
        ck_assert_uint_eq(value, 43);

        ck_assert_int_eq(history_delete(h, "last-race-usec"), 0);
        ck_assert_int_eq(history_get_u64(h, "last-race-usec", &value), -ENOENT);
        ck_assert_int_eq(history_delete(h, "last-race-usec"), 0);
        ck_assert_int_eq(history_get_u64(h, "other", &value), 0);
        history_close(h);
}
END_TEST

static void write_file(const char *p, const void *data, size_t size, off_t offset)
{
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(pwrite(fd, data, size, offset), (ssize_t)size);
        ck_assert_int_eq(close(fd), 0);
}

START_TEST(test_garbage_file_is_an_error)
{
        struct history *h = NULL;
        unsigned char garbage[8192];
        uint32_t x = 12345;

        for (size_t k = 0; k < sizeof(garbage); k++) {
                x = x * 1103515245u + 12345u;
                garbage[k] = (unsigned char)(x >> 24);
        }
        write_file(path, garbage, sizeof(garbage), 0);
        ck_assert_int_eq(history_open(path, &h), -EBADMSG);
        ck_assert_ptr_null(h);

        /* a text file is no better */
        ck_assert_int_eq(truncate(path, 0), 0);
        write_file(path, "[routine]\ntitle = Calves\n", 25, 0);
        ck_assert_int_eq(history_open(path, &h), -EBADMSG);
        ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_damaged_pages_are_an_error)
{
        struct history *h = open_ok();
        unsigned char garbage[4096];

        add_entries(h, 1, 200);
        /* closing checkpoints everything into the main file */
        history_close(h);
        h = NULL;

        /* keep the header and the schema (page 1), wreck the table */
        memset(garbage, 0xa5, sizeof(garbage));
        write_file(path, garbage, sizeof(garbage), 4096);
        ck_assert_int_eq(history_open(path, &h), -EBADMSG);
        ck_assert_ptr_null(h);
}
END_TEST

static void sql(const char *statements)
{
        sqlite3 *db = NULL;

        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, statements, NULL, NULL, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

START_TEST(test_foreign_database_is_an_error)
{
        struct history *h = NULL;

        /* a sound SQLite file whose sessions table is not ours */
        sql("CREATE TABLE sessions (x); PRAGMA user_version = 1;");
        ck_assert_int_eq(history_open(path, &h), -EBADMSG);
        ck_assert_ptr_null(h);

        /* one from a newer percussd */
        sql("PRAGMA user_version = 9;");
        ck_assert_int_eq(history_open(path, &h), -EPROTONOSUPPORT);
        ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_unusable_directory_is_an_error)
{
        struct history *h = NULL;
        char p[sizeof(dir) + 64];

        snprintf(p, sizeof(p), "%s/missing/history.sqlite", dir);
        ck_assert_int_eq(history_open(p, &h), -ENOENT);
        ck_assert_ptr_null(h);

        /* the "directory" is a file */
        snprintf(p, sizeof(p), "%s/file", dir);
        write_file(p, "x", 1, 0);
        snprintf(p, sizeof(p), "%s/file/history.sqlite", dir);
        ck_assert_int_eq(history_open(p, &h), -ENOTDIR);
        ck_assert_ptr_null(h);

        /* root writes anywhere, so this part needs an ordinary user */
        if (geteuid() != 0) {
                snprintf(p, sizeof(p), "%s/read-only", dir);
                ck_assert_int_eq(mkdir(p, 0555), 0);
                snprintf(p, sizeof(p), "%s/read-only/history.sqlite", dir);
                ck_assert_int_lt(history_open(p, &h), 0);
                ck_assert_ptr_null(h);
        }
}
END_TEST

/*
 * Crash safety. A child adds entries in a loop and reports each one on a
 * pipe once history_add() has returned; the parent kills it with SIGKILL
 * after a pseudo-random delay (fixed seed, so every run does the same
 * number of kills), then opens the file and checks it: every entry is
 * whole, the sequence has no hole, and nothing the child was told is
 * stored is missing. At most the entry in flight at the kill is absent,
 * or present though not yet reported.
 */
#define CRASH_KILLS 50

static uint32_t next_random(uint32_t *state)
{
        /* xorshift32: deterministic, good enough to spread the delays */
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        return *state;
}

/* The newest entry's number, 0 when empty; checks every entry on the way. */
static uint32_t check_intact(void)
{
        struct history *h = NULL;
        struct history_entry *list = NULL;
        uint32_t newest;
        size_t n;

        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_int_eq(history_list(h, HISTORY_ENTRIES_MAX, &list, &n), 0);
        history_close(h);
        if (n == 0)
                return 0;
        newest = list[0].steps_completed;
        for (size_t k = 0; k < n; k++)
                assert_entry(&list[k], newest - (uint32_t)k);
        free(list);
        return newest;
}

static _Noreturn void writer(int fd, uint32_t first)
{
        struct history *h = NULL;

        uint32_t opened = 0;

        if (history_open(path, &h) < 0 || write(fd, &opened, sizeof(opened)) != sizeof(opened))
                _exit(EXIT_FAILURE);
        for (uint32_t i = first;; i++) {
                struct history_entry e = entry(i);

                if (history_add(h, &e) < 0 || write(fd, &i, sizeof(i)) != sizeof(i))
                        _exit(EXIT_FAILURE);
        }
}

START_TEST(test_killed_writer_leaves_intact_history)
{
        uint32_t seed = 0x5eed1234u, newest = 0;
        unsigned kills_with_progress = 0;

        for (unsigned kill_no = 0; kill_no < CRASH_KILLS; kill_no++) {
                uint32_t reported = 0, i, now_newest;
                int fds[2], status;
                pid_t pid;

                ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
                pid = fork();
                ck_assert_int_ge(pid, 0);
                if (pid == 0) {
                        close(fds[0]);
                        writer(fds[1], newest + 1);
                }
                close(fds[1]);

                /* 0 to 30 ms: every other kill from the fork, so sometimes
                 * while it is still opening, the others from the moment it
                 * has opened (however slow the machine, under qemu too) */
                if (kill_no % 2 == 1) {
                        uint32_t opened;

                        ck_assert_int_eq(read(fds[0], &opened, sizeof(opened)), sizeof(opened));
                        ck_assert_uint_eq(opened, 0);
                }
                usleep(next_random(&seed) % 30000);
                ck_assert_int_eq(kill(pid, SIGKILL), 0);
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                              "the writer stopped by itself (status %d) before kill %u",
                              status, kill_no);
                while (read(fds[0], &i, sizeof(i)) == sizeof(i))
                        reported = i;
                close(fds[0]);

                now_newest = check_intact();
                if (reported != 0) {
                        ck_assert_msg(now_newest == reported || now_newest == reported + 1,
                                      "kill %u: child reported %u stored, file's newest is %u",
                                      kill_no, reported, now_newest);
                        kills_with_progress++;
                } else {
                        ck_assert_msg(now_newest == newest || now_newest == newest + 1,
                                      "kill %u: nothing reported, newest went from %u to %u",
                                      kill_no, newest, now_newest);
                }
                newest = now_newest;
        }
        /* the kills did land while it was writing, not only while opening */
        ck_assert_uint_gt(kills_with_progress, CRASH_KILLS / 4);
        ck_assert_uint_gt(newest, 100);
}
END_TEST

static Suite *suite_new(void)
{
        Suite *s = suite_create("history");
        TCase *tc = tcase_create("history");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_round_trip_newest_first);
        tcase_add_test(tc, test_order_is_order_added_not_clock);
        tcase_add_test(tc, test_pruned_at_max);
        tcase_add_test(tc, test_reopen_keeps_data);
        tcase_add_test(tc, test_bad_entries_refused);
        tcase_add_test(tc, test_settings);
        tcase_add_test(tc, test_garbage_file_is_an_error);
        tcase_add_test(tc, test_damaged_pages_are_an_error);
        tcase_add_test(tc, test_foreign_database_is_an_error);
        tcase_add_test(tc, test_unusable_directory_is_an_error);
        tcase_add_test(tc, test_killed_writer_leaves_intact_history);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *suite = suite_new();

        return run_suite(suite);
}
