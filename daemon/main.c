/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/bus/bus.h"
#include "config.h"
#include "drivers/hw-drivers.h"
#include "drivers/iio-module.h"
#include "manager.h"
#include "power.h"
#include "service-status.h"
#include "settings.h"

#define CONTROL_HZ_MIN 250
#define CONTROL_HZ_MAX 4000
#define CONFIG_FILE SYSCONFDIR "/percussd/percussd.conf"
#define RT_CPU_UNSET (-2)
/* ~10 PropertiesChanged a second while running (DBUS.md) */
#define PUBLISH_INTERVAL_US 100000
/* sd-event would otherwise let the timer slip by up to 250 ms */
#define PUBLISH_ACCURACY_US 5000
#define SIM_SEED 0x5045524355535344ull /* fixed: the simulated gun behaves the same every run */
#define STATE_DIR_DEFAULT "/var/lib/percussd"
#define HISTORY_FILE "history.sqlite"

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

static uint64_t monotonic_now_ns(void *userdata)
{
        struct timespec ts;

        (void)userdata;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_gun(struct manager *m)
{
        static const struct sim_clock clock = { .now_ns = monotonic_now_ns };
        struct sim_gun_params params;
        struct gun simulated = {0};
        char path[PATH_MAX], error[512];
        int r;

        /* the simulated gun is there for the kinds the configuration leaves simulated */
        sim_gun_params_default(&params);
        sim_gun_init(&m->sim_gun, &params, SIM_SEED);
        r = sim_gun_drivers_open(&simulated, &m->sim_drivers, &m->sim_gun, &clock);
        if (r < 0)
                return log_error_errno(r, "Failed to open the simulated gun: %m");
        /* the safe-stop's view of a simulated motor: none to keep for a real one */
        if (m->options.simulate || m->settings.hw.motor.driver == HW_SIMULATED) {
                snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, SIM_BOARD_FILE);
                r = sim_board_open(&m->sim_board, path);
                if (r < 0 && m->options.safe_stop)
                        return log_error_errno(r, "Failed to open the simulated board's outputs "
                                               "%s: %m", path);
                if (r < 0)
                        log_warning_errno(r, "The simulated board's outputs are not kept in %s, "
                                          "so --safe-stop will not see them: %m", path);
                else
                        sim_gun_drivers_attach_board(&m->sim_drivers, &m->sim_board);
        }
        r = sim_panel_open(&simulated, &m->sim_panel, monotonic_now_ns, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to open the simulated buttons: %m");
        if (m->options.simulate) {
                m->gun = simulated;
                log_info("Running on the simulated gun.");
                return 0;
        }

        r = hw_gun_open(&m->gun, &m->settings.hw, &simulated, m->options.control_hz, error,
                        sizeof(error));
        if (r < 0)
                return log_error_errno(r, "%s: %s. The motor stays off; percussd stops.",
                                       m->options.config_file, error);
        log_info("Gun: encoder %s, IMU %s, motor %s, stroke %s, buttons %s, LEDs %s, battery %s.",
                 m->gun.encoder.ops->name, m->gun.imu.ops->name, m->gun.motor.ops->name,
                 m->gun.stroke.ops->name, m->gun.buttons.ops->name, m->gun.leds.ops->name,
                 m->gun.battery.ops ? m->gun.battery.ops->name : "none");
        return 0;
}

static int on_rt_event(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        struct manager *m = userdata;

        (void)source, (void)fd, (void)revents;
        rt_ack_event(&m->rt);
        manager_on_rt_event(m);
        return 0;
}

static int on_publish_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;
        bool spinning;

        (void)usec;
        rt_read_telemetry(&m->rt, &m->telemetry);
        bus_publish_telemetry(m);
        manager_check_heartbeat(m);
        manager_check_temperature(m);
        power_check_battery(m);
        /* telemetry goes quiet once the session no longer runs and the control
         * thread saw the crank rest: the last one published says Speed 0 */
        spinning = !m->telemetry.resting;
        if (m->session.state != SESSION_RUNNING && !spinning)
                return sd_event_source_set_enabled(source, SD_EVENT_OFF);
        return sd_event_source_set_time_relative(source, PUBLISH_INTERVAL_US);
}

