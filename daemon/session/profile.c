/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelopes.h"
#include "ini-file.h"

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

enum section {
        SECTION_NONE,           /* before the first [section] */
        SECTION_ROUTINE,
        SECTION_STEP,
};

enum key {
        KEY_TITLE,
        KEY_DESCRIPTION,
        KEY_GENTLE,
        KEY_MUSCLE,
        KEY_SIDE,
        KEY_SPEED,
        KEY_AMPLITUDE,
        KEY_DURATION,
        KEY_RAMP,
        KEY_PATTERN,
        KEY_AFTER,
        _KEY_MAX,
};

struct parser {
        struct ini_file ini;            /* the file, its current line, the first error */
        const struct envelopes *envelopes;

        enum section section;
        char section_name[16];          /* "routine", "step 3": for messages */
        unsigned section_line;
        unsigned key_line[_KEY_MAX];    /* where each key of this section was, 0 = not yet */
        unsigned routine_line;          /* of [routine], 0 = none yet */
        unsigned step_line[PROFILE_STEPS_MAX];

        struct profile *profile;
};

/* Records the first error as "path:line: message" ("path: message" when
 * line is 0) and returns r, a negative errno. */
#define parser_error(p, line, r, ...) ini_file_error(&(p)->ini, (line), (r), __VA_ARGS__)

static struct profile_step *current_step(struct parser *p)
{
        return &p->profile->steps[p->profile->n_steps - 1];
}

/* ---- values ---- */

static int parse_number(struct parser *p, const char *key, const char *value, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v))
                return parser_error(p, p->ini.line, -EINVAL, "%s \"%s\" is not a number", key, value);
        *ret = v;
        return 0;
}

static int check_range(struct parser *p, const char *key, double v, double min, double max,
                       const char *unit)
{
        if (v < min || v > max)
                return parser_error(p, p->ini.line, -ERANGE, "%s %g %s is outside %g–%g %s",
                                    key, v, unit, min, max, unit);
        return 0;
}

/* A time that must be more than 0 and at most max_s; what lasts it ("step")
 * is for the message. */
static int check_seconds(struct parser *p, const char *key, double v, double max_s, const char *what)
{
        if (v <= 0)
                return parser_error(p, p->ini.line, -ERANGE, "%s %g s must be more than 0 s", key, v);
        if (v > max_s)
                return parser_error(p, p->ini.line, -ERANGE, "%s %g s is longer than the %g s a %s may last",
                                    key, v, max_s, what);
        return 0;
}

static int parse_string(struct parser *p, char **field, const char *value)
{
        *field = strdup(value);
        if (!*field)
                return parser_error(p, p->ini.line, -ENOMEM, "out of memory");
        return 0;
}

static int parse_title(struct parser *p, const char *value)
{
        return parse_string(p, &p->profile->title, value);
}

static int parse_description(struct parser *p, const char *value)
{
        return parse_string(p, &p->profile->description, value);
}

static int parse_gentle(struct parser *p, const char *value)
{
        if (streq(value, "true"))
                p->profile->gentle = true;
        else if (streq(value, "false"))
                p->profile->gentle = false;
        else
                return parser_error(p, p->ini.line, -EINVAL, "gentle \"%s\" is not true or false", value);
        return 0;
}

static int parse_muscle(struct parser *p, const char *value)
{
        size_t len = strlen(value);

        if (len > PROFILE_MUSCLE_MAX)
                return parser_error(p, p->ini.line, -EINVAL, "muscle \"%s\" is longer than %d characters",
                                    value, PROFILE_MUSCLE_MAX);
        if (!ini_is_lower_case_words(value))
                return parser_error(p, p->ini.line, -EINVAL,
                                    "muscle \"%s\" must be lower-case words joined by \"-\", like glute-med",
                                    value);
        memcpy(current_step(p)->muscle, value, len + 1);
        return 0;
}

static int parse_side(struct parser *p, const char *value)
{
        struct profile_step *step = current_step(p);

        if (streq(value, "left") || streq(value, "right"))
                strcpy(step->side, value);
        else if (streq(value, "none"))
                /* "" is what D-Bus says for a step on no particular side. */
                step->side[0] = '\0';
        else
                return parser_error(p, p->ini.line, -EINVAL, "side \"%s\" is not left, right or none", value);
        return 0;
}

static int parse_speed(struct parser *p, const char *value)
{
        double v;
        int r;

        r = parse_number(p, "speed", value, &v);
        if (r < 0)
                return r;
        r = check_range(p, "speed", v, ENVELOPE_SPEED_MIN_PPM, ENVELOPE_SPEED_MAX_PPM, "ppm");
        if (r < 0)
                return r;
        current_step(p)->speed_ppm = v;
        return 0;
}

