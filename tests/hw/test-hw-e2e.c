/* SPDX-License-Identifier: MIT */
/*
 * End to end on the real drivers: percussd without --simulate plays a
 * routine through the IIO encoder and IMU (real libiio) and the sysfs PWM
 * motor and stroke, against devices emulated in a private mount namespace
 * (as in test-iio and test-pwm), while a plant thread here runs the
 * simulated gun's physics in real time: it reads the duty and the stroke
 * pulse the daemon writes to pwmchip0, and writes the encoder's counts
 * (with CLOCK_MONOTONIC timestamps) and the IMU's scans into
 * /dev/iio:device0 and 1 at the sampling frequency the daemon set. The
 * speed, measured on the model's own crank (the mean over each
 * revolution), is held to QUALITY.md's bars when the machine kept time
 * (no overrun of the loop, no stall of the plant), and to its mean
 * otherwise: the bars themselves are test-control-quality's, in
 * simulated time. Buttons and LEDs stay simulated here (test-gpio
 * covers them on umockdev, which does not mix with this namespace).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fixtures/check-main.h"
#include "tests/fixtures/daemon-fixture.h"
#include "tests/fixtures/emulated-board.h"
#include "tests/fixtures/fake-sysfs.h"

#define IIO_DEVICES BOARD_IIO_DEVICES
#define PWM BOARD_PWM
#define ENC BOARD_ENC

#define ROUTINE_SPEED_PPM 2000.0
#define ROUTINE_RAMP_S 1.0
#define ROUTINE_DURATION_S 4.0

static struct plant plant;
static struct emulated_board board;

static void setup(void)
{
        board_enter_motor_rig(&board, "e2e");
}

static void teardown(void)
{
        board_leave(&board);
}

static const char *write_config(const char *encoder_device)
{
        return board_write_config(&board, "[Encoder]\nDevice=%s\nChannel=count0\nCountsPerRevolution=%d\n"
                                          "[IMU]\nDevice=plant-imu\n"
                                          "[Stroke]\nPWMChannel=1\n"
                                          "[Buttons]\nDriver=simulated\n"
                                          "[LEDs]\nDriver=simulated\n"
                                          "[Battery]\nDriver=power-supply\nName=BAT0\n"
                                          /* as the daemon fixture's: the VM's scheduling is not on trial */
                                          "[Safety]\nOverrunStreak=100\n",
                                  encoder_device, BOARD_COUNTS_PER_REV);
}

static const char *write_routine(void)
{
        return board_write_routine(&board, "e2e", ROUTINE_SPEED_PPM, ROUTINE_DURATION_S, ROUTINE_RAMP_S);
}

/* The default gun, as the controller's own constants describe it. */
static void start_plant(void)
{
        struct sim_gun_params params;

        sim_gun_params_default(&params);
        plant_start(&plant, &params, 11, false);
}

