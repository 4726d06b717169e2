/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-view"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-chat-view.h"
#include "hearth-chat-settings.h"
#include "hearth-markdown.h"
#include "hearth-message-row.h"
#include "hearth-preferences-window.h"
#include "hearth-remote-models.h"
#include "hearth-servers-page.h"
#include "hearth-ui.h"

struct _HearthChatView
{
  AdwBin parent_instance;

  /* template children */
  GtkStack *messages_stack;
  GtkScrolledWindow *scroller;
  GtkListView *message_list;
  GtkDropDown *model_dropdown;
  GtkLabel *context_label;
  GtkTextView *composer;
  GtkButton *send_button;
  GtkInfoBar *missing_model;
  GtkLabel *missing_model_label;
  GtkInfoBar *refused;
  GtkLabel *refused_label;
  AdwFlap *flap;                /* the bin's child: not bound (gtk_widget_dispose_template ()
                                   would unparent it behind AdwBin's back) */
  HearthChatSettings *settings_pane;

  /* owned */
  GListStore *messages;         /* HearthMessageItem, the conversation shown */
  HearthConversation *conversation;
  HearthChatStore *chats;
  HearthLibrary *library;
  GSettings *settings;
  HearthRemoteServers *servers;
  HearthRemoteModels *remote_models; /* the servers' models, listed after the local ones */
  GtkStringList *model_names;   /* what the drop-down shows */
  GPtrArray *model_ids;         /* the model each entry stands for ("" for "Open…") */
  GtkFileChooserNative *chooser;

  gint64 chat_id;
  guint draft_save_id;          /* a draft to save soon */
  gboolean loading_draft;       /* the composer is given the chat's draft */
  gboolean updating_models;
  gboolean stick_to_bottom;     /* follow the end while text comes */
  gboolean list_moved;          /* the adjustment's size changed: the list moves, not the person */
  GdkFrameClock *layout_clock;  /* while mapped: the end followed after each layout */
  gulong layout_id;
  GPtrArray *earlier;           /* a long chat opening: its first messages (HearthMessageItem),
                                   not in the list yet; NULL when all are */
  guint earlier_id;             /* puts them in, a few at a time */
};

G_DEFINE_FINAL_TYPE (HearthChatView, hearth_chat_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_SETTINGS_SHOWN, N_PROPS };
static GParamSpec *props[N_PROPS];

static void
toast (HearthChatView *self,
       const char     *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

/* ---- messages ---------------------------------------------------------------- */

static HearthMessageItem *
find_item (HearthChatView *self,
           gint64          id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  for (guint i = n; i > 0; i--)
    {
      g_autoptr (HearthMessageItem) item = g_list_model_get_item (G_LIST_MODEL (self->messages), i - 1);

      if (hearth_message_item_get_message (item)->id == id)
        return item;
    }
  return NULL;
}

/* A long chat opens with its last OPENING_ROWS messages (more than a
 * window shows); the ones before follow in idle time, ROWS_PER_CHUNK at a
 * time while the list view makes rows for them (GTK 4.8 makes them for
 * ~200 items around the item it is anchored to, at the end), then all the
 * rest at once, which has no rows made. The first frame has ~30 rows to
 * make and measure, not 200. */
#define OPENING_ROWS 30
#define ROWS_PER_CHUNK 6
#define ROWS_MADE 210

static void
stop_loading (HearthChatView *self)
{
  g_clear_handle_id (&self->earlier_id, g_source_remove);
  g_clear_pointer (&self->earlier, g_ptr_array_unref);
}

static gboolean
load_earlier_cb (gpointer data)
{
  HearthChatView *self = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  guint take = n < ROWS_MADE ? MIN (ROWS_PER_CHUNK, self->earlier->len) : self->earlier->len;
  guint from = self->earlier->len - take;

  g_list_store_splice (self->messages, 0, 0, self->earlier->pdata + from, take);
  g_ptr_array_remove_range (self->earlier, from, take);
  if (self->earlier->len > 0)
    return G_SOURCE_CONTINUE;
  self->earlier_id = 0;
  g_clear_pointer (&self->earlier, g_ptr_array_unref);
  return G_SOURCE_REMOVE;
}

static void
scroll_to_end (HearthChatView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);

  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
}

static void
update_context_label (HearthChatView *self)
{
  guint used = 0, length = 0;

  if (self->conversation != NULL)
    hearth_conversation_get_context_use (self->conversation, &used, &length);
  if (length == 0)
    gtk_label_set_label (self->context_label, "");
  else
    {
      g_autofree char *text = g_strdup_printf (_("Context: %u of %u tokens"), used, length);

      gtk_label_set_label (self->context_label, text);
    }
}

/* The list as the store has the conversation: unchanged rows stay, the
 * reply being written keeps its live text. */