static int parse_amplitude(struct parser *p, const char *value)
{
        double v;
        int r;

        r = parse_number(p, "amplitude", value, &v);
        if (r < 0)
                return r;
        r = check_range(p, "amplitude", v, ENVELOPE_AMPLITUDE_MIN_MM, ENVELOPE_AMPLITUDE_MAX_MM, "mm");
        if (r < 0)
                return r;
        current_step(p)->amplitude_mm = v;
        return 0;
}

/* Seconds, or "open": until the user moves on, at most the auto-off time. */
static int parse_duration(struct parser *p, const char *value)
{
        struct profile_step *step = current_step(p);
        double v;
        int r;

        if (streq(value, "open")) {
                step->open_ended = true;
                step->duration_s = PROFILE_OPEN_STEP_MAX_S;
                return 0;
        }

        r = parse_number(p, "duration", value, &v);
        if (r < 0)
                return r;
        r = check_seconds(p, "duration", v, PROFILE_DURATION_MAX_S, "step");
        if (r < 0)
                return r;
        step->duration_s = v;
        return 0;
}

/* Checked against the duration once the whole step is read. */
static int parse_ramp(struct parser *p, const char *value)
{
        double v;
        int r;

        r = parse_number(p, "ramp", value, &v);
        if (r < 0)
                return r;
        if (v < 0)
                return parser_error(p, p->ini.line, -ERANGE, "ramp %g s must not be negative", v);
        current_step(p)->ramp_s = v;
        return 0;
}

static int parse_pattern(struct parser *p, const char *value)
{
        struct profile_step *step = current_step(p);

        if (streq(value, "constant"))
                step->pattern = STEP_PATTERN_CONSTANT;
        else if (streq(value, "pulse"))
                step->pattern = STEP_PATTERN_PULSE;
        else if (streq(value, "wave"))
                step->pattern = STEP_PATTERN_WAVE;
        else
                return parser_error(p, p->ini.line, -EINVAL, "pattern \"%s\" is not constant, pulse or wave",
                                    value);
        return 0;
}

static int parse_after(struct parser *p, const char *value)
{
        struct profile_step *step = current_step(p);
        double pause_s;
        int r;

        if (streq(value, "continue")) {
                step->after = STEP_AFTER_CONTINUE;
                return 0;
        }
        if (streq(value, "wait")) {
                step->after = STEP_AFTER_WAIT;
                return 0;
        }
        if (streq(value, "pause"))
                return parser_error(p, p->ini.line, -EINVAL, "after = pause needs the seconds, like \"pause 5\"");
        if (strncmp(value, "pause", 5) != 0 || !isspace((unsigned char)value[5]))
                return parser_error(p, p->ini.line, -EINVAL, "after \"%s\" is not continue, wait or pause N",
                                    value);

        r = parse_number(p, "pause", ini_skip_space(value + 5), &pause_s);
        if (r < 0)
                return r;
        r = check_seconds(p, "pause", pause_s, PROFILE_PAUSE_MAX_S, "pause");
        if (r < 0)
                return r;
        step->after = STEP_AFTER_PAUSE;
        step->pause_s = pause_s;
        return 0;
}

static const struct key_def {
        const char *name;
        enum section section;
        bool required;
        int (*parse)(struct parser *p, const char *value);
} key_defs[_KEY_MAX] = {
        [KEY_TITLE]       = { "title",       SECTION_ROUTINE, true,  parse_title },
        [KEY_DESCRIPTION] = { "description", SECTION_ROUTINE, false, parse_description },
        [KEY_GENTLE]      = { "gentle",      SECTION_ROUTINE, false, parse_gentle },
        [KEY_MUSCLE]      = { "muscle",      SECTION_STEP,    true,  parse_muscle },
        [KEY_SIDE]        = { "side",        SECTION_STEP,    true,  parse_side },
        [KEY_SPEED]       = { "speed",       SECTION_STEP,    true,  parse_speed },
        [KEY_AMPLITUDE]   = { "amplitude",   SECTION_STEP,    true,  parse_amplitude },
        [KEY_DURATION]    = { "duration",    SECTION_STEP,    true,  parse_duration },
        [KEY_RAMP]        = { "ramp",        SECTION_STEP,    true,  parse_ramp },
        [KEY_PATTERN]     = { "pattern",     SECTION_STEP,    false, parse_pattern },
        [KEY_AFTER]       = { "after",       SECTION_STEP,    false, parse_after },
};

/* ---- sections ---- */

/* The muscle's envelope narrows the global one that parse_speed() and
 * parse_amplitude() checked. A step outside it is refused, not clamped:
 * the file says something the muscle must not get. */
