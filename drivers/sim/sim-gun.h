/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The simulated gun: a deterministic physics model of a brushless
 * percussion massage gun, integrated in fixed sub-steps of simulated time.
 *
 * Motor: the BLDC and its driver seen as an equivalent DC motor,
 *   L di/dt = duty·V_bus − R i − k_e ω,   torque = k_t i.
 * Crank and head (scotch yoke, on the motor shaft): head position
 *   x = r (1 − cos θ), r = stroke / 2, so the head adds an inertia
 *   m_head (r sin θ)² that changes with the angle.
 * Contact: the user presses the gun into the muscle with force F_user;
 *   the tissue is a spring-damper the head meets past the skin surface,
 *   and the hand moves the gun (the surface) until the mean contact force
 *   is F_user.
 * IMU on the board in the handle: the body's reaction to the head and the
 *   contact, −(m_head a_head + F_contact − F_user) / m_body, along the
 *   percussion axis (x), plus gravity (z), bias, noise and saturation.
 * Stroke mechanism: the actuator sets the crank's eccentricity; a
 *   compliant (backdrivable) one yields under the contact force the hand
 *   feels (through the actuator's lag: not to each blow), losing
 *   stroke_compliance_mm_per_n of stroke per newton. An
 *   optional stroke-position sensor (a pot or Hall sensor after the
 *   yielding part) reads the stroke as a voltage, with its offset and
 *   noise.
 * Encoder: 12-bit magnetic, on the crank, mounted with its zero anywhere
 *   in the revolution and counting either way.
 * IMU: mounted with its axes permuted and signed (the [IMU] Axes form);
 *   its samples lag the motion by imu_delay_s (the sub-steps' motion
 *   interpolated; at least one sub-step: the sample of the sub-step just
 *   done is the motion at its start): a real IMU's digital low-pass
 *   delays its samples by its group delay, 1–5 ms at an MPU-6050's or an
 *   LSM6DSx's usual settings.
 * Pack: the motor runs from a fixed bus voltage, or from the pack, whose
 *   voltage follows its charge through a cell's discharge curve.
 *
 * Threads: the model is advanced only by the thread that reads its
 * sensors; the user's inputs and the ground truth are atomics any thread
 * may touch.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/battery-curve.h"

struct sim_gun_params {
        double bus_voltage_v;           /* 24 V: a 6S Li-ion pack; 0: the pack's, from its charge */
        double resistance_ohm;          /* 0.4 Ω winding, phase to phase */
        double inductance_h;            /* 0.15 mH */
        double torque_constant_nm_per_a;/* 0.056 N·m/A = V·s/rad: 170 rpm/V */
        double inertia_kg_m2;           /* 3e-5 kg·m²: rotor, crank, flywheel */
        double viscous_nm_s_per_rad;    /* 2e-5 N·m·s/rad: bearings, air */
        double coulomb_nm;              /* 0.01 N·m: seals, brushes of the yoke */
        double head_mass_kg;            /* 0.1 kg: head and attachment */
        double body_mass_kg;            /* 1.0 kg: the rest of the gun */
        double stroke_min_mm;           /* 4 mm at actuator position 0 */
        double stroke_max_mm;           /* 16 mm at position 1 */
        double stroke_time_constant_s;  /* 0.05 s: the stroke actuator's lag */
        double stroke_compliance_mm_per_n; /* 0: a rigid mechanism; 0.05 mm/N loses 2 mm at 40 N */
        bool stroke_sensor;             /* a stroke-position sensor is fitted */
        double stroke_sensor_v_per_mm;  /* 0.15 V/mm: 4–16 mm on 0.85–2.65 V */
        double stroke_sensor_offset_v;  /* 0.25 V at no stroke */
        double stroke_sensor_noise_v;   /* 3 mV RMS */
        double tissue_stiffness_n_per_m;/* 5000 N/m: relaxed muscle */
        double tissue_damping_n_s_per_m;/* 30 N·s/m */
        double hand_gain_m_per_n_s;     /* 0.002 m/(N·s): how fast the hand corrects the force */
        unsigned encoder_counts;        /* 4096 per revolution */
        double encoder_zero_deg;        /* 0°: the encoder's angle where the head is at its bottom */
        bool encoder_reversed;          /* the encoder counts down as the crank turns forward */
        int imu_axes[3];                /* { 1, 2, 3 }: the gun's x, y, z as the device's axes,
                                         * 1..3 for x..z, negative when reversed */
        double imu_noise_m_s2;          /* 0.2 m/s² RMS */
        double imu_bias_m_s2;           /* 0.1 m/s² on every axis */
        double imu_gyro_noise_rad_s;    /* 0.01 rad/s RMS: the gun does not turn */
        double imu_range_m_s2;          /* ±16 g = 157 m/s² */
        double imu_delay_s;             /* 20 µs: one sub-step; up to SIM_IMU_DELAY_MAX_S */
        double board_temperature_c;     /* 35 °C */
        double pack_capacity_wh;        /* 60 Wh: 6S 2.5 Ah */
        struct battery_curve pack_curve;/* a cell's voltage against its charge */
        unsigned pack_cells;            /* 6 in series */
        double charger_w;               /* 24 W into the pack: 2.5 h from empty */
        double substep_s;               /* 20 µs: well under the 0.4 ms L/R */
};

#define SIM_IMU_DELAY_MAX_S 0.01
/* The sub-steps an IMU delay may reach back: SIM_IMU_DELAY_MAX_S at the
 * default sub-step, with room for shorter ones */
#define SIM_IMU_DELAY_STEPS 1024

struct sim_gun {
        struct sim_gun_params p;
        uint64_t rng;                   /* xorshift64* state */
        double time_s;

        /* state */
        double angle_rad;               /* crank angle, [0, 2π) */
        double speed_rad_s;
        double current_a;
        double stroke_mm;               /* where the actuator holds the mechanism */
        double yield_mm;                /* what the mechanism gives under contact */
        double loaded_stroke_mm;        /* stroke_mm less yield_mm: the head's */
        double surface_m;               /* skin surface, in the head's travel frame */
        double mean_contact_n;          /* the hand feels a smoothed force */
        double contact_n;               /* this instant */
        double head_accel_m_s2;
        /* the body's recoil along x at the start of each sub-step, the
         * newest at recoil_next − 1: what the IMU's delay shows */
        double recoil_time_s[SIM_IMU_DELAY_STEPS];
        double recoil_m_s2[SIM_IMU_DELAY_STEPS];
        unsigned recoil_next, recoil_count;
        double drawn_j;                 /* from the pack, this advance */
        double turned_rad;              /* since the revolution began, either way */
        double revolution_start_s, revolution_s; /* the last whole one's; 0: none yet */

        /* actuator inputs, from the thread that advances the model */
        double duty;
        bool enabled;
        double stroke_position;

        /* any thread */
        _Atomic double contact_force_n;
        _Atomic double true_speed_ppm;
        _Atomic double true_mean_speed_ppm;     /* over the last revolution */
        _Atomic double true_stroke_mm;
        atomic_bool true_enabled;       /* the motor driver's enable line */
        _Atomic double temperature_c;
        atomic_bool jammed;             /* the head is blocked: the crank cannot turn */
        atomic_bool drop_requested;     /* the gun is let go of */
        atomic_bool encoder_cut, imu_cut, stroke_sensor_cut; /* the sensor stops answering */
        atomic_bool head_down;          /* held with the head to the floor, not level */
        atomic_bool motor_stuck;        /* the driver drives at full voltage, whatever it is told */

        /* the pack: the motor drains it in sim_gun_advance() (the model's
         * thread), the charger fills it in sim_gun_charge(), a test sets
         * it: every change a compare-and-swap */
        _Atomic double battery_percent;
        atomic_bool charger_connected;

        /* a drop in progress: free fall, then the impact */
        double drop_fall_end_s, drop_impact_end_s;
};

void sim_gun_params_default(struct sim_gun_params *p);

/* The ranges of QUALITY.md's "A family of guns" */
#define SIM_FAMILY_SCALE_MIN 0.7        /* torque constant, resistance, friction × */
#define SIM_FAMILY_SCALE_MAX 1.3
#define SIM_FAMILY_INERTIA_MIN 0.5      /* rotor inertia × */
#define SIM_FAMILY_INERTIA_MAX 2.0
#define SIM_FAMILY_HEAD_MIN_KG 0.08
#define SIM_FAMILY_HEAD_MAX_KG 0.2
#define SIM_FAMILY_BODY_MIN_KG 0.7
#define SIM_FAMILY_BODY_MAX_KG 1.3
#define SIM_FAMILY_PACK_MIN_V 19.8      /* 6S, empty to full */
#define SIM_FAMILY_PACK_MAX_V 25.2
#define SIM_FAMILY_TISSUE_MIN 0.3       /* tissue stiffness and damping × */
#define SIM_FAMILY_TISSUE_MAX 3.0
#define SIM_FAMILY_COMPLIANCE_MAX_MM_PER_N 0.05 /* a stroke mechanism's, from 0 (rigid) */
/* Not among QUALITY.md's ranges: an IMU's low-pass group delay, from
 * none (one sub-step) to an MPU-6050's at its 44 Hz setting (about
 * 4.9 ms; 3 ms lies between its 94 Hz and 44 Hz ones) or an LSM6DSx's
 * at ODR/9 and a few hundred Hz of output data rate */
#define SIM_FAMILY_IMU_DELAY_MIN_S 20e-6
#define SIM_FAMILY_IMU_DELAY_MAX_S 3e-3

/* Member `seed` of the family: every constant above drawn from its range
 * around the defaults, deterministically (the same seed, the same gun);
 * the IMU's mounting is a rotation (a right-handed sensor in a
 * right-handed gun). */
void sim_gun_params_family(struct sim_gun_params *p, uint64_t seed);

/* The motor's supply: the fixed bus voltage, or the pack's. */
double sim_gun_bus_voltage(const struct sim_gun *gun);
void sim_gun_init(struct sim_gun *gun, const struct sim_gun_params *p, uint64_t seed);

/* Integrates dt_s of simulated time, in fixed sub-steps. */
void sim_gun_advance(struct sim_gun *gun, double dt_s);

void sim_gun_set_duty(struct sim_gun *gun, double duty);             /* 0..1 */
void sim_gun_set_enable(struct sim_gun *gun, bool enabled);
void sim_gun_set_stroke_position(struct sim_gun *gun, double position); /* 0..1 */

/* Any thread. */
void sim_gun_set_contact_force(struct sim_gun *gun, double force_n);
void sim_gun_set_temperature(struct sim_gun *gun, double celsius);

/* Faults to inject, any thread (the Simulator1 object, tests). */
void sim_gun_set_jammed(struct sim_gun *gun, bool jammed);
/* How the hand holds the gun: level (gravity on the gun's −z) or with
 * its head to the floor (on +x). */
void sim_gun_set_head_down(struct sim_gun *gun, bool head_down);
/* A driver stuck on (a shorted switch): the bus voltage on the winding,
 * whatever the duty and the enable say. */
void sim_gun_set_motor_stuck(struct sim_gun *gun, bool stuck);
/* Free fall for SIM_DROP_FALL_S, then an impact of SIM_DROP_IMPACT_M_S2. */
void sim_gun_drop(struct sim_gun *gun);
#define SIM_DROP_FALL_S 0.3     /* about 45 cm */
#define SIM_DROP_IMPACT_S 0.005
#define SIM_DROP_IMPACT_M_S2 400.0

/* The pack, any thread. Charging: the charger connected to a pack not
 * yet full. */
void sim_gun_set_battery(struct sim_gun *gun, double percent);     /* 0..100 */
void sim_gun_set_charger(struct sim_gun *gun, bool connected);
/* dt_s of the charger's time: adds its energy when connected. */
void sim_gun_charge(struct sim_gun *gun, double dt_s);
double sim_gun_battery(const struct sim_gun *gun, bool *charging);

/* The encoder's angle: quantised, [0, 2π), from its zero, in its direction. */
double sim_gun_encoder_angle(const struct sim_gun *gun);
/* The IMU in its own axes (imu_axes from the gun's). */
void sim_gun_imu_read(struct sim_gun *gun, double accel_m_s2[3], double gyro_rad_s[3]);
double sim_gun_temperature(const struct sim_gun *gun);
/* The stroke sensor's voltage: offset, scale and noise on the head's stroke. */
double sim_gun_stroke_sensor_v(struct sim_gun *gun);

/* Ground truth, any thread. */
double sim_gun_true_speed_ppm(const struct sim_gun *gun);
/* The mean over the last revolution, as a person counts percussions: a
 * crank slowing to rest reads slower the longer its turn takes, 0 at rest. */
double sim_gun_true_mean_speed_ppm(const struct sim_gun *gun);
double sim_gun_true_stroke_mm(const struct sim_gun *gun); /* the head's, under load */
double sim_gun_true_angle_rad(const struct sim_gun *gun); /* 0 with the head at its bottom */
bool sim_gun_true_enabled(const struct sim_gun *gun);
double sim_gun_time_s(const struct sim_gun *gun);
