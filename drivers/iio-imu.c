/* SPDX-License-Identifier: MIT */
/*
 * The IMU as one IIO device (inv_mpu6050, st_lsm6dsx, adxl345...):
 * in_accel_{x,y,z} in m/s² and, when the device has them,
 * in_anglvel_{x,y,z} in rad/s, each (raw + offset) * scale; the gun's axes
 * are the device's as [IMU] Axes maps them. Temperature from in_temp
 * (milli °C once scaled), else from a thermal zone.
 */
#include <errno.h>
#include <iio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time-util.h"
#include "hw-drivers.h"
#include "iio-input.h"
#include "sysfs-attr.h"

#define IMU_BUFFER_SAMPLES 16
#define IMU_REFILLS_MAX 64

static const char *const accel_ids[3] = { "accel_x", "accel_y", "accel_z" };
static const char *const gyro_ids[3] = { "anglvel_x", "anglvel_y", "anglvel_z" };

struct iio_imu {
        struct iio_context *ctx;
        struct iio_buffer *buffer;      /* NULL: direct mode */
        struct iio_input accel[3], gyro[3], temp;
        struct iio_input timestamp;     /* in the scan, CLOCK_MONOTONIC ns; channel NULL if not */
        bool has_gyro, has_temp;
        int axes[3];
        char thermal_zone_temp[HW_PATH_MAX + 8];
        double device_accel[3], device_gyro[3];
        bool clipped;                   /* an accel axis at its limit, in the last scan read */
        struct imu_sample sample;
};

/* The device's axes into the gun's, at time_ns. */
static void map_axes(struct iio_imu *m, uint64_t time_ns)
{
        for (int i = 0; i < 3; i++) {
                int a = abs(m->axes[i]) - 1;
                double sign = m->axes[i] < 0 ? -1.0 : 1.0;

                m->sample.accel_m_s2[i] = sign * m->device_accel[a];
                m->sample.gyro_rad_s[i] = m->has_gyro ? sign * m->device_gyro[a] : 0.0;
        }
        m->sample.accel_clipped = m->clipped;
        m->sample.time_ns = time_ns;
}

/* A channel's raw value in the last scan: its place in the first scan,
 * moved to the last. */
static int64_t raw_in_scan(const struct iio_imu *m, const struct iio_input *in, const void *last)
{
        ptrdiff_t offset = (const char *)iio_buffer_first(m->buffer, in->channel) -
                           (const char *)iio_buffer_first(m->buffer, m->accel[0].channel);

        return iio_input_from_buffer(in, (const char *)last + offset);
}

static void take_accel(struct iio_imu *m, int axis, int64_t raw)
{
        m->device_accel[axis] = iio_input_value(&m->accel[axis], raw);
        m->clipped = m->clipped || iio_input_at_limit(&m->accel[axis], raw);
}

/* The scan's own time when the device stamps it, else the read's. */
static uint64_t scan_time_ns(const struct iio_imu *m, const void *last)
{
        ptrdiff_t offset;

        if (!m->timestamp.channel)
                return now_ns(CLOCK_MONOTONIC);
        offset = (const char *)iio_buffer_first(m->buffer, m->timestamp.channel) -
                 (const char *)iio_buffer_first(m->buffer, m->accel[0].channel);
        return (uint64_t)iio_input_from_buffer(&m->timestamp, (const char *)last + offset);
}

static int read_buffered(struct imu *imu, struct imu_sample *out)
{
        struct iio_imu *m = imu->data;
        const void *first, *last = NULL;
        int n;

        /* after an idle spell the buffer holds a backlog: the newest scan counts */
        for (unsigned refill = 0; refill < IMU_REFILLS_MAX; refill++) {
                n = iio_input_refill(m->buffer, &m->accel[0], &first, &last);
                if (n < 0)
                        return n;
                if (n == 0)
                        break;
                m->clipped = false;
                for (int i = 0; i < 3; i++) {
                        take_accel(m, i, raw_in_scan(m, &m->accel[i], last));
                        if (m->has_gyro)
                                m->device_gyro[i] = iio_input_value(&m->gyro[i],
                                                                    raw_in_scan(m, &m->gyro[i], last));
                }
                map_axes(m, scan_time_ns(m, last));
                if (n < IMU_BUFFER_SAMPLES)
                        break;
        }
        *out = m->sample;
        return 0;
}

static int read_direct(struct imu *imu, struct imu_sample *out)
{
        struct iio_imu *m = imu->data;
        int64_t raw;
        int r;

        m->clipped = false;
        for (int i = 0; i < 3; i++) {
                r = iio_input_read_raw(&m->accel[i], &raw);
                if (r < 0)
                        return r;
                take_accel(m, i, raw);
                if (m->has_gyro) {
                        r = iio_input_read_raw(&m->gyro[i], &raw);
                        if (r < 0)
                                return r;
                        m->device_gyro[i] = iio_input_value(&m->gyro[i], raw);
                }
        }
        map_axes(m, now_ns(CLOCK_MONOTONIC));
        *out = m->sample;
        return 0;
}

static int iio_imu_read_temperature(struct imu *imu, double *celsius)
{
        struct iio_imu *m = imu->data;
        double milli_c;
        long long raw;
        int r;

        /* sysfs-bus-iio: in_temp is in milli degrees Celsius once scaled, as
         * is a thermal zone's temp (sysfs-api.rst of the thermal framework) */
        if (m->has_temp) {
                r = iio_channel_attr_read_longlong(m->temp.channel, "raw", &raw);
                if (r < 0)
                        return r;
                *celsius = iio_input_value(&m->temp, raw) / 1000.0;
                return 0;
        }
        if (!m->thermal_zone_temp[0])
                return -ENODATA;
        r = sysfs_read_double_path(m->thermal_zone_temp, &milli_c);
        if (r < 0)
                return r;
        *celsius = milli_c / 1000.0;
        return 0;
}

