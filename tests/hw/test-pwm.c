/* SPDX-License-Identifier: MIT */
/*
 * The sysfs PWM motor and stroke drivers against an emulated pwmchip0
 * (Documentation/ABI/testing/sysfs-class-pwm) in a private mount
 * namespace: the exact values they write, the export, and the errors
 * naming the configuration key.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"
#include "tests/fixtures/heap-count.h"
#include "drivers/hw-drivers.h"

#define CHIP "/sys/class/pwm/pwmchip0"

static char error[512];

static void setup(void)
{
        fake_mount("/sys/class");
        fake_write(CHIP "/npwm", "2\n");
        fake_write(CHIP "/export", "");
        fake_write(CHIP "/unexport", "");
        /* an exported channel: the kernel makes pwm0 when "0" is written to export */
        fake_write(CHIP "/pwm0/period", "");
        fake_write(CHIP "/pwm0/duty_cycle", "");
        fake_write(CHIP "/pwm0/enable", "");
        error[0] = 0;
}

static void teardown(void)
{
        fake_umount("/sys/class");
}

static struct hw_config defaults(void)
{
        struct hw_config c;

        hw_config_defaults(&c);
        c.stroke.pwm.channel = 0;
        return c;
}

START_TEST(test_motor_open_sets_period_duty_0_enabled)
{
        struct hw_config c = defaults();
        struct motor motor;

        ck_assert_int_eq(pwm_motor_open(&motor, &c.motor, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/period"), "50000\n");
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "0\n");
        ck_assert_str_eq(fake_read(CHIP "/pwm0/enable"), "1\n");
        /* already exported: left as it is */
        ck_assert_str_eq(fake_read(CHIP "/export"), "");
        motor.ops->close(&motor);
        ck_assert_str_eq(fake_read(CHIP "/unexport"), "");
}
END_TEST

START_TEST(test_motor_duty_written_in_ns)
{
        struct hw_config c = defaults();
        struct motor motor;

        c.motor.pwm.period_ns = 40000;
        ck_assert_int_eq(pwm_motor_open(&motor, &c.motor, error, sizeof(error)), 0);
        ck_assert_int_eq(motor.ops->set_enable(&motor, true), 0);

        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(motor.ops->set_duty(&motor, 0.5), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "20000\n");

        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(motor.ops->set_duty(&motor, 0.123456), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "4938\n");

        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(motor.ops->set_duty(&motor, 1.0), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "40000\n");

        /* out of range: refused, nothing written */
        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(motor.ops->set_duty(&motor, 1.01), -EINVAL);
        ck_assert_int_eq(motor.ops->set_duty(&motor, -0.1), -EINVAL);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "");

        /* off: duty 0 */
        ck_assert_int_eq(motor.ops->set_enable(&motor, false), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "0\n");

        fake_clear(CHIP "/pwm0/duty_cycle");
        fake_clear(CHIP "/pwm0/enable");
        motor.ops->close(&motor);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "0\n");
        ck_assert_str_eq(fake_read(CHIP "/pwm0/enable"), "0\n");
}
END_TEST

START_TEST(test_motor_exports_a_channel)
{
        struct hw_config c = defaults();
        struct motor motor;

        /* nothing makes pwm1 here, as a kernel would: the driver says so */
        c.motor.pwm.channel = 1;
        ck_assert_int_eq(pwm_motor_open(&motor, &c.motor, error, sizeof(error)), -ENOENT);
        ck_assert_str_eq(fake_read(CHIP "/export"), "1");
        ck_assert_msg(strstr(error, "[Motor] PWMChannel=1: exported, but "
                             "/sys/class/pwm/pwmchip0/pwm1 is not there"), "%s", error);
        /* what was exported is unexported */
        ck_assert_str_eq(fake_read(CHIP "/unexport"), "1");
}
END_TEST

