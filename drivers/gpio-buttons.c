/* SPDX-License-Identifier: MIT */
/*
 * The panel's buttons on GPIO lines through libgpiod v1: each line
 * requested for both edges (active-low as configured, so that a rising
 * edge is a press), their event files gathered in one epoll file for the
 * main loop.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "gpio-line.h"
#include "hw-drivers.h"

struct gpio_buttons {
        int epoll_fd;
        unsigned count;
        struct gpiod_line *lines[HW_BUTTONS];
        const char *names[HW_BUTTONS];
};

static int gpio_buttons_get_fd(struct buttons *buttons)
{
        struct gpio_buttons *b = buttons->data;

        return b->epoll_fd;
}

static int gpio_buttons_read_event(struct buttons *buttons, struct button_event *out)
{
        struct gpio_buttons *b = buttons->data;
        struct gpiod_line_event ev;
        struct epoll_event ready;
        unsigned index;
        int n;

        n = epoll_wait(b->epoll_fd, &ready, 1, 0);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        if (n == 0)
                return 0;
        index = ready.data.u32;
        if (gpiod_line_event_read(b->lines[index], &ev) < 0)
                return -errno;
        /* the kernel stamps line events with CLOCK_MONOTONIC (since Linux 5.7) */
        *out = (struct button_event){
                .time_ns = (uint64_t)ev.ts.tv_sec * 1000000000ull + (uint64_t)ev.ts.tv_nsec,
                .index = index,
                .pressed = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE,
        };
        return 1;
}

static void gpio_buttons_close(struct buttons *buttons)
{
        struct gpio_buttons *b = buttons->data;

        for (unsigned i = 0; i < b->count; i++)
                gpio_line_close(b->lines[i]);
        if (b->epoll_fd >= 0)
                close(b->epoll_fd);
        free(b);
        buttons->data = NULL;
}

static const struct buttons_ops gpio_buttons_ops = {
        .name = "gpio-buttons",
        .get_fd = gpio_buttons_get_fd,
        .read_event = gpio_buttons_read_event,
        .close = gpio_buttons_close,
};

static const char *const button_keys[HW_BUTTONS] = {
        "[Buttons] MainLine", "[Buttons] PlusLine", "[Buttons] MinusLine",
};

int gpio_buttons_open(struct buttons *buttons, const struct hw_buttons_config *config, char *error,
                      size_t error_size)
{
        struct gpio_buttons *b;
        int r = 0;

        if (!config->lines[0][0]) {
                snprintf(error, error_size, "[Buttons] MainLine is not set: the main button's GPIO "
                         "line (gpioinfo lists them)");
                return -EINVAL;
        }
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (b->epoll_fd < 0) {
                r = -errno;
                snprintf(error, error_size, "Cannot watch the buttons: %s", strerror(-r));
                goto fail;
        }
        for (unsigned i = 0; i < HW_BUTTONS; i++) {
                const char *spec = config->lines[i];
                struct gpiod_line *line;
                struct epoll_event ev = { .events = EPOLLIN, .data.u32 = b->count };

                if (!*spec)
                        continue;
                r = gpio_line_find(spec, button_keys[i], &line, error, error_size);
                if (r < 0)
                        goto fail;
                b->lines[b->count] = line;
                b->names[b->count] = hw_button_names[i];
                b->count++;
                if (gpiod_line_request_both_edges_events_flags(line, GPIO_CONSUMER,
                                config->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) < 0) {
                        r = -errno;
                        snprintf(error, error_size, "%s=%s: cannot watch the line (%s)",
                                 button_keys[i], spec, strerror(-r));
                        goto fail;
                }
                if (epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, gpiod_line_event_get_fd(line), &ev) < 0) {
                        r = -errno;
                        snprintf(error, error_size, "%s=%s: cannot watch the line (%s)",
                                 button_keys[i], spec, strerror(-r));
                        goto fail;
                }
        }
        *buttons = (struct buttons){
                .ops = &gpio_buttons_ops,
                .data = b,
                .names = b->names,
                .count = b->count,
        };
        return 0;

fail:
        {
                struct buttons tmp = { .data = b };

                gpio_buttons_close(&tmp);
        }
        return r;
}
