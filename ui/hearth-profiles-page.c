/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-profiles-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-profile-editor.h"
#include "hearth-profile.h"
#include "hearth-profiles-page.h"
#include "hearth-ui.h"

struct _HearthProfilesPage
{
  AdwBin parent_instance;

  /* template children */
  GtkStack *stack;              /* the bin's child: not bound (gtk_widget_dispose_template ()
                                   would unparent it behind AdwBin's back) */
  GtkListBox *list;

  /* owned */
  HearthLibrary *library;
  GtkStringList *names;         /* the rows, by profile name */
  GHashTable *infos;            /* name → HearthProfileInfo */
  GtkFileChooserNative *chooser;

  /* borrowed */
  AdwToastOverlay *toasts;
};

G_DEFINE_FINAL_TYPE (HearthProfilesPage, hearth_profiles_page, ADW_TYPE_BIN)

static void
toast (HearthProfilesPage *self,
       const char         *text)
{
  if (self->toasts != NULL)
    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

static GtkWindow *
parent_window (HearthProfilesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static HearthStore *
store (HearthProfilesPage *self)
{
  return hearth_library_get_store (self->library);
}

/* ---- the list ---------------------------------------------------------------- */

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (user_data);
  const char *name = gtk_string_object_get_string (GTK_STRING_OBJECT (item));
  HearthProfileInfo *info = g_hash_table_lookup (self->infos, name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_menu_button_new ();
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autofree char *from = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *tooltip = g_strdup_printf (_("Actions for “%s”"), name);
  GVariant *target = g_variant_new_string (name);
  const char *items[][2] = {
    { N_("_Edit…"), "profiles.edit" },
    { N_("_Duplicate…"), "profiles.duplicate" },
    { N_("E_xport Modelfile…"), "profiles.export" },
    { N_("_Delete…"), "profiles.delete" },
  };

  g_variant_ref_sink (target);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr (GMenuItem) mi = g_menu_item_new (_(items[i][0]), NULL);

      g_menu_item_set_action_and_target_value (mi, items[i][1], target);
      g_menu_append_item (menu, mi);
    }
  g_variant_unref (target);

  from = info != NULL && info->base != NULL ? g_strdup_printf (_("from %s"), info->base)
                                            : g_strdup ("");
  subtitle = info != NULL && info->summary != NULL && *info->summary != '\0'
               ? g_strconcat (from, "\n", info->summary, NULL)
               : g_strdup (from);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  /* a click on the row edits it */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "profiles.edit");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", name);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  return row;
}

/* Whether @profiles are those the rows show, as they show them. */
static gboolean
same_profiles (HearthProfilesPage *self,
               GPtrArray          *profiles)
{
  if (profiles->len != g_list_model_get_n_items (G_LIST_MODEL (self->names)))
    return FALSE;
  for (guint i = 0; i < profiles->len; i++)
    {
      HearthProfileInfo *info = profiles->pdata[i];
      HearthProfileInfo *shown = g_hash_table_lookup (self->infos, info->name);

      if (shown == NULL
          || g_strcmp0 (gtk_string_list_get_string (self->names, i), info->name) != 0
          || g_strcmp0 (shown->base, info->base) != 0
          || g_strcmp0 (shown->summary, info->summary) != 0)
        return FALSE;
    }
  return TRUE;
}

void
hearth_profiles_page_reload (HearthProfilesPage *self)
{
  g_autoptr (GPtrArray) profiles = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  g_return_if_fail (HEARTH_IS_PROFILES_PAGE (self));

  if (self->library == NULL)
    return;
  profiles = hearth_profile_list (store (self), &error);
  if (profiles == NULL)
    {
      g_warning ("cannot list the profiles: %s", error->message);
      profiles = g_ptr_array_new ();
    }
  /* nothing changed: the rows stay (a menu open on one stays open) */
  if (same_profiles (self, profiles))
    return;
  g_hash_table_remove_all (self->infos);
  for (guint i = 0; i < profiles->len; i++)
    {
      HearthProfileInfo *info = profiles->pdata[i];

      profiles->pdata[i] = NULL;
      g_hash_table_replace (self->infos, info->name, info);
      g_ptr_array_add (names, info->name);
    }
  g_ptr_array_add (names, NULL);
  /* every row made anew: a profile changed in place shows its new summary */
  gtk_string_list_splice (self->names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->names)),
                          (const char *const *) names->pdata);
  gtk_stack_set_visible_child_name (self->stack, profiles->len > 0 ? "list" : "empty");
}

