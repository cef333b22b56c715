/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A wait-free single-writer single-reader handoff of the latest value:
 * three slots, the writer fills its own, then swaps it with the shared
 * middle slot in one atomic exchange; the reader swaps the middle slot
 * with its own when the middle one is fresh. Neither side ever waits for
 * the other, which is what the RT thread needs, and no slot is touched by
 * two threads at once, so the payload needs no atomics of its own.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct triple_buffer {
        _Atomic unsigned middle; /* slot index, TRIPLE_BUFFER_FRESH when unread */
        unsigned back;           /* the writer's slot */
        unsigned front;          /* the reader's slot */
        size_t slot_size;
        unsigned char *slots;    /* 3 × slot_size bytes, owned by the caller */
};

/* slots: 3 × slot_size bytes, all three initialised to the same value. */
void triple_buffer_init(struct triple_buffer *tb, void *slots, size_t slot_size);

/* Writer side: fill the slot returned, then publish it. */
void *triple_buffer_write_slot(struct triple_buffer *tb);
void triple_buffer_publish(struct triple_buffer *tb);

/* Reader side: takes the newest published value if there is one (returns
 * true then); read_slot gives the reader's current value either way. */
bool triple_buffer_update(struct triple_buffer *tb);
const void *triple_buffer_read_slot(const struct triple_buffer *tb);
