/* SPDX-License-Identifier: MIT */
/*
 * percussctl against the real percussd --simulate on a private bus: what a
 * person types, what they read, and the exit status a script checks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"

#define RUN_TIMEOUT_MS 20000
#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"

static struct daemon_fixture fixture;

static void setup(void)
{
        daemon_fixture_start(&fixture, NULL);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

/* A running percussctl: its pid and what it wrote so far. */
struct ctl {
        pid_t pid;
        int out_fd, err_fd;
        char *out, *err;
        size_t out_len, err_len;
};

/* Starts program with args (NULL-terminated), its output in pipes. */
static void ctl_spawn_program(struct ctl *c, const char *program, const char *const *args)
{
        const char *argv[32];
        int out[2], err[2];
        size_t n = 0;

        memset(c, 0, sizeof(*c));
        argv[n++] = program;
        for (size_t i = 0; args[i] && n < 31; i++)
                argv[n++] = args[i];
        argv[n] = NULL;

        ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
        c->pid = fork();
        ck_assert_int_ge(c->pid, 0);
        if (c->pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                execv(argv[0], (char *const *)argv);
                fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        c->out_fd = out[0];
        c->err_fd = err[0];
        c->out = calloc(1, 1);
        c->err = calloc(1, 1);
}

/* Starts percussctl with args, --address=address first unless it is NULL. */
static void ctl_spawn(struct ctl *c, const char *address, const char *const *args)
{
        const char *argv[32];
        char address_option[160];
        size_t n = 0;

        if (address) {
                snprintf(address_option, sizeof(address_option), "--address=%s", address);
                argv[n++] = address_option;
        }
        for (size_t i = 0; args[i] && n < 31; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        ctl_spawn_program(c, PERCUSSCTL_PATH, argv);
}

static bool read_some(int *fd, char **text, size_t *len)
{
        char buf[4096];
        ssize_t n = read(*fd, buf, sizeof(buf));

        if (n <= 0) {
                close(*fd);
                *fd = -1;
                return false;
        }
        *text = realloc(*text, *len + (size_t)n + 1);
        memcpy(*text + *len, buf, (size_t)n);
        *len += (size_t)n;
        (*text)[*len] = '\0';
        return true;
}

/* Reads what the child writes for up to timeout_ms, or until stdout holds
 * needle (if not NULL), or until both pipes close. */
static bool ctl_read(struct ctl *c, const char *needle, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;

        while (c->out_fd >= 0 || c->err_fd >= 0) {
                struct pollfd pfd[2] = {
                        { .fd = c->out_fd, .events = POLLIN },
                        { .fd = c->err_fd, .events = POLLIN },
                };
                long left = deadline - fixture_now_ms();

                if (needle && strstr(c->out, needle))
                        return true;
                if (left <= 0)
                        return false;
                if (poll(pfd, 2, (int)left) <= 0)
                        continue;
                if (pfd[0].revents)
                        read_some(&c->out_fd, &c->out, &c->out_len);
                if (pfd[1].revents)
                        read_some(&c->err_fd, &c->err, &c->err_len);
        }
        return needle ? strstr(c->out, needle) != NULL : true;
}

/* Waits for the child; its exit status, or -1 if it died from a signal or
 * did not end within timeout_ms (then it is killed). */
static int ctl_wait(struct ctl *c, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;
        int status;
        pid_t r;

        while ((r = waitpid(c->pid, &status, WNOHANG)) == 0 && fixture_now_ms() < deadline)
                usleep(5000);
        if (r == 0) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, &status, 0);
                return -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void ctl_free(struct ctl *c)
{
        if (c->out_fd >= 0)
                close(c->out_fd);
        if (c->err_fd >= 0)
                close(c->err_fd);
        free(c->out);
        free(c->err);
}

/* Runs percussctl to its end: exit status, stdout and stderr in *c. */
static int run_at(struct ctl *c, const char *address, const char *const *args)
{
        int status;

        ctl_spawn(c, address, args);
        ck_assert_msg(ctl_read(c, NULL, RUN_TIMEOUT_MS), "percussctl did not finish writing");
        status = ctl_wait(c, RUN_TIMEOUT_MS);
        if (c->err_len)
                fprintf(stderr, "[percussctl %s] %s", args[0] ? args[0] : "", c->err);
        return status;
}

#define RUN(c, ...) run_at((c), fixture.address, (const char *const[]){ __VA_ARGS__, NULL })

/* Runs it and expects the exit status; returns nothing, frees everything. */
static void expect_status(int expected, const char *const *args)
{
        struct ctl c;
        int status = run_at(&c, fixture.address, args);

        ck_assert_msg(status == expected, "percussctl %s: exit status %d, expected %d (%s)", args[0],
                      status, expected, c.err);
        ctl_free(&c);
}

#define EXPECT_STATUS(expected, ...) \
        expect_status((expected), (const char *const[]){ __VA_ARGS__, NULL })

/* stderr is one line, "percussctl: " and a sentence. */
static void assert_sentence(const struct ctl *c)
{
        ck_assert_msg(strncmp(c->err, "percussctl: ", 12) == 0, "stderr \"%s\" lacks the prefix",
                      c->err);
        ck_assert_msg(c->err_len > 14 && strcmp(c->err + c->err_len - 2, ".\n") == 0 &&
                              strchr(c->err, '\n') == c->err + c->err_len - 1,
                      "stderr \"%s\" is not one sentence on one line", c->err);
}

static json_object *parse_json(const char *text)
{
        json_object *o = json_tokener_parse(text);

        ck_assert_msg(o, "not JSON: %s", text);
        return o;
}

static const char *json_string_of(json_object *o, const char *key)
{
        json_object *value;

        ck_assert_msg(json_object_object_get_ex(o, key, &value), "no \"%s\" in %s", key,
                      json_object_to_json_string(o));
        return json_object_get_string(value);
}

START_TEST(test_status_idle)
{
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "status"), 0);
        ck_assert_msg(strstr(c.out, "State: idle\n"), "status: %s", c.out);
        ck_assert_msg(strstr(c.out, "Gun: simulated\n"), "status: %s", c.out);
        ck_assert_msg(strstr(c.out, "Intensity: 3 of 5\n"), "status: %s", c.out);
        ck_assert_msg(strstr(c.out, "Fault: none\n"), "status: %s", c.out);
        /* idle, nothing pressed and nothing measured */
        ck_assert_msg(strstr(c.out, "Force: 0.0 N\n"), "status: %s", c.out);
        ck_assert_msg(strstr(c.out, "0.0 mm measured\n"), "status: %s", c.out);
        /* the simulated gun's pack starts full */
        ck_assert_msg(strstr(c.out, "Battery: 100 %\n"), "status: %s", c.out);
        /* every shipped routine loads: no ProfileErrors to show */
        ck_assert_msg(!strstr(c.out, "Skipped files"), "status: %s", c.out);
        ck_assert_uint_eq(c.err_len, 0);
        ctl_free(&c);

        /* status is the default command */
        ck_assert_int_eq(run_at(&c, fixture.address, (const char *const[]){ NULL }), 0);
        ck_assert_ptr_nonnull(strstr(c.out, "State: idle\n"));
        ctl_free(&c);
}
END_TEST

