/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-servers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-servers-page.h"
#include "hearth-application.h"
#include "hearth-context.h"
#include "hearth-engine.h"
#include "hearth-remote.h"
#include "hearth-remote-servers.h"
#include "hearth-server-dialog.h"

struct _HearthServersPage
{
  AdwPreferencesPage parent_instance;

  /* template children */
  GtkListBox *list;

  /* owned */
  HearthRemoteServers *servers;
  GHashTable *checks;           /* server id → what its check found, shown in its row */
  GHashTable *key_errors;       /* server id → why its key was not kept */
  GHashTable *keys;             /* server ids with a saved key */
  GCancellable *cancellable;    /* the checks and keyring questions under way */
};

G_DEFINE_FINAL_TYPE (HearthServersPage, hearth_servers_page, ADW_TYPE_PREFERENCES_PAGE)

static void
toast (HearthServersPage *self,
       const char        *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
}

/* ---- the rows ------------------------------------------------------------------ */

static const char *
kind_label (HearthRemoteKind kind)
{
  return kind == HEARTH_REMOTE_OPENAI ? _("OpenAI-compatible") : _("Ollama");
}

static void
update_row (HearthServersPage *self,
            GtkWidget         *row)
{
  const char *id = g_object_get_data (G_OBJECT (row), "hearth-server-id");
  HearthRemoteServer *server = hearth_remote_servers_lookup (self->servers, id);
  const char *check = g_hash_table_lookup (self->checks, id);
  const char *key_error = g_hash_table_lookup (self->key_errors, id);
  gboolean has_key = g_hash_table_contains (self->keys, id);
  g_autoptr (GString) subtitle = g_string_new (NULL);

  if (server == NULL)
    return;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hearth_remote_server_get_name (server));
  /* Translators: a server's kind and address, "Ollama · http://192.168.1.20:11434" */
  g_string_printf (subtitle, _("%s · %s"), kind_label (hearth_remote_server_get_kind (server)),
                   hearth_remote_server_get_url (server));
  if (has_key)
    g_string_append_printf (subtitle, "\n%s", _("API key saved"));
  if (check != NULL)
    g_string_append_printf (subtitle, "\n%s", check);
  if (key_error != NULL)
    g_string_append_printf (subtitle, "\n%s", key_error);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (row), "hearth-key-icon"), has_key);
}

static GtkWidget *
find_row (HearthServersPage *self,
          const char        *id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (child), "hearth-server-id"), id) == 0)
      return child;
  return NULL;
}

static void
update_server (HearthServersPage *self,
               const char        *id)
{
  GtkWidget *row;

  /* (an answer that comes after the page went) */
  if (self->servers == NULL || self->list == NULL)
    return;
  row = find_row (self, id);
  if (row != NULL)
    update_row (self, row);
}

static GtkWidget *
suffix_button (const char *icon,
               const char *tooltip,
               const char *action,
               const char *id)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (id));
  return button;
}

static void
server_notify_cb (HearthRemoteServer *server,
                  GParamSpec         *pspec,
                  GtkWidget          *row)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (gtk_widget_get_ancestor (row, HEARTH_TYPE_SERVERS_PAGE));

  if (self != NULL)
    update_row (self, row);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HearthServersPage *self = user_data;
  HearthRemoteServer *server = item;
  const char *id = hearth_remote_server_get_id (server);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *key = gtk_image_new_from_icon_name ("dialog-password-symbolic");

  gtk_widget_set_name (row, "server-row");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "hearth-server-id", g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (row), "hearth-key-icon", key);
  gtk_widget_set_tooltip_text (key, _("API key saved"));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), key);
  /* the row changes the server; its buttons check it and remove it */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "servers.edit");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (row), g_variant_new_string (id));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             suffix_button ("view-refresh-symbolic", _("Check the Server Again"),
                                            "servers.check", id));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             suffix_button ("user-trash-symbolic", _("Remove the Server"),
                                            "servers.remove", id));
  g_signal_connect_object (server, "notify", G_CALLBACK (server_notify_cb), row, 0);
  update_row (self, row);
  return row;
}

