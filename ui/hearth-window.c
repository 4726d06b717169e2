/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-window"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-chat-list.h"
#include "hearth-chat-view.h"
#include "hearth-models-window.h"
#include "hearth-preferences-window.h"
#include "hearth-ui.h"
#include "hearth-window.h"

struct _HearthWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  AdwLeaflet *leaflet;
  GtkSearchEntry *search_entry;
  GtkStack *sidebar_stack;
  GtkListView *chat_list;
  GtkWidget *content_pane;
  AdwWindowTitle *content_title;
  GtkWidget *chat_menu_button;
  GtkStack *content_stack;
  HearthChatView *chat_view;
  AdwStatusPage *error_page;

  /* owned */
  HearthChatList *chats;      /* the sidebar's chats (NULL without a chat store) */
  gboolean changing;          /* inside the list's items-changed */
  int shown_position;         /* the chat shown's row when the selection last marked it
                               * (-1: none); during a change of the list, its old row */
  gboolean selecting;         /* the selection is being set to the chat shown */
  gboolean pointer_in_list;   /* the pointer is over the sidebar's list */
  GtkSingleSelection *selection;
  GSettings *settings;
  GtkFileChooserNative *chooser;

  /* borrowed */
  HearthApplication *app;
  HearthChatStore *store;
};

G_DEFINE_FINAL_TYPE (HearthWindow, hearth_window, ADW_TYPE_APPLICATION_WINDOW)

static void
toast (HearthWindow *self,
       const char   *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
update_sidebar_page (HearthWindow *self)
{
  gboolean empty = self->chats == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->chats)) == 0;
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_stack_set_visible_child_name (self->sidebar_stack, empty && *search == '\0' ? "empty" : "chats");
}

static gboolean
have_models (HearthWindow *self)
{
  return self->app != NULL
         && g_list_model_get_n_items (G_LIST_MODEL (hearth_application_get_library (self->app))) > 0;
}

/* The chat shown (0: none). Every command that acts on "the chat" acts on
 * this one, never on the sidebar's selection: GTK moves that selection on
 * its own (a list that activates on a single click selects the row under
 * the pointer, and a menu closing over the sidebar puts the pointer there). */
static gint64
shown_chat (HearthWindow *self)
{
  return hearth_chat_view_get_chat_id (self->chat_view);
}

/* The sidebar's selection marks the chat shown (or nothing, when the chat
 * shown is not in the list, such as while a search leaves it out). */
static void
sync_selection (HearthWindow *self)
{
  gint64 shown = shown_chat (self);
  int position = shown != 0 && self->chats != NULL ? hearth_chat_list_find (self->chats, shown) : -1;

  self->shown_position = position;
  if (self->selection == NULL)
    return;
  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection,
                                     position >= 0 ? (guint) position : GTK_INVALID_LIST_POSITION);
  self->selecting = FALSE;
}

/* Shows @chat_id (0: the welcome, or with no model at all, the way to get
 * one). The chat shown changes only here: when a person picks a chat (a
 * click or Enter on its row), makes one, brings one back, or the chat shown
 * is deleted. */
static void
show_chat (HearthWindow *self,
           gint64        chat_id)
{
  g_autoptr (HearthChat) chat = NULL;

  if (chat_id != 0 && self->store != NULL)
    chat = hearth_chat_store_get_chat (self->store, chat_id, NULL);
  if (chat == NULL)
    chat_id = 0;
  for (const char *const *name = (const char *const[]) { "rename-chat", "delete-chat",
                                                          "export-markdown", "export-json", NULL };
       *name != NULL; name++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), *name);

      if (action != NULL)
        g_simple_action_set_enabled (G_SIMPLE_ACTION (action), chat != NULL);
    }
  gtk_widget_set_visible (self->chat_menu_button, chat != NULL);
  if (self->store == NULL)
    {
      gtk_stack_set_visible_child_name (self->content_stack, "error");
      return;
    }
  /* (with no chat, the view is still given the application: its model
   * drop-down follows the library from the start) */
  if (shown_chat (self) != chat_id || chat_id == 0)
    hearth_chat_view_set_chat (self->chat_view, self->app, chat_id);
  sync_selection (self);
  if (chat == NULL)
    {
      adw_window_title_set_title (self->content_title, _("Hearth"));
      gtk_stack_set_visible_child_name (self->content_stack, have_models (self) ? "welcome" : "no-models");
      return;
    }
  adw_window_title_set_title (self->content_title,
                              *chat->title != '\0' ? chat->title : _("New Chat"));
  gtk_stack_set_visible_child_name (self->content_stack, "chat");
}

