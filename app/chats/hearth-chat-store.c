/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "hearth-chat-store-private.h"

/* A title made from a first message: at most this many characters. */
#define TITLE_CHARS 48

struct _HearthChatStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;

  /* the checkpointer: a thread with a connection of its own that copies
   * the write-ahead log into the database, so that the main thread never
   * waits for the disk (a checkpoint syncs it: 7 to 33 ms here) */
  GThread *checkpointer;
  GAsyncQueue *checkpoints;   /* GINT_TO_POINTER (1): one; (2): the thread ends */
  gint checkpoint_pending;    /* atomic */
  gboolean checkpointer_ready; /* the checkpointer's thread only */
};

/* Pages in the write-ahead log that ask for a checkpoint (SQLite's default
 * for its own automatic checkpoints). */
#define CHECKPOINT_PAGES 1000

enum { SIGNAL_CHAT_CHANGED, SIGNAL_CHATS_CHANGED, SIGNAL_CHAT_SETTINGS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthChatStore, hearth_chat_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-chat-store-error-quark, hearth_chat_store_error)

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

gboolean
hearth_chat_store_fail (HearthChatStore  *self,
                        GError          **error)
{
  int code = sqlite3_errcode (self->db);

  g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_FAILED,
               _("The chat history (%s) cannot be written: %s"), self->path,
               code == SQLITE_FULL ? _("the disk is full") : sqlite3_errmsg (self->db));
  return FALSE;
}

sqlite3_stmt *
hearth_chat_store_prepare (HearthChatStore  *self,
                           const char       *sql,
                           GError          **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      hearth_chat_store_fail (self, error);
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
    return hearth_chat_store_fail (self, error);
  return TRUE;
}

