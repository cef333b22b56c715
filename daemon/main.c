/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/bus-names.h"
#include "config.h"
#include "drivers/iio-module.h"
#include "frontend.h"
#include "manager.h"
#include "daemon/bringup/probe.h"
#include "service-status.h"
#include "settings.h"

#define CONTROL_HZ_MIN 250
#define CONTROL_HZ_MAX 4000
#define CONFIG_FILE SYSCONFDIR "/percussd/percussd.conf"
#define STATE_DIR_DEFAULT "/var/lib/percussd"

static void print_help(void)
{
        struct settings defaults;

        settings_defaults(&defaults);
        printf("Usage: percussd [OPTION]...\n"
               "The daemon of the percussd massage gun: plays percussion routines and\n"
               "publishes io.percussd.Massager1 on D-Bus.\n"
               "\n"
               "  -c, --config=FILE         read the settings from FILE; default:\n"
               "                            %s\n"
               "                            (a missing file means the defaults)\n"
               "  -s, --simulate            run on the simulated gun instead of hardware\n"
               "      --system              use the system bus (default)\n"
               "      --session-bus         use the session bus (DBUS_SESSION_BUS_ADDRESS)\n"
               "      --bus-address=ADDRESS use the bus at ADDRESS, e.g. unix:path=/run/x\n"
               "  -p, --profiles-dir=DIR    load routines from DIR; repeat for more, a later\n"
               "                            directory overrides an earlier one by id;\n"
               "                            default: %s\n"
               "                            then %s\n"
               "      --state-dir=DIR       where the session history and the race record\n"
               "                            live (default: $STATE_DIRECTORY, else %s)\n"
               "      --control-hz=HZ       control loop rate, %d..%d (default %d)\n"
               "      --rt-priority=PRIO    SCHED_FIFO priority of the control thread,\n"
               "                            1..99 (default %d)\n"
               "      --rt-cpu=CPU          run the control thread on this CPU only\n"
               "                            (default: any)\n"
               "      --safe-stop           force the motor and the stroke actuator off and\n"
               "                            exit (the unit's ExecStopPost=, after any end)\n"
               "      --module-dir=DIR      load the IIO drivers' module, %s,\n"
               "                            from DIR (when the configuration names an IIO\n"
               "                            driver); default:\n"
               "                            %s\n"
               "      --probe               list the board's IIO devices, PWM and GPIO chips,\n"
               "                            power supplies and thermal zones, print a draft\n"
               "                            configuration for what percussd recognises, and\n"
               "                            exit\n"
               "  -v, --verbose             log debug messages too\n"
               "  -h, --help                show this help and exit\n"
               "      --version             show the version and exit\n",
               CONFIG_FILE, PROFILES_DIR, ADMIN_PROFILES_DIR, STATE_DIR_DEFAULT, CONTROL_HZ_MIN,
               CONTROL_HZ_MAX,
               defaults.control_hz, defaults.rt_priority, IIO_MODULE_FILE, MODULE_DIR);
}