START_TEST(test_routine_on_the_real_drivers)
{
        struct daemon_fixture f;
        const char *routines = write_routine();
        char *error_name = NULL, *state;
        struct plant_speed speed;
        unsigned max_latency_us;
        uint64_t overruns = 0; /* reported: a missed period or two is this VM's ordinary */
        bool on_time;

        daemon_fixture_start_hardware(&f, write_config("plant-encoder"),
                                      (const char *const[]){ "--profiles-dir", routines,
                                                             "--rt-cpu", "0", NULL });
        /* the daemon opened the devices: libiio enabled the buffers, the PWM runs at duty 0 */
        ck_assert_str_eq(fake_read(ENC "/current_timestamp_clock"), "monotonic");
        ck_assert_str_eq(fake_read(PWM "/pwm0/period"), "50000\n");
        ck_assert_str_eq(fake_read(PWM "/pwm1/period"), "20000000\n");
        start_plant();
        /* the gauge: the kernel's power_supply class */
        ck_assert_double_eq(fixture_get_double(&f, "Battery"), 76.0);
        ck_assert(!fixture_get_bool(&f, "Charging"));

        ck_assert_int_eq(fixture_call(&f, "Start", "e2e", &error_name, NULL), 0);
        ck_assert_msg(fixture_wait_string(&f, "State", "running", 2000), "not running");
        usleep((useconds_t)((ROUTINE_DURATION_S + 0.3) * 1e6));
        state = fixture_get_string(&f, "State");
        ck_assert_int_ge(sd_bus_get_property_trivial(f.bus, "io.percussd.Massager1",
                                                     "/io/percussd/Massager1",
                                                     "io.percussd.Massager1", "Overruns", NULL,
                                                     't', &overruns),
                         0);
        max_latency_us = fixture_get_u32(&f, "MaxLatency");
        fake_write("/sys/class/power_supply/BAT0/capacity", "75\n");
        fake_write("/sys/class/power_supply/BAT0/status", "Charging\n");
        ck_assert_double_eq(fixture_get_double(&f, "Battery"), 75.0);
        ck_assert(fixture_get_bool(&f, "Charging"));
        fixture_call(&f, "Stop", NULL, NULL, NULL);
        ck_assert_int_eq(daemon_fixture_terminate(&f, 5000), 0);
        daemon_fixture_stop(&f);
        plant_stop(&plant);
        /* motor off: duty 0, PWM disabled at close */
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "0\n");

        ck_assert_msg(!isnan(plant.motor_start_s), "the daemon never drove the motor");
        plant_speed_after_ramp(&plant, plant.motor_start_s + ROUTINE_RAMP_S,
                               plant.motor_start_s + ROUTINE_DURATION_S - 0.2, ROUTINE_SPEED_PPM,
                               &speed);
        /* The bars are the control loop's when it runs on time: on a VM
         * that holds the loop or the plant up for many periods (seen: 12–18
         * ms under load), a settling time in wall time says more about the
         * host than the loop, which test-control-quality and test-family
         * hold to the bars in simulated time. Here, where neither was held
         * up past 5 periods, the bars; else the loop must still hold the
         * mean through the real drivers. */
        on_time = max_latency_us < 5000 && atomic_load(&plant.longest_gap_ns) < 5000000;
        fprintf(stderr, "real drivers, emulated devices: %.0f ppm after a %.1f s ramp: within "
                        "±2 %% %.0f ms after the ramp; steady-state RMS error %.2f ppm (%.3f %%) "
                        "over %u revolutions; %u encoder scans written, %u dropped, longest gap "
                        "%.2f ms (plant %s); loop: %llu overruns, worst wake-up %u µs; mean %.1f "
                        "ppm; bars %s; state at the end: %s\n",
                ROUTINE_SPEED_PPM, ROUTINE_RAMP_S, speed.settled_after_s * 1000, speed.rms_error_ppm,
                100 * speed.rms_error_ppm / ROUTINE_SPEED_PPM, speed.measured,
                plant.samples_written, plant.samples_dropped,
                (double)atomic_load(&plant.longest_gap_ns) * 1e-6, plant.realtime ? "SCHED_FIFO" : "SCHED_OTHER",
                (unsigned long long)overruns, max_latency_us, speed.mean_ppm,
                on_time ? "judged" : "not judged: the machine held the loop or the plant up",
                state);
        ck_assert_uint_ge(speed.measured, 50);
        ck_assert_double_le(fabs(speed.mean_ppm - ROUTINE_SPEED_PPM), 0.02 * ROUTINE_SPEED_PPM);
        if (on_time) {
                ck_assert_double_le(speed.settled_after_s, 0.3);
                ck_assert_double_le(speed.rms_error_ppm, 0.005 * ROUTINE_SPEED_PPM);
        }
        free(state);
        free(error_name);
}
END_TEST

/* percussd on the configuration for encoder_device, with the IIO drivers'
 * module from module_dir, that is expected to fail: its exit status, and
 * what it wrote to stderr in out. */
