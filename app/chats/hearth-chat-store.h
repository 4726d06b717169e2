/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chat history: SQLite in $XDG_DATA_HOME/hearth/chats.db (WAL, foreign
 * keys, one transaction per change, a schema version with migrations).
 *
 * A chat is a tree of messages: regenerating a reply or editing a message
 * adds a sibling instead of replacing what was there. Each message
 * remembers which of its children was shown last, and the chat which of
 * its first messages; following those gives the conversation shown (the
 * conversation). Deleting a chat only marks it, so that it can be undone, until
 * hearth_chat_store_purge_deleted ().
 *
 * Every change emits ::chat-changed (chat id) and, when the list of chats
 * changes (a title, the order, a chat added or deleted), ::chats-changed,
 * on the thread that made it: two windows showing one chat both follow.
 * Setting a chat's own settings emits ::chat-settings-changed (chat id).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_CHAT_STORE_ERROR (hearth_chat_store_error_quark ())

typedef enum
{
  HEARTH_CHAT_STORE_ERROR_OPEN,      /* the file cannot be opened or is damaged */
  HEARTH_CHAT_STORE_ERROR_NEWER,     /* written by a newer Hearth */
  HEARTH_CHAT_STORE_ERROR_NOT_FOUND, /* no such chat or message */
  HEARTH_CHAT_STORE_ERROR_INVALID,   /* a value the store does not take */
  HEARTH_CHAT_STORE_ERROR_FAILED,    /* SQLite failed (disk full …) */
} HearthChatStoreError;

GQuark hearth_chat_store_error_quark (void);

/* The schema version this Hearth writes. */
#define HEARTH_CHAT_STORE_SCHEMA 3

typedef struct
{
  gint64 id;
  char *title;          /* "" until the first message gives one */
  gboolean title_set;   /* chosen by the user: messages do not change it */
  char *model;          /* the model last used, or NULL */
  gint64 created;       /* UNIX seconds */
  gint64 updated;
} HearthChat;

typedef struct
{
  gint64 id;
  gint64 chat_id;
  gint64 parent_id;     /* 0: a first message */
  char *role;           /* "system", "user" or "assistant" */
  char *content;
  char *model;          /* assistant: the model that wrote it */
  char *params;         /* JSON: the parameters it was written with, or NULL */
  char *stats;          /* JSON: tokens, speed, time to first token, or NULL */
  char *error;          /* why the reply failed, or NULL */
  gboolean complete;    /* FALSE while a reply streams (or if it was cut off) */
  gint64 created;
  guint n_siblings;     /* messages with the same parent, itself included */
  guint sibling_index;  /* its place among them, from 0 */
} HearthChatMessage;

void hearth_chat_free (HearthChat *chat);
HearthChatMessage *hearth_chat_message_copy (const HearthChatMessage *message);
void hearth_chat_message_free (HearthChatMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthChat, hearth_chat_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthChatMessage, hearth_chat_message_free)

#define HEARTH_TYPE_CHAT_STORE (hearth_chat_store_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatStore, hearth_chat_store, HEARTH, CHAT_STORE, GObject)

/* Opens (creating, or migrating to the current schema) the database at
 * @path, or the default one when NULL. A damaged file or one from a newer
 * Hearth is left as it is and reported. */
HearthChatStore *hearth_chat_store_open (const char  *path,
                                         GError     **error);
const char *hearth_chat_store_get_filename (HearthChatStore *self);
char *hearth_chat_store_default_path (void);

/* ---- chats ---- */

gint64 hearth_chat_store_create_chat (HearthChatStore  *self,
                                      const char       *model,
                                      GError          **error);
HearthChat *hearth_chat_store_get_chat (HearthChatStore  *self,
                                        gint64            chat_id,
                                        GError          **error);
/* Chats not deleted, most recently updated first; with @search (words),
 * those whose title or any message contains every word (any case). */
GPtrArray *hearth_chat_store_list_chats (HearthChatStore  *self,
                                         const char       *search,
                                         GError          **error);
/* The chats not deleted whose model is @model (a name as the library
 * writes it, or a file's path), most recently updated first: those that a
 * removal of the model leaves without one. */
GPtrArray *hearth_chat_store_list_chats_with_model (HearthChatStore  *self,
                                                   const char       *model,
                                                   GError          **error);
gboolean hearth_chat_store_rename_chat (HearthChatStore  *self,
                                        gint64            chat_id,
                                        const char       *title,
                                        GError          **error);
/* The text typed in a chat's composer and not sent yet ("": none), kept
 * with the chat so that it waits there for the person, across chats and
 * restarts. Setting it is not a change of the chat: no ::chat-changed, no
 * new place in the list. get_draft returns a new string, "" for none. */
