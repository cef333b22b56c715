/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * percussd-ble as one object: percussd's state into the Status and
 * Battery Level (telemetry notified at most every STATUS_MIN_INTERVAL_US), the
 * routines into Routines, control point writes into percussd's methods,
 * History reads into GetHistory, PairingRequested into the pairing window.
 */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "advertisement.h"
#include "agent.h"
#include "bluez.h"
#include "ble-config.h"
#include "control-point.h"
#include "gatt.h"
#include "massager.h"
#include "pairing-window.h"

/* Telemetry: 10 notifications a second at most (QUALITY.md, "Bluetooth
 * LE bridge"); a change of state goes out at once. */
#define STATUS_MIN_INTERVAL_US 100000u
#define HISTORY_SESSIONS 20

struct bridge {
        const struct ble_config *config;
        sd_event *event;
        sd_bus *bus;
        struct massager massager;
        struct gatt_app gatt;
        struct advertisement advertisement;
        struct agent agent;
        struct bluez bluez;
        struct pairing_window pairing;
        sd_event_source *status_timer;
        uint64_t status_notified_usec;  /* CLOCK_MONOTONIC of the last notification */
        sd_bus_slot *control_call;      /* the control point's request in flight */
        struct control_request control_request;
        struct byte_buffer history;     /* the last GetHistory, for long reads */
};

int bridge_start(struct bridge *b, const struct ble_config *config, sd_event *event, sd_bus *bus);
void bridge_stop(struct bridge *b);
