/* SPDX-License-Identifier: MIT */
/*
 * Integration: the real percussd --simulate on a private dbus-daemon,
 * driven over D-Bus as the companion app and busctl would.
 */
#include <check.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "tests/fixtures/daemon-fixture.h"
#include "tests/fixtures/check-main.h"

static struct daemon_fixture fixture;

static void setup(void)
{
        daemon_fixture_start(&fixture, NULL);
}

static void teardown(void)
{
        daemon_fixture_stop(&fixture);
}

static char *read_file(const char *path)
{
        FILE *file = fopen(path, "re");
        char *text = NULL;
        size_t size = 0;

        ck_assert_msg(file, "cannot open %s", path);
        ck_assert_int_ge(getdelim(&text, &size, '\0', file), 0);
        fclose(file);
        return text;
}

/* The <interface name="io.percussd.Massager1"> element, each line
 * stripped of its indentation, so that only the content is compared. */
static char *interface_element(const char *xml)
{
        const char *begin = strstr(xml, "<interface name=\"io.percussd.Massager1\">");
        const char *end;
        char *out, *o;
        bool line_start = true;

        ck_assert_ptr_nonnull(begin);
        end = strstr(begin, "</interface>");
        ck_assert_ptr_nonnull(end);
        end += strlen("</interface>");
        out = o = calloc(1, (size_t)(end - begin) + 1);
        for (const char *p = begin; p < end; p++) {
                if (line_start && (*p == ' ' || *p == '\t'))
                        continue;
                line_start = *p == '\n';
                *o++ = *p;
        }
        return out;
}

START_TEST(test_introspection_matches_shipped_xml)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *live;
        char *shipped = read_file(INTROSPECTION_XML);
        char *live_interface, *shipped_interface;

        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Massager1",
                                            "org.freedesktop.DBus.Introspectable", "Introspect",
                                            &error, &reply, NULL),
                         0);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &live), 0);
        live_interface = interface_element(live);
        shipped_interface = interface_element(shipped);
        if (strcmp(live_interface, shipped_interface) != 0)
                fprintf(stderr, "--- daemon ---\n%s\n--- shipped ---\n%s\n", live_interface,
                        shipped_interface);
        ck_assert_msg(strcmp(live_interface, shipped_interface) == 0,
                      "daemon/bus/io.percussd.Massager1.xml differs from what the daemon answers "
                      "(both printed on stderr)");
        free(live_interface);
        free(shipped_interface);
        free(shipped);
        sd_bus_message_unref(reply);
}
END_TEST

struct state_log {
        char states[16][16];
        unsigned count;
};

/* Calls on_property with each property a Massager1 PropertiesChanged
 * carries, m at its value; on_property reads the value and returns true,
 * or returns false to have it skipped. */
static void walk_changed(sd_bus_message *m,
                         bool (*on_property)(const char *name, sd_bus_message *m, void *userdata),
                         void *userdata)
{
        const char *interface, *name;
        int r = sd_bus_message_read(m, "s", &interface);

        if (r < 0 || strcmp(interface, "io.percussd.Massager1") != 0)
                return;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && !on_property(name, m, userdata))
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        /* invalidated properties carry no value; this daemon sends none */
}

static bool log_state(const char *name, sd_bus_message *m, void *userdata)
{
        struct state_log *log = userdata;
        const char *value;

        if (strcmp(name, "State") != 0)
                return false;
        if (sd_bus_message_read(m, "v", "s", &value) >= 0 && log->count < 16)
                snprintf(log->states[log->count++], 16, "%s", value);
        return true;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        walk_changed(m, log_state, userdata);
        return 0;
}

/* Processes the test's connection until the State log holds `state`. */
static bool wait_state_signal(struct state_log *log, const char *state, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;

        for (;;) {
                for (unsigned i = 0; i < log->count; i++)
                        if (strcmp(log->states[i], state) == 0)
                                return true;
                if (fixture_now_ms() > deadline)
                        return false;
                if (sd_bus_process(fixture.bus, NULL) > 0)
                        continue;
                sd_bus_wait(fixture.bus, 50000);
        }
}

static void assert_error(const char *method, const char *arg, const char *expected_name)
{
        char *name = NULL, *message = NULL;
        int r = fixture_call(&fixture, method, arg, &name, &message);

        ck_assert_msg(r < 0, "%s(%s) succeeded, expected %s", method, arg ? arg : "",
                      expected_name);
        ck_assert_str_eq(name, expected_name);
        ck_assert_msg(message && strlen(message) > 10 && message[strlen(message) - 1] == '.',
                      "%s: \"%s\" is not a sentence", expected_name, message ? message : "");
        free(name);
        free(message);
}

START_TEST(test_start_plays_routine_then_stops)
{
        struct state_log log = {0};
        sd_bus_slot *slot = NULL;
        double target_ppm, speed_ppm = 0.0, target_mm, amplitude_mm = 0.0, force_n;
        long deadline;
        char *s;

        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, "io.percussd.Massager1",
                                             "/io/percussd/Massager1",
                                             "org.freedesktop.DBus.Properties",
                                             "PropertiesChanged", on_properties_changed, &log),
                         0);
        s = fixture_get_string(&fixture, "State");
        ck_assert_str_eq(s, "idle");
        free(s);
        ck_assert(fixture_get_bool(&fixture, "Simulated"));
        /* the simulated gun's pack starts full, off the charger */
        ck_assert_double_eq(fixture_get_double(&fixture, "Battery"), 100.0);
        ck_assert(!fixture_get_bool(&fixture, "Charging"));

        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert_msg(wait_state_signal(&log, "running", 2000), "no PropertiesChanged State=running");
        s = fixture_get_string(&fixture, "Routine");
        ck_assert_str_eq(s, "calves");
        free(s);
        s = fixture_get_string(&fixture, "MuscleGroup");
        ck_assert_str_eq(s, "calves");
        free(s);
        s = fixture_get_string(&fixture, "Side");
        ck_assert_str_eq(s, "left");
        free(s);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Step"), 0);
        ck_assert_uint_ge(fixture_get_u32(&fixture, "StepCount"), 2);

        /* the step's ramp is a few seconds; the loop then holds ±2 % */
        target_ppm = fixture_get_double(&fixture, "TargetSpeed");
        ck_assert(target_ppm >= 1200 && target_ppm <= 3200);
        deadline = fixture_now_ms() + 15000;
        while (fixture_now_ms() < deadline) {
                speed_ppm = fixture_get_double(&fixture, "Speed");
                if (fabs(speed_ppm - target_ppm) <= 0.02 * target_ppm)
                        break;
                usleep(100000);
        }
        ck_assert_msg(fabs(speed_ppm - target_ppm) <= 0.02 * target_ppm,
                      "Speed %.0f ppm never came within 2 %% of TargetSpeed %.0f ppm", speed_ppm,
                      target_ppm);
        ck_assert(fixture_get_double(&fixture, "Elapsed") > 0.0);

        /* the stroke measured, in the air: no force */
        target_mm = fixture_get_double(&fixture, "TargetAmplitude");
        deadline = fixture_now_ms() + 5000;
        while (fixture_now_ms() < deadline) {
                amplitude_mm = fixture_get_double(&fixture, "Amplitude");
                if (fabs(amplitude_mm - target_mm) <= 0.3)
                        break;
                usleep(100000);
        }
        ck_assert_msg(fabs(amplitude_mm - target_mm) <= 0.3,
                      "Amplitude %.2f mm never came within 0.3 mm of TargetAmplitude %.2f mm",
                      amplitude_mm, target_mm);
        /* a late period on this shared VM can kick one revolution's
         * estimate; in the air it settles back within ±3 N */
        deadline = fixture_now_ms() + 2000;
        do
                force_n = fixture_get_double(&fixture, "Force");
        while (fabs(force_n) > 3.0 && fixture_now_ms() < deadline && usleep(100000) == 0);
        ck_assert_msg(fabs(force_n) <= 3.0, "Force %.2f N in the air", force_n);

        assert_error("Start", "calves", "io.percussd.Error.Busy");
        assert_error("Start", "no-such-routine", "io.percussd.Error.NoSuchRoutine");

        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert_msg(wait_state_signal(&log, "idle", 2000), "no PropertiesChanged State=idle");
        ck_assert(fixture_get_double(&fixture, "TargetSpeed") == 0.0);
        assert_error("Stop", NULL, "io.percussd.Error.NotRunning");

        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
        sd_bus_slot_unref(slot);
}
END_TEST

START_TEST(test_sigterm_while_running_exits_cleanly)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));
        usleep(500000);
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
}
END_TEST

START_TEST(test_unknown_routine_and_huge_name)
{
        char *huge = malloc(65536 + 1);

        memset(huge, 'x', 65536);
        huge[65536] = '\0';
        assert_error("Start", "", "io.percussd.Error.NoSuchRoutine");
        assert_error("Start", huge, "io.percussd.Error.NoSuchRoutine");
        free(huge);
        /* a control character is echoed as C writes it, never raw */
        {
                char *name = NULL, *message = NULL;

                ck_assert_int_lt(fixture_call(&fixture, "Start", "calves\nStarted.\x1b[2J", &name,
                                              &message), 0);
                ck_assert_str_eq(message, "There is no routine \"calves\\nStarted.\\x1b[2J\"; the "
                                          "Routines property lists them.");
                free(name);
                free(message);
        }
        assert_error("Pause", NULL, "io.percussd.Error.NotRunning");
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
}
END_TEST

