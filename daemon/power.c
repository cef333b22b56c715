/* SPDX-License-Identifier: MIT */
#include "power.h"

#include <errno.h>
#include <math.h>

#include "daemon/session/battery-policy.h"

#include "manager.h"

#define POLL_ACCURACY_US (5 * 1000000ull)

bool power_battery_changed(double published_percent, bool published_charging, double percent,
                           bool charging)
{
        if (charging != published_charging || isnan(percent) != isnan(published_percent))
                return true;
        return !isnan(percent) && fabs(percent - published_percent) >= 1.0;
}

static void arm_charging_poll(struct manager *m, bool charging)
{
        if (!m->battery_timer)
                return;
        if (!charging) {
                (void)sd_event_source_set_enabled(m->battery_timer, SD_EVENT_OFF);
                return;
        }
        if (sd_event_source_set_time_relative(m->battery_timer, POWER_CHARGING_POLL_US) >= 0)
                (void)sd_event_source_set_enabled(m->battery_timer, SD_EVENT_ONESHOT);
}

/* The pack's use as measured over each minute or more of percussion,
 * for the next Start's estimate. */
static void measure_use(struct manager *m, double percent)
{
        double elapsed_s = session_elapsed_s(&m->session), use;

        if (m->session.state != SESSION_RUNNING || isnan(percent)) {
                m->battery_mark_percent = NAN;
                return;
        }
        if (isnan(m->battery_mark_percent)) {
                m->battery_mark_percent = percent;
                m->battery_mark_elapsed_s = elapsed_s;
                return;
        }
        use = battery_policy_measured_use(m->battery_mark_percent, percent,
                                          elapsed_s - m->battery_mark_elapsed_s);
        if (isnan(use))
                return;
        m->battery_use_percent_per_min = use;
        m->battery_mark_percent = percent;
        m->battery_mark_elapsed_s = elapsed_s;
}

void power_check_battery(struct manager *m)
{
        struct battery_reading now = manager_battery(m);

        if (power_battery_changed(m->published_battery.percent, m->published_battery.charging,
                                  now.percent, now.charging)) {
                m->published_battery = now;
                MANAGER_REPORT(m, battery_changed);
        }
        measure_use(m, now.percent);
        if (battery_policy_apply(&m->settings.power, &m->session, now.percent))
                led_status_battery_low(&m->led_status, true, m->session.state,
                                       session_effective_intensity(&m->session));
        arm_charging_poll(m, now.charging);
}

int power_may_start(struct manager *m, const struct profile *profile)
{
        struct battery_reading now = manager_battery(m);

        m->led_status.battery_low = false;
        return battery_policy_may_start(&m->settings.power, now.percent, now.charging,
                                        profile->steps[0].duration_s,
                                        m->battery_use_percent_per_min, m->power_refusal,
                                        sizeof(m->power_refusal));
}

static int on_charging_poll(sd_event_source *source, uint64_t usec, void *userdata)
{
        (void)source, (void)usec;
        power_check_battery(userdata);
        return 0;
}

int power_setup(struct manager *m)
{
        int r;

        m->published_battery = manager_battery(m);
        m->battery_use_percent_per_min = m->settings.power.use_percent_per_min;
        m->battery_mark_percent = NAN;
        m->session.max_percussion_s = m->settings.power.max_percussion_s;
        m->session.idle_off_s = m->settings.power.idle_off_s;
        r = sd_event_add_time_relative(m->event, &m->battery_timer, CLOCK_MONOTONIC,
                                       POWER_CHARGING_POLL_US, POLL_ACCURACY_US, on_charging_poll,
                                       m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the battery's charging timer: %m");
        arm_charging_poll(m, m->published_battery.charging);
        return 0;
}

void power_close(struct manager *m)
{
        m->battery_timer = sd_event_source_disable_unref(m->battery_timer);
}
