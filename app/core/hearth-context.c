/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-context"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include "hearth-context.h"

struct _HearthContext
{
  GObject parent_instance;

  /* owned, each made on first use */
  GSettings *settings;        /* may be NULL */
  HearthLibrary *library;
  SoupSession *session;
  HearthDownloads *downloads;
  HearthChatStore *chats;
  GError *chats_error;
  HearthEngine *engine;
  HearthRemoteServers *servers;
  GHashTable *conversations;  /* chat id → HearthConversation (weak) */
  gboolean ollama_offered;    /* the offer is out, not answered yet */
};

G_DEFINE_FINAL_TYPE (HearthContext, hearth_context, G_TYPE_OBJECT)

static void
conversation_gone (gpointer  data,
                   GObject  *where)
{
  HearthContext *self = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->conversations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == (gpointer) where)
      g_hash_table_iter_remove (&iter);
}

static void
keep_alive_changed_cb (GSettings     *settings,
                       const char    *key,
                       HearthContext *self)
{
  hearth_engine_set_keep_alive (self->engine, g_settings_get_int (settings, "keep-alive"));
}

static void
keep_original_changed_cb (GSettings     *settings,
                          const char    *key,
                          HearthContext *self)
{
  GHashTableIter iter;
  gpointer value;
  gboolean keep = g_settings_get_boolean (settings, "rules-keep-original");

  g_hash_table_iter_init (&iter, self->conversations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    hearth_conversation_set_keep_unruled (value, keep);
}

static void
hearth_context_finalize (GObject *object)
{
  HearthContext *self = HEARTH_CONTEXT (object);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->conversations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_object_weak_unref (value, conversation_gone, self);
  g_clear_pointer (&self->conversations, g_hash_table_unref);
  g_clear_object (&self->downloads);
  g_clear_object (&self->session);
  g_clear_object (&self->engine);
  g_clear_object (&self->servers);
  g_clear_object (&self->chats);
  g_clear_error (&self->chats_error);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hearth_context_parent_class)->finalize (object);
}

static void
hearth_context_class_init (HearthContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_context_finalize;
}

static void
hearth_context_init (HearthContext *self)
{
  self->conversations = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

/* ---- public API ---------------------------------------------------------- */

HearthContext *
hearth_context_new (GSettings *settings)
{
  HearthContext *self;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (HEARTH_TYPE_CONTEXT, NULL);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_signal_connect_object (settings, "changed::rules-keep-original",
                             G_CALLBACK (keep_original_changed_cb), self, 0);
  return self;
}

GSettings *
hearth_context_get_settings (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);
  return self->settings;
}

HearthLibrary *
hearth_context_get_library (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->library == NULL)
    {
      g_autofree char *root = hearth_store_default_root ();
      g_autoptr (HearthStore) store = hearth_store_new (root);

      self->library = hearth_library_new (store);
    }
  return self->library;
}

HearthStore *
hearth_context_get_store (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);
  return hearth_library_get_store (hearth_context_get_library (self));
}

HearthDownloads *
hearth_context_get_downloads (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->downloads == NULL)
    self->downloads = hearth_downloads_new (hearth_context_get_library (self),
                                            hearth_context_get_http_session (self));
  return self->downloads;
}

SoupSession *
hearth_context_get_http_session (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  /* the system's proxy settings (GProxyResolver's default) apply */
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("user-agent", "Hearth/" PACKAGE_VERSION, NULL);
  return self->session;
}

HearthChatStore *
hearth_context_get_chat_store (HearthContext  *self,
                               GError        **error)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->chats == NULL && self->chats_error == NULL)
    {
      self->chats = hearth_chat_store_open (NULL, &self->chats_error);
      /* chats deleted in an earlier run: their undo is long gone */
      if (self->chats != NULL)
        hearth_chat_store_purge_deleted (self->chats, NULL);
    }
  if (self->chats == NULL && error != NULL)
    *error = g_error_copy (self->chats_error);
  return self->chats;
}

