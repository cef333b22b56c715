/* SPDX-License-Identifier: MIT */
#include "service-status.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "manager.h"

void service_status_notify(const struct manager *m)
{
        const struct session *s = &m->session;
        const struct profile *p = s->profile;
        const struct profile_step *step = p && s->step < p->n_steps ? &p->steps[s->step] : NULL;
        /* the last one sent: a change of routine and of state come as two calls */
        static char sent[400];
        char status[sizeof(sent)];

        switch (s->state) {
        case SESSION_RUNNING:
        case SESSION_PAUSED:
        case SESSION_WAITING:
                if (!step)
                        return;
                snprintf(status, sizeof(status), "STATUS=%s %s, step %u of %u: %s%s%s.",
                         s->state == SESSION_RUNNING ? "Playing" :
                         s->state == SESSION_PAUSED ? "Paused in" : "Waiting for the button in",
                         p->id, s->step + 1, p->n_steps, step->muscle, *step->side ? ", " : "",
                         step->side);
                break;
        case SESSION_FAULT:
                snprintf(status, sizeof(status), "STATUS=Fault %s, motor off: %s", fault_to_string(s->fault),
                         s->fault_message);
                break;
        case SESSION_IDLE:
        default:
                snprintf(status, sizeof(status), "STATUS=Idle, %zu routines loaded%s.",
                         m->routines.count, m->gun.simulated ? ", simulated gun" : "");
                break;
        }
        if (strcmp(status, sent) == 0)
                return;
        snprintf(sent, sizeof(sent), "%s", status);
        (void)sd_notify(0, status);
}
