/* SPDX-License-Identifier: MIT */
#include "advertisement.h"

#include "bus-names.h"
#include "common/log.h"

static int property_type(sd_bus *bus, const char *path, const char *interface,
                         const char *property, sd_bus_message *reply, void *userdata,
                         sd_bus_error *error)
{
        (void)bus, (void)path, (void)interface, (void)property, (void)error, (void)userdata;
        return sd_bus_message_append(reply, "s", "peripheral");
}

static int property_service_uuids(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *reply, void *userdata,
                                  sd_bus_error *error)
{
        (void)bus, (void)path, (void)interface, (void)property, (void)error, (void)userdata;
        return sd_bus_message_append(reply, "as", 1, BLE_SERVICE_UUID);
}

static int property_local_name(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error)
{
        struct advertisement *a = userdata;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "s", a->local_name);
}

/* bluetoothd calls it when it drops the advertisement itself (the
 * adapter went away): the bridge registers again when one comes. */
static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        (void)userdata, (void)error;
        log_info("bluetoothd released the advertisement.");
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable advertisement_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Type", "s", property_type, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ServiceUUIDs", "as", property_service_uuids, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LocalName", "s", property_local_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD("Release", NULL, NULL, method_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int advertisement_start(struct advertisement *a, sd_bus *bus, const char *local_name)
{
        int r;

        *a = (struct advertisement){ .local_name = local_name };
        r = sd_bus_add_object_vtable(bus, &a->slot, BLE_ADVERTISEMENT_PATH,
                                     BLUEZ_ADVERTISEMENT_INTERFACE, advertisement_vtable, a);
        if (r < 0)
                return log_error_errno(r, "Failed to export the advertisement at %s: %m",
                                       BLE_ADVERTISEMENT_PATH);
        return 0;
}

void advertisement_stop(struct advertisement *a)
{
        a->slot = sd_bus_slot_unref(a->slot);
}
