/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The main thread's steady beat: the systemd watchdog's keep-alive
 * (WATCHDOG=1 at half of WATCHDOG_USEC, as sd-event would send it) and,
 * at each, a look at the resting crank by the control thread
 * (rt_look()): a motor driver stuck on while the gun rests turns the crank
 * with nothing commanding it, and only a look sees it. Without a systemd
 * watchdog the beat keeps the shipped unit's cadence, for the looks.
 */

#include <stdint.h>

#include "common/time-util.h"

/* WatchdogSec=5s in percussd.service: a look every 2.5 s */
#define WATCHDOG_BEAT_DEFAULT_USEC (2500 * USEC_PER_MSEC)

struct manager;

/* Arms the beat on the manager's event loop. */
int watchdog_start(struct manager *m);
