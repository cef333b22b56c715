/* SPDX-License-Identifier: MIT */
#pragma once

#include <config.h>

/* /etc/percussd/percussd-ble.conf (percussd-ble(8)): which adapter, what
 * name to advertise, how long the pairing window stays open. */

#define BLE_CONFIG_PATH SYSCONFDIR "/percussd/percussd-ble.conf"
#define BLE_NAME_MAX 29         /* what fits a legacy advertising packet with the flags */

struct ble_config {
        char adapter[32];       /* "hci0"; "" = the first powered one */
        char local_name[BLE_NAME_MAX + 1];
        unsigned pairing_window_s;
};

void ble_config_defaults(struct ble_config *c);
/* A missing file is the defaults; a bad line is logged with file:line and
 * skipped. Returns 0 or negative errno if the file cannot be read. */
int ble_config_load(struct ble_config *c, const char *path);
