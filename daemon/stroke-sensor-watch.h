/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the stroke sensor's state means to the user: a sensor that stopped
 * reading, reads out of its map or disagrees with the IMU in the air is
 * no fault (the control loop holds the stroke), but the journal and the
 * Notice property say why Amplitude is held, and when it reads again.
 */

#include <stdbool.h>

struct manager;

/* manager.stroke_sensor_cause when the IMU disagrees with the sensor in
 * the air (the other causes are the sensor's positive errno). */
#define STROKE_SENSOR_DISAGREES (-1)

/* From the newest telemetry; true when the notice changed. */
bool manager_check_stroke_sensor(struct manager *m);
