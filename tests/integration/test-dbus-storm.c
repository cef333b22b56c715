/* SPDX-License-Identifier: MIT */
/*
 * Start/Stop/Pause/Resume storms on the real daemon from several clients
 * at once, every call sent before any answer is read: each answer is a
 * success or a documented error (Busy, NotRunning) with a sentence, and at
 * the end the daemon is alive and consistent: idle after a final Stop, no
 * fault, one history entry for each Start it accepted, no more open file
 * descriptors than before the storm.
 */
#include <check.h>
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bus-names.h"
#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"


#define CLIENTS 4
#define CALLS_PER_CLIENT 200
#define STORM_TIMEOUT_MS 60000

enum method { START, PAUSE, RESUME, STOP, METHODS };

static const char *const method_names[METHODS] = { "Start", "Pause", "Resume", "Stop" };

static struct daemon_fixture fixture;

struct tally {
        unsigned ok[METHODS];
        unsigned busy, not_running;
        unsigned answered;
        unsigned undocumented;
        char first_undocumented[256];
};

struct call {
        struct tally *tally;
        enum method method;
};

static void setup(void)
{
        static const char *const args[] = { "--profiles-dir", TEST_PROFILES_DIR, NULL };

        daemon_fixture_start(&fixture, args);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static unsigned open_fds(pid_t pid)
{
        char path[64];
        struct dirent *entry;
        unsigned n = 0;
        DIR *dir;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        dir = opendir(path);
        ck_assert_msg(dir, "cannot open %s", path);
        while ((entry = readdir(dir)))
                if (entry->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n;
}

static sd_bus *connect_client(void)
{
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, fixture.address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        ck_assert_msg(r >= 0, "connecting to %s: %s", fixture.address, strerror(-r));
        return bus;
}

static bool sentence(const char *text)
{
        return text && strlen(text) > 10 && text[strlen(text) - 1] == '.';
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct call *call = userdata;
        struct tally *t = call->tally;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void)ret_error;
        t->answered++;
        if (!e)
                t->ok[call->method]++;
        else if (strcmp(e->name, "io.percussd.Error.Busy") == 0 && sentence(e->message))
                t->busy++;
        else if (strcmp(e->name, "io.percussd.Error.NotRunning") == 0 && sentence(e->message))
                t->not_running++;
        else if (t->undocumented++ == 0)
                snprintf(t->first_undocumented, sizeof(t->first_undocumented), "%s: %s \"%s\"",
                         method_names[call->method], e->name, e->message ? e->message : "");
        return 0;
}

/* Dispatches every client's answers until all calls are answered. */
static void wait_answers(sd_bus *const *clients, const struct tally *t, unsigned total)
{
        long deadline = fixture_now_ms() + STORM_TIMEOUT_MS;

        while (t->answered < total) {
                struct pollfd pfd[CLIENTS];
                bool worked = false;

                ck_assert_msg(fixture_now_ms() < deadline, "%u of %u calls answered within %d ms", t->answered,
                              total, STORM_TIMEOUT_MS);
                for (int c = 0; c < CLIENTS; c++) {
                        int r;

                        while ((r = sd_bus_process(clients[c], NULL)) > 0)
                                worked = true;
                        ck_assert_msg(r >= 0, "client %d: %s", c, strerror(-r));
                        pfd[c] = (struct pollfd){ .fd = sd_bus_get_fd(clients[c]),
                                                  .events = (short)sd_bus_get_events(clients[c]) };
                }
                if (!worked)
                        (void)poll(pfd, CLIENTS, 50);
        }
}

static unsigned history_length(void)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *routine;
        uint64_t start_us;
        double seconds;
        uint32_t steps;
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(fixture.bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "GetHistory", &error,
                               &reply, "u", 100000);
        ck_assert_msg(r >= 0, "GetHistory: %s", error.message ? error.message : strerror(-r));
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(tsdu)"), 0);
        while ((r = sd_bus_message_read(reply, "(tsdu)", &start_us, &routine, &seconds, &steps)) > 0) {
                ck_assert_str_eq(routine, "quick");
                n++;
        }
        ck_assert_int_ge(r, 0);
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return n;
}

START_TEST(test_storm_from_several_clients)
{
        static struct call calls[CLIENTS][CALLS_PER_CLIENT];
        struct tally t = {0};
        sd_bus *clients[CLIENTS];
        unsigned fds_before, fds_after, total = CLIENTS * CALLS_PER_CLIENT;
        char *state, *fault;
        long began_ms;

        for (int c = 0; c < CLIENTS; c++)
                clients[c] = connect_client();
        /* the daemon has seen a session before the count: what it opens once
         * (the history database, the control thread) is open */
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        fds_before = open_fds(fixture.percussd_pid);

        began_ms = fixture_now_ms();
        for (int i = 0; i < CALLS_PER_CLIENT; i++)
                for (int c = 0; c < CLIENTS; c++) {
                        /* each client a step behind the one before it */
                        enum method method = (enum method)((i + c) % METHODS);
                        struct call *call = &calls[c][i];
                        int r;

                        *call = (struct call){ .tally = &t, .method = method };
                        if (method == START)
                                r = sd_bus_call_method_async(clients[c], NULL, BUS_NAME, BUS_PATH,
                                                             BUS_INTERFACE, "Start", on_reply, call,
                                                             "s", "quick");
                        else
                                r = sd_bus_call_method_async(clients[c], NULL, BUS_NAME, BUS_PATH,
                                                             BUS_INTERFACE, method_names[method],
                                                             on_reply, call, NULL);
                        ck_assert_msg(r >= 0, "client %d, call %d: %s", c, i, strerror(-r));
                }
        wait_answers(clients, &t, total);
        fprintf(stderr,
                "%u calls from %d clients answered in %ld ms: Start %u, Pause %u, Resume %u, "
                "Stop %u succeeded; %u Busy, %u NotRunning, %u undocumented\n",
                total, CLIENTS, fixture_now_ms() - began_ms, t.ok[START], t.ok[PAUSE], t.ok[RESUME],
                t.ok[STOP], t.busy, t.not_running, t.undocumented);
        ck_assert_msg(t.undocumented == 0, "%u undocumented answers, the first %s", t.undocumented,
                      t.first_undocumented);
        ck_assert_msg(t.ok[START] > 0 && t.ok[STOP] > 0 && t.ok[PAUSE] > 0 && t.ok[RESUME] > 0,
                      "a storm where some method never succeeded is no storm");

        (void)fixture_call(&fixture, "Stop", NULL, NULL, NULL);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 1000));
        fault = fixture_get_string(&fixture, "Fault");
        ck_assert_str_eq(fault, "");
        free(fault);
        /* every accepted Start is one session, ended by a Stop, in the history */
        ck_assert_uint_eq(history_length(), t.ok[START] + 1);

        for (int c = 0; c < CLIENTS; c++)
                sd_bus_flush_close_unref(clients[c]);
        /* the daemon sees the clients go, then plays a routine as before */
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 500));
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        state = fixture_get_string(&fixture, "State");
        ck_assert_str_eq(state, "idle");
        free(state);
        fds_after = open_fds(fixture.percussd_pid);
        fprintf(stderr, "percussd's open fds: %u before the storm, %u after\n", fds_before, fds_after);
        ck_assert_uint_le(fds_after, fds_before);
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("dbus-storm");
        TCase *tc = tcase_create("storm");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_storm_from_several_clients);
        suite_add_tcase(s, tc);
        return run_suite(s);
}
