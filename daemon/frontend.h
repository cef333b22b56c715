/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The front end the manager is watched and driven from: it sets the
 * manager's listener and calls the manager's functions. main() starts it
 * once the manager has started, and stops it before freeing the manager.
 * daemon/bus/ implements it (io.percussd.Massager1 on D-Bus): declared
 * here, so that nothing below the bus includes it.
 */

struct manager;

/* Connects to the bus the manager's options name, publishes the objects
 * and takes the well-known name. */
int frontend_start(struct manager *m);
/* Answers what is pending, flushes and leaves the bus. */
void frontend_stop(struct manager *m);
