/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-conversation"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-conversation.h"
#include "hearth-model-name.h"
#include "hearth-settings.h"

/* A streaming reply is saved this often (a save of a long reply takes
 * about a millisecond of the main loop; at 2,000 tokens/s a second is
 * a page of text, too much to lose). */
#define SAVE_INTERVAL_US (G_USEC_PER_SEC / 4)

struct _HearthConversation
{
  GObject parent_instance;

  HearthChatStore *chats;
  HearthEngine *engine;
  HearthLibrary *models;      /* its store, whichever folder is chosen now */
  HearthRemoteServers *servers;  /* may be NULL */
  gint64 chat_id;

  HearthGeneration *generation;  /* the reply's text is its: one buffer */
  gint64 reply_id;
  gboolean reply_saved;         /* its first words are in the store */
  gint64 last_save;
  HearthOptions options;
  guint used, length;
  gboolean keep_unruled;        /* keep what the model wrote before a profile's rules */
};

enum { PROP_0, PROP_GENERATING, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_REPLY_TEXT, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthConversation, hearth_conversation, G_TYPE_OBJECT)

HearthConversation *
hearth_conversation_new (HearthChatStore *chats,
                         HearthEngine    *engine,
                         HearthLibrary   *models,
                         gint64           chat_id)
{
  HearthConversation *self;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (chats), NULL);
  g_return_val_if_fail (HEARTH_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (HEARTH_IS_LIBRARY (models), NULL);

  self = g_object_new (HEARTH_TYPE_CONVERSATION, NULL);
  self->chats = g_object_ref (chats);
  self->engine = g_object_ref (engine);
  self->models = g_object_ref (models);
  self->chat_id = chat_id;
  return self;
}

gint64
hearth_conversation_get_chat_id (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->chat_id;
}

void
hearth_conversation_set_options (HearthConversation  *self,
                                 const HearthOptions *options)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION (self));
  g_return_if_fail (options != NULL);

  self->options = *options;
}

void
hearth_conversation_set_keep_unruled (HearthConversation *self,
                                      gboolean            keep)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION (self));
  self->keep_unruled = keep;
}

void
hearth_conversation_set_servers (HearthConversation  *self,
                                 HearthRemoteServers *servers)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION (self));
  g_return_if_fail (servers == NULL || HEARTH_IS_REMOTE_SERVERS (servers));

  g_set_object (&self->servers, servers);
}

gboolean
hearth_conversation_set_model (HearthConversation  *self,
                               const char          *model,
                               GError             **error)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  return hearth_chat_store_set_chat_model (self->chats, self->chat_id, model, error);
}

/* The remote of model @name of the store where it lives on another host,
 * as Ollama keeps such a model (its cloud models; `ollama create` FROM a
 * model with a remote host): a manifest with no weights whose config blob
 * names "remote_host" and "remote_model". A server of the list at that
 * address lends its name and key. NULL where @name is no such model. */
static HearthRemote *
stored_remote (HearthConversation *self,
               const char         *name)
{
  HearthStore *store = hearth_library_get_store (self->models);
  g_autofree char *host = NULL;
  g_autofree char *model = NULL;
  g_autofree char *url = NULL;

  if (!hearth_model_layers_read_remote (store, name, &host, &model)
      || (url = hearth_remote_normalize_url (HEARTH_REMOTE_OLLAMA, host, NULL)) == NULL)
    return NULL;
  for (guint i = 0; self->servers != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->servers)); i++)
    {
      g_autoptr (HearthRemoteServer) server = g_list_model_get_item (G_LIST_MODEL (self->servers), i);

      if (hearth_remote_server_get_kind (server) == HEARTH_REMOTE_OLLAMA
          && g_str_equal (hearth_remote_server_get_url (server), url))
        {
          g_autofree char *text = hearth_remote_model_string (hearth_remote_server_get_id (server), model);

          return hearth_remote_servers_resolve (self->servers, text, NULL);
        }
    }
  return hearth_remote_new (HEARTH_REMOTE_OLLAMA, NULL, url, model, NULL);
}

/* The file of the chat's model, or NULL with a message a person can act
 * on; "" for a model on a server, whose remote goes in @remote (when not
 * NULL). */
