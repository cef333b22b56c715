/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The simulated driver board's output registers, kept in a small shared
 * file: what the simulated motor and stroke drivers last wrote outlives the
 * daemon, as a real board's PWM and enable outputs outlive a killed
 * process. `percussd --safe-stop` opens the same file and forces the
 * outputs off, as it would on the hardware.
 *
 * The motor enable is a lease: the board holds it only while the driver
 * refreshes it (every duty write does), drops it SIM_ENABLE_HOLD_NS after
 * the last refresh and takes it back at the next one while the driver
 * still asks for it, like a driver board whose enable passes through a
 * retriggerable monostable: a dead process leaves the motor off, a loop
 * that stalled for a moment drives it again.
 *
 * Writes are atomic stores to a mapped page: no syscall, safe in the
 * control thread.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SIM_ENABLE_HOLD_NS 20000000ull /* 20 periods at 1 kHz, 5 at the slowest 250 Hz */
#define SIM_BOARD_FILE "sim-board"

struct sim_board_regs {
        uint32_t magic;
        uint32_t size;
        atomic_bool enable;
        _Atomic double duty;                     /* 0..1 */
        _Atomic double stroke_position;          /* 0..1 */
        _Atomic uint64_t enable_deadline_ns;     /* CLOCK_MONOTONIC: the lease ends */
};

struct sim_board {
        struct sim_board_regs *regs;
};

/* Maps path (created, all outputs off, when missing). */
int sim_board_open(struct sim_board *board, const char *path);
void sim_board_close(struct sim_board *board);

/* Whether the board drives the motor at now_ns: enabled, lease not over. */
bool sim_board_motor_enabled(const struct sim_board *board, uint64_t now_ns);
