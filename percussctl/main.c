/* SPDX-License-Identifier: MIT */
/*
 * percussctl: ask and drive percussd over D-Bus (io.percussd.Massager1,
 * ../shared/design/DBUS.md). This file reads the command line and hands
 * it to one of the commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "commands.h"
#include "config.h"
#include "output.h"

bool arg_clear;

static void print_help(void)
{
        printf("Usage: percussctl [OPTION]... [COMMAND] [ARGUMENT]...\n"
               "Ask and drive percussd, the daemon of the percussion massage gun.\n"
               "\n"
               "Commands:\n"
               "  status            what the gun is doing, on one screen (the default)\n"
               "  watch             the same, redrawn whenever something changes, until\n"
               "                    Ctrl-C (status 0) or until percussd goes away (3)\n"
               "  list              the routines: id and title\n"
               "  show ROUTINE      a routine's title and steps\n"
               "  start ROUTINE     play a routine from its first step\n"
               "  stop              stop the session; it goes into the history\n"
               "  pause             stop the motor, keep the place in the routine\n"
               "  resume            go on with a paused or waiting session\n"
               "  next              skip to the next step\n"
               "  intensity [N]     set the intensity to N, 1 (gentle) to 5 (strong);\n"
               "                    without N show it and today's maximum\n"
               "  history [N]       the last N sessions (default 10), newest first\n"
               "  race [WHEN]       you finished a race at WHEN (default now): for a day\n"
               "                    only gentle routines, then the intensity comes back\n"
               "                    over the next days. WHEN is local time, one of:\n"
               "                      now, today, yesterday, today 18:30, yesterday 10:00,\n"
               "                      09:30, 2026-11-22, 2026-11-22 09:30, @SECONDS\n"
               "  clear-race        forget the recorded race (also: race --clear)\n"
               "  clear-fault       leave the fault state once its cause is gone\n"
               "  reload            re-read the routine files\n"
               "  calibrate         bring the gun up: in the air, held still and level,\n"
               "                    then head down when asked; about 25 s; shows what\n"
               "                    it measured (status 1 if it failed, and why)\n"
               "  calibration       what the last calibration measured\n"
               "\n"
               "Options:\n"
               "      --system      talk to percussd on the system bus (the default)\n"
               "      --user        talk to it on your session bus (also --session-bus)\n"
               "      --address=ADDRESS\n"
               "                    talk to it on the bus at ADDRESS, e.g.\n"
               "                    unix:path=/tmp/percussd-demo/bus\n"
               "  -j, --json        machine output: status, list, show, history and\n"
               "                    intensity print JSON on stdout, watch one JSON\n"
               "                    object per line, and errors go to stderr as\n"
               "                    {\"error\": NAME, \"message\": SENTENCE}, where NAME\n"
               "                    is the D-Bus error name (or \"usage\")\n"
               "      --clear       with race: forget the race\n"
               "  -h, --help        show this help and exit\n"
               "      --version     show the version and exit\n"
               "\n"
               "Anyone may ask for the status and the routines and watch; the history,\n"
               "and whatever moves the motor or changes a setting, are for root and\n"
               "the percussd group.\n"
               "\n"
               "Exit status:\n"
               "  0  done\n"
               "  1  percussd refused; its reason is printed (no such routine, busy, ...)\n"
               "  2  the command line is wrong\n"
               "  3  percussd cannot be reached: no bus, or percussd not running on it\n"
               "  4  not permitted\n");
}

enum {
        ARG_SYSTEM = 0x100,
        ARG_USER,
        ARG_ADDRESS,
        ARG_CLEAR,
        ARG_VERSION,
        ARG_LIST_IDS,
};

struct command {
        const char *name;
        int min_args, max_args;
        const char *arguments;  /* for the usage error */
        int (*run)(struct bus_client *c, int argc, char **argv);
};

static const struct command commands[] = {
        { "status", 0, 0, "", command_status },
        { "watch", 0, 0, "", command_watch },
        { "list", 0, 0, "", command_list },
        { "show", 1, 1, "ROUTINE", command_show },
        { "start", 1, 1, "ROUTINE", command_start },
        { "stop", 0, 0, "", command_stop },
        { "pause", 0, 0, "", command_pause },
        { "resume", 0, 0, "", command_resume },
        { "next", 0, 0, "", command_next },
        { "intensity", 0, 1, "[N]", command_intensity },
        { "history", 0, 1, "[N]", command_history },
        { "race", 0, 2, "[WHEN]", command_race },
        { "clear-race", 0, 0, "", command_clear_race },
        { "clear-fault", 0, 0, "", command_clear_fault },
        { "reload", 0, 0, "", command_reload },
        { "calibrate", 0, 0, "", command_calibrate },
        { "calibration", 0, 0, "", command_calibration },
};

