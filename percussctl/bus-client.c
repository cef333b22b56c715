/* SPDX-License-Identifier: MIT */
#include "bus-client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "properties.h"

/* The daemon's own refusal for callers its policy does not cover (DBUS.md). */

void bus_client_init(struct bus_client *c, enum bus_kind kind, const char *address)
{
        *c = (struct bus_client){ .kind = kind, .address = address };
        switch (kind) {
        case BUS_SYSTEM:
                snprintf(c->where, sizeof(c->where), "the system bus");
                break;
        case BUS_USER:
                snprintf(c->where, sizeof(c->where), "your session bus");
                break;
        case BUS_ADDRESS:
                snprintf(c->where, sizeof(c->where), "the bus at %s", address);
                break;
        }
}

static int open_bus(struct bus_client *c)
{
        int r;

        switch (c->kind) {
        case BUS_SYSTEM:
                return sd_bus_open_system(&c->bus);
        case BUS_USER:
                return sd_bus_open_user(&c->bus);
        case BUS_ADDRESS:
                r = sd_bus_new(&c->bus);
                if (r < 0)
                        return r;
                r = sd_bus_set_address(c->bus, c->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(c->bus, true);
                if (r >= 0)
                        r = sd_bus_start(c->bus);
                return r;
        }
        return -EINVAL;
}

sd_bus *bus_client_connect(struct bus_client *c)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (c->bus)
                return c->bus;
        r = open_bus(c);
        if (r < 0) {
                c->bus = sd_bus_unref(c->bus);
                /* for --json: the errno's D-Bus name, e.g. System.Error.ECONNREFUSED */
                sd_bus_error_set_errno(&error, r);
                if (r == -ENOMEDIUM)
                        die(CTL_EXIT_UNREACHABLE, error.name,
                            "Cannot connect to %s: there is none here ($DBUS_SESSION_BUS_ADDRESS "
                            "and $XDG_RUNTIME_DIR are not set).", c->where);
                die(r == -EACCES || r == -EPERM ? CTL_EXIT_NOT_PERMITTED : CTL_EXIT_UNREACHABLE,
                    error.name, "Cannot connect to %s: %s.", c->where, strerror(-r));
        }
        return c->bus;
}

void bus_client_close(struct bus_client *c)
{
        c->bus = sd_bus_flush_close_unref(c->bus);
}

void die_bus_error(const struct bus_client *c, const sd_bus_error *error, int r, const char *what)
{
        const char *name = error->name ? error->name : "System.Error";
        const char *message = error->message && *error->message ? error->message : strerror(-r);

        if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                die(CTL_EXIT_UNREACHABLE, name, "percussd is not running on %s (%s has no owner).",
                    c->where, BUS_NAME);
        /* the bus's own refusal is a dump of its policy rule, not a sentence */
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_ACCESS_DENIED,
                                   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                die(CTL_EXIT_NOT_PERMITTED, name,
                    "Not permitted to %s: only root and members of the percussd group may "
                    "drive the gun.", what);
        if (sd_bus_error_has_name(error, BUS_ERROR_ACCESS_DENIED))
                die(CTL_EXIT_NOT_PERMITTED, name, "%s", message);
        if (sd_bus_error_has_names(error, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT,
                                   SD_BUS_ERROR_DISCONNECTED) ||
            r == -ETIMEDOUT || r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE)
                die(CTL_EXIT_UNREACHABLE, name, "percussd did not answer on %s: %s%s", c->where,
                    message, message[strlen(message) - 1] == '.' ? "" : ".");
        die(CTL_EXIT_REFUSED, name, "%s", message);
}

sd_bus_message *massager_call(struct bus_client *c, const char *method, const char *types, ...)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char what[64];
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus_client_connect(c), BUS_NAME, BUS_PATH,
                                BUS_INTERFACE, method, &error, &reply, types, ap);
        va_end(ap);
        if (r < 0) {
                snprintf(what, sizeof(what), "call %s", method);
                die_bus_error(c, &error, r, what);
        }
        return reply;
}

void massager_set_property(struct bus_client *c, const char *property, const char *type, ...)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char what[64];
        va_list ap;
        int r;

        va_start(ap, type);
        r = sd_bus_set_propertyv(bus_client_connect(c), BUS_NAME, BUS_PATH,
                                 BUS_INTERFACE, property, &error, type, ap);
        va_end(ap);
        if (r < 0) {
                snprintf(what, sizeof(what), "set %s", property);
                die_bus_error(c, &error, r, what);
        }
}

json_object *massager_get_properties(struct bus_client *c)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        json_object *props;
        int r;

        r = sd_bus_call_method(bus_client_connect(c), BUS_NAME, BUS_PATH,
                               "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s",
                               BUS_INTERFACE);
        if (r < 0)
                die_bus_error(c, &error, r, "read the properties");
        props = json_object_new_object();
        r = properties_read(props, reply);
        sd_bus_message_unref(reply);
        if (r < 0) {
                json_object_put(props);
                die(CTL_EXIT_REFUSED, "System.Error", "The properties percussd sent cannot be read: %s.",
                    strerror(-r));
        }
        return props;
}

json_object *massager_get_property(struct bus_client *c, const char *property)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        json_object *value = NULL;
        char what[64];
        int r;

        r = sd_bus_call_method(bus_client_connect(c), BUS_NAME, BUS_PATH,
                               "org.freedesktop.DBus.Properties", "Get", &error, &reply, "ss",
                               BUS_INTERFACE, property);
        if (r < 0) {
                snprintf(what, sizeof(what), "read %s", property);
                die_bus_error(c, &error, r, what);
        }
        r = property_value_read(reply, &value);
        sd_bus_message_unref(reply);
        if (r < 0)
                die(CTL_EXIT_REFUSED, "System.Error", "The value of %s that percussd sent cannot be "
                    "read: %s.", property, strerror(-r));
        return value;
}
