/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * One GPIO line through libgpiod v1, named as hw_gpio_line.spec says
 * ("line" or "chip:line"), requested with the consumer "percussd". Every
 * error is written to error as a sentence naming the configuration key
 * and what was looked for.
 */

#include <stdbool.h>
#include <stddef.h>

struct gpiod_line;

#define GPIO_CONSUMER "percussd"

/* The line spec names, its chip open; release it with gpio_line_close(). */
int gpio_line_find(const char *spec, const char *key, struct gpiod_line **ret, char *error,
                   size_t error_size);
void gpio_line_close(struct gpiod_line *line);

/* An output line that may be absent (line NULL: every set is a no-op). */
struct gpio_out {
        struct gpiod_line *line;
};

/* Requests the line as an output, driven active or inactive from the
 * start; an empty spec leaves out->line NULL. */
int gpio_out_open(struct gpio_out *out, const char *spec, bool active_low, bool active,
                  const char *key, char *error, size_t error_size);
/* RT: one ioctl. */
int gpio_out_set(struct gpio_out *out, bool active);
void gpio_out_close(struct gpio_out *out);
