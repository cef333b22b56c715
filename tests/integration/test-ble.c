/* SPDX-License-Identifier: MIT */
/*
 * percussd-ble end to end: percussd --simulate, the bridge and fake-bluez
 * (tests/fixtures/fake-bluez.c, bluetoothd's D-Bus API with a phone
 * inside) on one private bus. The phone reads, writes and subscribes as
 * bluetoothd would pass it on; the gun is watched on io.percussd.Massager1
 * and moved by io.percussd.Simulator1. docs/ble.md is the contract.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/ble-rig.h"

#define ATT_OK 0x00
#define ATT_INSUFFICIENT_AUTHENTICATION 0x05
#define ATT_REQUEST_NOT_SUPPORTED 0x06
#define ATT_INVALID_VALUE_LENGTH 0x0d
#define ATT_APPLICATION 0x80

/* the Status record's bytes (docs/ble.md) */
#define STATUS_STATE 1
#define STATUS_ROUTINE 2
#define STATUS_STEP 3
#define STATUS_STEP_COUNT 4
#define STATUS_MUSCLE 5
#define STATUS_INTENSITY 15
#define STATUS_FAULT 18
#define STATE_UNAVAILABLE 0
#define STATE_IDLE 1
#define STATE_RUNNING 2
#define STATE_PAUSED 3
#define STATE_FAULT 6
#define FAULT_STALL 1
#define WAIT_MS 10000

static struct ble_rig rig;

static void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))

static void setup(void)
{
        ble_rig_start(&rig, 60);
}

static void teardown(void)
{
        ble_rig_stop(&rig);
}

static bool state_is(const struct notification *n, const void *arg)
{
        return n->size >= 2 && n->value[STATUS_STATE] == *(const uint8_t *)arg;
}

static bool response_to(const struct notification *n, const void *arg)
{
        return n->size == 3 && n->value[0] == 0x80 && n->value[1] == *(const uint8_t *)arg;
}

static void expect_state(size_t *cursor, uint8_t state)
{
        ck_assert_msg(ble_rig_wait_notification(&rig, BLE_STATUS, state_is, &state, cursor, WAIT_MS),
                      "no Status notification with state %u", state);
}

/* Writes the control point; expects the write accepted and the
 * indication [0x80, opcode, result]. */
static void control(const uint8_t *value, size_t size, uint8_t result, size_t *cursor)
{
        const struct notification *n;

        ck_assert_uint_eq(phone_write(&rig, BLE_CONTROL_POINT, value, size), ATT_OK);
        n = ble_rig_wait_notification(&rig, BLE_CONTROL_POINT, response_to, &value[0], cursor, WAIT_MS);
        ck_assert_msg(n, "no control point response to opcode 0x%02x", value[0]);
        ck_assert_msg(n->value[2] == result, "opcode 0x%02x answered 0x%02x, not 0x%02x", value[0],
                      n->value[2], result);
}

/* The index of routine id in the Routines characteristic. */
static uint8_t routine_index(const char *id)
{
        uint8_t record[4096];
        size_t size, at = 2;

        ck_assert_uint_eq(phone_read_long(&rig, BLE_ROUTINES, record, &size, sizeof(record)), ATT_OK);
        ck_assert_uint_ge(size, 2);
        ck_assert_uint_eq(record[0], 1);
        for (unsigned i = 0; i < record[1]; i++) {
                size_t id_length = record[at], title_length;

                ck_assert_uint_lt(at + 1 + id_length, size);
                title_length = record[at + 1 + id_length];
                ck_assert_uint_gt(title_length, 0);
                if (id_length == strlen(id) && memcmp(record + at + 1, id, id_length) == 0)
                        return (uint8_t)i;
                at += 2 + id_length + title_length;
        }
        ck_abort_msg("routine %s is not in the Routines characteristic", id);
        return 0;
}

