/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A device that went away at run time (a USB or I2C glitch, the driver
 * unbound and bound again): its fds and the libiio context the drivers
 * hold stay dead even once the kernel has it back, under the same name or
 * a new iio:deviceN. So clearing a fault a device caused (sensor-lost,
 * actuator) on a gun with real drivers for that kind stops the control
 * thread, closes the real encoder, IMU, motor and stroke drivers, opens
 * them again from the configuration and starts the thread again. Main
 * thread only; the buttons and LEDs, whose fds the event loop watches,
 * are left open.
 */

#include <stdbool.h>

struct manager;

/* Whether clearing the current fault goes through device_reopen(). */
bool device_reopen_wanted(const struct manager *m);

/* 0 once the drivers are open and the control thread runs again; else
 * -EAGAIN with the sentence in m->clear_refusal: the thread stays stopped,
 * the drivers that could not all be opened stay closed (the motor off),
 * and a later call tries again. */
int device_reopen(struct manager *m);
