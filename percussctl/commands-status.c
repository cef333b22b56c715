/* SPDX-License-Identifier: MIT */
/* status: what the gun is doing, on one screen. */
#include <stdio.h>

#include "commands.h"
#include "output.h"
#include "status-view.h"

int command_status(struct bus_client *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *props = massager_get_properties(c);

        (void)argc, (void)argv;
        if (arg_json)
                json_print(props);
        else
                status_view_print(stdout, props);
        return 0;
}
