/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-remote-servers"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

#include "hearth-remote-servers.h"

/* A key as the keyring gave it, remembered for the replies after. */
typedef struct
{
  gboolean known;   /* looked up (or set) once */
  char *key;        /* NULL: none */
} Key;

struct _HearthRemoteServers
{
  GObject parent_instance;

  GSettings *settings;      /* may be NULL */
  GPtrArray *servers;       /* HearthRemoteServer */
  GHashTable *keys;         /* id → Key */
  SoupSession *session;     /* listing models, made on first use */
  gboolean saving;          /* our own change of the setting */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthRemoteServers, hearth_remote_servers, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_QUARK (hearth-remote-servers-error-quark, hearth_remote_servers_error)

static const SecretSchema *
key_schema (void)
{
  static const SecretSchema schema = {
    "io.github.hearth.Hearth.ServerKey", SECRET_SCHEMA_NONE,
    {
      { "server-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
key_free (Key *key)
{
  if (key->key != NULL)
    secret_password_wipe (key->key);
  g_free (key->key);
  g_free (key);
}

static void
remember_key (HearthRemoteServers *self,
              const char          *id,
              const char          *key)
{
  Key *k = g_new0 (Key, 1);

  k->known = TRUE;
  k->key = key != NULL && *key != '\0' ? g_strdup (key) : NULL;
  g_hash_table_replace (self->keys, g_strdup (id), k);
}

/* The keyring's error as a person reads it. */
static GError *
keyring_error (const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  /* "GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: …" reads as "…" */
  g_dbus_error_strip_remote_error (copy);
  return g_error_new (HEARTH_REMOTE_SERVERS_ERROR, HEARTH_REMOTE_SERVERS_ERROR_KEYRING,
                      _("There is no keyring to keep the API key in (%s). Install and start one, "
                        "such as GNOME Keyring; meanwhile the server can be used without a key"),
                      copy->message);
}

/* ---- GListModel ---------------------------------------------------------------- */

static GType
get_item_type (GListModel *model)
{
  return HEARTH_TYPE_REMOTE_SERVER;
}

static guint
get_n_items (GListModel *model)
{
  return HEARTH_REMOTE_SERVERS (model)->servers->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthRemoteServers *self = HEARTH_REMOTE_SERVERS (model);

  return position < self->servers->len ? g_object_ref (self->servers->pdata[position]) : NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* ---- the setting ------------------------------------------------------------- */

static void
save (HearthRemoteServers *self)
{
  GVariantBuilder builder;

  if (self->settings == NULL)
    return;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssss)"));
  for (guint i = 0; i < self->servers->len; i++)
    {
      HearthRemoteServer *s = self->servers->pdata[i];

      g_variant_builder_add (&builder, "(ssss)", hearth_remote_server_get_id (s),
                             hearth_remote_server_get_name (s),
                             hearth_remote_kind_to_string (hearth_remote_server_get_kind (s)),
                             hearth_remote_server_get_url (s));
    }
  self->saving = TRUE;
  g_settings_set_value (self->settings, "servers", g_variant_builder_end (&builder));
  self->saving = FALSE;
}

/* The list from the setting; entries that cannot be used (an unknown
 * kind, an address that is none, an id twice) are left out, with a
 * warning. */
static void
load (HearthRemoteServers *self)
{
  g_autoptr (GVariant) value = g_settings_get_value (self->settings, "servers");
  g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  const char *id, *name, *kind_text, *url;
  guint old = self->servers->len;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&s&s&s)", &id, &name, &kind_text, &url))
    {
      HearthRemoteKind kind;
      g_autofree char *whole = NULL;
      gboolean twice = FALSE;

      for (guint i = 0; i < servers->len; i++)
        twice |= g_str_equal (hearth_remote_server_get_id (servers->pdata[i]), id);
      if (*id == '\0' || strchr (id, '/') != NULL || twice
          || !hearth_remote_kind_from_string (kind_text, &kind)
          || (whole = hearth_remote_normalize_url (kind, url, NULL)) == NULL)
        {
          g_warning ("the server “%s” (%s) in the settings cannot be used", name, url);
          continue;
        }
      /* the same object where it is the same server, so that views keep it */
      {
        HearthRemoteServer *known = hearth_remote_servers_lookup (self, id);

        if (known != NULL)
          {
            hearth_remote_server_set (known, name, kind, whole);
            g_ptr_array_add (servers, g_object_ref (known));
          }
        else
          g_ptr_array_add (servers, hearth_remote_server_new (id, name, kind, whole));
      }
    }
  g_ptr_array_unref (self->servers);
  self->servers = g_steal_pointer (&servers);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->servers->len);
}

static void
servers_changed_cb (GSettings           *settings,
                    const char          *key,
                    HearthRemoteServers *self)
{
  if (!self->saving)
    load (self);
}

/* ---- object ------------------------------------------------------------------ */

static void
hearth_remote_servers_dispose (GObject *object)
{
  HearthRemoteServers *self = HEARTH_REMOTE_SERVERS (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (hearth_remote_servers_parent_class)->dispose (object);
}

static void
hearth_remote_servers_finalize (GObject *object)
{
  HearthRemoteServers *self = HEARTH_REMOTE_SERVERS (object);

  g_ptr_array_unref (self->servers);
  g_hash_table_unref (self->keys);

  G_OBJECT_CLASS (hearth_remote_servers_parent_class)->finalize (object);
}

static void
hearth_remote_servers_class_init (HearthRemoteServersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_remote_servers_dispose;
  object_class->finalize = hearth_remote_servers_finalize;
}

static void
hearth_remote_servers_init (HearthRemoteServers *self)
{
  self->servers = g_ptr_array_new_with_free_func (g_object_unref);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) key_free);
}

/* ---- public API ------------------------------------------------------------ */

HearthRemoteServers *
hearth_remote_servers_new (GSettings *settings)
{
  HearthRemoteServers *self;

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (HEARTH_TYPE_REMOTE_SERVERS, NULL);
  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      load (self);
      g_signal_connect (settings, "changed::servers", G_CALLBACK (servers_changed_cb), self);
    }
  return self;
}

HearthRemoteServer *
hearth_remote_servers_lookup (HearthRemoteServers *self,
                              const char          *id)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), NULL);

  for (guint i = 0; id != NULL && i < self->servers->len; i++)
    if (g_str_equal (hearth_remote_server_get_id (self->servers->pdata[i]), id))
      return self->servers->pdata[i];
  return NULL;
}