gboolean
hearth_chat_store_begin (HearthChatStore  *self,
                         GError          **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
hearth_chat_store_commit (HearthChatStore  *self,
                          GError          **error)
{
  if (!exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

void
hearth_chat_store_rollback (HearthChatStore *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

void
hearth_chat_store_bind_text (sqlite3_stmt *stmt,
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

gint64
hearth_chat_store_now (void)
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
  /* 1 → 2: what is typed in a chat's composer and not sent yet */
  "ALTER TABLE chats ADD COLUMN draft TEXT NOT NULL DEFAULT '';",
  /* 2 → 3: the chat's own settings (a JSON object of what differs from the
   * defaults; NULL: none) */
  "ALTER TABLE chats ADD COLUMN settings TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HEARTH_CHAT_STORE_SCHEMA);

/* ---- checkpoints ---------------------------------------------------------- */

static gpointer
checkpointer_thread (gpointer data)
{
  HearthChatStore *self = data;   /* outlives the thread: finalize joins it */
  sqlite3 *db = NULL;

  for (;;)
    {
      int what = GPOINTER_TO_INT (g_async_queue_pop (self->checkpoints));

      if (what == 2)
        break;
      if (db == NULL
          && sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL)
               != SQLITE_OK)
        {
          g_debug ("no checkpoint for %s: %s", self->path, db != NULL ? sqlite3_errmsg (db) : "");
          g_clear_pointer (&db, sqlite3_close);
        }
      if (db != NULL && sqlite3_get_autocommit (db) && !self->checkpointer_ready)
        {
          /* a new connection knows the file is in WAL mode once it read it */
          sqlite3_busy_timeout (db, 5000);
          self->checkpointer_ready = sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL)
                                     == SQLITE_OK;
        }
      if (db != NULL && self->checkpointer_ready)
        {
          /* PASSIVE: never waits for the writers, who go on meanwhile */
          int n_log = 0, n_done = 0;

          if (sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &n_log, &n_done) != SQLITE_OK)
            g_debug ("checkpoint of %s: %s", self->path, sqlite3_errmsg (db));
          else
            g_debug ("checkpoint of %s: %d of %d pages", self->path, n_done, n_log);
        }
      g_atomic_int_set (&self->checkpoint_pending, 0);
    }
  g_clear_pointer (&db, sqlite3_close);
  return NULL;
}

/* After each commit: a log that grew long gets a checkpoint, on the
 * checkpointer's thread. */
static int
wal_hook_cb (void       *data,
             sqlite3    *db,
             const char *name,
             int         n_pages)
{
  HearthChatStore *self = data;

  if (n_pages < CHECKPOINT_PAGES || !g_atomic_int_compare_and_exchange (&self->checkpoint_pending, 0, 1))
    return SQLITE_OK;
  if (self->checkpointer == NULL)
    {
      self->checkpoints = g_async_queue_new ();
      self->checkpointer = g_thread_new ("hearth-checkpoint", checkpointer_thread, self);
    }
  g_async_queue_push (self->checkpoints, GINT_TO_POINTER (1));
  return SQLITE_OK;
}

/* Steps @stmt to its row, waiting while another connection holds a lock
 * that SQLite's busy handler does not wait for (a new file being switched
 * to WAL by another Hearth opening it at the same moment). */
static int
step_waiting (sqlite3_stmt *stmt)
{
  gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  int rc;

  while (((rc = sqlite3_step (stmt)) & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    {
      if (g_get_monotonic_time () > until)
        break;
      sqlite3_reset (stmt);
      g_usleep (2000);
    }
  return rc;
}

/* The file's schema version; fails, touching nothing, on a file that is
 * not a database or comes from a newer Hearth. */
static gboolean
read_version (HearthChatStore  *self,
              int              *version,
              GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK
      || step_waiting (stmt) != SQLITE_ROW)
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

/* Brings the schema up to date, one step per transaction. The version is
 * read again inside each transaction: another Hearth opening the same new
 * file at the same moment may have taken the step already. */
static gboolean
migrate (HearthChatStore  *self,
         int               version,
         GError          **error)
{
  while (version < HEARTH_CHAT_STORE_SCHEMA)
    {
      g_autofree char *set = NULL;

      if (!hearth_chat_store_begin (self, error))
        return FALSE;
      if (!read_version (self, &version, error))
        {
          hearth_chat_store_rollback (self);
          return FALSE;
        }
      if (version >= HEARTH_CHAT_STORE_SCHEMA)
        return hearth_chat_store_commit (self, error);
      /* each step and its version number in one transaction */
      set = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!exec (self, migrations[version], error) || !exec (self, set, error))
        {
          hearth_chat_store_rollback (self);
          return FALSE;
        }
      if (!hearth_chat_store_commit (self, error))
        return FALSE;
      version++;
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
      || step_waiting (wal) != SQLITE_ROW)
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
  /* checkpoints off the main thread (wal_hook_cb ()); the log's file is
   * cut back to 4 MB when it starts again after one */
  sqlite3_wal_autocheckpoint (self->db, 0);
  if (!exec (self, "PRAGMA journal_size_limit = 4194304", error))
    return NULL;
  sqlite3_wal_hook (self->db, wal_hook_cb, self);
  return g_steal_pointer (&self);
}

const char *
hearth_chat_store_get_filename (HearthChatStore *self)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);
  return self->path;
}

void
hearth_chat_store_changed (HearthChatStore *self,
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
  gint64 id, t = hearth_chat_store_now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);

  stmt = hearth_chat_store_prepare (
    self, "INSERT INTO chats (model, created, updated) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  hearth_chat_store_bind_text (stmt, 1, model);
  sqlite3_bind_int64 (stmt, 2, t);
  sqlite3_bind_int64 (stmt, 3, t);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return hearth_chat_store_fail (self, error);
  id = sqlite3_last_insert_rowid (self->db);
  hearth_chat_store_changed (self, id, TRUE);
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

  stmt = hearth_chat_store_prepare (self, "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.id = ?",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, chat_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return chat_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, chat_id);
  else
    hearth_chat_store_fail (self, error);
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

/* The chats @stmt's rows hold (its columns CHAT_COLUMNS), or NULL. */
static GPtrArray *
chats_from_rows (HearthChatStore  *self,
                 sqlite3_stmt     *stmt,
                 GError          **error)
{
  g_autoptr (GPtrArray) chats = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_chat_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (chats, chat_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      hearth_chat_store_fail (self, error);
      return NULL;
    }
  return g_steal_pointer (&chats);
}

GPtrArray *
hearth_chat_store_list_chats (HearthChatStore  *self,
                              const char       *search,
                              GError          **error)
{
  g_autoptr (GString) sql = g_string_new ("SELECT " CHAT_COLUMNS " FROM chats c WHERE c.deleted = 0");
  g_auto (GStrv) words = NULL;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  guint n = 0;

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
  /* most recent first; within the same second, the chat with the newest
   * message */
  g_string_append (sql, " ORDER BY c.updated DESC, (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = c.id) "
                        "DESC, c.id DESC");
  stmt = hearth_chat_store_prepare (self, sql->str, error);
  if (stmt == NULL)
    return NULL;
  for (guint i = 0, k = 0; words != NULL && words[i] != NULL && k < n; i++)
    if (*words[i] != '\0')
      {
        g_autofree char *pattern = like_pattern (words[i]);

        hearth_chat_store_bind_text (stmt, (int) (2 * k + 1), pattern);
        hearth_chat_store_bind_text (stmt, (int) (2 * k + 2), pattern);
        k++;
      }
  return chats_from_rows (self, stmt, error);
}

GPtrArray *
hearth_chat_store_list_chats_with_model (HearthChatStore  *self,
                                         const char       *model,
                                         GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);
  g_return_val_if_fail (model != NULL, NULL);

  stmt = hearth_chat_store_prepare (self,
                                    "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.deleted = 0 "
                                    "AND c.model = ? ORDER BY c.updated DESC, c.id DESC",
                                    error);
  if (stmt == NULL)
    return NULL;
  hearth_chat_store_bind_text (stmt, 1, model);
  return chats_from_rows (self, stmt, error);
}

/* Runs @sql (one statement: @text first if @with_text, the chat's id
 * last), expecting it to change a row; says nothing of it. */
static gboolean
update_chat_quietly (HearthChatStore  *self,
                     gint64            chat_id,
                     const char       *sql,
                     gboolean          with_text,
                     const char       *text,
                     GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = hearth_chat_store_prepare (self, sql, error);
  int i = 1;

  if (stmt == NULL)
    return FALSE;
  if (with_text)
    hearth_chat_store_bind_text (stmt, i++, text);
  sqlite3_bind_int64 (stmt, i, chat_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return hearth_chat_store_fail (self, error);
  if (sqlite3_changes (self->db) == 0)
    return not_found (error, chat_id);
  return TRUE;
}

/* The same, then says the chat changed (and the list, with @list_too). */
static gboolean
update_chat (HearthChatStore  *self,
             gint64            chat_id,
             const char       *sql,
             gboolean          with_text,
             const char       *text,
             gboolean          list_too,
             GError          **error)
{
  if (!update_chat_quietly (self, chat_id, sql, with_text, text, error))
    return FALSE;
  hearth_chat_store_changed (self, chat_id, list_too);
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
  return update_chat (self, chat_id, "UPDATE chats SET title = ?, title_set = 1 WHERE id = ?",
                      TRUE, clean,
                      TRUE, error);
}

gboolean
hearth_chat_store_set_draft (HearthChatStore  *self,
                             gint64            chat_id,
                             const char       *text,
                             GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("The message is not valid UTF-8 text"));
      return FALSE;
    }
  /* (not a change of the chat: no signal, no new place in the list) */
  return update_chat_quietly (self, chat_id, "UPDATE chats SET draft = ? WHERE id = ?", TRUE, text,
                              error);
}

