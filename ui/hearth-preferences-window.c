/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-preferences-window.h"
#include "hearth-ui.h"
#include "hearth-app-server.h"
#include "hearth-application.h"
#include "hearth-pull.h"
#include "hearth-servers-page.h"
#include "hearth-store.h"

#define OLLAMA_REGISTRY "https://registry.ollama.ai"
#define HF_MIRROR "https://hf-mirror.com"
#define MODELSCOPE "https://www.modelscope.cn"

struct _HearthPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  AdwComboRow *registry_row;
  AdwEntryRow *registry_entry;
  AdwComboRow *hf_row;
  AdwEntryRow *hf_entry;
  AdwActionRow *folder_row;
  GtkWidget *choose_button;
  AdwActionRow *own_row;
  GtkWidget *own_button;
  AdwActionRow *ollama_row;
  GtkWidget *ollama_button;
  GtkFileChooserNative *chooser;
  AdwComboRow *keep_alive_row;
  GtkWidget *keep_original_switch;
  GtkWidget *serve_group;
  AdwActionRow *serve_row;
  GtkWidget *serve_switch;
  AdwActionRow *serve_error_row;
  AdwEntryRow *port_row;
  AdwActionRow *beyond_row;
  GtkWidget *beyond_switch;
  GtkWidget *beyond_warning_row;
  AdwActionRow *token_row;
  GtkWidget *copy_token_button;
  gboolean updating;    /* showing the settings: no writing back */

  HearthAppServer *server;      /* the application's (a reference), or NULL */
  const GError *shown_error;    /* the server's error last shown (not a reference: compared only) */
};

G_DEFINE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* ---- downloads: the registry and the Hugging Face mirror ------------------ */

/* The Hugging Face row's choices, in the order of the .ui file's list */
enum { HF_OFFICIAL, HF_MIRROR_COM, HF_MODELSCOPE, HF_CUSTOM };

/* The rows as the settings are: a preset, or Custom with its address shown
 * for editing. */
static void
show_sources (HearthPreferencesWindow *self)
{
  g_autofree char *registry = g_settings_get_string (self->settings, "registry-url");
  g_autofree char *hf = g_settings_get_string (self->settings, "hf-endpoint");
  gboolean registry_custom = g_strcmp0 (registry, OLLAMA_REGISTRY) != 0;
  guint hf_choice = *hf == '\0'                   ? HF_OFFICIAL
                    : g_str_equal (hf, HF_MIRROR)  ? HF_MIRROR_COM
                    : g_str_equal (hf, MODELSCOPE) ? HF_MODELSCOPE
                                                   : HF_CUSTOM;

  self->updating = TRUE;
  adw_combo_row_set_selected (self->registry_row, registry_custom ? 1 : 0);
  gtk_widget_set_visible (GTK_WIDGET (self->registry_entry), registry_custom);
  if (registry_custom)
    gtk_editable_set_text (GTK_EDITABLE (self->registry_entry), registry);
  adw_combo_row_set_selected (self->hf_row, hf_choice);
  gtk_widget_set_visible (GTK_WIDGET (self->hf_entry), hf_choice == HF_CUSTOM);
  if (hf_choice == HF_CUSTOM)
    gtk_editable_set_text (GTK_EDITABLE (self->hf_entry), hf);
  self->updating = FALSE;
}

static void
on_registry_selected (HearthPreferencesWindow *self)
{
  gboolean custom = adw_combo_row_get_selected (self->registry_row) == 1;

  if (self->updating)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->registry_entry), custom);
  if (!custom)
    g_settings_set_string (self->settings, "registry-url", OLLAMA_REGISTRY);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->registry_entry));
}

static void
on_hf_selected (HearthPreferencesWindow *self)
{
  guint choice = adw_combo_row_get_selected (self->hf_row);

  if (self->updating)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->hf_entry), choice == HF_CUSTOM);
  if (choice == HF_OFFICIAL)
    g_settings_set_string (self->settings, "hf-endpoint", "");
  else if (choice == HF_MIRROR_COM)
    g_settings_set_string (self->settings, "hf-endpoint", HF_MIRROR);
  else if (choice == HF_MODELSCOPE)
    g_settings_set_string (self->settings, "hf-endpoint", MODELSCOPE);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->hf_entry));
}

