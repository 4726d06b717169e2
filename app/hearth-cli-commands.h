/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The handlers of the CLI's commands, one per line; hearth-cli.c lists them
 * in its table. Each takes the command's own argv (argv[0] is its name) and
 * the caller's stdout and stderr, and returns the exit status.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HearthCliCommand HearthCliCommand;

int hearth_cli_devices (const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_show (const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);
int hearth_cli_tokenize (const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);

G_END_DECLS