START_TEST(test_status_json)
{
        json_object *props, *routines, *simulated, *battery, *charging;
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "--json", "status"), 0);
        props = parse_json(c.out);
        ck_assert_str_eq(json_string_of(props, "State"), "idle");
        ck_assert(json_object_object_get_ex(props, "Simulated", &simulated));
        ck_assert(json_object_get_boolean(simulated));
        ck_assert(json_object_object_get_ex(props, "Routines", &routines));
        ck_assert(json_object_is_type(routines, json_type_array));
        ck_assert_uint_ge(json_object_array_length(routines), 2);
        ck_assert(json_object_object_get_ex(props, "Battery", &battery));
        ck_assert_double_eq(json_object_get_double(battery), 100.0);
        ck_assert(json_object_object_get_ex(props, "Charging", &charging));
        ck_assert(!json_object_get_boolean(charging));
        json_object_put(props);
        ctl_free(&c);
}
END_TEST

START_TEST(test_list)
{
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "list"), 0);
        ck_assert_msg(strstr(c.out, "\ncalves ") && strstr(c.out, "\npost-run "), "list: %s", c.out);
        ck_assert_msg(strstr(c.out, "Calves\n"), "list has no titles: %s", c.out);
        ctl_free(&c);
}
END_TEST

START_TEST(test_list_json)
{
        json_object *routines;
        bool calves = false;
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "list", "--json"), 0);
        routines = parse_json(c.out);
        ck_assert(json_object_is_type(routines, json_type_array));
        for (size_t i = 0; i < json_object_array_length(routines); i++) {
                json_object *r = json_object_array_get_idx(routines, i);

                if (strcmp(json_string_of(r, "id"), "calves") == 0) {
                        ck_assert_str_eq(json_string_of(r, "title"), "Calves");
                        calves = true;
                }
        }
        ck_assert(calves);
        json_object_put(routines);
        ctl_free(&c);

        /* what the shell completion reads */
        ck_assert_int_eq(RUN(&c, "--list-ids"), 0);
        ck_assert_ptr_nonnull(strstr(c.out, "calves\n"));
        ctl_free(&c);
}
END_TEST

