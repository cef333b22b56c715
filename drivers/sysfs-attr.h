/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reading and writing sysfs attributes (one value per file, as
 * Documentation/filesystems/sysfs.rst has them). The *_path functions open
 * and close the file and are for opening a device; sysfs_write_u64 writes
 * a pre-opened file and is RT: no stdio, no allocation, one pwrite.
 */

#include <stddef.h>
#include <stdint.h>

/* Reads the whole value, without its trailing newline, into buf. */
int sysfs_read_path(const char *path, char *buf, size_t size);
int sysfs_write_path(const char *path, const char *value);
int sysfs_read_u64_path(const char *path, uint64_t *value);
int sysfs_read_double_path(const char *path, double *value);

/* RT. The value in decimal and a newline, at offset 0 (sysfs takes one
 * value per write). The newline ends the value where a file keeps what a
 * longer earlier write left after it, as an emulated attribute does. */
int sysfs_write_u64(int fd, uint64_t value);

/* Formats value in decimal without stdio; returns the length, < 20 + 1. */
size_t sysfs_format_u64(char *buf, uint64_t value);