static int check_envelope(struct parser *p)
{
        struct profile_step *step = current_step(p);
        const struct envelope *e = p->envelopes ? envelopes_find(p->envelopes, step->muscle) : NULL;

        if (!e)
                return parser_error(p, p->key_line[KEY_MUSCLE], -EINVAL,
                                    "muscle \"%s\" has no safe envelope; add [%s] to %s",
                                    step->muscle, step->muscle, ENVELOPES_FILE_NAME);
        if (step->speed_ppm < e->speed_min_ppm || step->speed_ppm > e->speed_max_ppm)
                return parser_error(p, p->key_line[KEY_SPEED], -ERANGE,
                                    "speed %g ppm is outside the %g–%g ppm envelope of %s",
                                    step->speed_ppm, e->speed_min_ppm, e->speed_max_ppm, e->muscle);
        if (step->amplitude_mm < e->amplitude_min_mm || step->amplitude_mm > e->amplitude_max_mm)
                return parser_error(p, p->key_line[KEY_AMPLITUDE], -ERANGE,
                                    "amplitude %g mm is outside the %g–%g mm envelope of %s",
                                    step->amplitude_mm, e->amplitude_min_mm, e->amplitude_max_mm, e->muscle);

        step->speed_min_ppm = e->speed_min_ppm;
        step->speed_max_ppm = e->speed_max_ppm;
        step->amplitude_min_mm = e->amplitude_min_mm;
        step->amplitude_max_mm = e->amplitude_max_mm;
        return 0;
}

/* Checks what needs the whole section: required keys, and values that
 * depend on each other or on the muscle's envelope. */
static int finish_section(struct parser *p)
{
        char missing[128] = "";
        size_t missing_len = 0;

        for (size_t k = 0; k < _KEY_MAX; k++) {
                if (key_defs[k].section != p->section || !key_defs[k].required || p->key_line[k] > 0)
                        continue;
                int n = snprintf(missing + missing_len, sizeof(missing) - missing_len, "%s%s",
                                 missing_len > 0 ? ", " : "", key_defs[k].name);
                if (n > 0)
                        missing_len += (size_t)n;
        }
        if (missing_len > 0)
                return parser_error(p, p->section_line, -EINVAL, "[%s] is missing %s",
                                    p->section_name, missing);

        if (p->section == SECTION_STEP) {
                const struct profile_step *step = current_step(p);
                int r;

                r = check_envelope(p);
                if (r < 0)
                        return r;
                if (step->open_ended && step->ramp_s > step->duration_s)
                        return parser_error(p, p->key_line[KEY_RAMP], -ERANGE,
                                            "ramp %g s is longer than the %g s an open-ended step may last",
                                            step->ramp_s, step->duration_s);
                if (step->ramp_s > step->duration_s)
                        return parser_error(p, p->key_line[KEY_RAMP], -ERANGE,
                                            "ramp %g s is longer than the step's duration %g s",
                                            step->ramp_s, step->duration_s);
        }
        return 0;
}

/* number is what follows "[step ": plain decimal, no sign, no leading
 * zero ("[step 01]" reads like a typo). */
static int begin_step(struct parser *p, const char *number, int number_len)
{
        struct profile *profile = p->profile;
        unsigned n = 0;
        bool valid = number_len > 0 && number_len <= 9 && number[0] != '0';

        for (int i = 0; valid && i < number_len; i++) {
                if (number[i] < '0' || number[i] > '9')
                        valid = false;
                else
                        n = n * 10 + (unsigned)(number[i] - '0');
        }
        if (!valid)
                return parser_error(p, p->ini.line, -EINVAL, "[step %.*s]: \"%.*s\" is not a step number (1, 2, 3, …)",
                                    number_len, number, number_len, number);
        if (n <= profile->n_steps)
                return parser_error(p, p->ini.line, -EINVAL, "[step %u] appears twice (first at line %u)",
                                    n, p->step_line[n - 1]);
        if (n != profile->n_steps + 1)
                return parser_error(p, p->ini.line, -EINVAL, "[step %u] is out of order; expected [step %u]",
                                    n, profile->n_steps + 1);
        if (n > PROFILE_STEPS_MAX)
                return parser_error(p, p->ini.line, -E2BIG, "[step %u] is one too many; a routine has at most %d steps",
                                    n, PROFILE_STEPS_MAX);

        profile->steps[n - 1] = (struct profile_step){
                .pattern = STEP_PATTERN_CONSTANT,
                .after = STEP_AFTER_CONTINUE,
        };
        profile->n_steps = n;
        p->step_line[n - 1] = p->ini.line;
        p->section = SECTION_STEP;
        snprintf(p->section_name, sizeof(p->section_name), "step %u", n);
        return 0;
}