START_TEST(test_show_calves)
{
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "show", "calves"), 0);
        ck_assert_msg(strstr(c.out, "Calves (calves): 2 steps"), "show: %s", c.out);
        ck_assert_msg(strstr(c.out, "   1  calves  left   1900 ppm  10.0 mm  1:00"), "show: %s", c.out);
        ck_assert_msg(strstr(c.out, "   2  calves  right  1900 ppm  10.0 mm  1:00"), "show: %s", c.out);
        ck_assert_ptr_null(strstr(c.out, "   3  "));
        ctl_free(&c);

        ck_assert_int_eq(RUN(&c, "show", "no-such-routine"), 1);
        assert_sentence(&c);
        ctl_free(&c);
}
END_TEST

START_TEST(test_start_busy_and_unknown)
{
        json_object *error;
        struct ctl c;
        char *state;

        ck_assert_int_eq(RUN(&c, "start", "calves"), 0);
        ck_assert_uint_eq(c.out_len + c.err_len, 0);
        ctl_free(&c);
        state = fixture_get_string(&fixture, "State");
        ck_assert_str_eq(state, "running");
        free(state);

        ck_assert_int_eq(RUN(&c, "start", "calves"), 1);
        assert_sentence(&c);
        ck_assert_str_eq(c.err, "percussctl: Routine calves is running; stop it first.\n");
        ctl_free(&c);

        ck_assert_int_eq(RUN(&c, "start", "nonexistent"), 1);
        assert_sentence(&c);
        ck_assert_msg(strstr(c.err, "no routine \"nonexistent\""), "stderr: %s", c.err);
        ctl_free(&c);

        /* --json: the error as an object on stderr, nothing on stdout */
        ck_assert_int_eq(RUN(&c, "--json", "start", "nonexistent"), 1);
        ck_assert_uint_eq(c.out_len, 0);
        error = parse_json(c.err);
        ck_assert_str_eq(json_string_of(error, "error"), "io.percussd.Error.NoSuchRoutine");
        ck_assert_ptr_nonnull(strstr(json_string_of(error, "message"), "nonexistent"));
        json_object_put(error);
        ctl_free(&c);
}
END_TEST

START_TEST(test_session_commands)
{
        struct ctl c;

        EXPECT_STATUS(0, "start", "calves");
        EXPECT_STATUS(0, "pause");
        ck_assert(fixture_wait_string(&fixture, "State", "paused", 2000));
        EXPECT_STATUS(0, "resume");
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));
        EXPECT_STATUS(0, "next");
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Step"), 1);

        ck_assert_int_eq(RUN(&c, "status"), 0);
        ck_assert_msg(strstr(c.out, "Step: 2 of 2\n") && strstr(c.out, "Muscle: calves, right\n"),
                      "status: %s", c.out);
        ck_assert_msg(strstr(c.out, "Speed: 1900 ppm target, "), "status: %s", c.out);
        ctl_free(&c);

        EXPECT_STATUS(0, "stop");
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 2000));
        ck_assert_int_eq(RUN(&c, "stop"), 1);
        ck_assert_str_eq(c.err, "percussctl: No session is running.\n");
        ctl_free(&c);
}
END_TEST

