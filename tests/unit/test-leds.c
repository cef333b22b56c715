/* SPDX-License-Identifier: MIT */
/* What the LEDs say in each state, on the simulated gun's panel, with a
 * real sd-event loop for the blinking. */
#include <check.h>
#include <time.h>

#include "common/time-util.h"
#include "tests/fixtures/check-main.h"
#include "daemon/panel/led-status.h"
#include "drivers/sim/sim-panel.h"

static sd_event *event;
static struct gun gun;
static struct sim_panel panel;
static struct led_status leds;

static bool led(const char *name)
{
        bool on = false;

        ck_assert_int_eq(sim_panel_get_led(&gun, name, &on), 0);
        return on;
}

/* Runs the loop for ms and counts the changes of one LED. */
static unsigned toggles(const char *name, unsigned ms)
{
        uint64_t end_ns = monotonic_now_ns(NULL) + ms * 1000000ull;
        bool last = led(name);
        unsigned count = 0;

        while (monotonic_now_ns(NULL) < end_ns) {
                ck_assert_int_ge(sd_event_run(event, 10000), 0);
                if (led(name) != last) {
                        last = !last;
                        count++;
                }
        }
        return count;
}

static void setup(void)
{
        ck_assert_int_ge(sd_event_new(&event), 0);
        ck_assert_int_eq(sim_panel_open(&gun, &panel, monotonic_now_ns, NULL), 0);
        ck_assert_int_eq(led_status_start(&leds, event, &gun.leds), 0);
}

static void teardown(void)
{
        led_status_stop(&leds);
        gun_close(&gun);
        event = sd_event_unref(event);
}

START_TEST(test_states)
{
        ck_assert(!led("status"));
        ck_assert(!led("fault"));

        led_status_show(&leds, SESSION_RUNNING, 3);
        ck_assert(led("status"));
        ck_assert(led("level1") && led("level2") && led("level3"));
        ck_assert(!led("level4") && !led("level5"));
        ck_assert_uint_eq(toggles("status", 600), 0);

        /* paused: the status LED blinks about once a second */
        led_status_show(&leds, SESSION_PAUSED, 3);
        {
                unsigned n = toggles("status", 1100);

                ck_assert_msg(n >= 2 && n <= 4, "status toggled %u times in 1.1 s", n);
        }

        /* fault: the fault LED blinks fast, the status LED is off */
        led_status_show(&leds, SESSION_FAULT, 3);
        ck_assert(!led("status"));
        {
                unsigned n = toggles("fault", 1100);

                ck_assert_msg(n >= 7 && n <= 10, "fault toggled %u times in 1.1 s", n);
        }

        /* a low battery while running: the fault LED steady beside the status LED */
        led_status_battery_low(&leds, true, SESSION_RUNNING, 3);
        ck_assert(led("status") && led("fault"));
        ck_assert_uint_eq(toggles("fault", 300), 0);
        led_status_battery_low(&leds, false, SESSION_RUNNING, 3);
        ck_assert(led("status") && !led("fault"));

        /* idle: everything dark and nothing left ticking */
        led_status_show(&leds, SESSION_IDLE, 3);
        ck_assert(!led("status") && !led("fault") && !led("level1"));
        ck_assert_int_eq(sd_event_run(event, 300000), 0);
}
END_TEST

static Suite *leds_suite(void)
{
        Suite *s = suite_create("leds");
        TCase *tc = tcase_create("status");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_states);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(leds_suite());
}
