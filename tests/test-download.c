/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthDownload against two local SoupServers on 127.0.0.1 that serve a
 * generated blob and misbehave on request: dropped connections, stalls,
 * error statuses with Retry-After, redirects from one to the other, a
 * corrupt body, ignored or bogus ranges. Each server logs the Range and
 * If-Range of every request, so that tests can see a resume really resumed.
 * Every wait has a deadline; nothing here can hang.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-download.h"

#define BLOB_SIZE   (2 * 1024 * 1024 + 12345)
#define MIB         (1024 * 1024)
#define DEADLINE_S  20
#define ETAG        "\"blob-v1\""
#define LAST_MOD    "Tue, 01 Aug 2023 10:00:00 GMT"

typedef enum {
  ACTION_STATUS, /* answer `status` (with Retry-After `retry_after`) */
  ACTION_DROP,   /* send `at` bytes of the body, then close the connection */
  ACTION_STALL,  /* send `at` bytes, then nothing for `ms`, then close */
  ACTION_BOGUS,  /* 206 with a Content-Range that starts elsewhere */
} ActionKind;

typedef struct
{
  ActionKind kind;
  guint status;
  const char *retry_after;
  gsize at;
  guint ms;
} Action;

typedef struct _Fixture Fixture;

typedef struct
{
  Fixture *fixture;
  SoupServer *server;
  char *base; /* http://127.0.0.1:PORT */
  GPtrArray *log;
  GQueue script; /* of Action *, one per request, then normal service */
} Server;

/* A response written a piece at a time. */
typedef struct
{
  SoupServerMessage *msg;
  const guint8 *data;
  gsize length;
  gsize pos;
  gsize stop_at; /* G_MAXSIZE: never */
  guint stop_ms;
  guint source;
  gboolean finished;
  Fixture *fixture;
} Stream;

struct _Fixture
{
  GBytes *blob;
  GBytes *corrupt_blob;
  char *sha256;
  char *dir;
  char *dest;
  char *partial;
  char *state;
  SoupSession *session;
  Server a, b;
  GPtrArray *streams;

  /* server behaviour */
  gboolean ignore_range;
  gboolean corrupt;
  gsize chunk;           /* 0: the whole body at once */
  guint chunk_interval;  /* ms between chunks */

  /* what the download did */
  GArray *progress; /* guint64 bytes-done at each ::progress */
  gboolean finished;
  guint finished_count;
  GError *finished_error;
  gboolean timed_out;
  guint held; /* ::progress with bytes-done above the partial file's size */
};

/* ---- the servers */

static void
log_request (Server            *server,
             SoupServerMessage *msg,
             const char        *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *range = soup_message_headers_get_one (headers, "Range");
  const char *if_range = soup_message_headers_get_one (headers, "If-Range");

  g_ptr_array_add (server->log,
                   g_strdup_printf ("%s range=%s if-range=%s", path, range ? range : "-",
                                    if_range ? if_range : "-"));
}

static gboolean stream_drop_cb (gpointer user_data);

/* Queues the next piece of the body; at the stop point, the drop. */
static void
stream_next (Stream *s)
{
  SoupMessageBody *body = soup_server_message_get_response_body (s->msg);
  gsize end = MIN (s->length, s->stop_at);
  gsize n = s->fixture->chunk ? s->fixture->chunk : end - s->pos;

  if (s->pos == s->stop_at)
    {
      if (s->source == 0)
        s->source = g_timeout_add (s->stop_ms, stream_drop_cb, s);
      return;
    }
  if (s->pos == s->length)
    {
      soup_message_body_complete (body);
      return;
    }
  n = MIN (n, end - s->pos);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, s->data + s->pos, n);
  s->pos += n;
}

