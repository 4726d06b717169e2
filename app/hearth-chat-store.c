/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "hearth-chat-store.h"

/* A title made from a first message: at most this many characters. */
#define TITLE_CHARS 48
/* What an imported file may hold. */
#define IMPORT_MAX_MESSAGES 100000
#define IMPORT_MAX_TEXT (16 * 1024 * 1024)

struct _HearthChatStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
};

enum { SIGNAL_CHAT_CHANGED, SIGNAL_CHATS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthChatStore, hearth_chat_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-chat-store-error-quark, hearth_chat_store_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

void
hearth_chat_free (HearthChat *chat)
{
  if (chat == NULL)
    return;
  g_free (chat->title);
  g_free (chat->model);
  g_free (chat);
}

HearthChatMessage *
hearth_chat_message_copy (const HearthChatMessage *message)
{
  HearthChatMessage *copy = g_memdup2 (message, sizeof *message);

  copy->role = g_strdup (message->role);
  copy->content = g_strdup (message->content);
  copy->model = g_strdup (message->model);
  copy->params = g_strdup (message->params);
  copy->stats = g_strdup (message->stats);
  copy->error = g_strdup (message->error);
  return copy;
}

void
hearth_chat_message_free (HearthChatMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->role);
  g_free (message->content);
  g_free (message->model);
  g_free (message->params);
  g_free (message->stats);
  g_free (message->error);
  g_free (message);
}

/* ---- SQLite helpers ----------------------------------------------------------- */

static gboolean
fail (HearthChatStore  *self,
      GError          **error)
{
  int code = sqlite3_errcode (self->db);

  g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_FAILED,
               _("The chat history (%s) cannot be written: %s"), self->path,
               code == SQLITE_FULL ? _("the disk is full") : sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
prepare (HearthChatStore  *self,
         const char       *sql,
         GError          **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      fail (self, error);
      return NULL;
    }
  return stmt;
}

static gboolean
exec (HearthChatStore  *self,
      const char       *sql,
      GError          **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return fail (self, error);
  return TRUE;
}

static gboolean
begin (HearthChatStore  *self,
       GError          **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (HearthChatStore  *self,
        GError          **error)
{
  if (!exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

static void
rollback (HearthChatStore *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           i,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, i, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, i);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           i)
{
  const unsigned char *text = sqlite3_column_text (stmt, i);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- schema ------------------------------------------------------------------------ */

static const char *const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE chats ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL DEFAULT '',"
  "  title_set INTEGER NOT NULL DEFAULT 0,"
  "  model TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  deleted INTEGER NOT NULL DEFAULT 0,"
  "  selected_root INTEGER REFERENCES messages (id) ON DELETE SET NULL);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,"
  "  parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),"
  "  content TEXT NOT NULL,"
  "  model TEXT,"
  "  params TEXT,"
  "  stats TEXT,"
  "  error TEXT,"
  "  complete INTEGER NOT NULL DEFAULT 1,"
  "  created INTEGER NOT NULL,"
  "  selected_child INTEGER REFERENCES messages (id) ON DELETE SET NULL);"
  "CREATE INDEX messages_by_chat ON messages (chat_id);"
  "CREATE INDEX messages_by_parent ON messages (parent_id);"
  "CREATE INDEX chats_by_update ON chats (deleted, updated);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HEARTH_CHAT_STORE_SCHEMA);

/* The file's schema version; fails, touching nothing, on a file that is
 * not a database or comes from a newer Hearth. */
static gboolean
read_version (HearthChatStore  *self,
              int              *version,
              GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_OPEN,
                   _("%s is not a chat history Hearth can read (%s); it was left as it is"),
                   self->path, sqlite3_errmsg (self->db));
      return FALSE;
    }
  *version = sqlite3_column_int (stmt, 0);
  if (*version > HEARTH_CHAT_STORE_SCHEMA)
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NEWER,
                   _("The chat history %s was written by a newer Hearth (schema %d; this one knows "
                     "%d). Update Hearth to open it; it was left as it is."),
                   self->path, *version, HEARTH_CHAT_STORE_SCHEMA);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate (HearthChatStore  *self,
         int               version,
         GError          **error)
{
  for (int v = version; v < HEARTH_CHAT_STORE_SCHEMA; v++)
    {
      g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      /* each step and its version number in one transaction */
      if (!begin (self, error))
        return FALSE;
      if (!exec (self, migrations[v], error) || !exec (self, set, error))
        {
          rollback (self);
          return FALSE;
        }
      if (!commit (self, error))
        return FALSE;
    }
  return TRUE;
}

char *
hearth_chat_store_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "hearth", "chats.db", NULL);
}

