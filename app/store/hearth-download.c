/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-download"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hearth-download.h"

#define BUFFER_SIZE          (256 * 1024)
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 10)
#define MAX_BACKOFF_MS       60000
#define MAX_RETRY_AFTER_S    3600
#define STATE_FILE_MAX       65536
#define STATE_VERSION        1
#define HEADER_VALUE_MAX     1024

/* One try at the transfer: hashing what the partial file holds, then one
 * request and its body. Every asynchronous call holds a reference; the
 * attempt outlives its download when that is paused or disposed while a call
 * is pending, and the callback then only lets go. */
typedef struct
{
  guint ref_count;

  HearthDownload *self; /* borrowed; NULL once the attempt is over */
  GCancellable *cancellable;

  /* owned */
  GInputStream *prefix; /* the partial file, while hashing it */
  SoupMessage *msg;
  GInputStream *body;
  guint8 *buffer;

  guint64 hashed;   /* bytes of the partial file hashed so far */
  guint64 received; /* body bytes received in this attempt */
  guint64 end;      /* where the body ends in the file; 0: unknown */
  gboolean stalled; /* cancelled by the stall timer */
} Attempt;

struct _HearthDownload
{
  GObject parent_instance;

  /* construct-only */
  SoupSession *session;
  char *url;
  GUri *uri; /* NULL when url is not a usable http(s) URL */
  char *dest_path;
  char *partial_path;
  char *state_path;
  char *lock_path;      /* DEST.partial.lock, flock()ed while the download runs */
  int lock_fd;
  char *expected_sha256;
  guint64 expected_size;

  /* tunables */
  guint stall_timeout_ms;
  guint max_retries;
  guint backoff_ms;

  /* what people see */
  HearthDownloadState state;
  guint64 bytes_done; /* high-water mark */
  double speed;
  GError *error;
  char *sha256; /* of the final file, once DONE */

  /* the partial file as this object knows it */
  gboolean state_loaded; /* the state file was read (or found wanting) */
  guint64 offset;        /* bytes in the partial file */
  GChecksum *checksum;   /* SHA-256 of those bytes; NULL: not hashed yet */
  guint64 total;         /* the whole file's size from the server; 0: unknown */
  char *etag;
  char *last_modified;
  gboolean no_range; /* the server's ranges cannot be trusted: start from 0 */

  /* the transfer */
  Attempt *attempt;
  GOutputStream *out; /* appending to the partial file */
  guint failures;     /* failed attempts in a row that received nothing */
  guint retry_source;
  guint stall_source;
  gint64 last_activity;
  gint64 last_emit;
  gint64 speed_since;
  guint64 speed_bytes;
};

G_DEFINE_FINAL_TYPE (HearthDownload, hearth_download, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-download-error-quark, hearth_download_error)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_URL,
  PROP_DEST_PATH,
  PROP_EXPECTED_SHA256,
  PROP_EXPECTED_SIZE,
  PROP_STATE,
  PROP_BYTES_DONE,
  PROP_BYTES_TOTAL,
  PROP_SPEED,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PROGRESS,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GType
hearth_download_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { HEARTH_DOWNLOAD_STATE_IDLE, "HEARTH_DOWNLOAD_STATE_IDLE", "idle" },
    { HEARTH_DOWNLOAD_STATE_RUNNING, "HEARTH_DOWNLOAD_STATE_RUNNING", "running" },
    { HEARTH_DOWNLOAD_STATE_RETRYING, "HEARTH_DOWNLOAD_STATE_RETRYING", "retrying" },
    { HEARTH_DOWNLOAD_STATE_PAUSED, "HEARTH_DOWNLOAD_STATE_PAUSED", "paused" },
    { HEARTH_DOWNLOAD_STATE_FAILED, "HEARTH_DOWNLOAD_STATE_FAILED", "failed" },
    { HEARTH_DOWNLOAD_STATE_DONE, "HEARTH_DOWNLOAD_STATE_DONE", "done" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    {
      GType t = g_enum_register_static (g_intern_static_string ("HearthDownloadState"), values);

      g_once_init_leave (&type, t);
    }
  return type;
}

/* ---- attempts */

static Attempt *
attempt_new (HearthDownload *self)
{
  Attempt *attempt = g_new0 (Attempt, 1);

  attempt->ref_count = 1;
  attempt->self = self;
  attempt->cancellable = g_cancellable_new ();
  attempt->buffer = g_malloc (BUFFER_SIZE);
  return attempt;
}

static Attempt *
attempt_ref (Attempt *attempt)
{
  attempt->ref_count++;
  return attempt;
}

static void
attempt_unref (Attempt *attempt)
{
  if (--attempt->ref_count > 0)
    return;

  /* Closing a response body that was not read to its end does not read the
   * rest: libsoup marks the connection as not reusable and drops it. */
  if (attempt->body != NULL)
    g_input_stream_close (attempt->body, NULL, NULL);
  if (attempt->prefix != NULL)
    g_input_stream_close (attempt->prefix, NULL, NULL);
  g_clear_object (&attempt->body);
  g_clear_object (&attempt->prefix);
  g_clear_object (&attempt->msg);
  g_clear_object (&attempt->cancellable);
  g_free (attempt->buffer);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_unref)

/* ---- validation of what comes from outside */

static void
set_str (char      **ptr,
         const char *value)
{
  char *copy;

  if (*ptr == value)
    return;
  copy = g_strdup (value);
  g_free (*ptr);
  *ptr = copy;
}

