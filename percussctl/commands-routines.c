/* SPDX-License-Identifier: MIT */
/* The routines: list, show, reload, and the ids for shell completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "properties.h"

struct step {
        const char *muscle, *side;
        double speed_ppm, amplitude_mm, duration_s, ramp_s;
};

/* Routines, as the daemon lists them; the caller puts it. */
static json_object *routine_ids(struct bus_client *c)
{
        json_object *ids = massager_get_property(c, "Routines");

        if (!json_object_is_type(ids, json_type_array)) {
                json_object_put(ids);
                die(CTL_EXIT_REFUSED, "System.Error", "percussd sent no list of routines.");
        }
        return ids;
}

/* GetRoutine: the reply is read further by the caller (the steps), who
 * unrefs it; *title points into it. */
static sd_bus_message *get_routine(struct bus_client *c, const char *id, const char **title)
{
        sd_bus_message *reply = massager_call(c, "GetRoutine", "s", id);

        if (sd_bus_message_read(reply, "s", title) < 0)
                die(CTL_EXIT_REFUSED, "System.Error", "percussd's description of %s cannot be read.", id);
        return reply;
}

int command_list_ids(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *ids = routine_ids(c);

        (void)argc, (void)argv;
        for (size_t i = 0; i < json_object_array_length(ids); i++)
                printf("%s\n", json_object_get_string(json_object_array_get_idx(ids, i)));
        return 0;
}

int command_list(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *ids = routine_ids(c);
        _cleanup_(json_object_putp) json_object *routines = json_object_new_array();
        size_t n = json_object_array_length(ids);
        int id_width = 2;

        (void)argc, (void)argv;
        for (size_t i = 0; i < n; i++) {
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                sd_bus_message *reply;
                json_object *routine;
                const char *title;

                reply = get_routine(c, id, &title);
                routine = json_object_new_object();
                json_object_object_add(routine, "id", json_object_new_string(id));
                json_object_object_add(routine, "title", json_object_new_string(title));
                json_object_array_add(routines, routine);
                sd_bus_message_unref(reply);
                if ((int)strlen(id) > id_width)
                        id_width = (int)strlen(id);
        }
        if (arg_json) {
                json_print(routines);
                return 0;
        }
        if (n == 0) {
                printf("No routines: percussd found no routine files.\n");
                return 0;
        }
        printf("%-*s  %s\n", id_width, "ID", "TITLE");
        for (size_t i = 0; i < n; i++) {
                json_object *routine = json_object_array_get_idx(routines, i);

                printf("%-*s  %s\n", id_width, prop_string(routine, "id"),
                       prop_string(routine, "title"));
        }
        return 0;
}

static int read_step(sd_bus_message *reply, struct step *s)
{
        return sd_bus_message_read(reply, "(ssdddd)", &s->muscle, &s->side, &s->speed_ppm,
                                   &s->amplitude_mm, &s->duration_s, &s->ramp_s);
}

static json_object *step_to_json(const struct step *s)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "muscle", json_object_new_string(s->muscle));
        json_object_object_add(o, "side", json_object_new_string(s->side));
        json_object_object_add(o, "speed_ppm", json_double_or_null(s->speed_ppm));
        json_object_object_add(o, "amplitude_mm", json_double_or_null(s->amplitude_mm));
        json_object_object_add(o, "duration_s", json_double_or_null(s->duration_s));
        json_object_object_add(o, "ramp_s", json_double_or_null(s->ramp_s));
        return o;
}

static void print_routine_text(const char *id, const char *title, json_object *steps)
{
        size_t n = json_object_array_length(steps);
        int muscle_width = 6;
        double total_s = 0.0;
        char total[32];

        for (size_t i = 0; i < n; i++) {
                json_object *step = json_object_array_get_idx(steps, i);
                double duration_s;
                int len = (int)strlen(prop_string(step, "muscle"));

                if (len > muscle_width)
                        muscle_width = len;
                if (prop_double(step, "duration_s", &duration_s))
                        total_s += duration_s;
        }
        format_duration(total, sizeof(total), total_s);
        printf("%s (%s): %zu step%s, %s\n\n", title, id, n, n == 1 ? "" : "s", total);
        printf("STEP  %-*s  SIDE   SPEED     STROKE   TIME     RAMP\n", muscle_width, "MUSCLE");
        for (size_t i = 0; i < n; i++) {
                json_object *step = json_object_array_get_idx(steps, i);
                double speed_ppm = 0, amplitude_mm = 0, duration_s = 0, ramp_s = 0;
                char duration[32], speed[32], stroke[32];

                prop_double(step, "speed_ppm", &speed_ppm);
                prop_double(step, "amplitude_mm", &amplitude_mm);
                prop_double(step, "duration_s", &duration_s);
                prop_double(step, "ramp_s", &ramp_s);
                format_duration(duration, sizeof(duration), duration_s);
                snprintf(speed, sizeof(speed), "%.0f ppm", speed_ppm);
                snprintf(stroke, sizeof(stroke), "%.1f mm", amplitude_mm);
                printf("%4zu  %-*s  %-5s  %-8s  %-7s  %-7s  %.0f s\n", i + 1, muscle_width,
                       prop_string(step, "muscle"), prop_string(step, "side"), speed, stroke,
                       duration, ramp_s);
        }
}

int command_show(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *routine = json_object_new_object();
        json_object *steps = json_object_new_array();
        const char *id = argv[0], *title;
        sd_bus_message *reply;
        struct step step;
        int r;

        (void)argc;
        reply = get_routine(c, id, &title);
        json_object_object_add(routine, "id", json_object_new_string(id));
        json_object_object_add(routine, "title", json_object_new_string(title));
        json_object_object_add(routine, "steps", steps);
        r = sd_bus_message_enter_container(reply, 'a', "(ssdddd)");
        while (r >= 0 && (r = read_step(reply, &step)) > 0)
                json_object_array_add(steps, step_to_json(&step));
        sd_bus_message_unref(reply);
        if (r < 0)
                die(CTL_EXIT_REFUSED, "System.Error", "percussd's steps of %s cannot be read.", id);

        if (arg_json)
                json_print(routine);
        else
                print_routine_text(id, prop_string(routine, "title"), steps);
        return 0;
}

int command_reload(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        sd_bus_message_unref(massager_call(c, "Reload", NULL));
        return 0;
}
