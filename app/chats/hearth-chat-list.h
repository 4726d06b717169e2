/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chats for a sidebar: a GListModel of HearthChatItem, most recently
 * updated first, following the chat store, optionally narrowed by a search
 * (words in titles or messages). Main thread only.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-chat-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_ITEM (hearth_chat_item_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatItem, hearth_chat_item, HEARTH, CHAT_ITEM, GObject)

gint64 hearth_chat_item_get_id (HearthChatItem *self);
/* The title, or "New Chat" (translated) for a chat without one yet. */
const char *hearth_chat_item_get_title (HearthChatItem *self);
gint64 hearth_chat_item_get_updated (HearthChatItem *self);

#define HEARTH_TYPE_CHAT_LIST (hearth_chat_list_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatList, hearth_chat_list, HEARTH, CHAT_LIST, GObject)

HearthChatList *hearth_chat_list_new (HearthChatStore *store);
void hearth_chat_list_set_search (HearthChatList *self,
                                  const char     *search);
/* The position of chat @chat_id, or -1. */
int hearth_chat_list_find (HearthChatList *self,
                           gint64          chat_id);

G_END_DECLS