/* ---- checks and keys ------------------------------------------------------------ */

typedef struct
{
  HearthServersPage *self;      /* a reference */
  char *id;
} Job;

static Job *
job_new (HearthServersPage *self,
         const char        *id)
{
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->id = g_strdup (id);
  return job;
}

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_free (job->id);
  g_free (job);
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Job *job = user_data;
  HearthServersPage *self = job->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) models = hearth_remote_servers_list_models_finish (HEARTH_REMOTE_SERVERS (source),
                                                                           result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      job_free (job);
      return;
    }
  if (models == NULL)
    g_hash_table_replace (self->checks, g_strdup (job->id), g_strdup (error->message));
  else if (models->len == 0)
    g_hash_table_replace (self->checks, g_strdup (job->id), g_strdup (_("It answers, with no models")));
  else
    g_hash_table_replace (self->checks, g_strdup (job->id),
                          g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u model", "%u models",
                                                        models->len), models->len));
  update_server (self, job->id);
  job_free (job);
}

static void
check (HearthServersPage *self,
       const char        *id)
{
  g_hash_table_replace (self->checks, g_strdup (id), g_strdup (_("Checking…")));
  update_server (self, id);
  hearth_remote_servers_list_models_async (self->servers, id, self->cancellable, check_done_cb,
                                           job_new (self, id));
}

static void
has_key_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  gboolean has_key = hearth_remote_servers_has_key_finish (HEARTH_REMOTE_SERVERS (source), result,
                                                           &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      job_free (job);
      return;
    }
  /* no keyring: no key saved, and nothing to say until one is typed */
  if (has_key)
    g_hash_table_add (job->self->keys, g_strdup (job->id));
  else
    g_hash_table_remove (job->self->keys, job->id);
  update_server (job->self, job->id);
  job_free (job);
}

static void
set_key_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Job *job = user_data;
  HearthServersPage *self = job->self;
  g_autoptr (GError) error = NULL;

  if (!hearth_remote_servers_set_key_finish (HEARTH_REMOTE_SERVERS (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* said in the server's row: the server is there, without its key */
          g_autofree char *text = g_strdup_printf (_("The API key was not saved: %s"),
                                                   error->message);

          g_hash_table_replace (self->key_errors, g_strdup (job->id), g_steal_pointer (&text));
          update_server (self, job->id);
        }
      job_free (job);
      return;
    }
  g_hash_table_remove (self->key_errors, job->id);
  hearth_remote_servers_has_key_async (self->servers, job->id, self->cancellable, has_key_done_cb,
                                       job_new (self, job->id));
  /* the models as the server lists them with the key */
  check (self, job->id);
  job_free (job);
}

/* ---- actions ------------------------------------------------------------------------ */

static void
dialog_response_cb (HearthServerDialog *dialog,
                    const char         *response,
                    HearthServersPage  *self)
{
  HearthRemoteServer *server = hearth_server_dialog_get_server (dialog);
  g_autofree char *key = hearth_server_dialog_dup_key (dialog);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  if (g_strcmp0 (response, "save") != 0)
    return;
  if (server == NULL)
    {
      HearthRemoteServer *added = hearth_remote_servers_add (self->servers,
                                                             hearth_server_dialog_get_name (dialog),
                                                             hearth_server_dialog_get_kind (dialog),
                                                             hearth_server_dialog_get_url (dialog),
                                                             &error);

      if (added != NULL)
        id = g_strdup (hearth_remote_server_get_id (added));
    }
  else
    {
      id = g_strdup (hearth_remote_server_get_id (server));
      if (!hearth_remote_servers_change (self->servers, id, hearth_server_dialog_get_name (dialog),
                                         hearth_server_dialog_get_kind (dialog),
                                         hearth_server_dialog_get_url (dialog), &error))
        g_clear_pointer (&id, g_free);
    }
  if (id == NULL)
    {
      toast (self, error->message);
      return;
    }
  /* (checked at once; again once a key is kept, with it) */
  if (*key != '\0' || hearth_server_dialog_get_forget_key (dialog))
    hearth_remote_servers_set_key_async (self->servers, id, *key != '\0' ? key : NULL,
                                         self->cancellable, set_key_done_cb, job_new (self, id));
  check (self, id);
}

