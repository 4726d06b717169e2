/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-settings"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "hearth-application.h"
#include "hearth-chat-settings.h"
#include "hearth-gguf.h"
#include "hearth-modelfile.h"
#include "hearth-parameter-rows.h"
#include "hearth-profile.h"
#include "hearth-remote.h"
#include "hearth-request.h"
#include "hearth-save-profile.h"
#include "hearth-settings.h"

/* A change is saved this long after the last one. */
#define SAVE_DELAY_MS 500

/* The parameters shown as rows, by Ollama's names (temperature has its
 * spin button), in hearth_parameter_rows_names ()'s order. */
static const char *const param_names[] = {
  "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed", "num_ctx", "num_predict",
};

#define N_PARAMS G_N_ELEMENTS (param_names)

struct _HearthChatSettings
{
  AdwBin parent_instance;

  /* template children */
  GtkTextView *system_view;
  GtkButton *system_reset;
  GtkLabel *system_source;
  GtkAdjustment *temperature_adjustment;
  GtkSpinButton *temperature_spin;
  GtkButton *temperature_reset;
  GtkLabel *temperature_source;
  AdwPreferencesGroup *parameters_group;
  AdwPreferencesGroup *stop_group;
  GtkLabel *stop_source;
  GtkButton *reset_all;

  /* made in init */
  AdwActionRow *rows[N_PARAMS];
  GtkEntry *entries[N_PARAMS];
  GtkButton *resets[N_PARAMS];
  GPtrArray *stop_rows;         /* AdwEntryRow, borrowed from stop_group */

  /* owned */
  HearthChatStore *chats;
  HearthLibrary *library;
  gint64 chat_id;
  char *model;                  /* the chat's model (a name, a GGUF's path), or NULL */
  gboolean is_profile;          /* the model was made from another */
  HearthSettings *base;         /* the model's own, over Ollama's defaults */
  guint max_ctx;                /* the model's own context length */
  JsonObject *settings;         /* the chat's own (what differs from the base), valid, as saved */
  guint save_id;
  gboolean loading;             /* the widgets are given the chat's settings */
  GtkWindow *save_dialog;       /* weak: "Save as Profile…" asking for a name */
};

G_DEFINE_FINAL_TYPE (HearthChatSettings, hearth_chat_settings, ADW_TYPE_BIN)

/* ---- values ---------------------------------------------------------------- */

/* Parameter @name of @o as text ("" where it has none to show: a random
 * seed, the automatic context length). */
