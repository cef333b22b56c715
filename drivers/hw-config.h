/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the configuration says about the hardware: per driver kind,
 * simulated or real, and the devices, channels, lines and PWM channels the
 * real drivers open. Plain data, filled by the daemon's settings reader;
 * the drivers report a problem with it naming the key ("[Encoder]
 * Device"), so that the person editing the file finds the line.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HW_NAME_MAX 64
#define HW_PATH_MAX 128
#define HW_BUTTONS 3    /* main, plus, minus */
#define HW_LEDS 7       /* status, fault, level1..level5 */

enum hw_driver {
        HW_REAL,        /* iio, pwm or gpio, per kind */
        HW_SIMULATED,
        HW_COUNTER,     /* encoders: the Linux counter subsystem (counter-encoder.c) */
        HW_NONE,        /* batteries: the board has no gauge */
        HW_IIO_VOLTAGE, /* batteries: the pack's voltage on an IIO ADC, with a curve */
};

/* A GPIO line: "line" or "chip:line", where line is a line name
 * (gpio-line-names) or an offset and chip is a gpiochip name, label or
 * number. Empty: the board has no such line. */
struct hw_gpio_line {
        char spec[HW_NAME_MAX];
        bool active_low;
};

struct hw_pwm {
        unsigned chip;          /* /sys/class/pwm/pwmchipN */
        unsigned channel;       /* its pwmM */
        uint64_t period_ns;
};

struct hw_encoder_config {
        enum hw_driver driver;
        char device[HW_NAME_MAX];       /* IIO device name */
        char channel[HW_NAME_MAX];      /* angl0, count0, anglvel0 */
        double counts_per_rev;          /* count channels: counts per crank revolution */
        bool buffered;                  /* scan elements and /dev/iio:deviceN, else raw reads */
        char trigger[HW_NAME_MAX];      /* an IIO trigger's name; empty: the device's own pacing */
};

struct hw_imu_config {
        enum hw_driver driver;
        char device[HW_NAME_MAX];
        double sampling_hz;             /* 0: leave the device's */
        /* The gun's x (percussion), y, z as device axes: 1..3 for x..z,
         * negative when the device's axis points the other way. */
        int axes[3];
        bool buffered;
        char trigger[HW_NAME_MAX];
        char thermal_zone[HW_PATH_MAX]; /* when the device has no in_temp */
};

struct hw_motor_config {
        enum hw_driver driver;
        struct hw_pwm pwm;
        struct hw_gpio_line enable, direction, brake;
};

/* HW_REAL: an IIO voltage channel (iio-stroke-sensor.c); HW_NONE: the gun
 * has no stroke sensor. */
struct hw_stroke_sensor_config {
        enum hw_driver driver;
        char device[HW_NAME_MAX];       /* IIO device name */
        char channel[HW_NAME_MAX];      /* voltage0 */
        bool buffered;                  /* scan elements and /dev/iio:deviceN, else raw reads */
};

struct hw_stroke_config {
        enum hw_driver driver;
        struct hw_pwm pwm;
        uint64_t pulse_min_ns, pulse_max_ns;    /* pulse width at position 0 and 1 */
        double min_mm, max_mm;                  /* stroke at position 0 and 1 */
};

/* Lines as in hw_gpio_line; an empty one: the panel has no such button
 * or LED (the main button is required). */
struct hw_buttons_config {
        enum hw_driver driver;
        char lines[HW_BUTTONS][HW_NAME_MAX];
        bool active_low;        /* pressed pulls the line low */
};

struct hw_leds_config {
        enum hw_driver driver;
        char lines[HW_LEDS][HW_NAME_MAX];
        bool active_low;
};

/* HW_REAL: the kernel's power_supply class; HW_IIO_VOLTAGE: an ADC
 * channel and a discharge curve (battery-curve.h). */
struct hw_battery_config {
        enum hw_driver driver;
        char name[HW_NAME_MAX];         /* /sys/class/power_supply/<name> */
        char device[HW_NAME_MAX];       /* IIO device name */
        char channel[HW_NAME_MAX];      /* voltage0 */
        char curve[HW_PATH_MAX];        /* per cell, "3.3:0,…,4.2:100" */
        unsigned cells;                 /* in series */
        double divider;                 /* pack voltage / ADC input voltage */
};

struct hw_config {
        struct hw_encoder_config encoder;
        struct hw_imu_config imu;
        struct hw_motor_config motor;
        struct hw_stroke_config stroke;
        struct hw_stroke_sensor_config stroke_sensor;
        struct hw_buttons_config buttons;
        struct hw_leds_config leds;
        struct hw_battery_config battery;
        /* where the IIO drivers' module is (percussd --module-dir); NULL: where
         * it is installed */
        const char *module_dir;
};

/* The names the daemon gives the buttons and LEDs, in the order of
 * hw_buttons_config.lines and hw_leds_config.lines. */
extern const char *const hw_button_names[HW_BUTTONS];
extern const char *const hw_led_names[HW_LEDS];

void hw_config_defaults(struct hw_config *c);

/* "x", "-z"… into the axes of hw_imu_config; -EINVAL when the three do
 * not name each device axis once. */
int hw_parse_axes(const char *text, int axes[3]);
