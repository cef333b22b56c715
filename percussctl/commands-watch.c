/* SPDX-License-Identifier: MIT */
/*
 * watch: the status, redrawn whenever percussd says something changed.
 * Nothing is polled: PropertiesChanged and the StepStarted, Finished and
 * FaultRaised signals drive every redraw. Ends on Ctrl-C (status 0) or
 * when percussd or the bus goes away (status 3).
 *
 * On a terminal it redraws the status screen in place; into a pipe it
 * writes a line whenever the state, step, intensity or fault changes and
 * one for each signal; with --json one object per line.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "properties.h"
#include "status-view.h"

struct watch {
        struct bus_client *client;
        sd_event *event;
        json_object *props;             /* kept up to date from PropertiesChanged */
        bool terminal;
        bool drawn;                     /* the screen was cleared once */
        char summary[256];              /* pipe: the last summary written */
        char last_event[300];           /* terminal: the latest signal, under the status */
        const char *exit_error_name;    /* why the loop ended, when not by Ctrl-C */
        char exit_message[256];
};

static void clock_now(char *buf, size_t size)
{
        time_t now = time(NULL);
        struct tm tm;

        if (!localtime_r(&now, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                snprintf(buf, size, "--:--:--");
}

/* Ends the loop with exit status 3 and the sentence to die with. */
static void watch_lost(struct watch *w, const char *error_name, const char *sentence)
{
        w->exit_error_name = error_name;
        snprintf(w->exit_message, sizeof(w->exit_message), "%s", sentence);
        sd_event_exit(w->event, CTL_EXIT_UNREACHABLE);
}

/* The screen: cursor home, each line cleared to its end, the rest of the
 * screen cleared, so that nothing flickers at ten redraws a second. */
static void redraw(struct watch *w)
{
        char *text = NULL, *line, *end;
        size_t size = 0;
        FILE *screen = open_memstream(&text, &size);

        if (!screen)
                return;
        status_view_print(screen, w->props);
        if (*w->last_event)
                fprintf(screen, "\n%s\n", w->last_event);
        fprintf(screen, "\nCtrl-C to quit.\n");
        fclose(screen);

        fputs(w->drawn ? "\033[H" : "\033[H\033[2J", stdout);
        w->drawn = true;
        for (line = text; (end = strchr(line, '\n')); line = end + 1)
                printf("%.*s\033[K\n", (int)(end - line), line);
        fputs("\033[J", stdout);
        fflush(stdout);
        free(text);
}

static void print_json_event(json_object *event)
{
        printf("%s\n", json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(stdout);
        json_object_put(event);
}

static void show_status(struct watch *w)
{
        char summary[256], now[16];

        if (arg_json) {
                json_object *event = json_object_new_object();

                json_object_object_add(event, "event", json_object_new_string("status"));
                json_object_object_add(event, "properties", json_object_get(w->props));
                print_json_event(event);
        } else if (w->terminal)
                redraw(w);
        else {
                status_view_summary(summary, sizeof(summary), w->props);
                if (strcmp(summary, w->summary) == 0)
                        return;
                snprintf(w->summary, sizeof(w->summary), "%s", summary);
                clock_now(now, sizeof(now));
                printf("%s %s\n", now, summary);
                fflush(stdout);
        }
}

/* A signal's line: under the screen on a terminal, on its own into a pipe. */
static void show_event(struct watch *w, const char *text)
{
        char now[16];

        clock_now(now, sizeof(now));
        if (w->terminal) {
                snprintf(w->last_event, sizeof(w->last_event), "%s %s", now, text);
                redraw(w);
        } else {
                printf("%s %s\n", now, text);
                fflush(stdout);
        }
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct watch *w = userdata;
        const char *interface, *name;
        int r;

        (void)ret_error;
        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0 || strcmp(interface, BUS_INTERFACE) != 0)
                return 0;
        r = properties_read(w->props, m);
        if (r < 0)
                return 0;
        /* percussd sends values, but a property may also be only invalidated */
        r = sd_bus_message_enter_container(m, 'a', "s");
        while (r > 0 && (r = sd_bus_message_read(m, "s", &name)) > 0)
                json_object_object_add(w->props, name, massager_get_property(w->client, name));
        show_status(w);
        return 0;
}

static int on_massager_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct watch *w = userdata;
        const char *member = sd_bus_message_get_member(m);
        const char *a = "", *b = "";
        json_object *event = json_object_new_object();
        char text[256];
        uint32_t step;
        double seconds;
        int completed;

        (void)ret_error;
        json_object_object_add(event, "event", json_object_new_string(member));
        if (sd_bus_message_is_signal(m, BUS_INTERFACE, "StepStarted") &&
            sd_bus_message_read(m, "uss", &step, &a, &b) >= 0) {
                json_object_object_add(event, "step", json_object_new_int64(step));
                json_object_object_add(event, "muscle", json_object_new_string(a));
                json_object_object_add(event, "side", json_object_new_string(b));
                snprintf(text, sizeof(text), "step %u started: %s%s%s", step + 1, a,
                         *b && strcmp(b, "none") != 0 ? " " : "",
                         *b && strcmp(b, "none") != 0 ? b : "");
        } else if (sd_bus_message_is_signal(m, BUS_INTERFACE, "Finished") &&
                   sd_bus_message_read(m, "sdb", &a, &seconds, &completed) >= 0) {
                char duration[32];

                json_object_object_add(event, "routine", json_object_new_string(a));
                json_object_object_add(event, "seconds", json_double_or_null(seconds));
                json_object_object_add(event, "completed", json_object_new_boolean(completed));
                format_duration(duration, sizeof(duration), seconds);
                snprintf(text, sizeof(text), "%s %s after %s of percussion", a,
                         completed ? "completed" : "stopped", duration);
        } else if (sd_bus_message_is_signal(m, BUS_INTERFACE, "FaultRaised") &&
                   sd_bus_message_read(m, "ss", &a, &b) >= 0) {
                json_object_object_add(event, "code", json_object_new_string(a));
                json_object_object_add(event, "message", json_object_new_string(b));
                snprintf(text, sizeof(text), "fault %s: %s", a, b);
        } else {
                /* PropertiesChanged has its own handler; anything newer is ignored */
                json_object_put(event);
                return 0;
        }
        if (arg_json)
                print_json_event(event);
        else {
                json_object_put(event);
                show_event(w, text);
        }
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct watch *w = userdata;
        const char *name, *old_owner, *new_owner;
        char sentence[256];

        (void)ret_error;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, BUS_NAME) != 0 || *new_owner)
                return 0;
        snprintf(sentence, sizeof(sentence), "percussd left %s (%s has no owner any more).",
                 w->client->where, BUS_NAME);
        watch_lost(w, SD_BUS_ERROR_NAME_HAS_NO_OWNER, sentence);
        return 0;
}

