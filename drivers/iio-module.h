/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The IIO drivers (encoder, IMU, stroke sensor, battery voltage) live in a module of their
 * own, percussd-iio.so, which percussd opens only when the configuration
 * names one of them: libiio brings libxml2 (and ICU), libstdc++, libusb,
 * libudev, avahi and libdbus, over 2 MiB of resident memory a gun without
 * IIO devices would otherwise carry. The module exports one table,
 * checked by its version before the daemon calls anything in it.
 */

#include <stddef.h>

#include "driver.h"
#include "hw-config.h"

#define IIO_MODULE_FILE "percussd-iio.so"
#define IIO_MODULE_SYMBOL "percussd_iio_module"
/* Raised whenever this table, or what its functions pass (driver.h,
 * hw-config.h), changes. */
#define IIO_MODULE_VERSION 2

struct iio_module {
        unsigned version;
        /* sizeof(struct hw_config) and sizeof(struct gun) where the module was
         * built: they catch a module from other headers whose version was
         * not raised */
        size_t config_size, gun_size;
        int (*encoder_open)(struct encoder *enc, const struct hw_encoder_config *config,
                            unsigned sample_hz, char *error, size_t error_size);
        int (*imu_open)(struct imu *imu, const struct hw_imu_config *config, char *error,
                        size_t error_size);
        int (*voltage_battery_open)(struct battery *battery, const struct hw_battery_config *config,
                                    char *error, size_t error_size);
        int (*stroke_sensor_open)(struct stroke_sensor *sensor,
                                  const struct hw_stroke_sensor_config *config, char *error,
                                  size_t error_size);
};

/* Opens dir/percussd-iio.so (dir NULL: MODULE_DIR, where it is installed)
 * and checks its table. Once per process: the drivers it opens point into
 * it, so it stays loaded, and later calls return the same table. On
 * failure, a sentence in error naming key (the configuration key that
 * wants the module), the module's path and dlerror()'s text. */
int iio_module_load(const char *dir, const char *key, const struct iio_module **ret,
                    char *error, size_t error_size);

/* The loaded module's path as dlopen() was given it (so also its name in
 * dl_iterate_phdr()); NULL while none is loaded. */
const char *iio_module_path(void);
