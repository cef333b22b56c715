/* SPDX-License-Identifier: MIT */
/* The RT handoff: a reader never sees a torn value, nor an older one after
 * a newer one, while a writer publishes as fast as it can. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "daemon/rt/triple-buffer.h"
#include "tests/fixtures/check-main.h"

#define PUBLISHES 2000000u

struct payload {
        uint64_t sequence;
        uint64_t twice;
        uint64_t thrice;
};

struct shared {
        struct triple_buffer tb;
        struct payload slots[3];
};

static void *writer(void *userdata)
{
        struct shared *sh = userdata;

        for (uint64_t n = 1; n <= PUBLISHES; n++) {
                struct payload *p = triple_buffer_write_slot(&sh->tb);

                p->sequence = n;
                p->twice = 2 * n;
                p->thrice = 3 * n;
                triple_buffer_publish(&sh->tb);
        }
        return NULL;
}

START_TEST(test_reader_sees_whole_values_in_order)
{
        static struct shared sh;
        uint64_t last = 0, updates = 0;
        pthread_t thread;

        triple_buffer_init(&sh.tb, sh.slots, sizeof(struct payload));
        ck_assert_int_eq(pthread_create(&thread, NULL, writer, &sh), 0);
        while (last < PUBLISHES) {
                const struct payload *p;

                if (!triple_buffer_update(&sh.tb))
                        continue;
                p = triple_buffer_read_slot(&sh.tb);
                ck_assert_uint_eq(p->twice, 2 * p->sequence);
                ck_assert_uint_eq(p->thrice, 3 * p->sequence);
                ck_assert_uint_gt(p->sequence, last);
                last = p->sequence;
                updates++;
        }
        pthread_join(thread, NULL);
        ck_assert_uint_gt(updates, 1);
}
END_TEST

START_TEST(test_no_update_without_publish)
{
        struct payload slots[3] = { { 7, 14, 21 }, { 7, 14, 21 }, { 7, 14, 21 } };
        struct triple_buffer tb;
        const struct payload *p;

        triple_buffer_init(&tb, slots, sizeof(struct payload));
        ck_assert(!triple_buffer_update(&tb));
        p = triple_buffer_read_slot(&tb);
        ck_assert_uint_eq(p->sequence, 7);

        ((struct payload *)triple_buffer_write_slot(&tb))->sequence = 8;
        triple_buffer_publish(&tb);
        ((struct payload *)triple_buffer_write_slot(&tb))->sequence = 9;
        triple_buffer_publish(&tb);
        ck_assert(triple_buffer_update(&tb));
        ck_assert_uint_eq(((const struct payload *)triple_buffer_read_slot(&tb))->sequence, 9);
        ck_assert(!triple_buffer_update(&tb));
        ck_assert_uint_eq(((const struct payload *)triple_buffer_read_slot(&tb))->sequence, 9);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("triple-buffer");
        TCase *tc = tcase_create("handoff");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_reader_sees_whole_values_in_order);
        tcase_add_test(tc, test_no_update_without_publish);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