gboolean hearth_chat_store_set_draft (HearthChatStore  *self,
                                      gint64            chat_id,
                                      const char       *text,
                                      GError          **error);
char *hearth_chat_store_get_draft (HearthChatStore  *self,
                                   gint64            chat_id,
                                   GError          **error);
/* The chat's own settings: a JSON object of only what differs from the
 * defaults, by Ollama's names — {"system": "…", "temperature": 0.3,
 * "stop": ["…"]} — where "system" is the system prompt, "stop" a list of
 * stop strings and every other member a number. NULL, "" or "{}": the
 * defaults. Anything else is refused (HEARTH_CHAT_STORE_ERROR_INVALID);
 * the values' ranges are the conversation's to check. Setting them is not
 * a change of the chat: no ::chat-changed, no new place in the list, but
 * ::chat-settings-changed (chat id), so that every pane showing them follows.
 * get_chat_settings returns a new string, "{}" for none. */
gboolean hearth_chat_store_set_chat_settings (HearthChatStore  *self,
                                              gint64            chat_id,
                                              const char       *json,
                                              GError          **error);
char *hearth_chat_store_get_chat_settings (HearthChatStore  *self,
                                           gint64            chat_id,
                                           GError          **error);
gboolean hearth_chat_store_set_chat_model (HearthChatStore  *self,
                                           gint64            chat_id,
                                           const char       *model,
                                           GError          **error);
/* Marks the chat deleted (hidden from lists); undone by
 * hearth_chat_store_restore_chat () until the deleted chats are purged. */
gboolean hearth_chat_store_delete_chat (HearthChatStore  *self,
                                        gint64            chat_id,
                                        GError          **error);
gboolean hearth_chat_store_restore_chat (HearthChatStore  *self,
                                         gint64            chat_id,
                                         GError          **error);
gboolean hearth_chat_store_purge_deleted (HearthChatStore  *self,
                                          GError          **error);

/* ---- messages ---- */

/* Adds a message after @parent_id (0: as a first message) and shows it:
 * it becomes the parent's selected child. The first user message gives the
 * chat its title unless the user chose one. Returns its id, or 0. */
gint64 hearth_chat_store_add_message (HearthChatStore  *self,
                                      gint64            chat_id,
                                      gint64            parent_id,
                                      const char       *role,
                                      const char       *content,
                                      const char       *model,
                                      const char       *params,
                                      gboolean          complete,
                                      GError          **error);
/* A streaming reply's text so far (or its end: @complete); @stats and
 * @error_text may be NULL (left as they are). Only an update that ends the
 * reply or gives it statistics or an error emits ::chat-changed: the text
 * on the way is saved for a crash, and shown from the HearthConversation. */
gboolean hearth_chat_store_update_message (HearthChatStore  *self,
                                           gint64            message_id,
                                           const char       *content,
                                           gboolean          complete,
                                           const char       *stats,
                                           const char       *error_text,
                                           GError          **error);
HearthChatMessage *hearth_chat_store_get_message (HearthChatStore  *self,
                                                  gint64            message_id,
                                                  GError          **error);
/* The conversation shown: from the selected first message down through
 * each selected child (HearthChatMessage, with sibling counts). */
GPtrArray *hearth_chat_store_get_conversation (HearthChatStore  *self,
                                               gint64            chat_id,
                                               GError          **error);
/* The id of the last message of the conversation shown (0: the chat has
 * none, -1 with @error), found without reading the conversation: what a
 * new message follows. */
gint64 hearth_chat_store_get_last_shown (HearthChatStore  *self,
                                         gint64            chat_id,
                                         GError          **error);
/* Shows @message_id's branch: it becomes its parent's selected child. */
gboolean hearth_chat_store_select_message (HearthChatStore  *self,
                                           gint64            message_id,
                                           GError          **error);
/* The sibling @offset places from @message_id (-1: the one before), or 0
 * when there is none. */
gint64 hearth_chat_store_get_sibling (HearthChatStore  *self,
                                      gint64            message_id,
                                      int               offset,
                                      GError          **error);

/* ---- export and import ---- */

/* The conversation shown, as Markdown. */
char *hearth_chat_store_export_markdown (HearthChatStore  *self,
                                         gint64            chat_id,
                                         GError          **error);
/* The whole chat, every branch, as JSON (hearth-chat, version 1). */
char *hearth_chat_store_export_json (HearthChatStore  *self,
                                     gint64            chat_id,
                                     GError          **error);
/* A chat exported as JSON, added as a new chat; returns its id, or 0 with
 * an error saying what is wrong in the file. */
gint64 hearth_chat_store_import_json (HearthChatStore  *self,
                                      const char       *json,
                                      gssize            len,
                                      GError          **error);

G_END_DECLS