static char *
option_text (const HearthOptions *o,
             const char          *name)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (g_str_equal (name, "temperature"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.2f", o->temperature));
  if (g_str_equal (name, "top_k"))
    return g_strdup_printf ("%d", o->top_k);
  if (g_str_equal (name, "top_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o->top_p));
  if (g_str_equal (name, "min_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o->min_p));
  if (g_str_equal (name, "repeat_penalty"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o->repeat_penalty));
  if (g_str_equal (name, "repeat_last_n"))
    return g_strdup_printf ("%d", o->repeat_last_n);
  if (g_str_equal (name, "num_predict"))
    return g_strdup_printf ("%d", o->num_predict);
  if (g_str_equal (name, "seed") && o->seed >= 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT, o->seed);
  if (g_str_equal (name, "num_ctx") && o->num_ctx > 0)
    return g_strdup_printf ("%u", o->num_ctx);
  return g_strdup ("");
}

/* What the chat falls back to for @name: the model's value or Ollama's
 * default, as text. */
static char *
base_text (HearthChatSettings *self,
           const char         *name)
{
  return option_text (hearth_settings_get_options (self->base), name);
}

/* Where the value of @name shown comes from. */
static HearthSettingSource
source_of (HearthChatSettings *self,
           const char         *name)
{
  if (json_object_has_member (self->settings, name))
    return HEARTH_SETTING_CHAT;
  return hearth_settings_get_source (self->base, name);
}

/* Short, for a label beside the value. */
static const char *
source_label (HearthChatSettings  *self,
              HearthSettingSource  source)
{
  switch (source)
    {
    case HEARTH_SETTING_CHAT:
    case HEARTH_SETTING_REPLY:
    case HEARTH_SETTING_REQUEST:
      return _("This chat’s");
    case HEARTH_SETTING_MODEL:
      return self->is_profile ? _("The profile’s") : _("The model’s");
    case HEARTH_SETTING_DEFAULT:
    default:
      return _("Ollama’s default");
    }
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
set_source_label (HearthChatSettings *self,
                  GtkLabel           *label,
                  const char         *name)
{
  HearthSettingSource source = source_of (self, name);

  gtk_label_set_label (label, source_label (self, source));
  if (source == HEARTH_SETTING_CHAT)
    gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
}

/* The tooltip of a value's reset button: what it goes back to. */
static char *
reset_tooltip (HearthChatSettings *self,
               const char         *name)
{
  g_autofree char *value = base_text (self, name);

  if (hearth_settings_get_source (self->base, name) == HEARTH_SETTING_MODEL)
    return *value != '\0' ? g_strdup_printf (_("Changed: reset to the model’s value (%s)"), value)
                          : g_strdup (_("Changed: reset to the model’s value"));
  return *value != '\0' ? g_strdup_printf (_("Changed: reset to the default (%s)"), value)
                        : g_strdup (_("Changed: reset to the default"));
}

static void
set_reset_tooltip (GtkWidget  *button,
                   const char *tip)
{
  gtk_widget_set_tooltip_text (button, tip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tip, -1);
}

/* Row @i's subtitle: where its value comes from, and what it does (or,
 * with @error, why what is typed is not taken). */
static void
update_row (HearthChatSettings *self,
            guint               i,
            const char         *error)
{
  const char *name = param_names[i];
  g_autofree char *help = hearth_parameter_help (name, self->max_ctx);
  g_autofree char *subtitle = NULL;
  g_autofree char *tip = reset_tooltip (self, name);
  g_autofree char *base = base_text (self, name);

  if (error != NULL)
    subtitle = g_markup_escape_text (error, -1);
  else
    subtitle = g_markup_printf_escaped ("<b>%s</b> · %s",
                                        source_label (self, source_of (self, name)), help);
  adw_action_row_set_subtitle (self->rows[i], subtitle);
  gtk_entry_set_placeholder_text (self->entries[i], *base != '\0' ? base
                                                  : g_str_equal (name, "seed")
                                                    ? _("random") : _("auto"));
  set_reset_tooltip (GTK_WIDGET (self->resets[i]), tip);
}

static void
update_temperature_reset (HearthChatSettings *self)
{
  g_autofree char *tip = reset_tooltip (self, "temperature");

  gtk_widget_set_visible (GTK_WIDGET (self->temperature_reset),
                          json_object_has_member (self->settings, "temperature"));
  set_reset_tooltip (GTK_WIDGET (self->temperature_reset), tip);
  set_source_label (self, self->temperature_source, "temperature");
}

/* What a profile made from the chat is FROM: the chat's model, or for a
 * model on an Ollama server URL/MODEL (as Ollama keeps a model on another
 * host); NULL where none can be (no model, an OpenAI-compatible server's,
 * a server removed). */
static char *
profile_base (HearthChatSettings *self)
{
  GApplication *app = g_application_get_default ();
  g_autofree char *server_id = NULL;
  g_autofree char *model = NULL;
  HearthRemoteServer *server;
  const char *url;

  if (self->model == NULL)
    return NULL;
  if (!hearth_remote_parse_model_string (self->model, &server_id, &model))
    return g_strdup (self->model);
  if (!HEARTH_IS_APPLICATION (app))
    return NULL;
  server = hearth_remote_servers_lookup (
    hearth_context_get_servers (hearth_application_get_context (HEARTH_APPLICATION (app))), server_id);
  if (server == NULL || hearth_remote_server_get_kind (server) != HEARTH_REMOTE_OLLAMA)
    return NULL;
  url = hearth_remote_server_get_url (server);
  return g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/", model, NULL);
}

static void
update_reset_all (HearthChatSettings *self)
{
  g_autofree char *base = profile_base (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat-settings.reset",
                                 self->chat_id != 0 && json_object_get_size (self->settings) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat-settings.save-profile",
                                 self->chat_id != 0 && base != NULL);
}

static void
temperature_changed_cb (GtkAdjustment      *adjustment,
                        HearthChatSettings *self)
{
  double value = round (gtk_adjustment_get_value (adjustment) * 100) / 100;

  if (fabs (value - hearth_settings_get_options (self->base)->temperature) < 0.005)
    json_object_remove_member (self->settings, "temperature");
  else
    json_object_set_double_member (self->settings, "temperature", value);
  update_temperature_reset (self);
  update_reset_all (self);
  schedule_save (self);
}

static const char *
base_system (HearthChatSettings *self)
{
  const char *system = hearth_settings_get_system (self->base);

  return system != NULL ? system : "";
}

static void
system_changed_cb (GtkTextBuffer      *buffer,
                   HearthChatSettings *self)
{
  g_autofree char *text = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *base_trimmed = g_strstrip (g_strdup (base_system (self)));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  trimmed = g_strstrip (g_strdup (text));
  /* the model's own (or none where it has none): nothing of the chat's */
  if (g_str_equal (text, base_system (self)) || (*trimmed == '\0' && *base_trimmed == '\0'))
    json_object_remove_member (self->settings, "system");
  /* none, where the model has one */
  else if (*trimmed == '\0')
    json_object_set_string_member (self->settings, "system", "");
  else
    json_object_set_string_member (self->settings, "system", text);
  gtk_widget_set_visible (GTK_WIDGET (self->system_reset), json_object_has_member (self->settings, "system"));
  set_source_label (self, self->system_source, "system");
  update_reset_all (self);
  schedule_save (self);
}

static void
param_changed_cb (GtkEditable        *entry,
                  HearthChatSettings *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (entry), "hearth-param"));
  const char *name = param_names[i];
  HearthParameterType type = HEARTH_PARAMETER_INT;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *base = base_text (self, name);
  g_autoptr (GError) error = NULL;
  gboolean bad = FALSE;

  if (*text == '\0')
    json_object_remove_member (self->settings, name);
  else if (!hearth_parameter_check (name, text, self->max_ctx, &error))
    bad = TRUE;   /* shown in place, and not saved: the value saved before stays */
  else if (*base != '\0' && g_ascii_strtod (text, NULL) == g_ascii_strtod (base, NULL))
    json_object_remove_member (self->settings, name);
  else if (hearth_modelfile_parameter_type (name, &type) && type == HEARTH_PARAMETER_FLOAT)
    json_object_set_double_member (self->settings, name, g_ascii_strtod (text, NULL));
  else
    json_object_set_int_member (self->settings, name, g_ascii_strtoll (text, NULL, 10));
  if (bad)
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  update_row (self, i, bad ? error->message : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->resets[i]), *text != '\0');
  update_reset_all (self);
  schedule_save (self);
}

/* The model's stop strings. */
static gboolean
same_as_base_stop (HearthChatSettings *self,
                   JsonArray          *stop)
{
  const char *const *base = hearth_settings_get_stop (self->base);
  guint n = g_strv_length ((char **) base);

  if (json_array_get_length (stop) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (json_array_get_string_element (stop, i), base[i]) != 0)
      return FALSE;
  return TRUE;
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
  /* (an empty list where the model has some: none for this chat) */
  if (!same_as_base_stop (self, stop))
    json_object_set_array_member (self->settings, "stop", stop);
  else
    {
      json_array_unref (stop);
      json_object_remove_member (self->settings, "stop");
    }
  set_source_label (self, self->stop_source, "stop");
  update_reset_all (self);
  schedule_save (self);
}

static void
stop_changed_cb (GtkEditable        *row,
                 HearthChatSettings *self)
{
  stops_changed (self);
}

static GtkWidget *
add_stop_row (HearthChatSettings *self,
              const char         *text)
{
  GtkWidget *remove;
  GtkWidget *row = hearth_parameter_stop_row_new (text, &remove);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "chat-settings.remove-stop");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "t", (guint64) GPOINTER_TO_SIZE (row));
  g_signal_connect (row, "changed", G_CALLBACK (stop_changed_cb), self);
  adw_preferences_group_add (self->stop_group, row);
  g_ptr_array_add (self->stop_rows, row);
  return row;
}

/* The widgets from self->settings over self->base: the values this chat's
 * replies are written with, and where each comes from. */
static void
load_widgets (HearthChatSettings *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->system_view);
  /* copies: setting the widgets may replace what self->settings holds */
  g_autofree char *system = g_strdup (json_object_get_string_member_with_default (self->settings,
                                                                                  "system",
                                                                                  base_system (self)));
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  self->loading = TRUE;
  gtk_text_buffer_set_text (buffer, system, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->system_reset), json_object_has_member (self->settings, "system"));
  set_source_label (self, self->system_source, "system");
  gtk_adjustment_set_value (self->temperature_adjustment,
                            json_object_get_double_member_with_default (
                              self->settings, "temperature",
                              hearth_settings_get_options (self->base)->temperature));
  update_temperature_reset (self);
  for (guint i = 0; i < N_PARAMS; i++)
    {
      JsonNode *node = json_object_get_member (self->settings, param_names[i]);
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
      /* (the same text does not say "changed") */
      update_row (self, i, NULL);
      gtk_widget_remove_css_class (GTK_WIDGET (self->entries[i]), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->resets[i]), text != NULL);
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

      for (guint i = 0; i < json_array_get_length (stop); i++)
        if (json_array_get_string_element (stop, i) != NULL)
          g_ptr_array_add (texts, g_strdup (json_array_get_string_element (stop, i)));
    }
  else
    for (const char *const *s = hearth_settings_get_stop (self->base); *s != NULL; s++)
      g_ptr_array_add (texts, g_strdup (*s));
  for (guint i = 0; i < texts->len; i++)
    add_stop_row (self, texts->pdata[i]);
  set_source_label (self, self->stop_source, "stop");
  gtk_button_set_label (self->reset_all, self->is_profile ? _("_Reset to the Profile")
                                                          : _("_Reset to the Model’s"));
  update_reset_all (self);
  self->loading = FALSE;
}