/* Every busctl line of README.md, in order, against this daemon instead
 * of the demo's (all but `monitor`, which does not end by itself). */
START_TEST(test_readme_busctl_lines)
{
        static const char demo_address[] = "busctl --address=unix:path=/tmp/percussd-demo/bus ";
        FILE *readme = fopen(README_PATH, "re");
        char line[1024], command[1200];
        unsigned ran = 0;

        ck_assert_ptr_nonnull(readme);
        while (fgets(line, sizeof(line), readme)) {
                if (strncmp(line, demo_address, strlen(demo_address)) != 0 || strstr(line, " monitor"))
                        continue;
                line[strcspn(line, "\n")] = '\0';
                snprintf(command, sizeof(command), "busctl --address=%s %s >/dev/null",
                         fixture.address, line + strlen(demo_address));
                ck_assert_msg(system(command) == 0, "README line failed: %s", line);
                ran++;
                /* a person's pace: a button held for less than the debounce
                 * time would be contact bounce */
                usleep(100000);
        }
        fclose(readme);
        ck_assert_uint_ge(ran, 8);
        /* what they did: a session started and stopped at intensity 4, then plus */
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
        ck_assert(fixture_wait_string(&fixture, "Routine", "calves", 100));
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 5);
}
END_TEST

static int set_intensity(uint32_t value, char **error_name)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_set_property(fixture.bus, "io.percussd.Massager1", "/io/percussd/Massager1",
                                    "io.percussd.Massager1", "Intensity", &error, "u", value);

        *error_name = r < 0 && error.name ? strdup(error.name) : NULL;
        sd_bus_error_free(&error);
        return r;
}

START_TEST(test_intensity_property)
{
        char *name = NULL;

        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 3);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 5);
        ck_assert_int_ge(set_intensity(5, &name), 0);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 5);
        ck_assert_int_lt(set_intensity(0, &name), 0);
        ck_assert_str_eq(name, "org.freedesktop.DBus.Error.InvalidArgs");
        free(name);
        ck_assert_int_lt(set_intensity(6, &name), 0);
        ck_assert_str_eq(name, "org.freedesktop.DBus.Error.InvalidArgs");
        free(name);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 5);
}
END_TEST

START_TEST(test_history_records_sessions)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *routine;
        uint64_t start_usec;
        double seconds;
        uint32_t steps;

        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        usleep(1200000);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);

        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Massager1", "io.percussd.Massager1",
                                            "GetHistory", &error, &reply, "u", 10),
                         0);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'a', "(tsdu)"), 0);
        ck_assert_int_gt(sd_bus_message_read(reply, "(tsdu)", &start_usec, &routine, &seconds, &steps), 0);
        ck_assert_str_eq(routine, "calves");
        ck_assert(seconds > 1.0 && seconds < 5.0);
        ck_assert_uint_eq(steps, 0);
        ck_assert_uint_gt(start_usec, 1700000000ull * 1000000);
        ck_assert_int_eq(sd_bus_message_read(reply, "(tsdu)", &start_usec, &routine, &seconds, &steps), 0);
        sd_bus_message_unref(reply);

        /* it survives a restart */
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
}
END_TEST

/* A loaded machine can hold the whole daemon off the CPU for longer than
 * the board's enable lease: the motor coasts meanwhile, and the loop
 * drives it again when it runs, with no fault and the routine going on. */
START_TEST(test_scheduling_stalls_are_not_faults)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));
        usleep(1500000);
        for (int i = 0; i < 5; i++) {
                ck_assert_int_eq(kill(fixture.percussd_pid, SIGSTOP), 0);
                usleep(200000);
                ck_assert_int_eq(kill(fixture.percussd_pid, SIGCONT), 0);
                usleep(400000);
        }
        ck_assert(fixture_wait_string(&fixture, "State", "running", 0));
        ck_assert_double_gt(fixture_get_double(&fixture, "Speed"), 1000.0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_recovery_guard)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *name = NULL, *message = NULL;

        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Massager1", "io.percussd.Massager1",
                                            "RecordRace", &error, NULL, "t", (uint64_t)0),
                         0);
        ck_assert(fixture_get_u32(&fixture, "MaxIntensity") == 1);
        ck_assert_int_lt(fixture_call(&fixture, "Start", "calves", &name, &message), 0);
        ck_assert_str_eq(name, "io.percussd.Error.Resting");
        ck_assert_msg(strstr(message, "allowed from"), "message \"%s\" says not from when", message);
        free(name);
        free(message);
        ck_assert_int_lt(set_intensity(3, &name), 0);
        ck_assert_str_eq(name, "org.freedesktop.DBus.Error.InvalidArgs");
        free(name);

        /* the gentle routine is allowed */
        ck_assert_int_eq(fixture_call(&fixture, "Start", "race-recovery", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);

        ck_assert_int_eq(fixture_call(&fixture, "ClearRace", NULL, NULL, NULL), 0);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "MaxIntensity"), 5);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Reload", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "Routine", "calves", 100));
        ck_assert(fixture_wait_string(&fixture, "State", "running", 100));
}
END_TEST

static void click(const char *button, useconds_t held_us)
{
        fixture_button(&fixture, button, true);
        usleep(held_us);
        fixture_button(&fixture, button, false);
}

START_TEST(test_buttons_drive_the_engine)
{
        /* idle: a press starts the post-run routine (after the double-press window) */
        click("main", 100000);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));
        ck_assert(fixture_wait_string(&fixture, "Routine", "post-run", 100));
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Step"), 0);

        /* a double press skips to the next step */
        click("main", 80000);
        usleep(100000);
        click("main", 80000);
        usleep(200000);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Step"), 1);

        /* plus raises the intensity at once */
        click("plus", 50000);
        usleep(100000);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 4);

        /* a press pauses, another resumes */
        click("main", 100000);
        ck_assert(fixture_wait_string(&fixture, "State", "paused", 2000));
        click("main", 100000);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 2000));

        /* a long press stops */
        click("main", 1000000);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 2000));
}
END_TEST

static void setup_policy(void)
{
        daemon_fixture_start_system_policy(&fixture);
}

/* Runs busctl with setpriv's credentials; returns its exit status, its
 * stderr in err. */
static int busctl_as(const char *credentials, const char *args, char *err, size_t size)
{
        char command[600];
        FILE *out;
        size_t n;

        snprintf(command, sizeof(command), "setpriv %s busctl --address=%s %s 2>&1 >/dev/null",
                 credentials, fixture.address, args);
        out = popen(command, "r");
        ck_assert_ptr_nonnull(out);
        n = fread(err, 1, size - 1, out);
        err[n] = '\0';
        return pclose(out);
}

static int busctl_as_nobody(const char *args, char *err, size_t size)
{
        return busctl_as("--reuid=65534 --regid=65534 --clear-groups", args, err, size);
}

/* A member of the percussd group (not root) starts calves; the
 * credentials it used are left in credentials for further calls. */
static void start_as_group_member(const char *object, char *credentials, size_t size)
{
        char args[256], err[512];

        snprintf(credentials, size, "--reuid=65534 --regid=65534 --groups=%u",
                 (unsigned)fixture.percussd_gid);
        snprintf(args, sizeof(args), "call %s Start s calves", object);
        ck_assert_msg(busctl_as(credentials, args, err, sizeof(err)) == 0,
                      "Start by a member of percussd: %s", err);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 1000));
}

/* Someone in the percussd group may move the motor; the percussd user may
 * own the name. */
static void check_percussd_group_and_user(const char *object)
{
        char credentials[128], args[256], err[512];

        if (!fixture.percussd_gid) {
                fprintf(stderr, "# this machine has no percussd user and group, and the test "
                                "cannot make them (not root, or no mount namespace): their "
                                "rules are not tested\n");
                return;
        }
        start_as_group_member(object, credentials, sizeof(credentials));
        snprintf(args, sizeof(args), "set-property %s Intensity u 4", object);
        ck_assert_msg(busctl_as(credentials, args, err, sizeof(err)) == 0,
                      "Intensity by a member of percussd: %s", err);
        snprintf(args, sizeof(args), "call %s Stop", object);
        ck_assert_msg(busctl_as(credentials, args, err, sizeof(err)) == 0,
                      "Stop by a member of percussd: %s", err);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 1000));
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 4);

        /* taken already, so only queued: but not refused */
        snprintf(credentials, sizeof(credentials), "--reuid=%u --regid=%u --clear-groups",
                 (unsigned)fixture.percussd_uid, (unsigned)fixture.percussd_gid);
        snprintf(args, sizeof(args), "call org.freedesktop.DBus /org/freedesktop/DBus "
                                     "org.freedesktop.DBus RequestName su io.percussd.Massager1 4");
        ck_assert_msg(busctl_as(credentials, args, err, sizeof(err)) == 0,
                      "RequestName by the percussd user: %s", err);
}

