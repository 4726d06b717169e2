/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-pull"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-download.h"
#include "hearth-gguf.h"
#include "hearth-pull.h"
#include "hearth-setting.h"

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
  HearthPullState state;
  GError *error;              /* why it stopped */
  char *source;               /* what was asked for */

  /* a plain file (a URL, or a Hugging Face repository through its API)
   * rather than a registry's blobs */
  gboolean file_mode;
  char *file_url;             /* the GGUF's URL, once known */
  char *hf_endpoint;          /* with hf_repo: ask which file first */
  char *hf_repo;              /* "user/repo" */
  char *file_sha256;          /* the file's SHA-256 (hex), when the listing gave it */
  guint64 file_size;          /* and its size; 0: unknown */
  char *download_path;        /* the file's path while it downloads */
  char *shown_name;
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
static void add_blobs (HearthPull *self,
                       JsonNode   *manifest);

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
  g_free (self->file_url);
  g_free (self->hf_endpoint);
  g_free (self->hf_repo);
  g_free (self->file_sha256);
  g_free (self->download_path);
  g_free (self->shown_name);
  g_free (self->status);
  g_free (self->source);
  g_clear_error (&self->error);
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

gboolean
hearth_pull_url_is_allowed (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL
         && (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0
             || (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0
                 && is_loopback (g_uri_get_host (uri))));
}

/* @url without trailing slashes. */
static char *
strip_slashes (const char *url)
{
  char *base = g_strdup (url);
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return base;
}

char *
hearth_pull_registry_base (const HearthModelName  *name,
                           GError                **error)
{
  g_autofree char *env = hearth_setting_get_string ("HEARTH_REGISTRY", "registry-url");

  if (g_ascii_strcasecmp (name->host, HEARTH_MODEL_NAME_DEFAULT_HOST) != 0)
    return g_strdup_printf ("https://%s", name->host);
  if (env == NULL || *env == '\0')
    return g_strdup ("https://" HEARTH_MODEL_NAME_DEFAULT_HOST);
  if (!hearth_pull_url_is_allowed (env))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                   _("the model registry “%s” is not an address: it must be an https:// URL "
                     "(http:// only for this computer)"), env);
      return NULL;
    }
  return strip_slashes (env);
}

/* The quantization a GGUF file's name says ("Q4_K_M" in
 * "SmolLM2-135M-Instruct-Q4_K_M.gguf"), or NULL. */
