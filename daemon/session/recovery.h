/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The recovery guard (DBUS.md, "Recovery guard"; ROUTINES.md): after a
 * race the legs get about a day of rest, when only gentle routines may
 * start, then a "reverse taper" over about ten days, when MaxIntensity
 * grows from 1 back to 5.
 *
 * Times are CLOCK_REALTIME µs since the epoch, because the race is a date
 * the user gives and the record must survive reboots. The rules are pure
 * functions of the record and now; the record itself is one setting in
 * the history database.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define RECOVERY_INTENSITY_MIN 1u
#define RECOVERY_INTENSITY_MAX 5u

struct recovery_params {
        uint64_t rest_usec;     /* only gentle routines, from the race */
        uint64_t taper_usec;    /* then the cap rises from 1 to 5 */
};

/* 24 h of rest, 10 days of taper. */
void recovery_params_default(struct recovery_params *p);

struct recovery {
        struct recovery_params p;
        uint64_t last_race_usec;        /* 0 = no race recorded */
};

/* Today's cap on the intensity, 1 to 5. */
unsigned recovery_max_intensity(const struct recovery *r, uint64_t now_usec);
/* True while routines other than gentle ones are refused; then
 * *allowed_from_usec (optional) says from when they are allowed. */
bool recovery_resting(const struct recovery *r, uint64_t now_usec, uint64_t *allowed_from_usec);
/* The sentence for io.percussd.Error.Resting, naming the time in the
 * local time zone. */
void recovery_format_resting(uint64_t allowed_from_usec, char *buf, size_t size);

/* Reads the record ("last-race-usec") from h; none there means no race. */
int recovery_load(struct recovery *r, struct history *h);
/* Records a race at when_usec (0 = now_usec). -EINVAL when it is more
 * than a minute in the future. With h NULL (no usable state directory)
 * the guard still holds, but only until the daemon restarts. On failure
 * nothing changes. */
int recovery_record_race(struct recovery *r, struct history *h, uint64_t when_usec,
                         uint64_t now_usec);
/* Forgets the race (h may be NULL, as above). */
int recovery_clear(struct recovery *r, struct history *h);
