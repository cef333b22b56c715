/* SPDX-License-Identifier: MIT */
/*
 * The IIO encoder and IMU drivers through the real libiio local backend,
 * against devices emulated in a private mount namespace: a tmpfs over
 * /sys/bus holds their sysfs files (Documentation/ABI/testing/
 * sysfs-bus-iio; every value ends in a newline, as the kernel's do), and
 * one over /dev holds /dev/iio:deviceN as a FIFO the test writes scans
 * into. libiio finds the FIFO has no high-speed (mmap) interface and
 * reads it as it reads a kernel buffer without one.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/fake-sysfs.h"
#include "tests/fixtures/heap-count.h"
#include "drivers/hw-drivers.h"

#define ENC "/sys/bus/iio/devices/iio:device0"
#define IMU "/sys/bus/iio/devices/iio:device1"
#define ENC_DEV "/dev/iio:device0"
#define IMU_DEV "/dev/iio:device1"

static char error[512];
static int enc_fifo = -1, imu_fifo = -1;

static void encoder_device(const char *channel, const char *type, const char *scale)
{
        char path[256];

        fake_write(ENC "/name", "encoder-test\n");
        snprintf(path, sizeof(path), ENC "/in_%s_raw", channel);
        fake_write(path, "0\n");
        if (scale) {
                snprintf(path, sizeof(path), ENC "/in_%s_scale", channel);
                fake_write(path, scale);
        }
        snprintf(path, sizeof(path), ENC "/scan_elements/in_%s_en", channel);
        fake_write(path, "0\n");
        snprintf(path, sizeof(path), ENC "/scan_elements/in_%s_index", channel);
        fake_write(path, "0\n");
        snprintf(path, sizeof(path), ENC "/scan_elements/in_%s_type", channel);
        fake_write(path, type);
        fake_write(ENC "/buffer/enable", "0\n");
        fake_write(ENC "/buffer/length", "0\n");
        fake_write(ENC "/sampling_frequency", "100\n");
}

static void imu_device(void)
{
        static const char *const ids[6] = { "accel_x", "accel_y", "accel_z",
                                            "anglvel_x", "anglvel_y", "anglvel_z" };
        char path[256], text[16];

        fake_write(IMU "/name", "imu-test\n");
        for (int i = 0; i < 6; i++) {
                snprintf(path, sizeof(path), IMU "/in_%s_raw", ids[i]);
                snprintf(text, sizeof(text), "%d\n", (i + 1) * 100);
                fake_write(path, text);
                snprintf(path, sizeof(path), IMU "/scan_elements/in_%s_en", ids[i]);
                fake_write(path, "0\n");
                snprintf(path, sizeof(path), IMU "/scan_elements/in_%s_index", ids[i]);
                snprintf(text, sizeof(text), "%d\n", i);
                fake_write(path, text);
                snprintf(path, sizeof(path), IMU "/scan_elements/in_%s_type", ids[i]);
                fake_write(path, "le:s16/16>>0\n");
        }
        /* shared by type: in_<type>_scale applies to every axis */
        fake_write(IMU "/in_accel_scale", "0.01\n");
        fake_write(IMU "/in_anglvel_scale", "0.001\n");
        fake_write(IMU "/in_temp_raw", "1000\n");
        fake_write(IMU "/in_temp_scale", "2.5\n");
        fake_write(IMU "/in_temp_offset", "10000\n");
        fake_write(IMU "/sampling_frequency", "50\n");
        fake_write(IMU "/buffer/enable", "0\n");
        fake_write(IMU "/buffer/length", "0\n");
}

