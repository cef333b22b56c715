/* SPDX-License-Identifier: MIT */
#include "sim-gun.h"

#include <math.h>

#define TWO_PI (2.0 * M_PI)
#define STANDARD_GRAVITY_M_S2 9.80665
/* Coulomb friction is smoothed over this speed so that it does not
 * chatter around standstill. */
#define COULOMB_SMOOTHING_RAD_S 0.5
/* The hand feels the contact force through its own low-pass. */
#define HAND_TIME_CONSTANT_S 0.05
/* Slower than this the crank rests: friction holds it within a turn. */
#define SIM_RESTING_PPM 1.0

void sim_gun_params_default(struct sim_gun_params *p)
{
        *p = (struct sim_gun_params){
                .bus_voltage_v = 24.0,
                .resistance_ohm = 0.4,
                .inductance_h = 0.15e-3,
                .torque_constant_nm_per_a = 60.0 / (2.0 * M_PI * 170.0),
                .inertia_kg_m2 = 3e-5,
                .viscous_nm_s_per_rad = 2e-5,
                .coulomb_nm = 0.01,
                .head_mass_kg = 0.1,
                .body_mass_kg = 1.0,
                .stroke_min_mm = 4.0,
                .stroke_max_mm = 16.0,
                .stroke_time_constant_s = 0.05,
                .tissue_stiffness_n_per_m = 5000.0,
                .tissue_damping_n_s_per_m = 30.0,
                .hand_gain_m_per_n_s = 0.002,
                .encoder_counts = 4096,
                .imu_noise_m_s2 = 0.2,
                .imu_bias_m_s2 = 0.1,
                .imu_gyro_noise_rad_s = 0.01,
                .imu_range_m_s2 = 16.0 * STANDARD_GRAVITY_M_S2,
                .board_temperature_c = 35.0,
                .pack_capacity_wh = 60.0,
                .charger_w = 24.0,
                .substep_s = 20e-6,
        };
}

void sim_gun_init(struct sim_gun *gun, const struct sim_gun_params *p, uint64_t seed)
{
        *gun = (struct sim_gun){
                .p = *p,
                .rng = seed ? seed : 0x9e3779b97f4a7c15ull,
                .stroke_mm = p->stroke_min_mm,
        };
        atomic_init(&gun->contact_force_n, 0.0);
        atomic_init(&gun->true_speed_ppm, 0.0);
        atomic_init(&gun->true_mean_speed_ppm, 0.0);
        atomic_init(&gun->true_enabled, false);
        atomic_init(&gun->true_stroke_mm, p->stroke_min_mm);
        atomic_init(&gun->temperature_c, p->board_temperature_c);
        atomic_init(&gun->jammed, false);
        atomic_init(&gun->drop_requested, false);
        atomic_init(&gun->encoder_cut, false);
        atomic_init(&gun->imu_cut, false);
        atomic_init(&gun->motor_stuck, false);
        atomic_init(&gun->battery_percent, 100.0);
        atomic_init(&gun->charger_connected, false);
}

static double clamp_percent(double v)
{
        return v < 0.0 ? 0.0 : v > 100.0 ? 100.0 : v;
}

/* Lock-free: the RT thread and the main thread both change the charge. */
static void add_energy(struct sim_gun *gun, double wh)
{
        double old = atomic_load_explicit(&gun->battery_percent, memory_order_relaxed);
        double percent;

        do
                percent = clamp_percent(old + 100.0 * wh / gun->p.pack_capacity_wh);
        while (!atomic_compare_exchange_weak_explicit(&gun->battery_percent, &old, percent,
                                                      memory_order_relaxed, memory_order_relaxed));
}

