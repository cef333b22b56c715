/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The parsers read files by path (they check that a path is a regular
 * file of bounded size before reading it), so every fuzz input is written
 * to a file of the given name in a private directory made on first use
 * and removed at exit.
 */

#include <stddef.h>
#include <stdint.h>

const char *fuzz_input_path(const char *name, const uint8_t *data, size_t size);

/* A broken invariant: says which and aborts, so that libFuzzer keeps the
 * input as a crash. */
__attribute__((noreturn, format(printf, 1, 2)))
void fuzz_fail(const char *format, ...);
