/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One control period: read the sensors, estimate, run the loops, drive
 * the actuators. The RT thread calls this once per period; tests call it
 * on the simulated gun in simulated time. No allocation, no stdio.
 */

#include "daemon/control/amplitude-source.h"
#include "daemon/control/angle-history.h"
#include "daemon/control/control-speed.h"
#include "daemon/control/control-stroke.h"
#include "drivers/driver.h"
#include "daemon/control/force-estimator.h"
#include "daemon/control/identify.h"
#include "daemon/control/sensor-frame.h"
#include "handoff.h"
#include "daemon/control/safety.h"
#include "daemon/control/speed-estimator.h"
#include "daemon/control/stroke-estimator.h"
#include "daemon/control/stroke-sensor-map.h"

/* A stroke sensor that gives no new reading for this long is silent. An
 * ADS1115 at its fastest gives one every 1.2 ms. */
#define STROKE_SENSOR_STALE_S 0.05
/* The sensor's readings are smoothed over this: its noise, not the stroke. */
#define STROKE_SENSOR_FILTER_S 0.02
/* In the air, the IMU checks the sensor: a disagreement past this is told. */
#define STROKE_SENSOR_CHECK_MM 0.5
/* The first revolution the head meets the skin shows in the IMU's
 * harmonic before the force or the quadrature tell; the next one does not
 * hide it. So when a press is seen, what the amplitude loop learnt in the
 * revolutions just before is taken back. */
#define STROKE_UNLEARN_REVOLUTIONS 2

/* The loops' and estimators' parameters, from the settings. */
struct control_params {
        struct speed_control_params speed;
        struct stroke_control_params stroke;
        struct stroke_estimator_params stroke_estimator;
        struct force_estimator_params force;
        struct sensor_frame frame;
        struct stroke_sensor_map stroke_sensor_map; /* volts → mm, when the gun has a sensor */
};

struct control_period {
        struct speed_estimator speed_estimator;
        struct angle_history angle_history; /* the IMU's samples are of earlier angles */
        struct speed_control speed_control;
        struct stroke_estimator stroke_estimator;
        struct force_estimator force_estimator;
        struct stroke_control stroke_control;
        double duty;                /* written last period: the motor ran at it since */
        double stroke_position;     /* written to the actuator, 0..1; < 0: not yet */
        double amplitude_mm;        /* published: measured stroke, 0 until known */
        double amplitude_offset_mm; /* measured − target, when last measured free */
        double force_n;             /* published: estimated user force */
        bool in_contact;            /* the last revolution's force says pressed */
        double period_s;
        uint32_t generation;        /* of the setpoint being followed */
        double slew_ppm_per_s;      /* from that setpoint's ramp */
        double pattern_s;           /* time into that setpoint's pattern */
        bool motor_on;
        struct safety safety;
        struct safety_params safety_params;
        uint64_t overruns;          /* as the caller counted them, last period */
        enum fault fault;        /* latched until the setpoint's fault_clears moves */
        uint32_t fault_clears;
        int fault_errno;
        enum rt_sensor fault_sensor;
        struct sensor_frame frame;  /* the settings', or the set-point's */
        struct sensor_frame settings_frame;
        double nominal_bus_voltage_v; /* the settings' BusVoltage: the feed-forward's */
        double ff_duty_per_ppm, ff_duty_offset; /* at that voltage */
        struct identify_sums identify;
        struct identify_history identify_history;
        uint32_t identify_epoch;
        bool contact;               /* SETPOINT_DUTY stopped on contact */
        double contact_quadrature_m_s2; /* the residual that stopped it */
        unsigned contact_revolutions; /* in a row with the head's quadrature past the mark */
        bool contact_positive;          /* … on the same side: this one */
        double ripple_cos_ppm, ripple_sin_ppm; /* the crank speed's second harmonic */
        uint64_t imu_time_ns;       /* of the IMU sample the estimators last took */

        /* the stroke sensor */
        struct stroke_sensor_map sensor_map;
        bool sensor_known;          /* sensor_mm holds a reading */
        double sensor_mm;           /* filtered */
        double sensor_volts;        /* the last reading, also one out of range */
        uint64_t sensor_time_ns;    /* of the last new reading */
        int sensor_errno;           /* why it is not used now; 0: it reads */
        unsigned free_revolutions;  /* the IMU's, in a row, in the air */
        /* the trim and the offset before each of the last revolutions, the last first */
        double before_trim_mm[STROKE_UNLEARN_REVOLUTIONS];
        double before_offset_mm[STROKE_UNLEARN_REVOLUTIONS];
        double sensor_imu_mm;       /* what the IMU measured when it last checked the sensor */
        bool sensor_disagrees;      /* … off by more than STROKE_SENSOR_CHECK_MM */
        enum amplitude_source amplitude_source;
};

/* The defaults: those of the simulated gun. */
void control_params_default(struct control_params *p);

void control_period_init(struct control_period *cp, const struct control_params *params,
                         const struct safety_params *safety, enum encoder_quantity quantity,
                         unsigned control_hz);

/* Forget the estimator's history, after the thread slept while idle. */
void control_period_reset(struct control_period *cp);

/* Runs one period and fills tm (but for the timing fields, which the
 * caller fills first: tm->overruns tells the safety supervisor about
 * missed deadlines). A failed driver call or a safety verdict puts the gun
 * in the safe state and latches the fault; a driver's error is returned. */
int control_period_run(struct control_period *cp, struct gun *gun, const struct setpoint *sp,
                       struct telemetry *tm);

/* Duty 0, enable off, stroke left where it is. Returns the first error. */
int control_safe_state(struct gun *gun);
