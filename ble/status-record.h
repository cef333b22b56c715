/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The Status characteristic's record (docs/ble.md, byte by byte), the
 * History record, the Routines list and the Battery Level: what percussd
 * publishes, in fixed little-endian fields a phone app can decode without
 * a parser. Pure: values in, bytes out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_RECORD_VERSION 1
#define STATUS_RECORD_SIZE 20   /* fits one notification at the default ATT MTU of 23 */
#define ROUTINE_NONE 0xff
#define BATTERY_UNKNOWN 0xff
#define ROUTINES_RECORD_VERSION 1
#define HISTORY_RECORD_VERSION 1
#define ID_MAX 64
#define TITLE_MAX 128

enum gun_state {
        GUN_UNAVAILABLE,        /* percussd is not on the bus */
        GUN_IDLE,
        GUN_RUNNING,
        GUN_PAUSED,
        GUN_WAITING,
        GUN_CALIBRATING,
        GUN_FAULT,
        GUN_STATE_OTHER = 0xff, /* a state this bridge does not know yet */
};

/* What the bridge knows of percussd, from its properties. */
struct gun_status {
        bool available;
        char state[16];
        char routine[ID_MAX];
        unsigned step, step_count;
        char muscle[32];
        char side[8];
        double target_speed_ppm, speed_ppm;
        double target_amplitude_mm, amplitude_mm;
        double force_n;
        unsigned intensity, max_intensity;
        double battery_percent;         /* NaN: no gauge */
        bool charging;
        char fault[32];
};

enum gun_state gun_state_from_string(const char *state);
uint8_t muscle_code(const char *muscle);
uint8_t side_code(const char *side);
uint8_t fault_code(const char *fault);

/* routine_index: the active routine's place in the Routines list, or
 * ROUTINE_NONE. Writes STATUS_RECORD_SIZE bytes. */
void status_record_encode(const struct gun_status *status, uint8_t routine_index,
                          uint8_t out[STATUS_RECORD_SIZE]);

/* 0-100, BATTERY_UNKNOWN as 0 is not a level: the Battery Service has no
 * "unknown", so a gun without a gauge reads 100 (mains). */
uint8_t battery_level(const struct gun_status *status);

/* A growing byte buffer for the variable-length records. */
struct byte_buffer {
        uint8_t *data;
        size_t size, allocated;
};
int byte_buffer_append(struct byte_buffer *b, const void *data, size_t size);
/* A string as one length byte and at most max bytes of it. */
int byte_buffer_append_string(struct byte_buffer *b, const char *s, size_t max);
void byte_buffer_free(struct byte_buffer *b);

int routines_record_encode(struct byte_buffer *out, char *const *ids, char *const *titles,
                           size_t count);

struct history_entry {
        uint64_t start_usec;    /* since the epoch */
        char routine[ID_MAX];
        double seconds;
        unsigned steps_completed;
};
int history_record_encode(struct byte_buffer *out, const struct history_entry *entries,
                          size_t count);