static void wait_routines_read(void)
{
        uint8_t record[4096];
        size_t size = 0;
        long deadline = fixture_now_ms() + WAIT_MS;

        /* the titles come from GetRoutine after the bridge met percussd */
        while (fixture_now_ms() < deadline) {
                ck_assert_uint_eq(phone_read_long(&rig, BLE_ROUTINES, record, &size, sizeof(record)), ATT_OK);
                if (size > 2 && record[1] > 0 && record[3 + record[2]] > 0)
                        return;
                ble_rig_pump(&rig, 50);
        }
        ck_abort_msg("the Routines characteristic stayed empty");
}

START_TEST(test_registers_and_advertises)
{
        _cleanup_free_ char *name = phone_string_property(&rig, "AdvertisedName");
        _cleanup_free_ char *service = phone_string_property(&rig, "AdvertisedService");
        _cleanup_free_ char *capability = phone_string_property(&rig, "AgentCapability");

        ck_assert_str_eq(name, BLE_LOCAL_NAME);
        ck_assert_str_eq(service, BLE_SERVICE);
        ck_assert_str_eq(capability, "NoInputNoOutput");
        ck_assert(phone_has_flag(&rig, BLE_STATUS, "encrypt-read"));
        ck_assert(phone_has_flag(&rig, BLE_STATUS, "notify"));
        ck_assert(phone_has_flag(&rig, BLE_ROUTINES, "encrypt-read"));
        ck_assert(phone_has_flag(&rig, BLE_CONTROL_POINT, "encrypt-write"));
        ck_assert(phone_has_flag(&rig, BLE_CONTROL_POINT, "indicate"));
        ck_assert(!phone_has_flag(&rig, BLE_CONTROL_POINT, "write"));
        ck_assert(phone_has_flag(&rig, BLE_HISTORY, "encrypt-read"));
        ck_assert(phone_has_flag(&rig, BLE_BATTERY_LEVEL, "read"));
        /* the window is closed until the user opens it */
        ck_assert(!adapter_bool(&rig, "Pairable"));
}
END_TEST

/* A phone that never paired: the link is not encrypted, bluetoothd
 * refuses everything but the battery level, and the gun does not move. */
START_TEST(test_unencrypted_link_is_refused)
{
        const uint8_t start[] = { 0x01, 0x00 };
        uint8_t value[PHONE_MTU];
        size_t size;

        phone_connect(&rig, false);
        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, value, &size, sizeof(value)),
                          ATT_INSUFFICIENT_AUTHENTICATION);
        ck_assert_uint_eq(phone_read(&rig, BLE_HISTORY, 0, value, &size, sizeof(value)),
                          ATT_INSUFFICIENT_AUTHENTICATION);
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_STATUS), ATT_INSUFFICIENT_AUTHENTICATION);
        ck_assert_uint_eq(phone_write(&rig, BLE_CONTROL_POINT, start, sizeof(start)),
                          ATT_INSUFFICIENT_AUTHENTICATION);
        ck_assert_uint_eq(phone_read(&rig, BLE_BATTERY_LEVEL, 0, value, &size, sizeof(value)), ATT_OK);
        ck_assert_uint_eq(size, 1);
        ck_assert_uint_le(value[0], 100);
        fixture_expect_string(&rig.daemon, "State", "idle");
}
END_TEST

/* plus and minus held 3 s on the gun open the window: one phone pairs,
 * then it closes; outside it every pairing is refused. */
