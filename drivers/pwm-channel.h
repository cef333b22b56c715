/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One sysfs PWM channel (Documentation/ABI/testing/sysfs-class-pwm):
 * /sys/class/pwm/pwmchipN/pwmM with period, duty_cycle and enable, in ns.
 * Opening exports the channel when it is not yet, sets the period with the
 * duty at 0, and enables the output; the duty is then written through a
 * file kept open, so that the RT path is one pwrite.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw-config.h"

#define PWM_SYSFS_DIR "/sys/class/pwm"

struct pwm_channel {
        unsigned chip, channel;
        uint64_t period_ns;
        uint64_t duty_ns;       /* last written; UINT64_MAX when unknown */
        int duty_fd;
        bool exported;          /* by us: unexported on close */
};

/* section names the configuration section ("Motor") for the errors. */
int pwm_channel_open(struct pwm_channel *pwm, const struct hw_pwm *config, const char *section,
                     char *error, size_t error_size);
/* RT; a duty beyond the period is refused with -ERANGE. */
int pwm_channel_set_duty_ns(struct pwm_channel *pwm, uint64_t duty_ns);
/* Duty 0, output disabled, unexported if we exported it. */
void pwm_channel_close(struct pwm_channel *pwm);
