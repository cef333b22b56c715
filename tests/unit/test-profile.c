/* SPDX-License-Identifier: MIT */
/*
 * Routine files and the muscles' envelopes: the shipped ones load with the
 * values they say, every malformed file is refused with the exact
 * "file:line: reason" a person would read, a step outside its muscle's
 * envelope is refused, and a directory of good and bad files loads the
 * good ones.
 */

#define _XOPEN_SOURCE 700 /* nftw() */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/session/envelopes.h"
#include "daemon/session/profile.h"
#include "daemon/session/routines.h"
#include "tests/fixtures/check-main.h"

#define ERROR_MAX 1024

static char tmp_dir[64];

static void setup(void)
{
        snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/test-profile-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        return remove(path);
}

static void teardown(void)
{
        nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of name inside tmp_dir; the buffer is reused by the next call. */
static const char *tmp_path(const char *name)
{
        static char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
        return path;
}

/* Writes size bytes (NULs included) to tmp_dir/name; returns its path. */
static const char *write_bytes(const char *name, const char *content, size_t size)
{
        const char *path = tmp_path(name);
        FILE *f = fopen(path, "we");

        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(content, 1, size, f), size);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static const char *write_file(const char *name, const char *content)
{
        return write_bytes(name, content, strlen(content));
}

static const char *make_dir(const char *name)
{
        const char *path = tmp_path(name);

        ck_assert_int_eq(mkdir(path, 0755), 0);
        return path;
}

/* The global envelope for the muscles the parser tests use, so that they
 * test the parser and not muscles.conf. */
#define WIDE_ENVELOPE(name) \
        { name, ENVELOPE_SPEED_MIN_PPM, ENVELOPE_SPEED_MAX_PPM, ENVELOPE_AMPLITUDE_MIN_MM, ENVELOPE_AMPLITUDE_MAX_MM }
static const struct envelopes wide_envelopes = {
        .items = { WIDE_ENVELOPE("calves"), WIDE_ENVELOPE("quads"), WIDE_ENVELOPE("glute-med") },
        .count = 3,
};

/* Narrow enough to step outside: calves 1500–2200 ppm, 4–12 mm. */
static const struct envelopes calves_envelope = {
        .items = { { "calves", 1500, 2200, 4, 12 } },
        .count = 1,
};

static struct envelopes shipped_envelopes(void)
{
        struct envelopes set = { 0 };
        char error[ERROR_MAX];
        int r;

        r = envelopes_load_file(&set, PROFILES_SRC_DIR "/muscles.conf", error, sizeof(error));
        ck_assert_msg(r == 0, "%s", error);
        return set;
}

/* Loads path, which must fail with the message path + after_path. */
static void assert_load_error_with(const char *path, const struct envelopes *envelopes, const char *after_path)
{
        char error[ERROR_MAX], expected[ERROR_MAX];
        struct profile *p = NULL;
        int r;

        r = profile_load_file(path, envelopes, &p, error, sizeof(error));
        ck_assert_int_lt(r, 0);
        ck_assert_ptr_null(p);
        snprintf(expected, sizeof(expected), "%s%s", path, after_path);
        ck_assert_str_eq(error, expected);
}

static void assert_load_error(const char *path, const char *after_path)
{
        assert_load_error_with(path, &wide_envelopes, after_path);
}

static struct profile *load_ok_with(const char *path, const struct envelopes *envelopes)
{
        char error[ERROR_MAX];
        struct profile *p = NULL;
        int r;

        r = profile_load_file(path, envelopes, &p, error, sizeof(error));
        ck_assert_msg(r == 0, "%s: %s", path, error);
        ck_assert_ptr_nonnull(p);
        return p;
}

static struct profile *load_ok(const char *path)
{
        return load_ok_with(path, &wide_envelopes);
}

static struct profile *load_shipped(const char *id)
{
        struct envelopes envelopes = shipped_envelopes();
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s.ini", PROFILES_SRC_DIR, id);
        return load_ok_with(path, &envelopes);
}

static void assert_step(const struct profile_step *s, const char *muscle, const char *side,
                        double speed_ppm, double amplitude_mm, double duration_s, double ramp_s,
                        enum step_pattern pattern, enum step_after after, double pause_s)
{
        ck_assert_str_eq(s->muscle, muscle);
        ck_assert_str_eq(s->side, side);
        ck_assert_double_eq(s->speed_ppm, speed_ppm);
        ck_assert_double_eq(s->amplitude_mm, amplitude_mm);
        ck_assert_double_eq(s->duration_s, duration_s);
        ck_assert_double_eq(s->ramp_s, ramp_s);
        ck_assert_int_eq(s->pattern, pattern);
        ck_assert_int_eq(s->after, after);
        ck_assert_double_eq(s->pause_s, pause_s);
        ck_assert(!s->open_ended);
}

/* ---- shipped profiles ---- */

static const char *const shipped_ids[] = {
        "calves", "glute-med", "manual", "post-run", "quads", "race-recovery", "warm-up",
};
#define N_SHIPPED (sizeof(shipped_ids) / sizeof(shipped_ids[0]))

/* tests/corpus/profiles: each file says on its first line what loading it
 * must give, "; expect: ok" or "; expect: <what follows the path>". The
 * corpus also seeds the profile parser's fuzzer. */
START_TEST(test_corpus)
{
        struct envelopes envelopes = shipped_envelopes();
        struct dirent **names;
        int n = scandir(CORPUS_DIR, &names, NULL, alphasort);
        unsigned checked = 0;

        ck_assert_int_ge(n, 0);
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX], expect[ERROR_MAX] = "";
                FILE *f;

                if (!strstr(names[i]->d_name, ".ini")) {
                        free(names[i]);
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, names[i]->d_name);
                free(names[i]);
                f = fopen(path, "re");
                ck_assert_ptr_nonnull(f);
                ck_assert_ptr_nonnull(fgets(expect, sizeof(expect), f));
                fclose(f);
                ck_assert_msg(strncmp(expect, "; expect: ", 10) == 0, "%s: no expect line", path);
                memmove(expect, expect + 10, strlen(expect + 10) + 1);
                expect[strcspn(expect, "\n")] = '\0';
                if (strcmp(expect, "ok") == 0)
                        profile_free(load_ok_with(path, &envelopes));
                else
                        assert_load_error_with(path, &envelopes, expect);
                checked++;
        }
        free(names);
        ck_assert_uint_ge(checked, 10);
}
END_TEST

START_TEST(test_shipped_load)
{
        for (size_t i = 0; i < N_SHIPPED; i++) {
                struct profile *p = load_shipped(shipped_ids[i]);

                ck_assert_str_eq(p->id, shipped_ids[i]);
                ck_assert_ptr_nonnull(p->title);
                ck_assert_str_ne(p->title, "");
                ck_assert_str_ne(p->description, "");
                ck_assert_uint_gt(p->n_steps, 0);
                /* Only the post-race flush may run while resting. */
                ck_assert(p->gentle == (strcmp(p->id, "race-recovery") == 0));
                profile_free(p);
        }
}
END_TEST

START_TEST(test_shipped_calves)
{
        struct profile *p = load_shipped("calves");

        ck_assert_str_eq(p->id, "calves");
        ck_assert_str_eq(p->title, "Calves");
        ck_assert_str_eq(p->description, "Gentle percussion for both calves after a run, a minute each side.");
        ck_assert(!p->gentle);
        ck_assert_uint_eq(p->n_steps, 2);
        assert_step(&p->steps[0], "calves", "left", 1900, 10, 60, 3,
                    STEP_PATTERN_CONSTANT, STEP_AFTER_PAUSE, 5);
        assert_step(&p->steps[1], "calves", "right", 1900, 10, 60, 3,
                    STEP_PATTERN_CONSTANT, STEP_AFTER_CONTINUE, 0);
        profile_free(p);
}
END_TEST