static void
reload (HearthChatView *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) path = NULL;
  GListModel *model = G_LIST_MODEL (self->messages);
  gint64 streaming = self->conversation != NULL
                       ? hearth_conversation_get_reply_id (self->conversation) : 0;
  guint n, i, skip = 0;

  if (self->chat_id == 0)
    {
      stop_loading (self);
      g_list_store_remove_all (self->messages);
      gtk_stack_set_visible_child_name (self->messages_stack, "empty");
      return;
    }
  path = hearth_chat_store_get_conversation (self->chats, self->chat_id, &error);
  if (path == NULL)
    {
      toast (self, error->message);
      return;
    }
  for (i = 0; i < path->len; i++)
    {
      HearthChatMessage *m = path->pdata[i];

      if (m->id == streaming)
        {
          g_free (m->content);
          m->content = g_strdup (hearth_conversation_get_reply_text (self->conversation));
        }
    }
  /* A long chat still opening: its first messages, not in the list yet,
   * are the path's first ones (what changes is at the end), or the chat is
   * shown anew. */
  if (self->earlier != NULL)
    {
      for (skip = 0; skip < self->earlier->len && skip < path->len; skip++)
        if (hearth_message_item_get_message (self->earlier->pdata[skip])->id
            != ((HearthChatMessage *) path->pdata[skip])->id)
          break;
      if (skip < self->earlier->len)
        {
          stop_loading (self);
          skip = 0;
        }
      for (i = 0; i < skip; i++)
        {
          HearthChatMessage *m = path->pdata[i];

          hearth_message_item_update (self->earlier->pdata[i], m, m->id == streaming);
        }
    }
  n = g_list_model_get_n_items (model);
  for (i = skip; i < path->len; i++)
    {
      HearthChatMessage *m = path->pdata[i];
      g_autoptr (HearthMessageItem) item = i - skip < n ? g_list_model_get_item (model, i - skip) : NULL;

      if (item != NULL && hearth_message_item_get_message (item)->id == m->id)
        {
          hearth_message_item_update (item, m, m->id == streaming);
          continue;
        }
      /* from here on the list differs: the rest is new */
      {
        g_autoptr (GPtrArray) rest = g_ptr_array_new_with_free_func (g_object_unref);

        for (guint j = i; j < path->len; j++)
          {
            HearthChatMessage *mj = path->pdata[j];

            g_ptr_array_add (rest, hearth_message_item_new (mj, mj->id == streaming));
          }
        if (i == 0 && rest->len > 1)
          {
            /* another chat: its last message first, then the ones before
             * it. The list view (GTK 4.8) makes rows around the item it is
             * anchored to at once, for ~200 items: this way that item is the
             * last message, not the first, and the rows made are the ones
             * at the end, where the chat opens; and a long chat's earliest
             * messages follow later (load_earlier_cb ()). */
            guint first = rest->len > OPENING_ROWS ? rest->len - OPENING_ROWS : 0;

            g_list_store_splice (self->messages, 0, n, rest->pdata + rest->len - 1, 1);
            g_list_store_splice (self->messages, 0, 0, rest->pdata + first, rest->len - 1 - first);
            if (first > 0)
              {
                self->earlier = g_ptr_array_new_with_free_func (g_object_unref);
                for (guint j = 0; j < first; j++)
                  g_ptr_array_add (self->earlier, g_object_ref (rest->pdata[j]));
                self->earlier_id = g_idle_add (load_earlier_cb, self);
              }
          }
        else
          g_list_store_splice (self->messages, i - skip, n - (i - skip), rest->pdata, rest->len);
        n = path->len - skip;
        break;
      }
    }
  if (n > path->len - skip)
    g_list_store_splice (self->messages, path->len - skip, n - (path->len - skip), NULL, 0);
  gtk_stack_set_visible_child_name (self->messages_stack, path->len > 0 ? "messages" : "empty");
}

static void
on_chat_changed (HearthChatStore *chats,
                 gint64           chat_id,
                 HearthChatView  *self)
{
  if (chat_id != self->chat_id)
    return;
  reload (self);
  /* (another version shown, a message edited: the context used follows) */
  update_context_label (self);
}

static void
on_reply_text (HearthConversation *conversation,
               gint64              id,
               const char         *batch,
               HearthChatView     *self)
{
  HearthMessageItem *item = find_item (self, id);

  if (item != NULL)
    hearth_message_item_set_live_text (item, hearth_conversation_get_reply_text (conversation));
}

static void
update_send_button (HearthChatView *self)
{
  gboolean generating = self->conversation != NULL
                        && hearth_conversation_is_generating (self->conversation);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->send_button),
                                  generating ? "chat.stop" : "chat.send");
  gtk_button_set_icon_name (self->send_button,
                            generating ? "media-playback-stop-symbolic" : "go-up-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button), generating ? _("Stop") : _("Send"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->send_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  generating ? _("Stop") : _("Send"), -1);
  if (generating)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->send_button), "suggested-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->send_button), "destructive-action");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->send_button), "destructive-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->send_button), "suggested-action");
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", !generating && self->chat_id != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", generating);
}

