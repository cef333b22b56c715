/* SPDX-License-Identifier: MIT */
/* /etc/percussd/percussd.conf: the shipped file says the truth about the
 * defaults, bad lines are skipped and the rest applies. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "daemon/settings.h"

static char dir[] = "/tmp/percussd-settings-XXXXXX";

static const char *write_conf(const char *name, const char *text)
{
        static char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        return path;
}

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
        char command[160];

        snprintf(command, sizeof(command), "rm -rf %s", dir);
        ck_assert_int_eq(system(command), 0);
        strcpy(dir, "/tmp/percussd-settings-XXXXXX");
}

START_TEST(test_shipped_file_is_all_defaults)
{
        struct settings defaults, loaded;

        settings_defaults(&defaults);
        settings_defaults(&loaded);
        ck_assert_int_eq(settings_load(&loaded, SHIPPED_CONF), 0);
        ck_assert(memcmp(&defaults, &loaded, sizeof(defaults)) == 0);
}
END_TEST

/* Every "#Key=value" of the shipped file, uncommented, gives the defaults:
 * the documented values are the daemon's. */
START_TEST(test_shipped_values_are_the_defaults)
{
        struct settings defaults, loaded;
        FILE *in = fopen(SHIPPED_CONF, "re");
        char line[256], text[8192] = "";
        unsigned keys = 0;

        ck_assert_ptr_nonnull(in);
        while (fgets(line, sizeof(line), in)) {
                if (line[0] == '#' && line[1] != ' ' && line[1] != '\n' && strchr(line, '=')) {
                        strcat(text, line + 1);
                        keys++;
                } else if (line[0] == '[')
                        strcat(text, line);
        }
        fclose(in);
        ck_assert_uint_ge(keys, 20);
        settings_defaults(&defaults);
        settings_defaults(&loaded);
        ck_assert_int_eq(settings_load(&loaded, write_conf("all.conf", text)), 0);
        /* FeedForward is written to 6 digits */
        ck_assert_double_eq_tol(loaded.control.speed.ff_duty_per_ppm, defaults.control.speed.ff_duty_per_ppm, 1e-8);
        loaded.control.speed.ff_duty_per_ppm = defaults.control.speed.ff_duty_per_ppm;
        /* and TorqueConstant to 6 significant digits */
        ck_assert_double_eq_tol(loaded.control.force.torque_constant_nm_per_a,
                                defaults.control.force.torque_constant_nm_per_a, 1e-7);
        loaded.control.force.torque_constant_nm_per_a = defaults.control.force.torque_constant_nm_per_a;
        ck_assert(memcmp(&defaults, &loaded, sizeof(defaults)) == 0);
}
END_TEST

/* Every key the daemon reads is documented in the shipped file, under its
 * section. */
START_TEST(test_shipped_file_lists_every_key)
{
        FILE *in = fopen(SHIPPED_CONF, "re");
        char line[256], section[64] = "", listed[8192] = "";
        const char *name, *key_section;

        ck_assert_ptr_nonnull(in);
        while (fgets(line, sizeof(line), in)) {
                char *eq = strchr(line, '=');

                if (line[0] == '[') {
                        snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
                } else if (line[0] == '#' && line[1] != ' ' && eq) {
                        *eq = '\0';
                        snprintf(listed + strlen(listed), sizeof(listed) - strlen(listed), "|%s.%s|",
                                 section, line + 1);
                }
        }
        fclose(in);
        for (size_t i = 0; (name = settings_key(i, &key_section)); i++) {
                char wanted[96];

                snprintf(wanted, sizeof(wanted), "|%s.%s|", key_section, name);
                ck_assert_msg(strstr(listed, wanted), "%s: [%s] %s is not documented", SHIPPED_CONF,
                              key_section, name);
        }
}
END_TEST

/* What percussd runs with when the file sets nothing is what the file
 * could have set. */
START_TEST(test_defaults_inside_their_ranges)
{
        struct settings c;
        const char *name, *key_section;
        double value, min, max;
        size_t i;

        settings_defaults(&c);
        for (i = 0; (name = settings_key(i, &key_section)); i++) {
                int r = settings_key_value(&c, i, &value, &min, &max);

                if (r == -EMEDIUMTYPE)
                        continue;
                ck_assert_int_eq(r, 0);
                ck_assert_msg(value >= min && value <= max, "[%s] %s default %g is outside %g-%g",
                              key_section, name, value, min, max);
        }
        ck_assert_int_eq(settings_key_value(&c, i, &value, &min, &max), -ERANGE);
}
END_TEST