HearthChatStore *
hearth_chat_store_open (const char  *path,
                        GError     **error)
{
  g_autoptr (HearthChatStore) self = g_object_new (HEARTH_TYPE_CHAT_STORE, NULL);
  g_autofree char *dir = NULL;
  g_autoptr (sqlite3_stmt) wal = NULL;
  int version = 0;

  self->path = path != NULL ? g_strdup (path) : hearth_chat_store_default_path ();
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_OPEN,
                   _("Cannot make the folder %s for the chat history: %s"), dir, g_strerror (saved));
      return NULL;
    }
  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_OPEN,
                   _("Cannot open the chat history %s: %s"), self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : g_strerror (ENOMEM));
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);
  if (!read_version (self, &version, error))
    return NULL;
  /* WAL: a reply saved while it streams never blocks a reader, and a
   * process killed mid-write leaves the last committed state */
  if (sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &wal, NULL) != SQLITE_OK
      || sqlite3_step (wal) != SQLITE_ROW)
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_OPEN,
                   _("%s is not a chat history Hearth can read (%s); it was left as it is"),
                   self->path, sqlite3_errmsg (self->db));
      return NULL;
    }
  g_clear_pointer (&wal, sqlite3_finalize);
  if (!exec (self, "PRAGMA foreign_keys = ON", error)
      || !exec (self, "PRAGMA synchronous = NORMAL", error))
    return NULL;
  if (!migrate (self, version, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
hearth_chat_store_get_filename (HearthChatStore *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);
  return self->path;
}

static void
changed (HearthChatStore *self,
         gint64           chat_id,
         gboolean         list_too)
{
  g_signal_emit (self, signals[SIGNAL_CHAT_CHANGED], 0, chat_id);
  if (list_too)
    g_signal_emit (self, signals[SIGNAL_CHATS_CHANGED], 0);
}

/* ---- chats ----------------------------------------------------------------------- */

gint64
hearth_chat_store_create_chat (HearthChatStore  *self,
                               const char       *model,
                               GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 id, t = now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);

  stmt = prepare (self, "INSERT INTO chats (model, created, updated) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, model);
  sqlite3_bind_int64 (stmt, 2, t);
  sqlite3_bind_int64 (stmt, 3, t);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  id = sqlite3_last_insert_rowid (self->db);
  changed (self, id, TRUE);
  return id;
}

static HearthChat *
chat_from_row (sqlite3_stmt *stmt)
{
  HearthChat *chat = g_new0 (HearthChat, 1);

  chat->id = sqlite3_column_int64 (stmt, 0);
  chat->title = column_text (stmt, 1);
  chat->title_set = sqlite3_column_int (stmt, 2) != 0;
  chat->model = column_text (stmt, 3);
  chat->created = sqlite3_column_int64 (stmt, 4);
  chat->updated = sqlite3_column_int64 (stmt, 5);
  return chat;
}

#define CHAT_COLUMNS "c.id, c.title, c.title_set, c.model, c.created, c.updated"

static gboolean
not_found (GError **error,
           gint64   id)
{
  g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_NOT_FOUND,
               _("There is no chat or message %lld"), (long long) id);
  return FALSE;
}

