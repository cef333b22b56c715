/* SPDX-License-Identifier: MIT */
#include "fuzz-input.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/percussd-fuzz-XXXXXX";
static char path[sizeof(dir) + 64];

static void remove_dir(void)
{
        unlink(path);
        rmdir(dir);
}

const char *fuzz_input_path(const char *name, const uint8_t *data, size_t size)
{
        int fd;

        if (path[0] == '\0') {
                if (!mkdtemp(dir))
                        fuzz_fail("mkdtemp %s: %m", dir);
                atexit(remove_dir);
                snprintf(path, sizeof(path), "%s/%s", dir, name);
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                fuzz_fail("open %s: %m", path);
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);

                if (n <= 0)
                        fuzz_fail("write %s: %m", path);
                done += (size_t)n;
        }
        close(fd);
        return path;
}

void fuzz_fail(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}
