/* SPDX-License-Identifier: MIT */
#include "heap-count.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

static _Thread_local bool counting;
static _Thread_local unsigned long thread_calls;
static atomic_ulong all_calls;

#if HEAP_COUNT_WORKS
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static void count_call(void)
{
        atomic_fetch_add_explicit(&all_calls, 1, memory_order_relaxed);
        if (counting)
                thread_calls++;
}

void *malloc(size_t size)
{
        count_call();
        return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        count_call();
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        count_call();
        return __libc_realloc(p, size);
}
#endif

void heap_count_start(void)
{
        thread_calls = 0;
        counting = true;
}

unsigned long heap_count_stop(void)
{
        counting = false;
        return thread_calls;
}

unsigned long heap_count_all(void)
{
        return atomic_load(&all_calls);
}
