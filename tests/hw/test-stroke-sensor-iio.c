/* SPDX-License-Identifier: MIT */
/*
 * The IIO stroke-sensor driver through the real libiio local backend,
 * against an ADS1115 emulated as the kernel's ads1015 driver lays it out
 * (Documentation/ABI/testing/sysfs-bus-iio): in_voltage0_raw, a scale of
 * 0.125 mV a count (its ±4.096 V range), a 16-bit signed scan element and
 * /dev/iio:deviceN as a FIFO the test writes scans into. Raw reads and
 * buffered ones give volts; a buffer with nothing new gives the last
 * reading with its time (the control period's silence); a channel that
 * does not exist, or is no voltage, is refused naming the key.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"
#include "drivers/hw-drivers.h"

#define ADC "/sys/bus/iio/devices/iio:device0"
#define ADC_DEV "/dev/iio:device0"

static char error[512];
static int adc_fifo = -1;

static void setup(void)
{
        static const char *const fifos[] = { ADC_DEV, NULL };

        fake_mount("/sys/bus");
        fake_dev_mount(fifos);
        adc_fifo = open(ADC_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        ck_assert_int_ge(adc_fifo, 0);
        fake_write(ADC "/name", "ads1115\n");
        fake_write(ADC "/in_voltage0_raw", "8000\n");
        fake_write(ADC "/in_voltage0_scale", "0.125000000\n");
        fake_write(ADC "/scan_elements/in_voltage0_en", "0\n");
        fake_write(ADC "/scan_elements/in_voltage0_index", "0\n");
        fake_write(ADC "/scan_elements/in_voltage0_type", "le:s16/16>>0\n");
        fake_write(ADC "/buffer/enable", "0\n");
        fake_write(ADC "/buffer/length", "0\n");
        error[0] = 0;
}

static void teardown(void)
{
        close(adc_fifo);
        fake_umount("/dev");
        fake_umount("/sys/bus");
}

static struct hw_stroke_sensor_config sensor_config(const char *channel, bool buffered)
{
        struct hw_config c;

        hw_config_defaults(&c);
        c.stroke_sensor.driver = HW_REAL;
        snprintf(c.stroke_sensor.device, sizeof(c.stroke_sensor.device), "ads1115");
        snprintf(c.stroke_sensor.channel, sizeof(c.stroke_sensor.channel), "%s", channel);
        c.stroke_sensor.buffered = buffered;
        return c.stroke_sensor;
}

static void push_s16(int16_t v)
{
        ck_assert_int_eq(write(adc_fifo, &v, sizeof(v)), sizeof(v));
}

START_TEST(test_raw_reads_give_volts)
{
        struct hw_stroke_sensor_config c = sensor_config("voltage0", false);
        struct stroke_sensor sensor;
        struct stroke_sensor_sample first, second;

        ck_assert_int_eq(iio_stroke_sensor_open(&sensor, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(sensor.ops->name, "iio-stroke-sensor (raw reads)");
        /* 8000 counts × 0.125 mV */
        ck_assert_int_eq(sensor.ops->read(&sensor, &first), 0);
        ck_assert_double_eq_tol(first.volts, 1.0, 1e-12);
        fake_write(ADC "/in_voltage0_raw", "17000\n");
        ck_assert_int_eq(sensor.ops->read(&sensor, &second), 0);
        ck_assert_double_eq_tol(second.volts, 2.125, 1e-12);
        ck_assert_uint_ge(second.time_ns, first.time_ns);
        /* a garbled value is an error, never a stroke */
        fake_write(ADC "/in_voltage0_raw", "?\n");
        ck_assert_int_eq(sensor.ops->read(&sensor, &second), -EBADMSG);
        sensor.ops->close(&sensor);
}
END_TEST

START_TEST(test_buffered_reads_the_newest_scan)
{
        struct hw_stroke_sensor_config c = sensor_config("voltage0", true);
        struct stroke_sensor sensor;
        struct stroke_sensor_sample s, again;

        ck_assert_int_eq(iio_stroke_sensor_open(&sensor, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(sensor.ops->name, "iio-stroke-sensor (buffered)");
        ck_assert_str_eq(fake_read(ADC "/scan_elements/in_voltage0_en"), "1");
        ck_assert_str_eq(fake_read(ADC "/buffer/enable"), "1");
        /* nothing captured yet: nothing to say */
        ck_assert_int_eq(sensor.ops->read(&sensor, &s), -EAGAIN);
        push_s16(8000);
        push_s16(12000);
        ck_assert_int_eq(sensor.ops->read(&sensor, &s), 0);
        ck_assert_double_eq_tol(s.volts, 1.5, 1e-12);
        /* nothing new: the same reading at the same time, which the
         * control period counts as a silent sensor once it lasts */
        ck_assert_int_eq(sensor.ops->read(&sensor, &again), 0);
        ck_assert_uint_eq(again.time_ns, s.time_ns);
        ck_assert_double_eq(again.volts, s.volts);
        push_s16(-800);
        ck_assert_int_eq(sensor.ops->read(&sensor, &again), 0);
        ck_assert_double_eq_tol(again.volts, -0.1, 1e-12);
        ck_assert_uint_gt(again.time_ns, s.time_ns);
        sensor.ops->close(&sensor);
}
END_TEST

START_TEST(test_missing_channel_names_the_key)
{
        struct hw_stroke_sensor_config c = sensor_config("voltage3", false);
        struct stroke_sensor sensor = {0};

        ck_assert_int_lt(iio_stroke_sensor_open(&sensor, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(error, "[StrokeSensor] Channel: IIO device ads1115 has no input channel "
                                "voltage3 (no in_voltage3_raw)");
        ck_assert_ptr_null(sensor.ops);

        c = sensor_config("angl0", false);
        ck_assert_int_eq(iio_stroke_sensor_open(&sensor, &c, error, sizeof(error)), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "[StrokeSensor] Channel=angl0: expected voltage<N>"));

        c = sensor_config("voltage0", false);
        snprintf(c.device, sizeof(c.device), "ads1015");
        ck_assert_int_lt(iio_stroke_sensor_open(&sensor, &c, error, sizeof(error)), 0);
        ck_assert_ptr_nonnull(strstr(error, "[StrokeSensor] Device"));
        ck_assert_ptr_nonnull(strstr(error, "ads1015"));
}
END_TEST

static Suite *stroke_sensor_iio_suite(void)
{
        Suite *s = suite_create("stroke-sensor-iio");
        TCase *tc = tcase_create("ads1115");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_raw_reads_give_volts);
        tcase_add_test(tc, test_buffered_reads_the_newest_scan);
        tcase_add_test(tc, test_missing_channel_names_the_key);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(stroke_sensor_iio_suite());
}
