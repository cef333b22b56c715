/* SPDX-License-Identifier: MIT */
/*
 * The counter-subsystem encoder (the BeagleBone's eQEP) against an
 * emulated /sys/bus/counter/devices/counter0 (Documentation/ABI/testing/
 * sysfs-bus-counter) in a private mount namespace: how it sets the count
 * up, the angle it reads, its RT read allocating nothing, and the errors
 * naming the configuration key.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"
#include "tests/fixtures/heap-count.h"
#include "drivers/hw-drivers.h"

#define DEVICE "/sys/bus/counter/devices/counter0"
#define COUNT DEVICE "/count0"

static char error[512];

static void setup(void)
{
        fake_mount("/sys/bus");
        /* ti-eqep: named after its device, its position maximum 0 at reset */
        fake_write(DEVICE "/name", "48304180.counter\n");
        fake_write(COUNT "/count", "0\n");
        fake_write(COUNT "/ceiling", "0\n");
        fake_write(COUNT "/enable", "0\n");
        fake_write(COUNT "/function", "quadrature x4\n");
        fake_write("/sys/bus/counter/devices/counter1/name", "104-quad-8\n");
        error[0] = 0;
}

static void teardown(void)
{
        fake_umount("/sys/bus");
}

static struct hw_encoder_config eqep(void)
{
        struct hw_config c;

        hw_config_defaults(&c);
        c.encoder.driver = HW_COUNTER;
        snprintf(c.encoder.device, sizeof(c.encoder.device), "48304180.counter");
        snprintf(c.encoder.channel, sizeof(c.encoder.channel), "count0");
        c.encoder.counts_per_rev = 4096;
        return c.encoder;
}

static double read_angle(struct encoder *enc, const char *count)
{
        struct encoder_sample sample = { 0 };

        fake_write(COUNT "/count", count);
        ck_assert_int_eq(enc->ops->read(enc, &sample), 0);
        ck_assert_uint_gt(sample.time_ns, 0);
        return sample.value;
}

START_TEST(test_set_up_to_wrap_once_a_revolution)
{
        struct hw_encoder_config c = eqep();
        struct encoder enc;

        fake_clear(COUNT "/function");
        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(COUNT "/ceiling"), "4095\n");
        ck_assert_str_eq(fake_read(COUNT "/function"), "quadrature x4\n");
        ck_assert_str_eq(fake_read(COUNT "/enable"), "1\n");
        ck_assert_int_eq(enc.quantity, ENCODER_ANGLE);
        ck_assert_double_eq_tol(enc.resolution, 2 * M_PI / 4096, 1e-15);
        ck_assert_str_eq(enc.ops->name, "counter");
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_angle_from_the_count)
{
        struct hw_encoder_config c = eqep();
        struct encoder enc;

        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), 0);
        ck_assert_double_eq(read_angle(&enc, "0\n"), 0.0);
        ck_assert_double_eq_tol(read_angle(&enc, "1024\n"), M_PI / 2, 1e-12);
        ck_assert_double_eq_tol(read_angle(&enc, "4095\n"), 2 * M_PI * 4095 / 4096, 1e-12);
        /* a counter wrapping at its own width instead: still one turn */
        ck_assert_double_eq_tol(read_angle(&enc, "5120\n"), M_PI / 2, 1e-12);
        ck_assert_double_eq_tol(read_angle(&enc, "4294967295\n"), 2 * M_PI * 4095 / 4096, 1e-12);
        /* without its newline too */
        ck_assert_double_eq_tol(read_angle(&enc, "2048"), M_PI, 1e-12);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_garbage_is_a_read_error)
{
        struct hw_encoder_config c = eqep();
        struct encoder_sample sample;
        struct encoder enc;

        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), 0);
        fake_write(COUNT "/count", "-3\n");
        ck_assert_int_eq(enc.ops->read(&enc, &sample), -EBADMSG);
        fake_write(COUNT "/count", "12ab\n");
        ck_assert_int_eq(enc.ops->read(&enc, &sample), -EBADMSG);
        fake_write(COUNT "/count", "");
        ck_assert_int_eq(enc.ops->read(&enc, &sample), -EBADMSG);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_read_allocates_nothing)
{
        struct hw_encoder_config c = eqep();
        struct encoder_sample sample;
        struct encoder enc;
        unsigned long calls;
        int failed = 0;

        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), 0);
        fake_write(COUNT "/count", "1234\n");
        /* no ck_assert inside: Check's own bookkeeping allocates */
        heap_count_start();
        for (int i = 0; i < 1000; i++)
                failed += enc.ops->read(&enc, &sample) < 0;
        calls = heap_count_stop();
        ck_assert_int_eq(failed, 0);
        ck_assert_uint_eq(calls, 0);
        ck_assert_uint_gt(heap_count_all(), 0);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_errors_name_the_key)
{
        struct hw_encoder_config c = eqep();
        struct encoder enc;

        snprintf(c.device, sizeof(c.device), "48302180.counter");
        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), -ENODEV);
        ck_assert_msg(strstr(error, "[Encoder] Device=48302180.counter: no counter device of that "
                                    "name (there are: ") &&
                              strstr(error, "48304180.counter") && strstr(error, "104-quad-8"),
                      "%s", error);

        c = eqep();
        snprintf(c.channel, sizeof(c.channel), "angl0");
        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), -EINVAL);
        ck_assert_str_eq(error, "[Encoder] Channel=angl0: a counter's count is count<N>");

        c = eqep();
        snprintf(c.channel, sizeof(c.channel), "count2");
        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Encoder] Channel=count2: 48304180.counter has no such count"),
                      "%s", error);

        c = eqep();
        c.counts_per_rev = 1000.5;
        ck_assert_int_eq(counter_encoder_open(&enc, &c, error, sizeof(error)), -EINVAL);
        ck_assert_str_eq(error, "[Encoder] CountsPerRevolution=1000.5: a whole number of counts is "
                                "needed");
}
END_TEST

START_TEST(test_hw_gun_opens_the_counter)
{
        struct hw_config c;
        struct gun gun, simulated = { 0 };

        hw_config_defaults(&c);
        c.encoder = eqep();
        c.imu.driver = c.motor.driver = c.stroke.driver = HW_SIMULATED;
        c.buttons.driver = c.leds.driver = HW_SIMULATED;
        ck_assert_int_eq(hw_gun_open(&gun, &c, &simulated, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(gun.encoder.ops->name, "counter");
        ck_assert(!gun.simulated);
        gun_close(&gun);
}
END_TEST

static Suite *counter_suite(void)
{
        Suite *s = suite_create("counter");
        TCase *tc = tcase_create("eqep");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_set_up_to_wrap_once_a_revolution);
        tcase_add_test(tc, test_angle_from_the_count);
        tcase_add_test(tc, test_garbage_is_a_read_error);
        if (HEAP_COUNT_WORKS)
                tcase_add_test(tc, test_read_allocates_nothing);
        tcase_add_test(tc, test_errors_name_the_key);
        tcase_add_test(tc, test_hw_gun_opens_the_counter);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(counter_suite());
}
