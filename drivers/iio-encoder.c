/* SPDX-License-Identifier: MIT */
/*
 * The crank encoder as an IIO device (libiio, local backend): an angle
 * (in_anglN, rad), a counter (in_countN, counts; CountsPerRevolution per
 * turn) or an angular velocity (in_anglvelN, rad/s), read from the
 * device's buffer at the control rate, or from in_*_raw when the device
 * has no buffer.
 */
#include <errno.h>
#include <iio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time-util.h"
#include "hw-drivers.h"
#include "iio-input.h"

/* A few periods of samples: the control thread empties the buffer every
 * period, and libiio keeps four such blocks in the kernel. */
#define ENCODER_BUFFER_SAMPLES 16
/* 1024 samples: half a second at 2 kHz, drained in a few periods */
#define ENCODER_REFILLS_MAX 64

enum channel_kind {
        CHANNEL_ANGLE,
        CHANNEL_COUNT,
        CHANNEL_VELOCITY,
};

struct iio_encoder {
        struct iio_context *ctx;
        struct iio_buffer *buffer;      /* NULL: direct mode */
        struct iio_input in;
        struct iio_input timestamp;     /* in the scan, CLOCK_MONOTONIC ns; channel NULL if not */
        enum channel_kind kind;
        double counts_per_rev;
        bool have_raw;
        int64_t last_raw;
        ptrdiff_t timestamp_offset;     /* from the channel's place in a scan */
        double position_counts;         /* count channels: in [0, counts_per_rev) */
        struct encoder_sample sample;
};

static double wrap(double x, double period)
{
        double r = fmod(x, period);

        return r < 0.0 ? r + period : (r >= period ? 0.0 : r);
}

/* A counter that wraps at 2^bits (the scan element's realbits) steps from
 * its maximum to 0; the difference modulo 2^bits is the true step. */
static int64_t step_counts(const struct iio_input *in, int64_t raw, int64_t last)
{
        uint64_t mask, d;

        if (in->bits == 0 || in->bits >= 64)
                return raw - last;
        mask = (1ull << in->bits) - 1;
        d = ((uint64_t)raw - (uint64_t)last) & mask;
        return d & (1ull << (in->bits - 1)) ? (int64_t)d - (int64_t)(mask + 1) : (int64_t)d;
}

static void take(struct iio_encoder *e, int64_t raw)
{
        switch (e->kind) {
        case CHANNEL_ANGLE:
                e->sample.value = wrap(iio_input_value(&e->in, raw), 2.0 * M_PI);
                break;
        case CHANNEL_COUNT:
                if (e->have_raw)
                        e->position_counts += (double)step_counts(&e->in, raw, e->last_raw) *
                                              e->in.scale;
                else
                        e->position_counts = iio_input_value(&e->in, raw);
                e->position_counts = wrap(e->position_counts, e->counts_per_rev);
                e->sample.value = 2.0 * M_PI * e->position_counts / e->counts_per_rev;
                break;
        case CHANNEL_VELOCITY:
                e->sample.value = iio_input_value(&e->in, raw);
                break;
        }
        e->last_raw = raw;
        e->have_raw = true;
}

static int read_buffered(struct encoder *enc, struct encoder_sample *out)
{
        struct iio_encoder *e = enc->data;
        const void *first, *last;
        ptrdiff_t step = 0;
        int n;

        /* After an idle spell (the control thread sleeps while the motor is
         * off) the buffer holds a backlog: take it all, the newest last, a
         * bounded number of refills per period. */
        for (unsigned refill = 0; refill < ENCODER_REFILLS_MAX; refill++) {
                n = iio_input_refill(e->buffer, &e->in, &first, &last);
                if (n < 0)
                        return n;
                if (n == 0)
                        break;
                if (!step)
                        step = iio_buffer_step(e->buffer);
                for (const char *p = first; p <= (const char *)last; p += step)
                        take(e, iio_input_from_buffer(&e->in, p));
                e->sample.time_ns = e->timestamp.channel ?
                        (uint64_t)iio_input_from_buffer(&e->timestamp, (const char *)last +
                                                        e->timestamp_offset) :
                        now_ns(CLOCK_MONOTONIC);
                if (n < ENCODER_BUFFER_SAMPLES)
                        break;
        }
        *out = e->sample;
        return 0;
}

static int read_direct(struct encoder *enc, struct encoder_sample *out)
{
        struct iio_encoder *e = enc->data;
        int64_t raw;
        int r = iio_input_read_raw(&e->in, &raw);

        if (r < 0)
                return r;
        take(e, raw);
        e->sample.time_ns = now_ns(CLOCK_MONOTONIC);
        *out = e->sample;
        return 0;
}

