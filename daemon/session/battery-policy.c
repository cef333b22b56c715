/* SPDX-License-Identifier: MIT */
#include "battery-policy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "common/log.h"

/* A gauge moves in whole percent: under a minute of play says little. */
#define MEASURE_MIN_S 60.0

void battery_policy_default(struct battery_policy *p)
{
        *p = (struct battery_policy){
                .low_percent = 10.0,
                .critical_percent = 3.0,
                /* the simulated gun's 60 Wh pack at a typical 36 W */
                .use_percent_per_min = 1.0,
                .no_motor_while_charging = false,
                .max_percussion_s = 15 * 60.0,
                .idle_off_s = 10 * 60.0,
        };
}

enum battery_action battery_policy_check(const struct battery_policy *p, double percent)
{
        if (isnan(percent))
                return BATTERY_OK;
        if (percent <= p->critical_percent)
                return BATTERY_CRITICAL;
        if (percent <= p->low_percent)
                return BATTERY_LOW;
        return BATTERY_OK;
}

double battery_policy_needed_percent(const struct battery_policy *p, double duration_s,
                                     double use_percent_per_min)
{
        return p->critical_percent + use_percent_per_min * duration_s / 60.0;
}

int battery_policy_may_start(const struct battery_policy *p, double percent, bool charging,
                             double duration_s, double use_percent_per_min, char *why,
                             size_t why_size)
{
        double needed;

        if (charging && p->no_motor_while_charging) {
                snprintf(why, why_size, "The gun is on its charger, which cannot run the motor; "
                         "unplug it to start.");
                return -ENOSPC;
        }
        if (isnan(percent))
                return 0;
        needed = battery_policy_needed_percent(p, duration_s, use_percent_per_min);
        if (percent >= needed)
                return 0;
        snprintf(why, why_size, "The battery is at %.0f %%; the first step (%.0f s) needs about "
                 "%.0f %%. Charge the gun first.", floor(percent), duration_s, ceil(needed));
        return -ENOSPC;
}

double battery_policy_measured_use(double percent_before, double percent_after, double played_s)
{
        if (!(played_s >= MEASURE_MIN_S) || !(percent_before > percent_after))
                return NAN;
        return (percent_before - percent_after) / (played_s / 60.0);
}

bool battery_policy_apply(const struct battery_policy *p, struct session *s, double percent)
{
        char message[160];

        if (s->state != SESSION_RUNNING && s->state != SESSION_PAUSED &&
            s->state != SESSION_WAITING)
                return false;
        switch (battery_policy_check(p, percent)) {
        case BATTERY_CRITICAL:
                snprintf(message, sizeof(message), "The battery is down to %.0f %%: the motor was "
                         "stopped. Charge the gun.", floor(percent));
                if (s->state == SESSION_RUNNING)
                        session_fault(s, FAULT_BATTERY, message);
                else
                        (void)session_stop(s);
                return false;
        case BATTERY_LOW:
                if (s->stop_after_step || s->state != SESSION_RUNNING)
                        return false;
                log_info("The battery is at %.0f %%: the routine stops after this step.",
                         floor(percent));
                (void)session_stop_after_step(s);
                return true;
        case BATTERY_OK:
                break;
        }
        return false;
}