START_TEST(test_intensity)
{
        struct ctl c;

        EXPECT_STATUS(0, "intensity", "4");
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 4);

        ck_assert_int_eq(RUN(&c, "intensity", "9"), 1);
        assert_sentence(&c);
        ck_assert_msg(strstr(c.err, "out of range"), "stderr: %s", c.err);
        ctl_free(&c);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 4);

        ck_assert_int_eq(RUN(&c, "intensity"), 0);
        ck_assert_str_eq(c.out, "4 (at most 5 today)\n");
        ctl_free(&c);

        EXPECT_STATUS(2, "intensity", "strong");
        EXPECT_STATUS(2, "intensity", "4", "5");
}
END_TEST

START_TEST(test_history_after_stop)
{
        json_object *sessions;
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "history"), 0);
        ck_assert_str_eq(c.out, "No sessions yet.\n");
        ctl_free(&c);

        EXPECT_STATUS(0, "start", "calves");
        usleep(1200000);
        EXPECT_STATUS(0, "stop");

        ck_assert_int_eq(RUN(&c, "history"), 0);
        ck_assert_msg(strncmp(c.out, "STARTED ", 8) == 0, "history: %s", c.out);
        ck_assert_msg(strstr(c.out, "  calves "), "history: %s", c.out);
        ctl_free(&c);

        ck_assert_int_eq(RUN(&c, "--json", "history", "1"), 0);
        sessions = parse_json(c.out);
        ck_assert_uint_eq(json_object_array_length(sessions), 1);
        ck_assert_str_eq(json_string_of(json_object_array_get_idx(sessions, 0), "routine"), "calves");
        json_object_put(sessions);
        ctl_free(&c);

        EXPECT_STATUS(2, "history", "0");
        EXPECT_STATUS(2, "history", "many");
}
END_TEST

START_TEST(test_race)
{
        struct ctl c;

        EXPECT_STATUS(0, "race", "yesterday", "10:00");
        ck_assert_int_eq(RUN(&c, "status"), 0);
        ck_assert_msg(strstr(c.out, "Last race: 20"), "status: %s", c.out);
        ctl_free(&c);
        EXPECT_STATUS(0, "race", "--clear");
        ck_assert_int_eq(RUN(&c, "status"), 0);
        ck_assert_msg(strstr(c.out, "Last race: none\n"), "status: %s", c.out);
        ctl_free(&c);

        /* a race just now: only gentle routines */
        EXPECT_STATUS(0, "race");
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 1);
        ck_assert_int_eq(RUN(&c, "start", "calves"), 1);
        assert_sentence(&c);
        ck_assert_msg(strstr(c.err, "allowed from"), "stderr: %s", c.err);
        ctl_free(&c);
        EXPECT_STATUS(0, "clear-race");
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 5);

        EXPECT_STATUS(0, "race", "2024-05-01 09:30");
        ck_assert_int_eq(RUN(&c, "race", "2099-01-01"), 1);
        assert_sentence(&c);
        ctl_free(&c);
        EXPECT_STATUS(2, "race", "someday");
        EXPECT_STATUS(2, "race", "--clear", "now");
        EXPECT_STATUS(2, "status", "--clear");
}
END_TEST

static long context_switches(pid_t pid)
{
        char path[64], line[256];
        long voluntary = -1, involuntary = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f)) {
                sscanf(line, "voluntary_ctxt_switches: %ld", &voluntary);
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &involuntary);
        }
        fclose(f);
        ck_assert(voluntary >= 0 && involuntary >= 0);
        return voluntary + involuntary;
}