HearthChat *
hearth_chat_store_get_chat (HearthChatStore  *self,
                            gint64            chat_id,
                            GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  stmt = prepare (self, "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, chat_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return chat_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, chat_id);
  else
    fail (self, error);
  return NULL;
}

/* @word for LIKE: its own % _ and \ taken literally. */
static char *
like_pattern (const char *word)
{
  GString *s = g_string_new ("%");

  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

GPtrArray *
hearth_chat_store_list_chats (HearthChatStore  *self,
                              const char       *search,
                              GError          **error)
{
  g_autoptr (GString) sql = g_string_new ("SELECT " CHAT_COLUMNS " FROM chats c WHERE c.deleted = 0");
  g_auto (GStrv) words = NULL;
  g_autoptr (GPtrArray) chats = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_chat_free);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  guint n = 0;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  if (search != NULL)
    {
      words = g_strsplit_set (search, " \t\n", -1);
      for (guint i = 0; words[i] != NULL && n < 16; i++)
        if (*words[i] != '\0')
          {
            g_string_append (sql, " AND (c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                                  "messages m WHERE m.chat_id = c.id AND m.content LIKE ? "
                                  "ESCAPE '\\'))");
            n++;
          }
    }
  g_string_append (sql, " ORDER BY c.updated DESC, c.id DESC");
  stmt = prepare (self, sql->str, error);
  if (stmt == NULL)
    return NULL;
  for (guint i = 0, k = 0; words != NULL && words[i] != NULL && k < n; i++)
    if (*words[i] != '\0')
      {
        g_autofree char *pattern = like_pattern (words[i]);

        bind_text (stmt, (int) (2 * k + 1), pattern);
        bind_text (stmt, (int) (2 * k + 2), pattern);
        k++;
      }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (chats, chat_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&chats);
}

/* Runs @sql (one statement: @text first if @with_text, the chat's id
 * last), expecting it to change a row. */
static gboolean
update_chat (HearthChatStore  *self,
             gint64            chat_id,
             const char       *sql,
             gboolean          with_text,
             const char       *text,
             gboolean          list_too,
             GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (self, sql, error);
  int i = 1;

  if (stmt == NULL)
    return FALSE;
  if (with_text)
    bind_text (stmt, i++, text);
  sqlite3_bind_int64 (stmt, i, chat_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  if (sqlite3_changes (self->db) == 0)
    return not_found (error, chat_id);
  changed (self, chat_id, list_too);
  return TRUE;
}

/* @text on one line, trimmed, at most @max characters (cut at a space
 * where there is one, with "…"). */
static char *
one_line (const char *text,
          guint       max)
{
  g_autofree char *flat = g_strdup (text);
  glong n;

  for (char *p = flat; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  g_strstrip (flat);
  n = g_utf8_strlen (flat, -1);
  if (n <= (glong) max)
    return g_steal_pointer (&flat);
  {
    char *end = g_utf8_offset_to_pointer (flat, max);
    char *space;

    *end = '\0';
    space = strrchr (flat, ' ');
    if (space != NULL && g_utf8_strlen (flat, space - flat) > (glong) max / 2)
      *space = '\0';
    return g_strconcat (g_strchomp (flat), "…", NULL);
  }
}

gboolean
hearth_chat_store_rename_chat (HearthChatStore  *self,
                               gint64            chat_id,
                               const char       *title,
                               GError          **error)
{
  g_autofree char *clean = NULL;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  g_return_val_if_fail (title != NULL, FALSE);

  clean = one_line (title, 200);
  if (!g_utf8_validate (clean, -1, NULL) || *clean == '\0')
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("A chat’s title cannot be empty"));
      return FALSE;
    }
  return update_chat (self, chat_id, "UPDATE chats SET title = ?, title_set = 1 WHERE id = ?", TRUE, clean,
                      TRUE, error);
}

gboolean
hearth_chat_store_set_chat_model (HearthChatStore  *self,
                                  gint64            chat_id,
                                  const char       *model,
                                  GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  return update_chat (self, chat_id, "UPDATE chats SET model = ? WHERE id = ?", TRUE, model, FALSE,
                      error);
}

gboolean
hearth_chat_store_delete_chat (HearthChatStore  *self,
                               gint64            chat_id,
                               GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  return update_chat (self, chat_id, "UPDATE chats SET deleted = 1 WHERE id = ?", FALSE, NULL, TRUE,
                      error);
}

gboolean
hearth_chat_store_restore_chat (HearthChatStore  *self,
                                gint64            chat_id,
                                GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  return update_chat (self, chat_id, "UPDATE chats SET deleted = 0 WHERE id = ?", FALSE, NULL, TRUE,
                      error);
}

gboolean
hearth_chat_store_purge_deleted (HearthChatStore  *self,
                                 GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);

  /* messages go with their chat (ON DELETE CASCADE) */
  return exec (self, "DELETE FROM chats WHERE deleted = 1", error);
}

/* ---- messages ---------------------------------------------------------------------- */

static gboolean
valid_role (const char *role)
{
  return g_strcmp0 (role, "system") == 0 || g_strcmp0 (role, "user") == 0
         || g_strcmp0 (role, "assistant") == 0;
}

static gboolean
valid_text (const char  *text,
            GError     **error)
{
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("The message is not valid UTF-8 text"));
      return FALSE;
    }
  return TRUE;
}

/* Within a transaction: the message @id is what @parent_id (or the chat,
 * for a first message) shows. */
