/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-remote-models"

#include "config.h"

#include "hearth-remote-models.h"

struct _HearthRemoteModels
{
  GObject parent_instance;

  /* owned */
  HearthRemoteServers *servers;
  GHashTable *by_server;        /* server id → GPtrArray of HearthRemoteModel */
  GPtrArray *all;               /* what _get () hands out, made on demand */
  GCancellable *cancellable;    /* the questions under way */
  GPtrArray *watched;           /* HearthRemoteServer whose notify we hear */
};

G_DEFINE_FINAL_TYPE (HearthRemoteModels, hearth_remote_models, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
remote_model_free (HearthRemoteModel *m)
{
  g_free (m->server_id);
  g_free (m->model);
  g_free (m->model_string);
  g_free (m->label);
  g_free (m->from);
  g_free (m);
}

static void
emit_changed (HearthRemoteModels *self)
{
  g_clear_pointer (&self->all, g_ptr_array_unref);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

typedef struct
{
  HearthRemoteModels *self;     /* weak: the answer may outlive it */
  char *id;
} Question;

static void
list_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Question *q = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = hearth_remote_servers_list_models_finish (HEARTH_REMOTE_SERVERS (source),
                                                                          result, &error);
  HearthRemoteModels *self = q->self;
  HearthRemoteServer *server;
  GPtrArray *models;

  if (self != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self), (gpointer *) &q->self);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || (server = hearth_remote_servers_lookup (self->servers, q->id)) == NULL)
    goto out;
  if (names == NULL)
    g_debug ("no models from %s: %s", q->id, error->message);
  models = g_ptr_array_new_with_free_func ((GDestroyNotify) remote_model_free);
  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      HearthRemoteModel *m = g_new0 (HearthRemoteModel, 1);
      const char *url = hearth_remote_server_get_url (server);

      m->server_id = g_strdup (q->id);
      m->model = g_strdup (names->pdata[i]);
      m->model_string = hearth_remote_model_string (q->id, m->model);
      m->label = hearth_remote_servers_describe_model (self->servers, m->model_string);
      if (hearth_remote_server_get_kind (server) == HEARTH_REMOTE_OLLAMA)
        m->from = g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/", m->model, NULL);
      g_ptr_array_add (models, m);
    }
  g_hash_table_replace (self->by_server, g_strdup (q->id), models);
  emit_changed (self);
out:
  g_free (q->id);
  g_free (q);
}

static void
unwatch (HearthRemoteModels *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_data (self->watched->pdata[i], self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
servers_changed_cb (HearthRemoteModels *self)
{
  hearth_remote_models_refresh (self);
}

void
hearth_remote_models_refresh (HearthRemoteModels *self)
{
  GListModel *list = G_LIST_MODEL (self->servers);
  guint n = g_list_model_get_n_items (list);

  g_return_if_fail (HEARTH_IS_REMOTE_MODELS (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  unwatch (self);
  /* what each server offered stays shown until it answers again; a
   * server gone is forgotten at once */
  {
    GHashTableIter iter;
    const char *id;

    g_hash_table_iter_init (&iter, self->by_server);
    while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
      if (hearth_remote_servers_lookup (self->servers, id) == NULL)
        g_hash_table_iter_remove (&iter);
  }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HearthRemoteServer) server = g_list_model_get_item (list, i);
      Question *q = g_new0 (Question, 1);

      g_signal_connect_swapped (server, "notify", G_CALLBACK (servers_changed_cb), self);
      g_ptr_array_add (self->watched, g_object_ref (server));
      q->self = self;
      g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &q->self);
      q->id = g_strdup (hearth_remote_server_get_id (server));
      hearth_remote_servers_list_models_async (self->servers, q->id, self->cancellable,
                                               list_done_cb, q);
    }
  emit_changed (self);
}

GPtrArray *
hearth_remote_models_get (HearthRemoteModels *self)
{
  GListModel *list;

  g_return_val_if_fail (HEARTH_IS_REMOTE_MODELS (self), NULL);

  if (self->all != NULL)
    return self->all;
  list = G_LIST_MODEL (self->servers);
  self->all = g_ptr_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (HearthRemoteServer) server = g_list_model_get_item (list, i);
      GPtrArray *models = g_hash_table_lookup (self->by_server, hearth_remote_server_get_id (server));

      for (guint j = 0; models != NULL && j < models->len; j++)
        g_ptr_array_add (self->all, models->pdata[j]);
    }
  return self->all;
}

static void
hearth_remote_models_dispose (GObject *object)
{
  HearthRemoteModels *self = HEARTH_REMOTE_MODELS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->watched != NULL)
    unwatch (self);
  if (self->servers != NULL)
    g_signal_handlers_disconnect_by_data (self->servers, self);
  g_clear_object (&self->servers);
  G_OBJECT_CLASS (hearth_remote_models_parent_class)->dispose (object);
}

static void
hearth_remote_models_finalize (GObject *object)
{
  HearthRemoteModels *self = HEARTH_REMOTE_MODELS (object);

  g_clear_pointer (&self->all, g_ptr_array_unref);
  g_clear_pointer (&self->by_server, g_hash_table_unref);
  g_clear_pointer (&self->watched, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_remote_models_parent_class)->finalize (object);
}

static void
hearth_remote_models_class_init (HearthRemoteModelsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_remote_models_dispose;
  object_class->finalize = hearth_remote_models_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_remote_models_init (HearthRemoteModels *self)
{
  self->by_server = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
}

HearthRemoteModels *
hearth_remote_models_new (HearthRemoteServers *servers)
{
  HearthRemoteModels *self;

  g_return_val_if_fail (HEARTH_IS_REMOTE_SERVERS (servers), NULL);

  self = g_object_new (HEARTH_TYPE_REMOTE_MODELS, NULL);
  self->servers = g_object_ref (servers);
  g_signal_connect_swapped (servers, "items-changed", G_CALLBACK (servers_changed_cb), self);
  hearth_remote_models_refresh (self);
  return self;
}