/* ---- the model ------------------------------------------------------------------ */

/* The model's own context length, from its GGUF; HEARTH_PARAMETER_MAX_NUM_CTX
 * where it cannot be read. */
static guint
model_context_length (HearthChatSettings *self)
{
  guint64 length = 0;

  if (self->model == NULL)
    return HEARTH_PARAMETER_MAX_NUM_CTX;
  if (g_path_is_absolute (self->model))
    {
      g_autoptr (HearthGguf) gguf = hearth_gguf_open (self->model, NULL);
      const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;

      if (info != NULL)
        length = info->context_length;
    }
  else if (self->library != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->library)); i++)
      {
        g_autoptr (HearthModelItem) item = g_list_model_get_item (G_LIST_MODEL (self->library), i);

        if (g_str_equal (hearth_model_item_get_name (item), self->model))
          length = hearth_model_item_get_context_length (item);
      }
  return length > 0 ? (guint) MIN (length, 1 << 24) : HEARTH_PARAMETER_MAX_NUM_CTX;
}

/* self->base from the chat's model: its own values over Ollama's defaults
 * (only the defaults for a GGUF outside the store, or a model whose
 * layers cannot be read — said in the log, and by the chat when asked to
 * reply). */
static void
load_base (HearthChatSettings *self)
{
  g_autoptr (GError) error = NULL;
  HearthSettings *base = NULL;
  HearthStore *store = self->library != NULL ? hearth_library_get_store (self->library) : NULL;

  self->is_profile = FALSE;
  if (store != NULL && self->model != NULL && !g_path_is_absolute (self->model))
    {
      g_autofree char *from = NULL;

      base = hearth_settings_new_for_model (store, self->model, NULL, &error);
      if (base == NULL)
        g_debug ("the settings of %s cannot be read: %s", self->model, error->message);
      g_clear_error (&error);
      from = hearth_profile_get_base (store, self->model, NULL);
      self->is_profile = from != NULL;
    }
  g_clear_pointer (&self->base, hearth_settings_free);
  self->base = base != NULL ? base : hearth_settings_new ();
  self->max_ctx = model_context_length (self);
}