START_TEST(test_watch_sees_running)
{
        struct ctl watch;
        long switches;

        ctl_spawn(&watch, fixture.address, (const char *const[]){ "watch", NULL });
        /* its first line says it has subscribed and read the state */
        ck_assert_msg(ctl_read(&watch, "idle", 5000), "watch printed no first line: %s / %s",
                      watch.out, watch.err);
        /* nothing changes while idle, and a watch that does not poll sleeps */
        switches = context_switches(watch.pid);
        usleep(3000000);
        switches = context_switches(watch.pid) - switches;
        fprintf(stderr, "watch woke %ld times in 3 s idle\n", switches);
        ck_assert_int_le(switches, 2);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert_msg(ctl_read(&watch, "running calves", 2000),
                      "watch did not show the routine running within 2 s: %s", watch.out);
        ck_assert_msg(ctl_read(&watch, "step 1 started: calves left", 2000),
                      "watch did not show StepStarted: %s", watch.out);
        kill(watch.pid, SIGINT);
        ck_assert_int_eq(ctl_wait(&watch, 3000), 0);
        ctl_free(&watch);
}
END_TEST

START_TEST(test_watch_json)
{
        struct ctl watch;
        json_object *event;
        char *line;

        ctl_spawn(&watch, fixture.address, (const char *const[]){ "--json", "watch", NULL });
        ck_assert(ctl_read(&watch, "\n", 5000));
        line = strndup(watch.out, strcspn(watch.out, "\n"));
        event = parse_json(line);
        ck_assert_str_eq(json_string_of(event, "event"), "status");
        json_object_put(event);
        free(line);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert_msg(ctl_read(&watch, "{\"event\":\"StepStarted\",\"step\":0", 2000),
                      "no StepStarted object: %s", watch.out);
        kill(watch.pid, SIGTERM);
        ck_assert_int_eq(ctl_wait(&watch, 3000), 0);
        ctl_free(&watch);
}
END_TEST

START_TEST(test_watch_ends_with_daemon)
{
        struct ctl watch;

        ctl_spawn(&watch, fixture.address, (const char *const[]){ "watch", NULL });
        ck_assert(ctl_read(&watch, "idle", 5000));
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
        ck_assert_int_eq(ctl_wait(&watch, 3000), 3);
        ctl_read(&watch, NULL, 1000);
        assert_sentence(&watch);
        ck_assert_msg(strstr(watch.err, "percussd left the bus at"), "stderr: %s", watch.err);
        ctl_free(&watch);
}
END_TEST

START_TEST(test_daemon_not_running)
{
        char expected[256];
        struct ctl c;

        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
        snprintf(expected, sizeof(expected),
                 "percussctl: percussd is not running on the bus at %s "
                 "(io.percussd.Massager1 has no owner).\n", fixture.address);
        ck_assert_int_eq(RUN(&c, "status"), 3);
        ck_assert_str_eq(c.err, expected);
        ctl_free(&c);
        ck_assert_int_eq(RUN(&c, "start", "calves"), 3);
        ck_assert_str_eq(c.err, expected);
        ctl_free(&c);
        ck_assert_int_eq(RUN(&c, "watch"), 3);
        ck_assert_str_eq(c.err, expected);
        ctl_free(&c);
}
END_TEST

/* --user (--session-bus) and --system, like busctl's: the bus the
 * environment names, as sd-bus finds it. */
START_TEST(test_bus_options)
{
        static const char *const options[][2] = {
                { "DBUS_SESSION_BUS_ADDRESS", "--user" },
                { "DBUS_SESSION_BUS_ADDRESS", "--session-bus" },
                { "DBUS_SYSTEM_BUS_ADDRESS", "--system" },
                { "DBUS_SYSTEM_BUS_ADDRESS", NULL }, /* the default */
        };
        struct ctl c;

        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
                const char *variable = options[i][0], *option = options[i][1];

                ck_assert_int_eq(setenv(variable, fixture.address, 1), 0);
                if (option)
                        ck_assert_int_eq(run_at(&c, NULL, (const char *const[]){ option, "status", NULL }),
                                         0);
                else
                        ck_assert_int_eq(run_at(&c, NULL, (const char *const[]){ "status", NULL }), 0);
                ck_assert_msg(strstr(c.out, "State: idle\n"), "%s status: %s",
                              option ? option : "(default)", c.out);
                ctl_free(&c);
                ck_assert_int_eq(unsetenv(variable), 0);
        }
}
END_TEST

