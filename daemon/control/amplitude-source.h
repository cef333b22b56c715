/* SPDX-License-Identifier: MIT */
#pragma once

/* Where the published Amplitude comes from this period (DBUS.md's
 * AmplitudeSource). */

enum amplitude_source {
        AMPLITUDE_NONE,         /* the motor is off */
        AMPLITUDE_IMU,          /* the IMU's estimate, in the air, no stroke sensor */
        AMPLITUDE_HELD,         /* pressed without a stroke sensor (or with one that failed),
                                 * or the IMU at its limit: the last value measured */
        AMPLITUDE_SENSOR,       /* the stroke-position sensor */
        _AMPLITUDE_SOURCE_MAX,
};

/* "none", "imu", "held", "sensor". */
const char *amplitude_source_to_string(enum amplitude_source source);