/* The content as it is, again (a model came or went, a chat was renamed). */
static void
refresh_content (HearthWindow *self)
{
  show_chat (self, shown_chat (self));
}

/* Is @chat_id a chat of the store that is not deleted? */
static gboolean
chat_exists (HearthWindow *self,
             gint64        chat_id)
{
  g_autoptr (GPtrArray) chats = hearth_chat_store_list_chats (self->store, NULL, NULL);

  for (guint i = 0; chats != NULL && i < chats->len; i++)
    if (((HearthChat *) chats->pdata[i])->id == chat_id)
      return TRUE;
  return FALSE;
}

/* The list changes (a chat written to moves to the top, a search leaves
 * chats out, a chat is deleted): where the chat shown was is noted first
 * (this runs before the selection's own handler)... */
static void
chats_changing_cb (GListModel   *model,
                   guint         position,
                   guint         removed,
                   guint         added,
                   HearthWindow *self)
{
  /* (the list holds its new items already: where the chat shown was is
   * shown_position, kept until the selection marks it again) */
  self->changing = TRUE;
}

/* ...and then the selection marks it where it went. A chat a search leaves
 * out stays shown; a chat deleted (here or in another window) gives its
 * place to the chat that took its row. */
static void
chats_changed_cb (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  HearthWindow *self)
{
  gint64 shown = shown_chat (self);
  guint n = g_list_model_get_n_items (model);

  self->changing = FALSE;
  update_sidebar_page (self);
  if (shown != 0 && hearth_chat_list_find (self->chats, shown) < 0 && !chat_exists (self, shown))
    {
      g_autoptr (HearthChatItem) next = NULL;

      if (self->shown_position >= 0 && n > 0)
        next = g_list_model_get_item (model, MIN ((guint) self->shown_position, n - 1));
      show_chat (self, next != NULL ? hearth_chat_item_get_id (next) : 0);
      return;
    }
  refresh_content (self);
}

/* GTK moved the selection by itself (the pointer passing over a row of a
 * list that activates on a single click, the keyboard's cursor): the chat
 * shown stays. Picking a chat is a click or Enter on its row. While the
 * pointer is over the list the highlight follows it, as GTK means it to in
 * such lists (putting it back at once made GTK lose clicks); once the
 * pointer leaves, the selection marks the chat shown again. */
static void
selection_changed_cb (GtkSingleSelection *selection,
                      GParamSpec         *pspec,
                      HearthWindow       *self)
{
  if (!self->changing && !self->selecting && !self->pointer_in_list)
    sync_selection (self);
}

static void
pointer_entered_list_cb (GtkEventControllerMotion *motion,
                         double                    x,
                         double                    y,
                         HearthWindow             *self)
{
  self->pointer_in_list = TRUE;
}

static void
pointer_left_list_cb (GtkEventControllerMotion *motion,
                      HearthWindow             *self)
{
  self->pointer_in_list = FALSE;
  sync_selection (self);
}

/* A click (or Enter) on a chat: shown, and on a narrow window, over to it. */
static void
chat_activated_cb (GtkListView  *list,
                   guint         position,
                   HearthWindow *self)
{
  g_autoptr (HearthChatItem) item = g_list_model_get_item (G_LIST_MODEL (self->chats), position);

  if (item == NULL)
    return;
  show_chat (self, hearth_chat_item_get_id (item));
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
  hearth_chat_view_focus_composer (self->chat_view);
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   HearthWindow   *self)
{
  if (self->chats != NULL)
    hearth_chat_list_set_search (self->chats, gtk_editable_get_text (GTK_EDITABLE (entry)));
  update_sidebar_page (self);
}

/* ---- the chat list's rows ------------------------------------------------------------ */

static void
setup_chat_row (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_item_set_child (list_item, label);
}

static void
bind_chat_row (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  HearthChatItem *item = gtk_list_item_get_item (list_item);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (list_item)),
                       hearth_chat_item_get_title (item));
}

/* ---- chats: new, rename, delete, export, import ------------------------------------------ */

/* The model a new chat starts with: the one used last, else the first. */
static char *
default_model (HearthWindow *self)
{
  GListModel *library = G_LIST_MODEL (hearth_application_get_library (self->app));
  g_autofree char *last = g_settings_get_string (self->settings, "last-model");
  guint n = g_list_model_get_n_items (library);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (library, i);

      if (g_str_equal (hearth_model_item_get_name (item), last))
        return g_steal_pointer (&last);
    }
  if (*last != '\0' && g_path_is_absolute (last) && g_file_test (last, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&last);
  if (n > 0)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (library, 0);

      return g_strdup (hearth_model_item_get_name (item));
    }
  return NULL;
}