static char *
model_file (HearthConversation  *self,
            char               **model,
            HearthRemote       **remote,
            GError             **error)
{
  g_autoptr (HearthChat) chat = hearth_chat_store_get_chat (self->chats, self->chat_id, error);
  g_autoptr (GError) local = NULL;
  char *path;

  if (chat == NULL)
    return NULL;
  if (chat->model == NULL || *chat->model == '\0')
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LOAD,
                   _("Choose a model for this chat first"));
      return NULL;
    }
  *model = g_strdup (chat->model);
  if (hearth_remote_parse_model_string (chat->model, NULL, NULL))
    {
      g_autoptr (HearthRemote) found = NULL;

      if (self->servers == NULL)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                       _("This chat’s model is on a server, and no servers are known here"));
          return NULL;
        }
      found = hearth_remote_servers_resolve (self->servers, chat->model, error);
      if (found == NULL)
        return NULL;
      if (remote != NULL)
        *remote = g_steal_pointer (&found);
      return g_strdup ("");
    }
  if (g_path_is_absolute (chat->model))
    {
      if (!g_file_test (chat->model, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LOAD,
                       _("The model file %s is not there any more"), chat->model);
          return NULL;
        }
      return g_strdup (chat->model);
    }
  path = hearth_store_get_model_path (hearth_library_get_store (self->models), chat->model, &local);
  if (path == NULL)
    {
      /* a profile whose model lives on another host: its layers apply
       * here (reply_settings ()), the request goes there */
      g_autoptr (HearthRemote) found = stored_remote (self, chat->model);

      if (found != NULL)
        {
          if (remote != NULL)
            *remote = g_steal_pointer (&found);
          return g_strdup ("");
        }
    }
  if (path == NULL)
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LOAD,
                 _("The model “%s” is not in the library any more (%s)"), chat->model,
                 local->message);
  return path;
}

static char *
stats_json (HearthGeneration *generation)
{
  const HearthGenerationStats *s = hearth_generation_get_stats (generation);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, s->prompt_tokens);
  json_builder_set_member_name (b, "prompt_reused");
  json_builder_add_int_value (b, s->prompt_reused);
  json_builder_set_member_name (b, "generated_tokens");
  json_builder_add_int_value (b, s->generated_tokens);
  json_builder_set_member_name (b, "tokens_per_second");
  json_builder_add_double_value (b, s->tokens_per_second);
  json_builder_set_member_name (b, "first_token_seconds");
  json_builder_add_double_value (b, s->first_token_seconds);
  json_builder_set_member_name (b, "prompt_seconds");
  json_builder_add_double_value (b, s->prompt_seconds);
  json_builder_set_member_name (b, "generation_seconds");
  json_builder_add_double_value (b, s->generation_seconds);
  json_builder_set_member_name (b, "n_ctx");
  json_builder_add_int_value (b, s->n_ctx);
  json_builder_set_member_name (b, "dropped_messages");
  json_builder_add_int_value (b, s->dropped_messages);
  json_builder_set_member_name (b, "stop_reason");
  json_builder_add_string_value (b, hearth_stop_reason_to_string (s->stop_reason));
  if (g_error_matches (hearth_generation_get_error (generation), HEARTH_ENGINE_ERROR,
                       HEARTH_ENGINE_ERROR_CONTEXT_FULL))
    {
      /* the window offers to leave out old turns, or a new chat */
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, "context-full");
    }
  if (hearth_generation_get_refusal (generation) != NULL)
    {
      json_builder_set_member_name (b, "refusal");
      json_builder_add_string_value (b, hearth_generation_get_refusal (generation));
    }
  if (hearth_generation_get_unruled_text (generation) != NULL)
    {
      /* asked for (the "rules-keep-original" setting): what the model wrote */
      json_builder_set_member_name (b, "unruled");
      json_builder_add_string_value (b, hearth_generation_get_unruled_text (generation));
    }
  if (hearth_generation_get_notes (generation)[0] != NULL)
    {
      const char *const *notes = hearth_generation_get_notes (generation);

      /* what the profile's rules did, for the note beside the reply */
      json_builder_set_member_name (b, "notes");
      json_builder_begin_array (b);
      for (guint i = 0; notes[i] != NULL; i++)
        json_builder_add_string_value (b, notes[i]);
      json_builder_end_array (b);
    }
  if (hearth_generation_get_device (generation) != NULL)
    {
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, hearth_generation_get_device (generation));
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
save_reply (HearthConversation *self,
            gboolean            complete)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stats = NULL;
  const char *error_text = NULL;

  if (complete)
    {
      const GError *failed = hearth_generation_get_error (self->generation);

      stats = stats_json (self->generation);
      error_text = failed != NULL ? failed->message : NULL;
    }
  if (!hearth_chat_store_update_message (self->chats, self->reply_id,
                                         hearth_generation_get_text (self->generation), complete,
                                         stats, error_text, &error))
    g_warning ("the reply could not be saved: %s", error->message);
  self->reply_saved = TRUE;
  self->last_save = g_get_monotonic_time ();
}