/* ---- the editor -------------------------------------------------------------- */

static void
editor_saved_cb (HearthProfileEditor *editor,
                 const char          *name,
                 HearthProfilesPage  *self)
{
  g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);

  hearth_library_refresh (self->library);
  hearth_profiles_page_reload (self);
  toast (self, text);
}

static void
open_editor (HearthProfilesPage      *self,
             HearthProfileEditorMode  mode,
             const char              *name)
{
  g_autoptr (GError) error = NULL;
  HearthProfileEditor *editor = hearth_profile_editor_new (parent_window (self), self->library,
                                                           mode, name, &error);

  if (editor == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("“%s” cannot be opened: %s"), name,
                                               error->message);

      hearth_ui_show_failure (GTK_WIDGET (self), _("Cannot Open the Profile"), text);
      return;
    }
  g_signal_connect_object (editor, "saved", G_CALLBACK (editor_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
new_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  open_editor (HEARTH_PROFILES_PAGE (widget), HEARTH_PROFILE_EDITOR_NEW, NULL);
}

static void
edit_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  open_editor (HEARTH_PROFILES_PAGE (widget), HEARTH_PROFILE_EDITOR_EDIT,
               g_variant_get_string (parameter, NULL));
}

static void
duplicate_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  open_editor (HEARTH_PROFILES_PAGE (widget), HEARTH_PROFILE_EDITOR_DUPLICATE,
               g_variant_get_string (parameter, NULL));
}

/* ---- delete ------------------------------------------------------------------ */

static void
delete_response_cb (AdwMessageDialog   *dialog,
                    const char         *response,
                    HearthProfilesPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "profile-name");
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  /* the base's blobs stay: the base model uses them */
  if (!hearth_store_remove (store (self), name, NULL, &error))
    {
      text = g_strdup_printf (_("“%s” was not deleted: %s"), name, error->message);
      hearth_ui_show_failure (GTK_WIDGET (self), _("Deletion Failed"), text);
      return;
    }
  hearth_library_refresh (self->library);
  hearth_profiles_page_reload (self);
  text = g_strdup_printf (_("Deleted “%s”"), name);
  toast (self, text);
}

static void
delete_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  HearthProfileInfo *info = g_hash_table_lookup (self->infos, name);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (info != NULL && info->base != NULL)
    body = g_strdup_printf (_("Its system prompt and settings go; the model it was made from, "
                              "“%s”, stays."), info->base);
  else
    body = g_strdup (_("Its system prompt and settings go; the model it was made from stays."));
  dialog = adw_message_dialog_new (parent_window (self), NULL, body);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Delete “%s”?"), name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "profile-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- export ------------------------------------------------------------------ */

static void
export_response_cb (GtkNativeDialog    *chooser,
                    int                 response,
                    HearthProfilesPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (chooser), "profile-name");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path != NULL)
    {
      modelfile = hearth_profile_to_modelfile (store (self), name, HEARTH_PROFILE_FROM_BASE,
                                               &error);
      if (modelfile != NULL)
        text = hearth_modelfile_to_string (modelfile);
      /* written whole or not at all */
      if (text != NULL && g_file_set_contents (path, text, -1, &error))
        {
          g_autofree char *done = g_strdup_printf (_("Exported “%s”"), name);

          toast (self, done);
        }
      else
        {
          g_autofree char *failed = g_strdup_printf (_("“%s” was not exported: %s"), name,
                                                     error->message);

          hearth_ui_show_failure (GTK_WIDGET (self), _("Export Failed"), failed);
        }
    }
  hearth_ui_clear_chooser (&self->chooser, self);
}

