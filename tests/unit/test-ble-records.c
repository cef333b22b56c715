/* SPDX-License-Identifier: MIT */
/*
 * The bytes percussd-ble puts on the air (docs/ble.md): the Status,
 * Routines and History records, the control point's parsing, refusals
 * and result codes.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "ble/control-point.h"
#include "ble/status-record.h"
#include "tests/fixtures/check-main.h"

START_TEST(test_status_unavailable)
{
        struct gun_status status = { .available = false, .battery_percent = NAN };
        uint8_t record[STATUS_RECORD_SIZE];
        const uint8_t expected[STATUS_RECORD_SIZE] = { 1, 0, 0xff, [17] = 0xff };

        status_record_encode(&status, 3, record);
        ck_assert(memcmp(record, expected, sizeof(record)) == 0);
        ck_assert_uint_eq(battery_level(&status), 100);
}
END_TEST

START_TEST(test_status_running)
{
        struct gun_status status = {
                .available = true, .state = "running", .step = 2, .step_count = 6,
                .muscle = "glute-med", .side = "right", .target_speed_ppm = 2400.4,
                .speed_ppm = 2391.6, .target_amplitude_mm = 14, .amplitude_mm = 13.86,
                .force_n = 21.34, .intensity = 4, .max_intensity = 5, .battery_percent = 76.6,
                .charging = true, .fault = "",
        };
        uint8_t record[STATUS_RECORD_SIZE];
        const uint8_t expected[STATUS_RECORD_SIZE] = {
                1, 2, 5, 2, 6, 3, 2,
                0x60, 0x09,     /* 2400 */
                0x58, 0x09,     /* 2392 */
                140, 139,
                0xd5, 0x00,     /* 21.3 N */
                4, 5, 77, 0, 1,
        };

        status_record_encode(&status, 5, record);
        ck_assert(memcmp(record, expected, sizeof(record)) == 0);
        ck_assert_uint_eq(battery_level(&status), 77);
}
END_TEST

START_TEST(test_status_codes)
{
        struct gun_status status = { .available = true, .state = "fault", .fault = "runaway",
                                     .battery_percent = NAN, .speed_ppm = -3, .muscle = "neck" };
        uint8_t record[STATUS_RECORD_SIZE];

        status_record_encode(&status, ROUTINE_NONE, record);
        ck_assert_uint_eq(record[1], GUN_FAULT);
        ck_assert_uint_eq(record[2], ROUTINE_NONE);
        ck_assert_uint_eq(record[5], 0xff);     /* a muscle of no code */
        ck_assert_uint_eq(record[9] | record[10], 0);   /* never negative */
        ck_assert_uint_eq(record[17], BATTERY_UNKNOWN);
        ck_assert_uint_eq(record[18], 6);
        ck_assert_uint_eq(gun_state_from_string("dancing"), GUN_STATE_OTHER);
        ck_assert_uint_eq(fault_code("sensor-lost"), 4);
        ck_assert_uint_eq(fault_code("something new"), 0xff);
}
END_TEST

START_TEST(test_routines_and_history_records)
{
        char *ids[] = { (char *)"calves", (char *)"manual" };
        char *titles[] = { (char *)"Calves", NULL };
        struct history_entry entry = { .start_usec = 0x0102030405060708ull, .routine = "calves",
                                       .seconds = 119.6, .steps_completed = 2 };
        struct byte_buffer routines = { 0 }, history = { 0 };
        const uint8_t expected_routines[] = { 1, 2, 6, 'c', 'a', 'l', 'v', 'e', 's', 6, 'C', 'a',
                                              'l', 'v', 'e', 's', 6, 'm', 'a', 'n', 'u', 'a', 'l', 0 };
        const uint8_t expected_history[] = { 1, 1, 8, 7, 6, 5, 4, 3, 2, 1, 120, 0, 0, 0, 2,
                                             6, 'c', 'a', 'l', 'v', 'e', 's' };

        ck_assert_int_eq(routines_record_encode(&routines, ids, titles, 2), 0);
        ck_assert_uint_eq(routines.size, sizeof(expected_routines));
        ck_assert(memcmp(routines.data, expected_routines, routines.size) == 0);
        ck_assert_int_eq(history_record_encode(&history, &entry, 1), 0);
        ck_assert_uint_eq(history.size, sizeof(expected_history));
        ck_assert(memcmp(history.data, expected_history, history.size) == 0);
        byte_buffer_free(&routines);
        byte_buffer_free(&history);
}
END_TEST