static char *
quant_in_file_name (const char *file)
{
  g_autoptr (GRegex) re = g_regex_new ("(?:^|[-_.])((?:I?Q[0-9](?:_[0-9A-Z]+)*)|BF16|F16|F32)"
                                       "(?=[-_.])", G_REGEX_CASELESS, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (re == NULL || !g_regex_match (re, file, 0, &match))
    return NULL;
  return g_match_info_fetch (match, 1);
}

/* The model name a GGUF's URL gets: hf.co/USER/REPO:QUANT for a Hugging Face
 * style …/USER/REPO/resolve/REV/FILE, else FILE's stem (letters, digits,
 * "-", "_", ".") with the tag latest. */
static char *
name_for_url (GUri *uri)
{
  g_auto (GStrv) parts = g_strsplit (g_uri_get_path (uri), "/", -1);
  guint n = g_strv_length (parts);
  const char *file = n > 0 ? parts[n - 1] : "";
  g_autofree char *quant = quant_in_file_name (file);
  g_autofree char *stem = NULL;

  for (guint i = 0; i + 3 < n; i++)
    if (g_str_equal (parts[i + 2], "resolve") && *parts[i] != '\0' && *parts[i + 1] != '\0')
      return g_strdup_printf ("hf.co/%s/%s:%s", parts[i], parts[i + 1],
                              quant != NULL ? quant : "latest");
  stem = g_strndup (file, g_str_has_suffix (file, ".gguf") ? strlen (file) - 5 : strlen (file));
  for (char *c = stem; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      *c = '-';
  return g_strdup_printf ("%s:latest", *stem != '\0' ? stem : "model");
}

HearthPull *
hearth_pull_new (HearthStore  *store,
                 SoupSession  *session,
                 const char   *name,
                 GError      **error)
{
  g_autoptr (HearthModelName) parsed = NULL;
  g_autofree char *base = NULL;
  g_autofree char *file_url = NULL;
  g_autofree char *hf_endpoint = NULL;
  g_autofree char *hf_repo = NULL;
  g_autofree char *hf_env = hearth_setting_get_string ("HEARTH_HF_ENDPOINT", "hf-endpoint");
  HearthPull *self;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  if ((g_str_has_prefix (name, "https://") || g_str_has_prefix (name, "http://"))
      && strstr (name, ".gguf") != NULL)
    {
      /* a GGUF file's address */
      g_autoptr (GUri) uri = g_uri_parse (name, G_URI_FLAGS_NONE, NULL);
      g_autofree char *derived = NULL;

      if (uri == NULL || !hearth_pull_url_is_allowed (name))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                       _("%s cannot be downloaded: only https:// addresses (http:// only for "
                         "this computer)"), name);
          return NULL;
        }
      derived = name_for_url (uri);
      parsed = hearth_model_name_parse (derived, error);
      if (parsed == NULL)
        return NULL;
      file_url = g_strdup (name);
    }
  else
    {
      parsed = hearth_model_name_parse (name, error);
      if (parsed == NULL)
        return NULL;
      /* Hugging Face through a mirror: its files, by its API */
      if ((g_ascii_strcasecmp (parsed->host, "hf.co") == 0
           || g_ascii_strcasecmp (parsed->host, "huggingface.co") == 0)
          && hf_env != NULL && *hf_env != '\0')
        {
          if (!hearth_pull_url_is_allowed (hf_env))
            {
              g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                           _("the Hugging Face mirror “%s” is not an address: it must be an "
                             "https:// URL (http:// only for this computer)"), hf_env);
              return NULL;
            }
          hf_endpoint = strip_slashes (hf_env);
          hf_repo = g_strdup_printf ("%s/%s", parsed->namespace_, parsed->model);
        }
      else if ((base = hearth_pull_registry_base (parsed, error)) == NULL)
        return NULL;
    }

  self = g_object_new (HEARTH_TYPE_PULL, NULL);
  self->store = g_object_ref (store);
  self->session = g_object_ref (session);
  self->name = g_steal_pointer (&parsed);
  self->base = base != NULL ? g_steal_pointer (&base)
                            : g_strdup (hf_endpoint != NULL ? hf_endpoint : file_url);
  self->file_mode = file_url != NULL || hf_endpoint != NULL;
  self->file_url = g_steal_pointer (&file_url);
  self->hf_endpoint = g_steal_pointer (&hf_endpoint);
  self->hf_repo = g_steal_pointer (&hf_repo);
  self->blobs = g_ptr_array_new_with_free_func ((GDestroyNotify) blob_item_free);
  self->status = g_strdup (_("pulling manifest"));
  self->source = g_strdup (name);
  return self;
}

