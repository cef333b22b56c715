/* SPDX-License-Identifier: MIT */
#include "massager.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "common/log.h"

static void changed(struct massager *m)
{
        m->listener->status_changed(m->userdata);
}

static void free_routines(struct massager *m)
{
        for (size_t i = 0; i < m->routine_count; i++) {
                free(m->routine_ids[i]);
                free(m->routine_titles[i]);
        }
        free(m->routine_ids);
        free(m->routine_titles);
        m->routine_ids = m->routine_titles = NULL;
        m->routine_count = 0;
        m->routines_generation++;
}

static void unavailable(struct massager *m)
{
        m->get_all = sd_bus_slot_unref(m->get_all);
        m->status = (struct gun_status){ .available = false, .battery_percent = NAN };
        free_routines(m);
        m->listener->routines_changed(m->userdata);
        changed(m);
}

static int read_string(sd_bus_message *msg, char *buf, size_t size)
{
        const char *s;
        int r = sd_bus_message_read(msg, "v", "s", &s);

        if (r >= 0)
                snprintf(buf, size, "%s", s);
        return r;
}

struct title_request {
        struct massager *m;
        unsigned generation;
        size_t index;
};

static int on_routine(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct title_request *req = userdata;
        struct massager *m = req->m;
        const char *title;
        int r;

        (void)ret_error;
        if (req->generation != m->routines_generation || req->index >= m->routine_count)
                goto done;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("GetRoutine(%s) failed: %s", m->routine_ids[req->index],
                            sd_bus_message_get_error(reply)->message);
                goto done;
        }
        r = sd_bus_message_read(reply, "s", &title);
        if (r < 0) {
                log_warning_errno(r, "GetRoutine(%s) answered something else: %m",
                                  m->routine_ids[req->index]);
                goto done;
        }
        free(m->routine_titles[req->index]);
        m->routine_titles[req->index] = strdup(title);
        m->listener->routines_changed(m->userdata);
done:
        return 0;
}

static int set_routines(struct massager *m, char **ids)
{
        int r;

        free_routines(m);
        m->routine_ids = ids;
        while (ids[m->routine_count])
                m->routine_count++;
        m->routine_titles = calloc(m->routine_count + 1, sizeof(char *));
        if (!m->routine_titles)
                return -ENOMEM;
        for (size_t i = 0; i < m->routine_count; i++) {
                struct title_request *req = malloc(sizeof(*req));
                sd_bus_slot *slot = NULL;

                if (!req)
                        return -ENOMEM;
                *req = (struct title_request){ .m = m, .generation = m->routines_generation,
                                               .index = i };
                r = sd_bus_call_method_async(m->bus, &slot, MASSAGER_BUS_NAME, MASSAGER_OBJECT_PATH,
                                             MASSAGER_INTERFACE, "GetRoutine", on_routine, req,
                                             "s", ids[i]);
                if (r < 0) {
                        free(req);
                        return log_warning_errno(r, "Failed to ask percussd for routine %s: %m",
                                                 ids[i]);
                }
                /* the request lives as long as the call, answered or not */
                (void)sd_bus_slot_set_destroy_callback(slot, free);
                (void)sd_bus_slot_set_floating(slot, true);
                sd_bus_slot_unref(slot);
        }
        m->listener->routines_changed(m->userdata);
        return 0;
}

/* One property of the dictionary, as percussd's contract types it. */
static int read_property(struct massager *m, sd_bus_message *msg, const char *name)
{
        struct gun_status *s = &m->status;
        int b, r;
        char **ids = NULL;

        if (strcmp(name, "State") == 0)
                return read_string(msg, s->state, sizeof(s->state));
        if (strcmp(name, "Routine") == 0)
                return read_string(msg, s->routine, sizeof(s->routine));
        if (strcmp(name, "MuscleGroup") == 0)
                return read_string(msg, s->muscle, sizeof(s->muscle));
        if (strcmp(name, "Side") == 0)
                return read_string(msg, s->side, sizeof(s->side));
        if (strcmp(name, "Fault") == 0)
                return read_string(msg, s->fault, sizeof(s->fault));
        if (strcmp(name, "Step") == 0)
                return sd_bus_message_read(msg, "v", "u", &s->step);
        if (strcmp(name, "StepCount") == 0)
                return sd_bus_message_read(msg, "v", "u", &s->step_count);
        if (strcmp(name, "Intensity") == 0)
                return sd_bus_message_read(msg, "v", "u", &s->intensity);
        if (strcmp(name, "MaxIntensity") == 0)
                return sd_bus_message_read(msg, "v", "u", &s->max_intensity);
        if (strcmp(name, "TargetSpeed") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->target_speed_ppm);
        if (strcmp(name, "Speed") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->speed_ppm);
        if (strcmp(name, "TargetAmplitude") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->target_amplitude_mm);
        if (strcmp(name, "Amplitude") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->amplitude_mm);
        if (strcmp(name, "Force") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->force_n);
        if (strcmp(name, "Battery") == 0)
                return sd_bus_message_read(msg, "v", "d", &s->battery_percent);
        if (strcmp(name, "Charging") == 0) {
                r = sd_bus_message_read(msg, "v", "b", &b);
                s->charging = b;
                return r;
        }
        if (strcmp(name, "Routines") == 0) {
                r = sd_bus_message_enter_container(msg, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(msg, &ids);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r >= 0)
                        r = set_routines(m, ids);
                else {
                        for (char **id = ids; id && *id; id++)
                                free(*id);
                        free(ids);
                }
                return r;
        }
        return sd_bus_message_skip(msg, "v");
}

