/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HEAD and POST /api/blobs/sha256:HEX: whether the store has a blob, and a
 * blob sent to it, as `ollama create` sends a GGUF file before naming it
 * in /api/create's "files". A GGUF file is gigabytes: its bytes are never
 * held in memory nor under the server's limit on a request's body; from
 * the early handler on they go to a new file beside the blob's place,
 * hashed as they come (hearth_store_blob_writer_new ()), and become the
 * blob only if their SHA-256 is the one the address names.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-server-private.h"
#include "hearth-store.h"

#define BLOBS_PREFIX "/api/blobs/"

typedef struct {
  HearthStoreBlobWriter *writer; /* NULL: nothing (more) to write */
  GError *error;                 /* a write that failed */
  gboolean existed;              /* the store had it: the bytes are let go */
} Upload;

static void
upload_free (gpointer data)
{
  Upload *up = data;

  g_clear_pointer (&up->writer, hearth_store_blob_writer_free);
  g_clear_error (&up->error);
  g_free (up);
}

/* "sha256:hex" (lower case) from the address's "sha256:HEX" or
 * "sha256-HEX", as Ollama takes both; NULL where it is neither. */
static char *
parse_digest (const char *path)
{
  const char *text = path + strlen (BLOBS_PREFIX);

  if (strlen (text) != 7 + 64 || !g_str_has_prefix (text, "sha256") || (text[6] != ':' && text[6] != '-'))
    return NULL;
  for (const char *c = text + 7; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c))
      return NULL;
  {
    char *digest = g_strdup_printf ("sha256:%s", text + 7);

    for (char *c = digest + 7; *c != '\0'; c++)
      *c = g_ascii_tolower (*c);
    return digest;
  }
}

static void
upload_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           data)
{
  Upload *up = data;
  gsize len;
  const void *bytes = g_bytes_get_data (chunk, &len);

  if (up->writer == NULL)
    return;
  if (!hearth_store_blob_writer_write (up->writer, bytes, len, &up->error))
    g_clear_pointer (&up->writer, hearth_store_blob_writer_free);
}

gboolean
hearth_server_blobs_early (HearthServer      *self,
                           SoupServerMessage *msg,
                           const char        *path)
{
  HearthStore *store = hearth_context_get_store (self->context);
  g_autofree char *digest = NULL;
  g_autofree char *blob = NULL;
  Upload *up;

  if (!g_str_has_prefix (path, BLOBS_PREFIX))
    return FALSE;
  /* whatever comes, it is not kept in memory */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  digest = parse_digest (path);
  if (digest == NULL || !g_str_equal (soup_server_message_get_method (msg), "POST"))
    return TRUE;
  up = g_new0 (Upload, 1);
  blob = hearth_store_blob_path (store, digest, NULL);
  if (g_file_test (blob, G_FILE_TEST_IS_REGULAR))
    up->existed = TRUE;
  else
    up->writer = hearth_store_blob_writer_new (store, digest, &up->error);
  g_object_set_data_full (G_OBJECT (msg), "hearth-blob-upload", up, upload_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (upload_chunk), up);
  return TRUE;
}

typedef struct {
  HearthServerStream *stream;   /* outlives the server: ended here */
  HearthStoreBlobWriter *writer;
} Finish;

static void
finish_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  Finish *f = data;
  GError *error = NULL;

  if (hearth_store_blob_writer_finish (f->writer, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
finish_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Finish *f = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean done = g_task_propagate_boolean (G_TASK (result), &error);

  /* the temporary file goes now, before the client hears (the task itself
   * may be freed later, by the thread that ran it) */
  g_clear_pointer (&f->writer, hearth_store_blob_writer_free);
  if (done)
    hearth_server_stream_reply (f->stream, SOUP_STATUS_CREATED, NULL);
  else
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      gboolean mismatch = g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error->message);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      hearth_server_stream_reply (f->stream, mismatch ? SOUP_STATUS_BAD_REQUEST
                                                      : SOUP_STATUS_INTERNAL_SERVER_ERROR, node);
    }
}

static void
finish_free (gpointer data)
{
  Finish *f = data;

  g_clear_pointer (&f->writer, hearth_store_blob_writer_free);
  g_free (f);
}

/* HEAD /api/blobs/DIGEST: 200 where the store has it, else 404. POST: 201
 * once received and checked (200 where the store had it already), 400
 * where the bytes are not the digest's. */
void
hearth_server_route_blobs (HearthServer      *self,
                           SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  HearthStore *store = hearth_context_get_store (self->context);
  g_autofree char *digest = NULL;
  g_autofree char *blob = NULL;
  Upload *up;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "HEAD", "POST", NULL }))
    return;
  digest = parse_digest (path);
  if (digest == NULL)
    {
      /* Translators: what follows /api/blobs/ in the address */
      g_autofree char *text = g_strdup_printf (_("“%s” is not a digest: the address ends in sha256: and "
                                                 "64 hexadecimal digits"), path + strlen (BLOBS_PREFIX));

      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return;
    }
  blob = hearth_store_blob_path (store, digest, NULL);
  if (g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      soup_server_message_set_status (msg, g_file_test (blob, G_FILE_TEST_IS_REGULAR)
                                           ? SOUP_STATUS_OK : SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  up = g_object_get_data (G_OBJECT (msg), "hearth-blob-upload");
  if (up == NULL || up->existed)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      return;
    }
  if (up->writer == NULL)
    {
      hearth_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                 up->error != NULL ? up->error->message : "");
      return;
    }
  /* fsync and rename: seconds for a large file, in a thread */
  {
    g_autoptr (GTask) task = g_task_new (NULL, NULL, finish_done, NULL);
    Finish *f = g_new0 (Finish, 1);

    f->writer = g_steal_pointer (&up->writer);
    f->stream = hearth_server_stream_new (self, msg);
    g_task_set_task_data (task, f, finish_free);
    g_task_run_in_thread (task, finish_thread);
  }
}
