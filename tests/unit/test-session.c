/* SPDX-License-Identifier: MIT */
/*
 * The routine engine in simulated time: the shipped routines play through
 * their steps, waits and pauses; pause/resume keep the position; Next;
 * intensity scaling stays inside the muscle envelopes; faults; and the
 * button gestures.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daemon/session/battery-policy.h"
#include "tests/fixtures/check-main.h"
#include "daemon/panel/gestures.h"
#include "daemon/session/routines.h"
#include "daemon/session/session.h"

#define SEC 1000000ull

static struct {
        uint64_t now_us;
        uint64_t timer_at_us;           /* 0 = not armed */
        struct setpoint setpoint;
        unsigned setpoints;
        unsigned steps_started;
        unsigned finished;
        struct session_summary summary;
        char summary_routine[40];
        unsigned faults;
} fake;

static struct routines routines;
static struct session session;

static uint64_t fake_now(void *userdata)
{
        (void)userdata;
        return fake.now_us;
}

static int fake_arm(void *userdata, uint64_t at_usec)
{
        (void)userdata;
        fake.timer_at_us = at_usec;
        return 0;
}

static void fake_disarm(void *userdata)
{
        (void)userdata;
        fake.timer_at_us = 0;
}

static void fake_setpoint(void *userdata, const struct setpoint *sp)
{
        (void)userdata;
        fake.setpoint = *sp;
        fake.setpoints++;
}

static void fake_step_started(void *userdata, unsigned step, const struct profile_step *s)
{
        (void)userdata, (void)step, (void)s;
        fake.steps_started++;
}

static void fake_finished(void *userdata, const struct session_summary *summary)
{
        (void)userdata;
        fake.finished++;
        fake.summary = *summary;
        snprintf(fake.summary_routine, sizeof(fake.summary_routine), "%s", summary->routine);
}

static void fake_fault(void *userdata, enum fault fault, const char *message)
{
        (void)userdata, (void)fault, (void)message;
        fake.faults++;
}

static const struct session_ops fake_ops = {
        .now_usec = fake_now,
        .arm_timer = fake_arm,
        .disarm_timer = fake_disarm,
        .set_setpoint = fake_setpoint,
        .step_started = fake_step_started,
        .finished = fake_finished,
        .fault_raised = fake_fault,
};

/* Moves simulated time on by `seconds`, firing the step timer on time. */
static void advance(double seconds)
{
        uint64_t end_us = fake.now_us + (uint64_t)(seconds * SEC);

        while (fake.timer_at_us && fake.timer_at_us <= end_us) {
                fake.now_us = fake.timer_at_us;
                fake.timer_at_us = 0;
                session_on_timer(&session);
        }
        fake.now_us = end_us;
}

static void setup(void)
{
        const char *dirs[] = { PROFILES_SRC_DIR };

        memset(&fake, 0, sizeof(fake));
        fake.now_us = 1000 * SEC;
        ck_assert_int_gt(routines_load(&routines, dirs, 1), 0);
        session_init(&session, &fake_ops, NULL);
}

static void teardown(void)
{
        routines_clear(&routines);
}

static const struct profile *routine(const char *id)
{
        const struct profile *p = routines_find(&routines, id);

        ck_assert_msg(p, "routine %s not shipped", id);
        return p;
}