/* @name as given, else the host of @url. */
static char *
name_or_host (const char *name,
              const char *url)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (name != NULL ? name : ""));

  if (*trimmed != '\0')
    return g_steal_pointer (&trimmed);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url);
}

HearthRemoteServer *
hearth_remote_servers_add (HearthRemoteServers  *self,
                           const char           *name,
                           HearthRemoteKind      kind,
                           const char           *url,
                           GError              **error)
{
  g_autofree char *whole = NULL;
  g_autofree char *id = NULL;
  g_autofree char *shown = NULL;
  HearthRemoteServer *server;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  whole = hearth_remote_normalize_url (kind, url, error);
  if (whole == NULL)
    return NULL;
  shown = name_or_host (name, whole);
  /* a fresh id: renaming the server or moving it keeps its chats */
  do
    {
      g_autofree char *uuid = g_uuid_string_random ();

      g_free (id);
      id = g_strndup (uuid, 8);
    }
  while (hearth_remote_servers_lookup (self, id) != NULL);
  server = hearth_remote_server_new (id, shown, kind, whole);
  g_ptr_array_add (self->servers, server);
  /* a new server has no key yet: none is looked up for it */
  remember_key (self, id, NULL);
  save (self);
  g_list_model_items_changed (G_LIST_MODEL (self), self->servers->len - 1, 0, 1);
  return server;
}

gboolean
hearth_remote_servers_change (HearthRemoteServers  *self,
                              const char           *id,
                              const char           *name,
                              HearthRemoteKind      kind,
                              const char           *url,
                              GError              **error)
{
  HearthRemoteServer *server;
  g_autofree char *whole = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  server = hearth_remote_servers_lookup (self, id);
  if (server == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_SERVERS_ERROR, HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND,
                   _("That server is not in Hearth’s list any more"));
      return FALSE;
    }
  whole = hearth_remote_normalize_url (kind, url, error);
  if (whole == NULL)
    return FALSE;
  shown = name_or_host (name, whole);
  hearth_remote_server_set (server, shown, kind, whole);
  save (self);
  return TRUE;
}

