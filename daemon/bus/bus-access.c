/* SPDX-License-Identifier: MIT */
#include "bus-access.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "common/bus-names.h"
#include "common/cleanup.h"

#define CREDENTIALS_TIMEOUT_USEC (1000 * 1000)

void bus_access_init(struct bus_access *a)
{
        struct group *group = getgrnam(BUS_ACCESS_GROUP);

        a->own_uid = geteuid();
        a->has_group = group != NULL;
        a->group_gid = group ? group->gr_gid : 0;
}

/* The caller's user and whether it is in the group, as dbus-daemon knows
 * them (from the socket's credentials when it connected): what its
 * policy decides on, with no race against a process that exits. */
static int sender_identity(const struct bus_access *a, sd_bus_message *message, uid_t *uid,
                           bool *in_group)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        sd_bus *bus = sd_bus_message_get_bus(message);
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *key;
        bool have_uid = false;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetConnectionCredentials");
        if (r >= 0)
                r = sd_bus_message_append(call, "s", sd_bus_message_get_sender(message));
        /* the main loop waits meanwhile: not for long on a bus gone astray */
        if (r >= 0)
                r = sd_bus_call(bus, call, CREDENTIALS_TIMEOUT_USEC, &error, &reply);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        *in_group = false;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "UnixUserID") == 0) {
                        uint32_t u;

                        r = sd_bus_message_read(reply, "v", "u", &u);
                        *uid = (uid_t)u;
                        have_uid = r >= 0;
                } else if (r >= 0 && strcmp(key, "UnixGroupIDs") == 0) {
                        const void *gids;
                        size_t size;

                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r >= 0)
                                r = sd_bus_message_read_array(reply, 'u', &gids, &size);
                        for (size_t i = 0; r >= 0 && i < size / sizeof(uint32_t); i++)
                                if (a->has_group && ((const uint32_t *)gids)[i] == a->group_gid)
                                        *in_group = true;
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return r;
        return have_uid ? 0 : -ENODATA;
}

int bus_access_check(const struct bus_access *a, sd_bus_message *message, const char *action,
                     sd_bus_error *error)
{
        bool in_group = false;
        uid_t uid = (uid_t)-1;
        int r;

        r = sender_identity(a, message, &uid, &in_group);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_ACCESS_DENIED,
                                         "Cannot tell who asked to %s (the bus gave no "
                                         "credentials), so it was refused.",
                                         action);
        if (uid == 0 || uid == a->own_uid || in_group)
                return 0;
        return sd_bus_error_setf(error, BUS_ERROR_ACCESS_DENIED,
                                 "Only root and members of the %s group may %s; uid %u is neither.",
                                 BUS_ACCESS_GROUP, action, (unsigned)uid);
}
