/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

/* A routine file is a few dozen short lines; anything much bigger was put
 * in the directory by mistake and is refused before it is read. */
#define PROFILE_FILE_MAX_BYTES (64 * 1024)

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
        const char *path;
        FILE *file;
        char *line_buf;                 /* getline()'s, holds a whole line however long */
        size_t line_buf_size;
        unsigned line;                  /* the line inih is working on, from 1 */
        bool seen_content;              /* a section or a key, not only comments */

        enum section section;
        char section_name[16];          /* "routine", "step 3": for messages */
        unsigned section_line;
        unsigned key_line[_KEY_MAX];    /* where each key of this section was, 0 = not yet */
        unsigned routine_line;          /* of [routine], 0 = none yet */
        unsigned step_line[PROFILE_STEPS_MAX];

        struct profile *profile;

        char *error;
        size_t error_size;
        int r;                          /* the first error; it ends the parse */
        unsigned error_line;
};

/* Records the first error as "path:line: message" ("path: message" when
 * line is 0) and returns r, a negative errno. */
__attribute__((format(printf, 4, 5)))
static int parser_error(struct parser *p, unsigned line, int r, const char *format, ...)
{
        va_list ap;
        int n;

        if (p->r < 0)
                return p->r;
        p->r = r;
        p->error_line = line;

        if (line > 0)
                n = snprintf(p->error, p->error_size, "%s:%u: ", p->path, line);
        else
                n = snprintf(p->error, p->error_size, "%s: ", p->path);
        if (n >= 0 && (size_t)n < p->error_size) {
                va_start(ap, format);
                vsnprintf(p->error + n, p->error_size - (size_t)n, format, ap);
                va_end(ap);
        }
        return r;
}

static struct profile_step *current_step(struct parser *p)
{
        return &p->profile->steps[p->profile->n_steps - 1];
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing past
 * U+10FFFF. D-Bus refuses strings that are not, and a title or muscle
 * ends up on the bus. */
static bool utf8_is_valid(const char *s)
{
        static const uint32_t min_code_point[] = { 0, 0x80, 0x800, 0x10000 };
        const unsigned char *c = (const unsigned char *)s;

        while (*c) {
                unsigned n_continuation;
                uint32_t code_point;

                if (*c < 0x80) {
                        c++;
                        continue;
                }
                if ((*c & 0xe0) == 0xc0) {
                        n_continuation = 1;
                        code_point = *c & 0x1fu;
                } else if ((*c & 0xf0) == 0xe0) {
                        n_continuation = 2;
                        code_point = *c & 0x0fu;
                } else if ((*c & 0xf8) == 0xf0) {
                        n_continuation = 3;
                        code_point = *c & 0x07u;
                } else
                        return false;

                /* The terminating NUL is no continuation byte, so this
                 * never reads past the end. */
                for (unsigned i = 1; i <= n_continuation; i++) {
                        if ((c[i] & 0xc0) != 0x80)
                                return false;
                        code_point = code_point << 6 | (c[i] & 0x3fu);
                }
                if (code_point < min_code_point[n_continuation] || code_point > 0x10ffff ||
                    (code_point >= 0xd800 && code_point <= 0xdfff))
                        return false;
                c += n_continuation + 1;
        }
        return true;
}

static const char *skip_space(const char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        return s;
}

/* ---- values ---- */

static int parse_number(struct parser *p, const char *key, const char *value, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v))
                return parser_error(p, p->line, -EINVAL, "%s \"%s\" is not a number", key, value);
        *ret = v;
        return 0;
}

static int check_range(struct parser *p, const char *key, double v, double min, double max,
                       const char *unit)
{
        if (v < min || v > max)
                return parser_error(p, p->line, -ERANGE, "%s %g %s is outside %g–%g %s",
                                    key, v, unit, min, max, unit);
        return 0;
}

/* A time that must be more than 0 and at most max_s; what lasts it ("step")
 * is for the message. */
static int check_seconds(struct parser *p, const char *key, double v, double max_s, const char *what)
{
        if (v <= 0)
                return parser_error(p, p->line, -ERANGE, "%s %g s must be more than 0 s", key, v);
        if (v > max_s)
                return parser_error(p, p->line, -ERANGE, "%s %g s is longer than the %g s a %s may last",
                                    key, v, max_s, what);
        return 0;
}

