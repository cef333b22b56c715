/* SPDX-License-Identifier: MIT */
/*
 * ble: percussd-ble measured against shared/design/QUALITY.md's
 * "Bluetooth LE bridge" table, on percussd --simulate, the bridge and
 * fake-bluez (tests/fixtures/ble-rig) on a private bus. Prints:
 *
 *   playing     Status notifications a second while "manual" plays for
 *               RUN seconds, the most in any one second, the shortest gap
 *               (bar: ≤ 10 a second);
 *   state       write Pause/Resume on the control point → the Status
 *               notification with the new state, median and max of N
 *               (bar: ≤ 100 ms);
 *   resting     Status notifications over IDLE seconds after Stop, once
 *               the crank rests (bar: 0), and the bridge's context
 *               switches (all its threads, /proc/PID/task/TID/status)
 *               meanwhile: its wake-ups (bar: none of its own);
 *   peers       bluetoothd killed and started again → the bridge's
 *               application registered again; percussd killed → Status
 *               reads unavailable, started again → Status reads idle;
 *               median and max of N each.
 *
 * Usage: build/tests/bench/ble [-r RUN_S] [-i IDLE_S] [-n N]
 * defaults 20 s playing, 30 s resting, 10 of each restart.
 */
#include <check.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixtures/ble-rig.h"

static struct ble_rig rig;

static int compare_long(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;

        return (x > y) - (x < y);
}

static void print_spread(const char *what, long *ms, int n)
{
        qsort(ms, (size_t)n, sizeof(*ms), compare_long);
        printf("%-44s median %ld ms, max %ld ms (%d runs)\n", what, ms[n / 2], ms[n - 1], n);
}

/* voluntary + involuntary context switches of every thread of pid */
static long context_switches(pid_t pid)
{
        char path[320], line[128];
        long total = 0, value;
        struct dirent *e;
        DIR *dir;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        dir = opendir(path);
        if (!dir)
                return -1;
        while ((e = readdir(dir))) {
                FILE *f;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f))
                        if (sscanf(line, "voluntary_ctxt_switches: %ld", &value) == 1 ||
                            sscanf(line, "nonvoluntary_ctxt_switches: %ld", &value) == 1)
                                total += value;
                fclose(f);
        }
        closedir(dir);
        return total;
}

static bool state_is(const struct notification *n, const void *arg)
{
        return n->size >= 2 && n->value[1] == *(const uint8_t *)arg;
}

static uint8_t read_state(void)
{
        uint8_t value[PHONE_MTU];
        size_t size;

        if (phone_read(&rig, BLE_STATUS, 0, value, &size, sizeof(value)) || size < 2)
                return 0xfe;
        return value[1];
}

static long wait_state_read(uint8_t state, long since_ms)
{
        long deadline = fixture_now_ms() + 20000;

        while (fixture_now_ms() < deadline) {
                if (read_state() == state)
                        return fixture_now_ms() - since_ms;
                ble_rig_pump(&rig, 2);
        }
        ck_abort_msg("the Status never read state %u", state);
        return 0;
}

static uint8_t index_of(const char *id)
{
        uint8_t record[4096];
        size_t size = 0, at = 2;
        long deadline = fixture_now_ms() + 10000;

        while (fixture_now_ms() < deadline) {
                if (!phone_read_long(&rig, BLE_ROUTINES, record, &size, sizeof(record)) && size > 2 &&
                    record[3 + record[2]] > 0)
                        break;
                ble_rig_pump(&rig, 50);
        }
        for (unsigned i = 0; size > 2 && i < record[1]; i++) {
                size_t length = record[at];

                if (length == strlen(id) && memcmp(record + at + 1, id, length) == 0)
                        return (uint8_t)i;
                at += 2 + length + record[at + 1 + length];
        }
        ck_abort_msg("no routine %s in the Routines characteristic", id);
        return 0;
}

static int run_s = 20, idle_s = 30, runs = 10;

/* The rig asserts as a Check test does: the bench runs as one test, in
 * this process, without a time limit. */