static void setup(void)
{
        static const char *const fifos[] = { ENC_DEV, IMU_DEV, NULL };

        fake_mount("/sys/bus");
        fake_dev_mount(fifos);
        enc_fifo = open(ENC_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        imu_fifo = open(IMU_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        ck_assert_int_ge(enc_fifo, 0);
        ck_assert_int_ge(imu_fifo, 0);
        imu_device();
        error[0] = 0;
}

static void teardown(void)
{
        close(enc_fifo);
        close(imu_fifo);
        fake_umount("/dev");
        fake_umount("/sys/bus");
}

static struct hw_encoder_config encoder_config(const char *channel, bool buffered)
{
        struct hw_config c;

        hw_config_defaults(&c);
        snprintf(c.encoder.device, sizeof(c.encoder.device), "encoder-test");
        snprintf(c.encoder.channel, sizeof(c.encoder.channel), "%s", channel);
        c.encoder.buffered = buffered;
        return c.encoder;
}

static void push_u16(int fd, uint16_t v)
{
        ck_assert_int_eq(write(fd, &v, sizeof(v)), sizeof(v));
}

static double read_value(struct encoder *enc)
{
        struct encoder_sample s;

        ck_assert_int_eq(enc->ops->read(enc, &s), 0);
        return s.value;
}

START_TEST(test_angle_raw_scale_offset_wrap)
{
        struct hw_encoder_config c = encoder_config("angl0", false);
        struct encoder enc;

        encoder_device("angl0", "le:u12/16>>0\n", "0.001533980787885641\n"); /* 2π/4096 */
        fake_write(ENC "/in_angl0_raw", "1024\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(enc.ops->name, "iio-encoder (raw reads)");
        ck_assert_int_eq(enc.quantity, ENCODER_ANGLE);
        ck_assert_double_eq_tol(enc.resolution, 2 * M_PI / 4096, 1e-12);
        ck_assert_double_eq_tol(read_value(&enc), M_PI / 2, 1e-9);
        /* past a turn: wrapped into [0, 2π) */
        fake_write(ENC "/in_angl0_raw", "5120\n");
        ck_assert_double_eq_tol(read_value(&enc), M_PI / 2, 1e-9);
        fake_write(ENC "/in_angl0_raw", "-1024\n");
        ck_assert_double_eq_tol(read_value(&enc), 3 * M_PI / 2, 1e-9);
        enc.ops->close(&enc);

        /* sysfs-bus-iio: value = (raw + offset) * scale; libiio reads the
         * attributes when the context is made, so a new open */
        fake_write(ENC "/in_angl0_offset", "-1024\n");
        fake_write(ENC "/in_angl0_raw", "3072\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_double_eq_tol(read_value(&enc), M_PI, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_count_is_an_angle_per_revolution)
{
        struct hw_encoder_config c = encoder_config("count0", false);
        struct encoder enc;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        c.counts_per_rev = 4096;
        fake_write(ENC "/in_count0_raw", "6144\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_int_eq(enc.quantity, ENCODER_ANGLE);
        ck_assert_double_eq_tol(enc.resolution, 2 * M_PI / 4096, 1e-12);
        ck_assert_double_eq_tol(read_value(&enc), M_PI, 1e-9);
        fake_write(ENC "/in_count0_raw", "7168\n");
        ck_assert_double_eq_tol(read_value(&enc), 3 * M_PI / 2, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

/* A 16-bit counter steps from 65530 to 4: ten counts on, not back to 4. */
START_TEST(test_buffered_count_wraps_at_its_bits)
{
        struct hw_encoder_config c = encoder_config("count0", true);
        struct encoder enc;
        struct encoder_sample s;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        c.counts_per_rev = 1000;
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 2000, error, sizeof(error)), 0);
        ck_assert_str_eq(enc.ops->name, "iio-encoder (buffered)");
        /* what libiio did to start the capture */
        ck_assert_str_eq(fake_read(ENC "/scan_elements/in_count0_en"), "1");
        ck_assert_str_eq(fake_read(ENC "/buffer/enable"), "1");
        ck_assert_str_eq(fake_read(ENC "/sampling_frequency"), "2000");

        push_u16(enc_fifo, 65530);
        ck_assert_double_eq_tol(read_value(&enc), 2 * M_PI * 0.530, 1e-9);
        push_u16(enc_fifo, 65535);
        push_u16(enc_fifo, 4);
        ck_assert_double_eq_tol(read_value(&enc), 2 * M_PI * 0.540, 1e-9);
        /* backwards across the wrap */
        push_u16(enc_fifo, 65534);
        ck_assert_double_eq_tol(read_value(&enc), 2 * M_PI * 0.534, 1e-9);

        /* nothing new: the same reading, the same time (the safety
         * supervisor counts those as stale) */
        ck_assert_int_eq(enc.ops->read(&enc, &s), 0);
        {
                struct encoder_sample again;

                ck_assert_int_eq(enc.ops->read(&enc, &again), 0);
                ck_assert_uint_eq(again.time_ns, s.time_ns);
                ck_assert_double_eq(again.value, s.value);
                push_u16(enc_fifo, 65535);
                ck_assert_int_eq(enc.ops->read(&enc, &again), 0);
                ck_assert_uint_gt(again.time_ns, s.time_ns);
        }
        enc.ops->close(&enc);
        ck_assert_str_eq(fake_read(ENC "/buffer/enable"), "0");
}
END_TEST

static void timestamp_channel(bool monotonic_settable)
{
        fake_write(ENC "/scan_elements/in_timestamp_en", "0\n");
        fake_write(ENC "/scan_elements/in_timestamp_index", "1\n");
        fake_write(ENC "/scan_elements/in_timestamp_type", "le:s64/64>>0\n");
        if (monotonic_settable)
                fake_write(ENC "/current_timestamp_clock", "realtime\n");
}

/* A scan of count0 (u16) and the timestamp (s64, aligned to 8 bytes). */
static void push_timed(int fd, uint16_t count, int64_t time_ns)
{
        unsigned char scan[16] = {0};

        memcpy(scan, &count, sizeof(count));
        memcpy(scan + 8, &time_ns, sizeof(time_ns));
        ck_assert_int_eq(write(fd, scan, sizeof(scan)), sizeof(scan));
}

/* The sample's time is its scan's timestamp, once the device stamps with
 * CLOCK_MONOTONIC: the read comes up to a period later. */
START_TEST(test_buffered_timestamps)
{
        struct hw_encoder_config c = encoder_config("count0", true);
        struct encoder enc;
        struct encoder_sample s;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        timestamp_channel(true);
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(ENC "/current_timestamp_clock"), "monotonic");
        ck_assert_str_eq(fake_read(ENC "/scan_elements/in_timestamp_en"), "1");
        push_timed(enc_fifo, 1024, 5000000123);
        push_timed(enc_fifo, 2048, 5001000456);
        ck_assert_int_eq(enc.ops->read(&enc, &s), 0);
        ck_assert_uint_eq(s.time_ns, 5001000456);
        ck_assert_double_eq_tol(s.value, M_PI, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

/* A backlog longer than the buffer (the control thread slept while the
 * motor was off): one read takes it all, and the newest scan counts. */
START_TEST(test_buffered_backlog_is_drained)
{
        struct hw_encoder_config c = encoder_config("count0", true);
        struct encoder enc;
        struct encoder_sample s;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        timestamp_channel(true);
        c.counts_per_rev = 1000;
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        for (int i = 0; i <= 95; i++)
                push_timed(enc_fifo, (uint16_t)(65000 + 10 * i), 1000 + i);
        ck_assert_int_eq(enc.ops->read(&enc, &s), 0);
        ck_assert_uint_eq(s.time_ns, 1095);
        /* 65950 is 414 on 16 bits; unwrapped, 65950 counts: 950 of 1000 */
        ck_assert_double_eq_tol(s.value, 2 * M_PI * 0.95, 1e-9);
        ck_assert_int_eq(enc.ops->read(&enc, &s), 0);
        ck_assert_uint_eq(s.time_ns, 1095);
        enc.ops->close(&enc);
}
END_TEST

/* A trigger paces the buffer: libiio makes it current, at the rate asked. */
START_TEST(test_trigger_set_by_name)
{
        struct hw_encoder_config c = encoder_config("angl0", true);
        struct encoder enc;

        encoder_device("angl0", "le:u12/16>>0\n", NULL);
        fake_write(ENC "/trigger/current_trigger", "\n");
        fake_write("/sys/bus/iio/devices/trigger0/name", "enc-timer\n");
        fake_write("/sys/bus/iio/devices/trigger0/sampling_frequency", "100\n");
        snprintf(c.trigger, sizeof(c.trigger), "enc-timer");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 2000, error, sizeof(error)), 0);
        ck_assert_str_eq(enc.ops->name, "iio-encoder (buffered)");
        ck_assert_str_eq(fake_read(ENC "/trigger/current_trigger"), "enc-timer");
        ck_assert_str_eq(fake_read("/sys/bus/iio/devices/trigger0/sampling_frequency"),
                         "2000.000000");
        enc.ops->close(&enc);

        snprintf(c.trigger, sizeof(c.trigger), "imu-timer");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 2000, error, sizeof(error)), -ENODEV);
        ck_assert_msg(strstr(error, "[Encoder] Trigger=imu-timer: no IIO trigger of that name "
                             "(there are: enc-timer)"), "%s", error);
}
END_TEST

/* Without current_timestamp_clock the stamps are CLOCK_REALTIME: not used. */
START_TEST(test_realtime_timestamps_are_not_used)
{
        struct hw_encoder_config c = encoder_config("count0", true);
        struct encoder enc;
        struct encoder_sample s;
        struct timespec before;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        timestamp_channel(false);
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(ENC "/scan_elements/in_timestamp_en"), "0");
        clock_gettime(CLOCK_MONOTONIC, &before);
        push_u16(enc_fifo, 1024);
        ck_assert_int_eq(enc.ops->read(&enc, &s), 0);
        ck_assert_uint_ge(s.time_ns, (uint64_t)before.tv_sec * 1000000000ull +
                                     (uint64_t)before.tv_nsec);
        ck_assert_double_eq_tol(s.value, M_PI / 2, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_buffered_angular_velocity_signed)
{
        struct hw_encoder_config c = encoder_config("anglvel0", true);
        struct encoder enc;

        encoder_device("anglvel0", "le:s16/16>>0\n", "0.01\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_int_eq(enc.quantity, ENCODER_ANGULAR_VELOCITY);
        ck_assert_double_eq_tol(enc.resolution, 0.01, 1e-12);
        push_u16(enc_fifo, (uint16_t)-500);
        ck_assert_double_eq_tol(read_value(&enc), -5.0, 1e-9);
        push_u16(enc_fifo, 12000);
        ck_assert_double_eq_tol(read_value(&enc), 120.0, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

/* le:s12/16>>4: a left-justified 12-bit value, sign-extended by libiio */
START_TEST(test_buffered_shift_and_sign)
{
        struct hw_encoder_config c = encoder_config("anglvel0", true);
        struct encoder enc;

        encoder_device("anglvel0", "le:s12/16>>4\n", "1\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        push_u16(enc_fifo, (uint16_t)(0xfff0 | 0x5)); /* -1 << 4, and noise in the low bits */
        ck_assert_double_eq_tol(read_value(&enc), -1.0, 1e-9);
        push_u16(enc_fifo, 0x7ff0);
        ck_assert_double_eq_tol(read_value(&enc), 2047.0, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_device_without_buffer_falls_back_to_raw)
{
        struct hw_encoder_config c = encoder_config("angl0", true);
        struct encoder enc;

        fake_write(ENC "/name", "encoder-test\n");
        fake_write(ENC "/in_angl0_raw", "2048\n");
        fake_write(ENC "/in_angl_scale", "0.001533980787885641\n");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_str_eq(enc.ops->name, "iio-encoder (raw reads)");
        ck_assert_double_eq_tol(read_value(&enc), M_PI, 1e-9);
        enc.ops->close(&enc);
}
END_TEST

START_TEST(test_encoder_errors_name_the_key)
{
        struct hw_encoder_config c = encoder_config("angl0", true);
        struct encoder enc;

        encoder_device("angl0", "le:u12/16>>0\n", NULL);
        snprintf(c.device, sizeof(c.device), "as5047");
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), -ENODEV);
        ck_assert_msg(strstr(error, "[Encoder] Device=as5047: no IIO device of that name (there "
                             "are: encoder-test, imu-test)"), "%s", error);

        c = encoder_config("angl1", true);
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Encoder] Channel: IIO device encoder-test has no input "
                             "channel angl1"), "%s", error);

        c = encoder_config("accel_x", true);
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[Encoder] Channel=accel_x: expected angl<N>, count<N> or "
                             "anglvel<N>"), "%s", error);

        c = encoder_config("angl0", true);
        c.device[0] = 0;
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[Encoder] Device is not set"), "%s", error);
}
END_TEST

START_TEST(test_no_iio_at_all)
{
        struct hw_encoder_config c = encoder_config("angl0", true);
        struct encoder enc;

        /* no /sys/bus/iio: a kernel without IIO */
        fake_umount("/sys/bus");
        fake_mount("/sys/bus");
        ck_assert_int_lt(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_msg(strstr(error, "[Encoder] Device=encoder-test: no IIO devices"), "%s", error);
}
END_TEST

static struct hw_imu_config imu_config(bool buffered)
{
        struct hw_config c;

        hw_config_defaults(&c);
        snprintf(c.imu.device, sizeof(c.imu.device), "imu-test");
        c.imu.buffered = buffered;
        ck_assert_int_eq(hw_parse_axes("-z,y,x", c.imu.axes), 0);
        return c.imu;
}

START_TEST(test_imu_raw_reads_scaled_and_mapped)
{
        struct hw_imu_config c = imu_config(false);
        struct imu imu;
        struct imu_sample s;
        double celsius;

        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(imu.ops->name, "iio-imu (raw reads)");
        ck_assert_str_eq(fake_read(IMU "/sampling_frequency"), "1000.000000");
        ck_assert_int_eq(imu.ops->read(&imu, &s), 0);
        /* device x, y, z = 1, 2, 3 m/s²; gun x = -device z */
        ck_assert_double_eq_tol(s.accel_m_s2[0], -3.0, 1e-9);
        ck_assert_double_eq_tol(s.accel_m_s2[1], 2.0, 1e-9);
        ck_assert_double_eq_tol(s.accel_m_s2[2], 1.0, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[0], -0.6, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[1], 0.5, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[2], 0.4, 1e-9);
        /* (1000 + 10000) * 2.5 m°C */
        ck_assert_int_eq(imu.ops->read_temperature(&imu, &celsius), 0);
        ck_assert_double_eq_tol(celsius, 27.5, 1e-9);
        imu.ops->close(&imu);
}
END_TEST

static void push_scan(int fd, const int16_t v[6])
{
        ck_assert_int_eq(write(fd, v, 6 * sizeof(v[0])), 6 * sizeof(v[0]));
}

START_TEST(test_imu_buffered_takes_the_last_scan)
{
        struct hw_imu_config c = imu_config(true);
        struct imu imu;
        struct imu_sample s;

        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(imu.ops->name, "iio-imu (buffered)");
        ck_assert_str_eq(fake_read(IMU "/scan_elements/in_accel_z_en"), "1");
        ck_assert_str_eq(fake_read(IMU "/scan_elements/in_anglvel_x_en"), "1");
        /* more than the buffer holds: the newest scan counts */
        for (int i = 0; i < 40; i++)
                push_scan(imu_fifo, (const int16_t[6]){ 1, 2, 3, 4, 5, 6 });
        push_scan(imu_fifo, (const int16_t[6]){ 981, -50, 200, 1000, -2000, 3000 });
        ck_assert_int_eq(imu.ops->read(&imu, &s), 0);
        ck_assert_double_eq_tol(s.accel_m_s2[0], -2.0, 1e-9);
        ck_assert_double_eq_tol(s.accel_m_s2[1], -0.5, 1e-9);
        ck_assert_double_eq_tol(s.accel_m_s2[2], 9.81, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[0], -3.0, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[1], -2.0, 1e-9);
        ck_assert_double_eq_tol(s.gyro_rad_s[2], 1.0, 1e-9);
        imu.ops->close(&imu);
}
END_TEST

/* An accelerometer axis at the end of its 16 bits (an MPU-6050 saturates
 * at 0x7fff and 0x8000): the sample says it is clipped; a gyro at its end
 * does not count, nor an accelerometer one LSB inside. */
START_TEST(test_imu_buffered_clipped)
{
        struct hw_imu_config c = imu_config(true);
        static const int16_t scans[][6] = {
                { 32766, -32767, 200, 32767, -32768, 0 },
                { 32767, 0, 200, 0, 0, 0 },
                { 0, 0, -32768, 0, 0, 0 },
        };
        static const bool clipped[] = { false, true, true };
        struct imu imu;
        struct imu_sample s;

        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        for (size_t i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
                push_scan(imu_fifo, scans[i]);
                ck_assert_int_eq(imu.ops->read(&imu, &s), 0);
                ck_assert_msg(s.accel_clipped == clipped[i], "scan %zu: clipped %d", i, s.accel_clipped);
        }
        imu.ops->close(&imu);
}
END_TEST

/* An IMU with a timestamp channel, as the IIO core lays it out for a
 * buffered device (in_timestamp after the axes, s64 aligned to 8 bytes,
 * and current_timestamp_clock at realtime): told to stamp with
 * CLOCK_MONOTONIC, its sample's time is the scan's. */
START_TEST(test_imu_buffered_timestamps)
{
        struct hw_imu_config c = imu_config(true);
        struct imu imu;
        struct imu_sample s;
        unsigned char scan[24] = {0};
        const int16_t axes[6] = { 981, -50, 200, 1000, -2000, 3000 };
        int64_t time_ns = 7000000789;

        fake_write(IMU "/scan_elements/in_timestamp_en", "0\n");
        fake_write(IMU "/scan_elements/in_timestamp_index", "6\n");
        fake_write(IMU "/scan_elements/in_timestamp_type", "le:s64/64>>0\n");
        fake_write(IMU "/current_timestamp_clock", "realtime\n");
        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        ck_assert_str_eq(fake_read(IMU "/current_timestamp_clock"), "monotonic");
        ck_assert_str_eq(fake_read(IMU "/scan_elements/in_timestamp_en"), "1");
        memcpy(scan, axes, sizeof(axes));
        memcpy(scan + 16, &time_ns, sizeof(time_ns));
        ck_assert_int_eq(write(imu_fifo, scan, sizeof(scan)), sizeof(scan));
        ck_assert_int_eq(imu.ops->read(&imu, &s), 0);
        ck_assert_uint_eq(s.time_ns, 7000000789);
        ck_assert_double_eq_tol(s.accel_m_s2[2], 9.81, 1e-9);
        imu.ops->close(&imu);
}
END_TEST

START_TEST(test_imu_temperature_from_a_thermal_zone)
{
        struct hw_imu_config c = imu_config(false);
        struct imu imu;
        double celsius;

        ck_assert_int_eq(unlink(IMU "/in_temp_raw"), 0);
        fake_write("/sys/bus/thermal-test/temp", "41500\n");
        snprintf(c.thermal_zone, sizeof(c.thermal_zone), "/sys/bus/thermal-test");
        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        ck_assert_int_eq(imu.ops->read_temperature(&imu, &celsius), 0);
        ck_assert_double_eq_tol(celsius, 41.5, 1e-9);
        imu.ops->close(&imu);

        c.thermal_zone[0] = 0;
        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), 0);
        ck_assert_int_eq(imu.ops->read_temperature(&imu, &celsius), -ENODATA);
        imu.ops->close(&imu);
}
END_TEST