static int note_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        if (sd_bus_message_is_signal(m, "io.percussd.Massager1", "StepStarted"))
                *(bool *)userdata = true;
        return 0;
}

/* In a child that became nobody: subscribes to percussd's signals, says
 * so on ready_fd, and exits 0 once a StepStarted arrives (1 if none does
 * within 5 s, 2 if it cannot even subscribe). */
static _Noreturn void receive_as_nobody(int ready_fd)
{
        sd_bus *bus = NULL;
        bool received = false;
        long deadline;

        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0)
                _exit(2);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, fixture.address) < 0 ||
            sd_bus_set_bus_client(bus, true) < 0 || sd_bus_start(bus) < 0 ||
            sd_bus_add_match(bus, NULL, "type='signal',sender='io.percussd.Massager1'", note_signal,
                             &received) < 0)
                _exit(2);
        if (write(ready_fd, "r", 1) != 1)
                _exit(2);
        deadline = fixture_now_ms() + 5000;
        while (!received && fixture_now_ms() < deadline)
                if (sd_bus_process(bus, NULL) == 0)
                        sd_bus_wait(bus, 50000);
        _exit(received ? 0 : 1);
}

/* The shipped policy on a system-style bus: anyone reads, only root (and
 * the percussd group) moves the motor. */
START_TEST(test_policy_others_read_but_may_not_start)
{
        static const char object[] = "io.percussd.Massager1 /io/percussd/Massager1 io.percussd.Massager1";
        char args[256], err[512], byte;
        int ready[2], status;
        pid_t listener;

        snprintf(args, sizeof(args), "get-property %s State", object);
        ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) == 0, "reading refused: %s", err);
        snprintf(args, sizeof(args), "call %s GetRoutine s calves", object);
        ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) == 0, "GetRoutine refused: %s", err);
        snprintf(args, sizeof(args), "introspect io.percussd.Massager1 /io/percussd/Massager1");
        ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) == 0, "Introspect refused: %s", err);

        snprintf(args, sizeof(args), "call %s Start s calves", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        ck_assert_msg(strstr(err, "ccess denied") || strstr(err, "AccessDenied"),
                      "Start as nobody: %s", err);
        snprintf(args, sizeof(args), "set-property %s Intensity u 5", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        snprintf(args, sizeof(args), "call %s RecordRace t 0", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        snprintf(args, sizeof(args), "call %s Stop", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        snprintf(args, sizeof(args), "call %s Reload", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        /* the history is the owner's: not for everyone (percussctl --help) */
        snprintf(args, sizeof(args), "call %s GetHistory u 10", object);
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        /* nor may anyone else take the daemon's name */
        snprintf(args, sizeof(args), "call org.freedesktop.DBus /org/freedesktop/DBus "
                                     "org.freedesktop.DBus RequestName su io.percussd.Massager1 0");
        ck_assert_int_ne(busctl_as_nobody(args, err, sizeof(err)), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 3);

        check_percussd_group_and_user(object);

        /* root may; and the outsider receives the signals */
        ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
        listener = fork();
        ck_assert_int_ge(listener, 0);
        if (listener == 0)
                receive_as_nobody(ready[1]);
        close(ready[1]);
        ck_assert_msg(read(ready[0], &byte, 1) == 1, "nobody could not subscribe to the signals");
        close(ready[0]);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 1000));
        ck_assert_int_eq(waitpid(listener, &status, 0), listener);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "nobody did not receive StepStarted (status %d)", status);
}
END_TEST

/* Everything percussd signals, in the order it arrives: the names of the
 * properties in each PropertiesChanged, and the other signals' members. */
struct signal_log {
        char names[512][24];
        unsigned count;
};

static bool log_name(const char *name, sd_bus_message *m, void *userdata)
{
        struct signal_log *log = userdata;

        (void)m;
        if (log->count < 512)
                snprintf(log->names[log->count++], 24, "%s", name);
        return false;
}

static int log_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged"))
                walk_changed(m, log_name, userdata);
        else
                log_name(sd_bus_message_get_member(m), m, userdata);
        return 0;
}

/* Where name first is in the log, or -1. */
static int log_index(const struct signal_log *log, const char *name)
{
        for (unsigned i = 0; i < log->count; i++)
                if (strcmp(log->names[i], name) == 0)
                        return (int)i;
        return -1;
}

/* Dispatches what the test's connection has received by now, without
 * waiting for more: what came before a method's reply is there. */
static void dispatch_received(void)
{
        while (sd_bus_process(fixture.bus, NULL) > 0)
                ;
}

static void assert_logged(const struct signal_log *log, const char *after, const char *const *names)
{
        for (size_t i = 0; names[i]; i++)
                ck_assert_msg(log_index(log, names[i]) >= 0,
                              "no PropertiesChanged for %s by the time %s answered", names[i],
                              after);
}

static void call_and_log(struct signal_log *log, const char *method, const char *arg,
                         const char *const *names)
{
        log->count = 0;
        ck_assert_int_eq(fixture_call(&fixture, method, arg, NULL, NULL), 0);
        dispatch_received();
        assert_logged(log, method, names);
}

/* The arguments of the last StepStarted, Finished and FaultRaised. */
struct signal_args {
        unsigned step;
        char muscle[32], side[16];
        char routine[32];
        double seconds;
        int completed;
        char code[32], message[256];
};

static int read_signal_args(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct signal_args *a = userdata;
        const char *s1, *s2;
        uint32_t u;

        (void)error;
        if (sd_bus_message_is_signal(m, "io.percussd.Massager1", "StepStarted") &&
            sd_bus_message_read(m, "uss", &u, &s1, &s2) >= 0) {
                a->step = u;
                snprintf(a->muscle, sizeof(a->muscle), "%s", s1);
                snprintf(a->side, sizeof(a->side), "%s", s2);
        } else if (sd_bus_message_is_signal(m, "io.percussd.Massager1", "Finished") &&
                   sd_bus_message_read(m, "sdb", &s1, &a->seconds, &a->completed) >= 0)
                snprintf(a->routine, sizeof(a->routine), "%s", s1);
        else if (sd_bus_message_is_signal(m, "io.percussd.Massager1", "FaultRaised") &&
                 sd_bus_message_read(m, "ss", &s1, &s2) >= 0) {
                snprintf(a->code, sizeof(a->code), "%s", s1);
                snprintf(a->message, sizeof(a->message), "%s", s2);
        }
        return 0;
}

/* State-like properties change at once: their PropertiesChanged reaches a
 * client before the reply to the call that changed them (a bus keeps one
 * sender's order), not at the next telemetry tick. A fault has no call:
 * its PropertiesChanged comes before FaultRaised. */
START_TEST(test_state_changes_signalled_at_once)
{
        static struct signal_log log;
        struct signal_args args = {0};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_slot *slot = NULL, *args_slot = NULL;
        long deadline;

        ck_assert_int_ge(sd_bus_add_match(fixture.bus, &slot,
                                          "type='signal',sender='io.percussd.Massager1'",
                                          log_signal, &log),
                         0);
        ck_assert_int_ge(sd_bus_add_match(fixture.bus, &args_slot,
                                          "type='signal',sender='io.percussd.Massager1',"
                                          "interface='io.percussd.Massager1'",
                                          read_signal_args, &args),
                         0);
        call_and_log(&log, "Start", "calves",
                     (const char *const[]){ "State", "Routine", "StepCount", "Step", "MuscleGroup",
                                            "Side", "TargetSpeed", NULL });
        ck_assert_int_ge(log_index(&log, "StepStarted"), 0);
        ck_assert_uint_eq(args.step, 0);
        ck_assert_str_eq(args.muscle, "calves");
        ck_assert_str_eq(args.side, "left");

        log.count = 0;
        ck_assert_int_ge(sd_bus_set_property(fixture.bus, "io.percussd.Massager1",
                                             "/io/percussd/Massager1", "io.percussd.Massager1",
                                             "Intensity", &error, "u", 4),
                         0);
        dispatch_received();
        assert_logged(&log, "Set Intensity", (const char *const[]){ "Intensity", "TargetSpeed", NULL });

        call_and_log(&log, "Next", NULL, (const char *const[]){ "Step", "MuscleGroup", "Side", NULL });
        ck_assert_int_ge(log_index(&log, "StepStarted"), 0);
        ck_assert_uint_eq(args.step, 1);
        ck_assert_str_eq(args.side, "right");
        call_and_log(&log, "Pause", NULL, (const char *const[]){ "State", NULL });
        call_and_log(&log, "Resume", NULL, (const char *const[]){ "State", NULL });
        usleep(1000000); /* a second of percussion, for Finished to count */

        log.count = 0;
        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Simulator1", "io.percussd.Simulator1",
                                            "CutSensor", &error, NULL, "sb", "encoder", 1),
                         0);
        deadline = fixture_now_ms() + 2000;
        while ((log_index(&log, "FaultRaised") < 0 || log_index(&log, "Finished") < 0) &&
               fixture_now_ms() < deadline)
                if (sd_bus_process(fixture.bus, NULL) == 0)
                        sd_bus_wait(fixture.bus, 20000);
        ck_assert_msg(log_index(&log, "FaultRaised") >= 0, "no FaultRaised after CutSensor");
        ck_assert_int_ge(log_index(&log, "Fault"), 0);
        ck_assert_int_lt(log_index(&log, "Fault"), log_index(&log, "FaultRaised"));
        ck_assert_int_lt(log_index(&log, "State"), log_index(&log, "FaultRaised"));
        /* the session ends with the fault */
        ck_assert_int_gt(log_index(&log, "Finished"), log_index(&log, "FaultRaised"));
        ck_assert_str_eq(args.code, "sensor-lost");
        ck_assert_msg(strlen(args.message) > 20 && args.message[strlen(args.message) - 1] == '.',
                      "FaultRaised message \"%s\"", args.message);
        ck_assert_str_eq(args.routine, "calves");
        ck_assert_msg(args.seconds > 0.5 && !args.completed, "Finished calves %.1f s, completed %d",
                      args.seconds, args.completed);
        args.routine[0] = '\0';

        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Simulator1", "io.percussd.Simulator1",
                                            "CutSensor", &error, NULL, "sb", "encoder", 0),
                         0);
        call_and_log(&log, "ClearFault", NULL, (const char *const[]){ "Fault", "State", NULL });

        call_and_log(&log, "Start", "calves", (const char *const[]){ "State", NULL });
        call_and_log(&log, "Stop", NULL, (const char *const[]){ "State", "Step", NULL });
        ck_assert_int_ge(log_index(&log, "Finished"), 0);
        ck_assert_str_eq(args.routine, "calves");
        ck_assert(!args.completed);
        sd_bus_slot_unref(slot);
        sd_bus_slot_unref(args_slot);
}
END_TEST

