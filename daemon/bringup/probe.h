/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * percussd --probe: what the board has, as the kernel shows it, and a
 * draft percussd.conf for what percussd recognises. Reads sysfs (and
 * /dev for the GPIO chips) only; moves nothing.
 *
 *   IIO devices: name, channels (in_*_raw), the scan format of each in the
 *     buffer (scan_elements/…_type), buffer and timestamp support, triggers;
 *   PWM chips and their channels; GPIO chips, their labels and line names;
 *   power supplies (type, charge, voltage); thermal zones.
 *
 * Recognised: an IMU (in_accel_{x,y,z}), an encoder channel (an angl, count
 * or anglvel channel), a voltage channel (the pack through a divider), a
 * power supply of type Battery, a thermal zone; the PWM chip's first two
 * channels for the motor and the stroke actuator.
 */

#include <stdio.h>

/* Prints the listing, then the draft configuration (every line of it
 * percussd.conf syntax), to out. 0, or a negative errno when out fails. */
int probe_board(FILE *out);
