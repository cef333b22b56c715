/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The speed loop: PI with anti-windup on top of a feed-forward, following
 * a slew-limited set-point, output clamped to the motor driver's duty
 * range. One plain function per period on a struct of state and named
 * parameters (after LinuxCNC's pid.c): no I/O, no allocation.
 */

struct speed_control_params {
        double kp_duty_per_ppm;         /* proportional gain */
        double ki_duty_per_ppm_s;       /* integral gain */
        double ff_duty_per_ppm;         /* feed-forward: duty per ppm of set-point (back-EMF) */
        double ff_duty_offset;          /* feed-forward: duty that overcomes friction */
        double default_slew_ppm_per_s;  /* set-point rate when the caller gives none */
        double duty_max;                /* 0..1: the driver's limit */
};

struct speed_control {
        struct speed_control_params p;
        double setpoint_ppm;            /* slew-limited set-point */
        double integral_duty;           /* the integrator's share of the output */
};

/* Gains for the default simulated gun at 1 kHz. */
#define SPEED_CONTROL_TUNED_HZ 1000u
void speed_control_params_default(struct speed_control_params *p);
void speed_control_init(struct speed_control *ctl, const struct speed_control_params *p);
/* Bumpless start: the set-point begins at the crank's present speed. */
void speed_control_reset(struct speed_control *ctl, double measured_ppm);
/* One period; returns duty 0..duty_max. slew_ppm_per_s <= 0: the default. */
double speed_control_step(struct speed_control *ctl, double target_ppm, double slew_ppm_per_s,
                          double measured_ppm, double dt_s);