static void
cleared_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr (GError) error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_debug ("a removed server’s key stays in the keyring: %s", error->message);
}

gboolean
hearth_remote_servers_remove (HearthRemoteServers *self,
                              const char          *id)
{
  Key *key;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), FALSE);

  for (guint i = 0; id != NULL && i < self->servers->len; i++)
    if (g_str_equal (hearth_remote_server_get_id (self->servers->pdata[i]), id))
      {
        /* its key goes too, where there is one (none known: none asked for) */
        key = g_hash_table_lookup (self->keys, id);
        if (key == NULL || !key->known || key->key != NULL)
          secret_password_clear (key_schema (), NULL, cleared_cb, NULL, "server-id", id, NULL);
        g_hash_table_remove (self->keys, id);
        g_ptr_array_remove_index (self->servers, i);
        save (self);
        g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  char *id;
  char *key;
} KeyTask;

static void
key_task_free (KeyTask *t)
{
  g_free (t->id);
  if (t->key != NULL)
    secret_password_wipe (t->key);
  g_free (t->key);
  g_free (t);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr (GTask) task = data;
  HearthRemoteServers *self = g_task_get_source_object (task);
  KeyTask *t = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  gboolean ok = t->key != NULL ? secret_password_store_finish (result, &error)
                               : (secret_password_clear_finish (result, &error) || error == NULL);

  if (!ok)
    {
      g_task_return_error (task, keyring_error (error));
      return;
    }
  remember_key (self, t->id, t->key);
  g_task_return_boolean (task, TRUE);
}

void
hearth_remote_servers_set_key_async (HearthRemoteServers *self,
                                     const char          *id,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  HearthRemoteServer *server;
  KeyTask *t;

  g_return_if_fail (HEARTH_IS_REMOTE_SERVERS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_remote_servers_set_key_async);
  server = hearth_remote_servers_lookup (self, id);
  if (server == NULL)
    {
      g_task_return_new_error (task, HEARTH_REMOTE_SERVERS_ERROR,
                               HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND,
                               _("That server is not in Hearth’s list any more"));
      return;
    }
  t = g_new0 (KeyTask, 1);
  t->id = g_strdup (id);
  t->key = key != NULL && *key != '\0' ? g_strstrip (g_strdup (key)) : NULL;
  g_task_set_task_data (task, t, (GDestroyNotify) key_task_free);
  if (t->key != NULL)
    for (const char *p = t->key; *p != '\0'; p++)
      if (*p <= ' ' || *p > '~')
        {
          g_task_return_new_error (task, HEARTH_REMOTE_SERVERS_ERROR,
                                   HEARTH_REMOTE_SERVERS_ERROR_INVALID,
                                   _("An API key is one word of letters, digits and signs, "
                                     "without spaces"));
          return;
        }
  if (t->key != NULL)
    {
      g_autofree char *label = g_strdup_printf (_("Hearth: API key of the server “%s”"),
                                                hearth_remote_server_get_name (server));

      secret_password_store (key_schema (), SECRET_COLLECTION_DEFAULT, label, t->key, cancellable,
                             stored_cb, g_steal_pointer (&task), "server-id", id, NULL);
    }
  else
    secret_password_clear (key_schema (), cancellable, stored_cb, g_steal_pointer (&task),
                           "server-id", id, NULL);
}

gboolean
hearth_remote_servers_set_key_finish (HearthRemoteServers  *self,
                                      GAsyncResult         *result,
                                      GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
looked_up_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr (GTask) task = data;
  HearthRemoteServers *self = g_task_get_source_object (task);
  const char *id = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (error));
      return;
    }
  remember_key (self, id, key);
  if (key != NULL)
    secret_password_free (key);
  g_task_return_boolean (task, key != NULL);
}

