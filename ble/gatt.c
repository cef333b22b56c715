/* SPDX-License-Identifier: MIT */
#include "gatt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-names.h"
#include "common/log.h"
#include "common/cleanup.h"

#define SERVICE_COUNT 2

/* BlueZ's flag words (gatt-api.txt). Reading the gun's state wants an
 * encrypted link; what moves the gun or tells its history wants one that
 * came from pairing, which the agent allows only inside the pairing
 * window (docs/ble.md, "Security"). The battery level is the standard
 * service's, open as phones expect. */
static const char *const status_flags[] = { "encrypt-read", "notify", NULL };
static const char *const routines_flags[] = { "encrypt-read", NULL };
static const char *const control_point_flags[] = { "encrypt-write", "indicate", NULL };
static const char *const history_flags[] = { "encrypt-read", NULL };
static const char *const battery_flags[] = { "read", "notify", NULL };
static const char *const description_flags[] = { "read", NULL };

static const struct {
        const char *uuid;
        const char *const *flags;
        const char *description;
        unsigned service;
} characteristic_table[GATT_CHARACTERISTIC_COUNT] = {
        [GATT_STATUS] = { BLE_STATUS_UUID, status_flags, "Status", 0 },
        [GATT_ROUTINES] = { BLE_ROUTINES_UUID, routines_flags, "Routines", 0 },
        [GATT_CONTROL_POINT] = { BLE_CONTROL_POINT_UUID, control_point_flags, "Control point", 0 },
        [GATT_HISTORY] = { BLE_HISTORY_UUID, history_flags, "History", 0 },
        [GATT_BATTERY_LEVEL] = { BLE_BATTERY_LEVEL_UUID, battery_flags, "Battery level", 1 },
};

static const char *const service_uuids[SERVICE_COUNT] = { BLE_SERVICE_UUID, BLE_BATTERY_SERVICE_UUID };
static const char *const service_paths[SERVICE_COUNT] = { BLE_APP_PATH "/service0",
                                                          BLE_APP_PATH "/service1" };

static int read_options(sd_bus_message *msg, struct gatt_options *options)
{
        const char *key;
        int r;

        *options = (struct gatt_options){ .device = "" };
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "offset") == 0)
                        r = sd_bus_message_read(msg, "v", "q", &options->offset);
                else if (strcmp(key, "device") == 0)
                        r = sd_bus_message_read(msg, "v", "o", &options->device);
                else
                        r = sd_bus_message_skip(msg, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

int gatt_reply_value(sd_bus_message *call, const uint8_t *value, size_t size, uint16_t offset)
{
        if (offset > size)
                return sd_bus_reply_method_errorf(call, BLUEZ_ERROR_INVALID_OFFSET,
                                                  "Offset %u is past the value's %zu bytes.",
                                                  offset, size);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(call, &reply);

        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', value ? value + offset : NULL,
                                                size - offset);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static int characteristic_read(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;
        struct gatt_app *app = c->app;
        struct gatt_options options;
        int r = read_options(msg, &options);

        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "ReadValue's options do not read as a{sv}.");
        if (c->id == GATT_HISTORY)
                return app->handlers->read_history(app->userdata, msg, &options);
        return gatt_reply_value(msg, c->value.data, c->value.size, options.offset);
}

static int characteristic_write(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;
        struct gatt_app *app = c->app;
        struct gatt_options options;
        const void *value;
        size_t size;
        int r;

        r = sd_bus_message_read_array(msg, 'y', &value, &size);
        if (r >= 0)
                r = read_options(msg, &options);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "WriteValue's arguments do not read as ay a{sv}.");
        if (c->id != GATT_CONTROL_POINT)
                return sd_bus_error_setf(error, "org.bluez.Error.NotPermitted",
                                         "%s cannot be written.", c->description);
        if (options.offset != 0)
                return sd_bus_error_setf(error, BLUEZ_ERROR_INVALID_OFFSET,
                                         "The control point takes whole writes, not offset %u.",
                                         options.offset);
        return app->handlers->write_control_point(app->userdata, msg, value, size, &options);
}

static int set_notifying(struct gatt_characteristic *c, bool notifying)
{
        if (c->notifying == notifying)
                return 0;
        c->notifying = notifying;
        log_debug("%s: notifications %s.", c->description, notifying ? "on" : "off");
        return sd_bus_emit_properties_changed(c->app->bus, c->path, BLUEZ_GATT_CHARACTERISTIC_INTERFACE,
                                              "Notifying", NULL);
}

static int characteristic_start_notify(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;
        int r;

        (void)error;
        r = set_notifying(c, true);
        if (r < 0)
                log_warning_errno(r, "Failed to say %s notifies: %m", c->path);
        return sd_bus_reply_method_return(msg, NULL);
}

static int characteristic_stop_notify(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;
        int r;

        (void)error;
        r = set_notifying(c, false);
        if (r < 0)
                log_warning_errno(r, "Failed to say %s stopped notifying: %m", c->path);
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_service(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "o", service_paths[c->service]);
}

static int property_value(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append_array(reply, 'y', c->value.data, c->value.size);
}

static int property_notifying(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "b", (int)c->notifying);
}

static int property_flags(sd_bus *bus, const char *path, const char *interface,
                          const char *property, sd_bus_message *reply, void *userdata,
                          sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append_strv(reply, (char **)c->flags);
}

static int property_uuid(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "s", c->uuid);
}

