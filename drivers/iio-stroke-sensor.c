/* SPDX-License-Identifier: MIT */
/*
 * The stroke-position sensor as an IIO voltage channel (libiio, local
 * backend): a potentiometer or Hall sensor on an ADC the kernel has a
 * driver for. in_voltageN_raw × scale is in mV
 * (Documentation/ABI/testing/sysfs-bus-iio); the driver gives volts.
 * Read from the device's buffer (the newest scan of those captured since
 * the last period; none new: the last one again, with its time, which the
 * control period counts as silence once it lasts) or, on a device without
 * one, one pread of in_voltageN_raw a period.
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

#define STROKE_SENSOR_BUFFER_SAMPLES 16

struct iio_stroke_sensor {
        struct iio_context *ctx;
        struct iio_buffer *buffer;      /* NULL: direct mode */
        struct iio_input in;
        struct stroke_sensor_sample sample;
        bool have_sample;
};

static int read_buffered(struct stroke_sensor *sensor, struct stroke_sensor_sample *out)
{
        struct iio_stroke_sensor *s = sensor->data;
        const void *first, *last;
        int n = iio_input_refill(s->buffer, &s->in, &first, &last);

        if (n < 0)
                return n;
        if (n > 0) {
                s->sample.volts = iio_input_value(&s->in, iio_input_from_buffer(&s->in, last)) * 1e-3;
                s->sample.time_ns = now_ns(CLOCK_MONOTONIC);
                s->have_sample = true;
        }
        if (!s->have_sample)
                return -EAGAIN;
        *out = s->sample;
        return 0;
}

static int read_direct(struct stroke_sensor *sensor, struct stroke_sensor_sample *out)
{
        struct iio_stroke_sensor *s = sensor->data;
        int64_t raw;
        int r = iio_input_read_raw(&s->in, &raw);

        if (r < 0)
                return r;
        *out = (struct stroke_sensor_sample){
                .time_ns = now_ns(CLOCK_MONOTONIC),
                .volts = iio_input_value(&s->in, raw) * 1e-3,
        };
        return 0;
}

static void iio_stroke_sensor_close(struct stroke_sensor *sensor)
{
        struct iio_stroke_sensor *s = sensor->data;

        if (s->buffer)
                iio_buffer_destroy(s->buffer);
        iio_input_close(&s->in);
        if (s->ctx)
                iio_context_destroy(s->ctx);
        free(s);
        sensor->data = NULL;
}

static const struct stroke_sensor_ops buffered_ops = {
        .name = "iio-stroke-sensor (buffered)",
        .read = read_buffered,
        .close = iio_stroke_sensor_close,
};

static const struct stroke_sensor_ops direct_ops = {
        .name = "iio-stroke-sensor (raw reads)",
        .read = read_direct,
        .close = iio_stroke_sensor_close,
};

int iio_stroke_sensor_open(struct stroke_sensor *sensor, const struct hw_stroke_sensor_config *config,
                           char *error, size_t error_size)
{
        struct iio_stroke_sensor *s = calloc(1, sizeof(*s));
        struct stroke_sensor opened;
        struct iio_device *dev;
        int r;

        if (!s)
                return -ENOMEM;
        s->in.raw_fd = -1;
        opened = (struct stroke_sensor){ .data = s };
        if (strncmp(config->channel, "voltage", strlen("voltage")) != 0) {
                snprintf(error, error_size, "[StrokeSensor] Channel=%s: expected voltage<N> (an IIO "
                         "voltage channel, in_voltage<N>_raw)", config->channel);
                r = -EINVAL;
                goto fail;
        }
        r = iio_input_find_device(&s->ctx, config->device, "[StrokeSensor] Device", &dev, error,
                                  error_size);
        if (r < 0)
                goto fail;
        r = iio_input_open(&s->in, dev, config->channel, true, "[StrokeSensor] Channel", error,
                           error_size);
        if (r < 0)
                goto fail;
        if (s->in.scale == 0.0) {
                snprintf(error, error_size, "[StrokeSensor] Channel=%s of %s: its scale is 0",
                         config->channel, config->device);
                r = -EINVAL;
                goto fail;
        }
        if (config->buffered && iio_channel_is_scan_element(s->in.channel)) {
                iio_channel_enable(s->in.channel);
                s->buffer = iio_input_open_buffer(dev, STROKE_SENSOR_BUFFER_SAMPLES,
                                                  "[StrokeSensor] Device", error, error_size);
                if (!s->buffer)
                        iio_channel_disable(s->in.channel);
        }
        if (!s->buffer) {
                r = iio_input_open_raw(&s->in, dev, "[StrokeSensor] Channel", error, error_size);
                if (r < 0)
                        goto fail;
        }
        *sensor = (struct stroke_sensor){ .ops = s->buffer ? &buffered_ops : &direct_ops, .data = s };
        return 0;

fail:
        iio_stroke_sensor_close(&opened);
        return r;
}
