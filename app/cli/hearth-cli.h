/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command-line interface: `hearth <command> [arguments]`. Runs without a
 * display and without GTK; every command is one entry in the table in
 * hearth-cli.c.
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

/* Whether @argv asks for the CLI rather than the window: any argument does. */
gboolean hearth_cli_wants (int    argc,
                           char **argv);

/* Runs the command in @argv (argv[0] is the program name) and returns the
 * process exit status: 0 success, 1 failure, 2 usage error. Output goes to
 * @out, diagnostics to @err. */
int hearth_cli_run (int    argc,
                    char **argv,
                    FILE  *out,
                    FILE  *err);

G_END_DECLS