START_TEST(test_post_run_plays_all_steps_with_waits)
{
        const struct profile *p = routine("post-run");
        unsigned waits = 0, pauses = 0;

        ck_assert_uint_eq(p->n_steps, 6);
        ck_assert_int_eq(session_start(&session, p), 0);
        ck_assert_int_eq(session.state, SESSION_RUNNING);
        ck_assert(fake.setpoint.motor_on);

        for (unsigned i = 0; i < p->n_steps; i++) {
                const struct profile_step *step = &p->steps[i];

                ck_assert_uint_eq(session.step, i);
                ck_assert_int_eq(session.state, SESSION_RUNNING);
                ck_assert_str_eq(session_current_step(&session)->muscle, step->muscle);
                ck_assert(fake.setpoint.motor_on);
                ck_assert_double_eq(fake.setpoint.speed_ppm, session_scaled_speed_ppm(step, 3));
                advance(step->duration_s - 0.5);
                ck_assert_double_eq_tol(session_step_remaining_s(&session), 0.5, 1e-6);
                advance(0.5);
                if (i + 1 == p->n_steps)
                        break;
                if (step->after == STEP_AFTER_WAIT) {
                        /* motor off until the button; time alone does not go on */
                        ck_assert_int_eq(session.state, SESSION_WAITING);
                        ck_assert(!fake.setpoint.motor_on);
                        advance(600);
                        ck_assert_int_eq(session.state, SESSION_WAITING);
                        ck_assert_int_eq(session_resume(&session), 0);
                        waits++;
                } else if (step->after == STEP_AFTER_PAUSE) {
                        ck_assert_int_eq(session.state, SESSION_WAITING);
                        ck_assert(!fake.setpoint.motor_on);
                        advance(step->pause_s);
                        pauses++;
                }
        }
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(waits, 2);
        ck_assert_uint_eq(pauses, 3);
        ck_assert_uint_eq(fake.finished, 1);
        ck_assert(fake.summary.completed);
        ck_assert_uint_eq(fake.summary.steps_completed, 6);
        ck_assert_str_eq(fake.summary_routine, "post-run");
        ck_assert_uint_eq(fake.steps_started, 6);
        {
                double total_s = 0;

                for (unsigned i = 0; i < p->n_steps; i++)
                        total_s += p->steps[i].duration_s;
                /* Elapsed counts percussion only, not the waits */
                ck_assert_double_eq_tol(fake.summary.seconds, total_s, 1e-6);
        }
}
END_TEST

START_TEST(test_pause_resume_keeps_position)
{
        const struct profile *p = routine("calves");

        ck_assert_int_eq(session_start(&session, p), 0);
        advance(20);
        ck_assert_int_eq(session_pause(&session), 0);
        ck_assert_int_eq(session.state, SESSION_PAUSED);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.timer_at_us, 0);
        advance(300);
        ck_assert_double_eq_tol(session_step_remaining_s(&session), p->steps[0].duration_s - 20, 1e-6);
        ck_assert_double_eq_tol(session_elapsed_s(&session), 20, 1e-6);
        ck_assert_int_eq(session_resume(&session), 0);
        ck_assert(fake.setpoint.motor_on);
        ck_assert_double_eq(fake.setpoint.ramp_s, p->steps[0].ramp_s);
        ck_assert_int_eq(session_resume(&session), -EBUSY);
        advance(p->steps[0].duration_s - 20 - 0.001);
        ck_assert_uint_eq(session.step, 0);
        advance(0.002);
        ck_assert_uint_ne(session.step, 0);
}
END_TEST

START_TEST(test_next_and_stop)
{
        const struct profile *p = routine("calves");

        ck_assert_int_eq(session_start(&session, p), 0);
        ck_assert_int_eq(session_start(&session, p), -EBUSY);
        advance(5);
        ck_assert_int_eq(session_next(&session), 0);
        ck_assert_uint_eq(session.step, 1);
        ck_assert_int_eq(session.state, SESSION_RUNNING);
        ck_assert_str_eq(session_current_step(&session)->side, "right");
        advance(5);
        ck_assert_int_eq(session_stop(&session), 0);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert(!fake.summary.completed);
        ck_assert_uint_eq(fake.summary.steps_completed, 0);
        ck_assert_double_eq_tol(fake.summary.seconds, 10, 1e-6);
        ck_assert_int_eq(session_stop(&session), -ENOTCONN);
        ck_assert_int_eq(session_pause(&session), -ENOTCONN);
        ck_assert_int_eq(session_next(&session), -ENOTCONN);
}
END_TEST