static gboolean
select_in_parent (HearthChatStore  *self,
                  gint64            chat_id,
                  gint64            parent_id,
                  gint64            id,
                  GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (parent_id != 0)
    stmt = prepare (self, "UPDATE messages SET selected_child = ? WHERE id = ?", error);
  else
    stmt = prepare (self, "UPDATE chats SET selected_root = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, parent_id != 0 ? parent_id : chat_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  return TRUE;
}

gint64
hearth_chat_store_add_message (HearthChatStore  *self,
                               gint64            chat_id,
                               gint64            parent_id,
                               const char       *role,
                               const char       *content,
                               const char       *model,
                               const char       *params,
                               gboolean          complete,
                               GError          **error)
{
  g_autoptr (sqlite3_stmt) insert = NULL;
  g_autoptr (sqlite3_stmt) touch = NULL;
  g_autoptr (HearthChat) chat = NULL;
  gint64 id, t = now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);

  if (!valid_role (role))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("“%s” is not a role a message can have (system, user or assistant)"),
                   role != NULL ? role : "");
      return 0;
    }
  if (content == NULL)
    content = "";
  if (!valid_text (content, error))
    return 0;
  chat = hearth_chat_store_get_chat (self, chat_id, error);
  if (chat == NULL)
    return 0;
  if (parent_id != 0)
    {
      g_autoptr (HearthChatMessage) parent = hearth_chat_store_get_message (self, parent_id, error);

      if (parent == NULL)
        return 0;
      if (parent->chat_id != chat_id)
        {
          g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                       _("Message %lld belongs to another chat"), (long long) parent_id);
          return 0;
        }
    }

  if (!begin (self, error))
    return 0;
  insert = prepare (self, "INSERT INTO messages (chat_id, parent_id, role, content, model, params, "
                          "complete, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (insert == NULL)
    goto failed;
  sqlite3_bind_int64 (insert, 1, chat_id);
  if (parent_id != 0)
    sqlite3_bind_int64 (insert, 2, parent_id);
  else
    sqlite3_bind_null (insert, 2);
  bind_text (insert, 3, role);
  bind_text (insert, 4, content);
  bind_text (insert, 5, model);
  bind_text (insert, 6, params);
  sqlite3_bind_int (insert, 7, complete ? 1 : 0);
  sqlite3_bind_int64 (insert, 8, t);
  if (sqlite3_step (insert) != SQLITE_DONE)
    {
      fail (self, error);
      goto failed;
    }
  id = sqlite3_last_insert_rowid (self->db);
  if (!select_in_parent (self, chat_id, parent_id, id, error))
    goto failed;

  /* the chat moves to the top; its first question names it */
  if (g_str_equal (role, "user") && !chat->title_set && *chat->title == '\0' && *content != '\0')
    {
      g_autofree char *title = one_line (content, TITLE_CHARS);

      touch = prepare (self, "UPDATE chats SET updated = ?, title = ? WHERE id = ?", error);
      if (touch != NULL)
        bind_text (touch, 2, title);
    }
  else
    touch = prepare (self, "UPDATE chats SET updated = ? WHERE id = ?", error);
  if (touch == NULL)
    goto failed;
  sqlite3_bind_int64 (touch, 1, t);
  sqlite3_bind_int64 (touch, sqlite3_bind_parameter_count (touch), chat_id);
  if (sqlite3_step (touch) != SQLITE_DONE)
    {
      fail (self, error);
      goto failed;
    }
  g_clear_pointer (&insert, sqlite3_finalize);
  g_clear_pointer (&touch, sqlite3_finalize);
  if (!commit (self, error))
    return 0;
  changed (self, chat_id, TRUE);
  return id;

failed:
  rollback (self);
  return 0;
}

