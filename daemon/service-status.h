/* SPDX-License-Identifier: MIT */
#pragma once

struct manager;

/* Tells systemd what the gun is doing, as a sentence `systemctl status`
 * shows (sd_notify STATUS=); a no-op outside a notify-type service. */
void service_status_notify(const struct manager *m);