static gboolean
is_sha256_hex (const char *s)
{
  gsize i;

  for (i = 0; s[i] != '\0'; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return i == 64;
}

/* A header value we may store and send back: printable ASCII, bounded. */
static gboolean
is_header_value (const char *s)
{
  gsize i;

  for (i = 0; s[i] != '\0'; i++)
    if (s[i] < 0x20 || s[i] > 0x7e || i >= HEADER_VALUE_MAX)
      return FALSE;
  return i > 0;
}

static gboolean
parse_uint64 (const char  *s,
              const char **end,
              guint64     *value)
{
  guint64 v = 0;
  const char *p = s;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint digit = (guint) (*p - '0');

      if (v > ((guint64) G_MAXINT64 - digit) / 10)
        return FALSE;
      v = v * 10 + digit;
    }
  *end = p;
  *value = v;
  return TRUE;
}

/* A Content-Range value: "bytes FIRST-LAST/TOTAL", or "bytes FIRST-LAST/"
 * followed by a star (@total then 0), or "bytes " and a star followed by
 * "/TOTAL" (@first and @last then G_MAXUINT64). */
static gboolean
parse_content_range (const char *value,
                     guint64    *first,
                     guint64    *last,
                     guint64    *total)
{
  const char *p;

  if (value == NULL || g_ascii_strncasecmp (value, "bytes", 5) != 0)
    return FALSE;
  p = value + 5;
  if (*p != ' ')
    return FALSE;
  while (*p == ' ')
    p++;

  if (*p == '*')
    {
      *first = *last = G_MAXUINT64;
      p++;
    }
  else
    {
      if (!parse_uint64 (p, &p, first) || *p++ != '-' || !parse_uint64 (p, &p, last)
          || *last < *first)
        return FALSE;
    }
  if (*p++ != '/')
    return FALSE;
  if (*p == '*')
    {
      if (*first == G_MAXUINT64)
        return FALSE;
      *total = 0;
      p++;
    }
  else if (!parse_uint64 (p, &p, total) || *total == 0
           || (*first != G_MAXUINT64 && *last >= *total))
    return FALSE;
  while (*p == ' ')
    p++;
  return *p == '\0';
}

/* Retry-After in milliseconds (delta-seconds or an HTTP date), or -1. */
static gint64
parse_retry_after (SoupMessage *msg)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Retry-After");
  const char *end;
  guint64 seconds;
  g_autoptr (GDateTime) date = NULL;
  g_autoptr (GDateTime) now = NULL;
  GTimeSpan span;

  if (value == NULL)
    return -1;
  while (*value == ' ')
    value++;
  if (parse_uint64 (value, &end, &seconds))
    {
      while (*end == ' ')
        end++;
      return *end == '\0' ? (gint64) MIN (seconds, MAX_RETRY_AFTER_S) * 1000 : -1;
    }

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  span = g_date_time_difference (date, now);
  return CLAMP (span, 0, (GTimeSpan) MAX_RETRY_AFTER_S * G_TIME_SPAN_SECOND) / 1000;
}

/* ---- the state file */

static gboolean
json_get_string (JsonObject  *object,
                 const char  *name,
                 gboolean     nullable,
                 const char **value)
{
  JsonNode *node = json_object_get_member (object, name);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return nullable;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
json_get_size (JsonObject *object,
               const char *name,
               guint64    *value)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *value = (guint64) v;
  return TRUE;
}

/* Reads DEST.partial.json. Returns TRUE when it describes this download
 * (and takes its validators and total size), FALSE when it is absent,
 * malformed or about something else. */
static gboolean
load_state (HearthDownload *self)
{
  g_autofree char *contents = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length = 0;
  GStatBuf st;
  JsonNode *root;
  JsonObject *object;
  const char *url, *sha256, *etag, *last_modified;
  guint64 expected_size, total, version;

  if (g_stat (self->state_path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > STATE_FILE_MAX)
    return FALSE;
  if (!g_file_get_contents (self->state_path, &contents, &length, NULL)
      || length > STATE_FILE_MAX || !json_parser_load_from_data (parser, contents, length, NULL))
    return FALSE;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  object = json_node_get_object (root);

  if (!json_get_size (object, "version", &version) || version != STATE_VERSION
      || !json_get_string (object, "url", FALSE, &url)
      || !json_get_string (object, "sha256", TRUE, &sha256)
      || !json_get_size (object, "expected-size", &expected_size)
      || !json_get_size (object, "total-size", &total)
      || !json_get_string (object, "etag", TRUE, &etag)
      || !json_get_string (object, "last-modified", TRUE, &last_modified))
    return FALSE;
  if ((sha256 != NULL && !is_sha256_hex (sha256)) || (etag != NULL && !is_header_value (etag))
      || (last_modified != NULL && !is_header_value (last_modified)))
    return FALSE;

  /* The same bytes: the same digest and size when one is known, else the
   * same URL. */
  if (g_strcmp0 (sha256, self->expected_sha256) != 0 || expected_size != self->expected_size)
    return FALSE;
  if (self->expected_sha256 == NULL && g_strcmp0 (url, self->url) != 0)
    return FALSE;
  if (self->expected_size != 0 && total != 0 && total != self->expected_size)
    return FALSE;

  self->total = total;
  /* Validators belong to the URL that gave them (a mirror's differ). */
  if (g_strcmp0 (url, self->url) == 0)
    {
      set_str (&self->etag, etag);
      set_str (&self->last_modified, last_modified);
    }
  return TRUE;
}

static gboolean
save_state (HearthDownload *self,
            GError        **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *data = NULL;
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STATE_VERSION);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, self->url);
  json_builder_set_member_name (builder, "sha256");
  if (self->expected_sha256 != NULL)
    json_builder_add_string_value (builder, self->expected_sha256);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "expected-size");
  json_builder_add_int_value (builder, (gint64) self->expected_size);
  json_builder_set_member_name (builder, "total-size");
  json_builder_add_int_value (builder, (gint64) self->total);
  json_builder_set_member_name (builder, "etag");
  if (self->etag != NULL)
    json_builder_add_string_value (builder, self->etag);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last-modified");
  if (self->last_modified != NULL)
    json_builder_add_string_value (builder, self->last_modified);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, &length);

  if (!g_file_set_contents (self->state_path, data, (gssize) length, error))
    {
      g_prefix_error (error, "could not save the download's state: ");
      return FALSE;
    }
  return TRUE;
}

