/* SPDX-License-Identifier: MIT */
/* The PM QoS request on the CPUs' wake-up latency (daemon/rt/cpu-latency.c),
 * against a file standing in for /dev/cpu_dma_latency: the kernel reads
 * the limit as a binary s32 and keeps it for as long as the file is open. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/rt/cpu-latency.h"
#include "tests/fixtures/open-fds.h"
#include "tests/fixtures/check-main.h"

static char dir[] = "/tmp/percussd-cpu-latency-XXXXXX";
static char path[PATH_MAX];

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/cpu_dma_latency", dir);
        close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
}

static void teardown(void)
{
        unlink(path);
        rmdir(dir);
        strcpy(dir, "/tmp/percussd-cpu-latency-XXXXXX");
}

/* How many of this process's descriptors are open on path. */
static int opened(void)
{
        int n = open_fds_on(getpid(), path);

        ck_assert_int_ge(n, 0);
        return n;
}

static off_t file_size(void)
{
        struct stat st;

        ck_assert_int_eq(stat(path, &st), 0);
        return st.st_size;
}

static int32_t written(void)
{
        int32_t v = INT32_MIN;
        FILE *f = fopen(path, "re");

        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fread(&v, 1, sizeof(v), f), sizeof(v));
        ck_assert_int_eq(fgetc(f), EOF);
        fclose(f);
        return v;
}

START_TEST(test_hold_writes_the_limit_and_keeps_it_open_until_release)
{
        struct cpu_latency l;

        cpu_latency_init(&l, path, 20);
        ck_assert_int_eq(opened(), 0);
        ck_assert_int_eq(cpu_latency_hold(&l), 0);
        ck_assert_int_eq(written(), 20);
        ck_assert_int_eq(opened(), 1);
        /* a second Start while the motor runs asks nothing more */
        ck_assert_int_eq(cpu_latency_hold(&l), 0);
        ck_assert_int_eq(opened(), 1);
        cpu_latency_release(&l);
        ck_assert_int_eq(opened(), 0);
        cpu_latency_release(&l);
        ck_assert_int_eq(opened(), 0);
        /* the next routine asks again */
        ck_assert_int_eq(cpu_latency_hold(&l), 0);
        ck_assert_int_eq(opened(), 1);
        cpu_latency_release(&l);
}
END_TEST

START_TEST(test_any_asks_nothing)
{
        struct cpu_latency l;

        cpu_latency_init(&l, path, -1);
        ck_assert_int_eq(cpu_latency_hold(&l), 0);
        ck_assert_int_eq(opened(), 0);
        ck_assert_int_eq(file_size(), 0);
}
END_TEST

START_TEST(test_a_missing_device_is_an_error_said_once)
{
        char missing[PATH_MAX + 16];
        struct cpu_latency l;

        snprintf(missing, sizeof(missing), "%s/none", dir);
        cpu_latency_init(&l, missing, 0);
        ck_assert_int_eq(cpu_latency_hold(&l), -ENOENT);
        ck_assert(l.told);
        ck_assert_int_eq(cpu_latency_hold(&l), -ENOENT);
        ck_assert_int_eq(l.fd, -1);
        cpu_latency_release(&l);
}
END_TEST

START_TEST(test_a_device_refusing_the_write_is_not_held)
{
        struct cpu_latency l;

        /* the kernel answers EINVAL to anything but an s32 or a hex
         * string; /dev/full stands in for a device that refuses */
        cpu_latency_init(&l, "/dev/full", 0);
        ck_assert_int_eq(cpu_latency_hold(&l), -ENOSPC);
        ck_assert_int_eq(l.fd, -1);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("cpu-latency");
        TCase *tc = tcase_create("request");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_hold_writes_the_limit_and_keeps_it_open_until_release);
        tcase_add_test(tc, test_any_asks_nothing);
        tcase_add_test(tc, test_a_missing_device_is_an_error_said_once);
        tcase_add_test(tc, test_a_device_refusing_the_write_is_not_held);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