static void
on_text (HearthGeneration   *generation,
         const char         *batch,
         HearthConversation *self)
{
  /* the first words at once, then SAVE_INTERVAL_US apart */
  if (!self->reply_saved || g_get_monotonic_time () - self->last_save >= SAVE_INTERVAL_US)
    save_reply (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_REPLY_TEXT], 0, self->reply_id, batch);
}

static void
on_finished (HearthGeneration   *generation,
             HearthConversation *self)
{
  const HearthGenerationStats *s = hearth_generation_get_stats (generation);

  g_signal_handlers_disconnect_by_data (generation, self);
  if (s->n_ctx > 0)
    {
      self->length = s->n_ctx;
      /* the last token written is not in the cache yet */
      self->used = MIN (s->prompt_tokens + s->generated_tokens, s->n_ctx);
    }
  save_reply (self, TRUE);
  self->reply_id = 0;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_GENERATING]);
}

/* FALSE, saying so, while a reply is being written. */
static gboolean
check_not_busy (HearthConversation  *self,
                GError             **error)
{
  if (hearth_conversation_is_generating (self))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED,
                   _("A reply is being written; stop it first"));
      return FALSE;
    }
  return TRUE;
}

/* The settings of the next reply, resolved as everywhere else
 * (HearthSettings): the options set (hearth_conversation_set_options (),
 * Ollama's defaults until then) < the model's own layers (a profile's) <
 * the chat's settings. NULL, saying which, where one cannot be used. */
static HearthSettings *
reply_settings (HearthConversation  *self,
                const char          *model,
                GError             **error)
{
  g_autoptr (HearthSettings) settings = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) local = NULL;

  /* (a chat's model is a name in the store, the full path of a file, or
   * a model on a server: those last two have no layers of their own here) */
  settings = hearth_settings_new_for_model (hearth_library_get_store (self->models),
                                            g_path_is_absolute (model)
                                                || hearth_remote_parse_model_string (model, NULL, NULL)
                                              ? NULL
                                              : model,
                                            &self->options, error);
  if (settings == NULL)
    return NULL;
  json = hearth_chat_store_get_chat_settings (self->chats, self->chat_id, error);
  if (json == NULL)
    return NULL;
  if (!hearth_settings_apply_text (settings, json, HEARTH_SETTING_CHAT, &local))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("This chat’s settings cannot be used (%s); change them in the chat’s settings"),
                   local->message);
      return NULL;
    }
  return g_steal_pointer (&settings);
}

/* FALSE, saying why, where the chat's settings cannot be used, or where
 * the profile's rules refuse @text (the message about to be sent; then a
 * HEARTH_ENGINE_ERROR_REFUSED whose message is the rule's): checked before
 * a message is saved, so that none waits without a reply. */
static gboolean
check_settings (HearthConversation  *self,
                const char          *model,
                const char          *text,
                GError             **error)
{
  g_autoptr (HearthSettings) settings = reply_settings (self, model, error);
  g_autoptr (HearthRulesResult) checked = NULL;

  if (settings == NULL)
    return FALSE;
  if (text == NULL || hearth_settings_get_rules (settings) == NULL)
    return TRUE;
  checked = hearth_rules_apply_input (hearth_settings_get_rules (settings), text);
  if (checked->refused)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REFUSED,
                           checked->refusal);
      return FALSE;
    }
  return TRUE;
}

