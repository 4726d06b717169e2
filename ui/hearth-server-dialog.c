/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-server-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-server-dialog.h"
#include "hearth-remote.h"
#include "hearth-ui.h"

struct _HearthServerDialog
{
  AdwMessageDialog parent_instance;

  /* template children */
  AdwEntryRow *name_row;
  AdwComboRow *kind_row;
  AdwEntryRow *url_row;
  AdwEntryRow *key_row;
  AdwActionRow *forget_row;
  GtkSwitch *forget_switch;
  GtkLabel *url_message;

  /* owned */
  HearthRemoteServer *server;   /* the server changed; NULL when adding */
  char *name;                   /* trimmed, for _get_name () */
  char *hint;                   /* what url_message says while all is well */
};

G_DEFINE_FINAL_TYPE (HearthServerDialog, hearth_server_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* The kind row's choices, in the order of the .ui file's list */
static const HearthRemoteKind kinds[] = { HEARTH_REMOTE_OLLAMA, HEARTH_REMOTE_OPENAI };

/* The save response is offered for an address that can be used; else
 * the line under the rows says what is wrong with it. */
static void
check_url (HearthServerDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  gboolean empty;

  {
    g_autofree char *trimmed = g_strstrip (g_strdup (text));

    empty = *trimmed == '\0';
  }
  if (!empty)
    url = hearth_remote_normalize_url (hearth_server_dialog_get_kind (self), text, &error);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "save", url != NULL);
  if (url == NULL && !empty)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      gtk_label_set_text (self->url_message, error->message);
      gtk_widget_remove_css_class (GTK_WIDGET (self->url_message), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->url_message), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
      gtk_label_set_text (self->url_message, self->hint);
      gtk_widget_remove_css_class (GTK_WIDGET (self->url_message), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->url_message), "dim-label");
    }
}

static void
hearth_server_dialog_dispose (GObject *object)
{
  HearthServerDialog *self = HEARTH_SERVER_DIALOG (object);

  g_clear_object (&self->server);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_SERVER_DIALOG);
  G_OBJECT_CLASS (hearth_server_dialog_parent_class)->dispose (object);
}

static void
hearth_server_dialog_finalize (GObject *object)
{
  HearthServerDialog *self = HEARTH_SERVER_DIALOG (object);

  g_free (self->name);
  g_free (self->hint);
  G_OBJECT_CLASS (hearth_server_dialog_parent_class)->finalize (object);
}

static void
hearth_server_dialog_class_init (HearthServerDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_server_dialog_dispose;
  object_class->finalize = hearth_server_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-server-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, forget_row);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, forget_switch);
  gtk_widget_class_bind_template_child (widget_class, HearthServerDialog, url_message);
}

static void
hearth_server_dialog_init (HearthServerDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->hint = g_strdup (gtk_label_get_text (self->url_message));
  g_signal_connect_swapped (self->url_row, "changed", G_CALLBACK (check_url), self);
  g_signal_connect_swapped (self->kind_row, "notify::selected", G_CALLBACK (check_url), self);
}

HearthServerDialog *
hearth_server_dialog_new (GtkWindow          *parent,
                          HearthRemoteServer *server,
                          gboolean            has_key)
{
  HearthServerDialog *self = g_object_new (HEARTH_TYPE_SERVER_DIALOG,
                                           "transient-for", parent,
                                           "modal", TRUE,
                                           "destroy-with-parent", TRUE,
                                           NULL);

  if (server == NULL)
    {
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Add a Server"));
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                                   _("Chats can use the models of an Ollama server, of another "
                                     "Hearth (hearth serve) or of an OpenAI-compatible server."));
    }
  else
    {
      self->server = g_object_ref (server);
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Change the Server"));
      adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "save", _("_Save"));
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), hearth_remote_server_get_name (server));
      adw_combo_row_set_selected (self->kind_row,
                                  hearth_remote_server_get_kind (server) == HEARTH_REMOTE_OPENAI);
      gtk_editable_set_text (GTK_EDITABLE (self->url_row), hearth_remote_server_get_url (server));
      if (has_key)
        {
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row),
                                         _("New API Key (Empty Keeps the Saved One)"));
          gtk_widget_set_visible (GTK_WIDGET (self->forget_row), TRUE);
        }
    }
  check_url (self);
  gtk_widget_grab_focus (GTK_WIDGET (server == NULL ? self->url_row : self->name_row));
  return self;
}

HearthRemoteServer *
hearth_server_dialog_get_server (HearthServerDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), NULL);
  return self->server;
}

const char *
hearth_server_dialog_get_name (HearthServerDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), NULL);
  g_free (self->name);
  self->name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  return self->name;
}

HearthRemoteKind
hearth_server_dialog_get_kind (HearthServerDialog *self)
{
  guint i = adw_combo_row_get_selected (self->kind_row);

  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), HEARTH_REMOTE_OLLAMA);
  return i < G_N_ELEMENTS (kinds) ? kinds[i] : HEARTH_REMOTE_OLLAMA;
}

const char *
hearth_server_dialog_get_url (HearthServerDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->url_row));
}

char *
hearth_server_dialog_dup_key (HearthServerDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), NULL);
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_row))));
}

gboolean
hearth_server_dialog_get_forget_key (HearthServerDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER_DIALOG (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->forget_row))
         && gtk_switch_get_active (self->forget_switch);
}