void
hearth_remote_servers_has_key_async (HearthRemoteServers *self,
                                     const char          *id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (HEARTH_IS_REMOTE_SERVERS (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_remote_servers_has_key_async);
  g_task_set_task_data (task, g_strdup (id), g_free);
  secret_password_lookup (key_schema (), cancellable, looked_up_cb, g_steal_pointer (&task),
                          "server-id", id, NULL);
}

gboolean
hearth_remote_servers_has_key_finish (HearthRemoteServers  *self,
                                      GAsyncResult         *result,
                                      GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Server @server's key: remembered, else looked up now (once). */
static const char *
key_of (HearthRemoteServers *self,
        HearthRemoteServer  *server)
{
  const char *id = hearth_remote_server_get_id (server);
  Key *key = g_hash_table_lookup (self->keys, id);

  if (key == NULL || !key->known)
    {
      g_autoptr (GError) error = NULL;
      char *found = secret_password_lookup_sync (key_schema (), NULL, &error, "server-id", id, NULL);

      /* no keyring: no key, and the server says whether it needs one */
      if (error != NULL)
        g_debug ("no key for the server “%s”: %s", id, error->message);
      remember_key (self, id, found);
      if (found != NULL)
        secret_password_free (found);
      key = g_hash_table_lookup (self->keys, id);
    }
  return key->key;
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr (GTask) task = data;
  GError *error = NULL;
  GPtrArray *names = hearth_remote_list_models_finish (result, &error);

  if (names == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, names, (GDestroyNotify) g_ptr_array_unref);
}

void
hearth_remote_servers_list_models_async (HearthRemoteServers *self,
                                         const char          *id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (HearthRemote) remote = NULL;
  HearthRemoteServer *server;

  g_return_if_fail (HEARTH_IS_REMOTE_SERVERS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_remote_servers_list_models_async);
  server = hearth_remote_servers_lookup (self, id);
  if (server == NULL)
    {
      g_task_return_new_error (task, HEARTH_REMOTE_SERVERS_ERROR,
                               HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND,
                               _("That server is not in Hearth’s list any more"));
      return;
    }
  if (self->session == NULL)
    self->session = hearth_remote_session_new ();
  remote = hearth_remote_new (hearth_remote_server_get_kind (server),
                              hearth_remote_server_get_name (server),
                              hearth_remote_server_get_url (server), NULL, key_of (self, server));
  hearth_remote_list_models_async (self->session, remote, cancellable, listed_cb,
                                   g_steal_pointer (&task));
}

GPtrArray *
hearth_remote_servers_list_models_finish (HearthRemoteServers  *self,
                                          GAsyncResult         *result,
                                          GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

HearthRemote *
hearth_remote_servers_resolve (HearthRemoteServers  *self,
                               const char           *model,
                               GError              **error)
{
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  HearthRemoteServer *server;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), NULL);

  if (!hearth_remote_parse_model_string (model, &id, &name))
    {
      g_set_error (error, HEARTH_REMOTE_SERVERS_ERROR, HEARTH_REMOTE_SERVERS_ERROR_INVALID,
                   _("“%s” is not a model on a server"), model);
      return NULL;
    }
  server = hearth_remote_servers_lookup (self, id);
  if (server == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_SERVERS_ERROR, HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND,
                   _("The model “%s” was on a server that is not in Hearth’s list any more; add "
                     "the server again in Preferences, or choose another model"),
                   name);
      return NULL;
    }
  return hearth_remote_new (hearth_remote_server_get_kind (server),
                            hearth_remote_server_get_name (server),
                            hearth_remote_server_get_url (server), name, key_of (self, server));
}

char *
hearth_remote_servers_describe_model (HearthRemoteServers *self,
                                      const char          *model)
{
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  HearthRemoteServer *server;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (self), NULL);

  if (!hearth_remote_parse_model_string (model, &id, &name))
    return NULL;
  server = hearth_remote_servers_lookup (self, id);
  /* Translators: a model on another server: "llama3.2:latest (Workstation)" */
  return g_strdup_printf (_("%s (%s)"), name,
                          server != NULL ? hearth_remote_server_get_name (server) : _("a removed server"));
}
