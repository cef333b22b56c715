/* SPDX-License-Identifier: MIT */
#include "fake-sysfs.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

bool fake_sysfs_enter(void)
{
        if (geteuid() != 0) {
                printf("1..0 # SKIP the emulated devices need root (a private mount namespace)\n");
                return false;
        }
        if (unshare(CLONE_NEWNS) < 0) {
                printf("1..0 # SKIP no private mount namespace: unshare(CLONE_NEWNS): %s\n",
                       strerror(errno));
                return false;
        }
        /* our mounts must not reach the host: --propagation private */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("1..0 # SKIP cannot make the mounts private: %s\n", strerror(errno));
                return false;
        }
        return true;
}

void fake_mount(const char *dir)
{
        ck_assert_msg(mount("percussd-test", dir, "tmpfs", 0, "mode=0755") == 0,
                      "mount tmpfs on %s: %s", dir, strerror(errno));
}

void fake_umount(const char *dir)
{
        ck_assert_msg(umount2(dir, MNT_DETACH) == 0, "umount %s: %s", dir, strerror(errno));
}

void fake_dev_mount(const char *const *fifos)
{
        static const struct {
                const char *path;
                unsigned minor;
        } mem[] = {
                { "/dev/null", 3 }, { "/dev/zero", 5 }, { "/dev/full", 7 },
                { "/dev/random", 8 }, { "/dev/urandom", 9 },
        };

        fake_mount("/dev");
        for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++)
                ck_assert_msg(mknod(mem[i].path, S_IFCHR | 0666, makedev(1, mem[i].minor)) == 0,
                              "mknod %s: %s", mem[i].path, strerror(errno));
        for (; *fifos; fifos++)
                ck_assert_msg(mkfifo(*fifos, 0600) == 0, "mkfifo %s: %s", *fifos, strerror(errno));
}

void fake_mkdir(const char *path)
{
        char buf[512];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf,
                              strerror(errno));
                *p = '/';
        }
        ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf,
                      strerror(errno));
}

void fake_write(const char *path, const char *content)
{
        char dir[512];
        FILE *f;

        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = 0;
        fake_mkdir(dir);
        f = fopen(path, "we");
        ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
        fputs(content, f);
        ck_assert_int_eq(fclose(f), 0);
}

const char *fake_read(const char *path)
{
        static char buf[4096];
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
        n = read(fd, buf, sizeof(buf) - 1);
        ck_assert_int_ge(n, 0);
        buf[n] = 0;
        close(fd);
        return buf;
}

void fake_clear(const char *path)
{
        ck_assert_msg(truncate(path, 0) == 0, "truncate %s: %s", path, strerror(errno));
}
