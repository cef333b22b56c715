/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the IIO encoder and IMU share: finding a device by name through
 * libiio's local backend, and reading an input channel as the kernel ABI
 * defines it (Documentation/ABI/testing/sysfs-bus-iio): value =
 * (raw + offset) * scale, scale and offset defaulting to 1 and 0. A
 * channel is read either from the device's buffer (scan elements,
 * /dev/iio:deviceN) or, in direct mode, from its in_*_raw file kept open.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iio_context;
struct iio_device;
struct iio_channel;
struct iio_buffer;

struct iio_input {
        struct iio_channel *channel;
        double scale, offset;
        unsigned bits;          /* significant bits of the raw value; 0: unknown */
        bool is_signed;
        int raw_fd;             /* direct mode: in_*_raw; -1 otherwise */
};

static inline double iio_input_value(const struct iio_input *in, int64_t raw)
{
        return ((double)raw + in->offset) * in->scale;
}

/* The device whose name (or label, or iio:deviceN id) is name; key names
 * the configuration key in the error. */
int iio_input_find_device(struct iio_context **ctx, const char *name, const char *key,
                          struct iio_device **ret, char *error, size_t error_size);

/* The input channel with this id (angl0, accel_x, ...), its scale and
 * offset read. Returns -ENOENT quietly when absent and required is false. */
int iio_input_open(struct iio_input *in, struct iio_device *dev, const char *id, bool required,
                   const char *key, char *error, size_t error_size);
/* Opens in_*_raw for iio_input_read_raw(). */
int iio_input_open_raw(struct iio_input *in, struct iio_device *dev, const char *key, char *error,
                       size_t error_size);
void iio_input_close(struct iio_input *in);

/* RT: one pread of in_*_raw. */
int iio_input_read_raw(struct iio_input *in, int64_t *raw);
/* RT: the channel's raw value in one sample of a refilled buffer. */
int64_t iio_input_from_buffer(const struct iio_input *in, const void *sample);

/* A raw value at either end of what the channel's bits hold: a device
 * saturates there (an accelerometer past its range). False when the bits
 * are unknown. */
static inline bool iio_input_at_limit(const struct iio_input *in, int64_t raw)
{
        int64_t top;

        if (in->bits == 0 || in->bits >= 64)
                return false;
        top = in->is_signed ? (int64_t)((1ull << (in->bits - 1)) - 1) : (int64_t)((1ull << in->bits) - 1);
        return raw >= top || raw <= (in->is_signed ? -top - 1 : 0);
}

/* Sets the trigger named name (empty: leaves the device's own) as the
 * device's current_trigger, and sample_hz (0: leaves it) as the trigger's
 * sampling_frequency when it has one. */
int iio_input_set_trigger(struct iio_context *ctx, struct iio_device *dev, const char *name,
                          double sample_hz, const char *key, char *error, size_t error_size);

/* The scan's timestamp channel (in_timestamp, s64 ns), enabled, with the
 * device told to stamp its scans on CLOCK_MONOTONIC, the control loop's
 * clock (current_timestamp_clock, sysfs-bus-iio): the time each scan was
 * taken, not the time the loop read it, a period or a burst later.
 * -ENOENT, the channel left alone, when the device has no such channel or
 * cannot use that clock: the caller stamps with the read's time. */
int iio_input_open_timestamp(struct iio_input *ts, struct iio_device *dev);

/* A non-blocking buffer of samples_count samples with the enabled
 * channels; NULL with a sentence in error when the device cannot. */
struct iio_buffer *iio_input_open_buffer(struct iio_device *dev, size_t samples_count,
                                         const char *key, char *error, size_t error_size);

/* RT: takes what the device has captured since the last call; returns the
 * number of complete samples (0: none new) and the last one's address. */
int iio_input_refill(struct iio_buffer *buf, const struct iio_input *first, const void **first_sample,
                     const void **last_sample);
