/* SPDX-License-Identifier: MIT */
/* Driving the session: start, stop, pause, resume, next, clear-fault, intensity. */
#include <stdio.h>

#include "commands.h"
#include "output.h"
#include "properties.h"

static int call_no_args(struct bus_client *c, const char *method)
{
        sd_bus_message_unref(massager_call(c, method, NULL));
        return 0;
}

int command_start(struct bus_client *c, int argc, char **argv)
{
        (void)argc;
        sd_bus_message_unref(massager_call(c, "Start", "s", argv[0]));
        return 0;
}

int command_stop(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        return call_no_args(c, "Stop");
}

int command_pause(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        return call_no_args(c, "Pause");
}

int command_resume(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        return call_no_args(c, "Resume");
}

int command_next(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        return call_no_args(c, "Next");
}

int command_clear_fault(struct bus_client *c, int argc, char **argv)
{
        (void)argc, (void)argv;
        return call_no_args(c, "ClearFault");
}

static void print_intensity(struct bus_client *c)
{
        _cleanup_(json_object_putp) json_object *props = json_object_new_object();
        uint64_t intensity, max_intensity;

        json_object_object_add(props, "Intensity", massager_get_property(c, "Intensity"));
        json_object_object_add(props, "MaxIntensity", massager_get_property(c, "MaxIntensity"));
        if (arg_json) {
                json_print(props);
                return;
        }
        if (!prop_uint(props, "Intensity", &intensity))
                return;
        if (prop_uint(props, "MaxIntensity", &max_intensity))
                printf("%llu (at most %llu today)\n", (unsigned long long)intensity,
                       (unsigned long long)max_intensity);
        else
                printf("%llu\n", (unsigned long long)intensity);
}

int command_intensity(struct bus_client *c, int argc, char **argv)
{
        uint32_t intensity;

        if (argc == 0) {
                print_intensity(c);
                return 0;
        }
        /* any number goes to the daemon, whose refusal says what is allowed
         * today; only what is not a number at all is a usage error */
        if (!parse_uint32(argv[0], &intensity))
                die(CTL_EXIT_USAGE, CTL_ERROR_USAGE,
                    "\"%s\" is not an intensity: give a whole number from 1 (gentle) to 5 "
                    "(strong).", argv[0]);
        massager_set_property(c, "Intensity", "u", intensity);
        return 0;
}
