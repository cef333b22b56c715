/* SPDX-License-Identifier: MIT */
#include "status-record.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
        [GUN_IDLE] = "idle",       [GUN_RUNNING] = "running",         [GUN_PAUSED] = "paused",
        [GUN_WAITING] = "waiting", [GUN_CALIBRATING] = "calibrating", [GUN_FAULT] = "fault",
};

/* The codes are the protocol: append, never renumber (docs/ble.md). */
static const char *const muscle_names[] = { "", "calves", "quads", "glute-med", "any" };
static const char *const side_names[] = { "", "left", "right" };
static const char *const fault_names[] = {
        "", "stall", "over-temperature", "drop", "sensor-lost", "overrun",
        "runaway", "battery", "limit", "actuator",
};

static uint8_t code_of(const char *name, const char *const *names, size_t count)
{
        for (size_t i = 0; i < count; i++)
                if (names[i] && strcmp(name, names[i]) == 0)
                        return (uint8_t)i;
        return 0xff;
}

enum gun_state gun_state_from_string(const char *state)
{
        uint8_t code = code_of(state, state_names, sizeof(state_names) / sizeof(state_names[0]));

        return code == 0xff ? GUN_STATE_OTHER : (enum gun_state)code;
}

uint8_t muscle_code(const char *muscle)
{
        return code_of(muscle, muscle_names, sizeof(muscle_names) / sizeof(muscle_names[0]));
}

uint8_t side_code(const char *side)
{
        return code_of(side, side_names, sizeof(side_names) / sizeof(side_names[0]));
}

uint8_t fault_code(const char *fault)
{
        return code_of(fault, fault_names, sizeof(fault_names) / sizeof(fault_names[0]));
}

/* value / unit, rounded and held inside what the field can carry. */
static unsigned scaled(double value, double unit, unsigned max)
{
        double v;

        if (!isfinite(value) || value <= 0)
                return 0;
        v = round(value / unit);
        return v >= max ? max : (unsigned)v;
}

static void put_u16(uint8_t *at, unsigned value)
{
        at[0] = (uint8_t)(value & 0xff);
        at[1] = (uint8_t)(value >> 8);
}

void status_record_encode(const struct gun_status *status, uint8_t routine_index,
                          uint8_t out[STATUS_RECORD_SIZE])
{
        memset(out, 0, STATUS_RECORD_SIZE);
        out[0] = STATUS_RECORD_VERSION;
        if (!status->available) {
                out[1] = GUN_UNAVAILABLE;
                out[2] = ROUTINE_NONE;
                out[17] = BATTERY_UNKNOWN;
                return;
        }
        out[1] = (uint8_t)gun_state_from_string(status->state);
        out[2] = routine_index;
        out[3] = (uint8_t)(status->step > 0xff ? 0xff : status->step);
        out[4] = (uint8_t)(status->step_count > 0xff ? 0xff : status->step_count);
        out[5] = muscle_code(status->muscle);
        out[6] = side_code(status->side);
        put_u16(out + 7, scaled(status->target_speed_ppm, 1, 0xffff));
        put_u16(out + 9, scaled(status->speed_ppm, 1, 0xffff));
        out[11] = (uint8_t)scaled(status->target_amplitude_mm, 0.1, 0xff);
        out[12] = (uint8_t)scaled(status->amplitude_mm, 0.1, 0xff);
        put_u16(out + 13, scaled(status->force_n, 0.1, 0xffff));
        out[15] = (uint8_t)(status->intensity > 0xff ? 0xff : status->intensity);
        out[16] = (uint8_t)(status->max_intensity > 0xff ? 0xff : status->max_intensity);
        out[17] = isfinite(status->battery_percent) ?
                (uint8_t)scaled(status->battery_percent, 1, 100) : BATTERY_UNKNOWN;
        out[18] = fault_code(status->fault);
        out[19] = status->charging ? 1 : 0;
}

uint8_t battery_level(const struct gun_status *status)
{
        if (!status->available || !isfinite(status->battery_percent))
                return 100;
        return (uint8_t)scaled(status->battery_percent, 1, 100);
}

int byte_buffer_append(struct byte_buffer *b, const void *data, size_t size)
{
        if (size == 0)
                return 0;
        if (b->size + size > b->allocated) {
                size_t allocated = (b->size + size) * 2 + 32;
                uint8_t *grown = realloc(b->data, allocated);

                if (!grown)
                        return -ENOMEM;
                b->data = grown;
                b->allocated = allocated;
        }
        memcpy(b->data + b->size, data, size);
        b->size += size;
        return 0;
}

int byte_buffer_append_string(struct byte_buffer *b, const char *s, size_t max)
{
        size_t n = strlen(s);
        uint8_t length;
        int r;

        if (n > max)
                n = max;
        length = (uint8_t)n;
        r = byte_buffer_append(b, &length, 1);
        return r < 0 ? r : byte_buffer_append(b, s, n);
}

void byte_buffer_free(struct byte_buffer *b)
{
        free(b->data);
        *b = (struct byte_buffer){ 0 };
}

int routines_record_encode(struct byte_buffer *out, char *const *ids, char *const *titles,
                           size_t count)
{
        uint8_t head[2] = { ROUTINES_RECORD_VERSION, (uint8_t)(count > 0xfe ? 0xfe : count) };
        int r = byte_buffer_append(out, head, sizeof(head));

        for (size_t i = 0; r >= 0 && i < head[1]; i++) {
                r = byte_buffer_append_string(out, ids[i], ID_MAX);
                if (r >= 0)
                        r = byte_buffer_append_string(out, titles[i] ? titles[i] : "", TITLE_MAX);
        }
        return r;
}

int history_record_encode(struct byte_buffer *out, const struct history_entry *entries,
                          size_t count)
{
        uint8_t head[2] = { HISTORY_RECORD_VERSION, (uint8_t)(count > 0xff ? 0xff : count) };
        int r = byte_buffer_append(out, head, sizeof(head));

        for (size_t i = 0; r >= 0 && i < head[1]; i++) {
                const struct history_entry *e = &entries[i];
                uint8_t fixed[13];
                unsigned seconds = scaled(e->seconds, 1, 0xffffffffu);

                for (unsigned k = 0; k < 8; k++)
                        fixed[k] = (uint8_t)(e->start_usec >> (8 * k));
                for (unsigned k = 0; k < 4; k++)
                        fixed[8 + k] = (uint8_t)(seconds >> (8 * k));
                fixed[12] = (uint8_t)(e->steps_completed > 0xff ? 0xff : e->steps_completed);
                r = byte_buffer_append(out, fixed, sizeof(fixed));
                if (r >= 0)
                        r = byte_buffer_append_string(out, e->routine, ID_MAX);
        }
        return r;
}