gboolean
hearth_chat_store_update_message (HearthChatStore  *self,
                                  gint64            message_id,
                                  const char       *content,
                                  gboolean          complete,
                                  const char       *stats,
                                  const char       *error_text,
                                  GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (HearthChatMessage) message = NULL;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  if (!valid_text (content, error))
    return FALSE;
  stmt = prepare (self, "UPDATE messages SET content = ?, complete = ?, "
                        "stats = coalesce (?, stats), error = coalesce (?, error) WHERE id = ?",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, content);
  sqlite3_bind_int (stmt, 2, complete ? 1 : 0);
  bind_text (stmt, 3, stats);
  bind_text (stmt, 4, error_text);
  sqlite3_bind_int64 (stmt, 5, message_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  if (sqlite3_changes (self->db) == 0)
    return not_found (error, message_id);
  message = hearth_chat_store_get_message (self, message_id, NULL);
  if (message != NULL)
    changed (self, message->chat_id, FALSE);
  return TRUE;
}

#define MESSAGE_COLUMNS                                                                        \
  "id, chat_id, coalesce (parent_id, 0), role, content, model, params, stats, error, complete, " \
  "created, coalesce (selected_child, 0)"

static HearthChatMessage *
message_from_row (sqlite3_stmt *stmt,
                  gint64       *selected_child)
{
  HearthChatMessage *m = g_new0 (HearthChatMessage, 1);

  m->id = sqlite3_column_int64 (stmt, 0);
  m->chat_id = sqlite3_column_int64 (stmt, 1);
  m->parent_id = sqlite3_column_int64 (stmt, 2);
  m->role = column_text (stmt, 3);
  m->content = column_text (stmt, 4);
  m->model = column_text (stmt, 5);
  m->params = column_text (stmt, 6);
  m->stats = column_text (stmt, 7);
  m->error = column_text (stmt, 8);
  m->complete = sqlite3_column_int (stmt, 9) != 0;
  m->created = sqlite3_column_int64 (stmt, 10);
  if (selected_child != NULL)
    *selected_child = sqlite3_column_int64 (stmt, 11);
  m->n_siblings = 1;
  return m;
}

HearthChatMessage *
hearth_chat_store_get_message (HearthChatStore  *self,
                               gint64            message_id,
                               GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  stmt = prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return message_from_row (stmt, NULL);
  if (rc == SQLITE_DONE)
    not_found (error, message_id);
  else
    fail (self, error);
  return NULL;
}

/* Every message of a chat, in the order they were added: the tree. */
typedef struct
{
  GPtrArray *all;          /* HearthChatMessage, by id */
  GHashTable *by_id;       /* id → index in all */
  GHashTable *children;    /* parent id → GArray of indices (0: the first messages) */
  GArray *selected;        /* index → selected child id */
  gint64 selected_root;
} Tree;

static void
tree_clear (Tree *tree)
{
  g_clear_pointer (&tree->all, g_ptr_array_unref);
  g_clear_pointer (&tree->by_id, g_hash_table_unref);
  g_clear_pointer (&tree->children, g_hash_table_unref);
  g_clear_pointer (&tree->selected, g_array_unref);
}

static gboolean
tree_load (HearthChatStore  *self,
           gint64            chat_id,
           Tree             *tree,
           GError          **error)
{
  g_autoptr (sqlite3_stmt) chat = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  tree->all = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_chat_message_free);
  tree->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  tree->children = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
  tree->selected = g_array_new (FALSE, FALSE, sizeof (gint64));

  chat = prepare (self, "SELECT coalesce (selected_root, 0) FROM chats WHERE id = ?", error);
  if (chat == NULL)
    return FALSE;
  sqlite3_bind_int64 (chat, 1, chat_id);
  rc = sqlite3_step (chat);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? not_found (error, chat_id) : fail (self, error);
  tree->selected_root = sqlite3_column_int64 (chat, 0);

  stmt = prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE chat_id = ? ORDER BY id",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, chat_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 selected = 0;
      HearthChatMessage *m = message_from_row (stmt, &selected);
      guint index = tree->all->len;
      GArray *siblings = g_hash_table_lookup (tree->children, &m->parent_id);

      g_ptr_array_add (tree->all, m);
      g_array_append_val (tree->selected, selected);
      g_hash_table_insert (tree->by_id, &m->id, GUINT_TO_POINTER (index));
      if (siblings == NULL)
        {
          siblings = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (tree->children, g_memdup2 (&m->parent_id, sizeof (gint64)), siblings);
        }
      g_array_append_val (siblings, index);
    }
  if (rc != SQLITE_DONE)
    return fail (self, error);
  return TRUE;
}

/* Among the children of @parent_id: the one @selected names, else the
 * last added. -1 when there are none. */
static int
tree_pick (Tree   *tree,
           gint64  parent_id,
           gint64  selected,
           guint  *position,
           guint  *count)
{
  GArray *siblings = g_hash_table_lookup (tree->children, &parent_id);

  if (siblings == NULL || siblings->len == 0)
    return -1;
  *count = siblings->len;
  for (guint i = 0; i < siblings->len; i++)
    {
      guint index = g_array_index (siblings, guint, i);

      if (((HearthChatMessage *) tree->all->pdata[index])->id == selected)
        {
          *position = i;
          return (int) index;
        }
    }
  *position = siblings->len - 1;
  return (int) g_array_index (siblings, guint, siblings->len - 1);
}

