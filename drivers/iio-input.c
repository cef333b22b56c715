/* SPDX-License-Identifier: MIT */
#include "iio-input.h"

#include <errno.h>
#include <fcntl.h>
#include <iio.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IIO_SYSFS_DEVICES "/sys/bus/iio/devices"

int iio_input_find_device(struct iio_context **ctx, const char *name, const char *key,
                          struct iio_device **ret, char *error, size_t error_size)
{
        char found[256] = "";
        size_t len = 0;
        unsigned count;

        if (!*name) {
                snprintf(error, error_size, "%s is not set: name the IIO device (cat "
                         IIO_SYSFS_DEVICES "/*/name)", key);
                return -EINVAL;
        }
        if (!*ctx) {
                *ctx = iio_create_local_context();
                if (!*ctx) {
                        int r = -errno;

                        snprintf(error, error_size, "%s=%s: no IIO devices (" IIO_SYSFS_DEVICES
                                 ": %s)", key, name, strerror(-r));
                        return r;
                }
        }
        *ret = iio_context_find_device(*ctx, name);
        if (*ret)
                return 0;

        count = iio_context_get_devices_count(*ctx);
        for (unsigned i = 0; i < count && len < sizeof(found); i++) {
                const char *n = iio_device_get_name(iio_context_get_device(*ctx, i));

                len += (size_t)snprintf(found + len, sizeof(found) - len, "%s%s", i ? ", " : "",
                                        n ? n : iio_device_get_id(iio_context_get_device(*ctx, i)));
        }
        snprintf(error, error_size, "%s=%s: no IIO device of that name (there are: %s)", key, name,
                 count ? found : "none");
        return -ENODEV;
}

static double attr_or(struct iio_channel *chn, const char *attr, double fallback)
{
        double v;

        if (!iio_channel_find_attr(chn, attr) || iio_channel_attr_read_double(chn, attr, &v) < 0)
                return fallback;
        return v;
}

int iio_input_open(struct iio_input *in, struct iio_device *dev, const char *id, bool required,
                   const char *key, char *error, size_t error_size)
{
        *in = (struct iio_input){ .raw_fd = -1 };
        in->channel = iio_device_find_channel(dev, id, false);
        if (!in->channel) {
                if (required)
                        snprintf(error, error_size, "%s: IIO device %s has no input channel %s "
                                 "(no in_%s_raw)", key, iio_device_get_name(dev) ?: "?", id, id);
                return -ENOENT;
        }
        in->scale = attr_or(in->channel, "scale", 1.0);
        in->offset = attr_or(in->channel, "offset", 0.0);
        if (iio_channel_is_scan_element(in->channel)) {
                const struct iio_data_format *f = iio_channel_get_data_format(in->channel);

                in->bits = f->bits;
                in->is_signed = f->is_signed;
        }
        return 0;
}

int iio_input_open_raw(struct iio_input *in, struct iio_device *dev, const char *key, char *error,
                       size_t error_size)
{
        const char *file = iio_channel_attr_get_filename(in->channel, "raw");
        char path[PATH_MAX];

        if (!file) {
                snprintf(error, error_size, "%s: channel %s of %s has no raw value to read", key,
                         iio_channel_get_id(in->channel), iio_device_get_name(dev) ?: "?");
                return -ENOENT;
        }
        snprintf(path, sizeof(path), IIO_SYSFS_DEVICES "/%s/%s", iio_device_get_id(dev), file);
        in->raw_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->raw_fd < 0) {
                int r = -errno;

                snprintf(error, error_size, "%s: cannot open %s: %s", key, path, strerror(-r));
                return r;
        }
        return 0;
}

void iio_input_close(struct iio_input *in)
{
        if (in->raw_fd >= 0)
                close(in->raw_fd);
        in->raw_fd = -1;
}

int iio_input_read_raw(struct iio_input *in, int64_t *raw)
{
        char buf[32], *end;
        ssize_t n = pread(in->raw_fd, buf, sizeof(buf) - 1, 0);
        long long v;

        if (n < 0)
                return -errno;
        buf[n] = 0;
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (end == buf || errno || (*end && *end != '\n'))
                return -EBADMSG;
        *raw = v;
        return 0;
}