char *
hearth_chat_store_get_draft (HearthChatStore  *self,
                             gint64            chat_id,
                             GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  stmt = hearth_chat_store_prepare (self, "SELECT draft FROM chats WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, chat_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc == SQLITE_DONE)
    {
      not_found (error, chat_id);
      return NULL;
    }
  hearth_chat_store_fail (self, error);
  return NULL;
}

/* @json as the store keeps it (as written), checked: a JSON object whose "system" is a string,
 * "stop" an array of strings and every other member a number or a boolean;
 * NULL for no object or an empty one (the defaults). */
gboolean
hearth_chat_store_check_settings (const char  *json,
                    char       **normalized,
                    GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (GList) members = NULL;
  JsonNode *root;
  JsonObject *object;

  *normalized = NULL;
  if (json == NULL || *json == '\0')
    return TRUE;
  if (!g_utf8_validate (json, -1, NULL) || !json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("The chat’s settings are not valid JSON: %s"),
                   local != NULL ? local->message : _("not UTF-8 text"));
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                   _("The chat’s settings must be a JSON object"));
      return FALSE;
    }
  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      gboolean ok;

      if (g_str_equal (name, "system"))
        ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
      else if (g_str_equal (name, "stop"))
        {
          ok = JSON_NODE_HOLDS_ARRAY (node);
          for (guint i = 0; ok && i < json_array_get_length (json_node_get_array (node)); i++)
            {
              JsonNode *item = json_array_get_element (json_node_get_array (node), i);

              ok = JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING;
            }
        }
      else
        ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) != G_TYPE_STRING;
      if (!ok)
        {
          g_set_error (error, HEARTH_CHAT_STORE_ERROR, HEARTH_CHAT_STORE_ERROR_INVALID,
                       _("The chat’s setting “%s” has a value of the wrong kind"), name);
          return FALSE;
        }
    }
  /* kept as written: json-glib would write 0.3 back as 0.29999999999999999 */
  if (json_object_get_size (object) > 0)
    *normalized = g_strdup (json);
  return TRUE;
}

