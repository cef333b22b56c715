/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IIO_DIR "/sys/bus/iio/devices"
#define PWM_DIR "/sys/class/pwm"
#define POWER_SUPPLY_DIR "/sys/class/power_supply"
#define THERMAL_DIR "/sys/class/thermal"
#define DEV_DIR "/dev"
#define NAME_MAX_LEN 64

/* What the draft configuration is made from: the first of each kind. */
struct found {
        char imu[NAME_MAX_LEN];
        bool imu_buffered;
        char encoder[NAME_MAX_LEN], encoder_channel[NAME_MAX_LEN];
        bool encoder_count;
        char voltage[NAME_MAX_LEN], voltage_channel[NAME_MAX_LEN];
        char battery[NAME_MAX_LEN];
        int pwm_chip, pwm_channels;
        char thermal_zone[PATH_MAX];    /* its directory, as [IMU] ThermalZone wants */
};

/* dir/name into out; false when it does not fit (no such sysfs path). */
static bool join(char *out, size_t size, const char *dir, const char *name)
{
        size_t d = strlen(dir), n = strlen(name);

        if (d + 1 + n >= size)
                return false;
        memcpy(out, dir, d);
        out[d] = '/';
        memcpy(out + d + 1, name, n + 1);
        return true;
}

/* A name, cut to what the draft's field holds. */
static void copy_name(char *dst, size_t size, const char *src)
{
        size_t n = strnlen(src, size - 1);

        memcpy(dst, src, n);
        dst[n] = '\0';
}

