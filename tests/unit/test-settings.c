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
        char line[256], text[16384] = "";
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
        ck_assert_double_eq_tol(loaded.simulator.torque_constant_nm_per_a,
                                defaults.simulator.torque_constant_nm_per_a, 1e-7);
        loaded.simulator.torque_constant_nm_per_a = defaults.simulator.torque_constant_nm_per_a;
        /* every key was set, none was by default */
        for (size_t i = 0; settings_key(i, &(const char *){ NULL }); i++)
                ck_assert(loaded.key_set[i]);
        memset(loaded.key_set, 0, sizeof(loaded.key_set));
        ck_assert(memcmp(&defaults, &loaded, sizeof(defaults)) == 0);
}
END_TEST

/* Every key the daemon reads is documented in the shipped file, under its
 * section. */
START_TEST(test_shipped_file_lists_every_key)
{
        FILE *in = fopen(SHIPPED_CONF, "re");
        char line[256], section[64] = "", listed[16384] = "";
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

/* Every constant of the simulated gun, from [Simulator]; without
 * BusVoltage it runs from its pack, through [Battery]'s curve and cells. */
START_TEST(test_simulator_keys_apply)
{
        struct settings s;
        struct sim_gun gun;

        settings_defaults(&s);
        ck_assert_double_eq(s.simulator.bus_voltage_v, 0);
        ck_assert_int_eq(settings_load(&s, write_conf("sim.conf",
                "[Simulator]\nBusVoltage=20\nResistance=0.52\nInductance=0.0002\n"
                "TorqueConstant=0.045\nInertia=6e-5\nViscous=4e-5\nCoulomb=0.02\n"
                "HeadMass=0.15\nBodyMass=0.8\nStrokeMin=3\nStrokeMax=14\n"
                "TissueStiffness=1500\nTissueDamping=90\nEncoderCounts=1024\n"
                "EncoderZero=212.5\nEncoderReversed=yes\nIMUAxes=-y,x,z\n")), 0);
        ck_assert_double_eq(s.simulator.bus_voltage_v, 20);
        ck_assert_double_eq(s.simulator.resistance_ohm, 0.52);
        ck_assert_double_eq(s.simulator.inductance_h, 0.0002);
        ck_assert_double_eq(s.simulator.torque_constant_nm_per_a, 0.045);
        ck_assert_double_eq(s.simulator.inertia_kg_m2, 6e-5);
        ck_assert_double_eq(s.simulator.viscous_nm_s_per_rad, 4e-5);
        ck_assert_double_eq(s.simulator.coulomb_nm, 0.02);
        ck_assert_double_eq(s.simulator.head_mass_kg, 0.15);
        ck_assert_double_eq(s.simulator.body_mass_kg, 0.8);
        ck_assert_double_eq(s.simulator.stroke_min_mm, 3);
        ck_assert_double_eq(s.simulator.stroke_max_mm, 14);
        ck_assert_double_eq(s.simulator.tissue_stiffness_n_per_m, 1500);
        ck_assert_double_eq(s.simulator.tissue_damping_n_s_per_m, 90);
        ck_assert_uint_eq(s.simulator.encoder_counts, 1024);
        ck_assert_double_eq(s.simulator.encoder_zero_deg, 212.5);
        ck_assert(s.simulator.encoder_reversed);
        ck_assert_int_eq(s.simulator.imu_axes[0], -2);
        ck_assert_int_eq(s.simulator.imu_axes[1], 1);
        ck_assert_int_eq(s.simulator.imu_axes[2], 3);

        /* the pack: 3 cells of a curve from 3 to 4 V, half charged */
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("pack.conf",
                "[Battery]\nCurve=3.0:0,4.0:100\nCells=3\n")), 0);
        sim_gun_init(&gun, &s.simulator, 1);
        sim_gun_set_battery(&gun, 50);
        ck_assert_double_eq_tol(sim_gun_bus_voltage(&gun), 10.5, 1e-9);
        sim_gun_set_battery(&gun, 100);
        ck_assert_double_eq_tol(sim_gun_bus_voltage(&gun), 12.0, 1e-9);
}
END_TEST