/* Said to a screen reader: GTK 4.8 has no announcements, but a change of
 * the accessible description of the focused widget is read out (Orca's
 * advice to application developers), and the focus is in the composer
 * (or on the send button) while a reply is written. NULL clears it. */
static void
announce (HearthChatView *self,
          const char     *text)
{
  for (GtkWidget *const *w = (GtkWidget *const[]) { GTK_WIDGET (self->composer),
                                                    GTK_WIDGET (self->send_button), NULL };
       *w != NULL; w++)
    {
      if (text != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (*w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                        -1);
      else
        gtk_accessible_reset_property (GTK_ACCESSIBLE (*w), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

/* How long the start of a reply read out with "finished" is, in characters */
#define ANNOUNCED_CHARS 200

/* "Reply finished: Once upon a time…", "Reply stopped: …", or why it failed. */
static void
announce_reply (HearthChatView   *self,
                HearthGeneration *generation)
{
  const GError *error;
  g_autofree char *start = NULL;
  g_autofree char *text = NULL;
  const char *reply;

  if (generation == NULL || !hearth_generation_is_finished (generation))
    return;
  error = hearth_generation_get_error (generation);
  reply = hearth_generation_get_text (generation);
  start = g_strstrip (g_utf8_substring (reply, 0, MIN (g_utf8_strlen (reply, -1), ANNOUNCED_CHARS)));
  if (g_utf8_strlen (reply, -1) > ANNOUNCED_CHARS)
    {
      char *longer = g_strconcat (start, "…", NULL);

      g_free (start);
      start = longer;
    }
  if (error != NULL)
    text = g_strdup_printf (_("The reply failed: %s"), error->message);
  else if (hearth_generation_get_stats (generation)->stop_reason == HEARTH_STOP_CANCELLED)
    text = *start != '\0' ? g_strdup_printf (_("Reply stopped: %s"), start) : g_strdup (_("Reply stopped"));
  else
    text = *start != '\0' ? g_strdup_printf (_("Reply finished: %s"), start)
                           : g_strdup (_("The model wrote nothing"));
  announce (self, text);
}

static void
key_toast_clicked_cb (AdwToast       *toast,
                      HearthChatView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "chat.set-server-key", "s",
                              g_object_get_data (G_OBJECT (toast), "hearth-server-id"));
}

/* A server that wants a key (or refused the one it was given): the error
 * under the reply says so, and a toast offers to set it. */
static void
offer_server_key (HearthChatView   *self,
                  HearthGeneration *generation)
{
  g_autoptr (HearthChat) chat = NULL;
  g_autofree char *server_id = NULL;
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  const GError *error = generation != NULL ? hearth_generation_get_error (generation) : NULL;
  AdwToast *toast;

  if (!g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE_KEY)
      || overlay == NULL || self->servers == NULL)
    return;
  chat = hearth_chat_store_get_chat (self->chats, self->chat_id, NULL);
  /* (a profile on another host's model names no server of the list) */
  if (chat == NULL || !hearth_remote_parse_model_string (chat->model, &server_id, NULL)
      || hearth_remote_servers_lookup (self->servers, server_id) == NULL)
    return;
  toast = adw_toast_new (_("The server wants an API key"));
  adw_toast_set_button_label (toast, _("Set _Key…"));
  adw_toast_set_timeout (toast, 10);
  g_object_set_data_full (G_OBJECT (toast), "hearth-server-id", g_steal_pointer (&server_id), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (key_toast_clicked_cb), self, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static void
on_generating (HearthConversation *conversation,
               GParamSpec         *pspec,
               HearthChatView     *self)
{
  update_send_button (self);
  update_context_label (self);
  /* the new reply is marked as being written (not as cut off), and the
   * finished one as finished */
  reload (self);
  if (hearth_conversation_is_generating (conversation))
    announce (self, NULL);
  else
    {
      announce_reply (self, hearth_conversation_get_generation (conversation));
      offer_server_key (self, hearth_conversation_get_generation (conversation));
    }
}

/* ---- drafts: what is typed and not sent waits with its chat -------------------------- */

static void
save_draft (HearthChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  g_clear_handle_id (&self->draft_save_id, g_source_remove);
  if (self->chats == NULL || self->chat_id == 0)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  /* (a chat deleted meanwhile has nowhere to keep it) */
  if (!hearth_chat_store_set_draft (self->chats, self->chat_id, text, &error)
      && !g_error_matches (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND))
    g_warning ("the draft of chat %" G_GINT64_FORMAT " was not saved: %s", self->chat_id,
               error->message);
}

static gboolean
save_draft_cb (gpointer data)
{
  HearthChatView *self = data;

  self->draft_save_id = 0;
  save_draft (self);
  return G_SOURCE_REMOVE;
}

/* Typing: the draft is saved half a second after the last key, so that a
 * crash or a restart keeps it too. */
static void
on_composer_changed (HearthChatView *self)
{
  if (self->loading_draft || self->chat_id == 0)
    return;
  g_clear_handle_id (&self->draft_save_id, g_source_remove);
  self->draft_save_id = g_timeout_add (500, save_draft_cb, self);
}

static void
load_draft (HearthChatView *self)
{
  g_autofree char *draft = self->chats != NULL && self->chat_id != 0
                             ? hearth_chat_store_get_draft (self->chats, self->chat_id, NULL)
                             : NULL;

  self->loading_draft = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), draft != NULL ? draft : "", -1);
  self->loading_draft = FALSE;
}

/* ---- the model drop-down ------------------------------------------------------ */

static gint64
chat_model_index (HearthChatView *self,
                  const char     *model)
{
  for (guint i = 0; model != NULL && i < self->model_ids->len; i++)
    if (g_str_equal (self->model_ids->pdata[i], model))
      return i;
  return -1;
}

static gboolean
same_names (GtkStringList *list,
            GPtrArray     *names)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  if (n != names->len)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (list, i), names->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

/* A chat whose model was removed (or whose GGUF file is gone) says so in
 * place, with the drop-down as the way on; TRUE where it does. */
static gboolean
update_missing_model (HearthChatView   *self,
                      const HearthChat *chat,
                      gboolean          in_library)
{
  g_autofree char *text = NULL;
  g_autofree char *server_id = NULL;

  if (chat != NULL && chat->model != NULL && *chat->model != '\0' && self->library != NULL)
    {
      if (hearth_remote_parse_model_string (chat->model, &server_id, NULL))
        {
          /* a model on a server: missing only when the server is gone (one
           * that does not answer says so at the next reply) */
          if (self->servers != NULL && hearth_remote_servers_lookup (self->servers, server_id) == NULL)
            text = g_strdup (_("The server of this chat’s model was removed. Choose another model "
                               "to go on with this chat."));
        }
      else if (!g_path_is_absolute (chat->model) && !in_library)
        text = g_strdup_printf (_("The model “%s” is no longer installed. Choose another model to "
                                  "go on with this chat."), chat->model);
      else if (g_path_is_absolute (chat->model) && !g_file_test (chat->model, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *base = g_path_get_basename (chat->model);

          text = g_strdup_printf (_("The model file “%s” is no longer there. Choose another model "
                                    "to go on with this chat."), base);
        }
    }
  if (text != NULL)
    gtk_label_set_text (self->missing_model_label, text);
  gtk_info_bar_set_revealed (self->missing_model, text != NULL);
  return text != NULL;
}

/* A chat whose model is gone: the bar above says so; a reply asked for
 * (sent, written again, an edit) takes the person to the model drop-down
 * instead of failing. TRUE where it did. */
static gboolean
model_is_missing (HearthChatView *self)
{
  if (!gtk_info_bar_get_revealed (self->missing_model))
    return FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self->model_dropdown));
  return TRUE;
}

static void
choose_model_activated (GtkWidget  *widget,
                        const char *action,
                        GVariant   *parameter)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);

  /* the drop-down opens its list */
  gtk_widget_grab_focus (GTK_WIDGET (self->model_dropdown));
  g_signal_emit_by_name (self->model_dropdown, "activate");
}