START_TEST(test_intensity_scales_inside_envelopes)
{
        for (size_t r = 0; r < routines.count; r++) {
                const struct profile *p = routines.items[r];

                for (unsigned i = 0; i < p->n_steps; i++) {
                        const struct profile_step *s = &p->steps[i];
                        double last_ppm = 0;

                        for (unsigned level = 1; level <= 5; level++) {
                                double ppm = session_scaled_speed_ppm(s, level);
                                double mm = session_scaled_amplitude_mm(s, level);

                                ck_assert_msg(ppm >= s->speed_min_ppm && ppm <= s->speed_max_ppm,
                                              "%s step %u at %u: %.0f ppm outside %.0f-%.0f",
                                              p->id, i + 1, level, ppm, s->speed_min_ppm,
                                              s->speed_max_ppm);
                                ck_assert(mm >= s->amplitude_min_mm && mm <= s->amplitude_max_mm);
                                ck_assert(ppm >= last_ppm);
                                last_ppm = ppm;
                        }
                        ck_assert_double_eq(session_scaled_speed_ppm(s, 3), s->speed_ppm);
                }
        }
}
END_TEST

START_TEST(test_intensity_changes_running_step_and_respects_cap)
{
        const struct profile *p = routine("quads");
        double at3;

        ck_assert_int_eq(session_start(&session, p), 0);
        at3 = fake.setpoint.speed_ppm;
        ck_assert_int_eq(session_set_intensity(&session, 5), 0);
        ck_assert_double_gt(fake.setpoint.speed_ppm, at3);
        ck_assert_double_eq(fake.setpoint.ramp_s, SESSION_INTENSITY_RAMP_S);
        ck_assert_double_eq(session_target_speed_ppm(&session), fake.setpoint.speed_ppm);
        ck_assert_int_eq(session_set_intensity(&session, 0), -ERANGE);
        ck_assert_int_eq(session_set_intensity(&session, 6), -ERANGE);

        /* the recovery guard's cap lowers what runs, and refuses more */
        session_set_max_intensity(&session, 2);
        ck_assert_uint_eq(session.intensity, 2);
        ck_assert_double_lt(fake.setpoint.speed_ppm, at3);
        ck_assert_int_eq(session_set_intensity(&session, 3), -EDOM);
        ck_assert_int_eq(session_set_intensity(&session, 1), 0);
}
END_TEST

START_TEST(test_fault_stops_and_needs_clearing)
{
        const struct profile *p = routine("calves");

        ck_assert_int_eq(session_start(&session, p), 0);
        advance(3);
        session_fault(&session, FAULT_STALL, "The head is jammed.");
        ck_assert_int_eq(session.state, SESSION_FAULT);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.faults, 1);
        ck_assert_uint_eq(fake.finished, 1);
        ck_assert_int_eq(session.fault, FAULT_STALL);
        ck_assert_str_eq(fault_to_string(session.fault), "stall");
        ck_assert_int_eq(session_start(&session, p), -EHOSTDOWN);
        ck_assert_int_eq(session_stop(&session), -ENOTCONN);
        {
                uint32_t clears = fake.setpoint.fault_clears;

                ck_assert_int_eq(session_request_fault_clear(&session), clears + 1);
                ck_assert_uint_eq(fake.setpoint.fault_clears, clears + 1);
                ck_assert(!fake.setpoint.motor_on);
        }
        /* until the loop agrees, the fault stands */
        ck_assert_int_eq(session.state, SESSION_FAULT);
        session_fault_cleared(&session);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert_int_eq(session.fault, FAULT_NONE);
        ck_assert_int_eq(session_request_fault_clear(&session), -ENOTCONN);
        ck_assert_int_eq(session_start(&session, p), 0);
}
END_TEST

START_TEST(test_manual_is_open_ended)
{
        const struct profile *p = routine("manual");

        ck_assert(p->steps[0].open_ended);
        ck_assert_int_eq(session_start(&session, p), 0);
        advance(600);
        ck_assert_int_eq(session.state, SESSION_RUNNING);
        /* a forgotten gun still stops: the open step's limit */
        advance(PROFILE_OPEN_STEP_MAX_S);
        ck_assert_int_eq(session.state, SESSION_IDLE);
}
END_TEST

/* Gestures: what a thumb does to the main button, in µs. */
/* plus and minus held together 3 s: one chord, reported while both are
 * down; a release before the hold or a second hold later starts afresh. */
