/* SPDX-License-Identifier: MIT */
#include "bluez.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "bus-names.h"
#include "common/log.h"
#include "common/cleanup.h"

static int find_adapter(struct bluez *b);

static void forget_adapter(struct bluez *b, const char *status)
{
        b->adapter_path[0] = '\0';
        (void)sd_notifyf(0, "STATUS=%s", status);
}

static const char *call_error(sd_bus_message *reply)
{
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        return e && e->message ? e->message : e ? e->name : "no reason given";
}

static int on_application_registered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;

        (void)ret_error;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_error("bluetoothd refused the GATT application on %s: %s", b->adapter_path,
                          call_error(reply));
                return 0;
        }
        log_info("GATT application registered on %s.", b->adapter_path);
        (void)sd_notifyf(0, "STATUS=GATT application registered on %s.", b->adapter_path);
        return 0;
}

static int on_advertisement_registered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;

        (void)ret_error;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_error("bluetoothd refused the advertisement on %s: %s", b->adapter_path,
                          call_error(reply));
                return 0;
        }
        log_info("Advertising on %s.", b->adapter_path);
        return 0;
}

static int on_reply_logged(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        const char *what = userdata;

        (void)ret_error;
        /* the agent outlives an adapter that went and came back */
        if (sd_bus_message_is_method_error(reply, "org.bluez.Error.AlreadyExists"))
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL))
                log_warning("bluetoothd refused %s: %s", what, call_error(reply));
        return 0;
}

static int call_logged(struct bluez *b, const char *path, const char *interface, const char *member,
                       const char *what, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &call, BLUEZ_BUS_NAME, path, interface, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call_async(b->bus, NULL, call, on_reply_logged, (void *)what, 0);
        if (r < 0)
                log_warning_errno(r, "Failed to ask bluetoothd for %s: %m", what);
        return r;
}

