/* SPDX-License-Identifier: MIT */
#include "daemon-fixture.h"
#include "bus-ready.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
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

#define BUS_NAME "io.percussd.Massager1"
#define BUS_PATH "/io/percussd/Massager1"
#define BUS_INTERFACE "io.percussd.Massager1"

long fixture_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pid_t spawn(const char *const *argv, const char *notify_socket)
{
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (notify_socket)
                        setenv("NOTIFY_SOCKET", notify_socket, 1);
                else
                        unsetenv("NOTIFY_SOCKET");
                execvp(argv[0], (char *const *)argv);
                fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        return pid;
}

static void wait_for_ready(int notify_fd, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;
        char buf[512];

        for (;;) {
                struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
                long left = deadline - fixture_now_ms();
                ssize_t n;

                ck_assert_msg(left > 0, "percussd sent no READY=1 within %d ms", timeout_ms);
                if (poll(&pfd, 1, (int)left) <= 0)
                        continue;
                n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
                ck_assert_int_ge(n, 0);
                buf[n] = '\0';
                if (strstr(buf, "READY=1"))
                        return;
        }
}

/* The system-bus-style configuration, from tests/dbus-system.conf.in. */
static void write_system_config(const char *path, const char *socket_path, const char *policy)
{
        FILE *in = fopen(DBUS_SYSTEM_CONF_IN, "re"), *out = fopen(path, "we");
        char line[512];

        ck_assert_ptr_nonnull(in);
        ck_assert_ptr_nonnull(out);
        while (fgets(line, sizeof(line), in)) {
                char *at;

                if ((at = strstr(line, "@SOCKET@"))) {
                        *at = '\0';
                        fprintf(out, "%s%s%s", line, socket_path, at + strlen("@SOCKET@"));
                } else if ((at = strstr(line, "@POLICY@"))) {
                        *at = '\0';
                        fprintf(out, "%s%s%s", line, policy, at + strlen("@POLICY@"));
                } else
                        fputs(line, out);
        }
        fclose(in);
        ck_assert_int_eq(fclose(out), 0);
}

/* A copy of the file with line appended. */
static void write_with_line(const char *path, const char *original, const char *line)
{
        FILE *in = fopen(original, "re"), *out = fopen(path, "we");
        char buf[1024];

        ck_assert_ptr_nonnull(in);
        ck_assert_ptr_nonnull(out);
        while (fgets(buf, sizeof(buf), in))
                fputs(buf, out);
        fputs(line, out);
        fclose(in);
        ck_assert_int_eq(fclose(out), 0);
}

static gid_t unused_id(void)
{
        for (gid_t id = 64990; id < 65500; id++)
                if (!getgrgid(id) && !getpwuid(id))
                        return id;
        ck_abort_msg("no free uid/gid between 64990 and 65500");
        return 0;
}

/* A percussd user and group for the system-style bus (see
 * daemon-fixture.h). */
static void find_or_make_ids(struct daemon_fixture *f)
{
        struct passwd *pw = getpwnam("percussd");
        struct group *gr = getgrnam("percussd");
        char path[96], line[128];
        gid_t id;

        if ((pw && gr) || geteuid() != 0 ||
            system("unshare --mount -- mount --bind /etc/group /etc/group 2>/dev/null") != 0) {
                f->percussd_uid = pw && gr ? pw->pw_uid : 0;
                f->percussd_gid = pw && gr ? gr->gr_gid : 0;
                return;
        }
        id = unused_id();
        f->own_ids = true;
        f->percussd_uid = pw ? pw->pw_uid : id;
        f->percussd_gid = gr ? gr->gr_gid : id;
        snprintf(path, sizeof(path), "%s/passwd", f->dir);
        snprintf(line, sizeof(line), "percussd:x:%u:%u::/nonexistent:/usr/sbin/nologin\n",
                 (unsigned)f->percussd_uid, (unsigned)f->percussd_gid);
        write_with_line(path, "/etc/passwd", pw ? "" : line);
        snprintf(path, sizeof(path), "%s/group", f->dir);
        snprintf(line, sizeof(line), "percussd:x:%u:\n", (unsigned)f->percussd_gid);
        write_with_line(path, "/etc/group", gr ? "" : line);
}