/* The chat's own settings from the store. */
static void
load_settings (HearthChatSettings *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;

  g_clear_pointer (&self->settings, json_object_unref);
  if (self->chat_id != 0)
    json = hearth_chat_store_get_chat_settings (self->chats, self->chat_id, NULL);
  if (json != NULL && json_parser_load_from_data (parser, json, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    self->settings = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  else
    self->settings = json_object_new ();
}

static char *
settings_text (JsonObject *settings)
{
  g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), settings);

  return json_to_string (root, FALSE);
}

/* Another window (or the undo of a reset) set the chat's settings: shown
 * here, unless they are what this pane has. A change typed here and not
 * saved yet wins: it is saved in a moment, and the other window follows. */
static void
chat_settings_changed_cb (HearthChatStore    *chats,
                          gint64              chat_id,
                          HearthChatSettings *self)
{
  g_autofree char *json = NULL;
  g_autofree char *mine = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) theirs = NULL;
  g_autoptr (JsonNode) ours = NULL;

  if (chat_id != self->chat_id || self->save_id != 0)
    return;
  json = hearth_chat_store_get_chat_settings (chats, chat_id, NULL);
  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return;
  theirs = json_node_copy (json_parser_get_root (parser));
  ours = json_node_init_object (json_node_alloc (), self->settings);
  if (json_node_equal (theirs, ours))
    return;
  load_settings (self);
  load_widgets (self);
}

