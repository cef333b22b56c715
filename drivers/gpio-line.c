/* SPDX-License-Identifier: MIT */
#include "gpio-line.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_offset(const char *s, unsigned *offset)
{
        char *end;
        unsigned long v;

        if (!*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || v > 4096)
                return false;
        *offset = (unsigned)v;
        return true;
}

int gpio_line_find(const char *spec, const char *key, struct gpiod_line **ret, char *error,
                   size_t error_size)
{
        const char *colon = strchr(spec, ':');
        struct gpiod_chip *chip;
        struct gpiod_line *line;
        char chip_name[64];
        const char *name;
        unsigned offset;

        if (!colon) {
                /* gpio-line-names are unique on a board: search every chip */
                if (parse_offset(spec, &offset)) {
                        snprintf(error, error_size, "%s=%s: an offset needs its chip, as in "
                                 "gpiochip0:%s", key, spec, spec);
                        return -EINVAL;
                }
                errno = 0;
                line = gpiod_line_find(spec);
                if (!line) {
                        int r = errno ? -errno : -ENOENT;

                        snprintf(error, error_size, "%s=%s: no GPIO line of that name on any "
                                 "chip (gpioinfo lists them)", key, spec);
                        return r;
                }
                *ret = line;
                return 0;
        }

        snprintf(chip_name, sizeof(chip_name), "%.*s", (int)(colon - spec), spec);
        name = colon + 1;
        chip = gpiod_chip_open_lookup(chip_name);
        if (!chip) {
                int r = errno ? -errno : -ENOENT;

                snprintf(error, error_size, "%s=%s: no GPIO chip \"%s\" (by name, label or "
                         "number; gpiodetect lists them)", key, spec, chip_name);
                return r;
        }
        if (parse_offset(name, &offset)) {
                line = offset < gpiod_chip_num_lines(chip) ? gpiod_chip_get_line(chip, offset) : NULL;
                if (!line) {
                        snprintf(error, error_size, "%s=%s: %s has %u lines, no offset %u", key,
                                 spec, gpiod_chip_name(chip), gpiod_chip_num_lines(chip), offset);
                        gpiod_chip_close(chip);
                        return -ENOENT;
                }
        } else {
                line = gpiod_chip_find_line(chip, name);
                if (!line) {
                        snprintf(error, error_size, "%s=%s: %s has no line named \"%s\"", key,
                                 spec, gpiod_chip_name(chip), name);
                        gpiod_chip_close(chip);
                        return -ENOENT;
                }
        }
        *ret = line;
        return 0;
}

void gpio_line_close(struct gpiod_line *line)
{
        if (line)
                gpiod_line_close_chip(line);
}

int gpio_out_open(struct gpio_out *out, const char *spec, bool active_low, bool active,
                  const char *key, char *error, size_t error_size)
{
        int r;

        out->line = NULL;
        if (!*spec)
                return 0;
        r = gpio_line_find(spec, key, &out->line, error, error_size);
        if (r < 0)
                return r;
        if (gpiod_line_request_output_flags(out->line, GPIO_CONSUMER,
                                            active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0,
                                            active) < 0) {
                r = -errno;
                snprintf(error, error_size, "%s=%s: cannot drive the line (%s; used by \"%s\"?)",
                         key, spec, strerror(-r), gpiod_line_consumer(out->line) ?: "nobody");
                gpio_line_close(out->line);
                out->line = NULL;
                return r;
        }
        return 0;
}

int gpio_out_set(struct gpio_out *out, bool active)
{
        if (!out->line)
                return 0;
        return gpiod_line_set_value(out->line, active) < 0 ? -errno : 0;
}

void gpio_out_close(struct gpio_out *out)
{
        gpio_line_close(out->line);
        out->line = NULL;
}
