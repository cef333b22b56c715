/* SPDX-License-Identifier: MIT */
#pragma once

/* Cleanup by scope, as systemd writes it: the variable's cleanup function
 * runs when it goes out of scope. */
#define _cleanup_(f) __attribute__((cleanup(f)))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
