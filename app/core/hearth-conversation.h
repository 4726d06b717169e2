/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A chat being talked in: the chat history's messages, the engine's
 * replies, and the model store that turns the chat's model into a file.
 *
 * Sending adds the user's message after the conversation shown and a reply
 * after it; the reply's text is saved while it streams (its first words at
 * once, then a quarter of a second apart, and at its end with its
 * statistics or its error), so that a crash loses well under a second of
 * it. Regenerating adds a sibling reply, editing
 * a sibling message and a reply to it: nothing already said is replaced.
 *
 * ::reply-text (gint64 message id, const char *batch) comes with each batch
 * of a reply (on the main context); notify::generating when a reply starts
 * or ends. The chat store's ::chat-changed says when messages change.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-chat-store.h"
#include "hearth-engine.h"
#include "hearth-library.h"
#include "hearth-remote-servers.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CONVERSATION (hearth_conversation_get_type ())
G_DECLARE_FINAL_TYPE (HearthConversation, hearth_conversation, HEARTH, CONVERSATION, GObject)

/* @models: the library whose store names the chat's model (the folder in
 * use when a reply is asked for). */
HearthConversation *hearth_conversation_new (HearthChatStore *chats,
                                             HearthEngine    *engine,
                                             HearthLibrary   *models,
                                             gint64           chat_id);

gint64 hearth_conversation_get_chat_id (HearthConversation *self);

/* Whether a reply keeps what the model wrote before the profile's output
 * rules changed it (in its statistics, "unruled"), for "show what the rules
 * changed": FALSE unless the person asked for it. */
void hearth_conversation_set_keep_unruled (HearthConversation *self,
                                           gboolean            keep);

/* The servers that a chat's remote model is looked up in (the
 * context's; hearth_context_get_conversation () sets them). Without them,
 * a chat on a remote model says so at its next reply. */
void hearth_conversation_set_servers (HearthConversation  *self,
                                      HearthRemoteServers *servers);

/* The chat's model: a name in the model store ("qwen2.5:0.5b"), the full
 * path of a GGUF file outside it, or a model on a server
 * (hearth_remote_model_string (): "remote://SERVER-ID/MODEL"), which
 * replies with the chat's history and the chat's settings (system prompt,
 * parameters, stop strings: those that differ from Ollama's defaults go
 * with each request), its statistics as the server counts them. A server
 * that cannot be reached, or stops in the middle, ends the reply with a
 * HEARTH_ENGINE_ERROR_REMOTE saying so; what was written stays. */
gboolean hearth_conversation_set_model (HearthConversation  *self,
                                        const char          *model,
                                        GError             **error);

/* The sampling settings and context length of the replies from now on
 * (Ollama's defaults and the model's length, capped at 4096, until set):
 * the defaults that the chat's own settings are laid over at each reply.
 * The chat's settings (hearth_chat_store_set_chat_settings ()) give its
 * parameters, its stop strings and its system prompt, which goes first as
 * a "system" message unless the conversation starts with one; a setting
 * out of range makes the reply fail, saying which. */
void hearth_conversation_set_options (HearthConversation  *self,
                                      const HearthOptions *options);

/* @text as the user's next message, and a reply to it. */
gboolean hearth_conversation_send (HearthConversation  *self,
                                   const char          *text,
                                   GError             **error);
/* Another reply in place of @reply_id (which stays, as a sibling); with
 * @drop_oldest, the oldest turns are left out if the conversation no
 * longer fits in the context. */
gboolean hearth_conversation_regenerate (HearthConversation  *self,
                                         gint64               reply_id,
                                         gboolean             drop_oldest,
                                         GError             **error);
/* @text in place of the user's message @message_id (which stays, as a
 * sibling), and a reply to it. */
gboolean hearth_conversation_edit (HearthConversation  *self,
                                   gint64               message_id,
                                   const char          *text,
                                   GError             **error);
/* Stops the reply being written; what it wrote is kept. */
void hearth_conversation_stop (HearthConversation *self);

gboolean hearth_conversation_is_generating (HearthConversation *self);
/* The reply being written (0: none) and its text so far. */
gint64 hearth_conversation_get_reply_id (HearthConversation *self);
const char *hearth_conversation_get_reply_text (HearthConversation *self);
/* The generation of the last reply (may be finished), or NULL. */
HearthGeneration *hearth_conversation_get_generation (HearthConversation *self);

/* The context's length and how much of it the conversation used at the
 * last reply (0, 0 before any). */
void hearth_conversation_get_context_use (HearthConversation *self,
                                          guint              *used,
                                          guint              *length);

G_END_DECLS