static int on_terminate(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;

        (void)source;
        /* the motor first, then the words */
        if (session_stop(&m->session) < 0)
                rt_set_setpoint(&m->rt, &(struct setpoint){ .motor_on = false });
        log_info("Received SIG%s, stopped the motor.", sigabbrev_np((int)si->ssi_signo));
        (void)sd_notify(0, "STOPPING=1\nSTATUS=Stopping the motor.");
        return sd_event_exit(sd_event_source_get_event(source), 0);
}

static int setup_event_loop(struct manager *m)
{
        sigset_t mask;
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        /* blocked before the control thread exists, so it inherits the mask
         * and the signals reach the loop's signalfd only */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        r = -pthread_sigmask(SIG_BLOCK, &mask, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to block SIGTERM and SIGINT: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM and SIGINT: %m");

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the systemd watchdog: %m");
        return 0;
}

static int setup_rt(struct manager *m)
{
        struct rt_config config = {
                .control_hz = m->options.control_hz,
                .priority = m->options.rt_priority,
                .cpu = m->options.rt_cpu,
#if defined(__SANITIZE_ADDRESS__)
                /* ASan's shadow memory is terabytes of address space */
                .lock_memory = false,
#else
                .lock_memory = true,
#endif
        };
        int r;

        m->safety = m->settings.safety;
        r = rt_start(&m->rt, &m->gun, &m->settings.control, &m->safety, &config);
        if (r < 0)
                return r;
        r = sd_event_add_io(m->event, &m->rt_event_source, m->rt.event_fd, EPOLLIN, on_rt_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the control thread's events: %m");
        r = sd_event_add_time_relative(m->event, &m->publish_timer, CLOCK_MONOTONIC,
                                       PUBLISH_INTERVAL_US, PUBLISH_ACCURACY_US, on_publish_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the telemetry timer: %m");
        r = sd_event_source_set_enabled(m->publish_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the telemetry timer: %m");
        return 0;
}

/* Defaults < the configuration file < the command line. */
static void apply_config(struct manager *m)
{
        struct options *o = &m->options;
        struct settings *c = &m->settings;

        settings_defaults(c);
        (void)settings_load(c, o->config_file);
        c->hw.module_dir = o->module_dir;
        o->simulate = o->simulate || c->simulate;
        if (!o->control_hz)
                o->control_hz = c->control_hz;
        if (!o->rt_priority)
                o->rt_priority = (int)c->rt_priority;
        if (o->rt_cpu == RT_CPU_UNSET)
                o->rt_cpu = c->rt_cpu;
        cpu_latency_init(&m->cpu_latency, CPU_LATENCY_DEVICE, c->wake_latency_us);
}

/* History and the race record. Without them the gun still works: the
 * failure is logged and GetHistory says so. */
static void open_state(struct manager *m)
{
        char path[PATH_MAX];
        int r;

        m->recovery.p = m->settings.recovery;
        snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, HISTORY_FILE);
        r = history_open(path, &m->history);
        if (r < 0) {
                log_warning_errno(r, "Going on without session history and race record (%s): %m",
                                  path);
                return;
        }
        r = recovery_load(&m->recovery, m->history);
        if (r < 0)
                log_warning_errno(r, "Failed to read the race record from %s: %m", path);
        manager_update_max_intensity(m);
}

static void manager_free(struct manager *m)
{
        led_status_stop(&m->led_status);
        button_input_stop(&m->button_input);
        m->step_timer = sd_event_source_disable_unref(m->step_timer);
        manager_finish_clear(m, -ESHUTDOWN);
        m->publish_timer = sd_event_source_disable_unref(m->publish_timer);
        power_close(m);
        m->rt_event_source = sd_event_source_disable_unref(m->rt_event_source);
        rt_stop(&m->rt);
        cpu_latency_release(&m->cpu_latency);
        gun_close(&m->gun);
        sim_board_close(&m->sim_board);
        routines_clear(&m->routines);
        routines_clear(&m->retired);
        m->history = history_close(m->history);
        m->bus = sd_bus_flush_close_unref(m->bus);
        m->event = sd_event_unref(m->event);
}

/* What the simulated board was left doing, for the log of a safe-stop. */
static void report_sim_board(const struct manager *m)
{
        char path[PATH_MAX];
        struct sim_board board;
        uint64_t now_ns = monotonic_now_ns(NULL), deadline_ns;

        snprintf(path, sizeof(path), "%s/%s", m->options.state_dir, SIM_BOARD_FILE);
        if (sim_board_open(&board, path) < 0)
                return;
        deadline_ns = atomic_load(&board.regs->enable_deadline_ns);
        if (atomic_load(&board.regs->enable))
                log_info("The simulated board was left with the motor enabled, duty %.2f, stroke "
                         "position %.2f; its enable lease %s %.0f ms%s.",
                         atomic_load(&board.regs->duty), atomic_load(&board.regs->stroke_position),
                         now_ns < deadline_ns ? "runs out in" : "ran out",
                         (double)(now_ns < deadline_ns ? deadline_ns - now_ns : now_ns - deadline_ns) * 1e-6,
                         now_ns < deadline_ns ? "" : " ago");
        sim_board_close(&board);
}

/* ExecStopPost=: whatever happened to the daemon (SIGKILL, a crash, the
 * watchdog), the actuators it drove are told to stop, directly, without the
 * control thread or the bus. */
static int safe_stop(struct manager *m)
{
        int r, r2;

        apply_config(m);
        if (m->options.simulate)
                report_sim_board(m);
        r = open_gun(m);
        if (r < 0)
                return log_error_errno(r, "Safe stop: could not open the actuators; the motor "
                                       "may still run: %m");
        r = control_safe_state(&m->gun);
        r2 = m->gun.stroke.ops->set_position(&m->gun.stroke, 0.0);
        if (r < 0)
                return log_error_errno(r, "Safe stop: the motor driver refused duty 0 and "
                                       "enable off: %m");
        if (r2 < 0)
                return log_error_errno(r2, "Safe stop: the stroke actuator refused its rest "
                                       "position: %m");
        log_info("Safe stop: motor duty 0 and enable off, stroke actuator at its shortest.");
        return 0;
}

static int run(struct manager *m)
{
        int r;

        r = setup_event_loop(m);
        if (r < 0)
                return r;
        apply_config(m);

        r = routines_load(&m->routines, m->options.profile_dirs, m->options.n_profile_dirs);
        if (r < 0)
                return log_error_errno(r, "Failed to load routines: %m");
        if (m->routines.count == 0)
                log_warning("No routine loaded from %s%s: Start will refuse every routine.",
                            m->options.profile_dirs[0],
                            m->options.n_profile_dirs > 1 ? " and the other directories" : "");

        r = open_gun(m);
        if (r < 0)
                return r;
        r = setup_rt(m);
        if (r < 0)
                return r;
        session_init(&m->session, &manager_session_ops, m);
        open_state(m);
        r = button_input_start(&m->button_input, m->event, &m->gun.buttons, manager_on_gesture, m);
        if (r < 0)
                return r;
        r = led_status_start(&m->led_status, m->event, &m->gun.leds);
        if (r < 0)
                return r;
        r = power_setup(m);
        if (r < 0)
                return r;

        r = bus_setup(m);
        if (r < 0)
                return r;

        (void)sd_notify(0, "READY=1");
        service_status_notify(m);
        log_info("Ready: %zu routines, %s on the bus.", m->routines.count, BUS_NAME);

        return sd_event_loop(m->event);
}

int main(int argc, char *argv[])
{
        static struct manager m; /* static: the simulated gun and the rt state are large */
        int r;

        cpu_latency_init(&m.cpu_latency, CPU_LATENCY_DEVICE, -1);
        r = parse_argv(argc, argv, &m.options);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        log_set_max_level(m.options.log_level);

        r = m.options.safe_stop ? safe_stop(&m) : run(&m);
        manager_free(&m);
        if (r < 0) {
                (void)sd_notifyf(0, "ERRNO=%d", -r);
                return EXIT_FAILURE;
        }
        if (!m.options.safe_stop)
                log_info("Stopped.");
        return EXIT_SUCCESS;
}
