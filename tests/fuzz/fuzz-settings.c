/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: /etc/percussd/percussd.conf. A bad line is skipped and
 * the rest applies (settings.h), so whatever the file holds, every setting
 * must end inside the range systemd/percussd.conf documents; one outside
 * it is a crash.
 */
#include <math.h>
#include <stdint.h>

#include "fuzz-input.h"
#include "log.h"
#include "settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        log_set_max_level(LOG_LEVEL_SILENT);
        return 0;
}

static void check_range(const char *name, double v, double min, double max)
{
        if (!(v >= min && v <= max))
                fuzz_fail("%s = %g, outside %g-%g", name, v, min, max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fuzz_input_path("percussd.conf", data, size);
        struct settings c;
        int r;

        settings_defaults(&c);
        r = settings_load(&c, path);
        if (r < 0)
                fuzz_fail("settings_load() = %d: a readable file is never refused whole", r);

        check_range("ControlHz", c.control_hz, 250, 4000);
        check_range("RTPriority", c.rt_priority, 1, 99);
        check_range("RTCPU", c.rt_cpu, -1, 1023);
        check_range("SpeedKp", c.speed.kp_duty_per_ppm, 0, 0.01);
        check_range("SpeedKi", c.speed.ki_duty_per_ppm_s, 0, 1);
        check_range("FeedForward", c.speed.ff_duty_per_ppm, 0, 0.01);
        check_range("FeedForwardOffset", c.speed.ff_duty_offset, 0, 0.5);
        check_range("Slew", c.speed.default_slew_ppm_per_s, 10, 100000);
        check_range("DutyMax", c.speed.duty_max, 0.05, 1);
        check_range("StallSpeedRatio", c.safety.stall_speed_ratio, 0.05, 0.9);
        check_range("StallTime", c.safety.stall_time_s, 0.005, 0.1);
        check_range("FreeFall", c.safety.free_fall_g, 0.05, 0.9);
        check_range("FreeFallTime", c.safety.free_fall_time_s, 0.005, 0.07);
        check_range("StalePeriods", c.safety.stale_periods, 1, 3);
        check_range("OverrunStreak", c.safety.overrun_streak, 1, 100);
        check_range("TemperatureLimit", c.safety.temperature_limit_c, 30, 120);
        check_range("TemperatureMargin", c.safety.temperature_margin_c, 0, 20);
        check_range("RestHours", (double)c.recovery.rest_usec / 3600e6, 0, 24 * 14);
        check_range("TaperDays", (double)c.recovery.taper_usec / 86400e6, 0, 60);
        if (!(c.safety.temperature_resume_c < c.safety.temperature_limit_c - c.safety.temperature_margin_c))
                fuzz_fail("TemperatureResume %g °C not below TemperatureLimit %g less TemperatureMargin %g",
                          c.safety.temperature_resume_c, c.safety.temperature_limit_c,
                          c.safety.temperature_margin_c);
        return 0;
}
