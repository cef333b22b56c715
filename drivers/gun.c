/* SPDX-License-Identifier: MIT */
#include "driver.h"

void gun_close(struct gun *gun)
{
        if (gun->battery.ops && gun->battery.ops->close)
                gun->battery.ops->close(&gun->battery);
        if (gun->leds.ops && gun->leds.ops->close)
                gun->leds.ops->close(&gun->leds);
        if (gun->buttons.ops && gun->buttons.ops->close)
                gun->buttons.ops->close(&gun->buttons);
        if (gun->stroke_sensor.ops && gun->stroke_sensor.ops->close)
                gun->stroke_sensor.ops->close(&gun->stroke_sensor);
        if (gun->stroke.ops && gun->stroke.ops->close)
                gun->stroke.ops->close(&gun->stroke);
        if (gun->motor.ops && gun->motor.ops->close)
                gun->motor.ops->close(&gun->motor);
        if (gun->imu.ops && gun->imu.ops->close)
                gun->imu.ops->close(&gun->imu);
        if (gun->encoder.ops && gun->encoder.ops->close)
                gun->encoder.ops->close(&gun->encoder);
        *gun = (struct gun){0};
}
