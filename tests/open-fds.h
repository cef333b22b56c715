/* SPDX-License-Identifier: MIT */
#pragma once

#include <sys/types.h>

/* How many of process pid's file descriptors are open on path (as
 * /proc/PID/fd's links name it); a negative errno when its fd directory
 * cannot be read. */
int open_fds_on(pid_t pid, const char *path);