START_TEST(test_missing_chip_and_channel_name_the_key)
{
        struct hw_config c = defaults();
        struct motor motor;
        struct stroke stroke;

        c.motor.pwm.chip = 3;
        ck_assert_int_eq(pwm_motor_open(&motor, &c.motor, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Motor] PWMChip=3: no PWM chip /sys/class/pwm/pwmchip3"),
                      "%s", error);

        c.stroke.pwm.channel = 2;
        ck_assert_int_eq(pwm_stroke_open(&stroke, &c.stroke, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Stroke] PWMChannel=2: pwmchip0 has 2 channels (npwm), 0 to 1"),
                      "%s", error);
        ck_assert_str_eq(fake_read(CHIP "/export"), "");
}
END_TEST

START_TEST(test_stroke_position_is_the_pulse_width)
{
        struct hw_config c = defaults();
        struct stroke stroke;

        ck_assert_int_eq(pwm_stroke_open(&stroke, &c.stroke, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/period"), "20000000\n");
        ck_assert_double_eq(stroke.min_mm, 4);
        ck_assert_double_eq(stroke.max_mm, 16);

        ck_assert_int_eq(stroke.ops->set_position(&stroke, 0.0), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "1000000\n");
        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(stroke.ops->set_position(&stroke, 0.25), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "1250000\n");
        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(stroke.ops->set_position(&stroke, 1.0), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "2000000\n");
        /* the same position again: the duty is already there */
        fake_clear(CHIP "/pwm0/duty_cycle");
        ck_assert_int_eq(stroke.ops->set_position(&stroke, 1.0), 0);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/duty_cycle"), "");
        ck_assert_int_eq(stroke.ops->set_position(&stroke, 1.5), -EINVAL);
        stroke.ops->close(&stroke);
}
END_TEST

START_TEST(test_stroke_pulses_must_fit_the_period)
{
        struct hw_config c = defaults();
        struct stroke stroke;

        c.stroke.pulse_max_ns = 30000000;
        ck_assert_int_eq(pwm_stroke_open(&stroke, &c.stroke, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[Stroke] PulseMin=1000000, PulseMax=30000000, Period=20000000"),
                      "%s", error);
        c = defaults();
        c.stroke.min_mm = 20;
        ck_assert_int_eq(pwm_stroke_open(&stroke, &c.stroke, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[Stroke] StrokeMin=20, StrokeMax=16"), "%s", error);
        /* nothing touched */
        ck_assert_str_eq(fake_read(CHIP "/pwm0/period"), "");
}
END_TEST

START_TEST(test_gun_opens_the_configured_kinds)
{
        struct hw_config c = defaults();
        struct gun sim = {0}, gun;

        c.encoder.driver = HW_SIMULATED;
        c.imu.driver = HW_SIMULATED;
        c.stroke.driver = HW_SIMULATED;
        c.buttons.driver = HW_SIMULATED;
        c.leds.driver = HW_SIMULATED;
        ck_assert_int_eq(hw_gun_open(&gun, &c, &sim, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(gun.motor.ops->name, "pwm-motor");
        ck_assert_ptr_null(gun.stroke.ops);
        ck_assert(!gun.simulated);
        gun_close(&gun);

        c.motor.pwm.chip = 1;
        ck_assert_int_eq(hw_gun_open(&gun, &c, &sim, 1000, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Motor] PWMChip=1"), "%s", error);
        ck_assert_ptr_null(gun.motor.ops);
}
END_TEST

/* What ClearFault does after a device went away: the real control kinds
 * closed (the motor's PWM output off) and opened again, a simulated kind
 * left alone; a channel that is gone fails the open, naming its key, and
 * the kinds opened before it are closed again. */
START_TEST(test_control_kinds_closed_and_opened_again)
{
        static const struct encoder_ops sim_encoder_ops = { .name = "simulated" };
        struct hw_config c = defaults();
        struct gun sim = { .encoder = { .ops = &sim_encoder_ops } }, gun;

        c.encoder.driver = HW_SIMULATED;
        c.imu.driver = HW_SIMULATED;
        c.buttons.driver = HW_SIMULATED;
        c.leds.driver = HW_SIMULATED;
        c.stroke.pwm.channel = 1;
        fake_write(CHIP "/pwm1/period", "");
        fake_write(CHIP "/pwm1/duty_cycle", "");
        fake_write(CHIP "/pwm1/enable", "");
        ck_assert_int_eq(hw_gun_open(&gun, &c, &sim, 1000, error, sizeof(error)), 0);
        ck_assert_ptr_eq(gun.encoder.ops, &sim_encoder_ops);

        hw_gun_close_control(&gun, &c);
        ck_assert_ptr_null(gun.motor.ops);
        ck_assert_ptr_null(gun.stroke.ops);
        ck_assert_ptr_eq(gun.encoder.ops, &sim_encoder_ops);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/enable"), "0\n");
        ck_assert_str_eq(fake_read(CHIP "/pwm1/enable"), "0\n");

        ck_assert_int_eq(system("rm -r " CHIP "/pwm1"), 0);
        ck_assert_int_eq(hw_gun_open_control(&gun, &c, 1000, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Stroke] PWMChannel=1: exported, but " CHIP "/pwm1 is not "
                                    "there"), "%s", error);
        ck_assert_ptr_null(gun.motor.ops);
        ck_assert_str_eq(fake_read(CHIP "/pwm0/enable"), "0\n");
        ck_assert_ptr_eq(gun.encoder.ops, &sim_encoder_ops);

        fake_write(CHIP "/pwm1/period", "");
        fake_write(CHIP "/pwm1/duty_cycle", "");
        fake_write(CHIP "/pwm1/enable", "");
        ck_assert_int_eq(hw_gun_open_control(&gun, &c, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(gun.motor.ops->name, "pwm-motor");
        ck_assert_str_eq(gun.stroke.ops->name, "pwm-stroke");
        ck_assert_str_eq(fake_read(CHIP "/pwm0/enable"), "1\n");
        ck_assert_str_eq(fake_read(CHIP "/pwm1/enable"), "1\n");
        gun_close(&gun);
}
END_TEST

#if HEAP_COUNT_WORKS
/* The writes the control thread makes allocate nothing. */
START_TEST(test_rt_writes_make_no_heap_call)
{
        struct hw_config c = defaults();
        struct motor motor;
        struct stroke stroke;
        unsigned long before = heap_count_all();
        void *volatile block;

        fake_write(CHIP "/pwm1/period", "");
        fake_write(CHIP "/pwm1/duty_cycle", "");
        fake_write(CHIP "/pwm1/enable", "");
        c.stroke.pwm.channel = 1;
        ck_assert_int_eq(pwm_motor_open(&motor, &c.motor, error, sizeof(error)), 0);
        ck_assert_int_eq(pwm_stroke_open(&stroke, &c.stroke, error, sizeof(error)), 0);
        int failed = 0;
        unsigned long calls;

        /* no assertion inside: Check's own bookkeeping allocates */
        heap_count_start();
        for (int i = 0; i <= 100; i++) {
                failed |= motor.ops->set_enable(&motor, true);
                failed |= motor.ops->set_duty(&motor, i / 100.0);
                failed |= stroke.ops->set_position(&stroke, i / 100.0);
                failed |= motor.ops->set_enable(&motor, false);
        }
        calls = heap_count_stop();
        ck_assert_int_eq(failed, 0);
        ck_assert_uint_eq(calls, 0);
        block = malloc(16);
        free(block);
        ck_assert_uint_gt(heap_count_all(), before);
        ck_assert_str_eq(fake_read(CHIP "/pwm1/duty_cycle"), "2000000\n");
        motor.ops->close(&motor);
        stroke.ops->close(&stroke);
}
END_TEST
#endif

static Suite *pwm_suite(void)
{
        Suite *s = suite_create("pwm");
        TCase *tc = tcase_create("sysfs");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_motor_open_sets_period_duty_0_enabled);
        tcase_add_test(tc, test_motor_duty_written_in_ns);
        tcase_add_test(tc, test_motor_exports_a_channel);
        tcase_add_test(tc, test_missing_chip_and_channel_name_the_key);
        tcase_add_test(tc, test_stroke_position_is_the_pulse_width);
        tcase_add_test(tc, test_stroke_pulses_must_fit_the_period);
        tcase_add_test(tc, test_gun_opens_the_configured_kinds);
        tcase_add_test(tc, test_control_kinds_closed_and_opened_again);
#if HEAP_COUNT_WORKS
        tcase_add_test(tc, test_rt_writes_make_no_heap_call);
#endif
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(pwm_suite());
}
