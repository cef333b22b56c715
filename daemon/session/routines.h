/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The set of loaded routines: the shipped directory first, then the
 * admin's, where a file overrides the shipped one with the same id
 * (ARCHITECTURE.md, "Where things live on a device"). Likewise the
 * muscles' safe envelopes, from muscles.conf in the same directories.
 */

#include <stddef.h>

#include "envelopes.h"
#include "profile.h"

struct routines {
        struct profile **items; /* sorted by id */
        size_t count;
        struct envelopes envelopes; /* merged from every directory, for the engine */
        /* "file:line: reason" for each file skipped by the load, control
         * characters escaped (common/escape.h) */
        char **errors;
        size_t n_errors;
};

/* First merges muscles.conf of each directory in order: a later
 * directory's [muscle] replaces that muscle's envelope. Then loads the
 * *.ini files of each directory in order, each directory's in sorted
 * order, checking every step against the merged envelopes; a later
 * directory's file overrides an earlier one with the same id. A missing
 * directory or muscles.conf is skipped; an unreadable directory, a bad
 * muscles.conf (the envelopes read before it stay) and a bad routine are
 * logged and skipped (and kept in errors), and the rest loads. On success the old contents of
 * *set are freed (pointers into them become invalid) and replaced; the
 * number of routines is returned. On a real failure (ENOMEM) a negative
 * errno is returned and *set is left as it was. */
int routines_load(struct routines *set, const char *const *dirs, size_t n_dirs);

/* NULL when no routine has that id. */
const struct profile *routines_find(const struct routines *set, const char *id);

void routines_clear(struct routines *set);