GPtrArray *
hearth_chat_store_get_conversation (HearthChatStore  *self,
                                    gint64            chat_id,
                                    GError          **error)
{
  Tree tree = { 0 };
  GPtrArray *path;
  gint64 parent = 0, selected;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  if (!tree_load (self, chat_id, &tree, error))
    {
      tree_clear (&tree);
      return NULL;
    }
  path = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_chat_message_free);
  selected = tree.selected_root;
  for (guint depth = 0; depth <= tree.all->len; depth++)
    {
      guint position = 0, count = 0;
      int index = tree_pick (&tree, parent, selected, &position, &count);
      HearthChatMessage *m;

      if (index < 0)
        break;
      /* moved out of the tree into the path */
      m = tree.all->pdata[index];
      tree.all->pdata[index] = NULL;
      if (m == NULL)
        break; /* a cycle: cannot happen with ids that only grow */
      m->n_siblings = count;
      m->sibling_index = position;
      g_ptr_array_add (path, m);
      parent = m->id;
      selected = g_array_index (tree.selected, gint64, index);
    }
  tree_clear (&tree);
  return path;
}

gboolean
hearth_chat_store_select_message (HearthChatStore  *self,
                                  gint64            message_id,
                                  GError          **error)
{
  g_autoptr (HearthChatMessage) m = NULL;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);

  m = hearth_chat_store_get_message (self, message_id, error);
  if (m == NULL)
    return FALSE;
  if (!select_in_parent (self, m->chat_id, m->parent_id, m->id, error))
    return FALSE;
  changed (self, m->chat_id, FALSE);
  return TRUE;
}

gint64
hearth_chat_store_get_sibling (HearthChatStore  *self,
                               gint64            message_id,
                               int               offset,
                               GError          **error)
{
  g_autoptr (HearthChatMessage) m = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);

  m = hearth_chat_store_get_message (self, message_id, error);
  if (m == NULL)
    return 0;
  stmt = prepare (self, "SELECT id FROM messages WHERE chat_id = ? AND coalesce (parent_id, 0) = ? "
                        "ORDER BY id", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, m->chat_id);
  sqlite3_bind_int64 (stmt, 2, m->parent_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    return fail (self, error);
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint64, i) == message_id)
      {
        gint64 target = (gint64) i + offset;

        if (target < 0 || target >= (gint64) ids->len)
          return 0;
        return g_array_index (ids, gint64, (guint) target);
      }
  return 0;
}

/* ---- export and import ---------------------------------------------------------- */

static const char *
role_heading (const char *role)
{
  if (g_str_equal (role, "system"))
    return _("System");
  if (g_str_equal (role, "user"))
    return _("You");
  return _("Assistant");
}

char *
hearth_chat_store_export_markdown (HearthChatStore  *self,
                                   gint64            chat_id,
                                   GError          **error)
{
  g_autoptr (HearthChat) chat = hearth_chat_store_get_chat (self, chat_id, error);
  g_autoptr (GPtrArray) path = NULL;
  g_autoptr (GDateTime) created = NULL;
  g_autofree char *date = NULL;
  GString *out;

  if (chat == NULL || (path = hearth_chat_store_get_conversation (self, chat_id, error)) == NULL)
    return NULL;
  out = g_string_new (NULL);
  g_string_append_printf (out, "# %s\n\n", *chat->title != '\0' ? chat->title : _("New Chat"));
  created = g_date_time_new_from_unix_local (chat->created);
  date = created != NULL ? g_date_time_format (created, "%Y-%m-%d %H:%M") : g_strdup ("");
  if (chat->model != NULL)
    g_string_append_printf (out, "*%s · %s*\n\n", chat->model, date);
  else
    g_string_append_printf (out, "*%s*\n\n", date);
  for (guint i = 0; i < path->len; i++)
    {
      HearthChatMessage *m = path->pdata[i];

      if (g_str_equal (m->role, "assistant") && m->model != NULL)
        g_string_append_printf (out, "## %s (%s)\n\n", role_heading (m->role), m->model);
      else
        g_string_append_printf (out, "## %s\n\n", role_heading (m->role));
      g_string_append (out, m->content);
      if (m->error != NULL)
        g_string_append_printf (out, "\n\n> %s", m->error);
      g_string_append (out, "\n\n");
    }
  return g_string_free (out, FALSE);
}

static void
add_json_text (JsonBuilder *b,
               const char  *name,
               const char  *text)
{
  json_builder_set_member_name (b, name);
  if (text != NULL)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}

/* @text (JSON kept as text) as a value: parsed, or null. */
static void
add_json_raw (JsonBuilder *b,
              const char  *name,
              const char  *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (b, name);
  if (text != NULL && json_parser_load_from_data (parser, text, -1, NULL))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (b);
}