/* ---- observable state */

/* ---- one download per file, in every process ------------------------------ */

/* Takes DEST's lock, so that no other download (in this process or another
 * Hearth) writes the same partial file; FALSE with
 * HEARTH_DOWNLOAD_ERROR_BUSY where one holds it. */
static gboolean
take_lock (HearthDownload  *self,
           GError         **error)
{
  g_autofree char *dir = NULL;
  int fd;

  if (self->lock_fd >= 0)
    return TRUE;
  dir = g_path_get_dirname (self->lock_path);
  g_mkdir_with_parents (dir, 0755);
  fd = g_open (self->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                   _("could not write %s: %s"), self->lock_path, g_strerror (saved));
      return FALSE;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      g_set_error (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_BUSY,
                   _("%s is being downloaded already (by another download or another Hearth); "
                     "try again when that one ends"), self->dest_path);
      return FALSE;
    }
  self->lock_fd = fd;
  return TRUE;
}

/* Lets DEST's lock go; its file goes too once the download is over (done,
 * or cancelled with its partial file) or has no partial file to guard (a
 * corrupt one, deleted): the lock lives beside a partial file only. */
static void
drop_lock (HearthDownload *self,
           gboolean        remove_file)
{
  if (self->lock_fd < 0)
    return;
  if (remove_file || !g_file_test (self->partial_path, G_FILE_TEST_EXISTS))
    g_unlink (self->lock_path);
  close (self->lock_fd);
  self->lock_fd = -1;
}

static void
set_state (HearthDownload     *self,
           HearthDownloadState state)
{
  /* the lock is held while running or waiting to retry */
  if (state != HEARTH_DOWNLOAD_STATE_RUNNING && state != HEARTH_DOWNLOAD_STATE_RETRYING)
    drop_lock (self, state == HEARTH_DOWNLOAD_STATE_DONE || state == HEARTH_DOWNLOAD_STATE_IDLE);
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Takes @error (may be NULL). */
static void
set_error (HearthDownload *self,
           GError         *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static guint64
known_total (HearthDownload *self)
{
  return self->expected_size != 0 ? self->expected_size : self->total;
}

/* Notifies the counters and emits ::progress, at most every 100 ms unless
 * @force. */
static void
report_progress (HearthDownload *self,
                 gboolean        force)
{
  gint64 now = g_get_monotonic_time ();

  if (!force && now - self->last_emit < PROGRESS_INTERVAL_US)
    return;

  if (self->speed_since != 0 && now - self->speed_since >= PROGRESS_INTERVAL_US)
    {
      double seconds = (double) (now - self->speed_since) / G_USEC_PER_SEC;
      double rate = (double) self->speed_bytes / seconds;
      double alpha = seconds / (seconds + 1.0);

      self->speed = self->speed == 0 ? rate : self->speed + alpha * (rate - self->speed);
      self->speed_since = now;
      self->speed_bytes = 0;
    }

  self->bytes_done = MAX (self->bytes_done, self->offset);
  self->last_emit = now;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_DONE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[PROGRESS], 0);
}

/* ---- the partial file */

static void
close_output (HearthDownload *self)
{
  if (self->out == NULL)
    return;
  g_output_stream_close (self->out, NULL, NULL);
  g_clear_object (&self->out);
}

/* Forgets and deletes the partial file and its state. */
static void
discard_partial (HearthDownload *self)
{
  close_output (self);
  g_unlink (self->partial_path);
  g_unlink (self->state_path);
  self->offset = 0;
  self->total = 0;
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->last_modified, g_free);
  g_clear_pointer (&self->checksum, g_checksum_free);
  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  self->no_range = FALSE;
}

/* Empties the partial file to receive the file again from byte 0; keeps the
 * state. */
static void
restart_partial (HearthDownload *self)
{
  close_output (self);
  g_unlink (self->partial_path);
  self->offset = 0;
  g_clear_pointer (&self->checksum, g_checksum_free);
  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
}

/* Reconciles what this object knows with the files on disk. */
static gboolean
prepare_partial (HearthDownload *self,
                 GError        **error)
{
  g_autofree char *dir = g_path_get_dirname (self->dest_path);
  GStatBuf st;
  guint64 limit;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                   _("could not create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!self->state_loaded)
    {
      self->state_loaded = TRUE;
      /* No state, or a state file we cannot read or trust: whatever the
       * partial file holds is unknown, so start from nothing. */
      if (!load_state (self))
        discard_partial (self);
    }

  if (g_stat (self->partial_path, &st) != 0)
    {
      self->offset = 0;
      g_clear_pointer (&self->checksum, g_checksum_free);
      self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
      return TRUE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                   _("%s is in the way of the download: it is not a regular file"),
                   self->partial_path);
      return FALSE;
    }

  limit = known_total (self);
  if (limit != 0 && (guint64) st.st_size > limit)
    {
      discard_partial (self);
      return TRUE;
    }
  if ((guint64) st.st_size != self->offset || self->checksum == NULL)
    {
      self->offset = (guint64) st.st_size;
      g_clear_pointer (&self->checksum, g_checksum_free);
    }
  return TRUE;
}

