/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthChatSettings: the settings a chat's replies are written with, as
 * the side pane of the chat view shows them — its system prompt, the
 * sampling parameters (by Ollama's names), the length of context and
 * reply, the stop strings — each with where it comes from: Ollama's
 * default, the chat's model (or profile), or the chat. Each value is
 * checked as it is typed (one out of range is shown as an error and not
 * saved); only what differs from the model's is kept, in the chat store
 * (hearth_chat_store_set_chat_settings ()), half a second after the last
 * change or at once with hearth_chat_settings_save_now (). "Reset to the
 * Profile" clears the chat's own (with a toast to undo it); "Save as
 * Profile…" writes a new model from the chat's with them
 * (hearth_profile_create (), on a thread).
 */
#pragma once

#include <adwaita.h>

#include "hearth-chat-store.h"
#include "hearth-library.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_SETTINGS (hearth_chat_settings_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatSettings, hearth_chat_settings, HEARTH, CHAT_SETTINGS, AdwBin)

GtkWidget *hearth_chat_settings_new (void);

/* Shows the settings of chat @chat_id (0: none) of @chats over those of
 * its model in @library's store, saving those of the chat shown before
 * first. It follows the chat's model, the models of the store and the
 * chat's settings set elsewhere (another window). */
void hearth_chat_settings_set_chat (HearthChatSettings *self,
                                    HearthChatStore    *chats,
                                    HearthLibrary      *library,
                                    gint64              chat_id);

/* Saves a change still waiting (before a reply is asked for). */
void hearth_chat_settings_save_now (HearthChatSettings *self);

G_END_DECLS