int64_t iio_input_from_buffer(const struct iio_input *in, const void *sample)
{
        const struct iio_data_format *f = iio_channel_get_data_format(in->channel);
        union {
                uint8_t u8; int8_t s8; uint16_t u16; int16_t s16;
                uint32_t u32; int32_t s32; uint64_t u64; int64_t s64;
        } v = { .u64 = 0 };

        /* endianness, shift and sign extension as the scan element's type says */
        iio_channel_convert(in->channel, &v, sample);
        switch (f->length) {
        case 8:
                return f->is_signed ? (int64_t)v.s8 : (int64_t)v.u8;
        case 16:
                return f->is_signed ? (int64_t)v.s16 : (int64_t)v.u16;
        case 32:
                return f->is_signed ? (int64_t)v.s32 : (int64_t)v.u32;
        default:
                return v.s64;
        }
}

int iio_input_set_trigger(struct iio_context *ctx, struct iio_device *dev, const char *name,
                          double sample_hz, const char *key, char *error, size_t error_size)
{
        const struct iio_device *trigger;
        char found[256] = "";
        size_t len = 0;
        int r;

        if (!*name)
                return 0;
        trigger = iio_context_find_device(ctx, name);
        if (!trigger || !iio_device_is_trigger(trigger)) {
                unsigned count = iio_context_get_devices_count(ctx);

                for (unsigned i = 0; i < count && len < sizeof(found); i++) {
                        const struct iio_device *d = iio_context_get_device(ctx, i);

                        if (iio_device_is_trigger(d))
                                len += (size_t)snprintf(found + len, sizeof(found) - len, "%s%s",
                                                        len ? ", " : "", iio_device_get_name(d));
                }
                snprintf(error, error_size, "%s=%s: no IIO trigger of that name (there are: %s)",
                         key, name, len ? found : "none");
                return -ENODEV;
        }
        if (sample_hz > 0 && iio_device_find_attr(trigger, "sampling_frequency")) {
                r = iio_device_attr_write_double(trigger, "sampling_frequency", sample_hz);
                if (r < 0) {
                        snprintf(error, error_size, "%s=%s: the trigger refuses %g Hz: %s", key,
                                 name, sample_hz, strerror(-r));
                        return r;
                }
        }
        r = iio_device_set_trigger(dev, trigger);
        if (r < 0) {
                snprintf(error, error_size, "%s=%s: cannot make it %s's trigger: %s", key, name,
                         iio_device_get_name(dev) ?: iio_device_get_id(dev), strerror(-r));
                return r;
        }
        return 0;
}

int iio_input_open_timestamp(struct iio_input *ts, struct iio_device *dev)
{
        char ignored[8];

        if (iio_input_open(ts, dev, "timestamp", false, "", ignored, sizeof(ignored)) < 0)
                return -ENOENT;
        if (!iio_channel_is_scan_element(ts->channel) ||
            !iio_device_find_attr(dev, "current_timestamp_clock") ||
            iio_device_attr_write(dev, "current_timestamp_clock", "monotonic") < 0) {
                ts->channel = NULL;
                return -ENOENT;
        }
        iio_channel_enable(ts->channel);
        return 0;
}

struct iio_buffer *iio_input_open_buffer(struct iio_device *dev, size_t samples_count,
                                         const char *key, char *error, size_t error_size)
{
        struct iio_buffer *buf = iio_device_create_buffer(dev, samples_count, false);
        int r;

        if (!buf) {
                snprintf(error, error_size, "%s: cannot start capture on %s (/dev/%s): %s", key,
                         iio_device_get_name(dev) ?: "?", iio_device_get_id(dev), strerror(errno));
                return NULL;
        }
        /* the control thread takes what is there, it never waits */
        r = iio_buffer_set_blocking_mode(buf, false);
        if (r < 0) {
                snprintf(error, error_size, "%s: cannot read %s without blocking: %s", key,
                         iio_device_get_id(dev), strerror(-r));
                iio_buffer_destroy(buf);
                return NULL;
        }
        return buf;
}

int iio_input_refill(struct iio_buffer *buf, const struct iio_input *first, const void **first_sample,
                     const void **last_sample)
{
        ssize_t n = iio_buffer_refill(buf);
        ptrdiff_t step;
        uintptr_t start, end;
        size_t count;

        if (n == -EAGAIN)
                return 0;
        if (n < 0)
                return (int)n;
        step = iio_buffer_step(buf);
        start = (uintptr_t)iio_buffer_first(buf, first->channel);
        end = (uintptr_t)iio_buffer_end(buf);
        if (step <= 0 || end <= start)
                return 0;
        /* the kernel hands out whole scans; a partial tail is not one */
        count = (end - (uintptr_t)iio_buffer_start(buf)) / (size_t)step;
        if (count == 0)
                return 0;
        *first_sample = (const void *)start;
        *last_sample = (const void *)(start + (count - 1) * (size_t)step);
        return count > INT_MAX ? INT_MAX : (int)count;
}
