/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The commands. Each gets the arguments after its name (main.c has
 * checked how many), returns the exit status and dies on any error.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus-client.h"

/* --clear: "race --clear" forgets the race */
extern bool arg_clear;

/* A whole number that fits 32 bits; false for anything else. */
bool parse_uint32(const char *text, uint32_t *ret);

/* A whole number from min to max for a command's argument; dies with a
 * usage error naming it otherwise. */
uint32_t parse_number_or_die(const char *what, const char *text, uint32_t min, uint32_t max);

int command_status(struct bus_client *c, int argc, char **argv);
int command_watch(struct bus_client *c, int argc, char **argv);

int command_list(struct bus_client *c, int argc, char **argv);
int command_list_ids(struct bus_client *c, int argc, char **argv);
int command_show(struct bus_client *c, int argc, char **argv);
int command_reload(struct bus_client *c, int argc, char **argv);

int command_start(struct bus_client *c, int argc, char **argv);
int command_stop(struct bus_client *c, int argc, char **argv);
int command_pause(struct bus_client *c, int argc, char **argv);
int command_resume(struct bus_client *c, int argc, char **argv);
int command_next(struct bus_client *c, int argc, char **argv);
int command_clear_fault(struct bus_client *c, int argc, char **argv);
int command_intensity(struct bus_client *c, int argc, char **argv);

int command_history(struct bus_client *c, int argc, char **argv);
int command_race(struct bus_client *c, int argc, char **argv);
int command_clear_race(struct bus_client *c, int argc, char **argv);

int command_calibrate(struct bus_client *c, int argc, char **argv);
int command_calibration(struct bus_client *c, int argc, char **argv);
