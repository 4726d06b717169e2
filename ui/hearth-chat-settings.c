/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-settings"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "hearth-chat-settings.h"
#include "hearth-request.h"

/* A change is saved this long after the last one. */
#define SAVE_DELAY_MS 500

/* The longest context a chat may ask for (the model's own limit is the
 * engine's to apply). */
#define MAX_NUM_CTX 131072

/* The parameters shown as rows, by Ollama's names. */
static const struct
{
  const char *name;
  const char *title;
  const char *help;
  gboolean is_float;
} params[] = {
  { "top_k", N_("Top K"), N_("Chooses among only the K likeliest words; 0: among all"), FALSE },
  { "top_p", N_("Top P"), N_("Chooses among the likeliest words that together reach this probability (0–1)"), TRUE },
  { "min_p", N_("Min P"), N_("Leaves out words less likely than this share of the likeliest (0–1)"), TRUE },
  { "repeat_penalty", N_("Repeat Penalty"), N_("Above 1, words used recently become less likely"), TRUE },
  { "repeat_last_n", N_("Repeat Window"), N_("How many recent tokens the penalty looks at; 0: none, -1: all"), FALSE },
  { "seed", N_("Seed"), N_("The same seed and settings give the same reply; empty: a random one"), FALSE },
  { "num_ctx", N_("Context Length"), N_("Tokens the model keeps in mind, up to 131072; empty: the model’s, at most 4096"), FALSE },
  { "num_predict", N_("Reply Length"), N_("The most tokens in a reply; -1: no limit"), FALSE },
};

#define N_PARAMS G_N_ELEMENTS (params)

struct _HearthChatSettings
{
  AdwBin parent_instance;

  /* template children */
  GtkTextView *system_view;
  GtkButton *system_reset;
  GtkAdjustment *temperature_adjustment;
  GtkSpinButton *temperature_spin;
  GtkButton *temperature_reset;
  AdwPreferencesGroup *parameters_group;
  AdwPreferencesGroup *stop_group;

  /* made in init */
  AdwActionRow *rows[N_PARAMS];
  GtkEntry *entries[N_PARAMS];
  GtkButton *resets[N_PARAMS];
  GPtrArray *stop_rows;         /* AdwEntryRow, borrowed from stop_group */

  /* owned */
  HearthChatStore *chats;
  gint64 chat_id;
  JsonObject *settings;         /* what differs from the defaults, valid, as saved */
  guint save_id;
  gboolean loading;             /* the widgets are given the chat's settings */
};

G_DEFINE_FINAL_TYPE (HearthChatSettings, hearth_chat_settings, ADW_TYPE_BIN)

/* ---- values ---------------------------------------------------------------- */

/* The default of parameter @name as text ("" where it has none to show). */
static char *
default_text (const char *name)
{
  HearthOptions o;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  hearth_options_init (&o);
  if (g_str_equal (name, "temperature"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.2f", o.temperature));
  if (g_str_equal (name, "top_k"))
    return g_strdup_printf ("%d", o.top_k);
  if (g_str_equal (name, "top_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.top_p));
  if (g_str_equal (name, "min_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.min_p));
  if (g_str_equal (name, "repeat_penalty"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.repeat_penalty));
  if (g_str_equal (name, "repeat_last_n"))
    return g_strdup_printf ("%d", o.repeat_last_n);
  if (g_str_equal (name, "num_predict"))
    return g_strdup_printf ("%d", o.num_predict);
  return g_strdup ("");
}

/* Whether @text is a value parameter @name takes; the error says why not. */
static gboolean
check_value (const char  *name,
             const char  *text,
             GError     **error)
{
  HearthOptions o;
  gint64 n;

  hearth_options_init (&o);
  if (!hearth_options_set (&o, name, text, error) || !hearth_options_validate (&o, error))
    return FALSE;
  if (g_str_equal (name, "seed") && (!g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &n, NULL)))
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, 0, _("The seed is a whole number from 0"));
      return FALSE;
    }
  if (g_str_equal (name, "num_ctx") && o.num_ctx > MAX_NUM_CTX)
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, 0, _("The context length is at most %d"), MAX_NUM_CTX);
      return FALSE;
    }
  if (g_str_equal (name, "top_k") && o.top_k < 0)
    return FALSE;
  return TRUE;
}

/* ---- saving ---------------------------------------------------------------- */

static void
save (HearthChatSettings *self)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;

  if (self->chats == NULL || self->chat_id == 0)
    return;
  root = json_node_init_object (json_node_alloc (), self->settings);
  json = json_to_string (root, FALSE);
  if (!hearth_chat_store_set_chat_settings (self->chats, self->chat_id, json, &error))
    g_warning ("the settings of chat %" G_GINT64_FORMAT " were not saved: %s", self->chat_id,
               error->message);
}

