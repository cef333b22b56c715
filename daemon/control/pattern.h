/* SPDX-License-Identifier: MIT */
#pragma once

/* A step's pattern as a factor on its speed, over time. Patterns only slow
 * the gun down from the step's speed, never push it past it, so a step
 * that sits inside its muscle's envelope stays under its top. Pure. */

enum step_pattern {
        STEP_PATTERN_CONSTANT,
        STEP_PATTERN_PULSE,
        STEP_PATTERN_WAVE,
};

/* pulse: full speed for PATTERN_PULSE_HALF_S, then PATTERN_PULSE_LOW of it */
#define PATTERN_PULSE_HALF_S 1.0
#define PATTERN_PULSE_LOW 0.75
/* wave: a cosine between PATTERN_WAVE_LOW and 1 over PATTERN_WAVE_PERIOD_S */
#define PATTERN_WAVE_PERIOD_S 4.0
#define PATTERN_WAVE_LOW 0.8

/* t_s: seconds since the step's set-point was given. */
double pattern_speed_factor(enum step_pattern pattern, double t_s);