static gboolean
stream_drop_cb (gpointer user_data)
{
  Stream *s = user_data;

  s->source = 0;
  if (!s->finished)
    {
      g_autoptr (GIOStream) conn = soup_server_message_steal_connection (s->msg);

      s->finished = TRUE;
      if (conn != NULL)
        g_io_stream_close (conn, NULL, NULL);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
stream_next_cb (gpointer user_data)
{
  Stream *s = user_data;

  s->source = 0;
  if (!s->finished)
    {
      stream_next (s);
      soup_server_message_unpause (s->msg);
    }
  return G_SOURCE_REMOVE;
}

static void
stream_wrote_chunk_cb (SoupServerMessage *msg,
                       Stream            *s)
{
  if (s->finished || s->source != 0)
    return;
  if (s->pos == s->stop_at || s->pos == s->length || s->fixture->chunk_interval == 0)
    stream_next (s);
  else
    s->source = g_timeout_add (s->fixture->chunk_interval, stream_next_cb, s);
}

static void
stream_finished_cb (SoupServerMessage *msg,
                    Stream            *s)
{
  s->finished = TRUE;
  g_clear_handle_id (&s->source, g_source_remove);
}

static void
stream_free (Stream *s)
{
  g_clear_handle_id (&s->source, g_source_remove);
  g_signal_handlers_disconnect_by_data (s->msg, s);
  g_object_unref (s->msg);
  g_free (s);
}

static void
respond (Fixture           *f,
         SoupServerMessage *msg,
         guint              status,
         const guint8      *data,
         gsize              length,
         gsize              stop_at,
         guint              stop_ms)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Stream *s;

  soup_server_message_set_status (msg, status, NULL);
  /* SoupServer answers Range requests to a 200 by itself when it keeps the
   * body; the test server does that itself, or ignores them. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  if (stop_at == G_MAXSIZE && f->chunk == 0)
    {
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        (const char *) data, length);
      return;
    }

  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_set_content_length (headers, (goffset) length);
  s = g_new0 (Stream, 1);
  s->msg = g_object_ref (msg);
  s->data = data;
  s->length = length;
  s->stop_at = stop_at;
  s->stop_ms = stop_ms;
  s->fixture = f;
  g_ptr_array_add (f->streams, s);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_wrote_chunk_cb), s);
  g_signal_connect (msg, "finished", G_CALLBACK (stream_finished_cb), s);
  stream_next (s);
}

static void
server_cb (SoupServer        *soup_server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Server *server = user_data;
  Fixture *f = server->fixture;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *range = soup_message_headers_get_one (request, "Range");
  const char *if_range = soup_message_headers_get_one (request, "If-Range");
  g_autofree Action *action = NULL;
  GBytes *blob = f->corrupt ? f->corrupt_blob : f->blob;
  const guint8 *data = g_bytes_get_data (blob, NULL);
  gsize size = g_bytes_get_size (blob);
  gsize start = 0;
  gsize stop_at = G_MAXSIZE;
  guint stop_ms = 0;

  log_request (server, msg, path);

  if (strcmp (path, "/redirect") == 0)
    {
      g_autofree char *target = g_strdup_printf ("%s/blob", f->b.base);

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, target);
      return;
    }
  if (strcmp (path, "/blob") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "no", 2);
      return;
    }

  action = g_queue_pop_head (&server->script);
  if (action != NULL && action->kind == ACTION_STATUS)
    {
      soup_server_message_set_status (msg, action->status, NULL);
      if (action->retry_after != NULL)
        soup_message_headers_replace (headers, "Retry-After", action->retry_after);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "busy", 4);
      return;
    }
  if (action != NULL && action->kind == ACTION_DROP)
    stop_at = action->at;
  if (action != NULL && action->kind == ACTION_STALL)
    {
      stop_at = action->at;
      stop_ms = action->ms;
    }

  soup_message_headers_replace (headers, "ETag", ETAG);
  soup_message_headers_replace (headers, "Last-Modified", LAST_MOD);

  if (range != NULL && !f->ignore_range && (if_range == NULL || strcmp (if_range, ETAG) == 0))
    {
      guint64 first;

      g_assert_true (g_str_has_prefix (range, "bytes="));
      g_assert_true (g_str_has_suffix (range, "-"));
      first = g_ascii_strtoull (range + 6, NULL, 10);
      if (first >= size)
        {
          g_autofree char *value = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, size);

          soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
          soup_message_headers_replace (headers, "Content-Range", value);
          return;
        }
      start = (gsize) first;
      if (action != NULL && action->kind == ACTION_BOGUS)
        soup_message_headers_set_content_range (headers, 0, (goffset) (size - start - 1),
                                                (goffset) size);
      else
        soup_message_headers_set_content_range (headers, (goffset) start, (goffset) size - 1,
                                                (goffset) size);
      respond (f, msg, SOUP_STATUS_PARTIAL_CONTENT, data + start, size - start, stop_at, stop_ms);
      return;
    }
  respond (f, msg, SOUP_STATUS_OK, data, size, stop_at, stop_ms);
}

static void
script (Server    *server,
        ActionKind kind,
        guint      status,
        const char *retry_after,
        gsize      at,
        guint      ms)
{
  Action *action = g_new0 (Action, 1);

  action->kind = kind;
  action->status = status;
  action->retry_after = retry_after;
  action->at = at;
  action->ms = ms;
  g_queue_push_tail (&server->script, action);
}

/* HTTPS with @certificate, else plain HTTP. */
static void
server_start_full (Fixture         *f,
                   Server          *server,
                   GTlsCertificate *certificate)
{
  g_autoptr (GError) error = NULL;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  GSList *uris;

  server->fixture = f;
  server->server = soup_server_new ("tls-certificate", certificate, NULL);
  server->log = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&server->script);
  soup_server_add_handler (server->server, NULL, server_cb, server, NULL);
  if (certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  g_assert_true (soup_server_listen_local (server->server, 0, options, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server->server);
  g_assert_nonnull (uris);
  server->base = g_strdup_printf ("%s://127.0.0.1:%d", certificate ? "https" : "http",
                                  g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
server_start (Fixture *f,
              Server  *server)
{
  server_start_full (f, server, NULL);
}

static void
server_stop (Server *server)
{
  soup_server_disconnect (server->server);
  g_clear_object (&server->server);
  g_clear_pointer (&server->base, g_free);
  g_clear_pointer (&server->log, g_ptr_array_unref);
  g_queue_clear_full (&server->script, g_free);
}

/* ---- fixture */

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);
  g_autoptr (GError) error = NULL;
  guint8 *bytes = g_malloc (BLOB_SIZE);
  guint8 *corrupt;

  for (gsize i = 0; i < BLOB_SIZE; i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  corrupt = g_memdup2 (bytes, BLOB_SIZE);
  corrupt[BLOB_SIZE / 2] ^= 0x55;
  f->blob = g_bytes_new_take (bytes, BLOB_SIZE);
  f->corrupt_blob = g_bytes_new_take (corrupt, BLOB_SIZE);
  f->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, f->blob);

  f->dir = g_dir_make_tmp ("hearth-download-XXXXXX", &error);
  g_assert_no_error (error);
  f->dest = g_build_filename (f->dir, "models", "blobs", "sha256-blob", NULL);
  f->partial = g_strconcat (f->dest, ".partial", NULL);
  f->state = g_strconcat (f->dest, ".partial.json", NULL);

  f->session = soup_session_new ();
  f->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  f->progress = g_array_new (FALSE, FALSE, sizeof (guint64));
  server_start (f, &f->a);
  server_start (f, &f->b);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  g_clear_pointer (&f->streams, g_ptr_array_unref);
  soup_session_abort (f->session);
  server_stop (&f->a);
  server_stop (&f->b);
  /* Let the callbacks of what was aborted run down. */
  for (int i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  g_clear_object (&f->session);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->dest);
  g_free (f->partial);
  g_free (f->state);
  g_free (f->sha256);
  g_bytes_unref (f->blob);
  g_bytes_unref (f->corrupt_blob);
  g_array_unref (f->progress);
  g_clear_error (&f->finished_error);
}

/* ---- driving a download */

static void
progress_cb (HearthDownload *dl,
             Fixture        *f)
{
  guint64 done = hearth_download_get_bytes_done (dl);
  GStatBuf st;

  g_array_append_val (f->progress, done);
  if (g_stat (f->partial, &st) == 0 && (guint64) st.st_size < done)
    f->held++;
}

static void
finished_cb (HearthDownload *dl,
             const GError   *error,
             Fixture        *f)
{
  f->finished = TRUE;
  f->finished_count++;
  g_clear_error (&f->finished_error);
  if (error != NULL)
    f->finished_error = g_error_copy (error);
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

static HearthDownload *
new_download (Fixture    *f,
              Server     *server,
              const char *path,
              const char *sha256,
              guint64     size)
{
  g_autofree char *url = g_strdup_printf ("%s%s", server->base, path);
  HearthDownload *dl = hearth_download_new (f->session, url, f->dest, sha256, size);

  hearth_download_set_backoff (dl, 10);
  hearth_download_set_stall_timeout (dl, 2000);
  g_signal_connect (dl, "progress", G_CALLBACK (progress_cb), f);
  g_signal_connect (dl, "finished", G_CALLBACK (finished_cb), f);
  return dl;
}

/* Iterates until *@flag, failing the test after DEADLINE_S seconds. */
static void
iterate_until (Fixture  *f,
               gboolean *flag)
{
  guint deadline = g_timeout_add_seconds (DEADLINE_S, deadline_cb, &f->timed_out);

  f->timed_out = FALSE;
  while (!*flag && !f->timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (f->timed_out)
    g_error ("timed out after %d s", DEADLINE_S);
  g_source_remove (deadline);
}

static void
run (Fixture        *f,
     HearthDownload *dl)
{
  f->finished = FALSE;
  hearth_download_start (dl);
  iterate_until (f, &f->finished);
}

static void
assert_progress_monotonic (Fixture *f)
{
  for (guint i = 1; i < f->progress->len; i++)
    g_assert_cmpuint (g_array_index (f->progress, guint64, i), >=,
                      g_array_index (f->progress, guint64, i - 1));
}

static void
assert_done (Fixture        *f,
             HearthDownload *dl)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_no_error (f->finished_error);
  g_assert_null (hearth_download_get_error (dl));
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_DONE);
  g_assert_true (g_file_get_contents (f->dest, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, BLOB_SIZE);
  g_assert_cmpmem (contents, length, g_bytes_get_data (f->blob, NULL), BLOB_SIZE);
  g_assert_cmpstr (hearth_download_get_sha256 (dl), ==, f->sha256);
  g_assert_false (g_file_test (f->partial, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (hearth_download_get_bytes_done (dl), ==, BLOB_SIZE);
  g_assert_cmpuint (hearth_download_get_bytes_total (dl), ==, BLOB_SIZE);
  g_assert_cmpuint (f->progress->len, >, 0);
  g_assert_cmpuint (g_array_index (f->progress, guint64, f->progress->len - 1), ==, BLOB_SIZE);
  assert_progress_monotonic (f);
}

static void
assert_log (Server     *server,
            guint       index,
            const char *expected)
{
  g_assert_cmpuint (server->log->len, >, index);
  g_assert_cmpstr (g_ptr_array_index (server->log, index), ==, expected);
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (guint64) st.st_size;
}

/* ---- tests */

static void
test_full (Fixture      *f,
           gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_IDLE);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->finished_count, ==, 1);
  g_assert_cmpuint (f->a.log->len, ==, 1);
  assert_log (&f->a, 0, "/blob range=- if-range=-");

  /* Done is done: start() again does nothing. */
  hearth_download_start (dl);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (f->a.log->len, ==, 1);
}

/* One download per destination: a second one, while the first runs, is
 * refused at once with BUSY and touches nothing; the lock file goes with the
 * finished download. */
static void
test_busy (Fixture      *f,
           gconstpointer data)
{
  g_autoptr (HearthDownload) first = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  g_autoptr (HearthDownload) second = NULL;
  g_autofree char *lock = g_strconcat (f->dest, ".partial.lock", NULL);
  g_autofree char *url = g_strdup_printf ("%s/blob", f->a.base);

  hearth_download_start (first);
  g_assert_true (g_file_test (lock, G_FILE_TEST_EXISTS));
  second = hearth_download_new (f->session, url, f->dest, f->sha256, BLOB_SIZE);
  hearth_download_start (second);
  g_assert_cmpint (hearth_download_get_state (second), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_error ((GError *) hearth_download_get_error (second), HEARTH_DOWNLOAD_ERROR,
                  HEARTH_DOWNLOAD_ERROR_BUSY);
  g_assert_nonnull (strstr (hearth_download_get_error (second)->message,
                            "is being downloaded already"));

  f->finished = FALSE;
  iterate_until (f, &f->finished);
  assert_done (f, first);
  g_assert_false (g_file_test (lock, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (f->a.log->len, ==, 1);
}

static void
test_unknown_size (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", NULL, 0);

  run (f, dl);
  assert_done (f, dl);
}

static void
test_resume_after_drop (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  script (&f->a, ACTION_DROP, 0, NULL, MIB, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  assert_log (&f->a, 0, "/blob range=- if-range=-");
  assert_log (&f->a, 1, "/blob range=bytes=1048576- if-range=" ETAG);
}

static void
test_drops_every_time (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  /* Six drops with max-retries 2: each attempt receives something, so none
   * counts towards pausing. */
  hearth_download_set_max_retries (dl, 2);
  for (int i = 0; i < 6; i++)
    script (&f->a, ACTION_DROP, 0, NULL, 300000, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 7);
  assert_log (&f->a, 6, "/blob range=bytes=1800000- if-range=" ETAG);
}

static void
mid_progress_cb (HearthDownload *dl,
                 gboolean       *flag)
{
  guint64 done = hearth_download_get_bytes_done (dl);

  if (done > 0 && done < BLOB_SIZE)
    *flag = TRUE;
}

static void
test_restart (Fixture      *f,
              gconstpointer data)
{
  HearthDownload *dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  g_autoptr (HearthDownload) dl2 = NULL;
  g_autofree char *expected = NULL;
  gboolean mid = FALSE;
  guint64 kept;

  /* Slow enough to be caught half-way. */
  f->chunk = 64 * 1024;
  f->chunk_interval = 10;
  g_signal_connect (dl, "progress", G_CALLBACK (mid_progress_cb), &mid);
  hearth_download_start (dl);
  iterate_until (f, &mid);

  /* As a process that exits: drop the object in the middle. */
  g_object_unref (dl);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (f->finished);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (f->state, G_FILE_TEST_IS_REGULAR));
  kept = file_size (f->partial);
  g_assert_cmpuint (kept, >, 0);
  g_assert_cmpuint (kept, <, BLOB_SIZE);

  f->chunk = 0;
  g_array_set_size (f->progress, 0);
  dl2 = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  run (f, dl2);
  assert_done (f, dl2);
  /* The new object said at once what the partial file held. */
  g_assert_cmpuint (g_array_index (f->progress, guint64, 0), ==, kept);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  expected = g_strdup_printf ("/blob range=bytes=%" G_GUINT64_FORMAT "- if-range=" ETAG, kept);
  assert_log (&f->a, 1, expected);
}

static void
test_pause_resume (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  g_autofree char *expected = NULL;
  gboolean mid = FALSE;
  guint64 kept;

  f->chunk = 64 * 1024;
  f->chunk_interval = 10;
  g_signal_connect (dl, "progress", G_CALLBACK (mid_progress_cb), &mid);
  hearth_download_start (dl);
  iterate_until (f, &mid);
  hearth_download_pause (dl);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_PAUSED);
  g_assert_null (hearth_download_get_error (dl));
  g_assert_cmpfloat (hearth_download_get_speed (dl), ==, 0);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (f->finished);
  kept = file_size (f->partial);
  g_assert_cmpuint (kept, >, 0);
  g_assert_cmpuint (hearth_download_get_bytes_done (dl), ==, kept);

  f->chunk = 0;
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  expected = g_strdup_printf ("/blob range=bytes=%" G_GUINT64_FORMAT "- if-range=" ETAG, kept);
  assert_log (&f->a, 1, expected);
}

static void
test_cancel (Fixture      *f,
             gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  gboolean mid = FALSE;

  f->chunk = 64 * 1024;
  f->chunk_interval = 10;
  g_signal_connect (dl, "progress", G_CALLBACK (mid_progress_cb), &mid);
  hearth_download_start (dl);
  iterate_until (f, &mid);
  hearth_download_cancel (dl);

  g_assert_true (f->finished);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CANCELLED);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_IDLE);
  g_assert_null (hearth_download_get_error (dl));
  g_assert_cmpuint (hearth_download_get_bytes_done (dl), ==, 0);
  g_assert_false (g_file_test (f->partial, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));

  /* And it can start again, from nothing. */
  f->chunk = 0;
  g_array_set_size (f->progress, 0);
  run (f, dl);
  assert_done (f, dl);
  assert_log (&f->a, 1, "/blob range=- if-range=-");
}

static void
test_corrupt (Fixture      *f,
              gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  g_autofree char *bad = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, f->corrupt_blob);
  g_autofree char *message = NULL;

  f->corrupt = TRUE;
  run (f, dl);
  message = g_strdup_printf ("the downloaded file is corrupt (expected sha256:%s, got "
                             "sha256:%s); it will be downloaded again", f->sha256, bad);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CORRUPT);
  g_assert_cmpstr (f->finished_error->message, ==, message);
  g_assert_error (hearth_download_get_error (dl), HEARTH_DOWNLOAD_ERROR,
                  HEARTH_DOWNLOAD_ERROR_CORRUPT);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->partial, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
  g_assert_null (hearth_download_get_sha256 (dl));
  assert_progress_monotonic (f);
  g_assert_cmpuint (f->a.log->len, ==, 1);

  /* Downloaded again, from byte 0, once the server is right. */
  f->corrupt = FALSE;
  g_array_set_size (f->progress, 0);
  run (f, dl);
  assert_done (f, dl);
  assert_log (&f->a, 1, "/blob range=- if-range=-");
}

static void
test_wrong_size (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", NULL, BLOB_SIZE + 1);

  run (f, dl);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CORRUPT);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->partial, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
}

static void
test_ignore_range (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  f->ignore_range = TRUE;
  f->chunk = 64 * 1024;
  f->chunk_interval = 10;
  script (&f->a, ACTION_DROP, 0, NULL, MIB + 4096, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  assert_log (&f->a, 1, "/blob range=bytes=1052672- if-range=" ETAG);

  /* The second transfer started from 0 under the 1 MiB + 4 KiB already
   * shown, which stayed until the real count passed it. */
  g_assert_cmpuint (f->held, >, 1);
}

static void
test_not_found (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/missing", f->sha256, BLOB_SIZE);
  gint64 start = g_get_monotonic_time ();

  run (f, dl);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NOT_FOUND);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_cmpuint (f->a.log->len, ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));
  g_assert_nonnull (strstr (f->finished_error->message, "404"));
}

