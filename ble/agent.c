/* SPDX-License-Identifier: MIT */
#include "agent.h"

#include "bus-names.h"
#include "common/log.h"

static int reject(sd_bus_message *msg, const char *device, const char *what)
{
        log_notice("Refused %s of %s: the pairing window is closed (hold plus and minus 3 s to open it).",
                   what, device);
        return sd_bus_reply_method_errorf(msg, BLUEZ_ERROR_REJECTED,
                                          "The gun's pairing window is closed.");
}

/* Just Works pairing of a phone, the service authorisations of a device,
 * a passkey comparison: inside the window yes, outside no. */
static int authorize(sd_bus_message *msg, struct agent *a, const char *what)
{
        const char *device;
        int r = sd_bus_message_read(msg, "o", &device);

        if (r < 0)
                return r;
        if (!a->window_open(a->userdata))
                return reject(msg, device, what);
        log_info("Accepted %s of %s in the pairing window.", what, device);
        r = sd_bus_reply_method_return(msg, NULL);
        a->paired(a->userdata, device);
        return r;
}

static int method_request_authorization(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        (void)error;
        return authorize(msg, userdata, "the pairing");
}

static int method_request_confirmation(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        (void)error;
        return authorize(msg, userdata, "the passkey confirmation");
}

static int method_authorize_service(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        (void)error;
        return authorize(msg, userdata, "a service authorisation");
}

/* The gun cannot show or type a PIN or passkey. */
static int method_no_input(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        const char *device;
        int r = sd_bus_message_read(msg, "o", &device);

        (void)userdata, (void)error;
        if (r < 0)
                return r;
        log_notice("Refused a PIN or passkey request of %s: the gun has no keypad.", device);
        return sd_bus_reply_method_errorf(msg, BLUEZ_ERROR_REJECTED, "The gun has no keypad.");
}

static int method_nothing(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        (void)userdata, (void)error;
        return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Release", NULL, NULL, method_nothing, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Cancel", NULL, NULL, method_nothing, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RequestAuthorization", SD_BUS_ARGS("o", device), SD_BUS_NO_RESULT,
                                method_request_authorization, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RequestConfirmation", SD_BUS_ARGS("o", device, "u", passkey),
                                SD_BUS_NO_RESULT, method_request_confirmation,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AuthorizeService", SD_BUS_ARGS("o", device, "s", uuid),
                                SD_BUS_NO_RESULT, method_authorize_service, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RequestPinCode", SD_BUS_ARGS("o", device), SD_BUS_RESULT("s", pincode),
                                method_no_input, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RequestPasskey", SD_BUS_ARGS("o", device), SD_BUS_RESULT("u", passkey),
                                method_no_input, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int agent_start(struct agent *a, sd_bus *bus, bool (*window_open)(void *userdata),
                void (*paired)(void *userdata, const char *device), void *userdata)
{
        int r;

        *a = (struct agent){ .window_open = window_open, .paired = paired, .userdata = userdata };
        r = sd_bus_add_object_vtable(bus, &a->slot, BLE_AGENT_PATH, BLUEZ_AGENT_INTERFACE,
                                     agent_vtable, a);
        if (r < 0)
                return log_error_errno(r, "Failed to export the pairing agent at %s: %m", BLE_AGENT_PATH);
        return 0;
}

void agent_stop(struct agent *a)
{
        a->slot = sd_bus_slot_unref(a->slot);
}
