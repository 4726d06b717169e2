/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Output helpers the CLI's commands share: aligned "label  value" rows that
 * count CJK characters as two columns, and JSON members that stay valid
 * whatever bytes a model file holds; the messages every command gives for
 * an unknown option or a missing value. Internal to app/.
 */
#pragma once

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Terminal columns taken by @s: wide (CJK) characters take two. */
int hearth_cli_display_width (const char *s);

/* "<indent spaces><label><padding to @column><value>\n" */
void hearth_cli_print_row (FILE       *out,
                           int         indent,
                           int         column,
                           const char *label,
                           const char *value);

/* Member @name: @value as a JSON string (bytes that are not UTF-8
 * replaced), or null when @value is NULL. */
void hearth_cli_json_add_string (JsonBuilder *b,
                                 const char  *name,
                                 const char  *value);

/* Whether @arg reads as an option: "-x", "--x…" ("-" alone is an
 * argument, standard input by convention). */
gboolean hearth_cli_is_option (const char *arg);

/* Say on @err that @command does not know @option (the name only, without
 * any "=value"), or that @option needs a value, with where to find the
 * usage; both return 2, the exit status for a usage error. */
int hearth_cli_unknown_option (FILE       *err,
                               const char *command,
                               const char *option);
int hearth_cli_missing_value (FILE       *err,
                              const char *command,
                              const char *option);

G_END_DECLS
