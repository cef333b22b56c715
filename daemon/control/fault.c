/* SPDX-License-Identifier: MIT */
#include "fault.h"

static const char *const fault_codes[_FAULT_MAX] = {
        [FAULT_NONE] = "",
        [FAULT_SENSOR_LOST] = "sensor-lost",
        [FAULT_ACTUATOR] = "actuator",
        [FAULT_STALL] = "stall",
        [FAULT_DROP] = "drop",
        [FAULT_OVERRUN] = "overrun",
        [FAULT_LIMIT] = "limit",
        [FAULT_OVER_TEMPERATURE] = "over-temperature",
        [FAULT_BATTERY] = "battery",
        [FAULT_INTERNAL] = "internal",
        [FAULT_RUNAWAY] = "runaway",
};

const char *fault_to_string(enum fault fault)
{
        if ((unsigned)fault >= _FAULT_MAX)
                return "";
        return fault_codes[fault];
}
