/* SPDX-License-Identifier: MIT */
/*
 * control-report: the control-quality runs of shared/design/QUALITY.md on
 * the simulated gun, in simulated time (the loop as the RT thread runs it,
 * through control_period_run(), at 1 kHz), written down so that a person
 * can look at them:
 *
 *   ramp     0 → 2000 ppm over 3 s, then 3 s held;
 *   contact  at 2000 ppm, the user presses 0 → 40 N at 4 s, lets go at 6 s;
 *   stroke   at 2200 ppm, stroke set-point 8 → 14 mm at 3 s, → 10 mm at 5 s,
 *            pressed with 40 N from 6 s to 8 s; the stroke actuator's map,
 *            as its driver reports it, is off by a millimetre (3–15 mm for
 *            a true 4–16 mm), so that the amplitude loop has work to do;
 *   force    at 2000 ppm and 12 mm, the user presses 10, 20, then 40 N for
 *            2 s each from 1 s, then lets go.
 *
 * For each run it writes control-RUN.csv into OUTPUT_DIR (default ".", made
 * if missing), one row per period:
 *
 *   time_s, target_ppm (what was asked), setpoint_ppm (slew-limited),
 *   speed_ppm (the loop's estimate: mean over the last revolution),
 *   fast_speed_ppm (the estimate the speed loop uses), true_speed_ppm (the
 *   model's instantaneous crank speed: impacts make it ripple), duty,
 *   contact_set_n (the user's force), contact_n (the head's contact force
 *   this instant), stroke_set_mm, stroke_mm (the model's true stroke),
 *   amplitude_mm (the stroke estimate, the Amplitude property), force_n
 *   (the force estimate, the Force property)
 *
 * and, when gnuplot is on PATH, control-RUN.gp and the plot control-RUN.svg.
 * It prints one line per run: settle time, RMS error, dip, recovery, with
 * the QUALITY.md bar beside each figure. Speed figures use speed_ppm, as
 * the bars do.
 *
 * Usage: control-report [OUTPUT_DIR]
 * The run is deterministic; it takes well under a second.
 */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fixtures/sim-rig.h"

#define CONTROL_HZ SIM_RIG_HZ
#define MAX_ROWS 10000u         /* 10 s at 1 kHz */

extern char **environ;

struct row {
        double time_s;
        double target_ppm, setpoint_ppm, speed_ppm, fast_speed_ppm, true_speed_ppm;
        double duty;
        double contact_set_n, contact_n;
        double stroke_set_mm, stroke_mm;
        double amplitude_mm, force_n;
};

/* The simulated gun driven by the control period, in simulated time. */
static struct {
        struct sim_rig rig;
        double contact_set_n;
        struct row rows[MAX_ROWS];
        unsigned n_rows;
} b;

static int bench_init(void)
{
        memset(&b, 0, sizeof(b));
        return sim_rig_open(&b.rig, 7, false);
}

static void set_contact(double force_n)
{
        b.contact_set_n = force_n;
        sim_gun_set_contact_force(&b.rig.model, force_n);
}

/* Runs until simulated time end_s (since the run began), one row a period. */
static int run_until(const struct setpoint *sp, double end_s)
{
        while (b.n_rows < MAX_ROWS) {
                double t_s = (b.n_rows + 1) / (double)CONTROL_HZ;
                struct row *row;
                int r;

                if (t_s > end_s + 1e-9)
                        return 0;
                r = sim_rig_period(&b.rig, sp);
                if (r < 0 || b.rig.tm.fault != FAULT_NONE) {
                        fprintf(stderr, "control-report: the loop faulted at %.3f s (fault %d, %s)\n",
                                t_s, (int)b.rig.tm.fault, strerror(r < 0 ? -r : b.rig.tm.fault_errno));
                        return r < 0 ? r : -EIO;
                }
                row = &b.rows[b.n_rows++];
                *row = (struct row){
                        .time_s = t_s,
                        .target_ppm = sp->motor_on ? sp->speed_ppm : 0.0,
                        .setpoint_ppm = b.rig.tm.setpoint_speed_ppm,
                        .speed_ppm = b.rig.tm.speed_ppm,
                        .fast_speed_ppm = speed_estimator_fast_ppm(&b.rig.cp.speed_estimator),
                        .true_speed_ppm = sim_gun_true_speed_ppm(&b.rig.model),
                        .duty = b.rig.tm.duty,
                        .contact_set_n = b.contact_set_n,
                        .contact_n = b.rig.model.contact_n,
                        .stroke_set_mm = sp->stroke_mm,
                        .stroke_mm = sim_gun_true_stroke_mm(&b.rig.model),
                        .amplitude_mm = b.rig.tm.amplitude_mm,
                        .force_n = b.rig.tm.force_n,
                };
        }
        return -ENOSPC;
}

