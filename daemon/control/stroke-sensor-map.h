/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The stroke-position sensor's map: its voltage against the head's stroke,
 * as points (volts, mm) in the order of the voltage, interpolated linearly
 * between them. A pot or Hall sensor may rise or fall with the stroke,
 * but the map must go one way: each voltage one stroke, each stroke one
 * voltage. Past its ends the map is carried on a little (the end points
 * come from Calibrate's two end stops, a reading a hair beyond them is
 * still a stroke); further out the sensor reads what no stroke gives: out
 * of range.
 */

#include <stdbool.h>

#define STROKE_SENSOR_MAP_POINTS 8
/* The share of the map's span a reading may lie beyond its ends. */
#define STROKE_SENSOR_MAP_MARGIN 0.1

struct stroke_sensor_map {
        unsigned count;
        double volts[STROKE_SENSOR_MAP_POINTS];
        double stroke_mm[STROKE_SENSOR_MAP_POINTS];
};

/* 0, or -EINVAL (fewer than two points, more than fit, a voltage or a
 * stroke that does not go on the same way as the one before, a stroke
 * below 0, a value not finite); *bad_point then says which point (0-based)
 * broke it, or count when there are too few. */
int stroke_sensor_map_check(const struct stroke_sensor_map *map, unsigned *bad_point);

/* The stroke at volts; false (and *stroke_mm untouched) when the reading
 * lies beyond the map's ends by more than the margin, or is not finite. */
bool stroke_sensor_map_stroke(const struct stroke_sensor_map *map, double volts, double *stroke_mm);
