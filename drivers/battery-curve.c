/* SPDX-License-Identifier: MIT */
#include "battery-curve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int bad(char *error, size_t error_size, unsigned point, const char *what)
{
        snprintf(error, error_size, "point %u %s", point, what);
        return -EINVAL;
}

int battery_curve_parse(struct battery_curve *curve, const char *text, char *error,
                        size_t error_size)
{
        struct battery_curve c = {0};
        const char *p = text;

        if (!*text)
                return bad(error, error_size, 1, "is missing: a curve needs two or more");
        for (;;) {
                unsigned n = c.count + 1;
                char *end;
                double v, pc;

                if (c.count == BATTERY_CURVE_POINTS)
                        return bad(error, error_size, n, "is one too many (at most 16)");
                errno = 0;
                v = strtod(p, &end);
                if (end == p || *end != ':' || errno || !isfinite(v) || v <= 0)
                        return bad(error, error_size, n, "has no voltage:percent, as in 3.7:50");
                p = end + 1;
                pc = strtod(p, &end);
                if (end == p || (*end && *end != ',') || errno || !(pc >= 0 && pc <= 100))
                        return bad(error, error_size, n, "has no percentage 0–100 after its voltage");
                if (c.count > 0 && v <= c.cell_v[c.count - 1])
                        return bad(error, error_size, n, "is not above the voltage before it");
                if (c.count > 0 && pc < c.percent[c.count - 1])
                        return bad(error, error_size, n, "has less charge than the point before it");
                c.cell_v[c.count] = v;
                c.percent[c.count] = pc;
                c.count++;
                if (!*end)
                        break;
                p = end + 1;
        }
        if (c.count < 2)
                return bad(error, error_size, c.count + 1, "is missing: a curve needs two or more");
        *curve = c;
        return 0;
}

double battery_curve_percent(const struct battery_curve *curve, double cell_v)
{
        unsigned i;

        if (cell_v <= curve->cell_v[0])
                return curve->percent[0];
        for (i = 1; i < curve->count; i++)
                if (cell_v <= curve->cell_v[i]) {
                        double f = (cell_v - curve->cell_v[i - 1]) /
                                   (curve->cell_v[i] - curve->cell_v[i - 1]);

                        return curve->percent[i - 1] + f * (curve->percent[i] - curve->percent[i - 1]);
                }
        return curve->percent[curve->count - 1];
}

double battery_curve_cell_v(const struct battery_curve *curve, double percent)
{
        unsigned i;

        if (percent <= curve->percent[0])
                return curve->cell_v[0];
        for (i = 1; i < curve->count; i++)
                if (percent <= curve->percent[i]) {
                        double f = (percent - curve->percent[i - 1]) /
                                   (curve->percent[i] - curve->percent[i - 1]);

                        return curve->cell_v[i - 1] + f * (curve->cell_v[i] - curve->cell_v[i - 1]);
                }
        return curve->cell_v[curve->count - 1];
}
