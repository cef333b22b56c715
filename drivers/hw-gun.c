/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "hw-drivers.h"
#include "iio-module.h"

#define ENCODER_SAMPLES_PER_PERIOD 2

/* A simulated driver the configuration wants moves from unused into the gun. */
static void take(enum hw_driver driver, void *to, void *from, size_t size)
{
        if (driver != HW_SIMULATED)
                return;
        memcpy(to, from, size);
        memset(from, 0, size);
}

/* A simulated kind belongs to the simulated gun, whose model outlives it:
 * closing the real kinds leaves it alone. */
static bool real(enum hw_driver driver)
{
        return driver != HW_SIMULATED;
}

/* The IIO drivers' module, loaded only when the configuration names one of
 * them (once per process: a reopen finds it loaded). */
static int load_iio(const struct hw_config *config, const struct iio_module **iio, char *error,
                    size_t error_size)
{
        const char *key = config->encoder.driver == HW_REAL ? "[Encoder] Driver=iio" :
                          config->imu.driver == HW_REAL ? "[IMU] Driver=iio" :
                          config->stroke_sensor.driver == HW_REAL ? "[StrokeSensor] Driver=iio" :
                          config->battery.driver == HW_IIO_VOLTAGE ? "[Battery] Driver=iio" : NULL;

        return key ? iio_module_load(config->module_dir, key, iio, error, error_size) : 0;
}

int hw_gun_open_control(struct gun *gun, const struct hw_config *config, unsigned control_hz,
                        char *error, size_t error_size)
{
        const struct iio_module *iio = NULL;
        int r = load_iio(config, &iio, error, error_size);

        /* a device paced at the control rate itself would, its clock and ours
         * drifting apart, now and then leave a period without a new reading:
         * three of those in a row are a stale sensor */
        if (r >= 0 && config->encoder.driver == HW_REAL)
                r = iio->encoder_open(&gun->encoder, &config->encoder,
                                      ENCODER_SAMPLES_PER_PERIOD * control_hz, error, error_size);
        else if (r >= 0 && config->encoder.driver == HW_COUNTER)
                r = counter_encoder_open(&gun->encoder, &config->encoder, error, error_size);
        if (r >= 0 && config->imu.driver == HW_REAL)
                r = iio->imu_open(&gun->imu, &config->imu, error, error_size);
        if (r >= 0 && config->motor.driver == HW_REAL)
                r = pwm_motor_open(&gun->motor, &config->motor, error, error_size);
        if (r >= 0 && config->stroke.driver == HW_REAL)
                r = pwm_stroke_open(&gun->stroke, &config->stroke, error, error_size);
        if (r >= 0 && config->stroke_sensor.driver == HW_REAL)
                r = iio->stroke_sensor_open(&gun->stroke_sensor, &config->stroke_sensor, error,
                                            error_size);
        if (r < 0)
                hw_gun_close_control(gun, config);
        return r;
}

void hw_gun_close_control(struct gun *gun, const struct hw_config *config)
{
        if (real(config->stroke_sensor.driver)) {
                if (gun->stroke_sensor.ops)
                        gun->stroke_sensor.ops->close(&gun->stroke_sensor);
                gun->stroke_sensor = (struct stroke_sensor){0};
        }
        if (real(config->stroke.driver)) {
                if (gun->stroke.ops)
                        gun->stroke.ops->close(&gun->stroke);
                gun->stroke = (struct stroke){0};
        }
        if (real(config->motor.driver)) {
                if (gun->motor.ops)
                        gun->motor.ops->close(&gun->motor);
                gun->motor = (struct motor){0};
        }
        if (real(config->imu.driver)) {
                if (gun->imu.ops)
                        gun->imu.ops->close(&gun->imu);
                gun->imu = (struct imu){0};
        }
        if (real(config->encoder.driver)) {
                if (gun->encoder.ops)
                        gun->encoder.ops->close(&gun->encoder);
                gun->encoder = (struct encoder){0};
        }
}

int hw_gun_open(struct gun *gun, const struct hw_config *config, struct gun *simulated,
                unsigned control_hz, char *error, size_t error_size)
{
        struct gun unused = *simulated;
        const struct iio_module *iio = NULL;
        int r;

        *simulated = (struct gun){0};

        *gun = (struct gun){0};
        r = hw_gun_open_control(gun, config, control_hz, error, error_size);
        if (r >= 0)
                r = load_iio(config, &iio, error, error_size);
        if (r >= 0 && config->buttons.driver == HW_REAL)
                r = gpio_buttons_open(&gun->buttons, &config->buttons, error, error_size);
        if (r >= 0 && config->leds.driver == HW_REAL)
                r = gpio_leds_open(&gun->leds, &config->leds, error, error_size);
        if (r >= 0 && config->battery.driver == HW_REAL)
                r = power_supply_battery_open(&gun->battery, &config->battery, error, error_size);
        else if (r >= 0 && config->battery.driver == HW_IIO_VOLTAGE)
                r = iio->voltage_battery_open(&gun->battery, &config->battery, error, error_size);
        if (r < 0) {
                gun_close(gun);
                gun_close(&unused);
                return r;
        }

        /* the simulated kinds last: the gun_close() above must not close them */
        take(config->encoder.driver, &gun->encoder, &unused.encoder, sizeof(gun->encoder));
        take(config->imu.driver, &gun->imu, &unused.imu, sizeof(gun->imu));
        take(config->motor.driver, &gun->motor, &unused.motor, sizeof(gun->motor));
        take(config->stroke.driver, &gun->stroke, &unused.stroke, sizeof(gun->stroke));
        take(config->stroke_sensor.driver, &gun->stroke_sensor, &unused.stroke_sensor,
             sizeof(gun->stroke_sensor));
        take(config->buttons.driver, &gun->buttons, &unused.buttons, sizeof(gun->buttons));
        take(config->leds.driver, &gun->leds, &unused.leds, sizeof(gun->leds));
        take(config->battery.driver, &gun->battery, &unused.battery, sizeof(gun->battery));
        gun_close(&unused);
        gun->simulated = config->encoder.driver == HW_SIMULATED &&
                         config->imu.driver == HW_SIMULATED &&
                         config->motor.driver == HW_SIMULATED &&
                         config->stroke.driver == HW_SIMULATED &&
                         config->buttons.driver == HW_SIMULATED &&
                         config->leds.driver == HW_SIMULATED;
        return 0;
}