/* A reply after @parent_id, from the conversation that leads to it. */
static gboolean
reply_after (HearthConversation  *self,
             gint64               parent_id,
             gboolean             drop_oldest,
             GError             **error)
{
  g_autofree char *path = NULL;
  g_autofree char *model = NULL;
  g_autofree char *params = NULL;
  g_autoptr (GPtrArray) shown = NULL;
  g_autoptr (HearthRequest) request = NULL;
  g_autofree char *session = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  g_autoptr (HearthRemote) remote = NULL;

  if (!check_not_busy (self, error))
    return FALSE;
  path = model_file (self, &model, &remote, error);
  if (path == NULL)
    return FALSE;
  settings = reply_settings (self, model, error);
  if (settings == NULL)
    return FALSE;
  shown = hearth_chat_store_get_conversation (self->chats, self->chat_id, error);
  if (shown == NULL)
    return FALSE;

  session = g_strdup_printf ("chat-%" G_GINT64_FORMAT, self->chat_id);
  request = remote != NULL ? hearth_request_new_remote (remote, session)
                           : hearth_request_new (path, session);
  request->drop_oldest = drop_oldest;
  request->keep_unruled = self->keep_unruled;
  /* the conversation up to @parent_id, as shown */
  for (guint i = 0; i < shown->len; i++)
    {
      HearthChatMessage *m = shown->pdata[i];

      hearth_request_add_message (request, m->role, m->content);
      if (m->id == parent_id)
        break;
    }
  /* the options, the system prompt (unless the conversation starts with
   * its own), the model's examples and template */
  hearth_settings_apply_to (settings, request);
  params = hearth_options_to_json (&request->options);

  self->reply_id = hearth_chat_store_add_message (self->chats, self->chat_id, parent_id,
                                                  "assistant", "", model, params, FALSE, error);
  if (self->reply_id == 0)
    return FALSE;
  self->reply_saved = FALSE;
  self->last_save = g_get_monotonic_time ();
  g_clear_object (&self->generation);
  self->generation = hearth_engine_generate (self->engine, g_steal_pointer (&request));
  g_signal_connect (self->generation, "text", G_CALLBACK (on_text), self);
  g_signal_connect (self->generation, "finished", G_CALLBACK (on_finished), self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_GENERATING]);
  return TRUE;
}

gboolean
hearth_conversation_send (HearthConversation  *self,
                          const char          *text,
                          GError             **error)
{
  g_autofree char *path = NULL;
  g_autofree char *model = NULL;
  gint64 parent, id;

  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!check_not_busy (self, error))
    return FALSE;
  /* nothing is saved for a chat that cannot answer */
  path = model_file (self, &model, NULL, error);
  if (path == NULL || !check_settings (self, model, text, error))
    return FALSE;
  /* (found without reading the conversation: reply_after () reads it once) */
  parent = hearth_chat_store_get_last_shown (self->chats, self->chat_id, error);
  if (parent < 0)
    return FALSE;
  id = hearth_chat_store_add_message (self->chats, self->chat_id, parent, "user", text, NULL, NULL,
                                      TRUE, error);
  if (id == 0)
    return FALSE;
  return reply_after (self, id, FALSE, error);
}

gboolean
hearth_conversation_regenerate (HearthConversation  *self,
                                gint64               reply_id,
                                gboolean             drop_oldest,
                                GError             **error)
{
  g_autoptr (HearthChatMessage) reply = NULL;

  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);

  reply = hearth_chat_store_get_message (self->chats, reply_id, error);
  if (reply == NULL)
    return FALSE;
  if (reply->chat_id != self->chat_id || !g_str_equal (reply->role, "assistant")
      || reply->parent_id == 0)
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("Only a reply in this chat can be written again"));
      return FALSE;
    }
  return reply_after (self, reply->parent_id, drop_oldest, error);
}

gboolean
hearth_conversation_edit (HearthConversation  *self,
                          gint64               message_id,
                          const char          *text,
                          GError             **error)
{
  g_autoptr (HearthChatMessage) message = NULL;
  g_autofree char *path = NULL;
  g_autofree char *model = NULL;
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  message = hearth_chat_store_get_message (self->chats, message_id, error);
  if (message == NULL)
    return FALSE;
  if (message->chat_id != self->chat_id || !g_str_equal (message->role, "user"))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("Only your own messages in this chat can be edited"));
      return FALSE;
    }
  if (!check_not_busy (self, error))
    return FALSE;
  path = model_file (self, &model, NULL, error);
  if (path == NULL || !check_settings (self, model, text, error))
    return FALSE;
  id = hearth_chat_store_add_message (self->chats, self->chat_id, message->parent_id, "user", text,
                                      NULL, NULL, TRUE, error);
  if (id == 0)
    return FALSE;
  return reply_after (self, id, FALSE, error);
}

