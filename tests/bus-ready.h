/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * dbus-daemon creates its socket file before it listens on it: a client
 * that connects as soon as the file is there may be refused. Once it
 * listens, it prints its address to the file descriptor named by
 * --print-address=FD. The tests start it with bus_ready.arg among its
 * arguments and wait for that line before anyone connects.
 */

struct bus_ready {
        int read_fd;
        int write_fd;           /* inherited by the next child started */
        char arg[32];           /* "--print-address=FD" */
};

int bus_ready_init(struct bus_ready *ready);
/* After the dbus-daemon was started: 0 once it listens, -ETIMEDOUT after
 * timeout_ms, -ECHILD when it exited first, -EPROTO for no address line. */
int bus_ready_wait(struct bus_ready *ready, int timeout_ms);