/* An address is kept only when models may come from it; else the row says
 * what is wrong and the setting stays as it was. */
static void
apply_address (HearthPreferencesWindow *self,
               AdwEntryRow             *entry,
               const char              *key)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (!hearth_pull_url_is_allowed (text))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      adw_preferences_window_add_toast (
        ADW_PREFERENCES_WINDOW (self),
        adw_toast_new (_("A model source’s address starts with https://")));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_settings_set_string (self->settings, key, text);
}

static void
on_registry_apply (HearthPreferencesWindow *self)
{
  apply_address (self, self->registry_entry, "registry-url");
}

static void
on_hf_apply (HearthPreferencesWindow *self)
{
  apply_address (self, self->hf_entry, "hf-endpoint");
}

/* ---- how long a model stays loaded ------------------------------------------ */

/* The keep-alive row's choices, in the order of the .ui file's list */
static const int keep_alive_seconds[] = { 300, 1800, -1, 0 };

static void
show_keep_alive (HearthPreferencesWindow *self)
{
  int seconds = g_settings_get_int (self->settings, "keep-alive");
  guint choice = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; i < G_N_ELEMENTS (keep_alive_seconds); i++)
    if (keep_alive_seconds[i] == seconds)
      choice = i;
  self->updating = TRUE;
  adw_combo_row_set_selected (self->keep_alive_row, choice);
  self->updating = FALSE;
}

static void
on_keep_alive_selected (HearthPreferencesWindow *self)
{
  guint choice = adw_combo_row_get_selected (self->keep_alive_row);

  if (!self->updating && choice < G_N_ELEMENTS (keep_alive_seconds))
    g_settings_set_int (self->settings, "keep-alive", keep_alive_seconds[choice]);
}

/* ---- other programs: the server inside the app ----------------------------- */

/* @text as a port (1 to 65535), or 0. */
static guint16
parse_port (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  guint64 port = 0;

  if (!g_ascii_string_to_unsigned (stripped, 10, 1, 65535, &port, NULL))
    return 0;
  return (guint16) port;
}

static void
show_port (HearthPreferencesWindow *self)
{
  g_autofree char *text = g_strdup_printf ("%d", g_settings_get_int (self->settings, "serve-port"));

  gtk_widget_remove_css_class (GTK_WIDGET (self->port_row), "error");
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->port_row)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->port_row), text);
}

/* The rows as the server is: where it is reached, why it does not run,
 * the warning and the token beyond this computer. */
static void
show_server (HearthPreferencesWindow *self)
{
  g_autofree char *url = hearth_app_server_dup_url (self->server);
  g_autofree char *subtitle = NULL;
  const char *host = hearth_app_server_get_host_override (self->server);
  const char *token = hearth_app_server_get_token (self->server);
  const GError *error = hearth_app_server_get_error (self->server);
  gboolean public = hearth_app_server_get_public (self->server);

  if (host != NULL)
    /* Translators: a URL; HEARTH_HOST is an environment variable */
    subtitle = g_strdup_printf (_("%s, set by HEARTH_HOST — for programs written for Ollama or OpenAI"),
                                url != NULL ? url : host);
  else if (public)
    subtitle = g_strdup_printf (_("Port %u of this computer, from other computers too — for programs written for Ollama or OpenAI"),
                                hearth_app_server_get_port (self->server));
  else
    /* Translators: a URL, "http://127.0.0.1:11434" */
    subtitle = g_strdup_printf (_("%s — for programs written for Ollama or OpenAI"), url);
  adw_action_row_set_subtitle (self->serve_row, subtitle);

  gtk_widget_set_visible (GTK_WIDGET (self->serve_error_row), error != NULL);
  if (error != NULL)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->serve_error_row), error->message);

  /* HEARTH_HOST chooses the address: the rows for it say so by being off */
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_row), host == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->beyond_row), host == NULL);
  gtk_widget_set_visible (self->beyond_warning_row, public);

  gtk_widget_set_visible (GTK_WIDGET (self->token_row), token != NULL);
  if (token != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->token_row),
                                     hearth_app_server_get_token_from_env (self->server)
                                       ? _("Token (set by HEARTH_API_KEY)")
                                       : _("Token (a new one each time Hearth starts)"));
      adw_action_row_set_subtitle (self->token_row, token);
    }

  /* a port taken: the person chooses another, where the port is typed */
  if (error != NULL && error != self->shown_error && host == NULL
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    gtk_widget_grab_focus (GTK_WIDGET (self->port_row));
  self->shown_error = error;
}

