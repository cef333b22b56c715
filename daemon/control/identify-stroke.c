/* SPDX-License-Identifier: MIT */
#include "identify-stroke.h"

#include <errno.h>

int identify_stroke_gain(const struct identify_sums *sums, double stroke_min_mm,
                         double stroke_max_mm, double *gain)
{
        const double stroke_mm[2] = { stroke_min_mm, stroke_max_mm };
        double num = 0.0, den = 0.0;

        for (int end = 0; end < 2; end++) {
                double ratio_mm;

                if (sums->end_revolutions[end] == 0 || !(sums->end_head_s2[end] > 0.0))
                        return -EDOM;
                /* stroke = gain × ratio: ratio = −in_phase / h, in mm */
                ratio_mm = -sums->end_in_phase_m_s2[end] / sums->end_head_s2[end] * 1e3;
                if (!(ratio_mm > 0.0))
                        return -EDOM;
                num += stroke_mm[end] * ratio_mm;
                den += ratio_mm * ratio_mm;
        }
        *gain = num / den;
        return 0;
}

int identify_stroke_sensor_map(const struct identify_sums *sums, double gain,
                               struct stroke_sensor_map *map)
{
        struct stroke_sensor_map measured = { .count = 2 };
        unsigned bad_point;

        for (int end = 0; end < 2; end++) {
                if (sums->end_sensor_samples[end] == 0)
                        return -ENODATA;
                if (sums->end_revolutions[end] == 0 || !(sums->end_head_s2[end] > 0.0))
                        return -EDOM;
                measured.volts[end] = sums->end_sensor_v[end] / sums->end_sensor_samples[end];
                measured.stroke_mm[end] = -gain * sums->end_in_phase_m_s2[end] / sums->end_head_s2[end] * 1e3;
        }
        if (stroke_sensor_map_check(&measured, &bad_point) < 0)
                return -EINVAL;
        *map = measured;
        return 0;
}
