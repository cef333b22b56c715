/* SPDX-License-Identifier: MIT */
/*
 * The fault matrix seen from D-Bus (test-fault-matrix.c is the control
 * loop's side, in simulated time): every fault io.percussd.Simulator1 can
 * inject, in every state a session can be in on the real daemon (running,
 * paused, waiting; tests/profiles/quick.ini waits after its first step).
 *
 * Each case: State fault with the fault's code and a sentence in
 * FaultMessage, the same in a FaultRaised signal, the motor off (the
 * simulated gun's TrueSpeed falls to rest, TargetSpeed 0), ClearFault
 * refused with io.percussd.Error.FaultActive while a cause the daemon can
 * see with the motor off persists, accepted once it is gone, the gun free
 * to start again, and the interrupted session in GetHistory.
 *
 * A jam or a drop is only seen with the motor driven (the loop watches the
 * crank's speed and the IMU's free fall against the drive): with the motor
 * off nothing is reported, nothing changes, and a jam still there is
 * reported as soon as Resume drives the motor into it.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"


enum fault { JAM, DROP, OVER_TEMPERATURE, ENCODER_CUT, IMU_CUT, FAULTS };
enum state { RUNNING, PAUSED, WAITING, STATES };

static const char *const state_names[STATES] = { "running", "paused", "waiting" };

static const struct {
        const char *name;
        const char *code;
        bool seen_stopped;      /* reported with the motor off */
        bool clear_refused;     /* while the cause persists */
} faults[FAULTS] = {
        [JAM] = { "jam", "stall", false, false },
        [DROP] = { "drop", "drop", false, false },
        [OVER_TEMPERATURE] = { "over-temperature", "over-temperature", true, true },
        [ENCODER_CUT] = { "encoder cut", "sensor-lost", true, true },
        [IMU_CUT] = { "IMU cut", "sensor-lost", true, true },
};

/* The crank's speed ripples with each stroke. */
#define SPEED_NOISE_PPM 100.0

static struct daemon_fixture fixture;

struct raised {
        char code[32];
        char message[256];
        unsigned count;
};

