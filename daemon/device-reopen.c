/* SPDX-License-Identifier: MIT */
#include "device-reopen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/hw-drivers.h"
#include "manager.h"

static bool real(enum hw_driver driver)
{
        return driver != HW_SIMULATED;
}

bool device_reopen_wanted(const struct manager *m)
{
        const struct hw_config *hw = &m->settings.hw;

        if (m->options.simulate)
                return false;
        if (m->session.fault == FAULT_SENSOR_LOST)
                return real(hw->encoder.driver) || real(hw->imu.driver);
        if (m->session.fault == FAULT_ACTUATOR)
                return real(hw->motor.driver) || real(hw->stroke.driver);
        return false;
}

/* Adds ", " and a phrase to what buf holds, cut at its size. */
__attribute__((format(printf, 3, 4)))
static void add(char *buf, size_t size, const char *format, ...)
{
        size_t len = strlen(buf);
        va_list ap;

        if (len + 2 >= size)
                return;
        if (len) {
                memcpy(buf + len, ", ", 3);
                len += 2;
        }
        va_start(ap, format);
        vsnprintf(buf + len, size - len, format, ap);
        va_end(ap);
}

/* "the encoder as5047, the IMU bmi160, the motor on pwmchip0/pwm0": the
 * real kinds, as the configuration names their devices. */
static void describe(const struct hw_config *hw, char *buf, size_t size)
{
        buf[0] = '\0';
        if (real(hw->encoder.driver))
                add(buf, size, "the encoder %s", hw->encoder.device);
        if (real(hw->imu.driver))
                add(buf, size, "the IMU %s", hw->imu.device);
        if (real(hw->motor.driver))
                add(buf, size, "the motor on pwmchip%u/pwm%u", hw->motor.pwm.chip,
                    hw->motor.pwm.channel);
        if (real(hw->stroke.driver))
                add(buf, size, "the stroke actuator on pwmchip%u/pwm%u", hw->stroke.pwm.chip,
                    hw->stroke.pwm.channel);
}

int device_reopen(struct manager *m)
{
        char error[512], devices[256];
        int r;

        describe(&m->settings.hw, devices, sizeof(devices));
        /* joined: from here the control thread does not touch the gun */
        rt_halt(&m->rt);
        hw_gun_close_control(&m->gun, &m->settings.hw);
        r = hw_gun_open_control(&m->gun, &m->settings.hw, m->options.control_hz, error,
                                sizeof(error));
        if (r < 0) {
                snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                         "%s: %s. The motor stays off until a ClearFault finds the devices "
                         "again.", m->options.config_file, error);
                log_warning_errno(r, "Fault %s not cleared: re-opening %s failed: %s",
                                  fault_to_string(m->session.fault), devices, m->clear_refusal);
                return -EAGAIN;
        }
        log_info("Re-opened %s after the %s fault.", devices, fault_to_string(m->session.fault));

        r = rt_resume(&m->rt);
        if (r < 0) {
                /* the drivers are open but nothing drives them: they stay off */
                (void)control_safe_state(&m->gun);
                snprintf(m->clear_refusal, sizeof(m->clear_refusal),
                         "the control thread could not be started again (%s). The motor stays "
                         "off.", strerror(-r));
                return -EAGAIN;
        }
        return 0;
}
