/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Button gestures from raw press/release edges: debounce, press, long
 * press (reported while still held, so the user feels it take effect),
 * double press. Pure: times come in, gestures go out; the caller arms one
 * timer at gesture_deadline() and calls gesture_timeout() then.
 */

#include <stdbool.h>
#include <stdint.h>

/* Edges closer than this to the previous one are contact bounce. */
#define GESTURE_DEBOUNCE_US 20000ull
#define GESTURE_LONG_PRESS_US 800000ull
/* How long a short press waits for a second one, on buttons that have
 * double presses. */
#define GESTURE_DOUBLE_PRESS_US 350000ull

enum gesture {
        GESTURE_NONE,
        GESTURE_PRESS,
        GESTURE_LONG_PRESS,
        GESTURE_DOUBLE_PRESS,
        GESTURE_CHORD,          /* two buttons held together GESTURE_CHORD_HOLD_US */
};

struct gesture_detector {
        bool detect_double;     /* else a short press is reported at release */
        bool down;
        bool long_reported;
        bool second_press;      /* the press in progress follows a short one */
        uint64_t last_edge_us;
        uint64_t down_us;
        uint64_t pending_until_us; /* a short press waiting for a second, 0 = none */
};

void gesture_init(struct gesture_detector *g, bool detect_double);
enum gesture gesture_feed(struct gesture_detector *g, bool pressed, uint64_t time_us);
/* When gesture_timeout must be called, 0 when nothing is pending. */
uint64_t gesture_deadline(const struct gesture_detector *g);
enum gesture gesture_timeout(struct gesture_detector *g, uint64_t now_us);
const char *gesture_to_string(enum gesture gesture);

/* plus and minus held together this long open the Bluetooth pairing
 * window: longer than any intensity press, so that it is never by chance. */
#define GESTURE_CHORD_HOLD_US 3000000ull

/* Two buttons held together, fed with each one's debounced state; the
 * chord is reported once, while both are still down. */
struct chord_detector {
        bool down[2];
        bool reported;
        uint64_t both_since_us;
};

void chord_feed(struct chord_detector *c, unsigned which, bool down, uint64_t time_us);
/* When chord_timeout must be called, 0 when nothing is pending. */
uint64_t chord_deadline(const struct chord_detector *c);
bool chord_timeout(struct chord_detector *c, uint64_t now_us);