static gboolean
check_space (HearthDownload *self,
             guint64         needed,
             GError        **error)
{
  g_autofree char *dir = g_path_get_dirname (self->dest_path);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GFileInfo) info = NULL;
  g_autofree char *needed_str = NULL;
  g_autofree char *free_str = NULL;
  guint64 free_bytes;

  info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (free_bytes >= needed)
    return TRUE;

  needed_str = g_format_size (needed);
  free_str = g_format_size (free_bytes);
  g_set_error (error, HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NO_SPACE,
               _("not enough space in %s: the download needs %s more, %s are free"), dir,
               needed_str, free_str);
  return FALSE;
}

/* ---- ending attempts */

static void
end_attempt (HearthDownload *self)
{
  Attempt *attempt = g_steal_pointer (&self->attempt);

  g_clear_handle_id (&self->stall_source, g_source_remove);
  close_output (self);
  if (attempt != NULL)
    {
      /* A hash of the partial file that was cut short is no hash. */
      if (attempt->prefix != NULL)
        g_clear_pointer (&self->checksum, g_checksum_free);
      attempt->self = NULL;
      g_cancellable_cancel (attempt->cancellable);
      attempt_unref (attempt);
    }
  self->speed = 0;
  self->speed_since = 0;
  self->speed_bytes = 0;
}

/* A failure retrying will not fix. Takes @error. */
static void
fail (HearthDownload *self,
      GError         *error)
{
  end_attempt (self);
  set_error (self, error);
  set_state (self, HEARTH_DOWNLOAD_STATE_FAILED);
  report_progress (self, TRUE);
  g_signal_emit (self, signals[FINISHED], 0, self->error);
}

static void begin_attempt (HearthDownload *self);

static gboolean
retry_cb (gpointer user_data)
{
  g_autoptr (HearthDownload) self = g_object_ref (user_data);

  self->retry_source = 0;
  set_state (self, HEARTH_DOWNLOAD_STATE_RUNNING);
  begin_attempt (self);
  return G_SOURCE_REMOVE;
}

/* A failure that may go away: retry after a backoff, or pause once there
 * were too many. Takes @error. @retry_after_ms: from the server, or -1. */
static void
fail_transient (HearthDownload *self,
                GError         *error,
                gint64          retry_after_ms)
{
  guint64 delay;

  if (self->attempt != NULL && self->attempt->received > 0)
    self->failures = 0;
  end_attempt (self);
  set_error (self, error);
  self->failures++;

  if (self->failures > self->max_retries)
    {
      g_debug ("%s: %u failed attempts, pausing: %s", self->url, self->failures,
               self->error->message);
      self->failures = 0;
      set_state (self, HEARTH_DOWNLOAD_STATE_PAUSED);
      report_progress (self, TRUE);
      g_signal_emit (self, signals[FINISHED], 0, self->error);
      return;
    }

  if (retry_after_ms >= 0)
    delay = (guint64) retry_after_ms;
  else
    delay = MIN ((guint64) self->backoff_ms << MIN (self->failures - 1, 20), MAX_BACKOFF_MS);
  g_debug ("%s: retrying in %" G_GUINT64_FORMAT " ms: %s", self->url, delay,
           self->error->message);

  set_state (self, HEARTH_DOWNLOAD_STATE_RETRYING);
  report_progress (self, TRUE);
  if (self->state == HEARTH_DOWNLOAD_STATE_RETRYING && self->retry_source == 0)
    self->retry_source = g_timeout_add ((guint) delay, retry_cb, self);
}

static void
finish (HearthDownload *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  int fd;

  if (self->out != NULL && !g_output_stream_close (self->out, NULL, &error))
    {
      g_clear_object (&self->out);
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                               _("could not write %s: %s"), self->partial_path, error->message));
      return;
    }
  g_clear_object (&self->out);

  /* The final name must never point at bytes still only in memory. */
  fd = g_open (self->partial_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
  else if (self->offset == 0)
    {
      /* An empty file was never created by a write. */
      g_autoptr (GFile) file = g_file_new_for_path (self->partial_path);
      g_autoptr (GFileOutputStream) out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);

      if (out == NULL)
        {
          fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                                   _("could not write %s: %s"), self->partial_path,
                                   error->message));
          return;
        }
    }

  digest = g_strdup (g_checksum_get_string (self->checksum));
  if (self->expected_size != 0 && self->offset != self->expected_size)
    {
      guint64 got = self->offset;

      discard_partial (self);
      self->bytes_done = 0;
      g_autofree char *want_text = g_strdup_printf ("%" G_GUINT64_FORMAT, self->expected_size);
      g_autofree char *got_text = g_strdup_printf ("%" G_GUINT64_FORMAT, got);

      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CORRUPT,
                               _("the downloaded file is corrupt (expected %s bytes, got %s); "
                                 "it will be downloaded again"),
                               want_text, got_text));
      return;
    }
  if (self->expected_sha256 != NULL && strcmp (digest, self->expected_sha256) != 0)
    {
      discard_partial (self);
      self->bytes_done = 0;
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CORRUPT,
                               _("the downloaded file is corrupt (expected sha256:%s, got "
                               "sha256:%s); it will be downloaded again"),
                               self->expected_sha256, digest));
      return;
    }

  if (g_rename (self->partial_path, self->dest_path) != 0)
    {
      int saved_errno = errno;

      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                               _("could not move the download to %s: %s"), self->dest_path,
                               g_strerror (saved_errno)));
      return;
    }
  g_unlink (self->state_path);

  set_str (&self->sha256, digest);
  g_clear_pointer (&self->checksum, g_checksum_free);
  self->total = self->offset;
  end_attempt (self);
  set_error (self, NULL);
  set_state (self, HEARTH_DOWNLOAD_STATE_DONE);
  report_progress (self, TRUE);
  g_signal_emit (self, signals[FINISHED], 0, NULL);
}

