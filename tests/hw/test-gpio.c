/* SPDX-License-Identifier: MIT */
/*
 * The GPIO buttons, LEDs and the motor board's lines through the real
 * libgpiod v1, against a gpiochip emulated with umockdev: the process runs
 * under libumockdev-preload (it re-executes itself through
 * umockdev-wrapper), /dev/gpiochip0 is a testbed node, and the handler
 * below answers the GPIO character device's v1 ioctls as the kernel would
 * (linux/gpio.h): chip info, line info, line handles and line events.
 * A line handle is a further node, /dev/gpioline<offset>, whose value
 * ioctls land here too; a line event file is a pipe the test writes
 * struct gpioevent_data into, as the kernel queues an edge.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "drivers/hw-drivers.h"

#define CHIP_LINES 8

static const char *const line_names[CHIP_LINES] = {
        "BTN_MAIN", "BTN_PLUS", "BTN_MINUS", "LED_STATUS", "LED_FAULT", "MOTOR_EN", "MOTOR_BRAKE", "",
};

/* The emulated chip's lines, as the handler (umockdev's worker thread) and
 * the test see them. */
struct line_state {
        bool requested, output, events;
        uint32_t handle_flags, event_flags;
        char consumer[32];
        uint8_t value;          /* logical, as set through the handle */
        unsigned value_writes;
        int event_write_fd;     /* the test's end of the event pipe */
};

static struct {
        GMutex lock;
        struct line_state lines[CHIP_LINES];
        UMockdevTestbed *testbed;
        UMockdevIoctlBase *handler;
} chip;

static char error[512];

static UMockdevIoctlData *resolve(UMockdevIoctlClient *client, size_t size)
{
        GError *err = NULL;
        UMockdevIoctlData *d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0,
                                                           size, &err);

        if (!d)
                g_error("cannot resolve the ioctl argument: %s", err->message);
        return d;
}

/* The kernel frees a line when its request's file is closed. An event
 * request's file is our pipe: closed when its write end reports an error;
 * a handle is a testbed node, whose client vanishes (on_vanished). */
static bool busy(unsigned offset)
{
        struct line_state *l = &chip.lines[offset];
        struct pollfd p = { .fd = l->event_write_fd, .events = POLLOUT };

        if (l->requested && l->events && poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) {
                close(l->event_write_fd);
                memset(l, 0, sizeof(*l));
        }
        return l->requested;
}

static void line_info(UMockdevIoctlClient *client)
{
        UMockdevIoctlData *d = resolve(client, sizeof(struct gpioline_info));
        struct gpioline_info *info = (struct gpioline_info *)(void *)d->data;
        unsigned offset = info->line_offset;
        struct line_state *l;

        if (offset >= CHIP_LINES) {
                umockdev_ioctl_client_complete(client, -1, EINVAL);
                umockdev_ioctl_data_unref(d);
                return;
        }
        l = &chip.lines[offset];
        memset(info, 0, sizeof(*info));
        info->line_offset = offset;
        snprintf(info->name, sizeof(info->name), "%s", line_names[offset]);
        if (l->requested) {
                info->flags |= GPIOLINE_FLAG_KERNEL;
                snprintf(info->consumer, sizeof(info->consumer), "%s", l->consumer);
                if (l->output)
                        info->flags |= GPIOLINE_FLAG_IS_OUT;
                if (l->handle_flags & GPIOHANDLE_REQUEST_ACTIVE_LOW)
                        info->flags |= GPIOLINE_FLAG_ACTIVE_LOW;
        }
        umockdev_ioctl_client_complete(client, 0, 0);
        umockdev_ioctl_data_unref(d);
}

