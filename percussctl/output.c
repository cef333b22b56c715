/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

bool arg_json;

void die(int status, const char *error_name, const char *format, ...)
{
        char message[1024];
        va_list ap;

        va_start(ap, format);
        vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);

        fflush(stdout);
        if (arg_json) {
                json_object *error = json_object_new_object();

                json_object_object_add(error, "error", json_object_new_string(error_name));
                json_object_object_add(error, "message", json_object_new_string(message));
                fprintf(stderr, "%s\n",
                        json_object_to_json_string_ext(error, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(error);
        } else
                fprintf(stderr, "percussctl: %s\n", message);
        exit(status);
}

void json_print(json_object *o)
{
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        flags |= isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
        printf("%s\n", json_object_to_json_string_ext(o, flags));
}

json_object *json_double_or_null(double value)
{
        return isfinite(value) ? json_object_new_double(value) : NULL;
}

void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

void format_duration(char *buf, size_t size, double seconds)
{
        long total_s;

        if (!(seconds >= 0.0)) {
                snprintf(buf, size, "—");
                return;
        }
        total_s = lround(seconds);
        if (total_s >= 3600)
                snprintf(buf, size, "%ld:%02ld:%02ld", total_s / 3600, total_s / 60 % 60,
                         total_s % 60);
        else
                snprintf(buf, size, "%ld:%02ld", total_s / 60, total_s % 60);
}

void format_local_time(char *buf, size_t size, uint64_t usec)
{
        time_t seconds = (time_t)(usec / 1000000);
        struct tm tm;

        if (!localtime_r(&seconds, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, size, "@%lld", (long long)seconds);
}
