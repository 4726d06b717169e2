/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "test-registry.h"

TestRegistry test_registry;

static char *
digest_of (const guchar *data,
           gsize         len)
{
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);

  return g_strdup_printf ("sha256:%s", hex);
}

typedef struct {
  SoupServerMessage *msg;
  gsize at, end;
  gboolean gone;          /* the client went away (killed) */
} SlowBody;

static void
on_slow_gone (SoupServerMessage *msg,
              SlowBody          *b)
{
  b->gone = TRUE;
}

static gboolean
send_chunk (gpointer user_data)
{
  SlowBody *b = user_data;
  gsize n = MIN ((gsize) 16384, b->end - b->at);
  SoupMessageBody *body = soup_server_message_get_response_body (b->msg);

  if (b->gone)
    {
      g_signal_handlers_disconnect_by_data (b->msg, b);
      g_object_unref (b->msg);
      g_free (b);
      return G_SOURCE_REMOVE;
    }

  if (test_registry.drop_at > 0 && b->at >= test_registry.drop_at)
    {
      g_autoptr (GIOStream) conn = soup_server_message_steal_connection (b->msg);

      /* once: the next request is served to the end */
      test_registry.drop_at = 0;
      test_registry.drops++;
      if (conn != NULL)
        g_io_stream_close (conn, NULL, NULL);
      g_signal_handlers_disconnect_by_data (b->msg, b);
      g_object_unref (b->msg);
      g_free (b);
      return G_SOURCE_REMOVE;
    }
  soup_message_body_append (body, SOUP_MEMORY_COPY,
                            (const char *) g_bytes_get_data (test_registry.model, NULL) + b->at, n);
  b->at += n;
  if (b->at >= b->end)
    soup_message_body_complete (body);
  soup_server_message_unpause (b->msg);
  if (b->at >= b->end)
    {
      g_signal_handlers_disconnect_by_data (b->msg, b);
      g_object_unref (b->msg);
      g_free (b);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
serve (SoupServer        *server,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *query,
       gpointer           user_data)
{
  g_autofree char *manifest_path = g_strdup ("/v2/library/stories/manifests/latest");
  g_autofree char *model_path = g_strdup_printf ("/v2/library/stories/blobs/%s",
                                                 test_registry.model_digest);
  g_autofree char *config_path = g_strdup_printf ("/v2/library/stories/blobs/%s",
                                                  test_registry.config_digest);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *alias_prefix = test_registry.alias != NULL
                                    ? g_strdup_printf ("/v2/%s/", test_registry.alias) : NULL;
  g_autofree char *aliased = NULL;

  /* another name for stories: its manifest for any tag, its blobs */
  if (alias_prefix != NULL && g_str_has_prefix (path, alias_prefix))
    {
      const char *rest = path + strlen (alias_prefix);

      if (g_str_has_prefix (rest, "manifests/"))
        path = manifest_path;
      else if (g_str_has_prefix (rest, "blobs/"))
        path = aliased = g_strconcat ("/v2/library/stories/", rest, NULL);
    }
  if (test_registry.blob_missing && g_str_equal (path, model_path))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  /* a Hugging Face mirror: the API's file list, and files by name */
  if (g_str_equal (path, "/api/models/u/r"))
    {
      static const char list[] = "{\"id\":\"u/r\",\"siblings\":[{\"rfilename\":\"README.md\"},"
                                 "{\"rfilename\":\"stories-Q8_0.gguf\"},"
                                 "{\"rfilename\":\"sub/other-Q4_K_M.gguf\"},"
                                 "{\"rfilename\":\"bad-F16.gguf\"}]}";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, list,
                                        strlen (list));
      return;
    }
  if (g_str_equal (path, "/u/r/resolve/main/bad-F16.gguf"))
    {
      static const char junk[] = "this is not a GGUF file";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC, junk,
                                        strlen (junk));
      return;
    }
  if (g_str_equal (path, "/u/r/resolve/main/stories-Q8_0.gguf"))
    path = model_path;   /* served below, with Range */

  /* a ModelScope mirror for "ms/r" (its API only: Hugging Face's list is a
   * 404 here): the file list with sizes and SHA-256s, files by name on the
   * master branch, redirected to a "CDN" */
  if (g_str_equal (path, "/api/v1/models/ms/r/repo/files"))
    {
      const char *revision = query != NULL ? g_hash_table_lookup (query, "Revision") : NULL;
      g_autofree char *list = NULL;

      if (g_strcmp0 (revision, "master") != 0)
        list = g_strdup ("{\"Code\":200,\"Data\":{\"Files\":null},\"Success\":true}");
      else
        list = g_strdup_printf (
          "{\"Code\":200,\"Data\":{\"Files\":["
          "{\"Name\":\"sub\",\"Path\":\"sub\",\"Type\":\"tree\",\"Size\":0},"
          "{\"Name\":\"README.md\",\"Path\":\"README.md\",\"Type\":\"blob\",\"Size\":10},"
          "{\"Name\":\"stories-Q8_0.gguf\",\"Path\":\"stories-Q8_0.gguf\",\"Type\":\"blob\","
          "\"Size\":%" G_GSIZE_FORMAT ",\"Sha256\":\"%s\"},"
          "{\"Name\":\"wrong-Q4_0.gguf\",\"Path\":\"sub/wrong-Q4_0.gguf\",\"Type\":\"blob\","
          "\"Size\":%" G_GSIZE_FORMAT ",\"Sha256\":\"%064d\"}]},\"Success\":true}",
          g_bytes_get_size (test_registry.model), test_registry.model_digest + 7,
          g_bytes_get_size (test_registry.model), 0);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, list,
                                        strlen (list));
      return;
    }
  if (g_str_equal (path, "/api/v1/models/ms/empty/repo/files"))
    {
      static const char list[] = "{\"Code\":200,\"Data\":{\"Files\":null},\"Success\":true}";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, list,
                                        strlen (list));
      return;
    }
  if (g_str_equal (path, "/models/ms/r/resolve/master/stories-Q8_0.gguf")
      || g_str_equal (path, "/models/ms/r/resolve/master/sub/wrong-Q4_0.gguf"))
    {
      g_autofree char *cdn = g_strdup_printf ("%s/cdn/%s", test_registry.base,
                                              strstr (path, "wrong") ? "wrong.gguf" : "stories.gguf");

      test_registry.modelscope_requests++;
      soup_server_message_set_redirect (msg, 302, cdn);
      return;
    }
  if (g_str_equal (path, "/cdn/stories.gguf") || g_str_equal (path, "/cdn/wrong.gguf"))
    path = model_path;   /* served below, with Range */

  if (g_str_equal (path, manifest_path))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/vnd.docker.distribution.manifest.v2+json",
                                        SOUP_MEMORY_COPY, test_registry.manifest,
                                        strlen (test_registry.manifest));
      return;
    }
  if (g_str_equal (path, config_path))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        test_registry.config, strlen (test_registry.config));
      return;
    }
  if (g_str_equal (path, model_path))
    {
      const char *range = soup_message_headers_get_one (
        soup_server_message_get_request_headers (msg), "Range");
      gsize size = g_bytes_get_size (test_registry.model);
      gsize start = 0;

      if (range != NULL && g_str_has_prefix (range, "bytes="))
        {
          start = (gsize) g_ascii_strtoull (range + 6, NULL, 10);
          test_registry.range_requests++;
          test_registry.last_range_start = start;
        }
      if (start >= size)
        {
          soup_server_message_set_status (msg, 416, NULL);
          return;
        }
      if (start > 0)
        {
          g_autofree char *content_range = g_strdup_printf ("bytes %" G_GSIZE_FORMAT "-%"
                                                            G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT,
                                                            start, size - 1, size);

          soup_server_message_set_status (msg, 206, NULL);
          soup_message_headers_replace (headers, "Content-Range", content_range);
        }
      else
        soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (headers, "application/octet-stream", NULL);
      if (test_registry.corrupt)
        {
          g_autofree char *bytes = g_memdup2 ((const char *) g_bytes_get_data (test_registry.model,
                                                                               NULL) + start,
                                              size - start);

          bytes[(size - start) / 2] ^= 0x5a;
          soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                                    bytes, size - start);
          return;
        }
      if (!test_registry.slow)
        {
          soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                                    (const char *) g_bytes_get_data (test_registry.model, NULL) + start,
                                    size - start);
          return;
        }
      {
        SlowBody *b = g_new0 (SlowBody, 1);

        soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
        b->msg = g_object_ref (msg);
        b->at = start;
        b->end = size;
        g_signal_connect (msg, "disconnected", G_CALLBACK (on_slow_gone), b);
        g_signal_connect (msg, "finished", G_CALLBACK (on_slow_gone), b);
        soup_server_message_pause (msg);
        g_timeout_add (20, send_chunk, b);
      }
      return;
    }
  soup_server_message_set_status (msg, 404, NULL);
}