/* for the shell completion: the routine ids, one a line */
static const struct command list_ids = { "--list-ids", 0, 0, "", command_list_ids };

bool parse_uint32(const char *text, uint32_t *ret)
{
        unsigned long long value;
        char *end;

        errno = 0;
        value = strtoull(text, &end, 10);
        if (errno || end == text || *end || text[0] < '0' || text[0] > '9' || value > UINT32_MAX)
                return false;
        *ret = (uint32_t)value;
        return true;
}

uint32_t parse_number_or_die(const char *what, const char *text, uint32_t min, uint32_t max)
{
        uint32_t value;

        if (!parse_uint32(text, &value) || value < min || value > max)
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "\"%s\" is not a valid %s: give a whole number from %u to %u.", text, what,
                    min, max);
        return value;
}

static const struct command *find_command(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        die(CTL_EXIT_USAGE, CTL_ERROR_USAGE, "Unknown command \"%s\". Try 'percussctl --help'.",
            name);
}

/* Returns the command to run, or NULL when there is nothing more to do. */
static const struct command *parse_argv(int argc, char *argv[], struct bus_client *c)
{
        static const struct option options[] = {
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "user", no_argument, NULL, ARG_USER },
                { "session-bus", no_argument, NULL, ARG_USER },
                { "address", required_argument, NULL, ARG_ADDRESS },
                { "json", no_argument, NULL, 'j' },
                { "clear", no_argument, NULL, ARG_CLEAR },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "list-ids", no_argument, NULL, ARG_LIST_IDS },
                {}
        };
        enum bus_kind kind = BUS_SYSTEM;
        const char *address = NULL;
        const struct command *command = NULL;
        bool want_ids = false;
        int c_opt, n_args;

        opterr = 0;     /* die() words the errors, as JSON with --json */
        /* first pass for --json alone, so that every error after it obeys it */
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
                        arg_json = true;

        while ((c_opt = getopt_long(argc, argv, ":jh", options, NULL)) >= 0) {
                switch (c_opt) {
                case ARG_SYSTEM:
                        kind = BUS_SYSTEM;
                        break;
                case ARG_USER:
                        kind = BUS_USER;
                        break;
                case ARG_ADDRESS:
                        kind = BUS_ADDRESS;
                        address = optarg;
                        break;
                case 'j':
                        arg_json = true;
                        break;
                case ARG_CLEAR:
                        arg_clear = true;
                        break;
                case 'h':
                        print_help();
                        return NULL;
                case ARG_VERSION:
                        printf("percussctl %s\n", PACKAGE_VERSION);
                        return NULL;
                case ARG_LIST_IDS:
                        want_ids = true;
                        break;
                case ':':
                        die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                            "Option %s needs a value. Try 'percussctl --help'.", argv[optind - 1]);
                default:
                        if (optopt)
                                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                                    "Unknown option -%c. Try 'percussctl --help'.", optopt);
                        die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                            "Unknown option %s. Try 'percussctl --help'.", argv[optind - 1]);
                }
        }
        bus_client_init(c, kind, address);

        if (want_ids)
                command = &list_ids;
        else if (optind < argc)
                command = find_command(argv[optind++]);
        else
                command = &commands[0];
        n_args = argc - optind;
        if (n_args < command->min_args)
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "%s is missing: percussctl %s %s. Try 'percussctl --help'.",
                    command->arguments, command->name, command->arguments);
        if (n_args > command->max_args)
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "Too many arguments from \"%s\" on: percussctl %s%s%s. Try 'percussctl --help'.",
                    argv[optind + command->max_args], command->name,
                    *command->arguments ? " " : "", command->arguments);
        if (arg_clear && strcmp(command->name, "race") != 0)
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "--clear goes with race only. Try 'percussctl --help'.");
        return command;
}

int main(int argc, char *argv[])
{
        struct bus_client client;
        const struct command *command;
        int status;

        /* µs and ppm need no 17 digits */
        json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
        command = parse_argv(argc, argv, &client);
        if (!command)
                return EXIT_SUCCESS;
        status = command->run(&client, argc - optind, argv + optind);
        bus_client_close(&client);
        return status;
}
