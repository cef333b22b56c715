/* SPDX-License-Identifier: MIT */
#pragma once

/* The names of io.percussd.Massager1 on the bus (shared/design/DBUS.md),
 * for the daemon, its clients and the tests alike. */

#define BUS_NAME "io.percussd.Massager1"
#define BUS_PATH "/io/percussd/Massager1"
#define BUS_INTERFACE "io.percussd.Massager1"

/* only with --simulate */
#define BUS_SIMULATOR_PATH "/io/percussd/Simulator1"
#define BUS_SIMULATOR_INTERFACE "io.percussd.Simulator1"

#define BUS_ERROR_NO_SUCH_ROUTINE "io.percussd.Error.NoSuchRoutine"
#define BUS_ERROR_BUSY "io.percussd.Error.Busy"
#define BUS_ERROR_NOT_RUNNING "io.percussd.Error.NotRunning"
#define BUS_ERROR_FAULTED "io.percussd.Error.Faulted"
#define BUS_ERROR_FAULT_ACTIVE "io.percussd.Error.FaultActive"
#define BUS_ERROR_ACCESS_DENIED "io.percussd.Error.AccessDenied"
#define BUS_ERROR_BATTERY_LOW "io.percussd.Error.BatteryLow"
#define BUS_ERROR_RESTING "io.percussd.Error.Resting"