/* Figures of one signal over [from_s, to_s) against a constant target. */
struct window {
        double settle_s;        /* after from_s, the signal stays within the band: 0 if never out */
        double rms_error;
        double min, max;
};

enum signal {
        SIGNAL_SPEED,
        SIGNAL_STROKE,
        SIGNAL_STROKE_ESTIMATE_ERROR,   /* estimate − model truth */
        SIGNAL_FORCE,
};

static double signal_value(const struct row *row, enum signal signal)
{
        switch (signal) {
        case SIGNAL_STROKE:
                return row->stroke_mm;
        case SIGNAL_STROKE_ESTIMATE_ERROR:
                return row->amplitude_mm - row->stroke_mm;
        case SIGNAL_FORCE:
                return row->force_n;
        case SIGNAL_SPEED:
        default:
                return row->speed_ppm;
        }
}

static struct window measure(enum signal signal, double from_s, double to_s, double target,
                             double band)
{
        struct window w = { .min = INFINITY, .max = -INFINITY };
        double sum_sq = 0.0, last_outside_s = from_s;
        unsigned n = 0;

        for (unsigned i = 0; i < b.n_rows; i++) {
                const struct row *row = &b.rows[i];
                double value, error;

                if (row->time_s <= from_s + 1e-9 || row->time_s > to_s + 1e-9)
                        continue;
                value = signal_value(row, signal);
                error = value - target;
                sum_sq += error * error;
                w.min = fmin(w.min, value);
                w.max = fmax(w.max, value);
                if (fabs(error) > band)
                        last_outside_s = row->time_s;
                n++;
        }
        w.settle_s = last_outside_s - from_s;
        w.rms_error = n ? sqrt(sum_sq / n) : NAN;
        return w;
}

static int write_csv(const char *path)
{
        FILE *f = fopen(path, "we");

        if (!f) {
                fprintf(stderr, "control-report: cannot write %s: %s\n", path, strerror(errno));
                return -errno;
        }
        fputs("time_s,target_ppm,setpoint_ppm,speed_ppm,fast_speed_ppm,true_speed_ppm,duty,"
              "contact_set_n,contact_n,stroke_set_mm,stroke_mm,amplitude_mm,force_n\n", f);
        for (unsigned i = 0; i < b.n_rows; i++) {
                const struct row *r = &b.rows[i];

                fprintf(f, "%.3f,%.1f,%.2f,%.2f,%.2f,%.2f,%.4f,%.1f,%.2f,%.2f,%.3f,%.3f,%.2f\n",
                        r->time_s, r->target_ppm, r->setpoint_ppm, r->speed_ppm, r->fast_speed_ppm,
                        r->true_speed_ppm, r->duty, r->contact_set_n, r->contact_n,
                        r->stroke_set_mm, r->stroke_mm, r->amplitude_mm, r->force_n);
        }
        if (fclose(f) != 0) {
                fprintf(stderr, "control-report: cannot write %s: %s\n", path, strerror(errno));
                return -errno;
        }
        return 0;
}

static bool gnuplot_on_path(void)
{
        const char *path = getenv("PATH");
        char dir_file[4096];

        if (!path)
                return false;
        for (const char *p = path; *p;) {
                size_t len = strcspn(p, ":");

                snprintf(dir_file, sizeof(dir_file), "%.*s/gnuplot", (int)len, len ? p : ".");
                if (access(dir_file, X_OK) == 0)
                        return true;
                p += len;
                if (*p == ':')
                        p++;
        }
        return false;
}

/* Three panels sharing the time axis: speed, duty, and the run's own
 * (speed error for the ramp, contact force, stroke, force). Column numbers
 * are those of write_csv(). */
