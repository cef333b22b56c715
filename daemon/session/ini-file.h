/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Careful reading of the daemon's small INI files (routines, muscle
 * envelopes) with inih. We feed inih our own line reader, so that we
 * know the line of every key (Debian builds inih without line numbers for
 * the handler), see section headers, and refuse what inih would silently
 * mangle: a line longer than its buffer, a NUL byte, bytes that are not
 * UTF-8, text after a section's "]". Every error reads "path:line: reason"
 * ("path: reason" for what has no line), and the first one ends the parse.
 *
 * Parsing happens on the main thread, never on the RT thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Such a file is a few dozen short lines; anything much bigger was put in
 * the directory by mistake and is refused before it is read. */
#define INI_FILE_MAX_BYTES (64 * 1024)

struct ini_file {
        /* Set by the caller. */
        const char *path;
        const char *kind;               /* "routine file": names the size limit in its message */
        /* A [name] header; name is not NUL-terminated. */
        int (*on_section)(struct ini_file *f, const char *name, int name_len);
        int (*on_key)(struct ini_file *f, const char *name, const char *value);
        void *userdata;
        char *error;
        size_t error_size;

        /* Read by the callbacks. */
        unsigned line;                  /* the line being read, from 1 */
        bool seen_content;              /* a section or a key, not only comments */
        int r;                          /* the first error, a negative errno, or 0 */
        unsigned error_line;

        FILE *file;
        char *line_buf;                 /* getline()'s, holds a whole line however long */
        size_t line_buf_size;
};

/* Records the first error as "path:line: message" ("path: message" when
 * line is 0) and returns r, a negative errno; once an error is recorded,
 * later ones are dropped and the first one's r is returned. */
__attribute__((format(printf, 4, 5)))
int ini_file_error(struct ini_file *f, unsigned line, int r, const char *format, ...);

/* Opens f->path (a regular file of at most INI_FILE_MAX_BYTES, never
 * blocking on a FIFO), reads it through the callbacks, and closes it.
 * Returns 0 or the first error. What needs the whole file (the last
 * section's required keys, an empty file) is the caller's to check after. */
int ini_file_parse(struct ini_file *f);

/* [a-z]+(-[a-z]+)*, the shape of the names DBUS.md shows (calves, glute-med). */
bool ini_is_lower_case_words(const char *s);

const char *ini_skip_space(const char *s);
