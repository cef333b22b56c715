/* SPDX-License-Identifier: MIT */
#include "bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "common/log.h"

static void publish_status(struct bridge *b)
{
        uint8_t record[STATUS_RECORD_SIZE];
        uint8_t level = battery_level(&b->massager.status);

        status_record_encode(&b->massager.status, massager_routine_index(&b->massager), record);
        if (gatt_set_value(&b->gatt, GATT_STATUS, record, sizeof(record)))
                (void)sd_event_now(b->event, CLOCK_MONOTONIC, &b->status_notified_usec);
        (void)gatt_set_value(&b->gatt, GATT_BATTERY_LEVEL, &level, 1);
}

static int on_status_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void)source, (void)usec;
        publish_status(userdata);
        return 0;
}

/* What a person acts on (state, routine, step, muscle, side, intensity,
 * fault) goes out at once, as percussd publishes it; the telemetry
 * (speeds, strokes, force, battery) at most every STATUS_MIN_INTERVAL_US
 * after the last notification, so that it never floods the link. */
static bool event_changed(const struct bridge *b)
{
        const struct gatt_characteristic *c = &b->gatt.characteristics[GATT_STATUS];
        uint8_t record[STATUS_RECORD_SIZE];
        static const unsigned event_bytes[] = { 1, 2, 3, 4, 5, 6, 15, 16, 18 };

        if (c->value.size != STATUS_RECORD_SIZE)
                return true;
        status_record_encode(&b->massager.status, massager_routine_index(&b->massager), record);
        for (size_t i = 0; i < sizeof(event_bytes) / sizeof(event_bytes[0]); i++)
                if (record[event_bytes[i]] != c->value.data[event_bytes[i]])
                        return true;
        return false;
}

static void on_status_changed(void *userdata)
{
        struct bridge *b = userdata;
        uint64_t now_usec = 0, due_usec = b->status_notified_usec + STATUS_MIN_INTERVAL_US;
        int enabled = SD_EVENT_OFF, r;

        (void)sd_event_now(b->event, CLOCK_MONOTONIC, &now_usec);
        if (!b->status_notified_usec || now_usec >= due_usec || event_changed(b)) {
                (void)sd_event_source_set_enabled(b->status_timer, SD_EVENT_OFF);
                publish_status(b);
                return;
        }
        (void)sd_event_source_get_enabled(b->status_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        r = sd_event_source_set_time(b->status_timer, due_usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->status_timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_warning_errno(r, "Failed to time the next Status notification, sending it now: %m");
                publish_status(b);
        }
}

static void on_routines_changed(void *userdata)
{
        struct bridge *b = userdata;
        struct byte_buffer record = { 0 };
        int r;

        r = routines_record_encode(&record, b->massager.routine_ids, b->massager.routine_titles,
                                   b->massager.routine_count);
        if (r >= 0)
                (void)gatt_set_value(&b->gatt, GATT_ROUTINES, record.data, record.size);
        else
                log_warning_errno(r, "Failed to encode the routines: %m");
        byte_buffer_free(&record);
}

static void on_pairing_requested(void *userdata)
{
        struct bridge *b = userdata;

        log_info("percussd: pairing requested on the gun's buttons.");
        pairing_window_open(&b->pairing);
}

static const struct massager_listener massager_listener = {
        .status_changed = on_status_changed,
        .routines_changed = on_routines_changed,
        .pairing_requested = on_pairing_requested,
};

static void respond(struct bridge *b, enum control_result result)
{
        uint8_t response[CONTROL_RESPONSE_SIZE] = { CONTROL_RESPONSE,
                                                    (uint8_t)b->control_request.opcode,
                                                    (uint8_t)result };

        (void)gatt_indicate(&b->gatt, GATT_CONTROL_POINT, response, sizeof(response));
}

static int on_control_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bridge *b = userdata;
        const sd_bus_error *error = sd_bus_message_get_error(reply);
        enum control_result result = control_result_from_error(error ? error->name : NULL);

        (void)ret_error;
        b->control_call = sd_bus_slot_unref(b->control_call);
        if (error)
                log_notice("Control point opcode 0x%02x: percussd answered %s: %s",
                           b->control_request.opcode, error->name, error->message);
        respond(b, result);
        return 0;
}

