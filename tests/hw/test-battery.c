/* SPDX-License-Identifier: MIT */
/*
 * The battery gauges: the discharge curve's parser and interpolation, and
 * the power_supply and IIO voltage drivers against an emulated
 * /sys/class/power_supply/BAT0 (Documentation/ABI/testing/sysfs-class-power)
 * and IIO ADC in a private mount namespace: the readings, and the errors
 * naming the key and the file.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "drivers/battery-curve.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"
#include "drivers/hw-drivers.h"
#include "drivers/sim/sim-gun.h"

#define BAT "/sys/class/power_supply/BAT0"
#define ADC "/sys/bus/iio/devices/iio:device0"

static char error[512];

START_TEST(test_curve_interpolates_between_points)
{
        struct battery_curve c;

        ck_assert_int_eq(battery_curve_parse(&c, "3.3:0,3.6:10,3.7:50,4.2:100", error,
                                             sizeof(error)), 0);
        ck_assert_uint_eq(c.count, 4);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 3.3), 0, 1e-9);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 3.45), 5, 1e-9);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 3.65), 30, 1e-9);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 3.95), 75, 1e-9);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 4.2), 100, 1e-9);
        /* outside the curve: held at its ends */
        ck_assert_double_eq_tol(battery_curve_percent(&c, 2.9), 0, 1e-9);
        ck_assert_double_eq_tol(battery_curve_percent(&c, 4.35), 100, 1e-9);
}
END_TEST

START_TEST(test_curve_rejects_bad_text_naming_the_point)
{
        static const struct { const char *text, *error; } cases[] = {
                { "", "point 1 is missing: a curve needs two or more" },
                { "3.7:50", "point 2 is missing: a curve needs two or more" },
                { "3.3:0,3.3:10", "point 2 is not above the voltage before it" },
                { "3.3:20,3.6:10", "point 2 has less charge than the point before it" },
                { "3.3:0,3.6:110", "point 2 has no percentage 0–100 after its voltage" },
                { "3.3:0,abc:10", "point 2 has no voltage:percent, as in 3.7:50" },
                { "3.3-0,3.6:10", "point 1 has no voltage:percent, as in 3.7:50" },
                { "3.3:0,3.6:10,", "point 3 has no voltage:percent, as in 3.7:50" },
        };
        struct battery_curve c = { .count = 7 };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ck_assert_int_eq(battery_curve_parse(&c, cases[i].text, error, sizeof(error)),
                                 -EINVAL);
                ck_assert_str_eq(error, cases[i].error);
                ck_assert_uint_eq(c.count, 7); /* untouched */
        }
}
END_TEST

/* The simulated pack: a stalled motor draws V/R from the bus, which is
 * an exact figure to drain by; the charger adds its watts. */
START_TEST(test_sim_pack_drains_with_the_motor_and_fills_on_the_charger)
{
        static struct sim_gun gun;
        struct sim_gun_params p;
        bool charging;
        double stall_w, before;

        sim_gun_params_default(&p);
        sim_gun_init(&gun, &p, 1);
        ck_assert_double_eq(sim_gun_battery(&gun, &charging), 100.0);
        ck_assert(!charging);

        /* idle: nothing drawn */
        sim_gun_advance(&gun, 1.0);
        ck_assert_double_eq(sim_gun_battery(&gun, &charging), 100.0);

        sim_gun_set_jammed(&gun, true);
        sim_gun_set_enable(&gun, true);
        sim_gun_set_duty(&gun, 0.5);
        sim_gun_advance(&gun, 0.01); /* the current settles: L/R is 0.4 ms */
        before = sim_gun_battery(&gun, &charging);
        sim_gun_advance(&gun, 10.0);
        stall_w = p.bus_voltage_v * 0.5 * (0.5 * p.bus_voltage_v / p.resistance_ohm);
        ck_assert_double_eq_tol(before - sim_gun_battery(&gun, &charging),
                                100.0 * stall_w * 10.0 / 3600.0 / p.pack_capacity_wh, 1e-6);

        sim_gun_set_battery(&gun, 10.0);
        sim_gun_set_charger(&gun, true);
        sim_gun_set_enable(&gun, false);
        sim_gun_charge(&gun, 1800.0);
        ck_assert_double_eq_tol(sim_gun_battery(&gun, &charging),
                                10.0 + 100.0 * p.charger_w * 0.5 / p.pack_capacity_wh, 1e-9);
        ck_assert(charging);
        /* full: held at 100 %, no longer charging */
        sim_gun_charge(&gun, 36000.0);
        ck_assert_double_eq(sim_gun_battery(&gun, &charging), 100.0);
        ck_assert(!charging);
        sim_gun_set_charger(&gun, false);
        sim_gun_charge(&gun, 3600.0);
        ck_assert_double_eq(sim_gun_battery(&gun, &charging), 100.0);
        sim_gun_set_battery(&gun, -5.0);
        ck_assert_double_eq(sim_gun_battery(&gun, &charging), 0.0);
}
END_TEST

