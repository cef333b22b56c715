/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Logging for the main thread (never the RT thread). Lines go to stderr;
 * under systemd they carry a <N> syslog prefix so journald keeps the
 * level (sd-daemon(3)).
 */

#include <errno.h>
#include <stdarg.h>

enum log_level {
        LOG_LEVEL_SILENT = 0,   /* fuzzers: nothing at all */
        LOG_LEVEL_ERR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_NOTICE = 5,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
};

void log_set_max_level(enum log_level level);

/* Prints the line and returns -|error| (or 0 when error is 0), so that
 * callers can write `return log_error_errno(r, "...: %m");`. errno is set
 * to |error| first, so %m names it. */
__attribute__((format(printf, 3, 4)))
int log_full_errno(enum log_level level, int error, const char *format, ...);

#define log_error(...) log_full_errno(LOG_LEVEL_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_LEVEL_NOTICE, (e), __VA_ARGS__)
