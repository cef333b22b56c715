/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Driver operations: one table per kind of device, one file per driver,
 * real and simulated drivers selected the same way (after
 * iio-sensor-proxy's drivers.h). Nothing here knows about the daemon.
 *
 * Functions return 0 or a positive count on success and a negative errno
 * on failure. Operations marked "RT" are called from the control thread
 * once per period: they must not allocate, print or block on anything but
 * the device itself.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the encoder channel measures; the IIO channel type decides
 * (in_angl*, in_count*, in_anglvel* in sysfs-bus-iio). A count channel is
 * reported as an angle once scaled by counts per revolution. */
enum encoder_quantity {
        ENCODER_ANGLE,            /* crank angle, rad, wrapping in [0, 2π) */
        ENCODER_ANGULAR_VELOCITY, /* crank angular velocity, rad/s */
};

struct encoder_sample {
        uint64_t time_ns; /* CLOCK_MONOTONIC time of the reading */
        double value;     /* rad or rad/s, see encoder_quantity */
};

struct encoder;
struct encoder_ops {
        const char *name;
        int (*read)(struct encoder *enc, struct encoder_sample *out); /* RT */
        void (*close)(struct encoder *enc);
};
struct encoder {
        const struct encoder_ops *ops;
        void *data;
        enum encoder_quantity quantity;
        double resolution; /* smallest step of value: rad, or rad/s */
};

/* Acceleration in the IMU's frame, m/s², gravity included; angular rate in
 * rad/s. The daemon picks the percussion axis from the configuration. */
struct imu_sample {
        uint64_t time_ns;
        double accel_m_s2[3];
        double gyro_rad_s[3];
        /* an accelerometer axis at the end of its range: the motion went
         * past it, and the value is the range, not the motion */
        bool accel_clipped;
};

struct imu;
struct imu_ops {
        const char *name;
        int (*read)(struct imu *imu, struct imu_sample *out); /* RT */
        /* Board temperature, °C; -ENODATA when the device has no sensor. */
        int (*read_temperature)(struct imu *imu, double *celsius);
        void (*close)(struct imu *imu);
};
struct imu {
        const struct imu_ops *ops;
        void *data;
};

/* Brushless motor driver board: PWM speed input plus an enable line.
 * Safe state is duty 0 and enable inactive. */
struct motor;
struct motor_ops {
        const char *name;
        int (*set_duty)(struct motor *motor, double duty); /* RT, 0..1 */
        int (*set_enable)(struct motor *motor, bool enabled); /* RT */
        void (*close)(struct motor *motor);
};
struct motor {
        const struct motor_ops *ops;
        void *data;
};

/* Stroke actuator: a PWM-positioned mechanism that sets the crank's
 * eccentricity. 0 is the shortest stroke, 1 the longest. */
struct stroke;
struct stroke_ops {
        const char *name;
        int (*set_position)(struct stroke *stroke, double position); /* RT */
        void (*close)(struct stroke *stroke);
};
struct stroke {
        const struct stroke_ops *ops;
        void *data;
        double min_mm, max_mm; /* stroke at position 0 and 1 */
};

/* Stroke-position sensor: a potentiometer or Hall sensor on the stroke
 * mechanism, after whatever yields under load, read as a voltage (an IIO
 * voltage channel, in_voltageN_raw × scale, in V here). What the volts
 * mean in mm is the daemon's map, measured by Calibrate. A gun without
 * one has no ops. */
struct stroke_sensor_sample {
        uint64_t time_ns;       /* CLOCK_MONOTONIC time of the reading */
        double volts;
};

struct stroke_sensor;
struct stroke_sensor_ops {
        const char *name;
        int (*read)(struct stroke_sensor *sensor, struct stroke_sensor_sample *out); /* RT */
        void (*close)(struct stroke_sensor *sensor);
};
struct stroke_sensor {
        const struct stroke_sensor_ops *ops;
        void *data;
};

struct button_event {
        uint64_t time_ns;
        unsigned index; /* into buttons.names */
        bool pressed;
};

struct buttons;
struct buttons_ops {
        const char *name;
        /* A file descriptor that becomes readable when events are pending,
         * for the main loop's poll; events are then taken with read_event
         * until it returns 0. */
        int (*get_fd)(struct buttons *buttons);
        int (*read_event)(struct buttons *buttons, struct button_event *out);
        void (*close)(struct buttons *buttons);
};
struct buttons {
        const struct buttons_ops *ops;
        void *data;
        const char *const *names; /* "main", "plus", "minus", as configured */
        unsigned count;
};

struct leds;
struct leds_ops {
        const char *name;
        int (*set)(struct leds *leds, unsigned index, bool on);
        void (*close)(struct leds *leds);
};
struct leds {
        const struct leds_ops *ops;
        void *data;
        const char *const *names;
        unsigned count;
};

/* Battery gauge: the pack's state of charge (the kernel's power_supply
 * class, or a voltage on an ADC with a discharge curve). A gun on mains,
 * or one whose board has no gauge, has none: ops stays NULL. */
struct battery_reading {
        double percent; /* 0..100 */
        bool charging;  /* the charger is connected and charging */
        double voltage_v; /* the pack's, what the motor runs from; 0: the gauge gives none */
};

struct battery;
struct battery_ops {
        const char *name;
        int (*read)(struct battery *battery, struct battery_reading *out);
        void (*close)(struct battery *battery);
};
struct battery {
        const struct battery_ops *ops;
        void *data;
};

/* One gun: every driver the daemon talks to. */
struct gun {
        struct encoder encoder;
        struct imu imu;
        struct motor motor;
        struct stroke stroke;
        struct stroke_sensor stroke_sensor; /* ops NULL: none fitted */
        struct buttons buttons;
        struct leds leds;
        struct battery battery;
        bool simulated;
};

void gun_close(struct gun *gun);
