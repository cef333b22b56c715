/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the charge allows, as pure functions: whether a step can be
 * played to its end, and what a falling charge asks of a running session
 * (low: finish the step, then stop; critical: stop now). Configured in
 * [Power] of percussd.conf.
 */

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

struct battery_policy {
        double low_percent;             /* 10 %: finish the step, then stop */
        double critical_percent;        /* 3 %: safe stop at once, fault "battery" */
        double use_percent_per_min;     /* 1 %/min: assumed until measured */
        bool no_motor_while_charging;   /* the charger cannot power the motor */
        double max_percussion_s;        /* 15 min: a session stops after this much; 0: none */
        double idle_off_s;              /* 10 min: a paused or waiting session ends; 0: never */
};

enum battery_action {
        BATTERY_OK,
        BATTERY_LOW,
        BATTERY_CRITICAL,
};

void battery_policy_default(struct battery_policy *p);

/* NaN (no gauge) is always OK: a gun on mains does not run out. */
enum battery_action battery_policy_check(const struct battery_policy *p, double percent);

/* The charge a step of duration_s needs to end above the critical
 * threshold, at use_percent_per_min. */
double battery_policy_needed_percent(const struct battery_policy *p, double duration_s,
                                     double use_percent_per_min);

/* 0 when a step of duration_s may start; -ENOSPC, with a sentence for the
 * user in why, when the charge cannot finish it or the charger may not
 * run the motor. */
int battery_policy_may_start(const struct battery_policy *p, double percent, bool charging,
                             double duration_s, double use_percent_per_min, char *why,
                             size_t why_size);

/* The consumption measured over a stretch of percussion: the charge lost
 * per minute, or NaN when the stretch is too short, or the charge did not
 * fall (a charger), to say. */
double battery_policy_measured_use(double percent_before, double percent_after, double played_s);

/* What the charge does to a session that is on: critical, a running one
 * faults ("battery") and a paused or waiting one stops; low, a running
 * step becomes the last. Returns true the moment the low charge takes
 * effect: the LEDs warn then. */
bool battery_policy_apply(const struct battery_policy *p, struct session *s, double percent);
