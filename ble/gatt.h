/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The GATT application as BlueZ's doc/gatt-api.txt describes it: an
 * ObjectManager at BLE_APP_PATH, the percussd service and the Battery
 * Service (GattService1), their characteristics (GattCharacteristic1)
 * each with a User Description (GattDescriptor1). bluetoothd walks them
 * with GetManagedObjects after RegisterApplication and calls ReadValue,
 * WriteValue, StartNotify and StopNotify; a notification or indication is
 * a PropertiesChanged of Value while Notifying.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "status-record.h"

enum gatt_characteristic_id {
        GATT_STATUS,
        GATT_ROUTINES,
        GATT_CONTROL_POINT,
        GATT_HISTORY,
        GATT_BATTERY_LEVEL,
        GATT_CHARACTERISTIC_COUNT,
};

/* What the options dictionary of ReadValue/WriteValue carries that the
 * bridge uses. */
struct gatt_options {
        uint16_t offset;
        const char *device;     /* object path of the phone, "" if none */
};

struct gatt_handlers {
        /* ReadValue of a characteristic whose value is made on demand: the
         * handler replies to call (now or later); returns negative errno
         * to have an error answered. */
        int (*read_history)(void *userdata, sd_bus_message *call, const struct gatt_options *options);
        /* WriteValue of the control point: answers the write (success or
         * the ATT error) itself. */
        int (*write_control_point)(void *userdata, sd_bus_message *call, const uint8_t *value,
                                   size_t size, const struct gatt_options *options);
};

struct gatt_characteristic {
        enum gatt_characteristic_id id;
        const char *uuid;
        const char *const *flags;
        const char *description;
        unsigned service;
        char path[64];
        char description_path[80];
        bool notifying;
        struct byte_buffer value;
        struct gatt_app *app;
};

struct gatt_app {
        sd_bus *bus;
        struct gatt_characteristic characteristics[GATT_CHARACTERISTIC_COUNT];
        sd_bus_slot *slots[2 + 2 * GATT_CHARACTERISTIC_COUNT + 1];
        const struct gatt_handlers *handlers;
        void *userdata;
};

int gatt_app_start(struct gatt_app *app, sd_bus *bus, const struct gatt_handlers *handlers,
                   void *userdata);
void gatt_app_stop(struct gatt_app *app);

/* Sets the characteristic's value; when it differs and a phone
 * subscribed, notifies (or indicates) it. Returns true if notified. */
bool gatt_set_value(struct gatt_app *app, enum gatt_characteristic_id id, const uint8_t *value,
                    size_t size);
/* Sends value to a subscribed phone even if equal to the last one (the
 * control point's responses). */
int gatt_indicate(struct gatt_app *app, enum gatt_characteristic_id id, const uint8_t *value,
                  size_t size);

/* Replies to a ReadValue call with value from the offset in options:
 * org.bluez.Error.InvalidOffset past its end. */
int gatt_reply_value(sd_bus_message *call, const uint8_t *value, size_t size, uint16_t offset);