static void cut_encoder(bool cut)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(fixture.bus, "io.percussd.Massager1", "/io/percussd/Simulator1",
                                   "io.percussd.Simulator1", "CutSensor", &error, NULL, "sb",
                                   "encoder", (int)cut);

        ck_assert_msg(r >= 0, "CutSensor: %s", error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
}

START_TEST(test_clear_fault_and_reload)
{
        json_object *error;
        struct ctl c;

        ck_assert_int_eq(RUN(&c, "clear-fault"), 1);
        assert_sentence(&c);
        ck_assert_str_eq(c.err, "percussctl: There is no fault to clear.\n");
        ctl_free(&c);
        ck_assert_int_eq(RUN(&c, "--json", "clear-fault"), 1);
        error = parse_json(c.err);
        ck_assert_str_eq(json_string_of(error, "error"), "io.percussd.Error.NotRunning");
        json_object_put(error);
        ctl_free(&c);

        EXPECT_STATUS(0, "start", "calves");
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));
        usleep(1000000);
        cut_encoder(true);
        ck_assert(fixture_wait_string(&fixture, "State", "fault", 2000));
        ck_assert_int_eq(RUN(&c, "status"), 0);
        ck_assert_msg(strstr(c.out, "Fault: sensor-lost: "), "status: %s", c.out);
        ctl_free(&c);
        ck_assert_int_eq(RUN(&c, "clear-fault"), 1);
        assert_sentence(&c);
        ck_assert_msg(strstr(c.err, "still"), "stderr: %s", c.err);
        ctl_free(&c);
        ck_assert_int_eq(RUN(&c, "resume"), 1);
        assert_sentence(&c);
        ck_assert_msg(strstr(c.err, "Clear the fault first."), "stderr: %s", c.err);
        ctl_free(&c);

        cut_encoder(false);
        EXPECT_STATUS(0, "clear-fault");
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 1000));

        EXPECT_STATUS(0, "reload");
        EXPECT_STATUS(2, "reload", "calves");
        EXPECT_STATUS(2, "clear-fault", "now");
}
END_TEST

/* The completion script, in bash, for what a person would Tab through. */
START_TEST(test_bash_completion)
{
        char path[128], command[256], line[1024];
        FILE *script, *bash;
        int n = 0;

        if (access(BASH_COMPLETION, R_OK) < 0) {
                fprintf(stderr, "# %s is not installed: completion not tested\n", BASH_COMPLETION);
                return;
        }
        snprintf(path, sizeof(path), "%s/completion-test.sh", fixture.dir);
        script = fopen(path, "we");
        ck_assert_ptr_nonnull(script);
        fprintf(script,
                "source %s; source %s\n"
                "complete_line() {\n"
                "  COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<<\"$1\"\n"
                "  [[ $1 == *' ' ]] && COMP_WORDS+=('')\n"
                "  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()\n"
                "  _percussctl; echo \"${COMPREPLY[*]}\"\n"
                "}\n"
                "complete_line '%s --address=%s start '\n"
                "complete_line '%s st'\n"
                "complete_line '%s --js'\n",
                BASH_COMPLETION, COMPLETION_PATH, PERCUSSCTL_PATH, fixture.address,
                PERCUSSCTL_PATH, PERCUSSCTL_PATH);
        fclose(script);

        snprintf(command, sizeof(command), "bash %s", path);
        bash = popen(command, "re");
        ck_assert_ptr_nonnull(bash);
        while (fgets(line, sizeof(line), bash)) {
                if (n == 0)
                        ck_assert_msg(strstr(line, "calves") && strstr(line, "post-run"),
                                      "start <Tab>: %s", line);
                else if (n == 1)
                        ck_assert_str_eq(line, "status start stop\n");
                else if (n == 2)
                        ck_assert_str_eq(line, "--json\n");
                n++;
        }
        ck_assert_int_eq(pclose(bash), 0);
        ck_assert_int_eq(n, 3);
}
END_TEST

/* The shipped policy on a system-style bus, percussctl run as nobody:
 * reading works, driving the gun is "not permitted" (exit status 4). */
static void setup_policy(void)
{
        daemon_fixture_start_system_policy(&fixture);
}

