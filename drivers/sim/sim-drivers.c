/* SPDX-License-Identifier: MIT */
#include "sim-drivers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* After a long idle sleep, only this much time is simulated: the crank
 * stopped long before, and integrating minutes of 20 µs sub-steps in the
 * RT thread's first period would make it overrun. */
#define SIM_CATCH_UP_MAX_S 0.5

static void advance(struct sim_drivers *sim, uint64_t from_ns, uint64_t to_ns)
{
        sim_gun_advance(sim->model, fmin((double)(to_ns - from_ns) * 1e-9, SIM_CATCH_UP_MAX_S));
}

static uint64_t advance_to_now(struct sim_drivers *sim)
{
        uint64_t now_ns = sim->clock->now_ns(sim->clock->userdata);

        if (sim->started && now_ns > sim->last_ns) {
                if (sim->model->enabled && now_ns > sim->enable_deadline_ns) {
                        /* nobody refreshed the enable: the board dropped it at the deadline */
                        uint64_t until_ns = sim->enable_deadline_ns > sim->last_ns ?
                                                    sim->enable_deadline_ns : sim->last_ns;

                        advance(sim, sim->last_ns, until_ns);
                        sim_gun_set_enable(sim->model, false);
                        advance(sim, until_ns, now_ns);
                } else
                        advance(sim, sim->last_ns, now_ns);
        }
        sim->last_ns = now_ns;
        sim->started = true;
        return now_ns;
}

static int sim_encoder_read(struct encoder *enc, struct encoder_sample *out)
{
        struct sim_drivers *sim = enc->data;

        if (atomic_load_explicit(&sim->model->encoder_cut, memory_order_relaxed))
                return -EIO;
        out->time_ns = advance_to_now(sim);
        out->value = sim_gun_encoder_angle(sim->model);
        return 0;
}

static const struct encoder_ops sim_encoder_ops = {
        .name = "sim-encoder",
        .read = sim_encoder_read,
};

static int sim_imu_read(struct imu *imu, struct imu_sample *out)
{
        struct sim_drivers *sim = imu->data;
        double accel_m_s2[3], gyro_rad_s[3];

        if (atomic_load_explicit(&sim->model->imu_cut, memory_order_relaxed))
                return -EIO;
        out->time_ns = advance_to_now(sim);
        sim_gun_imu_read(sim->model, accel_m_s2, gyro_rad_s);
        out->accel_clipped = false;
        for (int i = 0; i < 3; i++) {
                int device = abs(sim->imu_axes[i]) - 1;
                double sign = sim->imu_axes[i] < 0 ? -1.0 : 1.0;

                out->accel_m_s2[i] = sign * accel_m_s2[device];
                out->gyro_rad_s[i] = sign * gyro_rad_s[device];
                out->accel_clipped = out->accel_clipped ||
                                     fabs(accel_m_s2[i]) >= sim->model->p.imu_range_m_s2;
        }
        return 0;
}

static int sim_imu_read_temperature(struct imu *imu, double *celsius)
{
        struct sim_drivers *sim = imu->data;

        *celsius = sim_gun_temperature(sim->model);
        return 0;
}

static const struct imu_ops sim_imu_ops = {
        .name = "sim-imu",
        .read = sim_imu_read,
        .read_temperature = sim_imu_read_temperature,
};

static int sim_motor_set_duty(struct motor *motor, double duty)
{
        struct sim_drivers *sim = motor->data;

        if (!(duty >= 0.0 && duty <= 1.0))
                return -EINVAL;
        sim_gun_set_duty(sim->model, duty);
        if (sim->enable_requested) {
                /* the time of this period's sensor reads: no second clock read */
                sim->enable_deadline_ns = sim->last_ns + SIM_ENABLE_HOLD_NS;
                if (!sim->model->enabled)
                        sim_gun_set_enable(sim->model, true);
        }
        if (sim->board) {
                atomic_store(&sim->board->regs->duty, duty);
                atomic_store(&sim->board->regs->enable_deadline_ns, sim->enable_deadline_ns);
        }
        return 0;
}

static int sim_motor_set_enable(struct motor *motor, bool enabled)
{
        struct sim_drivers *sim = motor->data;

        sim->enable_requested = enabled;
        sim_gun_set_enable(sim->model, enabled);
        if (enabled)
                sim->enable_deadline_ns = sim->last_ns + SIM_ENABLE_HOLD_NS;
        if (sim->board) {
                atomic_store(&sim->board->regs->enable_deadline_ns, sim->enable_deadline_ns);
                atomic_store(&sim->board->regs->enable, enabled);
        }
        return 0;
}