static void
test_too_many_requests (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  gint64 start = g_get_monotonic_time ();

  script (&f->a, ACTION_STATUS, 429, "0", 0, 0);
  script (&f->a, ACTION_STATUS, 503, "1", 0, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 3);
  /* Retry-After: 1 was honoured over the 10 ms backoff. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC * 9 / 10);
}

static void
test_server_errors_pause (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  hearth_download_set_max_retries (dl, 3);
  /* Some of the file, then the server breaks: the 3 retries after the drop
   * all get 500. */
  script (&f->a, ACTION_DROP, 0, NULL, MIB, 0);
  for (int i = 0; i < 3; i++)
    script (&f->a, ACTION_STATUS, 500, NULL, 0, 0);
  run (f, dl);

  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_PAUSED);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP);
  g_assert_error (hearth_download_get_error (dl), HEARTH_DOWNLOAD_ERROR,
                  HEARTH_DOWNLOAD_ERROR_HTTP);
  g_assert_nonnull (strstr (hearth_download_get_error (dl)->message, "500"));
  g_assert_cmpuint (f->a.log->len, ==, 4);
  g_assert_cmpuint (file_size (f->partial), ==, MIB);
  g_assert_cmpuint (hearth_download_get_bytes_done (dl), ==, MIB);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));

  /* The server recovers; the person presses resume. */
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 5);
  assert_log (&f->a, 4, "/blob range=bytes=1048576- if-range=" ETAG);
}