static void
rebuild_models (HearthChatView *self)
{
  g_autoptr (HearthChat) chat = self->chat_id != 0
                                  ? hearth_chat_store_get_chat (self->chats, self->chat_id, NULL)
                                  : NULL;
  GListModel *library = G_LIST_MODEL (self->library);
  guint n = self->library != NULL ? g_list_model_get_n_items (library) : 0;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gint64 index;

  self->updating_models = TRUE;
  g_ptr_array_set_size (self->model_ids, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (library, i);

      g_ptr_array_add (self->model_ids, g_strdup (hearth_model_item_get_name (item)));
      g_ptr_array_add (names, g_strdup (hearth_model_item_get_name (item)));
    }
  /* the servers' models, each with its server's name */
  if (self->remote_models != NULL)
    {
      GPtrArray *remote = hearth_remote_models_get (self->remote_models);

      for (guint i = 0; i < remote->len; i++)
        {
          const HearthRemoteModel *m = remote->pdata[i];

          g_ptr_array_add (self->model_ids, g_strdup (m->model_string));
          g_ptr_array_add (names, g_strdup (m->label));
        }
    }
  /* a GGUF file outside the store, or a model no longer in it */
  if (chat != NULL && chat->model != NULL && chat_model_index (self, chat->model) < 0)
    {
      gboolean missing = update_missing_model (self, chat, FALSE);

      g_ptr_array_add (self->model_ids, g_strdup (chat->model));
      if (self->servers != NULL && hearth_remote_parse_model_string (chat->model, NULL, NULL))
        g_ptr_array_add (names, hearth_remote_servers_describe_model (self->servers, chat->model));
      else if (g_path_is_absolute (chat->model))
        g_ptr_array_add (names, g_path_get_basename (chat->model));
      else
        g_ptr_array_add (names, missing ? g_strdup_printf (_("%s (not installed)"), chat->model)
                                        : g_strdup (chat->model));
    }
  else
    update_missing_model (self, chat, TRUE);
  g_ptr_array_add (self->model_ids, g_strdup (""));
  g_ptr_array_add (names, g_strdup (_("Open a GGUF File…")));
  /* The list is replaced only when it changed: its rows are the popup's,
   * and a row made anew under the pointer is selected by it (GTK's lists
   * that activate on a single click select on hover) — which chose the
   * model again, which rebuilt the list, about 70 times a second. */
  if (!same_names (self->model_names, names))
    {
      g_ptr_array_add (names, NULL);
      gtk_string_list_splice (self->model_names, 0,
                              g_list_model_get_n_items (G_LIST_MODEL (self->model_names)),
                              (const char *const *) names->pdata);
    }
  index = chat != NULL ? chat_model_index (self, chat->model) : -1;
  if (gtk_drop_down_get_selected (self->model_dropdown)
      != (index >= 0 ? (guint) index : GTK_INVALID_LIST_POSITION))
    gtk_drop_down_set_selected (self->model_dropdown,
                                index >= 0 ? (guint) index : GTK_INVALID_LIST_POSITION);
  self->updating_models = FALSE;
}