static void setup(void)
{
        static const char *const args[] = { "--profiles-dir", TEST_PROFILES_DIR, NULL };

        daemon_fixture_start(&fixture, args);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static double true_speed_ppm(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        double value = NAN;
        int r;

        r = sd_bus_get_property_trivial(fixture.bus, BUS_NAME, BUS_SIMULATOR_PATH,
                                        "io.percussd.Simulator1", "TrueSpeed", &error, 'd', &value);
        ck_assert_msg(r >= 0, "Simulator1.TrueSpeed: %s", error.message ? error.message : "");
        sd_bus_error_free(&error);
        return value;
}

static bool motor_enabled(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int value = 1, r;

        r = sd_bus_get_property_trivial(fixture.bus, BUS_NAME, BUS_SIMULATOR_PATH,
                                        "io.percussd.Simulator1", "MotorEnabled", &error, 'b',
                                        &value);
        ck_assert_msg(r >= 0, "Simulator1.MotorEnabled: %s", error.message ? error.message : "");
        sd_bus_error_free(&error);
        return value;
}

static void inject(enum fault fault, bool on)
{
        switch (fault) {
        case JAM:
                fixture_simulator(&fixture, "Jam", "b", on);
                break;
        case DROP:
                if (on)
                        fixture_simulator(&fixture, "Drop", NULL);
                break;
        case OVER_TEMPERATURE:
                fixture_simulator(&fixture, "SetTemperature", "d", on ? 69.0 : 45.0);
                break;
        case ENCODER_CUT:
                fixture_simulator(&fixture, "CutSensor", "sb", "encoder", on);
                break;
        case IMU_CUT:
                fixture_simulator(&fixture, "CutSensor", "sb", "imu", on);
                break;
        case FAULTS:
                break;
        }
}

static int on_fault_raised(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct raised *raised = userdata;
        const char *code, *message;

        (void)error;
        if (sd_bus_message_read(m, "ss", &code, &message) < 0)
                return 0;
        snprintf(raised->code, sizeof(raised->code), "%s", code);
        snprintf(raised->message, sizeof(raised->message), "%s", message);
        raised->count++;
        return 0;
}

/* Dispatches what the test's connection queued (the signals that came
 * with the replies of the calls) until FaultRaised came or timeout. */
static bool wait_raised(const struct raised *raised, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;

        while (raised->count == 0 && fixture_now_ms() < deadline)
                if (sd_bus_process(fixture.bus, NULL) == 0)
                        sd_bus_wait(fixture.bus, 20000);
        return raised->count > 0;
}

static void assert_string(const char *property, const char *expected, const char *what)
{
        char *value = fixture_get_string(&fixture, property);

        ck_assert_msg(strcmp(value, expected) == 0, "%s: %s \"%s\", expected \"%s\"", what, property,
                      value, expected);
        free(value);
}

static bool sentence(const char *text)
{
        size_t n = strlen(text);

        return n > 20 && text[n - 1] == '.';
}

/* The enable line is off (the model freezes once the control thread
 * sleeps, so its speed can only be asked not to grow) and the session
 * asks for nothing. */
static void assert_motor_off(const char *what, double before_ppm)
{
        double ppm;

        ck_assert_msg(!motor_enabled(), "%s: the motor is still enabled", what);
        ck_assert_msg(fixture_get_double(&fixture, "TargetSpeed") == 0.0, "%s: TargetSpeed %g", what,
                      fixture_get_double(&fixture, "TargetSpeed"));
        usleep(100000);
        ppm = true_speed_ppm();
        ck_assert_msg(ppm <= before_ppm + SPEED_NOISE_PPM, "%s: TrueSpeed %.0f ppm, %.0f ppm before",
                      what, ppm, before_ppm);
}

static void assert_clear_refused(const char *what)
{
        char *name = NULL, *message = NULL;

        ck_assert_msg(fixture_call(&fixture, "ClearFault", NULL, &name, &message) < 0,
                      "%s: ClearFault accepted while the cause persists", what);
        ck_assert_msg(name && strcmp(name, "io.percussd.Error.FaultActive") == 0,
                      "%s: ClearFault answered %s", what, name ? name : "(none)");
        ck_assert_msg(message && sentence(message), "%s: FaultActive \"%s\"", what,
                      message ? message : "");
        free(name);
        free(message);
        assert_string("State", "fault", what);
}

/* GetHistory: the newest session is quick's, the only one. */
static void assert_in_history(const char *what)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *routine;
        uint64_t start_us;
        double seconds;
        uint32_t steps;
        unsigned sessions = 0;
        bool newest_quick = false;
        int r;

        r = sd_bus_call_method(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetHistory", &error,
                               &reply, "u", 10);
        ck_assert_msg(r >= 0, "%s: GetHistory: %s", what, error.message ? error.message : "");
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(tsdu)"), 0);
        while ((r = sd_bus_message_read(reply, "(tsdu)", &start_us, &routine, &seconds, &steps)) > 0) {
                if (sessions++ == 0)
                        newest_quick = strcmp(routine, "quick") == 0 && seconds > 0.0;
        }
        ck_assert_int_ge(r, 0);
        ck_assert_msg(sessions == 1 && newest_quick, "%s: %u sessions in the history, newest %s", what,
                      sessions, newest_quick ? "quick" : "not quick or empty");
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
}

/* Quick's first step (0.6 s) ends and the routine waits for the button;
 * its second plays for 30 s. */
static void enter(enum state state)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "waiting", 3000));
        if (state == WAITING)
                return;
        ck_assert_int_eq(fixture_call(&fixture, "Resume", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 500));
        usleep(600000); /* past the ramp, at speed */
        ck_assert_msg(true_speed_ppm() > 1000.0, "running: TrueSpeed %.0f ppm", true_speed_ppm());
        ck_assert_msg(motor_enabled(), "running: the motor is not enabled");
        if (state == PAUSED) {
                ck_assert_int_eq(fixture_call(&fixture, "Pause", NULL, NULL, NULL), 0);
                ck_assert(fixture_wait_string(&fixture, "State", "paused", 500));
        }
}