static void setup_permissive(void)
{
        daemon_fixture_start_permissive_bus(&fixture);
}

/* Where the bus's policy lets anyone call anything, percussd itself
 * refuses outsiders with io.percussd.Error.AccessDenied and a sentence. */
START_TEST(test_daemon_refuses_outsiders_where_the_policy_does_not)
{
        static const char object[] = "io.percussd.Massager1 /io/percussd/Massager1 io.percussd.Massager1";
        static const char *const refused[][2] = {
                { "call", "Start s calves" }, { "call", "Stop" },          { "call", "Pause" },
                { "call", "Resume" },         { "call", "Next" },          { "call", "ClearFault" },
                { "call", "Reload" },         { "call", "RecordRace t 0" }, { "call", "ClearRace" },
                { "call", "GetHistory u 1" }, { "set-property", "Intensity u 4" },
        };
        char args[256], err[512], credentials[128];

        for (int round = 0; round < 2; round++) {
                const char *state = round == 0 ? "idle" : "running";

                for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                        snprintf(args, sizeof(args), "%s %s %s", refused[i][0], object,
                                 refused[i][1]);
                        ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) != 0,
                                      "busctl %s as nobody in %s succeeded", args, state);
                        ck_assert_msg(strstr(err, "Only root and members of the percussd group may ") &&
                                              strstr(err, "uid 65534 is neither."),
                                      "busctl %s as nobody in %s: %s", args, state, err);
                }
                /* the simulated buttons start the motor as real ones would */
                ck_assert_int_ne(busctl_as_nobody("call io.percussd.Massager1 /io/percussd/Simulator1 "
                                                  "io.percussd.Simulator1 PressButton s main",
                                                  err, sizeof(err)),
                                 0);
                ck_assert_msg(strstr(err, "may act on the simulated gun"), "PressButton: %s", err);
                ck_assert(fixture_wait_string(&fixture, "State", state, 100));
                ck_assert_uint_eq(fixture_get_u32(&fixture, "Intensity"), 3);

                snprintf(args, sizeof(args), "get-property %s State", object);
                ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) == 0, "reading refused: %s", err);
                snprintf(args, sizeof(args), "call %s GetRoutine s calves", object);
                ck_assert_msg(busctl_as_nobody(args, err, sizeof(err)) == 0, "GetRoutine refused: %s",
                              err);
                if (round == 0)
                        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        }
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);

        if (!fixture.percussd_gid) {
                fprintf(stderr, "# this machine has no percussd group, and the test cannot make "
                                "one (not root, or no mount namespace): percussd's own check "
                                "of the group is not tested\n");
                return;
        }
        start_as_group_member(object, credentials, sizeof(credentials));
}
END_TEST

/* Telemetry is coalesced: about 10 PropertiesChanged a second while
 * running, none while idle. */
static int count_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)m, (void)error;
        (*(unsigned *)userdata)++;
        return 0;
}

static unsigned count_for(unsigned *counter, long ms)
{
        long deadline = fixture_now_ms() + ms;

        *counter = 0;
        while (fixture_now_ms() < deadline) {
                if (sd_bus_process(fixture.bus, NULL) > 0)
                        continue;
                sd_bus_wait(fixture.bus, 20000);
        }
        return *counter;
}

START_TEST(test_telemetry_rate)
{
        static const char *const telemetry[] = { "Speed", "Amplitude", "Force", "StepRemaining",
                                                 "Elapsed", "Temperature", "Overruns",
                                                 "MaxLatency" };
        static struct signal_log log;
        sd_bus_slot *slot = NULL, *names_slot = NULL;
        unsigned counter = 0, running, idle;

        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, "io.percussd.Massager1",
                                             "/io/percussd/Massager1",
                                             "org.freedesktop.DBus.Properties",
                                             "PropertiesChanged", count_changed, &counter),
                         0);
        idle = count_for(&counter, 1500);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        count_for(&counter, 500);
        log.count = 0;
        ck_assert_int_ge(sd_bus_add_match(fixture.bus, &names_slot,
                                          "type='signal',sender='io.percussd.Massager1'",
                                          log_signal, &log),
                         0);
        running = count_for(&counter, 3000);
        names_slot = sd_bus_slot_unref(names_slot);
        /* each telemetry property at most 10 times a second, one more for
         * the window's edges */
        for (size_t i = 0; i < sizeof(telemetry) / sizeof(telemetry[0]); i++) {
                unsigned n = 0;

                for (unsigned k = 0; k < log.count; k++)
                        n += strcmp(log.names[k], telemetry[i]) == 0;
                fprintf(stderr, "%s: %u PropertiesChanged in 3 s running\n", telemetry[i], n);
                ck_assert_uint_le(n, 31);
        }
        ck_assert_uint_lt(log.count, 512);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        count_for(&counter, 2500); /* the crank coasts down, then telemetry stops */
        fprintf(stderr, "PropertiesChanged: %u in 1.5 s idle, %u in 3 s running\n", idle, running);
        ck_assert_uint_eq(idle, 0);
        ck_assert_uint_le(running, 33);
        ck_assert_uint_ge(running, 10); /* it flows at all; the bar is the bound above */
        ck_assert_uint_eq(count_for(&counter, 1500), 0);
        sd_bus_slot_unref(slot);
}
END_TEST

/* A client subscribed to everything that never reads its socket: the
 * daemon's bus traffic goes through dbus-daemon, which buffers and in the
 * end drops that client; the daemon itself must go on answering. */
START_TEST(test_client_that_stops_reading_does_not_stall)
{
        sd_bus *lazy = NULL;
        long start, slowest = 0;

        ck_assert_int_ge(sd_bus_new(&lazy), 0);
        ck_assert_int_ge(sd_bus_set_address(lazy, fixture.address), 0);
        ck_assert_int_ge(sd_bus_set_bus_client(lazy, true), 0);
        ck_assert_int_ge(sd_bus_start(lazy), 0);
        ck_assert_int_ge(sd_bus_add_match(lazy, NULL, "type='signal',sender='io.percussd.Massager1'",
                                          NULL, NULL),
                         0);

        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        start = fixture_now_ms();
        while (fixture_now_ms() - start < 4000) {
                long before = fixture_now_ms(), took;

                (void)fixture_get_double(&fixture, "Speed");
                took = fixture_now_ms() - before;
                if (took > slowest)
                        slowest = took;
                usleep(50000);
        }
        fprintf(stderr, "slowest Get while a client did not read: %ld ms\n", slowest);
        ck_assert_int_lt(slowest, 500);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 100));
        sd_bus_close_unref(lazy);
}
END_TEST

/* A client that floods GetAll and never reads a reply, nor the signals it
 * subscribed to, on a bus with the system bus's limits: dbus-daemon bounds
 * what it queues for that client and how many of its calls may wait for
 * an answer, so the daemon goes on answering others promptly and the
 * control loop keeps the motor on its set-point. */