static void
use_model (HearthChatView *self,
           const char     *model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChat) chat = NULL;

  if (self->conversation == NULL)
    return;
  /* the model it has already: nothing to do, nothing to write */
  chat = hearth_chat_store_get_chat (self->chats, self->chat_id, NULL);
  if (chat != NULL && g_strcmp0 (chat->model, model) == 0)
    return;
  if (!hearth_conversation_set_model (self->conversation, model, &error))
    toast (self, error->message);
  else if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-model", model);
  rebuild_models (self);
}

static void
on_gguf_chosen (HearthChatView       *self,
                int                   response,
                GtkFileChooserNative *chooser)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path != NULL)
    use_model (self, path);
  else
    rebuild_models (self); /* back to the model there was */
}

static void
on_model_selected (HearthChatView *self)
{
  guint selected = gtk_drop_down_get_selected (self->model_dropdown);
  const char *model;

  if (self->updating_models || selected >= self->model_ids->len)
    return;
  model = self->model_ids->pdata[selected];
  if (*model != '\0')
    {
      /* (the drop-down says "selected" again once the list is made anew:
       * use_model () does nothing for the model the chat has already) */
      use_model (self, model);
      return;
    }
  if (self->chooser != NULL)
    return;
  self->chooser = hearth_ui_gguf_chooser_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Open a GGUF File"));
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_gguf_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- actions --------------------------------------------------------------------- */

/* Preferences → Servers, with server @parameter's dialog open on it. */
static void
set_server_key_activated (GtkWidget  *widget,
                          const char *action,
                          GVariant   *parameter)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  HearthPreferencesWindow *preferences = hearth_preferences_window_new (parent);
  g_autoptr (GPtrArray) pages = g_ptr_array_new ();

  hearth_ui_collect_widgets (GTK_WIDGET (preferences), HEARTH_TYPE_SERVERS_PAGE, pages);
  gtk_window_present (GTK_WINDOW (preferences));
  if (pages->len == 0)
    return;
  adw_preferences_window_set_visible_page (ADW_PREFERENCES_WINDOW (preferences), pages->pdata[0]);
  gtk_widget_activate_action (pages->pdata[0], "servers.edit", "s",
                              g_variant_get_string (parameter, NULL));
}

/* What is typed in @view, without the spaces around it; NULL if nothing. */
static char *
typed_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;
  char *text;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

static void
on_refused_response (GtkInfoBar *bar,
                     int         response,
                     gpointer    user_data)
{
  gtk_info_bar_set_revealed (bar, FALSE);
}

static void
send_activated (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (self->conversation == NULL || (text = typed_text (self->composer)) == NULL)
    return;
  if (model_is_missing (self))
    return;
  hearth_chat_settings_save_now (self->settings_pane);   /* the reply reads them */
  gtk_info_bar_set_revealed (self->refused, FALSE);
  if (!hearth_conversation_send (self->conversation, text, &error))
    {
      if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REFUSED))
        {
          /* where the reply would be; the message stays to be edited */
          gtk_label_set_text (self->refused_label, error->message);
          gtk_info_bar_set_revealed (self->refused, TRUE);
          return;
        }
      toast (self, error->message);
      return;
    }
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), "", 0);
  save_draft (self); /* sent: no draft left */
  self->stick_to_bottom = TRUE;
}