/* ---- receiving */

static gboolean
stall_cb (gpointer user_data)
{
  g_autoptr (HearthDownload) self = g_object_ref (user_data);

  if (g_get_monotonic_time () - self->last_activity
      < (gint64) self->stall_timeout_ms * (G_USEC_PER_SEC / 1000))
    return G_SOURCE_CONTINUE;

  self->stall_source = 0;
  if (self->attempt != NULL)
    {
      self->attempt->stalled = TRUE;
      g_cancellable_cancel (self->attempt->cancellable);
    }
  return G_SOURCE_REMOVE;
}

/* Turns an error from libsoup or GIO into ours, and says whether retrying
 * may help. */
static void
fail_from_gerror (HearthDownload *self,
                  Attempt        *attempt,
                  const GError   *error)
{
  const char *host = g_uri_get_host (self->uri);

  if (attempt->stalled)
    fail_transient (self,
                    g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_STALLED,
                                 _("%s sent nothing for %.1f seconds"), host,
                                 self->stall_timeout_ms / 1000.0),
                    -1);
  else if (error->domain == G_TLS_ERROR)
    fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_TLS,
                             _("could not connect securely to %s: %s"), host, error->message));
  else if (g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS)
           || g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_REDIRECT_NO_LOCATION)
           || g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_REDIRECT_BAD_URI))
    fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP,
                             _("could not download from %s: %s"), host, error->message));
  else
    fail_transient (self,
                    g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NETWORK,
                                 _("could not download from %s: %s"), host, error->message),
                    -1);
}

static void read_body (HearthDownload *self,
                       Attempt        *attempt);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Attempt) attempt = user_data;
  g_autoptr (HearthDownload) self = NULL;
  g_autoptr (GError) error = NULL;
  gsize written = 0;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (attempt->self == NULL)
    return;
  self = g_object_ref (attempt->self);

  if (n < 0)
    {
      fail_from_gerror (self, attempt, error);
      return;
    }

  if (n == 0)
    {
      guint64 end = attempt->end;

      if (end != 0 && self->offset < end)
        fail_transient (self,
                        g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NETWORK,
                                     _("the connection to %s closed before the end of the file"),
                                     g_uri_get_host (self->uri)),
                        -1);
      else if (end != 0 && self->offset > end)
        {
          /* Not progress: this must not reset the count of failures. */
          attempt->received = 0;
          restart_partial (self);
          fail_transient (self,
                          g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP,
                                       _("%s sent more than the whole file"),
                                       g_uri_get_host (self->uri)),
                          -1);
        }
      else
        finish (self);
      return;
    }

  if (!g_output_stream_write_all (self->out, attempt->buffer, (gsize) n, &written, NULL, &error))
    {
      /* What was written is a valid prefix; keep it for later. */
      g_checksum_update (self->checksum, attempt->buffer, written);
      self->offset += written;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        {
          g_autofree char *dir = g_path_get_dirname (self->dest_path);

          fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NO_SPACE,
                                   _("not enough space in %s: %s"), dir, error->message));
        }
      else
        fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                                 _("could not write %s: %s"), self->partial_path, error->message));
      return;
    }
  g_checksum_update (self->checksum, attempt->buffer, (gsize) n);
  self->offset += (guint64) n;
  attempt->received += (guint64) n;
  self->speed_bytes += (guint64) n;
  self->last_activity = g_get_monotonic_time ();

  report_progress (self, FALSE);
  if (self->attempt != attempt) /* a ::progress handler paused or cancelled */
    return;
  read_body (self, attempt);
}

static void
read_body (HearthDownload *self,
           Attempt        *attempt)
{
  g_input_stream_read_async (attempt->body, attempt->buffer, BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             attempt->cancellable, read_cb, attempt_ref (attempt));
}

/* The response is a 200 or 206 for the bytes from self->offset on: check it
 * against what we know, then open the partial file and read. */
