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
