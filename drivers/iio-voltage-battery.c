/* SPDX-License-Identifier: MIT */
/*
 * A bare pack on an ADC: its voltage from an IIO channel (in mV once
 * scaled, Documentation/ABI/testing/sysfs-bus-iio), times the resistor
 * divider's ratio, split over the cells in series, through the discharge
 * curve. There is no charger to ask: Charging stays false.
 */
#include <errno.h>
#include <iio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "battery-curve.h"
#include "hw-drivers.h"
#include "iio-input.h"

struct iio_voltage {
        struct iio_context *ctx;
        struct iio_input in;
        struct battery_curve curve;
        double divider;
        unsigned cells;
};

static int iio_voltage_read(struct battery *battery, struct battery_reading *out)
{
        struct iio_voltage *v = battery->data;
        int64_t raw;
        double pack_v;
        int r = iio_input_read_raw(&v->in, &raw);

        if (r < 0)
                return r;
        pack_v = iio_input_value(&v->in, raw) * 1e-3 * v->divider;
        if (!(pack_v > 0))
                return -ERANGE;
        *out = (struct battery_reading){
                .percent = battery_curve_percent(&v->curve, pack_v / v->cells),
                .charging = false,
                .voltage_v = pack_v,
        };
        return 0;
}

static void iio_voltage_close(struct battery *battery)
{
        struct iio_voltage *v = battery->data;

        iio_input_close(&v->in);
        if (v->ctx)
                iio_context_destroy(v->ctx);
        free(v);
        battery->data = NULL;
}

static const struct battery_ops iio_voltage_ops = {
        .name = "iio-voltage",
        .read = iio_voltage_read,
        .close = iio_voltage_close,
};

int iio_voltage_battery_open(struct battery *battery, const struct hw_battery_config *config,
                             char *error, size_t error_size)
{
        struct iio_voltage *v = calloc(1, sizeof(*v));
        struct battery_reading first;
        struct iio_device *dev;
        char curve_error[128];
        int r;

        if (!v)
                return -ENOMEM;
        v->in.raw_fd = -1;
        v->divider = config->divider;
        v->cells = config->cells;
        battery->ops = &iio_voltage_ops;
        battery->data = v;
        r = battery_curve_parse(&v->curve, config->curve, curve_error, sizeof(curve_error));
        if (r < 0)
                snprintf(error, error_size, "[Battery] Curve \"%s\": %s", config->curve, curve_error);
        if (r >= 0)
                r = iio_input_find_device(&v->ctx, config->device, "[Battery] Device", &dev, error,
                                          error_size);
        if (r >= 0)
                r = iio_input_open(&v->in, dev, config->channel, true, "[Battery] Channel", error,
                                   error_size);
        if (r >= 0)
                r = iio_input_open_raw(&v->in, dev, "[Battery] Channel", error, error_size);
        if (r >= 0) {
                r = iio_voltage_read(battery, &first);
                if (r < 0)
                        snprintf(error, error_size, "[Battery] Channel=%s of %s: no voltage to "
                                 "read (%s)", config->channel, config->device, strerror(-r));
        }
        if (r < 0) {
                iio_voltage_close(battery);
                battery->ops = NULL;
                return r;
        }
        return 0;
}