static void setup(void)
{
        static const char *const no_fifos[] = { NULL };

        fake_mount("/sys/class");
        fake_mount("/sys/bus");
        fake_dev_mount(no_fifos);
        fake_write(BAT "/type", "Battery\n");
        fake_write(BAT "/capacity", "87\n");
        fake_write(BAT "/status", "Discharging\n");
        fake_write(BAT "/voltage_now", "23400000\n");
        fake_write(ADC "/name", "battery-adc\n");
        /* 12-bit ADC, 0.805664 mV per count */
        fake_write(ADC "/in_voltage0_raw", "2000\n");
        fake_write(ADC "/in_voltage0_scale", "0.805664\n");
        error[0] = 0;
}

static void teardown(void)
{
        fake_umount("/dev");
        fake_umount("/sys/bus");
        fake_umount("/sys/class");
}

static struct hw_battery_config power_supply_config(void)
{
        struct hw_config c;

        hw_config_defaults(&c);
        c.battery.driver = HW_REAL;
        strcpy(c.battery.name, "BAT0");
        return c.battery;
}

START_TEST(test_power_supply_reads_capacity_and_status)
{
        struct hw_battery_config c = power_supply_config();
        struct battery_reading r;
        struct battery b;

        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(b.ops->name, "power-supply");
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert_double_eq(r.percent, 87);
        ck_assert(!r.charging);
        /* the pack's voltage, for the feed-forward and the force estimate */
        ck_assert_double_eq_tol(r.voltage_v, 23.4, 1e-9);

        fake_write(BAT "/capacity", "88\n");
        fake_write(BAT "/status", "Charging\n");
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert_double_eq(r.percent, 88);
        ck_assert(r.charging);

        fake_write(BAT "/status", "Full\n");
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert(!r.charging);
        fake_write(BAT "/status", "Not charging\n");
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert(!r.charging);
        b.ops->close(&b);
}
END_TEST

START_TEST(test_power_supply_without_capacity_uses_the_curve)
{
        struct hw_battery_config c = power_supply_config();
        struct battery_reading r;
        struct battery b;

        fake_umount("/sys/class");
        fake_mount("/sys/class");
        fake_write(BAT "/status", "Discharging\n");
        /* 6 cells of 3.75 V: halfway between 3.7 V (40 %) and 3.8 V (60 %) */
        fake_write(BAT "/voltage_now", "22500000\n");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), 0);
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert_double_eq_tol(r.percent, 50, 1e-9);
        b.ops->close(&b);
}
END_TEST

START_TEST(test_power_supply_later_garbage_is_an_error_not_a_value)
{
        struct hw_battery_config c = power_supply_config();
        struct battery_reading r = { .percent = 42 };
        struct battery b;

        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), 0);
        fake_write(BAT "/capacity", "lots\n");
        ck_assert_int_eq(b.ops->read(&b, &r), -EINVAL);
        fake_write(BAT "/capacity", "150\n");
        ck_assert_int_eq(b.ops->read(&b, &r), -ERANGE);
        fake_write(BAT "/capacity", "50\n");
        fake_write(BAT "/status", "Exploding\n");
        ck_assert_int_eq(b.ops->read(&b, &r), -EBADMSG);
        ck_assert_double_eq(r.percent, 42); /* untouched */
        b.ops->close(&b);
}
END_TEST