static void
stop_activated (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);

  if (self->conversation != NULL)
    hearth_conversation_stop (self->conversation);
}

static void
copy_activated (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);
  HearthMessageItem *item = find_item (self, g_variant_get_int64 (parameter));

  const HearthChatMessage *m;
  g_autofree char *reasoning = NULL;
  g_autofree char *answer = NULL;

  if (item == NULL)
    return;
  /* a reply's answer, without its reasoning */
  m = hearth_message_item_get_message (item);
  if (g_str_equal (m->role, "assistant"))
    hearth_markdown_split_reasoning (m->content, &reasoning, &answer);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), answer != NULL ? answer : m->content);
  toast (self, _("Copied"));
}

static void
regenerate (HearthChatView *self,
            gint64          id,
            gboolean        drop_oldest)
{
  g_autoptr (GError) error = NULL;

  if (model_is_missing (self))
    return;
  self->stick_to_bottom = TRUE;
  if (self->conversation != NULL
      && (hearth_chat_settings_save_now (self->settings_pane), TRUE)
      && !hearth_conversation_regenerate (self->conversation, id, drop_oldest, &error))
    toast (self, error->message);
}

static void
regenerate_activated (GtkWidget  *widget,
                      const char *action,
                      GVariant   *parameter)
{
  regenerate (HEARTH_CHAT_VIEW (widget), g_variant_get_int64 (parameter), FALSE);
}

static void
leave_out_oldest_activated (GtkWidget  *widget,
                            const char *action,
                            GVariant   *parameter)
{
  regenerate (HEARTH_CHAT_VIEW (widget), g_variant_get_int64 (parameter), TRUE);
}

static void
show_version (HearthChatView *self,
              gint64          id,
              int             offset)
{
  g_autoptr (GError) error = NULL;
  gint64 sibling = hearth_chat_store_get_sibling (self->chats, id, offset, &error);

  if (sibling != 0 && !hearth_chat_store_select_message (self->chats, sibling, &error))
    toast (self, error->message);
}

static void
previous_activated (GtkWidget  *widget,
                    const char *action,
                    GVariant   *parameter)
{
  show_version (HEARTH_CHAT_VIEW (widget), g_variant_get_int64 (parameter), -1);
}

static void
next_activated (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  show_version (HEARTH_CHAT_VIEW (widget), g_variant_get_int64 (parameter), 1);
}

static void
on_edit_response (AdwMessageDialog *dialog,
                  const char       *response,
                  HearthChatView   *self)
{
  GtkTextView *view = g_object_get_data (G_OBJECT (dialog), "hearth-text");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "hearth-id"));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (!g_str_equal (response, "send") || (text = typed_text (view)) == NULL)
    return;
  self->stick_to_bottom = TRUE;
  hearth_chat_settings_save_now (self->settings_pane);
  if (!hearth_conversation_edit (self->conversation, id, text, &error))
    toast (self, error->message);
}

static void
edit_activated (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);
  gint64 id = g_variant_get_int64 (parameter);
  HearthMessageItem *item = find_item (self, id);
  GtkWidget *dialog, *scroller, *view;

  /* (before the dialog: the text written in it would have nowhere to go) */
  if (item == NULL || self->conversation == NULL || model_is_missing (self))
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("Edit Message"),
                                   _("The reply that follows is written again; the earlier "
                                     "version stays, one click away."));
  view = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)),
                            hearth_message_item_get_message (item)->content, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Message"), -1);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 120);
  gtk_widget_add_css_class (scroller, "card");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scroller);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "send",
                                    _("_Send"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "send");
  g_object_set_data (G_OBJECT (dialog), "hearth-text", view);
  g_object_set_data (G_OBJECT (dialog), "hearth-id", GSIZE_TO_POINTER ((gsize) id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_edit_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (view);
}

/* Enter sends, Shift+Enter is a new line, Escape stops. */
static gboolean
on_composer_key (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 HearthChatView        *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter)
      && !(state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "chat.send", NULL);
      return TRUE;
    }
  if (keyval == GDK_KEY_Escape && self->conversation != NULL
      && hearth_conversation_is_generating (self->conversation))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "chat.stop", NULL);
      return TRUE;
    }
  return FALSE;
}

/* ---- the list's rows ---------------------------------------------------------------- */

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, hearth_message_row_new ());
  gtk_list_item_set_activatable (list_item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  hearth_message_row_set_item (HEARTH_MESSAGE_ROW (gtk_list_item_get_child (list_item)),
                               gtk_list_item_get_item (list_item));
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  hearth_message_row_set_item (HEARTH_MESSAGE_ROW (gtk_list_item_get_child (list_item)), NULL);
}

