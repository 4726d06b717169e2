/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-models-window"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-application.h"
#include "hearth-chat-store.h"
#include "hearth-discover-page.h"
#include "hearth-download-row.h"
#include "hearth-models-window.h"
#include "hearth-profiles-page.h"
#include "hearth-ui.h"

struct _HearthModelsWindow
{
  AdwWindow parent_instance;

  HearthLibrary *library;
  HearthDownloads *downloads;
  AdwToastOverlay *toasts;
  AdwViewStack *view_stack;
  AdwPreferencesGroup *downloads_group;
  GtkListBox *downloads_list;
  HearthDiscoverPage *discover_page;
  HearthProfilesPage *profiles_page;
  GtkStack *stack;
  GtkListBox *list;
  GtkLabel *usage;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar *switcher_bar;
  GtkFilter *filter;
  GtkFilterListModel *filtered;
  guint reveal_id;              /* the bottom switcher to show or hide, soon */
};

G_DEFINE_FINAL_TYPE (HearthModelsWindow, hearth_models_window, ADW_TYPE_WINDOW)

/* "llama · 494.03M parameters · Q4_K_M · 379.4 MB" */
static char *
describe (HearthModelItem *item)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *size = g_format_size (hearth_model_item_get_size (item));

  if (hearth_model_item_get_family (item) != NULL)
    g_ptr_array_add (parts, g_strdup (hearth_model_item_get_family (item)));
  if (hearth_model_item_get_parameter_size (item) != NULL)
    g_ptr_array_add (parts, g_strdup_printf (_("%s parameters"),
                                             hearth_model_item_get_parameter_size (item)));
  if (hearth_model_item_get_quantization (item) != NULL)
    g_ptr_array_add (parts, g_strdup (hearth_model_item_get_quantization (item)));
  g_ptr_array_add (parts, g_steal_pointer (&size));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* A model shows when every word of the search is in its name, family or
 * quantization (any case). */
static gboolean
matches_search (gpointer item,
                gpointer user_data)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (user_data);
  HearthModelItem *model = HEARTH_MODEL_ITEM (item);
  g_autofree char *joined = g_strjoin (" ", hearth_model_item_get_name (model),
                                       hearth_model_item_get_family (model) != NULL
                                         ? hearth_model_item_get_family (model) : "",
                                       hearth_model_item_get_quantization (model) != NULL
                                         ? hearth_model_item_get_quantization (model) : "",
                                       NULL);

  return hearth_ui_search_matches (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                                   joined);
}

static void
search_changed_cb (HearthModelsWindow *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  hearth_discover_page_set_query (self->discover_page,
                                  gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
update (HearthModelsWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->library));
  guint linked = hearth_library_get_n_linked (self->library);
  g_autofree char *size = g_format_size (hearth_library_get_disk_usage (self->library));
  const char *root = hearth_store_get_root (hearth_library_get_store (self->library));
  g_autofree char *text = NULL;

  /* linked files count with their size, and the text says how many */
  if (linked == 0)
    text = g_strdup_printf (_("These models take %s on disk, in %s."), size, root);
  else
    text = g_strdup_printf (ngettext ("These models take %s on disk, in %s; %u of them is "
                                      "linked to a file elsewhere.",
                                      "These models take %s on disk, in %s; %u of them are "
                                      "linked to files elsewhere.", linked),
                            size, root, linked);

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  gtk_label_set_text (self->usage, text);
}

static void
removal_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (user_data);
  const char *name = g_object_get_data (G_OBJECT (dialog), "model-name");
  g_autoptr (GError) error = NULL;
  guint64 freed = 0;

  if (g_strcmp0 (response, "remove") != 0)
    return;
  if (!hearth_store_remove (hearth_library_get_store (self->library), name, &freed, &error))
    {
      g_autofree char *text = g_strdup_printf (_("“%s” was not removed: %s"), name,
                                               error->message);

      hearth_ui_show_failure (GTK_WIDGET (self), _("Removal Failed"), text);
      return;
    }
  hearth_library_refresh (self->library);
  {
    g_autofree char *size = g_format_size (freed);
    g_autofree char *text = freed > 0 ? g_strdup_printf (_("Removed “%s”; %s freed"), name, size)
                                      : g_strdup_printf (_("Removed “%s”"), name);

    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
  }
}

/* The chat history, from the application of this window (or of the
 * window it belongs to); NULL where there is none. */