static int run_as_nobody(struct ctl *c, const char *const *args)
{
        const char *argv[16] = { "--reuid=65534", "--regid=65534", "--clear-groups",
                                 PERCUSSCTL_PATH };
        char address_option[160];
        size_t n = 4;
        int status;

        snprintf(address_option, sizeof(address_option), "--address=%s", fixture.address);
        argv[n++] = address_option;
        for (size_t i = 0; args[i] && n < 15; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        /* setpriv takes the place of percussctl's path in ctl_spawn */
        ctl_spawn_program(c, "/usr/bin/setpriv", argv);
        ck_assert(ctl_read(c, NULL, RUN_TIMEOUT_MS));
        status = ctl_wait(c, RUN_TIMEOUT_MS);
        return status;
}

#define RUN_AS_NOBODY(c, ...) run_as_nobody((c), (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_policy_not_permitted)
{
        struct ctl c;

        if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) < 0) {
                fprintf(stderr, "# not root or no setpriv: the policy is not tested\n");
                return;
        }
        ck_assert_msg(RUN_AS_NOBODY(&c, "status") == 0, "status as nobody: %s", c.err);
        ck_assert_ptr_nonnull(strstr(c.out, "State: idle\n"));
        ctl_free(&c);
        ck_assert_msg(RUN_AS_NOBODY(&c, "list") == 0, "list as nobody: %s", c.err);
        ctl_free(&c);
        ck_assert_msg(RUN_AS_NOBODY(&c, "show", "calves") == 0, "show as nobody: %s", c.err);
        ctl_free(&c);
        ck_assert_msg(RUN_AS_NOBODY(&c, "intensity") == 0, "intensity as nobody: %s", c.err);
        ctl_free(&c);

        ck_assert_int_eq(RUN_AS_NOBODY(&c, "start", "calves"), 4);
        assert_sentence(&c);
        ck_assert_str_eq(c.err, "percussctl: Not permitted to call Start: only root and members of "
                                "the percussd group may drive the gun.\n");
        ctl_free(&c);
        ck_assert_int_eq(RUN_AS_NOBODY(&c, "intensity", "5"), 4);
        assert_sentence(&c);
        ctl_free(&c);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 3);

        /* root may */
        EXPECT_STATUS(0, "start", "calves");
}
END_TEST

static void setup_permissive(void)
{
        daemon_fixture_start_permissive_bus(&fixture);
}

/* On a bus that lets anyone call anything, percussd's own refusal is the
 * message, and the exit status is still "not permitted". */
START_TEST(test_daemon_refusal_not_permitted)
{
        struct ctl c;

        if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) < 0) {
                fprintf(stderr, "# not root or no setpriv: the daemon's check is not tested\n");
                return;
        }
        ck_assert_int_eq(RUN_AS_NOBODY(&c, "start", "calves"), 4);
        ck_assert_str_eq(c.err, "percussctl: Only root and members of the percussd group may start "
                                "a routine; uid 65534 is neither.\n");
        ctl_free(&c);
        ck_assert_int_eq(RUN_AS_NOBODY(&c, "--json", "history"), 4);
        ck_assert_msg(strstr(c.err, "\"io.percussd.Error.AccessDenied\""), "stderr: %s", c.err);
        ctl_free(&c);
        ck_assert_msg(RUN_AS_NOBODY(&c, "status") == 0, "status as nobody: %s", c.err);
        ctl_free(&c);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
}
END_TEST

/* Without a daemon: the command line, and a bus that is not there. */

START_TEST(test_usage_errors)
{
        static const char *const bad[][4] = {
                { "frobnicate" },       { "--bogus" },     { "-x" },
                { "start" },            { "show" },        { "stop", "now" },
                { "status", "extra" },  { "--address" },   { "intensity", "-1" },
        };
        json_object *error;
        struct ctl c;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ck_assert_msg(run_at(&c, NULL, bad[i]) == 2, "percussctl %s: not a usage error",
                              bad[i][0]);
                assert_sentence(&c);
                ck_assert_msg(strstr(c.err, "--help"), "stderr: %s", c.err);
                ck_assert_uint_eq(c.out_len, 0);
                ctl_free(&c);
        }

        ck_assert_int_eq(run_at(&c, NULL, (const char *const[]){ "--json", "frobnicate", NULL }), 2);
        error = parse_json(c.err);
        ck_assert_str_eq(json_string_of(error, "error"), "usage");
        json_object_put(error);
        ctl_free(&c);
}
END_TEST

