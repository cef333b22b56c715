/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: one routine file, read against the shipped muscle
 * envelopes. Besides the sanitizers' findings, a loaded routine that
 * breaks the promises of profile.h, or a refusal without a
 * "path:line: reason" sentence, is a crash.
 */
#include <stdint.h>
#include <string.h>

#include "daemon/session/envelopes.h"
#include "fuzz-input.h"
#include "common/log.h"
#include "daemon/session/profile.h"

static struct envelopes envelopes;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char error[512];

        (void)argc;
        (void)argv;
        log_set_max_level(LOG_LEVEL_SILENT);
        if (envelopes_load_file(&envelopes, SHIPPED_ENVELOPES, error, sizeof(error)) < 0)
                fuzz_fail("%s", error);
        return 0;
}

static void check_step(const struct profile_step *s, unsigned i)
{
        const struct envelope *e = envelopes_find(&envelopes, s->muscle);

        if (!e)
                fuzz_fail("step %u: muscle \"%s\" has no envelope but was loaded", i, s->muscle);
        if (s->speed_ppm < e->speed_min_ppm || s->speed_ppm > e->speed_max_ppm ||
            s->amplitude_mm < e->amplitude_min_mm || s->amplitude_mm > e->amplitude_max_mm)
                fuzz_fail("step %u: %g ppm %g mm outside the %s envelope", i, s->speed_ppm,
                          s->amplitude_mm, s->muscle);
        if (!(s->duration_s > 0.0) || s->duration_s > PROFILE_OPEN_STEP_MAX_S ||
            (!s->open_ended && s->duration_s > PROFILE_DURATION_MAX_S))
                fuzz_fail("step %u: duration %g s", i, s->duration_s);
        if (!(s->ramp_s >= 0.0) || s->ramp_s > s->duration_s)
                fuzz_fail("step %u: ramp %g s of %g s", i, s->ramp_s, s->duration_s);
        if ((s->after == STEP_AFTER_PAUSE) != (s->pause_s > 0.0) || s->pause_s > PROFILE_PAUSE_MAX_S)
                fuzz_fail("step %u: pause %g s with after %d", i, s->pause_s, (int)s->after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *path = fuzz_input_path("fuzz.ini", data, size);
        struct profile *p = NULL;
        char error[512] = "";
        int r;

        r = profile_load_file(path, &envelopes, &p, error, sizeof(error));
        if (r < 0) {
                if (p)
                        fuzz_fail("refused (%d) but returned a routine", r);
                if (strncmp(error, path, strlen(path)) != 0 || error[strlen(path)] != ':')
                        fuzz_fail("refusal without \"path:line: reason\": \"%s\"", error);
                return 0;
        }
        if (!p || strcmp(p->id, "fuzz") != 0 || !p->title || !p->description)
                fuzz_fail("loaded routine without id, title or description");
        if (p->n_steps == 0 || p->n_steps > PROFILE_STEPS_MAX)
                fuzz_fail("loaded routine with %u steps", p->n_steps);
        for (unsigned i = 0; i < p->n_steps; i++)
                check_step(&p->steps[i], i);
        profile_free(p);
        return 0;
}
