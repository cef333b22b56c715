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

#include "check-main.h"
#include "gestures.h"
#include "routines.h"
#include "session.h"

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

static void fake_fault(void *userdata, const char *code, const char *message)
{
        (void)userdata, (void)code, (void)message;
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
        session_fault(&session, "stall", "The head is jammed.");
        ck_assert_int_eq(session.state, SESSION_FAULT);
        ck_assert(!fake.setpoint.motor_on);
        ck_assert_uint_eq(fake.faults, 1);
        ck_assert_uint_eq(fake.finished, 1);
        ck_assert_str_eq(session.fault, "stall");
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
        ck_assert_str_eq(session.fault, "");
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
        suite_add_tcase(s, engine);
        tcase_add_test(buttons, test_gestures);
        suite_add_tcase(s, buttons);
        return s;
}

int main(void)
{
        return run_suite(session_suite());
}
