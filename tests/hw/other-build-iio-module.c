/* SPDX-License-Identifier: MIT */
/*
 * An IIO drivers' module as a build from later headers would be: its table
 * one version ahead. test-hw-e2e has percussd load it; the version check
 * must refuse it before any of its (absent) functions is called.
 */
#include "drivers/iio-module.h"

__attribute__((visibility("default"))) const struct iio_module percussd_iio_module = {
        .version = IIO_MODULE_VERSION + 1,
        .config_size = sizeof(struct hw_config),
        .gun_size = sizeof(struct gun),
};
