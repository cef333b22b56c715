/* SPDX-License-Identifier: MIT */
/* What was done: history, and the race that the recovery guard counts from. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "output.h"
#include "properties.h"
#include "when.h"

#define HISTORY_DEFAULT 10
#define HISTORY_MAX 10000

struct session_record {
        uint64_t start_usec;
        const char *routine;
        double seconds;
        uint32_t steps_completed;
};

static json_object *record_to_json(const struct session_record *s)
{
        json_object *o = json_object_new_object();
        time_t start = (time_t)(s->start_usec / 1000000);
        char iso[64] = "";
        struct tm tm;

        if (localtime_r(&start, &tm))
                strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
        json_object_object_add(o, "start_usec", json_object_new_uint64(s->start_usec));
        json_object_object_add(o, "start", json_object_new_string(iso));
        json_object_object_add(o, "routine", json_object_new_string(s->routine));
        json_object_object_add(o, "seconds", json_double_or_null(s->seconds));
        json_object_object_add(o, "steps_completed", json_object_new_int64(s->steps_completed));
        return o;
}

static void print_history_text(json_object *sessions)
{
        size_t n = json_object_array_length(sessions);
        int routine_width = 7;

        if (n == 0) {
                printf("No sessions yet.\n");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                int len = (int)strlen(prop_string(json_object_array_get_idx(sessions, i), "routine"));

                if (len > routine_width)
                        routine_width = len;
        }
        printf("%-16s  %-*s  %7s  %5s\n", "STARTED", routine_width, "ROUTINE", "MINUTES", "STEPS");
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(sessions, i);
                uint64_t start_usec = 0, steps = 0;
                double seconds = 0.0;
                char started[64];

                prop_uint(s, "start_usec", &start_usec);
                prop_double(s, "seconds", &seconds);
                prop_uint(s, "steps_completed", &steps);
                format_local_time(started, sizeof(started), start_usec);
                printf("%-16s  %-*s  %7.1f  %5llu\n", started, routine_width,
                       prop_string(s, "routine"), seconds / 60.0, (unsigned long long)steps);
        }
}

int command_history(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *sessions = json_object_new_array();
        uint32_t max = HISTORY_DEFAULT;
        struct session_record s;
        sd_bus_message *reply;
        int r;

        if (argc > 0)
                max = parse_number_or_die("the number of sessions", argv[0], 1, HISTORY_MAX);
        reply = massager_call(c, "GetHistory", "u", max);
        r = sd_bus_message_enter_container(reply, 'a', "(tsdu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(tsdu)", &s.start_usec, &s.routine,
                                                  &s.seconds, &s.steps_completed)) > 0)
                json_object_array_add(sessions, record_to_json(&s));
        sd_bus_message_unref(reply);
        if (r < 0)
                die(CTL_EXIT_REFUSED, "System.Error", "The history percussd sent cannot be read.");

        if (arg_json)
                json_print(sessions);
        else
                print_history_text(sessions);
        return 0;
}

int command_clear_race(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        sd_bus_message_unref(massager_call(c, "ClearRace", NULL));
        return 0;
}

int command_race(struct bus_client *c, int argc, char **argv)
{
        char when[128] = "now";
        uint64_t when_usec;

        if (arg_clear) {
                if (argc > 0)
                        die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                            "race --clear takes no time. Try 'percussctl --help'.");
                return command_clear_race(c, 0, NULL);
        }
        /* "race yesterday 10:00" is one WHEN in two words */
        if (argc == 1)
                snprintf(when, sizeof(when), "%s", argv[0]);
        else if (argc == 2)
                snprintf(when, sizeof(when), "%s %s", argv[0], argv[1]);
        if (parse_when(when, time(NULL), &when_usec) < 0)
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "Cannot read the time \"%s\": give now, today, yesterday 10:00, 09:30, "
                    "2026-11-22 09:30 or @SECONDS. Try 'percussctl --help'.", when);
        sd_bus_message_unref(massager_call(c, "RecordRace", "t", when_usec));
        return 0;
}
