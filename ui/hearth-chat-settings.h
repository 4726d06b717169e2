/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthChatSettings: a chat's own settings, as the side pane of the chat
 * view shows them — its system prompt, the sampling parameters (by
 * Ollama's names), the length of context and reply, the stop strings.
 * Each value is checked as it is typed (one out of range is shown as an
 * error and not saved); only what differs from the defaults is kept, in
 * the chat store (hearth_chat_store_set_chat_settings ()), half a second
 * after the last change or at once with hearth_chat_settings_save_now ().
 */
#pragma once

#include <adwaita.h>

#include "hearth-chat-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_SETTINGS (hearth_chat_settings_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatSettings, hearth_chat_settings, HEARTH, CHAT_SETTINGS, AdwBin)

GtkWidget *hearth_chat_settings_new (void);

/* Shows the settings of chat @chat_id (0: none) of @chats, saving those of
 * the chat shown before first. */
void hearth_chat_settings_set_chat (HearthChatSettings *self,
                                    HearthChatStore    *chats,
                                    gint64              chat_id);

/* Saves a change still waiting (before a reply is asked for). */
void hearth_chat_settings_save_now (HearthChatSettings *self);

G_END_DECLS