const char *
hearth_pull_get_name (HearthPull *self)
{
  g_return_val_if_fail (HEARTH_IS_PULL (self), NULL);

  if (self->shown_name == NULL)
    self->shown_name = hearth_model_name_to_string (self->name);
  return self->shown_name;
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

/* The store's record of this pull, for a restart. */
static void
save_record (HearthPull *self,
             gboolean    paused)
{
  g_autoptr (GError) error = NULL;

  if (!hearth_store_pending_save (self->store, hearth_pull_get_name (self), self->source,
                                  self->manifest, paused, &error))
    g_warning ("%s", error->message);
}

static void
finish (HearthPull   *self,
        const GError *error)
{
  self->running = FALSE;
  g_clear_error (&self->error);
  if (error == NULL)
    {
      self->state = HEARTH_PULL_STATE_DONE;
      hearth_store_pending_forget (self->store, hearth_pull_get_name (self));
    }
  else
    {
      self->error = g_error_copy (error);
      /* a download that gave up after its retries pauses; other failures
       * fail. Either keeps what was received for a later start. */
      self->state = g_error_matches (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_STALLED)
                        || g_error_matches (error, HEARTH_DOWNLOAD_ERROR,
                                            HEARTH_DOWNLOAD_ERROR_NETWORK)
                        || g_error_matches (error, HEARTH_DOWNLOAD_ERROR,
                                            HEARTH_DOWNLOAD_ERROR_HTTP)
                      ? HEARTH_PULL_STATE_PAUSED
                      : HEARTH_PULL_STATE_FAILED;
      if (self->manifest != NULL || self->bytes_done > 0)
        save_record (self, TRUE);
      else
        hearth_store_pending_forget (self->store, hearth_pull_get_name (self));
    }
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
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
  gboolean first_total = FALSE;

  if (self->file_mode && hearth_download_get_bytes_total (download) > self->bytes_total)
    {
      first_total = self->bytes_total == 0;
      self->bytes_total = hearth_download_get_bytes_total (download);
    }
  update_bytes (self);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  /* a plain file's size is known once the server answers */
  if (first_total)
    g_signal_emit (self, signals[SIGNAL_MANIFEST], 0);
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

/* GETs @url (Accept: @accept, or none) for @callback, after saying
 * @status; the pull fails where @url is not an address. */
static void
send_get (HearthPull          *self,
          const char          *url,
          const char          *accept,
          const char          *status,
          GAsyncReadyCallback  callback)
{
  g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);

  if (msg == NULL)
    {
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                               _("%s is not an address"), url));
      return;
    }
  if (accept != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", accept);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_status (self, status);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    callback, g_object_ref (self));
}

/* A send_get ()'s answer: its body and *@status, or NULL where there is
 * none (cancelled: nothing to say; else the pull fails, saying why). */
static GBytes *
finish_get (HearthPull   *self,
            GObject      *source,
            GAsyncResult *result,
            guint        *status)
{
  g_autoptr (GError) error = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  *status = msg != NULL ? soup_message_get_status (msg) : 0;
  if (body == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                             _("cannot reach %s: %s"), self->base, error->message));
  return body;
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

/* Every file @manifest (checked) names, the config first. */
static void
add_blobs (HearthPull *self,
           JsonNode   *manifest)
{
  JsonObject *o = json_node_get_object (manifest);
  JsonArray *layers = json_object_get_array_member (o, "layers");

  if (json_object_has_member (o, "config"))
    add_blob (self, json_object_get_object_member (o, "config"));
  for (guint i = 0; i < json_array_get_length (layers); i++)
    add_blob (self, json_array_get_object_element (layers, i));
}

static void
on_manifest (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (HearthPull) self = user_data;
  g_autoptr (GError) error = NULL;
  guint status = 0;
  g_autoptr (GBytes) body = finish_get (self, source, result, &status);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (JsonNode) manifest = NULL;
  g_autofree char *shown = hearth_model_name_to_string (self->name);

  if (body == NULL)
    return;
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
  save_record (self, FALSE);
  add_blobs (self, manifest);
  update_bytes (self);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  /* the sizes are known: a handler may look at them and pause */
  g_signal_emit (self, signals[SIGNAL_MANIFEST], 0);
  if (self->running)
    next_blob (self);
}

/* ---- a plain file ---------------------------------------------------------- */

