/* SPDX-License-Identifier: MIT */
#pragma once

/* What the main thread and the RT thread hand each other, through the
 * triple buffers in rt.h. Plain values only: each is copied whole. */

#include <stdbool.h>
#include <stdint.h>

#include "daemon/control/fault.h"
#include "daemon/control/pattern.h"

/* main → RT */
struct setpoint {
        bool motor_on;          /* false: safe state (duty 0, enable off) */
        double speed_ppm;       /* target speed */
        double ramp_s;          /* time to reach it from the present set-point */
        double stroke_mm;       /* target stroke, peak to peak */
        enum step_pattern pattern; /* how the speed moves around speed_ppm */
        uint32_t fault_clears;  /* bumped to ask the loop to forget its fault */
        uint32_t generation;    /* bumped on every new setpoint */
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
        enum fault fault;
        int fault_errno;            /* positive errno of the failed driver call */
        enum rt_sensor fault_sensor; /* for FAULT_SENSOR_LOST */
        uint32_t fault_clears;      /* the setpoint's fault_clears this period obeyed */
};