START_TEST(test_help_and_version)
{
        struct ctl c;

        ck_assert_int_eq(run_at(&c, NULL, (const char *const[]){ "--help", NULL }), 0);
        ck_assert_ptr_nonnull(strstr(c.out, "Usage: percussctl"));
        ck_assert_ptr_nonnull(strstr(c.out, "Exit status:"));
        ck_assert_uint_eq(c.err_len, 0);
        ctl_free(&c);
        ck_assert_int_eq(run_at(&c, NULL, (const char *const[]){ "--version", NULL }), 0);
        ck_assert_ptr_nonnull(strstr(c.out, "percussctl "));
        ctl_free(&c);
}
END_TEST

START_TEST(test_dead_bus)
{
        char dir[] = "/tmp/percussctl-test-XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char address[160], expected[256];
        struct ctl c;
        int fd;

        /* a socket nobody listens on any more */
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", dir);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(fd);

        snprintf(address, sizeof(address), "unix:path=%s", sa.sun_path);
        ck_assert_int_eq(run_at(&c, address, (const char *const[]){ "status", NULL }), 3);
        snprintf(expected, sizeof(expected),
                 "percussctl: Cannot connect to the bus at %s: Connection refused.\n", address);
        ck_assert_str_eq(c.err, expected);
        ctl_free(&c);

        unlink(sa.sun_path);
        ck_assert_int_eq(run_at(&c, address, (const char *const[]){ "start", "calves", NULL }), 3);
        assert_sentence(&c);
        ctl_free(&c);
        rmdir(dir);

        /* a usage error is found before the bus is asked */
        ck_assert_int_eq(run_at(&c, address, (const char *const[]){ "intensity", "x", NULL }), 2);
        ctl_free(&c);
}
END_TEST

static Suite *percussctl_suite(void)
{
        Suite *s = suite_create("percussctl");
        TCase *daemon = tcase_create("daemon");
        TCase *policy = tcase_create("policy");
        TCase *permissive = tcase_create("permissive-bus");
        TCase *alone = tcase_create("alone");

        tcase_add_checked_fixture(daemon, setup, teardown);
        tcase_set_timeout(daemon, 60);
        tcase_add_test(daemon, test_status_idle);
        tcase_add_test(daemon, test_status_json);
        tcase_add_test(daemon, test_list);
        tcase_add_test(daemon, test_list_json);
        tcase_add_test(daemon, test_show_calves);
        tcase_add_test(daemon, test_start_busy_and_unknown);
        tcase_add_test(daemon, test_session_commands);
        tcase_add_test(daemon, test_intensity);
        tcase_add_test(daemon, test_history_after_stop);
        tcase_add_test(daemon, test_race);
        tcase_add_test(daemon, test_watch_sees_running);
        tcase_add_test(daemon, test_watch_json);
        tcase_add_test(daemon, test_watch_ends_with_daemon);
        tcase_add_test(daemon, test_daemon_not_running);
        tcase_add_test(daemon, test_bash_completion);
        tcase_add_test(daemon, test_bus_options);
        tcase_add_test(daemon, test_clear_fault_and_reload);
        suite_add_tcase(s, daemon);

        tcase_add_checked_fixture(policy, setup_policy, teardown);
        tcase_set_timeout(policy, 60);
        tcase_add_test(policy, test_policy_not_permitted);
        suite_add_tcase(s, policy);

        tcase_add_checked_fixture(permissive, setup_permissive, teardown);
        tcase_set_timeout(permissive, 60);
        tcase_add_test(permissive, test_daemon_refusal_not_permitted);
        suite_add_tcase(s, permissive);

        tcase_set_timeout(alone, 60);
        tcase_add_test(alone, test_usage_errors);
        tcase_add_test(alone, test_help_and_version);
        tcase_add_test(alone, test_dead_bus);
        suite_add_tcase(s, alone);
        return s;
}

int main(void)
{
        return run_suite(percussctl_suite());
}