static void
on_file_finished (HearthDownload *download,
                  const GError   *error,
                  HearthPull     *self)
{
  g_autoptr (HearthDownload) done = g_steal_pointer (&self->download);
  g_autoptr (GError) local = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *blob = NULL;
  g_autoptr (HearthGguf) gguf = NULL;
  GStatBuf st;

  g_signal_handlers_disconnect_by_data (done, self);
  if (error != NULL)
    {
      if (g_error_matches (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NOT_FOUND))
        fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                                 _("there is no file at %s"), self->file_url));
      else
        finish (self, error);
      return;
    }

  /* named by its SHA-256, as every blob; only a GGUF file becomes a model */
  digest = g_strdup_printf ("sha256:%s", hearth_download_get_sha256 (done));
  blob = hearth_store_blob_path (self->store, digest, &local);
  if (blob == NULL)
    {
      fail (self, g_steal_pointer (&local));
      return;
    }
  if (g_file_test (blob, G_FILE_TEST_EXISTS))
    g_unlink (self->download_path);
  else if (g_rename (self->download_path, blob) != 0)
    {
      int saved = errno;

      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                               _("cannot move %s to %s: %s"), self->download_path, blob,
                               g_strerror (saved)));
      return;
    }
  gguf = hearth_gguf_open (blob, &local);
  if (gguf == NULL)
    {
      /* the reader names the blob it read; people know the file by its
       * address, and the blob goes */
      const char *reason = local->message;

      if (g_str_has_prefix (reason, blob) && g_str_has_prefix (reason + strlen (blob), ": "))
        reason += strlen (blob) + 2;
      g_unlink (blob);
      fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                               _("%s is not a GGUF model file: %s"), self->file_url, reason));
      return;
    }
  g_clear_pointer (&gguf, hearth_gguf_unref);
  if (g_stat (blob, &st) != 0
      || !hearth_store_add_model (self->store, self->name, digest, (guint64) st.st_size, &local))
    {
      if (local == NULL)
        local = g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("%s does not exist"),
                             blob);
      fail (self, g_steal_pointer (&local));
      return;
    }
  self->bytes_total = self->bytes_done = (guint64) st.st_size;
  set_status (self, _("success"));
  finish (self, NULL);
}

/* Where the file at file_url downloads before it is a blob. */
static char *
file_download_path (HearthPull *self)
{
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->file_url, -1);
  g_autofree char *file = g_strdup_printf ("download-%.16s", hex);

  return g_build_filename (hearth_store_get_root (self->store), "blobs", file, NULL);
}

static void
file_download (HearthPull *self)
{
  g_autofree char *dir = g_build_filename (hearth_store_get_root (self->store), "blobs", NULL);
  g_autofree char *status = NULL;
  g_autofree char *base = g_path_get_basename (self->file_url);

  /* the same URL, the same partial file: a later pull goes on with it */
  g_free (self->download_path);
  self->download_path = file_download_path (self);
  g_mkdir_with_parents (dir, 0755);
  self->download = hearth_download_new (self->session, self->file_url, self->download_path,
                                        self->file_sha256, self->file_size);
  g_signal_connect (self->download, "progress", G_CALLBACK (on_download_progress), self);
  g_signal_connect (self->download, "finished", G_CALLBACK (on_file_finished), self);
  status = g_strdup_printf (_("pulling %s"), base);
  set_status (self, status);
  hearth_download_start (self->download);
}

/* The index in @files (repository paths) of the GGUF file whose name says
 * the tag's quantization (any case); the tag latest takes the only GGUF
 * file there is. -1 (the pull failed, saying which files there are) when
 * none. */
static int
choose_gguf (HearthPull *self,
             GPtrArray  *files)
{
  const char *tag = self->name->tag;
  g_autoptr (GArray) ggufs = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < files->len; i++)
    {
      const char *file = files->pdata[i];

      if (g_str_has_suffix (file, ".gguf") && strstr (file, "..") == NULL && file[0] != '/'
          && g_utf8_validate (file, -1, NULL))
        g_array_append_val (ggufs, i);
    }
  for (guint i = 0; i < ggufs->len; i++)
    {
      guint index = g_array_index (ggufs, guint, i);
      g_autofree char *base = g_path_get_basename (files->pdata[index]);
      g_autofree char *quant = quant_in_file_name (base);

      if (quant != NULL && g_ascii_strcasecmp (quant, tag) == 0)
        return (int) index;
    }
  if (g_str_equal (tag, HEARTH_MODEL_NAME_DEFAULT_TAG) && ggufs->len == 1)
    return (int) g_array_index (ggufs, guint, 0);

  for (guint i = 0; i < ggufs->len; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                            (char *) files->pdata[g_array_index (ggufs, guint, i)]);
  fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                           _("“%s” has no GGUF file for “%s” (its GGUF files: %s)"),
                           self->hf_repo, tag, ggufs->len > 0 ? names->str : "—"));
  return -1;
}