static void
open_dialog (HearthServersPage  *self,
             HearthRemoteServer *server)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  gboolean has_key = server != NULL
                     && g_hash_table_contains (self->keys, hearth_remote_server_get_id (server));
  HearthServerDialog *dialog = hearth_server_dialog_new (parent, server, has_key);

  g_signal_connect_object (dialog, "response", G_CALLBACK (dialog_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  open_dialog (HEARTH_SERVERS_PAGE (widget), NULL);
}

static void
edit_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (widget);
  HearthRemoteServer *server = hearth_remote_servers_lookup (self->servers,
                                                             g_variant_get_string (parameter, NULL));

  if (server != NULL)
    open_dialog (self, server);
}

static void
check_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);

  if (hearth_remote_servers_lookup (self->servers, id) != NULL)
    check (self, id);
}

static void
remove_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    HearthServersPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "hearth-server-id");
  HearthRemoteServer *server = hearth_remote_servers_lookup (self->servers, id);
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  if (g_strcmp0 (response, "remove") != 0 || server == NULL)
    return;
  name = g_strdup (hearth_remote_server_get_name (server));
  hearth_remote_servers_remove (self->servers, id);
  g_hash_table_remove (self->checks, id);
  g_hash_table_remove (self->key_errors, id);
  g_hash_table_remove (self->keys, id);
  text = g_strdup_printf (_("“%s” removed"), name);
  toast (self, text);
}

static void
remove_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  HearthRemoteServer *server = hearth_remote_servers_lookup (self->servers, id);
  GtkWidget *dialog;

  if (server == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), NULL,
                                   _("Chats that use its models get no more replies until "
                                     "another model is chosen. Its saved API key is removed "
                                     "too."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Remove “%s”?"),
                                     hearth_remote_server_get_name (server));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hearth-server-id", g_strdup (id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- the class ---------------------------------------------------------------------- */

static void
hearth_servers_page_dispose (GObject *object)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* (the list outlives the page a while: it must not follow the servers) */
  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->servers);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_SERVERS_PAGE);
  G_OBJECT_CLASS (hearth_servers_page_parent_class)->dispose (object);
}

static void
hearth_servers_page_finalize (GObject *object)
{
  HearthServersPage *self = HEARTH_SERVERS_PAGE (object);

  g_hash_table_unref (self->checks);
  g_hash_table_unref (self->key_errors);
  g_hash_table_unref (self->keys);
  G_OBJECT_CLASS (hearth_servers_page_parent_class)->finalize (object);
}

static void
hearth_servers_page_class_init (HearthServersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_servers_page_dispose;
  object_class->finalize = hearth_servers_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-servers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthServersPage, list);

  gtk_widget_class_install_action (widget_class, "servers.add", NULL, add_activated);
  gtk_widget_class_install_action (widget_class, "servers.edit", "s", edit_activated);
  gtk_widget_class_install_action (widget_class, "servers.check", "s", check_activated);
  gtk_widget_class_install_action (widget_class, "servers.remove", "s", remove_activated);
}

static void
hearth_servers_page_init (HearthServersPage *self)
{
  GApplication *app = g_application_get_default ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->key_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  if (!HEARTH_IS_APPLICATION (app))
    {
      /* (no application: a page with nothing to show) */
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "servers.add", FALSE);
      return;
    }
  self->servers = g_object_ref (hearth_context_get_servers (
    hearth_application_get_context (HEARTH_APPLICATION (app))));
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->servers), create_row, self, NULL);
  /* each server checked, and its key looked for, as the page opens */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr (HearthRemoteServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);
      const char *id = hearth_remote_server_get_id (server);

      hearth_remote_servers_has_key_async (self->servers, id, self->cancellable, has_key_done_cb,
                                           job_new (self, id));
      check (self, id);
    }
}

GtkWidget *
hearth_servers_page_new (void)
{
  return g_object_new (HEARTH_TYPE_SERVERS_PAGE, NULL);
}