static int write_plot_script(const char *gp_path, const char *csv_path, const char *svg_path,
                             const char *title, const char *third_panel)
{
        FILE *f = fopen(gp_path, "we");

        if (!f) {
                fprintf(stderr, "control-report: cannot write %s: %s\n", gp_path, strerror(errno));
                return -errno;
        }
        fprintf(f,
                "set terminal svg size 1000,900 dynamic font 'sans,11'\n"
                "set output '%s'\n"
                "csv = '%s'\n"
                "set datafile separator ','\n"
                "set grid\n"
                "set key bottom right\n"
                "set multiplot layout 3,1 title '%s'\n"
                "set ylabel 'speed, ppm'\n"
                "plot csv skip 1 using 1:6 with lines lc rgb '#bbbbbb' title 'true (instantaneous)', \\\n"
                "     '' skip 1 using 1:2 with lines dt 2 lc rgb 'black' title 'target', \\\n"
                "     '' skip 1 using 1:3 with lines lc rgb '#1f77b4' title 'set-point (slew-limited)', \\\n"
                "     '' skip 1 using 1:4 with lines lw 2 lc rgb '#d62728' title 'estimate (revolution mean)'\n"
                "set ylabel 'duty'\n"
                "plot csv skip 1 using 1:7 with lines lc rgb '#2ca02c' title 'duty'\n"
                "set xlabel 'time, s'\n"
                "%s"
                "unset multiplot\n",
                svg_path, csv_path, title, third_panel);
        if (fclose(f) != 0)
                return -errno;
        return 0;
}

static int run_gnuplot(const char *gp_path)
{
        char *argv[] = { (char *)"gnuplot", (char *)gp_path, NULL };
        int status, r;
        pid_t pid;

        r = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
        if (r != 0) {
                fprintf(stderr, "control-report: cannot run gnuplot: %s\n", strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "control-report: gnuplot %s failed\n", gp_path);
                return -EIO;
        }
        return 0;
}

static int write_outputs(const char *dir, const char *run, const char *title,
                         const char *third_panel, bool plot)
{
        char csv[4096], gp[4096], svg[4096];
        int r;

        snprintf(csv, sizeof(csv), "%s/control-%s.csv", dir, run);
        snprintf(gp, sizeof(gp), "%s/control-%s.gp", dir, run);
        snprintf(svg, sizeof(svg), "%s/control-%s.svg", dir, run);
        r = write_csv(csv);
        if (r < 0 || !plot)
                return r;
        r = write_plot_script(gp, csv, svg, title, third_panel);
        if (r < 0)
                return r;
        r = run_gnuplot(gp);
        if (r >= 0)
                printf("  wrote %s and %s\n", csv, svg);
        return r;
}

static int run_ramp(const char *dir, bool plot)
{
        const struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 3.0,
                                     .stroke_mm = 12, .generation = 1 };
        struct window settle, steady;
        double ripple_min = INFINITY, ripple_max = -INFINITY;
        int r;

        r = bench_init();
        if (r == 0)
                r = run_until(&sp, 6.0);
        if (r < 0)
                return r;
        settle = measure(SIGNAL_SPEED, 3.0, 6.0, 2000, 0.02 * 2000);
        steady = measure(SIGNAL_SPEED, 4.0, 6.0, 2000, 0.02 * 2000);
        for (unsigned i = 0; i < b.n_rows; i++)
                if (b.rows[i].time_s > 4.0) {
                        ripple_min = fmin(ripple_min, b.rows[i].true_speed_ppm);
                        ripple_max = fmax(ripple_max, b.rows[i].true_speed_ppm);
                }
        printf("ramp 0 → 2000 ppm in 3 s, 12 mm: within ±2 %% %.0f ms after the ramp ended "
               "(bar ≤ 300 ms); RMS error over the last 2 s %.2f ppm = %.3f %% (bar ≤ 0.5 %%); "
               "ripple inside a revolution (model truth) %.0f..%.0f ppm\n",
               1000 * settle.settle_s, steady.rms_error, 100 * steady.rms_error / 2000,
               ripple_min, ripple_max);
        return write_outputs(dir, "ramp", "Ramp 0 → 2000 ppm over 3 s, then held (12 mm)",
                             "set ylabel 'error, % of target'\n"
                             "plot csv skip 1 using 1:(100*($4-$2)/$2) with lines lc rgb '#d62728' "
                             "title 'estimate − target', 2 dt 2 lc rgb 'black' title '±2 %', "
                             "-2 dt 2 lc rgb 'black' notitle\n", plot);
}

