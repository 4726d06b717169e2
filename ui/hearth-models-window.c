/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-models-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-models-window.h"

struct _HearthModelsWindow
{
  AdwWindow parent_instance;

  HearthLibrary *library;
  AdwToastOverlay *toasts;
  GtkStack *stack;
  GtkListBox *list;
  GtkLabel *usage;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkFilter *filter;
  GtkFilterListModel *filtered;
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
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *haystack = NULL;
  g_auto (GStrv) words = NULL;

  if (text == NULL || *text == '\0')
    return TRUE;
  {
    g_autofree char *joined = g_strjoin (" ", hearth_model_item_get_name (model),
                                         hearth_model_item_get_family (model) != NULL
                                           ? hearth_model_item_get_family (model) : "",
                                         hearth_model_item_get_quantization (model) != NULL
                                           ? hearth_model_item_get_quantization (model) : "",
                                         NULL);

    haystack = g_utf8_casefold (joined, -1);
  }
  words = g_strsplit_set (text, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *word = g_utf8_casefold (words[i], -1);

      if (*word != '\0' && strstr (haystack, word) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
search_changed_cb (HearthModelsWindow *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
update (HearthModelsWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->library));
  g_autofree char *size = g_format_size (hearth_library_get_disk_usage (self->library));
  g_autofree char *text = g_strdup_printf (_("These models take %s on disk, in %s."), size,
                                           hearth_store_get_root (
                                             hearth_library_get_store (self->library)));

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
      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
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

static void
remove_clicked_cb (GtkButton          *button,
                   HearthModelsWindow *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "model-name");
  g_autoptr (GError) error = NULL;
  g_autofree char *size = NULL;
  g_autofree char *body = NULL;
  guint64 frees = 0;
  GtkWidget *dialog;

  if (!hearth_store_removal_frees (hearth_library_get_store (self->library), name, &frees,
                                   &error))
    {
      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
      return;
    }
  size = g_format_size (frees);
  body = frees > 0 ? g_strdup_printf (_("This frees %s on disk."), size)
                   : g_strdup (_("Its files stay: other models use them."));
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
  g_autofree char *size = g_format_size (hearth_model_item_get_size (item));
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

static void
hearth_models_window_dispose (GObject *object)
{
  HearthModelsWindow *self = HEARTH_MODELS_WINDOW (object);

  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  g_clear_object (&self->library);
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
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-models-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, list);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, usage);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsWindow, search_entry);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hearth_models_window_init (HearthModelsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* typing anywhere in the window searches */
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb),
                            self);
}

HearthModelsWindow *
hearth_models_window_new (GtkWindow     *parent,
                          HearthLibrary *library)
{
  HearthModelsWindow *self;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (library), NULL);

  self = g_object_new (HEARTH_TYPE_MODELS_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->library = g_object_ref (library);
  hearth_library_refresh (library);
  self->filter = GTK_FILTER (gtk_custom_filter_new (matches_search, self, NULL));
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (library)),
                                              self->filter);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->filtered), create_row, self, NULL);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (row_activated_cb), self);
  g_signal_connect_swapped (library, "items-changed", G_CALLBACK (update), self);
  update (self);
  return self;
}