static gboolean
save_cb (gpointer data)
{
  HearthChatSettings *self = data;

  self->save_id = 0;
  save (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_save (HearthChatSettings *self)
{
  if (self->loading || self->chats == NULL || self->chat_id == 0)
    return;
  g_clear_handle_id (&self->save_id, g_source_remove);
  self->save_id = g_timeout_add (SAVE_DELAY_MS, save_cb, self);
}

/* ---- the widgets ------------------------------------------------------------- */

static void
update_temperature_reset (HearthChatSettings *self)
{
  g_autofree char *def = default_text ("temperature");
  g_autofree char *tip = g_strdup_printf (_("Changed: reset to the default (%s)"), def);

  gtk_widget_set_visible (GTK_WIDGET (self->temperature_reset),
                          json_object_has_member (self->settings, "temperature"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->temperature_reset), tip);
}

static void
temperature_changed_cb (GtkAdjustment      *adjustment,
                        HearthChatSettings *self)
{
  HearthOptions o;
  double value = round (gtk_adjustment_get_value (adjustment) * 100) / 100;

  hearth_options_init (&o);
  if (fabs (value - o.temperature) < 0.005)
    json_object_remove_member (self->settings, "temperature");
  else
    json_object_set_double_member (self->settings, "temperature", value);
  update_temperature_reset (self);
  schedule_save (self);
}

static void
system_changed_cb (GtkTextBuffer      *buffer,
                   HearthChatSettings *self)
{
  g_autofree char *text = NULL;
  g_autofree char *trimmed = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  trimmed = g_strstrip (g_strdup (text));
  if (*trimmed == '\0')
    json_object_remove_member (self->settings, "system");
  else
    json_object_set_string_member (self->settings, "system", text);
  gtk_widget_set_visible (GTK_WIDGET (self->system_reset), json_object_has_member (self->settings, "system"));
  schedule_save (self);
}

static void
param_changed_cb (GtkEditable        *entry,
                  HearthChatSettings *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (entry), "hearth-param"));
  const char *name = params[i].name;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *def = default_text (name);
  g_autoptr (GError) error = NULL;

  if (*text == '\0')
    {
      json_object_remove_member (self->settings, name);
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      adw_action_row_set_subtitle (self->rows[i], _(params[i].help));
    }
  else if (!check_value (name, text, &error))
    {
      /* shown in place, and not saved: the value saved before stays */
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      adw_action_row_set_subtitle (self->rows[i],
                                   error != NULL ? error->message : _("Out of range"));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      adw_action_row_set_subtitle (self->rows[i], _(params[i].help));
      if (*def != '\0' && g_ascii_strtod (text, NULL) == g_ascii_strtod (def, NULL))
        json_object_remove_member (self->settings, name);
      else if (params[i].is_float)
        json_object_set_double_member (self->settings, name, g_ascii_strtod (text, NULL));
      else
        json_object_set_int_member (self->settings, name, g_ascii_strtoll (text, NULL, 10));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->resets[i]), *text != '\0');
  schedule_save (self);
}

static void
stops_changed (HearthChatSettings *self)
{
  JsonArray *stop = json_array_new ();

  for (guint i = 0; i < self->stop_rows->len; i++)
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (self->stop_rows->pdata[i]));

      if (*text != '\0')
        json_array_add_string_element (stop, text);
    }
  if (json_array_get_length (stop) > 0)
    json_object_set_array_member (self->settings, "stop", stop);
  else
    {
      json_array_unref (stop);
      json_object_remove_member (self->settings, "stop");
    }
  schedule_save (self);
}

static void
stop_changed_cb (GtkEditable        *row,
                 HearthChatSettings *self)
{
  stops_changed (self);
}

static AdwEntryRow *
add_stop_row (HearthChatSettings *self,
              const char         *text)
{
  AdwEntryRow *row = ADW_ENTRY_ROW (adw_entry_row_new ());
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Stop String"));
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove"), -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "chat-settings.remove-stop");
  g_object_set_data (G_OBJECT (remove), "hearth-row", row);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "t", (guint64) GPOINTER_TO_SIZE (row));
  adw_entry_row_add_suffix (row, remove);
  g_signal_connect (row, "changed", G_CALLBACK (stop_changed_cb), self);
  adw_preferences_group_add (self->stop_group, GTK_WIDGET (row));
  g_ptr_array_add (self->stop_rows, row);
  return row;
}