START_TEST(test_values_apply)
{
        struct settings s;

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("good.conf",
                "[Daemon]\nSimulate=yes\n"
                "[Control]\nControlHz=2000\nRTCPU=1\nWakeLatency=50\nSpeedKp=0.001\n"
                "[Safety]\nTemperatureLimit=80\n"
                "[Recovery]\nRestHours=36\nTaperDays=7\n")), 0);
        ck_assert(s.simulate);
        ck_assert_uint_eq(s.control_hz, 2000);
        ck_assert_int_eq(s.rt_cpu, 1);
        ck_assert_int_eq(s.wake_latency_us, 50);
        ck_assert_int_eq(settings_load(&s, write_conf("any.conf", "[Control]\nWakeLatency=any\n")), 0);
        ck_assert_int_eq(s.wake_latency_us, -1);
        ck_assert_double_eq(s.control.speed.kp_duty_per_ppm, 0.001);
        ck_assert_double_eq(s.safety.temperature_limit_c, 80);
        ck_assert_uint_eq(s.recovery.rest_usec, 36ull * 3600 * 1000000);
        ck_assert_uint_eq(s.recovery.taper_usec, 7ull * 24 * 3600 * 1000000);
}
END_TEST

START_TEST(test_bad_lines_are_skipped)
{
        struct settings s, defaults;

        settings_defaults(&defaults);
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("bad.conf",
                "[Control]\n"
                "ControlHz=fast\n"          /* not a number */
                "RTPriority=0\n"            /* out of range */
                "Colour=red\n"              /* unknown key */
                "ControlHz=2000.5\n"        /* not whole */
                "WakeLatency=-5\n"          /* out of range: "any" is how to say none */
                "SpeedKi=0.05\n"            /* good: applies */
                "[Turbo]\nBoost=yes\n"      /* unknown section, and its key */
                "[Daemon]\nSimulate=maybe\n")), 8);
        ck_assert_uint_eq(s.control_hz, defaults.control_hz);
        ck_assert_uint_eq(s.rt_priority, defaults.rt_priority);
        ck_assert_int_eq(s.wake_latency_us, 0);
        ck_assert_double_eq(s.control.speed.ki_duty_per_ppm_s, 0.05);
        ck_assert(!s.simulate);
}
END_TEST

START_TEST(test_hardware_keys_apply)
{
        struct settings s;

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("hw.conf",
                "[Encoder]\nDevice=as5047\nChannel=count0\nCountsPerRevolution=16384\nBuffered=no\n"
                "Trigger=enc-timer\n"
                "[IMU]\nDriver=simulated\nAxes=-z,y,x\nSamplingFrequency=800\n"
                "[Motor]\nPWMChip=2\nPeriod=40000\nEnableLine=gpiochip1:MOTOR_EN\n"
                "EnableActiveLow=yes\n"
                "[Stroke]\nPulseMin=900000\nStrokeMax=14.5\n"
                "[Buttons]\nMainLine=17\nActiveLow=no\n"
                "[LEDs]\nDriver=simulated\nLevel3Line=LED3\n")), 0);
        ck_assert_int_eq(s.hw.encoder.driver, HW_REAL);
        ck_assert_str_eq(s.hw.encoder.device, "as5047");
        ck_assert_str_eq(s.hw.encoder.channel, "count0");
        ck_assert_double_eq(s.hw.encoder.counts_per_rev, 16384);
        ck_assert(!s.hw.encoder.buffered);
        ck_assert_str_eq(s.hw.encoder.trigger, "enc-timer");
        ck_assert_int_eq(s.hw.imu.driver, HW_SIMULATED);
        ck_assert_int_eq(s.hw.imu.axes[0], -3);
        ck_assert_int_eq(s.hw.imu.axes[1], 2);
        ck_assert_int_eq(s.hw.imu.axes[2], 1);
        ck_assert_double_eq(s.hw.imu.sampling_hz, 800);
        ck_assert_uint_eq(s.hw.motor.pwm.chip, 2);
        ck_assert_uint_eq(s.hw.motor.pwm.period_ns, 40000);
        ck_assert_str_eq(s.hw.motor.enable.spec, "gpiochip1:MOTOR_EN");
        ck_assert(s.hw.motor.enable.active_low);
        ck_assert_uint_eq(s.hw.stroke.pulse_min_ns, 900000);
        ck_assert_double_eq(s.hw.stroke.max_mm, 14.5);
        ck_assert_str_eq(s.hw.buttons.lines[0], "17");
        ck_assert(!s.hw.buttons.active_low);
        ck_assert_int_eq(s.hw.leds.driver, HW_SIMULATED);
        ck_assert_str_eq(s.hw.leds.lines[4], "LED3");
}
END_TEST