void
test_registry_start (const char *model_file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  GSList *uris;

  g_assert_true (g_file_get_contents (model_file, &data, &len, &error));
  test_registry.model = g_bytes_new (data, len);
  test_registry.model_digest = digest_of ((const guchar *) data, len);
  test_registry.config = g_strdup_printf ("{\"model_format\":\"gguf\",\"model_family\":\"llama\","
                                     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                                     test_registry.model_digest);
  test_registry.config_digest = digest_of ((const guchar *) test_registry.config, strlen (test_registry.config));
  test_registry.manifest = g_strdup_printf (
    "{\"schemaVersion\":2,"
    "\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
    "\"digest\":\"%s\",\"size\":%" G_GSIZE_FORMAT "},"
    "\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
    "\"digest\":\"%s\",\"size\":%" G_GSIZE_FORMAT "}]}",
    test_registry.config_digest, strlen (test_registry.config), test_registry.model_digest, len);

  test_registry.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (test_registry.server, NULL, serve, NULL, NULL);
  g_assert_true (soup_server_listen_local (test_registry.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
                                           &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (test_registry.server);
  test_registry.base = g_uri_to_string (uris->data);
  /* no trailing slash */
  if (g_str_has_suffix (test_registry.base, "/"))
    test_registry.base[strlen (test_registry.base) - 1] = '\0';
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_setenv ("HEARTH_REGISTRY", test_registry.base, TRUE);
}

void
test_registry_stop (void)
{
  if (test_registry.server != NULL)
    soup_server_disconnect (test_registry.server);
  g_clear_object (&test_registry.server);
  g_clear_pointer (&test_registry.base, g_free);
  g_clear_pointer (&test_registry.model, g_bytes_unref);
  g_clear_pointer (&test_registry.model_digest, g_free);
  g_clear_pointer (&test_registry.config, g_free);
  g_clear_pointer (&test_registry.config_digest, g_free);
  g_clear_pointer (&test_registry.manifest, g_free);
}
