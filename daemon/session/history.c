/* SPDX-License-Identifier: MIT */
#include "history.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* PRAGMA user_version of the schema below. A file with a higher one was
 * written by a newer percussd and is left alone rather than misread. */
#define HISTORY_SCHEMA_VERSION 1

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Sessions are ordered by id, the order they were added in, not by
 * start_usec: the wall clock may be wrong before NTP has run, and a
 * session recorded then must neither jump to the end of the list nor be
 * the first one pruned. STRICT and the CHECKs keep a bad row out of the
 * file even if a caller's check is ever missed. */
static const char schema_sql[] =
        "BEGIN IMMEDIATE;"
        "CREATE TABLE sessions ("
        "  id INTEGER PRIMARY KEY,"
        "  start_usec INTEGER NOT NULL,"
        "  routine TEXT NOT NULL CHECK (length(routine) BETWEEN 1 AND " STRINGIFY(HISTORY_ROUTINE_MAX) "),"
        "  seconds REAL NOT NULL CHECK (seconds >= 0),"
        "  steps_completed INTEGER NOT NULL CHECK (steps_completed BETWEEN 0 AND 4294967295)"
        ") STRICT;"
        "CREATE TABLE settings ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  value INTEGER NOT NULL"
        ") STRICT, WITHOUT ROWID;"
        "PRAGMA user_version = " STRINGIFY(HISTORY_SCHEMA_VERSION) ";"
        "COMMIT;";

struct history {
        sqlite3 *db;
        char *path;
        sqlite3_stmt *begin;
        sqlite3_stmt *commit;
        sqlite3_stmt *insert_session;
        sqlite3_stmt *prune_sessions;
        sqlite3_stmt *list_sessions;
        sqlite3_stmt *get_setting;
        sqlite3_stmt *set_setting;
        sqlite3_stmt *delete_setting;
};

/* The negative errno that tells the caller what SQLite's result code rc
 * means. Where the operating system refused, its errno says more. */
static int errno_from_sqlite(sqlite3 *db, int rc)
{
        int e = 0;

        switch (rc & 0xff) {
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
                return -EBADMSG;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CONSTRAINT:
                return -EINVAL;
        case SQLITE_READONLY:
                e = sqlite3_system_errno(db);
                return e > 0 ? -e : -EROFS;
        case SQLITE_PERM:
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR:
                e = sqlite3_system_errno(db);
                return e > 0 ? -e : -EIO;
        default:
                return -EIO;
        }
}

/* Logs why rc failed, naming the file, and returns the negative errno. */
static int history_error(const struct history *h, int rc, const char *what)
{
        int r = errno_from_sqlite(h->db, rc);

        /* SQLite says "unable to open database file" whatever the reason;
         * when the operating system gave one, say it too. */
        if (sqlite3_system_errno(h->db) == -r)
                return log_error_errno(r, "Failed to %s history %s: %s: %m", what, h->path,
                                       sqlite3_errmsg(h->db));
        return log_error_errno(r, "Failed to %s history %s: %s", what, h->path,
                               sqlite3_errmsg(h->db));
}

/* Looks no further than the array, which a caller may have filled to
 * the end without a terminating NUL. */