static int run_failing(const char *encoder_device, const char *module_dir, char *out, size_t size)
{
        int err_pipe[2], status;
        size_t len = 0;
        ssize_t n;
        pid_t pid;

        ck_assert_int_eq(pipe2(err_pipe, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(err_pipe[1], STDERR_FILENO);
                execl(PERCUSSD_PATH, PERCUSSD_PATH, "--config", write_config(encoder_device),
                      "--session-bus", "--state-dir", board.dir, "--profiles-dir", PROFILES_SRC_DIR,
                      "--module-dir", module_dir, (char *)NULL);
                _exit(127);
        }
        close(err_pipe[1]);
        while (len < size - 1 && (n = read(err_pipe[0], out + len, size - 1 - len)) > 0)
                len += (size_t)n;
        out[len] = 0;
        close(err_pipe[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return status;
}

/* A device that is not there: percussd says which key, and exits before
 * the control thread could start the motor. */
START_TEST(test_missing_device_stops_the_daemon)
{
        char out[2048];
        int status = run_failing("as5047", IIO_MODULE_BUILD_DIR, out, sizeof(out));

        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x: %s", status, out);
        ck_assert_msg(strstr(out, "percussd.conf: [Encoder] Device=as5047: no IIO device of that "
                                  "name (there are: plant-encoder, plant-imu). The motor stays off"),
                      "%s", out);
        ck_assert_str_eq(fake_read(PWM "/pwm0/duty_cycle"), "");
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "");
}
END_TEST

/* A device the kernel took away (the sysfs directory and the node gone,
 * as when its driver is unbound) and gave back. */
static void remove_device(int index)
{
        char command[128];

        snprintf(command, sizeof(command), "rm -r " IIO_DEVICES "/iio:device%d /dev/iio:device%d",
                 index, index);
        ck_assert_int_eq(system(command), 0);
}

static void add_fifo(int index)
{
        char path[64];

        snprintf(path, sizeof(path), "/dev/iio:device%d", index);
        ck_assert_msg(mkfifo(path, 0600) == 0, "mkfifo %s: %s", path, strerror(errno));
}

/* ClearFault refused with FaultActive and a message that has want in it. */
static void assert_clear_refused(struct daemon_fixture *f, const char *want)
{
        char *error_name = NULL, *error_message = NULL;

        ck_assert_int_lt(fixture_call(f, "ClearFault", NULL, &error_name, &error_message), 0);
        ck_assert_str_eq(error_name, "io.percussd.Error.FaultActive");
        ck_assert_msg(strstr(error_message, want), "ClearFault said: %s", error_message);
        fprintf(stderr, "ClearFault refused: %s\n", error_message);
        free(error_name);
        free(error_message);
}

/* percussd on the plant's devices, its control thread on the plant's CPU,
 * playing the e2e routine. */
static void start_playing(struct daemon_fixture *f)
{
        daemon_fixture_start_hardware(f, write_config("plant-encoder"),
                                      (const char *const[]){ "--profiles-dir", write_routine(),
                                                             "--rt-cpu", "0", NULL });
        start_plant();
        ck_assert_int_eq(fixture_call(f, "Start", "e2e", NULL, NULL), 0);
        ck_assert_msg(fixture_wait_string(f, "State", "running", 2000), "not running");
}

/* The encoder goes while a routine plays: sensor-lost, motor off;
 * ClearFault is refused while it (and then the IMU) is missing, naming
 * it; once both are back, under new iio:deviceN numbers, ClearFault
 * re-opens them and a routine plays again on what the new encoder says. */
START_TEST(test_device_lost_and_back)
{
        struct daemon_fixture f;
        char *error_name = NULL, *text;
        uint32_t max_latency_us;
        bool realtime;
        double lost_ms, speed_ppm, sum_ppm = 0.0, replay_start_s;
        unsigned counted = 0;
        size_t first_rev;
        long deadline_ms;

        start_playing(&f);
        realtime = fixture_get_bool(&f, "Realtime");
        usleep((useconds_t)((ROUTINE_RAMP_S + 0.5) * 1e6));
        ck_assert_double_gt(board_read_number(plant.motor_duty_fd), 0.0);

        atomic_store(&plant.enc_index, -1);
        remove_device(0);
        ck_assert_msg(fixture_wait_string(&f, "State", "fault", 2000), "no fault");
        fixture_expect_string(&f, "Fault", "sensor-lost");
        text = fixture_get_string(&f, "FaultMessage");
        ck_assert_msg(strstr(text, "encoder"), "FaultMessage: %s", text);
        free(text);
        deadline_ms = fixture_now_ms() + 1000;
        while (!atomic_load(&plant.duty_zero_ns) && fixture_now_ms() < deadline_ms)
                usleep(1000);
        ck_assert_msg(atomic_load(&plant.duty_zero_ns), "the motor's duty never went to 0");
        lost_ms = (double)(atomic_load(&plant.duty_zero_ns) - plant.enc_cut_ns) * 1e-6;
        max_latency_us = fixture_get_u32(&f, "MaxLatency");

        assert_clear_refused(&f, "[Encoder] Device=plant-encoder: no IIO device of that name "
                                 "(there are: plant-imu)");
        /* the motor's driver closed: duty 0, the PWM output off */
        ck_assert_double_eq(board_read_number(plant.motor_duty_fd), 0.0);
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "0\n");
        ck_assert_int_lt(fixture_call(&f, "Start", "e2e", &error_name, NULL), 0);
        ck_assert_str_eq(error_name, "io.percussd.Error.Faulted");
        free(error_name);

        /* the encoder back as iio:device2; meanwhile the IMU goes */
        add_fifo(2);
        board_lay_out_encoder(IIO_DEVICES "/iio:device2");
        atomic_store(&plant.enc_index, 2);
        atomic_store(&plant.imu_index, -1);
        remove_device(1);
        assert_clear_refused(&f, "[IMU] Device=plant-imu: no IIO device of that name (there "
                                 "are: plant-encoder)");
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "0\n");
        fixture_expect_string(&f, "State", "fault");

        add_fifo(3);
        board_lay_out_imu(IIO_DEVICES "/iio:device3");
        atomic_store(&plant.imu_index, 3);
        ck_assert_int_eq(fixture_call(&f, "ClearFault", NULL, NULL, NULL), 0);
        fixture_expect_string(&f, "State", "idle");
        fixture_expect_string(&f, "Fault", "");
        /* opened afresh: the new devices set up as at start, the PWM running at duty 0 */
        ck_assert_str_eq(fake_read(IIO_DEVICES "/iio:device2/current_timestamp_clock"), "monotonic");
        ck_assert_str_ne(fake_read(IIO_DEVICES "/iio:device3/sampling_frequency"), "100\n");
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "1\n");
        /* the control thread's telemetry counts on, its scheduling as before */
        ck_assert(fixture_get_bool(&f, "Realtime") == realtime);
        ck_assert_uint_ge(fixture_get_u32(&f, "MaxLatency"), max_latency_us);

        first_rev = plant.n;
        ck_assert_int_eq(fixture_call(&f, "Start", "e2e", NULL, NULL), 0);
        ck_assert_msg(fixture_wait_string(&f, "State", "running", 2000), "not running again");
        replay_start_s = sim_gun_time_s(&plant.model);
        usleep((useconds_t)((ROUTINE_RAMP_S + 1.5) * 1e6));
        speed_ppm = fixture_get_double(&f, "Speed");
        fixture_call(&f, "Stop", NULL, NULL, NULL);
        ck_assert_int_eq(daemon_fixture_terminate(&f, 5000), 0);
        daemon_fixture_stop(&f);
        plant_stop(&plant);

        /* the crank's own speed once the ramp was over */
        for (size_t i = first_rev; i < plant.n; i++)
                if (plant.rev_end_s[i] > replay_start_s + ROUTINE_RAMP_S + 0.5 &&
                    plant.rev_end_s[i] < replay_start_s + ROUTINE_RAMP_S + 1.5) {
                        sum_ppm += plant.rev_ppm[i];
                        counted++;
                }
        fprintf(stderr, "encoder removed while running: the motor's duty 0 %.1f ms after its "
                        "last scan (EncoderStaleTime, 3 ms, detects it); after "
                        "ClearFault on the re-created devices, Speed %.0f ppm, the crank %.0f ppm "
                        "over %u revolutions, for %.0f ppm asked\n",
                lost_ms, speed_ppm, sum_ppm / fmax(counted, 1), counted, ROUTINE_SPEED_PPM);
        /* detection takes EncoderStaleTime (3 ms) without a new reading, the
         * safe state is written in the period that detects it; the rest is
         * the VM's scheduling: 20 ms, plus what the host demonstrably held
         * the loop (its worst wake-up) and the plant (its longest gap) up */
        ck_assert_double_le(lost_ms, 20.0 + max_latency_us * 1e-3 +
                                             (double)atomic_load(&plant.longest_gap_ns) * 1e-6);
        ck_assert_uint_ge(counted, 20);
        ck_assert_double_le(fabs(sum_ppm / counted - ROUTINE_SPEED_PPM), 0.02 * ROUTINE_SPEED_PPM);
        ck_assert_double_le(fabs(speed_ppm - ROUTINE_SPEED_PPM), 0.02 * ROUTINE_SPEED_PPM);
}
END_TEST

