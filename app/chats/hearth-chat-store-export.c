/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chat store's export (Markdown: the conversation shown; JSON: every
 * branch and the chat's own settings) and JSON import, which validates
 * everything it is given.
 */

#define G_LOG_DOMAIN "hearth-chat-store"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-chat-store-private.h"
#include "hearth-request.h"

/* What an imported file may hold. */
#define IMPORT_MAX_MESSAGES 100000
#define IMPORT_MAX_TEXT (16 * 1024 * 1024)

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
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GHashTable) shown = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) path = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autofree char *settings = NULL;

  if (chat == NULL || (path = hearth_chat_store_get_conversation (self, chat_id, error)) == NULL
      || (all = hearth_chat_store_get_all_messages (self, chat_id, error)) == NULL
      || (settings = hearth_chat_store_get_chat_settings (self, chat_id, error)) == NULL)
    return NULL;
  if (g_str_equal (settings, "{}"))
    g_clear_pointer (&settings, g_free);
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
  /* the chat's own settings (null: none); version 1 files without them
   * import as chats with none */
  add_json_raw (b, "settings", settings);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, chat->created);
  json_builder_set_member_name (b, "updated");
  json_builder_add_int_value (b, chat->updated);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < all->len; i++)
    {
      HearthChatMessage *m = all->pdata[i];

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

  root = json_builder_get_root (b);
  return json_to_string (root, TRUE);
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

/* The file's "settings" (absent or null: none), checked as the chat's
 * settings pane would take them: a JSON object of Ollama's parameters that
 * Hearth uses, each of its type and in its range; *@out gets them as the
 * store keeps them (NULL: none). A bad one refuses the file, naming it. */
static gboolean
import_settings (JsonObject  *o,
                 char       **out,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (o, "settings");
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GList) members = NULL;
  HearthOptions options;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_file (error, _("its “settings” are not an object"));
  text = json_to_string (node, FALSE);
  if (strlen (text) > IMPORT_MAX_TEXT)
    return bad_file (error, _("its “settings” are too long"));
  if (!hearth_chat_store_check_settings (text, out, &local))
    return bad_file (error, "%s", local->message);
  hearth_options_init (&options);
  members = json_object_get_members (json_node_get_object (node));
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (json_node_get_object (node), name);
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      const char *number;

      if (g_str_equal (name, "system") || g_str_equal (name, "stop"))
        continue;
      /* (the store let only numbers and booleans through) */
      if (json_node_get_value_type (value) == G_TYPE_INT64)
        {
          g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, json_node_get_int (value));
          number = buf;
        }
      else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
        number = g_ascii_dtostr (buf, sizeof buf, json_node_get_double (value));
      else
        number = json_node_get_boolean (value) ? "true" : "false";
      if (!hearth_options_set (&options, name, number, &local))
        {
          g_clear_pointer (out, g_free);
          return bad_file (error, _("its settings: %s"), local->message);
        }
    }
  if (!hearth_options_validate (&options, &local))
    {
      g_clear_pointer (out, g_free);
      return bad_file (error, _("its settings: %s"), local->message);
    }
  return TRUE;
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
            return bad_file (error,
                             _("message %u answers message %lld, which does not come before it"),
                             i + 1, (long long) old_parent);
          parent = *mapped;
        }
      if (!optional_string (o, "role", i, &role, error)
          || !optional_string (o, "content", i, &content, error)
          || !optional_string (o, "model", i, &model, error)
          || !optional_string (o, "error", i, &error_text, error))
        return 0;
      if (!hearth_chat_store_valid_role (role))
        return bad_file (error, _("message %u: “%s” is not a role (system, user or assistant)"),
                         i + 1, role != NULL ? role : "");
      if (content == NULL)
        return bad_file (error, _("message %u has no “content”"), i + 1);
      params = raw_json (o, "params");
      stats = raw_json (o, "stats");

      stmt = hearth_chat_store_prepare (
        self, "INSERT INTO messages (chat_id, parent_id, role, content, model, params, "
              "stats, error, complete, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, chat_id);
      if (parent != 0)
        sqlite3_bind_int64 (stmt, 2, parent);
      else
        sqlite3_bind_null (stmt, 2);
      hearth_chat_store_bind_text (stmt, 3, role);
      hearth_chat_store_bind_text (stmt, 4, content);
      hearth_chat_store_bind_text (stmt, 5, model);
      hearth_chat_store_bind_text (stmt, 6, params);
      hearth_chat_store_bind_text (stmt, 7, stats);
      hearth_chat_store_bind_text (stmt, 8, error_text);
      sqlite3_bind_int (stmt, 9, json_object_get_boolean_member_with_default (o, "complete", TRUE));
      sqlite3_bind_int64 (stmt, 10, json_object_get_int_member_with_default (o, "created",
                                                                         hearth_chat_store_now ()));
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return hearth_chat_store_fail (self, error);
      new_id = sqlite3_last_insert_rowid (sqlite3_db_handle (stmt));
      g_hash_table_insert (ids, g_memdup2 (&old_id, sizeof old_id), g_memdup2 (&new_id,
                                                                               sizeof new_id));
      if (json_object_get_boolean_member_with_default (o, "shown", FALSE)
          && !hearth_chat_store_select_in_parent (self, chat_id, parent, new_id, error))
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
  g_autofree char *settings = NULL;
  gint64 chat_id, t = hearth_chat_store_now ();

  g_return_val_if_fail (HEARTH_IS_CHAT_STORE (self), 0);
  g_return_val_if_fail (json != NULL, 0);

  if (!json_parser_load_from_data (parser, json, len, &local))
    return bad_file (error, "%s", local->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return bad_file (error, _("it is not a JSON object"));
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "format", NULL),
                 "hearth-chat") != 0)
    return bad_file (error, _("it has no “format”: “hearth-chat”"));
  if (json_object_get_int_member_with_default (o, "version", 0) != 1)
    return bad_file (error, _("its version is not 1"));
  messages = json_object_get_member (o, "messages");
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    return bad_file (error, _("it has no list of “messages”"));
  if (!optional_string (o, "title", 0, &title, error) || !optional_string (o, "model", 0, &model,
                                                                           error))
    return 0;
  if (!import_settings (o, &settings, error))
    return 0;

  if (!hearth_chat_store_begin (self, error))
    return 0;
  stmt = hearth_chat_store_prepare (
    self, "INSERT INTO chats (title, title_set, model, created, updated, settings) "
          "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto failed;
  hearth_chat_store_bind_text (stmt, 1, title != NULL ? title : "");
  sqlite3_bind_int (stmt, 2, json_object_get_boolean_member_with_default (o, "title_set", FALSE));
  hearth_chat_store_bind_text (stmt, 3, model);
  sqlite3_bind_int64 (stmt, 4, json_object_get_int_member_with_default (o, "created", t));
  /* an imported chat comes first in the list */
  sqlite3_bind_int64 (stmt, 5, t);
  hearth_chat_store_bind_text (stmt, 6, settings);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      hearth_chat_store_fail (self, error);
      goto failed;
    }
  chat_id = sqlite3_last_insert_rowid (sqlite3_db_handle (stmt));
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (import_messages (self, chat_id, json_node_get_array (messages), error) == 0)
    goto failed;
  if (!hearth_chat_store_commit (self, error))
    return 0;
  hearth_chat_store_changed (self, chat_id, TRUE);
  return chat_id;

failed:
  hearth_chat_store_rollback (self);
  return 0;
}