/* The chat's model changed (chosen here or in another window), or a
 * model changed in the store (a profile written again): the values shown
 * under the chat's own follow. */
static void
reload_base (HearthChatSettings *self)
{
  g_autoptr (HearthChat) chat = NULL;

  if (self->chat_id == 0)
    return;
  chat = hearth_chat_store_get_chat (self->chats, self->chat_id, NULL);
  g_free (self->model);
  self->model = chat != NULL && chat->model != NULL && *chat->model != '\0' ? g_strdup (chat->model) : NULL;
  load_base (self);
  load_widgets (self);
}

static void
chat_changed_cb (HearthChatStore    *chats,
                 gint64              chat_id,
                 HearthChatSettings *self)
{
  g_autoptr (HearthChat) chat = NULL;

  if (chat_id != self->chat_id)
    return;
  chat = hearth_chat_store_get_chat (chats, chat_id, NULL);
  if (chat != NULL && g_strcmp0 (chat->model, self->model) != 0)
    {
      /* (what is typed is kept: saved first, then shown over the new model) */
      hearth_chat_settings_save_now (self);
      reload_base (self);
    }
}

static void
library_changed_cb (HearthChatSettings *self)
{
  hearth_chat_settings_save_now (self);
  reload_base (self);
}

/* ---- actions ------------------------------------------------------------------ */

typedef struct
{
  HearthChatSettings *self;     /* weak: the toast outlives the pane */
  gint64 chat_id;
  char *json;
} ResetUndo;

