/* SPDX-License-Identifier: MIT */
#include "status-view.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "output.h"
#include "properties.h"

#define NONE "—"

static void line(FILE *out, const char *label, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

static void line(FILE *out, const char *label, const char *format, ...)
{
        va_list ap;

        fprintf(out, "%13s: ", label);
        va_start(ap, format);
        vfprintf(out, format, ap);
        va_end(ap);
        fputc('\n', out);
}

/* "1900 ppm": the value with its unit, or "—" when absent or NaN */
static const char *quantity(char *buf, size_t size, json_object *props, const char *name,
                            int decimals, const char *unit)
{
        double value;

        if (!prop_double(props, name, &value))
                return NONE;
        snprintf(buf, size, "%.*f %s", decimals, value, unit);
        return buf;
}

static bool has(json_object *props, const char *name)
{
        return json_object_object_get_ex(props, name, NULL);
}

static const char *or_none(const char *s)
{
        return s && *s ? s : NONE;
}

/* While a session is on, "n of N" for the 0-based Step; otherwise NULL. */
static const char *step_of(char *buf, size_t size, json_object *props)
{
        const char *state = prop_string(props, "State");
        uint64_t step, count;

        if (!state || strcmp(state, "idle") == 0 || !prop_uint(props, "Step", &step) ||
            !prop_uint(props, "StepCount", &count) || count == 0)
                return NULL;
        snprintf(buf, size, "%llu of %llu", (unsigned long long)step + 1, (unsigned long long)count);
        return buf;
}

/* Where the measured stroke comes from (AmplitudeSource), as a person
 * reads it after the figure; "" with the motor off or from a daemon
 * without the property. */
static const char *amplitude_source(json_object *props)
{
        static const struct {
                const char *source, *words;
        } sources[] = {
                { "sensor", " (sensor)" },
                { "imu", " (IMU)" },
                { "held", " (held: measured in the air)" },
        };
        const char *source = prop_string(props, "AmplitudeSource");

        for (size_t i = 0; source && i < sizeof(sources) / sizeof(sources[0]); i++)
                if (strcmp(source, sources[i].source) == 0)
                        return sources[i].words;
        return "";
}

static void print_motion(FILE *out, json_object *props)
{
        char target[32], measured[32];

        line(out, "Speed", "%s target, %s measured",
             quantity(target, sizeof(target), props, "TargetSpeed", 0, "ppm"),
             quantity(measured, sizeof(measured), props, "Speed", 0, "ppm"));
        if (has(props, "TargetAmplitude") || has(props, "Amplitude"))
                line(out, "Stroke", "%s target, %s measured%s",
                     quantity(target, sizeof(target), props, "TargetAmplitude", 1, "mm"),
                     quantity(measured, sizeof(measured), props, "Amplitude", 1, "mm"),
                     amplitude_source(props));
        if (has(props, "Force"))
                line(out, "Force", "%s", quantity(measured, sizeof(measured), props, "Force", 1, "N"));
}

static void print_intensity(FILE *out, json_object *props)
{
        uint64_t intensity, max_intensity;

        if (!prop_uint(props, "Intensity", &intensity))
                return;
        if (prop_uint(props, "MaxIntensity", &max_intensity) && max_intensity < 5)
                line(out, "Intensity", "%llu of 5, at most %llu today (recovering from a race)",
                     (unsigned long long)intensity, (unsigned long long)max_intensity);
        else
                line(out, "Intensity", "%llu of 5", (unsigned long long)intensity);
}

static void print_fault(FILE *out, json_object *props)
{
        const char *fault = prop_string(props, "Fault");
        const char *message = prop_string(props, "FaultMessage");

        if (!fault)
                return;
        if (!*fault)
                line(out, "Fault", "none");
        else if (message && *message)
                line(out, "Fault", "%s: %s", fault, message);
        else
                line(out, "Fault", "%s", fault);
}

static void print_time(FILE *out, json_object *props)
{
        char elapsed[32], remaining[32];
        double seconds;

        format_duration(elapsed, sizeof(elapsed),
                        prop_double(props, "Elapsed", &seconds) ? seconds : -1.0);
        if (step_of(remaining, sizeof(remaining), props) &&
            prop_double(props, "StepRemaining", &seconds)) {
                format_duration(remaining, sizeof(remaining), seconds);
                line(out, "Elapsed", "%s, %s left in this step", elapsed, remaining);
        } else
                line(out, "Elapsed", "%s", elapsed);
}

static void print_race(FILE *out, json_object *props)
{
        char when[64];
        uint64_t usec;

        if (!prop_uint(props, "LastRace", &usec))
                return;
        if (usec == 0)
                line(out, "Last race", "none");
        else {
                format_local_time(when, sizeof(when), usec);
                line(out, "Last race", "%s", when);
        }
}

static void print_battery(FILE *out, json_object *props)
{
        char percent[32];
        bool charging;

        if (!has(props, "Battery") && !has(props, "Charging"))
                return;
        charging = prop_bool(props, "Charging", &charging) && charging;
        /* NaN, which JSON has as null: a gun on mains or without a gauge */
        if (has(props, "Battery") && !prop_double(props, "Battery", &(double){0}))
                line(out, "Battery", "no gauge%s", charging ? ", charging" : "");
        else
                line(out, "Battery", "%s%s",
                     quantity(percent, sizeof(percent), props, "Battery", 0, "%"),
                     charging ? ", charging" : "");
}

/* The pack's voltage the motor runs from, the speed it can hold there,
 * and where the gun's constants come from. */
static void print_bring_up(FILE *out, json_object *props)
{
        const char *calibration = prop_string(props, "CalibrationState");
        const char *notice = prop_string(props, "Notice");
        char volts[32], limit[32];

        if (has(props, "BusVoltage") && has(props, "SpeedLimit"))
                line(out, "Pack", "%s, up to %s", quantity(volts, sizeof(volts), props, "BusVoltage", 1, "V"),
                     quantity(limit, sizeof(limit), props, "SpeedLimit", 0, "ppm"));
        if (calibration)
                line(out, "Calibration", "%s", strcmp(calibration, "none") == 0 ?
                                                       "none: the configured constants" : calibration);
        if (notice && *notice)
                line(out, "Notice", "%s", notice);
}

static void print_machine(FILE *out, json_object *props)
{
        uint64_t period_us, overruns, latency_us;
        bool simulated, realtime;

        if (prop_bool(props, "Simulated", &simulated))
                line(out, "Gun", "%s", simulated ? "simulated" : "hardware");
        if (!prop_bool(props, "Realtime", &realtime))
                return;
        if (prop_uint(props, "ControlPeriod", &period_us) && prop_uint(props, "Overruns", &overruns) &&
            prop_uint(props, "MaxLatency", &latency_us))
                line(out, "Control loop", "every %llu µs, %s, %llu overruns, worst latency %llu µs",
                     (unsigned long long)period_us, realtime ? "realtime" : "not realtime",
                     (unsigned long long)overruns, (unsigned long long)latency_us);
        else
                line(out, "Control loop", "%s", realtime ? "realtime" : "not realtime");
}

/* Routine files the daemon skipped at its last load or Reload, each with
 * its file, line and reason. */
static void print_profile_errors(FILE *out, json_object *props)
{
        json_object *errors;

        if (!json_object_object_get_ex(props, "ProfileErrors", &errors) ||
            !json_object_is_type(errors, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(errors); i++) {
                const char *error = json_object_get_string(json_object_array_get_idx(errors, i));

                if (i == 0)
                        line(out, "Skipped files", "%s", error);
                else
                        fprintf(out, "%13s  %s\n", "", error);
        }
}

void status_view_print(FILE *out, json_object *props)
{
        const char *muscle = prop_string(props, "MuscleGroup");
        const char *side = prop_string(props, "Side");
        char step[32], temperature[32];

        line(out, "State", "%s", or_none(prop_string(props, "State")));
        line(out, "Routine", "%s", or_none(prop_string(props, "Routine")));
        line(out, "Step", "%s", or_none(step_of(step, sizeof(step), props)));
        if (muscle && *muscle && side && *side && strcmp(side, "none") != 0)
                line(out, "Muscle", "%s, %s", muscle, side);
        else
                line(out, "Muscle", "%s", or_none(muscle));
        print_motion(out, props);
        print_intensity(out, props);
        line(out, "Temperature", "%s",
             quantity(temperature, sizeof(temperature), props, "Temperature", 1, "°C"));
        print_fault(out, props);
        print_time(out, props);
        print_race(out, props);
        print_battery(out, props);
        print_bring_up(out, props);
        print_machine(out, props);
        print_profile_errors(out, props);
}

void status_view_summary(char *buf, size_t size, json_object *props)
{
        const char *state = or_none(prop_string(props, "State"));
        const char *routine = prop_string(props, "Routine");
        const char *muscle = prop_string(props, "MuscleGroup");
        const char *side = prop_string(props, "Side");
        const char *fault = prop_string(props, "Fault");
        bool idle = strcmp(state, "idle") == 0;
        char step[32];
        uint64_t intensity;
        FILE *out;

        /* the last byte stays the terminator even when the line is cut */
        buf[size - 1] = '\0';
        out = fmemopen(buf, size - 1, "w");
        if (!out) {
                snprintf(buf, size, "%s", state);
                return;
        }
        fputs(state, out);
        if (!idle && routine && *routine)
                fprintf(out, " %s", routine);
        if (step_of(step, sizeof(step), props))
                fprintf(out, ", step %s", step);
        if (!idle && muscle && *muscle) {
                fprintf(out, ": %s", muscle);
                if (side && *side && strcmp(side, "none") != 0)
                        fprintf(out, " %s", side);
        }
        if (prop_uint(props, "Intensity", &intensity))
                fprintf(out, ", intensity %llu", (unsigned long long)intensity);
        if (fault && *fault)
                fprintf(out, ", fault %s", fault);
        fclose(out);
}