HearthEngine *
hearth_context_get_engine (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->engine == NULL)
    {
      self->engine = hearth_engine_new ();
      if (self->settings != NULL)
        {
          keep_alive_changed_cb (self->settings, "keep-alive", self);
          g_signal_connect_object (self->settings, "changed::keep-alive",
                                   G_CALLBACK (keep_alive_changed_cb), self, 0);
        }
    }
  return self->engine;
}

HearthRemoteServers *
hearth_context_get_servers (HearthContext *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->servers == NULL)
    self->servers = hearth_remote_servers_new (self->settings);
  return self->servers;
}

HearthConversation *
hearth_context_get_conversation (HearthContext *self,
                                 gint64         chat_id)
{
  HearthChatStore *chats;
  HearthConversation *conversation;

  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  conversation = g_hash_table_lookup (self->conversations, &chat_id);
  if (conversation != NULL)
    return g_object_ref (conversation);
  chats = hearth_context_get_chat_store (self, NULL);
  if (chats == NULL)
    return NULL;
  conversation = hearth_conversation_new (chats, hearth_context_get_engine (self),
                                          hearth_context_get_library (self), chat_id);
  hearth_conversation_set_servers (conversation, hearth_context_get_servers (self));
  if (self->settings != NULL)
    hearth_conversation_set_keep_unruled (conversation,
                                          g_settings_get_boolean (self->settings,
                                                                  "rules-keep-original"));
  g_hash_table_insert (self->conversations, g_memdup2 (&chat_id, sizeof chat_id), conversation);
  g_object_weak_ref (G_OBJECT (conversation), conversation_gone, self);
  return conversation;
}

char *
hearth_context_ollama_offer (HearthContext *self,
                             guint         *n_models)
{
  const char *env = g_getenv ("HEARTH_MODELS");
  g_autofree char *chosen = NULL;
  g_autofree char *root = NULL;
  guint n = 0;

  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), NULL);

  if (self->settings == NULL || (env != NULL && *env != '\0')
      || g_settings_get_boolean (self->settings, "ollama-offer-shown") || self->ollama_offered)
    return NULL;
  chosen = g_settings_get_string (self->settings, "models-dir");
  if (*chosen != '\0')
    return NULL;
  root = hearth_store_ollama_root (&n);
  if (root == NULL || n == 0)
    return NULL;
  if (n_models != NULL)
    *n_models = n;
  /* one window asks: another one opening meanwhile does not */
  self->ollama_offered = TRUE;
  return g_steal_pointer (&root);
}

void
hearth_context_answer_ollama_offer (HearthContext *self,
                                    const char    *root,
                                    gboolean       use)
{
  g_return_if_fail (HEARTH_IS_CONTEXT (self));
  g_return_if_fail (self->settings != NULL);

  self->ollama_offered = FALSE;
  g_settings_set_boolean (self->settings, "ollama-offer-shown", TRUE);
  if (use && !hearth_context_set_models_dir (self, root, NULL))
    g_warning ("cannot use %s for models", root);
}

gboolean
hearth_context_set_models_dir (HearthContext  *self,
                               const char     *dir,
                               GError        **error)
{
  g_autoptr (HearthStore) store = NULL;
  g_autofree char *root = NULL;

  g_return_val_if_fail (HEARTH_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (self->settings != NULL, FALSE);

  if (dir != NULL && *dir != '\0')
    {
      if (!g_path_is_absolute (dir))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                       _("“%s” is not a full path to a folder"), dir);
          return FALSE;
        }
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, _("“%s” is not a folder"), dir);
          return FALSE;
        }
      if (g_access (dir, W_OK | X_OK) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                       _("Hearth cannot write to “%s”, where downloads and imports would go"), dir);
          return FALSE;
        }
    }
  g_settings_set_string (self->settings, "models-dir", dir != NULL ? dir : "");
  root = hearth_store_default_root ();
  store = hearth_store_new (root);
  hearth_library_set_store (hearth_context_get_library (self), store);
  /* downloads under way there go on too */
  hearth_downloads_restore (hearth_context_get_downloads (self));
  return TRUE;
}
