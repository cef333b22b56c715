/* SPDX-License-Identifier: MIT */
#include "angle-history.h"

#include <math.h>

void angle_history_reset(struct angle_history *h)
{
        h->count = 0;
        h->newest = 0;
}

void angle_history_push(struct angle_history *h, uint64_t time_ns, double running_rad)
{
        if (h->count > 0 && time_ns == h->time_ns[h->newest])
                return;
        if (h->count > 0 && time_ns < h->time_ns[h->newest])
                angle_history_reset(h);
        h->newest = h->count > 0 ? (h->newest + 1) % ANGLE_HISTORY_SAMPLES : 0;
        h->time_ns[h->newest] = time_ns;
        h->running_rad[h->newest] = running_rad;
        if (h->count < ANGLE_HISTORY_SAMPLES)
                h->count++;
}

static double carried(const struct angle_history *h, unsigned i, uint64_t time_ns, double speed_rad_s)
{
        return h->running_rad[i] + speed_rad_s * (double)(int64_t)(time_ns - h->time_ns[i]) * 1e-9;
}

double angle_history_at(const struct angle_history *h, uint64_t time_ns, double speed_rad_s)
{
        unsigned newer = h->newest;

        if (h->count == 0)
                return NAN;
        if (time_ns >= h->time_ns[newer])
                return carried(h, newer, time_ns, speed_rad_s);
        for (unsigned n = 1; n < h->count; n++) {
                unsigned older = (newer + ANGLE_HISTORY_SAMPLES - 1) % ANGLE_HISTORY_SAMPLES;

                if (time_ns >= h->time_ns[older])
                        return h->running_rad[older] +
                               (h->running_rad[newer] - h->running_rad[older]) *
                                       ((double)(time_ns - h->time_ns[older]) /
                                        (double)(h->time_ns[newer] - h->time_ns[older]));
                newer = older;
        }
        return NAN;
}
