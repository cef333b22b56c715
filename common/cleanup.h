/* SPDX-License-Identifier: MIT */
#pragma once

/* Cleanup by scope, as systemd writes it: the variable's cleanup function
 * runs when it goes out of scope. */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
        free(*(void **)p);
}

/* close() that keeps errno: a cleanup runs on the error path too */
static inline void closep(int *fd)
{
        int saved_errno = errno;

        if (*fd >= 0)
                close(*fd);
        errno = saved_errno;
}
