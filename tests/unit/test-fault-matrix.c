/* SPDX-License-Identifier: MIT */
/*
 * Every fault the control loop must catch, in every state the loop can be
 * in, on the simulated gun in simulated time (one table): stall, drop,
 * sensor lost (encoder or IMU read error), a sensor returning garbage or a
 * frozen value, an actuator write error, an overrun streak, and the
 * sensor's clock jumping, a motor driver stuck on (runaway); in idle, ramping, running, paused or waiting
 * (motor off, position kept: the same for the loop) and already faulted.
 *
 * Each case: the gun is brought into the state, the fault injected, and
 * the loop run. Where the fault is one the state can show, it is reported
 * with its code and the motor is in the safe state in the very period that
 * reports it; a clear is refused (the fault comes back) while a cause the
 * loop sees with the motor off persists, and accepted once it is gone;
 * the gun then runs again. Where the state cannot show it (a jam with the
 * motor off), the motor stays off and nothing is reported. A jump of the
 * sensor's clock, either way, is ridden through: no fault, and no wild
 * duty, stroke or telemetry. Already faulted, the first fault stays and
 * the motor stays off. Over-temperature is the main thread's: test-dbus.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/sim-rig.h"

enum injection {
        STALL,
        DROP,
        ENCODER_LOST,
        IMU_LOST,
        ENCODER_GARBAGE,
        IMU_GARBAGE,
        ENCODER_FROZEN,
        MOTOR_WRITE_ERROR,
        STROKE_WRITE_ERROR,
        OVERRUN_STREAK,
        CLOCK_JUMP_BACK,
        CLOCK_JUMP_AHEAD,
        MOTOR_STUCK,
        FAULTS
};

enum state {
        IDLE,
        RAMPING,
        RUNNING,
        PAUSED,
        FAULTED,
        STATES
};

static const char *const fault_names[FAULTS] = {
        "stall", "drop", "encoder lost", "IMU lost", "encoder garbage", "IMU garbage",
        "encoder frozen", "motor write error", "stroke write error", "overrun streak",
        "clock jump back", "clock jump ahead", "motor stuck on",
};
static const char *const state_names[STATES] = { "idle", "ramping", "running", "paused",
                                                 "faulted" };

/* What the loop must report for a fault, by whether the motor is driven;
 * FAULT_NONE: nothing, and nothing may go wrong either. */
static const struct {
        enum fault driven, stopped;
        bool clear_refused;     /* while the cause persists, with the motor off after it */
        unsigned reaction_max_periods; /* 0: REACTION_MAX_PERIODS */
} expected[FAULTS] = {
        [STALL] = { FAULT_STALL, FAULT_NONE, false },
        [DROP] = { FAULT_DROP, FAULT_NONE, false },
        [ENCODER_LOST] = { FAULT_SENSOR_LOST, FAULT_SENSOR_LOST, true },
        [IMU_LOST] = { FAULT_SENSOR_LOST, FAULT_SENSOR_LOST, true },
        [ENCODER_GARBAGE] = { FAULT_SENSOR_LOST, FAULT_SENSOR_LOST, true },
        [IMU_GARBAGE] = { FAULT_SENSOR_LOST, FAULT_SENSOR_LOST, true },
        [ENCODER_FROZEN] = { FAULT_SENSOR_LOST, FAULT_SENSOR_LOST, true },
        [MOTOR_WRITE_ERROR] = { FAULT_ACTUATOR, FAULT_NONE, false },
        [STROKE_WRITE_ERROR] = { FAULT_ACTUATOR, FAULT_NONE, false },
        [OVERRUN_STREAK] = { FAULT_OVERRUN, FAULT_OVERRUN, false },
        [CLOCK_JUMP_BACK] = { FAULT_NONE, FAULT_NONE, false },
        [CLOCK_JUMP_AHEAD] = { FAULT_NONE, FAULT_NONE, false },
        /* stuck on, the crank turns whatever the loop does: driven, it
         * outruns its set-point; stopped, it does not stay at rest */
        /* 100 ms from when the crank's revolution passes the ceiling, which
         * the stuck driver takes a few tens of ms to reach from any state */
        [MOTOR_STUCK] = { FAULT_RUNAWAY, FAULT_RUNAWAY, true, 160 },
};