static void line_handle(UMockdevIoctlClient *client)
{
        UMockdevIoctlData *d = resolve(client, sizeof(struct gpiohandle_request));
        struct gpiohandle_request *req = (struct gpiohandle_request *)(void *)d->data;
        unsigned offset = req->lineoffsets[0];
        char node[32];
        struct line_state *l;

        ck_assert_uint_eq(req->lines, 1);
        if (offset >= CHIP_LINES || busy(offset)) {
                umockdev_ioctl_client_complete(client, -1, offset >= CHIP_LINES ? EINVAL : EBUSY);
                umockdev_ioctl_data_unref(d);
                return;
        }
        l = &chip.lines[offset];
        l->requested = true;
        l->output = req->flags & GPIOHANDLE_REQUEST_OUTPUT;
        l->handle_flags = req->flags;
        l->value = req->default_values[0];
        snprintf(l->consumer, sizeof(l->consumer), "%s", req->consumer_label);
        snprintf(node, sizeof(node), "/dev/gpioline%u", offset);
        req->fd = open(node, O_RDWR | O_CLOEXEC);
        ck_assert_int_ge(req->fd, 0);
        umockdev_ioctl_client_complete(client, 0, 0);
        umockdev_ioctl_data_unref(d);
}

static void line_event(UMockdevIoctlClient *client)
{
        UMockdevIoctlData *d = resolve(client, sizeof(struct gpioevent_request));
        struct gpioevent_request *req = (struct gpioevent_request *)(void *)d->data;
        unsigned offset = req->lineoffset;
        struct line_state *l;
        int fds[2];

        if (offset >= CHIP_LINES || busy(offset)) {
                umockdev_ioctl_client_complete(client, -1, offset >= CHIP_LINES ? EINVAL : EBUSY);
                umockdev_ioctl_data_unref(d);
                return;
        }
        l = &chip.lines[offset];
        ck_assert_int_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
        l->requested = true;
        l->events = true;
        l->handle_flags = req->handleflags;
        l->event_flags = req->eventflags;
        l->event_write_fd = fds[1];
        snprintf(l->consumer, sizeof(l->consumer), "%s", req->consumer_label);
        req->fd = fds[0];
        umockdev_ioctl_client_complete(client, 0, 0);
        umockdev_ioctl_data_unref(d);
}

static void set_values(UMockdevIoctlClient *client)
{
        const char *node = umockdev_ioctl_client_get_devnode(client);
        UMockdevIoctlData *d = resolve(client, sizeof(struct gpiohandle_data));
        struct gpiohandle_data *data = (struct gpiohandle_data *)(void *)d->data;
        unsigned offset;

        ck_assert_int_eq(sscanf(node, "/dev/gpioline%u", &offset), 1);
        ck_assert_uint_lt(offset, CHIP_LINES);
        chip.lines[offset].value = data->values[0];
        chip.lines[offset].value_writes++;
        umockdev_ioctl_client_complete(client, 0, 0);
        umockdev_ioctl_data_unref(d);
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer userdata)
{
        unsigned long request = umockdev_ioctl_client_get_request(client);

        (void)handler, (void)userdata;
        g_mutex_lock(&chip.lock);
        switch (request) {
        case GPIO_GET_CHIPINFO_IOCTL: {
                UMockdevIoctlData *d = resolve(client, sizeof(struct gpiochip_info));
                struct gpiochip_info *info = (struct gpiochip_info *)(void *)d->data;

                memset(info, 0, sizeof(*info));
                snprintf(info->name, sizeof(info->name), "gpiochip0");
                snprintf(info->label, sizeof(info->label), "percussd-test");
                info->lines = CHIP_LINES;
                umockdev_ioctl_client_complete(client, 0, 0);
                umockdev_ioctl_data_unref(d);
                break;
        }
        case GPIO_GET_LINEINFO_IOCTL:
                line_info(client);
                break;
        case GPIO_GET_LINEHANDLE_IOCTL:
                line_handle(client);
                break;
        case GPIO_GET_LINEEVENT_IOCTL:
                line_event(client);
                break;
        case GPIOHANDLE_SET_LINE_VALUES_IOCTL:
                set_values(client);
                break;
        default:
                umockdev_ioctl_client_complete(client, -1, ENOTTY);
                break;
        }
        g_mutex_unlock(&chip.lock);
        return TRUE;
}

static void on_vanished(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer userdata)
{
        unsigned offset;

        (void)handler, (void)userdata;
        g_mutex_lock(&chip.lock);
        if (sscanf(umockdev_ioctl_client_get_devnode(client), "/dev/gpioline%u", &offset) == 1 &&
            offset < CHIP_LINES)
                memset(&chip.lines[offset], 0, sizeof(chip.lines[offset]));
        g_mutex_unlock(&chip.lock);
}

