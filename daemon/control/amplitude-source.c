/* SPDX-License-Identifier: MIT */
#include "amplitude-source.h"

static const char *const amplitude_sources[_AMPLITUDE_SOURCE_MAX] = {
        [AMPLITUDE_NONE] = "none",
        [AMPLITUDE_IMU] = "imu",
        [AMPLITUDE_HELD] = "held",
        [AMPLITUDE_SENSOR] = "sensor",
};

const char *amplitude_source_to_string(enum amplitude_source source)
{
        if ((unsigned)source >= _AMPLITUDE_SOURCE_MAX)
                return "none";
        return amplitude_sources[source];
}
