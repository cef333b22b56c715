/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A routine ("profile") read from one INI file: a title and an ordered
 * list of steps, each working one muscle on one side. The format and the
 * shipped routines are described in shared/design/ROUTINES.md; a sample:
 *
 *   [routine]
 *   title = Calves
 *   [step 1]
 *   muscle = calves
 *   side = left
 *   speed = 1900
 *   ...
 *
 * Parsing happens on the main thread, never on the RT thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/control/envelope.h"
#include "daemon/control/pattern.h"

struct envelopes;

#define PROFILE_STEPS_MAX 32
#define PROFILE_ID_MAX 32          /* characters of [a-z0-9-], the file name without .ini */
#define PROFILE_MUSCLE_MAX 31      /* characters of a muscle name */

#define PROFILE_DURATION_MAX_S 600.0
#define PROFILE_PAUSE_MAX_S 600.0
/* "duration = open": the step lasts until the user stops it or moves on,
 * but at most this long, the auto-off of a gun forgotten running. */
#define PROFILE_OPEN_STEP_MAX_S 900.0

enum step_after {
        STEP_AFTER_CONTINUE,    /* go straight on to the next step */
        STEP_AFTER_WAIT,        /* motor off until the user presses the button */
        STEP_AFTER_PAUSE,       /* motor off for pause_s, then go on */
};

struct profile_step {
        char muscle[PROFILE_MUSCLE_MAX + 1];    /* "calves", "glute-med", … */
        char side[8];                           /* "left", "right" or "" */
        double speed_ppm;                       /* nominal: at Intensity 3 */
        double amplitude_mm;
        /* The muscle's safe envelope, copied from muscles.conf: the engine
         * scales speed and stroke by Intensity inside it. */
        double speed_min_ppm, speed_max_ppm;
        double amplitude_min_mm, amplitude_max_mm;
        double duration_s;                      /* includes the ramp; PROFILE_OPEN_STEP_MAX_S if open-ended */
        bool open_ended;                        /* "duration = open": until the user moves on */
        double ramp_s;                          /* soft start from the previous speed */
        enum step_pattern pattern;
        enum step_after after;
        double pause_s;                         /* only for STEP_AFTER_PAUSE, else 0 */
};

struct profile {
        char id[PROFILE_ID_MAX + 1];
        char *title;
        char *description;                      /* "" when the file has none */
        bool gentle;                            /* allowed while resting after a race */
        unsigned n_steps;
        struct profile_step steps[PROFILE_STEPS_MAX];
};

/* Parses one file; the id is its name without ".ini". Every step's muscle
 * must have an envelope in envelopes (NULL is taken as none), and the
 * step's speed and amplitude must lie inside it: what does not is an
 * error, never clamped. On failure returns a negative errno and writes
 * "path:line: reason" (or "path: reason" for what has no line, such as an
 * I/O error with strerror) into error. */
int profile_load_file(const char *path, const struct envelopes *envelopes, struct profile **ret,
                      char *error, size_t error_size);

/* Returns NULL, so that callers can write p = profile_free(p). */
struct profile *profile_free(struct profile *p);
