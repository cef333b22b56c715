/* SPDX-License-Identifier: MIT */
/*
 * The recovery guard: the rest period, the taper of MaxIntensity, the
 * sentence for Error.Resting, clock jumps, and the record kept in the
 * history database across a restart.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time-util.h"
#include "daemon/session/history.h"
#include "daemon/session/recovery.h"
#include "tests/fixtures/check-main.h"

#define USEC_PER_MINUTE (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MINUTE)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

/* Sat 01 Jun 2024 08:00:00 UTC */
#define RACE_USEC (1717228800ull * USEC_PER_SEC)

static struct recovery rec;

static void setup(void)
{
        /* the sentence names local time: make it a known zone */
        setenv("TZ", "UTC", 1);
        tzset();
        rec = (struct recovery){0};
        recovery_params_default(&rec.p);
}

START_TEST(test_defaults)
{
        ck_assert_uint_eq(rec.p.rest_usec, 24 * USEC_PER_HOUR);
        ck_assert_uint_eq(rec.p.taper_usec, 10 * USEC_PER_DAY);
}
END_TEST

START_TEST(test_no_race)
{
        uint64_t allowed_usec = 123;

        ck_assert_uint_eq(recovery_max_intensity(&rec, RACE_USEC), 5);
        ck_assert(!recovery_resting(&rec, RACE_USEC, &allowed_usec));
        ck_assert_uint_eq(allowed_usec, 0);
        ck_assert(!recovery_resting(&rec, 0, NULL));
}
END_TEST

START_TEST(test_resting_after_race)
{
        uint64_t allowed_usec = 0;
        char sentence[256];

        ck_assert_int_eq(recovery_record_race(&rec, NULL, RACE_USEC, RACE_USEC + 2 * USEC_PER_HOUR), 0);
        ck_assert_uint_eq(rec.last_race_usec, RACE_USEC);

        ck_assert(recovery_resting(&rec, RACE_USEC + 2 * USEC_PER_HOUR, &allowed_usec));
        ck_assert_uint_eq(allowed_usec, RACE_USEC + 24 * USEC_PER_HOUR);
        ck_assert_uint_eq(recovery_max_intensity(&rec, RACE_USEC + 2 * USEC_PER_HOUR), 1);
        recovery_format_resting(allowed_usec, sentence, sizeof(sentence));
        ck_assert_str_eq(sentence, "Rest after your race: routines other than gentle ones are "
                                   "allowed from Sun 02 Jun 08:00.");

        /* the last µs of rest, then not */
        ck_assert(recovery_resting(&rec, allowed_usec - 1, NULL));
        ck_assert(!recovery_resting(&rec, allowed_usec, NULL));
        ck_assert_uint_eq(recovery_max_intensity(&rec, allowed_usec), 1);
}
END_TEST

START_TEST(test_sentence_rounds_up_to_the_minute)
{
        char sentence[256];

        /* allowed from 08:00:30: "from 08:00" would be refused at 08:00 */
        recovery_format_resting(RACE_USEC + 30 * USEC_PER_SEC, sentence, sizeof(sentence));
        ck_assert_msg(strstr(sentence, "from Sat 01 Jun 08:01."), "%s", sentence);
        recovery_format_resting(RACE_USEC + 1, sentence, sizeof(sentence));
        ck_assert_msg(strstr(sentence, "from Sat 01 Jun 08:01."), "%s", sentence);
        recovery_format_resting(RACE_USEC, sentence, sizeof(sentence));
        ck_assert_msg(strstr(sentence, "from Sat 01 Jun 08:00."), "%s", sentence);

        /* a small buffer is cut, still a C string */
        recovery_format_resting(RACE_USEC, sentence, 8);
        ck_assert_str_eq(sentence, "Rest af");
}
END_TEST

START_TEST(test_taper)
{
        uint64_t taper_start_usec = RACE_USEC + 24 * USEC_PER_HOUR;
        uint64_t quarter_usec = 10 * USEC_PER_DAY / 4;
        unsigned day3;

        rec.last_race_usec = RACE_USEC;

        /* day 3 after the race (60 h): not yet full strength */
        day3 = recovery_max_intensity(&rec, RACE_USEC + 60 * USEC_PER_HOUR);
        ck_assert_uint_ge(day3, 1);
        ck_assert_uint_lt(day3, 5);
        ck_assert(!recovery_resting(&rec, RACE_USEC + 60 * USEC_PER_HOUR, NULL));

        /* four equal stages, each reached exactly at its boundary */
        for (unsigned k = 0; k < 4; k++) {
                uint64_t stage_usec = taper_start_usec + k * quarter_usec;

                ck_assert_uint_eq(recovery_max_intensity(&rec, stage_usec), 1 + k);
                ck_assert_uint_eq(recovery_max_intensity(&rec, stage_usec + quarter_usec - 1), 1 + k);
        }
        ck_assert_uint_eq(recovery_max_intensity(&rec, taper_start_usec + 10 * USEC_PER_DAY), 5);
        ck_assert_uint_eq(recovery_max_intensity(&rec, RACE_USEC + 365 * USEC_PER_DAY), 5);
}
END_TEST

