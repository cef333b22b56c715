/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The connection to percussd: which bus, and calls, property reads and
 * writes on io.percussd.Massager1 that either succeed or die() with the
 * daemon's own sentence and an exit status that says who refused.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "common/bus-names.h"


enum bus_kind {
        BUS_SYSTEM,
        BUS_USER,
        BUS_ADDRESS,
};

struct bus_client {
        enum bus_kind kind;
        const char *address;    /* with BUS_ADDRESS */
        char where[160];        /* "the system bus", for sentences */
        sd_bus *bus;            /* NULL until the first call */
};

void bus_client_init(struct bus_client *c, enum bus_kind kind, const char *address);
/* The connection, opened on first use; dies when the bus cannot be reached. */
sd_bus *bus_client_connect(struct bus_client *c);
void bus_client_close(struct bus_client *c);

/* Dies with the sentence for a failed call or property access: error from
 * sd-bus, r its negative errno, what a few words for "not permitted to …". */
_Noreturn void die_bus_error(const struct bus_client *c, const sd_bus_error *error, int r,
                             const char *what);

/* Calls method on the massager with arguments of types (NULL for none);
 * returns the reply, which the caller unrefs. Dies if percussd refuses. */
sd_bus_message *massager_call(struct bus_client *c, const char *method, const char *types, ...);

/* Sets a property; dies if percussd refuses. */
void massager_set_property(struct bus_client *c, const char *property, const char *type, ...);

/* All the massager's properties (GetAll) as a JSON object; the caller puts it. */
json_object *massager_get_properties(struct bus_client *c);

/* One property's value as JSON (NULL for null), dies if it cannot be read. */
json_object *massager_get_property(struct bus_client *c, const char *property);
