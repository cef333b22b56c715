/* SPDX-License-Identifier: MIT */
#include "stroke-sensor-watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/stroke-sensor-map-text.h"
#include "manager.h"

/* Which sensor: the IIO device and channel, or the simulated one. */
static void describe_sensor(const struct manager *m, char *text, size_t size)
{
        const struct hw_stroke_sensor_config *c = &m->settings.hw.stroke_sensor;

        if (m->options.simulate || c->driver != HW_REAL)
                snprintf(text, size, "the simulated gun's stroke sensor");
        else
                snprintf(text, size, "the stroke sensor (%s of %s)", c->channel, c->device);
}

static void why_held(const struct manager *m, char *notice, size_t size)
{
        const struct telemetry *tm = &m->telemetry;
        char sensor[HW_NAME_MAX * 2 + 48], map[192];

        describe_sensor(m, sensor, sizeof(sensor));
        if (tm->stroke_sensor_errno == ERANGE) {
                stroke_sensor_map_format(&m->settings.control.stroke_sensor_map, map, sizeof(map));
                snprintf(notice, size, "Amplitude is held at the stroke last measured: %s reads %.3f V, "
                         "outside its map %s ([StrokeSensor] Map, or Calibrate's). The stroke "
                         "actuator stays where it is.", sensor, tm->stroke_sensor_volts, map);
        } else if (tm->stroke_sensor_errno == ETIMEDOUT)
                snprintf(notice, size, "Amplitude is held at the stroke last measured: %s has given "
                         "no new reading for %.0f ms. The stroke actuator stays where it is.", sensor,
                         STROKE_SENSOR_STALE_S * 1e3);
        else
                snprintf(notice, size, "Amplitude is held at the stroke last measured: %s cannot be "
                         "read (%s). The stroke actuator stays where it is.", sensor,
                         strerror(tm->stroke_sensor_errno));
}

/* Told once per cause, with the figures of the moment it began: not again
 * for each reading of a sensor that stays out of its map. */
bool manager_check_stroke_sensor(struct manager *m)
{
        const struct telemetry *tm = &m->telemetry;
        int cause = 0;

        if (!m->gun.stroke_sensor.ops)
                return false;
        if (tm->motor_on && tm->stroke_sensor_errno != 0)
                cause = tm->stroke_sensor_errno;
        else if (tm->stroke_sensor_disagrees)
                cause = STROKE_SENSOR_DISAGREES;
        if (cause == m->stroke_sensor_cause)
                return false;
        m->stroke_sensor_cause = cause;
        if (cause == STROKE_SENSOR_DISAGREES)
                snprintf(m->stroke_sensor_notice, sizeof(m->stroke_sensor_notice), "In the air the IMU "
                         "measures a %.1f mm stroke where the stroke sensor reads %.1f mm: check how the "
                         "sensor is fitted, or run Calibrate to measure its map again.",
                         tm->stroke_sensor_imu_mm, tm->amplitude_mm);
        else if (cause != 0)
                why_held(m, m->stroke_sensor_notice, sizeof(m->stroke_sensor_notice));
        else
                m->stroke_sensor_notice[0] = '\0';
        if (cause != 0)
                log_warning("%s", m->stroke_sensor_notice);
        else if (tm->motor_on)
                log_notice("The stroke sensor reads again: Amplitude is measured by it.");
        return true;
}