static void
receive_body (HearthDownload *self,
              Attempt        *attempt,
              guint64         total)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  SoupMessageHeaders *headers = soup_message_get_response_headers (attempt->msg);
  const char *etag = soup_message_headers_get_one (headers, "ETag");
  const char *last_modified = soup_message_headers_get_one (headers, "Last-Modified");
  GFileOutputStream *out;

  if (self->expected_size != 0 && total != 0 && total != self->expected_size)
    {
      discard_partial (self);
      self->bytes_done = 0;
      g_autofree char *total_text = g_strdup_printf ("%" G_GUINT64_FORMAT, total);
      g_autofree char *want_text = g_strdup_printf ("%" G_GUINT64_FORMAT, self->expected_size);

      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CORRUPT,
                               _("the file on %s has %s bytes, not the expected %s"),
                               g_uri_get_host (self->uri), total_text, want_text));
      return;
    }
  if (total != 0)
    self->total = total;
  attempt->end = known_total (self);

  if (attempt->end != 0 && !check_space (self, attempt->end - self->offset, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }

  /* A 206 may leave the validators out; a 200 is a new representation. */
  if (etag != NULL || soup_message_get_status (attempt->msg) == SOUP_STATUS_OK)
    set_str (&self->etag, etag != NULL && is_header_value (etag) ? etag : NULL);
  if (last_modified != NULL || soup_message_get_status (attempt->msg) == SOUP_STATUS_OK)
    set_str (&self->last_modified,
             last_modified != NULL && is_header_value (last_modified) ? last_modified : NULL);
  if (!save_state (self, &error))
    {
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO, "%s",
                               error->message));
      return;
    }

  file = g_file_new_for_path (self->partial_path);
  out = g_file_append_to (file, G_FILE_CREATE_NONE, NULL, &error);
  if (out == NULL)
    {
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_IO,
                               _("could not write %s: %s"), self->partial_path, error->message));
      return;
    }
  self->out = G_OUTPUT_STREAM (out);
  self->speed_since = g_get_monotonic_time ();
  self->speed_bytes = 0;

  report_progress (self, TRUE);
  if (self->attempt != attempt)
    return;
  read_body (self, attempt);
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (Attempt) attempt = user_data;
  g_autoptr (HearthDownload) self = NULL;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;
  guint64 first, last, total;

  attempt->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (attempt->self == NULL)
    return;
  self = g_object_ref (attempt->self);

  if (attempt->body == NULL)
    {
      fail_from_gerror (self, attempt, error);
      return;
    }
  self->last_activity = g_get_monotonic_time ();

  status = soup_message_get_status (attempt->msg);
  headers = soup_message_get_response_headers (attempt->msg);
  g_debug ("%s: %u, asked from %" G_GUINT64_FORMAT, self->url, status, self->offset);

  if (status == SOUP_STATUS_PARTIAL_CONTENT && self->offset > 0 && !self->no_range)
    {
      if (!parse_content_range (soup_message_headers_get_one (headers, "Content-Range"), &first,
                                &last, &total)
          || first != self->offset || (total != 0 && last + 1 != total)
          || (total != 0 && self->total != 0 && total != self->total))
        {
          /* Ranges from this server cannot be trusted: next time, all of it. */
          self->no_range = TRUE;
          restart_partial (self);
          fail_transient (self,
                          g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP,
                                       _("%s answered with the wrong part of the file"),
                                       g_uri_get_host (self->uri)),
                          0);
          return;
        }
      receive_body (self, attempt, total != 0 ? total : last + 1);
      return;
    }

  if (status == SOUP_STATUS_OK)
    {
      guint64 length = 0;

      /* From byte 0: the server ignored the Range, or the file changed. */
      if (self->offset > 0)
        restart_partial (self);
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        length = (guint64) MAX (soup_message_headers_get_content_length (headers), 0);
      self->total = length;
      receive_body (self, attempt, length);
      return;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && self->offset > 0)
    {
      /* Nothing after self->offset: the partial file may already be all of
       * it; finish() verifies. */
      if (parse_content_range (soup_message_headers_get_one (headers, "Content-Range"), &first,
                               &last, &total)
          && first == G_MAXUINT64 && total == self->offset
          && (self->expected_size == 0 || total == self->expected_size))
        {
          self->total = total;
          finish (self);
          return;
        }
      restart_partial (self);
      fail_transient (self,
                      g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP,
                                   _("%s could not send the rest of the file"),
                                   g_uri_get_host (self->uri)),
                      0);
      return;
    }

  {
    const char *reason = soup_message_get_reason_phrase (attempt->msg);
    g_autofree char *phrase = NULL;
    g_autofree char *what = NULL;

    if (reason == NULL || *reason == '\0' || !g_utf8_validate (reason, -1, NULL))
      reason = soup_status_get_phrase (status);
    phrase = g_strdup (reason != NULL ? reason : "");
    g_strdelimit (phrase, "\r\n\t", ' ');
    what = g_strdup_printf (_("%s answered %u %s"), g_uri_get_host (self->uri), status, phrase);

    if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_NOT_FOUND,
                               _("%s: the file is not there"), what));
    else if (status == 429 /* Too Many Requests */ || status == SOUP_STATUS_REQUEST_TIMEOUT
             || SOUP_STATUS_IS_SERVER_ERROR (status))
      fail_transient (self,
                      g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP, "%s", what),
                      parse_retry_after (attempt->msg));
    else
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP, "%s", what));
  }
}

static void
send_request (HearthDownload *self,
              Attempt        *attempt)
{
  SoupMessageHeaders *headers;
  guint interval;

  attempt->msg = soup_message_new_from_uri (SOUP_METHOD_GET, self->uri);
  headers = soup_message_get_request_headers (attempt->msg);
  /* Ranges count bytes of the file itself, never of a compressed form. */
  soup_message_disable_feature (attempt->msg, SOUP_TYPE_CONTENT_DECODER);
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");

  if (self->no_range && self->offset > 0)
    restart_partial (self);
  if (self->offset > 0)
    {
      soup_message_headers_set_range (headers, (goffset) self->offset, -1);
      /* Only a strong ETag may validate a range. */
      if (self->etag != NULL && !g_str_has_prefix (self->etag, "W/"))
        soup_message_headers_replace (headers, "If-Range", self->etag);
      else if (self->last_modified != NULL)
        soup_message_headers_replace (headers, "If-Range", self->last_modified);
    }

  self->last_activity = g_get_monotonic_time ();
  interval = CLAMP (self->stall_timeout_ms / 4, 10, 1000);
  g_clear_handle_id (&self->stall_source, g_source_remove);
  self->stall_source = g_timeout_add (interval, stall_cb, self);

  soup_session_send_async (self->session, attempt->msg, G_PRIORITY_DEFAULT, attempt->cancellable,
                           send_cb, attempt_ref (attempt));
}