static void
test_stall (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  gint64 start = g_get_monotonic_time ();

  hearth_download_set_stall_timeout (dl, 300);
  script (&f->a, ACTION_STALL, 0, NULL, 512 * 1024, 5000);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  assert_log (&f->a, 1, "/blob range=bytes=524288- if-range=" ETAG);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
}

static void
test_stall_pauses (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  hearth_download_set_stall_timeout (dl, 100);
  hearth_download_set_max_retries (dl, 1);
  script (&f->a, ACTION_STALL, 0, NULL, 0, 5000);
  script (&f->a, ACTION_STALL, 0, NULL, 0, 5000);
  run (f, dl);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_PAUSED);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_STALLED);
  g_assert_cmpuint (f->a.log->len, ==, 2);
}

static void
test_redirect (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/redirect", f->sha256, BLOB_SIZE);

  script (&f->b, ACTION_DROP, 0, NULL, MIB, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 2);
  g_assert_cmpuint (f->b.log->len, ==, 2);
  assert_log (&f->a, 1, "/redirect range=bytes=1048576- if-range=" ETAG);
  assert_log (&f->b, 0, "/blob range=- if-range=-");
  assert_log (&f->b, 1, "/blob range=bytes=1048576- if-range=" ETAG);
}

static void
test_no_space (Fixture      *f,
               gconstpointer data)
{
  guint64 huge = G_GUINT64_CONSTANT (1) << 60;
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, huge);
  g_autofree char *dir = g_path_get_dirname (f->dest);
  g_autofree char *needs = g_format_size (huge); /* "1.2 EB", with a no-break space */
  g_autofree char *prefix = g_strdup_printf ("not enough space in %s: the download needs %s more, ",
                                             dir, needs);

  run (f, dl);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NO_SPACE);
  g_assert_true (g_str_has_prefix (f->finished_error->message, prefix));
  g_assert_true (g_str_has_suffix (f->finished_error->message, " are free"));
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_cmpuint (f->a.log->len, ==, 0);
}