START_TEST(test_flooding_client_that_never_reads_does_not_stall)
{
        sd_bus *lazy = NULL;
        long start, slowest = 0;
        unsigned sent = 0, refused = 0;
        double target_ppm, speed_ppm;

        ck_assert_int_eq(fixture_call(&fixture, "Start", "manual", NULL, NULL), 0);
        usleep(2500000); /* the ramp */
        ck_assert_int_ge(sd_bus_new(&lazy), 0);
        ck_assert_int_ge(sd_bus_set_address(lazy, fixture.address), 0);
        ck_assert_int_ge(sd_bus_set_bus_client(lazy, true), 0);
        ck_assert_int_ge(sd_bus_start(lazy), 0);
        ck_assert_int_ge(sd_bus_add_match(lazy, NULL, "type='signal',sender='io.percussd.Massager1'",
                                          NULL, NULL),
                         0);

        start = fixture_now_ms();
        while (fixture_now_ms() - start < 4000) {
                long before, took;

                for (unsigned i = 0; i < 200; i++) {
                        sd_bus_message *call = NULL;

                        ck_assert_int_ge(sd_bus_message_new_method_call(
                                                 lazy, &call, "io.percussd.Massager1",
                                                 "/io/percussd/Massager1",
                                                 "org.freedesktop.DBus.Properties", "GetAll"),
                                         0);
                        ck_assert_int_ge(sd_bus_message_append(call, "s", "io.percussd.Massager1"), 0);
                        /* queued for the socket, or refused once sd-bus's own queue is full */
                        if (sd_bus_send(lazy, call, NULL) >= 0)
                                sent++;
                        else
                                refused++;
                        sd_bus_message_unref(call);
                }
                before = fixture_now_ms();
                (void)fixture_get_double(&fixture, "Speed");
                took = fixture_now_ms() - before;
                if (took > slowest)
                        slowest = took;
                usleep(20000);
        }
        target_ppm = fixture_get_double(&fixture, "TargetSpeed");
        speed_ppm = fixture_get_double(&fixture, "Speed");
        fprintf(stderr, "a client sent %u GetAll (%u refused by its own queue) and read nothing; "
                "slowest Get meanwhile %ld ms; Speed %.0f of %.0f ppm\n",
                sent, refused, slowest, speed_ppm, target_ppm);
        ck_assert_uint_ge(sent, 1000);
        ck_assert_int_lt(slowest, 500);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 100));
        ck_assert_msg(fabs(speed_ppm - target_ppm) <= 0.1 * target_ppm,
                      "Speed %.0f ppm strayed from %.0f ppm: the control loop was starved",
                      speed_ppm, target_ppm);
        sd_bus_close_unref(lazy);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
}
END_TEST

/* Bad input in every state: each call gets the documented error with a
 * sentence, and the state does not move. */
struct bad_call {
        const char *member;
        const char *signature;  /* NULL: no arguments */
        const char *s;          /* the string argument, for "s" */
        uint64_t number;        /* for "u" and "t" */
        const char *error;      /* expected error name */
};

static const char *huge_string(void)
{
        static char huge[65537];

        memset(huge, 'x', sizeof(huge) - 1);
        return huge;
}

/* What a bad call must leave as it was. */
struct snapshot {
        char *state, *routine;
        uint32_t step, intensity;
};

static void snapshot_take(struct snapshot *snap)
{
        snap->state = fixture_get_string(&fixture, "State");
        snap->routine = fixture_get_string(&fixture, "Routine");
        snap->step = fixture_get_u32(&fixture, "Step");
        snap->intensity = fixture_get_u32(&fixture, "Intensity");
}

static void snapshot_free(struct snapshot *snap)
{
        free(snap->state);
        free(snap->routine);
}

static void assert_unchanged(const struct snapshot *before, const char *what)
{
        struct snapshot after;

        snapshot_take(&after);
        ck_assert_msg(strcmp(after.state, before->state) == 0 &&
                              strcmp(after.routine, before->routine) == 0 &&
                              after.step == before->step && after.intensity == before->intensity,
                      "%s moved the daemon from %s %s step %u intensity %u to %s %s step %u "
                      "intensity %u",
                      what, before->state, before->routine, before->step, before->intensity,
                      after.state, after.routine, after.step, after.intensity);
        snapshot_free(&after);
}

static void assert_error_sentence(const sd_bus_error *error, const char *expected, const char *what,
                                  const char *state)
{
        ck_assert_msg(error->name && strcmp(error->name, expected) == 0, "%s in %s: %s, expected %s",
                      what, state, error->name, expected);
        ck_assert_msg(error->message && strlen(error->message) > 10 && strlen(error->message) < 400,
                      "%s in %s: \"%s\" is no sentence", what, state, error->message);
}

static void call_bad(const struct bad_call *c, const char *state)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        struct snapshot before;
        char what[64];
        int r;

        snapshot_take(&before);
        ck_assert_str_eq(before.state, state);
        snprintf(what, sizeof(what), "%s(%s)", c->member, c->signature ? c->signature : "");
        ck_assert_int_ge(sd_bus_message_new_method_call(fixture.bus, &m, "io.percussd.Massager1",
                                                        "/io/percussd/Massager1",
                                                        "io.percussd.Massager1", c->member),
                         0);
        if (c->signature && strcmp(c->signature, "s") == 0)
                ck_assert_int_ge(sd_bus_message_append(m, "s", c->s), 0);
        else if (c->signature && strcmp(c->signature, "u") == 0)
                ck_assert_int_ge(sd_bus_message_append(m, "u", (uint32_t)c->number), 0);
        else if (c->signature && strcmp(c->signature, "t") == 0)
                ck_assert_int_ge(sd_bus_message_append(m, "t", c->number), 0);
        else if (c->signature && strcmp(c->signature, "ss") == 0)
                ck_assert_int_ge(sd_bus_message_append(m, "ss", "calves", "extra"), 0);
        r = sd_bus_call(fixture.bus, m, 0, &error, NULL);
        ck_assert_msg(r < 0, "%s in %s succeeded, expected %s", what, state, c->error);
        assert_error_sentence(&error, c->error, what, state);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        assert_unchanged(&before, what);
        snapshot_free(&before);
}

/* Properties.Set (or Get) that must fail: the value's type is "u", "s" or
 * "" for a Get. */
static void property_bad(const char *property, const char *type, uint32_t u, const char *expected,
                         const char *state)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        struct snapshot before;
        char what[64];
        int r;

        snapshot_take(&before);
        snprintf(what, sizeof(what), "%s %s", *type ? "Set" : "Get", property);
        if (!*type)
                r = sd_bus_get_property(fixture.bus, "io.percussd.Massager1", "/io/percussd/Massager1",
                                        "io.percussd.Massager1", property, &error, &reply, "s");
        else if (strcmp(type, "u") == 0)
                r = sd_bus_set_property(fixture.bus, "io.percussd.Massager1", "/io/percussd/Massager1",
                                        "io.percussd.Massager1", property, &error, "u", u);
        else
                r = sd_bus_set_property(fixture.bus, "io.percussd.Massager1", "/io/percussd/Massager1",
                                        "io.percussd.Massager1", property, &error, "s", "high");
        ck_assert_msg(r < 0, "%s in %s succeeded, expected %s", what, state, expected);
        assert_error_sentence(&error, expected, what, state);
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        assert_unchanged(&before, what);
        snapshot_free(&before);
}

#define INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"

/* What is wrong in any state: every method with a wrong signature, bad
 * values, unknown names. */
static const struct bad_call always_bad[] = {
        { "Start", NULL, NULL, 0, INVALID_ARGS },
        { "Start", "u", NULL, 3, INVALID_ARGS },
        { "Start", "ss", NULL, 0, INVALID_ARGS },
        { "Stop", "s", "now", 0, INVALID_ARGS },
        { "Pause", "u", NULL, 1, INVALID_ARGS },
        { "Resume", "s", "calves", 0, INVALID_ARGS },
        { "Next", "t", NULL, 2, INVALID_ARGS },
        { "ClearFault", "s", "stall", 0, INVALID_ARGS },
        { "GetRoutine", NULL, NULL, 0, INVALID_ARGS },
        { "GetRoutine", "s", "", 0, BUS_ERROR_NO_SUCH_ROUTINE },
        { "GetRoutine", "s", "../calves", 0, BUS_ERROR_NO_SUCH_ROUTINE },
        { "GetRoutine", "u", NULL, 1, INVALID_ARGS },
        { "GetRoutine", "ss", NULL, 0, INVALID_ARGS },
        { "GetHistory", NULL, NULL, 0, INVALID_ARGS },
        { "GetHistory", "s", "ten", 0, INVALID_ARGS },
        { "GetHistory", "t", NULL, 10, INVALID_ARGS },
        { "Reload", "s", "calves", 0, INVALID_ARGS },
        { "RecordRace", NULL, NULL, 0, INVALID_ARGS },
        { "RecordRace", "t", NULL, UINT64_MAX, INVALID_ARGS },
        { "RecordRace", "u", NULL, 0, INVALID_ARGS },
        { "RecordRace", "s", "yesterday", 0, INVALID_ARGS },
        { "ClearRace", "s", "all", 0, INVALID_ARGS },
        { "NoSuchMethod", NULL, NULL, 0, "org.freedesktop.DBus.Error.UnknownMethod" },
};

