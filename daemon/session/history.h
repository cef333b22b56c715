/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The session history (what GetHistory answers) and a few settings that
 * must survive restarts (the recovery guard's last race), in one SQLite
 * database in the state directory. Every write is one transaction in a
 * write-ahead log, so a crash or a power cut leaves either the old or the
 * new content, never half of it.
 *
 * Main thread only, never the RT thread: a write waits for the disk.
 */

#include <stddef.h>
#include <stdint.h>

/* The history is a log to look back on, not an archive: the oldest
 * sessions are pruned beyond this many, so the file stays small. */
#define HISTORY_ENTRIES_MAX 1000
#define HISTORY_ROUTINE_MAX 32  /* characters of [a-z0-9-], as a routine id */

struct history;

struct history_entry {
        uint64_t start_usec;                    /* CLOCK_REALTIME, µs since the epoch */
        char routine[HISTORY_ROUTINE_MAX + 1];  /* routine id */
        double seconds;                         /* of percussion, ≥ 0 */
        uint32_t steps_completed;
};

/* Opens the database at path, creating it (not its directory) if needed.
 * A file that is not one of our databases, or is damaged, gives -EBADMSG;
 * one from a newer percussd -EPROTONOSUPPORT; anything else -errno. Every
 * failure is logged with the path; the caller decides whether to go on
 * without history. */
int history_open(const char *path, struct history **ret);
/* NULL-safe; returns NULL. */
struct history *history_close(struct history *h);
/* Moves a damaged database at path, and its write-ahead log and shared
 * memory files, to path.damaged-SECONDS (the wall clock's), kept for
 * whoever wants to recover from it; the name is in aside. */
int history_set_aside(const char *path, char *aside, size_t size);

/* Records e and prunes beyond HISTORY_ENTRIES_MAX, in one transaction.
 * -EINVAL for a routine id that is not [a-z0-9-]{1,32} or seconds that
 * are negative or not finite. */
int history_add(struct history *h, const struct history_entry *e);
/* Newest (most recently added) first, at most max entries (0 = none).
 * *ret is malloc'd (free() it; NULL when *n is 0). */
int history_list(struct history *h, unsigned max, struct history_entry **ret, size_t *n);

/* Settings: one unsigned 64-bit value per key. get: -ENOENT when absent. */
int history_get_u64(struct history *h, const char *key, uint64_t *ret);
int history_set_u64(struct history *h, const char *key, uint64_t value);
/* Deleting an absent key is not an error. */
int history_delete(struct history *h, const char *key);