/* An IMU that stops sampling without an error: its buffer gives no new
 * scan and the driver hands the loop its last sample again. Only the
 * sample's time standing still shows it. */
START_TEST(test_silent_imu_is_a_lost_sensor)
{
        struct daemon_fixture f;
        char *text;
        long deadline_ms;

        start_playing(&f);
        usleep((useconds_t)((ROUTINE_RAMP_S + 0.5) * 1e6));
        ck_assert_double_gt(board_read_number(plant.motor_duty_fd), 0.0);

        atomic_store(&plant.imu_silent, true);
        ck_assert_msg(fixture_wait_string(&f, "State", "fault", 2000), "no fault");
        fixture_expect_string(&f, "Fault", "sensor-lost");
        text = fixture_get_string(&f, "FaultMessage");
        ck_assert_msg(strstr(text, "The IMU (iio-imu (buffered)) gave no new sample for 3 ms"),
                      "FaultMessage: %s", text);
        free(text);
        for (deadline_ms = fixture_now_ms() + 1000;
             board_read_number(plant.motor_duty_fd) != 0.0 && fixture_now_ms() < deadline_ms;)
                usleep(1000);
        ck_assert_double_eq(board_read_number(plant.motor_duty_fd), 0.0);

        /* sampling again: cleared, the next routine plays */
        atomic_store(&plant.imu_silent, false);
        ck_assert_int_eq(fixture_call(&f, "ClearFault", NULL, NULL, NULL), 0);
        fixture_expect_string(&f, "State", "idle");
        ck_assert_int_eq(fixture_call(&f, "Start", "e2e", NULL, NULL), 0);
        ck_assert_msg(fixture_wait_string(&f, "State", "running", 2000), "not running again");
        usleep(500000);
        fixture_expect_string(&f, "State", "running");
        fixture_call(&f, "Stop", NULL, NULL, NULL);
        ck_assert_int_eq(daemon_fixture_terminate(&f, 5000), 0);
        daemon_fixture_stop(&f);
        plant_stop(&plant);
}
END_TEST