START_TEST(test_pairing_window_from_the_buttons)
{
        _cleanup_free_ char *before = NULL, *inside = NULL, *after = NULL;
        long deadline;
        uint8_t value[PHONE_MTU];
        size_t size;

        phone_connect(&rig, false);
        before = phone_pair(&rig);
        ck_assert_str_eq(before, "org.bluez.Error.AuthenticationRejected");

        fixture_button(&rig.daemon, "plus", true);
        fixture_button(&rig.daemon, "minus", true);
        deadline = fixture_now_ms() + WAIT_MS;
        while (!adapter_bool(&rig, "Pairable") && fixture_now_ms() < deadline)
                ble_rig_pump(&rig, 50);
        fixture_button(&rig.daemon, "minus", false);
        fixture_button(&rig.daemon, "plus", false);
        ck_assert_msg(adapter_bool(&rig, "Pairable"), "the pairing window did not open");
        ck_assert(adapter_bool(&rig, "Discoverable"));
        /* the chord is not an intensity press */
        ck_assert_uint_eq(fixture_get_u32(&rig.daemon, "Intensity"), 3);

        inside = phone_pair(&rig);
        ck_assert_str_eq(inside, "");
        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, value, &size, sizeof(value)), ATT_OK);
        ck_assert_uint_eq(size, 20);

        deadline = fixture_now_ms() + WAIT_MS;
        while (adapter_bool(&rig, "Pairable") && fixture_now_ms() < deadline)
                ble_rig_pump(&rig, 50);
        ck_assert_msg(!adapter_bool(&rig, "Pairable"), "the window stayed open after a phone paired");
        ck_assert(!adapter_bool(&rig, "Discoverable"));
        after = phone_pair(&rig);
        ck_assert_str_eq(after, "org.bluez.Error.AuthenticationRejected");
}
END_TEST

/* A whole routine from the phone: start, pause, resume, intensity, next,
 * stop, each answered in an indication and seen in the Status; then the
 * session in the History. */
START_TEST(test_routine_from_the_phone)
{
        size_t status = 0, responses = 0;
        uint8_t start[2] = { 0x01, 0 }, value[PHONE_MTU], history[4096];
        const uint8_t pause[] = { 0x03 }, resume[] = { 0x04 }, next[] = { 0x05 }, stop[] = { 0x02 };
        const uint8_t intensity[] = { 0x06, 4 };
        const struct notification *n;
        size_t size;
        uint8_t running = STATE_RUNNING;

        phone_connect(&rig, true);
        wait_routines_read();
        start[1] = routine_index("calves");
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_STATUS), ATT_OK);
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_CONTROL_POINT), ATT_OK);
        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, value, &size, sizeof(value)), ATT_OK);
        ck_assert_uint_eq(value[0], 1);
        ck_assert_uint_eq(value[STATUS_STATE], STATE_IDLE);

        control(start, sizeof(start), 0x00, &responses);
        n = ble_rig_wait_notification(&rig, BLE_STATUS, state_is, &running, &status, WAIT_MS);
        ck_assert_msg(n, "no Status notification with state running");
        ck_assert_uint_eq(n->value[STATUS_ROUTINE], start[1]);
        ck_assert_uint_eq(n->value[STATUS_STEP_COUNT], 2);
        ck_assert_uint_eq(n->value[STATUS_MUSCLE], 1);
        fixture_expect_string(&rig.daemon, "State", "running");

        /* a second start while it plays: percussd's Busy, as a result code */
        control(start, sizeof(start), 0x01, &responses);

        control(pause, sizeof(pause), 0x00, &responses);
        expect_state(&status, STATE_PAUSED);
        control(resume, sizeof(resume), 0x00, &responses);
        expect_state(&status, STATE_RUNNING);
        control(intensity, sizeof(intensity), 0x00, &responses);
        ck_assert_uint_eq(fixture_get_u32(&rig.daemon, "Intensity"), 4);
        control(next, sizeof(next), 0x00, &responses);
        ck_assert_uint_eq(fixture_get_u32(&rig.daemon, "Step"), 1);
        control(stop, sizeof(stop), 0x00, &responses);
        expect_state(&status, STATE_IDLE);
        /* nothing to resume now: NotRunning */
        control(resume, sizeof(resume), 0x03, &responses);

        ck_assert_uint_eq(phone_read_long(&rig, BLE_HISTORY, history, &size, sizeof(history)), ATT_OK);
        ck_assert_uint_ge(size, 2 + 13 + 1 + strlen("calves"));
        ck_assert_uint_eq(history[0], 1);
        ck_assert_uint_ge(history[1], 1);
        ck_assert_uint_eq(history[2 + 13], strlen("calves"));
        ck_assert(memcmp(history + 2 + 14, "calves", strlen("calves")) == 0);
}
END_TEST

