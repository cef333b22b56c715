/* SPDX-License-Identifier: MIT */
#include "triple-buffer.h"

#define TRIPLE_BUFFER_FRESH 4u
#define TRIPLE_BUFFER_INDEX 3u

void triple_buffer_init(struct triple_buffer *tb, void *slots, size_t slot_size)
{
        tb->front = 0;
        atomic_init(&tb->middle, 1u);
        tb->back = 2;
        tb->slot_size = slot_size;
        tb->slots = slots;
}

void *triple_buffer_write_slot(struct triple_buffer *tb)
{
        return tb->slots + tb->back * tb->slot_size;
}

void triple_buffer_publish(struct triple_buffer *tb)
{
        /* release: the slot's bytes are visible before its index is */
        unsigned old = atomic_exchange_explicit(&tb->middle, tb->back | TRIPLE_BUFFER_FRESH,
                                                memory_order_acq_rel);
        tb->back = old & TRIPLE_BUFFER_INDEX;
}

bool triple_buffer_update(struct triple_buffer *tb)
{
        unsigned old;

        if (!(atomic_load_explicit(&tb->middle, memory_order_relaxed) & TRIPLE_BUFFER_FRESH))
                return false;
        old = atomic_exchange_explicit(&tb->middle, tb->front, memory_order_acq_rel);
        tb->front = old & TRIPLE_BUFFER_INDEX;
        return true;
}

const void *triple_buffer_read_slot(const struct triple_buffer *tb)
{
        return tb->slots + tb->front * tb->slot_size;
}