char *
hearth_chat_store_export_json (HearthChatStore  *self,
                               gint64            chat_id,
                               GError          **error)
{
  g_autoptr (HearthChat) chat = hearth_chat_store_get_chat (self, chat_id, error);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GHashTable) shown = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) path = NULL;
  Tree tree = { 0 };

  if (chat == NULL || (path = hearth_chat_store_get_conversation (self, chat_id, error)) == NULL)
    return NULL;
  if (!tree_load (self, chat_id, &tree, error))
    {
      tree_clear (&tree);
      return NULL;
    }
  for (guint i = 0; i < path->len; i++)
    g_hash_table_add (shown, &((HearthChatMessage *) path->pdata[i])->id);

  json_builder_begin_object (b);
  add_json_text (b, "format", "hearth-chat");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  add_json_text (b, "title", chat->title);
  json_builder_set_member_name (b, "title_set");
  json_builder_add_boolean_value (b, chat->title_set);
  add_json_text (b, "model", chat->model);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, chat->created);
  json_builder_set_member_name (b, "updated");
  json_builder_add_int_value (b, chat->updated);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < tree.all->len; i++)
    {
      HearthChatMessage *m = tree.all->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, m->id);
      json_builder_set_member_name (b, "parent");
      if (m->parent_id != 0)
        json_builder_add_int_value (b, m->parent_id);
      else
        json_builder_add_null_value (b);
      add_json_text (b, "role", m->role);
      add_json_text (b, "content", m->content);
      add_json_text (b, "model", m->model);
      add_json_raw (b, "params", m->params);
      add_json_raw (b, "stats", m->stats);
      add_json_text (b, "error", m->error);
      json_builder_set_member_name (b, "complete");
      json_builder_add_boolean_value (b, m->complete);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, m->created);
      json_builder_set_member_name (b, "shown");
      json_builder_add_boolean_value (b, g_hash_table_contains (shown, &m->id));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  tree_clear (&tree);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static gboolean
bad_file (GError     **error,
          const char  *format,
          ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad_file (GError     **error,
          const char  *format,
          ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
               _("This is not a chat Hearth can import: %s"), what);
  return FALSE;
}

