/* SPDX-License-Identifier: MIT */
/*
 * period-cost: N control periods (default 100000) of control_period_run()
 * on the simulated gun in simulated time, at 2000 ppm, 12 mm, the user
 * pressing 20 N: a harness for counting the instructions of one period
 * with callgrind (shared/design/QUALITY.md, "cost of one period": control
 * + safety ≤ 5 000 instructions, the whole period with the simulated
 * drivers ≤ 20 000).
 *
 * Run alone, it prints the wall-clock time of a period (median of batches
 * of 1000) and the number of periods run. Under callgrind, collect only
 * inside the functions named; the instructions per period are the
 * collected total divided by N:
 *
 * (a) the whole period, simulated drivers included (reading the encoder
 *     integrates the model over the period: 50 sub-steps of 20 µs)
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg-period.out \
 *     --toggle-collect=control_period_run build/tests/bench/period-cost 100000
 *   awk '/^summary:/ { print $2 / 100000 }' cg-period.out
 *
 * (b) the simulated drivers alone: the operations control_period_run()
 *     calls through the driver tables
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg-drivers.out \
 *     --toggle-collect=sim_encoder_read --toggle-collect=sim_imu_read \
 *     --toggle-collect=sim_motor_set_duty --toggle-collect=sim_motor_set_enable \
 *     --toggle-collect=sim_stroke_set_position build/tests/bench/period-cost 100000
 *   awk '/^summary:/ { print $2 / 100000 }' cg-drivers.out
 *
 * Control + safety (the speed and amplitude loops, the speed, stroke and
 * force estimators, the safety supervisor, and the period's own code) is
 * (a) − (b). The driver operations live in another file than their caller
 * and the build has no LTO, so none is inlined away; none calls another
 * of (b)'s list, so the toggles do not cancel each other.
 *
 * Usage: period-cost [PERIODS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time-util.h"
#include "tests/fixtures/sim-rig.h"

#define BATCH 1000u

static int compare_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        static struct sim_rig rig;
        const struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 0.5,
                                     .stroke_mm = 12, .generation = 1 };
        unsigned long periods = 100000;
        uint64_t *batch_ns;
        size_t batches;
        char *end;

        if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
                printf("Usage: %s [PERIODS]\nRuns PERIODS control periods (default 100000) "
                       "for valgrind --tool=callgrind; see the source's header.\n", argv[0]);
                return argc > 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (argc == 2) {
                periods = strtoul(argv[1], &end, 10);
                if (*end || periods < BATCH) {
                        fprintf(stderr, "period-cost: PERIODS is a count ≥ %u, not '%s'\n",
                                BATCH, argv[1]);
                        return EXIT_FAILURE;
                }
        }

        if (sim_rig_open(&rig, 3, false) < 0)
                return EXIT_FAILURE;
        sim_gun_set_contact_force(&rig.model, 20.0);

        batches = periods / BATCH;
        batch_ns = calloc(batches, sizeof(*batch_ns));
        if (!batch_ns)
                return EXIT_FAILURE;
        for (size_t i = 0; i < batches; i++) {
                uint64_t start_ns = now_ns(CLOCK_MONOTONIC);

                for (unsigned j = 0; j < BATCH; j++) {
                        if (sim_rig_period(&rig, &sp) < 0 || rig.tm.fault != FAULT_NONE) {
                                fprintf(stderr, "period-cost: the loop faulted (fault %d)\n",
                                        (int)rig.tm.fault);
                                free(batch_ns);
                                return EXIT_FAILURE;
                        }
                }
                batch_ns[i] = now_ns(CLOCK_MONOTONIC) - start_ns;
        }
        qsort(batch_ns, batches, sizeof(*batch_ns), compare_u64);
        printf("period-cost: %zu periods at 2000 ppm (speed %.0f ppm at the end); wall clock "
               "per period: median %.0f ns, best batch %.0f ns (batches of %u)\n",
               batches * BATCH, rig.tm.speed_ppm, (double)batch_ns[batches / 2] / BATCH,
               (double)batch_ns[0] / BATCH, BATCH);
        printf("instructions per period: run under valgrind --tool=callgrind "
               "--toggle-collect=FUNCTION and divide the collected total by %zu "
               "(the commands are in tests/bench/period-cost.c)\n", batches * BATCH);
        free(batch_ns);
        return EXIT_SUCCESS;
}