static void
export_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  g_autofree char *file_name = NULL;

  hearth_ui_clear_chooser (&self->chooser, self);
  self->chooser = gtk_file_chooser_native_new (_("Export a Modelfile"), parent_window (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  /* "mario:latest" → "mario.Modelfile" */
  file_name = g_strdup (name);
  if (g_str_has_suffix (file_name, ":latest"))
    file_name[strlen (file_name) - strlen (":latest")] = '\0';
  g_strdelimit (file_name, ":/\\", '-');
  {
    g_autofree char *full = g_strconcat (file_name, ".Modelfile", NULL);

    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), full);
  }
  g_object_set_data_full (G_OBJECT (self->chooser), "profile-name", g_strdup (name), g_free);
  g_signal_connect (self->chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- import ------------------------------------------------------------------ */

typedef struct
{
  HearthStore *store;
  char *name;
  HearthModelfile *modelfile;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_clear_object (&job->store);
  g_free (job->name);
  hearth_modelfile_free (job->modelfile);
  g_free (job);
}

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportJob *job = task_data;
  GError *error = NULL;

  if (hearth_profile_create (job->store, job->name, job->modelfile, NULL, NULL, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (source);
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean made = g_task_propagate_boolean (G_TASK (result), &error);

  /* the window was closed meanwhile: the profile is made all the same,
   * and the library sees it on its own */
  if (self->library == NULL)
    return;
  if (!made)
    {
      text = g_strdup_printf (_("“%s” was not made: %s"), job->name, error->message);
      hearth_ui_show_failure (GTK_WIDGET (self), _("Import Failed"), text);
      return;
    }
  hearth_library_refresh (self->library);
  hearth_profiles_page_reload (self);
  text = g_strdup_printf (_("Imported “%s”"), job->name);
  toast (self, text);
}

/* A profile name from a file's name: "Mario.Modelfile" → "mario". */
static char *
name_from_file (HearthProfilesPage *self,
                const char         *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  g_autofree char *lower = NULL;
  g_autofree char *checked = NULL;

  if (dot != NULL && dot != base)
    *dot = '\0';
  lower = g_ascii_strdown (base, -1);
  for (char *c = lower; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '-' && *c != '_')
      *c = '-';
  checked = hearth_profile_editor_check_name (self->library, lower, NULL, NULL);
  return checked != NULL ? g_steal_pointer (&lower) : g_strdup ("profile");
}

static void
import_name_changed_cb (GtkEditable      *entry,
                        AdwMessageDialog *dialog)
{
  HearthProfilesPage *self = g_object_get_data (G_OBJECT (dialog), "page");
  GtkLabel *note = g_object_get_data (G_OBJECT (dialog), "note");
  g_autoptr (GError) error = NULL;
  gboolean exists = FALSE;
  g_autofree char *name = hearth_profile_editor_check_name (self->library,
                                                            gtk_editable_get_text (entry),
                                                            &exists, &error);

  adw_message_dialog_set_response_enabled (dialog, "import", name != NULL);
  adw_message_dialog_set_response_label (dialog, "import", exists ? _("_Replace")
                                                                  : _("_Import"));
  adw_message_dialog_set_response_appearance (dialog, "import",
                                              exists ? ADW_RESPONSE_DESTRUCTIVE
                                                     : ADW_RESPONSE_SUGGESTED);
  if (name != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  if (name == NULL)
    gtk_label_set_text (note, error->message);
  else if (exists)
    gtk_label_set_text (note, _("A model of this name exists: importing replaces it."));
  else
    gtk_label_set_text (note, "");
  gtk_widget_set_visible (GTK_WIDGET (note), name == NULL || exists);
}

static void
import_entry_activate_cb (GtkEntry         *entry,
                          AdwMessageDialog *dialog)
{
  if (!adw_message_dialog_get_response_enabled (dialog, "import"))
    return;
  adw_message_dialog_response (dialog, "import");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
import_response_cb (AdwMessageDialog   *dialog,
                    const char         *response,
                    HearthProfilesPage *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  HearthModelfile *modelfile = g_object_get_data (G_OBJECT (dialog), "modelfile");
  g_autoptr (GTask) task = NULL;
  g_autofree char *text = NULL;
  ImportJob *job;

  if (g_strcmp0 (response, "import") != 0)
    return;
  g_object_set_data (G_OBJECT (dialog), "hearth-answered", GINT_TO_POINTER (1));
  job = g_new0 (ImportJob, 1);
  job->name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  job->modelfile = modelfile;
  g_object_steal_data (G_OBJECT (dialog), "modelfile");
  text = g_strdup_printf (_("Making “%s”…"), job->name);
  toast (self, text);
  /* writing the layers and hashing them, or copying a GGUF file named by
   * FROM: not on the main thread */
  job->store = g_object_ref (store (self));
  task = g_task_new (self, NULL, import_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
}

/* Parses @path and asks for the profile's name. */
static void
ask_import (HearthProfilesPage *self,
            const char         *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelfile) modelfile = hearth_modelfile_parse_file (path, &error);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;
  GtkWidget *box, *entry, *note, *dialog;

  if (modelfile == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("“%s” cannot be read as a Modelfile: %s"), base,
                                               error->message);

      hearth_ui_show_failure (GTK_WIDGET (self), _("Cannot Import the Modelfile"), text);
      return;
    }
  name = name_from_file (self, path);
  body = g_strdup_printf (_("A profile made from “%s”. Name it:"), modelfile->from);
  dialog = adw_message_dialog_new (parent_window (self), NULL, body);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Import “%s”"), base);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry = gtk_entry_new ();
  note = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (note), TRUE);
  gtk_label_set_xalign (GTK_LABEL (note), 0);
  gtk_widget_add_css_class (note, "caption");
  gtk_widget_add_css_class (note, "error");
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), note);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Profile name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "import", _("_Import"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "import",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "import");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "note", note);
  g_object_set_data (G_OBJECT (dialog), "page", self);
  g_object_set_data_full (G_OBJECT (dialog), "modelfile", g_steal_pointer (&modelfile),
                          (GDestroyNotify) hearth_modelfile_free);
  g_signal_connect (entry, "changed", G_CALLBACK (import_name_changed_cb), dialog);
  g_signal_connect (entry, "activate", G_CALLBACK (import_entry_activate_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (import_response_cb), self, 0);
  gtk_editable_set_text (GTK_EDITABLE (entry), name);
  import_name_changed_cb (GTK_EDITABLE (entry), ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
import_chooser_response_cb (GtkNativeDialog    *chooser,
                            int                 response,
                            HearthProfilesPage *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file != NULL ? g_file_get_path (file) : NULL;
  hearth_ui_clear_chooser (&self->chooser, self);
  if (path != NULL)
    ask_import (self, path);
}

static void
import_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (widget);

  hearth_ui_clear_chooser (&self->chooser, self);
  self->chooser = gtk_file_chooser_native_new (_("Import a Modelfile"), parent_window (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (import_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- the object -------------------------------------------------------------- */

static void
hearth_profiles_page_dispose (GObject *object)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (object);

  hearth_ui_clear_chooser (&self->chooser, self);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  g_clear_object (&self->library);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PROFILES_PAGE);
  G_OBJECT_CLASS (hearth_profiles_page_parent_class)->dispose (object);
}

static void
hearth_profiles_page_finalize (GObject *object)
{
  HearthProfilesPage *self = HEARTH_PROFILES_PAGE (object);

  g_clear_object (&self->names);
  g_clear_pointer (&self->infos, g_hash_table_unref);
  G_OBJECT_CLASS (hearth_profiles_page_parent_class)->finalize (object);
}

static void
hearth_profiles_page_class_init (HearthProfilesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_profiles_page_dispose;
  object_class->finalize = hearth_profiles_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-profiles-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthProfilesPage, list);
  gtk_widget_class_install_action (widget_class, "profiles.new", NULL, new_activated);
  gtk_widget_class_install_action (widget_class, "profiles.import", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "profiles.edit", "s", edit_activated);
  gtk_widget_class_install_action (widget_class, "profiles.duplicate", "s",
                                   duplicate_activated);
  gtk_widget_class_install_action (widget_class, "profiles.export", "s", export_activated);
  gtk_widget_class_install_action (widget_class, "profiles.delete", "s", delete_activated);
}

static void
hearth_profiles_page_init (HearthProfilesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));
  self->names = gtk_string_list_new (NULL);
  self->infos = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) hearth_profile_info_free);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->names), create_row, self, NULL);
}

void
hearth_profiles_page_set_library (HearthProfilesPage *self,
                                  HearthLibrary      *library,
                                  AdwToastOverlay    *toasts)
{
  g_return_if_fail (HEARTH_IS_PROFILES_PAGE (self));
  g_return_if_fail (HEARTH_IS_LIBRARY (library));

  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  g_set_object (&self->library, library);
  self->toasts = toasts;
  /* the store changed (here, on the command line, by Ollama): read again */
  g_signal_connect_swapped (library, "items-changed", G_CALLBACK (hearth_profiles_page_reload),
                            self);
  hearth_profiles_page_reload (self);
}