static int read_properties(struct massager *m, sd_bus_message *msg)
{
        const char *name;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                r = sd_bus_message_read(msg, "s", &name);
                if (r >= 0)
                        r = read_property(m, msg, name);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int on_get_all(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct massager *m = userdata;
        int r;

        (void)ret_error;
        m->get_all = sd_bus_slot_unref(m->get_all);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("Failed to read percussd's properties: %s",
                            sd_bus_message_get_error(reply)->message);
                return 0;
        }
        m->status.available = true;
        r = read_properties(m, reply);
        if (r < 0)
                log_warning_errno(r, "percussd's properties do not read as DBUS.md types them: %m");
        log_info("percussd is on the bus: %s, %zu routines.", m->status.state, m->routine_count);
        changed(m);
        return 0;
}

static int read_all(struct massager *m)
{
        m->get_all = sd_bus_slot_unref(m->get_all);
        return sd_bus_call_method_async(m->bus, &m->get_all, MASSAGER_BUS_NAME, MASSAGER_OBJECT_PATH,
                                        "org.freedesktop.DBus.Properties", "GetAll", on_get_all, m,
                                        "s", MASSAGER_INTERFACE);
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct massager *m = userdata;
        const char *interface;
        int r;

        (void)ret_error;
        /* before GetAll answers, its answer holds these too */
        if (!m->status.available)
                return 0;
        r = sd_bus_message_read(msg, "s", &interface);
        if (r < 0 || strcmp(interface, MASSAGER_INTERFACE) != 0)
                return 0;
        r = read_properties(m, msg);
        if (r < 0)
                log_warning_errno(r, "percussd's PropertiesChanged does not read as DBUS.md types it: %m");
        changed(m);
        return 0;
}

static int on_pairing_requested(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct massager *m = userdata;

        (void)msg, (void)ret_error;
        m->listener->pairing_requested(m->userdata);
        return 0;
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct massager *m = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        (void)ret_error;
        r = sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner);
        if (r < 0 || strcmp(name, MASSAGER_BUS_NAME) != 0)
                return 0;
        if (*old_owner) {
                log_notice("percussd left the bus; the Status reads unavailable until it is back.");
                unavailable(m);
        }
        if (*new_owner) {
                r = read_all(m);
                if (r < 0)
                        log_warning_errno(r, "Failed to ask percussd for its properties: %m");
        }
        return 0;
}

int massager_start(struct massager *m, sd_bus *bus, const struct massager_listener *listener,
                   void *userdata)
{
        int r;

        *m = (struct massager){ .bus = sd_bus_ref(bus), .listener = listener, .userdata = userdata,
                                .status = { .battery_percent = NAN } };
        r = sd_bus_add_match_async(bus, &m->owner_match, NAME_OWNER_MATCH(MASSAGER_BUS_NAME),
                                   on_owner_changed, NULL, m);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &m->properties_match, MASSAGER_BUS_NAME,
                                              MASSAGER_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                                              "PropertiesChanged", on_properties_changed, NULL, m);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &m->pairing_match, MASSAGER_BUS_NAME,
                                              MASSAGER_OBJECT_PATH, MASSAGER_INTERFACE,
                                              "PairingRequested", on_pairing_requested, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to follow %s on the bus: %m", MASSAGER_BUS_NAME);
        /* if it is not there yet, the error answer is logged and the
         * owner change brings it */
        r = read_all(m);
        if (r < 0)
                return log_error_errno(r, "Failed to ask %s for its properties: %m", MASSAGER_BUS_NAME);
        return 0;
}

void massager_stop(struct massager *m)
{
        m->get_all = sd_bus_slot_unref(m->get_all);
        m->owner_match = sd_bus_slot_unref(m->owner_match);
        m->properties_match = sd_bus_slot_unref(m->properties_match);
        m->pairing_match = sd_bus_slot_unref(m->pairing_match);
        free_routines(m);
        m->bus = sd_bus_unref(m->bus);
}

uint8_t massager_routine_index(const struct massager *m)
{
        if (!m->status.routine[0])
                return ROUTINE_NONE;
        for (size_t i = 0; i < m->routine_count && i < ROUTINE_NONE; i++)
                if (strcmp(m->routine_ids[i], m->status.routine) == 0)
                        return (uint8_t)i;
        return ROUTINE_NONE;
}
