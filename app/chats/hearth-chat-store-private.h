/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What hearth-chat-store-export.c (Markdown and JSON export, JSON import)
 * shares with the chat store's core (hearth-chat-store.c): its SQLite
 * helpers, the selection of a branch and the change signals. Not for
 * anything else.
 */
#pragma once

#include <sqlite3.h>

#include "hearth-chat-store.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Sets @error to the store's last SQLite failure; returns FALSE. */
gboolean hearth_chat_store_fail (HearthChatStore  *self,
                                 GError          **error);
sqlite3_stmt *hearth_chat_store_prepare (HearthChatStore  *self,
                                         const char       *sql,
                                         GError          **error);
gboolean hearth_chat_store_begin (HearthChatStore  *self,
                                  GError          **error);
gboolean hearth_chat_store_commit (HearthChatStore  *self,
                                   GError          **error);
void hearth_chat_store_rollback (HearthChatStore *self);
/* @text, or NULL as SQL NULL. */
void hearth_chat_store_bind_text (sqlite3_stmt *stmt,
                                  int           i,
                                  const char   *text);
gint64 hearth_chat_store_now (void);

gboolean hearth_chat_store_valid_role (const char *role);
/* Within a transaction: message @id is what @parent_id (0: the chat)
 * shows. */
gboolean hearth_chat_store_select_in_parent (HearthChatStore  *self,
                                             gint64            chat_id,
                                             gint64            parent_id,
                                             gint64            id,
                                             GError          **error);
/* ::chat-changed for @chat_id, and ::chats-changed with @list_too. */
void hearth_chat_store_changed (HearthChatStore *self,
                                gint64           chat_id,
                                gboolean         list_too);
/* Checks a chat's own settings as hearth_chat_store_set_chat_settings ()
 * takes them; *@normalized gets them as kept (NULL: none). */
gboolean hearth_chat_store_check_settings (const char  *json,
                                           char       **normalized,
                                           GError     **error);
/* Every message of chat @chat_id (HearthChatMessage), in the order they
 * were added. */
GPtrArray *hearth_chat_store_get_all_messages (HearthChatStore  *self,
                                               gint64            chat_id,
                                               GError          **error);

G_END_DECLS