/* A file list that did not come: the repository is missing (@missing), or
 * the mirror answered something else. */
static void
list_failed (HearthPull *self,
             gboolean    missing,
             guint       status)
{
  if (missing)
    fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                             _("no repository named “%s” on %s"), self->hf_repo, self->hf_endpoint));
  else
    fail (self, g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                             _("%s did not list the files of “%s” (status %u)"), self->hf_endpoint,
                             self->hf_repo, status));
}

/* @body as a JSON object, or NULL. */
static JsonObject *
parse_object (JsonParser *parser,
              GBytes     *body)
{
  JsonNode *root;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), NULL)
      || !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)))
    return NULL;
  return json_node_get_object (root);
}

static void file_list_modelscope (HearthPull *self);

/* A repository path in a URL: each part escaped, the slashes kept. */
static char *
escape_path (const char *path)
{
  return g_uri_escape_string (path, "/", FALSE);
}

/* The repository's files, from ModelScope's API ({"Code": 200, "Data":
 * {"Files": [{"Path", "Type": "blob", "Size", "Sha256"}]}}): the size and
 * SHA-256 it gives are checked as the file arrives. */
static void
on_modelscope_file_list (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr (HearthPull) self = user_data;
  guint status = 0;
  g_autoptr (GBytes) body = finish_get (self, source, result, &status);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GPtrArray) entries = g_ptr_array_new ();
  g_autofree char *escaped = NULL;
  JsonObject *root, *data;
  JsonArray *files;
  int chosen;

  if (body == NULL)
    return;
  root = status == SOUP_STATUS_OK ? parse_object (parser, body) : NULL;
  data = root != NULL && json_object_has_member (root, "Data")
             && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "Data"))
           ? json_object_get_object_member (root, "Data") : NULL;
  files = data != NULL && json_object_has_member (data, "Files")
              && JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "Files"))
            ? json_object_get_array_member (data, "Files") : NULL;
  if (files == NULL)
    {
      /* 404, or a revision without files ("Files": null) */
      list_failed (self, status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_UNAUTHORIZED
                           || status == SOUP_STATUS_FORBIDDEN || data != NULL, status);
      return;
    }
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonNode *node = json_array_get_element (files, i);
      JsonObject *file = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *path = file != NULL ? json_object_get_string_member_with_default (file, "Path", NULL)
                                      : NULL;

      if (path != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (file, "Type", "blob"), "blob") == 0)
        {
          g_ptr_array_add (paths, (gpointer) path);
          g_ptr_array_add (entries, file);
        }
    }
  chosen = choose_gguf (self, paths);
  if (chosen < 0)
    return;
  {
    JsonObject *file = entries->pdata[chosen];
    const char *sha = json_object_get_string_member_with_default (file, "Sha256", NULL);
    gint64 size = json_object_get_int_member_with_default (file, "Size", 0);

    g_clear_pointer (&self->file_sha256, g_free);
    if (sha != NULL && strlen (sha) == 64 && strspn (sha, "0123456789abcdefABCDEF") == 64)
      self->file_sha256 = g_ascii_strdown (sha, -1);
    self->file_size = size > 0 ? (guint64) size : 0;
  }
  escaped = escape_path (paths->pdata[chosen]);
  /* ModelScope's default branch is master */
  self->file_url = g_strdup_printf ("%s/models/%s/resolve/master/%s", self->hf_endpoint,
                                    self->hf_repo, escaped);
  file_download (self);
}

static void
file_list_modelscope (HearthPull *self)
{
  g_autofree char *url = g_strdup_printf ("%s/api/v1/models/%s/repo/files?Revision=master"
                                          "&Recursive=True", self->hf_endpoint, self->hf_repo);

  send_get (self, url, "application/json", _("listing files"), on_modelscope_file_list);
}

/* The repository's files, from the Hugging Face API ({"siblings":
 * [{"rfilename"}]}). A mirror that does not answer it is asked as
 * ModelScope is. */