/* Following the end: while the end is in view, growing text (and a chat
 * just opened, whose rows are measured over a few frames) keeps it in
 * view. Done in the frame's layout phase, once the list is allocated: a
 * value set from the adjustment's "changed" would be set while GTK 4.8's
 * list view has its own handler blocked (the scroll bar would move, not the
 * list), and one set before the list is allocated anew may point past its
 * rows. */
static void
on_layout (GdkFrameClock  *clock,
           HearthChatView *self)
{
  /* (an empty list leaves its adjustment as the last chat had it: GTK
   * 4.8's list view allocates nothing then, and a value set on it would
   * point past its rows: "GtkListView failed to scroll to given position",
   * after a long chat scrolled back to its start and a new chat) */
  if (self->stick_to_bottom && g_list_model_get_n_items (G_LIST_MODEL (self->messages)) > 0)
    scroll_to_end (self);
  /* (a change of size with no change of value leaves the mark) */
  self->list_moved = FALSE;
}

static void
hearth_chat_view_map (GtkWidget *widget)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (widget);

  GTK_WIDGET_CLASS (hearth_chat_view_parent_class)->map (widget);
  self->layout_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->layout_id = g_signal_connect (self->layout_clock, "layout", G_CALLBACK (on_layout), self);
}

static void
stop_following (HearthChatView *self)
{
  if (self->layout_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->layout_clock);
  g_clear_object (&self->layout_clock);
}

static void
hearth_chat_view_unmap (GtkWidget *widget)
{
  stop_following (HEARTH_CHAT_VIEW (widget));
  GTK_WIDGET_CLASS (hearth_chat_view_parent_class)->unmap (widget);
}

/* The list sets its adjustment's size and value together (gtk_adjustment_
 * configure: "changed", then "value-changed") when its rows are measured or
 * the item it is anchored to moves; that is not the person scrolling, and
 * must not stop the end being followed. */
static void
on_adjustment_changed (GtkAdjustment  *adj,
                       HearthChatView *self)
{
  self->list_moved = TRUE;
}

/* Scrolled by the person: the end is followed again once they are back at
 * it. */
static void
on_adjustment_value (GtkAdjustment  *adj,
                     HearthChatView *self)
{
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  if (self->list_moved)
    {
      self->list_moved = FALSE;
      return;
    }
  self->stick_to_bottom = gtk_adjustment_get_value (adj) >= end - 48;
}

/* ---- public ------------------------------------------------------------------------- */

void
hearth_chat_view_set_chat (HearthChatView    *self,
                           HearthApplication *app,
                           gint64             chat_id)
{
  gboolean other_chat = chat_id != self->chat_id;

  g_return_if_fail (HEARTH_IS_CHAT_VIEW (self));

  /* the text typed in the chat left waits there */
  if (other_chat && self->draft_save_id != 0)
    save_draft (self);
  if (other_chat)
    gtk_info_bar_set_revealed (self->refused, FALSE);
  /* The focus leaves the messages before their rows are given to another
   * chat: a focused button in a row that goes away left GTK 4.8 with a
   * focus widget no longer in the window, and its next layout said
   * "gtk_widget_is_ancestor: assertion 'GTK_IS_WIDGET (widget)' failed"
   * (Ctrl+Delete with the focus on a message's button). */
  if (other_chat && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    {
      GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));

      if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->message_list)))
        gtk_widget_grab_focus (GTK_WIDGET (self->composer));
    }
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_clear_object (&self->conversation);
  if (self->chats == NULL && app != NULL)
    {
      self->chats = hearth_application_get_chat_store (app, NULL);
      if (self->chats != NULL)
        {
          g_object_ref (self->chats);
          g_signal_connect_object (self->chats, "chat-changed", G_CALLBACK (on_chat_changed), self, 0);
        }
    }
  if (self->library == NULL && app != NULL)
    {
      self->library = g_object_ref (hearth_application_get_library (app));
      g_signal_connect_object (self->library, "items-changed", G_CALLBACK (rebuild_models), self,
                               G_CONNECT_SWAPPED);
      self->settings = g_object_ref (hearth_application_get_settings (app));
      self->servers = g_object_ref (hearth_context_get_servers (hearth_application_get_context (app)));
      self->remote_models = hearth_remote_models_new (self->servers);
      g_signal_connect_object (self->remote_models, "changed", G_CALLBACK (rebuild_models), self,
                               G_CONNECT_SWAPPED);
    }
  self->chat_id = self->chats != NULL ? chat_id : 0;
  if (self->chat_id != 0 && app != NULL)
    {
      self->conversation = hearth_application_get_conversation (app, chat_id);
      g_signal_connect (self->conversation, "reply-text", G_CALLBACK (on_reply_text), self);
      g_signal_connect (self->conversation, "notify::generating", G_CALLBACK (on_generating), self);
    }
  if (other_chat || self->chat_id == 0)
    hearth_chat_settings_set_chat (self->settings_pane, self->chats, self->library, self->chat_id);
  if (other_chat)
    load_draft (self);
  /* one change for the list: rows are reused rather than remade */
  self->stick_to_bottom = TRUE;
  reload (self);
  rebuild_models (self);
  update_send_button (self);
  update_context_label (self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

gint64
hearth_chat_view_get_chat_id (HearthChatView *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_VIEW (self), 0);
  return self->chat_id;
}

