/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-parameter-rows"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-modelfile.h"
#include "hearth-parameter-rows.h"

/* The longest context a profile may ask for (the chat pane's bound). */
#define MAX_NUM_CTX 131072

typedef enum
{
  RANGE_ANY,
  RANGE_NON_NEGATIVE,   /* ≥ 0 */
  RANGE_UNIT,           /* in [0, 1] */
  RANGE_FROM_MINUS_ONE, /* ≥ -1 */
  RANGE_FROM_MINUS_TWO, /* ≥ -2 */
  RANGE_CONTEXT,        /* 1 … MAX_NUM_CTX */
} Range;

/* The titles and help are the chat pane's (ui/hearth-chat-settings.c),
 * word for word: the same words, the same translations. */
static const struct
{
  const char *name;
  const char *title;
  const char *help;
  Range range;
} params[] = {
  { "temperature", N_("Temperature"), N_("Higher gives more varied, surprising replies; lower more focused ones; 0 always takes the likeliest word."), RANGE_NON_NEGATIVE },
  { "top_k", N_("Top K"), N_("Chooses among only the K likeliest words; 0: among all"), RANGE_NON_NEGATIVE },
  { "top_p", N_("Top P"), N_("Chooses among the likeliest words that together reach this probability (0–1)"), RANGE_UNIT },
  { "min_p", N_("Min P"), N_("Leaves out words less likely than this share of the likeliest (0–1)"), RANGE_UNIT },
  { "repeat_penalty", N_("Repeat Penalty"), N_("Above 1, words used recently become less likely"), RANGE_NON_NEGATIVE },
  { "repeat_last_n", N_("Repeat Window"), N_("How many recent tokens the penalty looks at; 0: none, -1: all"), RANGE_FROM_MINUS_ONE },
  { "seed", N_("Seed"), N_("The same seed and settings give the same reply; empty: a random one"), RANGE_ANY },
  { "num_ctx", N_("Context Length"), N_("Tokens the model keeps in mind, up to 131072; empty: the base model’s, at most 4096"), RANGE_CONTEXT },
  { "num_predict", N_("Reply Length"), N_("The most tokens in a reply; -1: no limit"), RANGE_FROM_MINUS_TWO },
};

static const char *const names[] = {
  "temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed",
  "num_ctx", "num_predict", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (names) == G_N_ELEMENTS (params) + 1);

const char *const *
hearth_parameter_rows_names (void)
{
  return names;
}

static int
find (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    if (g_strcmp0 (params[i].name, name) == 0)
      return (int) i;
  return -1;
}

gboolean
hearth_parameter_check (const char  *name,
                        const char  *text,
                        GError     **error)
{
  int i = find (name);
  double v;

  g_return_val_if_fail (name != NULL && text != NULL, FALSE);

  if (!hearth_modelfile_check_parameter (name, text, error))
    return FALSE;
  if (i < 0)
    return TRUE;
  v = g_ascii_strtod (text, NULL);
  switch (params[i].range)
    {
    case RANGE_ANY:
      return TRUE;
    case RANGE_NON_NEGATIVE:
      if (v >= 0)
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is 0 or more"), name);
      return FALSE;
    case RANGE_UNIT:
      if (v >= 0 && v <= 1)
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is from 0 to 1"), name);
      return FALSE;
    case RANGE_FROM_MINUS_ONE:
      if (v >= -1)
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is -1 or more"), name);
      return FALSE;
    case RANGE_FROM_MINUS_TWO:
      if (v >= -2)
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is -2 or more"), name);
      return FALSE;
    case RANGE_CONTEXT:
      if (v >= 1 && v <= MAX_NUM_CTX)
        return TRUE;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is from 1 to %d"), name, MAX_NUM_CTX);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
}

static int
row_index (GtkWidget *row)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "hearth-param")) - 1;
}

GtkEditable *
hearth_parameter_row_get_entry (GtkWidget *row)
{
  return g_object_get_data (G_OBJECT (row), "hearth-entry");
}

const char *
hearth_parameter_row_get_name (GtkWidget *row)
{
  int i = row_index (row);

  return i >= 0 ? params[i].name : NULL;
}

gboolean
hearth_parameter_row_get_value (GtkWidget  *row,
                                char      **value,
                                GError    **error)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (
    hearth_parameter_row_get_entry (row))));

  *value = NULL;
  if (*text == '\0')
    return TRUE;
  if (!hearth_parameter_check (hearth_parameter_row_get_name (row), text, error))
    return FALSE;
  *value = g_steal_pointer (&text);
  return TRUE;
}

/* The row's look from its entry's text: the error style and the reason,
 * or the help. Runs before the entry's other ::changed handlers. */
static void
entry_changed_cb (GtkEditable *entry,
                  GtkWidget   *row)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *value = NULL;
  int i = row_index (row);

  if (hearth_parameter_row_get_value (row, &value, &error))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_remove_css_class (row, "error");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(params[i].help));
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_add_css_class (row, "error");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
      gtk_accessible_update_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
}

GtkWidget *
hearth_parameter_row_new (const char *name)
{
  int i = find (name);
  GtkWidget *row, *entry;

  g_return_val_if_fail (i >= 0, NULL);

  row = adw_action_row_new ();
  entry = gtk_entry_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(params[i].title));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(params[i].help));
  gtk_widget_set_valign (entry, GTK_ALIGN_CENTER);
  gtk_editable_set_width_chars (GTK_EDITABLE (entry), 7);
  gtk_editable_set_max_width_chars (GTK_EDITABLE (entry), 9);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _(params[i].title), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), entry);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), entry);
  g_object_set_data (G_OBJECT (row), "hearth-param", GINT_TO_POINTER (i + 1));
  g_object_set_data (G_OBJECT (row), "hearth-entry", entry);
  g_signal_connect (entry, "changed", G_CALLBACK (entry_changed_cb), row);
  return row;
}

void
hearth_parameter_row_set_value (GtkWidget  *row,
                                const char *value)
{
  gtk_editable_set_text (hearth_parameter_row_get_entry (row), value != NULL ? value : "");
}

void
hearth_parameter_row_set_placeholder (GtkWidget  *row,
                                      const char *text)
{
  gtk_entry_set_placeholder_text (GTK_ENTRY (hearth_parameter_row_get_entry (row)), text);
}
