/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chat history: chats and messages, titles, order, search, deleting
 * with undo, branches (regenerate, edit) and their selection, the schema
 * and what the store refuses to touch (a newer schema, a damaged file),
 * export to Markdown and JSON and import back (and bad files refused),
 * and a writer killed with SIGKILL mid-reply leaving a sound database.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hearth-chat-store.h"
#include "test-common.h"

static char *tmp_dir;

static HearthChatStore *
open_store (const char *name)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr (GError) error = NULL;
  HearthChatStore *store = hearth_chat_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static gint64
add (HearthChatStore *store,
     gint64           chat,
     gint64           parent,
     const char      *role,
     const char      *content)
{
  g_autoptr (GError) error = NULL;
  gint64 id = hearth_chat_store_add_message (store, chat, parent, role, content,
                                             g_str_equal (role, "assistant") ? "stories" : NULL,
                                             NULL, TRUE, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* The conversation shown, as "role:content|…". */
static char *
shown (HearthChatStore *store,
       gint64           chat)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) path = hearth_chat_store_get_conversation (store, chat, &error);
  GString *s = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < path->len; i++)
    {
      HearthChatMessage *m = path->pdata[i];

      g_string_append_printf (s, "%s%s:%s", i > 0 ? "|" : "", m->role, m->content);
    }
  /* the last message found without reading them all is the same */
  g_assert_cmpint (hearth_chat_store_get_last_shown (store, chat, &error), ==,
                   path->len > 0 ? ((HearthChatMessage *) path->pdata[path->len - 1])->id : 0);
  g_assert_no_error (error);
  return g_string_free (s, FALSE);
}

static guint
count_chats (HearthChatStore *store,
             const char      *search)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats = hearth_chat_store_list_chats (store, search, &error);

  g_assert_no_error (error);
  return chats->len;
}

static void
count_signal (gpointer  instance,
              gint64    chat,
              guint    *n)
{
  (*n)++;
}

static void
count_list_signal (gpointer  instance,
                   guint    *n)
{
  (*n)++;
}

