/* SPDX-License-Identifier: MIT */
/*
 * The session history and its settings, on real files in a temporary
 * directory: round trips, pruning, bad input, damaged files, and a writer
 * killed at chosen points inside SQLite's I/O.
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
 * pipe once history_add() has returned. It is stopped at a chosen point:
 * a SQLite VFS laid over the default one counts the writes, syncs and
 * truncations the child's SQLite makes and, at the chosen one, has the
 * child stop itself (SIGSTOP) before it is done; the parent then kills it
 * with SIGKILL there. The points go from the first write of the file's
 * creation to well past a hundred entries, so that every kill lands inside
 * an I/O of SQLite's (in the WAL, its header, a sync, a checkpoint into
 * the database), whatever the machine's speed. The parent then opens the
 * file and checks it: every entry is whole, the sequence has no hole, and
 * nothing the child was told is stored is missing. At most the entry in
 * flight at the kill is absent, or present though not yet reported.
 */
#define CRASH_KILLS 50
/* The child stops at its (1 + CRASH_STRIDE × kill number)th I/O. */
#define CRASH_STRIDE 7

/* The VFS that stops its process at the stop_at'th write, sync or
 * truncation (counted over every file SQLite opens through it). */
static sqlite3_vfs *real_vfs;
static unsigned io_count, stop_at;

struct stopping_file {
        sqlite3_file base;
        sqlite3_file *real;     /* placed right after this struct */
};

static void count_io(void)
{
        if (++io_count == stop_at)
                raise(SIGSTOP);
}

#define REAL(f) (((struct stopping_file *)(f))->real)

static int sf_close(sqlite3_file *f)
{
        return REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
}
static int sf_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
        return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int sf_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
        count_io();
        return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int sf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
        count_io();
        return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int sf_sync(sqlite3_file *f, int flags)
{
        count_io();
        return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int sf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
        return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int sf_lock(sqlite3_file *f, int lock)
{
        return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int sf_unlock(sqlite3_file *f, int lock)
{
        return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int sf_check_reserved_lock(sqlite3_file *f, int *out)
{
        return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int sf_file_control(sqlite3_file *f, int op, void *arg)
{
        return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int sf_sector_size(sqlite3_file *f)
{
        return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int sf_device_characteristics(sqlite3_file *f)
{
        return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int sf_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
        return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}
static int sf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
        return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void sf_shm_barrier(sqlite3_file *f)
{
        REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int sf_shm_unmap(sqlite3_file *f, int delete_flag)
{
        return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

/* Version 2: the WAL's shared memory, not version 3's memory mapping
 * (SQLite then reads through xRead). */
static const sqlite3_io_methods stopping_methods = {
        .iVersion = 2,
        .xClose = sf_close,
        .xRead = sf_read,
        .xWrite = sf_write,
        .xTruncate = sf_truncate,
        .xSync = sf_sync,
        .xFileSize = sf_file_size,
        .xLock = sf_lock,
        .xUnlock = sf_unlock,
        .xCheckReservedLock = sf_check_reserved_lock,
        .xFileControl = sf_file_control,
        .xSectorSize = sf_sector_size,
        .xDeviceCharacteristics = sf_device_characteristics,
        .xShmMap = sf_shm_map,
        .xShmLock = sf_shm_lock,
        .xShmBarrier = sf_shm_barrier,
        .xShmUnmap = sf_shm_unmap,
};

static int stopping_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                         int *out_flags)
{
        struct stopping_file *sf = (struct stopping_file *)f;
        int rc;

        (void)vfs;
        sf->real = (sqlite3_file *)(sf + 1);
        rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out_flags);
        /* a failed open leaves nothing to close */
        sf->base.pMethods = rc == SQLITE_OK ? &stopping_methods : NULL;
        return rc;
}

static int stopping_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
        (void)vfs;
        return real_vfs->xDelete(real_vfs, name, sync_dir);
}
static int stopping_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
        (void)vfs;
        return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int stopping_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
        (void)vfs;
        return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static int stopping_randomness(sqlite3_vfs *vfs, int n, char *out)
{
        (void)vfs;
        return real_vfs->xRandomness(real_vfs, n, out);
}
static int stopping_sleep(sqlite3_vfs *vfs, int us)
{
        (void)vfs;
        return real_vfs->xSleep(real_vfs, us);
}
static int stopping_current_time(sqlite3_vfs *vfs, double *out)
{
        (void)vfs;
        return real_vfs->xCurrentTime(real_vfs, out);
}
static int stopping_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
        (void)vfs;
        return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

/* In the child: every database history_open() opens from now on goes
 * through the stopping VFS. */
static void install_stopping_vfs(unsigned stop_at_io)
{
        static sqlite3_vfs vfs;

        real_vfs = sqlite3_vfs_find(NULL);
        stop_at = stop_at_io;
        io_count = 0;
        vfs = (sqlite3_vfs){
                .iVersion = 1,
                .szOsFile = (int)sizeof(struct stopping_file) + real_vfs->szOsFile,
                .mxPathname = real_vfs->mxPathname,
                .zName = "stopping",
                .xOpen = stopping_open,
                .xDelete = stopping_delete,
                .xAccess = stopping_access,
                .xFullPathname = stopping_full_pathname,
                .xRandomness = stopping_randomness,
                .xSleep = stopping_sleep,
                .xCurrentTime = stopping_current_time,
                .xGetLastError = stopping_get_last_error,
        };
        if (sqlite3_vfs_register(&vfs, 1) != SQLITE_OK)
                _exit(EXIT_FAILURE);
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

static _Noreturn void writer(int fd, uint32_t first, unsigned stop_at_io)
{
        struct history *h = NULL;

        install_stopping_vfs(stop_at_io);
        if (history_open(path, &h) < 0)
                _exit(EXIT_FAILURE);
        for (uint32_t i = first;; i++) {
                struct history_entry e = entry(i);

                if (history_add(h, &e) < 0 || write(fd, &i, sizeof(i)) != sizeof(i))
                        _exit(EXIT_FAILURE);
        }
}

START_TEST(test_killed_writer_leaves_intact_history)
{
        uint32_t newest = 0;
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
                        writer(fds[1], newest + 1, 1 + CRASH_STRIDE * kill_no);
                }
                close(fds[1]);

                /* stopped at its chosen I/O, then killed there */
                ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
                ck_assert_msg(WIFSTOPPED(status),
                              "kill %u: the writer ended (status %d) before its I/O number %u",
                              kill_no, status, 1 + CRASH_STRIDE * kill_no);
                ck_assert_int_eq(kill(pid, SIGKILL), 0);
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
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
        fprintf(stderr, "killed writer: %u kills, %u after it had stored an entry, %u entries\n",
                CRASH_KILLS, kills_with_progress, newest);
        /* the same points every run: the same figures */
        ck_assert_uint_gt(kills_with_progress, CRASH_KILLS / 2);
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
