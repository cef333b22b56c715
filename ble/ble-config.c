/* SPDX-License-Identifier: MIT */
#include "ble-config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define PAIRING_WINDOW_DEFAULT_S 60
#define PAIRING_WINDOW_MAX_S 600

struct load {
        struct ble_config *config;
        const char *path;
        FILE *file;
        int line;       /* of the line inih handles now: its handler is not told */
};

static char *read_line(char *str, int num, void *userdata)
{
        struct load *load = userdata;
        char *line = fgets(str, num, load->file);

        if (line)
                load->line++;
        return line;
}

void ble_config_defaults(struct ble_config *c)
{
        *c = (struct ble_config){ .pairing_window_s = PAIRING_WINDOW_DEFAULT_S };
        snprintf(c->local_name, sizeof(c->local_name), "percussd");
}

static int on_entry(void *userdata, const char *section, const char *key, const char *value)
{
        struct load *load = userdata;
        int line = load->line;
        struct ble_config *c = load->config;
        char *end;
        unsigned long seconds;

        if (strcmp(section, "Bluetooth") != 0) {
                log_warning("%s:%d: unknown section [%s], skipped.", load->path, line, section);
                return 1;
        }
        if (strcmp(key, "Adapter") == 0) {
                if (strlen(value) >= sizeof(c->adapter) || strchr(value, '/'))
                        log_warning("%s:%d: Adapter=%s is not an adapter name such as hci0, skipped.",
                                    load->path, line, value);
                else
                        snprintf(c->adapter, sizeof(c->adapter), "%s", value);
        } else if (strcmp(key, "Name") == 0) {
                if (!*value || strlen(value) > BLE_NAME_MAX)
                        log_warning("%s:%d: Name=%s must have 1 to %d bytes, skipped.", load->path,
                                    line, value, BLE_NAME_MAX);
                else
                        snprintf(c->local_name, sizeof(c->local_name), "%s", value);
        } else if (strcmp(key, "PairingWindowSec") == 0) {
                errno = 0;
                seconds = strtoul(value, &end, 10);
                if (errno || end == value || *end || seconds < 1 || seconds > PAIRING_WINDOW_MAX_S)
                        log_warning("%s:%d: PairingWindowSec=%s is not 1-%d seconds, skipped.",
                                    load->path, line, value, PAIRING_WINDOW_MAX_S);
                else
                        c->pairing_window_s = (unsigned)seconds;
        } else
                log_warning("%s:%d: unknown key %s, skipped.", load->path, line, key);
        return 1;
}

int ble_config_load(struct ble_config *c, const char *path)
{
        struct load load = { .config = c, .path = path, .file = fopen(path, "re") };
        int r;

        if (!load.file) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Failed to read %s: %m", path);
        }
        r = ini_parse_stream(read_line, &load, on_entry, &load);
        fclose(load.file);
        if (r > 0)
                log_warning("%s:%d: not a key=value line, skipped.", path, r);
        return 0;
}