#define PERIODS_PER_S SIM_RIG_HZ
#define REACTION_MAX_PERIODS 100        /* stall, drop, runaway: 100 ms (QUALITY.md) */

static struct sim_rig t;
static struct setpoint sp;

static void period(void)
{
        (void)sim_rig_period(&t, &sp);
        /* the overrun streak comes from the caller's count of missed deadlines */
}

static void run(unsigned periods)
{
        for (unsigned i = 0; i < periods; i++)
                period();
}

static void drive(bool on)
{
        sp.motor_on = on;
        sp.generation++;
}

static void enter(enum state state)
{
        sim_rig_init(&t, 7);
        sp = (struct setpoint){ .speed_ppm = 2000, .ramp_s = 1.0, .stroke_mm = 12, .generation = 1 };
        switch (state) {
        case IDLE:
                run(PERIODS_PER_S / 2);
                break;
        case RAMPING:
                drive(true);
                run(PERIODS_PER_S * 3 / 10);
                break;
        case RUNNING:
                drive(true);
                run(PERIODS_PER_S * 5 / 2);
                break;
        case PAUSED:
                drive(true);
                run(PERIODS_PER_S * 5 / 2);
                drive(false);
                run(PERIODS_PER_S / 2);
                break;
        case FAULTED:
                drive(true);
                run(PERIODS_PER_S * 5 / 2);
                t.encoder_error = -EIO;
                run(3);
                t.encoder_error = 0;
                /* the engine answers a fault with the motor off */
                drive(false);
                run(10);
                ck_assert_int_eq(t.tm.fault, FAULT_SENSOR_LOST);
                break;
        case STATES:
                break;
        }
        if (state != FAULTED)
                ck_assert_msg(t.tm.fault == FAULT_NONE, "%s: fault %d before any injection",
                              state_names[state], t.tm.fault);
}

static void inject(enum injection fault, bool on)
{
        switch (fault) {
        case STALL:
                sim_gun_set_jammed(&t.model, on);
                break;
        case DROP:
                if (on)
                        sim_gun_drop(&t.model);
                break;
        case ENCODER_LOST:
                t.encoder_error = on ? -EIO : 0;
                break;
        case IMU_LOST:
                t.imu_error = on ? -ENODEV : 0;
                break;
        case ENCODER_GARBAGE:
                t.encoder_garbage = on ? NAN : 0.0;
                break;
        case IMU_GARBAGE:
                t.imu_garbage = on ? INFINITY : 0.0;
                break;
        case ENCODER_FROZEN:
                t.encoder_frozen = on;
                break;
        case MOTOR_WRITE_ERROR:
                t.motor_error = on ? -EIO : 0;
                break;
        case STROKE_WRITE_ERROR:
                t.stroke_error = on ? -EIO : 0;
                break;
        case MOTOR_STUCK:
                sim_gun_set_motor_stuck(&t.model, on);
                break;
        case OVERRUN_STREAK:
        case CLOCK_JUMP_BACK:
        case CLOCK_JUMP_AHEAD:
        case FAULTS:
                break;
        }
        if (fault == CLOCK_JUMP_BACK && on)
                t.encoder_time_jump_ns -= 2000000000; /* 2 s back */
        if (fault == CLOCK_JUMP_AHEAD && on)
                t.encoder_time_jump_ns += 5000000000; /* 5 s ahead */
}

/* One period; for the overrun streak the caller counts a missed deadline. */
static void faulty_period(enum injection fault)
{
        if (fault == OVERRUN_STREAK)
                t.tm.overruns++;
        period();
}

static void assert_safe(const char *what)
{
        ck_assert_msg(!t.enabled && !t.tm.motor_on, "%s: motor enabled", what);
        /* a duty write refused leaves the last duty, but with the enable off */
        if (!t.motor_error)
                ck_assert_msg(t.duty == 0.0, "%s: duty %g", what, t.duty);
}

