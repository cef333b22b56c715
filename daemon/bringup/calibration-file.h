/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What Calibrate measured, kept in the state directory (calibration.conf,
 * INI, written whole to a temporary file, synced and renamed over the
 * old one: a crash leaves the old file or the new one, never half of
 * one), loaded at start and applied over the settings, where a key the
 * configuration file set wins: the journal says which won.
 */

#include <stddef.h>
#include <stdint.h>

#include "daemon/session/calibration-sequence.h"
#include "daemon/settings.h"

#define CALIBRATION_FILE "calibration.conf"
#define CALIBRATION_FILE_VERSION 1

struct calibration_record {
        uint64_t when_usec;             /* CLOCK_REALTIME, µs since the epoch */
        struct calibration_result result;
};

int calibration_file_save(const char *path, const struct calibration_record *rec);

/* -ENOENT: none. Else a bad file (a line that is no key of it, a value
 * out of its range, a newer version, a key missing) gives -EINVAL with
 * "path:line: reason" in error, and rec untouched. */
int calibration_file_load(const char *path, struct calibration_record *rec, char *error,
                          size_t error_size);

/* The record's figures into the settings' control parameters, but for
 * the keys the configuration file set; each logged with what won. */
void calibration_apply_settings(const struct calibration_record *rec, struct settings *c,
                                const char *config_path);

/* The record's figures in the order GetCalibration lists them: name
 * (with its unit), value; NULL past the last. */
const char *calibration_record_field(const struct calibration_record *rec, size_t i, double *value);
