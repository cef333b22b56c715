/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: /etc/percussd/percussd.conf. A bad line is skipped and
 * the rest applies (settings.h), so whatever the file holds, every setting
 * must end inside the range systemd/percussd.conf documents; one outside
 * it is a crash.
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz-input.h"
#include "common/log.h"
#include "daemon/settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        log_set_max_level(LOG_LEVEL_SILENT);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fuzz_input_path("percussd.conf", data, size);
        const char *name, *section;
        struct settings c;
        int r;

        settings_defaults(&c);
        r = settings_load(&c, path);
        if (r < 0)
                fuzz_fail("settings_load() = %d: a readable file is never refused whole", r);

        for (size_t i = 0; (name = settings_key(i, &section)); i++) {
                double value, min, max;

                r = settings_key_value(&c, i, &value, &min, &max);
                if (r == -EMEDIUMTYPE)
                        continue;
                if (r < 0)
                        fuzz_fail("[%s] %s has no value", section, name);
                if (!(value >= min && value <= max))
                        fuzz_fail("[%s] %s = %g, outside %g-%g", section, name, value, min, max);
        }
        if (!(c.safety.temperature_resume_c < c.safety.temperature_limit_c - c.safety.temperature_margin_c))
                fuzz_fail("TemperatureResume %g °C not below TemperatureLimit %g less TemperatureMargin %g",
                          c.safety.temperature_resume_c, c.safety.temperature_limit_c,
                          c.safety.temperature_margin_c);
        return 0;
}
