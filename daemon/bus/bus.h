/* SPDX-License-Identifier: MIT */
#pragma once

#include "common/bus-names.h"
#include "daemon/manager.h"


/* Connects to the bus the options name, publishes the object and takes
 * the well-known name. */
int bus_setup(struct manager *m);

/* io.percussd.Simulator1, for the simulated gun only. */
int bus_add_simulator(struct manager *m);

/* What the routine engine reports, as PropertiesChanged and signals. */
void bus_emit_session_changed(struct manager *m, unsigned what);
void bus_emit_routines_changed(struct manager *m);
void bus_emit_battery_changed(struct manager *m);
void bus_emit_step_started(struct manager *m, unsigned step, const struct profile_step *s);
void bus_emit_finished(struct manager *m, const struct session_summary *summary);
void bus_emit_fault_raised(struct manager *m, const char *code, const char *message);

/* Coalesced telemetry: Speed, StepRemaining, Elapsed, Overruns,
 * MaxLatency, only those that changed. */
void bus_publish_telemetry(struct manager *m);
