/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The massager's properties as one JSON object, name → value, filled from
 * GetAll and kept up to date from PropertiesChanged. A property the daemon
 * does not have (yet) is simply absent; NaN is null.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Reads an a{sv} into props, replacing what was there by name. */
int properties_read(json_object *props, sd_bus_message *m);

/* Reads one value (a variant or a plain value) as JSON: strings, numbers,
 * booleans, arrays of them; anything else becomes null (*ret = NULL). */
int property_value_read(sd_bus_message *m, json_object **ret);

/* Typed reads; false (or NULL) when the property is absent or null. */
const char *prop_string(json_object *props, const char *name);
bool prop_double(json_object *props, const char *name, double *ret);
bool prop_uint(json_object *props, const char *name, uint64_t *ret);
bool prop_bool(json_object *props, const char *name, bool *ret);