static void
reset_undo_free (gpointer data,
                 GClosure *closure)
{
  ResetUndo *undo = data;

  g_clear_weak_pointer (&undo->self);
  g_free (undo->json);
  g_free (undo);
}

static void
undo_reset_cb (AdwToast  *toast,
               ResetUndo *undo)
{
  g_autoptr (GError) error = NULL;

  if (undo->self == NULL || undo->self->chats == NULL)
    return;
  if (!hearth_chat_store_set_chat_settings (undo->self->chats, undo->chat_id, undo->json, &error))
    g_warning ("the settings of chat %" G_GINT64_FORMAT " were not put back: %s", undo->chat_id,
               error->message);
  /* (the pane follows through ::chat-settings-changed) */
}

static void
reset_activated (GtkWidget  *widget,
                 const char *action,
                 GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *before = settings_text (self->settings);

  g_clear_pointer (&self->settings, json_object_unref);
  self->settings = json_object_new ();
  load_widgets (self);
  g_clear_handle_id (&self->save_id, g_source_remove);
  save (self);
  /* nothing lost without a way back */
  if (overlay != NULL)
    {
      AdwToast *toast = adw_toast_new (self->is_profile ? _("This chat’s settings were reset to the profile’s")
                                                        : _("This chat’s settings were reset to the model’s"));
      ResetUndo *undo = g_new0 (ResetUndo, 1);

      g_set_weak_pointer (&undo->self, self);
      undo->chat_id = self->chat_id;
      undo->json = g_steal_pointer (&before);
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_timeout (toast, 10);
      g_signal_connect_data (toast, "button-clicked", G_CALLBACK (undo_reset_cb), undo,
                             reset_undo_free, 0);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
    }
}

static void
reset_value_activated (GtkWidget  *widget,
                       const char *action,
                       GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (g_str_equal (name, "system"))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->system_view), base_system (self), -1);
  else if (g_str_equal (name, "temperature"))
    gtk_adjustment_set_value (self->temperature_adjustment,
                              hearth_settings_get_options (self->base)->temperature);
  else
    for (guint i = 0; i < N_PARAMS; i++)
      if (g_str_equal (name, param_names[i]))
        gtk_editable_set_text (GTK_EDITABLE (self->entries[i]), "");
}

static void
add_stop_activated (GtkWidget  *widget,
                    const char *action,
                    GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);

  gtk_widget_grab_focus (add_stop_row (self, ""));
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

/* ---- Save as Profile… ------------------------------------------------------------ */

static void
save_profile_activated (GtkWidget  *widget,
                        const char *action,
                        GVariant   *parameter)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (widget);
  g_autofree char *base = profile_base (self);

  if (base == NULL || self->library == NULL || self->save_dialog != NULL)
    return;
  /* (what is typed goes with it) */
  hearth_chat_settings_save_now (self);
  self->save_dialog = hearth_save_profile (widget, self->library, base, self->settings);
  g_object_add_weak_pointer (G_OBJECT (self->save_dialog), (gpointer *) &self->save_dialog);
}

/* ---- the class ------------------------------------------------------------------ */

static void
disconnect_sources (HearthChatSettings *self)
{
  if (self->chats != NULL)
    g_signal_handlers_disconnect_by_data (self->chats, self);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
}

static void
hearth_chat_settings_dispose (GObject *object)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (object);

  hearth_chat_settings_save_now (self);
  if (self->save_dialog != NULL)
    {
      GtkWindow *dialog = self->save_dialog;

      g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->save_dialog);
      self->save_dialog = NULL;
      gtk_window_destroy (dialog);
    }
  disconnect_sources (self);
  g_clear_object (&self->chats);
  g_clear_object (&self->library);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_CHAT_SETTINGS);

  G_OBJECT_CLASS (hearth_chat_settings_parent_class)->dispose (object);
}