static HearthChatStore *
chat_store (HearthModelsWindow *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL && parent != NULL)
    app = gtk_window_get_application (parent);
  return HEARTH_IS_APPLICATION (app)
           ? hearth_application_get_chat_store (HEARTH_APPLICATION (app), NULL) : NULL;
}

/* How many chats shown by title in a removal's confirmation */
#define CHATS_LISTED 3

/* "2 chats use it …: • A • B" for the chats that use model @name, or NULL
 * where none does. */
static char *
describe_chats_using (HearthModelsWindow *self,
                      const char         *name)
{
  HearthChatStore *chats = chat_store (self);
  g_autoptr (GPtrArray) using = NULL;
  g_autoptr (GError) error = NULL;
  GString *text;

  if (chats == NULL)
    return NULL;
  using = hearth_chat_store_list_chats_with_model (chats, name, &error);
  if (using == NULL)
    {
      g_warning ("cannot find the chats that use %s: %s", name, error->message);
      return NULL;
    }
  if (using->len == 0)
    return NULL;
  text = g_string_new (NULL);
  g_string_append_printf (text, ngettext ("%u chat uses it and will ask for another model:",
                                          "%u chats use it and will ask for another model:",
                                          using->len),
                          using->len);
  for (guint i = 0; i < using->len && i < CHATS_LISTED; i++)
    {
      const HearthChat *chat = using->pdata[i];

      g_string_append_printf (text, "\n• %s", *chat->title != '\0' ? chat->title : _("New Chat"));
    }
  if (using->len > CHATS_LISTED)
    {
      guint more = using->len - CHATS_LISTED;

      g_string_append_c (text, '\n');
      g_string_append_printf (text, ngettext ("and %u more", "and %u more", more), more);
    }
  return g_string_free (text, FALSE);
}

static void
remove_clicked_cb (GtkButton          *button,
                   HearthModelsWindow *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "model-name");
  g_autoptr (GError) error = NULL;
  g_autofree char *size = NULL;
  g_autofree char *body = NULL;
  g_autofree char *chats = NULL;
  guint64 frees = 0;
  GtkWidget *dialog;

  if (!hearth_store_removal_frees (hearth_library_get_store (self->library), name, &frees,
                                   &error))
    {
      g_autofree char *text = g_strdup_printf (_("“%s” was not removed: %s"), name,
                                               error->message);

      hearth_ui_show_failure (GTK_WIDGET (self), _("Removal Failed"), text);
      return;
    }
  size = g_format_size (frees);
  body = frees > 0 ? g_strdup_printf (_("This frees %s on disk."), size)
                   : g_strdup (_("Its files stay: other models use them."));
  /* the chats it leaves without a model, before it is too late */
  chats = describe_chats_using (self, name);
  if (chats != NULL)
    {
      char *both = g_strconcat (body, "\n\n", chats, NULL);

      g_free (body);
      body = both;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Remove “%s”?"), name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "model-name", g_strdup (name), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (removal_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- details ------------------------------------------------------------- */

static void
add_detail (AdwPreferencesGroup *group,
            const char          *label,
            const char          *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
}

static char *
number (guint64 n)
{
  return n > 0 ? g_strdup_printf ("%" G_GUINT64_FORMAT, n) : NULL;
}

/* What `hearth show` says of a model, and its licence. */
static void
show_details (HearthModelsWindow *self,
              HearthModelItem    *item)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  g_autofree char *bytes = g_format_size (hearth_model_item_get_size (item));
  /* a linked model's file is outside the store, where the link leads */
  const char *target = hearth_model_item_get_link_target (item);
  g_autofree char *size = target != NULL ? g_strdup_printf (_("%s, in the linked file"), bytes)
                                         : g_strdup (bytes);
  g_autofree char *context = number (hearth_model_item_get_context_length (item));
  g_autofree char *embedding = number (hearth_model_item_get_embedding_length (item));
  g_autofree char *layers = number (hearth_model_item_get_block_count (item));
  g_autofree char *vocab = number (hearth_model_item_get_vocab_size (item));
  g_autofree char *heads = NULL;

  if (hearth_model_item_get_head_count (item) > 0)
    {
      g_autofree char *q = number (hearth_model_item_get_head_count (item));
      g_autofree char *kv = number (hearth_model_item_get_head_count_kv (item));

      heads = g_strdup_printf (_("%s (%s for keys and values)"), q, kv != NULL ? kv : q);
    }
  gtk_window_set_title (GTK_WINDOW (window), hearth_model_item_get_name (item));
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 560);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (window), box);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));

  add_detail (ADW_PREFERENCES_GROUP (group), _("Family"), hearth_model_item_get_family (item));
  add_detail (ADW_PREFERENCES_GROUP (group), _("Parameters"),
              hearth_model_item_get_parameter_size (item));
  add_detail (ADW_PREFERENCES_GROUP (group), _("Quantization"),
              hearth_model_item_get_quantization (item));
  add_detail (ADW_PREFERENCES_GROUP (group), _("Context length"), context);
  add_detail (ADW_PREFERENCES_GROUP (group), _("Embedding length"), embedding);
  add_detail (ADW_PREFERENCES_GROUP (group), _("Layers"), layers);
  add_detail (ADW_PREFERENCES_GROUP (group), _("Attention heads"), heads);
  add_detail (ADW_PREFERENCES_GROUP (group), _("Vocabulary"), vocab);
  add_detail (ADW_PREFERENCES_GROUP (group), _("Chat template"),
              hearth_model_item_has_chat_template (item) ? _("from the model")
                                                         : _("none (Hearth’s default)"));
  add_detail (ADW_PREFERENCES_GROUP (group), _("Size on disk"), size);
  if (target != NULL)
    add_detail (ADW_PREFERENCES_GROUP (group), _("Linked to"), target);
  else
    add_detail (ADW_PREFERENCES_GROUP (group), _("File"), hearth_model_item_get_model_path (item));
  if (hearth_model_item_get_license (item) != NULL)
    {
      GtkWidget *licence = adw_preferences_group_new ();
      GtkWidget *text = gtk_label_new (hearth_model_item_get_license (item));

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (licence), _("Licence"));
      gtk_label_set_wrap (GTK_LABEL (text), TRUE);
      gtk_label_set_selectable (GTK_LABEL (text), TRUE);
      gtk_label_set_xalign (GTK_LABEL (text), 0);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (licence), text);
      adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (licence));
    }
  gtk_window_present (GTK_WINDOW (window));
}

