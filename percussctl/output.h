/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What percussctl prints: plain text for a person, JSON (--json) for a
 * program, and the one way it fails, die().
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cleanup.h"

/* Exit statuses; print_help() in main.c documents them. */
enum {
        CTL_EXIT_REFUSED = 1,           /* percussd answered with an error */
        CTL_EXIT_USAGE = 2,             /* the command line is wrong */
        CTL_EXIT_UNREACHABLE = 3,       /* no bus, or percussd not on it */
        CTL_EXIT_NOT_PERMITTED = 4,     /* AccessDenied */
};

/* The error name die() gives for a wrong command line. */
#define CTL_ERROR_USAGE "usage"

/* --json: machine output on stdout, errors as JSON on stderr. */
extern bool arg_json;

/* Prints "percussctl: SENTENCE" on stderr (with --json the object
 * {"error": error_name, "message": SENTENCE}) and exits with status. */
_Noreturn void die(int status, const char *error_name, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

/* Prints o on stdout, indented on a terminal, one line otherwise. */
void json_print(json_object *o);

/* A double, or null when it is NaN or infinite (JSON has no NaN). */
json_object *json_double_or_null(double value);

void json_object_putp(json_object **o);

/* "m:ss", or "h:mm:ss" from an hour on; "—" when seconds is negative or NaN. */
void format_duration(char *buf, size_t size, double seconds);

/* Local time "YYYY-MM-DD HH:MM" of µs since the epoch. */
void format_local_time(char *buf, size_t size, uint64_t usec);