static void
new_chat_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  HearthWindow *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *model = NULL;
  gint64 id;

  if (self->store == NULL)
    return;
  /* an empty chat on top is the new chat already */
  if (self->chats != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->chats)) > 0)
    {
      g_autoptr (HearthChatItem) first = g_list_model_get_item (G_LIST_MODEL (self->chats), 0);
      g_autoptr (GPtrArray) shown = hearth_chat_store_get_conversation (
        self->store, hearth_chat_item_get_id (first), NULL);

      if (shown != NULL && shown->len == 0)
        {
          gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
          show_chat (self, hearth_chat_item_get_id (first));
          adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
          hearth_chat_view_focus_composer (self->chat_view);
          return;
        }
    }
  if (!have_models (self))
    {
      show_chat (self, 0);
      adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
      return;
    }
  model = default_model (self);
  id = hearth_chat_store_create_chat (self->store, model, &error);
  if (id == 0)
    {
      toast (self, error->message);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  show_chat (self, id);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
  hearth_chat_view_focus_composer (self->chat_view);
}

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    HearthWindow     *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "hearth-entry");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "hearth-id"));
  g_autoptr (GError) error = NULL;

  if (g_str_equal (response, "rename")
      && !hearth_chat_store_rename_chat (self->store, id, gtk_editable_get_text (entry), &error))
    toast (self, error->message);
}

static void
rename_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  HearthWindow *self = user_data;
  g_autoptr (HearthChat) chat = shown_chat (self) != 0
                                  ? hearth_chat_store_get_chat (self->store, shown_chat (self), NULL)
                                  : NULL;
  GtkWidget *dialog, *entry;

  if (chat == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Rename Chat"), NULL);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), chat->title);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"),
                                  -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "rename",
                                    _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  g_object_set_data (G_OBJECT (dialog), "hearth-entry", entry);
  g_object_set_data (G_OBJECT (dialog), "hearth-id",
                     GSIZE_TO_POINTER ((gsize) chat->id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
undo_delete_cb (AdwToast     *toast_,
                HearthWindow *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (toast_), "hearth-id"));
  g_autoptr (GError) error = NULL;

  if (!hearth_chat_store_restore_chat (self->store, id, &error))
    toast (self, error->message);
  else
    show_chat (self, id);
}

static void
delete_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  HearthWindow *self = user_data;
  g_autoptr (HearthChat) chat = shown_chat (self) != 0
                                  ? hearth_chat_store_get_chat (self->store, shown_chat (self), NULL)
                                  : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  AdwToast *undo;
  gint64 id;

  if (chat == NULL)
    return;
  id = chat->id;
  text = g_strdup_printf (_("“%s” deleted"), *chat->title != '\0' ? chat->title : _("New Chat"));
  if (!hearth_chat_store_delete_chat (self->store, id, &error))
    {
      toast (self, error->message);
      return;
    }
  undo = adw_toast_new (text);
  adw_toast_set_button_label (undo, _("_Undo"));
  adw_toast_set_priority (undo, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data (G_OBJECT (undo), "hearth-id", GSIZE_TO_POINTER ((gsize) id));
  g_signal_connect_object (undo, "button-clicked", G_CALLBACK (undo_delete_cb), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, undo);
}

static void
export_response_cb (HearthWindow         *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean json = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "hearth-json"));
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (chooser), "hearth-id"));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL)
    return;
  text = json ? hearth_chat_store_export_json (self->store, id, &error)
              : hearth_chat_store_export_markdown (self->store, id, &error);
  if (text == NULL
      || !g_file_replace_contents (file, text, strlen (text), NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                   NULL, NULL, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The chat could not be exported: %s"),
                                                  error->message);

      toast (self, message);
      return;
    }
  toast (self, _("Chat exported"));
}

