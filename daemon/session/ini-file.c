/* SPDX-License-Identifier: MIT */
#include "ini-file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

int ini_file_error(struct ini_file *f, unsigned line, int r, const char *format, ...)
{
        va_list ap;
        int n;

        if (f->r < 0)
                return f->r;
        f->r = r;
        f->error_line = line;

        if (line > 0)
                n = snprintf(f->error, f->error_size, "%s:%u: ", f->path, line);
        else
                n = snprintf(f->error, f->error_size, "%s: ", f->path);
        if (n >= 0 && (size_t)n < f->error_size) {
                va_start(ap, format);
                vsnprintf(f->error + n, f->error_size - (size_t)n, format, ap);
                va_end(ap);
        }
        return r;
}

const char *ini_skip_space(const char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        return s;
}

bool ini_is_lower_case_words(const char *s)
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

/* header starts with '['. inih does not tell the handler about sections
 * (nor about empty ones), so the reader follows them itself. */
static int begin_section(struct ini_file *f, const char *header)
{
        const char *name = header + 1;
        const char *end = strchr(name, ']');
        const char *rest;
        int name_len;

        if (!end)
                return ini_file_error(f, f->line, -EINVAL, "section header \"%s\" has no closing \"]\"", header);
        name_len = (int)(end - name);

        /* inih would silently drop anything after the ']'. */
        rest = ini_skip_space(end + 1);
        if (*rest != '\0' && *rest != ';' && *rest != '#')
                return ini_file_error(f, f->line, -EINVAL, "unexpected \"%s\" after [%.*s]", rest, name_len, name);

        return f->on_section(f, name, name_len);
}

/* inih's fgets()-like reader: see ini-file.h for why it is ours. */
static char *read_line(char *str, int num, void *userdata)
{
        struct ini_file *f = userdata;
        const char *s;
        size_t len;
        ssize_t n;

        /* Stop at the first error: what follows would only pile up more. */
        if (f->r < 0)
                return NULL;

        errno = 0;
        n = getline(&f->line_buf, &f->line_buf_size, f->file);
        if (n < 0) {
                if (ferror(f->file)) {
                        int e = errno > 0 ? errno : EIO;

                        ini_file_error(f, 0, -e, "cannot read: %s", strerror(e));
                }
                return NULL;
        }
        f->line++;
        len = (size_t)n;

        if (strlen(f->line_buf) != len) {
                ini_file_error(f, f->line, -EINVAL, "line contains a NUL byte; is this a text file?");
                return NULL;
        }
        if (len > 0 && f->line_buf[len - 1] == '\n')
                f->line_buf[--len] = '\0';
        if (len > 0 && f->line_buf[len - 1] == '\r')
                f->line_buf[--len] = '\0';
        /* inih would read the rest of a longer line as a new line. */
        if (len >= (size_t)num) {
                ini_file_error(f, f->line, -E2BIG, "line is %zu bytes long; a line may have at most %d",
                               len, num - 1);
                return NULL;
        }
        if (!utf8_is_valid(f->line_buf)) {
                ini_file_error(f, f->line, -EINVAL, "line is not valid UTF-8");
                return NULL;
        }

        /* Leading blanks go, so that inih never takes an indented line for
         * the continuation of the previous value: the formats have none.
         * The byte order mark editors may put first goes too. */
        s = f->line_buf;
        if (f->line == 1 && strneq(s, "\xef\xbb\xbf", 3))
                s += 3;
        s = ini_skip_space(s);

        if (*s == '[') {
                f->seen_content = true;
                if (begin_section(f, s) < 0)
                        return NULL;
        } else if (*s != '\0' && *s != ';' && *s != '#') {
                f->seen_content = true;
                if (!strpbrk(s, "=:")) {
                        ini_file_error(f, f->line, -EINVAL, "\"%s\" is neither a [section] nor key = value", s);
                        return NULL;
                }
        }

        memcpy(str, s, strlen(s) + 1);
        return str;
}

static int handle_key(void *userdata, const char *section, const char *name, const char *value)
{
        struct ini_file *f = userdata;

        (void)section; /* read_line() follows the sections, with their lines */

        /* inih wants nonzero for success. */
        return f->on_key(f, name, value) >= 0;
}

static int open_file(struct ini_file *f)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int e;

        /* O_NONBLOCK: a FIFO left in the directory must not hang the daemon. */
        fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                e = errno;
                return ini_file_error(f, 0, -e, "cannot open: %s", strerror(e));
        }
        if (fstat(fd, &st) < 0) {
                e = errno;
                return ini_file_error(f, 0, -e, "cannot read: %s", strerror(e));
        }
        if (S_ISDIR(st.st_mode))
                return ini_file_error(f, 0, -EISDIR, "cannot read: %s", strerror(EISDIR));
        if (!S_ISREG(st.st_mode))
                return ini_file_error(f, 0, -EINVAL, "not a regular file");
        if (st.st_size > INI_FILE_MAX_BYTES)
                return ini_file_error(f, 0, -EFBIG, "file is %jd bytes; a %s may have at most %d",
                                      (intmax_t)st.st_size, f->kind, INI_FILE_MAX_BYTES);

        f->file = fdopen(fd, "r");
        if (!f->file) {
                e = errno;
                return ini_file_error(f, 0, -e, "cannot read: %s", strerror(e));
        }
        fd = -1; /* the FILE has it */
        return 0;
}

int ini_file_parse(struct ini_file *f)
{
        int ini_result;

        if (open_file(f) < 0)
                return f->r;

        ini_result = ini_parse_stream(read_line, f, handle_key, f);

        fclose(f->file);
        f->file = NULL;
        free(f->line_buf);
        f->line_buf = NULL;
        f->line_buf_size = 0;

        if (ini_result == -2)
                return ini_file_error(f, 0, -ENOMEM, "out of memory");

        /* inih refuses a line the reader let through when it splits it
         * differently, e.g. "speed ; = 3", where the comment starts first.
         * Report it if it came before our own first error. */
        if (ini_result > 0 && (f->r == 0 || (unsigned)ini_result < f->error_line)) {
                f->r = 0;
                return ini_file_error(f, (unsigned)ini_result, -EINVAL,
                                      "cannot parse this line; expected [section], key = value or a ; comment");
        }
        return f->r;
}
