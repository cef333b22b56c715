/* SPDX-License-Identifier: MIT */
#pragma once

/* The gun's global envelope (ROUTINES.md, from commercial guns). Every
 * step must lie inside it, and inside its muscle's narrower envelope from
 * muscles.conf (envelopes.h). */
#define ENVELOPE_SPEED_MIN_PPM 1200.0
#define ENVELOPE_SPEED_MAX_PPM 3200.0
#define ENVELOPE_AMPLITUDE_MIN_MM 4.0
#define ENVELOPE_AMPLITUDE_MAX_MM 16.0