void
hearth_conversation_stop (HearthConversation *self)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION (self));

  if (self->generation != NULL)
    hearth_generation_cancel (self->generation);
}

gboolean
hearth_conversation_is_generating (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  return self->reply_id != 0;
}

gint64
hearth_conversation_get_reply_id (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->reply_id;
}

const char *
hearth_conversation_get_reply_text (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), NULL);
  return self->generation != NULL ? hearth_generation_get_text (self->generation) : "";
}

HearthGeneration *
hearth_conversation_get_generation (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), NULL);
  return self->generation;
}

/* The context's length and use from the statistics of the last reply
 * shown that has them (none: 0 and 0). */
static void
context_use_from_history (HearthConversation *self)
{
  g_autoptr (GPtrArray) path = hearth_chat_store_get_conversation (self->chats, self->chat_id, NULL);

  self->length = 0;
  self->used = 0;

  for (guint i = path != NULL ? path->len : 0; i > 0; i--)
    {
      HearthChatMessage *m = path->pdata[i - 1];
      g_autoptr (JsonParser) parser = NULL;
      JsonObject *stats;
      gint64 n_ctx, tokens;

      if (m->stats == NULL)
        continue;
      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, m->stats, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      stats = json_node_get_object (json_parser_get_root (parser));
      n_ctx = json_object_get_int_member_with_default (stats, "n_ctx", 0);
      tokens = json_object_get_int_member_with_default (stats, "prompt_tokens", 0)
               + json_object_get_int_member_with_default (stats, "generated_tokens", 0);
      if (n_ctx <= 0 || n_ctx > G_MAXUINT || tokens < 0)
        continue;
      self->length = (guint) n_ctx;
      self->used = (guint) MIN (tokens, n_ctx);
      return;
    }
}

void
hearth_conversation_get_context_use (HearthConversation *self,
                                     guint              *used,
                                     guint              *length)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION (self));

  /* as the reply shown last left it — another version of it, chosen with
   * "< 2/3 >", or an edit, shows another — except while a reply is being
   * written, when it is the one at work */
  if (!hearth_conversation_is_generating (self))
    context_use_from_history (self);
  if (used != NULL)
    *used = self->used;
  if (length != NULL)
    *length = self->length;
}

static void
hearth_conversation_dispose (GObject *object)
{
  HearthConversation *self = HEARTH_CONVERSATION (object);

  if (self->generation != NULL)
    {
      /* a reply under way: stopped, and what it wrote saved */
      if (!hearth_generation_is_finished (self->generation) && self->reply_id != 0)
        {
          hearth_generation_cancel (self->generation);
          g_signal_handlers_disconnect_by_data (self->generation, self);
          hearth_chat_store_update_message (self->chats, self->reply_id,
                                            hearth_generation_get_text (self->generation), TRUE,
                                            NULL, NULL, NULL);
          self->reply_id = 0;
        }
      g_signal_handlers_disconnect_by_data (self->generation, self);
      g_clear_object (&self->generation);
    }
  g_clear_object (&self->chats);
  g_clear_object (&self->engine);
  g_clear_object (&self->models);
  g_clear_object (&self->servers);

  G_OBJECT_CLASS (hearth_conversation_parent_class)->dispose (object);
}

static void
hearth_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  HearthConversation *self = HEARTH_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_GENERATING:
      g_value_set_boolean (value, hearth_conversation_is_generating (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_conversation_class_init (HearthConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_conversation_dispose;
  object_class->get_property = hearth_conversation_get_property;

  props[PROP_GENERATING] = g_param_spec_boolean ("generating", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                   | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_REPLY_TEXT] = g_signal_new ("reply-text", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                             2, G_TYPE_INT64, G_TYPE_STRING);
}

static void
hearth_conversation_init (HearthConversation *self)
{
  hearth_options_init (&self->options);
}
