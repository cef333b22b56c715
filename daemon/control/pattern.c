/* SPDX-License-Identifier: MIT */
#include "pattern.h"

#include <math.h>

double pattern_speed_factor(enum step_pattern pattern, double t_s)
{
        switch (pattern) {
        case STEP_PATTERN_PULSE:
                return fmod(t_s, 2.0 * PATTERN_PULSE_HALF_S) < PATTERN_PULSE_HALF_S ?
                               1.0 : PATTERN_PULSE_LOW;
        case STEP_PATTERN_WAVE:
                return PATTERN_WAVE_LOW + (1.0 - PATTERN_WAVE_LOW) *
                                                  0.5 * (1.0 + cos(2.0 * M_PI * t_s / PATTERN_WAVE_PERIOD_S));
        case STEP_PATTERN_CONSTANT:
        default:
                return 1.0;
        }
}
