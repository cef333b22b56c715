/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Keeping the control thread free of page faults without pinning every
 * library whole. mlockall(MCL_CURRENT | MCL_FUTURE) would lock all of
 * libicudata (pulled in by libiio's libxml2), libsqlite3, libgcrypt…:
 * 47 MiB, nearly all of it never read. Instead every page stays locked
 * once it is touched (MCL_ONFAULT), and the program's own code and data,
 * where the control loop lives, are locked whole, as is the IIO drivers'
 * module (iio-module.h) when it was loaded before. What the control thread
 * touches in the C library and libm it touches in its first periods (its
 * stack is pre-faulted): from then on it takes no fault, as test-rt
 * checks.
 */

/* Returns 0, or a negative errno from mlockall() or mlock(). */
int memory_lock(void);