START_TEST(test_extreme_params)
{
        rec.last_race_usec = 1;

        /* no taper: 5 as soon as the rest is over */
        rec.p.taper_usec = 0;
        ck_assert_uint_eq(recovery_max_intensity(&rec, 1 + rec.p.rest_usec - 1), 1);
        ck_assert_uint_eq(recovery_max_intensity(&rec, 1 + rec.p.rest_usec), 5);

        /* a taper so long that 4 × elapsed would overflow */
        rec.p.rest_usec = 0;
        rec.p.taper_usec = UINT64_MAX - 1;
        ck_assert_uint_eq(recovery_max_intensity(&rec, 1 + UINT64_MAX / 2), 3);
        ck_assert_uint_eq(recovery_max_intensity(&rec, UINT64_MAX - 1), 4);

        /* a rest that ends after the end of time */
        rec.p.rest_usec = UINT64_MAX;
        ck_assert(recovery_resting(&rec, UINT64_MAX - 1, NULL));
        ck_assert_uint_eq(recovery_max_intensity(&rec, UINT64_MAX), 1);
}
END_TEST

START_TEST(test_clock_before_race_is_resting)
{
        uint64_t allowed_usec;

        rec.last_race_usec = RACE_USEC;
        /* the clock went back a day, or was not set yet after a boot */
        ck_assert(recovery_resting(&rec, RACE_USEC - USEC_PER_DAY, &allowed_usec));
        ck_assert_uint_eq(allowed_usec, RACE_USEC + 24 * USEC_PER_HOUR);
        ck_assert_uint_eq(recovery_max_intensity(&rec, RACE_USEC - USEC_PER_DAY), 1);
        ck_assert(recovery_resting(&rec, 1, NULL));
        ck_assert_uint_eq(recovery_max_intensity(&rec, 1), 1);
}
END_TEST

START_TEST(test_record_when)
{
        uint64_t now_usec = RACE_USEC;

        /* 0 is now */
        ck_assert_int_eq(recovery_record_race(&rec, NULL, 0, now_usec), 0);
        ck_assert_uint_eq(rec.last_race_usec, now_usec);

        /* a phone a little ahead is fine, the future is not */
        ck_assert_int_eq(recovery_record_race(&rec, NULL, now_usec + 30 * USEC_PER_SEC, now_usec), 0);
        ck_assert_uint_eq(rec.last_race_usec, now_usec + 30 * USEC_PER_SEC);
        ck_assert_int_eq(recovery_record_race(&rec, NULL, now_usec + 2 * USEC_PER_MINUTE, now_usec),
                         -EINVAL);
        ck_assert_int_eq(recovery_record_race(&rec, NULL, UINT64_MAX, now_usec), -EINVAL);
        ck_assert_uint_eq(rec.last_race_usec, now_usec + 30 * USEC_PER_SEC);

        /* a race long ago is accepted and restricts nothing */
        ck_assert_int_eq(recovery_record_race(&rec, NULL, now_usec - 30 * USEC_PER_DAY, now_usec), 0);
        ck_assert(!recovery_resting(&rec, now_usec, NULL));
        ck_assert_uint_eq(recovery_max_intensity(&rec, now_usec), 5);

        ck_assert_int_eq(recovery_clear(&rec, NULL), 0);
        ck_assert_uint_eq(rec.last_race_usec, 0);
}
END_TEST

START_TEST(test_persisted)
{
        char dir[] = "/tmp/test-recovery-XXXXXX", path[64], command[64];
        struct history *h = NULL;
        struct recovery loaded = {0};

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/history.sqlite", dir);

        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_int_eq(recovery_load(&rec, h), 0);
        ck_assert_uint_eq(rec.last_race_usec, 0);
        ck_assert_int_eq(recovery_record_race(&rec, h, RACE_USEC, RACE_USEC + USEC_PER_HOUR), 0);
        h = history_close(h);

        /* a restart: the daemon sets the params, then loads */
        recovery_params_default(&loaded.p);
        loaded.last_race_usec = 99;
        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_int_eq(recovery_load(&loaded, h), 0);
        ck_assert_uint_eq(loaded.last_race_usec, RACE_USEC);
        ck_assert_uint_eq(loaded.p.rest_usec, 24 * USEC_PER_HOUR);
        ck_assert(recovery_resting(&loaded, RACE_USEC + 2 * USEC_PER_HOUR, NULL));

        /* a refused record changes nothing on disk either */
        ck_assert_int_eq(recovery_record_race(&loaded, h, RACE_USEC + USEC_PER_DAY, RACE_USEC), -EINVAL);

        /* cleared, and that too survives */
        ck_assert_int_eq(recovery_clear(&loaded, h), 0);
        ck_assert_uint_eq(loaded.last_race_usec, 0);
        h = history_close(h);
        loaded.last_race_usec = 99;
        ck_assert_int_eq(history_open(path, &h), 0);
        ck_assert_int_eq(recovery_load(&loaded, h), 0);
        ck_assert_uint_eq(loaded.last_race_usec, 0);
        ck_assert_uint_eq(recovery_max_intensity(&loaded, RACE_USEC + USEC_PER_HOUR), 5);
        history_close(h);

        snprintf(command, sizeof(command), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(command), 0);
}
END_TEST

static Suite *suite_new(void)
{
        Suite *s = suite_create("recovery");
        TCase *tc = tcase_create("recovery");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_no_race);
        tcase_add_test(tc, test_resting_after_race);
        tcase_add_test(tc, test_sentence_rounds_up_to_the_minute);
        tcase_add_test(tc, test_taper);
        tcase_add_test(tc, test_extreme_params);
        tcase_add_test(tc, test_clock_before_race_is_resting);
        tcase_add_test(tc, test_record_when);
        tcase_add_test(tc, test_persisted);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        Suite *suite = suite_new();

        return run_suite(suite);
}