START_TEST(test_control_point_parse)
{
        struct control_request req;
        const uint8_t race[] = { 0x08, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0x0e };

        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x01, 6 }, 2, 7, &req), CONTROL_ACCEPTED);
        ck_assert_int_eq(req.opcode, CONTROL_START);
        ck_assert_uint_eq(req.routine_index, 6);
        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x01, 7 }, 2, 7, &req), CONTROL_OUT_OF_RANGE);
        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x06, 5 }, 2, 7, &req), CONTROL_ACCEPTED);
        ck_assert_uint_eq(req.intensity, 5);
        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x06, 0 }, 2, 7, &req), CONTROL_OUT_OF_RANGE);
        ck_assert_int_eq(control_point_parse(race, sizeof(race), 7, &req), CONTROL_ACCEPTED);
        ck_assert_uint_eq(req.race_usec, 0x0edcba9876543210ull);
        ck_assert_int_eq(control_point_parse(NULL, 0, 7, &req), CONTROL_BAD_LENGTH);
        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x02, 1 }, 2, 7, &req), CONTROL_BAD_LENGTH);
        ck_assert_int_eq(control_point_parse((const uint8_t[]){ 0x09 }, 1, 7, &req), CONTROL_UNKNOWN_OPCODE);
        for (uint8_t op = CONTROL_STOP; op <= CONTROL_NEXT; op++) {
                ck_assert_int_eq(control_point_parse(&op, 1, 7, &req), CONTROL_ACCEPTED);
                ck_assert_int_eq(req.opcode, op);
        }
        ck_assert_str_eq(control_refusal_error(CONTROL_BAD_LENGTH), "org.bluez.Error.InvalidValueLength");
        ck_assert_str_eq(control_refusal_error(CONTROL_UNKNOWN_OPCODE), "org.bluez.Error.NotSupported");
        ck_assert_str_eq(control_refusal_error(CONTROL_OUT_OF_RANGE), "org.bluez.Error.Failed");
}
END_TEST

START_TEST(test_control_results)
{
        ck_assert_int_eq(control_result_from_error(NULL), CONTROL_OK);
        ck_assert_int_eq(control_result_from_error("io.percussd.Error.Busy"), CONTROL_BUSY);
        ck_assert_int_eq(control_result_from_error("io.percussd.Error.Resting"), CONTROL_RESTING);
        ck_assert_int_eq(control_result_from_error("io.percussd.Error.BatteryLow"), CONTROL_BATTERY_LOW);
        ck_assert_int_eq(control_result_from_error("org.freedesktop.DBus.Error.ServiceUnknown"),
                         CONTROL_UNAVAILABLE);
        ck_assert_int_eq(control_result_from_error("io.percussd.Error.SomethingNew"), CONTROL_FAILED);
}
END_TEST

static Suite *records_suite(void)
{
        Suite *s = suite_create("ble-records");
        TCase *tc = tcase_create("records");

        tcase_add_test(tc, test_status_unavailable);
        tcase_add_test(tc, test_status_running);
        tcase_add_test(tc, test_status_codes);
        tcase_add_test(tc, test_routines_and_history_records);
        tcase_add_test(tc, test_control_point_parse);
        tcase_add_test(tc, test_control_results);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(records_suite());
}
