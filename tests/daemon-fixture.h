/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Runs the real percussd --simulate on a private dbus-daemon, for the
 * integration tests. Both processes die with the test process
 * (PR_SET_PDEATHSIG), so a failed assertion leaves nothing behind.
 *
 * PERCUSSD_WRAPPER in the environment (words separated by spaces) is put
 * before percussd's command line, and percussd is then ended with SIGTERM
 * rather than SIGKILL so that the wrapper can report: scripts/valgrind.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

struct daemon_fixture {
        char dir[64];           /* private temporary directory, also the state dir */
        char address[128];      /* unix:path=DIR/bus */
        pid_t dbus_pid;
        pid_t percussd_pid;
        sd_bus *bus;            /* the test's own connection */
        /* on the system-style bus: the percussd user and group as that
         * dbus-daemon knows them; 0 when it knows none */
        uid_t percussd_uid;
        gid_t percussd_gid;
        bool own_ids;           /* made up for this test: passwd and group in dir */
};

/* Starts dbus-daemon and percussd (with extra_args, NULL-terminated, may
 * be NULL), waits for READY=1 on NOTIFY_SOCKET. */
void daemon_fixture_start(struct daemon_fixture *f, const char *const *extra_args);

/* The same without --simulate: percussd opens the drivers the settings
 * file config names. */
void daemon_fixture_start_hardware(struct daemon_fixture *f, const char *config,
                                   const char *const *extra_args);

/* The same on a bus configured like the system bus, with percussd's
 * D-Bus policy file (systemd/io.percussd.Massager1.conf). Where the
 * machine has no percussd user and group (the package makes them), the
 * test runs as root and mount namespaces work, dbus-daemon and percussd
 * run in mount namespaces of their own whose /etc/passwd and /etc/group
 * add them. */
void daemon_fixture_start_system_policy(struct daemon_fixture *f);

/* The same with a policy that lets anyone call anything
 * (tests/dbus-permissive-policy.conf) instead of percussd's. */
void daemon_fixture_start_permissive_bus(struct daemon_fixture *f);

/* SIGTERM to percussd; returns its exit status (or -1 if it did not exit
 * within timeout_ms or died from a signal). */
int daemon_fixture_terminate(struct daemon_fixture *f, int timeout_ms);

/* SIGKILL to percussd, and reaps it. */
void daemon_fixture_kill(struct daemon_fixture *f);
/* Starts percussd again on the same bus with the same state directory
 * and waits for READY=1. */
void daemon_fixture_restart(struct daemon_fixture *f, const char *const *extra_args);

void daemon_fixture_stop(struct daemon_fixture *f);

/* CLOCK_MONOTONIC, ms: for the tests' deadlines. */
long fixture_now_ms(void);

/* Helpers on the test's connection. */
char *fixture_get_string(struct daemon_fixture *f, const char *property);
/* Fails the test, saying what it is, unless property is expected. */
void fixture_expect_string(struct daemon_fixture *f, const char *property, const char *expected);
double fixture_get_double(struct daemon_fixture *f, const char *property);
uint32_t fixture_get_u32(struct daemon_fixture *f, const char *property);
bool fixture_get_bool(struct daemon_fixture *f, const char *property);
/* Calls a method with no arguments or one string; returns 0 or negative
 * errno, and the D-Bus error name in *error_name (caller frees). */
int fixture_call(struct daemon_fixture *f, const char *method, const char *arg,
                 char **error_name, char **error_message);
/* Simulator1: calls member with arguments as sd_bus_message_append()
 * takes them (types NULL: none) and asserts it succeeds. */
void fixture_simulator(struct daemon_fixture *f, const char *member, const char *types, ...);
/* Simulator1: press or release a button. */
void fixture_button(struct daemon_fixture *f, const char *name, bool pressed);
/* Runs the event loop of the test's connection until property reads
 * `expected` (string comparison of its s value) or timeout. */
bool fixture_wait_string(struct daemon_fixture *f, const char *property, const char *expected,
                         int timeout_ms);
