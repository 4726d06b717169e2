/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-pull"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-download.h"
#include "hearth-pull.h"

struct _HearthPull
{
  GObject parent_instance;

  HearthStore *store;
  SoupSession *session;
  HearthModelName *name;
  char *base;                 /* the registry's base URL */
  GCancellable *cancellable;

  GBytes *manifest;           /* as received */
  GPtrArray *blobs;           /* BlobItem, in the manifest's order */
  guint next;                 /* the blob being downloaded */
  HearthDownload *download;
  guint64 bytes_done, bytes_total;
  char *status;
  gboolean running;
};

typedef struct {
  char *digest;
  guint64 size;
} BlobItem;

static void
blob_item_free (BlobItem *item)
{
  g_free (item->digest);
  g_free (item);
}

enum { SIGNAL_PROGRESS, SIGNAL_MANIFEST, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthPull, hearth_pull, G_TYPE_OBJECT)

static void next_blob (HearthPull *self);

static void
hearth_pull_dispose (GObject *object)
{
  HearthPull *self = HEARTH_PULL (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->download != NULL)
    g_signal_handlers_disconnect_by_data (self->download, self);
  g_clear_object (&self->download);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hearth_pull_parent_class)->dispose (object);
}

static void
hearth_pull_finalize (GObject *object)
{
  HearthPull *self = HEARTH_PULL (object);

  hearth_model_name_free (self->name);
  g_free (self->base);
  g_free (self->status);
  g_clear_pointer (&self->manifest, g_bytes_unref);
  g_clear_pointer (&self->blobs, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_pull_parent_class)->finalize (object);
}

static void
hearth_pull_class_init (HearthPullClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_pull_dispose;
  object_class->finalize = hearth_pull_finalize;
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
  signals[SIGNAL_MANIFEST] = g_signal_new ("manifest", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
hearth_pull_init (HearthPull *self)
{
}

/* ---- the registry's address ---------------------------------------------- */

static gboolean
is_loopback (const char *host)
{
  return host != NULL && (g_str_equal (host, "localhost") || g_str_equal (host, "::1")
                          || g_str_has_prefix (host, "127."));
}

char *
hearth_pull_registry_base (const HearthModelName  *name,
                           GError                **error)
{
  const char *env = g_getenv ("HEARTH_REGISTRY");
  g_autoptr (GUri) uri = NULL;

  if (g_ascii_strcasecmp (name->host, HEARTH_MODEL_NAME_DEFAULT_HOST) != 0)
    return g_strdup_printf ("https://%s", name->host);
  if (env == NULL || *env == '\0')
    return g_strdup ("https://" HEARTH_MODEL_NAME_DEFAULT_HOST);

  uri = g_uri_parse (env, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
          && !(g_strcmp0 (g_uri_get_scheme (uri), "http") == 0
               && is_loopback (g_uri_get_host (uri)))))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                   _("HEARTH_REGISTRY=%s is not a registry address: it must be an https:// URL "
                     "(http:// only for this computer)"), env);
      return NULL;
    }
  /* no trailing slash: paths are appended */
  {
    g_autofree char *base = g_strdup (env);
    gsize len = strlen (base);

    while (len > 0 && base[len - 1] == '/')
      base[--len] = '\0';
    return g_steal_pointer (&base);
  }
}

HearthPull *
hearth_pull_new (HearthStore  *store,
                 SoupSession  *session,
                 const char   *name,
                 GError      **error)
{
  g_autoptr (HearthModelName) parsed = hearth_model_name_parse (name, error);
  g_autofree char *base = NULL;
  HearthPull *self;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  if (parsed == NULL || (base = hearth_pull_registry_base (parsed, error)) == NULL)
    return NULL;
  self = g_object_new (HEARTH_TYPE_PULL, NULL);
  self->store = g_object_ref (store);
  self->session = g_object_ref (session);
  self->name = g_steal_pointer (&parsed);
  self->base = g_steal_pointer (&base);
  self->blobs = g_ptr_array_new_with_free_func ((GDestroyNotify) blob_item_free);
  self->status = g_strdup (_("pulling manifest"));
  return self;
}

/* ---- the steps ------------------------------------------------------------ */

static void
set_status (HearthPull *self,
            const char *status)
{
  g_free (self->status);
  self->status = g_strdup (status);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

static void
finish (HearthPull   *self,
        const GError *error)
{
  self->running = FALSE;
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, error);
}

static void
fail (HearthPull *self,
      GError     *error)
{
  finish (self, error);
  g_error_free (error);
}

/* Sum of the blobs before the current one, and the current one's bytes. */
static void
update_bytes (HearthPull *self)
{
  guint64 done = 0;

  for (guint i = 0; i < self->next && i < self->blobs->len; i++)
    done += ((BlobItem *) self->blobs->pdata[i])->size;
  if (self->download != NULL)
    done += hearth_download_get_bytes_done (self->download);
  /* never backwards */
  if (done > self->bytes_done)
    self->bytes_done = done;
}

static void
on_download_progress (HearthDownload *download,
                      HearthPull     *self)
{
  update_bytes (self);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

static void
on_download_finished (HearthDownload *download,
                      const GError   *error,
                      HearthPull     *self)
{
  g_autoptr (HearthDownload) done = g_steal_pointer (&self->download);

  g_signal_handlers_disconnect_by_data (done, self);
  if (error != NULL)
    {
      if (g_error_matches (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NOT_FOUND))
        {
          g_autofree char *shown = hearth_model_name_to_string (self->name);

          fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                                   _("a file of “%s” is missing in %s: %s"), shown, self->base,
                                   error->message));
        }
      else
        finish (self, error);
      return;
    }
  self->next++;
  update_bytes (self);
  next_blob (self);
}

