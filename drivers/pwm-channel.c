/* SPDX-License-Identifier: MIT */
#include "pwm-channel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs-attr.h"

static void attr_path(const struct pwm_channel *pwm, const char *attr, char *path, size_t size)
{
        snprintf(path, size, PWM_SYSFS_DIR "/pwmchip%u/pwm%u/%s", pwm->chip, pwm->channel, attr);
}

static int write_attr(const struct pwm_channel *pwm, const char *attr, uint64_t value,
                      const char *section, char *error, size_t error_size)
{
        char path[PATH_MAX], text[22];
        size_t len;
        int r;

        attr_path(pwm, attr, path, sizeof(path));
        len = sysfs_format_u64(text, value);
        text[len] = '\n';
        text[len + 1] = 0;
        r = sysfs_write_path(path, text);
        text[len] = 0;
        if (r < 0)
                snprintf(error, error_size, "[%s] PWMChip=%u PWMChannel=%u: cannot write %s to "
                         "%s: %s", section, pwm->chip, pwm->channel, text, path, strerror(-r));
        return r;
}

static int export_channel(struct pwm_channel *pwm, const char *section, char *error,
                          size_t error_size)
{
        char path[PATH_MAX], text[21];
        struct stat st;
        uint64_t npwm;
        int r;

        snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u", pwm->chip);
        if (stat(path, &st) < 0) {
                r = -errno;
                snprintf(error, error_size, "[%s] PWMChip=%u: no PWM chip %s (%s)", section,
                         pwm->chip, path, strerror(-r));
                return r;
        }
        snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u/npwm", pwm->chip);
        r = sysfs_read_u64_path(path, &npwm);
        if (r < 0) {
                snprintf(error, error_size, "[%s] PWMChip=%u: cannot read %s: %s", section,
                         pwm->chip, path, strerror(-r));
                return r;
        }
        if (pwm->channel >= npwm) {
                snprintf(error, error_size, "[%s] PWMChannel=%u: pwmchip%u has %llu channels "
                         "(npwm), 0 to %llu", section, pwm->channel, pwm->chip,
                         (unsigned long long)npwm, (unsigned long long)npwm - 1);
                return -ENOENT;
        }

        snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u/pwm%u", pwm->chip, pwm->channel);
        if (stat(path, &st) == 0)
                return 0;
        snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u/export", pwm->chip);
        sysfs_format_u64(text, pwm->channel);
        r = sysfs_write_path(path, text);
        if (r < 0) {
                snprintf(error, error_size, "[%s] PWMChannel=%u: cannot export it through %s: %s",
                         section, pwm->channel, path, strerror(-r));
                return r;
        }
        pwm->exported = true;
        snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u/pwm%u", pwm->chip, pwm->channel);
        if (stat(path, &st) < 0) {
                r = -errno;
                snprintf(error, error_size, "[%s] PWMChannel=%u: exported, but %s is not there: %s",
                         section, pwm->channel, path, strerror(-r));
                return r;
        }
        return 0;
}

int pwm_channel_open(struct pwm_channel *pwm, const struct hw_pwm *config, const char *section,
                     char *error, size_t error_size)
{
        char path[PATH_MAX];
        int r;

        *pwm = (struct pwm_channel){
                .chip = config->chip,
                .channel = config->channel,
                .period_ns = config->period_ns,
                .duty_ns = UINT64_MAX,
                .duty_fd = -1,
        };
        r = export_channel(pwm, section, error, error_size);
        if (r < 0)
                goto fail;
        /* the kernel refuses a period shorter than the duty: the duty goes first */
        r = write_attr(pwm, "duty_cycle", 0, section, error, error_size);
        if (r >= 0)
                r = write_attr(pwm, "period", pwm->period_ns, section, error, error_size);
        if (r >= 0)
                r = write_attr(pwm, "enable", 1, section, error, error_size);
        if (r < 0)
                goto fail;
        pwm->duty_ns = 0;

        attr_path(pwm, "duty_cycle", path, sizeof(path));
        pwm->duty_fd = open(path, O_WRONLY | O_CLOEXEC);
        if (pwm->duty_fd < 0) {
                r = -errno;
                snprintf(error, error_size, "[%s] cannot open %s: %s", section, path, strerror(-r));
                goto fail;
        }
        return 0;

fail:
        pwm_channel_close(pwm);
        return r;
}

int pwm_channel_set_duty_ns(struct pwm_channel *pwm, uint64_t duty_ns)
{
        int r;

        if (duty_ns > pwm->period_ns)
                return -ERANGE;
        if (duty_ns == pwm->duty_ns)
                return 0;
        r = sysfs_write_u64(pwm->duty_fd, duty_ns);
        pwm->duty_ns = r < 0 ? UINT64_MAX : duty_ns;
        return r;
}

void pwm_channel_close(struct pwm_channel *pwm)
{
        char path[PATH_MAX], text[21];
        char ignored[8];

        if (pwm->duty_fd >= 0) {
                (void)sysfs_write_u64(pwm->duty_fd, 0);
                close(pwm->duty_fd);
                (void)write_attr(pwm, "enable", 0, "", ignored, sizeof(ignored));
        }
        if (pwm->exported) {
                snprintf(path, sizeof(path), PWM_SYSFS_DIR "/pwmchip%u/unexport", pwm->chip);
                sysfs_format_u64(text, pwm->channel);
                (void)sysfs_write_path(path, text);
        }
        pwm->duty_fd = -1;
        pwm->exported = false;
}