START_TEST(test_chord_plus_minus)
{
        struct chord_detector c = { 0 };
        const uint64_t t = 10 * SEC;

        chord_feed(&c, 0, true, t);
        ck_assert_uint_eq(chord_deadline(&c), 0);
        chord_feed(&c, 1, true, t + 200000);
        ck_assert_uint_eq(chord_deadline(&c), t + 200000 + GESTURE_CHORD_HOLD_US);
        ck_assert(!chord_timeout(&c, t + 2 * SEC));
        chord_feed(&c, 1, false, t + 2 * SEC);
        ck_assert_uint_eq(chord_deadline(&c), 0);
        ck_assert(!chord_timeout(&c, t + 4 * SEC));

        chord_feed(&c, 1, true, t + 5 * SEC);
        ck_assert(!chord_timeout(&c, t + 5 * SEC + GESTURE_CHORD_HOLD_US - 1));
        ck_assert(chord_timeout(&c, t + 5 * SEC + GESTURE_CHORD_HOLD_US));
        ck_assert_uint_eq(chord_deadline(&c), 0);
        ck_assert(!chord_timeout(&c, t + 20 * SEC));

        chord_feed(&c, 0, false, t + 21 * SEC);
        chord_feed(&c, 0, true, t + 22 * SEC);
        ck_assert(chord_timeout(&c, t + 22 * SEC + GESTURE_CHORD_HOLD_US));
}
END_TEST

START_TEST(test_gestures)
{
        struct gesture_detector g;
        uint64_t t = 10 * SEC;

        gesture_init(&g, true);
        /* a short press waits for a possible second one */
        ck_assert_int_eq(gesture_feed(&g, true, t), GESTURE_NONE);
        ck_assert_int_eq(gesture_feed(&g, false, t + 120000), GESTURE_NONE);
        ck_assert_uint_eq(gesture_deadline(&g), t + 120000 + GESTURE_DOUBLE_PRESS_US);
        ck_assert_int_eq(gesture_timeout(&g, t + 200000), GESTURE_NONE);
        ck_assert_int_eq(gesture_timeout(&g, gesture_deadline(&g)), GESTURE_PRESS);
        ck_assert_uint_eq(gesture_deadline(&g), 0);

        /* contact bounce inside 20 ms is ignored */
        t += 2 * SEC;
        ck_assert_int_eq(gesture_feed(&g, true, t), GESTURE_NONE);
        ck_assert_int_eq(gesture_feed(&g, false, t + 3000), GESTURE_NONE);
        ck_assert_int_eq(gesture_feed(&g, true, t + 6000), GESTURE_NONE);
        ck_assert(g.down);

        /* held: the long press comes while still held, release says nothing */
        ck_assert_uint_eq(gesture_deadline(&g), t + GESTURE_LONG_PRESS_US);
        ck_assert_int_eq(gesture_timeout(&g, t + GESTURE_LONG_PRESS_US), GESTURE_LONG_PRESS);
        ck_assert_int_eq(gesture_feed(&g, false, t + 2 * SEC), GESTURE_NONE);

        /* double press */
        t += 5 * SEC;
        gesture_feed(&g, true, t);
        gesture_feed(&g, false, t + 100000);
        gesture_feed(&g, true, t + 250000);
        ck_assert_int_eq(gesture_feed(&g, false, t + 350000), GESTURE_DOUBLE_PRESS);
        ck_assert_uint_eq(gesture_deadline(&g), 0);

        /* a button without double presses acts at release */
        gesture_init(&g, false);
        gesture_feed(&g, true, t);
        ck_assert_int_eq(gesture_feed(&g, false, t + 100000), GESTURE_PRESS);
}
END_TEST

/* A pack that loses drain_per_s while the motor runs, checked once a
 * simulated second as the daemon's telemetry tick does; returns the
 * seconds until the session ended (or limit_s), and how often the LEDs
 * were told to warn. */
static double play_on_battery(double percent, double drain_per_s, double limit_s, unsigned *warnings)
{
        struct battery_policy policy;
        double t = 0;

        battery_policy_default(&policy);
        *warnings = 0;
        while (t < limit_s && (session.state == SESSION_RUNNING || session.state == SESSION_WAITING)) {
                advance(1.0);
                t += 1.0;
                if (fake.setpoint.motor_on)
                        percent -= drain_per_s;
                if (battery_policy_apply(&policy, &session, percent))
                        (*warnings)++;
        }
        return t;
}