/* A port typed and applied (Enter, or the apply button); a server that runs
 * moves to it at once. */
static gboolean
apply_port (HearthPreferencesWindow *self)
{
  guint16 port = parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port_row)));

  if (port == 0)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->port_row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("A port is a number from 1 to 65535")));
      return FALSE;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->port_row), "error");
  g_settings_set_int (self->settings, "serve-port", port);
  show_port (self);
  return TRUE;
}

/* Turned on with a new port typed and not yet applied: that port, first
 * (this runs before the switch's binding writes "serve"). */
static void
on_serve_switch (HearthPreferencesWindow *self)
{
  g_autofree char *current = NULL;
  g_autofree char *typed = NULL;

  if (!gtk_switch_get_active (GTK_SWITCH (self->serve_switch)))
    return;
  current = g_strdup_printf ("%d", g_settings_get_int (self->settings, "serve-port"));
  typed = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->port_row))));
  /* not a port: not on either (the binding, after this, reads the switch) */
  if (g_strcmp0 (typed, current) != 0 && !apply_port (self))
    gtk_switch_set_active (GTK_SWITCH (self->serve_switch), FALSE);
}

static void
on_copy_token (HearthPreferencesWindow *self)
{
  const char *token = hearth_app_server_get_token (self->server);

  if (token == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), token);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Token copied")));
}

static void
setup_server (HearthPreferencesWindow *self)
{
  GApplication *app = g_application_get_default ();

  if (HEARTH_IS_APPLICATION (app) && hearth_application_get_server (HEARTH_APPLICATION (app)) != NULL)
    self->server = g_object_ref (hearth_application_get_server (HEARTH_APPLICATION (app)));
  if (self->server == NULL)
    {
      /* no application that serves (a test's own window) */
      gtk_widget_set_visible (self->serve_group, FALSE);
      return;
    }
  show_port (self);
  g_signal_connect_swapped (self->serve_switch, "notify::active", G_CALLBACK (on_serve_switch), self);
  g_settings_bind (self->settings, "serve", self->serve_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "rules-keep-original", self->keep_original_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "serve-beyond-this-computer", self->beyond_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->port_row, "apply", G_CALLBACK (apply_port), self);
  g_signal_connect_swapped (self->settings, "changed::serve-port", G_CALLBACK (show_port), self);
  g_signal_connect_swapped (self->copy_token_button, "clicked", G_CALLBACK (on_copy_token), self);
  g_signal_connect_swapped (self->server, "changed", G_CALLBACK (show_server), self);
  self->shown_error = hearth_app_server_get_error (self->server);
  show_server (self);
}

/* ---- the models folder ----------------------------------------------------- */

static void
show_folder (HearthPreferencesWindow *self)
{
  const char *env = g_getenv ("HEARTH_MODELS");
  gboolean fixed = env != NULL && *env != '\0';
  g_autofree char *chosen = g_settings_get_string (self->settings, "models-dir");
  g_autofree char *current = hearth_store_default_root ();
  g_autofree char *own = g_build_filename (g_get_user_data_dir (), "hearth", "models", NULL);
  guint n_ollama = 0;
  g_autofree char *ollama = hearth_store_ollama_root (&n_ollama);

  if (fixed)
    {
      g_autofree char *text = g_strdup_printf (_("%s (set by HEARTH_MODELS)"), env);

      adw_action_row_set_subtitle (self->folder_row, text);
    }
  else
    adw_action_row_set_subtitle (self->folder_row, current);
  gtk_widget_set_sensitive (self->choose_button, !fixed);

  adw_action_row_set_subtitle (self->own_row, own);
  gtk_widget_set_visible (GTK_WIDGET (self->own_row), !fixed && *chosen != '\0');

  gtk_widget_set_visible (GTK_WIDGET (self->ollama_row),
                          !fixed && ollama != NULL && g_strcmp0 (ollama, current) != 0);
  if (ollama != NULL)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u model",
                                                            "%s · %u models", n_ollama),
                                               ollama, n_ollama);

      adw_action_row_set_subtitle (self->ollama_row, text);
    }
}

