/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-window"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-models-window.h"
#include "hearth-preferences-window.h"
#include "hearth-ui.h"
#include "hearth-window.h"

struct _HearthWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwLeaflet *leaflet;
  GtkStack *sidebar_stack;
  GtkListView *chat_list;
  GtkWidget *content_pane;

  /* owned */
  GListStore *chats;          /* the chat list's items; filled by the chat store later */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (HearthWindow, hearth_window, ADW_TYPE_APPLICATION_WINDOW)

static void
update_sidebar_page (HearthWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->chats)) == 0;

  gtk_stack_set_visible_child_name (self->sidebar_stack, empty ? "empty" : "chats");
}

static void
chats_changed_cb (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  HearthWindow *self)
{
  update_sidebar_page (self);
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
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "models", models_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
};

static void
hearth_window_dispose (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

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
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_list);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, content_pane);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
}

static void
hearth_window_init (HearthWindow *self)
{
  g_autoptr (GtkSingleSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);

  self->chats = g_list_store_new (G_TYPE_OBJECT);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->chats)));
  gtk_list_view_set_model (self->chat_list, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (self->chats, "items-changed",
                           G_CALLBACK (chats_changed_cb), self, 0);
  update_sidebar_page (self);
}

HearthWindow *
hearth_window_new (HearthApplication *app)
{
  HearthWindow *self;

  g_return_val_if_fail (HEARTH_IS_APPLICATION (app), NULL);

  /* "application" is not a construct property: the settings are taken here,
   * and a window made otherwise simply does not remember its size. */
  self = g_object_new (HEARTH_TYPE_WINDOW, "application", app, NULL);
  self->settings = g_object_ref (hearth_application_get_settings (app));
  restore_window_state (self);
  return self;
}
