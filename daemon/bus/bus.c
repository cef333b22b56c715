/* SPDX-License-Identifier: MIT */
/*
 * io.percussd.Massager1 on the bus: the vtable below is the interface
 * (../shared/design/DBUS.md); daemon/bus/io.percussd.Massager1.xml is its
 * introspection, checked against this by tests/integration/test-dbus.
 */
#include "bus.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus-properties.h"
#include "common/cleanup.h"
#include "common/escape.h"
#include "daemon/frontend.h"

/* Long enough for any id; a 64 KiB name is cut in the error's sentence. */
#define NAME_IN_MESSAGE_MAX 64

static void emit_changed(struct bus_adapter *a, char **names);

static const struct telemetry *fresh_telemetry(struct manager *m)
{
        rt_read_telemetry(&m->rt, &m->telemetry);
        return &m->telemetry;
}

static uint32_t current_step_index(struct manager *m)
{
        return session_current_step(&m->session) ? m->session.step : 0u;
}

static const char *current_step_field(struct manager *m, bool side)
{
        const struct profile_step *step = session_current_step(&m->session);

        return !step ? "" : side ? step->side : step->muscle;
}

BUS_DEFINE_PROPERTY_GET(property_get_state, "s", const char *,
                        manager_calibrating(m) ? "calibrating" : session_state_to_string(m->session.state))
BUS_DEFINE_PROPERTY_GET(property_get_routine, "s", const char *,
                        m->session.profile ? m->session.profile->id : "")
BUS_DEFINE_PROPERTY_GET(property_get_step, "u", uint32_t, current_step_index(m))
BUS_DEFINE_PROPERTY_GET(property_get_step_count, "u", uint32_t,
                        m->session.profile ? m->session.profile->n_steps : 0u)
BUS_DEFINE_PROPERTY_GET(property_get_muscle_group, "s", const char *, current_step_field(m, false))
BUS_DEFINE_PROPERTY_GET(property_get_side, "s", const char *, current_step_field(m, true))
BUS_DEFINE_PROPERTY_GET(property_get_step_remaining, "d", double,
                        session_step_remaining_s(&m->session))
BUS_DEFINE_PROPERTY_GET(property_get_elapsed, "d", double, session_elapsed_s(&m->session))
BUS_DEFINE_PROPERTY_GET(property_get_target_speed, "d", double,
                        session_target_speed_ppm(&m->session))
BUS_DEFINE_PROPERTY_GET(property_get_target_amplitude, "d", double,
                        session_target_amplitude_mm(&m->session))
BUS_DEFINE_PROPERTY_GET(property_get_speed, "d", double, fresh_telemetry(m)->speed_ppm)
BUS_DEFINE_PROPERTY_GET(property_get_amplitude, "d", double, fresh_telemetry(m)->amplitude_mm)
BUS_DEFINE_PROPERTY_GET(property_get_force, "d", double, fresh_telemetry(m)->force_n)
BUS_DEFINE_PROPERTY_GET(property_get_fault, "s", const char *, fault_to_string(m->session.fault))
BUS_DEFINE_PROPERTY_GET(property_get_fault_message, "s", const char *, m->session.fault_message)
BUS_DEFINE_PROPERTY_GET(property_get_temperature, "d", double, manager_board_temperature(m))
BUS_DEFINE_PROPERTY_GET(property_get_control_period, "u", uint32_t, m->rt.period_ns / 1000)
BUS_DEFINE_PROPERTY_GET(property_get_overruns, "t", uint64_t, fresh_telemetry(m)->overruns)
BUS_DEFINE_PROPERTY_GET(property_get_max_latency, "u", uint32_t,
                        fresh_telemetry(m)->max_latency_us)
BUS_DEFINE_PROPERTY_GET(property_get_realtime, "b", int, m->rt.realtime)
BUS_DEFINE_PROPERTY_GET(property_get_simulated, "b", int, m->gun.simulated)
BUS_DEFINE_PROPERTY_GET(property_get_battery, "d", double, manager_battery(m).percent)
BUS_DEFINE_PROPERTY_GET(property_get_charging, "b", int, manager_battery(m).charging)
BUS_DEFINE_PROPERTY_GET(property_get_intensity, "u", uint32_t, m->session.intensity)
BUS_DEFINE_PROPERTY_GET(property_get_last_race, "t", uint64_t, m->recovery.last_race_usec)
BUS_DEFINE_PROPERTY_GET(property_get_calibration_state, "s", const char *,
                        calibration_status_to_string(m->calibration.status))
