/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One message of a chat in the chat view's list. HearthMessageItem is the
 * list's item: a message as the chat store has it, with the live text of
 * a reply being written; ::changed says when the row should show it again.
 * HearthMessageRow shows an item: who wrote it, its Markdown, the reasoning
 * of a <think> block folded away, "< 2/3 >" between versions, an error with
 * what can be done about it, statistics, and copy, edit and write-again
 * buttons (actions of the chat view: chat.copy-message, chat.edit-message,
 * chat.regenerate, chat.leave-out-oldest, chat.previous-version,
 * chat.next-version, each with the message id as target).
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-chat-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MESSAGE_ITEM (hearth_message_item_get_type ())
G_DECLARE_FINAL_TYPE (HearthMessageItem, hearth_message_item, HEARTH, MESSAGE_ITEM, GObject)

/* An item for @message (copied); @streaming: a reply being written. */
HearthMessageItem *hearth_message_item_new (const HearthChatMessage *message,
                                            gboolean                 streaming);
const HearthChatMessage *hearth_message_item_get_message (HearthMessageItem *self);
/* Shows @message (the same id) instead; ::changed only if anything reads
 * differently. */
void hearth_message_item_update (HearthMessageItem       *self,
                                 const HearthChatMessage *message,
                                 gboolean                 streaming);
/* A reply being written: its text so far. */
void hearth_message_item_set_live_text (HearthMessageItem *self,
                                        const char        *text);
gboolean hearth_message_item_is_streaming (HearthMessageItem *self);

#define HEARTH_TYPE_MESSAGE_ROW (hearth_message_row_get_type ())
G_DECLARE_FINAL_TYPE (HearthMessageRow, hearth_message_row, HEARTH, MESSAGE_ROW, GtkBox)

GtkWidget *hearth_message_row_new (void);
void hearth_message_row_set_item (HearthMessageRow  *self,
                                  HearthMessageItem *item);

/* "12.3 tokens/s · 48 tokens · first token after 0.21 s" from a
 * message's statistics (JSON), or NULL. */
/* What a profile's rules did to a reply, from its statistics (their
 * "refusal" and "notes"): one line each, or NULL. */
char *hearth_message_row_describe_rules (const char *stats);
char *hearth_message_row_describe_stats (const char *stats);

G_END_DECLS
