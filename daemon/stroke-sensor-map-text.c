/* SPDX-License-Identifier: MIT */
#include "stroke-sensor-map-text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int parse_number(const char *at, char **end, double *value)
{
        errno = 0;
        *value = strtod(at, end);
        return *end == at || errno == ERANGE ? -EINVAL : 0;
}

int stroke_sensor_map_parse(struct stroke_sensor_map *map, const char *text, char *error,
                            size_t error_size)
{
        struct stroke_sensor_map parsed = {0};
        const char *at = text;
        unsigned bad;

        while (*at) {
                char *end;
                unsigned i = parsed.count;

                if (i == STROKE_SENSOR_MAP_POINTS) {
                        snprintf(error, error_size, "more than %d points", STROKE_SENSOR_MAP_POINTS);
                        return -EINVAL;
                }
                if (parse_number(at, &end, &parsed.volts[i]) < 0 || *end != ':' ||
                    parse_number(end + 1, &end, &parsed.stroke_mm[i]) < 0 || (*end && *end != ',')) {
                        snprintf(error, error_size, "point %u is not volts:mm", i + 1);
                        return -EINVAL;
                }
                parsed.count++;
                at = *end ? end + 1 : end;
        }
        if (stroke_sensor_map_check(&parsed, &bad) < 0) {
                if (bad >= parsed.count)
                        snprintf(error, error_size, "a map needs two points or more");
                else
                        snprintf(error, error_size, "point %u (%g V: %g mm) does not go on the way the "
                                 "points before it go: the volts and the stroke must each rise or "
                                 "each fall, point after point, and no stroke be below 0",
                                 bad + 1, parsed.volts[bad], parsed.stroke_mm[bad]);
                return -EINVAL;
        }
        *map = parsed;
        return 0;
}

void stroke_sensor_map_format(const struct stroke_sensor_map *map, char *text, size_t text_size)
{
        size_t used = 0;

        if (text_size)
                text[0] = '\0';
        for (unsigned i = 0; i < map->count && used < text_size; i++) {
                int n = snprintf(text + used, text_size - used, "%s%.6g:%.6g", i ? "," : "",
                                 map->volts[i], map->stroke_mm[i]);

                if (n < 0)
                        return;
                used += (size_t)n;
        }
}
