/* SPDX-License-Identifier: MIT */
#include "control-point.h"

#include <stdbool.h>
#include <string.h>

#include "bus-names.h"

static size_t operand_size(uint8_t opcode)
{
        switch (opcode) {
        case CONTROL_START:
        case CONTROL_SET_INTENSITY:
                return 1;
        case CONTROL_RECORD_RACE:
                return 8;
        default:
                return 0;
        }
}

static bool known(uint8_t opcode)
{
        return opcode >= CONTROL_START && opcode <= CONTROL_RECORD_RACE;
}

enum control_refusal control_point_parse(const uint8_t *value, size_t size, size_t routine_count,
                                         struct control_request *request)
{
        if (size < 1)
                return CONTROL_BAD_LENGTH;
        if (!known(value[0]))
                return CONTROL_UNKNOWN_OPCODE;
        if (size != 1 + operand_size(value[0]))
                return CONTROL_BAD_LENGTH;

        *request = (struct control_request){ .opcode = value[0] };
        switch (request->opcode) {
        case CONTROL_START:
                if (value[1] >= routine_count)
                        return CONTROL_OUT_OF_RANGE;
                request->routine_index = value[1];
                break;
        case CONTROL_SET_INTENSITY:
                if (value[1] < CONTROL_INTENSITY_MIN || value[1] > CONTROL_INTENSITY_MAX)
                        return CONTROL_OUT_OF_RANGE;
                request->intensity = value[1];
                break;
        case CONTROL_RECORD_RACE:
                for (unsigned k = 0; k < 8; k++)
                        request->race_usec |= (uint64_t)value[1 + k] << (8 * k);
                break;
        default:
                break;
        }
        return CONTROL_ACCEPTED;
}

const char *control_refusal_error(enum control_refusal refusal)
{
        switch (refusal) {
        case CONTROL_BAD_LENGTH:
                return BLUEZ_ERROR_INVALID_VALUE_LENGTH;
        case CONTROL_UNKNOWN_OPCODE:
                return BLUEZ_ERROR_NOT_SUPPORTED;
        default:
                return BLUEZ_ERROR_FAILED;
        }
}

const char *control_refusal_message(enum control_refusal refusal)
{
        switch (refusal) {
        case CONTROL_BAD_LENGTH:
                return "The control point write has the wrong length for its opcode.";
        case CONTROL_UNKNOWN_OPCODE:
                return "The control point does not know this opcode.";
        case CONTROL_OUT_OF_RANGE:
                /* BlueZ 5.7x reads an application error code from the message */
                return "0x80";
        default:
                return "";
        }
}

static const struct {
        const char *name;
        enum control_result result;
} error_results[] = {
        { BUS_ERROR_BUSY, CONTROL_BUSY },
        { BUS_ERROR_NO_SUCH_ROUTINE, CONTROL_NO_SUCH_ROUTINE },
        { BUS_ERROR_NOT_RUNNING, CONTROL_NOT_RUNNING },
        { BUS_ERROR_FAULTED, CONTROL_FAULTED },
        { BUS_ERROR_FAULT_ACTIVE, CONTROL_FAULT_ACTIVE },
        { BUS_ERROR_BATTERY_LOW, CONTROL_BATTERY_LOW },
        { BUS_ERROR_RESTING, CONTROL_RESTING },
        { BUS_ERROR_ACCESS_DENIED, CONTROL_ACCESS_DENIED },
        { "org.freedesktop.DBus.Error.AccessDenied", CONTROL_ACCESS_DENIED },
        { "org.freedesktop.DBus.Error.InvalidArgs", CONTROL_INVALID_ARGUMENT },
        { "org.freedesktop.DBus.Error.ServiceUnknown", CONTROL_UNAVAILABLE },
        { "org.freedesktop.DBus.Error.NameHasNoOwner", CONTROL_UNAVAILABLE },
        { "org.freedesktop.DBus.Error.NoReply", CONTROL_UNAVAILABLE },
};

enum control_result control_result_from_error(const char *error_name)
{
        if (!error_name)
                return CONTROL_OK;
        for (size_t i = 0; i < sizeof(error_results) / sizeof(error_results[0]); i++)
                if (strcmp(error_name, error_results[i].name) == 0)
                        return error_results[i].result;
        return CONTROL_FAILED;
}