/* Stopped while a device is missing, the drivers closed and the control
 * thread halted: percussd still ends cleanly. */
START_TEST(test_stop_while_a_device_is_missing)
{
        struct daemon_fixture f;

        start_playing(&f);
        atomic_store(&plant.enc_index, -1);
        remove_device(0);
        ck_assert_msg(fixture_wait_string(&f, "State", "fault", 2000), "no fault");
        assert_clear_refused(&f, "[Encoder] Device=plant-encoder");
        ck_assert_int_eq(daemon_fixture_terminate(&f, 5000), 0);
        daemon_fixture_stop(&f);
        ck_assert_double_eq(board_read_number(plant.motor_duty_fd), 0.0);
        ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "0\n");
        plant_stop(&plant);
}
END_TEST

/* An IIO driver's module that is missing, not a shared object, or from
 * another build: percussd names the key that wants it, the module's path
 * and what dlopen() or the version check said, and exits before touching
 * the motor. */
START_TEST(test_bad_module_stops_the_daemon)
{
        static const struct {
                const char *subdir, *before_path, *reason;
        } cases[] = {
                { "missing", "cannot load the IIO drivers' module ",
                  "cannot open shared object file: No such file or directory" },
                { "text", "cannot load the IIO drivers' module ", "invalid ELF header" },
                { "other-build", "", "is version 3 of the IIO drivers' module (configuration " },
        };
        char module_dir[192], path[256], out[2048], expected[512];
        int status;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(module_dir, sizeof(module_dir), "%s/%s", board.dir, cases[i].subdir);
                snprintf(path, sizeof(path), "%s/percussd-iio.so", module_dir);
                if (i > 0)
                        ck_assert_int_eq(mkdir(module_dir, 0755), 0);
                if (i == 1)
                        fake_write(path, "A text file where a shared object should be, long enough "
                                         "for an ELF header.\n");
                if (i == 2)
                        ck_assert_int_eq(symlink(OTHER_BUILD_IIO_MODULE, path), 0);

                status = run_failing("plant-encoder", module_dir, out, sizeof(out));
                ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s: status %#x: %s",
                              cases[i].subdir, status, out);
                snprintf(expected, sizeof(expected), "%s: [Encoder] Driver=iio: %s%s",
                         board.config, cases[i].before_path, path);
                ck_assert_msg(strstr(out, expected), "%s: %s", cases[i].subdir, out);
                ck_assert_msg(strstr(out, cases[i].reason), "%s: %s", cases[i].subdir, out);
                ck_assert_msg(strstr(out, "The motor stays off; percussd stops."), "%s", out);
                ck_assert_str_eq(fake_read(PWM "/pwm0/duty_cycle"), "");
                ck_assert_str_eq(fake_read(PWM "/pwm0/enable"), "");
        }
}
END_TEST

