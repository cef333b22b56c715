/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level max_level = LOG_LEVEL_INFO;

void log_set_max_level(enum log_level level)
{
        max_level = level;
}

int log_full_errno(enum log_level level, int error, const char *format, ...)
{
        int saved_errno = error < 0 ? -error : error;

        if (level <= max_level) {
                va_list ap;

                if (getenv("JOURNAL_STREAM"))
                        fprintf(stderr, "<%d>", (int)level);
                else
                        fprintf(stderr, "%s: ", program_invocation_short_name);
                errno = saved_errno;
                va_start(ap, format);
                vfprintf(stderr, format, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        return -saved_errno;
}
