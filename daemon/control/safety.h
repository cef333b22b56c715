/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The safety supervisor of the control loop: from what one period saw, is
 * the gun still safe to drive? Stall (a jammed head), drop (free fall on
 * the IMU), sensor lost (stale data), overrun streaks, runaway (a crank
 * faster than asked, or one that does not spin down with the motor off: a
 * driver stuck on). Pure: state in,
 * verdict out; the control period puts the gun in the safe state on any
 * verdict. Over-temperature is the main thread's (safety_temperature_*):
 * a board temperature changes over seconds, not periods.
 */

#include <stdbool.h>
#include <stdint.h>

#include "drivers/driver.h"
#include "fault.h"

/* History of body acceleration kept for the drop detector: a revolution
 * at 600 ppm at 1 kHz, or at 2400 ppm at 4 kHz. */
#define SAFETY_ACCEL_HISTORY 100
/* A sensor's staleness is judged in time, but never shorter than this
 * many periods: a slow loop sees a late scan as a whole period without. */
#define SAFETY_STALE_PERIODS_MIN 3.0
/* The spin-down rates a configuration or a calibration may set */
#define SAFETY_SPIN_DOWN_MIN_PPM_PER_S 100.0
#define SAFETY_SPIN_DOWN_MAX_PPM_PER_S 20000.0

struct safety_params {
        double stall_min_setpoint_ppm;  /* 300: below it a slow crank is no sign of a jam */
        double stall_speed_ratio;       /* 0.25: slower than this share of the set-point … */
        double stall_time_s;            /* 0.05: … for this long is a stall, unless … */
        double percussion_m_s2;         /* 2: … the IMU feels the head percussing that much
                                         * (RMS): then the encoder, not the head, is stuck */
        double free_fall_g;             /* 0.3: a body acceleration below this is falling */
        double free_fall_time_s;        /* 0.03: … for this long is a drop */
        double encoder_stale_s;         /* 0.003: an encoder giving no new reading this long
                                         * is lost (in time: one that delivers its scans in
                                         * bursts leaves periods without one) */
        double imu_stale_s;             /* 0.003: an IMU giving no new sample this long is lost */
        unsigned overrun_streak;        /* 5: periods missed in a row */
        double runaway_ratio;           /* 0.10 and … */
        double runaway_margin_ppm;      /* … 150: faster than the set-point by the larger … */
        double runaway_time_s;          /* … for 0.1 s is a runaway */
        double spin_down_ppm_per_s;     /* 800, or Calibrate's: the slowest a healthy crank slows with the
                                         * motor off (friction over inertia, halved) */
        double temperature_limit_c;     /* 70 °C: the driver board's limit */
        double temperature_margin_c;    /* 2 °C: stop this much before the limit */
        double temperature_resume_c;    /* 60 °C: cool enough to clear the fault */
};

struct safety {
        double stalled_s;
        double falling_s;
        double encoder_unchanged_s;
        double imu_unchanged_s;
        unsigned overruns_in_a_row;
        double ceiling_ppm;             /* the fastest the crank may turn now */
        bool overspeed;                 /* it turns faster … */
        uint64_t overspeed_since_ns;    /* … since this encoder time */
        uint64_t last_encoder_ns, last_imu_ns;
        enum rt_sensor lost_sensor;     /* what a FAULT_SENSOR_LOST verdict was about */
        double accel[SAFETY_ACCEL_HISTORY][3];
        unsigned accel_head, accel_count;
};

struct safety_input {
        double period_s;
        bool motor_on;
        double setpoint_ppm;            /* slew-limited */
        double speed_ppm;               /* fast estimate */
        double revolution_ppm;          /* mean over the last revolution */
        /* Calibrate's duty steps, on a motor not yet identified: the crank
         * runs away past this (its speed limit) rather than past the
         * set-point's margin, the motor on or coasting; 0: the set-point's */
        double runaway_ppm;
        uint64_t encoder_time_ns;
        uint64_t imu_time_ns;
        const double *accel_m_s2;       /* NULL when the gun has no IMU */
        bool overran;                   /* this period started late by a period or more */
};

void safety_params_default(struct safety_params *p);

/* Whatever the routine engine asks, the loop never drives the gun outside
 * the envelope of ROUTINES.md: a set-point beyond it is a fault, not a
 * command to follow. */
bool safety_setpoint_allowed(bool motor_on, double speed_ppm, double stroke_mm, double ramp_s);
void safety_reset(struct safety *s);
/* After safety_reset(), for a crank the loop did not see come to rest (a
 * thread started again over it, one that slept while it may still have
 * turned): it may be coasting down from as fast as the gun is ever driven,
 * so the runaway ceiling falls from there. */
void safety_assume_coasting(struct safety *s, const struct safety_params *p);
/* FAULT_NONE, or the fault this period shows. */
enum fault safety_check(struct safety *s, const struct safety_params *p,
                           const struct safety_input *in);

/* Main thread: too hot to run, and cool enough again. */
bool safety_temperature_too_high(const struct safety_params *p, double celsius);
bool safety_temperature_cleared(const struct safety_params *p, double celsius);