/* ---- ini_file callbacks ---- */

/* ini_file has checked the header's shape; inih does not tell the key
 * handler about sections (nor about empty ones), so this follows them. */
static int on_section(struct ini_file *f, const char *name, int name_len)
{
        struct parser *p = f->userdata;
        int r;

        r = finish_section(p);
        if (r < 0)
                return r;
        p->section_line = p->ini.line;
        memset(p->key_line, 0, sizeof(p->key_line));

        if (name_len == 7 && strneq(name, "routine", 7)) {
                if (p->routine_line > 0)
                        return parser_error(p, p->ini.line, -EINVAL, "[routine] appears twice (first at line %u)",
                                            p->routine_line);
                p->routine_line = p->ini.line;
                p->section = SECTION_ROUTINE;
                snprintf(p->section_name, sizeof(p->section_name), "routine");
                return 0;
        }
        if (name_len > 5 && strneq(name, "step ", 5))
                return begin_step(p, name + 5, name_len - 5);

        return parser_error(p, p->ini.line, -EINVAL, "unknown section [%.*s]; expected [routine] or [step N]",
                            name_len, name);
}

static int on_key(struct ini_file *f, const char *name, const char *value)
{
        struct parser *p = f->userdata;
        size_t k;

        if (p->section == SECTION_NONE)
                return parser_error(p, p->ini.line, -EINVAL,
                                    "%s is outside any section; put it under [routine] or [step N]", name);

        for (k = 0; k < _KEY_MAX; k++)
                if (key_defs[k].section == p->section && streq(key_defs[k].name, name))
                        break;
        if (k == _KEY_MAX)
                return parser_error(p, p->ini.line, -EINVAL, "unknown key \"%s\" in [%s]", name, p->section_name);
        if (p->key_line[k] > 0)
                return parser_error(p, p->ini.line, -EINVAL, "duplicate key %s in [%s] (first at line %u)",
                                    name, p->section_name, p->key_line[k]);
        p->key_line[k] = p->ini.line;

        if (*value == '\0')
                return parser_error(p, p->ini.line, -EINVAL, "%s has no value", name);

        return key_defs[k].parse(p, value);
}

/* ---- files ---- */

static int set_id(struct parser *p)
{
        const char *name = strrchr(p->ini.path, '/');
        size_t len;

        name = name ? name + 1 : p->ini.path;
        len = strlen(name);
        if (len < 4 || !streq(name + len - 4, ".ini"))
                return parser_error(p, 0, -EINVAL, "file name must end in .ini");
        len -= 4;
        if (len == 0 || len > PROFILE_ID_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") < len)
                return parser_error(p, 0, -EINVAL,
                                    "routine id \"%.*s\" (the file name) must be 1–%d characters of a–z, 0–9 and -",
                                    (int)len, name, PROFILE_ID_MAX);
        memcpy(p->profile->id, name, len);
        p->profile->id[len] = '\0';
        return 0;
}

/* What needs the whole file, once it is read without error. */
static int finish_file(struct parser *p)
{
        int r;

        r = finish_section(p);
        if (r < 0)
                return r;
        if (!p->ini.seen_content)
                return parser_error(p, 0, -EINVAL, "file is empty");
        if (p->routine_line == 0)
                return parser_error(p, 0, -EINVAL, "no [routine] section");
        if (p->profile->n_steps == 0)
                return parser_error(p, 0, -EINVAL, "no steps; a routine needs [step 1] at least");
        if (!p->profile->description)
                return parse_string(p, &p->profile->description, "");
        return 0;
}

int profile_load_file(const char *path, const struct envelopes *envelopes, struct profile **ret,
                      char *error, size_t error_size)
{
        struct parser p = {
                .ini = {
                        .path = path,
                        .kind = "routine file",
                        .on_section = on_section,
                        .on_key = on_key,
                        .error = error,
                        .error_size = error_size,
                },
                .envelopes = envelopes,
        };
        int r;

        p.ini.userdata = &p;
        if (error_size > 0)
                error[0] = '\0';

        p.profile = calloc(1, sizeof(*p.profile));
        if (!p.profile)
                return parser_error(&p, 0, -ENOMEM, "out of memory");

        r = set_id(&p);
        if (r < 0)
                goto finish;
        r = ini_file_parse(&p.ini);
        if (r < 0)
                goto finish;
        r = finish_file(&p);

finish:
        if (r < 0) {
                profile_free(p.profile);
                return r;
        }
        *ret = p.profile;
        return 0;
}

struct profile *profile_free(struct profile *p)
{
        if (p) {
                free(p->title);
                free(p->description);
                free(p);
        }
        return NULL;
}
