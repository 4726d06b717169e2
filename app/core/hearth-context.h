/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthContext: the GTK-free hub that every entry point shares — the
 * application and its windows, each `hearth` command, later `hearth serve`.
 * It owns the settings, the model library (and its store), the downloads,
 * the chat history, the engine with its loaded models, and the
 * conversations being talked in; each is made on first use, so that a
 * command that lists models never opens the chat history. Nothing else
 * builds these services.
 *
 * Everything here runs on the thread that made the context (the main one).
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "hearth-chat-store.h"
#include "hearth-conversation.h"
#include "hearth-downloads.h"
#include "hearth-engine.h"
#include "hearth-library.h"
#include "hearth-remote-servers.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CONTEXT (hearth_context_get_type ())
G_DECLARE_FINAL_TYPE (HearthContext, hearth_context, HEARTH, CONTEXT, GObject)

/* @settings: the application's settings (io.github.hearth.Hearth), or NULL
 * where the schema is not installed (a command run from a plain build):
 * the defaults and the environment then decide. */
HearthContext *hearth_context_new (GSettings *settings);

/* The settings, or NULL (see hearth_context_new ()). Borrowed. */
GSettings *hearth_context_get_settings (HearthContext *self);

/* The models in the store ($HEARTH_MODELS, else the models-dir setting,
 * else Hearth's own folder). Borrowed. */
HearthLibrary *hearth_context_get_library (HearthContext *self);

/* The library's store now (it changes with the models folder). Borrowed. */
HearthStore *hearth_context_get_store (HearthContext *self);

/* The HTTP session of every download and pull (Hearth's user agent, the
 * system's proxy settings). Borrowed. */
SoupSession *hearth_context_get_http_session (HearthContext *self);

/* The downloads. Borrowed. */
HearthDownloads *hearth_context_get_downloads (HearthContext *self);

/* The chat history, opened on first use; NULL (and @error, each time
 * asked) when it cannot be opened: a damaged file or one from a newer
 * Hearth is left as it is. Borrowed. */
HearthChatStore *hearth_context_get_chat_store (HearthContext  *self,
                                                GError        **error);

/* The engine (keep-alive from the settings, where there are settings).
 * Borrowed. */
HearthEngine *hearth_context_get_engine (HearthContext *self);

/* The remote servers (Preferences → Servers): a GListModel of
 * HearthRemoteServer, kept in the settings, their keys in the keyring
 * (hearth-remote-servers.h). The conversations use it for chats whose model
 * is on a server. Borrowed. */
HearthRemoteServers *hearth_context_get_servers (HearthContext *self);

/* The conversation of chat @chat_id, shared by everyone who shows it (a
 * new reference), or NULL without a chat history. */
HearthConversation *hearth_context_get_conversation (HearthContext *self,
                                                     gint64         chat_id);

/* Ollama's models folder when Hearth should offer, once, to use it: it
 * exists with models, and neither $HEARTH_MODELS nor a chosen folder nor an
 * earlier offer (answered, or still out) says otherwise. *@n_models gets
 * how many it has. NULL otherwise, and always without settings. */
char *hearth_context_ollama_offer (HearthContext *self,
                                   guint         *n_models);

/* Records the answer to the offer: with @use, the store is @root from now
 * on (the models-dir setting) and the library shows it. */
void hearth_context_answer_ollama_offer (HearthContext *self,
                                         const char    *root,
                                         gboolean       use);

/* Keeps models in @dir from now on (an existing folder Hearth can write
 * to), or in Hearth's own folder when @dir is NULL or empty: the
 * models-dir setting, and the library shows the folder's models at once.
 * $HEARTH_MODELS, when set, still wins. Needs settings. */
gboolean hearth_context_set_models_dir (HearthContext  *self,
                                        const char     *dir,
                                        GError        **error);

G_END_DECLS
