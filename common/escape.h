/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Text a person or a program sent us, made fit to echo in a sentence: a
 * control character (a newline, an escape sequence) would break the line
 * of a journal or a terminal, so it is written as C writes it (\n, \t,
 * \x1b). At most max_chars characters of the input are taken; "…" marks
 * what was cut.
 */

#include <stddef.h>

/* out of out_size (at least 8) is always terminated; returns out. */
char *escape_text(char *out, size_t out_size, const char *in, size_t max_chars);
