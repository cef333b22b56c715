/* SPDX-License-Identifier: MIT */
#include "when.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* strptime() that must consume all of text but trailing blanks */
static bool parse_all(const char *text, const char *format, struct tm *tm)
{
        const char *end = strptime(text, format, tm);

        return end && end[strspn(end, " ")] == '\0';
}

static bool parse_clock(const char *text, struct tm *tm)
{
        tm->tm_sec = 0;
        return parse_all(text, "%H:%M:%S", tm) || parse_all(text, "%H:%M", tm);
}

static int to_usec(struct tm *tm, uint64_t *ret_usec)
{
        time_t seconds;

        tm->tm_isdst = -1;      /* let mktime() find out whether DST applies */
        seconds = mktime(tm);
        if (seconds == (time_t)-1 || seconds <= 0)
                return -EINVAL;
        *ret_usec = (uint64_t)seconds * 1000000u;
        return 0;
}

/* "today" or "yesterday", then nothing (midnight) or a time of day */
static int parse_day_word(const char *text, const struct tm *today, uint64_t *ret_usec)
{
        static const struct {
                const char *word;
                int days_back;
        } days[] = { { "today", 0 }, { "yesterday", 1 } };

        for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
                size_t n = strlen(days[i].word);
                struct tm tm = *today;
                const char *rest = text + n;

                if (strncmp(text, days[i].word, n) != 0 || (*rest && *rest != ' '))
                        continue;
                rest += strspn(rest, " ");
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                if (*rest && !parse_clock(rest, &tm))
                        return -EINVAL;
                tm.tm_mday -= days[i].days_back;        /* mktime() normalises the 0th */
                return to_usec(&tm, ret_usec);
        }
        return -ENOENT;
}

int parse_when(const char *text, time_t now, uint64_t *ret_usec)
{
        static const char *const date_formats[] = {
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
        };
        struct tm today, tm;
        char *end;
        int r;

        if (strcmp(text, "now") == 0 || strcmp(text, "0") == 0) {
                *ret_usec = 0;
                return 0;
        }
        if (text[0] == '@') {
                unsigned long long seconds;

                errno = 0;
                seconds = strtoull(text + 1, &end, 10);
                if (errno || end == text + 1 || *end || text[1] == '-' || seconds == 0 ||
                    seconds > UINT64_MAX / 1000000u)
                        return -EINVAL;
                *ret_usec = seconds * 1000000u;
                return 0;
        }
        if (!localtime_r(&now, &today))
                return -EINVAL;
        r = parse_day_word(text, &today, ret_usec);
        if (r != -ENOENT)
                return r;

        tm = today;
        if (parse_clock(text, &tm))
                return to_usec(&tm, ret_usec);
        for (size_t i = 0; i < sizeof(date_formats) / sizeof(date_formats[0]); i++) {
                tm = (struct tm){ 0 };
                if (parse_all(text, date_formats[i], &tm))
                        return to_usec(&tm, ret_usec);
        }
        tm = (struct tm){ 0 };
        if (parse_all(text, "%Y-%m-%d", &tm))
                return to_usec(&tm, ret_usec);
        return -EINVAL;
}
