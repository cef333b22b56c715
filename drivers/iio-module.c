/* SPDX-License-Identifier: MIT */
/*
 * The table percussd-iio.so exports: the one symbol of the module that is
 * not hidden (it is built with -fvisibility=hidden).
 */
#include "hw-drivers.h"
#include "iio-module.h"

__attribute__((visibility("default"))) const struct iio_module percussd_iio_module = {
        .version = IIO_MODULE_VERSION,
        .config_size = sizeof(struct hw_config),
        .gun_size = sizeof(struct gun),
        .encoder_open = iio_encoder_open,
        .imu_open = iio_imu_open,
        .voltage_battery_open = iio_voltage_battery_open,
        .stroke_sensor_open = iio_stroke_sensor_open,
};
