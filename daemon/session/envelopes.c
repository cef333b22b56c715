/* SPDX-License-Identifier: MIT */
#include "envelopes.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini-file.h"

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

#define EN_DASH "\xe2\x80\x93"

enum key {
        KEY_SPEED,
        KEY_AMPLITUDE,
        _KEY_MAX,
};

/* Both keys are required: a section replaces a muscle's whole envelope. */
static const struct key_def {
        const char *name;
        const char *unit;
        const char *example;            /* of a range, for the message */
        double global_min, global_max;
} key_defs[_KEY_MAX] = {
        [KEY_SPEED]     = { "speed",     "ppm", "1500-2200", ENVELOPE_SPEED_MIN_PPM,    ENVELOPE_SPEED_MAX_PPM },
        [KEY_AMPLITUDE] = { "amplitude", "mm",  "4-12",      ENVELOPE_AMPLITUDE_MIN_MM, ENVELOPE_AMPLITUDE_MAX_MM },
};

struct parser {
        struct ini_file ini;            /* the file, its current line, the first error */
        struct envelopes set;           /* the caller's, with this file merged in */
        unsigned muscle_line[ENVELOPES_MAX]; /* of each set item's section in this file, 0 = none */

        struct envelope *current;       /* the section being read, NULL before the first */
        unsigned section_line;
        unsigned key_line[_KEY_MAX];    /* where each key of this section was, 0 = not yet */
};

#define parser_error(p, line, r, ...) ini_file_error(&(p)->ini, (line), (r), __VA_ARGS__)

/* "1500-2200": two plain non-negative numbers joined by "-", or by the
 * en dash that the messages print. Whether they are in order is checked
 * after, so that the message can say so. */
static bool parse_range(const char *value, double *ret_min, double *ret_max)
{
        const char *s = value;
        double min, max;
        char *end;

        if (!isdigit((unsigned char)*s))
                return false;
        errno = 0;
        min = strtod(s, &end);
        s = ini_skip_space(end);
        if (strneq(s, EN_DASH, strlen(EN_DASH)))
                s += strlen(EN_DASH);
        else if (*s == '-')
                s++;
        else
                return false;
        s = ini_skip_space(s);
        if (!isdigit((unsigned char)*s))
                return false;
        max = strtod(s, &end);
        if (*end != '\0' || errno == ERANGE || !isfinite(min) || !isfinite(max))
                return false;

        *ret_min = min;
        *ret_max = max;
        return true;
}

static int parse_key(struct parser *p, enum key k, const char *value)
{
        const struct key_def *def = &key_defs[k];
        struct envelope *e = p->current;
        double min, max;

        if (!parse_range(value, &min, &max))
                return parser_error(p, p->ini.line, -EINVAL, "%s \"%s\" is not a range like %s",
                                    def->name, value, def->example);
        if (min > max)
                return parser_error(p, p->ini.line, -EINVAL,
                                    "%s range \"%s\" is backwards; write the lower value first", def->name, value);
        /* The global envelope holds for every muscle: a file cannot widen it. */
        if (min < def->global_min || max > def->global_max)
                return parser_error(p, p->ini.line, -ERANGE,
                                    "%s %g–%g %s reaches outside the global envelope %g–%g %s",
                                    def->name, min, max, def->unit, def->global_min, def->global_max, def->unit);

        switch (k) {
        case KEY_SPEED:
                e->speed_min_ppm = min;
                e->speed_max_ppm = max;
                break;
        case KEY_AMPLITUDE:
                e->amplitude_min_mm = min;
                e->amplitude_max_mm = max;
                break;
        case _KEY_MAX:
                abort();
        }
        return 0;
}

static int finish_section(struct parser *p)
{
        char missing[64] = "";
        size_t missing_len = 0;

        if (!p->current)
                return 0;

        for (size_t k = 0; k < _KEY_MAX; k++) {
                if (p->key_line[k] > 0)
                        continue;
                int n = snprintf(missing + missing_len, sizeof(missing) - missing_len, "%s%s",
                                 missing_len > 0 ? ", " : "", key_defs[k].name);
                if (n > 0)
                        missing_len += (size_t)n;
        }
        if (missing_len > 0)
                return parser_error(p, p->section_line, -EINVAL, "[%s] is missing %s",
                                    p->current->muscle, missing);
        return 0;
}

