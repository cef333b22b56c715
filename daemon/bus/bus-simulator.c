/* SPDX-License-Identifier: MIT */
/*
 * io.percussd.Simulator1 at /io/percussd/Simulator1, only on the simulated
 * gun (DBUS.md): lets tests and demos act on the model as a user would.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bus.h"
#include "daemon/power.h"

/* A hand cannot push a massage gun harder than this into a muscle. */
#define SIM_CONTACT_FORCE_MAX_N 200.0

/* A button pressed here starts the motor as a real one would. */
static int may_act(void *userdata, sd_bus_message *message, sd_bus_error *error)
{
        struct bus_adapter *a = userdata;

        return bus_access_check(&a->access, message, "act on the simulated gun", error);
}

static int set_button(sd_bus_message *message, void *userdata, sd_bus_error *error, bool pressed)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        const char *name;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        r = sim_panel_set_button(&m->gun, name, pressed);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The gun has no button \"%.64s\"; it has main, plus and minus.",
                                         name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to press button %.64s: %m.", name);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_press_button(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return set_button(message, userdata, error, true);
}

static int method_release_button(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        return set_button(message, userdata, error, false);
}

static int method_set_contact_force(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        double force_n;
        int r;

        r = sd_bus_message_read(message, "d", &force_n);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        if (!isfinite(force_n) || force_n < 0.0 || force_n > SIM_CONTACT_FORCE_MAX_N)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Contact force %g N is out of range: 0 (in the air) to %g N.",
                                         force_n, SIM_CONTACT_FORCE_MAX_N);
        sim_gun_set_contact_force(&m->sim_gun, force_n);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_temperature(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        double celsius;
        int r;

        r = sd_bus_message_read(message, "d", &celsius);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        if (!isfinite(celsius) || celsius < -40.0 || celsius > 150.0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Temperature %g °C is out of range: -40 to 150 °C.", celsius);
        sim_gun_set_temperature(&m->sim_gun, celsius);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_jam(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int jammed, r;

        r = sd_bus_message_read(message, "b", &jammed);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        sim_gun_set_jammed(&m->sim_gun, jammed);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_stick_motor(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int stuck, r;

        r = sd_bus_message_read(message, "b", &stuck);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        sim_gun_set_motor_stuck(&m->sim_gun, stuck);
        return sd_bus_reply_method_return(message, NULL);
}

/* How the hand holds the gun: Calibrate asks for it head down once. */
static int method_hold_head_down(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int head_down, r;

        r = sd_bus_message_read(message, "b", &head_down);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        sim_gun_set_head_down(&m->sim_gun, head_down);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_drop(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int r;

        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        sim_gun_drop(&m->sim_gun);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_cut_sensor(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        const char *sensor;
        int cut, r;

        r = sd_bus_message_read(message, "sb", &sensor, &cut);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        if (strcmp(sensor, "encoder") == 0)
                atomic_store(&m->sim_gun.encoder_cut, cut);
        else if (strcmp(sensor, "imu") == 0)
                atomic_store(&m->sim_gun.imu_cut, cut);
        else if (strcmp(sensor, "stroke") == 0 && m->sim_gun.p.stroke_sensor)
                atomic_store(&m->sim_gun.stroke_sensor_cut, cut);
        else
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "The gun has no sensor \"%.64s\"; it has encoder and imu%s.",
                                         sensor, m->sim_gun.p.stroke_sensor ? " and stroke" : "");
        return sd_bus_reply_method_return(message, NULL);
}

static int property_get_model(sd_bus *bus, const char *path, const char *interface,
                              const char *property, sd_bus_message *reply, void *userdata,
                              sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        double value;

        (void)bus, (void)path, (void)interface, (void)error;
        if (strcmp(property, "ContactForce") == 0)
                value = atomic_load(&m->sim_gun.contact_force_n);
        else if (strcmp(property, "TrueSpeed") == 0)
                value = sim_gun_true_speed_ppm(&m->sim_gun);
        else if (strcmp(property, "TrueMeanSpeed") == 0)
                value = sim_gun_true_mean_speed_ppm(&m->sim_gun);
        else
                value = sim_gun_true_stroke_mm(&m->sim_gun);
        return sd_bus_message_append(reply, "d", value);
}
static int method_set_battery(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        double percent;
        int r;

        r = sd_bus_message_read(message, "d", &percent);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        if (!isfinite(percent) || percent < 0.0 || percent > 100.0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Battery charge %g %% is out of range: 0 to 100 %%.", percent);
        sim_gun_set_battery(&m->sim_gun, percent);
        power_check_battery(m);
        return sd_bus_reply_method_return(message, NULL);
}

static int method_set_charger(sd_bus_message *message, void *userdata, sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;
        int connected, r;

        r = sd_bus_message_read(message, "b", &connected);
        if (r < 0)
                return r;
        r = may_act(userdata, message, error);
        if (r < 0)
                return r;
        sim_gun_drivers_set_charger(&m->sim_drivers, connected);
        power_check_battery(m);
        return sd_bus_reply_method_return(message, NULL);
}

/* The model stops only while the control thread samples it: after a
 * fault the thread sleeps and TrueSpeed keeps its last value, so the
 * safe stop is seen on the enable line itself. */
static int property_get_motor_enabled(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error)
{
        struct manager *m = ((struct bus_adapter *)userdata)->m;

        (void)bus, (void)path, (void)interface, (void)property, (void)error;
        return sd_bus_message_append(reply, "b", sim_gun_true_enabled(&m->sim_gun));
}

static const sd_bus_vtable simulator_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ContactForce", "d", property_get_model, 0, 0),
        SD_BUS_PROPERTY("TrueSpeed", "d", property_get_model, 0, 0),
        SD_BUS_PROPERTY("TrueMeanSpeed", "d", property_get_model, 0, 0),
        SD_BUS_PROPERTY("TrueAmplitude", "d", property_get_model, 0, 0),
        SD_BUS_PROPERTY("MotorEnabled", "b", property_get_motor_enabled, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("PressButton", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_press_button, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReleaseButton", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
                                method_release_button, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetContactForce", SD_BUS_ARGS("d", newtons), SD_BUS_NO_RESULT,
                                method_set_contact_force, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetTemperature", SD_BUS_ARGS("d", celsius), SD_BUS_NO_RESULT,
                                method_set_temperature, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Jam", SD_BUS_ARGS("b", jammed), SD_BUS_NO_RESULT,
                                method_jam, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StickMotor", SD_BUS_ARGS("b", stuck), SD_BUS_NO_RESULT,
                                method_stick_motor, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("HoldHeadDown", SD_BUS_ARGS("b", head_down), SD_BUS_NO_RESULT,
                                method_hold_head_down, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Drop", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_drop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CutSensor", SD_BUS_ARGS("s", sensor, "b", cut), SD_BUS_NO_RESULT,
                                method_cut_sensor, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetBattery", SD_BUS_ARGS("d", percent), SD_BUS_NO_RESULT,
                                method_set_battery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetCharger", SD_BUS_ARGS("b", connected), SD_BUS_NO_RESULT,
                                method_set_charger, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_add_simulator(struct bus_adapter *a)
{
        int r = sd_bus_add_object_vtable(a->bus, NULL, BUS_SIMULATOR_PATH, BUS_SIMULATOR_INTERFACE,
                                         simulator_vtable, a);

        if (r < 0)
                return log_error_errno(r, "Failed to publish %s: %m", BUS_SIMULATOR_PATH);
        return 0;
}