static void iio_encoder_close(struct encoder *enc)
{
        struct iio_encoder *e = enc->data;

        if (e->buffer)
                iio_buffer_destroy(e->buffer);
        iio_input_close(&e->in);
        if (e->ctx)
                iio_context_destroy(e->ctx);
        free(e);
        enc->data = NULL;
}

static const struct encoder_ops buffered_ops = {
        .name = "iio-encoder (buffered)",
        .read = read_buffered,
        .close = iio_encoder_close,
};

static const struct encoder_ops direct_ops = {
        .name = "iio-encoder (raw reads)",
        .read = read_direct,
        .close = iio_encoder_close,
};

static int parse_channel(const char *id, enum channel_kind *kind)
{
        static const struct {
                const char *prefix;
                enum channel_kind kind;
        } types[] = {
                /* anglvel before angl: the longer prefix first */
                { "anglvel", CHANNEL_VELOCITY },
                { "angl", CHANNEL_ANGLE },
                { "count", CHANNEL_COUNT },
        };

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                size_t len = strlen(types[i].prefix);

                if (strncmp(id, types[i].prefix, len) == 0 &&
                    strspn(id + len, "0123456789") == strlen(id + len)) {
                        *kind = types[i].kind;
                        return 0;
                }
        }
        return -EINVAL;
}

int iio_encoder_open(struct encoder *enc, const struct hw_encoder_config *config,
                     unsigned sample_hz, char *error, size_t error_size)
{
        struct iio_encoder *e;
        struct iio_device *dev;
        double resolution;
        int r;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->in.raw_fd = -1;
        e->counts_per_rev = config->counts_per_rev;
        r = parse_channel(config->channel, &e->kind);
        if (r < 0) {
                snprintf(error, error_size, "[Encoder] Channel=%s: expected angl<N>, count<N> or "
                         "anglvel<N> (an IIO angle, counter or angular velocity channel)",
                         config->channel);
                goto fail;
        }
        r = iio_input_find_device(&e->ctx, config->device, "[Encoder] Device", &dev, error,
                                  error_size);
        if (r < 0)
                goto fail;
        r = iio_input_open(&e->in, dev, config->channel, true, "[Encoder] Channel", error,
                           error_size);
        if (r < 0)
                goto fail;
        if (e->in.scale == 0.0) {
                snprintf(error, error_size, "[Encoder] Channel=%s: its scale is 0", config->channel);
                r = -EINVAL;
                goto fail;
        }

        if (config->buffered && iio_channel_is_scan_element(e->in.channel)) {
                if (sample_hz && iio_device_find_attr(dev, "sampling_frequency"))
                        (void)iio_device_attr_write_longlong(dev, "sampling_frequency", sample_hz);
                r = iio_input_set_trigger(e->ctx, dev, config->trigger, sample_hz,
                                          "[Encoder] Trigger", error, error_size);
                if (r < 0)
                        goto fail;
                iio_channel_enable(e->in.channel);
                /* each revolution measured on the scans' own times */
                (void)iio_input_open_timestamp(&e->timestamp, dev);
                e->buffer = iio_input_open_buffer(dev, ENCODER_BUFFER_SAMPLES, "[Encoder] Device",
                                                  error, error_size);
                if (!e->buffer) {
                        iio_channel_disable(e->in.channel);
                        if (e->timestamp.channel)
                                iio_channel_disable(e->timestamp.channel);
                        e->timestamp.channel = NULL;
                } else if (e->timestamp.channel) {
                        e->timestamp_offset =
                                (const char *)iio_buffer_first(e->buffer, e->timestamp.channel) -
                                (const char *)iio_buffer_first(e->buffer, e->in.channel);
                }
        }
        if (!e->buffer) {
                r = iio_input_open_raw(&e->in, dev, "[Encoder] Channel", error, error_size);
                if (r < 0)
                        goto fail;
        }

        resolution = fabs(e->in.scale);
        if (e->kind == CHANNEL_COUNT)
                resolution *= 2.0 * M_PI / e->counts_per_rev;
        *enc = (struct encoder){
                .ops = e->buffer ? &buffered_ops : &direct_ops,
                .data = e,
                .quantity = e->kind == CHANNEL_VELOCITY ? ENCODER_ANGULAR_VELOCITY : ENCODER_ANGLE,
                .resolution = resolution,
        };
        return 0;

fail:
        {
                struct encoder tmp = { .data = e };

                iio_encoder_close(&tmp);
        }
        return r;
}
