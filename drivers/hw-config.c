/* SPDX-License-Identifier: MIT */
#include "hw-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "battery-curve.h"

const char *const hw_button_names[HW_BUTTONS] = { "main", "plus", "minus" };
const char *const hw_led_names[HW_LEDS] = { "status", "fault", "level1", "level2", "level3",
                                            "level4", "level5" };

void hw_config_defaults(struct hw_config *c)
{
        *c = (struct hw_config){
                .encoder = {
                        .channel = "angl0",
                        .counts_per_rev = 4096,
                        .buffered = true,
                },
                .imu = {
                        .sampling_hz = 1000,
                        .axes = { 1, 2, 3 },
                        .buffered = true,
                },
                .motor = {
                        /* 20 kHz: above hearing, what BLDC driver boards take */
                        .pwm = { .chip = 0, .channel = 0, .period_ns = 50000 },
                },
                .stroke = {
                        /* a hobby servo: 50 Hz, 1–2 ms pulses */
                        .pwm = { .chip = 0, .channel = 1, .period_ns = 20000000 },
                        .pulse_min_ns = 1000000,
                        .pulse_max_ns = 2000000,
                        .min_mm = 4,
                        .max_mm = 16,
                },
                .stroke_sensor = { .driver = HW_NONE, .channel = "voltage0" },
                /* a button to ground with the pull-up on */
                .buttons = { .active_low = true },
                /* a 6S Li-ion pack, as the simulated gun's 24 V */
                .battery = {
                        .driver = HW_NONE,
                        .channel = "voltage0",
                        .curve = BATTERY_CURVE_LI_ION,
                        .cells = 6,
                        .divider = 1,
                },
        };
}

int hw_parse_axes(const char *text, int axes[3])
{
        int parsed[3];
        unsigned seen = 0;
        const char *p = text;

        for (int i = 0; i < 3; i++) {
                int sign = 1;

                if (*p == '-') {
                        sign = -1;
                        p++;
                }
                if (*p < 'x' || *p > 'z')
                        return -EINVAL;
                parsed[i] = sign * (*p - 'x' + 1);
                seen |= 1u << (*p - 'x');
                p++;
                if (*p != (i < 2 ? ',' : '\0'))
                        return -EINVAL;
                p++;
        }
        if (seen != 7)
                return -EINVAL;
        memcpy(axes, parsed, sizeof(parsed));
        return 0;
}
