/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The real drivers: IIO (libiio) encoder and IMU, sysfs PWM motor and
 * stroke, GPIO (libgpiod) buttons and LEDs. Each open function fills one
 * kind of struct gun from its configuration section, or returns a
 * negative errno with a sentence in error naming the configuration key and
 * what was looked for. The IIO ones are built into percussd-iio.so
 * (iio-module.h), which hw_gun_open() loads when the configuration names
 * one; the tests link them directly.
 */

#include <stddef.h>

#include "driver.h"
#include "hw-config.h"

int pwm_motor_open(struct motor *motor, const struct hw_motor_config *config, char *error,
                   size_t error_size);
int pwm_stroke_open(struct stroke *stroke, const struct hw_stroke_config *config, char *error,
                    size_t error_size);

/* sample_hz: the rate the control loop reads at, set as the device's
 * sampling frequency when it has one. */
int iio_encoder_open(struct encoder *enc, const struct hw_encoder_config *config,
                     unsigned sample_hz, char *error, size_t error_size);
/* The count of a counter-subsystem device (Device, Channel=count<N>,
 * CountsPerRevolution): the BeagleBone's eQEP. */
int counter_encoder_open(struct encoder *enc, const struct hw_encoder_config *config, char *error,
                         size_t error_size);
int iio_imu_open(struct imu *imu, const struct hw_imu_config *config, char *error,
                 size_t error_size);
int iio_stroke_sensor_open(struct stroke_sensor *sensor, const struct hw_stroke_sensor_config *config,
                           char *error, size_t error_size);

/* Lines left empty in the configuration are left out of names and count
 * (the main button is required). */
int gpio_buttons_open(struct buttons *buttons, const struct hw_buttons_config *config, char *error,
                      size_t error_size);
int gpio_leds_open(struct leds *leds, const struct hw_leds_config *config, char *error,
                   size_t error_size);

/* Read on the main thread only (sysfs reads may sleep): a gauge is not RT.
 * Its files are checked at open; a file that goes missing or garbled later
 * makes read return a negative errno (the daemon shows NaN). */
int power_supply_battery_open(struct battery *battery, const struct hw_battery_config *config,
                              char *error, size_t error_size);
int iio_voltage_battery_open(struct battery *battery, const struct hw_battery_config *config,
                             char *error, size_t error_size);

/* Opens every kind the configuration names real; the simulated kinds are
 * taken from simulated (the simulated gun's drivers, whose model must
 * outlive gun), and the simulated drivers not taken are closed: simulated
 * is left empty. On failure, every driver is closed. */
int hw_gun_open(struct gun *gun, const struct hw_config *config, struct gun *simulated,
                unsigned control_hz, char *error, size_t error_size);

/* The control thread's kinds (encoder, IMU, motor, stroke, stroke sensor) the
 * configuration names real: opened into gun, the other kinds of gun left
 * as they are; on failure, with the open function's sentence in error,
 * those kinds are all closed again. A device that went away and came back
 * is reached this way through fresh fds and a fresh libiio context. */
int hw_gun_open_control(struct gun *gun, const struct hw_config *config, unsigned control_hz,
                        char *error, size_t error_size);
/* Closes those kinds (the motor's close leaves it off) and zeroes them in
 * gun; a kind already closed is skipped. */
void hw_gun_close_control(struct gun *gun, const struct hw_config *config);
