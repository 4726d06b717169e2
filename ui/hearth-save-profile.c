/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-save-profile"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-model-name.h"
#include "hearth-profile.h"
#include "hearth-save-profile.h"

typedef struct
{
  /* borrowed: the dialog's children */
  AdwMessageDialog *dialog;
  GtkEntry *entry;
  GtkLabel *message;

  /* owned */
  GtkWidget *parent;            /* weak: where the toast goes */
  HearthLibrary *library;
  char *model;
  JsonObject *settings;
} SaveDialog;

static void
save_dialog_free (SaveDialog *d)
{
  g_clear_weak_pointer (&d->parent);
  g_clear_object (&d->library);
  g_free (d->model);
  g_clear_pointer (&d->settings, json_object_unref);
  g_free (d);
}

typedef struct
{
  GtkWidget *parent;            /* weak */
  HearthLibrary *library;
  HearthStore *store;
  char *name;
  HearthModelfile *modelfile;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_clear_weak_pointer (&job->parent);
  g_clear_object (&job->library);
  g_clear_object (&job->store);
  g_free (job->name);
  g_clear_pointer (&job->modelfile, hearth_modelfile_free);
  g_free (job);
}

/* @value as the shortest text that reads back as the same float32, as a
 * PARAMETER line holds it. */
static char *
float_text (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 1; digits < 10; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if ((float) g_ascii_strtod (buf, NULL) == (float) value)
        break;
    }
  return g_strdup (buf);
}

static void
toast (GtkWidget  *parent,
       const char *text)
{
  GtkWidget *overlay = parent != NULL ? gtk_widget_get_ancestor (parent, ADW_TYPE_TOAST_OVERLAY) : NULL;

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

/* ---- writing ------------------------------------------------------------------ */

static void
save_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  SaveJob *job = data;
  g_autoptr (GError) error = NULL;

  if (hearth_profile_create (job->store, job->name, job->modelfile, NULL, NULL, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      text = g_strdup_printf (_("The profile was not saved: %s"), error->message);
      toast (job->parent, text);
      return;
    }
  /* in every model drop-down now, not only when the store's folders are
   * next looked at */
  hearth_library_refresh (job->library);
  text = g_strdup_printf (_("Saved as the profile “%s”"), job->name);
  toast (job->parent, text);
}

/* ---- the dialog ----------------------------------------------------------------- */

/* The name typed, as the store writes it ("pirate:latest"), or NULL with
 * why not in @error. */
static char *
profile_name (const char  *text,
              GError     **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  g_autoptr (HearthModelName) name = NULL;

  if (*trimmed == '\0')
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME, _("Type a name"));
      return NULL;
    }
  name = hearth_model_name_parse (trimmed, error);
  return name != NULL ? hearth_model_name_to_string (name) : NULL;
}

static gboolean
model_exists (HearthLibrary *library,
              const char    *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (library)); i++)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (G_LIST_MODEL (library), i);

      if (g_str_equal (hearth_model_item_get_name (item), name))
        return TRUE;
    }
  return FALSE;
}

/* Checked as it is typed: an invalid name says why and cannot be saved;
 * one that exists turns the button into "Replace". */
