/* SPDX-License-Identifier: MIT */
#include "properties.h"

#include <errno.h>

#include "output.h"

static int read_array(sd_bus_message *m, const char *contents, json_object **ret)
{
        json_object *array;
        int r;

        /* dictionaries and structs have no use in percussctl's output */
        if (contents[0] == '{' || contents[0] == '(') {
                *ret = NULL;
                return sd_bus_message_skip(m, "a");
        }
        r = sd_bus_message_enter_container(m, 'a', contents);
        if (r < 0)
                return r;
        array = json_object_new_array();
        for (;;) {
                json_object *item;

                r = sd_bus_message_at_end(m, false);
                if (r != 0)
                        break;
                r = property_value_read(m, &item);
                if (r < 0)
                        break;
                json_object_array_add(array, item);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                json_object_put(array);
                return r;
        }
        *ret = array;
        return 0;
}

int property_value_read(sd_bus_message *m, json_object **ret)
{
        const char *contents, *s;
        char type;
        union {
                uint8_t y;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                int b;
        } v;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        *ret = NULL;
        switch (type) {
        case 'v':
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r >= 0)
                        r = property_value_read(m, ret);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                return r;
        case 'a':
                return read_array(m, contents, ret);
        case 's':
        case 'o':
        case 'g':
                r = sd_bus_message_read_basic(m, type, &s);
                if (r >= 0)
                        *ret = json_object_new_string(s);
                return r;
        case 'b':
                r = sd_bus_message_read_basic(m, type, &v.b);
                if (r >= 0)
                        *ret = json_object_new_boolean(v.b);
                return r;
        case 'y':
                r = sd_bus_message_read_basic(m, type, &v.y);
                if (r >= 0)
                        *ret = json_object_new_int(v.y);
                return r;
        case 'n':
                r = sd_bus_message_read_basic(m, type, &v.n);
                if (r >= 0)
                        *ret = json_object_new_int(v.n);
                return r;
        case 'q':
                r = sd_bus_message_read_basic(m, type, &v.q);
                if (r >= 0)
                        *ret = json_object_new_int(v.q);
                return r;
        case 'i':
                r = sd_bus_message_read_basic(m, type, &v.i);
                if (r >= 0)
                        *ret = json_object_new_int(v.i);
                return r;
        case 'u':
                r = sd_bus_message_read_basic(m, type, &v.u);
                if (r >= 0)
                        *ret = json_object_new_int64(v.u);
                return r;
        case 'x':
                r = sd_bus_message_read_basic(m, type, &v.x);
                if (r >= 0)
                        *ret = json_object_new_int64(v.x);
                return r;
        case 't':
                r = sd_bus_message_read_basic(m, type, &v.t);
                if (r >= 0)
                        *ret = json_object_new_uint64(v.t);
                return r;
        case 'd':
                r = sd_bus_message_read_basic(m, type, &v.d);
                if (r >= 0)
                        *ret = json_double_or_null(v.d);
                return r;
        default:
                return sd_bus_message_skip(m, NULL);
        }
}

int properties_read(json_object *props, sd_bus_message *m)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                json_object *value = NULL;
                const char *name;

                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0)
                        r = property_value_read(m, &value);
                if (r < 0)
                        return r;
                json_object_object_add(props, name, value);
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static json_object *prop_get(json_object *props, const char *name, json_type type)
{
        json_object *value;

        if (!json_object_object_get_ex(props, name, &value) || !json_object_is_type(value, type))
                return NULL;
        return value;
}

const char *prop_string(json_object *props, const char *name)
{
        json_object *value = prop_get(props, name, json_type_string);

        return value ? json_object_get_string(value) : NULL;
}

bool prop_double(json_object *props, const char *name, double *ret)
{
        json_object *value = prop_get(props, name, json_type_double);

        if (!value)
                value = prop_get(props, name, json_type_int);
        if (!value)
                return false;
        *ret = json_object_get_double(value);
        return true;
}

bool prop_uint(json_object *props, const char *name, uint64_t *ret)
{
        json_object *value = prop_get(props, name, json_type_int);

        if (!value)
                return false;
        *ret = json_object_get_uint64(value);
        return true;
}

bool prop_bool(json_object *props, const char *name, bool *ret)
{
        json_object *value = prop_get(props, name, json_type_boolean);

        if (!value)
                return false;
        *ret = json_object_get_boolean(value);
        return true;
}
