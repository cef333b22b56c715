/* SPDX-License-Identifier: MIT */
/* The panel's LEDs on GPIO output lines through libgpiod v1, off at start. */
#include <errno.h>
#include <stdlib.h>

#include "gpio-line.h"
#include "hw-drivers.h"

struct gpio_leds {
        unsigned count;
        struct gpio_out lines[HW_LEDS];
        const char *names[HW_LEDS];
};

static int gpio_leds_set(struct leds *leds, unsigned index, bool on)
{
        struct gpio_leds *l = leds->data;

        if (index >= l->count)
                return -EINVAL;
        return gpio_out_set(&l->lines[index], on);
}

static void gpio_leds_close(struct leds *leds)
{
        struct gpio_leds *l = leds->data;

        for (unsigned i = 0; i < l->count; i++)
                gpio_out_close(&l->lines[i]);
        free(l);
        leds->data = NULL;
}

static const struct leds_ops gpio_leds_ops = {
        .name = "gpio-leds",
        .set = gpio_leds_set,
        .close = gpio_leds_close,
};

static const char *const led_keys[HW_LEDS] = {
        "[LEDs] StatusLine", "[LEDs] FaultLine", "[LEDs] Level1Line", "[LEDs] Level2Line",
        "[LEDs] Level3Line", "[LEDs] Level4Line", "[LEDs] Level5Line",
};

int gpio_leds_open(struct leds *leds, const struct hw_leds_config *config, char *error,
                   size_t error_size)
{
        struct gpio_leds *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return -ENOMEM;
        for (unsigned i = 0; i < HW_LEDS; i++) {
                if (!config->lines[i][0])
                        continue;
                r = gpio_out_open(&l->lines[l->count], config->lines[i], config->active_low, false,
                                  led_keys[i], error, error_size);
                if (r < 0) {
                        struct leds tmp = { .data = l };

                        gpio_leds_close(&tmp);
                        return r;
                }
                l->names[l->count++] = hw_led_names[i];
        }
        *leds = (struct leds){
                .ops = &gpio_leds_ops,
                .data = l,
                .names = l->names,
                .count = l->count,
        };
        return 0;
}
