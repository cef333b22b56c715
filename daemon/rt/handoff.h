/* SPDX-License-Identifier: MIT */
#pragma once

/* What the main thread and the RT thread hand each other, through the
 * triple buffers in rt.h. Plain values only: each is copied whole. */

#include <stdbool.h>
#include <stdint.h>

#include "daemon/control/amplitude-source.h"
#include "daemon/control/fault.h"
#include "daemon/control/identify.h"
#include "daemon/control/pattern.h"
#include "daemon/control/sensor-frame.h"

/* How the set-point drives the motor. */
enum setpoint_mode {
        SETPOINT_SPEED,         /* the speed and amplitude loops follow speed_ppm and stroke_mm */
        SETPOINT_DUTY,          /* Calibrate: duty and stroke_position as given, no loop */
};

/* main → RT */
struct setpoint {
        bool motor_on;          /* false: safe state (duty 0, enable off) */
        double speed_ppm;       /* target speed */
        double ramp_s;          /* time to reach it from the present set-point */
        double stroke_mm;       /* target stroke, peak to peak */
        enum step_pattern pattern; /* how the speed moves around speed_ppm */
        uint32_t fault_clears;  /* bumped to ask the loop to forget its fault */
        uint32_t generation;    /* bumped on every new setpoint */

        /* Calibrate (SETPOINT_DUTY): motor_on false lets the crank coast,
         * the driver off */
        enum setpoint_mode mode;
        double duty;            /* 0..DutyMax */
        double stroke_position; /* the stroke actuator's, 0..1 */
        double speed_max_ppm;   /* the duty is cut while the crank turns faster */
        bool stop_on_contact;   /* the head's quadrature stops the motor (once the frame is known) */
        enum identify_what identify; /* what this period's samples add to the sums */
        uint32_t identify_epoch; /* the sums start again when it moves */
        bool frame_set;         /* frame below, not the settings' */
        struct sensor_frame frame;

        double bus_voltage_v;   /* the pack's, measured; 0: the settings' BusVoltage */
};

/* RT → main: a snapshot, rewritten every period */
struct telemetry {
        uint64_t time_ns;           /* CLOCK_MONOTONIC of the period */
        uint64_t periods;           /* control periods run since start */
        uint64_t overruns;          /* periods that missed their deadline */
        uint32_t max_latency_us;    /* worst wake-up latency since start */
        uint32_t setpoint_generation; /* the setpoint this period obeyed */
        bool motor_on;
        bool resting;               /* the crank rests and the thread sleeps: the last
                                     * snapshot until the motor is asked for again */
        double setpoint_speed_ppm;  /* slew-limited set-point */
        double speed_ppm;           /* mean over the last crank revolution, never negative */
        double duty;                /* 0..1 */
        double stroke_mm;           /* commanded stroke */
        double amplitude_mm;        /* measured stroke, peak to peak; 0 until known or when off */
        double force_n;             /* estimated force the user presses with; 0 when off */
        enum amplitude_source amplitude_source; /* where amplitude_mm comes from */
        int stroke_sensor_errno;    /* positive errno: why the stroke sensor is not used (ERANGE:
                                     * out of its map, ETIMEDOUT: silent); 0: it reads or there is none */
        double stroke_sensor_volts; /* its last reading */
        double stroke_sensor_imu_mm;/* the IMU's stroke when it last checked the sensor in the air */
        bool stroke_sensor_disagrees; /* … and the sensor was off by more than STROKE_SENSOR_CHECK_MM */
        enum fault fault;
        int fault_errno;            /* positive errno of the failed driver call */
        enum rt_sensor fault_sensor; /* for FAULT_SENSOR_LOST */
        uint32_t fault_clears;      /* the setpoint's fault_clears this period obeyed */
        bool contact;               /* SETPOINT_DUTY: the head touched something; motor off */
        double contact_quadrature_m_s2; /* what said so: the head's unexplained quadrature */
        double speed_limit_ppm;     /* the highest speed the motor holds at this pack voltage */
        double crank_speed_ppm;     /* as speed_ppm, signed: < 0 while the encoder counts down */
        double bus_voltage_v;       /* the pack's, as this period used it */
        struct identify_sums identify; /* Calibrate's sums, since the last restart */
};
