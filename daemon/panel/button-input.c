/* SPDX-License-Identifier: MIT */
#include "button-input.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* Gesture deadlines are well inside a person's reaction time at 10 ms. */
#define BUTTON_TIMER_ACCURACY_US 10000

static void deliver(struct button_input *in, unsigned index, enum gesture gesture)
{
        if (gesture == GESTURE_NONE)
                return;
        log_debug("Button %s: %s.", in->buttons->names[index], gesture_to_string(gesture));
        in->on_gesture(in->userdata, in->buttons->names[index], gesture);
}

static void rearm(struct button_input *in)
{
        uint64_t next = chord_deadline(&in->plus_minus);
        int r;

        for (unsigned i = 0; i < in->buttons->count; i++) {
                uint64_t d = gesture_deadline(&in->detectors[i]);

                if (d && (!next || d < next))
                        next = d;
        }
        if (!next) {
                (void)sd_event_source_set_enabled(in->timer, SD_EVENT_OFF);
                return;
        }
        r = sd_event_source_set_time(in->timer, next);
        if (r >= 0)
                r = sd_event_source_set_enabled(in->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to time the buttons' long presses: %m");
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct button_input *in = userdata;

        (void)source;
        for (unsigned i = 0; i < in->buttons->count; i++)
                deliver(in, i, gesture_timeout(&in->detectors[i], usec));
        if (chord_timeout(&in->plus_minus, usec)) {
                log_debug("Buttons plus and minus: held together.");
                in->on_gesture(in->userdata, BUTTON_CHORD_PLUS_MINUS, GESTURE_CHORD);
        }
        rearm(in);
        return 0;
}

static int on_events(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        struct button_input *in = userdata;
        struct button_event ev;
        int r;

        (void)source, (void)fd, (void)revents;
        while ((r = in->buttons->ops->read_event(in->buttons, &ev)) > 0) {
                if (ev.index >= in->buttons->count || ev.index >= BUTTON_INPUT_MAX)
                        continue;
                deliver(in, ev.index, gesture_feed(&in->detectors[ev.index], ev.pressed,
                                                   ev.time_ns / 1000));
                /* the debounced state, so that a bounce does not restart the hold */
                if ((int)ev.index == in->plus_index || (int)ev.index == in->minus_index)
                        chord_feed(&in->plus_minus, (int)ev.index == in->minus_index,
                                   in->detectors[ev.index].down, ev.time_ns / 1000);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to read the buttons (%s): %m", in->buttons->ops->name);
        rearm(in);
        return 0;
}

int button_input_start(struct button_input *in, sd_event *event, struct buttons *buttons,
                       button_gesture_fn on_gesture, void *userdata)
{
        int fd, r;

        *in = (struct button_input){ .buttons = buttons, .on_gesture = on_gesture,
                                     .userdata = userdata, .plus_index = -1, .minus_index = -1 };
        if (!buttons->ops)
                return 0;
        for (unsigned i = 0; i < buttons->count && i < BUTTON_INPUT_MAX; i++) {
                gesture_init(&in->detectors[i], strcmp(buttons->names[i], "main") == 0);
                if (strcmp(buttons->names[i], "plus") == 0)
                        in->plus_index = (int)i;
                else if (strcmp(buttons->names[i], "minus") == 0)
                        in->minus_index = (int)i;
        }

        fd = buttons->ops->get_fd(buttons);
        if (fd < 0)
                return log_error_errno(fd, "Failed to watch the buttons (%s): %m", buttons->ops->name);
        r = sd_event_add_io(event, &in->io, fd, EPOLLIN, on_events, in);
        if (r >= 0)
                r = sd_event_add_time(event, &in->timer, CLOCK_MONOTONIC, 0,
                                      BUTTON_TIMER_ACCURACY_US, on_timer, in);
        if (r >= 0)
                r = sd_event_source_set_enabled(in->timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the buttons (%s): %m", buttons->ops->name);
        return 0;
}

void button_input_stop(struct button_input *in)
{
        in->timer = sd_event_source_disable_unref(in->timer);
        in->io = sd_event_source_disable_unref(in->io);
}
