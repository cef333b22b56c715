/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Calibrate's sequence, on the main thread: the excitation it hands the
 * RT thread step by step (handoff.h, SETPOINT_DUTY), and what it makes of
 * the sums the RT thread publishes (daemon/control/identify*.h). In the
 * air, about 20 s:
 *   rest-level  held still and level: gravity's axis is the gun's z
 *   head-down   turned with the head to the floor: gravity's is −x
 *   direction   a small duty: which way the encoder counts
 *   phase       a low speed, then a faster one: the head's first harmonic
 *               gives the encoder's zero and the IMU's delay
 *   motor       duty steps and spin-downs at both strokes: the motor, its
 *               friction, the inertia, and the stroke gain at the two ends
 * Never above DutyMax nor the routines' top speed; a fault or contact (the
 * RT thread stops the motor itself on contact) ends it, naming the step.
 * Pure: no I/O, the caller gives the time and the telemetry.
 */

#include <stdbool.h>
#include <stdint.h>

#include "daemon/control/identify-frame.h"
#include "daemon/control/identify-motor.h"
#include "daemon/control/sensor-frame.h"
#include "daemon/rt/control-period.h"
#include "daemon/rt/handoff.h"

struct calibration_config {
        double duty_max;                /* [Control] DutyMax */
        double stroke_min_mm, stroke_max_mm; /* the actuator's ends */
        double body_mass_kg;            /* weighed: the one mass motion cannot tell */
        double nominal_bus_voltage_v;   /* [Force] BusVoltage: the gains' reference */
        struct sensor_frame settings_frame; /* what the settings say, to compare */
        double head_down_timeout_s;     /* how long to wait for the gun to be turned */
};

struct calibration_result {
        struct sensor_frame frame;
        double stroke_gain;
        double head_mass_kg;
        bool stroke_sensor_measured;    /* the gun has a stroke sensor: its map below */
        struct stroke_sensor_map stroke_sensor_map;
        double bus_voltage_v;           /* the pack's, while it ran */
        struct motor_identity motor;
        struct speed_control_params speed; /* the loop's, at the nominal voltage */
        bool axes_differ, direction_differs, zero_differs, delay_differs; /* from the settings */
};

#define CALIBRATION_PHASE_SPEEDS 2

enum calibration_state {
        CALIBRATION_REST_LEVEL,
        CALIBRATION_HEAD_DOWN,
        CALIBRATION_DIRECTION,
        CALIBRATION_PHASE,
        CALIBRATION_MOTOR,
        CALIBRATION_DONE,
        CALIBRATION_FAILED,
        CALIBRATION_CANCELLED,
};

struct calibration {
        struct calibration_config cfg;
        enum calibration_state state;
        unsigned move;                  /* within the motor step's moves */
        unsigned phase_speed;           /* within the phase step's speeds */
        struct identify_phase phases[CALIBRATION_PHASE_SPEEDS];
        uint64_t started_ns, state_ns, move_ns;
        uint32_t generation, epoch;
        struct setpoint sp;
        int level_axis;
        double top_speed_ppm;           /* reached at the first top duty */
        double voltage_sum_v;
        unsigned voltage_samples;
        struct calibration_result result;
        char why[192];                  /* a failure, for a person */
};

void calibration_start(struct calibration *c, const struct calibration_config *cfg,
                       uint32_t generation, uint64_t now_ns);

/* One look: the telemetry the RT thread published last, the pack's
 * voltage now (0: none measured). Fills sp with what to hand the RT thread
 * next. Returns 1 when done (result filled), 0 while running, -EIO on a
 * fault, -ECONNABORTED on contact, -EDOM when a measurement made no sense,
 * -ETIMEDOUT when the gun was not turned (why says which step and why). */
int calibration_step(struct calibration *c, uint64_t now_ns, const struct telemetry *tm,
                     double bus_voltage_v, struct setpoint *sp);

/* Stop: the motor off. */
void calibration_cancel(struct calibration *c, struct setpoint *sp);

/* The runaway check's SpinDownRate for the gun measured, within what a
 * configuration may set. */
double calibration_spin_down_ppm_per_s(const struct calibration_result *res,
                                       const struct safety_params *safety);

/* The loops' and estimators' parameters with what was measured: the
 * speed loop's gains and feed-forward, the stroke gain, the force
 * estimator's model (its inductance and body mass stay), the frame. */
void calibration_apply(const struct calibration_result *res, struct control_params *p);

const char *calibration_state_name(enum calibration_state state);
/* 0..1, for CalibrationProgress */
double calibration_progress(const struct calibration *c, uint64_t now_ns);