static int run_contact(const char *dir, bool plot)
{
        const struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 2.0,
                                     .stroke_mm = 12, .generation = 1 };
        struct window press, pressed, release, force;
        int r;

        r = bench_init();
        if (r == 0)
                r = run_until(&sp, 4.0);
        if (r == 0) {
                set_contact(40.0);
                r = run_until(&sp, 6.0);
        }
        if (r == 0) {
                set_contact(0.0);
                r = run_until(&sp, 8.0);
        }
        if (r < 0)
                return r;
        press = measure(SIGNAL_SPEED, 4.0, 6.0, 2000, 0.01 * 2000);
        pressed = measure(SIGNAL_SPEED, 5.0, 6.0, 2000, 0.01 * 2000);
        release = measure(SIGNAL_SPEED, 6.0, 8.0, 2000, 0.01 * 2000);
        force = measure(SIGNAL_FORCE, 5.0, 6.0, 40.0, 0.1 * 40.0);
        printf("contact 0 → 40 N at 2000 ppm: dip %.2f %% (bar ≤ 5 %%), back within ±1 %% after "
               "%.0f ms (bar ≤ 150 ms), RMS error pressed %.2f ppm = %.3f %%; "
               "40 → 0 N: peak +%.2f %%, back within ±1 %% after %.0f ms\n",
               100 * (2000 - press.min) / 2000, 1000 * press.settle_s, pressed.rms_error,
               100 * pressed.rms_error / 2000, 100 * (release.max - 2000) / 2000,
               1000 * release.settle_s);
        printf("  force estimate at 40 N, last second pressed: %.1f..%.1f N (bar ±10 %% or ±3 N)\n",
               force.min, force.max);
        return write_outputs(dir, "contact", "Contact force 0 → 40 N → 0 at 2000 ppm (12 mm)",
                             "set ylabel 'force, N'\n"
                             "plot csv skip 1 using 1:9 with lines lc rgb '#bbbbbb' "
                             "title 'contact (instantaneous)', "
                             "'' skip 1 using 1:8 with lines lw 2 lc rgb 'black' title 'user force', "
                             "'' skip 1 using 1:13 with lines lw 2 lc rgb '#ff7f0e' "
                             "title 'estimate (Force)'\n",
                             plot);
}

/* The stroke actuator's map as its driver reports it: a millimetre short
 * of the model's true 4–16 mm. */
#define STROKE_MAP_MIN_MM 3.0
#define STROKE_MAP_MAX_MM 15.0

static int run_stroke(const char *dir, bool plot)
{
        struct setpoint sp = { .motor_on = true, .speed_ppm = 2200, .ramp_s = 2.0,
                               .stroke_mm = 8, .generation = 1 };
        struct window up, up_speed, down, down_speed, steady, steady_pressed;
        struct window estimate_free, estimate_pressed;
        int r;

        r = bench_init();
        b.rig.gun.stroke.min_mm = STROKE_MAP_MIN_MM;
        b.rig.gun.stroke.max_mm = STROKE_MAP_MAX_MM;
        if (r == 0)
                r = run_until(&sp, 3.0);
        if (r == 0) {
                /* a new set-point at the same speed: the slew falls back to the default */
                sp.stroke_mm = 14;
                sp.generation++;
                r = run_until(&sp, 5.0);
        }
        if (r == 0) {
                sp.stroke_mm = 10;
                sp.generation++;
                r = run_until(&sp, 6.0);
        }
        if (r == 0) {
                set_contact(40.0);
                r = run_until(&sp, 8.0);
        }
        if (r < 0)
                return r;
        up = measure(SIGNAL_STROKE, 3.0, 5.0, 14, 0.3);
        up_speed = measure(SIGNAL_SPEED, 3.0, 5.0, 2200, 0.01 * 2200);
        down = measure(SIGNAL_STROKE, 5.0, 6.0, 10, 0.3);
        down_speed = measure(SIGNAL_SPEED, 5.0, 6.0, 2200, 0.01 * 2200);
        steady = measure(SIGNAL_STROKE, 5.5, 6.0, 10, 0.3);
        steady_pressed = measure(SIGNAL_STROKE, 7.0, 8.0, 10, 0.3);
        estimate_free = measure(SIGNAL_STROKE_ESTIMATE_ERROR, 4.0, 5.0, 0.0, 0.2);
        estimate_pressed = measure(SIGNAL_STROKE_ESTIMATE_ERROR, 7.0, 8.0, 0.0, 0.2);
        printf("stroke 8 → 14 → 10 mm at 2200 ppm, actuator map off by 1 mm, 40 N from 6 s: "
               "true stroke within ±0.3 mm %.0f ms / %.0f ms after each step, steady error "
               "%.3f mm RMS in the air, %.3f mm RMS at 40 N, worst %.3f mm (bar ±0.3 mm); "
               "speed dip %.2f %% / peak +%.2f %%, back within ±1 %% after %.0f ms / %.0f ms\n",
               1000 * up.settle_s, 1000 * down.settle_s, steady.rms_error,
               steady_pressed.rms_error,
               fmax(fmax(fabs(steady.min - 10), fabs(steady.max - 10)),
                    fmax(fabs(steady_pressed.min - 10), fabs(steady_pressed.max - 10))),
               100 * (2200 - up_speed.min) / 2200, 100 * (down_speed.max - 2200) / 2200,
               1000 * up_speed.settle_s, 1000 * down_speed.settle_s);
        printf("  stroke estimate − model truth: %+.3f..%+.3f mm in the air (4–5 s), "
               "%+.3f..%+.3f mm at 40 N (7–8 s) (bar ≤ 0.2 mm)\n",
               estimate_free.min, estimate_free.max, estimate_pressed.min, estimate_pressed.max);
        return write_outputs(dir, "stroke", "Stroke set-point 8 → 14 → 10 mm at 2200 ppm, "
                             "actuator map off by 1 mm, 40 N from 6 s",
                             "set ylabel 'stroke, mm'\n"
                             "plot csv skip 1 using 1:10 with lines dt 2 lc rgb 'black' "
                             "title 'set-point', '' skip 1 using 1:11 with lines lw 2 "
                             "lc rgb '#9467bd' title 'model truth', '' skip 1 using 1:12 "
                             "with lines lc rgb '#ff7f0e' title 'estimate (Amplitude)'\n", plot);
}