START_TEST(test_bad_hardware_lines_are_skipped)
{
        struct settings s, defaults;
        char long_name[HW_NAME_MAX + 20], text[512];

        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;
        snprintf(text, sizeof(text), "[Encoder]\nDriver=spi\nDevice=%s\n"
                 "[IMU]\nAxes=x,x,y\nAxes=x,y\nAxes=x,y,z,\n"
                 "[Motor]\nPeriod=1500.5\nDriver=iio\nPeriod=999\n", long_name);
        settings_defaults(&defaults);
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("badhw.conf", text)), 8);
        ck_assert(memcmp(&defaults, &s, sizeof(s)) == 0);

        /* a counter is an encoder's driver, no other kind's */
        ck_assert_int_eq(settings_load(&s, write_conf("counter.conf",
                "[Encoder]\nDriver=counter\n[IMU]\nDriver=counter\n[Motor]\nDriver=iiocounter\n")), 2);
        ck_assert_int_eq(s.hw.encoder.driver, HW_COUNTER);
        ck_assert_int_eq(s.hw.imu.driver, defaults.hw.imu.driver);
        ck_assert_int_eq(s.hw.motor.driver, defaults.hw.motor.driver);

        /* a battery's drivers: power-supply, iio (a voltage and a curve), none */
        ck_assert_int_eq(defaults.hw.battery.driver, HW_NONE);
        ck_assert_int_eq(settings_load(&s, write_conf("battery.conf",
                "[Battery]\nDriver=iio\nDevice=adc\nCells=3\nDivider=11\n")), 0);
        ck_assert_int_eq(s.hw.battery.driver, HW_IIO_VOLTAGE);
        ck_assert_str_eq(s.hw.battery.device, "adc");
        ck_assert_uint_eq(s.hw.battery.cells, 3);
        ck_assert_double_eq(s.hw.battery.divider, 11);
        ck_assert_int_eq(settings_load(&s, write_conf("battery2.conf",
                "[Battery]\nDriver=power-supply\nName=BAT0\nDriver=counter\n")), 1);
        ck_assert_int_eq(s.hw.battery.driver, HW_REAL);
        ck_assert_int_eq(settings_load(&s, write_conf("battery3.conf",
                "[Battery]\nDriver=none\n")), 0);
        ck_assert_int_eq(s.hw.battery.driver, HW_NONE);
}
END_TEST

START_TEST(test_missing_file_means_defaults)
{
        struct settings s, defaults;
        char path[128];

        settings_defaults(&defaults);
        settings_defaults(&s);
        snprintf(path, sizeof(path), "%s/none.conf", dir);
        ck_assert_int_eq(settings_load(&s, path), 0);
        ck_assert(memcmp(&defaults, &s, sizeof(s)) == 0);
}
END_TEST

START_TEST(test_resume_below_limit)
{
        struct settings s;

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("hot.conf",
                "[Safety]\nTemperatureLimit=60\nTemperatureResume=65\n")), 1);
        ck_assert(s.safety.temperature_resume_c <
                  s.safety.temperature_limit_c - s.safety.temperature_margin_c);

        /* a low limit with a wide margin leaves no resume point of 20 °C or
         * more: the limit stays, the margin goes back to its default */
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("low.conf",
                "[Safety]\nTemperatureLimit=30\nTemperatureMargin=20\n")), 1);
        ck_assert_double_eq(s.safety.temperature_limit_c, 30);
        ck_assert_double_eq(s.safety.temperature_margin_c, 2);
        ck_assert_double_eq(s.safety.temperature_resume_c, 23);
}
END_TEST

/* The boards' sample files (docs/boards.md) are whole: not a line skipped,
 * and every kind on a real driver, the encoder as each board has it. */
START_TEST(test_board_files)
{
        static const struct {
                const char *file;
                enum hw_driver encoder;
        } boards[] = {
                { BOARDS_DIR "/raspberry-pi.conf", HW_REAL },
                { BOARDS_DIR "/beaglebone-black.conf", HW_COUNTER },
        };

        for (size_t i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
                struct settings s;

                settings_defaults(&s);
                ck_assert_int_eq(settings_load(&s, boards[i].file), 0);
                ck_assert_int_eq(s.hw.encoder.driver, boards[i].encoder);
                ck_assert_int_eq(s.hw.imu.driver, HW_REAL);
                ck_assert_int_eq(s.hw.motor.driver, HW_REAL);
                ck_assert_int_eq(s.hw.stroke.driver, HW_REAL);
                ck_assert_int_eq(s.hw.buttons.driver, HW_REAL);
                ck_assert_int_eq(s.hw.leds.driver, HW_REAL);
                ck_assert_msg(s.hw.encoder.device[0] && s.hw.imu.device[0] &&
                              s.hw.buttons.lines[0][0] && s.hw.motor.enable.spec[0],
                              "%s leaves a device or line to name", boards[i].file);
                ck_assert(!s.simulate);
        }
}
END_TEST

static Suite *settings_suite(void)
{
        Suite *s = suite_create("settings");
        TCase *tc = tcase_create("file");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_shipped_file_is_all_defaults);
        tcase_add_test(tc, test_shipped_values_are_the_defaults);
        tcase_add_test(tc, test_shipped_file_lists_every_key);
        tcase_add_test(tc, test_values_apply);
        tcase_add_test(tc, test_bad_lines_are_skipped);
        tcase_add_test(tc, test_hardware_keys_apply);
        tcase_add_test(tc, test_bad_hardware_lines_are_skipped);
        tcase_add_test(tc, test_missing_file_means_defaults);
        tcase_add_test(tc, test_resume_below_limit);
        tcase_add_test(tc, test_defaults_inside_their_ranges);
        tcase_add_test(tc, test_board_files);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suite(settings_suite());
}
