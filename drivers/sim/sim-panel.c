/* SPDX-License-Identifier: MIT */
#include "sim-panel.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static const char *const sim_button_names[] = { "main", "plus", "minus" };
static const char *const sim_led_names[] = { "status", "fault", "level1", "level2", "level3",
                                              "level4", "level5" };

static int find_name(const char *const *names, unsigned count, const char *name)
{
        for (unsigned i = 0; i < count; i++)
                if (strcmp(names[i], name) == 0)
                        return (int)i;
        return -ENOENT;
}

static int sim_buttons_get_fd(struct buttons *buttons)
{
        struct sim_panel *panel = buttons->data;

        return panel->event_fd;
}

static int sim_buttons_read_event(struct buttons *buttons, struct button_event *out)
{
        struct sim_panel *panel = buttons->data;
        uint64_t count;

        if (panel->count == 0) {
                (void)!read(panel->event_fd, &count, sizeof(count));
                return 0;
        }
        *out = panel->queue[panel->head];
        panel->head = (panel->head + 1) % SIM_PANEL_QUEUE_MAX;
        panel->count--;
        return 1;
}

static void sim_buttons_close(struct buttons *buttons)
{
        struct sim_panel *panel = buttons->data;

        if (panel->event_fd >= 0)
                close(panel->event_fd);
        panel->event_fd = -1;
}

static const struct buttons_ops sim_buttons_ops = {
        .name = "sim-buttons",
        .get_fd = sim_buttons_get_fd,
        .read_event = sim_buttons_read_event,
        .close = sim_buttons_close,
};

static int sim_leds_set(struct leds *leds, unsigned index, bool on)
{
        struct sim_panel *panel = leds->data;

        if (index >= leds->count)
                return -EINVAL;
        panel->led_on[index] = on;
        return 0;
}

static const struct leds_ops sim_leds_ops = {
        .name = "sim-leds",
        .set = sim_leds_set,
};

int sim_panel_open(struct gun *gun, struct sim_panel *panel,
                   uint64_t (*now_ns)(void *userdata), void *userdata)
{
        *panel = (struct sim_panel){ .now_ns = now_ns, .userdata = userdata };
        panel->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (panel->event_fd < 0)
                return -errno;

        gun->buttons = (struct buttons){
                .ops = &sim_buttons_ops,
                .data = panel,
                .names = sim_button_names,
                .count = sizeof(sim_button_names) / sizeof(sim_button_names[0]),
        };
        gun->leds = (struct leds){
                .ops = &sim_leds_ops,
                .data = panel,
                .names = sim_led_names,
                .count = sizeof(sim_led_names) / sizeof(sim_led_names[0]),
        };
        return 0;
}

int sim_panel_set_button(struct gun *gun, const char *name, bool pressed)
{
        struct sim_panel *panel = gun->buttons.data;
        uint64_t one = 1;
        int index = find_name(gun->buttons.names, gun->buttons.count, name);

        if (index < 0)
                return index;
        if (panel->count == SIM_PANEL_QUEUE_MAX)
                return -ENOBUFS;
        panel->queue[(panel->head + panel->count) % SIM_PANEL_QUEUE_MAX] = (struct button_event){
                .time_ns = panel->now_ns(panel->userdata),
                .index = (unsigned)index,
                .pressed = pressed,
        };
        panel->count++;
        if (write(panel->event_fd, &one, sizeof(one)) < 0)
                return -errno;
        return 0;
}

int sim_panel_get_led(const struct gun *gun, const char *name, bool *on)
{
        const struct sim_panel *panel = gun->leds.data;
        int index = find_name(gun->leds.names, gun->leds.count, name);

        if (index < 0)
                return index;
        *on = panel->led_on[index];
        return 0;
}
