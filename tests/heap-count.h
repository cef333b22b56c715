/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Counts the heap calls (malloc, calloc, realloc) the calling thread makes
 * between heap_count_start() and heap_count_stop(), by wrapping glibc's
 * allocator entry points: proof that a driver's RT operations allocate
 * nothing. Not under ASan, which brings its own allocator: there
 * HEAP_COUNT_WORKS is 0 and the tests that use it are not registered.
 */

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_COUNT_WORKS 0
#else
#define HEAP_COUNT_WORKS 1
#endif

void heap_count_start(void);
unsigned long heap_count_stop(void);
/* Heap calls seen from any thread since the program started: > 0 proves
 * the wrappers are the ones called. */
unsigned long heap_count_all(void);