START_TEST(test_fault_in_state)
{
        enum fault fault = (enum fault)(_i / STATES);
        enum state state = (enum state)(_i % STATES);
        bool driven = state == RUNNING;
        struct raised raised = {0};
        sd_bus_slot *slot = NULL;
        char what[64], *message;
        double before_ppm;

        snprintf(what, sizeof(what), "%s while %s", faults[fault].name, state_names[state]);
        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                             "FaultRaised", on_fault_raised, &raised),
                         0);
        enter(state);
        before_ppm = true_speed_ppm();
        inject(fault, true);

        if (!driven && !faults[fault].seen_stopped) {
                /* the motor off, nothing to see: nothing reported or changed */
                usleep(400000);
                assert_string("State", state_names[state], what);
                assert_string("Fault", "", what);
                assert_motor_off(what, before_ppm);
                if (fault == DROP) {
                        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
                        ck_assert(fixture_wait_string(&fixture, "State", "idle", 500));
                        assert_in_history(what);
                        ck_assert_int_eq(raised.count, 0);
                        sd_bus_slot_unref(slot);
                        return;
                }
                /* the jam is still there when the motor is driven into it */
                ck_assert_int_eq(fixture_call(&fixture, "Resume", NULL, NULL, NULL), 0);
        }

        ck_assert_msg(fixture_wait_string(&fixture, "State", "fault", 2000), "%s: no fault", what);
        assert_string("Fault", faults[fault].code, what);
        message = fixture_get_string(&fixture, "FaultMessage");
        ck_assert_msg(sentence(message), "%s: FaultMessage \"%s\"", what, message);
        ck_assert_msg(wait_raised(&raised, 1000), "%s: no FaultRaised", what);
        ck_assert_msg(raised.count == 1 && strcmp(raised.code, faults[fault].code) == 0 &&
                              strcmp(raised.message, message) == 0,
                      "%s: %u FaultRaised, the last (%s, \"%s\"), properties (%s, \"%s\")", what,
                      raised.count, raised.code, raised.message, faults[fault].code, message);
        free(message);
        assert_motor_off(what, before_ppm);
        assert_in_history(what);

        if (faults[fault].clear_refused)
                assert_clear_refused(what);
        inject(fault, false);
        if (fault == DROP)
                usleep(500000); /* the gun lands */
        ck_assert_msg(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL) == 0,
                      "%s: ClearFault refused with the cause gone", what);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 500));
        assert_string("Fault", "", what);
        assert_string("FaultMessage", "", what);

        /* free to run again, the history still whole */
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 500));
        ck_assert_int_eq(raised.count, 1);
        sd_bus_slot_unref(slot);
}
END_TEST

/* Waits, up to timeout_ms, for the simulated crank to turn slower than
 * ppm: the model moves only while the control thread watches it. */
static bool wait_true_speed_below(double ppm, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;

        while (fixture_now_ms() < deadline) {
                if (fabs(true_speed_ppm()) < ppm)
                        return true;
                usleep(20000);
        }
        return false;
}

/* A motor driver stuck on while a routine plays: fault runaway with a
 * sentence that says so, the enable off; a clear refused while the driver
 * still drives the crank, accepted once the crank, freed, has come to
 * rest; the gun then plays again. */
START_TEST(test_runaway)
{
        struct raised raised = {0};
        sd_bus_slot *slot = NULL;
        char *message;

        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                             "FaultRaised", on_fault_raised, &raised),
                         0);
        enter(RUNNING);
        fixture_simulator(&fixture, "StickMotor", "b", true);
        ck_assert_msg(fixture_wait_string(&fixture, "State", "fault", 2000), "no fault");
        assert_string("Fault", "runaway", "stuck motor");
        message = fixture_get_string(&fixture, "FaultMessage");
        ck_assert_msg(sentence(message) && strstr(message, "stuck on"), "FaultMessage \"%s\"",
                      message);
        free(message);
        ck_assert(wait_raised(&raised, 1000));
        ck_assert_str_eq(raised.code, "runaway");
        ck_assert_msg(!motor_enabled(), "the motor is still enabled");
        ck_assert_msg(fixture_get_double(&fixture, "TargetSpeed") == 0.0, "TargetSpeed %g",
                      fixture_get_double(&fixture, "TargetSpeed"));
        assert_clear_refused("stuck motor");

        fixture_simulator(&fixture, "StickMotor", "b", false);
        ck_assert_msg(wait_true_speed_below(1.0, 10000), "the freed crank did not stop: %.0f ppm",
                      true_speed_ppm());
        ck_assert_msg(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL) == 0,
                      "ClearFault refused with the driver freed and the crank at rest");
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 500));
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "waiting", 3000));
        assert_string("Fault", "", "after the clear");
        ck_assert_int_eq(raised.count, 1);
        sd_bus_slot_unref(slot);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("faults-dbus");
        TCase *tc = tcase_create("matrix");
        TCase *runaway = tcase_create("runaway");

        tcase_add_checked_fixture(runaway, setup, teardown);
        tcase_set_timeout(runaway, 60);
        tcase_add_test(runaway, test_runaway);
        suite_add_tcase(s, runaway);

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_fault_in_state, 0, FAULTS * STATES);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