static struct line_state line(unsigned offset)
{
        struct line_state l;

        g_mutex_lock(&chip.lock);
        l = chip.lines[offset];
        g_mutex_unlock(&chip.lock);
        return l;
}

/* A character device node in the testbed, its ioctls answered by on_ioctl. */
static void add_node(const char *name, const char *subsystem, unsigned minor)
{
        char record[256], devname[32];
        GError *err = NULL;

        snprintf(record, sizeof(record), "P: /devices/%s\nN: %s\nE: SUBSYSTEM=%s\n"
                 "E: DEVNAME=/dev/%s\nA: dev=254:%u\\n\n", name, name, subsystem, name, minor);
        snprintf(devname, sizeof(devname), "/dev/%s", name);
        ck_assert_msg(umockdev_testbed_add_from_string(chip.testbed, record, &err), "%s",
                      err ? err->message : "");
        ck_assert_msg(umockdev_testbed_attach_ioctl(chip.testbed, devname, chip.handler, &err),
                      "%s", err ? err->message : "");
}

static void setup(void)
{
        char path[PATH_MAX], *sys;

        memset(chip.lines, 0, sizeof(chip.lines));
        chip.testbed = umockdev_testbed_new();
        chip.handler = umockdev_ioctl_base_new();
        g_signal_connect(chip.handler, "handle-ioctl", G_CALLBACK(on_ioctl), NULL);
        g_signal_connect(chip.handler, "client-vanished", G_CALLBACK(on_vanished), NULL);
        add_node("gpiochip0", "gpio", 0);
        for (unsigned i = 0; i < CHIP_LINES; i++) {
                char name[16];

                snprintf(name, sizeof(name), "gpioline%u", i);
                add_node(name, "gpioline", 10 + i);
        }
        /* libgpiod knows a gpiochip by /sys/bus/gpio/devices/<name>/dev; this
         * host has no gpio bus, so umockdev put the device under class/ */
        sys = umockdev_testbed_get_sys_dir(chip.testbed);
        snprintf(path, sizeof(path), "%s/bus/gpio/devices", sys);
        ck_assert_int_eq(g_mkdir_with_parents(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/bus/gpio/devices/gpiochip0", sys);
        if (access(path, F_OK) != 0)
                ck_assert_int_eq(symlink("../../../devices/gpiochip0", path), 0);
        g_free(sys);
        error[0] = 0;
}

static void teardown(void)
{
        g_object_unref(chip.testbed);
        g_object_unref(chip.handler);
}

static void edge(unsigned offset, uint64_t time_ns, bool rising)
{
        struct gpioevent_data ev = {
                .timestamp = time_ns,
                .id = rising ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE,
        };
        int fd = line(offset).event_write_fd;

        ck_assert_int_eq(write(fd, &ev, sizeof(ev)), sizeof(ev));
}

static bool readable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, 0) == 1;
}

START_TEST(test_buttons_events_through_libgpiod)
{
        struct hw_config c;
        struct buttons b;
        struct button_event ev;
        int fd;

        hw_config_defaults(&c);
        snprintf(c.buttons.lines[0], HW_NAME_MAX, "gpiochip0:BTN_MAIN");
        snprintf(c.buttons.lines[2], HW_NAME_MAX, "0:2");      /* chip by number, line by offset */
        ck_assert_int_eq(gpio_buttons_open(&b, &c.buttons, error, sizeof(error)), 0);
        ck_assert_uint_eq(b.count, 2);
        ck_assert_str_eq(b.names[0], "main");
        ck_assert_str_eq(b.names[1], "minus");
        ck_assert_str_eq(line(0).consumer, "percussd");
        ck_assert_uint_eq(line(0).event_flags, GPIOEVENT_REQUEST_BOTH_EDGES);
        ck_assert(line(0).handle_flags & GPIOHANDLE_REQUEST_INPUT);
        ck_assert(line(0).handle_flags & GPIOHANDLE_REQUEST_ACTIVE_LOW);
        ck_assert(line(2).events);
        ck_assert(!line(1).requested);

        fd = b.ops->get_fd(&b);
        ck_assert(!readable(fd));
        ck_assert_int_eq(b.ops->read_event(&b, &ev), 0);

        edge(0, 1500000000ull, true);
        ck_assert(readable(fd));
        ck_assert_int_eq(b.ops->read_event(&b, &ev), 1);
        ck_assert_uint_eq(ev.index, 0);
        ck_assert(ev.pressed);
        ck_assert_uint_eq(ev.time_ns, 1500000000ull);

        edge(2, 1600000000ull, true);
        edge(0, 1700000000ull, false);
        ck_assert_int_eq(b.ops->read_event(&b, &ev), 1);
        {
                struct button_event ev2;

                ck_assert_int_eq(b.ops->read_event(&b, &ev2), 1);
                /* one each, in whichever order epoll gives them */
                if (ev.index == 0) {
                        struct button_event t = ev;

                        ev = ev2;
                        ev2 = t;
                }
                ck_assert_uint_eq(ev.index, 1);
                ck_assert(ev.pressed);
                ck_assert_uint_eq(ev2.index, 0);
                ck_assert(!ev2.pressed);
                ck_assert_uint_eq(ev2.time_ns, 1700000000ull);
        }
        ck_assert_int_eq(b.ops->read_event(&b, &ev), 0);
        ck_assert(!readable(fd));
        b.ops->close(&b);
}
END_TEST