static bool routine_id_valid(const char id[static HISTORY_ROUTINE_MAX + 1])
{
        size_t len = strnlen(id, HISTORY_ROUTINE_MAX + 1);

        return len >= 1 && len <= HISTORY_ROUTINE_MAX &&
               strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

/* Runs a statement whose parameters are bound to its end, then resets it
 * and clears the bindings for the next use. */
static int run(const struct history *h, sqlite3_stmt *stmt, const char *what)
{
        int rc = sqlite3_step(stmt);
        int r = 0;

        if (rc != SQLITE_DONE)
                r = history_error(h, rc, what);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return r;
}

/* After a failed step the transaction may still be open, or SQLite may
 * have rolled it back already (after an I/O error); only roll back the
 * former. The error being reported is the first one, not this. */
static void rollback(struct history *h)
{
        if (!sqlite3_get_autocommit(h->db))
                (void)sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Prepares sql, a PRAGMA that answers with a row, and steps onto that
 * row; the caller reads it and finalizes *ret. */
static int pragma_row(struct history *h, const char *sql, sqlite3_stmt **ret)
{
        sqlite3_stmt *stmt = NULL;
        int r, rc;

        rc = sqlite3_prepare_v2(h->db, sql, -1, &stmt, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) {
                r = history_error(h, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "open");
                sqlite3_finalize(stmt);
                return r;
        }
        *ret = stmt;
        return 0;
}

/* The file's own check of its pages and indexes: a damaged file is
 * reported once, here, with the path, rather than as odd failures later.
 * The database holds a thousand short rows at most, so this is quick. */
static int check_integrity(struct history *h)
{
        sqlite3_stmt *stmt;
        const unsigned char *result;
        char problem[256];
        int r;

        r = pragma_row(h, "PRAGMA quick_check", &stmt);
        if (r < 0)
                return r;
        /* "ok", or rows of problems found: the first says enough, on one
         * log line. */
        result = sqlite3_column_text(stmt, 0);
        if (!result || strcmp((const char *)result, "ok") != 0) {
                snprintf(problem, sizeof(problem), "%s",
                         result ? (const char *)result : "no answer from quick_check");
                for (char *c = problem; *c; c++)
                        if (*c == '\n')
                                *c = ' ';
                r = log_error_errno(-EBADMSG, "History %s is damaged: %s", h->path, problem);
        }
        sqlite3_finalize(stmt);
        return r;
}

static int ensure_schema(struct history *h)
{
        sqlite3_stmt *stmt;
        int version, r, rc;

        r = pragma_row(h, "PRAGMA user_version", &stmt);
        if (r < 0)
                return r;
        version = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        if (version > HISTORY_SCHEMA_VERSION)
                return log_error_errno(-EPROTONOSUPPORT,
                                       "History %s has schema version %d, this percussd "
                                       "knows up to %d; leaving it alone",
                                       h->path, version, HISTORY_SCHEMA_VERSION);
        if (version == HISTORY_SCHEMA_VERSION)
                return 0;

        /* A new (empty) file. The version is set in the same transaction
         * as the tables, so a crash leaves either both or neither. */
        rc = sqlite3_exec(h->db, schema_sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                r = history_error(h, rc, "create the tables of");
                rollback(h);
                return r;
        }
        return 0;
}

static int prepare(struct history *h, const char *sql, sqlite3_stmt **ret)
{
        int rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL);

        /* The tables do not have the columns we know: some other file. */
        if (rc == SQLITE_ERROR)
                return log_error_errno(-EBADMSG, "History %s is not a percussd history: %s",
                                       h->path, sqlite3_errmsg(h->db));
        if (rc != SQLITE_OK)
                return history_error(h, rc, "prepare a statement for");
        return 0;
}

static int prepare_statements(struct history *h)
{
        int r;

        /* IMMEDIATE takes the write lock at once, so that the transaction
         * cannot fail half way for want of it. */
        r = prepare(h, "BEGIN IMMEDIATE", &h->begin);
        if (r >= 0)
                r = prepare(h, "COMMIT", &h->commit);
        if (r >= 0)
                r = prepare(h, "INSERT INTO sessions (start_usec, routine, seconds, steps_completed) "
                               "VALUES (?1, ?2, ?3, ?4)",
                            &h->insert_session);
        /* Deletes everything older than the ?1 newest rows; when there
         * are not that many, the subquery is NULL and nothing matches. */
        if (r >= 0)
                r = prepare(h, "DELETE FROM sessions WHERE id <= "
                               "(SELECT id FROM sessions ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                            &h->prune_sessions);
        if (r >= 0)
                r = prepare(h, "SELECT start_usec, routine, seconds, steps_completed "
                               "FROM sessions ORDER BY id DESC LIMIT ?1",
                            &h->list_sessions);
        if (r >= 0)
                r = prepare(h, "SELECT value FROM settings WHERE key = ?1", &h->get_setting);
        if (r >= 0)
                r = prepare(h, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            &h->set_setting);
        if (r >= 0)
                r = prepare(h, "DELETE FROM settings WHERE key = ?1", &h->delete_setting);
        return r;
}

int history_open(const char *path, struct history **ret)
{
        struct history *h;
        sqlite3_stmt *stmt;
        const unsigned char *journal_mode;
        int r, rc;

        h = calloc(1, sizeof(*h));
        if (!h)
                return log_error_errno(-ENOMEM, "Failed to open history %s: %m", path);
        h->path = strdup(path);
        if (!h->path) {
                free(h);
                return log_error_errno(-ENOMEM, "Failed to open history %s: %m", path);
        }

        /* Only the main thread uses the connection: no mutexes needed. */
        rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                r = h->db ? history_error(h, rc, "open")
                          : log_error_errno(-ENOMEM, "Failed to open history %s: %m", path);
                goto fail;
        }

        /* Write-ahead log: a commit appends to the log and never rewrites
         * pages in place, so a crash at any moment leaves the last
         * committed state, recovered at the next open. This is the first
         * read of the file, so a file that is not a database fails here. */
        r = pragma_row(h, "PRAGMA journal_mode = WAL", &stmt);
        if (r < 0)
                goto fail;
        journal_mode = sqlite3_column_text(stmt, 0);
        if (!journal_mode || strcmp((const char *)journal_mode, "wal") != 0)
                log_warning("History %s cannot use a write-ahead log (does its file system "
                            "lack shared memory?); using a rollback journal: as safe, slower",
                            path);
        sqlite3_finalize(stmt);

        /* FULL, not NORMAL: with NORMAL a commit in WAL mode survives a
         * crash of the daemon but not a power cut, which on a battery
         * gun is an ordinary event. The race record behind the recovery
         * guard must not silently roll back, and writes happen once per
         * session, so an fsync per commit costs nothing that matters. */
        rc = sqlite3_exec(h->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                r = history_error(h, rc, "configure");
                goto fail;
        }

        r = check_integrity(h);
        if (r >= 0)
                r = ensure_schema(h);
        if (r >= 0)
                r = prepare_statements(h);
        if (r < 0)
                goto fail;

        *ret = h;
        return 0;

fail:
        history_close(h);
        return r;
}

int history_set_aside(const char *path, char *aside, size_t size)
{
        static const char *const suffixes[] = { "-wal", "-shm" };
        char from[4096], to[4096];

        snprintf(aside, size, "%s.damaged-%llu", path, (unsigned long long)time(NULL));
        if (rename(path, aside) < 0)
                return -errno;
        /* a log left beside a new, empty file would be replayed into it */
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
                snprintf(to, sizeof(to), "%s%s", aside, suffixes[i]);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        return 0;
}

struct history *history_close(struct history *h)
{
        if (!h)
                return NULL;

        sqlite3_finalize(h->begin);
        sqlite3_finalize(h->commit);
        sqlite3_finalize(h->insert_session);
        sqlite3_finalize(h->prune_sessions);
        sqlite3_finalize(h->list_sessions);
        sqlite3_finalize(h->get_setting);
        sqlite3_finalize(h->set_setting);
        sqlite3_finalize(h->delete_setting);
        /* Closing the last connection checkpoints the log into the main
         * file; if that fails the log stays and the next open replays it. */
        if (sqlite3_close(h->db) != SQLITE_OK)
                log_warning("Failed to close history %s cleanly: %s", h->path,
                            sqlite3_errmsg(h->db));
        free(h->path);
        free(h);
        return NULL;
}

int history_add(struct history *h, const struct history_entry *e)
{
        int r, rc;

        if (!routine_id_valid(e->routine))
                return log_error_errno(-EINVAL, "Refusing to add routine \"%.*s\" to history %s: "
                                       "not a routine id ([a-z0-9-], 1 to %d characters)",
                                       HISTORY_ROUTINE_MAX, e->routine, h->path,
                                       HISTORY_ROUTINE_MAX);
        if (!isfinite(e->seconds) || e->seconds < 0)
                return log_error_errno(-EINVAL, "Refusing to add a session of %s with %g s "
                                       "to history %s", e->routine, e->seconds, h->path);

        r = run(h, h->begin, "start a transaction in");
        if (r < 0)
                return r;

        /* SQLite's integers are signed; µs since the epoch fit until the
         * year 294247, and the cast back in history_list() restores the
         * value in any case. */
        rc = sqlite3_bind_int64(h->insert_session, 1, (sqlite3_int64)e->start_usec);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_text(h->insert_session, 2, e->routine, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_double(h->insert_session, 3, e->seconds);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(h->insert_session, 4, e->steps_completed);
        r = rc == SQLITE_OK ? run(h, h->insert_session, "add a session to")
                            : history_error(h, rc, "add a session to");

        if (r >= 0) {
                rc = sqlite3_bind_int(h->prune_sessions, 1, HISTORY_ENTRIES_MAX);
                r = rc == SQLITE_OK ? run(h, h->prune_sessions, "prune")
                                    : history_error(h, rc, "prune");
        }
        if (r >= 0)
                r = run(h, h->commit, "commit to");
        if (r < 0)
                rollback(h);
        return r;
}

int history_list(struct history *h, unsigned max, struct history_entry **ret, size_t *n)
{
        struct history_entry *entries;
        size_t count = 0;
        unsigned limit;
        int r = 0, rc;

        *ret = NULL;
        *n = 0;
        /* There are never more rows than that, and it bounds the array. */
        limit = max < HISTORY_ENTRIES_MAX ? max : HISTORY_ENTRIES_MAX;
        if (limit == 0)
                return 0;

        entries = calloc(limit, sizeof(*entries));
        if (!entries)
                return log_error_errno(-ENOMEM, "Failed to read history %s: %m", h->path);

        rc = sqlite3_bind_int(h->list_sessions, 1, (int)limit);
        if (rc != SQLITE_OK)
                r = history_error(h, rc, "read");
        while (r >= 0 && count < limit) {
                struct history_entry *e = &entries[count];
                const unsigned char *routine;

                rc = sqlite3_step(h->list_sessions);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = history_error(h, rc, "read");
                        break;
                }
                e->start_usec = (uint64_t)sqlite3_column_int64(h->list_sessions, 0);
                routine = sqlite3_column_text(h->list_sessions, 1);
                e->seconds = sqlite3_column_double(h->list_sessions, 2);
                e->steps_completed = (uint32_t)sqlite3_column_int64(h->list_sessions, 3);
                /* The schema's CHECK keeps this from happening, short of
                 * damage that quick_check did not see. */
                if (!routine || sqlite3_column_bytes(h->list_sessions, 1) > HISTORY_ROUTINE_MAX) {
                        r = log_error_errno(-EBADMSG, "History %s holds a session without a "
                                            "valid routine id", h->path);
                        break;
                }
                memcpy(e->routine, routine, (size_t)sqlite3_column_bytes(h->list_sessions, 1) + 1);
                count++;
        }
        sqlite3_reset(h->list_sessions);
        sqlite3_clear_bindings(h->list_sessions);

        if (r < 0 || count == 0) {
                free(entries);
                return r;
        }
        *ret = entries;
        *n = count;
        return 0;
}

int history_get_u64(struct history *h, const char *key, uint64_t *ret)
{
        int r = 0, rc;

        rc = sqlite3_bind_text(h->get_setting, 1, key, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
                rc = sqlite3_step(h->get_setting);
        if (rc == SQLITE_ROW)
                *ret = (uint64_t)sqlite3_column_int64(h->get_setting, 0);
        else if (rc == SQLITE_DONE)
                r = -ENOENT;
        else
                r = history_error(h, rc, "read a setting from");
        sqlite3_reset(h->get_setting);
        sqlite3_clear_bindings(h->get_setting);
        return r;
}

int history_set_u64(struct history *h, const char *key, uint64_t value)
{
        int rc;

        /* Stored as the signed integer with the same bits; get casts back. */
        rc = sqlite3_bind_text(h->set_setting, 1, key, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(h->set_setting, 2, (sqlite3_int64)value);
        if (rc != SQLITE_OK) {
                int r = history_error(h, rc, "write a setting to");

                sqlite3_clear_bindings(h->set_setting);
                return r;
        }
        return run(h, h->set_setting, "write a setting to");
}

int history_delete(struct history *h, const char *key)
{
        int rc;

        rc = sqlite3_bind_text(h->delete_setting, 1, key, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
                int r = history_error(h, rc, "delete a setting from");

                sqlite3_clear_bindings(h->delete_setting);
                return r;
        }
        return run(h, h->delete_setting, "delete a setting from");
}