START_TEST(test_low_battery_finishes_the_step_then_stops)
{
        unsigned warnings;

        /* 12.5 % at 0.1 %/s: low (10 %) 25 s into the first 60 s step */
        ck_assert_int_eq(session_start(&session, routine("post-run")), 0);
        play_on_battery(12.5, 0.1, 1000, &warnings);
        ck_assert_uint_eq(warnings, 1);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.timer_at_us, 0);
        ck_assert_uint_eq(fake.finished, 1);
        ck_assert(!fake.summary.completed);
        ck_assert_uint_eq(fake.summary.steps_completed, 1);
        ck_assert_double_eq_tol(fake.summary.seconds, 60, 1e-6);
        ck_assert_uint_eq(fake.faults, 0);

        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        advance(10);
        ck_assert_int_eq(session_pause(&session), 0);
        {
                struct battery_policy policy;

                battery_policy_default(&policy);
                /* paused: low waits for a step to finish; critical ends it */
                ck_assert(!battery_policy_apply(&policy, &session, 8));
                ck_assert_int_eq(session.state, SESSION_PAUSED);
                ck_assert(!battery_policy_apply(&policy, &session, 2));
                ck_assert_int_eq(session.state, SESSION_IDLE);
                ck_assert_uint_eq(fake.faults, 0);
        }
}
END_TEST

START_TEST(test_critical_battery_stops_at_once)
{
        unsigned warnings;
        double t;

        /* 11 % at 0.5 %/s: low at once, critical (3 %) after 16 s */
        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        t = play_on_battery(11, 0.5, 1000, &warnings);
        ck_assert_double_eq(t, 16);
        ck_assert_uint_eq(warnings, 1);
        ck_assert_int_eq(session.state, SESSION_FAULT);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.faults, 1);
        ck_assert_int_eq(session.fault, FAULT_BATTERY);
        ck_assert_str_eq(session.fault_message,
                         "The battery is down to 3 %: the motor was stopped. Charge the gun.");
        ck_assert_uint_eq(fake.finished, 1);
        ck_assert(!fake.summary.completed);
        ck_assert_double_eq_tol(fake.summary.seconds, 16, 1e-6);
}
END_TEST

START_TEST(test_start_needs_the_charge_for_the_first_step)
{
        struct battery_policy policy;
        char why[256] = "";

        battery_policy_default(&policy);
        /* 60 s at 1 %/min, to end above 3 %: 4 % */
        ck_assert_double_eq_tol(battery_policy_needed_percent(&policy, 60, 1.0), 4, 1e-9);
        ck_assert_int_eq(battery_policy_may_start(&policy, 3.5, false, 60, 1.0, why, sizeof(why)),
                         -ENOSPC);
        ck_assert_str_eq(why, "The battery is at 3 %; the first step (60 s) needs about 4 %. "
                              "Charge the gun first.");
        ck_assert_int_eq(battery_policy_may_start(&policy, 4.0, false, 60, 1.0, why, sizeof(why)), 0);
        /* measured use counts: 3 %/min for a 900 s open step */
        ck_assert_int_eq(battery_policy_may_start(&policy, 40, false, 900, 3.0, why, sizeof(why)),
                         -ENOSPC);
        ck_assert_str_eq(why, "The battery is at 40 %; the first step (900 s) needs about 48 %. "
                              "Charge the gun first.");
        /* no gauge: mains */
        ck_assert_int_eq(battery_policy_may_start(&policy, NAN, false, 900, 3.0, why, sizeof(why)), 0);
        ck_assert_int_eq(battery_policy_may_start(&policy, 90, true, 60, 1.0, why, sizeof(why)), 0);
        policy.no_motor_while_charging = true;
        ck_assert_int_eq(battery_policy_may_start(&policy, 90, true, 60, 1.0, why, sizeof(why)),
                         -ENOSPC);
        ck_assert_str_eq(why, "The gun is on its charger, which cannot run the motor; unplug it to start.");

        /* the use measured: a minute or more, and only a falling charge */
        ck_assert_double_eq_tol(battery_policy_measured_use(50, 47, 120), 1.5, 1e-9);
        ck_assert(isnan(battery_policy_measured_use(50, 49, 30)));
        ck_assert(isnan(battery_policy_measured_use(50, 51, 120)));
}
END_TEST

