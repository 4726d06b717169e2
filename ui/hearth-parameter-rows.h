/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows for Ollama's sampling and length parameters (temperature, top_k,
 * top_p, min_p, repeat_penalty, repeat_last_n, seed, num_ctx, num_predict),
 * each optional: an entry whose placeholder is the value used when it is
 * left empty, checked as it is typed (the Modelfile's type, then a sensible
 * range), an invalid value shown with the error style and the reason in
 * place of the row's help. For the profile editor; the chat's settings pane
 * makes its own rows (each with a reset button and whose value it shows)
 * but takes their titles, help and check from here, and both take the row
 * of a stop string. Main thread only.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The longest context a profile may ask for; a chat's bound is its model's
 * own length. */
#define HEARTH_PARAMETER_MAX_NUM_CTX 131072

/* The parameters that have rows, by Ollama's names, NULL-terminated. */
const char *const *hearth_parameter_rows_names (void);

/* Parameter @name's title, translated (owned by the table). */
const char *hearth_parameter_title (const char *name);

/* Parameter @name's help, translated and newly allocated. @model_ctx is
 * for num_ctx: a chat's model's own context length (the help says it), or
 * 0 for a profile (up to HEARTH_PARAMETER_MAX_NUM_CTX, the base model's). */
char *hearth_parameter_help (const char *name,
                             guint       model_ctx);

/* Whether @text is a value parameter @name takes, as a Modelfile writes it
 * (hearth_modelfile_check_parameter ()) and within a sensible range
 * (temperature ≥ 0, top_p and min_p in [0, 1], num_ctx ≥ 1 …); the error
 * says what is expected, for a person. @model_ctx: 0 for a profile (num_ctx
 * up to HEARTH_PARAMETER_MAX_NUM_CTX); for a chat, its model's own context
 * length, the bound of num_ctx, and the value must also be one a reply is
 * written with (hearth_options_validate (), a seed from 0). */
gboolean hearth_parameter_check (const char  *name,
                                 const char  *text,
                                 guint        model_ctx,
                                 GError     **error);

/* A row for one stop string, @text in it, with a Remove button as its
 * suffix (returned in @remove, unowned; its "hearth-row" data is the row):
 * the caller connects what the button does, adds the row to its group and
 * follows its ::changed. */
GtkWidget *hearth_parameter_stop_row_new (const char  *text,
                                          GtkWidget  **remove);

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
