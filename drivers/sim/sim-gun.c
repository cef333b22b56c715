/* SPDX-License-Identifier: MIT */
#include "sim-gun.h"

#include <math.h>
#include <stdlib.h>

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
                .stroke_sensor_v_per_mm = 0.15,
                .stroke_sensor_offset_v = 0.25,
                .stroke_sensor_noise_v = 0.003,
                .tissue_stiffness_n_per_m = 5000.0,
                .tissue_damping_n_s_per_m = 30.0,
                .hand_gain_m_per_n_s = 0.002,
                .encoder_counts = 4096,
                .imu_axes = { 1, 2, 3 },
                .imu_noise_m_s2 = 0.2,
                .imu_bias_m_s2 = 0.1,
                .imu_gyro_noise_rad_s = 0.01,
                .imu_range_m_s2 = 16.0 * STANDARD_GRAVITY_M_S2,
                .imu_delay_s = 20e-6,
                .board_temperature_c = 35.0,
                .pack_capacity_wh = 60.0,
                .pack_cells = 6,
                .charger_w = 24.0,
                .substep_s = 20e-6,
        };
        /* a constant, known good */
        (void)battery_curve_parse(&p->pack_curve, BATTERY_CURVE_LI_ION, NULL, 0);
}

/* splitmix64: a seed gives the same gun on every machine. */
static double family_uniform(uint64_t *state, double min, double max)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        return min + (max - min) * (double)(z >> 11) * 0x1.0p-53;
}

/* Evenly on a log scale: ×0.5 as likely as ×2. */
static double family_ratio(uint64_t *state, double min, double max)
{
        return exp(family_uniform(state, log(min), log(max)));
}

/* The sign of the permutation (even +1, odd −1) times the axes' signs. */
static int axes_handedness(const int axes[3])
{
        int a = abs(axes[0]), b = abs(axes[1]), c = abs(axes[2]);
        int even = (a < b) + (b < c) + (a < c) == 3 || (a < b) + (b < c) + (a < c) == 1 ? 1 : -1;

        return even * (axes[0] < 0 ? -1 : 1) * (axes[1] < 0 ? -1 : 1) * (axes[2] < 0 ? -1 : 1);
}

void sim_gun_params_family(struct sim_gun_params *p, uint64_t seed)
{
        static const int permutations[6][3] = { { 1, 2, 3 }, { 1, 3, 2 }, { 2, 1, 3 },
                                                { 2, 3, 1 }, { 3, 1, 2 }, { 3, 2, 1 } };
        uint64_t state = seed;
        double scale_min = SIM_FAMILY_SCALE_MIN, scale_max = SIM_FAMILY_SCALE_MAX;
        unsigned permutation;

        sim_gun_params_default(p);
        p->torque_constant_nm_per_a *= family_uniform(&state, scale_min, scale_max);
        p->resistance_ohm *= family_uniform(&state, scale_min, scale_max);
        p->viscous_nm_s_per_rad *= family_uniform(&state, scale_min, scale_max);
        p->coulomb_nm *= family_uniform(&state, scale_min, scale_max);
        p->inertia_kg_m2 *= family_ratio(&state, SIM_FAMILY_INERTIA_MIN, SIM_FAMILY_INERTIA_MAX);
        p->head_mass_kg = family_uniform(&state, SIM_FAMILY_HEAD_MIN_KG, SIM_FAMILY_HEAD_MAX_KG);
        p->body_mass_kg = family_uniform(&state, SIM_FAMILY_BODY_MIN_KG, SIM_FAMILY_BODY_MAX_KG);
        p->encoder_zero_deg = family_uniform(&state, 0.0, 360.0);
        p->encoder_reversed = family_uniform(&state, 0.0, 1.0) < 0.5;
        permutation = (unsigned)family_uniform(&state, 0.0, 6.0);
        for (int i = 0; i < 3; i++)
                p->imu_axes[i] = permutations[permutation < 6 ? permutation : 5][i] *
                                 (family_uniform(&state, 0.0, 1.0) < 0.5 ? -1 : 1);
        /* a sensor is right-handed: the third axis follows from the other two */
        p->imu_axes[2] *= axes_handedness(p->imu_axes);
        p->bus_voltage_v = family_uniform(&state, SIM_FAMILY_PACK_MIN_V, SIM_FAMILY_PACK_MAX_V);
        p->tissue_stiffness_n_per_m *= family_ratio(&state, SIM_FAMILY_TISSUE_MIN, SIM_FAMILY_TISSUE_MAX);
        p->tissue_damping_n_s_per_m *= family_ratio(&state, SIM_FAMILY_TISSUE_MIN, SIM_FAMILY_TISSUE_MAX);
        /* drawn last: the other constants stay the ones each seed drew before */
        p->imu_delay_s = family_uniform(&state, SIM_FAMILY_IMU_DELAY_MIN_S, SIM_FAMILY_IMU_DELAY_MAX_S);
}

