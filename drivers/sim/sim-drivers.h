/* SPDX-License-Identifier: MIT */
#pragma once

/* The simulated gun's model behind the driver operations: encoder, IMU,
 * motor and stroke actuator (its buttons and LEDs are in sim-panel.h). */

#include <stdbool.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "sim-board.h"
#include "sim-gun.h"

/* Where the simulated drivers take the time from: CLOCK_MONOTONIC in the
 * daemon, a counter the test moves in tests. */
struct sim_clock {
        uint64_t (*now_ns)(void *userdata);
        void *userdata;
};

/* What the simulated drivers share: the model and its time. */
struct sim_drivers {
        struct sim_gun *model;
        const struct sim_clock *clock;
        uint64_t last_ns;       /* the model's time on the clock */
        bool started;           /* last_ns holds a reading: a clock may start at 0 */
        bool enable_requested;  /* what the driver last asked of the enable line */
        uint64_t enable_deadline_ns; /* the motor enable's lease (sim-board.h) */
        struct sim_board *board; /* where the outputs are mirrored, or NULL */
        uint64_t charged_ns;    /* the charger's energy is in the pack up to here */
        int imu_axes[3];        /* the gun's axes as the device's, as [IMU] Axes says */
};

/* Fills gun->encoder, imu, motor, stroke and battery (and stroke_sensor
 * when the model has one); sim, model and clock must
 * outlive them. Reading a sensor first advances the model to the clock's
 * time. */
int sim_gun_drivers_open(struct gun *gun, struct sim_drivers *sim, struct sim_gun *model,
                         const struct sim_clock *clock);
/* Reads the IMU's axes into the gun's as [IMU] Axes says (hw-config.h),
 * as the IIO driver does; the identity until told. */
void sim_gun_drivers_set_imu_axes(struct sim_drivers *sim, const int axes[3]);
/* Plugs or unplugs the simulated charger, its energy so far counted first. */
void sim_gun_drivers_set_charger(struct sim_drivers *sim, bool connected);
/* Mirrors every output into board from now on (and writes the present ones). */
void sim_gun_drivers_attach_board(struct sim_drivers *sim, struct sim_board *board);
