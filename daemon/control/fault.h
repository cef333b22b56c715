/* SPDX-License-Identifier: MIT */
#pragma once

/* What the control loop's safety supervisor and drivers can find wrong. */

enum rt_fault {
        RT_FAULT_NONE,
        RT_FAULT_SENSOR_LOST,   /* encoder or IMU read failed, or its data went stale */
        RT_FAULT_ACTUATOR,      /* writing the motor or stroke actuator failed */
        RT_FAULT_STALL,         /* the crank does not turn although driven */
        RT_FAULT_DROP,          /* free fall on the IMU */
        RT_FAULT_OVERRUN,       /* control periods missed in a row */
        RT_FAULT_LIMIT,         /* a set-point outside the gun's envelope */
        RT_FAULT_RUNAWAY,       /* the crank turns faster than asked, or on with the motor
                                 * off: the driver may be stuck on */
};

/* Which sensor a sensor-lost fault is about. */
enum rt_sensor {
        RT_SENSOR_ENCODER,
        RT_SENSOR_IMU,
};