static void
row_activated_cb (GtkListBox         *list,
                  GtkListBoxRow      *row,
                  HearthModelsWindow *self)
{
  g_autoptr (HearthModelItem) item = g_list_model_get_item (
    G_LIST_MODEL (self->filtered), (guint) gtk_list_box_row_get_index (row));

  if (item != NULL)
    show_details (self, item);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (user_data);
  HearthModelItem *model = HEARTH_MODEL_ITEM (item);
  g_autofree char *subtitle = describe (model);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *tooltip = g_strdup_printf (_("Remove “%s”"),
                                              hearth_model_item_get_name (model));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hearth_model_item_get_name (model));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  g_object_set_data_full (G_OBJECT (remove), "model-name",
                          g_strdup (hearth_model_item_get_name (model)), g_free);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}


/* ---- downloads ------------------------------------------------------------ */

static GtkWidget *
create_download_row (gpointer item,
                     gpointer user_data)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (user_data);

  return GTK_WIDGET (hearth_download_row_new (self->downloads, HEARTH_PULL (item)));
}

static void
downloads_changed_cb (HearthModelsWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->downloads_group),
                          g_list_model_get_n_items (G_LIST_MODEL (self->downloads)) > 0);
}

static void
failure_details_cb (AdwToast           *toast,
                    HearthModelsWindow *self)
{
  hearth_ui_show_failure (GTK_WIDGET (self), _("Download Failed"),
                          g_object_get_data (G_OBJECT (toast), "hearth-failure"));
}

/* A download that failed (not one that paused to go on later): a toast
 * says which, and its button the whole reason. */
static void
pull_finished_cb (HearthPull         *pull,
                  const GError       *error,
                  HearthModelsWindow *self)
{
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (error == NULL || hearth_pull_get_state (pull) != HEARTH_PULL_STATE_FAILED)
    return;
  title = g_strdup_printf (_("“%s” could not be downloaded"), hearth_pull_get_name (pull));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Details"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 0);
  g_object_set_data_full (G_OBJECT (toast), "hearth-failure", g_strdup (error->message), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (failure_details_cb), self, 0);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

static void
follow_pulls (HearthModelsWindow *self,
              guint               position,
              guint               n)
{
  for (guint i = position; i < position + n; i++)
    {
      g_autoptr (HearthPull) pull = g_list_model_get_item (G_LIST_MODEL (self->downloads), i);

      g_signal_connect_object (pull, "finished", G_CALLBACK (pull_finished_cb), self, 0);
    }
}

static void
pulls_added_cb (GListModel         *downloads,
                guint               position,
                guint               removed,
                guint               added,
                HearthModelsWindow *self)
{
  follow_pulls (self, position, added);
}

static void
model_added_cb (HearthDownloads    *downloads,
                const char         *name,
                HearthModelsWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("“%s” is downloaded and ready"), name);

  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

/* Starts pulling @source; a toast says what went wrong, if anything. */
static gboolean
start_pull (HearthModelsWindow *self,
            const char         *source)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (source));

  if (*trimmed == '\0')
    return FALSE;
  if (hearth_downloads_add (self->downloads, trimmed, &error) == NULL)
    {
      hearth_ui_show_failure (GTK_WIDGET (self), _("Cannot Download"), error->message);
      return FALSE;
    }
  return TRUE;
}