START_TEST(test_power_supply_open_errors_name_the_key_and_file)
{
        struct hw_battery_config c = power_supply_config();
        struct battery b = {0};

        c.name[0] = 0;
        ck_assert_int_lt(power_supply_battery_open(&b, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(error, "[Battery] Name \"\" is no power supply's name "
                                "(ls /sys/class/power_supply)");

        strcpy(c.name, "BAT9");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), -ENOENT);
        ck_assert_str_eq(error, "[Battery] Name=BAT9: no /sys/class/power_supply/BAT9 "
                                "(ls /sys/class/power_supply)");

        /* neither capacity nor voltage_now: the voltage it looked for is named */
        fake_mkdir(BAT "/../BAT1");
        strcpy(c.name, "BAT1");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), -ENOENT);
        ck_assert_str_eq(error, "[Battery] Name=BAT1: cannot read a charge from "
                                "/sys/class/power_supply/BAT1/voltage_now: No such file or directory");
        ck_assert_ptr_null(b.ops);

        strcpy(c.curve, "3.3:0");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), -EINVAL);
        ck_assert_str_eq(error, "[Battery] Curve \"3.3:0\": point 2 is missing: a curve needs "
                                "two or more");

        strcpy(c.name, "BAT0");
        fake_write(BAT "/capacity", "full\n");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), -EINVAL);
        ck_assert_str_eq(error, "[Battery] Name=BAT0: cannot read a charge from "
                                "/sys/class/power_supply/BAT0/capacity: not a percentage or voltage");

        fake_write(BAT "/capacity", "60\n");
        fake_write(BAT "/status", "?\n");
        ck_assert_int_eq(power_supply_battery_open(&b, &c, error, sizeof(error)), -EBADMSG);
        ck_assert_str_eq(error, "[Battery] Name=BAT0: cannot read /sys/class/power_supply/BAT0/"
                                "status: not Charging, Discharging, Full or Not charging");
        ck_assert_ptr_null(b.ops);
}
END_TEST

START_TEST(test_iio_voltage_through_divider_and_curve)
{
        struct hw_config c;
        struct battery_reading r;
        struct battery b;

        hw_config_defaults(&c);
        c.battery.driver = HW_IIO_VOLTAGE;
        strcpy(c.battery.device, "battery-adc");
        strcpy(c.battery.curve, "3.3:0,3.6:10,3.7:50,4.2:100");
        c.battery.divider = 14;
        /* 2000 counts · 0.805664 mV · 14 = 22.559 V, 3.760 V a cell: 56.0 % */
        ck_assert_int_eq(iio_voltage_battery_open(&b, &c.battery, error, sizeof(error)), 0);
        ck_assert_str_eq(b.ops->name, "iio-voltage");
        ck_assert_int_eq(b.ops->read(&b, &r), 0);
        ck_assert_double_eq_tol(r.percent, 50 + (2000 * 0.805664e-3 * 14 / 6 - 3.7) / 0.5 * 50,
                                1e-9);
        ck_assert(!r.charging);
        ck_assert_double_eq_tol(r.voltage_v, 2000 * 0.805664e-3 * 14, 1e-9);

        fake_write(ADC "/in_voltage0_raw", "?\n");
        ck_assert_int_eq(b.ops->read(&b, &r), -EBADMSG);
        b.ops->close(&b);

        strcpy(c.battery.channel, "voltage3");
        ck_assert_int_lt(iio_voltage_battery_open(&b, &c.battery, error, sizeof(error)), 0);
        ck_assert_str_eq(error, "[Battery] Channel: IIO device battery-adc has no input channel "
                                "voltage3 (no in_voltage3_raw)");
        ck_assert_ptr_null(b.ops);
}
END_TEST

static Suite *battery_suite(void)
{
        Suite *s = suite_create("battery");
        TCase *curve = tcase_create("curve");
        TCase *sysfs = tcase_create("sysfs");

        tcase_add_test(curve, test_curve_interpolates_between_points);
        tcase_add_test(curve, test_curve_rejects_bad_text_naming_the_point);
        tcase_add_test(curve, test_sim_pack_drains_with_the_motor_and_fills_on_the_charger);
        suite_add_tcase(s, curve);
        tcase_add_checked_fixture(sysfs, setup, teardown);
        tcase_add_test(sysfs, test_power_supply_reads_capacity_and_status);
        tcase_add_test(sysfs, test_power_supply_without_capacity_uses_the_curve);
        tcase_add_test(sysfs, test_power_supply_later_garbage_is_an_error_not_a_value);
        tcase_add_test(sysfs, test_power_supply_open_errors_name_the_key_and_file);
        tcase_add_test(sysfs, test_iio_voltage_through_divider_and_curve);
        suite_add_tcase(s, sysfs);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(battery_suite());
}