/* The widgets from self->settings. */
static void
load_widgets (HearthChatSettings *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->system_view);
  /* a copy: setting the buffer's text may replace self->settings */
  g_autofree char *system = g_strdup (json_object_get_string_member_with_default (self->settings,
                                                                                  "system", ""));
  HearthOptions o;

  hearth_options_init (&o);
  self->loading = TRUE;
  gtk_text_buffer_set_text (buffer, system, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->system_reset), *system != '\0');
  gtk_adjustment_set_value (self->temperature_adjustment,
                            json_object_get_double_member_with_default (self->settings, "temperature",
                                                                        o.temperature));
  update_temperature_reset (self);
  for (guint i = 0; i < N_PARAMS; i++)
    {
      JsonNode *node = json_object_get_member (self->settings, params[i].name);
      g_autofree char *text = NULL;

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_INT64)
        text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      else if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          text = g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", json_node_get_double (node)));
        }
      gtk_editable_set_text (GTK_EDITABLE (self->entries[i]), text != NULL ? text : "");
    }
  while (self->stop_rows->len > 0)
    {
      adw_preferences_group_remove (self->stop_group, self->stop_rows->pdata[0]);
      g_ptr_array_remove_index (self->stop_rows, 0);
    }
  if (json_object_has_member (self->settings, "stop")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (self->settings, "stop")))
    {
      JsonArray *stop = json_object_get_array_member (self->settings, "stop");
      /* copies: a new row's text may replace the list in self->settings */
      g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < json_array_get_length (stop); i++)
        if (json_array_get_string_element (stop, i) != NULL)
          g_ptr_array_add (texts, g_strdup (json_array_get_string_element (stop, i)));
      for (guint i = 0; i < texts->len; i++)
        add_stop_row (self, texts->pdata[i]);
    }
  self->loading = FALSE;
}

/* ---- actions ------------------------------------------------------------------ */

static void
reset_activated (GtkWidget  *widget,
                 const char *action,
                 GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);

  g_clear_pointer (&self->settings, json_object_unref);
  self->settings = json_object_new ();
  load_widgets (self);
  schedule_save (self);
}

static void
reset_value_activated (GtkWidget  *widget,
                       const char *action,
                       GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  HearthOptions o;

  hearth_options_init (&o);
  if (g_str_equal (name, "system"))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->system_view), "", 0);
  else if (g_str_equal (name, "temperature"))
    gtk_adjustment_set_value (self->temperature_adjustment, o.temperature);
  else
    for (guint i = 0; i < N_PARAMS; i++)
      if (g_str_equal (name, params[i].name))
        gtk_editable_set_text (GTK_EDITABLE (self->entries[i]), "");
}

static void
add_stop_activated (GtkWidget  *widget,
                    const char *action,
                    GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);

  gtk_widget_grab_focus (GTK_WIDGET (add_stop_row (self, "")));
}

static void
remove_stop_activated (GtkWidget  *widget,
                       const char *action,
                       GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);
  gpointer row = GSIZE_TO_POINTER ((gsize) g_variant_get_uint64 (parameter));
  guint i;

  /* (the row's address, checked against the rows there are) */
  if (!g_ptr_array_find (self->stop_rows, row, &i))
    return;
  g_ptr_array_remove_index (self->stop_rows, i);
  adw_preferences_group_remove (self->stop_group, row);
  stops_changed (self);
}

/* ---- the class ------------------------------------------------------------------ */

static void
hearth_chat_settings_dispose (GObject *object)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (object);

  hearth_chat_settings_save_now (self);
  g_clear_object (&self->chats);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_CHAT_SETTINGS);

  G_OBJECT_CLASS (hearth_chat_settings_parent_class)->dispose (object);
}

static void
hearth_chat_settings_finalize (GObject *object)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (object);

  g_clear_pointer (&self->settings, json_object_unref);
  g_clear_pointer (&self->stop_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (hearth_chat_settings_parent_class)->finalize (object);
}

