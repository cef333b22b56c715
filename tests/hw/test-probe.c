/* SPDX-License-Identifier: MIT */
/*
 * percussd --probe on an emulated board (a fake sysfs in a private mount
 * namespace): an MPU-6050 with its buffer and timestamp, an AS5047
 * encoder's angle channel, an ADC's voltage, a PWM chip of two channels, a
 * battery gauge and a thermal zone are listed, and the draft
 * configuration names each, and is one percussd reads without a bad line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/bringup/probe.h"
#include "daemon/settings.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"

#define IMU "/sys/bus/iio/devices/iio:device0"
#define ENC "/sys/bus/iio/devices/iio:device1"
#define ADC "/sys/bus/iio/devices/iio:device2"

static void setup(void)
{
        static const char *const no_fifos[] = { NULL };
        static const char *const axes[] = { "accel_x", "accel_y", "accel_z",
                                            "anglvel_x", "anglvel_y", "anglvel_z" };
        char path[160];

        fake_mount("/sys/class");
        fake_mount("/sys/bus");
        fake_dev_mount(no_fifos);
        fake_write(IMU "/name", "mpu6050\n");
        for (size_t i = 0; i < sizeof(axes) / sizeof(axes[0]); i++) {
                snprintf(path, sizeof(path), IMU "/in_%s_raw", axes[i]);
                fake_write(path, "0\n");
                snprintf(path, sizeof(path), IMU "/scan_elements/in_%s_type", axes[i]);
                fake_write(path, "be:s16/16>>0\n");
        }
        fake_write(IMU "/scan_elements/in_timestamp_en", "0\n");
        fake_write(IMU "/buffer/enable", "0\n");
        fake_write(IMU "/trigger/current_trigger", "mpu6050-dev0\n");
        fake_write("/sys/bus/iio/devices/trigger0/name", "mpu6050-dev0\n");
        fake_write(ENC "/name", "as5047\n");
        fake_write(ENC "/in_angl0_raw", "1234\n");
        fake_write(ADC "/name", "ads1015\n");
        fake_write(ADC "/in_voltage0_raw", "2000\n");
        fake_write("/sys/class/pwm/pwmchip0/npwm", "2\n");
        fake_write("/sys/class/power_supply/BAT0/type", "Battery\n");
        fake_write("/sys/class/power_supply/BAT0/capacity", "87\n");
        fake_write("/sys/class/power_supply/BAT0/voltage_now", "23400000\n");
        fake_write("/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
        fake_write("/sys/class/thermal/thermal_zone0/temp", "41500\n");
}

static void teardown(void)
{
        fake_umount("/dev");
        fake_umount("/sys/bus");
        fake_umount("/sys/class");
}

static char *probe_text(void)
{
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);

        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(probe_board(out), 0);
        ck_assert_int_eq(fclose(out), 0);
        return text;
}

static void expect(const char *text, const char *line)
{
        if (!strstr(text, line))
                fprintf(stderr, "%s", text);
        ck_assert_msg(strstr(text, line), "--probe does not say what the board has (its output above)");
}

START_TEST(test_lists_the_board)
{
        char *text = probe_text();

        expect(text, "iio:device0: mpu6050; buffer yes, timestamp yes, trigger mpu6050-dev0\n");
        expect(text, "    accel_x      scan be:s16/16>>0\n");
        expect(text, "    anglvel_z    scan be:s16/16>>0\n");
        expect(text, "iio:device1: as5047; buffer no, timestamp no\n");
        expect(text, "    angl0\n");
        expect(text, "iio:device2: ads1015; buffer no, timestamp no\n");
        expect(text, "    voltage0\n");
        expect(text, "trigger0: mpu6050-dev0\n");
        expect(text, "pwmchip0: 2 channels\n");
        expect(text, "GPIO chips (/dev/gpiochip*):\n  none\n");
        expect(text, "BAT0: Battery, 87 %, 23.400 V\n");
        expect(text, "thermal_zone0: cpu-thermal, 41.5 °C\n");
        free(text);
}
END_TEST

/* The draft is a configuration: read back, every line applies. */
START_TEST(test_draft_configuration)
{
        char *text = probe_text(), *draft = strstr(text, "\n# A draft percussd.conf");
        struct settings s;
        FILE *f;

        ck_assert_ptr_nonnull(draft);
        expect(draft, "[Encoder]\nDriver=iio\nDevice=as5047\nChannel=angl0\n");
        expect(draft, "[IMU]\nDriver=iio\nDevice=mpu6050\nBuffered=yes\n");
        expect(draft, "ThermalZone=/sys/class/thermal/thermal_zone0\n");
        expect(draft, "[Motor]\nDriver=pwm\nPWMChip=0\nPWMChannel=0\n");
        expect(draft, "[Stroke]\nDriver=pwm\nPWMChip=0\nPWMChannel=1\n");
        expect(draft, "[Battery]\nDriver=power-supply\nName=BAT0\n");
        f = fopen("/tmp/percussd-probe-draft.conf", "we");
        ck_assert_ptr_nonnull(f);
        fputs(draft, f);
        ck_assert_int_eq(fclose(f), 0);
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, "/tmp/percussd-probe-draft.conf"), 0);
        ck_assert_str_eq(s.hw.imu.device, "mpu6050");
        ck_assert_str_eq(s.hw.encoder.device, "as5047");
        ck_assert_uint_eq(s.hw.stroke.pwm.channel, 1);
        unlink("/tmp/percussd-probe-draft.conf");
        free(text);
}
END_TEST

/* Without a gauge, the ADC's voltage channel is the battery. */
START_TEST(test_voltage_channel_without_gauge)
{
        char *text;

        fake_umount("/sys/class");
        fake_mount("/sys/class");
        text = probe_text();
        expect(text, "[Battery]\nDriver=iio\nDevice=ads1015\nChannel=voltage0\n");
        expect(text, "[Motor]\n# no PWM chip found\n");
        free(text);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("probe");
        TCase *tc = tcase_create("probe");

        if (!fake_sysfs_enter())
                return 0;
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_lists_the_board);
        tcase_add_test(tc, test_draft_configuration);
        tcase_add_test(tc, test_voltage_channel_without_gauge);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