static void
test_chats (void)
{
  g_autoptr (HearthChatStore) store = open_store ("chats.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats = NULL;
  g_autoptr (HearthChat) chat = NULL;
  gint64 first, second;
  guint chat_signals = 0, list_signals = 0;

  g_signal_connect (store, "chat-changed", G_CALLBACK (count_signal), &chat_signals);
  g_signal_connect (store, "chats-changed", G_CALLBACK (count_list_signal), &list_signals);

  first = hearth_chat_store_create_chat (store, "stories:latest", &error);
  g_assert_no_error (error);
  second = hearth_chat_store_create_chat (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list_signals, ==, 2);

  /* the first question names the chat: one line, cut at a word */
  add (store, first, 0, "system", "Be kind.");
  add (store, first, 0, "user",
       "Tell me a story about a little dog\nwho wanted to fly over the mountains and the sea");
  chat = hearth_chat_store_get_chat (store, first, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chat->title, ==, "Tell me a story about a little dog who wanted…");
  g_assert_false (chat->title_set);
  g_assert_cmpstr (chat->model, ==, "stories:latest");
  g_clear_pointer (&chat, hearth_chat_free);
  add (store, second, 0, "user", "讲一个关于小猫的故事");
  chat = hearth_chat_store_get_chat (store, second, &error);
  g_assert_cmpstr (chat->title, ==, "讲一个关于小猫的故事");
  g_clear_pointer (&chat, hearth_chat_free);

  /* newest first: the chat with the latest message */
  chats = hearth_chat_store_list_chats (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chats->len, ==, 2);
  g_assert_cmpint (((HearthChat *) chats->pdata[0])->id, ==, second);
  g_clear_pointer (&chats, g_ptr_array_unref);
  /* the older chat written to again (within the same second, as a test
   * is): it goes to the top */
  add (store, first, 0, "user", "And then?");
  chats = hearth_chat_store_list_chats (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((HearthChat *) chats->pdata[0])->id, ==, first);
  g_clear_pointer (&chats, g_ptr_array_unref);

  /* a title the user chose stays */
  g_assert_true (hearth_chat_store_rename_chat (store, first, "  Dogs\nand skies  ", &error));
  g_assert_no_error (error);
  g_assert_false (hearth_chat_store_rename_chat (store, first, "   ", &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (hearth_chat_store_set_chat_model (store, first, "qwen2.5:0.5b", &error));
  chat = hearth_chat_store_get_chat (store, first, &error);
  g_assert_cmpstr (chat->title, ==, "Dogs and skies");
  g_assert_true (chat->title_set);
  g_assert_cmpstr (chat->model, ==, "qwen2.5:0.5b");
  g_clear_pointer (&chat, hearth_chat_free);

  /* deleting hides; restoring brings back; purging forgets, messages too */
  g_assert_true (hearth_chat_store_delete_chat (store, first, &error));
  g_assert_cmpuint (count_chats (store, NULL), ==, 1);
  g_assert_true (hearth_chat_store_restore_chat (store, first, &error));
  g_assert_cmpuint (count_chats (store, NULL), ==, 2);
  g_assert_true (hearth_chat_store_delete_chat (store, first, &error));
  g_assert_true (hearth_chat_store_purge_deleted (store, &error));
  g_assert_no_error (error);
  g_assert_null (hearth_chat_store_get_chat (store, first, &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hearth_chat_store_restore_chat (store, first, &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (count_chats (store, NULL), ==, 1);
  g_assert_cmpuint (chat_signals, >, 8);

  /* what the store refuses */
  g_assert_cmpint (hearth_chat_store_add_message (store, second, 0, "tool", "x", NULL, NULL, TRUE,
                                                  &error), ==, 0);
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (hearth_chat_store_add_message (store, second, 0, "user", "bad \xff text", NULL,
                                                  NULL, TRUE, &error), ==, 0);
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (hearth_chat_store_add_message (store, 12345, 0, "user", "x", NULL, NULL, TRUE,
                                                  &error), ==, 0);
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    gint64 third = hearth_chat_store_create_chat (store, NULL, NULL);
    gint64 elsewhere = add (store, third, 0, "user", "hello");

    g_assert_cmpint (hearth_chat_store_add_message (store, second, elsewhere, "assistant", "x", NULL,
                                                    NULL, TRUE, &error), ==, 0);
    g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
    g_clear_error (&error);
  }
}

static void
test_branches (void)
{
  g_autoptr (HearthChatStore) store = open_store ("branches.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) path = NULL;
  gint64 chat = hearth_chat_store_create_chat (store, NULL, NULL);
  gint64 u1, a1, a1b, u2, u1b, a1c;
  g_autofree char *text = NULL;

  u1 = add (store, chat, 0, "user", "Hi");
  a1 = add (store, chat, u1, "assistant", "Hello!");
  u2 = add (store, chat, a1, "user", "Tell a story");
  add (store, chat, u2, "assistant", "Once upon a time…");

  /* regenerate the first reply: a sibling; what followed the old one stays
   * on its branch */
  a1b = add (store, chat, u1, "assistant", "Hi there!");
  text = shown (store, chat);
  g_assert_cmpstr (text, ==, "user:Hi|assistant:Hi there!");
  g_clear_pointer (&text, g_free);
  path = hearth_chat_store_get_conversation (store, chat, &error);
  g_assert_cmpuint (((HearthChatMessage *) path->pdata[1])->n_siblings, ==, 2);
  g_assert_cmpuint (((HearthChatMessage *) path->pdata[1])->sibling_index, ==, 1);
  g_assert_cmpuint (((HearthChatMessage *) path->pdata[0])->n_siblings, ==, 1);
  g_clear_pointer (&path, g_ptr_array_unref);

  /* "< 1/2": back to the first reply, and the story after it */
  g_assert_cmpint (hearth_chat_store_get_sibling (store, a1b, -1, &error), ==, a1);
  g_assert_cmpint (hearth_chat_store_get_sibling (store, a1b, 1, &error), ==, 0);
  g_assert_cmpint (hearth_chat_store_get_sibling (store, a1, -1, &error), ==, 0);
  g_assert_true (hearth_chat_store_select_message (store, a1, &error));
  text = shown (store, chat);
  g_assert_cmpstr (text, ==, "user:Hi|assistant:Hello!|user:Tell a story|assistant:Once upon a time…");
  g_clear_pointer (&text, g_free);

  /* edit the first message: a new first message, and a reply to it */
  u1b = add (store, chat, 0, "user", "Hey");
  text = shown (store, chat);
  g_assert_cmpstr (text, ==, "user:Hey");
  g_clear_pointer (&text, g_free);
  a1c = add (store, chat, u1b, "assistant", "Hey yourself.");
  g_assert_cmpint (a1c, >, 0);
  path = hearth_chat_store_get_conversation (store, chat, &error);
  g_assert_cmpuint (path->len, ==, 2);
  g_assert_cmpuint (((HearthChatMessage *) path->pdata[0])->n_siblings, ==, 2);
  g_assert_cmpuint (((HearthChatMessage *) path->pdata[0])->sibling_index, ==, 1);
  g_clear_pointer (&path, g_ptr_array_unref);

  /* back to the first version: each message remembers the branch shown */
  g_assert_true (hearth_chat_store_select_message (store, u1, &error));
  text = shown (store, chat);
  g_assert_cmpstr (text, ==, "user:Hi|assistant:Hello!|user:Tell a story|assistant:Once upon a time…");
  g_clear_pointer (&text, g_free);

  /* a streaming reply is saved as it grows */
  {
    gint64 r = hearth_chat_store_add_message (store, chat, u2, "assistant", "", "stories", "{\"temperature\":0.8}",
                                              FALSE, &error);
    g_autoptr (HearthChatMessage) m = NULL;

    g_assert_no_error (error);
    g_assert_true (hearth_chat_store_update_message (store, r, "Once", FALSE, NULL, NULL, &error));
    g_assert_true (hearth_chat_store_update_message (store, r, "Once there was", TRUE,
                                                     "{\"generated_tokens\":4}", NULL, &error));
    m = hearth_chat_store_get_message (store, r, &error);
    g_assert_cmpstr (m->content, ==, "Once there was");
    g_assert_true (m->complete);
    g_assert_cmpstr (m->stats, ==, "{\"generated_tokens\":4}");
    g_assert_cmpstr (m->params, ==, "{\"temperature\":0.8}");
    g_assert_cmpstr (m->model, ==, "stories");
    g_assert_false (hearth_chat_store_update_message (store, 99999, "x", TRUE, NULL, NULL, &error));
    g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
}

static void
test_search (void)
{
  g_autoptr (HearthChatStore) store = open_store ("search.db");
  gint64 a = hearth_chat_store_create_chat (store, NULL, NULL);
  gint64 b = hearth_chat_store_create_chat (store, NULL, NULL);
  gint64 c = hearth_chat_store_create_chat (store, NULL, NULL);

  add (store, a, 0, "user", "A story about a Dragon");
  add (store, b, add (store, b, 0, "user", "北京的天气"), "assistant", "今天晴，气温 21 度。");
  add (store, c, 0, "user", "What is 50% of 10?");

  g_assert_cmpuint (count_chats (store, ""), ==, 3);
  g_assert_cmpuint (count_chats (store, "dragon"), ==, 1);
  g_assert_cmpuint (count_chats (store, "story DRAGON"), ==, 1);
  g_assert_cmpuint (count_chats (store, "story cat"), ==, 0);
  /* the text of replies too, in Chinese */
  g_assert_cmpuint (count_chats (store, "晴"), ==, 1);
  /* LIKE's own characters are plain text */
  g_assert_cmpuint (count_chats (store, "50%"), ==, 1);
  g_assert_cmpuint (count_chats (store, "%"), ==, 1);
  g_assert_cmpuint (count_chats (store, "_"), ==, 0);
}

/* The chats that use a model (what removing it would leave without one):
 * by its name exactly, deleted chats left out, the latest first. */
static void
test_chats_with_model (void)
{
  g_autoptr (HearthChatStore) store = open_store ("with-model.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats = NULL;
  gint64 a = hearth_chat_store_create_chat (store, "tiny:latest", NULL);
  gint64 b = hearth_chat_store_create_chat (store, "other:latest", NULL);
  gint64 c = hearth_chat_store_create_chat (store, NULL, NULL);
  gint64 d = hearth_chat_store_create_chat (store, "tiny:latest", NULL);

  add (store, a, 0, "user", "first");
  add (store, b, 0, "user", "second");
  add (store, d, 0, "user", "fourth");
  g_assert_true (hearth_chat_store_set_chat_model (store, c, "tiny:latest", &error));
  g_assert_true (hearth_chat_store_delete_chat (store, d, &error));
  g_assert_no_error (error);

  chats = hearth_chat_store_list_chats_with_model (store, "tiny:latest", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chats->len, ==, 2);
  g_assert_cmpint (((HearthChat *) chats->pdata[0])->id, ==, c);
  g_assert_cmpint (((HearthChat *) chats->pdata[1])->id, ==, a);
  g_clear_pointer (&chats, g_ptr_array_unref);
  chats = hearth_chat_store_list_chats_with_model (store, "tiny", &error);
  g_assert_cmpuint (chats->len, ==, 0);
}

/* PRAGMA @name of the file at @path. */
static char *
pragma (const char *path,
        const char *name)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", name);
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
test_schema (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "schema.db", NULL);
  g_autofree char *newer = g_build_filename (tmp_dir, "newer.db", NULL);
  g_autofree char *junk = g_build_filename (tmp_dir, "junk.db", NULL);
  g_autofree char *nested = g_build_filename (tmp_dir, "a", "b", "chats.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatStore) store = NULL;
  g_autofree char *version = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *keys = NULL;

  /* a new file: the current schema, in WAL mode; its folder made */
  store = hearth_chat_store_open (path, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  version = pragma (path, "user_version");
  mode = pragma (path, "journal_mode");
  g_assert_cmpint (atoi (version), ==, HEARTH_CHAT_STORE_SCHEMA);
  g_assert_cmpstr (mode, ==, "wal");
  store = hearth_chat_store_open (nested, &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  /* opened again: nothing to migrate, the data there */
  store = hearth_chat_store_open (path, &error);
  g_assert_no_error (error);
  add (store, hearth_chat_store_create_chat (store, NULL, NULL), 0, "user", "kept");
  g_clear_object (&store);
  store = hearth_chat_store_open (path, &error);
  g_assert_cmpuint (count_chats (store, "kept"), ==, 1);
  g_clear_object (&store);

  /* a newer Hearth's file, and a damaged one: refused, left as they are */
  {
    sqlite3 *db = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    gsize len_before = 0, len_after = 0;

    g_assert_cmpint (sqlite3_open (newer, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 99", NULL, NULL,
                                   NULL), ==, SQLITE_OK);
    sqlite3_close (db);
    g_assert_true (g_file_get_contents (newer, &before, &len_before, NULL));
    g_assert_null (hearth_chat_store_open (newer, &error));
    g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NEWER);
    g_assert_nonnull (strstr (error->message, "newer Hearth"));
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (newer, &after, &len_after, NULL));
    g_assert_cmpmem (before, len_before, after, len_after);
  }
  {
    g_autofree char *after = NULL;
    static const char text[] = "this is not a database, but the user's file all the same\n";

    g_assert_true (g_file_set_contents (junk, text, -1, NULL));
    g_assert_null (hearth_chat_store_open (junk, &error));
    g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_OPEN);
    g_assert_nonnull (strstr (error->message, junk));
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (junk, &after, NULL, NULL));
    g_assert_cmpstr (after, ==, text);
  }

  /* foreign keys are on: a message cannot point at a missing chat */
  store = hearth_chat_store_open (path, &error);
  keys = pragma (path, "foreign_keys"); /* per connection: off here, on in the store */
  g_assert_nonnull (keys);
  g_assert_cmpint (hearth_chat_store_add_message (store, 777, 0, "user", "x", NULL, NULL, TRUE, &error),
                   ==, 0);
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
}

static void
test_export_import (void)
{
  g_autoptr (HearthChatStore) store = open_store ("export.db");
  g_autoptr (GError) error = NULL;
  gint64 chat = hearth_chat_store_create_chat (store, "stories:latest", NULL);
  gint64 u1, a1, copy;
  g_autofree char *markdown = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json2 = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint n;

  add (store, chat, 0, "system", "You tell stories.");
  u1 = add (store, chat, 0, "user", "Tell me about **Lily**");
  a1 = add (store, chat, u1, "assistant", "Lily was a *happy* girl.\n\n```\ncode\n```");
  g_assert_true (hearth_chat_store_update_message (store, a1, "Lily was a *happy* girl.\n\n```\ncode\n```",
                                                   TRUE, "{\"generated_tokens\":12,\"tokens_per_second\":310.5}",
                                                   NULL, &error));
  add (store, chat, u1, "assistant", "Once, Lily 说你好.");
  g_assert_true (hearth_chat_store_select_message (store, a1, &error));

  markdown = hearth_chat_store_export_markdown (store, chat, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (markdown, "# Tell me about **Lily**\n\n*stories:latest · "));
  g_assert_nonnull (strstr (markdown, "## You\n\nTell me about **Lily**\n\n"));
  g_assert_nonnull (strstr (markdown, "## Assistant (stories)\n\nLily was a *happy* girl."));
  /* the conversation shown, not the other branch */
  g_assert_null (strstr (markdown, "说你好"));

  json = hearth_chat_store_export_json (store, chat, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (json, "\"format\" : \"hearth-chat\""));
  g_assert_nonnull (strstr (json, "说你好"));
  copy = hearth_chat_store_import_json (store, json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (copy, !=, chat);
  before = shown (store, chat);
  after = shown (store, copy);
  g_assert_cmpstr (before, ==, after);
  /* every branch, the statistics and the title came along */
  json2 = hearth_chat_store_export_json (store, copy, &error);
  g_assert_nonnull (strstr (json2, "说你好"));
  g_assert_nonnull (strstr (json2, "310.5"));
  {
    g_autoptr (HearthChat) c = hearth_chat_store_get_chat (store, copy, &error);

    g_assert_cmpstr (c->title, ==, "Tell me about **Lily**");
    g_assert_cmpstr (c->model, ==, "stories:latest");
  }

  /* files that are not a chat: each says what is wrong; nothing added */
  n = count_chats (store, NULL);
  {
    static const char *const bad[][2] = {
      { "not json at all", "" },
      { "[1, 2]", "not a JSON object" },
      { "{\"format\": \"other\", \"version\": 1, \"messages\": []}", "format" },
      { "{\"format\": \"hearth-chat\", \"version\": 2, \"messages\": []}", "version" },
      { "{\"format\": \"hearth-chat\", \"version\": 1}", "messages" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"id\": 1, \"parent\": 2, "
        "\"role\": \"user\", \"content\": \"x\"}, {\"id\": 2, \"role\": \"user\", \"content\": \"y\"}]}",
        "does not come before it" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"id\": 1, \"role\": \"tool\", "
        "\"content\": \"x\"}]}", "is not a role" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"id\": 1, \"role\": \"user\", "
        "\"content\": 5}]}", "is not text" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"id\": 1, \"role\": \"user\", "
        "\"content\": \"a\"}, {\"id\": 1, \"role\": \"user\", \"content\": \"b\"}]}", "repeats the id" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"role\": \"user\", "
        "\"content\": \"a\"}]}", "numeric “id”" },
      { "{\"format\": \"hearth-chat\", \"version\": 1, \"messages\": [{\"id\": 1, \"role\": \"user\"}]}",
        "no “content”" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_cmpint (hearth_chat_store_import_json (store, bad[i][0], -1, &error), ==, 0);
        g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
        g_assert_nonnull (strstr (error->message, bad[i][1]));
        g_clear_error (&error);
      }
  }
  g_assert_cmpuint (count_chats (store, NULL), ==, n);
}

/* A chat's own settings travel with its JSON export and come back with
 * the import; a file from before them imports with none; a bad setting
 * refuses the file, naming the setting, and adds nothing. */
static void
test_export_settings (void)
{
  g_autoptr (HearthChatStore) store = open_store ("export-settings.db");
  g_autoptr (GError) error = NULL;
  const char *settings = "{\"system\":\"Answer as a pirate. 用中文\",\"temperature\":0.3,"
                         "\"seed\":9007199254740993,\"num_predict\":12,\"stop\":[\"User:\"]}";
  gint64 chat = hearth_chat_store_create_chat (store, "stories:latest", NULL);
  gint64 copy, plain;
  g_autofree char *json = NULL;
  g_autofree char *copied = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  guint n;

  add (store, chat, 0, "user", "Ahoy");
  g_assert_true (hearth_chat_store_set_chat_settings (store, chat, settings, &error));
  json = hearth_chat_store_export_json (store, chat, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (json, "\"settings\""));
  copy = hearth_chat_store_import_json (store, json, -1, &error);
  g_assert_no_error (error);
  copied = hearth_chat_store_get_chat_settings (store, copy, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, copied, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "system"), ==, "Answer as a pirate. 用中文");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "temperature"), 0.3, 1e-9);
  g_assert_cmpint (json_object_get_int_member (o, "seed"), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (json_object_get_int_member (o, "num_predict"), ==, 12);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "stop"), 0), ==,
                   "User:");
  g_assert_cmpuint (json_object_get_size (o), ==, 5);

  /* a chat with none exports null and imports with none; so does a file
   * written before settings travelled */
  {
    gint64 none = hearth_chat_store_create_chat (store, NULL, NULL);
    g_autofree char *exported = NULL;
    g_autofree char *back = NULL;

    add (store, none, 0, "user", "Hi");
    exported = hearth_chat_store_export_json (store, none, &error);
    g_assert_nonnull (strstr (exported, "\"settings\" : null"));
    plain = hearth_chat_store_import_json (store, exported, -1, &error);
    g_assert_no_error (error);
    back = hearth_chat_store_get_chat_settings (store, plain, &error);
    g_assert_cmpstr (back, ==, "{}");
  }
  {
    g_autofree char *back = NULL;

    plain = hearth_chat_store_import_json (store, "{\"format\": \"hearth-chat\", \"version\": 1, "
                                           "\"title\": \"old\", \"messages\": [{\"id\": 1, "
                                           "\"role\": \"user\", \"content\": \"x\"}]}", -1, &error);
    g_assert_no_error (error);
    back = hearth_chat_store_get_chat_settings (store, plain, &error);
    g_assert_cmpstr (back, ==, "{}");
  }

  n = count_chats (store, NULL);
  {
    static const char *const bad[][2] = {
      { "\"settings\": [1]", "“settings” are not an object" },
      { "\"settings\": {\"temperature\": \"hot\"}", "“temperature”" },
      { "\"settings\": {\"temperature\": -1}", "temperature" },
      { "\"settings\": {\"top_p\": 7}", "top_p" },
      { "\"settings\": {\"num_ctx\": 0}", "num_ctx" },
      { "\"settings\": {\"no_such_thing\": 1}", "no_such_thing" },
      { "\"settings\": {\"stop\": [1]}", "“stop”" },
      { "\"settings\": {\"system\": 3}", "“system”" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *file = g_strdup_printf ("{\"format\": \"hearth-chat\", \"version\": 1, %s, "
                                                 "\"messages\": [{\"id\": 1, \"role\": \"user\", "
                                                 "\"content\": \"x\"}]}", bad[i][0]);

        g_assert_cmpint (hearth_chat_store_import_json (store, file, -1, &error), ==, 0);
        g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
        g_test_message ("%s: %s", bad[i][0], error->message);
        g_assert_nonnull (strstr (error->message, bad[i][1]));
        g_clear_error (&error);
      }
  }
  g_assert_cmpuint (count_chats (store, NULL), ==, n);
}

/* The write-ahead log is copied into the database (a checkpoint) on a
 * thread of the store's own, not by the writer: the database file grows
 * while the writer goes on, and the log stops growing. */
static gboolean
file_reaches (gpointer data)
{
  const char *path = data;
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size >= 8 * 1024 * 1024;
}

static void
test_checkpoints (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "checkpoints.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr (HearthChatStore) store = hearth_chat_store_open (path, NULL);
  g_autofree char *text = g_strnfill (40 * 1024, 'w');
  GStatBuf st;
  gint64 chat, parent = 0;

  g_assert_nonnull (store);
  chat = hearth_chat_store_create_chat (store, NULL, NULL);
  /* 12 MB of messages: about three thousand pages of log */
  for (guint i = 0; i < 300; i++)
    {
      parent = hearth_chat_store_add_message (store, chat, parent, i % 2 ? "assistant" : "user", text,
                                              NULL, NULL, TRUE, NULL);
      g_assert_cmpint (parent, >, 0);
    }
  hearth_test_wait_until (file_reaches, path, 20, "the database file holds the messages");
  /* once a checkpoint has caught up, the next write starts the log again
   * and cuts its file back (journal_size_limit, 4 MB) */
  for (guint i = 0; i < 200; i++)
    {
      parent = hearth_chat_store_add_message (store, chat, parent, "user", "and then?", NULL, NULL,
                                              TRUE, NULL);
      g_assert_cmpint (g_stat (wal, &st), ==, 0);
      if (st.st_size <= 4 * 1024 * 1024)
        break;
      g_usleep (50000);
    }
  g_test_message ("log after the checkpoints: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);
  g_assert_cmpint (st.st_size, <=, 4 * 1024 * 1024);
}

/* Two Hearths (the window and `hearth run`, say) opening a new history at
 * the same moment: both open it, and its schema is made once. */
static gpointer
open_in_thread (gpointer data)
{
  g_autoptr (GError) error = NULL;
  HearthChatStore *store = hearth_chat_store_open (data, &error);

  if (store == NULL)
    g_printerr ("%s\n", error->message);
  return store;
}

static void
test_open_at_once (void)
{
  for (guint round = 0; round < 20; round++)
    {
      g_autofree char *name = g_strdup_printf ("at-once-%u.db", round);
      g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
      GThread *a = g_thread_new ("open-a", open_in_thread, path);
      GThread *b = g_thread_new ("open-b", open_in_thread, path);
      g_autoptr (HearthChatStore) first = g_thread_join (a);
      g_autoptr (HearthChatStore) second = g_thread_join (b);
      g_autofree char *version = NULL;
      g_autoptr (GPtrArray) chats = NULL;

      g_assert_nonnull (first);
      g_assert_nonnull (second);
      g_assert_cmpint (hearth_chat_store_create_chat (first, NULL, NULL), >, 0);
      chats = hearth_chat_store_list_chats (second, NULL, NULL);
      g_assert_cmpuint (chats->len, ==, 1);
      version = pragma (path, "user_version");
      g_assert_cmpint (atoi (version), ==, HEARTH_CHAT_STORE_SCHEMA);
    }
}

/* A process writing a reply as it streams, killed with SIGKILL: the file
 * opens again, passes SQLite's integrity check, and holds what was last
 * saved (a prefix of what was being written). */
static void
test_killed_writer (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "killed.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatStore) store = NULL;
  g_autoptr (GPtrArray) path_shown = NULL;
  g_autofree char *integrity = NULL;
  HearthChatMessage *reply;
  int status = 0;
  pid_t pid;

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* the child: a chat, then a reply growing word by word, forever */
      HearthChatStore *writer = hearth_chat_store_open (path, NULL);
      gint64 chat, user, id;
      GString *text = g_string_new (NULL);

      if (writer == NULL)
        _exit (2);
      chat = hearth_chat_store_create_chat (writer, NULL, NULL);
      user = hearth_chat_store_add_message (writer, chat, 0, "user", "Tell me a long story", NULL,
                                            NULL, TRUE, NULL);
      id = hearth_chat_store_add_message (writer, chat, user, "assistant", "", NULL, NULL, FALSE, NULL);
      for (guint i = 0;; i++)
        {
          g_string_append_printf (text, "word%u ", i);
          if (!hearth_chat_store_update_message (writer, id, text->str, FALSE, NULL, NULL, NULL))
            _exit (3);
        }
    }

  /* let it write a while (some hundreds of updates), then kill it */
  for (int i = 0; i < 200; i++)
    {
      g_autoptr (HearthChatStore) reader = NULL;
      g_autoptr (GPtrArray) chats = NULL;

      g_usleep (20000);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      reader = hearth_chat_store_open (path, NULL);
      if (reader == NULL)
        continue;
      chats = hearth_chat_store_list_chats (reader, "word100", NULL);
      if (chats != NULL && chats->len > 0)
        break;
    }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFSIGNALED (status))
    g_error ("the writer ended by itself with status %d", WEXITSTATUS (status));

  store = hearth_chat_store_open (path, &error);
  g_assert_no_error (error);
  integrity = pragma (path, "integrity_check");
  g_assert_cmpstr (integrity, ==, "ok");
  {
    g_autoptr (GPtrArray) chats = hearth_chat_store_list_chats (store, NULL, &error);

    g_assert_cmpuint (chats->len, ==, 1);
    path_shown = hearth_chat_store_get_conversation (store, ((HearthChat *) chats->pdata[0])->id,
                                                     &error);
  }
  g_assert_cmpuint (path_shown->len, ==, 2);
  reply = path_shown->pdata[1];
  g_assert_false (reply->complete);
  g_assert_true (g_str_has_prefix (reply->content, "word0 word1 word2 "));
  g_assert_nonnull (strstr (reply->content, "word100 "));
  g_assert_true (g_str_has_suffix (reply->content, " "));
}

/* A chat of 2,000 messages: its conversation is read in one query (the
 * time is printed; the benchmark, not this test, holds the 300 ms goal). */
static void
test_long_chat (void)
{
  g_autoptr (HearthChatStore) store = open_store ("long.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) path = NULL;
  gint64 chat = hearth_chat_store_create_chat (store, NULL, NULL);
  gint64 parent = 0, t0;

  for (int i = 0; i < 2000; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %d with some text in it", i);

      parent = add (store, chat, parent, i % 2 == 0 ? "user" : "assistant", text);
    }
  t0 = g_get_monotonic_time ();
  path = hearth_chat_store_get_conversation (store, chat, &error);
  g_test_message ("2000 messages read in %.1f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_no_error (error);
  g_assert_cmpuint (path->len, ==, 2000);
  g_assert_cmpstr (((HearthChatMessage *) path->pdata[1999])->content, ==,
                   "message 1999 with some text in it");
}

static guint changes_seen;

static void
chat_changed_cb (HearthChatStore *store,
                 gint64           chat_id,
                 gpointer         data)
{
  changes_seen++;
}

static void
chats_changed_cb (HearthChatStore *store,
                  gpointer         data)
{
  changes_seen++;
}

/* What is typed and not sent waits with its chat: another chat has its own
 * (or none), it survives closing the store, bad text is refused, setting it
 * is not a change of the chat; a database of schema 1 gains the column and
 * keeps its chats. */
static void
test_drafts (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "drafts.db", NULL);
  g_autofree char *old_path = g_build_filename (tmp_dir, "schema1.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatStore) store = open_store ("drafts.db");
  g_autofree char *draft = NULL;
  gint64 a, b;
  const char *typed = "half a question,\nand 一半的问题 ";

  a = hearth_chat_store_create_chat (store, NULL, &error);
  b = hearth_chat_store_create_chat (store, NULL, &error);
  g_assert_no_error (error);
  add (store, a, 0, "user", "first");
  g_signal_connect (store, "chat-changed", G_CALLBACK (chat_changed_cb), NULL);
  g_signal_connect (store, "chats-changed", G_CALLBACK (chats_changed_cb), NULL);
  changes_seen = 0;
  g_assert_true (hearth_chat_store_set_draft (store, a, typed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes_seen, ==, 0);
  draft = hearth_chat_store_get_draft (store, a, &error);
  g_assert_cmpstr (draft, ==, typed);
  g_clear_pointer (&draft, g_free);
  draft = hearth_chat_store_get_draft (store, b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (draft, ==, "");
  g_clear_pointer (&draft, g_free);
  /* refused, and what was there stays */
  g_assert_false (hearth_chat_store_set_draft (store, a, "bad \xff text", &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (hearth_chat_store_set_draft (store, 999999, "x", &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (hearth_chat_store_get_draft (store, 999999, &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_signal_handlers_disconnect_by_func (store, chat_changed_cb, NULL);
  g_signal_handlers_disconnect_by_func (store, chats_changed_cb, NULL);
  g_clear_object (&store);

  /* closed and opened again: still there */
  store = open_store ("drafts.db");
  draft = hearth_chat_store_get_draft (store, a, &error);
  g_assert_cmpstr (draft, ==, typed);
  g_clear_pointer (&draft, g_free);
  g_assert_true (hearth_chat_store_set_draft (store, a, "", &error));
  draft = hearth_chat_store_get_draft (store, a, &error);
  g_assert_cmpstr (draft, ==, "");
  g_clear_pointer (&draft, g_free);
  g_clear_object (&store);

  /* a file of schema 1 (before drafts) */
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (old_path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db,
                                   "CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',"
                                   " title_set INTEGER NOT NULL DEFAULT 0, model TEXT, created INTEGER NOT NULL,"
                                   " updated INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,"
                                   " selected_root INTEGER REFERENCES messages (id) ON DELETE SET NULL);"
                                   "CREATE TABLE messages (id INTEGER PRIMARY KEY,"
                                   " chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,"
                                   " parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,"
                                   " role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),"
                                   " content TEXT NOT NULL, model TEXT, params TEXT, stats TEXT, error TEXT,"
                                   " complete INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL,"
                                   " selected_child INTEGER REFERENCES messages (id) ON DELETE SET NULL);"
                                   "CREATE INDEX messages_by_chat ON messages (chat_id);"
                                   "CREATE INDEX messages_by_parent ON messages (parent_id);"
                                   "CREATE INDEX chats_by_update ON chats (deleted, updated);"
                                   "INSERT INTO chats (id, title, created, updated) VALUES (7, 'Old', 1, 1);"
                                   "INSERT INTO messages (chat_id, role, content, created) VALUES (7, 'user', 'kept', 1);"
                                   "UPDATE chats SET selected_root = 1;"
                                   "PRAGMA user_version = 1;",
                                   NULL, NULL, NULL),
                     ==, SQLITE_OK);
    sqlite3_close (db);
  }
  store = open_store ("schema1.db");
  draft = hearth_chat_store_get_draft (store, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (draft, ==, "");
  g_clear_pointer (&draft, g_free);
  {
    g_autofree char *text = shown (store, 7);

    g_assert_cmpstr (text, ==, "user:kept");
  }
  g_clear_object (&store);
  {
    g_autofree char *version = pragma (old_path, "user_version");

    g_assert_cmpint (atoi (version), ==, HEARTH_CHAT_STORE_SCHEMA);
  }
  (void) path;
}

/* A chat's own settings: kept as given (only what differs from the
 * defaults), another chat has none, bad JSON and values of the wrong kind
 * refused, leaving what was there; a database of schema 2 gains the column
 * and keeps its chats, with the defaults. */
static void
test_settings (void)
{
  g_autofree char *old_path = g_build_filename (tmp_dir, "schema2.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatStore) store = open_store ("settings.db");
  g_autofree char *json = NULL;
  const char *settings = "{\"system\":\"Answer in French. 用中文也可以\",\"temperature\":0.3,"
                         "\"num_predict\":12,\"stop\":[\"User:\",\"\\n\\n\"]}";
  const char *bad[] = {
    "{\"temperature\": ",           /* not JSON */
    "[1, 2]",                        /* not an object */
    "\"text\"",
    "{\"system\": 3}",               /* the system prompt is text */
    "{\"temperature\": \"hot\"}",    /* a parameter is a number */
    "{\"stop\": \"User:\"}",         /* stop strings are a list */
    "{\"stop\": [1]}",
    "{\"seed\": [1]}",
  };
  gint64 a, b;

  a = hearth_chat_store_create_chat (store, NULL, &error);
  b = hearth_chat_store_create_chat (store, NULL, &error);
  g_assert_no_error (error);
  json = hearth_chat_store_get_chat_settings (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json, ==, "{}");
  g_clear_pointer (&json, g_free);

  g_signal_connect (store, "chat-changed", G_CALLBACK (chat_changed_cb), NULL);
  g_signal_connect (store, "chats-changed", G_CALLBACK (chats_changed_cb), NULL);
  changes_seen = 0;
  {
    guint settings_changed = 0;
    gulong id = g_signal_connect (store, "chat-settings-changed", G_CALLBACK (count_signal),
                                  &settings_changed);

    g_assert_true (hearth_chat_store_set_chat_settings (store, a, settings, &error));
    g_assert_no_error (error);
    /* the panes showing them follow; the chat and the list did not change */
    g_assert_cmpuint (settings_changed, ==, 1);
    g_assert_false (hearth_chat_store_set_chat_settings (store, a, "[1]", NULL));
    g_assert_cmpuint (settings_changed, ==, 1);
    g_signal_handler_disconnect (store, id);
  }
  g_assert_cmpuint (changes_seen, ==, 0);
  g_signal_handlers_disconnect_by_func (store, chat_changed_cb, NULL);
  g_signal_handlers_disconnect_by_func (store, chats_changed_cb, NULL);
  json = hearth_chat_store_get_chat_settings (store, a, &error);
  g_assert_cmpstr (json, ==, settings);
  g_clear_pointer (&json, g_free);
  json = hearth_chat_store_get_chat_settings (store, b, &error);
  g_assert_cmpstr (json, ==, "{}");
  g_clear_pointer (&json, g_free);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (hearth_chat_store_set_chat_settings (store, a, bad[i], &error));
      g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_false (hearth_chat_store_set_chat_settings (store, a, "{\"system\": \"\xff\"}", &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (hearth_chat_store_set_chat_settings (store, 999999, "{}", &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (hearth_chat_store_get_chat_settings (store, 999999, &error));
  g_assert_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&store);

  /* closed and opened again: still there, untouched by what was refused */
  store = open_store ("settings.db");
  json = hearth_chat_store_get_chat_settings (store, a, &error);
  g_assert_cmpstr (json, ==, settings);
  g_clear_pointer (&json, g_free);
  /* back to the defaults, with an empty object or none */
  g_assert_true (hearth_chat_store_set_chat_settings (store, a, "{ }", &error));
  json = hearth_chat_store_get_chat_settings (store, a, &error);
  g_assert_cmpstr (json, ==, "{}");
  g_clear_pointer (&json, g_free);
  g_assert_true (hearth_chat_store_set_chat_settings (store, b, "{\"seed\":42}", &error));
  g_assert_true (hearth_chat_store_set_chat_settings (store, b, NULL, &error));
  g_assert_no_error (error);
  json = hearth_chat_store_get_chat_settings (store, b, &error);
  g_assert_cmpstr (json, ==, "{}");
  g_clear_pointer (&json, g_free);
  g_clear_object (&store);

  /* a file of schema 2 (before chat settings), with a chat and its draft */
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (old_path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db,
                                   "CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '',"
                                   " title_set INTEGER NOT NULL DEFAULT 0, model TEXT, created INTEGER NOT NULL,"
                                   " updated INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,"
                                   " selected_root INTEGER REFERENCES messages (id) ON DELETE SET NULL,"
                                   " draft TEXT NOT NULL DEFAULT '');"
                                   "CREATE TABLE messages (id INTEGER PRIMARY KEY,"
                                   " chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,"
                                   " parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,"
                                   " role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),"
                                   " content TEXT NOT NULL, model TEXT, params TEXT, stats TEXT, error TEXT,"
                                   " complete INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL,"
                                   " selected_child INTEGER REFERENCES messages (id) ON DELETE SET NULL);"
                                   "CREATE INDEX messages_by_chat ON messages (chat_id);"
                                   "CREATE INDEX messages_by_parent ON messages (parent_id);"
                                   "CREATE INDEX chats_by_update ON chats (deleted, updated);"
                                   "INSERT INTO chats (id, title, model, created, updated, draft)"
                                   " VALUES (7, 'Old', 'tiny', 1, 1, 'unsent');"
                                   "INSERT INTO messages (chat_id, role, content, created) VALUES (7, 'user', 'kept', 1);"
                                   "UPDATE chats SET selected_root = 1;"
                                   "PRAGMA user_version = 2;",
                                   NULL, NULL, NULL),
                     ==, SQLITE_OK);
    sqlite3_close (db);
  }
  store = open_store ("schema2.db");
  {
    g_autoptr (HearthChat) chat = hearth_chat_store_get_chat (store, 7, &error);
    g_autofree char *text = shown (store, 7);
    g_autofree char *draft = hearth_chat_store_get_draft (store, 7, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (chat->title, ==, "Old");
    g_assert_cmpstr (chat->model, ==, "tiny");
    g_assert_cmpstr (text, ==, "user:kept");
    g_assert_cmpstr (draft, ==, "unsent");
  }
  json = hearth_chat_store_get_chat_settings (store, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json, ==, "{}");
  g_clear_pointer (&json, g_free);
  g_assert_true (hearth_chat_store_set_chat_settings (store, 7, "{\"top_k\":5}", &error));
  g_assert_no_error (error);
  g_clear_object (&store);
  {
    g_autofree char *version = pragma (old_path, "user_version");

    g_assert_cmpint (atoi (version), ==, HEARTH_CHAT_STORE_SCHEMA);
    g_assert_cmpint (HEARTH_CHAT_STORE_SCHEMA, ==, 3);
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-chat-store-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/chat-store/chats", test_chats);
  g_test_add_func ("/chat-store/branches", test_branches);
  g_test_add_func ("/chat-store/search", test_search);
  g_test_add_func ("/chat-store/chats-with-model", test_chats_with_model);
  g_test_add_func ("/chat-store/schema", test_schema);
  g_test_add_func ("/chat-store/drafts", test_drafts);
  g_test_add_func ("/chat-store/settings", test_settings);
  g_test_add_func ("/chat-store/export-import", test_export_import);
  g_test_add_func ("/chat-store/export-settings", test_export_settings);
  g_test_add_func ("/chat-store/killed-writer", test_killed_writer);
  g_test_add_func ("/chat-store/open-at-once", test_open_at_once);
  g_test_add_func ("/chat-store/checkpoints", test_checkpoints);
  g_test_add_func ("/chat-store/long-chat", test_long_chat);

  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmp_dir);
  }
  return status;
}