gboolean
hearth_chat_store_set_chat_settings (HearthChatStore  *self,
                                     gint64            chat_id,
                                     const char       *json,
                                     GError          **error)
{
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), FALSE);

  if (!hearth_chat_store_check_settings (json, &normalized, error))
    return FALSE;
  /* (not a change of the chat's messages or of the list: only
   * ::chat-settings-changed, for the panes that show them) */
  if (!update_chat_quietly (self, chat_id, "UPDATE chats SET settings = ? WHERE id = ?", TRUE,
                            normalized, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_CHAT_SETTINGS_CHANGED], 0, chat_id);
  return TRUE;
}

char *
hearth_chat_store_get_chat_settings (HearthChatStore  *self,
                                     gint64            chat_id,
                                     GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), NULL);

  stmt = hearth_chat_store_prepare (self, "SELECT settings FROM chats WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, chat_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      char *json = column_text (stmt, 0);

      return json != NULL ? json : g_strdup ("{}");
    }
  if (rc == SQLITE_DONE)
    {
      not_found (error, chat_id);
      return NULL;
    }
  hearth_chat_store_fail (self, error);
  return NULL;
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

gboolean
hearth_chat_store_valid_role (const char *role)
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
gboolean
hearth_chat_store_select_in_parent (HearthChatStore  *self,
                                    gint64            chat_id,
                                    gint64            parent_id,
                                    gint64            id,
                                    GError          **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (parent_id != 0)
    stmt = hearth_chat_store_prepare (self, "UPDATE messages SET selected_child = ? WHERE id = ?",
                                      error);
  else
    stmt = hearth_chat_store_prepare (self, "UPDATE chats SET selected_root = ? WHERE id = ?",
                                      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, parent_id != 0 ? parent_id : chat_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return hearth_chat_store_fail (self, error);
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
  gint64 id, t = hearth_chat_store_now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);

  if (!hearth_chat_store_valid_role (role))
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

  if (!hearth_chat_store_begin (self, error))
    return 0;
  insert = hearth_chat_store_prepare (
    self, "INSERT INTO messages (chat_id, parent_id, role, content, model, params, "
          "complete, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (insert == NULL)
    goto failed;
  sqlite3_bind_int64 (insert, 1, chat_id);
  if (parent_id != 0)
    sqlite3_bind_int64 (insert, 2, parent_id);
  else
    sqlite3_bind_null (insert, 2);
  hearth_chat_store_bind_text (insert, 3, role);
  hearth_chat_store_bind_text (insert, 4, content);
  hearth_chat_store_bind_text (insert, 5, model);
  hearth_chat_store_bind_text (insert, 6, params);
  sqlite3_bind_int (insert, 7, complete ? 1 : 0);
  sqlite3_bind_int64 (insert, 8, t);
  if (sqlite3_step (insert) != SQLITE_DONE)
    {
      hearth_chat_store_fail (self, error);
      goto failed;
    }
  id = sqlite3_last_insert_rowid (self->db);
  if (!hearth_chat_store_select_in_parent (self, chat_id, parent_id, id, error))
    goto failed;

  /* the chat moves to the top; its first question names it */
  if (g_str_equal (role, "user") && !chat->title_set && *chat->title == '\0' && *content != '\0')
    {
      g_autofree char *title = one_line (content, TITLE_CHARS);

      touch = hearth_chat_store_prepare (
        self, "UPDATE chats SET updated = ?, title = ? WHERE id = ?", error);
      if (touch != NULL)
        hearth_chat_store_bind_text (touch, 2, title);
    }
  else
    touch = hearth_chat_store_prepare (self, "UPDATE chats SET updated = ? WHERE id = ?", error);
  if (touch == NULL)
    goto failed;
  sqlite3_bind_int64 (touch, 1, t);
  sqlite3_bind_int64 (touch, sqlite3_bind_parameter_count (touch), chat_id);
  if (sqlite3_step (touch) != SQLITE_DONE)
    {
      hearth_chat_store_fail (self, error);
      goto failed;
    }
  g_clear_pointer (&insert, sqlite3_finalize);
  g_clear_pointer (&touch, sqlite3_finalize);
  if (!hearth_chat_store_commit (self, error))
    return 0;
  hearth_chat_store_changed (self, chat_id, TRUE);
  return id;

failed:
  hearth_chat_store_rollback (self);
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
  stmt = hearth_chat_store_prepare (self, "UPDATE messages SET content = ?, complete = ?, "
                        "stats = coalesce (?, stats), error = coalesce (?, error) WHERE id = ?",
                  error);
  if (stmt == NULL)
    return FALSE;
  hearth_chat_store_bind_text (stmt, 1, content);
  sqlite3_bind_int (stmt, 2, complete ? 1 : 0);
  hearth_chat_store_bind_text (stmt, 3, stats);
  hearth_chat_store_bind_text (stmt, 4, error_text);
  sqlite3_bind_int64 (stmt, 5, message_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return hearth_chat_store_fail (self, error);
  if (sqlite3_changes (self->db) == 0)
    return not_found (error, message_id);
  /* the text of a reply still being written is the conversation's to hand
   * on (as it streams, several times a second); its end is announced */
  if (!complete && stats == NULL && error_text == NULL)
    return TRUE;
  message = hearth_chat_store_get_message (self, message_id, NULL);
  if (message != NULL)
    hearth_chat_store_changed (self, message->chat_id, FALSE);
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

  stmt = hearth_chat_store_prepare (self, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE id = ?",
                                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return message_from_row (stmt, NULL);
  if (rc == SQLITE_DONE)
    not_found (error, message_id);
  else
    hearth_chat_store_fail (self, error);
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

  chat = hearth_chat_store_prepare (
    self, "SELECT coalesce (selected_root, 0) FROM chats WHERE id = ?", error);
  if (chat == NULL)
    return FALSE;
  sqlite3_bind_int64 (chat, 1, chat_id);
  rc = sqlite3_step (chat);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? not_found (error, chat_id) : hearth_chat_store_fail (self, error);
  tree->selected_root = sqlite3_column_int64 (chat, 0);

  stmt = hearth_chat_store_prepare (
    self, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE chat_id = ? ORDER BY id", error);
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
          g_hash_table_insert (tree->children, g_memdup2 (&m->parent_id, sizeof (gint64)),
                               siblings);
        }
      g_array_append_val (siblings, index);
    }
  if (rc != SQLITE_DONE)
    return hearth_chat_store_fail (self, error);
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
hearth_chat_store_get_all_messages (HearthChatStore  *self,
                                    gint64            chat_id,
                                    GError          **error)
{
  Tree tree = { 0 };
  GPtrArray *all = NULL;

  if (tree_load (self, chat_id, &tree, error))
    all = g_steal_pointer (&tree.all);
  tree_clear (&tree);
  return all;
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

gint64
hearth_chat_store_get_last_shown (HearthChatStore  *self,
                                  gint64            chat_id,
                                  GError          **error)
{
  g_autoptr (sqlite3_stmt) chat = NULL;
  g_autoptr (sqlite3_stmt) walk = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), -1);

  chat = hearth_chat_store_prepare (self, "SELECT 1 FROM chats WHERE id = ?", error);
  if (chat == NULL)
    return -1;
  sqlite3_bind_int64 (chat, 1, chat_id);
  rc = sqlite3_step (chat);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        not_found (error, chat_id);
      else
        hearth_chat_store_fail (self, error);
      return -1;
    }
  /* the path that hearth_chat_store_get_conversation () takes (at each
   * step the selected child, else the last added), one message a step,
   * ids only */
  walk = hearth_chat_store_prepare (
    self,
    "WITH RECURSIVE walk (id, depth) AS ("
    "  SELECT coalesce ("
    "    (SELECT m.id FROM messages m JOIN chats c ON m.id = c.selected_root"
    "     WHERE c.id = ?1 AND m.chat_id = ?1 AND m.parent_id IS NULL),"
    "    (SELECT max (id) FROM messages WHERE chat_id = ?1 AND parent_id IS NULL)), 0"
    "  UNION ALL"
    "  SELECT coalesce ("
    "    (SELECT c.id FROM messages c WHERE c.id = p.selected_child AND c.parent_id = p.id),"
    "    (SELECT max (c.id) FROM messages c WHERE c.parent_id = p.id)), walk.depth + 1"
    "  FROM walk JOIN messages p ON p.id = walk.id"
    ") SELECT coalesce (max (id), 0) FROM (SELECT id FROM walk WHERE id IS NOT NULL"
    "  ORDER BY depth DESC LIMIT 1)",
    error);
  if (walk == NULL)
    return -1;
  sqlite3_bind_int64 (walk, 1, chat_id);
  if (sqlite3_step (walk) != SQLITE_ROW)
    {
      hearth_chat_store_fail (self, error);
      return -1;
    }
  return sqlite3_column_int64 (walk, 0);
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
  if (!hearth_chat_store_select_in_parent (self, m->chat_id, m->parent_id, m->id, error))
    return FALSE;
  hearth_chat_store_changed (self, m->chat_id, FALSE);
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
  stmt = hearth_chat_store_prepare (
    self, "SELECT id FROM messages WHERE chat_id = ? AND coalesce (parent_id, 0) = ? "
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
    return hearth_chat_store_fail (self, error);
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

/* ---- the object ---------------------------------------------------------------- */

static void
hearth_chat_store_finalize (GObject *object)
{
  HearthChatStore *self = HEARTH_CHAT_STORE (object);

  if (self->checkpointer != NULL)
    {
      g_async_queue_push (self->checkpoints, GINT_TO_POINTER (2));
      g_thread_join (self->checkpointer);
      g_async_queue_unref (self->checkpoints);
    }
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
  /* ::chats-changed: the list of chats hearth_chat_store_changed (added, deleted, renamed,
                                                                   reordered) */
  signals[SIGNAL_CHATS_CHANGED] = g_signal_new ("chats-changed", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 0);
  /* ::chat-settings-changed (gint64 chat_id): the chat's own settings were set */
  signals[SIGNAL_CHAT_SETTINGS_CHANGED] = g_signal_new ("chat-settings-changed",
                                                        G_TYPE_FROM_CLASS (klass),
                                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                        G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
hearth_chat_store_init (HearthChatStore *self)
{
}