/* xorshift64*: deterministic, cheap, good enough for sensor noise. */
static double uniform(struct sim_gun *gun)
{
        gun->rng ^= gun->rng >> 12;
        gun->rng ^= gun->rng << 25;
        gun->rng ^= gun->rng >> 27;
        return (double)((gun->rng * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

/* Zero-mean, unit-variance, bell-shaped: the sum of twelve uniforms. */
static double gaussian(struct sim_gun *gun)
{
        double sum = 0.0;

        for (int i = 0; i < 12; i++)
                sum += uniform(gun);
        return sum - 6.0;
}

static double crank_radius_m(const struct sim_gun *gun)
{
        return gun->stroke_mm * 0.5e-3;
}

/* The contact force on the head for head position x and velocity v. The
 * tissue pushes, never pulls. */
static double contact_force(const struct sim_gun *gun, double x_m, double v_m_s)
{
        double depth_m = x_m - gun->surface_m;
        double f;

        if (depth_m <= 0.0)
                return 0.0;
        f = gun->p.tissue_stiffness_n_per_m * depth_m + gun->p.tissue_damping_n_s_per_m * v_m_s;
        return f > 0.0 ? f : 0.0;
}

/* What every sub-step of one advance shares: its length, and the ratios
 * of it to the model's time constants (no division per sub-step). */
struct substep_constants {
        double dt;
        double dt_per_inductance;
        double dt_per_hand_time;
        double dt_per_stroke_time;
};

/* (s, c) = (sin θ, cos θ) turned on by a sub-step's dθ. A sub-step turns
 * the crank by under 0.01 rad, where these series are exact to 1e-12;
 * sim_gun_advance() starts every advance from the exact sin and cos, so
 * the error never builds up. */
static void rotate(double *s, double *c, double dtheta)
{
        double d2 = dtheta * dtheta;
        double sin_d = dtheta * (1.0 - d2 / 6.0);
        double cos_d = 1.0 - d2 * (0.5 - d2 / 24.0);
        double s0 = *s;

        *s = s0 * cos_d + *c * sin_d;
        *c = *c * cos_d - s0 * sin_d;
}

static void substep(struct sim_gun *gun, const struct substep_constants *k, double *sin_angle,
                    double *cos_angle)
{
        const struct sim_gun_params *p = &gun->p;
        double user_n = atomic_load_explicit(&gun->contact_force_n, memory_order_relaxed);
        double r = crank_radius_m(gun);
        double s = *sin_angle, c = *cos_angle;
        double w = gun->speed_rad_s;
        double dt = k->dt;
        double x = r * (1.0 - c), v = r * s * w;
        bool stuck = atomic_load_explicit(&gun->motor_stuck, memory_order_relaxed);
        double duty = stuck ? 1.0 : gun->duty;
        double volts, torque, friction, load, inertia, accel;

        /* the hand: no force wanted means the head is in the air */
        if (user_n <= 0.0) {
                gun->surface_m = 2.0 * r + 0.01;
                gun->mean_contact_n = 0.0;
        } else {
                if (gun->surface_m > 2.0 * r)
                        gun->surface_m = 2.0 * r; /* the gun is put on the skin */
                gun->surface_m += p->hand_gain_m_per_n_s * (gun->mean_contact_n - user_n) * dt;
        }
        gun->contact_n = contact_force(gun, x, v);
        gun->mean_contact_n += (gun->contact_n - gun->mean_contact_n) * k->dt_per_hand_time;

        /* the driver off leaves the windings open: no current */
        if (gun->enabled || stuck) {
                volts = duty * p->bus_voltage_v;
                gun->current_a += (volts - p->resistance_ohm * gun->current_a -
                                   p->torque_constant_nm_per_a * w) * k->dt_per_inductance;
                /* the implicit form would be exact; the explicit one is
                 * stable while dt < 2 L/R, which the default sub-step keeps */
        } else
                gun->current_a = 0.0;
        /* what the driver takes from the pack; it does not feed braking back */
        if ((gun->enabled || stuck) && duty * gun->current_a > 0.0)
                gun->drawn_j += p->bus_voltage_v * duty * gun->current_a * dt;

        torque = p->torque_constant_nm_per_a * gun->current_a;
        friction = p->viscous_nm_s_per_rad * w + p->coulomb_nm * tanh(w / COULOMB_SMOOTHING_RAD_S);
        /* Lagrange with the angle-dependent inertia J + m (r sin θ)²:
         * its change with θ gives the m r² sin θ cos θ ω² term */
        load = gun->contact_n * r * s + p->head_mass_kg * r * r * s * c * w * w;
        inertia = p->inertia_kg_m2 + p->head_mass_kg * r * r * s * s;
        accel = (torque - friction - load) / inertia;

        if (atomic_load_explicit(&gun->jammed, memory_order_relaxed)) {
                /* the blocked head holds the crank; the motor draws stall current */
                accel = 0.0;
                gun->speed_rad_s = 0.0;
        }
        gun->speed_rad_s += accel * dt;
        /* kept in one turn (a sub-step is far less than one): sin and cos
         * stay fast and exact however long the soak */
        gun->angle_rad += gun->speed_rad_s * dt;
        rotate(sin_angle, cos_angle, gun->speed_rad_s * dt);
        if (gun->angle_rad >= TWO_PI)
                gun->angle_rad -= TWO_PI;
        else if (gun->angle_rad < 0.0)
                gun->angle_rad += TWO_PI;
        gun->head_accel_m_s2 = r * (c * w * w + s * accel);
        gun->turned_rad += fabs(gun->speed_rad_s) * dt;
        if (gun->turned_rad >= TWO_PI) {
                gun->turned_rad -= TWO_PI;
                gun->revolution_s = gun->time_s + dt - gun->revolution_start_s;
                gun->revolution_start_s = gun->time_s + dt;
        }

        gun->stroke_mm += (p->stroke_min_mm + gun->stroke_position * (p->stroke_max_mm - p->stroke_min_mm) -
                           gun->stroke_mm) * k->dt_per_stroke_time;
        gun->time_s += dt;
}

void sim_gun_advance(struct sim_gun *gun, double dt_s)
{
        if (atomic_exchange_explicit(&gun->drop_requested, false, memory_order_relaxed)) {
                gun->drop_fall_end_s = gun->time_s + SIM_DROP_FALL_S;
                gun->drop_impact_end_s = gun->drop_fall_end_s + SIM_DROP_IMPACT_S;
        }
        /* equal sub-steps no longer than substep_s: no sliver of a step
         * left over by rounding, and the same steps for the same dt */
        double steps = ceil(dt_s / gun->p.substep_s - 1e-9);
        unsigned n = steps > 0.0 ? (unsigned)steps : 0;
        struct substep_constants k = { 0 };
        double sin_angle = sin(gun->angle_rad), cos_angle = cos(gun->angle_rad);

        gun->drawn_j = 0.0;
        if (n > 0) {
                k.dt = dt_s / n;
                k.dt_per_inductance = k.dt / gun->p.inductance_h;
                k.dt_per_hand_time = k.dt / HAND_TIME_CONSTANT_S;
                k.dt_per_stroke_time = k.dt / gun->p.stroke_time_constant_s;
        }
        for (unsigned i = 0; i < n; i++)
                substep(gun, &k, &sin_angle, &cos_angle);
        if (gun->drawn_j > 0.0)
                add_energy(gun, -gun->drawn_j / 3600.0);
        atomic_store_explicit(&gun->true_speed_ppm, gun->speed_rad_s * 60.0 / TWO_PI,
                              memory_order_relaxed);
        atomic_store_explicit(&gun->true_stroke_mm, gun->stroke_mm, memory_order_relaxed);
        {
                /* a turn under way that has taken longer than the last whole
                 * one: the crank is slower than that one says; at rest (the
                 * model then stops being advanced) none is under way */
                double revolution_s = fmax(gun->revolution_s, gun->time_s - gun->revolution_start_s);
                bool resting = fabs(gun->speed_rad_s) * 60.0 / TWO_PI < SIM_RESTING_PPM;

                atomic_store_explicit(&gun->true_mean_speed_ppm,
                                      gun->revolution_s > 0.0 && !resting ? 60.0 / revolution_s : 0.0,
                                      memory_order_relaxed);
        }
}

static double clamp01(double v)
{
        return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

void sim_gun_set_duty(struct sim_gun *gun, double duty)
{
        gun->duty = clamp01(duty);
}

void sim_gun_set_enable(struct sim_gun *gun, bool enabled)
{
        gun->enabled = enabled;
        atomic_store_explicit(&gun->true_enabled, enabled, memory_order_relaxed);
}

void sim_gun_set_stroke_position(struct sim_gun *gun, double position)
{
        gun->stroke_position = clamp01(position);
}

void sim_gun_set_contact_force(struct sim_gun *gun, double force_n)
{
        atomic_store_explicit(&gun->contact_force_n, force_n > 0.0 ? force_n : 0.0,
                              memory_order_relaxed);
}

void sim_gun_set_temperature(struct sim_gun *gun, double celsius)
{
        atomic_store_explicit(&gun->temperature_c, celsius, memory_order_relaxed);
}

void sim_gun_set_jammed(struct sim_gun *gun, bool jammed)
{
        atomic_store_explicit(&gun->jammed, jammed, memory_order_relaxed);
}

void sim_gun_set_motor_stuck(struct sim_gun *gun, bool stuck)
{
        atomic_store_explicit(&gun->motor_stuck, stuck, memory_order_relaxed);
}

void sim_gun_drop(struct sim_gun *gun)
{
        atomic_store_explicit(&gun->drop_requested, true, memory_order_relaxed);
}

double sim_gun_encoder_angle(const struct sim_gun *gun)
{
        double counts = (double)gun->p.encoder_counts;
        double count = floor(gun->angle_rad / TWO_PI * counts);

        /* an angle a rounding error short of 2π is count 0 of the next turn */
        return count < counts ? count / counts * TWO_PI : 0.0;
}

static double saturate(double v, double range)
{
        return v > range ? range : v < -range ? -range : v;
}

void sim_gun_imu_read(struct sim_gun *gun, double accel_m_s2[3], double gyro_rad_s[3])
{
        const struct sim_gun_params *p = &gun->p;
        double user_n = atomic_load_explicit(&gun->contact_force_n, memory_order_relaxed);
        /* the body recoils from the head it drives and from the tissue */
        double body_m_s2 = -(p->head_mass_kg * gun->head_accel_m_s2 + gun->contact_n - user_n) /
                           p->body_mass_kg;
        double specific[3] = { body_m_s2, 0.0, STANDARD_GRAVITY_M_S2 };

        /* falling, the IMU feels no gravity and no hand; landing, a blow */
        if (gun->time_s < gun->drop_fall_end_s) {
                specific[0] = body_m_s2 - user_n / p->body_mass_kg;
                specific[2] = 0.0;
        } else if (gun->time_s < gun->drop_impact_end_s)
                specific[2] = SIM_DROP_IMPACT_M_S2;

        for (int i = 0; i < 3; i++) {
                accel_m_s2[i] = saturate(specific[i] + p->imu_bias_m_s2 +
                                                 p->imu_noise_m_s2 * gaussian(gun),
                                         p->imu_range_m_s2);
                gyro_rad_s[i] = p->imu_gyro_noise_rad_s * gaussian(gun);
        }
}

double sim_gun_temperature(const struct sim_gun *gun)
{
        return atomic_load_explicit(&gun->temperature_c, memory_order_relaxed);
}

double sim_gun_true_speed_ppm(const struct sim_gun *gun)
{
        return atomic_load_explicit(&gun->true_speed_ppm, memory_order_relaxed);
}

double sim_gun_true_mean_speed_ppm(const struct sim_gun *gun)
{
        return atomic_load_explicit(&gun->true_mean_speed_ppm, memory_order_relaxed);
}

double sim_gun_true_stroke_mm(const struct sim_gun *gun)
{
        return atomic_load_explicit(&gun->true_stroke_mm, memory_order_relaxed);
}

bool sim_gun_true_enabled(const struct sim_gun *gun)
{
        return atomic_load_explicit(&gun->true_enabled, memory_order_relaxed);
}

double sim_gun_time_s(const struct sim_gun *gun)
{
        return gun->time_s;
}

void sim_gun_set_battery(struct sim_gun *gun, double percent)
{
        atomic_store_explicit(&gun->battery_percent, clamp_percent(percent), memory_order_relaxed);
}

void sim_gun_set_charger(struct sim_gun *gun, bool connected)
{
        atomic_store_explicit(&gun->charger_connected, connected, memory_order_relaxed);
}

void sim_gun_charge(struct sim_gun *gun, double dt_s)
{
        if (atomic_load_explicit(&gun->charger_connected, memory_order_relaxed) && dt_s > 0.0)
                add_energy(gun, gun->p.charger_w * dt_s / 3600.0);
}

double sim_gun_battery(const struct sim_gun *gun, bool *charging)
{
        double percent = atomic_load_explicit(&gun->battery_percent, memory_order_relaxed);

        *charging = atomic_load_explicit(&gun->charger_connected, memory_order_relaxed) &&
                    percent < 100.0;
        return percent;
}