void
hearth_chat_view_focus_composer (HearthChatView *self)
{
  g_return_if_fail (HEARTH_IS_CHAT_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

GtkWidget *
hearth_chat_view_new (void)
{
  return g_object_new (HEARTH_TYPE_CHAT_VIEW, NULL);
}

static void
hearth_chat_view_dispose (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  if (self->draft_save_id != 0)
    save_draft (self);
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_clear_object (&self->conversation);
  hearth_ui_clear_chooser (&self->chooser, self);
  stop_following (self);
  stop_loading (self);
  g_clear_object (&self->chats);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);
  g_clear_object (&self->remote_models);
  g_clear_object (&self->servers);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_CHAT_VIEW);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->dispose (object);
}

static void
hearth_chat_view_finalize (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  g_clear_object (&self->messages);
  g_clear_object (&self->model_names);
  g_ptr_array_unref (self->model_ids);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->finalize (object);
}

static void
hearth_chat_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS_SHOWN:
      g_value_set_boolean (value, adw_flap_get_reveal_flap (self->flap));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_chat_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS_SHOWN:
      adw_flap_set_reveal_flap (self->flap, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_flap_revealed (HearthChatView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SETTINGS_SHOWN]);
}

static void
hearth_chat_view_class_init (HearthChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_chat_view_dispose;
  object_class->get_property = hearth_chat_view_get_property;
  object_class->set_property = hearth_chat_view_set_property;
  widget_class->map = hearth_chat_view_map;
  widget_class->unmap = hearth_chat_view_unmap;
  object_class->finalize = hearth_chat_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/hearth-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, messages_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, message_list);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, context_label);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, composer);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, missing_model);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, missing_model_label);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, refused);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, refused_label);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, settings_pane);

  /* the chat's settings pane, beside the chat or over it (win.chat-settings) */
  props[PROP_SETTINGS_SHOWN] = g_param_spec_boolean ("settings-shown", NULL, NULL, FALSE,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                                       | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_activated);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_activated);
  gtk_widget_class_install_action (widget_class, "chat.copy-message", "x", copy_activated);
  gtk_widget_class_install_action (widget_class, "chat.edit-message", "x", edit_activated);
  gtk_widget_class_install_action (widget_class, "chat.regenerate", "x", regenerate_activated);
  gtk_widget_class_install_action (widget_class, "chat.leave-out-oldest", "x",
                                   leave_out_oldest_activated);
  gtk_widget_class_install_action (widget_class, "chat.previous-version", "x", previous_activated);
  gtk_widget_class_install_action (widget_class, "chat.next-version", "x", next_activated);
  gtk_widget_class_install_action (widget_class, "chat.choose-model", NULL, choose_model_activated);
  gtk_widget_class_install_action (widget_class, "chat.set-server-key", "s",
                                   set_server_key_activated);
}

static void
hearth_chat_view_init (HearthChatView *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkAdjustment *adj;

  g_type_ensure (HEARTH_TYPE_MESSAGE_ROW);
  g_type_ensure (HEARTH_TYPE_CHAT_SETTINGS);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->flap = ADW_FLAP (adw_bin_get_child (ADW_BIN (self)));
  g_signal_connect_swapped (self->flap, "notify::reveal-flap", G_CALLBACK (on_flap_revealed), self);

  self->messages = g_list_store_new (HEARTH_TYPE_MESSAGE_ITEM);
  self->model_names = gtk_string_list_new (NULL);
  self->model_ids = g_ptr_array_new_with_free_func (g_free);
  self->stick_to_bottom = TRUE;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  gtk_list_view_set_factory (self->message_list, factory);
  g_object_unref (factory);
  {
    GtkNoSelection *selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->messages)));

    gtk_list_view_set_model (self->message_list, GTK_SELECTION_MODEL (selection));
    g_object_unref (selection);
  }

  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (self->model_names));
  g_signal_connect_swapped (self->model_dropdown, "notify::selected", G_CALLBACK (on_model_selected),
                            self);

  g_signal_connect_swapped (gtk_text_view_get_buffer (self->composer), "changed",
                            G_CALLBACK (on_composer_changed), self);
  g_signal_connect (self->refused, "response", G_CALLBACK (on_refused_response), NULL);
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_composer_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), keys);

  adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect (adj, "changed", G_CALLBACK (on_adjustment_changed), self);
  g_signal_connect (adj, "value-changed", G_CALLBACK (on_adjustment_value), self);

  update_send_button (self);
}