static void
pull_response_cb (AdwMessageDialog   *dialog,
                  const char         *response,
                  HearthModelsWindow *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");

  if (g_strcmp0 (response, "download") != 0)
    return;
  if (start_pull (self, gtk_editable_get_text (entry)))
    adw_view_stack_set_visible_child_name (self->view_stack, "installed");
}

static void
pull_entry_activate_cb (GtkEntry         *entry,
                        AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "download");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
pull_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (widget);
  GtkWidget *entry = gtk_entry_new ();
  GtkWidget *dialog = adw_message_dialog_new (
    GTK_WINDOW (self), _("Download a Model"),
    _("A name from the Ollama library such as “qwen2.5:0.5b”, a Hugging Face model such as "
      "“hf.co/user/repo:Q4_K_M”, or the https:// address of a GGUF file."));

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "qwen2.5:0.5b");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Model name or address"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "download", _("_Download"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "download",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "download");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect (entry, "activate", G_CALLBACK (pull_entry_activate_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (pull_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* ---- import ------------------------------------------------------------- */

typedef struct {
  char *path;
  char *name;
  gboolean link;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_free (job->path);
  g_free (job->name);
  g_free (job);
}

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (source);
  ImportJob *job = task_data;
  GError *error = NULL;

  /* hashing a file of gigabytes: not on the main thread */
  if (hearth_store_import (hearth_library_get_store (self->library), job->path, job->name,
                           job->link, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (source);
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      text = g_strdup_printf (_("“%s” was not imported: %s"), job->name, error->message);
      hearth_ui_show_failure (GTK_WIDGET (self), _("Import Failed"), text);
      return;
    }
  hearth_library_refresh (self->library);
  text = g_strdup_printf (_("Imported “%s”"), job->name);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

/* A model name from a file's name: "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" →
 * "qwen2.5-0.5b-instruct-q4_k_m". */
static char *
name_from_file (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *lower = NULL;

  if (g_str_has_suffix (base, ".gguf"))
    base[strlen (base) - 5] = '\0';
  lower = g_ascii_strdown (base, -1);
  for (char *c = lower; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '-' && *c != '_')
      *c = '-';
  return *lower != '\0' ? g_steal_pointer (&lower) : g_strdup ("model");
}

static void
import_name_changed_cb (GtkEditable      *entry,
                        AdwMessageDialog *dialog)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (gtk_editable_get_text (entry),
                                                              NULL);

  adw_message_dialog_set_response_enabled (dialog, "link", name != NULL);
  adw_message_dialog_set_response_enabled (dialog, "copy", name != NULL);
  if (name != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
import_response_cb (AdwMessageDialog   *dialog,
                    const char         *response,
                    HearthModelsWindow *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  const char *path = g_object_get_data (G_OBJECT (dialog), "path");
  g_autoptr (GTask) task = NULL;
  g_autofree char *text = NULL;
  ImportJob *job;

  if (g_strcmp0 (response, "link") != 0 && g_strcmp0 (response, "copy") != 0)
    return;
  job = g_new0 (ImportJob, 1);
  job->path = g_strdup (path);
  job->name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  job->link = g_str_equal (response, "link");
  text = g_strdup_printf (_("Importing “%s”…"), job->name);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
  task = g_task_new (self, NULL, import_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
}

/* Asks for the model's name and whether to link or copy @path. */
static void
ask_import (HearthModelsWindow *self,
            const char         *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = name_from_file (path);
  g_autofree char *size = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *entry, *dialog;
  GStatBuf st;

  /* a file that is not a model is said so before Link or Copy is asked */
  if (!hearth_library_check_file (path, &error))
    {
      hearth_ui_show_failure (GTK_WIDGET (self), _("Cannot Import the File"), error->message);
      return;
    }
  entry = gtk_entry_new ();
  size = g_format_size (g_stat (path, &st) == 0 ? (guint64) st.st_size : 0);
  body = g_strdup_printf (_("Link: the model stays where it is and takes no more space, but "
                            "moving or deleting the file breaks it.\nCopy: the library keeps "
                            "its own copy (%s more on disk)."), size);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Import “%s”"), base);
  gtk_editable_set_text (GTK_EDITABLE (entry), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Model name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "copy", _("_Copy"), "link", _("_Link"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "link",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "link");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (path), g_free);
  g_signal_connect (entry, "changed", G_CALLBACK (import_name_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (import_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
chooser_response_cb (GtkNativeDialog    *chooser,
                     int                 response,
                     HearthModelsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        ask_import (self, path);
    }
  g_object_unref (chooser);
}

static void
import_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (widget);
  GtkFileChooserNative *chooser = hearth_ui_gguf_chooser_new (GTK_WINDOW (self),
                                                              _("Import a GGUF File"));

  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
reveal_switcher_bar_cb (gpointer data)
{
  HearthModelsWindow *self = data;

  self->reveal_id = 0;
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    adw_view_switcher_title_get_title_visible (self->switcher_title));
  return G_SOURCE_REMOVE;
}

static void
title_visible_cb (HearthModelsWindow *self)
{
  if (self->reveal_id == 0)
    self->reveal_id = g_idle_add (reveal_switcher_bar_cb, self);
}

static void
hearth_models_window_dispose (GObject *object)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (object);

  g_clear_handle_id (&self->reveal_id, g_source_remove);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  if (self->downloads != NULL)
    g_signal_handlers_disconnect_by_data (self->downloads, self);
  g_clear_object (&self->library);
  g_clear_object (&self->downloads);
  g_clear_object (&self->filtered);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_MODELS_WINDOW);
  G_OBJECT_CLASS (hearth_models_window_parent_class)->dispose (object);
}

static void
hearth_models_window_class_init (HearthModelsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_models_window_dispose;
  g_type_ensure (HEARTH_TYPE_DISCOVER_PAGE);
  g_type_ensure (HEARTH_TYPE_PROFILES_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-models-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, list);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, usage);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, downloads_group);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, downloads_list);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, discover_page);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, profiles_page);
  gtk_widget_class_install_action (widget_class, "models.pull", NULL, pull_activated);
  gtk_widget_class_install_action (widget_class, "models.import", NULL, import_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
                                       "models.import", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK,
                                       "models.pull", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hearth_models_window_init (HearthModelsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* typing anywhere in the window searches */
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  /* The bottom switcher shows when the title has no room for the switcher:
   * after the layout that decided it, not inside it (bound directly, the
   * bar was revealed while the window was being allocated, and at phone
   * width GTK 4.8 allocated its box at 0 × -1, with a warning) */
  g_signal_connect_swapped (self->switcher_title, "notify::title-visible",
                            G_CALLBACK (title_visible_cb), self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb),
                            self);
}

