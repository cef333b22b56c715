/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The stroke estimator's gain (stroke-estimator.h: stroke = −gain ·
 * in_phase(accel) / in_phase(h), gain = 2 m_body / m_head) from the
 * stroke actuator's two ends, whose strokes are known (StrokeMin,
 * StrokeMax): the least-squares gain through both.
 */

#include "identify.h"
#include "stroke-sensor-map.h"

/* -EDOM without revolutions at both ends, or with a harmonic of the
 * wrong sign (the encoder's zero or the IMU's x is off by a half turn). */
int identify_stroke_gain(const struct identify_sums *sums, double stroke_min_mm,
                         double stroke_max_mm, double *gain);

/* The stroke sensor's map: at each end, its mean voltage against the
 * stroke the IMU measured there with gain. -ENODATA without readings at
 * both ends, -EDOM when the IMU has no stroke there, -EINVAL when the two
 * points do not make a map (the sensor did not move: the same voltage at
 * both ends). */
int identify_stroke_sensor_map(const struct identify_sums *sums, double gain,
                               struct stroke_sensor_map *map);