static const char *method_of(enum control_opcode opcode)
{
        switch (opcode) {
        case CONTROL_START:
                return "Start";
        case CONTROL_STOP:
                return "Stop";
        case CONTROL_PAUSE:
                return "Pause";
        case CONTROL_RESUME:
                return "Resume";
        case CONTROL_NEXT:
                return "Next";
        case CONTROL_CLEAR_FAULT:
                return "ClearFault";
        case CONTROL_RECORD_RACE:
                return "RecordRace";
        case CONTROL_SET_INTENSITY:
        default:
                return NULL;
        }
}

static int call_massager(struct bridge *b, const struct control_request *req)
{
        const char *method = method_of(req->opcode);

        if (req->opcode == CONTROL_SET_INTENSITY)
                return sd_bus_call_method_async(b->bus, &b->control_call, MASSAGER_BUS_NAME,
                                                MASSAGER_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                                                "Set", on_control_reply, b, "ssv", MASSAGER_INTERFACE,
                                                "Intensity", "u", (uint32_t)req->intensity);
        if (req->opcode == CONTROL_START)
                return sd_bus_call_method_async(b->bus, &b->control_call, MASSAGER_BUS_NAME,
                                                MASSAGER_OBJECT_PATH, MASSAGER_INTERFACE, method,
                                                on_control_reply, b, "s",
                                                b->massager.routine_ids[req->routine_index]);
        if (req->opcode == CONTROL_RECORD_RACE)
                return sd_bus_call_method_async(b->bus, &b->control_call, MASSAGER_BUS_NAME,
                                                MASSAGER_OBJECT_PATH, MASSAGER_INTERFACE, method,
                                                on_control_reply, b, "t", req->race_usec);
        return sd_bus_call_method_async(b->bus, &b->control_call, MASSAGER_BUS_NAME,
                                        MASSAGER_OBJECT_PATH, MASSAGER_INTERFACE, method,
                                        on_control_reply, b, NULL);
}

static int write_control_point(void *userdata, sd_bus_message *call, const uint8_t *value,
                               size_t size, const struct gatt_options *options)
{
        struct bridge *b = userdata;
        struct control_request req;
        enum control_refusal refusal;
        int r;

        if (b->control_call)
                return sd_bus_reply_method_errorf(call, BLUEZ_ERROR_IN_PROGRESS,
                                                  "The previous control point request is still being answered.");
        refusal = control_point_parse(value, size, b->massager.routine_count, &req);
        if (refusal != CONTROL_ACCEPTED) {
                log_notice("Control point write of %zu bytes from %s refused: %s", size,
                           options->device[0] ? options->device : "a phone",
                           refusal == CONTROL_OUT_OF_RANGE ? "operand out of range" :
                                                             control_refusal_message(refusal));
                return sd_bus_reply_method_errorf(call, control_refusal_error(refusal), "%s",
                                                  control_refusal_message(refusal));
        }
        b->control_request = req;
        r = call_massager(b, &req);
        if (r < 0) {
                log_warning_errno(r, "Failed to call percussd for control opcode 0x%02x: %m", req.opcode);
                r = sd_bus_reply_method_return(call, NULL);
                respond(b, CONTROL_UNAVAILABLE);
                return r;
        }
        return sd_bus_reply_method_return(call, NULL);
}

struct history_read {
        struct bridge *bridge;
        sd_bus_message *call;
};

static void history_read_free(void *userdata)
{
        struct history_read *h = userdata;

        sd_bus_message_unref(h->call);
        free(h);
}

static int encode_history(struct bridge *b, sd_bus_message *reply)
{
        struct history_entry entries[HISTORY_SESSIONS];
        size_t count = 0;
        const char *routine;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(tsdu)");
        while (r >= 0 && count < HISTORY_SESSIONS) {
                struct history_entry *e = &entries[count];

                r = sd_bus_message_read(reply, "(tsdu)", &e->start_usec, &routine, &e->seconds,
                                        &e->steps_completed);
                if (r <= 0)
                        break;
                snprintf(e->routine, sizeof(e->routine), "%s", routine);
                count++;
        }
        if (r < 0)
                return r;
        b->history.size = 0;
        return history_record_encode(&b->history, entries, count);
}