static void
write_state (Fixture    *f,
             const char *json)
{
  g_autofree char *dir = g_path_get_dirname (f->dest);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (f->state, json, -1, NULL));
}

static void
write_partial (Fixture *f,
               gsize    length)
{
  g_autofree char *dir = g_path_get_dirname (f->dest);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (f->partial, g_bytes_get_data (f->blob, NULL),
                                      (gssize) length, NULL));
}

static void
test_malformed_state (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("%s/blob", f->a.base);
  g_autofree char *valid_other = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s/other\",\"sha256\":null,\"expected-size\":0,"
    "\"total-size\":0,\"etag\":null,\"last-modified\":null}", f->a.base);
  g_autofree char *bad_etag = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s\",\"sha256\":\"%s\",\"expected-size\":%d,"
    "\"total-size\":%d,\"etag\":\"a\\r\\nX-Evil: 1\",\"last-modified\":null}",
    url, f->sha256, BLOB_SIZE, BLOB_SIZE);
  g_autofree char *wrong_sha = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s\",\"sha256\":\"%064d\",\"expected-size\":%d,"
    "\"total-size\":%d,\"etag\":null,\"last-modified\":null}", url, 0, BLOB_SIZE, BLOB_SIZE);
  g_autofree char *huge_total = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s\",\"sha256\":\"%s\",\"expected-size\":%d,"
    "\"total-size\":99999999999999999999999,\"etag\":null,\"last-modified\":null}",
    url, f->sha256, BLOB_SIZE);
  const char *states[] = {
    "",
    "not json at all {",
    "[]",
    "null",
    "{}",
    "{\"version\":2}",
    "{\"version\":1,\"url\":5}",
    "{\"version\":1,\"url\":\"x\",\"sha256\":\"ABC\",\"expected-size\":-1}",
    "{\"version\":\"1\",\"url\":null,\"total-size\":1.5}",
    valid_other,
    bad_etag,
    wrong_sha,
    huge_total,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr (HearthDownload) dl = NULL;

      g_test_message ("state file: %s", states[i]);
      g_unlink (f->dest);
      write_state (f, states[i]);
      /* Bytes that are not the blob's: they must not be kept. */
      write_partial (f, MIB);
      {
        guint8 junk[4096] = { 0 };
        FILE *fp = fopen (f->partial, "r+b");

        g_assert_nonnull (fp);
        fwrite (junk, 1, sizeof junk, fp);
        fclose (fp);
      }

      g_array_set_size (f->progress, 0);
      dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
      run (f, dl);
      assert_done (f, dl);
      assert_log (&f->a, f->a.log->len - 1, "/blob range=- if-range=-");
    }
}

