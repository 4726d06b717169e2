/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Output helpers the CLI's commands share: aligned "label  value" rows that
 * count CJK characters as two columns, and JSON members that stay valid
 * whatever bytes a model file holds. Internal to app/.
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

G_END_DECLS