static void check_always_bad(const char *state)
{
        struct bad_call unknown = { "Start", "s", NULL, 0, BUS_ERROR_NO_SUCH_ROUTINE };
        struct bad_call unknown_routine = { "GetRoutine", "s", NULL, 0, BUS_ERROR_NO_SUCH_ROUTINE };

        for (size_t i = 0; i < sizeof(always_bad) / sizeof(always_bad[0]); i++)
                call_bad(&always_bad[i], state);
        unknown.s = unknown_routine.s = huge_string();
        call_bad(&unknown, state);
        call_bad(&unknown_routine, state);
        unknown.s = "";
        call_bad(&unknown, state);

        property_bad("Intensity", "u", 0, INVALID_ARGS, state);
        property_bad("Intensity", "u", 6, INVALID_ARGS, state);
        property_bad("Intensity", "u", UINT32_MAX, INVALID_ARGS, state);
        property_bad("Intensity", "s", 0, INVALID_ARGS, state);
        property_bad("State", "s", 0, "org.freedesktop.DBus.Error.PropertyReadOnly", state);
        property_bad("Step", "u", 1, "org.freedesktop.DBus.Error.PropertyReadOnly", state);
        property_bad("NoSuchProperty", "", 0, "org.freedesktop.DBus.Error.UnknownProperty", state);
}

START_TEST(test_bad_input_in_every_state)
{
        static const struct bad_call idle_bad[] = {
                { "Stop", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "Pause", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "Resume", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "Next", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "ClearFault", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
        };
        static const struct bad_call active_bad[] = {
                { "Start", "s", "calves", 0, BUS_ERROR_BUSY },
                { "Start", "s", "quick", 0, BUS_ERROR_BUSY },
                { "ClearFault", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
        };
        static const struct bad_call fault_bad[] = {
                { "Start", "s", "calves", 0, BUS_ERROR_FAULTED },
                { "Start", "s", "quick", 0, BUS_ERROR_FAULTED },
                { "Resume", NULL, NULL, 0, BUS_ERROR_FAULTED },
                { "Stop", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "Pause", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "Next", NULL, NULL, 0, BUS_ERROR_NOT_RUNNING },
                { "ClearFault", NULL, NULL, 0, "io.percussd.Error.FaultActive" },
        };
        sd_bus_error error = SD_BUS_ERROR_NULL;

        check_always_bad("idle");
        for (size_t i = 0; i < sizeof(idle_bad) / sizeof(idle_bad[0]); i++)
                call_bad(&idle_bad[i], "idle");

        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 500));
        check_always_bad("running");
        for (size_t i = 0; i < sizeof(active_bad) / sizeof(active_bad[0]); i++)
                call_bad(&active_bad[i], "running");
        call_bad(&(struct bad_call){ "Resume", NULL, NULL, 0, BUS_ERROR_BUSY }, "running");

        /* the short first step ends and the routine waits for the button */
        ck_assert(fixture_wait_string(&fixture, "State", "waiting", 3000));
        check_always_bad("waiting");
        for (size_t i = 0; i < sizeof(active_bad) / sizeof(active_bad[0]); i++)
                call_bad(&active_bad[i], "waiting");

        ck_assert_int_eq(fixture_call(&fixture, "Resume", NULL, NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Pause", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "paused", 500));
        check_always_bad("paused");
        for (size_t i = 0; i < sizeof(active_bad) / sizeof(active_bad[0]); i++)
                call_bad(&active_bad[i], "paused");

        /* a cut encoder while the second step plays */
        ck_assert_int_eq(fixture_call(&fixture, "Resume", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 500));
        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Simulator1", "io.percussd.Simulator1",
                                            "CutSensor", &error, NULL, "sb", "encoder", 1),
                         0);
        ck_assert(fixture_wait_string(&fixture, "State", "fault", 2000));
        check_always_bad("fault");
        for (size_t i = 0; i < sizeof(fault_bad) / sizeof(fault_bad[0]); i++)
                call_bad(&fault_bad[i], "fault");
        ck_assert_int_ge(sd_bus_call_method(fixture.bus, "io.percussd.Massager1",
                                            "/io/percussd/Simulator1", "io.percussd.Simulator1",
                                            "CutSensor", &error, NULL, "sb", "encoder", 0),
                         0);
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);

        /* and after all that the daemon is well and ends cleanly */
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 500));
        ck_assert_int_eq(fixture_call(&fixture, "Start", "quick", NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert_int_eq(daemon_fixture_terminate(&fixture, 3000), 0);
}
END_TEST

static void setup_with_quick(void)
{
        static const char *const args[] = { "--profiles-dir", TEST_PROFILES_DIR, NULL };

        daemon_fixture_start(&fixture, args);
}

static void start_and_wait_running(void)
{
        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 1000));
        usleep(1500000);
}

static void assert_fault(const char *code)
{
        char *fault, *message;

        ck_assert_msg(fixture_wait_string(&fixture, "State", "fault", 1000), "no fault for %s", code);
        fault = fixture_get_string(&fixture, "Fault");
        message = fixture_get_string(&fixture, "FaultMessage");
        ck_assert_str_eq(fault, code);
        ck_assert_msg(strlen(message) > 20 && message[strlen(message) - 1] == '.',
                      "FaultMessage \"%s\"", message);
        free(fault);
        free(message);
        ck_assert_double_eq(fixture_get_double(&fixture, "TargetSpeed"), 0.0);
}

static void assert_clear_refused(void)
{
        char *name = NULL, *message = NULL;

        ck_assert_int_lt(fixture_call(&fixture, "ClearFault", NULL, &name, &message), 0);
        ck_assert_str_eq(name, "io.percussd.Error.FaultActive");
        ck_assert_msg(strstr(message, "still"), "FaultActive message \"%s\"", message);
        free(name);
        free(message);
        assert_error("Start", "calves", "io.percussd.Error.Faulted");
        /* "an over-temperature fault", "a stall fault" */
        {
                char *fault = fixture_get_string(&fixture, "Fault"), expected[96];

                snprintf(expected, sizeof(expected), "The gun is stopped by %s %s fault: ",
                         strchr("aeiou", fault[0]) ? "an" : "a", fault);
                ck_assert_int_lt(fixture_call(&fixture, "Start", "calves", &name, &message), 0);
                ck_assert_msg(strncmp(message, expected, strlen(expected)) == 0,
                              "Faulted: \"%s\", expected it to begin \"%s\"", message, expected);
                free(fault);
                free(name);
                free(message);
        }
}

static char reload_dir[] = "/tmp/percussd-reload-XXXXXX";

static void setup_reload(void)
{
        const char *const args[] = { "--profiles-dir", reload_dir, NULL };

        memcpy(reload_dir + strlen(reload_dir) - 6, "XXXXXX", 6);
        ck_assert_ptr_nonnull(mkdtemp(reload_dir));
        daemon_fixture_start(&fixture, args);
}

static void teardown_reload(void)
{
        char path[96];

        daemon_fixture_stop(&fixture);
        snprintf(path, sizeof(path), "%s/extra.ini", reload_dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/broken.ini", reload_dir);
        unlink(path);
        rmdir(reload_dir);
}

static void write_text(const char *dir, const char *name, const char *text)
{
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static bool routines_has(const char *id)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char **ids = NULL;
        bool found = false;

        ck_assert_int_ge(sd_bus_get_property_strv(fixture.bus, "io.percussd.Massager1",
                                                  "/io/percussd/Massager1", "io.percussd.Massager1",
                                                  "Routines", &error, &ids),
                         0);
        for (char **i = ids; *i; i++) {
                found = found || strcmp(*i, id) == 0;
                free(*i);
        }
        free(ids);
        return found;
}

/* ProfileErrors, joined by " | ", or "" */
static void profile_errors(char *out, size_t size)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char **errors = NULL;
        size_t used = 0;

        ck_assert_int_ge(sd_bus_get_property_strv(fixture.bus, "io.percussd.Massager1",
                                                  "/io/percussd/Massager1", "io.percussd.Massager1",
                                                  "ProfileErrors", &error, &errors),
                         0);
        out[0] = '\0';
        for (char **i = errors; i && *i; i++) {
                used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s",
                                         i == errors ? "" : " | ", *i);
                free(*i);
        }
        free(errors);
}

/* Reload while a routine plays: a new file is loaded, a bad one is
 * skipped (the daemon's log and ProfileErrors say why, file and line), the
 * session goes on untouched. */
