/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The handlers of `hearth` subcommands that live in their own files
 * (hearth-cli-<command>.c). Each is one row of the table in hearth-cli.c;
 * argv[0] is the command's own name, @out and @err the caller's streams, and
 * the result the exit status (0 success, 1 failure, 2 usage error).
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HearthCliCommand HearthCliCommand;

/* One declaration per line, so that branches adding commands merge cleanly. */
int hearth_cli_run_tokenize (const HearthCliCommand *command, int argc, char **argv, FILE *out, FILE *err);

G_END_DECLS
