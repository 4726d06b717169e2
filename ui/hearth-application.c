/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hearth-app-server.h"
#include "hearth-application.h"

struct _HearthApplication
{
  AdwApplication parent_instance;

  /* owned */
  GSettings *settings;
  HearthContext *context;     /* the services, shared with every window */
  gboolean downloads_watched; /* model_added_cb () is connected */
  HearthAppServer *server;    /* "Let other programs use Hearth", on the context */

  /* set by main.c (or a test) */
  HearthWindowFactory window_factory;
  gpointer window_factory_data;
};

G_DEFINE_TYPE (HearthApplication, hearth_application, ADW_TYPE_APPLICATION)

G_DEFINE_QUARK (hearth-application-error-quark, hearth_application_error)

static AdwColorScheme
parse_color_scheme (const char *value)
{
  if (g_strcmp0 (value, "light") == 0)
    return ADW_COLOR_SCHEME_FORCE_LIGHT;
  if (g_strcmp0 (value, "dark") == 0)
    return ADW_COLOR_SCHEME_FORCE_DARK;
  return ADW_COLOR_SCHEME_DEFAULT;
}

static void
apply_color_scheme (HearthApplication *self)
{
  g_autofree char *value = g_settings_get_string (self->settings, "color-scheme");
  AdwStyleManager *style_manager = adw_application_get_style_manager (ADW_APPLICATION (self));

  adw_style_manager_set_color_scheme (style_manager, parse_color_scheme (value));
}

static void
color_scheme_changed_cb (GSettings         *settings,
                         const char        *key,
                         HearthApplication *self)
{
  apply_color_scheme (self);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  HearthApplication *self = user_data;

  /* Close each window as a person would, so that each saves its state. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }
  g_application_quit (G_APPLICATION (self));
}

static void
new_window_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  hearth_application_open_window (HEARTH_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  { "new-window", new_window_activated, NULL, NULL, NULL, { 0 } },
};

static const struct
{
  const char *action;
  const char *accels[3];
} app_accels[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.new-window", { "<Control><Shift>n", NULL } },
  { "win.new-chat", { "<Control>n", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.delete-chat", { "<Control>Delete", NULL } },
  { "win.rename-chat", { "F2", NULL } },
  { "win.preferences", { "<Control>comma", NULL } },
  { "win.chat-settings", { "F9", NULL } },
  { "window.close", { "<Control>w", NULL } },
};

static void
hearth_application_startup (GApplication *app)
{
  HearthApplication *self = HEARTH_APPLICATION (app);
  g_autoptr (GAction) color_scheme = NULL;

  G_APPLICATION_CLASS (hearth_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  color_scheme = g_settings_create_action (self->settings, "color-scheme");
  g_action_map_add_action (G_ACTION_MAP (self), color_scheme);

  for (gsize i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), app_accels[i].action,
                                           app_accels[i].accels);

  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (color_scheme_changed_cb), self, 0);
  apply_color_scheme (self);

  /* downloads that were under way when Hearth last stopped go on */
  hearth_downloads_restore (hearth_application_get_downloads (self));

  /* the server for other programs, where the settings say so: on the same
   * context as the windows, so that both use the models loaded */
  self->server = hearth_app_server_new (self->context, self->settings);
}

static void
hearth_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window != NULL)
    gtk_window_present (window);
  else
    hearth_application_open_window (HEARTH_APPLICATION (app));
}

static void
hearth_application_finalize (GObject *object)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  if (self->downloads_watched)
    g_signal_handlers_disconnect_by_data (hearth_context_get_downloads (self->context), self);
  g_clear_object (&self->server);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hearth_application_parent_class)->finalize (object);
}

static void
hearth_application_class_init (HearthApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = hearth_application_finalize;
  app_class->startup = hearth_application_startup;
  app_class->activate = hearth_application_activate;
}

static void
hearth_application_init (HearthApplication *self)
{
  self->settings = g_settings_new (APPLICATION_ID);
  self->context = hearth_context_new (self->settings);
}

/* ---- public API ---------------------------------------------------------- */

