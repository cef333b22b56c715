/* SPDX-License-Identifier: MIT */
#include "led-status.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

static int find(const struct leds *leds, const char *name)
{
        for (unsigned i = 0; i < leds->count; i++)
                if (strcmp(leds->names[i], name) == 0)
                        return (int)i;
        return -1;
}

static void set(struct led_status *ls, int index, bool on)
{
        int r;

        if (index < 0)
                return;
        r = ls->leds->ops->set(ls->leds, (unsigned)index, on);
        if (r < 0)
                log_warning_errno(r, "Failed to set LED %s (%s): %m", ls->leds->names[index],
                                  ls->leds->ops->name);
}

static int on_blink(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct led_status *ls = userdata;
        uint64_t half_us = ls->blinking == ls->fault ? LED_FAST_BLINK_HALF_PERIOD_US :
                                                       LED_BLINK_HALF_PERIOD_US;

        ls->blink_on = !ls->blink_on;
        set(ls, ls->blinking, ls->blink_on);
        return sd_event_source_set_time(source, usec + half_us);
}

int led_status_start(struct led_status *ls, sd_event *event, struct leds *leds)
{
        int r;

        *ls = (struct led_status){ .leds = leds, .status = -1, .fault = -1, .blinking = -1 };
        if (!leds->ops)
                return 0;
        ls->status = find(leds, "status");
        ls->fault = find(leds, "fault");
        for (unsigned i = 0; i < SESSION_INTENSITY_MAX; i++) {
                char name[16];

                snprintf(name, sizeof(name), "level%u", i + 1);
                ls->level[i] = find(leds, name);
        }
        r = sd_event_add_time(event, &ls->blink_timer, CLOCK_MONOTONIC, 0, 0, on_blink, ls);
        if (r >= 0)
                r = sd_event_source_set_enabled(ls->blink_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the LEDs' blink timer: %m");
        led_status_show(ls, SESSION_IDLE, 0);
        return 0;
}

static void blink(struct led_status *ls, int index)
{
        if (ls->blinking == index)
                return;
        ls->blinking = index;
        ls->blink_on = false;
        if (index < 0) {
                (void)sd_event_source_set_enabled(ls->blink_timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_set_time_relative(ls->blink_timer, 0);
        (void)sd_event_source_set_enabled(ls->blink_timer, SD_EVENT_ON);
}

void led_status_show(struct led_status *ls, enum session_state state, unsigned intensity)
{
        bool session_on = state == SESSION_RUNNING || state == SESSION_PAUSED ||
                          state == SESSION_WAITING;

        if (!ls->leds->ops)
                return;
        switch (state) {
        case SESSION_RUNNING:
                blink(ls, -1);
                set(ls, ls->status, true);
                set(ls, ls->fault, ls->battery_low);
                break;
        case SESSION_PAUSED:
        case SESSION_WAITING:
                set(ls, ls->fault, false);
                blink(ls, ls->status);
                break;
        case SESSION_FAULT:
                set(ls, ls->status, false);
                blink(ls, ls->fault);
                break;
        case SESSION_IDLE:
        default:
                blink(ls, -1);
                set(ls, ls->status, false);
                set(ls, ls->fault, false);
                break;
        }
        for (unsigned i = 0; i < SESSION_INTENSITY_MAX; i++)
                set(ls, ls->level[i], session_on && i < intensity);
}

void led_status_battery_low(struct led_status *ls, bool low, enum session_state state,
                            unsigned intensity)
{
        ls->battery_low = low;
        led_status_show(ls, state, intensity);
}

void led_status_stop(struct led_status *ls)
{
        ls->blink_timer = sd_event_source_disable_unref(ls->blink_timer);
}