static int register_on(struct bluez *b, const char *path)
{
        int r;

        snprintf(b->adapter_path, sizeof(b->adapter_path), "%s", path);
        log_info("Using the Bluetooth adapter %s.", path);
        /* the window is closed until the user opens it on the gun */
        (void)bluez_set_adapter_bool(b, "Pairable", false);
        r = sd_bus_call_method_async(b->bus, NULL, BLUEZ_BUS_NAME, path, BLUEZ_GATT_MANAGER_INTERFACE,
                                     "RegisterApplication", on_application_registered, b,
                                     "oa{sv}", BLE_APP_PATH, 0);
        if (r >= 0)
                r = sd_bus_call_method_async(b->bus, NULL, BLUEZ_BUS_NAME, path,
                                             BLUEZ_ADVERTISING_MANAGER_INTERFACE,
                                             "RegisterAdvertisement", on_advertisement_registered, b,
                                             "oa{sv}", BLE_ADVERTISEMENT_PATH, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to register with bluetoothd on %s: %m", path);
        (void)call_logged(b, BLUEZ_AGENT_MANAGER_PATH, BLUEZ_AGENT_MANAGER_INTERFACE, "RegisterAgent",
                          "the pairing agent", "os", BLE_AGENT_PATH, AGENT_CAPABILITY);
        (void)call_logged(b, BLUEZ_AGENT_MANAGER_PATH, BLUEZ_AGENT_MANAGER_INTERFACE,
                          "RequestDefaultAgent", "the default agent", "o", BLE_AGENT_PATH);
        return 0;
}

/* One object of GetManagedObjects: whether it is an adapter that can
 * take the application, and whether it is powered. */
static int read_object(sd_bus_message *msg, bool *adapter, bool *gatt, bool *advertising,
                       bool *powered)
{
        const char *interface, *property;
        int r, value;

        *adapter = *gatt = *advertising = *powered = false;
        r = sd_bus_message_enter_container(msg, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sa{sv}")) > 0) {
                r = sd_bus_message_read(msg, "s", &interface);
                if (r < 0)
                        return r;
                *gatt |= strcmp(interface, BLUEZ_GATT_MANAGER_INTERFACE) == 0;
                *advertising |= strcmp(interface, BLUEZ_ADVERTISING_MANAGER_INTERFACE) == 0;
                if (strcmp(interface, BLUEZ_ADAPTER_INTERFACE) != 0) {
                        r = sd_bus_message_skip(msg, "a{sv}");
                } else {
                        *adapter = true;
                        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
                        while (r >= 0 && (r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                                r = sd_bus_message_read(msg, "s", &property);
                                if (r >= 0 && strcmp(property, "Powered") == 0) {
                                        r = sd_bus_message_read(msg, "v", "b", &value);
                                        *powered = value;
                                } else if (r >= 0)
                                        r = sd_bus_message_skip(msg, "v");
                                if (r >= 0)
                                        r = sd_bus_message_exit_container(msg);
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(msg);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static bool wanted(const struct bluez *b, const char *path, bool powered)
{
        const char *name = strrchr(path, '/');

        if (b->adapter_wanted[0])
                return name && strcmp(name + 1, b->adapter_wanted) == 0;
        return powered;
}

static int on_managed_objects(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;
        const char *path;
        char chosen[64] = "";
        bool adapter, gatt, advertising, powered;
        int r;

        (void)ret_error;
        b->managed_call = sd_bus_slot_unref(b->managed_call);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_notice("bluetoothd is not there yet (%s); waiting for it.", call_error(reply));
                (void)sd_notify(0, "STATUS=Waiting for bluetoothd.");
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        r = read_object(reply, &adapter, &gatt, &advertising, &powered);
                if (r >= 0 && adapter && gatt && advertising && !chosen[0] && wanted(b, path, powered))
                        snprintf(chosen, sizeof(chosen), "%s", path);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return log_warning_errno(r, "bluetoothd's objects do not read as an ObjectManager's: %m");
        if (!chosen[0]) {
                if (b->adapter_wanted[0])
                        log_notice("No Bluetooth adapter %s with GATT and LE advertising; waiting for it.",
                                   b->adapter_wanted);
                else
                        log_notice("No powered Bluetooth adapter with GATT and LE advertising; waiting for one.");
                (void)sd_notify(0, "STATUS=Waiting for a Bluetooth adapter.");
                return 0;
        }
        return register_on(b, chosen);
}

static int find_adapter(struct bluez *b)
{
        b->managed_call = sd_bus_slot_unref(b->managed_call);
        return sd_bus_call_method_async(b->bus, &b->managed_call, BLUEZ_BUS_NAME, "/",
                                        "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                        on_managed_objects, b, NULL);
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;
        const char *name, *old_owner, *new_owner;

        (void)ret_error;
        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, BLUEZ_BUS_NAME) != 0)
                return 0;
        if (*old_owner) {
                log_notice("bluetoothd left the bus; registering again when it is back.");
                forget_adapter(b, "Waiting for bluetoothd.");
        }
        if (*new_owner && find_adapter(b) < 0)
                log_warning("Failed to ask the new bluetoothd for its adapters.");
        return 0;
}

static int on_interfaces_added(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;

        (void)msg, (void)ret_error;
        if (!b->adapter_path[0] && find_adapter(b) < 0)
                log_warning("Failed to ask bluetoothd for its adapters.");
        return 0;
}

static int on_interfaces_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;
        const char *path;
        char **interfaces = NULL;
        bool adapter_gone = false;

        (void)ret_error;
        if (sd_bus_message_read(msg, "o", &path) < 0 || sd_bus_message_read_strv(msg, &interfaces) < 0)
                return 0;
        for (char **i = interfaces; *i; i++)
                adapter_gone |= strcmp(*i, BLUEZ_ADAPTER_INTERFACE) == 0;
        for (char **i = interfaces; *i; i++)
                free(*i);
        free(interfaces);
        if (adapter_gone && strcmp(path, b->adapter_path) == 0) {
                log_notice("The Bluetooth adapter %s went away; waiting for one.", path);
                forget_adapter(b, "Waiting for a Bluetooth adapter.");
                if (find_adapter(b) < 0)
                        log_warning("Failed to ask bluetoothd for its adapters.");
        }
        return 0;
}

static int on_adapter_properties(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
        struct bluez *b = userdata;

        (void)msg, (void)ret_error;
        /* an adapter powered on while none is in use may be the one */
        if (!b->adapter_path[0] && find_adapter(b) < 0)
                log_warning("Failed to ask bluetoothd for its adapters.");
        return 0;
}

int bluez_start(struct bluez *b, sd_bus *bus, const char *adapter_wanted)
{
        int r;

        *b = (struct bluez){ .bus = sd_bus_ref(bus), .adapter_wanted = adapter_wanted };
        r = sd_bus_add_match_async(bus, &b->owner_match, NAME_OWNER_MATCH(BLUEZ_BUS_NAME),
                                   on_owner_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &b->added_match, BLUEZ_BUS_NAME, "/",
                                              "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                              on_interfaces_added, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &b->removed_match, BLUEZ_BUS_NAME, "/",
                                              "org.freedesktop.DBus.ObjectManager",
                                              "InterfacesRemoved", on_interfaces_removed, NULL, b);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &b->powered_match,
                                           "type='signal',sender='" BLUEZ_BUS_NAME "',"
                                           "interface='org.freedesktop.DBus.Properties',"
                                           "member='PropertiesChanged',arg0='" BLUEZ_ADAPTER_INTERFACE "'",
                                           on_adapter_properties, NULL, b);
        if (r >= 0)
                r = find_adapter(b);
        if (r < 0)
                return log_error_errno(r, "Failed to follow bluetoothd on the bus: %m");
        return 0;
}

void bluez_stop(struct bluez *b)
{
        b->managed_call = sd_bus_slot_unref(b->managed_call);
        b->owner_match = sd_bus_slot_unref(b->owner_match);
        b->added_match = sd_bus_slot_unref(b->added_match);
        b->removed_match = sd_bus_slot_unref(b->removed_match);
        b->powered_match = sd_bus_slot_unref(b->powered_match);
        b->bus = sd_bus_unref(b->bus);
}

static int set_adapter(struct bluez *b, const char *property, const char *type, const void *value)
{
        if (!b->adapter_path[0]) {
                log_notice("No Bluetooth adapter to set %s on.", property);
                return -ENODEV;
        }
        if (strcmp(type, "b") == 0)
                return call_logged(b, b->adapter_path, "org.freedesktop.DBus.Properties", "Set",
                                   "an adapter property", "ssv", BLUEZ_ADAPTER_INTERFACE, property,
                                   "b", *(const int *)value);
        return call_logged(b, b->adapter_path, "org.freedesktop.DBus.Properties", "Set",
                           "an adapter property", "ssv", BLUEZ_ADAPTER_INTERFACE, property, "u",
                           *(const uint32_t *)value);
}

int bluez_set_adapter_bool(struct bluez *b, const char *property, bool value)
{
        int v = value;

        return set_adapter(b, property, "b", &v);
}

int bluez_set_adapter_u32(struct bluez *b, const char *property, uint32_t value)
{
        return set_adapter(b, property, "u", &value);
}