static void assert_sane(const char *what)
{
        ck_assert_msg(isfinite(t.duty) && t.duty >= 0.0 && t.duty <= 1.0, "%s: duty %g", what,
                      t.duty);
        ck_assert_msg(isfinite(t.stroke_position) && t.stroke_position >= 0.0 &&
                              t.stroke_position <= 1.0,
                      "%s: stroke position %g", what, t.stroke_position);
        ck_assert_msg(isfinite(t.tm.speed_ppm) && isfinite(t.tm.amplitude_mm) &&
                              isfinite(t.tm.force_n),
                      "%s: telemetry %g ppm %g mm %g N", what, t.tm.speed_ppm, t.tm.amplitude_mm,
                      t.tm.force_n);
}

START_TEST(test_fault_in_state)
{
        enum injection fault = (enum injection)(_i / STATES);
        enum state state = (enum state)(_i % STATES);
        bool driven = state == RAMPING || state == RUNNING;
        enum fault want = state == FAULTED ? FAULT_SENSOR_LOST :
                             driven ? expected[fault].driven : expected[fault].stopped;
        char what[96];
        unsigned periods = 0;

        snprintf(what, sizeof(what), "%s while %s", fault_names[fault], state_names[state]);
        enter(state);
        inject(fault, true);

        if (state == FAULTED || want == FAULT_NONE) {
                /* nothing new: the motor stays as it was, nothing goes wrong */
                for (periods = 0; periods < PERIODS_PER_S / 2; periods++) {
                        faulty_period(fault);
                        ck_assert_msg(t.tm.fault == want || (state != FAULTED && t.tm.fault == FAULT_NONE),
                                      "%s: fault %d, expected %d", what, t.tm.fault, want);
                        if (!driven)
                                assert_safe(what);
                        assert_sane(what);
                }
                ck_assert_int_eq(t.tm.fault, want);
                return;
        }

        while (t.tm.fault == FAULT_NONE &&
               periods < (expected[fault].reaction_max_periods ? expected[fault].reaction_max_periods :
                                                                 REACTION_MAX_PERIODS)) {
                faulty_period(fault);
                periods++;
                if (t.tm.fault == FAULT_NONE)
                        assert_sane(what);
        }
        ck_assert_msg(t.tm.fault == want, "%s: fault %d after %u periods, expected %d", what,
                      t.tm.fault, periods, want);
        /* safe in the period that reports it */
        assert_safe(what);
        fprintf(stderr, "%-40s fault %d after %3u periods\n", what, t.tm.fault, periods);

        /* the engine stops the motor on a fault; then a clear while the cause persists */
        drive(false);
        sp.fault_clears++;
        for (unsigned i = 0; i < 10; i++)
                faulty_period(fault);
        if (expected[fault].clear_refused)
                ck_assert_msg(t.tm.fault == want, "%s: cleared while the cause persists", what);
        assert_safe(what);

        /* the cause gone, a clear is accepted and the motor may run again */
        inject(fault, false);
        t.encoder_time_jump_ns = 0;
        run(PERIODS_PER_S * 2); /* the gun lands, the crank stops, also from a runaway */
        sim_gun_set_jammed(&t.model, false);
        sp.fault_clears++;
        run(10);
        ck_assert_msg(t.tm.fault == FAULT_NONE, "%s: fault %d after the cause went and a clear",
                      what, t.tm.fault);
        drive(true);
        run(PERIODS_PER_S * 2);
        ck_assert_msg(t.tm.fault == FAULT_NONE && t.enabled,
                      "%s: did not run again after the clear (fault %d)", what, t.tm.fault);
        assert_sane(what);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("fault-matrix");
        TCase *tc = tcase_create("matrix");

        tcase_set_timeout(tc, 120);
        tcase_add_loop_test(tc, test_fault_in_state, 0, FAULTS * STATES);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
