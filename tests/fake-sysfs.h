/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Emulated kernel devices for the real drivers' tests: the test process
 * moves into a private mount namespace (root only) where a tmpfs hides
 * /sys/class, /sys/bus or /dev, and the test lays out the device's sysfs
 * files in it. The drivers and the real libiio then read and write those
 * files as they would the kernel's; the host's /sys is untouched.
 */

#include <stdbool.h>
#include <stddef.h>

/* Called first in main(): false, with the reason printed as a TAP skip,
 * when this process cannot have its own mount namespace. */
bool fake_sysfs_enter(void);

/* A fresh empty tmpfs over dir (which must exist), and its removal. */
void fake_mount(const char *dir);
void fake_umount(const char *dir);

/* A fresh /dev with null, zero, full, random and urandom, and a FIFO at
 * each of fifos (NULL-terminated): the character devices the emulated
 * drivers read. */
void fake_dev_mount(const char *const *fifos);

/* Writes content to path, creating the directories on the way. */
void fake_write(const char *path, const char *content);
void fake_mkdir(const char *path);
/* The file's whole content, as a string in a static buffer. */
const char *fake_read(const char *path);
/* Empties the file: the next driver write is then all that it holds. */
void fake_clear(const char *path);