/* A string member, or NULL; FALSE (with an error) when it is something else. */
static gboolean
optional_string (JsonObject  *o,
                 const char  *name,
                 guint        index,
                 const char **out,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (o, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_file (error, _("message %u: “%s” is not text"), index + 1, name);
  *out = json_node_get_string (node);
  if (!g_utf8_validate (*out, -1, NULL) || strlen (*out) > IMPORT_MAX_TEXT)
    return bad_file (error, _("message %u: “%s” is not valid text, or too long"), index + 1, name);
  return TRUE;
}

static char *
raw_json (JsonObject *o,
          const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_to_string (node, FALSE);
}

static gint64
import_messages (HearthChatStore  *self,
                 gint64            chat_id,
                 JsonArray        *messages,
                 GError          **error)
{
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  guint n = json_array_get_length (messages);

  if (n > IMPORT_MAX_MESSAGES)
    return bad_file (error, _("it has %u messages, more than %u"), n, IMPORT_MAX_MESSAGES);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      JsonObject *o;
      JsonNode *id_node, *parent_node;
      const char *role, *content, *model, *error_text;
      g_autofree char *params = NULL;
      g_autofree char *stats = NULL;
      gint64 old_id, new_id, parent = 0;
      gint64 *mapped;
      g_autoptr (sqlite3_stmt) stmt = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad_file (error, _("message %u is not an object"), i + 1);
      o = json_node_get_object (node);
      id_node = json_object_get_member (o, "id");
      if (id_node == NULL || json_node_get_value_type (id_node) != G_TYPE_INT64)
        return bad_file (error, _("message %u has no numeric “id”"), i + 1);
      old_id = json_node_get_int (id_node);
      if (g_hash_table_contains (ids, &old_id))
        return bad_file (error, _("message %u repeats the id %lld"), i + 1, (long long) old_id);
      parent_node = json_object_get_member (o, "parent");
      if (parent_node != NULL && !JSON_NODE_HOLDS_NULL (parent_node))
        {
          gint64 old_parent;

          if (json_node_get_value_type (parent_node) != G_TYPE_INT64)
            return bad_file (error, _("message %u: “parent” is not a number"), i + 1);
          old_parent = json_node_get_int (parent_node);
          mapped = g_hash_table_lookup (ids, &old_parent);
          /* parents come first: no cycles, no dangling branches */
          if (mapped == NULL)
            return bad_file (error, _("message %u answers message %lld, which does not come before it"),
                             i + 1, (long long) old_parent);
          parent = *mapped;
        }
      if (!optional_string (o, "role", i, &role, error)
          || !optional_string (o, "content", i, &content, error)
          || !optional_string (o, "model", i, &model, error)
          || !optional_string (o, "error", i, &error_text, error))
        return 0;
      if (!valid_role (role))
        return bad_file (error, _("message %u: “%s” is not a role (system, user or assistant)"),
                         i + 1, role != NULL ? role : "");
      if (content == NULL)
        return bad_file (error, _("message %u has no “content”"), i + 1);
      params = raw_json (o, "params");
      stats = raw_json (o, "stats");

      stmt = prepare (self, "INSERT INTO messages (chat_id, parent_id, role, content, model, params, "
                            "stats, error, complete, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, chat_id);
      if (parent != 0)
        sqlite3_bind_int64 (stmt, 2, parent);
      else
        sqlite3_bind_null (stmt, 2);
      bind_text (stmt, 3, role);
      bind_text (stmt, 4, content);
      bind_text (stmt, 5, model);
      bind_text (stmt, 6, params);
      bind_text (stmt, 7, stats);
      bind_text (stmt, 8, error_text);
      sqlite3_bind_int (stmt, 9, json_object_get_boolean_member_with_default (o, "complete", TRUE));
      sqlite3_bind_int64 (stmt, 10, json_object_get_int_member_with_default (o, "created", now ()));
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return fail (self, error);
      new_id = sqlite3_last_insert_rowid (self->db);
      g_hash_table_insert (ids, g_memdup2 (&old_id, sizeof old_id), g_memdup2 (&new_id, sizeof new_id));
      if (json_object_get_boolean_member_with_default (o, "shown", FALSE)
          && !select_in_parent (self, chat_id, parent, new_id, error))
        return 0;
    }
  return chat_id;
}

gint64
hearth_chat_store_import_json (HearthChatStore  *self,
                               const char       *json,
                               gssize            len,
                               GError          **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  JsonObject *o;
  JsonNode *messages;
  const char *title = NULL, *model = NULL;
  gint64 chat_id, t = now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);
  g_return_val_if_fail (json != NULL, 0);

  if (!json_parser_load_from_data (parser, json, len, &local))
    return bad_file (error, "%s", local->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return bad_file (error, _("it is not a JSON object"));
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "format", NULL), "hearth-chat") != 0)
    return bad_file (error, _("it has no “format”: “hearth-chat”"));
  if (json_object_get_int_member_with_default (o, "version", 0) != 1)
    return bad_file (error, _("its version is not 1"));
  messages = json_object_get_member (o, "messages");
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    return bad_file (error, _("it has no list of “messages”"));
  if (!optional_string (o, "title", 0, &title, error) || !optional_string (o, "model", 0, &model, error))
    return 0;

  if (!begin (self, error))
    return 0;
  stmt = prepare (self, "INSERT INTO chats (title, title_set, model, created, updated) "
                        "VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto failed;
  bind_text (stmt, 1, title != NULL ? title : "");
  sqlite3_bind_int (stmt, 2, json_object_get_boolean_member_with_default (o, "title_set", FALSE));
  bind_text (stmt, 3, model);
  sqlite3_bind_int64 (stmt, 4, json_object_get_int_member_with_default (o, "created", t));
  /* an imported chat comes first in the list */
  sqlite3_bind_int64 (stmt, 5, t);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      fail (self, error);
      goto failed;
    }
  chat_id = sqlite3_last_insert_rowid (self->db);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (import_messages (self, chat_id, json_node_get_array (messages), error) == 0)
    goto failed;
  if (!commit (self, error))
    return 0;
  changed (self, chat_id, TRUE);
  return chat_id;

failed:
  rollback (self);
  return 0;
}

/* ---- the object ---------------------------------------------------------------- */

static void
hearth_chat_store_finalize (GObject *object)
{
  HearthChatStore *self = HEARTH_CHAT_STORE (object);

  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (hearth_chat_store_parent_class)->finalize (object);
}

static void
hearth_chat_store_class_init (HearthChatStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_chat_store_finalize;

  /* ::chat-changed (gint64 chat_id): a chat or its messages changed */
  signals[SIGNAL_CHAT_CHANGED] = g_signal_new ("chat-changed", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_INT64);
  /* ::chats-changed: the list of chats changed (added, deleted, renamed, reordered) */
  signals[SIGNAL_CHATS_CHANGED] = g_signal_new ("chats-changed", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 0);
}

static void
hearth_chat_store_init (HearthChatStore *self)
{
}
