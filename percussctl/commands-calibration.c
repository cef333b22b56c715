/* SPDX-License-Identifier: MIT */
/* Bring-up: calibrate (Calibrate, followed until it ends) and calibration
 * (GetCalibration). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "properties.h"

/* Calibrate's steps last seconds: a look twice a second is enough. */
#define CALIBRATION_POLL_USEC 500000

int command_calibrate(struct bus_client *c, int argc, char **argv)
{
        char last_notice[512] = "";

        (void)argc, (void)argv;
        sd_bus_message_unref(massager_call(c, "Calibrate", NULL));
        for (;;) {
                _cleanup_(json_object_putp) json_object *props = json_object_new_object();
                const char *state, *notice;
                double progress = 0.0;

                json_object_object_add(props, "CalibrationState",
                                       massager_get_property(c, "CalibrationState"));
                json_object_object_add(props, "CalibrationProgress",
                                       massager_get_property(c, "CalibrationProgress"));
                json_object_object_add(props, "Notice", massager_get_property(c, "Notice"));
                state = prop_string(props, "CalibrationState");
                notice = prop_string(props, "Notice");
                (void)prop_double(props, "CalibrationProgress", &progress);
                if (state && strcmp(state, "running") != 0) {
                        if (arg_json)
                                json_print(props);
                        else
                                printf("%s\n", notice ? notice : "");
                        return strcmp(state, "done") == 0 ? 0 : 1;
                }
                if (!arg_json && notice && strcmp(notice, last_notice) != 0) {
                        printf("%3.0f %%  %s\n", 100.0 * progress, notice);
                        fflush(stdout);
                        snprintf(last_notice, sizeof(last_notice), "%s", notice);
                }
                usleep(CALIBRATION_POLL_USEC);
        }
}

int command_calibration(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *figures = json_object_new_object();
        sd_bus_message *reply;
        int r;

        (void)argc, (void)argv;
        reply = massager_call(c, "GetCalibration", NULL);
        r = properties_read(figures, reply);
        sd_bus_message_unref(reply);
        if (r < 0)
                die(1, "org.freedesktop.DBus.Error.InvalidSignature",
                    "GetCalibration's answer cannot be read: %s", strerror(-r));
        if (arg_json) {
                json_print(figures);
                return 0;
        }
        if (json_object_object_length(figures) == 0) {
                printf("No calibration: percussd runs on the configured constants.\n");
                return 0;
        }
        json_object_object_foreach(figures, name, value)
                printf("%-26s %s\n", name, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
        return 0;
}