static void
on_file_list (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (HearthPull) self = user_data;
  guint status = 0;
  g_autoptr (GBytes) body = finish_get (self, source, result, &status);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autofree char *escaped = NULL;
  JsonObject *root;
  JsonArray *siblings = NULL;
  int chosen;

  if (body == NULL)
    return;
  root = status == SOUP_STATUS_OK ? parse_object (parser, body) : NULL;
  if (root != NULL && json_object_has_member (root, "siblings")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "siblings")))
    siblings = json_object_get_array_member (root, "siblings");
  if (siblings == NULL)
    {
      /* not Hugging Face's API: perhaps ModelScope's */
      if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_OK)
        file_list_modelscope (self);
      else
        list_failed (self, status == SOUP_STATUS_UNAUTHORIZED, status);
      return;
    }
  for (guint i = 0; i < json_array_get_length (siblings); i++)
    {
      JsonNode *node = json_array_get_element (siblings, i);
      const char *file = JSON_NODE_HOLDS_OBJECT (node)
                           ? json_object_get_string_member_with_default (
                               json_node_get_object (node), "rfilename", NULL)
                           : NULL;

      if (file != NULL)
        g_ptr_array_add (paths, (gpointer) file);
    }
  chosen = choose_gguf (self, paths);
  if (chosen < 0)
    return;
  escaped = escape_path (paths->pdata[chosen]);
  self->file_url = g_strdup_printf ("%s/%s/resolve/main/%s", self->hf_endpoint, self->hf_repo,
                                    escaped);
  file_download (self);
}

/* Whether @endpoint is ModelScope's own site (its API needs no probing). */
static gboolean
is_modelscope (const char *endpoint)
{
  g_autoptr (GUri) uri = g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  return host != NULL
         && (g_ascii_strcasecmp (host, "modelscope.cn") == 0 || g_str_has_suffix (host, ".modelscope.cn"));
}

static void
file_start (HearthPull *self)
{
  g_autofree char *url = NULL;

  if (self->file_url != NULL)
    {
      file_download (self);
      return;
    }
  if (is_modelscope (self->hf_endpoint))
    {
      file_list_modelscope (self);
      return;
    }
  url = g_strdup_printf ("%s/api/models/%s", self->hf_endpoint, self->hf_repo);
  send_get (self, url, "application/json", _("listing files"), on_file_list);
}