/* The plant's driver sticks on: waits (up to timeout_ms) for the fault,
 * which must be runaway, its message saying so and the duty written 0;
 * then the driver is let go and the daemon and the plant stopped. The
 * plant's time when it stuck and when the test saw the fault. */
static void stick_driver_until_runaway(struct daemon_fixture *f, int timeout_ms, double *stuck_s,
                                       double *seen_s)
{
        char *text;

        *stuck_s = sim_gun_time_s(&plant.model);
        sim_gun_set_motor_stuck(&plant.model, true);
        ck_assert_msg(fixture_wait_string(f, "State", "fault", timeout_ms), "no fault");
        *seen_s = sim_gun_time_s(&plant.model);
        fixture_expect_string(f, "Fault", "runaway");
        text = fixture_get_string(f, "FaultMessage");
        ck_assert_msg(strstr(text, "stuck on"), "FaultMessage: %s", text);
        free(text);
        ck_assert_double_eq(board_read_number(plant.motor_duty_fd), 0.0);
        sim_gun_set_motor_stuck(&plant.model, false);
        daemon_fixture_stop(f);
        plant_stop(&plant);
}

/* The motor's driver stuck on (a shorted switch: the plant's crank driven
 * at the full bus voltage whatever the PWM says): fault runaway, the duty
 * written 0. The reaction is bounded from above by when the test sees the
 * fault on the bus, in the plant's time (the model keeps to the clock). */
START_TEST(test_stuck_driver_is_a_runaway)
{
        struct daemon_fixture f;
        double stuck_s, seen_s, over_s = NAN;

        start_playing(&f);
        usleep((useconds_t)((ROUTINE_RAMP_S + 0.5) * 1e6));
        stick_driver_until_runaway(&f, 3000, &stuck_s, &seen_s);

        for (size_t i = 0; i < plant.n && isnan(over_s); i++)
                if (plant.rev_end_s[i] > stuck_s && plant.rev_ppm[i] > 1.1 * ROUTINE_SPEED_PPM)
                        over_s = plant.rev_end_s[i];
        ck_assert_msg(!isnan(over_s), "the crank never outran its set-point");
        fprintf(stderr, "stuck driver on the emulated board: fault seen on the bus %.0f ms after "
                        "the driver stuck, %.0f ms after the crank's revolution passed %.0f ppm "
                        "(RunawayTime 100 ms)\n",
                (seen_s - stuck_s) * 1e3, (seen_s - over_s) * 1e3, 1.1 * ROUTINE_SPEED_PPM);
}
END_TEST

