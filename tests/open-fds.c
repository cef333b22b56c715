/* SPDX-License-Identifier: MIT */
#include "open-fds.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int open_fds_on(pid_t pid, const char *path)
{
        char dir_path[64], link[PATH_MAX + 80], target[PATH_MAX];
        struct dirent *e;
        DIR *d;
        int n = 0;

        snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)pid);
        d = opendir(dir_path);
        if (!d)
                return -errno;
        while ((e = readdir(d))) {
                ssize_t len;

                snprintf(link, sizeof(link), "%s/%s", dir_path, e->d_name);
                len = readlink(link, target, sizeof(target) - 1);
                if (len < 0)
                        continue;
                target[len] = '\0';
                n += strcmp(target, path) == 0;
        }
        closedir(d);
        return n;
}
