/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The bridge as a client of bluetoothd: finds the adapter (the configured
 * one, else the first powered one that has GattManager1 and
 * LEAdvertisingManager1), registers the GATT application, the
 * advertisement and the agent on it, and does it again whenever
 * bluetoothd restarts or an adapter comes back (org.bluez's owner,
 * InterfacesAdded/Removed, Powered).
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

struct bluez {
        sd_bus *bus;
        const char *adapter_wanted;     /* "" = the first powered one */
        char adapter_path[64];          /* "" while there is none */
        sd_bus_slot *owner_match, *added_match, *removed_match, *powered_match, *managed_call;
};

int bluez_start(struct bluez *b, sd_bus *bus, const char *adapter_wanted);
void bluez_stop(struct bluez *b);

/* Sets a property of the adapter (the pairing window's Pairable and
 * Discoverable); a no-op with a journal line when there is no adapter. */
int bluez_set_adapter_bool(struct bluez *b, const char *property, bool value);
int bluez_set_adapter_u32(struct bluez *b, const char *property, uint32_t value);
