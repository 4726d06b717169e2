/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One chat in a window: its messages (a GtkListView over the conversation
 * shown, rows made as they scroll into view), the model it talks to, how
 * much of the context it uses, and the composer (Enter sends, Shift+Enter
 * starts a new line, Escape stops; the send button becomes a stop button
 * while a reply is written).
 *
 * Actions (prefix "chat."): send, stop, and, with a message id (int64):
 * copy-message, edit-message, regenerate, leave-out-oldest,
 * previous-version, next-version.
 */
#pragma once

#include <adwaita.h>

#include "hearth-application.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_VIEW (hearth_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatView, hearth_chat_view, HEARTH, CHAT_VIEW, AdwBin)

GtkWidget *hearth_chat_view_new (void);

/* Shows chat @chat_id (0: none) of @app's chat store. */
void hearth_chat_view_set_chat (HearthChatView    *self,
                                HearthApplication *app,
                                gint64             chat_id);
gint64 hearth_chat_view_get_chat_id (HearthChatView *self);

void hearth_chat_view_focus_composer (HearthChatView *self);

G_END_DECLS