static int run_force(const char *dir, bool plot)
{
        static const double forces_n[] = { 10, 20, 40 };
        const struct setpoint sp = { .motor_on = true, .speed_ppm = 2000, .ramp_s = 0.5,
                                     .stroke_mm = 12, .generation = 1 };
        int r;

        r = bench_init();
        if (r == 0)
                r = run_until(&sp, 1.0);
        for (size_t i = 0; r == 0 && i < sizeof(forces_n) / sizeof(forces_n[0]); i++) {
                set_contact(forces_n[i]);
                r = run_until(&sp, 3.0 + 2.0 * (double)i);
        }
        if (r == 0) {
                set_contact(0.0);
                r = run_until(&sp, 8.0);
        }
        if (r < 0)
                return r;
        printf("force at 2000 ppm, 12 mm, last second of each level:");
        for (size_t i = 0; i < sizeof(forces_n) / sizeof(forces_n[0]); i++) {
                struct window w = measure(SIGNAL_FORCE, 2.0 + 2.0 * (double)i,
                                          3.0 + 2.0 * (double)i, forces_n[i], 0.1 * forces_n[i]);

                printf(" %.0f N → %.1f..%.1f N%s", forces_n[i], w.min, w.max,
                       i + 1 < sizeof(forces_n) / sizeof(forces_n[0]) ? ";" : "");
        }
        printf(" (bar ±10 %% or ±3 N)\n");
        return write_outputs(dir, "force", "Force estimate: 10 → 20 → 40 N → 0 at 2000 ppm (12 mm)",
                             "set ylabel 'force, N'\n"
                             "plot csv skip 1 using 1:9 with lines lc rgb '#bbbbbb' "
                             "title 'contact (instantaneous)', "
                             "'' skip 1 using 1:8 with lines lw 2 lc rgb 'black' title 'user force', "
                             "'' skip 1 using 1:13 with lines lw 2 lc rgb '#ff7f0e' "
                             "title 'estimate (Force)'\n", plot);
}

int main(int argc, char **argv)
{
        const char *dir = argc > 1 ? argv[1] : ".";
        bool plot;

        if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
                printf("Usage: %s [OUTPUT_DIR]\n"
                       "Writes control-{ramp,contact,stroke,force}.csv (and .svg with gnuplot) and "
                       "prints the control-quality figures.\n", argv[0]);
                return argc > 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "control-report: cannot make %s: %s\n", dir, strerror(errno));
                return EXIT_FAILURE;
        }
        plot = gnuplot_on_path();
        if (!plot)
                printf("gnuplot is not on PATH: writing the CSV files only "
                       "(apt-get install gnuplot-nox for the SVG plots)\n");

        if (run_ramp(dir, plot) < 0 || run_contact(dir, plot) < 0 || run_stroke(dir, plot) < 0 ||
            run_force(dir, plot) < 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}
