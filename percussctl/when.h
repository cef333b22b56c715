/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <time.h>

/*
 * WHEN of "percussctl race WHEN", in local time:
 *   now                       (also 0; the daemon takes 0 as now)
 *   today, yesterday          midnight, or followed by HH:MM[:SS]
 *   HH:MM[:SS]                today
 *   YYYY-MM-DD [HH:MM[:SS]]   (also YYYY-MM-DDTHH:MM[:SS])
 *   @SECONDS                  since the epoch
 * Stores µs since the epoch, 0 for now, in *ret_usec; returns 0, or
 * -EINVAL when text is none of these.
 */
int parse_when(const char *text, time_t now, uint64_t *ret_usec);