HearthModelsWindow *
hearth_models_window_new (GtkWindow       *parent,
                          HearthLibrary   *library,
                          HearthDownloads *downloads)
{
  HearthModelsWindow *self;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (HEARTH_IS_DOWNLOADS (downloads), NULL);

  /* not modal: one chats while models download */
  self = g_object_new (HEARTH_TYPE_MODELS_WINDOW,
                       "transient-for", parent,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->downloads = g_object_ref (downloads);
  self->library = g_object_ref (library);
  hearth_library_refresh (library);
  self->filter = GTK_FILTER (gtk_custom_filter_new (matches_search, self, NULL));
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (library)),
                                              self->filter);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->filtered), create_row, self, NULL);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (row_activated_cb), self);
  g_signal_connect_swapped (library, "items-changed", G_CALLBACK (update), self);
  gtk_list_box_bind_model (self->downloads_list, G_LIST_MODEL (downloads), create_download_row,
                           self, NULL);
  g_signal_connect_swapped (downloads, "items-changed", G_CALLBACK (downloads_changed_cb), self);
  g_signal_connect (downloads, "items-changed", G_CALLBACK (pulls_added_cb), self);
  follow_pulls (self, 0, g_list_model_get_n_items (G_LIST_MODEL (downloads)));
  g_signal_connect (downloads, "model-added", G_CALLBACK (model_added_cb), self);
  hearth_discover_page_set_models (self->discover_page, library, downloads);
  hearth_profiles_page_set_library (self->profiles_page, library, self->toasts);
  downloads_changed_cb (self);
  update (self);
  return self;
}
