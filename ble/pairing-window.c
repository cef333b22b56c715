/* SPDX-License-Identifier: MIT */
#include "pairing-window.h"

#include <time.h>

#include "common/log.h"

/* The window is for a person; a second more or less does not matter, and
 * a coarse timer lets the kernel batch the wake-up. */
#define PAIRING_TIMER_ACCURACY_US 1000000

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void)source, (void)usec;
        pairing_window_close(userdata, "its time is up");
        return 0;
}

int pairing_window_init(struct pairing_window *w, sd_event *event, struct bluez *bluez,
                        unsigned seconds)
{
        int r;

        *w = (struct pairing_window){ .bluez = bluez, .seconds = seconds };
        r = sd_event_add_time(event, &w->timer, CLOCK_MONOTONIC, 0, PAIRING_TIMER_ACCURACY_US,
                              on_timer, w);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to make the pairing window's timer: %m");
        return 0;
}

void pairing_window_open(struct pairing_window *w)
{
        int r;

        r = sd_event_source_set_time_relative(w->timer, (uint64_t)w->seconds * 1000000u);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_error_errno(r, "Failed to time the pairing window, so it stays closed: %m");
                return;
        }
        w->open = true;
        log_info("Pairing window open for %u s.", w->seconds);
        /* bluetoothd closes them itself too, should this bridge die meanwhile */
        (void)bluez_set_adapter_u32(w->bluez, "PairableTimeout", w->seconds);
        (void)bluez_set_adapter_u32(w->bluez, "DiscoverableTimeout", w->seconds);
        (void)bluez_set_adapter_bool(w->bluez, "Pairable", true);
        (void)bluez_set_adapter_bool(w->bluez, "Discoverable", true);
}

void pairing_window_close(struct pairing_window *w, const char *why)
{
        if (!w->open)
                return;
        w->open = false;
        (void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
        log_info("Pairing window closed: %s.", why);
        (void)bluez_set_adapter_bool(w->bluez, "Pairable", false);
        (void)bluez_set_adapter_bool(w->bluez, "Discoverable", false);
}

void pairing_window_free(struct pairing_window *w)
{
        w->timer = sd_event_source_disable_unref(w->timer);
}
