/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The crank's running angle of the last periods, to tell where it was at
 * an earlier instant: an IMU's sample is the motion of the angle its delay
 * before it (sensor-frame.h). Carried back by the speed alone, that angle
 * is off by what the speed changed in between (at the long stroke the
 * head's inertia makes it ripple a few per cent twice a revolution: a
 * degree at 2 ms), and the stroke estimator would take that for
 * quadrature. Between the encoder's own samples it is interpolated.
 * No allocation, no I/O: RT.
 */

#include <stdint.h>

/* 16 ms at 4 kHz, 64 ms at 1 kHz: more than [IMU] Delay's 10 ms */
#define ANGLE_HISTORY_SAMPLES 64

struct angle_history {
        unsigned count, newest;
        uint64_t time_ns[ANGLE_HISTORY_SAMPLES];
        double running_rad[ANGLE_HISTORY_SAMPLES];
};

void angle_history_reset(struct angle_history *h);
/* The encoder's sample: its time and the running angle then; the newest
 * handed over again (no new scan) is no new sample, and one earlier than
 * the newest starts the history again. */
void angle_history_push(struct angle_history *h, uint64_t time_ns, double running_rad);
/* The running angle at time_ns: between two samples, the line through
 * them; after the newest, carried from it at speed_rad_s. NaN before the
 * oldest: the history does not know it. */
double angle_history_at(const struct angle_history *h, uint64_t time_ns, double speed_rad_s);
