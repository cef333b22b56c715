/* SPDX-License-Identifier: MIT */
#include "sysfs-attr.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sysfs_read_path(const char *path, char *buf, size_t size)
{
        ssize_t n;
        int fd;

        if (size == 0)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        close(fd);
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        return 0;
}

int sysfs_write_path(const char *path, const char *value)
{
        size_t len = strlen(value);
        ssize_t n;
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                r = -errno;
        else if ((size_t)n != len)
                r = -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

int sysfs_read_u64_path(const char *path, uint64_t *value)
{
        char buf[32], *end;
        unsigned long long v;
        int r;

        r = sysfs_read_path(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (end == buf || *end || errno || buf[0] == '-')
                return -EINVAL;
        *value = v;
        return 0;
}

int sysfs_read_double_path(const char *path, double *value)
{
        char buf[64], *end;
        double v;
        int r;

        r = sysfs_read_path(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        errno = 0;
        v = strtod(buf, &end);
        if (end == buf || *end || errno || !isfinite(v))
                return -EINVAL;
        *value = v;
        return 0;
}

size_t sysfs_format_u64(char *buf, uint64_t value)
{
        char digits[20];
        size_t n = 0, len;

        do {
                digits[n++] = (char)('0' + value % 10);
                value /= 10;
        } while (value);
        len = n;
        for (size_t i = 0; i < len; i++)
                buf[i] = digits[--n];
        buf[len] = 0;
        return len;
}

int sysfs_write_u64(int fd, uint64_t value)
{
        char buf[22];
        size_t len = sysfs_format_u64(buf, value);
        ssize_t n;

        buf[len++] = '\n';
        n = pwrite(fd, buf, len, 0);

        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}
