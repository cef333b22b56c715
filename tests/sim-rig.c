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

static int watched_set_duty(struct motor *motor, double duty)
{
        struct sim_rig *rig = rig_of(motor, gun.motor);

        rig->duty = duty;
        return rig->sim_motor_ops->set_duty(motor, duty);
}

static int watched_set_enable(struct motor *motor, bool enabled)
{
        struct sim_rig *rig = rig_of(motor, gun.motor);

        rig->enabled = enabled;
        return rig->sim_motor_ops->set_enable(motor, enabled);
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
