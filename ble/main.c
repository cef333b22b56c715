/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bridge.h"
#include "bus-names.h"
#include "common/log.h"
#include "common/cleanup.h"
#include "ble-config.h"

struct options {
        const char *config_path;
        const char *bus_address;        /* NULL: the system bus */
        bool debug;
};

static void print_help(void)
{
        printf("Usage: percussd-ble [OPTION]...\n"
               "The Bluetooth LE bridge of the percussd massage gun: a GATT peripheral\n"
               "through BlueZ, and a client of io.percussd.Massager1 (docs/ble.md).\n"
               "\n"
               "  -c, --config=FILE         read the settings from FILE; default:\n"
               "                            %s (a missing file means the defaults)\n"
               "      --bus-address=ADDRESS use the bus at ADDRESS instead of the system bus\n"
               "                            (percussd and bluetoothd must both be on it)\n"
               "  -v, --verbose             log debug lines too\n"
               "  -h, --help                show this help\n"
               "      --version             show the version\n",
               BLE_CONFIG_PATH);
}

enum { OPT_BUS_ADDRESS = 0x100, OPT_VERSION };

static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option long_options[] = {
                { "config", required_argument, NULL, 'c' },
                { "bus-address", required_argument, NULL, OPT_BUS_ADDRESS },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        int c;

        *o = (struct options){ .config_path = BLE_CONFIG_PATH };
        while ((c = getopt_long(argc, argv, "c:vh", long_options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case OPT_BUS_ADDRESS:
                        o->bus_address = optarg;
                        break;
                case 'v':
                        o->debug = true;
                        break;
                case 'h':
                        print_help();
                        return 0;
                case OPT_VERSION:
                        printf("percussd-ble %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "percussd-ble: unexpected argument '%s'; see --help.\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int open_bus(const struct options *o, sd_bus **ret)
{
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (!o->bus_address)
                return sd_bus_open_system_with_description(ret, "percussd-ble");
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, o->bus_address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = bus;
        bus = NULL;
        return 0;
}

static int on_terminate(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
        (void)si, (void)userdata;
        log_info("Stopping.");
        return sd_event_exit(sd_event_source_get_event(source), 0);
}

static int run(const struct options *o)
{
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct ble_config config;
        struct bridge bridge = { 0 };
        sigset_t mask;
        int r;

        ble_config_defaults(&config);
        r = ble_config_load(&config, o->config_path);
        if (r < 0)
                return r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_terminate, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_terminate, NULL);
        if (r >= 0)
                r = sd_event_set_watchdog(event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        r = open_bus(o, &bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to %s: %m",
                                       o->bus_address ? o->bus_address : "the system bus");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        r = bridge_start(&bridge, &config, event, bus);
        if (r >= 0) {
                r = sd_bus_request_name(bus, BLE_BUS_NAME, 0);
                if (r < 0)
                        log_error_errno(r, "Failed to take the name %s (is the D-Bus policy "
                                        "io.percussd.Ble1.conf installed?): %m", BLE_BUS_NAME);
        }
        if (r >= 0) {
                (void)sd_notify(0, "READY=1");
                r = sd_event_loop(event);
                (void)sd_notify(0, "STOPPING=1");
        }
        bridge_stop(&bridge);
        return r;
}

int main(int argc, char **argv)
{
        struct options o;
        int r = parse_args(argc, argv, &o);

        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (o.debug)
                log_set_max_level(LOG_LEVEL_DEBUG);
        r = run(&o);
        return r < 0 ? 1 : 0;
}
