/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Crank speed from the encoder. Angle channels are unwrapped into a
 * running angle; angular-velocity channels are integrated into one, so
 * both give the same history: (time, angle) pairs in a ring. Speed is the
 * angle travelled over a time window:
 *  - fast: a few milliseconds, little delay, for the speed loop;
 *  - revolution: exactly the last crank revolution, what a person means by
 *    percussions per minute (the ripple inside a revolution cancels).
 * No allocation, no I/O: called from the RT thread every period.
 */

#include <stdint.h>

#include "drivers/driver.h"

/* Longest history kept: a revolution at 600 ppm, at the highest rate. */
#define SPEED_ESTIMATOR_HISTORY_S 0.1
#define SPEED_ESTIMATOR_RATE_MAX_HZ 4000
#define SPEED_ESTIMATOR_SAMPLES 402 /* HISTORY_S × RATE_MAX_HZ + 2 */
/* The fast estimate's window: 4 ms holds hundreds of counts of a 12-bit
 * encoder at 2000 ppm, so one count of quantisation is 0.2 %. */
#define SPEED_ESTIMATOR_FAST_WINDOW_S 0.004
/* The fastest crank the estimates must follow turn by turn: the
 * envelope's 3 200 ppm and a quarter over it, where a crank is a runaway
 * whatever its turns. Two readings of an angle channel further apart than
 * half a turn at this speed (7.5 ms) may be any number of turns apart. At
 * 250 Hz two scans of a device sampling at twice the rate are 6 ms apart
 * when the loop wakes on either side of a scan: that still counts. */
#define SPEED_ESTIMATOR_MAX_PPM 4000.0

struct speed_estimator {
        enum encoder_quantity quantity;
        unsigned fast_samples;          /* periods in the fast window */
        unsigned capacity;              /* samples kept: the history at the control rate */
        uint64_t time_ns[SPEED_ESTIMATOR_SAMPLES];
        double angle_rad[SPEED_ESTIMATOR_SAMPLES]; /* unwrapped */
        unsigned head;                  /* index of the newest sample */
        unsigned count;
        double last_value;              /* the channel's previous reading */
        /* an angle channel's speed before a gap too long to difference
         * across, held until two readings follow it */
        double held_ppm;
};

void speed_estimator_init(struct speed_estimator *est, enum encoder_quantity quantity,
                          double control_hz);
void speed_estimator_reset(struct speed_estimator *est);
void speed_estimator_update(struct speed_estimator *est, const struct encoder_sample *sample);
double speed_estimator_fast_ppm(const struct speed_estimator *est);
double speed_estimator_revolution_ppm(const struct speed_estimator *est);

/* The fast estimate's window is full of readings (since the reset, or
 * since a gap it could not difference across). */
static inline bool speed_estimator_settled(const struct speed_estimator *est)
{
        return est->count > est->fast_samples;
}

/* The newest running (unwrapped) angle: whole turns since the reset. */
static inline double speed_estimator_angle_rad(const struct speed_estimator *est)
{
        return est->angle_rad[est->head];
}