static void
use_folder (HearthPreferencesWindow *self,
            const char              *dir)
{
  GApplication *app = g_application_get_default ();
  g_autoptr (GError) error = NULL;

  if (HEARTH_IS_APPLICATION (app))
    {
      if (!hearth_application_set_models_dir (HEARTH_APPLICATION (app), dir, &error))
        adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                          adw_toast_new (error->message));
    }
  else
    g_settings_set_string (self->settings, "models-dir", dir != NULL ? dir : "");
  show_folder (self);
}

static void
on_chooser_response (HearthPreferencesWindow *self,
                     int                      response,
                     GtkFileChooserNative    *chooser)
{
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    {
      g_autofree char *path = g_file_get_path (file);

      if (path == NULL)
        adw_preferences_window_add_toast (
          ADW_PREFERENCES_WINDOW (self),
          adw_toast_new (_("Models can only be kept in a folder on this computer")));
      else
        use_folder (self, path);
    }
}

static void
on_choose (HearthPreferencesWindow *self)
{
  g_autofree char *current = hearth_store_default_root ();
  g_autoptr (GFile) folder = g_file_new_for_path (current);

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose a Models Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Use This Folder"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  /* the folder in use, selected in its parent */
  if (g_file_query_exists (folder, NULL))
    gtk_file_chooser_set_file (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_use_own (HearthPreferencesWindow *self)
{
  use_folder (self, NULL);
}

static void
on_use_ollama (HearthPreferencesWindow *self)
{
  g_autofree char *ollama = hearth_store_ollama_root (NULL);

  if (ollama != NULL)
    use_folder (self, ollama);
}

static void
hearth_preferences_window_dispose (GObject *object)
{
  HearthPreferencesWindow *self = HEARTH_PREFERENCES_WINDOW (object);

  hearth_ui_clear_chooser (&self->chooser, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      /* (the switch may still say it changes while the template goes) */
      g_signal_handlers_disconnect_by_data (self->serve_switch, self);
    }
  g_clear_object (&self->server);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->dispose (object);
}

static void
hearth_preferences_window_class_init (HearthPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, registry_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, registry_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, hf_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, hf_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, choose_button);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, own_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, own_button);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, ollama_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, ollama_button);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, keep_alive_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, keep_original_switch);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, serve_group);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, serve_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, serve_switch);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, serve_error_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, port_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, beyond_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, beyond_switch);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, beyond_warning_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, copy_token_button);
}

static void
hearth_preferences_window_init (HearthPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hearth_servers_page_new ()));

  self->settings = g_settings_new (APPLICATION_ID);
  show_sources (self);
  g_signal_connect_swapped (self->registry_row, "notify::selected",
                            G_CALLBACK (on_registry_selected), self);
  g_signal_connect_swapped (self->hf_row, "notify::selected", G_CALLBACK (on_hf_selected), self);
  g_signal_connect_swapped (self->registry_entry, "apply", G_CALLBACK (on_registry_apply), self);
  g_signal_connect_swapped (self->hf_entry, "apply", G_CALLBACK (on_hf_apply), self);

  show_folder (self);
  g_signal_connect_swapped (self->choose_button, "clicked", G_CALLBACK (on_choose), self);
  g_signal_connect_swapped (self->own_button, "clicked", G_CALLBACK (on_use_own), self);
  g_signal_connect_swapped (self->ollama_button, "clicked", G_CALLBACK (on_use_ollama), self);
  show_keep_alive (self);
  g_signal_connect_swapped (self->keep_alive_row, "notify::selected",
                            G_CALLBACK (on_keep_alive_selected), self);
  /* the Ollama offer, or another window, may choose meanwhile */
  g_signal_connect_swapped (self->settings, "changed::models-dir", G_CALLBACK (show_folder), self);
  setup_server (self);
}

HearthPreferencesWindow *
hearth_preferences_window_new (GtkWindow *parent)
{
  /* The rows act on app.* actions: the window must belong to the application. */
  return g_object_new (HEARTH_TYPE_PREFERENCES_WINDOW,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "destroy-with-parent", TRUE,
                       NULL);
}
