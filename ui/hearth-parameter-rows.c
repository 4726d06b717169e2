/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-parameter-rows"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-modelfile.h"
#include "hearth-parameter-rows.h"
#include "hearth-request.h"

typedef enum
{
  RANGE_ANY,
  RANGE_NON_NEGATIVE,   /* ≥ 0 */
  RANGE_UNIT,           /* in [0, 1] */
  RANGE_FROM_MINUS_ONE, /* ≥ -1 */
  RANGE_FROM_MINUS_TWO, /* ≥ -2 */
  RANGE_CONTEXT,        /* 1 … the model's length or HEARTH_PARAMETER_MAX_NUM_CTX */
} Range;

/* The one table of the sampling parameters a person sets, for the profile
 * editor and the chat's settings pane: the same words, the same
 * translations. */
static const struct
{
  const char *name;
  const char *title;
  const char *help;             /* (num_ctx's: hearth_parameter_help ()) */
  Range range;
} params[] = {
  { "temperature", N_("Temperature"), N_("Higher gives more varied, surprising replies; lower more focused ones; 0 always takes the likeliest word."), RANGE_NON_NEGATIVE },
  { "top_k", N_("Top K"), N_("Chooses among only the K likeliest words; 0: among all"), RANGE_NON_NEGATIVE },
  { "top_p", N_("Top P"), N_("Chooses among the likeliest words that together reach this probability (0–1)"), RANGE_UNIT },
  { "min_p", N_("Min P"), N_("Leaves out words less likely than this share of the likeliest (0–1)"), RANGE_UNIT },
  { "repeat_penalty", N_("Repeat Penalty"), N_("Above 1, words used recently become less likely"), RANGE_NON_NEGATIVE },
  { "repeat_last_n", N_("Repeat Window"), N_("How many recent tokens the penalty looks at; 0: none, -1: all"), RANGE_FROM_MINUS_ONE },
  { "seed", N_("Seed"), N_("The same seed and settings give the same reply; empty: a random one"), RANGE_ANY },
  { "num_ctx", N_("Context Length"), NULL, RANGE_CONTEXT },
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

const char *
hearth_parameter_title (const char *name)
{
  int i = find (name);

  g_return_val_if_fail (i >= 0, NULL);

  return _(params[i].title);
}

char *
hearth_parameter_help (const char *name,
                       guint       model_ctx)
{
  int i = find (name);

  g_return_val_if_fail (i >= 0, NULL);

  if (params[i].range != RANGE_CONTEXT)
    return g_strdup (_(params[i].help));
  if (model_ctx > 0)
    return g_strdup_printf (_("Tokens the model keeps in mind, up to %u, the model’s own length; "
                              "empty: at most 4096"), model_ctx);
  return g_strdup (_("Tokens the model keeps in mind, up to 131072; empty: the base model’s, at most 4096"));
}

/* For a chat: whether a reply can be written with @text (the engine's
 * bounds, such as a repeat penalty above 0). */
static gboolean
check_reply_value (const char  *name,
                   const char  *text,
                   GError     **error)
{
  HearthOptions o;
  gint64 n;

  hearth_options_init (&o);
  if (!hearth_options_set (&o, name, text, error) || !hearth_options_validate (&o, error))
    return FALSE;
  if (g_str_equal (name, "seed") && !g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &n, NULL))
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, 0, _("The seed is a whole number from 0"));
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_parameter_check (const char  *name,
                        const char  *text,
                        guint        model_ctx,
                        GError     **error)
{
  int i = find (name);
  guint max_ctx = model_ctx > 0 ? model_ctx : HEARTH_PARAMETER_MAX_NUM_CTX;
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
      break;
    case RANGE_NON_NEGATIVE:
      if (v >= 0)
        break;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is 0 or more"), name);
      return FALSE;
    case RANGE_UNIT:
      if (v >= 0 && v <= 1)
        break;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is from 0 to 1"), name);
      return FALSE;
    case RANGE_FROM_MINUS_ONE:
      if (v >= -1)
        break;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is -1 or more"), name);
      return FALSE;
    case RANGE_FROM_MINUS_TWO:
      if (v >= -2)
        break;
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                   _("%s is -2 or more"), name);
      return FALSE;
    case RANGE_CONTEXT:
      if (v >= 1 && v <= max_ctx)
        break;
      if (model_ctx > 0 && v > max_ctx)
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("The context length is at most %u, the model’s own"), model_ctx);
      else
        g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
                     _("%s is from 1 to %d"), name, (int) max_ctx);
      return FALSE;
    default:
      g_assert_not_reached ();
    }
  return model_ctx == 0 || check_reply_value (name, text, error);
}

GtkWidget *
hearth_parameter_stop_row_new (const char  *text,
                               GtkWidget  **remove)
{
  GtkWidget *row = adw_entry_row_new ();
  GtkWidget *button = gtk_button_new_from_icon_name ("list-remove-symbolic");

  g_return_val_if_fail (text != NULL && remove != NULL, NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Stop String"));
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Remove"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove"), -1);
  g_object_set_data (G_OBJECT (button), "hearth-row", row);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), button);
  *remove = button;
  return row;
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
  if (!hearth_parameter_check (hearth_parameter_row_get_name (row), text, 0, error))
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
  g_autofree char *help = hearth_parameter_help (hearth_parameter_row_get_name (row), 0);

  if (hearth_parameter_row_get_value (row, &value, &error))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_remove_css_class (row, "error");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), help);
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
  g_autofree char *help = NULL;
  GtkWidget *row, *entry;

  g_return_val_if_fail (i >= 0, NULL);

  help = hearth_parameter_help (name, 0);
  row = adw_action_row_new ();
  entry = gtk_entry_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(params[i].title));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), help);
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