START_TEST(test_shipped_post_run)
{
        static const struct {
                const char *muscle, *side;
                enum step_after after;
        } expected[] = {
                { "calves", "left", STEP_AFTER_PAUSE },
                { "calves", "right", STEP_AFTER_WAIT },
                { "quads", "left", STEP_AFTER_PAUSE },
                { "quads", "right", STEP_AFTER_WAIT },
                { "glute-med", "left", STEP_AFTER_PAUSE },
                { "glute-med", "right", STEP_AFTER_CONTINUE },
        };
        struct profile *p = load_shipped("post-run");

        ck_assert_uint_eq(p->n_steps, 6);
        for (unsigned i = 0; i < p->n_steps; i++) {
                ck_assert_str_eq(p->steps[i].muscle, expected[i].muscle);
                ck_assert_str_eq(p->steps[i].side, expected[i].side);
                ck_assert_int_eq(p->steps[i].after, expected[i].after);
                ck_assert_double_eq(p->steps[i].pause_s, expected[i].after == STEP_AFTER_PAUSE ? 5 : 0);
        }
        profile_free(p);
}
END_TEST

/* ---- what the parser accepts ---- */

START_TEST(test_good_variants)
{
        /* A byte order mark, CRLF, indentation, inline comments, UTF-8,
         * side none, every optional key. */
        const char *path = write_file("variants-1.ini",
                "\xef\xbb\xbf; saved by an editor that writes a BOM\r\n"
                "[routine]   ; the routine\r\n"
                "  title = Waden – sanft 🏃   ; indented\r\n"
                "\tgentle = true\r\n"
                "\r\n"
                "# hash comment\r\n"
                "[step 1]\r\n"
                "muscle = glute-med\r\n"
                "side = none\r\n"
                "speed = 1200\r\n"
                "amplitude = 4\r\n"
                "duration = 600\r\n"
                "ramp = 600\r\n"
                "pattern = wave\r\n"
                "after = pause 2.5\r\n"
                "[step 2]\n"
                "ramp = 0\n"
                "duration = 0.5\n"
                "amplitude = 16\n"
                "speed = 3200\n"
                "side = right\n"
                "muscle = calves\n"
                "pattern = pulse\n"
                "after = wait\n"
                "[step 3]\n"
                "muscle = quads\n"
                "side = left\n"
                "speed = 2.2e3\n"
                "amplitude = 12.5\n"
                "duration = 30\n"
                "ramp = 1\n"
                "pattern = constant\n"
                "after = continue\n");
        struct profile *p = load_ok(path);

        ck_assert_str_eq(p->id, "variants-1");
        ck_assert_str_eq(p->title, "Waden – sanft 🏃");
        ck_assert_str_eq(p->description, "");
        ck_assert(p->gentle);
        ck_assert_uint_eq(p->n_steps, 3);
        assert_step(&p->steps[0], "glute-med", "", 1200, 4, 600, 600,
                    STEP_PATTERN_WAVE, STEP_AFTER_PAUSE, 2.5);
        assert_step(&p->steps[1], "calves", "right", 3200, 16, 0.5, 0,
                    STEP_PATTERN_PULSE, STEP_AFTER_WAIT, 0);
        assert_step(&p->steps[2], "quads", "left", 2200, 12.5, 30, 1,
                    STEP_PATTERN_CONSTANT, STEP_AFTER_CONTINUE, 0);
        profile_free(p);
}
END_TEST

#define ROUTINE "[routine]\ntitle = T\n"  /* lines 1-2 */
/* Lines 3 ([step 1]) to 9 (ramp) after ROUTINE. */
#define STEP1(muscle, side, speed, amplitude, duration, ramp) \
        "[step 1]\n"                                          \
        "muscle = " muscle "\n"                               \
        "side = " side "\n"                                   \
        "speed = " speed "\n"                                 \
        "amplitude = " amplitude "\n"                         \
        "duration = " duration "\n"                           \
        "ramp = " ramp "\n"
#define GOOD_STEP1 STEP1("calves", "left", "1900", "10", "60", "3")
#define GOOD ROUTINE GOOD_STEP1                /* next line is 10 */

START_TEST(test_steps_max)
{
        char content[16384];
        size_t len = 0;
        struct profile *p;

        len += (size_t)snprintf(content + len, sizeof(content) - len, ROUTINE);
        for (unsigned i = 1; i <= PROFILE_STEPS_MAX + 1; i++) {
                len += (size_t)snprintf(content + len, sizeof(content) - len,
                                        "[step %u]\nmuscle = quads\nside = left\nspeed = 2000\n"
                                        "amplitude = 10\nduration = 10\nramp = 1\n", i);
                ck_assert_uint_lt(len, sizeof(content));
                if (i == PROFILE_STEPS_MAX) {
                        p = load_ok(write_file("steps-32.ini", content));
                        ck_assert_uint_eq(p->n_steps, PROFILE_STEPS_MAX);
                        profile_free(p);
                }
        }
        /* [step 33] is on line 3 + 7 × 32. */
        assert_load_error(write_file("steps-33.ini", content),
                          ":227: [step 33] is one too many; a routine has at most 32 steps");
}
END_TEST

START_TEST(test_line_length)
{
        int max_len = INI_MAX_LINE - 1;
        char content[1024], expected[128];
        struct profile *p;

        /* The longest line that fits loads; one byte more is refused
         * (inih would read the rest as the next line). */
        snprintf(content, sizeof(content), ROUTINE "description = %0*d\n" GOOD_STEP1,
                 max_len - (int)strlen("description = "), 0);
        p = load_ok(write_file("long-ok.ini", content));
        ck_assert_uint_eq(strlen(p->description), (size_t)max_len - strlen("description = "));
        profile_free(p);

        snprintf(content, sizeof(content), ROUTINE "description = %0*d\n" GOOD_STEP1,
                 max_len + 1 - (int)strlen("description = "), 0);
        snprintf(expected, sizeof(expected), ":3: line is %d bytes long; a line may have at most %d",
                 max_len + 1, max_len);
        assert_load_error(write_file("long-1.ini", content), expected);

        snprintf(content, sizeof(content), ROUTINE "title2 = %0600d\n", 0);
        snprintf(expected, sizeof(expected), ":3: line is 609 bytes long; a line may have at most %d",
                 max_len);
        assert_load_error(write_file("long-2.ini", content), expected);
}
END_TEST

/* ---- malformed content: each gives exactly this message ---- */