static void
test_state_without_partial (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (HearthDownload) dl = NULL;

  /* A partial file without its state cannot be trusted either. */
  write_partial (f, MIB);
  dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  run (f, dl);
  assert_done (f, dl);
  assert_log (&f->a, 0, "/blob range=- if-range=-");
}

static void
test_complete_partial_416 (Fixture      *f,
                           gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("%s/blob", f->a.base);
  g_autofree char *state = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s\",\"sha256\":null,\"expected-size\":0,"
    "\"total-size\":0,\"etag\":\"%s\",\"last-modified\":null}", url, "\\\"blob-v1\\\"");
  g_autoptr (HearthDownload) dl = NULL;
  g_autofree char *expected = g_strdup_printf ("/blob range=bytes=%d- if-range=" ETAG,
                                               BLOB_SIZE);

  /* Everything arrived, but the run ended before the rename and before the
   * total was known: the server answers 416 and the file is verified. */
  write_state (f, state);
  write_partial (f, BLOB_SIZE);
  dl = new_download (f, &f->a, "/blob", NULL, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 1);
  assert_log (&f->a, 0, expected);
}

static void
test_complete_partial_known (Fixture      *f,
                             gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("%s/blob", f->a.base);
  g_autofree char *state = g_strdup_printf (
    "{\"version\":1,\"url\":\"%s\",\"sha256\":\"%s\",\"expected-size\":%d,"
    "\"total-size\":%d,\"etag\":null,\"last-modified\":null}", url, f->sha256, BLOB_SIZE,
    BLOB_SIZE);
  g_autoptr (HearthDownload) dl = NULL;

  /* With the size known, a complete partial file needs no request. */
  write_state (f, state);
  write_partial (f, BLOB_SIZE);
  dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 0);
}