static void iio_imu_close(struct imu *imu)
{
        struct iio_imu *m = imu->data;

        if (m->buffer)
                iio_buffer_destroy(m->buffer);
        for (int i = 0; i < 3; i++) {
                iio_input_close(&m->accel[i]);
                iio_input_close(&m->gyro[i]);
        }
        if (m->ctx)
                iio_context_destroy(m->ctx);
        free(m);
        imu->data = NULL;
}

static const struct imu_ops buffered_ops = {
        .name = "iio-imu (buffered)",
        .read = read_buffered,
        .read_temperature = iio_imu_read_temperature,
        .close = iio_imu_close,
};

static const struct imu_ops direct_ops = {
        .name = "iio-imu (raw reads)",
        .read = read_direct,
        .read_temperature = iio_imu_read_temperature,
        .close = iio_imu_close,
};

static bool all_scan_elements(const struct iio_imu *m)
{
        for (int i = 0; i < 3; i++)
                if (!iio_channel_is_scan_element(m->accel[i].channel) ||
                    (m->has_gyro && !iio_channel_is_scan_element(m->gyro[i].channel)))
                        return false;
        return true;
}

static int open_buffer(struct iio_imu *m, struct iio_device *dev, char *error, size_t error_size)
{
        unsigned count = iio_device_get_channels_count(dev);

        /* only our channels in the scan: libiio disables the others */
        for (unsigned i = 0; i < count; i++)
                iio_channel_disable(iio_device_get_channel(dev, i));
        for (int i = 0; i < 3; i++) {
                iio_channel_enable(m->accel[i].channel);
                if (m->has_gyro)
                        iio_channel_enable(m->gyro[i].channel);
        }
        /* each sample at its own time, so that its age is known */
        (void)iio_input_open_timestamp(&m->timestamp, dev);
        m->buffer = iio_input_open_buffer(dev, IMU_BUFFER_SAMPLES, "[IMU] Device", error,
                                          error_size);
        if (!m->buffer)
                m->timestamp.channel = NULL;
        return m->buffer ? 0 : -EIO;
}

int iio_imu_open(struct imu *imu, const struct hw_imu_config *config, char *error,
                 size_t error_size)
{
        struct iio_imu *m;
        struct iio_device *dev;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        for (int i = 0; i < 3; i++)
                m->accel[i].raw_fd = m->gyro[i].raw_fd = -1;
        m->temp.raw_fd = -1;
        memcpy(m->axes, config->axes, sizeof(m->axes));

        r = iio_input_find_device(&m->ctx, config->device, "[IMU] Device", &dev, error, error_size);
        if (r < 0)
                goto fail;
        for (int i = 0; i < 3; i++) {
                r = iio_input_open(&m->accel[i], dev, accel_ids[i], true, "[IMU] Device", error,
                                   error_size);
                if (r < 0)
                        goto fail;
        }
        m->has_gyro = true;
        for (int i = 0; i < 3 && m->has_gyro; i++)
                m->has_gyro = iio_input_open(&m->gyro[i], dev, gyro_ids[i], false, "", error,
                                             error_size) == 0;
        m->has_temp = iio_input_open(&m->temp, dev, "temp", false, "", error, error_size) == 0 &&
                      iio_channel_find_attr(m->temp.channel, "raw");
        if (!m->has_temp && config->thermal_zone[0])
                snprintf(m->thermal_zone_temp, sizeof(m->thermal_zone_temp), "%s/temp",
                         config->thermal_zone);

        if (config->sampling_hz > 0) {
                if (!iio_device_find_attr(dev, "sampling_frequency")) {
                        snprintf(error, error_size, "[IMU] SamplingFrequency=%g: %s has no "
                                 "sampling_frequency to set (0 leaves it)", config->sampling_hz,
                                 config->device);
                        r = -ENOENT;
                        goto fail;
                }
                r = iio_device_attr_write_double(dev, "sampling_frequency", config->sampling_hz);
                if (r < 0) {
                        snprintf(error, error_size, "[IMU] SamplingFrequency=%g: %s refuses it: %s",
                                 config->sampling_hz, config->device, strerror(-r));
                        goto fail;
                }
        }

        if (config->buffered && all_scan_elements(m)) {
                r = iio_input_set_trigger(m->ctx, dev, config->trigger, config->sampling_hz,
                                          "[IMU] Trigger", error, error_size);
                if (r < 0)
                        goto fail;
        }
        if (!config->buffered || !all_scan_elements(m) || open_buffer(m, dev, error, error_size) < 0) {
                for (int i = 0; i < 3; i++) {
                        r = iio_input_open_raw(&m->accel[i], dev, "[IMU] Device", error, error_size);
                        if (r >= 0 && m->has_gyro)
                                r = iio_input_open_raw(&m->gyro[i], dev, "[IMU] Device", error,
                                                       error_size);
                        if (r < 0)
                                goto fail;
                }
        }
        *imu = (struct imu){ .ops = m->buffer ? &buffered_ops : &direct_ops, .data = m };
        return 0;

fail:
        {
                struct imu tmp = { .data = m };

                iio_imu_close(&tmp);
        }
        return r;
}