BUS_DEFINE_PROPERTY_GET(property_get_calibration_progress, "d", double,
                        manager_calibration_progress(m))
BUS_DEFINE_PROPERTY_GET(property_get_bus_voltage, "d", double,
                        m->bus_voltage_v > 0.0 ? m->bus_voltage_v : m->settings.control.force.bus_voltage_v)
BUS_DEFINE_PROPERTY_GET(property_get_speed_limit, "d", double, fresh_telemetry(m)->speed_limit_ppm)
BUS_DEFINE_PROPERTY_GET(property_get_notice, "s", const char *, manager_notice(m))
BUS_DEFINE_PROPERTY_GET(property_get_amplitude_source, "s", const char *,
                        amplitude_source_to_string(fresh_telemetry(m)->amplitude_source))

static int property_get_routines(sd_bus *bus, const char *path, const char *interface,
                                 const char *property, sd_bus_message *reply, void *userdata,
                                 sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int r;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->routines.count; i++) {
                r = sd_bus_message_append(reply, "s", m->routines.items[i]->id);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_profile_errors(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply,
                                       void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int r;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->routines.n_errors; i++) {
                r = sd_bus_message_append(reply, "s", m->routines.errors[i]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_set_intensity(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *value, void *userdata,
                                  sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        uint32_t intensity;
        int r;

        (void)bus, (void)path, (void)interface, (void)property;
        r = sd_bus_message_read(value, "u", &intensity);
        if (r < 0)
                return r;
        r = bus_access_check(&a->access, value, "change the intensity", error);
        if (r < 0)
                return r;
        manager_update_max_intensity(m);
        r = session_set_intensity(&m->session, intensity);
        if (r == -ERANGE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Intensity %u is out of range: it goes from %u to %u.",
                                         intensity, SESSION_INTENSITY_MIN, SESSION_INTENSITY_MAX);
        if (r == -EDOM)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Intensity %u is above today's cap of %u: the muscles are "
                                         "still recovering from the race.",
                                         intensity, m->session.max_intensity);
        return r;
}

/* The cap moves with the clock: read as of now. */
static uint32_t max_intensity_now(struct manager *m)
{
        manager_update_max_intensity(m);
        return m->session.max_intensity;
}

BUS_DEFINE_PROPERTY_GET(property_get_max_intensity, "u", uint32_t, max_intensity_now(m))

static int reply_session_error(sd_bus_error *error, struct manager *m, int r)
{
        const char *state = session_state_to_string(m->session.state);

        switch (r) {
        case -ENOTCONN:
                return sd_bus_error_set(error, BUS_ERROR_NOT_RUNNING, "No session is running.");
        case -EBUSY:
                return sd_bus_error_setf(error, BUS_ERROR_BUSY,
                                         "Routine %s is %s; stop it first.",
                                         m->session.profile->id, state);
        case -EHOSTDOWN:
                return sd_bus_error_setf(error, BUS_ERROR_FAULTED,
                                         "The gun is stopped by %s %s fault: %s Clear the fault first.",
                                         strchr("aeiou", fault_to_string(m->session.fault)[0]) &&
                                                         m->session.fault != FAULT_NONE ? "an" : "a",
                                         fault_to_string(m->session.fault), m->session.fault_message);
        default:
                return r;
        }
}

static int reply_no_such_routine(sd_bus_error *error, const char *id)
{
        char shown[4 * NAME_IN_MESSAGE_MAX + 8];

        return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_ROUTINE,
                                 "There is no routine \"%s\"; the Routines property lists them.",
                                 escape_text(shown, sizeof(shown), id, NAME_IN_MESSAGE_MAX));
}

static int method_start(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        uint64_t allowed_from_usec;
        char sentence[256];
        const char *id;
        int r;

        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        r = bus_access_check(&a->access, message, "start a routine", error);
        if (r < 0)
                return r;
        if (manager_calibrating(m))
                return sd_bus_error_set(error, BUS_ERROR_BUSY,
                                        "The gun is calibrating; Stop cancels the calibration.");
        r = manager_start_routine(m, id);
        if (r == -ENOENT)
                return reply_no_such_routine(error, id);
        if (r == -EPERM) {
                (void)recovery_resting(&m->recovery, manager_now_realtime_usec(), &allowed_from_usec);
                recovery_format_resting(allowed_from_usec, sentence, sizeof(sentence));
                return sd_bus_error_set(error, BUS_ERROR_RESTING, sentence);
        }
        if (r == -ENOSPC)
                return sd_bus_error_set(error, BUS_ERROR_BATTERY_LOW, m->power_refusal);
        if (r < 0)
                return reply_session_error(error, m, r);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_session_action(sd_bus_message *message, void *userdata, sd_bus_error *error,
                                 const char *what, int (*action)(struct session *s))
{
        struct bus_adapter *a = userdata;
        int r;

        r = bus_access_check(&a->access, message, what, error);
        if (r < 0)
                return r;
        r = action(&a->m->session);
        if (r < 0)
                return reply_session_error(error, a->m, r);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_stop(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        int r;

        if (manager_calibrating(a->m)) {
                r = bus_access_check(&a->access, message, "stop the calibration", error);
                if (r < 0)
                        return r;
                r = manager_cancel_calibration(a->m);
                if (r < 0)
                        return r;
                return sd_bus_reply_method_return(message, NULL);
        }
        return method_session_action(message, userdata, error, "stop the session", session_stop);
}

static int method_calibrate(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        int r;

        r = bus_access_check(&a->access, message, "calibrate the gun", error);
        if (r < 0)
                return r;
        r = manager_calibrate(m);
        if (r == -EBUSY && manager_calibrating(m))
                return sd_bus_error_set(error, BUS_ERROR_BUSY, "The gun is already calibrating.");
        if (r == -EBUSY)
                return sd_bus_error_setf(error, BUS_ERROR_BUSY, "Routine %s is %s; stop it before "
                                         "calibrating.", m->session.profile ? m->session.profile->id : "",
                                         session_state_to_string(m->session.state));
        if (r == -EHOSTDOWN)
                return sd_bus_error_setf(error, BUS_ERROR_FAULTED, "The gun is stopped by a %s fault: "
                                         "%s Clear the fault before calibrating.",
                                         fault_to_string(m->session.fault), m->session.fault_message);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to start the calibration: %m.");
        emit_changed(a, (char *[]){ (char *)"State", (char *)"CalibrationState",
                                    (char *)"CalibrationProgress", (char *)"Notice", NULL });
        return sd_bus_reply_method_return(message, NULL);
}

static int method_get_calibration(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        const struct calibration_record *rec = &m->calibration.record;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char axes[16];
        const char *name;
        double value;
        int r;

        (void)error;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0 && m->calibration.have_record) {
                r = sd_bus_message_append(reply, "{sv}", "when_usec", "t", rec->when_usec);
                for (size_t i = 0; r >= 0 && (name = calibration_record_field(rec, i, &value)); i++)
                        r = sd_bus_message_append(reply, "{sv}", name, "d", value);
                snprintf(axes, sizeof(axes), "%d,%d,%d", rec->result.frame.imu_axes[0],
                         rec->result.frame.imu_axes[1], rec->result.frame.imu_axes[2]);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "{sv}", "imu_axes", "s", axes);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_pause(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return method_session_action(message, userdata, error, "pause the session", session_pause);
}

static int method_resume(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        int r;

        r = bus_access_check(&a->access, message, "resume the session", error);
        if (r < 0)
                return r;
        if (m->session.state == SESSION_RUNNING)
                return sd_bus_error_setf(error, BUS_ERROR_BUSY, "Routine %s is already running.",
                                         m->session.profile->id);
        r = session_resume(&m->session);
        if (r < 0)
                return reply_session_error(error, m, r);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_next(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return method_session_action(message, userdata, error, "skip to the next step", session_next);
}

static int method_clear_fault(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        int r;

        r = bus_access_check(&a->access, message, "clear a fault", error);
        if (r < 0)
                return r;
        r = manager_clear_fault(a->m, message);
        switch (r) {
        case 0:
                return sd_bus_reply_method_return(message, NULL);
        case 1:
                /* answered by on_clear_finished(), once the control loop has tried */
                sd_bus_message_ref(message);
                return 1;
        case -ENOTCONN:
                return sd_bus_error_set(error, BUS_ERROR_NOT_RUNNING, "There is no fault to clear.");
        case -EBUSY:
                return sd_bus_error_set(error, BUS_ERROR_BUSY, "The fault is already being cleared.");
        case -EAGAIN:
                return sd_bus_error_setf(error, BUS_ERROR_FAULT_ACTIVE, "The fault is still there: %s",
                                         a->m->clear_refusal);
        default:
                return r;
        }
}

static void on_clear_finished(void *userdata, void *request, int error)
{
        struct bus_adapter *a = userdata;
        sd_bus_message *message = request;
        int r;

        if (error == 0)
                r = sd_bus_reply_method_return(message, NULL);
        else if (error == -EAGAIN)
                r = sd_bus_reply_method_errorf(message, BUS_ERROR_FAULT_ACTIVE,
                                               "The fault is still there: %s", a->m->clear_refusal);
        else
                r = sd_bus_reply_method_errnof(message, error,
                                               "The control loop did not confirm the clear: %m.");
        if (r < 0)
                log_warning_errno(r, "Failed to answer ClearFault: %m");
        sd_bus_message_unref(message);
}

static int method_get_routine(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const struct profile *profile;
        const char *id;
        int r;

        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        profile = routines_find(&m->routines, id);
        if (!profile)
                return reply_no_such_routine(error, id);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", profile->title);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssdddd)");
        if (r < 0)
                return r;
        for (unsigned i = 0; i < profile->n_steps; i++) {
                const struct profile_step *s = &profile->steps[i];

                r = sd_bus_message_append(reply, "(ssdddd)", s->muscle, s->side, s->speed_ppm,
                                          s->amplitude_mm, s->duration_s, s->ramp_s);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_history(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(freep) struct history_entry *entries = NULL;
        size_t n = 0;
        uint32_t max;
        int r;

        r = sd_bus_message_read(message, "u", &max);
        if (r < 0)
                return r;
        r = bus_access_check(&a->access, message, "read the session history", error);
        if (r < 0)
                return r;
        if (!a->m->history)
                return sd_bus_error_set(error, SD_BUS_ERROR_FAILED,
                                        "The session history is not available: its database could "
                                        "not be opened (see the daemon's log).");
        r = history_list(a->m->history, max, &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to read the session history: %m.");
        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tsdu)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(tsdu)", entries[i].start_usec,
                                          entries[i].routine, entries[i].seconds,
                                          entries[i].steps_completed);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_reload(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        int r;

        r = bus_access_check(&a->access, message, "reload the routines", error);
        if (r < 0)
                return r;
        r = manager_reload(a->m);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to reload the routines: %m.");
        return sd_bus_reply_method_return(message, NULL);
}

static int method_record_race(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        uint64_t when_usec;
        int r;

        r = sd_bus_message_read(message, "t", &when_usec);
        if (r < 0)
                return r;
        r = bus_access_check(&a->access, message, "record a race", error);
        if (r < 0)
                return r;
        r = recovery_record_race(&m->recovery, m->history, when_usec, manager_now_realtime_usec());
        if (r == -EINVAL)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The race time %" PRIu64 " µs since the epoch is in the "
                                         "future; give 0 for now.", when_usec);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to record the race: %m.");
        emit_changed(a, (char *[]){ (char *)"LastRace", NULL });
        manager_update_max_intensity(m);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_clear_race(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;
        int r;

        r = bus_access_check(&a->access, message, "forget the race", error);
        if (r < 0)
                return r;
        r = recovery_clear(&a->m->recovery, a->m->history);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to forget the race: %m.");
        emit_changed(a, (char *[]){ (char *)"LastRace", NULL });
        manager_update_max_intensity(a->m);
        return sd_bus_reply_method_return(message, NULL);
}

#define PROPERTY(name, sig, getter) \
        SD_BUS_PROPERTY(name, sig, getter, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define PROPERTY_CONST(name, sig, getter) \
        SD_BUS_PROPERTY(name, sig, getter, 0, SD_BUS_VTABLE_PROPERTY_CONST)

static const sd_bus_vtable massager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROPERTY("State", "s", property_get_state),
        PROPERTY("Routine", "s", property_get_routine),
        PROPERTY("Routines", "as", property_get_routines),
        PROPERTY("Step", "u", property_get_step),
        PROPERTY("StepCount", "u", property_get_step_count),
        PROPERTY("MuscleGroup", "s", property_get_muscle_group),
        PROPERTY("Side", "s", property_get_side),
        PROPERTY("StepRemaining", "d", property_get_step_remaining),
        PROPERTY("Elapsed", "d", property_get_elapsed),
        PROPERTY("TargetSpeed", "d", property_get_target_speed),
        PROPERTY("Speed", "d", property_get_speed),
        PROPERTY("TargetAmplitude", "d", property_get_target_amplitude),
        PROPERTY("Amplitude", "d", property_get_amplitude),
        PROPERTY("Force", "d", property_get_force),
        SD_BUS_WRITABLE_PROPERTY("Intensity", "u", property_get_intensity, property_set_intensity, 0,
                                 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | SD_BUS_VTABLE_UNPRIVILEGED),
        PROPERTY("Fault", "s", property_get_fault),
        PROPERTY("FaultMessage", "s", property_get_fault_message),
        PROPERTY("Temperature", "d", property_get_temperature),
        PROPERTY_CONST("ControlPeriod", "u", property_get_control_period),
        PROPERTY("Overruns", "t", property_get_overruns),
        PROPERTY("MaxLatency", "u", property_get_max_latency),
        PROPERTY_CONST("Realtime", "b", property_get_realtime),
        PROPERTY_CONST("Simulated", "b", property_get_simulated),
        PROPERTY("Battery", "d", property_get_battery),
        PROPERTY("Charging", "b", property_get_charging),
        PROPERTY("LastRace", "t", property_get_last_race),
        PROPERTY("MaxIntensity", "u", property_get_max_intensity),
        PROPERTY("AmplitudeSource", "s", property_get_amplitude_source),
        PROPERTY("BusVoltage", "d", property_get_bus_voltage),
        PROPERTY("SpeedLimit", "d", property_get_speed_limit),
        PROPERTY("Notice", "s", property_get_notice),
        PROPERTY("CalibrationState", "s", property_get_calibration_state),
        PROPERTY("CalibrationProgress", "d", property_get_calibration_progress),
        PROPERTY("ProfileErrors", "as", property_get_profile_errors),

        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("s", routine), SD_BUS_NO_RESULT,
                                method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_pause, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Next", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_next, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ClearFault", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_clear_fault, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetRoutine", SD_BUS_ARGS("s", routine),
                                SD_BUS_RESULT("s", title, "a(ssdddd)", steps),
                                method_get_routine, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_ARGS("u", max), SD_BUS_RESULT("a(tsdu)", sessions),
                                method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RecordRace", SD_BUS_ARGS("t", when), SD_BUS_NO_RESULT,
                                method_record_race, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ClearRace", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_clear_race, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Calibrate", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_calibrate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCalibration", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", calibration),
                                method_get_calibration, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("StepStarted", SD_BUS_ARGS("u", step, "s", muscle, "s", side), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Finished",
                                SD_BUS_ARGS("s", routine, "d", seconds, "b", completed), 0),
        SD_BUS_SIGNAL_WITH_ARGS("FaultRaised", SD_BUS_ARGS("s", code, "s", message), 0),
        SD_BUS_SIGNAL_WITH_ARGS("CalibrationFinished", SD_BUS_ARGS("b", ok, "s", message), 0),
        SD_BUS_SIGNAL("PairingRequested", NULL, 0),
        SD_BUS_VTABLE_END,
};

static void emit_changed(struct bus_adapter *a, char **names)
{
        int r;

        r = sd_bus_emit_properties_changed_strv(a->bus, BUS_PATH, BUS_INTERFACE, names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged on %s: %m", BUS_PATH);
}

static void on_session_changed(void *userdata, unsigned what)
{
        char *names[20];
        size_t n = 0;

        if (what & SESSION_CHANGED_STATE) {
                names[n++] = (char *)"State";
                names[n++] = (char *)"Elapsed";
                names[n++] = (char *)"StepRemaining";
        }
        if (what & SESSION_CHANGED_ROUTINE) {
                names[n++] = (char *)"Routine";
                names[n++] = (char *)"StepCount";
        }
        if (what & (SESSION_CHANGED_STEP | SESSION_CHANGED_STATE)) {
                names[n++] = (char *)"Step";
                names[n++] = (char *)"MuscleGroup";
                names[n++] = (char *)"Side";
        }
        if (what & (SESSION_CHANGED_STEP | SESSION_CHANGED_STATE | SESSION_CHANGED_INTENSITY)) {
                names[n++] = (char *)"TargetSpeed";
                names[n++] = (char *)"TargetAmplitude";
        }
        if (what & SESSION_CHANGED_INTENSITY) {
                names[n++] = (char *)"Intensity";
                names[n++] = (char *)"MaxIntensity";
        }
        if (what & SESSION_CHANGED_FAULT) {
                names[n++] = (char *)"Fault";
                names[n++] = (char *)"FaultMessage";
        }
        names[n] = NULL;
        emit_changed(userdata, names);
}

static void on_battery_changed(void *userdata)
{
        emit_changed(userdata, (char *[]){ (char *)"Battery", (char *)"Charging", NULL });
}

static void on_routines_changed(void *userdata)
{
        emit_changed(userdata, (char *[]){ (char *)"Routines", (char *)"ProfileErrors", NULL });
}

static void emit_signal(struct bus_adapter *a, const char *member, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_signal(a->bus, &signal, BUS_PATH, BUS_INTERFACE, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(signal, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_send(a->bus, signal, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit signal %s: %m", member);
}

static void on_step_started(void *userdata, unsigned step, const struct profile_step *s)
{
        emit_signal(userdata, "StepStarted", "uss", step, s->muscle, s->side);
}

static void on_finished(void *userdata, const struct session_summary *summary)
{
        emit_signal(userdata, "Finished", "sdb", summary->routine, summary->seconds,
                    (int)summary->completed);
}

static void on_fault_raised(void *userdata, enum fault fault, const char *message)
{
        emit_signal(userdata, "FaultRaised", "ss", fault_to_string(fault), message);
}

/* A percent at a time, and the step's notice when it changes. */
static void on_calibration_progress(void *userdata)
{
        struct bus_adapter *a = userdata;
        double progress = manager_calibration_progress(a->m);

        if (fabs(progress - a->published_calibration_progress) < 0.01)
                return;
        a->published_calibration_progress = progress;
        emit_changed(a, (char *[]){ (char *)"CalibrationProgress", (char *)"Notice", NULL });
}

static void on_notice_changed(void *userdata)
{
        emit_changed(userdata, (char *[]){ (char *)"Notice", NULL });
}

static void on_calibration_finished(void *userdata, bool ok, const char *message)
{
        struct bus_adapter *a = userdata;

        a->published_calibration_progress = 0.0;
        emit_changed(a, (char *[]){ (char *)"State", (char *)"CalibrationState",
                                    (char *)"CalibrationProgress", (char *)"Notice", NULL });
        emit_signal(a, "CalibrationFinished", "bs", (int)ok, message);
}

static void on_pairing_requested(void *userdata)
{
        emit_signal(userdata, "PairingRequested", "");
}

/* Coalesced telemetry: only the properties that changed. */
static void on_telemetry(void *userdata)
{
        struct bus_adapter *a = userdata;
        struct manager *m = a->m;
        double elapsed_s = session_elapsed_s(&m->session);
        double remaining_s = session_step_remaining_s(&m->session);
        double celsius = manager_board_temperature(m);
        char *names[12];
        size_t n = 0;

        if (m->telemetry.speed_ppm != a->published.speed_ppm)
                names[n++] = (char *)"Speed";
        if (m->telemetry.amplitude_mm != a->published.amplitude_mm)
                names[n++] = (char *)"Amplitude";
        if (m->telemetry.force_n != a->published.force_n)
                names[n++] = (char *)"Force";
        if (m->telemetry.amplitude_source != a->published.amplitude_source)
                names[n++] = (char *)"AmplitudeSource";
        if (elapsed_s != a->published_elapsed_s)
                names[n++] = (char *)"Elapsed";
        if (remaining_s != a->published_step_remaining_s)
                names[n++] = (char *)"StepRemaining";
        /* a tenth of a degree is what a person reads */
        if (fabs(celsius - a->published_temperature_c) >= 0.1 ||
            isnan(celsius) != isnan(a->published_temperature_c))
                names[n++] = (char *)"Temperature";
        if (m->telemetry.overruns != a->published.overruns)
                names[n++] = (char *)"Overruns";
        if (m->telemetry.max_latency_us != a->published.max_latency_us)
                names[n++] = (char *)"MaxLatency";
        if (m->telemetry.speed_limit_ppm != a->published.speed_limit_ppm)
                names[n++] = (char *)"SpeedLimit";
        names[n] = NULL;
        if (n == 0)
                return;
        a->published = m->telemetry;
        a->published_elapsed_s = elapsed_s;
        a->published_step_remaining_s = remaining_s;
        a->published_temperature_c = celsius;
        emit_changed(a, names);
}

static const struct manager_listener bus_listener = {
        .session_changed = on_session_changed,
        .step_started = on_step_started,
        .finished = on_finished,
        .fault_raised = on_fault_raised,
        .pairing_requested = on_pairing_requested,
        .battery_changed = on_battery_changed,
        .routines_changed = on_routines_changed,
        .telemetry = on_telemetry,
        .clear_finished = on_clear_finished,
        .calibration_progress = on_calibration_progress,
        .calibration_finished = on_calibration_finished,
        .notice_changed = on_notice_changed,
};

static int open_bus(const struct options *o, sd_bus **ret)
{
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        switch (o->bus_kind) {
        case BUS_SYSTEM:
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus: %m");
                break;
        case BUS_SESSION:
                r = sd_bus_open_user(&bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the session bus "
                                               "(DBUS_SESSION_BUS_ADDRESS): %m");
                break;
        case BUS_ADDRESS:
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, o->bus_address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the bus at %s: %m",
                                               o->bus_address);
                break;
        }
        *ret = bus;
        bus = NULL;
        return 0;
}

int frontend_start(struct manager *m)
{
        struct bus_adapter *a;
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return log_error_errno(-ENOMEM, "Failed to set up the bus adapter: %m");
        a->m = m;
        a->published_temperature_c = NAN;
        manager_set_listener(m, &bus_listener, a);
        r = open_bus(&m->options, &a->bus);
        if (r < 0)
                return r;
        bus_access_init(&a->access);
        r = sd_bus_add_object_vtable(a->bus, NULL, BUS_PATH, BUS_INTERFACE, massager_vtable, a);
        if (r < 0)
                return log_error_errno(r, "Failed to publish %s: %m", BUS_PATH);
        if (m->gun.simulated) {
                r = bus_add_simulator(a);
                if (r < 0)
                        return r;
        }
        r = sd_bus_attach_event(a->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = sd_bus_request_name(a->bus, BUS_NAME, 0);
        if (r == -EEXIST)
                return log_error_errno(r, "The name %s is already owned on this bus: is "
                                       "another percussd running?", BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to own the name %s: %m", BUS_NAME);
        return 0;
}

void frontend_stop(struct manager *m)
{
        struct bus_adapter *a = m->listener_data;

        if (!a)
                return;
        /* a ClearFault still waiting gets its answer before the bus goes */
        manager_finish_clear(m, -ESHUTDOWN);
        manager_set_listener(m, NULL, NULL);
        a->bus = sd_bus_flush_close_unref(a->bus);
        free(a);
}