START_TEST(test_imu_errors_name_the_key)
{
        struct hw_imu_config c = imu_config(true);
        struct imu imu;

        ck_assert_int_eq(unlink(IMU "/in_accel_y_raw"), 0);
        ck_assert_int_eq(unlink(IMU "/scan_elements/in_accel_y_en"), 0);
        ck_assert_int_eq(unlink(IMU "/scan_elements/in_accel_y_index"), 0);
        ck_assert_int_eq(unlink(IMU "/scan_elements/in_accel_y_type"), 0);
        ck_assert_int_eq(iio_imu_open(&imu, &c, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[IMU] Device: IIO device imu-test has no input channel "
                             "accel_y"), "%s", error);
}
END_TEST

#if HEAP_COUNT_WORKS
/* The reads the control thread makes, buffered and raw, allocate nothing. */
START_TEST(test_rt_reads_make_no_heap_call)
{
        struct hw_encoder_config c = encoder_config("count0", true);
        struct hw_imu_config ic = imu_config(true);
        struct encoder enc, raw_enc;
        struct imu imu, raw_imu;
        struct encoder_sample s;
        struct imu_sample is;
        unsigned long before = heap_count_all(), calls;
        void *volatile block;

        encoder_device("count0", "le:u16/16>>0\n", NULL);
        timestamp_channel(true);
        ck_assert_int_eq(iio_encoder_open(&enc, &c, 1000, error, sizeof(error)), 0);
        c.buffered = false;
        ck_assert_int_eq(iio_encoder_open(&raw_enc, &c, 1000, error, sizeof(error)), 0);
        ck_assert_int_eq(iio_imu_open(&imu, &ic, error, sizeof(error)), 0);
        ic.buffered = false;
        ck_assert_int_eq(iio_imu_open(&raw_imu, &ic, error, sizeof(error)), 0);

        int failed = 0;

        /* no assertion inside: Check's own bookkeeping allocates */
        heap_count_start();
        for (int i = 0; i < 100; i++) {
                const int16_t scan[6] = { 1, 2, 3, 4, 5, 6 };
                unsigned char timed[16] = {0};
                uint16_t count = (uint16_t)(i * 100);
                int64_t time_ns = 1000000 * (int64_t)i;

                memcpy(timed, &count, sizeof(count));
                memcpy(timed + 8, &time_ns, sizeof(time_ns));
                failed |= write(enc_fifo, timed, sizeof(timed)) != sizeof(timed);
                failed |= write(imu_fifo, scan, sizeof(scan)) != sizeof(scan);
                failed |= enc.ops->read(&enc, &s);
                failed |= s.time_ns != (uint64_t)time_ns;
                failed |= enc.ops->read(&enc, &s);      /* nothing new */
                failed |= raw_enc.ops->read(&raw_enc, &s);
                failed |= imu.ops->read(&imu, &is);
                failed |= raw_imu.ops->read(&raw_imu, &is);
        }
        calls = heap_count_stop();
        ck_assert_int_eq(failed, 0);
        ck_assert_uint_eq(calls, 0);
        /* the wrappers are the allocator's entry points: the count is real */
        block = malloc(16);
        free(block);
        ck_assert_uint_gt(heap_count_all(), before);

        enc.ops->close(&enc);
        raw_enc.ops->close(&raw_enc);
        imu.ops->close(&imu);
        raw_imu.ops->close(&raw_imu);
}
END_TEST
#endif

