/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A PM QoS request on the CPUs' wake-up latency, held while the motor runs.
 * An idle CPU may sit in a state it takes hundreds of µs to leave (a
 * BeagleBone's deeper states), or, in a VM, halt and cost a trip through
 * the hypervisor to wake: each period of the control loop would pay it.
 * The kernel keeps the CPUs out of such states while some process holds
 * /dev/cpu_dma_latency open with a limit written to it, and forgets the
 * request when the file is closed, also when the process dies; cyclictest
 * makes the same request by default. Only the main thread uses this.
 */

#include <stdbool.h>
#include <stdint.h>

#define CPU_LATENCY_DEVICE "/dev/cpu_dma_latency"

struct cpu_latency {
        const char *path;
        int32_t limit_us;       /* -1: leave the CPUs' idle states alone */
        int fd;                 /* -1 while not held */
        bool told;              /* the request failed and the log said so */
};

void cpu_latency_init(struct cpu_latency *l, const char *path, int32_t limit_us);
/* Holds the request; nothing when it is held already or limit_us is -1.
 * Returns a negative errno when path cannot be opened or written, which
 * the first time is logged, naming path: the loop runs anyway. */
int cpu_latency_hold(struct cpu_latency *l);
void cpu_latency_release(struct cpu_latency *l);
