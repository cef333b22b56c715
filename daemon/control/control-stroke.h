/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The amplitude loop: slower than the speed loop, it moves the stroke
 * actuator so that the measured stroke meets the target. The feed-forward
 * is the actuator's own map (stroke min/max at its ends); an integral trim
 * on top takes out what that map gets wrong (wear, tolerances), once per
 * new estimate, that is once per crank revolution. No proportional term:
 * the estimate is a few revolutions old and the feed-forward already
 * moves the stroke at once; the trim is learnt slowly and kept.
 *
 * The trim only learns from estimates it can trust: not while the
 * actuator is still moving after a new target, and not while the user
 * presses the head into the muscle (see stroke-estimator.h); it is held
 * meanwhile, so the stroke stays where the free-running gun put it.
 *
 * With a stroke-position sensor the trim learns from the sensor instead,
 * every period, in the air and pressed (stroke_control_close): a
 * mechanism that yields under the push loses stroke the IMU cannot see,
 * and only a sensor after the yielding part can give it back. Its own
 * gain and wider limit: a 0.05 mm/N mechanism loses 2 mm at 40 N on top
 * of what the actuator's map gets wrong.
 * One plain function per period and one per estimate: no I/O.
 */

#include <stdbool.h>

struct stroke_control_params {
        double ki_per_revolution;       /* 0.25: share of the error taken out per estimate */
        double trim_max_mm;             /* 2 mm: the most the trim may move the stroke */
        double contact_force_n;         /* 2 N: a force estimate above it is contact */
        double settle_s;                /* 0.3 s: after a new target, the actuator and the average settle */
        double sensor_ki_per_s;         /* 5 /s: share of the sensor's error taken out per second */
        double sensor_trim_max_mm;      /* 4 mm: the most the sensor's loop may move the stroke */
};

struct stroke_control {
        struct stroke_control_params p;
        double target_mm;
        double trim_mm;
        double settling_s;              /* left before the loop learns again */
};

void stroke_control_params_default(struct stroke_control_params *p);
void stroke_control_init(struct stroke_control *ctl, const struct stroke_control_params *p);
/* The motor starts: the actuator and the estimate settle again; the trim,
 * learnt on this gun, is kept. */
void stroke_control_restart(struct stroke_control *ctl);

/* Every period: the stroke to command, mm. */
double stroke_control_step(struct stroke_control *ctl, double target_mm, double dt_s);

/* Every period with a good stroke-sensor reading, filtered: the trim
 * learns from it (not while the actuator settles on a new target: its
 * lag is no error of the map). */
void stroke_control_close(struct stroke_control *ctl, double measured_mm, double dt_s);

/* A new estimate (once per revolution), and whether the head touched
 * something during it; returns true when the trim learnt from it. */
bool stroke_control_correct(struct stroke_control *ctl, double estimate_mm, bool contact);