/* The partial file is hashed: finish at once when it is complete, else ask
 * for the rest. */
static void
continue_attempt (HearthDownload *self,
                  Attempt        *attempt)
{
  g_autoptr (GError) error = NULL;
  guint64 total = known_total (self);

  report_progress (self, TRUE);
  if (self->attempt != attempt)
    return;

  if (total != 0 && self->offset == total)
    {
      finish (self);
      return;
    }
  if (total != 0 && !check_space (self, total - self->offset, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  send_request (self, attempt);
}

static void
prefix_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (Attempt) attempt = user_data;
  g_autoptr (HearthDownload) self = NULL;
  g_autoptr (GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (attempt->self == NULL)
    return;
  self = g_object_ref (attempt->self);

  if (n > 0)
    {
      g_checksum_update (self->checksum, attempt->buffer, (gsize) n);
      attempt->hashed += (guint64) n;
      g_input_stream_read_async (attempt->prefix, attempt->buffer, BUFFER_SIZE,
                                 G_PRIORITY_DEFAULT, attempt->cancellable, prefix_read_cb,
                                 attempt_ref (attempt));
      return;
    }

  g_input_stream_close (attempt->prefix, NULL, NULL);
  g_clear_object (&attempt->prefix);
  if (n < 0)
    {
      g_debug ("%s: could not read %s, starting again: %s", self->url, self->partial_path,
               error->message);
      restart_partial (self);
    }
  else
    self->offset = attempt->hashed;
  continue_attempt (self, attempt);
}

static void
begin_attempt (HearthDownload *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  Attempt *attempt;

  g_assert (self->attempt == NULL);

  if (self->uri == NULL)
    {
      fail (self, g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_HTTP,
                               _("“%s” is not an http or https URL"), self->url));
      return;
    }
  if (!prepare_partial (self, &error))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }

  attempt = attempt_new (self);
  self->attempt = attempt;

  /* Show at once what the partial file holds, even before it is hashed. */
  report_progress (self, TRUE);
  if (self->attempt != attempt)
    return;

  if (self->checksum != NULL)
    {
      continue_attempt (self, attempt);
      return;
    }

  /* Left by an earlier run: its bytes count towards the SHA-256 too. */
  file = g_file_new_for_path (self->partial_path);
  attempt->prefix = G_INPUT_STREAM (g_file_read (file, NULL, &error));
  if (attempt->prefix == NULL)
    {
      g_debug ("%s: could not read %s, starting again: %s", self->url, self->partial_path,
               error->message);
      restart_partial (self);
      continue_attempt (self, attempt);
      return;
    }
  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_input_stream_read_async (attempt->prefix, attempt->buffer, BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             attempt->cancellable, prefix_read_cb, attempt_ref (attempt));
}

/* ---- GObject */

static void
hearth_download_constructed (GObject *object)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  G_OBJECT_CLASS (hearth_download_parent_class)->constructed (object);

  self->uri = g_uri_parse (self->url, SOUP_HTTP_URI_FLAGS, NULL);
  if (self->uri != NULL
      && ((g_strcmp0 (g_uri_get_scheme (self->uri), "http") != 0
           && g_strcmp0 (g_uri_get_scheme (self->uri), "https") != 0)
          || g_uri_get_host (self->uri) == NULL || *g_uri_get_host (self->uri) == '\0'))
    g_clear_pointer (&self->uri, g_uri_unref);

  self->partial_path = g_strconcat (self->dest_path, ".partial", NULL);
  self->state_path = g_strconcat (self->dest_path, ".partial.json", NULL);
  self->lock_path = g_strconcat (self->dest_path, ".partial.lock", NULL);
  self->bytes_done = 0;
}

static void
hearth_download_dispose (GObject *object)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  end_attempt (self);
  drop_lock (self, FALSE);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (hearth_download_parent_class)->dispose (object);
}

static void
hearth_download_finalize (GObject *object)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  g_free (self->url);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_free (self->dest_path);
  g_free (self->partial_path);
  g_free (self->state_path);
  g_free (self->lock_path);
  g_free (self->expected_sha256);
  g_clear_error (&self->error);
  g_free (self->sha256);
  g_clear_pointer (&self->checksum, g_checksum_free);
  g_free (self->etag);
  g_free (self->last_modified);

  G_OBJECT_CLASS (hearth_download_parent_class)->finalize (object);
}