static void
test_bogus_range (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (HearthDownload) dl = new_download (f, &f->a, "/blob", f->sha256, BLOB_SIZE);

  /* A drop, then a 206 for the wrong bytes: the download starts over
   * without Range rather than trust it. */
  script (&f->a, ACTION_DROP, 0, NULL, MIB, 0);
  script (&f->a, ACTION_BOGUS, 0, NULL, 0, 0);
  run (f, dl);
  assert_done (f, dl);
  g_assert_cmpuint (f->a.log->len, ==, 3);
  assert_log (&f->a, 1, "/blob range=bytes=1048576- if-range=" ETAG);
  assert_log (&f->a, 2, "/blob range=- if-range=-");
}

static void
test_bad_url (Fixture      *f,
              gconstpointer data)
{
  const char *urls[] = { "ftp://example.com/x", "not a url", "http://", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr (HearthDownload) dl = hearth_download_new (f->session, urls[i], f->dest, NULL, 0);

      g_signal_connect (dl, "finished", G_CALLBACK (finished_cb), f);
      run (f, dl);
      g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP);
      g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
    }
}

static void
test_connection_refused (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (HearthDownload) dl = NULL;
  g_autofree char *url = g_strdup_printf ("%s/blob", f->b.base);

  /* Nobody listens there any more. */
  server_stop (&f->b);
  server_start (f, &f->b);
  dl = hearth_download_new (f->session, url, f->dest, NULL, 0);
  hearth_download_set_backoff (dl, 10);
  hearth_download_set_max_retries (dl, 2);
  g_signal_connect (dl, "finished", G_CALLBACK (finished_cb), f);
  run (f, dl);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_PAUSED);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NETWORK);
}