static const struct motor_ops sim_motor_ops = {
        .name = "sim-motor",
        .set_duty = sim_motor_set_duty,
        .set_enable = sim_motor_set_enable,
};

static int sim_stroke_set_position(struct stroke *stroke, double position)
{
        struct sim_drivers *sim = stroke->data;

        if (!(position >= 0.0 && position <= 1.0))
                return -EINVAL;
        sim_gun_set_stroke_position(sim->model, position);
        if (sim->board)
                atomic_store(&sim->board->regs->stroke_position, position);
        return 0;
}

static const struct stroke_ops sim_stroke_ops = {
        .name = "sim-stroke",
        .set_position = sim_stroke_set_position,
};

static int sim_stroke_sensor_read(struct stroke_sensor *sensor, struct stroke_sensor_sample *out)
{
        struct sim_drivers *sim = sensor->data;

        if (atomic_load_explicit(&sim->model->stroke_sensor_cut, memory_order_relaxed))
                return -EIO;
        out->time_ns = advance_to_now(sim);
        out->volts = sim_gun_stroke_sensor_v(sim->model);
        return 0;
}

static const struct stroke_sensor_ops sim_stroke_sensor_ops = {
        .name = "sim-stroke-sensor",
        .read = sim_stroke_sensor_read,
};

/* The charger fills the pack in the time between two readings, on the
 * main thread: nothing needs to run while the gun lies on its charger. */
static void settle_charge(struct sim_drivers *sim)
{
        uint64_t now_ns = sim->clock->now_ns(sim->clock->userdata);

        if (now_ns > sim->charged_ns)
                sim_gun_charge(sim->model, (double)(now_ns - sim->charged_ns) * 1e-9);
        sim->charged_ns = now_ns;
}

static int sim_battery_read(struct battery *battery, struct battery_reading *out)
{
        struct sim_drivers *sim = battery->data;

        settle_charge(sim);
        out->percent = sim_gun_battery(sim->model, &out->charging);
        out->voltage_v = sim_gun_bus_voltage(sim->model);
        return 0;
}

static const struct battery_ops sim_battery_ops = {
        .name = "sim-battery",
        .read = sim_battery_read,
};

void sim_gun_drivers_set_charger(struct sim_drivers *sim, bool connected)
{
        settle_charge(sim);
        sim_gun_set_charger(sim->model, connected);
}

int sim_gun_drivers_open(struct gun *gun, struct sim_drivers *sim, struct sim_gun *model,
                         const struct sim_clock *clock)
{
        if (!model || !clock || !clock->now_ns)
                return -EINVAL;
        *sim = (struct sim_drivers){
                .model = model,
                .clock = clock,
                .charged_ns = clock->now_ns(clock->userdata),
                .imu_axes = { 1, 2, 3 },
        };

        gun->encoder = (struct encoder){
                .ops = &sim_encoder_ops,
                .data = sim,
                .quantity = ENCODER_ANGLE,
                .resolution = 2.0 * M_PI / model->p.encoder_counts,
        };
        gun->imu = (struct imu){ .ops = &sim_imu_ops, .data = sim };
        gun->motor = (struct motor){ .ops = &sim_motor_ops, .data = sim };
        gun->stroke = (struct stroke){
                .ops = &sim_stroke_ops,
                .data = sim,
                .min_mm = model->p.stroke_min_mm,
                .max_mm = model->p.stroke_max_mm,
        };
        gun->battery = (struct battery){ .ops = &sim_battery_ops, .data = sim };
        if (model->p.stroke_sensor)
                gun->stroke_sensor = (struct stroke_sensor){ .ops = &sim_stroke_sensor_ops, .data = sim };
        gun->simulated = true;
        return 0;
}

void sim_gun_drivers_set_imu_axes(struct sim_drivers *sim, const int axes[3])
{
        memcpy(sim->imu_axes, axes, sizeof(sim->imu_axes));
}

void sim_gun_drivers_attach_board(struct sim_drivers *sim, struct sim_board *board)
{
        sim->board = board;
        atomic_store(&board->regs->duty, sim->model->duty);
        atomic_store(&board->regs->stroke_position, sim->model->stroke_position);
        atomic_store(&board->regs->enable_deadline_ns, sim->enable_deadline_ns);
        atomic_store(&board->regs->enable, sim->model->enabled);
}
