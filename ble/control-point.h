/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The Control Point characteristic (docs/ble.md): a write is one opcode
 * and its operand; a malformed one is refused on the write itself with an
 * ATT error and reaches nothing; a well-formed one becomes a call to
 * percussd whose answer is indicated as [0x80, opcode, result].
 */

#include <stddef.h>
#include <stdint.h>

enum control_opcode {
        CONTROL_START = 0x01,           /* u8 routine index in the Routines list */
        CONTROL_STOP = 0x02,
        CONTROL_PAUSE = 0x03,
        CONTROL_RESUME = 0x04,
        CONTROL_NEXT = 0x05,
        CONTROL_SET_INTENSITY = 0x06,   /* u8 1-5 */
        CONTROL_CLEAR_FAULT = 0x07,
        CONTROL_RECORD_RACE = 0x08,     /* u64 µs since the epoch, 0 = now */
};

#define CONTROL_RESPONSE 0x80
#define CONTROL_RESPONSE_SIZE 3
#define CONTROL_INTENSITY_MIN 1
#define CONTROL_INTENSITY_MAX 5

/* The answer in the indication; the codes are the protocol. */
enum control_result {
        CONTROL_OK = 0x00,
        CONTROL_BUSY = 0x01,
        CONTROL_NO_SUCH_ROUTINE = 0x02,
        CONTROL_NOT_RUNNING = 0x03,
        CONTROL_FAULTED = 0x04,
        CONTROL_FAULT_ACTIVE = 0x05,
        CONTROL_BATTERY_LOW = 0x06,
        CONTROL_RESTING = 0x07,
        CONTROL_INVALID_ARGUMENT = 0x08,
        CONTROL_ACCESS_DENIED = 0x09,
        CONTROL_UNAVAILABLE = 0x0a,     /* percussd is not on the bus */
        CONTROL_FAILED = 0xff,          /* anything else: the journal has the sentence */
};

/* Why a write is refused, as the BlueZ error it is answered with. */
enum control_refusal {
        CONTROL_ACCEPTED,
        CONTROL_BAD_LENGTH,             /* org.bluez.Error.InvalidValueLength: ATT 0x0D */
        CONTROL_UNKNOWN_OPCODE,         /* org.bluez.Error.NotSupported: ATT 0x06 */
        CONTROL_OUT_OF_RANGE,           /* org.bluez.Error.Failed: ATT 0x80 */
};

struct control_request {
        enum control_opcode opcode;
        uint8_t routine_index;
        uint8_t intensity;
        uint64_t race_usec;
};

enum control_refusal control_point_parse(const uint8_t *value, size_t size, size_t routine_count,
                                         struct control_request *request);
const char *control_refusal_error(enum control_refusal refusal);
/* A sentence for the journal and the error message. */
const char *control_refusal_message(enum control_refusal refusal);

/* percussd's D-Bus error name (DBUS.md) → the result code. */
enum control_result control_result_from_error(const char *error_name);
