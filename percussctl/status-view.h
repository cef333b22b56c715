/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The massager's properties as a person reads them: the status screen
 * (status, watch on a terminal) and the one-line summary (watch into a
 * pipe or a log). Absent properties are left out or shown as "—".
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

void status_view_print(FILE *out, json_object *props);

/* e.g. "running calves, step 1 of 2: calves left, intensity 3" */
void status_view_summary(char *buf, size_t size, json_object *props);