static bool stall_fault(const struct notification *n, const void *arg)
{
        (void)arg;
        return n->size == 20 && n->value[STATUS_STATE] == STATE_FAULT && n->value[STATUS_FAULT] == FAULT_STALL;
}

/* A fault raised on the gun reaches the phone as a notification; it is
 * cleared from the phone once its cause is gone. */
START_TEST(test_fault_is_notified)
{
        size_t status = 0, responses = 0;
        uint8_t start[2] = { 0x01, 0 };
        const uint8_t clear[] = { 0x07 };

        phone_connect(&rig, true);
        wait_routines_read();
        start[1] = routine_index("manual");
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_STATUS), ATT_OK);
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_CONTROL_POINT), ATT_OK);
        control(start, sizeof(start), 0x00, &responses);
        expect_state(&status, STATE_RUNNING);

        fixture_simulator(&rig.daemon, "Jam", "b", 1);
        ck_assert_msg(ble_rig_wait_notification(&rig, BLE_STATUS, stall_fault, NULL, &status, WAIT_MS),
                      "no Status notification of the stall fault");
        fixture_simulator(&rig.daemon, "Jam", "b", 0);
        control(clear, sizeof(clear), 0x00, &responses);
        expect_state(&status, STATE_IDLE);
}
END_TEST

/* Every malformed write is refused with its ATT error, reaches nothing,
 * and the gun does not move. */
START_TEST(test_bad_writes_are_refused)
{
        static const struct {
                uint8_t value[10];
                size_t size;
                uint8_t att;
        } writes[] = {
                { { 0 }, 0, ATT_INVALID_VALUE_LENGTH },                 /* empty */
                { { 0x01 }, 1, ATT_INVALID_VALUE_LENGTH },              /* start without a routine */
                { { 0x01, 0, 0 }, 3, ATT_INVALID_VALUE_LENGTH },        /* start, a byte too many */
                { { 0x02, 0 }, 2, ATT_INVALID_VALUE_LENGTH },           /* stop takes nothing */
                { { 0x08, 1, 2, 3 }, 4, ATT_INVALID_VALUE_LENGTH },     /* a race time is 8 bytes */
                { { 0x00 }, 1, ATT_REQUEST_NOT_SUPPORTED },             /* unknown opcodes */
                { { 0x42, 1 }, 2, ATT_REQUEST_NOT_SUPPORTED },
                { { 0x80 }, 1, ATT_REQUEST_NOT_SUPPORTED },
                { { 0x06, 0 }, 2, ATT_APPLICATION },                    /* intensity out of 1-5 */
                { { 0x06, 6 }, 2, ATT_APPLICATION },
                { { 0x06, 255 }, 2, ATT_APPLICATION },
                { { 0x01, 200 }, 2, ATT_APPLICATION },                  /* no such routine */
                { { 0x01, 254 }, 2, ATT_APPLICATION },
        };
        uint8_t status_before[PHONE_MTU], status_after[PHONE_MTU];
        size_t size_before, size_after;

        phone_connect(&rig, true);
        wait_routines_read();
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_CONTROL_POINT), ATT_OK);
        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, status_before, &size_before, PHONE_MTU), ATT_OK);
        for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
                uint8_t att = phone_write(&rig, BLE_CONTROL_POINT, writes[i].value, writes[i].size);

                ck_assert_msg(att == writes[i].att, "write %zu (opcode 0x%02x, %zu bytes): ATT 0x%02x, not 0x%02x",
                              i, writes[i].value[0], writes[i].size, att, writes[i].att);
        }
        /* the indication a write would have brought, had one got through */
        ble_rig_pump(&rig, 200);
        ck_assert_uint_eq(rig.logged, 0);
        fixture_expect_string(&rig.daemon, "State", "idle");
        ck_assert_uint_eq(fixture_get_u32(&rig.daemon, "Intensity"), 3);
        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, status_after, &size_after, PHONE_MTU), ATT_OK);
        ck_assert_uint_eq(size_after, size_before);
        ck_assert(memcmp(status_before, status_after, size_before) == 0);
}
END_TEST

