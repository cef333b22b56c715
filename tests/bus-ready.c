/* SPDX-License-Identifier: MIT */
#include "bus-ready.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bus_ready_init(struct bus_ready *ready)
{
        int fds[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        ready->read_fd = fds[0];
        /* the child's copy must survive exec: the write end without O_CLOEXEC */
        ready->write_fd = fcntl(fds[1], F_DUPFD, 3);
        close(fds[1]);
        if (ready->write_fd < 0) {
                close(ready->read_fd);
                return -errno;
        }
        snprintf(ready->arg, sizeof(ready->arg), "--print-address=%d", ready->write_fd);
        return 0;
}

static int read_address_line(int fd, long deadline_ms)
{
        char line[512];
        size_t have = 0;

        while (!memchr(line, '\n', have)) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                long left = deadline_ms - now_ms();
                ssize_t n;

                if (left <= 0)
                        return -ETIMEDOUT;
                if (poll(&pfd, 1, (int)left) <= 0)
                        continue;
                n = read(fd, line + have, sizeof(line) - 1 - have);
                if (n <= 0)
                        return -ECHILD;
                have += (size_t)n;
                if (have >= sizeof(line) - 1)
                        return -EPROTO;
        }
        return 0;
}

int bus_ready_wait(struct bus_ready *ready, int timeout_ms)
{
        int r;

        close(ready->write_fd);
        ready->write_fd = -1;
        r = read_address_line(ready->read_fd, now_ms() + timeout_ms);
        close(ready->read_fd);
        ready->read_fd = -1;
        return r;
}