static const struct {
        const char *content;
        size_t size;            /* 0: strlen(content) */
        const char *error;      /* after the path */
} bad_cases[] = {
        /* numbers */
        { ROUTINE STEP1("calves", "left", "fast", "10", "60", "3"), 0, ":6: speed \"fast\" is not a number" },
        { ROUTINE STEP1("calves", "left", "1900 ppm", "10", "60", "3"), 0, ":6: speed \"1900 ppm\" is not a number" },
        { ROUTINE STEP1("calves", "left", "nan", "10", "60", "3"), 0, ":6: speed \"nan\" is not a number" },
        { ROUTINE STEP1("calves", "left", "inf", "10", "60", "3"), 0, ":6: speed \"inf\" is not a number" },
        { ROUTINE STEP1("calves", "left", "1e999", "10", "60", "3"), 0, ":6: speed \"1e999\" is not a number" },
        { ROUTINE STEP1("calves", "left", "1900", "ten", "60", "3"), 0, ":7: amplitude \"ten\" is not a number" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "1m", "3"), 0, ":8: duration \"1m\" is not a number" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "60", "-"), 0, ":9: ramp \"-\" is not a number" },
        /* the global envelope */
        { ROUTINE STEP1("calves", "left", "5000", "10", "60", "3"), 0, ":6: speed 5000 ppm is outside 1200–3200 ppm" },
        { ROUTINE STEP1("calves", "left", "1199.5", "10", "60", "3"), 0, ":6: speed 1199.5 ppm is outside 1200–3200 ppm" },
        { ROUTINE STEP1("calves", "left", "1900", "3", "60", "3"), 0, ":7: amplitude 3 mm is outside 4–16 mm" },
        { ROUTINE STEP1("calves", "left", "1900", "16.5", "60", "3"), 0, ":7: amplitude 16.5 mm is outside 4–16 mm" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "0", "0"), 0, ":8: duration 0 s must be more than 0 s" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "-5", "3"), 0, ":8: duration -5 s must be more than 0 s" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "601", "3"), 0,
          ":8: duration 601 s is longer than the 600 s a step may last" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "60", "-1"), 0, ":9: ramp -1 s must not be negative" },
        { ROUTINE STEP1("calves", "left", "1900", "10", "60", "61"), 0,
          ":9: ramp 61 s is longer than the step's duration 60 s" },
        /* the ramp's line, wherever it is in the step */
        { ROUTINE "[step 1]\nramp = 20\nmuscle = calves\nside = left\nspeed = 1900\namplitude = 10\nduration = 10\n",
          0, ":4: ramp 20 s is longer than the step's duration 10 s" },
        /* words */
        { ROUTINE STEP1("calves", "up", "1900", "10", "60", "3"), 0, ":5: side \"up\" is not left, right or none" },
        { ROUTINE STEP1("Calves", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"Calves\" must be lower-case words joined by \"-\", like glute-med" },
        { ROUTINE STEP1("glute_med", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"glute_med\" must be lower-case words joined by \"-\", like glute-med" },
        { ROUTINE STEP1("-calves", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"-calves\" must be lower-case words joined by \"-\", like glute-med" },
        { ROUTINE STEP1("glute--med", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"glute--med\" must be lower-case words joined by \"-\", like glute-med" },
        { ROUTINE STEP1("calves-", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"calves-\" must be lower-case words joined by \"-\", like glute-med" },
        { ROUTINE STEP1("abcdefghijklmnopqrstuvwxyzabcdef", "left", "1900", "10", "60", "3"), 0,
          ":4: muscle \"abcdefghijklmnopqrstuvwxyzabcdef\" is longer than 31 characters" },
        { GOOD "pattern = zigzag\n", 0, ":10: pattern \"zigzag\" is not constant, pulse or wave" },
        { GOOD "after = later\n", 0, ":10: after \"later\" is not continue, wait or pause N" },
        { GOOD "after = pauses 5\n", 0, ":10: after \"pauses 5\" is not continue, wait or pause N" },
        { GOOD "after = pause\n", 0, ":10: after = pause needs the seconds, like \"pause 5\"" },
        { GOOD "after = pause x\n", 0, ":10: pause \"x\" is not a number" },
        { GOOD "after = pause 0\n", 0, ":10: pause 0 s must be more than 0 s" },
        { GOOD "after = pause 601\n", 0, ":10: pause 601 s is longer than the 600 s a pause may last" },
        { "[routine]\ntitle = T\ngentle = maybe\n" GOOD_STEP1, 0, ":3: gentle \"maybe\" is not true or false" },
        /* keys */
        { GOOD "sped = 3\n", 0, ":10: unknown key \"sped\" in [step 1]" },
        { GOOD "Speed = 3\n", 0, ":10: unknown key \"Speed\" in [step 1]" },
        { ROUTINE "speed = 3\n", 0, ":3: unknown key \"speed\" in [routine]" },
        { GOOD "speed = 2000\n", 0, ":10: duplicate key speed in [step 1] (first at line 6)" },
        { ROUTINE "title = U\n" GOOD_STEP1, 0, ":3: duplicate key title in [routine] (first at line 2)" },
        { GOOD "pattern =\n", 0, ":10: pattern has no value" },
        { ROUTINE STEP1("calves", "left", "", "10", "60", "3"), 0, ":6: speed has no value" },
        { "[routine]\ntitle =   ; only a comment\n" GOOD_STEP1, 0, ":2: title has no value" },
        { "title = T\n" GOOD, 0, ":1: title is outside any section; put it under [routine] or [step N]" },
        { ROUTINE "[step 1]\nmuscle = calves\nside = left\namplitude = 10\nduration = 60\n", 0,
          ":3: [step 1] is missing speed, ramp" },
        { ROUTINE "[step 1]\n", 0, ":3: [step 1] is missing muscle, side, speed, amplitude, duration, ramp" },
        { GOOD "[step 2]\nmuscle = quads\n[step 3]\n", 0,
          ":10: [step 2] is missing side, speed, amplitude, duration, ramp" },
        { "[routine]\ndescription = D\n" GOOD_STEP1, 0, ":1: [routine] is missing title" },
        { "[routine]\n" GOOD_STEP1, 0, ":1: [routine] is missing title" },
        /* sections */
        { ROUTINE "[steps 1]\n", 0, ":3: unknown section [steps 1]; expected [routine] or [step N]" },
        { "[Routine]\ntitle = T\n", 0, ":1: unknown section [Routine]; expected [routine] or [step N]" },
        { ROUTINE "[]\n", 0, ":3: unknown section []; expected [routine] or [step N]" },
        { ROUTINE "[step]\n", 0, ":3: unknown section [step]; expected [routine] or [step N]" },
        { ROUTINE "[step 0]\n", 0, ":3: [step 0]: \"0\" is not a step number (1, 2, 3, …)" },
        { ROUTINE "[step 01]\n", 0, ":3: [step 01]: \"01\" is not a step number (1, 2, 3, …)" },
        { ROUTINE "[step x]\n", 0, ":3: [step x]: \"x\" is not a step number (1, 2, 3, …)" },
        { ROUTINE "[step -1]\n", 0, ":3: [step -1]: \"-1\" is not a step number (1, 2, 3, …)" },
        { ROUTINE "[step 99999999999]\n", 0,
          ":3: [step 99999999999]: \"99999999999\" is not a step number (1, 2, 3, …)" },
        { ROUTINE "[step 2]\n", 0, ":3: [step 2] is out of order; expected [step 1]" },
        { GOOD "[step 3]\n", 0, ":10: [step 3] is out of order; expected [step 2]" },
        { GOOD "[step 1]\n", 0, ":10: [step 1] appears twice (first at line 3)" },
        { GOOD "[routine]\n", 0, ":10: [routine] appears twice (first at line 1)" },
        { ROUTINE "[step 1\n", 0, ":3: section header \"[step 1\" has no closing \"]\"" },
        { ROUTINE "[step 1] speed = 3\n", 0, ":3: unexpected \"speed = 3\" after [step 1]" },
        /* lines that are no key = value */
        { ROUTINE "[step 1]\nmuscle calves\n", 0, ":4: \"muscle calves\" is neither a [section] nor key = value" },
        { ROUTINE "[step 1]\nmuscle ; = calves\n", 0,
          ":4: cannot parse this line; expected [section], key = value or a ; comment" },
        /* inih's error comes first when it is on an earlier line than ours */
        { ROUTINE "[step 1]\nmuscle ; = calves\nspeed = fast\n", 0,
          ":4: cannot parse this line; expected [section], key = value or a ; comment" },
        /* what is missing from the whole file */
        { "", 0, ": file is empty" },
        { "; only\n\n# comments\n   \n", 0, ": file is empty" },
        { GOOD_STEP1, 0, ": no [routine] section" },
        { ROUTINE, 0, ": no steps; a routine needs [step 1] at least" },
        { "[routine]\n", 0, ":1: [routine] is missing title" },
        /* bytes that are not text */
        { "[routine]\ntitle = T\0x\n", 22, ":2: line contains a NUL byte; is this a text file?" },
        { "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0", 24,
          ":1: line contains a NUL byte; is this a text file?" },
        { ROUTINE "description = \xff\xfe\n", 0, ":3: line is not valid UTF-8" },
        { ROUTINE "description = \xc0\xaf overlong /\n", 0, ":3: line is not valid UTF-8" },
        { ROUTINE "description = \xed\xa0\x80 surrogate\n", 0, ":3: line is not valid UTF-8" },
        { ROUTINE "description = \xf4\x90\x80\x80 past U+10FFFF\n", 0, ":3: line is not valid UTF-8" },
        { ROUTINE "description = cut \xe2\x82", 0, ":3: line is not valid UTF-8" },
};

START_TEST(test_bad_content)
{
        const char *content = bad_cases[_i].content;
        size_t size = bad_cases[_i].size > 0 ? bad_cases[_i].size : strlen(content);

        assert_load_error(write_bytes("bad.ini", content, size), bad_cases[_i].error);
}
END_TEST

START_TEST(test_garbage)
{
        char garbage[8192], error[ERROR_MAX];
        struct profile *p = NULL;
        uint32_t x = 12345;
        const char *path;

        /* Random bytes without NULs, so that it is not the first thing
         * found; the parser must refuse them and not crash. */
        for (size_t i = 0; i < sizeof(garbage); i++) {
                x = x * 1103515245u + 12345u;
                garbage[i] = (char)(x >> 16 | 1);
        }
        path = write_bytes("garbage.ini", garbage, sizeof(garbage));
        ck_assert_int_lt(profile_load_file(path, &wide_envelopes, &p, error, sizeof(error)), 0);
        ck_assert_ptr_null(p);
        ck_assert_msg(strncmp(error, path, strlen(path)) == 0 && error[strlen(path)] == ':', "%s", error);
}
END_TEST

/* The error buffer may be short, or empty: a message is cut, never overrun. */
START_TEST(test_short_error_buffer)
{
        const char *path = write_file("bad.ini", "");
        struct profile *p = NULL;
        char error[8];

        memset(error, 'x', sizeof(error));
        ck_assert_int_eq(profile_load_file(path, &wide_envelopes, &p, error, 5), -EINVAL);
        ck_assert_str_eq(error, "/tmp");
        ck_assert_int_eq(error[5], 'x');
        ck_assert_int_eq(profile_load_file(path, &wide_envelopes, &p, NULL, 0), -EINVAL);
        ck_assert_ptr_null(p);
}
END_TEST

/* ---- file names and kinds of file ---- */

START_TEST(test_bad_ids)
{
        struct profile *p;

        assert_load_error(write_file("Calves.ini", GOOD),
                          ": routine id \"Calves\" (the file name) must be 1–32 characters of a–z, 0–9 and -");
        assert_load_error(write_file("glute_med.ini", GOOD),
                          ": routine id \"glute_med\" (the file name) must be 1–32 characters of a–z, 0–9 and -");
        assert_load_error(write_file(".ini", GOOD),
                          ": routine id \"\" (the file name) must be 1–32 characters of a–z, 0–9 and -");
        assert_load_error(write_file("abcdefghijklmnopqrstuvwxyz-1234567.ini", GOOD),
                          ": routine id \"abcdefghijklmnopqrstuvwxyz-1234567\" (the file name) "
                          "must be 1–32 characters of a–z, 0–9 and -");
        assert_load_error(write_file("calves.txt", GOOD), ": file name must end in .ini");
        assert_load_error(write_file("calves", GOOD), ": file name must end in .ini");

        p = load_ok(write_file("abcdefghijklmnopqrstuvwxyz-12345.ini", GOOD));
        ck_assert_str_eq(p->id, "abcdefghijklmnopqrstuvwxyz-12345");
        profile_free(p);
}
END_TEST

START_TEST(test_bad_files)
{
        char expected[256];
        char big[70000];
        const char *path;

        make_dir("directory.ini");
        assert_load_error(tmp_path("directory.ini"), ": cannot read: Is a directory");

        snprintf(expected, sizeof(expected), ": cannot open: %s", strerror(ENOENT));
        assert_load_error(tmp_path("missing.ini"), expected);

        path = tmp_path("loop.ini");
        ck_assert_int_eq(symlink("loop.ini", path), 0);
        snprintf(expected, sizeof(expected), ": cannot open: %s", strerror(ELOOP));
        assert_load_error(path, expected);

        /* Must not block waiting for a writer. */
        path = tmp_path("fifo.ini");
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        assert_load_error(path, ": not a regular file");

        memset(big, ';', sizeof(big));
        assert_load_error(write_bytes("big.ini", big, sizeof(big)),
                          ": file is 70000 bytes; a routine file may have at most 65536");

        /* root reads whatever the mode says */
        if (geteuid() != 0) {
                path = write_file("unreadable.ini", GOOD);
                ck_assert_int_eq(chmod(path, 0), 0);
                snprintf(expected, sizeof(expected), ": cannot open: %s", strerror(EACCES));
                assert_load_error(path, expected);
        }
}
END_TEST

/* ---- the set of routines ---- */

/* Envelopes for GOOD_STEP1, in a directory without the shipped ones. */
#define CALVES_CONF "[calves]\nspeed = 1200-3200\namplitude = 4-16\n"

static const char *good_titled(const char *title)
{
        static char content[512];

        snprintf(content, sizeof(content), "[routine]\ntitle = %s\n" GOOD_STEP1, title);
        return content;
}

START_TEST(test_routines_shipped)
{
        const char *dirs[] = { PROFILES_SRC_DIR };
        struct routines set = { 0 };

        ck_assert_int_eq(routines_load(&set, dirs, 1), (int)N_SHIPPED);
        ck_assert_uint_eq(set.count, N_SHIPPED);
        for (size_t i = 0; i < set.count; i++)
                ck_assert_str_eq(set.items[i]->id, shipped_ids[i]);
        ck_assert_str_eq(routines_find(&set, "post-run")->title, "After a run");
        ck_assert(routines_find(&set, "manual")->steps[0].open_ended);
        ck_assert_ptr_null(routines_find(&set, "muscles"));
        ck_assert_ptr_null(routines_find(&set, ""));
        /* The engine keeps the envelopes the routines were checked against. */
        ck_assert_uint_eq(set.envelopes.count, 4);
        ck_assert_double_eq(envelopes_find(&set.envelopes, "calves")->speed_max_ppm, 2200);
        routines_clear(&set);
        ck_assert_ptr_null(set.items);
        ck_assert_uint_eq(set.count, 0);
        ck_assert_uint_eq(set.envelopes.count, 0);
        ck_assert_ptr_null(routines_find(&set, "calves"));
}
END_TEST

START_TEST(test_routines_good_and_bad)
{
        const char *dirs[] = { tmp_dir };
        struct routines set = { 0 };

        write_file("muscles.conf", CALVES_CONF);
        write_file("b.ini", good_titled("B"));
        write_file("a.ini", good_titled("A"));
        write_file("c.ini", ROUTINE "[step 1]\n");           /* bad: empty step */
        write_file("Upper.ini", good_titled("bad id"));
        write_bytes("garbage.ini", "\x7f" "ELF\0\0", 6);
        write_file("readme.txt", "not a routine");
        write_file(".hidden.ini", good_titled("hidden"));
        write_file("d.ini.orig", good_titled("backup"));
        make_dir("dir.ini");

        ck_assert_int_eq(routines_load(&set, dirs, 1), 2);
        ck_assert_str_eq(set.items[0]->id, "a");
        ck_assert_str_eq(set.items[1]->id, "b");
        ck_assert_str_eq(routines_find(&set, "a")->title, "A");
        ck_assert_str_eq(routines_find(&set, "b")->title, "B");
        ck_assert_ptr_null(routines_find(&set, "c"));
        ck_assert_ptr_null(routines_find(&set, "hidden"));
        routines_clear(&set);
}
END_TEST

START_TEST(test_routines_admin_override)
{
        const char *dirs[] = { PROFILES_SRC_DIR, tmp_dir };
        struct routines set = { 0 };

        write_file("calves.ini", good_titled("Admin calves"));
        write_file("extra.ini", good_titled("Extra"));
        /* A bad admin file leaves the shipped routine in place. */
        write_file("quads.ini", ROUTINE);

        ck_assert_int_eq(routines_load(&set, dirs, 2), (int)N_SHIPPED + 1);
        ck_assert_str_eq(routines_find(&set, "calves")->title, "Admin calves");
        ck_assert_uint_eq(routines_find(&set, "calves")->n_steps, 1);
        ck_assert_str_eq(routines_find(&set, "extra")->title, "Extra");
        ck_assert_str_eq(routines_find(&set, "quads")->title, "Quads");
        for (size_t i = 1; i < set.count; i++)
                ck_assert_int_lt(strcmp(set.items[i - 1]->id, set.items[i]->id), 0);
        routines_clear(&set);
}
END_TEST

START_TEST(test_routines_missing_dirs)
{
        char missing[PATH_MAX], not_a_dir[PATH_MAX];
        const char *some[] = { "/nonexistent/percussd", PROFILES_SRC_DIR, missing };
        const char *none[] = { "/nonexistent/percussd" };
        const char *file[] = { not_a_dir };
        struct routines set = { 0 };

        snprintf(missing, sizeof(missing), "%s", tmp_path("missing"));
        snprintf(not_a_dir, sizeof(not_a_dir), "%s", write_file("not-a-dir", ""));

        ck_assert_int_eq(routines_load(&set, some, 3), (int)N_SHIPPED);
        ck_assert_int_eq(routines_load(&set, none, 1), 0);
        ck_assert_ptr_null(routines_find(&set, "calves"));
        ck_assert_int_eq(routines_load(&set, file, 1), 0);
        ck_assert_int_eq(routines_load(&set, NULL, 0), 0);
        routines_clear(&set);
}
END_TEST

/* Reload: the new set replaces the old one, which is freed. */
START_TEST(test_routines_reload)
{
        const char *shipped[] = { PROFILES_SRC_DIR };
        const char *admin[] = { tmp_dir };
        char dir_slash[PATH_MAX];
        const char *admin_slash[] = { dir_slash };
        struct routines set = { 0 };

        write_file("muscles.conf", CALVES_CONF);
        write_file("only.ini", good_titled("Only"));
        ck_assert_int_eq(routines_load(&set, shipped, 1), (int)N_SHIPPED);
        ck_assert_int_eq(routines_load(&set, admin, 1), 1);
        ck_assert_ptr_null(routines_find(&set, "calves"));
        ck_assert_uint_eq(set.envelopes.count, 1);
        ck_assert_str_eq(routines_find(&set, "only")->title, "Only");

        snprintf(dir_slash, sizeof(dir_slash), "%s/", tmp_dir);
        ck_assert_int_eq(routines_load(&set, admin_slash, 1), 1);
        routines_clear(&set);
}
END_TEST

/* ---- the muscles' envelopes (muscles.conf) ---- */

static void assert_envelope(const struct envelopes *set, const char *muscle, double speed_min_ppm,
                            double speed_max_ppm, double amplitude_min_mm, double amplitude_max_mm)
{
        const struct envelope *e = envelopes_find(set, muscle);

        ck_assert_msg(e != NULL, "no envelope for %s", muscle);
        ck_assert_str_eq(e->muscle, muscle);
        ck_assert_double_eq(e->speed_min_ppm, speed_min_ppm);
        ck_assert_double_eq(e->speed_max_ppm, speed_max_ppm);
        ck_assert_double_eq(e->amplitude_min_mm, amplitude_min_mm);
        ck_assert_double_eq(e->amplitude_max_mm, amplitude_max_mm);
}

/* Loads path into set, which must fail with the message path +
 * after_path; returns the negative errno. */
static int envelopes_error(struct envelopes *set, const char *path, const char *after_path)
{
        char error[ERROR_MAX], expected[ERROR_MAX];
        int r;

        r = envelopes_load_file(set, path, error, sizeof(error));
        ck_assert_int_lt(r, 0);
        snprintf(expected, sizeof(expected), "%s%s", path, after_path);
        ck_assert_str_eq(error, expected);
        return r;
}

static struct envelopes envelopes_ok(const char *path)
{
        struct envelopes set = { 0 };
        char error[ERROR_MAX];
        int r;

        r = envelopes_load_file(&set, path, error, sizeof(error));
        ck_assert_msg(r == 0, "%s", error);
        ck_assert_str_eq(error, "");
        return set;
}

START_TEST(test_envelopes_shipped)
{
        struct envelopes set = shipped_envelopes();

        ck_assert_uint_eq(set.count, 4);
        assert_envelope(&set, "calves", 1200, 2200, 5, 12);
        assert_envelope(&set, "quads", 1250, 2750, 5, 15);
        assert_envelope(&set, "glute-med", 1250, 3100, 5, 16);
        assert_envelope(&set, "any", 1200, 2400, 4, 12);
        ck_assert_ptr_null(envelopes_find(&set, "hamstrings"));
        ck_assert_ptr_null(envelopes_find(&set, ""));
        for (size_t i = 0; i < set.count; i++) {
                const struct envelope *e = &set.items[i];

                ck_assert(e->speed_min_ppm >= ENVELOPE_SPEED_MIN_PPM && e->speed_max_ppm <= ENVELOPE_SPEED_MAX_PPM);
                ck_assert(e->amplitude_min_mm >= ENVELOPE_AMPLITUDE_MIN_MM &&
                          e->amplitude_max_mm <= ENVELOPE_AMPLITUDE_MAX_MM);
        }
}
END_TEST

/* Every shipped step lies inside its muscle's shipped envelope, and
 * carries it for the engine. */
START_TEST(test_envelopes_shipped_routines_pass)
{
        struct envelopes set = shipped_envelopes();

        for (size_t i = 0; i < N_SHIPPED; i++) {
                struct profile *p = load_shipped(shipped_ids[i]);

                for (unsigned n = 0; n < p->n_steps; n++) {
                        const struct profile_step *s = &p->steps[n];
                        const struct envelope *e = envelopes_find(&set, s->muscle);

                        ck_assert_msg(e != NULL, "%s step %u: %s", p->id, n + 1, s->muscle);
                        ck_assert_double_eq(s->speed_min_ppm, e->speed_min_ppm);
                        ck_assert_double_eq(s->speed_max_ppm, e->speed_max_ppm);
                        ck_assert_double_eq(s->amplitude_min_mm, e->amplitude_min_mm);
                        ck_assert_double_eq(s->amplitude_max_mm, e->amplitude_max_mm);
                        ck_assert(s->speed_ppm >= s->speed_min_ppm && s->speed_ppm <= s->speed_max_ppm);
                        ck_assert(s->amplitude_mm >= s->amplitude_min_mm && s->amplitude_mm <= s->amplitude_max_mm);
                }
                profile_free(p);
        }
}
END_TEST

START_TEST(test_envelopes_good_variants)
{
        struct envelopes set = envelopes_ok(write_file("muscles.conf",
                "\xef\xbb\xbf; BOM, CRLF, indentation, comments\r\n"
                "[calves]   ; thin\r\n"
                "  speed = 1500-2200      ; percussions per minute\r\n"
                "\tamplitude = 4 - 12\r\n"
                "# hash comment\n"
                "[glute-med]\n"
                "amplitude = 14–16\n"             /* an en dash, as the messages print */
                "speed = 2.2e3-2700.5\n"
                "[any]\n"
                "speed = 1200-3200\n"
                "amplitude = 10-10\n"));

        ck_assert_uint_eq(set.count, 3);
        ck_assert_str_eq(set.items[0].muscle, "calves");
        assert_envelope(&set, "calves", 1500, 2200, 4, 12);
        assert_envelope(&set, "glute-med", 2200, 2700.5, 14, 16);
        assert_envelope(&set, "any", 1200, 3200, 10, 10);
}
END_TEST

/* A file of only comments is no error and changes nothing. */
START_TEST(test_envelopes_empty)
{
        struct envelopes set = calves_envelope;
        char error[ERROR_MAX];

        ck_assert_int_eq(envelopes_load_file(&set, write_file("muscles.conf", ""), error, sizeof(error)), 0);
        ck_assert_int_eq(envelopes_load_file(&set, write_file("muscles.conf", "; nothing\n\n"), error,
                                             sizeof(error)), 0);
        ck_assert_uint_eq(set.count, 1);
        assert_envelope(&set, "calves", 1500, 2200, 4, 12);
}
END_TEST

#define ENV_OK "speed = 1500-2200\namplitude = 4-12\n"

static const struct {
        const char *content;
        size_t size;            /* 0: strlen(content) */
        const char *error;      /* after the path */
} bad_envelope_cases[] = {
        /* ranges */
        { "[calves]\nspeed = 1500-1400\namplitude = 4-12\n", 0,
          ":2: speed range \"1500-1400\" is backwards; write the lower value first" },
        { "[calves]\nspeed = 1500-2200\namplitude = 12-4\n", 0,
          ":3: amplitude range \"12-4\" is backwards; write the lower value first" },
        { "[calves]\nspeed = 1000-2200\namplitude = 4-12\n", 0,
          ":2: speed 1000–2200 ppm reaches outside the global envelope 1200–3200 ppm" },
        { "[calves]\nspeed = 1500-3300\namplitude = 4-12\n", 0,
          ":2: speed 1500–3300 ppm reaches outside the global envelope 1200–3200 ppm" },
        { "[calves]\nspeed = 1500-2200\namplitude = 3.5-12\n", 0,
          ":3: amplitude 3.5–12 mm reaches outside the global envelope 4–16 mm" },
        { "[calves]\nspeed = 1500-2200\namplitude = 4-17\n", 0,
          ":3: amplitude 4–17 mm reaches outside the global envelope 4–16 mm" },
        { "[calves]\nspeed = fast\n", 0, ":2: speed \"fast\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500\n", 0, ":2: speed \"1500\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500-\n", 0, ":2: speed \"1500-\" is not a range like 1500-2200" },
        { "[calves]\nspeed = -1500-2200\n", 0, ":2: speed \"-1500-2200\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500--2200\n", 0, ":2: speed \"1500--2200\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500-2200 ppm\n", 0, ":2: speed \"1500-2200 ppm\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500..2200\n", 0, ":2: speed \"1500..2200\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1e999-2200\n", 0, ":2: speed \"1e999-2200\" is not a range like 1500-2200" },
        { "[calves]\nspeed = nan-2200\n", 0, ":2: speed \"nan-2200\" is not a range like 1500-2200" },
        { "[calves]\nspeed = 1500-2200\namplitude = big\n", 0, ":3: amplitude \"big\" is not a range like 4-12" },
        /* keys */
        { "[calves]\nsped = 1500-2200\n", 0, ":2: unknown key \"sped\" in [calves]" },
        { "[calves]\nspeed_max = 2200\n", 0, ":2: unknown key \"speed_max\" in [calves]" },
        { "[calves]\n" ENV_OK "speed = 1500-2000\n", 0, ":4: duplicate key speed in [calves] (first at line 2)" },
        { "[calves]\nspeed =\n", 0, ":2: speed has no value" },
        { "[calves]\nspeed = 1500-2200\n", 0, ":1: [calves] is missing amplitude" },
        { "[calves]\namplitude = 4-12\n[quads]\n" ENV_OK, 0, ":1: [calves] is missing speed" },
        { "[quads]\n" ENV_OK "[calves]\n", 0, ":4: [calves] is missing speed, amplitude" },
        { "speed = 1500-2200\n[calves]\n", 0,
          ":1: speed is outside any section; put it under its muscle, like [calves]" },
        /* muscle names */
        { "[Calves]\n" ENV_OK, 0, ":1: muscle [Calves] must be lower-case words joined by \"-\", like [glute-med]" },
        { "[glute_med]\n" ENV_OK, 0,
          ":1: muscle [glute_med] must be lower-case words joined by \"-\", like [glute-med]" },
        { "[glute med]\n" ENV_OK, 0,
          ":1: muscle [glute med] must be lower-case words joined by \"-\", like [glute-med]" },
        { "[]\n" ENV_OK, 0, ":1: muscle [] must be lower-case words joined by \"-\", like [glute-med]" },
        { "[calves-]\n" ENV_OK, 0, ":1: muscle [calves-] must be lower-case words joined by \"-\", like [glute-med]" },
        { "[abcdefghijklmnopqrstuvwxyzabcdef]\n" ENV_OK, 0,
          ":1: muscle [abcdefghijklmnopqrstuvwxyzabcdef] is longer than 31 characters" },
        /* sections */
        { "[calves]\n" ENV_OK "[calves]\n" ENV_OK, 0, ":4: [calves] appears twice (first at line 1)" },
        { "[calves]\n" ENV_OK "[quads]\n" ENV_OK "[calves]\n", 0, ":7: [calves] appears twice (first at line 1)" },
        { "[calves\n", 0, ":1: section header \"[calves\" has no closing \"]\"" },
        { "[calves] speed = 1500-2200\n", 0, ":1: unexpected \"speed = 1500-2200\" after [calves]" },
        /* lines and bytes */
        { "[calves]\nspeed 1500-2200\n", 0, ":2: \"speed 1500-2200\" is neither a [section] nor key = value" },
        { "[calves]\nspeed ; = 1500-2200\n", 0,
          ":2: cannot parse this line; expected [section], key = value or a ; comment" },
        { "[calves]\nspeed = 1500-2200\0\n", 27, ":2: line contains a NUL byte; is this a text file?" },
        { "[calves]\n; \xff\n", 0, ":2: line is not valid UTF-8" },
};

START_TEST(test_envelopes_bad_content)
{
        const char *content = bad_envelope_cases[_i].content;
        size_t size = bad_envelope_cases[_i].size > 0 ? bad_envelope_cases[_i].size : strlen(content);
        struct envelopes set = calves_envelope;

        envelopes_error(&set, write_bytes("muscles.conf", content, size), bad_envelope_cases[_i].error);
        /* A bad file is taken not at all, not up to its error. */
        ck_assert_uint_eq(set.count, 1);
        assert_envelope(&set, "calves", 1500, 2200, 4, 12);
}
END_TEST

START_TEST(test_envelopes_bad_files)
{
        struct envelopes set = { 0 };
        char expected[256];
        char big[70000];

        snprintf(expected, sizeof(expected), ": cannot open: %s", strerror(ENOENT));
        ck_assert_int_eq(envelopes_error(&set, tmp_path("muscles.conf"), expected), -ENOENT);

        snprintf(expected, sizeof(expected), ": cannot read: %s", strerror(EISDIR));
        ck_assert_int_eq(envelopes_error(&set, make_dir("muscles.conf"), expected), -EISDIR);

        memset(big, ';', sizeof(big));
        ck_assert_int_eq(envelopes_error(&set, write_bytes("big.conf", big, sizeof(big)),
                                         ": file is 70000 bytes; a muscle envelope file may have at most 65536"),
                         -EFBIG);
        ck_assert_uint_eq(set.count, 0);
}
END_TEST

/* A later file replaces a muscle's envelope section by section. */
START_TEST(test_envelopes_merge)
{
        struct envelopes set = shipped_envelopes();
        char error[ERROR_MAX];
        const char *path;

        path = write_file("admin.conf",
                          "[calves]\nspeed = 1300-1800\namplitude = 6-10\n"
                          "[hamstrings]\nspeed = 1600-2400\namplitude = 8-13\n");
        ck_assert_int_eq(envelopes_load_file(&set, path, error, sizeof(error)), 0);
        ck_assert_uint_eq(set.count, 5);
        assert_envelope(&set, "calves", 1300, 1800, 6, 10);
        assert_envelope(&set, "hamstrings", 1600, 2400, 8, 13);
        assert_envelope(&set, "quads", 1250, 2750, 5, 15);
        assert_envelope(&set, "any", 1200, 2400, 4, 12);

        /* A bad file changes nothing, not even its good sections. */
        path = write_file("bad.conf", "[quads]\nspeed = 1300-1800\namplitude = 6-10\n[calves]\nspeed = 1\n");
        ck_assert_int_eq(envelopes_load_file(&set, path, error, sizeof(error)), -EINVAL);
        ck_assert_uint_eq(set.count, 5);
        assert_envelope(&set, "quads", 1250, 2750, 5, 15);
        assert_envelope(&set, "calves", 1300, 1800, 6, 10);
}
END_TEST

START_TEST(test_envelopes_max)
{
        char content[8192], error[ERROR_MAX];
        struct envelopes set = { 0 };
        size_t len = 0;

        /* Muscles "a", "b", … "z", "aa", … : 32 fill the set. */
        for (unsigned i = 0; i < ENVELOPES_MAX; i++) {
                char name[3] = { (char)('a' + i % 26), i >= 26 ? (char)('a' + i % 26) : '\0', '\0' };

                len += (size_t)snprintf(content + len, sizeof(content) - len, "[%s]\n" ENV_OK, name);
        }
        set = envelopes_ok(write_file("full.conf", content));
        ck_assert_uint_eq(set.count, ENVELOPES_MAX);

        /* Replacing one is fine; one more is not, in the same file or the next. */
        ck_assert_int_eq(envelopes_load_file(&set, write_file("same.conf", "[aa]\n" ENV_OK), error,
                                             sizeof(error)), 0);
        ck_assert_int_eq(envelopes_error(&set, write_file("more.conf", "[aa]\n" ENV_OK "[hamstrings]\n" ENV_OK),
                                         ":4: [hamstrings] is one muscle too many; at most 32 muscles have an envelope"),
                         -E2BIG);
        ck_assert_uint_eq(set.count, ENVELOPES_MAX);
        ck_assert_ptr_null(envelopes_find(&set, "hamstrings"));

        len += (size_t)snprintf(content + len, sizeof(content) - len, "[hamstrings]\n" ENV_OK);
        set = (struct envelopes){ 0 };
        ck_assert_int_eq(envelopes_error(&set, write_file("33.conf", content),
                                         ":97: [hamstrings] is one muscle too many; at most 32 muscles have an envelope"),
                         -E2BIG);
        ck_assert_uint_eq(set.count, 0);
}
END_TEST

/* ---- steps against their muscle's envelope ---- */

START_TEST(test_step_outside_envelope)
{
        struct profile *p;

        /* calves: 1500–2200 ppm, 4–12 mm */
        assert_load_error_with(write_file("fast.ini", ROUTINE STEP1("calves", "left", "2600", "10", "60", "3")),
                               &calves_envelope, ":6: speed 2600 ppm is outside the 1500–2200 ppm envelope of calves");
        assert_load_error_with(write_file("slow.ini", ROUTINE STEP1("calves", "left", "1499.5", "10", "60", "3")),
                               &calves_envelope,
                               ":6: speed 1499.5 ppm is outside the 1500–2200 ppm envelope of calves");
        assert_load_error_with(write_file("deep.ini", ROUTINE STEP1("calves", "left", "1900", "14", "60", "3")),
                               &calves_envelope, ":7: amplitude 14 mm is outside the 4–12 mm envelope of calves");
        /* Both outside: speed is reported first. */
        assert_load_error_with(write_file("both.ini", ROUTINE STEP1("calves", "left", "2600", "14", "60", "3")),
                               &calves_envelope, ":6: speed 2600 ppm is outside the 1500–2200 ppm envelope of calves");
        /* The line is the key's, wherever it is, in whichever step. */
        assert_load_error_with(write_file("step2.ini",
                                          GOOD "[step 2]\nspeed = 1900\namplitude = 12.5\nmuscle = calves\n"
                                          "side = right\nduration = 60\nramp = 3\n"),
                               &calves_envelope, ":12: amplitude 12.5 mm is outside the 4–12 mm envelope of calves");
        assert_load_error_with(write_file("step2b.ini",
                                          GOOD "[step 2]\nspeed = 3000\namplitude = 10\nmuscle = calves\n"
                                          "side = right\nduration = 60\nramp = 3\n[step 3]\n"),
                               &calves_envelope, ":11: speed 3000 ppm is outside the 1500–2200 ppm envelope of calves");

        /* The bounds themselves are inside; the step carries the envelope. */
        p = load_ok_with(write_file("edges.ini", ROUTINE STEP1("calves", "left", "1500", "4", "60", "3")
                                    "[step 2]\nmuscle = calves\nside = right\nspeed = 2200\namplitude = 12\n"
                                    "duration = 60\nramp = 3\n"),
                         &calves_envelope);
        ck_assert_uint_eq(p->n_steps, 2);
        for (unsigned i = 0; i < p->n_steps; i++) {
                ck_assert_double_eq(p->steps[i].speed_min_ppm, 1500);
                ck_assert_double_eq(p->steps[i].speed_max_ppm, 2200);
                ck_assert_double_eq(p->steps[i].amplitude_min_mm, 4);
                ck_assert_double_eq(p->steps[i].amplitude_max_mm, 12);
        }
        profile_free(p);
}
END_TEST

START_TEST(test_step_muscle_without_envelope)
{
        const char *path = write_file("hamstrings.ini", ROUTINE STEP1("hamstrings", "left", "1900", "10", "60", "3"));

        assert_load_error_with(path, &calves_envelope,
                               ":4: muscle \"hamstrings\" has no safe envelope; add [hamstrings] to muscles.conf");
        assert_load_error_with(path, NULL,
                               ":4: muscle \"hamstrings\" has no safe envelope; add [hamstrings] to muscles.conf");
        /* The muscle key's line, in a later step. */
        assert_load_error_with(write_file("two.ini", GOOD "[step 2]\nside = left\nspeed = 2000\nmuscle = quads\n"
                                                          "amplitude = 10\nduration = 60\nramp = 3\n"),
                               &calves_envelope,
                               ":13: muscle \"quads\" has no safe envelope; add [quads] to muscles.conf");
        /* Without envelopes no step loads. */
        assert_load_error_with(write_file("calves.ini", GOOD), NULL,
                               ":4: muscle \"calves\" has no safe envelope; add [calves] to muscles.conf");
}
END_TEST

/* ---- open-ended steps ---- */

START_TEST(test_open_ended)
{
        struct profile *p;

        p = load_ok(write_file("open.ini", ROUTINE STEP1("quads", "none", "2000", "10", "open", "900")
                               "[step 2]\nmuscle = calves\nside = left\nspeed = 2000\namplitude = 10\n"
                               "duration = 60\nramp = 3\n"));
        ck_assert_uint_eq(p->n_steps, 2);
        ck_assert(p->steps[0].open_ended);
        ck_assert_double_eq(p->steps[0].duration_s, PROFILE_OPEN_STEP_MAX_S);
        ck_assert_double_eq(p->steps[0].duration_s, 900);
        ck_assert_double_eq(p->steps[0].ramp_s, 900);
        ck_assert(!p->steps[1].open_ended);
        ck_assert_double_eq(p->steps[1].duration_s, 60);
        profile_free(p);

        assert_load_error(write_file("ramp.ini", ROUTINE STEP1("quads", "none", "2000", "10", "open", "901")),
                          ":9: ramp 901 s is longer than the 900 s an open-ended step may last");
        assert_load_error(write_file("ramp2.ini", ROUTINE STEP1("quads", "none", "2000", "10", "open", "-1")),
                          ":9: ramp -1 s must not be negative");
        assert_load_error(write_file("noramp.ini", ROUTINE "[step 1]\nmuscle = quads\nside = none\nspeed = 2000\n"
                                                           "amplitude = 10\nduration = open\n"),
                          ":3: [step 1] is missing ramp");
        assert_load_error(write_file("upper.ini", ROUTINE STEP1("quads", "none", "2000", "10", "Open", "3")),
                          ":8: duration \"Open\" is not a number");
        assert_load_error(write_file("twice.ini", GOOD "duration = open\n"),
                          ":10: duplicate key duration in [step 1] (first at line 8)");
}
END_TEST

START_TEST(test_shipped_manual)
{
        struct envelopes set = shipped_envelopes();
        const struct envelope *any = envelopes_find(&set, "any");
        struct profile *p = load_shipped("manual");
        const struct profile_step *s = &p->steps[0];

        ck_assert_str_eq(p->id, "manual");
        ck_assert_str_eq(p->title, "Manual");
        ck_assert(!p->gentle);
        ck_assert_uint_eq(p->n_steps, 1);
        ck_assert_str_eq(s->muscle, "any");
        ck_assert_str_eq(s->side, "");
        ck_assert_double_eq(s->speed_ppm, 2075);
        ck_assert_double_eq(s->amplitude_mm, 10);
        ck_assert(s->open_ended);
        ck_assert_double_eq(s->duration_s, PROFILE_OPEN_STEP_MAX_S);
        ck_assert_double_eq(s->ramp_s, 2);
        ck_assert_int_eq(s->pattern, STEP_PATTERN_CONSTANT);
        ck_assert_int_eq(s->after, STEP_AFTER_CONTINUE);
        ck_assert_double_eq(s->speed_max_ppm, any->speed_max_ppm);

        /* Intensity 1 and 5 (±15 %) give about a commercial gun's
         * 1750–2400 ppm, unclamped by the [any] envelope. */
        ck_assert_double_eq_tol(s->speed_ppm * 0.85, 1750, 15);
        ck_assert_double_eq_tol(s->speed_ppm * 1.15, 2400, 15);
        ck_assert(s->speed_ppm * 0.85 >= any->speed_min_ppm && s->speed_ppm * 1.15 <= any->speed_max_ppm);
        ck_assert(s->amplitude_mm * 0.85 >= any->amplitude_min_mm &&
                  s->amplitude_mm * 1.15 <= any->amplitude_max_mm);
        profile_free(p);
}
END_TEST

/* An admin's muscles.conf narrows one muscle for every routine, shipped
 * ones too, and may add a muscle for its own routines. */
START_TEST(test_routines_admin_envelopes)
{
        const char *dirs[] = { PROFILES_SRC_DIR, tmp_dir };
        struct routines set = { 0 };

        write_file("muscles.conf",
                   "[calves]\nspeed = 1200-1850\namplitude = 5-12\n"
                   "[hamstrings]\nspeed = 1500-2300\namplitude = 6-12\n");
        write_file("hamstrings.ini", ROUTINE STEP1("hamstrings", "left", "2000", "10", "60", "3"));

        /* calves.ini and post-run.ini have calves at 1900 ppm. */
        ck_assert_int_eq(routines_load(&set, dirs, 2), (int)N_SHIPPED - 2 + 1);
        ck_assert_ptr_null(routines_find(&set, "calves"));
        ck_assert_ptr_null(routines_find(&set, "post-run"));
        ck_assert_double_eq(routines_find(&set, "warm-up")->steps[0].speed_max_ppm, 1850);
        ck_assert_double_eq(routines_find(&set, "warm-up")->steps[2].speed_max_ppm, 2750);
        ck_assert_double_eq(routines_find(&set, "hamstrings")->steps[0].speed_max_ppm, 2300);
        ck_assert_uint_eq(set.envelopes.count, 5);
        assert_envelope(&set.envelopes, "calves", 1200, 1850, 5, 12);
        assert_envelope(&set.envelopes, "quads", 1250, 2750, 5, 15);
        routines_clear(&set);

        /* A bad admin muscles.conf is skipped whole: the shipped envelopes
         * hold, and the admin's routine on an unknown muscle is refused. */
        write_file("muscles.conf", "[calves]\nspeed = 1200-1850\namplitude = 5-12\n[hamstrings]\nspeed = 1\n");
        ck_assert_int_eq(routines_load(&set, dirs, 2), (int)N_SHIPPED);
        ck_assert_ptr_nonnull(routines_find(&set, "calves"));
        ck_assert_ptr_null(routines_find(&set, "hamstrings"));
        assert_envelope(&set.envelopes, "calves", 1200, 2200, 5, 12);
        routines_clear(&set);
}
END_TEST

static Suite *profile_suite(void)
{
        Suite *s = suite_create("profile");
        TCase *tc;

        tc = tcase_create("shipped");
        tcase_add_test(tc, test_shipped_load);
        tcase_add_test(tc, test_corpus);
        tcase_add_test(tc, test_shipped_calves);
        tcase_add_test(tc, test_shipped_post_run);
        tcase_add_test(tc, test_shipped_manual);
        tcase_add_test(tc, test_envelopes_shipped);
        tcase_add_test(tc, test_envelopes_shipped_routines_pass);
        suite_add_tcase(s, tc);

        tc = tcase_create("parser");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_good_variants);
        tcase_add_test(tc, test_steps_max);
        tcase_add_test(tc, test_line_length);
        tcase_add_loop_test(tc, test_bad_content, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
        tcase_add_test(tc, test_garbage);
        tcase_add_test(tc, test_short_error_buffer);
        tcase_add_test(tc, test_bad_ids);
        tcase_add_test(tc, test_bad_files);
        tcase_add_test(tc, test_step_outside_envelope);
        tcase_add_test(tc, test_step_muscle_without_envelope);
        tcase_add_test(tc, test_open_ended);
        suite_add_tcase(s, tc);

        tc = tcase_create("envelopes");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_envelopes_good_variants);
        tcase_add_test(tc, test_envelopes_empty);
        tcase_add_loop_test(tc, test_envelopes_bad_content, 0,
                            (int)(sizeof(bad_envelope_cases) / sizeof(bad_envelope_cases[0])));
        tcase_add_test(tc, test_envelopes_bad_files);
        tcase_add_test(tc, test_envelopes_merge);
        tcase_add_test(tc, test_envelopes_max);
        suite_add_tcase(s, tc);

        tc = tcase_create("routines");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_routines_shipped);
        tcase_add_test(tc, test_routines_good_and_bad);
        tcase_add_test(tc, test_routines_admin_override);
        tcase_add_test(tc, test_routines_missing_dirs);
        tcase_add_test(tc, test_routines_reload);
        tcase_add_test(tc, test_routines_admin_envelopes);
        suite_add_tcase(s, tc);

        return s;
}

int main(void)
{
        return run_suite(profile_suite());
}