HearthApplication *
hearth_application_new (GApplicationFlags   flags,
                        GError            **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_set_error (error, HEARTH_APPLICATION_ERROR, HEARTH_APPLICATION_ERROR_NO_SCHEMA,
                   _("The settings schema %s is not installed. Install Hearth with "
                     "“meson install -C build”, or start it from the build directory "
                     "with “meson devenv -C build hearth”."),
                   APPLICATION_ID);
      return NULL;
    }

  return g_object_new (HEARTH_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", flags,
                       "resource-base-path", RESOURCE_BASE,
                       NULL);
}

void
hearth_application_set_window_factory (HearthApplication   *self,
                                       HearthWindowFactory  factory,
                                       gpointer             user_data)
{
  g_return_if_fail (HEARTH_IS_APPLICATION (self));

  self->window_factory = factory;
  self->window_factory_data = user_data;
}

GSettings *
hearth_application_get_settings (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);

  return self->settings;
}

GtkWindow *
hearth_application_open_window (HearthApplication *self)
{
  GtkWindow *window;

  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);

  if (self->window_factory == NULL)
    {
      g_warning ("No window factory set; cannot open a window");
      return NULL;
    }

  window = self->window_factory (self, self->window_factory_data);
  if (window == NULL)
    return NULL;

  if (gtk_window_get_application (window) == NULL)
    gtk_window_set_application (window, GTK_APPLICATION (self));
  gtk_window_present (window);
  return window;
}

HearthContext *
hearth_application_get_context (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return self->context;
}

HearthAppServer *
hearth_application_get_server (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return self->server;
}

HearthLibrary *
hearth_application_get_library (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return hearth_context_get_library (self->context);
}

/* A model arrived: said by a notification when no Hearth window has the
 * focus (a window that has it shows its own toast). */
static void
model_added_cb (HearthDownloads   *downloads,
                const char        *name,
                HearthApplication *self)
{
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (gtk_window_is_active (l->data))
      return;
  /* Without a session bus (a server, a container, SSH) nobody can be told:
   * GLib's notification backends need a connection and fail loudly
   * without one. The Downloads list already shows the model as ready. */
  if (g_application_get_dbus_connection (G_APPLICATION (self)) == NULL)
    {
      g_debug ("no session bus: “%s” is ready, but no notification is sent", name);
      return;
    }
  notification = g_notification_new (_("Download Finished"));
  body = g_strdup_printf (_("“%s” is ready to use."), name);
  g_notification_set_body (notification, body);
  id = g_strdup_printf ("download-%s", name);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

HearthDownloads *
hearth_application_get_downloads (HearthApplication *self)
{
  HearthDownloads *downloads;

  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);

  downloads = hearth_context_get_downloads (self->context);
  if (!self->downloads_watched)
    {
      g_signal_connect (downloads, "model-added", G_CALLBACK (model_added_cb), self);
      self->downloads_watched = TRUE;
    }
  return downloads;
}

char *
hearth_application_ollama_offer (HearthApplication *self,
                                 guint             *n_models)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return hearth_context_ollama_offer (self->context, n_models);
}

void
hearth_application_answer_ollama_offer (HearthApplication *self,
                                        const char        *root,
                                        gboolean           use)
{
  g_return_if_fail (HEARTH_IS_APPLICATION (self));
  hearth_application_get_downloads (self);
  hearth_context_answer_ollama_offer (self->context, root, use);
}

gboolean
hearth_application_set_models_dir (HearthApplication  *self,
                                   const char         *dir,
                                   GError            **error)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), FALSE);
  hearth_application_get_downloads (self);
  return hearth_context_set_models_dir (self->context, dir, error);
}

/* ---- chats ------------------------------------------------------------------- */

HearthChatStore *
hearth_application_get_chat_store (HearthApplication  *self,
                                   GError            **error)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return hearth_context_get_chat_store (self->context, error);
}

HearthEngine *
hearth_application_get_engine (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return hearth_context_get_engine (self->context);
}

HearthConversation *
hearth_application_get_conversation (HearthApplication *self,
                                     gint64             chat_id)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);
  return hearth_context_get_conversation (self->context, chat_id);
}