void sim_gun_init(struct sim_gun *gun, const struct sim_gun_params *p, uint64_t seed)
{
        *gun = (struct sim_gun){
                .p = *p,
                .rng = seed ? seed : 0x9e3779b97f4a7c15ull,
                .stroke_mm = p->stroke_min_mm,
                .loaded_stroke_mm = p->stroke_min_mm,
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
        atomic_init(&gun->stroke_sensor_cut, false);
        atomic_init(&gun->head_down, false);
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
        return gun->loaded_stroke_mm * 0.5e-3;
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
        double bus_voltage_v;           /* the pack's changes over minutes, not an advance */
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

/* The body recoils from the head it drives and from the tissue. */
static double body_recoil_m_s2(const struct sim_gun *gun, double user_n)
{
        return -(gun->p.head_mass_kg * gun->head_accel_m_s2 + gun->contact_n - user_n) /
               gun->p.body_mass_kg;
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
        double bus_v = k->bus_voltage_v;

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
                volts = duty * bus_v;
                gun->current_a += (volts - p->resistance_ohm * gun->current_a -
                                   p->torque_constant_nm_per_a * w) * k->dt_per_inductance;
                /* the implicit form would be exact; the explicit one is
                 * stable while dt < 2 L/R, which the default sub-step keeps */
        } else
                gun->current_a = 0.0;
        /* what the driver takes from the pack; it does not feed braking back */
        if ((gun->enabled || stuck) && duty * gun->current_a > 0.0)
                gun->drawn_j += bus_v * duty * gun->current_a * dt;

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
        gun->recoil_time_s[gun->recoil_next] = gun->time_s;
        gun->recoil_m_s2[gun->recoil_next] = body_recoil_m_s2(gun, user_n);
        gun->recoil_next = (gun->recoil_next + 1) % SIM_IMU_DELAY_STEPS;
        if (gun->recoil_count < SIM_IMU_DELAY_STEPS)
                gun->recoil_count++;
        gun->turned_rad += fabs(gun->speed_rad_s) * dt;
        if (gun->turned_rad >= TWO_PI) {
                gun->turned_rad -= TWO_PI;
                gun->revolution_s = gun->time_s + dt - gun->revolution_start_s;
                gun->revolution_start_s = gun->time_s + dt;
        }

        gun->stroke_mm += (p->stroke_min_mm + gun->stroke_position * (p->stroke_max_mm - p->stroke_min_mm) -
                           gun->stroke_mm) * k->dt_per_stroke_time;
        /* the mechanism yields to the push the hand feels, through the
         * same lag as its actuator moves it: not to each blow */
        gun->yield_mm += (p->stroke_compliance_mm_per_n * gun->mean_contact_n - gun->yield_mm) *
                         k->dt_per_stroke_time;
        gun->loaded_stroke_mm = fmax(0.0, gun->stroke_mm - gun->yield_mm);
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
                k.bus_voltage_v = sim_gun_bus_voltage(gun);
        }
        for (unsigned i = 0; i < n; i++)
                substep(gun, &k, &sin_angle, &cos_angle);
        if (gun->drawn_j > 0.0)
                add_energy(gun, -gun->drawn_j / 3600.0);
        atomic_store_explicit(&gun->true_speed_ppm, gun->speed_rad_s * 60.0 / TWO_PI,
                              memory_order_relaxed);
        atomic_store_explicit(&gun->true_stroke_mm, gun->loaded_stroke_mm, memory_order_relaxed);
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

void sim_gun_set_head_down(struct sim_gun *gun, bool head_down)
{
        atomic_store_explicit(&gun->head_down, head_down, memory_order_relaxed);
}

void sim_gun_set_motor_stuck(struct sim_gun *gun, bool stuck)
{
        atomic_store_explicit(&gun->motor_stuck, stuck, memory_order_relaxed);
}

void sim_gun_drop(struct sim_gun *gun)
{
        atomic_store_explicit(&gun->drop_requested, true, memory_order_relaxed);
}

double sim_gun_bus_voltage(const struct sim_gun *gun)
{
        if (gun->p.bus_voltage_v > 0.0)
                return gun->p.bus_voltage_v;
        return gun->p.pack_cells *
               battery_curve_cell_v(&gun->p.pack_curve,
                                    atomic_load_explicit(&gun->battery_percent, memory_order_relaxed));
}

double sim_gun_encoder_angle(const struct sim_gun *gun)
{
        double counts = (double)gun->p.encoder_counts;
        double turns = ((gun->p.encoder_reversed ? -1.0 : 1.0) * gun->angle_rad) / TWO_PI +
                       gun->p.encoder_zero_deg / 360.0;
        double count = floor((turns - floor(turns)) * counts);

        /* an angle a rounding error short of 2π is count 0 of the next turn */
        return count < counts ? count / counts * TWO_PI : 0.0;
}

static double saturate(double v, double range)
{
        return v > range ? range : v < -range ? -range : v;
}

/* The recoil imu_delay_s ago, between the sub-steps around then; the
 * oldest kept when the delay reaches further. */
static double delayed_recoil_m_s2(const struct sim_gun *gun, double user_n)
{
        double when_s = gun->time_s - gun->p.imu_delay_s;
        unsigned newer = (gun->recoil_next + SIM_IMU_DELAY_STEPS - 1) % SIM_IMU_DELAY_STEPS;

        if (gun->recoil_count == 0)
                return body_recoil_m_s2(gun, user_n);
        for (unsigned i = 1; i < gun->recoil_count; i++) {
                unsigned older = (newer + SIM_IMU_DELAY_STEPS - 1) % SIM_IMU_DELAY_STEPS;
                double t0 = gun->recoil_time_s[older], t1 = gun->recoil_time_s[newer];

                if (when_s >= t1)
                        return gun->recoil_m_s2[newer];
                if (when_s >= t0)
                        return gun->recoil_m_s2[older] + (gun->recoil_m_s2[newer] - gun->recoil_m_s2[older]) *
                                                                 (when_s - t0) / (t1 - t0);
                newer = older;
        }
        return gun->recoil_m_s2[newer];
}

void sim_gun_imu_read(struct sim_gun *gun, double accel_m_s2[3], double gyro_rad_s[3])
{
        const struct sim_gun_params *p = &gun->p;
        double user_n = atomic_load_explicit(&gun->contact_force_n, memory_order_relaxed);
        double body_m_s2 = delayed_recoil_m_s2(gun, user_n);
        /* the hand holds the gun up: the IMU feels that as up, the gun's
         * +z when level, −x (away from the head) with the head down */
        bool head_down = atomic_load_explicit(&gun->head_down, memory_order_relaxed);
        int up = head_down ? 0 : 2;
        double up_sign = head_down ? -1.0 : 1.0;
        double specific[3] = { body_m_s2, 0.0, 0.0 };

        /* falling, the IMU feels no gravity and no hand; landing, a blow */
        if (gun->time_s < gun->drop_fall_end_s)
                specific[0] = body_m_s2 - user_n / p->body_mass_kg;
        else if (gun->time_s < gun->drop_impact_end_s)
                specific[up] += up_sign * SIM_DROP_IMPACT_M_S2;
        else
                specific[up] += up_sign * STANDARD_GRAVITY_M_S2;

        /* the gun's axis i is the device's |imu_axes[i]|, signed */
        for (int i = 0; i < 3; i++) {
                int device = abs(p->imu_axes[i]) - 1;
                double sign = p->imu_axes[i] < 0 ? -1.0 : 1.0;

                accel_m_s2[device] = saturate(sign * specific[i] + p->imu_bias_m_s2 +
                                                      p->imu_noise_m_s2 * gaussian(gun),
                                              p->imu_range_m_s2);
                gyro_rad_s[device] = p->imu_gyro_noise_rad_s * gaussian(gun);
        }
}

double sim_gun_stroke_sensor_v(struct sim_gun *gun)
{
        const struct sim_gun_params *p = &gun->p;

        return p->stroke_sensor_offset_v + p->stroke_sensor_v_per_mm * gun->loaded_stroke_mm +
               p->stroke_sensor_noise_v * gaussian(gun);
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

double sim_gun_true_angle_rad(const struct sim_gun *gun)
{
        return gun->angle_rad;
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