static Suite *iio_suite(void)
{
        Suite *s = suite_create("iio");
        TCase *enc = tcase_create("encoder");
        TCase *imu = tcase_create("imu");

        tcase_add_checked_fixture(enc, setup, teardown);
        tcase_add_test(enc, test_angle_raw_scale_offset_wrap);
        tcase_add_test(enc, test_count_is_an_angle_per_revolution);
        tcase_add_test(enc, test_buffered_count_wraps_at_its_bits);
        tcase_add_test(enc, test_buffered_timestamps);
        tcase_add_test(enc, test_realtime_timestamps_are_not_used);
        tcase_add_test(enc, test_buffered_backlog_is_drained);
        tcase_add_test(enc, test_trigger_set_by_name);
        tcase_add_test(enc, test_buffered_angular_velocity_signed);
        tcase_add_test(enc, test_buffered_shift_and_sign);
        tcase_add_test(enc, test_device_without_buffer_falls_back_to_raw);
        tcase_add_test(enc, test_encoder_errors_name_the_key);
        tcase_add_test(enc, test_no_iio_at_all);
        suite_add_tcase(s, enc);

        tcase_add_checked_fixture(imu, setup, teardown);
        tcase_add_test(imu, test_imu_raw_reads_scaled_and_mapped);
        tcase_add_test(imu, test_imu_buffered_takes_the_last_scan);
        tcase_add_test(imu, test_imu_buffered_clipped);
        tcase_add_test(imu, test_imu_buffered_timestamps);
        tcase_add_test(imu, test_imu_temperature_from_a_thermal_zone);
        tcase_add_test(imu, test_imu_errors_name_the_key);
#if HEAP_COUNT_WORKS
        tcase_add_test(imu, test_rt_reads_make_no_heap_call);
#endif
        suite_add_tcase(s, imu);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(iio_suite());
}