static void
hearth_download_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_DEST_PATH:
      g_value_set_string (value, self->dest_path);
      break;
    case PROP_EXPECTED_SHA256:
      g_value_set_string (value, self->expected_sha256);
      break;
    case PROP_EXPECTED_SIZE:
      g_value_set_uint64 (value, self->expected_size);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, self->bytes_done);
      break;
    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, hearth_download_get_bytes_total (self));
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_download_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    case PROP_DEST_PATH:
      self->dest_path = g_value_dup_string (value);
      break;
    case PROP_EXPECTED_SHA256:
      self->expected_sha256 = g_value_dup_string (value);
      break;
    case PROP_EXPECTED_SIZE:
      self->expected_size = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_download_class_init (HearthDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = hearth_download_constructed;
  object_class->dispose = hearth_download_dispose;
  object_class->finalize = hearth_download_finalize;
  object_class->get_property = hearth_download_get_property;
  object_class->set_property = hearth_download_set_property;

  properties[PROP_SESSION] = g_param_spec_object ("session", NULL, NULL, SOUP_TYPE_SESSION,
                                                  construct);
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, construct);
  properties[PROP_DEST_PATH] = g_param_spec_string ("dest-path", NULL, NULL, NULL, construct);
  properties[PROP_EXPECTED_SHA256] = g_param_spec_string ("expected-sha256", NULL, NULL, NULL,
                                                          construct);
  properties[PROP_EXPECTED_SIZE] = g_param_spec_uint64 ("expected-size", NULL, NULL, 0,
                                                        G_MAXINT64, 0, construct);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, HEARTH_TYPE_DOWNLOAD_STATE,
                                              HEARTH_DOWNLOAD_STATE_IDLE, readable);
  properties[PROP_BYTES_DONE] = g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     readable);
  properties[PROP_BYTES_TOTAL] = g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64,
                                                      0, readable);
  properties[PROP_SPEED] = g_param_spec_double ("speed", NULL, NULL, 0, G_MAXDOUBLE, 0, readable);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1,
                                    G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hearth_download_init (HearthDownload *self)
{
  self->lock_fd = -1;
  self->stall_timeout_ms = 30000;
  self->max_retries = 5;
  self->backoff_ms = 1000;
}

/* ---- public API */

HearthDownload *
hearth_download_new (SoupSession *session,
                     const char  *url,
                     const char  *dest_path,
                     const char  *expected_sha256,
                     guint64      expected_size)
{
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (dest_path != NULL && *dest_path != '\0', NULL);
  g_return_val_if_fail (expected_sha256 == NULL || is_sha256_hex (expected_sha256), NULL);
  g_return_val_if_fail (expected_size <= G_MAXINT64, NULL);

  return g_object_new (HEARTH_TYPE_DOWNLOAD,
                       "session", session,
                       "url", url,
                       "dest-path", dest_path,
                       "expected-sha256", expected_sha256,
                       "expected-size", expected_size,
                       NULL);
}

void
hearth_download_start (HearthDownload *self)
{
  g_autoptr (HearthDownload) hold = NULL;

  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));

  if (self->state == HEARTH_DOWNLOAD_STATE_RUNNING
      || self->state == HEARTH_DOWNLOAD_STATE_RETRYING
      || self->state == HEARTH_DOWNLOAD_STATE_DONE)
    return;

  hold = g_object_ref (self);
  self->failures = 0;
  set_error (self, NULL);
  {
    g_autoptr (GError) error = NULL;

    if (!take_lock (self, &error))
      {
        set_error (self, g_steal_pointer (&error));
        set_state (self, HEARTH_DOWNLOAD_STATE_FAILED);
        g_signal_emit (self, signals[FINISHED], 0, self->error);
        return;
      }
  }
  set_state (self, HEARTH_DOWNLOAD_STATE_RUNNING);
  begin_attempt (self);
}

void
hearth_download_pause (HearthDownload *self)
{
  g_autoptr (HearthDownload) hold = NULL;

  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));

  if (self->state != HEARTH_DOWNLOAD_STATE_RUNNING
      && self->state != HEARTH_DOWNLOAD_STATE_RETRYING)
    return;

  hold = g_object_ref (self);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  end_attempt (self);
  set_error (self, NULL);
  set_state (self, HEARTH_DOWNLOAD_STATE_PAUSED);
  report_progress (self, TRUE);
}

void
hearth_download_cancel (HearthDownload *self)
{
  g_autoptr (HearthDownload) hold = NULL;
  g_autoptr (GError) error = NULL;
  gboolean active;

  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));

  if (self->state == HEARTH_DOWNLOAD_STATE_DONE)
    return;

  hold = g_object_ref (self);
  active = self->state == HEARTH_DOWNLOAD_STATE_RUNNING
           || self->state == HEARTH_DOWNLOAD_STATE_RETRYING;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  end_attempt (self);
  discard_partial (self);
  self->state_loaded = TRUE;
  self->bytes_done = 0;
  self->failures = 0;
  set_error (self, NULL);
  set_state (self, HEARTH_DOWNLOAD_STATE_IDLE);
  report_progress (self, TRUE);

  if (active)
    {
      error = g_error_new (HEARTH_DOWNLOAD_ERROR, HEARTH_DOWNLOAD_ERROR_CANCELLED,
                           _("the download was cancelled"));
      g_signal_emit (self, signals[FINISHED], 0, error);
    }
}

HearthDownloadState
hearth_download_get_state (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), HEARTH_DOWNLOAD_STATE_IDLE);

  return self->state;
}

guint64
hearth_download_get_bytes_done (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), 0);

  return self->bytes_done;
}

guint64
hearth_download_get_bytes_total (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), 0);

  return known_total (self);
}

double
hearth_download_get_speed (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), 0);

  return self->speed;
}

const GError *
hearth_download_get_error (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), NULL);

  return self->error;
}

const char *
hearth_download_get_sha256 (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), NULL);

  return self->state == HEARTH_DOWNLOAD_STATE_DONE ? self->sha256 : NULL;
}

const char *
hearth_download_get_url (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), NULL);

  return self->url;
}

const char *
hearth_download_get_dest_path (HearthDownload *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD (self), NULL);

  return self->dest_path;
}

void
hearth_download_set_stall_timeout (HearthDownload *self,
                                   guint           msec)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));
  g_return_if_fail (msec > 0);

  self->stall_timeout_ms = msec;
}

void
hearth_download_set_max_retries (HearthDownload *self,
                                 guint           max_retries)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));

  self->max_retries = max_retries;
}

void
hearth_download_set_backoff (HearthDownload *self,
                             guint           msec)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));

  self->backoff_ms = msec;
}
