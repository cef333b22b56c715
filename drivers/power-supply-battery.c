/* SPDX-License-Identifier: MIT */
/*
 * A battery gauge the kernel already has: /sys/class/power_supply/<Name>
 * (Documentation/ABI/testing/sysfs-class-power). capacity is the charge
 * in percent; status says Charging, Discharging, Full or Not charging.
 * Where a gauge chip has no capacity, the pack's voltage_now (µV) and the
 * configured curve stand in for it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "battery-curve.h"
#include "hw-drivers.h"
#include "sysfs-attr.h"

#define POWER_SUPPLY_DIR "/sys/class/power_supply"

struct power_supply {
        char capacity[PATH_MAX], status[PATH_MAX], voltage[PATH_MAX];
        bool has_capacity;
        struct battery_curve curve;
        unsigned cells;
};

/* Charging counts the charger's presence the way a user sees it: "Full"
 * on the charger is still on the charger, but draws nothing from it. */
static int read_status(const char *path, bool *charging)
{
        char buf[32];
        int r = sysfs_read_path(path, buf, sizeof(buf));

        if (r < 0)
                return r;
        if (strcmp(buf, "Charging") == 0)
                *charging = true;
        else if (strcmp(buf, "Discharging") == 0 || strcmp(buf, "Not charging") == 0 ||
                 strcmp(buf, "Full") == 0 || strcmp(buf, "Unknown") == 0)
                *charging = false;
        else
                return -EBADMSG;
        return 0;
}

static int read_percent(struct power_supply *ps, double *percent, double *voltage_v)
{
        double v;
        int r;

        if (ps->has_capacity) {
                r = sysfs_read_double_path(ps->capacity, &v);
                if (r < 0)
                        return r;
                if (v < 0 || v > 100)
                        return -ERANGE;
                *percent = v;
                /* a gauge with a capacity may give its voltage too */
                if (sysfs_read_double_path(ps->voltage, &v) >= 0 && v > 0)
                        *voltage_v = v * 1e-6;
                return 0;
        }
        r = sysfs_read_double_path(ps->voltage, &v);
        if (r < 0)
                return r;
        if (v <= 0)
                return -ERANGE;
        *percent = battery_curve_percent(&ps->curve, v * 1e-6 / ps->cells);
        *voltage_v = v * 1e-6;
        return 0;
}

static int power_supply_read(struct battery *battery, struct battery_reading *out)
{
        struct power_supply *ps = battery->data;
        struct battery_reading reading = { .voltage_v = 0.0 };
        int r;

        r = read_percent(ps, &reading.percent, &reading.voltage_v);
        if (r >= 0)
                r = read_status(ps->status, &reading.charging);
        if (r < 0)
                return r;
        *out = reading;
        return 0;
}

static void power_supply_close(struct battery *battery)
{
        free(battery->data);
        battery->data = NULL;
}

static const struct battery_ops power_supply_ops = {
        .name = "power-supply",
        .read = power_supply_read,
        .close = power_supply_close,
};

int power_supply_battery_open(struct battery *battery, const struct hw_battery_config *config,
                              char *error, size_t error_size)
{
        struct power_supply *ps;
        struct battery_reading first;
        char curve_error[128];
        int r;

        if (!*config->name || strchr(config->name, '/')) {
                snprintf(error, error_size, "[Battery] Name \"%s\" is no power supply's name "
                         "(ls " POWER_SUPPLY_DIR ")", config->name);
                return -EINVAL;
        }
        snprintf(curve_error, sizeof(curve_error), POWER_SUPPLY_DIR "/%s", config->name);
        if (access(curve_error, F_OK) < 0) {
                r = -errno;
                snprintf(error, error_size, "[Battery] Name=%s: no %s (ls " POWER_SUPPLY_DIR ")",
                         config->name, curve_error);
                return r;
        }
        ps = calloc(1, sizeof(*ps));
        if (!ps)
                return -ENOMEM;
        snprintf(ps->capacity, sizeof(ps->capacity), POWER_SUPPLY_DIR "/%s/capacity", config->name);
        snprintf(ps->status, sizeof(ps->status), POWER_SUPPLY_DIR "/%s/status", config->name);
        snprintf(ps->voltage, sizeof(ps->voltage), POWER_SUPPLY_DIR "/%s/voltage_now", config->name);
        ps->cells = config->cells;
        ps->has_capacity = sysfs_read_double_path(ps->capacity, &(double){0}) != -ENOENT;
        if (!ps->has_capacity) {
                r = battery_curve_parse(&ps->curve, config->curve, curve_error, sizeof(curve_error));
                if (r < 0) {
                        snprintf(error, error_size, "[Battery] Curve \"%s\": %s", config->curve,
                                 curve_error);
                        free(ps);
                        return r;
                }
        }
        battery->ops = &power_supply_ops;
        battery->data = ps;

        /* a gauge that cannot be read now is a wrong name or a wrong file, not a passing fault */
        r = read_percent(ps, &first.percent, &first.voltage_v);
        if (r < 0) {
                snprintf(error, error_size, "[Battery] Name=%s: cannot read a charge from %s: %s",
                         config->name, ps->has_capacity ? ps->capacity : ps->voltage,
                         r == -EINVAL || r == -ERANGE ? "not a percentage or voltage" : strerror(-r));
                power_supply_close(battery);
                battery->ops = NULL;
                return r;
        }
        r = read_status(ps->status, &first.charging);
        if (r < 0) {
                snprintf(error, error_size, "[Battery] Name=%s: cannot read %s: %s", config->name,
                         ps->status, r == -EBADMSG ?
                         "not Charging, Discharging, Full or Not charging" : strerror(-r));
                power_supply_close(battery);
                battery->ops = NULL;
                return r;
        }
        return 0;
}
