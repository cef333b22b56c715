/* SPDX-License-Identifier: MIT */
#pragma once

/* Every fault the gun can be in (DBUS.md's Fault property): those the
 * control loop's safety supervisor finds, and those the main thread does
 * (a board too hot, a battery too flat, a control loop that stopped). */

enum fault {
        FAULT_NONE,
        FAULT_SENSOR_LOST,      /* encoder or IMU read failed, or its data went stale */
        FAULT_ACTUATOR,         /* writing the motor or stroke actuator failed */
        FAULT_STALL,            /* the crank does not turn although driven */
        FAULT_DROP,             /* free fall on the IMU */
        FAULT_OVERRUN,          /* control periods missed in a row, or the loop stopped */
        FAULT_LIMIT,            /* a set-point outside the gun's envelope */
        FAULT_OVER_TEMPERATURE, /* the driver board near its limit */
        FAULT_BATTERY,          /* too little charge to go on */
        FAULT_INTERNAL,         /* the daemon could not go on with the session */
        FAULT_RUNAWAY,          /* the crank turns faster than asked, or on with the motor
                                 * off: the driver may be stuck on */
        _FAULT_MAX,
};

/* Which sensor a sensor-lost fault is about. */
enum rt_sensor {
        RT_SENSOR_ENCODER,
        RT_SENSOR_IMU,
};

/* The code DBUS.md names ("stall", "sensor-lost", …; "" for none). */
const char *fault_to_string(enum fault fault);