/* The slowest loop, 250 Hz, plays the routine to its end on the encoder
 * as the board gives it, and returns the spread of the crank's
 * revolutions over the step (the model's own); whether the loop and the
 * plant kept time (neither held up past a period). */
static bool play_at_250_hz(const char *what, double *mean_ppm, double *lo_ppm, double *hi_ppm)
{
        struct daemon_fixture f;
        double sum_ppm = 0.0;
        unsigned counted = 0, max_latency_us;
        bool finished, on_time;
        char *fault;

        *lo_ppm = INFINITY;
        *hi_ppm = 0.0;
        daemon_fixture_start_hardware(&f, write_config("plant-encoder"),
                                      (const char *const[]){ "--profiles-dir", write_routine(),
                                                             "--rt-cpu", "0", "--control-hz",
                                                             "250", NULL });
        start_plant();
        ck_assert_int_eq(fixture_call(&f, "Start", "e2e", NULL, NULL), 0);
        ck_assert_msg(fixture_wait_string(&f, "State", "running", 2000), "not running");
        /* to the routine's end (a fault is for good: it never gets there) */
        finished = fixture_wait_string(&f, "State", "idle", (int)(ROUTINE_DURATION_S * 1000) + 3000);
        fault = fixture_get_string(&f, "FaultMessage");
        ck_assert_msg(finished && !*fault, "the routine did not finish; FaultMessage: %s", fault);
        free(fault);
        max_latency_us = fixture_get_u32(&f, "MaxLatency");
        ck_assert_int_eq(daemon_fixture_terminate(&f, 5000), 0);
        daemon_fixture_stop(&f);
        plant_stop(&plant);

        for (size_t i = 0; i < plant.n; i++)
                if (plant.rev_end_s[i] > plant.motor_start_s + ROUTINE_RAMP_S + 0.5 &&
                    plant.rev_end_s[i] < plant.motor_start_s + ROUTINE_DURATION_S - 0.2) {
                        sum_ppm += plant.rev_ppm[i];
                        *lo_ppm = fmin(*lo_ppm, plant.rev_ppm[i]);
                        *hi_ppm = fmax(*hi_ppm, plant.rev_ppm[i]);
                        counted++;
                }
        ck_assert_uint_ge(counted, 20);
        *mean_ppm = sum_ppm / counted;
        on_time = max_latency_us < 4000 && plant.longest_gap_ns < 4000000;
        fprintf(stderr, "%s, 250 Hz loop: the crank %.0f ppm (%.0f–%.0f) over %u revolutions for "
                        "%.0f asked; %u scans written, %u dropped, longest gap %.2f ms; worst "
                        "wake-up %u µs; %s\n", what, *mean_ppm, *lo_ppm, *hi_ppm, counted,
                ROUTINE_SPEED_PPM, plant.samples_written, plant.samples_dropped,
                (double)plant.longest_gap_ns * 1e-6, max_latency_us,
                on_time ? "judged" : "not judged: the machine held the loop or the plant up");
        return on_time;
}

/* With the kernel's timestamps each revolution is measured on the times
 * its scans were taken, not on the 4 ms periods that read them: every
 * revolution within ±2 % (without them a steady 2000 read 1875, 2000 and
 * 2143, whole periods per revolution). */
START_TEST(test_encoder_with_timestamps_at_250_hz)
{
        double mean_ppm, lo_ppm, hi_ppm;
        bool on_time = play_at_250_hz("encoder with timestamps", &mean_ppm, &lo_ppm, &hi_ppm);

        ck_assert(plant.enc_timestamped);
        if (on_time) {
                ck_assert_double_le(fabs(mean_ppm - ROUTINE_SPEED_PPM), 0.02 * ROUTINE_SPEED_PPM);
                ck_assert_double_ge(lo_ppm, 0.98 * ROUTINE_SPEED_PPM);
                ck_assert_double_le(hi_ppm, 1.02 * ROUTINE_SPEED_PPM);
        }
}
END_TEST

