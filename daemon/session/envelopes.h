/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The safe envelope of each muscle group: the speeds and strokes every
 * step working it must stay inside, read from muscles.conf next to the
 * routines (shared/design/ROUTINES.md). A sample:
 *
 *   [calves]
 *   speed = 1200-2200      ; percussions per minute
 *   amplitude = 5-12       ; stroke, mm
 *
 * Each envelope lies inside the daemon's global one (profile.h). The
 * muscle "any" is for steps on no particular muscle, and manual mode.
 *
 * Parsing happens on the main thread, never on the RT thread.
 */

#include <stddef.h>

#include "profile.h"

#define ENVELOPES_MAX 32
#define ENVELOPES_FILE_NAME "muscles.conf"

struct envelope {
        char muscle[PROFILE_MUSCLE_MAX + 1];
        double speed_min_ppm, speed_max_ppm;
        double amplitude_min_mm, amplitude_max_mm;
};

struct envelopes {
        struct envelope items[ENVELOPES_MAX];   /* in the order first read */
        size_t count;
};

/* Reads one file and merges it into set: a [muscle] section replaces the
 * envelope of that muscle, and the others stay. The file is taken whole
 * or not at all: on failure set is unchanged, a negative errno is returned
 * (-ENOENT when the file does not exist), and "path:line: reason" (or
 * "path: reason") is written into error. */
int envelopes_load_file(struct envelopes *set, const char *path, char *error, size_t error_size);

/* NULL when the muscle has no envelope. */
const struct envelope *envelopes_find(const struct envelopes *set, const char *muscle);
