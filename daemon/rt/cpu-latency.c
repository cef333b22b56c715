/* SPDX-License-Identifier: MIT */
#include "cpu-latency.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/log.h"

void cpu_latency_init(struct cpu_latency *l, const char *path, int32_t limit_us)
{
        *l = (struct cpu_latency){ .path = path, .limit_us = limit_us, .fd = -1 };
}

static int request(struct cpu_latency *l)
{
        ssize_t n;
        int fd, r;

        fd = open(l->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* the kernel takes the limit as a binary s32, µs */
        n = write(fd, &l->limit_us, sizeof(l->limit_us));
        if (n == (ssize_t)sizeof(l->limit_us)) {
                l->fd = fd;
                return 0;
        }
        r = n < 0 ? -errno : -EIO;
        close(fd);
        return r;
}

int cpu_latency_hold(struct cpu_latency *l)
{
        int r;

        if (l->fd >= 0 || l->limit_us < 0)
                return 0;
        r = request(l);
        if (r < 0 && !l->told) {
                l->told = true;
                log_notice_errno(r, "Cannot hold a CPU wake-up latency limit of %d µs through "
                                 "%s: %m. The motor runs anyway; the control loop's wake-ups "
                                 "may be late more often. [Control] WakeLatency=any stops "
                                 "asking.", (int)l->limit_us, l->path);
        }
        return r;
}

void cpu_latency_release(struct cpu_latency *l)
{
        if (l->fd < 0)
                return;
        close(l->fd);
        l->fd = -1;
}