/* The first line of a sysfs file, without its newline; "" if unreadable. */
static const char *read_line(const char *dir, const char *name, char *buf, size_t size)
{
        char path[PATH_MAX];
        FILE *f;

        buf[0] = '\0';
        if (!join(path, sizeof(path), dir, name))
                return buf;
        f = fopen(path, "re");
        if (!f)
                return buf;
        if (!fgets(buf, (int)size, f))
                buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

static bool exists(const char *dir, const char *name)
{
        char path[PATH_MAX];

        return join(path, sizeof(path), dir, name) && access(path, F_OK) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strverscmp((*a)->d_name, (*b)->d_name);
}

static int list_dir(const char *dir, struct dirent ***entries)
{
        return scandir(dir, entries, NULL, by_name);
}

static void free_entries(struct dirent **entries, int n)
{
        for (int i = 0; i < n; i++)
                free(entries[i]);
        free(entries);
}

/* in_<channel>_raw → channel */
static bool channel_of(const char *file, char *channel, size_t size)
{
        size_t len = strlen(file);

        if (strncmp(file, "in_", 3) != 0 || len < 8 || strcmp(file + len - 4, "_raw") != 0)
                return false;
        snprintf(channel, size, "%.*s", (int)(len - 7), file + 3);
        return true;
}

static void probe_iio_device(FILE *out, const char *dir, struct found *found)
{
        struct dirent **entries;
        char name[NAME_MAX_LEN], line[128], channel[NAME_MAX_LEN], type_file[PATH_MAX];
        bool buffered = exists(dir, "buffer"), accel = false;
        int n = list_dir(dir, &entries);

        read_line(dir, "name", name, sizeof(name));
        fprintf(out, "  %s: %s; buffer %s, timestamp %s", strrchr(dir, '/') + 1,
                *name ? name : "(no name)", buffered ? "yes" : "no",
                exists(dir, "scan_elements/in_timestamp_en") ? "yes" : "no");
        if (*read_line(dir, "trigger/current_trigger", line, sizeof(line)))
                fprintf(out, ", trigger %s", line);
        fprintf(out, "\n");
        for (int i = 0; i < n; i++) {
                if (!channel_of(entries[i]->d_name, channel, sizeof(channel)))
                        continue;
                snprintf(type_file, sizeof(type_file), "scan_elements/in_%s_type", channel);
                if (*read_line(dir, type_file, line, sizeof(line)))
                        fprintf(out, "    %-12s scan %s\n", channel, line);
                else
                        fprintf(out, "    %s\n", channel);
                if (strncmp(channel, "accel_", 6) == 0)
                        accel = true;
                else if (!found->encoder[0] && (strncmp(channel, "angl", 4) == 0 ||
                                                strncmp(channel, "count", 5) == 0) &&
                         strncmp(channel, "anglvel_", 8) != 0) {
                        copy_name(found->encoder, sizeof(found->encoder), name);
                        copy_name(found->encoder_channel, sizeof(found->encoder_channel), channel);
                        found->encoder_count = strncmp(channel, "count", 5) == 0;
                } else if (!found->voltage[0] && strncmp(channel, "voltage", 7) == 0) {
                        copy_name(found->voltage, sizeof(found->voltage), name);
                        copy_name(found->voltage_channel, sizeof(found->voltage_channel), channel);
                }
        }
        if (accel && !found->imu[0]) {
                copy_name(found->imu, sizeof(found->imu), name);
                found->imu_buffered = buffered;
        }
        free_entries(entries, n);
}

static void probe_iio(FILE *out, struct found *found)
{
        struct dirent **entries;
        char dir[PATH_MAX];
        int n = list_dir(IIO_DIR, &entries), devices = 0;

        fprintf(out, "IIO devices (%s):\n", IIO_DIR);
        for (int i = 0; i < n; i++)
                if (strncmp(entries[i]->d_name, "iio:device", 10) == 0) {
                        if (!join(dir, sizeof(dir), IIO_DIR, entries[i]->d_name))
                                continue;
                        probe_iio_device(out, dir, found);
                        devices++;
                } else if (strncmp(entries[i]->d_name, "trigger", 7) == 0) {
                        char name[NAME_MAX_LEN];

                        if (!join(dir, sizeof(dir), IIO_DIR, entries[i]->d_name))
                                continue;
                        fprintf(out, "  %s: %s\n", entries[i]->d_name,
                                read_line(dir, "name", name, sizeof(name)));
                }
        if (n > 0)
                free_entries(entries, n);
        if (devices == 0)
                fprintf(out, "  none\n");
}

static void probe_pwm(FILE *out, struct found *found)
{
        struct dirent **entries;
        char dir[PATH_MAX], npwm[16];
        int n = list_dir(PWM_DIR, &entries), chips = 0;

        found->pwm_chip = -1;
        fprintf(out, "PWM chips (%s):\n", PWM_DIR);
        for (int i = 0; i < n; i++) {
                if (strncmp(entries[i]->d_name, "pwmchip", 7) != 0)
                        continue;
                if (!join(dir, sizeof(dir), PWM_DIR, entries[i]->d_name))
                        continue;
                read_line(dir, "npwm", npwm, sizeof(npwm));
                fprintf(out, "  %s: %s channels\n", entries[i]->d_name, *npwm ? npwm : "?");
                if (found->pwm_chip < 0) {
                        found->pwm_chip = atoi(entries[i]->d_name + 7);
                        found->pwm_channels = atoi(npwm);
                }
                chips++;
        }
        if (n > 0)
                free_entries(entries, n);
        if (chips == 0)
                fprintf(out, "  none\n");
}

static void probe_gpio(FILE *out)
{
        struct dirent **entries;
        char path[PATH_MAX];
        int n = list_dir(DEV_DIR, &entries), chips = 0;

        fprintf(out, "GPIO chips (%s/gpiochip*):\n", DEV_DIR);
        for (int i = 0; i < n; i++) {
                struct gpiod_chip *chip;

                if (strncmp(entries[i]->d_name, "gpiochip", 8) != 0)
                        continue;
                if (!join(path, sizeof(path), DEV_DIR, entries[i]->d_name))
                        continue;
                chips++;
                chip = gpiod_chip_open(path);
                if (!chip) {
                        fprintf(out, "  %s: cannot be opened: %s\n", entries[i]->d_name, strerror(errno));
                        continue;
                }
                fprintf(out, "  %s: %s, %u lines:", gpiod_chip_name(chip), gpiod_chip_label(chip),
                        gpiod_chip_num_lines(chip));
                for (unsigned l = 0; l < gpiod_chip_num_lines(chip); l++) {
                        struct gpiod_line *line = gpiod_chip_get_line(chip, l);
                        const char *name = line ? gpiod_line_name(line) : NULL;

                        if (name)
                                fprintf(out, " %u=%s", l, name);
                }
                fprintf(out, "\n");
                gpiod_chip_close(chip);
        }
        if (n > 0)
                free_entries(entries, n);
        if (chips == 0)
                fprintf(out, "  none\n");
}

static void probe_power_supplies(FILE *out, struct found *found)
{
        struct dirent **entries;
        char dir[PATH_MAX], type[32], capacity[16], voltage[32];
        int n = list_dir(POWER_SUPPLY_DIR, &entries), supplies = 0;

        fprintf(out, "Power supplies (%s):\n", POWER_SUPPLY_DIR);
        for (int i = 0; i < n; i++) {
                if (entries[i]->d_name[0] == '.')
                        continue;
                if (!join(dir, sizeof(dir), POWER_SUPPLY_DIR, entries[i]->d_name))
                        continue;
                read_line(dir, "type", type, sizeof(type));
                read_line(dir, "capacity", capacity, sizeof(capacity));
                read_line(dir, "voltage_now", voltage, sizeof(voltage));
                fprintf(out, "  %s: %s", entries[i]->d_name, *type ? type : "?");
                if (*capacity)
                        fprintf(out, ", %s %%", capacity);
                if (*voltage)
                        fprintf(out, ", %.3f V", atof(voltage) * 1e-6);
                fprintf(out, "\n");
                if (strcmp(type, "Battery") == 0 && !found->battery[0])
                        copy_name(found->battery, sizeof(found->battery), entries[i]->d_name);
                supplies++;
        }
        if (n > 0)
                free_entries(entries, n);
        if (supplies == 0)
                fprintf(out, "  none\n");
}

static void probe_thermal(FILE *out, struct found *found)
{
        struct dirent **entries;
        char dir[PATH_MAX], type[NAME_MAX_LEN], temp[16];
        int n = list_dir(THERMAL_DIR, &entries), zones = 0;

        fprintf(out, "Thermal zones (%s):\n", THERMAL_DIR);
        for (int i = 0; i < n; i++) {
                if (strncmp(entries[i]->d_name, "thermal_zone", 12) != 0)
                        continue;
                if (!join(dir, sizeof(dir), THERMAL_DIR, entries[i]->d_name))
                        continue;
                read_line(dir, "type", type, sizeof(type));
                read_line(dir, "temp", temp, sizeof(temp));
                fprintf(out, "  %s: %s, %.1f °C\n", entries[i]->d_name, *type ? type : "?",
                        atof(temp) * 1e-3);
                if (!found->thermal_zone[0])
                        copy_name(found->thermal_zone, sizeof(found->thermal_zone), dir);
                zones++;
        }
        if (n > 0)
                free_entries(entries, n);
        if (zones == 0)
                fprintf(out, "  none\n");
}

/* What percussd recognised, as the configuration's keys; what it did not
 * find is left for the person, commented. */
static void draft(FILE *out, const struct found *f)
{
        fprintf(out, "\n# A draft percussd.conf for what was found (percussd --probe).\n"
                     "# Check each line against your wiring, weigh the gun for\n"
                     "# [Force] BodyMass, then run percussctl calibrate.\n");
        fprintf(out, "\n[Encoder]\n");
        if (f->encoder[0]) {
                fprintf(out, "Driver=iio\nDevice=%s\nChannel=%s\n", f->encoder, f->encoder_channel);
                if (f->encoder_count)
                        fprintf(out, "# counts per crank revolution: a quadrature encoder's lines × 4\n"
                                     "#CountsPerRevolution=4096\n");
        } else
                fprintf(out, "# no IIO angle or count channel: a counter (eQEP)? Driver=counter\n");
        fprintf(out, "\n[IMU]\n");
        if (f->imu[0])
                fprintf(out, "Driver=iio\nDevice=%s\nBuffered=%s\n", f->imu, f->imu_buffered ? "yes" : "no");
        else
                fprintf(out, "# no IIO accelerometer found\n");
        if (f->thermal_zone[0])
                fprintf(out, "# the board's temperature, where the IMU has none\nThermalZone=%s\n",
                        f->thermal_zone);
        fprintf(out, "\n[Motor]\n");
        if (f->pwm_chip >= 0)
                fprintf(out, "Driver=pwm\nPWMChip=%d\nPWMChannel=0\n# the enable line, chip:line or a line's name\n"
                             "#EnableLine=\n", f->pwm_chip);
        else
                fprintf(out, "# no PWM chip found\n");
        fprintf(out, "\n[Stroke]\n");
        if (f->pwm_chip >= 0 && f->pwm_channels >= 2)
                fprintf(out, "Driver=pwm\nPWMChip=%d\nPWMChannel=1\n# the strokes at the actuator's ends, mm\n"
                             "#StrokeMin=4\n#StrokeMax=16\n", f->pwm_chip);
        else
                fprintf(out, "# no second PWM channel for the stroke actuator\n");
        fprintf(out, "\n[Battery]\n");
        if (f->battery[0])
                fprintf(out, "Driver=power-supply\nName=%s\n", f->battery);
        else if (f->voltage[0])
                fprintf(out, "Driver=iio\nDevice=%s\nChannel=%s\n# the resistor divider's ratio\n#Divider=1\n",
                        f->voltage, f->voltage_channel);
        else
                fprintf(out, "Driver=none\n");
        fprintf(out, "\n[Force]\n# the gun without its head, weighed, kg\n#BodyMass=1\n");
}

int probe_board(FILE *out)
{
        struct found found = { .pwm_chip = -1 };

        probe_iio(out, &found);
        probe_pwm(out, &found);
        probe_gpio(out);
        probe_power_supplies(out, &found);
        probe_thermal(out, &found);
        draft(out, &found);
        return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
