/* SPDX-License-Identifier: MIT */
#include "sim-rig.h"

#include <check.h>
#include <stddef.h>

#define rig_of(member_ptr, member) \
        ((struct sim_rig *)(void *)((char *)(member_ptr) - offsetof(struct sim_rig, member)))

static uint64_t rig_now_ns(void *userdata)
{
        return ((struct sim_rig *)userdata)->now_ns;
}

/* A refused write leaves the driver as it was. */
static int watched_set_duty(struct motor *motor, double duty)
{
        struct sim_rig *rig = rig_of(motor, gun.motor);

        if (rig->motor_error)
                return rig->motor_error;
        rig->duty = duty;
        return rig->sim_motor_ops->set_duty(motor, duty);
}

/* The enable is a line of its own (a GPIO): a PWM that refuses writes
 * does not take it along. */
static int watched_set_enable(struct motor *motor, bool enabled)
{
        struct sim_rig *rig = rig_of(motor, gun.motor);

        rig->enabled = enabled;
        return rig->sim_motor_ops->set_enable(motor, enabled);
}

static int watched_set_position(struct stroke *stroke, double position)
{
        struct sim_rig *rig = rig_of(stroke, gun.stroke);

        if (rig->stroke_error)
                return rig->stroke_error;
        rig->stroke_position = position;
        return rig->sim_stroke_ops->set_position(stroke, position);
}

static int faulty_imu_read(struct imu *imu, struct imu_sample *out)
{
        struct sim_rig *rig = rig_of(imu, gun.imu);
        int r;

        if (rig->imu_error)
                return rig->imu_error;
        if (rig->imu_frozen || (rig->imu_every > 1 && rig->imu_reads++ % rig->imu_every != 0)) {
                *out = rig->last_imu;
                return 0;
        }
        r = rig->sim_imu_ops->read(imu, out);
        rig->last_imu = *out;
        if (rig->imu_garbage != 0.0)
                for (int i = 0; i < 3; i++)
                        out->accel_m_s2[i] = out->gyro_rad_s[i] = rig->imu_garbage;
        return r;
}

static int faulty_read(struct encoder *enc, struct encoder_sample *out)
{
        struct sim_rig *rig = rig_of(enc, gun.encoder);
        int r;

        if (rig->encoder_error)
                return rig->encoder_error;
        if (rig->encoder_frozen) {
                *out = rig->last_sample;
                return 0;
        }
        r = rig->sim_encoder_ops->read(enc, out);
        out->time_ns += (uint64_t)rig->encoder_time_jump_ns;
        if (rig->encoder_garbage != 0.0)
                out->value = rig->encoder_garbage;
        rig->last_sample = *out;
        return r;
}

void sim_rig_init(struct sim_rig *rig, uint64_t seed)
{
        struct sim_gun_params params;
        struct control_params control;
        struct safety_params safety;

        *rig = (struct sim_rig){
                .now_ns = 1000000000ull,
                .clock = { .now_ns = rig_now_ns, .userdata = rig },
        };
        sim_gun_params_default(&params);
        sim_gun_init(&rig->model, &params, seed);
        ck_assert_int_eq(sim_gun_drivers_open(&rig->gun, &rig->sim, &rig->model, &rig->clock), 0);

        rig->sim_motor_ops = rig->gun.motor.ops;
        rig->motor_ops = *rig->sim_motor_ops;
        rig->motor_ops.set_duty = watched_set_duty;
        rig->motor_ops.set_enable = watched_set_enable;
        rig->gun.motor.ops = &rig->motor_ops;

        rig->sim_encoder_ops = rig->gun.encoder.ops;
        rig->encoder_ops = *rig->sim_encoder_ops;
        rig->encoder_ops.read = faulty_read;
        rig->gun.encoder.ops = &rig->encoder_ops;

        rig->sim_imu_ops = rig->gun.imu.ops;
        rig->imu_ops = *rig->sim_imu_ops;
        rig->imu_ops.read = faulty_imu_read;
        rig->gun.imu.ops = &rig->imu_ops;

        rig->sim_stroke_ops = rig->gun.stroke.ops;
        rig->stroke_ops = *rig->sim_stroke_ops;
        rig->stroke_ops.set_position = watched_set_position;
        rig->gun.stroke.ops = &rig->stroke_ops;

        control_params_default(&control);
        safety_params_default(&safety);
        control_period_init(&rig->cp, &control, &safety, rig->gun.encoder.quantity, SIM_RIG_HZ);
}

int sim_rig_period(struct sim_rig *rig, const struct setpoint *sp)
{
        rig->now_ns += SIM_RIG_PERIOD_NS;
        return control_period_run(&rig->cp, &rig->gun, sp, &rig->tm);
}

int sim_rig_run(struct sim_rig *rig, const struct setpoint *sp, unsigned periods)
{
        int r = 0;

        for (unsigned i = 0; i < periods; i++)
                r = sim_rig_period(rig, sp);
        return r;
}