START_TEST(bench)
{
        long first_ms, gap_ms = 1000000, *ms;
        size_t cursor, counted = 0, per_second[600] = { 0 }, most = 0;
        uint8_t start[2] = { 0x01, 0 };
        const uint8_t stop[] = { 0x02 };
        long switches_before, switches_after;

        ms = calloc((size_t)runs, sizeof(*ms));
        ble_rig_start(&rig, 60);
        phone_connect(&rig, true);
        start[1] = index_of("manual");
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_STATUS), 0);
        ck_assert_uint_eq(phone_subscribe(&rig, BLE_CONTROL_POINT), 0);

        /* playing */
        phone_write(&rig, BLE_CONTROL_POINT, start, sizeof(start));
        wait_state_read(2, fixture_now_ms());
        ble_rig_pump(&rig, 1000);       /* past the ramp */
        cursor = rig.logged;
        first_ms = fixture_now_ms();
        ble_rig_pump(&rig, run_s * 1000);
        for (size_t i = cursor; i < rig.logged; i++) {
                const struct notification *n = &rig.log[i];
                long second = (n->at_ms - first_ms) / 1000;

                if (strcmp(n->uuid, BLE_STATUS) != 0 || second < 0 || second >= run_s)
                        continue;
                counted++;
                if (++per_second[second] > most)
                        most = per_second[second];
                for (size_t k = i; k-- > cursor;)
                        if (strcmp(rig.log[k].uuid, BLE_STATUS) == 0) {
                                if (n->at_ms - rig.log[k].at_ms < gap_ms)
                                        gap_ms = n->at_ms - rig.log[k].at_ms;
                                break;
                        }
        }
        printf("playing: Status notifications                %.1f/s over %d s, most in one second %zu, "
               "shortest gap %ld ms (bar <= 10/s)\n", (double)counted / run_s, run_s, most, gap_ms);

        /* state changes */
        for (int i = 0; i < runs; i++) {
                const uint8_t op[] = { (uint8_t)(i % 2 ? 0x04 : 0x03) };
                uint8_t state = i % 2 ? 2 : 3;
                const struct notification *n;
                long sent;

                cursor = rig.logged;
                sent = fixture_now_ms();
                phone_write(&rig, BLE_CONTROL_POINT, op, sizeof(op));
                n = ble_rig_wait_notification(&rig, BLE_STATUS, state_is, &state, &cursor, 10000);
                ms[i] = n ? n->at_ms - sent : 99999;
        }
        print_spread("state: control write -> Status notification", ms, runs);

        /* resting */
        phone_write(&rig, BLE_CONTROL_POINT, stop, sizeof(stop));
        wait_state_read(1, fixture_now_ms());
        ble_rig_pump(&rig, 3000);       /* the crank spins down */
        cursor = rig.logged;
        switches_before = context_switches(rig.bridge_pid);
        ble_rig_pump(&rig, idle_s * 1000);
        switches_after = context_switches(rig.bridge_pid);
        counted = 0;
        for (size_t i = cursor; i < rig.logged; i++)
                counted += strcmp(rig.log[i].uuid, BLE_STATUS) == 0;
        printf("resting: Status notifications                %zu over %d s (bar 0)\n", counted, idle_s);
        printf("resting: the bridge's context switches       %ld over %d s (%.2f/s)\n",
               switches_after - switches_before, idle_s,
               (double)(switches_after - switches_before) / idle_s);

        /* peers */
        for (int i = 0; i < runs; i++) {
                long killed;

                ble_rig_kill_bluez(&rig);
                killed = fixture_now_ms();
                ble_rig_start_bluez(&rig);
                ble_rig_wait_registered(&rig, 20000);
                ms[i] = fixture_now_ms() - killed;
        }
        print_spread("peers: bluetoothd restart -> registered", ms, runs);
        phone_connect(&rig, true);
        {
                long *back_ms = calloc((size_t)runs, sizeof(*back_ms));

                for (int i = 0; i < runs; i++) {
                        long killed, ready;

                        daemon_fixture_kill(&rig.daemon);
                        killed = fixture_now_ms();
                        ms[i] = wait_state_read(0, killed);
                        daemon_fixture_restart(&rig.daemon, NULL);
                        ready = fixture_now_ms();
                        back_ms[i] = wait_state_read(1, ready);
                }
                print_spread("peers: percussd killed -> Status unavailable", ms, runs);
                print_spread("peers: percussd READY=1 -> Status idle", back_ms, runs);
                free(back_ms);
        }
        ble_rig_stop(&rig);
        free(ms);
}
END_TEST

int main(int argc, char **argv)
{
        Suite *suite = suite_create("ble-bench");
        TCase *tc = tcase_create("bench");
        SRunner *runner;
        int c, failed;

        while ((c = getopt(argc, argv, "r:i:n:")) >= 0) {
                if (c == 'r')
                        run_s = atoi(optarg);
                else if (c == 'i')
                        idle_s = atoi(optarg);
                else if (c == 'n')
                        runs = atoi(optarg);
                else
                        return 2;
        }
        if (run_s < 1 || run_s > 600 || idle_s < 1 || runs < 1) {
                fprintf(stderr, "Usage: ble [-r RUN_S (1-600)] [-i IDLE_S] [-n N]\n");
                return 2;
        }
        tcase_set_timeout(tc, 0);
        tcase_add_test(tc, bench);
        suite_add_tcase(suite, tc);
        runner = srunner_create(suite);
        srunner_set_fork_status(runner, CK_NOFORK);
        srunner_run_all(runner, CK_SILENT);
        failed = srunner_ntests_failed(runner);
        if (failed)
                srunner_print(runner, CK_NORMAL);
        srunner_free(runner);
        return failed ? 1 : 0;
}