static const sd_bus_vtable characteristic_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Service", "o", property_service, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Value", "ay", property_value, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Notifying", "b", property_notifying, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Flags", "as", property_flags, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ReadValue", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("ay", value),
                                characteristic_read, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("WriteValue", SD_BUS_ARGS("ay", value, "a{sv}", options),
                                SD_BUS_NO_RESULT, characteristic_write, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartNotify", NULL, NULL, characteristic_start_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopNotify", NULL, NULL, characteristic_stop_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int descriptor_read(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;
        struct gatt_options options;
        int r = read_options(msg, &options);

        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "ReadValue's options do not read as a{sv}.");
        return gatt_reply_value(msg, (const uint8_t *)c->description, strlen(c->description),
                                options.offset);
}

static int descriptor_characteristic(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error)
{
        struct gatt_characteristic *c = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "o", c->path);
}

static int descriptor_uuid(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        (void)bus, (void)path, (void)interface, (void)property, (void)error, (void)userdata;
        return sd_bus_message_append(reply, "s", BLE_USER_DESCRIPTION_UUID);
}

static int descriptor_flags(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        (void)bus, (void)path, (void)interface, (void)property, (void)error, (void)userdata;
        return sd_bus_message_append_strv(reply, (char **)description_flags);
}

static const sd_bus_vtable descriptor_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", descriptor_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Characteristic", "o", descriptor_characteristic, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Flags", "as", descriptor_flags, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ReadValue", SD_BUS_ARGS("a{sv}", options), SD_BUS_RESULT("ay", value),
                                descriptor_read, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int service_uuid(sd_bus *bus, const char *path, const char *interface,
                        const char *property, sd_bus_message *reply, void *userdata,
                        sd_bus_error *error)
{
        const char *const *uuid = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "s", *uuid);
}

static int service_primary(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        (void)bus, (void)path, (void)interface, (void)property, (void)error, (void)userdata;
        return sd_bus_message_append(reply, "b", 1);
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", service_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Primary", "b", service_primary, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

int gatt_app_start(struct gatt_app *app, sd_bus *bus, const struct gatt_handlers *handlers,
                   void *userdata)
{
        size_t slot = 0;
        int r;

        *app = (struct gatt_app){ .bus = sd_bus_ref(bus), .handlers = handlers, .userdata = userdata };
        r = sd_bus_add_object_manager(bus, &app->slots[slot++], BLE_APP_PATH);
        for (unsigned s = 0; r >= 0 && s < SERVICE_COUNT; s++)
                r = sd_bus_add_object_vtable(bus, &app->slots[slot++], service_paths[s],
                                             BLUEZ_GATT_SERVICE_INTERFACE, service_vtable,
                                             (void *)&service_uuids[s]);
        for (unsigned i = 0; r >= 0 && i < GATT_CHARACTERISTIC_COUNT; i++) {
                struct gatt_characteristic *c = &app->characteristics[i];

                *c = (struct gatt_characteristic){
                        .id = (enum gatt_characteristic_id)i,
                        .uuid = characteristic_table[i].uuid,
                        .flags = characteristic_table[i].flags,
                        .description = characteristic_table[i].description,
                        .service = characteristic_table[i].service,
                        .app = app,
                };
                snprintf(c->path, sizeof(c->path), "%s/char%u", service_paths[c->service], i);
                snprintf(c->description_path, sizeof(c->description_path), "%s/desc0", c->path);
                r = sd_bus_add_object_vtable(bus, &app->slots[slot++], c->path,
                                             BLUEZ_GATT_CHARACTERISTIC_INTERFACE,
                                             characteristic_vtable, c);
                if (r >= 0)
                        r = sd_bus_add_object_vtable(bus, &app->slots[slot++], c->description_path,
                                                     BLUEZ_GATT_DESCRIPTOR_INTERFACE,
                                                     descriptor_vtable, c);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to export the GATT application at %s: %m",
                                       BLE_APP_PATH);
        return 0;
}

void gatt_app_stop(struct gatt_app *app)
{
        for (size_t i = 0; i < ELEMENTSOF(app->slots); i++)
                app->slots[i] = sd_bus_slot_unref(app->slots[i]);
        for (unsigned i = 0; i < GATT_CHARACTERISTIC_COUNT; i++)
                byte_buffer_free(&app->characteristics[i].value);
        app->bus = sd_bus_unref(app->bus);
}

static int replace_value(struct gatt_characteristic *c, const uint8_t *value, size_t size)
{
        c->value.size = 0;
        return byte_buffer_append(&c->value, value, size);
}

int gatt_indicate(struct gatt_app *app, enum gatt_characteristic_id id, const uint8_t *value,
                  size_t size)
{
        struct gatt_characteristic *c = &app->characteristics[id];
        int r = replace_value(c, value, size);

        if (r < 0 || !c->notifying)
                return r;
        r = sd_bus_emit_properties_changed(app->bus, c->path, BLUEZ_GATT_CHARACTERISTIC_INTERFACE,
                                           "Value", NULL);
        if (r < 0)
                return log_warning_errno(r, "Failed to notify %s: %m", c->description);
        return 1;
}

bool gatt_set_value(struct gatt_app *app, enum gatt_characteristic_id id, const uint8_t *value,
                    size_t size)
{
        struct gatt_characteristic *c = &app->characteristics[id];

        if (c->value.size == size && (size == 0 || memcmp(c->value.data, value, size) == 0))
                return false;
        return gatt_indicate(app, id, value, size) > 0;
}