static void
hearth_chat_settings_finalize (GObject *object)
{
  HearthChatSettings *self = HEARTH_CHAT_SETTINGS (object);

  g_clear_pointer (&self->settings, json_object_unref);
  g_clear_pointer (&self->base, hearth_settings_free);
  g_clear_pointer (&self->stop_rows, g_ptr_array_unref);
  g_free (self->model);

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
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, system_source);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_adjustment);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_reset);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, temperature_source);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, parameters_group);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, stop_group);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, stop_source);
  gtk_widget_class_bind_template_child (widget_class, HearthChatSettings, reset_all);

  gtk_widget_class_install_action (widget_class, "chat-settings.reset", NULL, reset_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.reset-value", "s",
                                   reset_value_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.add-stop", NULL, add_stop_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.remove-stop", "t",
                                   remove_stop_activated);
  gtk_widget_class_install_action (widget_class, "chat-settings.save-profile", NULL,
                                   save_profile_activated);
}

static GtkButton *
make_reset_button (const char *name)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-undo-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
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
  self->base = hearth_settings_new ();
  self->max_ctx = HEARTH_PARAMETER_MAX_NUM_CTX;
  self->stop_rows = g_ptr_array_new ();

  for (guint i = 0; i < N_PARAMS; i++)
    {
      const char *title = hearth_parameter_title (param_names[i]);

      self->rows[i] = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[i]), title);
      self->entries[i] = GTK_ENTRY (gtk_entry_new ());
      gtk_widget_set_name (GTK_WIDGET (self->entries[i]), param_names[i]);
      gtk_widget_set_valign (GTK_WIDGET (self->entries[i]), GTK_ALIGN_CENTER);
      gtk_editable_set_width_chars (GTK_EDITABLE (self->entries[i]), 6);
      gtk_editable_set_max_width_chars (GTK_EDITABLE (self->entries[i]), 8);
      gtk_entry_set_input_purpose (self->entries[i], GTK_INPUT_PURPOSE_NUMBER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->entries[i]), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      title, -1);
      g_object_set_data (G_OBJECT (self->entries[i]), "hearth-param", GUINT_TO_POINTER (i));
      g_signal_connect (self->entries[i], "changed", G_CALLBACK (param_changed_cb), self);
      self->resets[i] = make_reset_button (param_names[i]);
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
  /* GTK 4.8 gives the spin button's own buttons no name a screen reader
   * could say */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->temperature_spin));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_BUTTON (child))
      {
        const char *icon = gtk_button_get_icon_name (GTK_BUTTON (child));
        const char *label = g_strcmp0 (icon, "value-decrease-symbolic") == 0 ? _("Lower Temperature")
                                                                           : _("Higher Temperature");

        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      }
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
                               HearthLibrary      *library,
                               gint64              chat_id)
{
  g_return_if_fail (HEARTH_IS_CHAT_SETTINGS (self));

  hearth_chat_settings_save_now (self);
  if (chats != self->chats || library != self->library)
    {
      disconnect_sources (self);
      g_set_object (&self->chats, chats);
      g_set_object (&self->library, library);
      if (chats != NULL)
        {
          g_signal_connect (chats, "chat-changed", G_CALLBACK (chat_changed_cb), self);
          g_signal_connect (chats, "chat-settings-changed", G_CALLBACK (chat_settings_changed_cb), self);
        }
      if (library != NULL)
        g_signal_connect_swapped (library, "items-changed", G_CALLBACK (library_changed_cb), self);
    }
  self->chat_id = chats != NULL ? chat_id : 0;
  g_clear_pointer (&self->model, g_free);
  if (self->chat_id != 0)
    {
      g_autoptr (HearthChat) chat = hearth_chat_store_get_chat (chats, chat_id, NULL);

      if (chat != NULL && chat->model != NULL && *chat->model != '\0')
        self->model = g_strdup (chat->model);
    }
  load_base (self);
  load_settings (self);
  load_widgets (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self), self->chat_id != 0);
}
