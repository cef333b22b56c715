/* SPDX-License-Identifier: MIT */
#include "recovery.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "common/time-util.h"

#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

/* A phone's clock may run a little ahead of the gun's; a race "now" by
 * its clock must not be refused for that. */
#define RECOVERY_FUTURE_SLACK_USEC USEC_PER_MINUTE

#define LAST_RACE_KEY "last-race-usec"

void recovery_params_default(struct recovery_params *p)
{
        /* ROUTINES.md: about 24 hours without real percussion, then come
         * back over one to two weeks. */
        *p = (struct recovery_params){
                .rest_usec = 24 * USEC_PER_HOUR,
                .taper_usec = 10 * USEC_PER_DAY,
        };
}

/* floor(4 × into / taper) for into < taper: how many quarters of the
 * taper have passed, 0 to 3. Two steps of binary long division, so that
 * no product can overflow however long a taper the configuration asks
 * for. Each step doubles the remainder and asks whether it reaches taper;
 * "into >= taper - into" is "2 × into >= taper" without the product. */
static unsigned taper_quarters(uint64_t into, uint64_t taper)
{
        unsigned quarters = 0;

        for (int step = 0; step < 2; step++) {
                quarters <<= 1;
                if (into >= taper - into) {
                        into -= taper - into;
                        quarters |= 1;
                } else {
                        into += into;
                }
        }
        return quarters;
}

/*
 * The cap, with t the time since the race:
 *
 *   t < rest                     1
 *   rest ≤ t < rest + taper      1 + floor(4 × (t − rest) / taper)
 *   t ≥ rest + taper, no race    5
 *
 * so the taper is four equal stages at 1, 2, 3 and 4, and 5 is reached
 * only when the taper is over. With the defaults, day 3 after the race is
 * still 1 and day 7 is 3.
 *
 * A wall clock before the race (set back by hand, or not yet set after a
 * boot) is a negative t. That is read as "still resting", never as an
 * unlock: a wrong clock may delay real percussion, it must not allow it
 * early. ClearRace is there for a race recorded by mistake.
 */
unsigned recovery_max_intensity(const struct recovery *rec, uint64_t now_usec)
{
        uint64_t since_race_usec, into_taper_usec;

        if (rec->last_race_usec == 0)
                return RECOVERY_INTENSITY_MAX;
        if (now_usec < rec->last_race_usec)
                return RECOVERY_INTENSITY_MIN;
        since_race_usec = now_usec - rec->last_race_usec;
        if (since_race_usec < rec->p.rest_usec)
                return RECOVERY_INTENSITY_MIN;
        into_taper_usec = since_race_usec - rec->p.rest_usec;
        if (into_taper_usec >= rec->p.taper_usec)
                return RECOVERY_INTENSITY_MAX;
        return RECOVERY_INTENSITY_MIN + taper_quarters(into_taper_usec, rec->p.taper_usec);
}

/* Resting until race + rest; a clock before the race is before that too
 * (see above). */
bool recovery_resting(const struct recovery *rec, uint64_t now_usec, uint64_t *allowed_from_usec)
{
        uint64_t allowed_usec = 0;

        if (rec->last_race_usec != 0)
                allowed_usec = rec->p.rest_usec > UINT64_MAX - rec->last_race_usec
                                       ? UINT64_MAX
                                       : rec->last_race_usec + rec->p.rest_usec;
        if (allowed_from_usec)
                *allowed_from_usec = allowed_usec;
        return now_usec < allowed_usec;
}

void recovery_format_resting(uint64_t allowed_from_usec, char *buf, size_t size)
{
        /* Rounded up to the minute shown: told "from 08:01", the user
         * must not be refused at 08:01:10. */
        uint64_t minutes = allowed_from_usec / USEC_PER_MINUTE +
                           (allowed_from_usec % USEC_PER_MINUTE != 0);
        uint64_t seconds = minutes * 60;
        time_t t = (time_t)seconds;
        char when[64];
        struct tm tm;

        /* A 32-bit time_t cannot hold every date; say it plainly then. */
        if ((uint64_t)t != seconds || !localtime_r(&t, &tm) ||
            strftime(when, sizeof(when), "%a %d %b %H:%M", &tm) == 0)
                snprintf(when, sizeof(when), "%" PRIu64 " µs since the epoch", allowed_from_usec);
        snprintf(buf, size, "Rest after your race: routines other than gentle ones are allowed "
                 "from %s.", when);
}

int recovery_load(struct recovery *rec, struct history *h)
{
        uint64_t when_usec;
        int r;

        rec->last_race_usec = 0;
        r = history_get_u64(h, LAST_RACE_KEY, &when_usec);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        rec->last_race_usec = when_usec;
        return 0;
}

int recovery_record_race(struct recovery *rec, struct history *h, uint64_t when_usec,
                         uint64_t now_usec)
{
        int r;

        if (when_usec == 0)
                when_usec = now_usec;
        if (when_usec > now_usec && when_usec - now_usec > RECOVERY_FUTURE_SLACK_USEC)
                return -EINVAL;
        if (h) {
                r = history_set_u64(h, LAST_RACE_KEY, when_usec);
                if (r < 0)
                        return r;
        }
        rec->last_race_usec = when_usec;
        return 0;
}

int recovery_clear(struct recovery *rec, struct history *h)
{
        int r;

        if (h) {
                r = history_delete(h, LAST_RACE_KEY);
                if (r < 0)
                        return r;
        }
        rec->last_race_usec = 0;
        return 0;
}
