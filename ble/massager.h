/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The bridge as a client of io.percussd.Massager1 (DBUS.md, its public
 * contract only): follows the name's owner, keeps the properties the
 * Status record needs from GetAll and PropertiesChanged, the routines'
 * ids and titles, and hears PairingRequested. While percussd is away the
 * status reads "unavailable"; when it comes back everything is read again.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "status-record.h"

struct massager_listener {
        void (*status_changed)(void *userdata);
        void (*routines_changed)(void *userdata);
        void (*pairing_requested)(void *userdata);
};

struct massager {
        sd_bus *bus;
        struct gun_status status;
        char **routine_ids;     /* NULL-terminated */
        char **routine_titles;  /* as many; NULL until GetRoutine answered */
        size_t routine_count;
        unsigned routines_generation;   /* drops answers of an older list */
        const struct massager_listener *listener;
        void *userdata;
        sd_bus_slot *owner_match, *properties_match, *pairing_match, *get_all;
};

int massager_start(struct massager *m, sd_bus *bus, const struct massager_listener *listener,
                   void *userdata);
void massager_stop(struct massager *m);

/* The index of the active routine in routine_ids, ROUTINE_NONE if none. */
uint8_t massager_routine_index(const struct massager *m);