START_TEST(test_missing_lines_name_the_key)
{
        struct hw_config c;
        struct buttons b;
        struct leds l;

        hw_config_defaults(&c);
        ck_assert_int_eq(gpio_buttons_open(&b, &c.buttons, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[Buttons] MainLine is not set"), "%s", error);

        snprintf(c.buttons.lines[0], HW_NAME_MAX, "gpiochip0:BTN_NOPE");
        ck_assert_int_eq(gpio_buttons_open(&b, &c.buttons, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Buttons] MainLine=gpiochip0:BTN_NOPE: gpiochip0 has no line "
                             "named \"BTN_NOPE\""), "%s", error);

        snprintf(c.buttons.lines[0], HW_NAME_MAX, "gpiochip0:BTN_MAIN");
        snprintf(c.buttons.lines[1], HW_NAME_MAX, "gpiochip0:12");
        ck_assert_int_eq(gpio_buttons_open(&b, &c.buttons, error, sizeof(error)), -ENOENT);
        ck_assert_msg(strstr(error, "[Buttons] PlusLine=gpiochip0:12: gpiochip0 has 8 lines, no "
                             "offset 12"), "%s", error);
        /* what was requested before the failure is released */
        ck_assert_int_eq(gpio_buttons_open(&b, &c.buttons, error, sizeof(error)), -ENOENT);

        snprintf(c.leds.lines[1], HW_NAME_MAX, "gpiochip7:LED_FAULT");
        ck_assert_int_lt(gpio_leds_open(&l, &c.leds, error, sizeof(error)), 0);
        ck_assert_msg(strstr(error, "[LEDs] FaultLine=gpiochip7:LED_FAULT: no GPIO chip "
                             "\"gpiochip7\""), "%s", error);

        snprintf(c.leds.lines[1], HW_NAME_MAX, "5");
        ck_assert_int_eq(gpio_leds_open(&l, &c.leds, error, sizeof(error)), -EINVAL);
        ck_assert_msg(strstr(error, "[LEDs] FaultLine=5: an offset needs its chip"), "%s", error);
}
END_TEST

START_TEST(test_leds_are_output_lines)
{
        struct hw_config c;
        struct leds l;

        hw_config_defaults(&c);
        snprintf(c.leds.lines[0], HW_NAME_MAX, "gpiochip0:LED_STATUS");
        snprintf(c.leds.lines[1], HW_NAME_MAX, "gpiochip0:4");
        c.leds.active_low = true;
        ck_assert_int_eq(gpio_leds_open(&l, &c.leds, error, sizeof(error)), 0);
        ck_assert_uint_eq(l.count, 2);
        ck_assert_str_eq(l.names[1], "fault");
        ck_assert(line(3).output);
        ck_assert(line(3).handle_flags & GPIOHANDLE_REQUEST_ACTIVE_LOW);
        ck_assert_uint_eq(line(3).value, 0);
        ck_assert_str_eq(line(4).consumer, "percussd");

        ck_assert_int_eq(l.ops->set(&l, 1, true), 0);
        ck_assert_uint_eq(line(4).value, 1);
        ck_assert_uint_eq(line(3).value, 0);
        ck_assert_int_eq(l.ops->set(&l, 1, false), 0);
        ck_assert_uint_eq(line(4).value, 0);
        ck_assert_uint_eq(line(4).value_writes, 2);
        ck_assert_int_eq(l.ops->set(&l, 2, true), -EINVAL);
        l.ops->close(&l);
}
END_TEST

/* The motor board's lines: enable inactive and brake on from the start,
 * and in that order around the PWM (sysfs, in the testbed's /sys). */
START_TEST(test_motor_enable_and_brake_lines)
{
        struct hw_config c;
        struct motor m;
        char *sys = umockdev_testbed_get_sys_dir(chip.testbed);
        char path[PATH_MAX];
        static const char *const files[] = { "npwm", "export", "unexport", "pwm0/period",
                                             "pwm0/duty_cycle", "pwm0/enable" };

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                gchar *dir;

                snprintf(path, sizeof(path), "%s/class/pwm/pwmchip0/%s", sys, files[i]);
                dir = g_path_get_dirname(path);
                ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
                g_free(dir);
                ck_assert(g_file_set_contents(path, i == 0 ? "1\n" : "", -1, NULL));
        }
        hw_config_defaults(&c);
        snprintf(c.motor.enable.spec, HW_NAME_MAX, "gpiochip0:MOTOR_EN");
        snprintf(c.motor.brake.spec, HW_NAME_MAX, "gpiochip0:MOTOR_BRAKE");
        c.motor.brake.active_low = true;
        ck_assert_int_eq(pwm_motor_open(&m, &c.motor, error, sizeof(error)), 0);
        ck_assert(line(5).output);
        ck_assert_uint_eq(line(5).value, 0);
        ck_assert(line(6).output);
        ck_assert(line(6).handle_flags & GPIOHANDLE_REQUEST_ACTIVE_LOW);
        ck_assert_uint_eq(line(6).value, 1);

        ck_assert_int_eq(m.ops->set_enable(&m, true), 0);
        ck_assert_uint_eq(line(5).value, 1);
        ck_assert_uint_eq(line(6).value, 0);
        ck_assert_int_eq(m.ops->set_duty(&m, 0.5), 0);
        snprintf(path, sizeof(path), "%s/class/pwm/pwmchip0/pwm0/duty_cycle", sys);
        {
                gchar *text;

                ck_assert(g_file_get_contents(path, &text, NULL, NULL));
                ck_assert_str_eq(text, "25000\n");
                g_free(text);
                ck_assert_int_eq(truncate(path, 0), 0);
                ck_assert_int_eq(m.ops->set_enable(&m, false), 0);
                ck_assert(g_file_get_contents(path, &text, NULL, NULL));
                ck_assert_str_eq(text, "0\n");
                g_free(text);
        }
        ck_assert_uint_eq(line(5).value, 0);
        ck_assert_uint_eq(line(6).value, 1);
        m.ops->close(&m);
        g_free(sys);
}
END_TEST

static Suite *gpio_suite(void)
{
        Suite *s = suite_create("gpio");
        TCase *tc = tcase_create("libgpiod");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_buttons_events_through_libgpiod);
        tcase_add_test(tc, test_missing_lines_name_the_key);
        tcase_add_test(tc, test_leds_are_output_lines);
        tcase_add_test(tc, test_motor_enable_and_brake_lines);
        suite_add_tcase(s, tc);
        return s;
}

int main(int argc, char *argv[])
{
        const char *preload = getenv("LD_PRELOAD");

        (void)argc;
        if (!preload || !strstr(preload, "libumockdev-preload")) {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

                if (n < 0) {
                        printf("1..0 # SKIP cannot find this program to run it under umockdev\n");
                        return 0;
                }
                self[n] = 0;
                /* libumockdev-preload must be loaded from the start */
                execlp("umockdev-wrapper", "umockdev-wrapper", self, (char *)NULL);
                printf("Bail out! cannot run %s under umockdev-wrapper: %s\n", argv[0],
                       strerror(errno));
                return 1;
        }
        return run_suite(gpio_suite());
}
