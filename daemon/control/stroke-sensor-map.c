/* SPDX-License-Identifier: MIT */
#include "stroke-sensor-map.h"

#include <errno.h>
#include <math.h>

static double sign(double v)
{
        return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : 0.0;
}

int stroke_sensor_map_check(const struct stroke_sensor_map *map, unsigned *bad_point)
{
        double volts_way = 0.0, stroke_way = 0.0;

        if (map->count < 2 || map->count > STROKE_SENSOR_MAP_POINTS) {
                *bad_point = map->count;
                return -EINVAL;
        }
        for (unsigned i = 0; i < map->count; i++) {
                if (!isfinite(map->volts[i]) || !isfinite(map->stroke_mm[i]) || map->stroke_mm[i] < 0.0) {
                        *bad_point = i;
                        return -EINVAL;
                }
                if (i == 0)
                        continue;
                if (i == 1) {
                        volts_way = sign(map->volts[1] - map->volts[0]);
                        stroke_way = sign(map->stroke_mm[1] - map->stroke_mm[0]);
                }
                /* strictly one way: a flat stretch would give one voltage two strokes */
                if (volts_way == 0.0 || stroke_way == 0.0 ||
                    sign(map->volts[i] - map->volts[i - 1]) != volts_way ||
                    sign(map->stroke_mm[i] - map->stroke_mm[i - 1]) != stroke_way) {
                        *bad_point = i;
                        return -EINVAL;
                }
        }
        return 0;
}

bool stroke_sensor_map_stroke(const struct stroke_sensor_map *map, double volts, double *stroke_mm)
{
        unsigned last, segment = 0;
        double first_v, last_v, margin_v, ratio;

        if (map->count < 2 || map->count > STROKE_SENSOR_MAP_POINTS)
                return false;
        last = map->count - 1;
        first_v = map->volts[0];
        last_v = map->volts[last];
        margin_v = STROKE_SENSOR_MAP_MARGIN * fabs(last_v - first_v);
        if (!(volts >= fmin(first_v, last_v) - margin_v && volts <= fmax(first_v, last_v) + margin_v))
                return false;
        /* the segment the reading falls in; the end ones carry on past the ends */
        while (segment + 1 < last &&
               (map->volts[segment + 1] - volts) * (map->volts[segment + 1] - map->volts[0]) <= 0.0)
                segment++;
        ratio = (volts - map->volts[segment]) / (map->volts[segment + 1] - map->volts[segment]);
        *stroke_mm = map->stroke_mm[segment] + ratio * (map->stroke_mm[segment + 1] - map->stroke_mm[segment]);
        return true;
}