static void
name_changed_cb (GtkEditable *entry,
                 SaveDialog  *d)
{
  const char *typed = gtk_editable_get_text (entry);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = profile_name (typed, &error);
  g_autofree char *text = NULL;
  gboolean exists = FALSE;

  if (name != NULL && g_strcmp0 (name, d->model) == 0)
    {
      /* (a profile FROM itself) */
      g_clear_pointer (&name, g_free);
      text = g_strdup (_("This is the chat’s model; choose another name"));
    }
  else if (name == NULL)
    text = g_strdup (*typed != '\0' ? error->message : "");
  else if ((exists = model_exists (d->library, name)))
    text = g_strdup_printf (_("A model named “%s” exists: saving replaces it"), name);
  gtk_label_set_label (d->message, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (d->message), text != NULL && *text != '\0');
  if (name == NULL && *typed != '\0')
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  adw_message_dialog_set_response_enabled (d->dialog, "save", name != NULL);
  adw_message_dialog_set_response_label (d->dialog, "save", exists ? _("_Replace") : _("_Save"));
  adw_message_dialog_set_response_appearance (d->dialog, "save",
                                              exists ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             SaveDialog       *d)
{
  g_autofree char *name = NULL;
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  SaveJob *job;

  if (!g_str_equal (response, "save"))
    return;
  name = profile_name (gtk_editable_get_text (GTK_EDITABLE (d->entry)), NULL);
  if (name == NULL)
    return;
  modelfile = hearth_save_profile_modelfile (d->model, d->settings);
  if (!hearth_modelfile_check (modelfile, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The profile was not saved: %s"), error->message);

      toast (d->parent, text);
      return;
    }
  job = g_new0 (SaveJob, 1);
  g_set_weak_pointer (&job->parent, d->parent);
  job->library = g_object_ref (d->library);
  job->store = g_object_ref (hearth_library_get_store (d->library));
  job->name = g_steal_pointer (&name);
  job->modelfile = g_steal_pointer (&modelfile);
  task = g_task_new (NULL, NULL, saved_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_thread);
}

/* ---- public ---------------------------------------------------------------------- */

HearthModelfile *
hearth_save_profile_modelfile (const char *model,
                               JsonObject *settings)
{
  g_autoptr (HearthModelfile) modelfile = hearth_modelfile_new ();
  g_autoptr (GList) members = NULL;

  g_return_val_if_fail (model != NULL && settings != NULL, NULL);

  modelfile->from = g_strdup (model);
  if (g_path_is_absolute (model))
    modelfile->from_path = g_strdup (model);
  members = json_object_get_members (settings);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (settings, name);

      if (g_str_equal (name, "system") && JSON_NODE_HOLDS_VALUE (node))
        modelfile->system = g_strdup (json_node_get_string (node));
      else if (g_str_equal (name, "stop") && JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *stop = json_node_get_array (node);

          /* (an empty list, "none of the model's", has no PARAMETER line:
           * the profile keeps the model's) */
          for (guint i = 0; i < json_array_get_length (stop); i++)
            hearth_modelfile_add_parameter (modelfile, "stop", json_array_get_string_element (stop, i));
        }
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
        {
          g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

          hearth_modelfile_add_parameter (modelfile, name, text);
        }
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
        {
          g_autofree char *text = float_text (json_node_get_double (node));

          hearth_modelfile_add_parameter (modelfile, name, text);
        }
    }
  return g_steal_pointer (&modelfile);
}

GtkWindow *
hearth_save_profile (GtkWidget     *parent,
                     HearthLibrary *library,
                     const char    *model,
                     JsonObject    *settings)
{
  SaveDialog *d;
  GtkWidget *box;
  g_autofree char *body = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (parent) && HEARTH_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (model != NULL && settings != NULL, NULL);

  d = g_new0 (SaveDialog, 1);
  g_set_weak_pointer (&d->parent, parent);
  d->library = g_object_ref (library);
  d->model = g_strdup (model);
  /* a copy (json-glib's copies share their members): what the chat has now */
  {
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), settings);
    g_autofree char *text = json_to_string (node, FALSE);
    g_autoptr (JsonParser) parser = json_parser_new ();

    if (json_parser_load_from_data (parser, text, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
      d->settings = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    else
      d->settings = json_object_new ();
  }

  shown = g_path_is_absolute (model) ? g_path_get_basename (model) : g_strdup (model);
  body = g_strdup_printf (_("A new model made from “%s” with this chat’s system prompt and "
                            "settings, for other chats to use."), shown);
  d->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (parent)),
                                                          _("Save as Profile"), body));
  adw_message_dialog_add_responses (d->dialog, "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (d->dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (d->dialog, "save");
  adw_message_dialog_set_close_response (d->dialog, "cancel");
  adw_message_dialog_set_response_enabled (d->dialog, "save", FALSE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  d->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_widget_set_name (GTK_WIDGET (d->entry), "profile-name");
  gtk_entry_set_placeholder_text (d->entry, _("Name, such as pirate"));
  gtk_entry_set_activates_default (d->entry, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (d->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Profile Name"), -1);
  d->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (d->message, TRUE);
  gtk_label_set_xalign (d->message, 0);
  gtk_widget_add_css_class (GTK_WIDGET (d->message), "caption");
  gtk_widget_set_visible (GTK_WIDGET (d->message), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (d->entry));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (d->message));
  adw_message_dialog_set_extra_child (d->dialog, box);

  g_object_set_data_full (G_OBJECT (d->dialog), "hearth-save-profile", d,
                          (GDestroyNotify) save_dialog_free);
  g_signal_connect (d->entry, "changed", G_CALLBACK (name_changed_cb), d);
  g_signal_connect (d->dialog, "response", G_CALLBACK (response_cb), d);
  gtk_window_present (GTK_WINDOW (d->dialog));
  gtk_widget_grab_focus (GTK_WIDGET (d->entry));
  return GTK_WINDOW (d->dialog);
}
