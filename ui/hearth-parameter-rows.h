/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows for Ollama's sampling and length parameters (temperature, top_k,
 * top_p, min_p, repeat_penalty, repeat_last_n, seed, num_ctx, num_predict),
 * each optional: an entry whose placeholder is the value used when it is
 * left empty, checked as it is typed (the Modelfile's type, then a sensible
 * range), an invalid value shown with the error style and the reason in
 * place of the row's help. For the profile editor, and any pane that sets
 * the same parameters. Main thread only.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The parameters that have rows, by Ollama's names, NULL-terminated. */
const char *const *hearth_parameter_rows_names (void);

/* Whether @text is a value parameter @name takes, as a Modelfile writes it
 * (hearth_modelfile_check_parameter ()) and within a sensible range
 * (temperature ≥ 0, top_p and min_p in [0, 1], num_ctx ≥ 1 …); the error
 * says what is expected, for a person. */
gboolean hearth_parameter_check (const char  *name,
                                 const char  *text,
                                 GError     **error);

/* A row for parameter @name: an AdwActionRow with its title, its help as
 * subtitle and an entry. ::changed of the entry (hearth_parameter_row_get_entry ())
 * tells of each edit; the row checks itself before. */
GtkWidget *hearth_parameter_row_new (const char *name);

const char *hearth_parameter_row_get_name (GtkWidget *row);
GtkEditable *hearth_parameter_row_get_entry (GtkWidget *row);

/* The value to keep (newly allocated, trimmed), NULL where the entry is
 * empty; FALSE (and the message) where it is not a valid value. */
gboolean hearth_parameter_row_get_value (GtkWidget  *row,
                                         char      **value,
                                         GError    **error);

void hearth_parameter_row_set_value (GtkWidget  *row,
                                     const char *value);

/* What is used when the entry is empty (the base's value), or NULL. */
void hearth_parameter_row_set_placeholder (GtkWidget  *row,
                                           const char *text);

G_END_DECLS
