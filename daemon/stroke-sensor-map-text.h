/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The stroke sensor's map as the configuration and calibration.conf write
 * it: points "volts:mm", a comma between them, in the order of the
 * voltage, e.g. "0.85:4,2.65:16" (a sensor giving 0.85 V at a 4 mm
 * stroke and 2.65 V at 16 mm).
 */

#include <stddef.h>

#include "daemon/control/stroke-sensor-map.h"

/* -EINVAL with a sentence in error naming the point when the text is no
 * such list or the points make no map (stroke_sensor_map_check()); map
 * untouched then. */
int stroke_sensor_map_parse(struct stroke_sensor_map *map, const char *text, char *error,
                            size_t error_size);
/* The text that parses back into map. */
void stroke_sensor_map_format(const struct stroke_sensor_map *map, char *text, size_t text_size);