void
hearth_pull_start (HearthPull *self)
{
  g_autofree char *url = NULL;

  g_return_if_fail (HEARTH_IS_PULL (self));

  if (self->running || self->state == HEARTH_PULL_STATE_DONE)
    return;
  self->running = TRUE;
  self->state = HEARTH_PULL_STATE_RUNNING;
  g_clear_error (&self->error);
  save_record (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
  if (self->download != NULL)
    {
      /* resumed after a pause: the blob where it was */
      hearth_download_start (self->download);
      return;
    }
  if (self->file_mode)
    {
      file_start (self);
      return;
    }
  if (self->manifest != NULL)
    {
      next_blob (self);
      return;
    }
  url = g_strdup_printf ("%s/v2/%s/%s/manifests/%s", self->base, self->name->namespace_,
                         self->name->model, self->name->tag);
  send_get (self, url, HEARTH_MEDIA_TYPE_MANIFEST, _("pulling manifest"), on_manifest);
}

void
hearth_pull_pause (HearthPull *self)
{
  g_return_if_fail (HEARTH_IS_PULL (self));

  if (!self->running)
    return;
  if (self->download != NULL)
    hearth_download_pause (self->download);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  self->running = FALSE;
  self->state = HEARTH_PULL_STATE_PAUSED;
  g_clear_error (&self->error);
  save_record (self, TRUE);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

void
hearth_pull_stop (HearthPull   *self,
                  const GError *reason)
{
  g_return_if_fail (HEARTH_IS_PULL (self));
  g_return_if_fail (reason != NULL);

  hearth_pull_pause (self);
  g_clear_error (&self->error);
  self->error = g_error_copy (reason);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

/* Deletes what a download into @dest left (its partial file and state). */
static void
discard (HearthPull *self,
         const char *url,
         const char *dest)
{
  g_autoptr (HearthDownload) d = hearth_download_new (self->session, url, dest, NULL, 0);
  g_autofree char *lock = g_strconcat (dest, ".partial.lock", NULL);

  hearth_download_cancel (d);
  g_unlink (lock);
}

void
hearth_pull_cancel (HearthPull *self)
{
  g_return_if_fail (HEARTH_IS_PULL (self));

  if (self->state == HEARTH_PULL_STATE_DONE)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->download != NULL)
    {
      g_autoptr (HearthDownload) d = g_steal_pointer (&self->download);

      g_signal_handlers_disconnect_by_data (d, self);
      hearth_download_cancel (d);
    }
  /* what earlier runs left of the blobs still to come (by the manifest
   * they recorded, where this run has not read it) */
  if (self->blobs->len == 0)
    {
      g_autoptr (HearthStorePending) record = hearth_store_pending_get (
        self->store, hearth_pull_get_name (self));
      g_autoptr (JsonNode) manifest = NULL;

      if (record != NULL && record->manifest != NULL
          && (manifest = hearth_store_parse_manifest (record->manifest, strlen (record->manifest),
                                                      record->name, NULL)) != NULL)
        add_blobs (self, manifest);
    }
  for (guint i = self->next; self->blobs != NULL && i < self->blobs->len; i++)
    {
      g_autofree char *path = hearth_store_blob_path (
        self->store, ((BlobItem *) self->blobs->pdata[i])->digest, NULL);

      if (path != NULL)
        discard (self, self->base, path);
    }
  if (self->file_url != NULL)
    {
      g_autofree char *path = file_download_path (self);

      discard (self, self->file_url, path);
    }
  hearth_store_pending_forget (self->store, hearth_pull_get_name (self));
  /* and the files it completed that nothing else uses (the config blob,
   * say): with its record gone, nobody would see them again */
  {
    g_autoptr (GPtrArray) released = g_ptr_array_new ();

    for (guint i = 0; i < self->blobs->len; i++)
      g_ptr_array_add (released, ((BlobItem *) self->blobs->pdata[i])->digest);
    g_ptr_array_add (released, NULL);
    hearth_store_prune (self->store, (const char *const *) released->pdata);
  }
  self->running = FALSE;
  self->state = HEARTH_PULL_STATE_IDLE;
  self->bytes_done = 0;
  g_clear_error (&self->error);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

HearthPullState
hearth_pull_get_state (HearthPull *self)
{
  g_return_val_if_fail (HEARTH_IS_PULL (self), HEARTH_PULL_STATE_IDLE);

  return self->state;
}

const GError *
hearth_pull_get_error (HearthPull *self)
{
  g_return_val_if_fail (HEARTH_IS_PULL (self), NULL);

  return self->error;
}

const char *
hearth_pull_get_source (HearthPull *self)
{
  g_return_val_if_fail (HEARTH_IS_PULL (self), NULL);

  return self->source;
}

guint64
hearth_pull_get_bytes_done (HearthPull *self)
{
  return self->bytes_done;
}

guint64
hearth_pull_get_bytes_total (HearthPull *self)
{
  return self->bytes_total;
}

gboolean
hearth_pull_get_blob (HearthPull   *self,
                      const char  **digest,
                      guint64      *done,
                      guint64      *total)
{
  BlobItem *item;

  g_return_val_if_fail (HEARTH_IS_PULL (self), FALSE);

  if (self->file_mode || self->download == NULL || self->next >= self->blobs->len)
    return FALSE;
  item = self->blobs->pdata[self->next];
  *digest = item->digest;
  *done = hearth_download_get_bytes_done (self->download);
  *total = item->size;
  return TRUE;
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

gint64
hearth_pull_get_eta (HearthPull *self)
{
  guint64 done = self->bytes_done, total = self->bytes_total;
  double speed = hearth_pull_get_speed (self);

  if (self->state != HEARTH_PULL_STATE_RUNNING || total == 0 || done > total || speed < 1.0)
    return -1;
  return (gint64) ((double) (total - done) / speed + 0.5);
}
