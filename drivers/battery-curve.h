/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A pack's discharge curve: open-circuit voltage of one cell against the
 * charge left, as points "3.3:0,3.6:10,3.7:50,4.2:100" (volts:percent,
 * voltage rising). Between points the charge is interpolated linearly;
 * below the first and above the last it is held at their charge.
 */

#include <stddef.h>

#define BATTERY_CURVE_POINTS 16
/* A Li-ion cell's: [Battery] Curve's default, and the simulated pack's. */
#define BATTERY_CURVE_LI_ION "3.3:0,3.5:5,3.6:10,3.7:40,3.8:60,3.9:75,4.0:85,4.1:94,4.2:100"

struct battery_curve {
        double cell_v[BATTERY_CURVE_POINTS];
        double percent[BATTERY_CURVE_POINTS];
        unsigned count;
};

/* -EINVAL, with a sentence in error naming the point, when the text is
 * not at least two points, voltages strictly rising, charges 0..100 and
 * not falling. */
int battery_curve_parse(struct battery_curve *curve, const char *text, char *error,
                        size_t error_size);
double battery_curve_percent(const struct battery_curve *curve, double cell_v);
/* The other way: a cell's voltage at a charge (on a flat stretch of the
 * curve, its lowest). */
double battery_curve_cell_v(const struct battery_curve *curve, double percent);