START_TEST(test_bad_simulator_lines_are_skipped)
{
        struct settings s, defaults;

        settings_defaults(&defaults);
        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("badsim.conf",
                "[Simulator]\n"
                "EncoderZero=400\n"        /* past a turn */
                "IMUAxes=x,x,z\n"          /* an axis twice */
                "Inertia=heavy\n"          /* not a number */
                "EncoderReversed=maybe\n"  /* not yes or no */
                "Family=-3\n"              /* not a seed */
                "StrokeMin=12\nStrokeMax=8\n" /* no range: both defaults */
                "HeadMass=0.12\n")), 6);
        ck_assert_double_eq(s.simulator.encoder_zero_deg, 0);
        ck_assert_int_eq(s.simulator.imu_axes[0], 1);
        ck_assert_double_eq(s.simulator.inertia_kg_m2, defaults.simulator.inertia_kg_m2);
        ck_assert(!s.simulator.encoder_reversed);
        ck_assert_uint_eq(s.simulator_family, 0);
        ck_assert_double_eq(s.simulator.stroke_min_mm, defaults.simulator.stroke_min_mm);
        ck_assert_double_eq(s.simulator.stroke_max_mm, defaults.simulator.stroke_max_mm);
        ck_assert_double_eq(s.simulator.head_mass_kg, 0.12);
}
END_TEST

static bool inside(double v, double min, double max)
{
        return v >= min && v <= max;
}

/* Family=SEED: every constant in its range of QUALITY.md, the same for the
 * same seed, different for another; a key set beside it wins. */
START_TEST(test_simulator_family)
{
        struct sim_gun_params reference, a, b;
        struct settings s;
        unsigned reversed = 0, moved_axes = 0;

        sim_gun_params_default(&reference);
        for (uint64_t seed = 1; seed <= 200; seed++) {
                sim_gun_params_family(&a, seed);
                sim_gun_params_family(&b, seed);
                ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
                ck_assert(inside(a.torque_constant_nm_per_a / reference.torque_constant_nm_per_a, 0.7, 1.3));
                ck_assert(inside(a.resistance_ohm / reference.resistance_ohm, 0.7, 1.3));
                ck_assert(inside(a.viscous_nm_s_per_rad / reference.viscous_nm_s_per_rad, 0.7, 1.3));
                ck_assert(inside(a.coulomb_nm / reference.coulomb_nm, 0.7, 1.3));
                ck_assert(inside(a.inertia_kg_m2 / reference.inertia_kg_m2, 0.5, 2.0));
                ck_assert(inside(a.head_mass_kg, 0.08, 0.2));
                ck_assert(inside(a.body_mass_kg, 0.7, 1.3));
                ck_assert(inside(a.head_mass_kg / a.body_mass_kg, 0.06, 0.29));
                ck_assert(inside(a.encoder_zero_deg, 0, 360));
                ck_assert(inside(a.bus_voltage_v, 19.8, 25.2));
                ck_assert(inside(a.tissue_stiffness_n_per_m / reference.tissue_stiffness_n_per_m, 0.3, 3));
                ck_assert(inside(a.tissue_damping_n_s_per_m / reference.tissue_damping_n_s_per_m, 0.3, 3));
                /* a rotation: each axis once, and right-handed (x × y = z) */
                ck_assert_int_eq(abs(a.imu_axes[0]) + abs(a.imu_axes[1]) + abs(a.imu_axes[2]), 6);
                ck_assert_int_eq(abs(a.imu_axes[0]) * abs(a.imu_axes[1]) * abs(a.imu_axes[2]), 6);
                {
                        double m[3][3] = { { 0 } }, det;

                        for (int i = 0; i < 3; i++)
                                m[i][abs(a.imu_axes[i]) - 1] = a.imu_axes[i] < 0 ? -1 : 1;
                        det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                              m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                              m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
                        ck_assert_double_eq(det, 1);
                }
                reversed += a.encoder_reversed;
                moved_axes += a.imu_axes[0] != 1 || a.imu_axes[1] != 2;
        }
        /* both directions and many mountings are drawn */
        ck_assert_uint_gt(reversed, 50);
        ck_assert_uint_lt(reversed, 150);
        ck_assert_uint_gt(moved_axes, 100);
        sim_gun_params_family(&b, 2);
        sim_gun_params_family(&a, 1);
        ck_assert_double_ne(a.inertia_kg_m2, b.inertia_kg_m2);

        settings_defaults(&s);
        ck_assert_int_eq(settings_load(&s, write_conf("family.conf",
                "[Simulator]\nHeadMass=0.15\nFamily=1\n")), 0);
        ck_assert_uint_eq(s.simulator_family, 1);
        ck_assert_double_eq(s.simulator.head_mass_kg, 0.15);
        ck_assert_double_eq(s.simulator.inertia_kg_m2, a.inertia_kg_m2);
        ck_assert_double_eq(s.simulator.encoder_zero_deg, a.encoder_zero_deg);
        ck_assert_int_eq(s.simulator.imu_axes[2], a.imu_axes[2]);
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
        tcase_add_test(tc, test_simulator_keys_apply);
        tcase_add_test(tc, test_bad_simulator_lines_are_skipped);
        tcase_add_test(tc, test_simulator_family);
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