/* ---- ini_file callbacks ---- */

/* Every section names a muscle; it starts that muscle's envelope afresh. */
static int on_section(struct ini_file *f, const char *name, int name_len)
{
        struct parser *p = f->userdata;
        char muscle[PROFILE_MUSCLE_MAX + 1];
        size_t i;
        int r;

        r = finish_section(p);
        if (r < 0)
                return r;

        if (name_len > PROFILE_MUSCLE_MAX)
                return parser_error(p, f->line, -EINVAL, "muscle [%.*s] is longer than %d characters",
                                    name_len, name, PROFILE_MUSCLE_MAX);
        memcpy(muscle, name, (size_t)name_len);
        muscle[name_len] = '\0';
        if (!ini_is_lower_case_words(muscle))
                return parser_error(p, f->line, -EINVAL,
                                    "muscle [%s] must be lower-case words joined by \"-\", like [glute-med]",
                                    muscle);

        for (i = 0; i < p->set.count; i++)
                if (streq(p->set.items[i].muscle, muscle))
                        break;
        if (i < p->set.count && p->muscle_line[i] > 0)
                return parser_error(p, f->line, -EINVAL, "[%s] appears twice (first at line %u)",
                                    muscle, p->muscle_line[i]);
        if (i == p->set.count) {
                if (p->set.count == ENVELOPES_MAX)
                        return parser_error(p, f->line, -E2BIG,
                                            "[%s] is one muscle too many; at most %d muscles have an envelope",
                                            muscle, ENVELOPES_MAX);
                p->set.count++;
        }

        /* A section replaces the envelope an earlier file gave the muscle. */
        p->set.items[i] = (struct envelope){ 0 };
        memcpy(p->set.items[i].muscle, muscle, (size_t)name_len + 1);
        p->muscle_line[i] = f->line;
        p->current = &p->set.items[i];
        p->section_line = f->line;
        memset(p->key_line, 0, sizeof(p->key_line));
        return 0;
}

static int on_key(struct ini_file *f, const char *name, const char *value)
{
        struct parser *p = f->userdata;
        size_t k;

        if (!p->current)
                return parser_error(p, f->line, -EINVAL,
                                    "%s is outside any section; put it under its muscle, like [calves]", name);

        for (k = 0; k < _KEY_MAX; k++)
                if (streq(key_defs[k].name, name))
                        break;
        if (k == _KEY_MAX)
                return parser_error(p, f->line, -EINVAL, "unknown key \"%s\" in [%s]", name, p->current->muscle);
        if (p->key_line[k] > 0)
                return parser_error(p, f->line, -EINVAL, "duplicate key %s in [%s] (first at line %u)",
                                    name, p->current->muscle, p->key_line[k]);
        p->key_line[k] = f->line;

        if (*value == '\0')
                return parser_error(p, f->line, -EINVAL, "%s has no value", name);

        return parse_key(p, (enum key)k, value);
}

/* ---- files ---- */

int envelopes_load_file(struct envelopes *set, const char *path, char *error, size_t error_size)
{
        struct parser p = {
                .ini = {
                        .path = path,
                        .kind = "muscle envelope file",
                        .on_section = on_section,
                        .on_key = on_key,
                        .error = error,
                        .error_size = error_size,
                },
                .set = *set,
        };
        int r;

        p.ini.userdata = &p;
        if (error_size > 0)
                error[0] = '\0';

        /* A file of only comments changes nothing, and is no error: an
         * admin may keep one as a template. */
        r = ini_file_parse(&p.ini);
        if (r >= 0)
                r = finish_section(&p);
        if (r < 0)
                return r;

        *set = p.set;
        return 0;
}

const struct envelope *envelopes_find(const struct envelopes *set, const char *muscle)
{
        for (size_t i = 0; i < set->count; i++)
                if (streq(set->items[i].muscle, muscle))
                        return &set->items[i];
        return NULL;
}