static int on_history(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct history_read *h = userdata;
        const sd_bus_error *error = sd_bus_message_get_error(reply);
        int r;

        (void)ret_error;
        if (error) {
                log_notice("History read: percussd answered %s: %s", error->name, error->message);
                return sd_bus_reply_method_errorf(h->call, BLUEZ_ERROR_FAILED, "0x80");
        }
        r = encode_history(h->bridge, reply);
        if (r < 0) {
                log_warning_errno(r, "percussd's GetHistory does not read as a(tsdu): %m");
                return sd_bus_reply_method_errorf(h->call, BLUEZ_ERROR_FAILED, "0x80");
        }
        return gatt_reply_value(h->call, h->bridge->history.data, h->bridge->history.size, 0);
}

/* A read at offset 0 asks percussd; the blob reads of a long read that
 * follow get the same record. */
static int read_history(void *userdata, sd_bus_message *call, const struct gatt_options *options)
{
        struct bridge *b = userdata;
        struct history_read *h;
        sd_bus_slot *slot = NULL;
        int r;

        if (options->offset > 0)
                return gatt_reply_value(call, b->history.data, b->history.size, options->offset);
        h = malloc(sizeof(*h));
        if (!h)
                return -ENOMEM;
        *h = (struct history_read){ .bridge = b, .call = sd_bus_message_ref(call) };
        r = sd_bus_call_method_async(b->bus, &slot, MASSAGER_BUS_NAME, MASSAGER_OBJECT_PATH,
                                     MASSAGER_INTERFACE, "GetHistory", on_history, h, "u",
                                     (uint32_t)HISTORY_SESSIONS);
        if (r < 0) {
                history_read_free(h);
                return sd_bus_reply_method_errorf(call, BLUEZ_ERROR_FAILED, "0x80");
        }
        (void)sd_bus_slot_set_destroy_callback(slot, history_read_free);
        (void)sd_bus_slot_set_floating(slot, true);
        sd_bus_slot_unref(slot);
        return 1;
}

static const struct gatt_handlers gatt_handlers = {
        .read_history = read_history,
        .write_control_point = write_control_point,
};

static bool window_open(void *userdata)
{
        struct bridge *b = userdata;

        return b->pairing.open;
}

static void paired(void *userdata, const char *device)
{
        struct bridge *b = userdata;

        (void)device;
        pairing_window_close(&b->pairing, "a phone paired");
}

int bridge_start(struct bridge *b, const struct ble_config *config, sd_event *event, sd_bus *bus)
{
        int r;

        *b = (struct bridge){ .config = config, .event = sd_event_ref(event), .bus = sd_bus_ref(bus) };
        r = sd_event_add_time(event, &b->status_timer, CLOCK_MONOTONIC, 0, 0, on_status_timer, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->status_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to make the Status notification timer: %m");
        r = gatt_app_start(&b->gatt, bus, &gatt_handlers, b);
        if (r >= 0)
                r = advertisement_start(&b->advertisement, bus, config->local_name);
        if (r >= 0)
                r = agent_start(&b->agent, bus, window_open, paired, b);
        if (r >= 0)
                r = pairing_window_init(&b->pairing, event, &b->bluez, config->pairing_window_s);
        if (r < 0)
                return r;
        publish_status(b);
        on_routines_changed(b);
        r = massager_start(&b->massager, bus, &massager_listener, b);
        if (r >= 0)
                r = bluez_start(&b->bluez, bus, config->adapter);
        return r;
}

void bridge_stop(struct bridge *b)
{
        b->control_call = sd_bus_slot_unref(b->control_call);
        pairing_window_free(&b->pairing);
        bluez_stop(&b->bluez);
        massager_stop(&b->massager);
        agent_stop(&b->agent);
        advertisement_stop(&b->advertisement);
        gatt_app_stop(&b->gatt);
        byte_buffer_free(&b->history);
        b->status_timer = sd_event_source_disable_unref(b->status_timer);
        b->bus = sd_bus_unref(b->bus);
        b->event = sd_event_unref(b->event);
}