static void
hearth_chat_settings_class_init (HearthChatSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_chat_settings_dispose;
  object_class->finalize = hearth_chat_settings_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hearth/Hearth/hearth-chat-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, system_view);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, system_reset);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_adjustment);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_reset);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, parameters_group);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, stop_group);

  gtk_widget_class_install_action (widget_class, "chat-settings.reset", NULL, reset_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.reset-value", "s",
                                   reset_value_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.add-stop", NULL, add_stop_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.remove-stop", "t",
                                   remove_stop_activated);
}

static GtkButton *
make_reset_button (const char *name,
                   const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-undo-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "chat-settings.reset-value");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", name);
  gtk_widget_set_visible (button, FALSE);
  return GTK_BUTTON (button);
}

static void
hearth_chat_settings_init (HearthChatSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = json_object_new ();
  self->stop_rows = g_ptr_array_new ();

  for (guint i = 0; i < N_PARAMS; i++)
    {
      g_autofree char *def = default_text (params[i].name);
      g_autofree char *tip = *def != '\0' ? g_strdup_printf (_("Changed: reset to the default (%s)"), def)
                                          : g_strdup (_("Changed: reset to the default"));

      self->rows[i] = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[i]), _(params[i].title));
      adw_action_row_set_subtitle (self->rows[i], _(params[i].help));
      self->entries[i] = GTK_ENTRY (gtk_entry_new ());
      gtk_widget_set_name (GTK_WIDGET (self->entries[i]), params[i].name);
      gtk_widget_set_valign (GTK_WIDGET (self->entries[i]), GTK_ALIGN_CENTER);
      gtk_editable_set_width_chars (GTK_EDITABLE (self->entries[i]), 6);
      gtk_editable_set_max_width_chars (GTK_EDITABLE (self->entries[i]), 8);
      gtk_entry_set_input_purpose (self->entries[i], GTK_INPUT_PURPOSE_NUMBER);
      gtk_entry_set_placeholder_text (self->entries[i], *def != '\0' ? def
                                                      : g_str_equal (params[i].name, "seed")
                                                        ? _("random") : _("auto"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->entries[i]), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _(params[i].title), -1);
      g_object_set_data (G_OBJECT (self->entries[i]), "hearth-param", GUINT_TO_POINTER (i));
      g_signal_connect (self->entries[i], "changed", G_CALLBACK (param_changed_cb), self);
      self->resets[i] = make_reset_button (params[i].name, tip);
      adw_action_row_add_suffix (self->rows[i], GTK_WIDGET (self->resets[i]));
      adw_action_row_add_suffix (self->rows[i], GTK_WIDGET (self->entries[i]));
      adw_action_row_set_activatable_widget (self->rows[i], GTK_WIDGET (self->entries[i]));
      adw_preferences_group_add (self->parameters_group, GTK_WIDGET (self->rows[i]));
    }

  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->system_reset), "chat-settings.reset-value");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->system_reset), "s", "system");
  gtk_widget_set_visible (GTK_WIDGET (self->system_reset), FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->temperature_reset), "chat-settings.reset-value");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->temperature_reset), "s", "temperature");
  load_widgets (self);
  g_signal_connect (gtk_text_view_get_buffer (self->system_view), "changed",
                    G_CALLBACK (system_changed_cb), self);
  g_signal_connect (self->temperature_adjustment, "value-changed",
                    G_CALLBACK (temperature_changed_cb), self);
}

/* ---- public ---------------------------------------------------------------------- */

GtkWidget *
hearth_chat_settings_new (void)
{
  return g_object_new (HEARTH_TYPE_CHAT_SETTINGS, NULL);
}

void
hearth_chat_settings_save_now (HearthChatSettings *self)
{
  g_return_if_fail (HEARTH_IS_CHAT_SETTINGS (self));

  if (self->save_id == 0)
    return;
  g_clear_handle_id (&self->save_id, g_source_remove);
  save (self);
}

void
hearth_chat_settings_set_chat (HearthChatSettings *self,
                               HearthChatStore    *chats,
                               gint64              chat_id)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;

  g_return_if_fail (HEARTH_IS_CHAT_SETTINGS (self));

  hearth_chat_settings_save_now (self);
  g_set_object (&self->chats, chats);
  self->chat_id = chats != NULL ? chat_id : 0;
  g_clear_pointer (&self->settings, json_object_unref);
  if (self->chat_id != 0)
    json = hearth_chat_store_get_chat_settings (chats, chat_id, NULL);
  if (json != NULL && json_parser_load_from_data (parser, json, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    self->settings = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  else
    self->settings = json_object_new ();
  load_widgets (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self), self->chat_id != 0);
}
