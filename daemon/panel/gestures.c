/* SPDX-License-Identifier: MIT */
#include "gestures.h"

void gesture_init(struct gesture_detector *g, bool detect_double)
{
        *g = (struct gesture_detector){ .detect_double = detect_double };
}

enum gesture gesture_feed(struct gesture_detector *g, bool pressed, uint64_t time_us)
{
        if (pressed == g->down)
                return GESTURE_NONE;
        if (g->last_edge_us && time_us - g->last_edge_us < GESTURE_DEBOUNCE_US)
                return GESTURE_NONE;
        g->last_edge_us = time_us;
        g->down = pressed;

        if (pressed) {
                g->down_us = time_us;
                g->long_reported = false;
                g->second_press = g->pending_until_us && time_us <= g->pending_until_us;
                g->pending_until_us = 0;
                return GESTURE_NONE;
        }

        if (g->long_reported)
                return GESTURE_NONE;
        if (time_us - g->down_us >= GESTURE_LONG_PRESS_US)
                return GESTURE_LONG_PRESS; /* the timer came late */
        if (g->second_press) {
                g->second_press = false;
                return GESTURE_DOUBLE_PRESS;
        }
        if (g->detect_double) {
                g->pending_until_us = time_us + GESTURE_DOUBLE_PRESS_US;
                return GESTURE_NONE;
        }
        return GESTURE_PRESS;
}

uint64_t gesture_deadline(const struct gesture_detector *g)
{
        if (g->down && !g->long_reported)
                return g->down_us + GESTURE_LONG_PRESS_US;
        return g->pending_until_us;
}

enum gesture gesture_timeout(struct gesture_detector *g, uint64_t now_us)
{
        if (g->down && !g->long_reported && now_us >= g->down_us + GESTURE_LONG_PRESS_US) {
                g->long_reported = true;
                g->second_press = false;
                return GESTURE_LONG_PRESS;
        }
        if (g->pending_until_us && now_us >= g->pending_until_us) {
                g->pending_until_us = 0;
                return GESTURE_PRESS;
        }
        return GESTURE_NONE;
}

const char *gesture_to_string(enum gesture gesture)
{
        switch (gesture) {
        case GESTURE_PRESS:
                return "press";
        case GESTURE_LONG_PRESS:
                return "long press";
        case GESTURE_DOUBLE_PRESS:
                return "double press";
        case GESTURE_CHORD:
                return "held together";
        case GESTURE_NONE:
        default:
                return "none";
        }
}

void chord_feed(struct chord_detector *c, unsigned which, bool down, uint64_t time_us)
{
        bool both_before = c->down[0] && c->down[1];

        c->down[which & 1] = down;
        if (c->down[0] && c->down[1]) {
                if (!both_before) {
                        c->both_since_us = time_us;
                        c->reported = false;
                }
        } else
                c->both_since_us = 0;
}

uint64_t chord_deadline(const struct chord_detector *c)
{
        if (!c->both_since_us || c->reported)
                return 0;
        return c->both_since_us + GESTURE_CHORD_HOLD_US;
}

bool chord_timeout(struct chord_detector *c, uint64_t now_us)
{
        uint64_t deadline = chord_deadline(c);

        if (!deadline || now_us < deadline)
                return false;
        c->reported = true;
        return true;
}
