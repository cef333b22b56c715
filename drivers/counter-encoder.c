/* SPDX-License-Identifier: MIT */
/*
 * The crank encoder on a quadrature decoder of the Linux counter subsystem
 * (Documentation/ABI/testing/sysfs-bus-counter): the BeagleBone Black's
 * AM335x eQEP through the ti-eqep driver (drivers/counter/ti-eqep.c, in
 * Debian 12's BeagleBone kernels), or any counter that counts a
 * quadrature encoder. The device is /sys/bus/counter/devices/counterN
 * whose "name" is the configured one (ti-eqep names it after its device,
 * e.g. 48304180.counter); its countM/count is read once a control period.
 * The ceiling makes the count wrap once a revolution, forwards and
 * backwards; it is still taken modulo CountsPerRevolution, for a counter
 * that wraps at its own width instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time-util.h"
#include "hw-drivers.h"
#include "sysfs-attr.h"

#define COUNTER_DEVICES "/sys/bus/counter/devices"
#define COUNTER_FUNCTION "quadrature x4"

struct counter_encoder {
        int count_fd;
        uint64_t counts_per_rev;
        double rad_per_count;
};

/* RT: one pread of the count, parsed without stdio. */
static int counter_encoder_read(struct encoder *enc, struct encoder_sample *out)
{
        struct counter_encoder *c = enc->data;
        char buf[32];
        uint64_t count = 0;
        ssize_t n;
        ssize_t i;

        n = pread(c->count_fd, buf, sizeof(buf), 0);
        if (n < 0)
                return -errno;
        for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
                count = count * 10 + (uint64_t)(buf[i] - '0');
        if (i == 0 || (i < n && buf[i] != '\n'))
                return -EBADMSG;
        out->time_ns = now_ns(CLOCK_MONOTONIC);
        out->value = (double)(count % c->counts_per_rev) * c->rad_per_count;
        return 0;
}

static void counter_encoder_close(struct encoder *enc)
{
        struct counter_encoder *c = enc->data;

        if (c && c->count_fd >= 0)
                close(c->count_fd);
        free(c);
        enc->data = NULL;
}

static const struct encoder_ops counter_encoder_ops = {
        .name = "counter",
        .read = counter_encoder_read,
        .close = counter_encoder_close,
};

/* The counterN directory whose name is device; else an error listing the
 * names there are. */
static int find_device(const char *device, char *dir, size_t dir_size, char *error,
                       size_t error_size)
{
        char names[256] = "", path[512], name[128];
        DIR *d = opendir(COUNTER_DEVICES);
        struct dirent *de;
        int r = -ENODEV;

        if (!d) {
                r = -errno;
                snprintf(error, error_size, "[Encoder] Device=%s: no counter devices (%s: %s)",
                         device, COUNTER_DEVICES, strerror(-r));
                return r;
        }
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, "counter", 7) != 0)
                        continue;
                snprintf(path, sizeof(path), COUNTER_DEVICES "/%s/name", de->d_name);
                if (sysfs_read_path(path, name, sizeof(name)) < 0)
                        continue;
                if (strcmp(name, device) == 0) {
                        snprintf(dir, dir_size, COUNTER_DEVICES "/%s", de->d_name);
                        r = 0;
                        break;
                }
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                         names[0] ? ", " : "", name);
        }
        closedir(d);
        if (r < 0)
                snprintf(error, error_size, "[Encoder] Device=%s: no counter device of that name "
                         "(there are: %s)", device, names[0] ? names : "none");
        return r;
}

/* count<N>, as the IIO encoder's channel key has it */
static int parse_count(const char *channel, unsigned *index)
{
        char *end;
        unsigned long v;

        if (strncmp(channel, "count", 5) != 0 || channel[5] < '0' || channel[5] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(channel + 5, &end, 10);
        if (*end || errno || v > 255)
                return -EINVAL;
        *index = (unsigned)v;
        return 0;
}

/* One value, ended by a newline as `echo` would write it. */
static int write_attr(const char *count_dir, const char *attr, const char *value, char *error,
                      size_t error_size)
{
        char path[600], line[64];
        int r;

        snprintf(path, sizeof(path), "%s/%s", count_dir, attr);
        snprintf(line, sizeof(line), "%s\n", value);
        r = sysfs_write_path(path, line);
        if (r < 0)
                snprintf(error, error_size, "[Encoder] Device: cannot write \"%s\" to %s: %s", value,
                         path, strerror(-r));
        return r;
}

/* Quadrature x4, wrapping once a revolution (the ceiling is the last
 * count before it wraps: on the eQEP its position maximum, whose reset
 * value 0 would keep the count at 0). Disabled while it is set up. */
static int set_up(const char *count_dir, uint64_t counts_per_rev, char *error, size_t error_size)
{
        char path[600], value[32];
        int r;

        r = write_attr(count_dir, "enable", "0", error, error_size);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/function", count_dir);
        if (access(path, F_OK) == 0) {
                r = write_attr(count_dir, "function", COUNTER_FUNCTION, error, error_size);
                if (r < 0)
                        return r;
        }
        snprintf(value, sizeof(value), "%llu", (unsigned long long)(counts_per_rev - 1));
        r = write_attr(count_dir, "ceiling", value, error, error_size);
        if (r < 0)
                return r;
        return write_attr(count_dir, "enable", "1", error, error_size);
}

int counter_encoder_open(struct encoder *enc, const struct hw_encoder_config *config, char *error,
                         size_t error_size)
{
        struct counter_encoder *c;
        char dir[300], count_dir[400], path[500];
        unsigned index;
        int r;

        if (parse_count(config->channel, &index) < 0) {
                snprintf(error, error_size, "[Encoder] Channel=%s: a counter's count is count<N>",
                         config->channel);
                return -EINVAL;
        }
        if (config->counts_per_rev < 1 || config->counts_per_rev != floor(config->counts_per_rev)) {
                snprintf(error, error_size, "[Encoder] CountsPerRevolution=%g: a whole number of "
                         "counts is needed", config->counts_per_rev);
                return -EINVAL;
        }
        r = find_device(config->device, dir, sizeof(dir), error, error_size);
        if (r < 0)
                return r;
        snprintf(count_dir, sizeof(count_dir), "%s/count%u", dir, index);
        snprintf(path, sizeof(path), "%s/count", count_dir);
        if (access(path, F_OK) < 0) {
                r = -errno;
                snprintf(error, error_size, "[Encoder] Channel=%s: %s has no such count (%s: %s)",
                         config->channel, config->device, path, strerror(-r));
                return r;
        }
        r = set_up(count_dir, (uint64_t)config->counts_per_rev, error, error_size);
        if (r < 0)
                return r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->counts_per_rev = (uint64_t)config->counts_per_rev;
        c->rad_per_count = 2.0 * M_PI / config->counts_per_rev;
        c->count_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (c->count_fd < 0) {
                r = -errno;
                snprintf(error, error_size, "[Encoder] Channel=%s: cannot open %s: %s",
                         config->channel, path, strerror(-r));
                free(c);
                return r;
        }
        *enc = (struct encoder){
                .ops = &counter_encoder_ops,
                .data = c,
                .quantity = ENCODER_ANGLE,
                .resolution = c->rad_per_count,
        };
        return 0;
}