static int parse_unsigned(const char *option, const char *value, unsigned min, unsigned max,
                          unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-' || v < min || v > max) {
                fprintf(stderr, "percussd: --%s=%s: expected a whole number from %u to %u.\n",
                        option, value, min, max);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

enum {
        ARG_SYSTEM = 0x100,
        ARG_SESSION_BUS,
        ARG_BUS_ADDRESS,
        ARG_STATE_DIR,
        ARG_CONTROL_HZ,
        ARG_RT_PRIORITY,
        ARG_RT_CPU,
        ARG_VERSION,
        ARG_SAFE_STOP,
        ARG_MODULE_DIR,
        ARG_PROBE,
};

/* Returns 1 to go on, 0 to exit with success, negative errno on a bad option. */
static int parse_argv(int argc, char *argv[], struct options *o)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "simulate", no_argument, NULL, 's' },
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "session-bus", no_argument, NULL, ARG_SESSION_BUS },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "profiles-dir", required_argument, NULL, 'p' },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "control-hz", required_argument, NULL, ARG_CONTROL_HZ },
                { "rt-priority", required_argument, NULL, ARG_RT_PRIORITY },
                { "rt-cpu", required_argument, NULL, ARG_RT_CPU },
                { "safe-stop", no_argument, NULL, ARG_SAFE_STOP },
                { "module-dir", required_argument, NULL, ARG_MODULE_DIR },
                { "probe", no_argument, NULL, ARG_PROBE },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        unsigned value;
        int c, r;

        *o = (struct options){
                .bus_kind = BUS_SYSTEM,
                .config_file = CONFIG_FILE,
                .rt_cpu = RT_CPU_UNSET,
                .log_level = LOG_LEVEL_INFO,
        };

        while ((c = getopt_long(argc, argv, "c:sp:vh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->config_file = optarg;
                        break;
                case 's':
                        o->simulate = true;
                        break;
                case ARG_SYSTEM:
                        o->bus_kind = BUS_SYSTEM;
                        break;
                case ARG_SESSION_BUS:
                        o->bus_kind = BUS_SESSION;
                        break;
                case ARG_BUS_ADDRESS:
                        o->bus_kind = BUS_ADDRESS;
                        o->bus_address = optarg;
                        break;
                case 'p':
                        if (o->n_profile_dirs == PROFILE_DIRS_MAX) {
                                fprintf(stderr, "percussd: --profiles-dir: at most %d directories.\n",
                                        PROFILE_DIRS_MAX);
                                return -E2BIG;
                        }
                        o->profile_dirs[o->n_profile_dirs++] = optarg;
                        break;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case ARG_CONTROL_HZ:
                        r = parse_unsigned("control-hz", optarg, CONTROL_HZ_MIN, CONTROL_HZ_MAX,
                                           &o->control_hz);
                        if (r < 0)
                                return r;
                        break;
                case ARG_RT_PRIORITY:
                        r = parse_unsigned("rt-priority", optarg, 1, 99, &value);
                        if (r < 0)
                                return r;
                        o->rt_priority = (int)value;
                        break;
                case ARG_RT_CPU:
                        r = parse_unsigned("rt-cpu", optarg, 0, CPU_SETSIZE - 1, &value);
                        if (r < 0)
                                return r;
                        o->rt_cpu = (int)value;
                        break;
                case ARG_SAFE_STOP:
                        o->safe_stop = true;
                        break;
                case ARG_MODULE_DIR:
                        o->module_dir = optarg;
                        break;
                case ARG_PROBE:
                        /* what the board has, and a draft configuration: nothing started */
                        return probe_board(stdout) < 0 ? -EIO : 0;
                case 'v':
                        o->log_level = LOG_LEVEL_DEBUG;
                        break;
                case 'h':
                        print_help();
                        return 0;
                case ARG_VERSION:
                        printf("percussd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'percussd --help'.\n");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "percussd: unexpected argument '%s'. Try 'percussd --help'.\n",
                        argv[optind]);
                return -EINVAL;
        }
        if (!o->state_dir) {
                /* systemd's StateDirectory= may list several, the first is ours */
                const char *e = getenv("STATE_DIRECTORY");

                static char first[PATH_MAX];

                if (e && *e && strcspn(e, ":") < sizeof(first)) {
                        snprintf(first, sizeof(first), "%.*s", (int)strcspn(e, ":"), e);
                        o->state_dir = first;
                } else
                        o->state_dir = STATE_DIR_DEFAULT;
        }
        if (o->n_profile_dirs == 0) {
                o->profile_dirs[o->n_profile_dirs++] = PROFILES_DIR;
                o->profile_dirs[o->n_profile_dirs++] = ADMIN_PROFILES_DIR;
        }
        return 1;
}

static int run(struct manager *m)
{
        int r;

        r = manager_start(m);
        if (r < 0)
                return r;
        r = frontend_start(m);
        if (r < 0)
                return r;
        (void)sd_notify(0, "READY=1");
        service_status_notify(m);
        log_info("Ready: %zu routines, %s on the bus.", m->routines.count, BUS_NAME);
        return sd_event_loop(m->event);
}

int main(int argc, char *argv[])
{
        struct options options;
        struct manager *m;
        int r;

        r = parse_argv(argc, argv, &options);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        log_set_max_level(options.log_level);
        r = manager_new(&options, &m);
        if (r < 0) {
                log_error_errno(r, "Failed to set up: %m");
                return EXIT_FAILURE;
        }

        r = options.safe_stop ? manager_safe_stop(m) : run(m);
        frontend_stop(m);
        m = manager_free(m);
        if (r < 0) {
                (void)sd_notifyf(0, "ERRNO=%d", -r);
                return EXIT_FAILURE;
        }
        if (!options.safe_stop)
                log_info("Stopped.");
        return EXIT_SUCCESS;
}