/* A self-signed certificate for 127.0.0.1, made for this test only (its key
 * protects nothing). No trust store knows it. */
static const char self_signed_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBkTCCATagAwIBAgIUd0STxnz7y24FMR7DzoJtfuNKescwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNDA4MTE1N1oYDzIxMjYxMDMx\n"
  "MDgxMTU3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAARROzR8MArNjlbCih4sPyxzEzENC8V40XsP9uxhv1I0gacLwj/Ffmj0\n"
  "yOO/kCgxKAO/a+b2DfslwoeNQy40yKhxo2QwYjAdBgNVHQ4EFgQUvU4b2/X3RMiT\n"
  "KbQ21vSIMt4oBmswHwYDVR0jBBgwFoAUvU4b2/X3RMiTKbQ21vSIMt4oBmswDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC\n"
  "IQClw9FeFGfobr8J/MU8dhYNxImzWtOkjaQfxAA/D3S2xAIhAP1Jxvuy35MYwVSw\n"
  "j3wtWCMwLAamd8bVHcLEJHZ+7aSN\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9C1NZC6dOBvF/g66\n"
  "rHhDzh+pF6beeR7Cdv8pzrRdM/OhRANCAARROzR8MArNjlbCih4sPyxzEzENC8V4\n"
  "0XsP9uxhv1I0gacLwj/Ffmj0yOO/kCgxKAO/a+b2DfslwoeNQy40yKhx\n"
  "-----END PRIVATE KEY-----\n";

static void
test_tls_untrusted (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (HearthDownload) dl = NULL;
  Server tls = { 0 };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking) is installed");
      return;
    }
  certificate = g_tls_certificate_new_from_pem (self_signed_pem, -1, &error);
  g_assert_no_error (error);
  server_start_full (f, &tls, certificate);

  /* The certificate is refused, at once and for good: never retried,
   * never accepted. */
  dl = new_download (f, &tls, "/blob", f->sha256, BLOB_SIZE);
  run (f, dl);
  g_assert_error (f->finished_error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_TLS);
  g_test_message ("%s", f->finished_error->message);
  g_assert_cmpint (hearth_download_get_state (dl), ==, HEARTH_DOWNLOAD_STATE_FAILED);
  g_assert_cmpuint (tls.log->len, ==, 0);
  g_assert_false (g_file_test (f->dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->partial, G_FILE_TEST_EXISTS));
  server_stop (&tls);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* The download keeps the session's default proxy resolver; here it is
   * GIO's direct one, so that the test reaches 127.0.0.1 whatever the
   * machine's proxy settings (and needs no GNOME proxy schema). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

#define ADD(path, func) \
  g_test_add ("/app/download/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("full", test_full);
  ADD ("busy", test_busy);
  ADD ("unknown-size", test_unknown_size);
  ADD ("resume-after-drop", test_resume_after_drop);
  ADD ("drops-every-time", test_drops_every_time);
  ADD ("restart", test_restart);
  ADD ("pause-resume", test_pause_resume);
  ADD ("cancel", test_cancel);
  ADD ("corrupt", test_corrupt);
  ADD ("wrong-size", test_wrong_size);
  ADD ("ignore-range", test_ignore_range);
  ADD ("not-found", test_not_found);
  ADD ("too-many-requests", test_too_many_requests);
  ADD ("server-errors-pause", test_server_errors_pause);
  ADD ("stall", test_stall);
  ADD ("stall-pauses", test_stall_pauses);
  ADD ("redirect", test_redirect);
  ADD ("no-space", test_no_space);
  ADD ("malformed-state", test_malformed_state);
  ADD ("state-without-partial", test_state_without_partial);
  ADD ("complete-partial-416", test_complete_partial_416);
  ADD ("complete-partial-known", test_complete_partial_known);
  ADD ("bogus-range", test_bogus_range);
  ADD ("bad-url", test_bad_url);
  ADD ("connection-refused", test_connection_refused);
  ADD ("tls-untrusted", test_tls_untrusted);
#undef ADD

  return g_test_run ();
}
