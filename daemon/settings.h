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

#include "control-speed.h"
#include "hw-config.h"
#include "recovery.h"
#include "safety.h"

struct settings {
        bool simulate;
        unsigned control_hz;            /* 250..4000 */
        unsigned rt_priority;           /* SCHED_FIFO, 1..99 */
        int rt_cpu;                     /* -1: any */
        struct speed_control_params speed;
        struct safety_params safety;
        struct recovery_params recovery;
        struct hw_config hw;            /* ignored when simulate */
};

void settings_defaults(struct settings *c);

/* Returns the number of lines skipped as bad (each logged), or a negative
 * errno when the file exists but cannot be read at all (logged too). */
int settings_load(struct settings *c, const char *path);