/* An encoder whose driver has no timestamp channel: percussd stamps each
 * scan with the time it read it. At 250 Hz a period that finds no new
 * scan is no lost sensor: the routine plays to its end, at its speed when
 * the machine kept time (a read-time stamp is as late as the loop and
 * the plant were held up). The scans hold the enabled channels only, as
 * the kernel packs them (sysfs-bus-iio, scan_elements): a board that went
 * on writing its 8-byte timestamp after the channel had gone fed the
 * daemon the timestamp's upper words as counts, a standing crank while
 * the IMU felt the head percussing, and so sensor-lost, at 250 Hz and
 * 1 kHz alike. */
START_TEST(test_encoder_without_timestamps_at_250_hz)
{
        char command[256];
        double mean_ppm, lo_ppm, hi_ppm;
        bool on_time;

        snprintf(command, sizeof(command), "rm " ENC "/scan_elements/in_timestamp_* "
                 ENC "/current_timestamp_clock");
        ck_assert_int_eq(system(command), 0);
        on_time = play_at_250_hz("encoder without timestamps", &mean_ppm, &lo_ppm, &hi_ppm);
        ck_assert(!plant.enc_timestamped);
        if (on_time)
                ck_assert_double_le(fabs(mean_ppm - ROUTINE_SPEED_PPM), 0.02 * ROUTINE_SPEED_PPM);
}
END_TEST

/* The motor's driver stuck on while the gun rests after a routine: no
 * watchdog here, so the daemon's beat looks at the crank every 2.5–3.75 s;
 * the first look finds it turning with the motor off, the loop watches it
 * on and calls it a runaway, the duty written 0. Waited for, not timed:
 * the reaction is printed in the plant's time. */
START_TEST(test_stuck_driver_at_rest_is_a_runaway)
{
        struct daemon_fixture f;
        double stuck_s, seen_s;
        long deadline_ms;

        start_playing(&f);
        usleep(500000);
        fixture_call(&f, "Stop", NULL, NULL, NULL);
        ck_assert_msg(fixture_wait_string(&f, "State", "idle", 2000), "not idle after Stop");
        for (deadline_ms = fixture_now_ms() + 5000; fixture_get_double(&f, "Speed") != 0.0;) {
                ck_assert_msg(fixture_now_ms() < deadline_ms, "the crank never came to rest");
                usleep(50000);
        }
        stick_driver_until_runaway(&f, 10000, &stuck_s, &seen_s);
        fprintf(stderr, "stuck driver at rest on the emulated board: fault seen on the bus %.0f ms "
                        "after the driver stuck (a look every 2.5–3.75 s, then RunawayTime 100 ms)\n",
                (seen_s - stuck_s) * 1e3);
}
END_TEST

static Suite *e2e_suite(void)
{
        Suite *s = suite_create("hw-e2e");
        TCase *tc = tcase_create("daemon");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_routine_on_the_real_drivers);
        tcase_add_test(tc, test_missing_device_stops_the_daemon);
        tcase_add_test(tc, test_device_lost_and_back);
        tcase_add_test(tc, test_stop_while_a_device_is_missing);
        tcase_add_test(tc, test_silent_imu_is_a_lost_sensor);
        tcase_add_test(tc, test_bad_module_stops_the_daemon);
        tcase_add_test(tc, test_stuck_driver_is_a_runaway);
        suite_add_tcase(s, tc);

        /* the crank at rest, the control thread asleep but for its looks */
        tc = tcase_create("at-rest");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_stuck_driver_at_rest_is_a_runaway);
        suite_add_tcase(s, tc);

        /* the encoder's driver without a timestamp channel: read-time stamping */
        tc = tcase_create("read-time");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_encoder_with_timestamps_at_250_hz);
        tcase_add_test(tc, test_encoder_without_timestamps_at_250_hz);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        if (!fake_sysfs_enter())
                return 0;
        return run_suite(e2e_suite());
}
