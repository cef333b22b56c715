/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Who may move the motor or change a setting (DBUS.md, "Access"): root,
 * the daemon's own user and members of the percussd group. On the system
 * bus dbus-daemon's policy already says so; this holds on a bus without
 * that policy too (a session bus, --bus-address, a permissive
 * configuration), where a refused call gets io.percussd.Error.AccessDenied.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define BUS_ACCESS_GROUP "percussd"

struct bus_access {
        uid_t own_uid;
        bool has_group;         /* the machine has a percussd group */
        gid_t group_gid;
};

void bus_access_init(struct bus_access *a);

/* 0 when the sender of message may do `action` (a verb phrase: "start a
 * routine"), else a negative errno with error set. */
int bus_access_check(const struct bus_access *a, sd_bus_message *message, const char *action,
                     sd_bus_error *error);