static void
export_chat (HearthWindow *self,
             gboolean      json)
{
  g_autoptr (HearthChat) chat = shown_chat (self) != 0
                                  ? hearth_chat_store_get_chat (self->store, shown_chat (self), NULL)
                                  : NULL;
  g_autofree char *name = NULL;

  if (chat == NULL || self->chooser != NULL)
    return;
  name = g_strdup_printf ("%s.%s", *chat->title != '\0' ? chat->title : _("New Chat"),
                          json ? "json" : "md");
  g_strdelimit (name, "/\\", '-');
  self->chooser = gtk_file_chooser_native_new (json ? _("Export as JSON") : _("Export as Markdown"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "hearth-json", GINT_TO_POINTER (json));
  g_object_set_data (G_OBJECT (self->chooser), "hearth-id",
                     GSIZE_TO_POINTER ((gsize) chat->id));
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
export_markdown_activated (GSimpleAction *action,
                           GVariant      *parameter,
                           gpointer       user_data)
{
  export_chat (user_data, FALSE);
}

static void
export_json_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  export_chat (user_data, TRUE);
}

/* Chats exported as JSON are small; a file far larger is not one. */
#define IMPORT_MAX_BYTES (256 * 1024 * 1024)

static void
import_response_cb (HearthWindow         *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  gint64 id = 0;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL || self->store == NULL)
    return;
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info != NULL && g_file_info_get_size (info) > IMPORT_MAX_BYTES)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the file is too large to be a chat"));
  else if (info != NULL && g_file_load_contents (file, NULL, &data, &len, NULL, &error))
    id = hearth_chat_store_import_json (self->store, data, (gssize) len, &error);
  if (id == 0)
    {
      g_autofree char *message = g_strdup_printf (_("The chat could not be imported: %s"),
                                                  error != NULL ? error->message : "");

      toast (self, message);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  show_chat (self, id);
}

static void
import_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  HearthWindow *self = user_data;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL || self->store == NULL)
    return;
  gtk_file_filter_set_name (filter, _("Chats Exported as JSON"));
  gtk_file_filter_add_pattern (filter, "*.json");
  self->chooser = gtk_file_chooser_native_new (_("Import a Chat"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"),
                                               _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (import_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
search_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  HearthWindow *self = user_data;

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
save_window_state (HearthWindow *self)
{
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  if (width > 0 && height > 0 && !gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

static void
restore_window_state (HearthWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
hearth_window_close_request (GtkWindow *window)
{
  if (HEARTH_WINDOW (window)->settings != NULL)
    save_window_state (HEARTH_WINDOW (window));

  return GTK_WINDOW_CLASS (hearth_window_parent_class)->close_request (window);
}

static void
back_clicked_cb (GtkButton    *button,
                 HearthWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  HearthWindow *self = user_data;
  HearthPreferencesWindow *preferences = hearth_preferences_window_new (GTK_WINDOW (self));

  gtk_window_present (GTK_WINDOW (preferences));
}

static void
models_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  HearthWindow *self = user_data;
  HearthApplication *app = HEARTH_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  HearthModelsWindow *models = hearth_models_window_new (GTK_WINDOW (self),
                                                         hearth_application_get_library (app),
                                                         hearth_application_get_downloads (app));

  gtk_window_present (GTK_WINDOW (models));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  hearth_ui_show_about (GTK_WINDOW (user_data));
}

static const GActionEntry win_actions[] = {
  { "new-chat", new_chat_activated, NULL, NULL, NULL, { 0 } },
  { "rename-chat", rename_activated, NULL, NULL, NULL, { 0 } },
  { "delete-chat", delete_activated, NULL, NULL, NULL, { 0 } },
  { "export-markdown", export_markdown_activated, NULL, NULL, NULL, { 0 } },
  { "export-json", export_json_activated, NULL, NULL, NULL, { 0 } },
  { "import-chat", import_activated, NULL, NULL, NULL, { 0 } },
  { "search", search_activated, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "models", models_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
};

static void
hearth_window_dispose (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  hearth_ui_clear_chooser (&self->chooser, self);
  if (self->chats != NULL)
    g_signal_handlers_disconnect_by_data (self->chats, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_WINDOW);

  G_OBJECT_CLASS (hearth_window_parent_class)->dispose (object);
}

/* ---- Ollama's models, offered once ------------------------------------------ */

static void
ollama_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    HearthWindow     *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  const char *root = g_object_get_data (G_OBJECT (dialog), "root");

  if (app != NULL)
    hearth_application_answer_ollama_offer (HEARTH_APPLICATION (app), root,
                                            g_strcmp0 (response, "use") == 0);
}

static void
offer_ollama (HearthWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *root = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  guint n = 0;

  if (app == NULL
      || (root = hearth_application_ollama_offer (HEARTH_APPLICATION (app), &n)) == NULL)
    return;
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Ollama keeps %u model in %s. Hearth can use that folder "
                                       "as its own: the model appears here with no copy, and "
                                       "what Hearth downloads there works in Ollama too.",
                                       "Ollama keeps %u models in %s. Hearth can use that folder "
                                       "as its own: its models appear here with no copy, and "
                                       "what Hearth downloads there works in Ollama too.",
                                       n), n, root);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Use Ollama’s Models?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "keep", _("_Keep Separate"),
                                    "use", _("_Use Ollama’s Folder"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "use",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "use");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "root", g_steal_pointer (&root), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (ollama_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hearth_window_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hearth_window_parent_class)->map (widget);
  offer_ollama (HEARTH_WINDOW (widget));
}

static void
hearth_window_finalize (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->chats);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hearth_window_parent_class)->finalize (object);
}

static void
hearth_window_class_init (HearthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hearth_window_dispose;
  object_class->finalize = hearth_window_finalize;
  window_class->close_request = hearth_window_close_request;
  widget_class->map = hearth_window_map;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/hearth-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_list);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, content_pane);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_menu_button);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, error_page);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
}

