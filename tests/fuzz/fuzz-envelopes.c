/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: one muscles.conf, merged into the shipped envelopes.
 * The file is taken whole or not at all (envelopes.h): a refusal that
 * changed the set, an envelope outside the daemon's global one, or a
 * refusal without "path:line: reason" is a crash.
 */
#include <stdint.h>
#include <string.h>

#include "daemon/session/envelopes.h"
#include "fuzz-input.h"
#include "common/log.h"

static struct envelopes shipped;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char error[512];

        (void)argc;
        (void)argv;
        log_set_max_level(LOG_LEVEL_SILENT);
        if (envelopes_load_file(&shipped, SHIPPED_ENVELOPES, error, sizeof(error)) < 0)
                fuzz_fail("%s", error);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fuzz_input_path(ENVELOPES_FILE_NAME, data, size);
        struct envelopes set = shipped;
        char error[512] = "";
        int r;

        r = envelopes_load_file(&set, path, error, sizeof(error));
        if (r < 0) {
                if (memcmp(&set, &shipped, sizeof(set)) != 0)
                        fuzz_fail("refused (%d) but changed the envelopes", r);
                if (strncmp(error, path, strlen(path)) != 0 || error[strlen(path)] != ':')
                        fuzz_fail("refusal without \"path:line: reason\": \"%s\"", error);
                return 0;
        }
        if (set.count < shipped.count || set.count > ENVELOPES_MAX)
                fuzz_fail("%zu envelopes after merging into %zu", set.count, shipped.count);
        for (size_t i = 0; i < set.count; i++) {
                const struct envelope *e = &set.items[i];

                if (e->muscle[0] == '\0' || envelopes_find(&set, e->muscle) != e)
                        fuzz_fail("envelope %zu: empty or duplicate muscle \"%s\"", i, e->muscle);
                if (!(e->speed_min_ppm >= ENVELOPE_SPEED_MIN_PPM && e->speed_min_ppm <= e->speed_max_ppm &&
                      e->speed_max_ppm <= ENVELOPE_SPEED_MAX_PPM))
                        fuzz_fail("%s: speed %g-%g ppm", e->muscle, e->speed_min_ppm, e->speed_max_ppm);
                if (!(e->amplitude_min_mm >= ENVELOPE_AMPLITUDE_MIN_MM &&
                      e->amplitude_min_mm <= e->amplitude_max_mm &&
                      e->amplitude_max_mm <= ENVELOPE_AMPLITUDE_MAX_MM))
                        fuzz_fail("%s: amplitude %g-%g mm", e->muscle, e->amplitude_min_mm,
                                  e->amplitude_max_mm);
        }
        return 0;
}