static int parse_string(struct parser *p, char **field, const char *value)
{
        *field = strdup(value);
        if (!*field)
                return parser_error(p, p->line, -ENOMEM, "out of memory");
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
                return parser_error(p, p->line, -EINVAL, "gentle \"%s\" is not true or false", value);
        return 0;
}

/* [a-z]+(-[a-z]+)*, the shape of the names DBUS.md shows (calves, glute-med). */
static bool is_lower_case_words(const char *s)
{
        bool after_letter = false;

        for (; *s; s++) {
                if (*s >= 'a' && *s <= 'z')
                        after_letter = true;
                else if (*s == '-' && after_letter)
                        after_letter = false;
                else
                        return false;
        }
        return after_letter;
}

static int parse_muscle(struct parser *p, const char *value)
{
        size_t len = strlen(value);

        if (len > PROFILE_MUSCLE_MAX)
                return parser_error(p, p->line, -EINVAL, "muscle \"%s\" is longer than %d characters",
                                    value, PROFILE_MUSCLE_MAX);
        if (!is_lower_case_words(value))
                return parser_error(p, p->line, -EINVAL,
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
                return parser_error(p, p->line, -EINVAL, "side \"%s\" is not left, right or none", value);
        return 0;
}

static int parse_speed(struct parser *p, const char *value)
{
        double v;
        int r;

        r = parse_number(p, "speed", value, &v);
        if (r < 0)
                return r;
        r = check_range(p, "speed", v, PROFILE_SPEED_MIN_PPM, PROFILE_SPEED_MAX_PPM, "ppm");
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
        r = check_range(p, "amplitude", v, PROFILE_AMPLITUDE_MIN_MM, PROFILE_AMPLITUDE_MAX_MM, "mm");
        if (r < 0)
                return r;
        current_step(p)->amplitude_mm = v;
        return 0;
}

static int parse_duration(struct parser *p, const char *value)
{
        double v;
        int r;

        r = parse_number(p, "duration", value, &v);
        if (r < 0)
                return r;
        r = check_seconds(p, "duration", v, PROFILE_DURATION_MAX_S, "step");
        if (r < 0)
                return r;
        current_step(p)->duration_s = v;
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
                return parser_error(p, p->line, -ERANGE, "ramp %g s must not be negative", v);
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
                return parser_error(p, p->line, -EINVAL, "pattern \"%s\" is not constant, pulse or wave",
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
                return parser_error(p, p->line, -EINVAL, "after = pause needs the seconds, like \"pause 5\"");
        if (strncmp(value, "pause", 5) != 0 || !isspace((unsigned char)value[5]))
                return parser_error(p, p->line, -EINVAL, "after \"%s\" is not continue, wait or pause N",
                                    value);

        r = parse_number(p, "pause", skip_space(value + 5), &pause_s);
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

/* Checks what needs the whole section: required keys, and values that
 * depend on each other. Per-muscle envelopes belong here too, since they
 * need the muscle and the values together. */
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
                return parser_error(p, p->line, -EINVAL, "[step %.*s]: \"%.*s\" is not a step number (1, 2, 3, …)",
                                    number_len, number, number_len, number);
        if (n <= profile->n_steps)
                return parser_error(p, p->line, -EINVAL, "[step %u] appears twice (first at line %u)",
                                    n, p->step_line[n - 1]);
        if (n != profile->n_steps + 1)
                return parser_error(p, p->line, -EINVAL, "[step %u] is out of order; expected [step %u]",
                                    n, profile->n_steps + 1);
        if (n > PROFILE_STEPS_MAX)
                return parser_error(p, p->line, -E2BIG, "[step %u] is one too many; a routine has at most %d steps",
                                    n, PROFILE_STEPS_MAX);

        profile->steps[n - 1] = (struct profile_step){
                .pattern = STEP_PATTERN_CONSTANT,
                .after = STEP_AFTER_CONTINUE,
        };
        profile->n_steps = n;
        p->step_line[n - 1] = p->line;
        p->section = SECTION_STEP;
        snprintf(p->section_name, sizeof(p->section_name), "step %u", n);
        return 0;
}

/* header starts with '['. inih does not tell the handler about sections
 * (nor about empty ones), so the reader follows them itself. */
static int begin_section(struct parser *p, const char *header)
{
        const char *name = header + 1;
        const char *end = strchr(name, ']');
        const char *rest;
        int name_len, r;

        if (!end)
                return parser_error(p, p->line, -EINVAL, "section header \"%s\" has no closing \"]\"", header);
        name_len = (int)(end - name);

        /* inih would silently drop anything after the ']'. */
        rest = skip_space(end + 1);
        if (*rest != '\0' && *rest != ';' && *rest != '#')
                return parser_error(p, p->line, -EINVAL, "unexpected \"%s\" after [%.*s]", rest, name_len, name);

        r = finish_section(p);
        if (r < 0)
                return r;
        p->section_line = p->line;
        memset(p->key_line, 0, sizeof(p->key_line));

        if (name_len == 7 && strneq(name, "routine", 7)) {
                if (p->routine_line > 0)
                        return parser_error(p, p->line, -EINVAL, "[routine] appears twice (first at line %u)",
                                            p->routine_line);
                p->routine_line = p->line;
                p->section = SECTION_ROUTINE;
                snprintf(p->section_name, sizeof(p->section_name), "routine");
                return 0;
        }
        if (name_len > 5 && strneq(name, "step ", 5))
                return begin_step(p, name + 5, name_len - 5);

        return parser_error(p, p->line, -EINVAL, "unknown section [%.*s]; expected [routine] or [step N]",
                            name_len, name);
}

/* ---- inih callbacks ---- */

/*
 * inih's fgets()-like reader. Reading the lines ourselves lets us count
 * them (Debian builds inih without line numbers for the handler), see
 * section headers, and refuse what inih would silently mangle: a line
 * longer than its buffer (inih would read the rest as a new line), a NUL
 * byte (it would cut the line), bytes that are not UTF-8.
 */
static char *read_line(char *str, int num, void *userdata)
{
        struct parser *p = userdata;
        const char *s;
        size_t len;
        ssize_t n;

        /* Stop at the first error: what follows would only pile up more. */
        if (p->r < 0)
                return NULL;

        errno = 0;
        n = getline(&p->line_buf, &p->line_buf_size, p->file);
        if (n < 0) {
                if (ferror(p->file)) {
                        int e = errno > 0 ? errno : EIO;

                        parser_error(p, 0, -e, "cannot read: %s", strerror(e));
                }
                return NULL;
        }
        p->line++;
        len = (size_t)n;

        if (strlen(p->line_buf) != len) {
                parser_error(p, p->line, -EINVAL, "line contains a NUL byte; is this a text file?");
                return NULL;
        }
        if (len > 0 && p->line_buf[len - 1] == '\n')
                p->line_buf[--len] = '\0';
        if (len > 0 && p->line_buf[len - 1] == '\r')
                p->line_buf[--len] = '\0';
        if (len >= (size_t)num) {
                parser_error(p, p->line, -E2BIG, "line is %zu bytes long; a line may have at most %d",
                             len, num - 1);
                return NULL;
        }
        if (!utf8_is_valid(p->line_buf)) {
                parser_error(p, p->line, -EINVAL, "line is not valid UTF-8");
                return NULL;
        }

        /* Leading blanks go, so that inih never takes an indented line for
         * the continuation of the previous value: the format has none. The
         * byte order mark editors may put first goes too. */
        s = p->line_buf;
        if (p->line == 1 && strneq(s, "\xef\xbb\xbf", 3))
                s += 3;
        s = skip_space(s);

        if (*s == '[') {
                p->seen_content = true;
                if (begin_section(p, s) < 0)
                        return NULL;
        } else if (*s != '\0' && *s != ';' && *s != '#') {
                p->seen_content = true;
                if (!strpbrk(s, "=:")) {
                        parser_error(p, p->line, -EINVAL, "\"%s\" is neither a [section] nor key = value", s);
                        return NULL;
                }
        }

        memcpy(str, s, strlen(s) + 1);
        return str;
}

static int handle_key(void *userdata, const char *section, const char *name, const char *value)
{
        struct parser *p = userdata;
        size_t k;

        (void)section; /* read_line() follows the sections, with their lines */

        if (p->section == SECTION_NONE)
                return parser_error(p, p->line, -EINVAL,
                                    "%s is outside any section; put it under [routine] or [step N]", name) >= 0;

        for (k = 0; k < _KEY_MAX; k++)
                if (key_defs[k].section == p->section && streq(key_defs[k].name, name))
                        break;
        if (k == _KEY_MAX)
                return parser_error(p, p->line, -EINVAL, "unknown key \"%s\" in [%s]", name, p->section_name) >= 0;
        if (p->key_line[k] > 0)
                return parser_error(p, p->line, -EINVAL, "duplicate key %s in [%s] (first at line %u)",
                                    name, p->section_name, p->key_line[k]) >= 0;
        p->key_line[k] = p->line;

        if (*value == '\0')
                return parser_error(p, p->line, -EINVAL, "%s has no value", name) >= 0;

        /* inih wants nonzero for success. */
        return key_defs[k].parse(p, value) >= 0;
}

/* ---- files ---- */

static int set_id(struct parser *p)
{
        const char *name = strrchr(p->path, '/');
        size_t len;

        name = name ? name + 1 : p->path;
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

static int open_file(struct parser *p)
{
        struct stat st;
        int fd, e;

        /* O_NONBLOCK: a FIFO left in the directory must not hang the daemon. */
        fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                e = errno;
                return parser_error(p, 0, -e, "cannot open: %s", strerror(e));
        }
        if (fstat(fd, &st) < 0) {
                e = errno;
                close(fd);
                return parser_error(p, 0, -e, "cannot read: %s", strerror(e));
        }
        if (S_ISDIR(st.st_mode)) {
                close(fd);
                return parser_error(p, 0, -EISDIR, "cannot read: %s", strerror(EISDIR));
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return parser_error(p, 0, -EINVAL, "not a regular file");
        }
        if (st.st_size > PROFILE_FILE_MAX_BYTES) {
                close(fd);
                return parser_error(p, 0, -EFBIG, "file is %jd bytes; a routine file may have at most %d",
                                    (intmax_t)st.st_size, PROFILE_FILE_MAX_BYTES);
        }

        p->file = fdopen(fd, "r");
        if (!p->file) {
                e = errno;
                close(fd);
                return parser_error(p, 0, -e, "cannot read: %s", strerror(e));
        }
        return 0;
}

/* ini_result is what ini_parse_stream() returned. */
static int finish_parse(struct parser *p, int ini_result)
{
        int r;

        if (ini_result == -2)
                return parser_error(p, 0, -ENOMEM, "out of memory");

        /* inih refuses a line the reader let through when it splits it
         * differently, e.g. "speed ; = 3", where the comment starts first.
         * Report it if it came before our own first error. */
        if (ini_result > 0 && (p->r == 0 || (unsigned)ini_result < p->error_line)) {
                p->r = 0;
                return parser_error(p, (unsigned)ini_result, -EINVAL,
                                    "cannot parse this line; expected [section], key = value or a ; comment");
        }
        if (p->r < 0)
                return p->r;

        r = finish_section(p);
        if (r < 0)
                return r;
        if (!p->seen_content)
                return parser_error(p, 0, -EINVAL, "file is empty");
        if (p->routine_line == 0)
                return parser_error(p, 0, -EINVAL, "no [routine] section");
        if (p->profile->n_steps == 0)
                return parser_error(p, 0, -EINVAL, "no steps; a routine needs [step 1] at least");
        if (!p->profile->description)
                return parse_string(p, &p->profile->description, "");
        return 0;
}

int profile_load_file(const char *path, struct profile **ret, char *error, size_t error_size)
{
        struct parser p = {
                .path = path,
                .error = error,
                .error_size = error_size,
        };
        int r;

        if (error_size > 0)
                error[0] = '\0';

        p.profile = calloc(1, sizeof(*p.profile));
        if (!p.profile)
                return parser_error(&p, 0, -ENOMEM, "out of memory");

        r = set_id(&p);
        if (r < 0)
                goto finish;
        r = open_file(&p);
        if (r < 0)
                goto finish;
        r = finish_parse(&p, ini_parse_stream(read_line, &p, handle_key, &p));

finish:
        if (p.file)
                fclose(p.file);
        free(p.line_buf);
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
