/* SPDX-License-Identifier: MIT */
#pragma once

#include "manager.h"

#define BUS_NAME "io.percussd.Massager1"
#define BUS_PATH "/io/percussd/Massager1"
#define BUS_INTERFACE "io.percussd.Massager1"

/* Connects to the bus the options name, publishes the object and takes
 * the well-known name. */
int bus_setup(struct manager *m);

extern const struct session_callbacks bus_session_callbacks;

/* Coalesced telemetry: Speed, StepRemaining, Elapsed, Overruns,
 * MaxLatency, only those that changed. */
void bus_publish_telemetry(struct manager *m);