START_TEST(test_reload_skips_bad_file_keeps_session)
{
        char *routine, errors[1024], expected[256];

        ck_assert_int_eq(fixture_call(&fixture, "Start", "calves", NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 1000));
        write_text(reload_dir, "extra.ini",
                   "[routine]\ntitle = Extra\ndescription = One step.\ngentle = false\n\n"
                   "[step 1]\nmuscle = quads\nside = left\nspeed = 2000\namplitude = 10\n"
                   "duration = 30\nramp = 1\n");
        write_text(reload_dir, "broken.ini", "[routine]\ntitle = Broken\n\n[step 1]\nspeed = fast\n");
        ck_assert(!routines_has("extra"));
        profile_errors(errors, sizeof(errors));
        ck_assert_str_eq(errors, "");

        ck_assert_int_eq(fixture_call(&fixture, "Reload", NULL, NULL, NULL), 0);
        ck_assert(routines_has("extra"));
        ck_assert(!routines_has("broken"));
        profile_errors(errors, sizeof(errors));
        fprintf(stderr, "ProfileErrors after Reload: %s\n", errors);
        snprintf(expected, sizeof(expected), "%s/broken.ini:", reload_dir);
        ck_assert_msg(strncmp(errors, expected, strlen(expected)) == 0 && !strstr(errors, " | "),
                      "ProfileErrors \"%s\"", errors);
        ck_assert(routines_has("calves"));
        ck_assert(fixture_wait_string(&fixture, "State", "running", 100));
        routine = fixture_get_string(&fixture, "Routine");
        ck_assert_str_eq(routine, "calves");
        free(routine);
        ck_assert_uint_eq(fixture_get_u32(&fixture, "Step"), 0);
        ck_assert_uint_ge(fixture_get_u32(&fixture, "StepCount"), 2);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert_int_eq(fixture_call(&fixture, "Start", "extra", NULL, NULL), 0);
}
END_TEST

static double simulator_double(const char *property)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        double value = NAN;
        int r;

        r = sd_bus_get_property_trivial(fixture.bus, "io.percussd.Massager1", "/io/percussd/Simulator1",
                                        "io.percussd.Simulator1", property, &error, 'd', &value);
        ck_assert_msg(r >= 0, "Simulator1.%s: %s", property, error.message ? error.message : "");
        sd_bus_error_free(&error);
        return value;
}

/* A Simulator1 call that must fail with InvalidArgs and a sentence, and
 * leave the daemon idle. */
static void simulator_bad(const char *member, const char *types, ...)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(fixture.bus, &m, "io.percussd.Massager1",
                                                        "/io/percussd/Simulator1",
                                                        "io.percussd.Simulator1", member),
                         0);
        va_start(ap, types);
        if (types)
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        va_end(ap);
        r = sd_bus_call(fixture.bus, m, 0, &error, NULL);
        ck_assert_msg(r < 0, "Simulator1.%s(%s) succeeded", member, types ? types : "");
        assert_error_sentence(&error, INVALID_ARGS, member, "idle");
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
}

/* Simulator1: the model's truth beside the estimates, a contact force,
 * and bad input. */
START_TEST(test_simulator_object)
{
        double speed_ppm, true_ppm, target_mm, true_mm;
        char *state, *fault;

        ck_assert_double_eq(simulator_double("ContactForce"), 0.0);
        ck_assert_double_eq(simulator_double("TrueSpeed"), 0.0);

        /* as a person does: started in the air, then pressed into the
         * muscle (a start already pressed hard may stall, on a loaded
         * machine, and that is a fault of its own) */
        start_and_wait_running();
        usleep(1500000); /* the ramp ends */
        fixture_simulator(&fixture, "SetContactForce", "d", 30.0);
        ck_assert_double_eq(simulator_double("ContactForce"), 30.0);
        usleep(500000);
        /* the crank slows at each impact and speeds up after it: the
         * model's instantaneous speed against the estimate (a revolution's
         * mean), both averaged over a second */
        speed_ppm = true_ppm = 0.0;
        for (int i = 0; i < 20; i++) {
                speed_ppm += fixture_get_double(&fixture, "Speed") / 20;
                true_ppm += simulator_double("TrueSpeed") / 20;
                usleep(50000);
        }
        target_mm = fixture_get_double(&fixture, "TargetAmplitude");
        true_mm = simulator_double("TrueAmplitude");
        fprintf(stderr, "pressed at 30 N, mean of 20: Speed %.0f ppm, TrueSpeed %.0f ppm; TargetAmplitude "
                "%.1f mm, TrueAmplitude %.1f mm\n", speed_ppm, true_ppm, target_mm, true_mm);
        state = fixture_get_string(&fixture, "State");
        fault = fixture_get_string(&fixture, "FaultMessage");
        ck_assert_msg(strcmp(state, "running") == 0, "pressed at 30 N: %s (%s)", state, fault);
        free(state);
        free(fault);
        ck_assert_msg(fabs(true_ppm - speed_ppm) <= 0.03 * true_ppm,
                      "TrueSpeed %.0f ppm, Speed %.0f ppm", true_ppm, speed_ppm);
        ck_assert_msg(fabs(true_mm - target_mm) <= 1.0, "TrueAmplitude %.1f mm of %.1f mm", true_mm,
                      target_mm);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 1000));

        simulator_bad("PressButton", "s", "trigger");
        simulator_bad("PressButton", "s", "");
        simulator_bad("PressButton", "s", huge_string());
        simulator_bad("PressButton", NULL);
        simulator_bad("ReleaseButton", "u", 1);
        simulator_bad("SetContactForce", "d", -1.0);
        simulator_bad("SetContactForce", "d", 1000.0);
        simulator_bad("SetContactForce", "d", NAN);
        simulator_bad("SetContactForce", "s", "hard");
        simulator_bad("SetTemperature", "d", 500.0);
        simulator_bad("SetTemperature", "d", INFINITY);
        simulator_bad("Jam", "s", "yes");
        simulator_bad("Drop", "b", 1);
        simulator_bad("CutSensor", "sb", "gps", 1);
        simulator_bad("CutSensor", "s", "encoder");
        ck_assert_double_eq(simulator_double("ContactForce"), 30.0);
}
END_TEST

/* Speed as PropertiesChanged carries it, in order. */
struct speed_log {
        double ppm[256];
        unsigned count;
        unsigned signals;       /* PropertiesChanged, with Speed or not */
};

static bool log_speed(const char *name, sd_bus_message *m, void *userdata)
{
        struct speed_log *log = userdata;
        double value;

        if (strcmp(name, "Speed") != 0)
                return false;
        if (sd_bus_message_read(m, "v", "d", &value) >= 0 && log->count < 256)
                log->ppm[log->count++] = value;
        return true;
}

static int on_speed_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        ((struct speed_log *)userdata)->signals++;
        walk_changed(m, log_speed, userdata);
        return 0;
}

/* While the routine plays, Speed is the crank's mean over a revolution
 * (the model's TrueMeanSpeed). After Stop the crank coasts down and
 * telemetry goes on until it rests: the Speeds published fall, none is
 * negative, the last is 0, and then nothing more comes while the gun
 * rests. Speed may read 0 a few ticks before the loop calls the crank
 * at rest, and the tick that does may still publish (Force and
 * Amplitude go to 0 there): the stream has ended when a second passes
 * without a signal, Speed 0 the last one said. */
START_TEST(test_telemetry_after_stop_ends_at_rest)
{
        static struct speed_log log;
        sd_bus_slot *slot = NULL;
        unsigned counter = 0;
        double speed_ppm, true_ppm;

        start_and_wait_running();
        usleep(1500000); /* the ramp ends */
        speed_ppm = fixture_get_double(&fixture, "Speed");
        true_ppm = simulator_double("TrueMeanSpeed");
        fprintf(stderr, "running: Speed %.0f ppm, TrueMeanSpeed %.0f ppm\n", speed_ppm, true_ppm);
        ck_assert_msg(fabs(speed_ppm - true_ppm) <= 0.03 * true_ppm, "Speed %.0f, TrueMeanSpeed %.0f",
                      speed_ppm, true_ppm);

        log.count = 0;
        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, "io.percussd.Massager1",
                                             "/io/percussd/Massager1",
                                             "org.freedesktop.DBus.Properties",
                                             "PropertiesChanged", on_speed_changed, &log),
                         0);
        ck_assert_int_eq(fixture_call(&fixture, "Stop", NULL, NULL, NULL), 0);
        for (long deadline = fixture_now_ms() + 10000, last_signal = fixture_now_ms();
             fixture_now_ms() < deadline &&
             (log.count == 0 || log.ppm[log.count - 1] != 0.0 || fixture_now_ms() - last_signal < 1000);) {
                unsigned signals = log.signals;

                if (sd_bus_process(fixture.bus, NULL) == 0)
                        sd_bus_wait(fixture.bus, 20000);
                if (log.signals != signals)
                        last_signal = fixture_now_ms();
        }
        fprintf(stderr, "after Stop: %u Speeds published, the first %.0f ppm, the last %.0f ppm\n",
                log.count, log.count ? log.ppm[0] : NAN, log.count ? log.ppm[log.count - 1] : NAN);
        ck_assert_uint_ge(log.count, 2);
        ck_assert_double_gt(log.ppm[0], 100.0);
        ck_assert_double_eq(log.ppm[log.count - 1], 0.0);
        for (unsigned i = 0; i < log.count; i++)
                ck_assert_double_ge(log.ppm[i], 0.0);
        ck_assert_double_eq(fixture_get_double(&fixture, "Speed"), 0.0);
        ck_assert_double_eq(fixture_get_double(&fixture, "Force"), 0.0);
        ck_assert_double_lt(simulator_double("TrueMeanSpeed"), 100.0);
        slot = sd_bus_slot_unref(slot);

        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, "io.percussd.Massager1",
                                             "/io/percussd/Massager1",
                                             "org.freedesktop.DBus.Properties",
                                             "PropertiesChanged", count_changed, &counter),
                         0);
        ck_assert_uint_eq(count_for(&counter, 1000), 0);
        sd_bus_slot_unref(slot);
}
END_TEST

