/* SPDX-License-Identifier: MIT */
#include "watchdog.h"

#include <systemd/sd-daemon.h>

#include "manager.h"

static int on_beat(sd_event_source *source, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        (void)usec;
        if (m->watchdog_armed)
                (void)sd_notify(0, "WATCHDOG=1");
        /* a fault already put the gun in the safe state and the loop
         * watched its crank: there is nothing more a look could do */
        if (m->session.state != SESSION_FAULT)
                rt_look(&m->rt);
        return sd_event_source_set_time_relative(source, m->watchdog_beat_usec);
}

int watchdog_start(struct manager *m)
{
        uint64_t watchdog_usec = 0;
        int r;

        r = sd_watchdog_enabled(0, &watchdog_usec);
        if (r < 0)
                log_warning_errno(r, "WATCHDOG_USEC or WATCHDOG_PID is not understood, no "
                                  "keep-alive is sent: %m");
        m->watchdog_armed = r > 0;
        m->watchdog_beat_usec = m->watchdog_armed ? watchdog_usec / 2 : WATCHDOG_BEAT_DEFAULT_USEC;
        /* as sd-event's own watchdog: anywhere between a half and three
         * quarters of WATCHDOG_USEC, where other timers may join it */
        r = sd_event_add_time_relative(m->event, &m->watchdog_beat, CLOCK_MONOTONIC,
                                       m->watchdog_beat_usec, m->watchdog_beat_usec / 2, on_beat, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the systemd watchdog's keep-alive: %m");
        r = sd_event_source_set_enabled(m->watchdog_beat, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the systemd watchdog's keep-alive: %m");
        return 0;
}
