/* SPDX-License-Identifier: MIT */
#pragma once

/* Property getters generated from an expression of the manager, as
 * systemd's bus-get-properties.h does: one line a property instead of a
 * ten-line function. The vtable's userdata is the bus adapter. */

#include <systemd/sd-bus.h>

#include "bus.h"

#define BUS_DEFINE_PROPERTY_GET(function, bus_type, c_type, expression)                     \
        static int function(sd_bus *bus, const char *path, const char *interface,           \
                            const char *property, sd_bus_message *reply, void *userdata,    \
                            sd_bus_error *error)                                            \
        {                                                                                   \
                struct manager *m = ((struct bus_adapter *)userdata)->m;                    \
                                                                                            \
                (void)bus, (void)path, (void)interface, (void)property, (void)error;        \
                return sd_bus_message_append(reply, bus_type, (c_type)(expression));        \
        }