START_TEST(test_auto_off_after_max_percussion)
{
        /* calves: 60 s, a 5 s pause, 60 s; at most 100 s of percussion */
        session.max_percussion_s = 100;
        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        advance(60 + 5 + 39.5);
        ck_assert_int_eq(session.state, SESSION_RUNNING);
        advance(0.5);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.timer_at_us, 0);
        ck_assert(!fake.summary.completed);
        ck_assert_double_eq_tol(fake.summary.seconds, 100, 1e-6);

        /* paused in between: only percussion counts */
        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        advance(50);
        ck_assert_int_eq(session_pause(&session), 0);
        advance(120);
        ck_assert_int_eq(session_resume(&session), 0);
        advance(10 + 5 + 39);
        ck_assert_int_eq(session.state, SESSION_RUNNING);
        advance(1);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert_double_eq_tol(fake.summary.seconds, 100, 1e-6);

        /* the limit at a step's end: that step counts as played */
        session.max_percussion_s = 60;
        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        advance(60);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert_uint_eq(fake.summary.steps_completed, 1);
        ck_assert_uint_eq(fake.timer_at_us, 0);
}
END_TEST

START_TEST(test_auto_off_when_paused_or_waiting)
{
        const struct profile *p = routine("post-run");

        session.idle_off_s = 600;
        ck_assert_int_eq(session_start(&session, routine("calves")), 0);
        advance(20);
        ck_assert_int_eq(session_pause(&session), 0);
        advance(599);
        ck_assert_int_eq(session.state, SESSION_PAUSED);
        advance(1);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert_uint_eq(fake.timer_at_us, 0);
        ck_assert(!fake.summary.completed);
        ck_assert_double_eq_tol(fake.summary.seconds, 20, 1e-6);

        /* waiting for the button after step 2; a timed pause is no wait */
        ck_assert_int_eq(session_start(&session, p), 0);
        advance(p->steps[0].duration_s + p->steps[0].pause_s + p->steps[1].duration_s);
        ck_assert_int_eq(session.state, SESSION_WAITING);
        advance(599);
        ck_assert_int_eq(session.state, SESSION_WAITING);
        advance(1);
        ck_assert_int_eq(session.state, SESSION_IDLE);
        ck_assert_uint_eq(fake.summary.steps_completed, 2);
        ck_assert_uint_eq(fake.timer_at_us, 0);
}
END_TEST

static Suite *session_suite(void)
{
        Suite *s = suite_create("session");
        TCase *engine = tcase_create("engine");
        TCase *buttons = tcase_create("gestures");

        tcase_add_checked_fixture(engine, setup, teardown);
        tcase_add_test(engine, test_post_run_plays_all_steps_with_waits);
        tcase_add_test(engine, test_pause_resume_keeps_position);
        tcase_add_test(engine, test_next_and_stop);
        tcase_add_test(engine, test_intensity_scales_inside_envelopes);
        tcase_add_test(engine, test_intensity_changes_running_step_and_respects_cap);
        tcase_add_test(engine, test_fault_stops_and_needs_clearing);
        tcase_add_test(engine, test_manual_is_open_ended);
        tcase_add_test(engine, test_low_battery_finishes_the_step_then_stops);
        tcase_add_test(engine, test_critical_battery_stops_at_once);
        tcase_add_test(engine, test_start_needs_the_charge_for_the_first_step);
        tcase_add_test(engine, test_auto_off_after_max_percussion);
        tcase_add_test(engine, test_auto_off_when_paused_or_waiting);
        suite_add_tcase(s, engine);
        tcase_add_test(buttons, test_gestures);
        tcase_add_test(buttons, test_chord_plus_minus);
        suite_add_tcase(s, buttons);
        return s;
}

int main(void)
{
        return run_suite(session_suite());
}
