/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * /etc/percussd/percussd.conf: the daemon's settings, INI. Defaults <
 * the file < the command line. A missing file means the defaults; a bad
 * line is logged as "path:line: reason" and skipped, and the rest of the
 * file still applies (QUALITY.md: a malformed config never stops the
 * daemon). systemd/percussd.conf lists every key with its default and
 * unit.
 */

#include <stdbool.h>
#include <stddef.h>

#include "daemon/session/battery-policy.h"
#include "daemon/rt/control-period.h"
#include "drivers/hw-config.h"
#include "daemon/session/recovery.h"
#include "daemon/control/safety.h"
#include "drivers/sim/sim-gun.h"

/* Keys the file may hold, at most. */
#define SETTINGS_KEYS_MAX 160

struct settings {
        bool simulate;
        unsigned control_hz;            /* 250..4000 */
        unsigned rt_priority;           /* SCHED_FIFO, 1..99 */
        int rt_cpu;                     /* -1: any */
        int wake_latency_us;            /* while the motor runs, see cpu-latency.h; -1: any */
        struct control_params control;
        struct safety_params safety;
        struct recovery_params recovery;
        struct battery_policy power;    /* [Power] */
        struct hw_config hw;            /* ignored when simulate */
        struct sim_gun_params simulator;/* [Simulator]: the simulated gun's constants */
        unsigned simulator_family;      /* [Simulator] Family: a member's seed; 0: none */
        bool key_set[SETTINGS_KEYS_MAX]; /* the file set settings_key(i) */
};

/* Whether the file set [section] name: it wins over Calibrate's figure. */
bool settings_key_set(const struct settings *c, const char *section, const char *name);

void settings_defaults(struct settings *c);

/* The i-th key the file may hold, and its section; NULL past the last. */
const char *settings_key(size_t i, const char **section);
/* The i-th key's value in c, in the key's unit (a switch 0 or 1, an RTCPU
 * or a WakeLatency of "any" -1, a text its length), and the range the
 * file may set it in; -EMEDIUMTYPE for a key that is no number (Driver,
 * Axes), -ERANGE past the last key. */
int settings_key_value(const struct settings *c, size_t i, double *value, double *min, double *max);

/* Returns the number of lines skipped as bad (each logged), or a negative
 * errno when the file exists but cannot be read at all (logged too). */
int settings_load(struct settings *c, const char *path);
