/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A test rig: one control period (control_period_run, what the RT thread
 * runs) on the simulated gun in simulated time, 1 kHz. The actuators'
 * writes are watched; the sensors can be made to fail, freeze or read
 * garbage, the actuators to refuse writes.
 */

#include "control-period.h"
#include "sim-drivers.h"
#include "sim-gun.h"

#define SIM_RIG_HZ 1000u
#define SIM_RIG_PERIOD_NS (1000000000ull / SIM_RIG_HZ)

struct sim_rig {
        uint64_t now_ns;
        struct sim_clock clock;
        struct sim_gun model;
        struct sim_drivers sim;
        struct gun gun;
        struct control_period cp;
        struct telemetry tm;

        /* what the loop last wrote to the motor driver */
        double duty;
        bool enabled;
        /* faults to inject into the encoder */
        int encoder_error;              /* negative errno for every read, 0 = none */
        bool encoder_frozen;            /* repeats its last reading, time and all */
        double encoder_garbage;         /* read as its value when not 0 (NaN, 1e9 rad…) */
        int64_t encoder_time_jump_ns;   /* added to every reading's time */
        /* into the IMU and the actuators */
        int imu_error;                  /* negative errno for every read, 0 = none */
        double imu_garbage;             /* every axis reads it when not 0 */
        bool imu_frozen;                /* repeats its last sample, time and all */
        unsigned imu_every;             /* a new sample every this many reads (a
                                         * slower IMU), else the last one again */
        int motor_error;                /* negative errno for every duty write, 0 = none */
        int stroke_error;               /* negative errno for every stroke write, 0 = none */
        /* what the loop last wrote to the stroke actuator */
        double stroke_position;

        struct encoder_sample last_sample;
        struct imu_sample last_imu;
        unsigned imu_reads;
        const struct motor_ops *sim_motor_ops;
        const struct encoder_ops *sim_encoder_ops;
        const struct imu_ops *sim_imu_ops;
        const struct stroke_ops *sim_stroke_ops;
        struct motor_ops motor_ops;
        struct encoder_ops encoder_ops;
        struct imu_ops imu_ops;
        struct stroke_ops stroke_ops;
};

/* The default model (seeded), loop and safety parameters. */
void sim_rig_init(struct sim_rig *rig, uint64_t seed);

/* One period; control_period_run's result. */
int sim_rig_period(struct sim_rig *rig, const struct setpoint *sp);

/* `periods` periods; the last one's result. */
int sim_rig_run(struct sim_rig *rig, const struct setpoint *sp, unsigned periods);
