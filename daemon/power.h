/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The battery as the daemon shows it: Battery and Charging are published
 * with PropertiesChanged when the charge moved by 1 % or more, or
 * charging started or stopped. The gauge is read on the telemetry tick
 * while the motor runs, after a simulated change, and every
 * POWER_CHARGING_POLL_US while charging (the charge rises only then);
 * idle and off the charger, nothing of the daemon's own wakes it.
 */

#include <stdbool.h>

#include "daemon/session/profile.h"

#define POWER_CHARGING_POLL_US (60 * 1000000ull)

struct manager;

/* The first reading, and the timer that follows a charge. */
int power_setup(struct manager *m);
void power_close(struct manager *m);

/* Reads the gauge and publishes what changed; while a session is on, a
 * low charge makes the current step its last (LEDs warn), a critical one
 * stops the motor at once with the fault "battery". */
void power_check_battery(struct manager *m);

/* Before Start: 0, or -ENOSPC with the sentence in m->power_refusal when
 * the charge cannot finish the first step or the charger may not run the
 * motor. */
int power_may_start(struct manager *m, const struct profile *profile);

/* Whether a and b differ enough to publish: 1 % of charge, charging, or a
 * gauge that stopped or started answering. */
bool power_battery_changed(double published_percent, bool published_charging, double percent,
                           bool charging);