START_TEST(test_faults_from_the_simulator)
{
        /* a sensor cut: refused to clear while cut, cleared once back */
        start_and_wait_running();
        fixture_simulator(&fixture, "CutSensor", "sb", "encoder", 1);
        assert_fault("sensor-lost");
        assert_clear_refused();
        fixture_simulator(&fixture, "CutSensor", "sb", "encoder", 0);
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));

        /* a jammed head */
        start_and_wait_running();
        fixture_simulator(&fixture, "Jam", "b", 1);
        assert_fault("stall");
        fixture_simulator(&fixture, "Jam", "b", 0);
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);

        /* a drop */
        start_and_wait_running();
        fixture_simulator(&fixture, "Drop", NULL);
        assert_fault("drop");
        usleep(500000); /* the gun lands */
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);

        /* the board heats up: stopped before its limit, cleared once cool */
        start_and_wait_running();
        fixture_simulator(&fixture, "SetTemperature", "d", 69.0);
        assert_fault("over-temperature");
        assert_clear_refused();
        fixture_simulator(&fixture, "SetTemperature", "d", 45.0);
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));
        start_and_wait_running();
}
END_TEST

struct battery_log {
        double percent[16];
        int charging[16];       /* -1: not in that signal */
        unsigned count;
};

/* Battery and Charging as PropertiesChanged carries them. */
static int on_battery_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        struct battery_log *log = userdata;
        const char *interface, *name;
        double percent = NAN;
        int charging = -1, seen = 0, r;

        (void)error;
        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0 || strcmp(interface, "io.percussd.Massager1") != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0 && strcmp(name, "Battery") == 0) {
                        r = sd_bus_message_read(m, "v", "d", &percent);
                        seen = 1;
                } else if (r >= 0 && strcmp(name, "Charging") == 0)
                        r = sd_bus_message_read(m, "v", "b", &charging);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (seen && log->count < 16) {
                log->percent[log->count] = percent;
                log->charging[log->count++] = charging;
        }
        return 0;
}

static void process_for(int ms)
{
        long deadline = fixture_now_ms() + ms;

        while (fixture_now_ms() < deadline)
                if (sd_bus_process(fixture.bus, NULL) <= 0)
                        sd_bus_wait(fixture.bus, 20000);
}

/* The simulated pack: its charge and charger published as they change,
 * and only then. */
START_TEST(test_battery_from_the_simulator)
{
        struct battery_log log = {0};
        sd_bus_slot *slot = NULL;

        ck_assert_int_ge(sd_bus_match_signal(fixture.bus, &slot, "io.percussd.Massager1",
                                             "/io/percussd/Massager1",
                                             "org.freedesktop.DBus.Properties",
                                             "PropertiesChanged", on_battery_changed, &log),
                         0);
        fixture_simulator(&fixture, "SetBattery", "d", 55.0);
        process_for(300);
        ck_assert_uint_eq(log.count, 1);
        ck_assert_double_eq(log.percent[0], 55.0);
        ck_assert_int_eq(log.charging[0], 0);
        ck_assert_double_eq(fixture_get_double(&fixture, "Battery"), 55.0);

        /* under 1 %: nothing to say */
        fixture_simulator(&fixture, "SetBattery", "d", 55.5);
        process_for(300);
        ck_assert_uint_eq(log.count, 1);

        fixture_simulator(&fixture, "SetCharger", "b", 1);
        process_for(300);
        ck_assert_uint_eq(log.count, 2);
        ck_assert_int_eq(log.charging[1], 1);
        ck_assert(fixture_get_bool(&fixture, "Charging"));
        fixture_simulator(&fixture, "SetCharger", "b", 0);
        process_for(300);
        ck_assert_uint_eq(log.count, 3);
        ck_assert_int_eq(log.charging[2], 0);

        simulator_bad("SetBattery", "d", -1.0);
        simulator_bad("SetBattery", "d", 100.5);
        simulator_bad("SetBattery", "d", NAN);
        simulator_bad("SetBattery", "s", "full");
        simulator_bad("SetCharger", "s", "on");
        /* and 0.3 s on the 24 W charger: 0.003 % of 60 Wh */
        ck_assert_double_eq_tol(fixture_get_double(&fixture, "Battery"), 55.5 + 0.0033, 0.001);

        /* too little for calves' first minute: refused with a sentence */
        fixture_simulator(&fixture, "SetBattery", "d", 3.5);
        {
                char *name = NULL, *message = NULL;

                ck_assert_int_lt(fixture_call(&fixture, "Start", "calves", &name, &message), 0);
                ck_assert_str_eq(name, "io.percussd.Error.BatteryLow");
                ck_assert_str_eq(message, "The battery is at 3 %; the first step (60 s) needs "
                                          "about 4 %. Charge the gun first.");
                free(name);
                free(message);
        }
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 100));

        /* low while running goes on to the step's end; critical stops at once */
        fixture_simulator(&fixture, "SetBattery", "d", 50.0);
        start_and_wait_running();
        fixture_simulator(&fixture, "SetBattery", "d", 8.0);
        usleep(500000);
        ck_assert(fixture_wait_string(&fixture, "State", "running", 100));
        fixture_simulator(&fixture, "SetBattery", "d", 2.0);
        assert_fault("battery");
        /* still critical: the fault stays */
        {
                char *name = NULL, *message = NULL;

                ck_assert_int_lt(fixture_call(&fixture, "ClearFault", NULL, &name, &message), 0);
                ck_assert_str_eq(name, "io.percussd.Error.FaultActive");
                ck_assert_str_eq(message, "The fault is still there: the battery is at 2.0 %, at "
                                          "or under its critical 3 % ([Power] CriticalPercent); "
                                          "charge it first.");
                free(name);
                free(message);
        }
        ck_assert(fixture_wait_string(&fixture, "State", "fault", 100));
        fixture_simulator(&fixture, "SetBattery", "d", 100.0);
        ck_assert_int_eq(fixture_call(&fixture, "ClearFault", NULL, NULL, NULL), 0);
        ck_assert(fixture_wait_string(&fixture, "State", "idle", 1000));
        sd_bus_slot_unref(slot);
}
END_TEST

static Suite *dbus_suite(void)
{
        Suite *s = suite_create("dbus");
        TCase *tc = tcase_create("daemon");
        TCase *policy, *bad, *permissive, *reload;

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_introspection_matches_shipped_xml);
        tcase_add_test(tc, test_start_plays_routine_then_stops);
        tcase_add_test(tc, test_sigterm_while_running_exits_cleanly);
        tcase_add_test(tc, test_unknown_routine_and_huge_name);
        tcase_add_test(tc, test_readme_busctl_lines);
        tcase_add_test(tc, test_intensity_property);
        tcase_add_test(tc, test_history_records_sessions);
        tcase_add_test(tc, test_recovery_guard);
        tcase_add_test(tc, test_scheduling_stalls_are_not_faults);
        tcase_add_test(tc, test_buttons_drive_the_engine);
        tcase_add_test(tc, test_state_changes_signalled_at_once);
        tcase_add_test(tc, test_telemetry_rate);
        tcase_add_test(tc, test_client_that_stops_reading_does_not_stall);
        tcase_add_test(tc, test_faults_from_the_simulator);
        tcase_add_test(tc, test_telemetry_after_stop_ends_at_rest);
        tcase_add_test(tc, test_simulator_object);
        tcase_add_test(tc, test_battery_from_the_simulator);
        suite_add_tcase(s, tc);

        bad = tcase_create("bad-input");
        tcase_add_checked_fixture(bad, setup_with_quick, teardown);
        tcase_set_timeout(bad, 60);
        tcase_add_test(bad, test_bad_input_in_every_state);
        suite_add_tcase(s, bad);

        policy = tcase_create("policy");
        tcase_add_checked_fixture(policy, setup_policy, teardown);
        tcase_set_timeout(policy, 60);
        tcase_add_test(policy, test_policy_others_read_but_may_not_start);
        tcase_add_test(policy, test_flooding_client_that_never_reads_does_not_stall);
        suite_add_tcase(s, policy);

        reload = tcase_create("reload");
        tcase_add_checked_fixture(reload, setup_reload, teardown_reload);
        tcase_set_timeout(reload, 60);
        tcase_add_test(reload, test_reload_skips_bad_file_keeps_session);
        suite_add_tcase(s, reload);

        permissive = tcase_create("permissive-bus");
        tcase_add_checked_fixture(permissive, setup_permissive, teardown);
        tcase_set_timeout(permissive, 60);
        tcase_add_test(permissive, test_daemon_refuses_outsiders_where_the_policy_does_not);
        suite_add_tcase(s, permissive);
        return s;
}

int main(void)
{
        return run_suite(dbus_suite());
}