/* Starts argv, in a mount namespace that sees the made-up passwd and
 * group when the fixture has them. */
static pid_t spawn_seeing_ids(const struct daemon_fixture *f, const char *const *argv,
                              const char *notify_socket)
{
        const char *wrapped[40];
        char passwd_path[96], group_path[96];
        size_t n = 0;

        if (!f->own_ids)
                return spawn(argv, notify_socket);
        snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", f->dir);
        snprintf(group_path, sizeof(group_path), "%s/group", f->dir);
        wrapped[n++] = "unshare";
        wrapped[n++] = "--mount";
        wrapped[n++] = "--";
        wrapped[n++] = "sh";
        wrapped[n++] = "-c";
        wrapped[n++] = "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && "
                       "shift 2 && exec \"$@\"";
        wrapped[n++] = "sh";
        wrapped[n++] = passwd_path;
        wrapped[n++] = group_path;
        for (size_t i = 0; argv[i] && n < 39; i++)
                wrapped[n++] = argv[i];
        wrapped[n] = NULL;
        return spawn(wrapped, notify_socket);
}

/* PERCUSSD_WRAPPER in the environment: words put before percussd's
 * command line (scripts/valgrind runs the daemon under memcheck so). */
static size_t add_wrapper(const char **argv, size_t max, char *words, size_t size)
{
        const char *wrapper = getenv("PERCUSSD_WRAPPER");
        char *save = NULL;
        size_t n = 0;

        if (!wrapper || !*wrapper)
                return 0;
        ck_assert_msg(strlen(wrapper) < size, "PERCUSSD_WRAPPER is longer than %zu bytes", size - 1);
        snprintf(words, size, "%s", wrapper);
        for (char *word = strtok_r(words, " \t", &save); word && n < max;
             word = strtok_r(NULL, " \t", &save))
                argv[n++] = word;
        return n;
}

static bool wrapped(void)
{
        const char *wrapper = getenv("PERCUSSD_WRAPPER");

        return wrapper && *wrapper;
}

/* The settings of a simulated fixture: the defaults, whatever the
 * machine's /etc holds, but for the overrun streak. A VM without
 * PREEMPT_RT now and then runs the loop late a few periods in a row; these
 * tests judge the daemon's contract, not this machine's scheduling, and
 * the overrun fault is test-fault-matrix's and test-safety's to prove. */
static void write_simulated_settings(const char *path)
{
        FILE *file = fopen(path, "w");

        ck_assert_msg(file, "%s: %s", path, strerror(errno));
        fputs("[Safety]\nOverrunStreak=100\n", file);
        ck_assert_int_eq(fclose(file), 0);
}

/* percussd on the fixture's bus, its state in the fixture's directory.
 * config NULL: --simulate, with write_simulated_settings(); else no
 * --simulate and that file. */