static void
next_blob (HearthPull *self)
{
  while (self->next < self->blobs->len)
    {
      BlobItem *item = self->blobs->pdata[self->next];
      g_autoptr (GError) error = NULL;
      g_autofree char *path = hearth_store_blob_path (self->store, item->digest, &error);
      g_autofree char *url = NULL;
      g_autofree char *dir = NULL;
      g_autofree char *status = NULL;
      GStatBuf st;

      if (path == NULL)
        {
          fail (self, g_steal_pointer (&error));
          return;
        }
      /* a blob already there (from another model, or an earlier pull) */
      if (g_stat (path, &st) == 0 && (guint64) st.st_size == item->size)
        {
          self->next++;
          update_bytes (self);
          continue;
        }
      dir = g_path_get_dirname (path);
      g_mkdir_with_parents (dir, 0755);
      url = g_strdup_printf ("%s/v2/%s/%s/blobs/%s", self->base, self->name->namespace_,
                             self->name->model, item->digest);
      self->download = hearth_download_new (self->session, url, path, item->digest + 7,
                                            item->size);
      g_signal_connect (self->download, "progress", G_CALLBACK (on_download_progress), self);
      g_signal_connect (self->download, "finished", G_CALLBACK (on_download_finished), self);
      status = g_strdup_printf (_("pulling %.12s"), item->digest + 7);
      set_status (self, status);
      hearth_download_start (self->download);
      return;
    }

  /* every blob is there: the manifest, last */
  {
    g_autoptr (GError) error = NULL;

    set_status (self, _("writing manifest"));
    if (!hearth_store_write_manifest_bytes (self->store, self->name, self->manifest, &error))
      {
        fail (self, g_steal_pointer (&error));
        return;
      }
    self->bytes_done = self->bytes_total;
    set_status (self, _("success"));
    finish (self, NULL);
  }
}

static void
add_blob (HearthPull *self,
          JsonObject *descriptor)
{
  BlobItem *item = g_new0 (BlobItem, 1);

  item->digest = g_strdup (json_object_get_string_member (descriptor, "digest"));
  item->size = (guint64) json_object_get_int_member (descriptor, "size");
  self->bytes_total += item->size;
  g_ptr_array_add (self->blobs, item);
}

static void
on_manifest (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (HearthPull) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr (JsonNode) manifest = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;
  g_autofree char *shown = hearth_model_name_to_string (self->name);
  JsonObject *o;
  JsonArray *layers;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (body == NULL)
    {
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                               _("cannot reach %s: %s"), self->base, error->message));
      return;
    }
  if (status == SOUP_STATUS_NOT_FOUND)
    {
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                               _("no model named “%s” in %s"), shown, self->base));
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                               _("%s answered %u %s for the manifest of “%s”"), self->base,
                               status, soup_message_get_reason_phrase (msg), shown));
      return;
    }
  manifest = hearth_store_parse_manifest (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                          shown, &error);
  if (manifest == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  self->manifest = g_bytes_ref (body);
  o = json_node_get_object (manifest);
  if (json_object_has_member (o, "config"))
    add_blob (self, json_object_get_object_member (o, "config"));
  layers = json_object_get_array_member (o, "layers");
  for (guint i = 0; i < json_array_get_length (layers); i++)
    add_blob (self, json_array_get_object_element (layers, i));
  update_bytes (self);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  /* the sizes are known: a handler may look at them and pause */
  g_signal_emit (self, signals[SIGNAL_MANIFEST], 0);
  if (self->running)
    next_blob (self);
}

void
hearth_pull_start (HearthPull *self)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  g_return_if_fail (HEARTH_IS_PULL (self));

  if (self->running)
    return;
  self->running = TRUE;
  if (self->download != NULL)
    {
      /* resumed after a pause: the blob where it was */
      hearth_download_start (self->download);
      return;
    }
  if (self->manifest != NULL)
    {
      next_blob (self);
      return;
    }
  url = g_strdup_printf ("%s/v2/%s/%s/manifests/%s", self->base, self->name->namespace_,
                         self->name->model, self->name->tag);
  msg = soup_message_new (SOUP_METHOD_GET, url);
  if (msg == NULL)
    {
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                               _("%s is not an address"), url));
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                HEARTH_MEDIA_TYPE_MANIFEST);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_status (self, _("pulling manifest"));
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    on_manifest, g_object_ref (self));
}

void
hearth_pull_pause (HearthPull *self)
{
  g_return_if_fail (HEARTH_IS_PULL (self));

  if (self->download != NULL)
    hearth_download_pause (self->download);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  self->running = FALSE;
}

guint64
hearth_pull_get_bytes_done (HearthPull *self)
{
  return self->bytes_done;
}

guint64
hearth_pull_get_model_bytes (HearthPull *self)
{
  guint64 bytes = 0;

  for (guint i = 0; i < self->blobs->len; i++)
    bytes += ((BlobItem *) self->blobs->pdata[i])->size;
  return bytes;
}

guint64
hearth_pull_get_bytes_total (HearthPull *self)
{
  return self->bytes_total;
}

const char *
hearth_pull_get_status (HearthPull *self)
{
  return self->status;
}

double
hearth_pull_get_speed (HearthPull *self)
{
  return self->download != NULL ? hearth_download_get_speed (self->download) : 0.0;
}