static uint8_t read_state(void)
{
        uint8_t value[PHONE_MTU];
        size_t size;

        ck_assert_uint_eq(phone_read(&rig, BLE_STATUS, 0, value, &size, sizeof(value)), ATT_OK);
        ck_assert_uint_eq(size, 20);
        return value[STATUS_STATE];
}

static bool wait_state_read(uint8_t state)
{
        long deadline = fixture_now_ms() + WAIT_MS;

        while (fixture_now_ms() < deadline) {
                if (read_state() == state)
                        return true;
                ble_rig_pump(&rig, 50);
        }
        return false;
}

/* bluetoothd restarting: the bridge registers again. percussd
 * restarting: the Status reads unavailable, then the gun again. */
START_TEST(test_peers_restart)
{
        ble_rig_kill_bluez(&rig);
        ble_rig_start_bluez(&rig);
        ble_rig_wait_registered(&rig, WAIT_MS);
        phone_connect(&rig, true);
        ck_assert_uint_eq(read_state(), STATE_IDLE);

        daemon_fixture_kill(&rig.daemon);
        ck_assert_msg(wait_state_read(STATE_UNAVAILABLE), "the Status did not read unavailable");
        daemon_fixture_restart(&rig.daemon, NULL);
        ck_assert_msg(wait_state_read(STATE_IDLE), "the Status did not come back after percussd restarted");
        wait_routines_read();
}
END_TEST

/* A dongle pulled out and plugged in again: the bridge waits, then
 * registers on it again by itself. */
START_TEST(test_adapter_comes_and_goes)
{
        ble_rig_set_adapter_present(&rig, false);
        ck_assert(!ble_rig_registered(&rig));
        ble_rig_pump(&rig, 100);
        ble_rig_set_adapter_present(&rig, true);
        ble_rig_wait_registered(&rig, WAIT_MS);
        phone_connect(&rig, true);
        ck_assert_uint_eq(read_state(), STATE_IDLE);
}
END_TEST

static void setup_short_window(void)
{
        ble_rig_start(&rig, 1);
}

/* Nobody pairs: the window closes by itself when its time is up. */
START_TEST(test_pairing_window_times_out)
{
        _cleanup_free_ char *late = NULL;
        long deadline;

        phone_connect(&rig, false);
        fixture_button(&rig.daemon, "plus", true);
        fixture_button(&rig.daemon, "minus", true);
        /* counted, not looked at: a 1 s window may open and close between
         * two looks on a loaded machine */
        deadline = fixture_now_ms() + WAIT_MS;
        while (adapter_pairable_openings(&rig) == 0 && fixture_now_ms() < deadline)
                ble_rig_pump(&rig, 20);
        fixture_button(&rig.daemon, "minus", false);
        fixture_button(&rig.daemon, "plus", false);
        ck_assert_msg(adapter_pairable_openings(&rig) == 1, "the pairing window did not open");
        deadline = fixture_now_ms() + WAIT_MS;
        while (adapter_bool(&rig, "Pairable") && fixture_now_ms() < deadline)
                ble_rig_pump(&rig, 50);
        ck_assert_msg(!adapter_bool(&rig, "Pairable"), "the 1 s pairing window stayed open");
        late = phone_pair(&rig);
        ck_assert_str_eq(late, "org.bluez.Error.AuthenticationRejected");
}
END_TEST

static Suite *ble_suite(void)
{
        Suite *s = suite_create("ble");
        TCase *tc = tcase_create("bridge");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_registers_and_advertises);
        tcase_add_test(tc, test_unencrypted_link_is_refused);
        tcase_add_test(tc, test_pairing_window_from_the_buttons);
        tcase_add_test(tc, test_routine_from_the_phone);
        tcase_add_test(tc, test_fault_is_notified);
        tcase_add_test(tc, test_bad_writes_are_refused);
        tcase_add_test(tc, test_peers_restart);
        tcase_add_test(tc, test_adapter_comes_and_goes);
        suite_add_tcase(s, tc);
        tc = tcase_create("short-window");
        tcase_add_checked_fixture(tc, setup_short_window, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_pairing_window_times_out);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(ble_suite());
}