static void start_percussd(struct daemon_fixture *f, const char *config,
                           const char *const *extra_args)
{
        const char *argv[48];
        char notify_path[96], settings_path[96], wrapper[1024];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = add_wrapper(argv, 16, wrapper, sizeof(wrapper));
        int notify_fd;

        snprintf(notify_path, sizeof(notify_path), "%s/notify", f->dir);
        unlink(notify_path);
        notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(notify_fd, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        ck_assert_int_eq(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

        argv[n++] = PERCUSSD_PATH;
        if (!config)
                argv[n++] = "--simulate";
        argv[n++] = "--bus-address";
        argv[n++] = f->address;
        argv[n++] = "--profiles-dir";
        argv[n++] = PROFILES_SRC_DIR;
        argv[n++] = "--state-dir";
        argv[n++] = f->dir;
        snprintf(settings_path, sizeof(settings_path), "%s/percussd.conf", f->dir);
        if (!config)
                write_simulated_settings(settings_path);
        argv[n++] = "--config";
        argv[n++] = config ? config : settings_path;
        if (config) {
                /* this build's, not one installed */
                argv[n++] = "--module-dir";
                argv[n++] = IIO_MODULE_BUILD_DIR;
        }
        for (size_t i = 0; extra_args && extra_args[i] && n < 47; i++)
                argv[n++] = extra_args[i];
        argv[n] = NULL;
        f->percussd_pid = spawn_seeing_ids(f, argv, notify_path);
        /* under a wrapper such as valgrind, start-up takes many times longer */
        wait_for_ready(notify_fd, wrapped() ? 60000 : 10000);
        close(notify_fd);
}

/* policy: the file the system-style bus includes, NULL for a session bus. */
static void start(struct daemon_fixture *f, const char *policy, const char *config,
                  const char *const *extra_args)
{
        char bus_path[96], config_path[96];
        struct bus_ready ready;
        int r;

        memset(f, 0, sizeof(*f));
        snprintf(f->dir, sizeof(f->dir), "/tmp/percussd-test-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(f->dir));
        snprintf(bus_path, sizeof(bus_path), "%s/bus", f->dir);
        snprintf(f->address, sizeof(f->address), "unix:path=%s", bus_path);

        ck_assert_int_eq(bus_ready_init(&ready), 0);
        if (policy) {
                /* other users' clients must reach the socket */
                ck_assert_int_eq(chmod(f->dir, 0755), 0);
                snprintf(config_path, sizeof(config_path), "%s/bus.conf", f->dir);
                write_system_config(config_path, bus_path, policy);
                find_or_make_ids(f);
                f->dbus_pid = spawn_seeing_ids(f, (const char *const[]){ "dbus-daemon", "--config-file",
                                                                         config_path, "--nofork",
                                                                         "--nopidfile", ready.arg,
                                                                         NULL },
                                               NULL);
        } else
                f->dbus_pid = spawn((const char *const[]){ "dbus-daemon", "--session", "--nofork",
                                                           "--nopidfile", "--address", f->address,
                                                           ready.arg, NULL },
                                    NULL);
        r = bus_ready_wait(&ready, 5000);
        ck_assert_msg(r == 0, "dbus-daemon did not start listening: %s", strerror(-r));
        start_percussd(f, config, extra_args);

        r = sd_bus_new(&f->bus);
        if (r >= 0)
                r = sd_bus_set_address(f->bus, f->address);
        if (r >= 0)
                r = sd_bus_set_bus_client(f->bus, true);
        if (r >= 0)
                r = sd_bus_start(f->bus);
        ck_assert_msg(r >= 0, "connecting to %s: %s", f->address, strerror(-r));
}

void daemon_fixture_start(struct daemon_fixture *f, const char *const *extra_args)
{
        start(f, NULL, NULL, extra_args);
}

void daemon_fixture_start_hardware(struct daemon_fixture *f, const char *config,
                                   const char *const *extra_args)
{
        start(f, NULL, config, extra_args);
}

void daemon_fixture_start_system_policy(struct daemon_fixture *f)
{
        start(f, DBUS_POLICY_FILE, NULL, NULL);
}

void daemon_fixture_start_permissive_bus(struct daemon_fixture *f)
{
        start(f, DBUS_PERMISSIVE_POLICY, NULL, NULL);
}

int daemon_fixture_terminate(struct daemon_fixture *f, int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;
        int status;

        if (f->percussd_pid <= 0)
                return -1;
        kill(f->percussd_pid, SIGTERM);
        while (waitpid(f->percussd_pid, &status, WNOHANG) == 0) {
                if (fixture_now_ms() > deadline)
                        return -1;
                usleep(5000);
        }
        f->percussd_pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st, (void)type, (void)ftw;
        remove(path);
        return 0;
}

static void kill_and_reap(pid_t *pid)
{
        if (*pid > 0) {
                kill(*pid, SIGKILL);
                waitpid(*pid, NULL, 0);
        }
        *pid = 0;
}

void daemon_fixture_kill(struct daemon_fixture *f)
{
        kill_and_reap(&f->percussd_pid);
}

void daemon_fixture_restart(struct daemon_fixture *f, const char *const *extra_args)
{
        start_percussd(f, NULL, extra_args);
}

void daemon_fixture_stop(struct daemon_fixture *f)
{
        f->bus = sd_bus_flush_close_unref(f->bus);
        /* a wrapper reports (valgrind its leaks) only when percussd exits */
        if (wrapped() && f->percussd_pid > 0)
                (void)daemon_fixture_terminate(f, 30000);
        kill_and_reap(&f->percussd_pid);
        kill_and_reap(&f->dbus_pid);
        nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static sd_bus_message *get_property(struct daemon_fixture *f, const char *property,
                                    const char *type)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_get_property(f->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, property, &error,
                                &reply, type);
        ck_assert_msg(r >= 0, "Get %s: %s", property, error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
        return reply;
}

char *fixture_get_string(struct daemon_fixture *f, const char *property)
{
        sd_bus_message *reply = get_property(f, property, "s");
        const char *value;
        char *copy;

        ck_assert_int_ge(sd_bus_message_read(reply, "s", &value), 0);
        copy = strdup(value);
        sd_bus_message_unref(reply);
        return copy;
}

void fixture_expect_string(struct daemon_fixture *f, const char *property, const char *expected)
{
        char *value = fixture_get_string(f, property);

        ck_assert_msg(strcmp(value, expected) == 0, "%s is \"%s\", not \"%s\"", property, value,
                      expected);
        free(value);
}

double fixture_get_double(struct daemon_fixture *f, const char *property)
{
        sd_bus_message *reply = get_property(f, property, "d");
        double value;

        ck_assert_int_ge(sd_bus_message_read(reply, "d", &value), 0);
        sd_bus_message_unref(reply);
        return value;
}

uint32_t fixture_get_u32(struct daemon_fixture *f, const char *property)
{
        sd_bus_message *reply = get_property(f, property, "u");
        uint32_t value;

        ck_assert_int_ge(sd_bus_message_read(reply, "u", &value), 0);
        sd_bus_message_unref(reply);
        return value;
}

bool fixture_get_bool(struct daemon_fixture *f, const char *property)
{
        sd_bus_message *reply = get_property(f, property, "b");
        int value;

        ck_assert_int_ge(sd_bus_message_read(reply, "b", &value), 0);
        sd_bus_message_unref(reply);
        return value;
}

int fixture_call(struct daemon_fixture *f, const char *method, const char *arg,
                 char **error_name, char **error_message)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (arg)
                r = sd_bus_call_method(f->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, method, &error,
                                       NULL, "s", arg);
        else
                r = sd_bus_call_method(f->bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, method, &error,
                                       NULL, NULL);
        if (error_name)
                *error_name = r < 0 && error.name ? strdup(error.name) : NULL;
        if (error_message)
                *error_message = r < 0 && error.message ? strdup(error.message) : NULL;
        sd_bus_error_free(&error);
        return r < 0 ? r : 0;
}

bool fixture_wait_string(struct daemon_fixture *f, const char *property, const char *expected,
                         int timeout_ms)
{
        long deadline = fixture_now_ms() + timeout_ms;

        for (;;) {
                char *value = fixture_get_string(f, property);
                bool match = strcmp(value, expected) == 0;

                free(value);
                if (match)
                        return true;
                if (fixture_now_ms() > deadline)
                        return false;
                usleep(20000);
        }
}

void fixture_button(struct daemon_fixture *f, const char *name, bool pressed)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(f->bus, BUS_NAME, "/io/percussd/Simulator1", "io.percussd.Simulator1",
                               pressed ? "PressButton" : "ReleaseButton", &error, NULL, "s", name);
        ck_assert_msg(r >= 0, "%s %s: %s", pressed ? "PressButton" : "ReleaseButton", name,
                      error.message ? error.message : strerror(-r));
        sd_bus_error_free(&error);
}

void fixture_simulator(struct daemon_fixture *f, const char *member, const char *types, ...)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(f->bus, &m, BUS_NAME, "/io/percussd/Simulator1",
                                                        "io.percussd.Simulator1", member),
                         0);
        va_start(ap, types);
        if (types)
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        va_end(ap);
        r = sd_bus_call(f->bus, m, 0, &error, NULL);
        ck_assert_msg(r >= 0, "Simulator1.%s: %s", member, error.message ? error.message : "");
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
}