static void
chat_settings_change_state_cb (GSimpleAction *action,
                               GVariant      *state,
                               gpointer       chat_view)
{
  g_object_set (chat_view, "settings-shown", g_variant_get_boolean (state), NULL);
}

static void
chat_settings_shown_cb (GObject    *chat_view,
                        GParamSpec *pspec,
                        gpointer    action)
{
  gboolean shown = FALSE;

  g_object_get (chat_view, "settings-shown", &shown, NULL);
  g_simple_action_set_state (action, g_variant_new_boolean (shown));
}

static void
hearth_window_init (HearthWindow *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_type_ensure (HEARTH_TYPE_CHAT_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);
  /* the chat's settings pane, shown or hidden (F9, the header bar's toggle);
   * (not a GPropertyAction: its reference to the chat view outlived the
   * window's widgets) */
  {
    g_autoptr (GSimpleAction) settings = g_simple_action_new_stateful ("chat-settings", NULL,
                                                                       g_variant_new_boolean (FALSE));

    g_signal_connect_object (settings, "change-state", G_CALLBACK (chat_settings_change_state_cb),
                             self->chat_view, 0);
    g_signal_connect_object (self->chat_view, "notify::settings-shown",
                             G_CALLBACK (chat_settings_shown_cb), settings, 0);
    g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (settings));
  }

  g_signal_connect (factory, "setup", G_CALLBACK (setup_chat_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_chat_row), NULL);
  gtk_list_view_set_factory (self->chat_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_single_click_activate (self->chat_list, TRUE);
  g_signal_connect (self->chat_list, "activate", G_CALLBACK (chat_activated_cb), self);
  {
    GtkEventController *motion = gtk_event_controller_motion_new ();

    g_signal_connect (motion, "enter", G_CALLBACK (pointer_entered_list_cb), self);
    g_signal_connect (motion, "leave", G_CALLBACK (pointer_left_list_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->chat_list), motion);
  }
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
}

/* The chats of @app's chat store in the sidebar, the most recent shown. */
static void
setup_chats (HearthWindow *self)
{
  g_autoptr (GError) error = NULL;

  self->store = hearth_application_get_chat_store (self->app, &error);
  if (self->store == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      update_sidebar_page (self);
      show_chat (self, 0);
      return;
    }
  self->chats = hearth_chat_list_new (self->store);
  g_signal_connect (self->chats, "items-changed", G_CALLBACK (chats_changing_cb), self);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->chats)));
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->chat_list, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_after (self->chats, "items-changed", G_CALLBACK (chats_changed_cb), self);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_object (hearth_application_get_library (self->app), "items-changed",
                           G_CALLBACK (refresh_content), self, G_CONNECT_SWAPPED);
  update_sidebar_page (self);
  /* the most recent chat, as it was left */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->chats)) > 0)
    {
      g_autoptr (HearthChatItem) first = g_list_model_get_item (G_LIST_MODEL (self->chats), 0);

      show_chat (self, hearth_chat_item_get_id (first));
    }
  else
    show_chat (self, 0);
}

HearthWindow *
hearth_window_new (HearthApplication *app)
{
  HearthWindow *self;

  g_return_val_if_fail (HEARTH_IS_APPLICATION (app), NULL);

  /* "application" is not a construct property: the settings are taken here,
   * and a window made otherwise simply does not remember its size. */
  self = g_object_new (HEARTH_TYPE_WINDOW, "application", app, NULL);
  self->app = app;
  self->settings = g_object_ref (hearth_application_get_settings (app));
  restore_window_state (self);
  setup_chats (self);
  return self;
}

/* The chat view of @self (for tests and the application). */
GtkWidget *
hearth_window_get_chat_view (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->chat_view);
}