/* sd-bus hands its filters a local Disconnected signal when the bus goes. */
static int on_any_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct watch *w = userdata;
        char sentence[256];

        (void)ret_error;
        if (!sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected"))
                return 0;
        snprintf(sentence, sizeof(sentence), "The connection to %s was lost.", w->client->where);
        watch_lost(w, SD_BUS_ERROR_DISCONNECTED, sentence);
        return 0;
}

static int on_quit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)si, (void)userdata;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void subscribe(struct watch *w, sd_bus *bus)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_add_filter(bus, NULL, on_any_message, w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_properties_changed, w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, BUS_NAME, BUS_PATH,
                                        BUS_INTERFACE, NULL, on_massager_signal, w);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',"
                                     "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                                     "member='NameOwnerChanged',arg0='" BUS_NAME "'",
                                     on_name_owner_changed, w);
        if (r < 0) {
                sd_bus_error_set_errno(&error, r);
                die_bus_error(w->client, &error, r, "watch the signals");
        }
}

int command_watch(struct bus_client *c, int argc, char **argv)
{
        struct watch w = { .client = c, .terminal = isatty(STDOUT_FILENO) };
        sd_bus *bus = bus_client_connect(c);
        sigset_t quit_signals;
        int r;

        (void)argc, (void)argv;
        /* subscribe first, then read: no change falls between the two */
        subscribe(&w, bus);
        w.props = massager_get_properties(c);

        sigemptyset(&quit_signals);
        sigaddset(&quit_signals, SIGINT);
        sigaddset(&quit_signals, SIGTERM);
        sigprocmask(SIG_BLOCK, &quit_signals, NULL);
        r = sd_event_default(&w.event);
        if (r >= 0)
                r = sd_event_add_signal(w.event, NULL, SIGINT, on_quit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(w.event, NULL, SIGTERM, on_quit_signal, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, w.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                die(CTL_EXIT_UNREACHABLE, "System.Error", "Cannot set up the event loop: %s.",
                    strerror(-r));

        show_status(&w);
        r = sd_event_loop(w.event);

        sd_bus_detach_event(bus);
        w.event = sd_event_unref(w.event);
        json_object_put(w.props);
        if (w.terminal && w.drawn)
                fputc('\n', stdout);
        if (r < 0)
                die(CTL_EXIT_UNREACHABLE, "System.Error", "The event loop failed: %s.", strerror(-r));
        if (r == CTL_EXIT_UNREACHABLE)
                die(r, w.exit_error_name, "%s", w.exit_message);
        return r;
}
