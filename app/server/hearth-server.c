/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ollama's HTTP API on Hearth's store and engine. Routes answer as Ollama's
 * server does (its docs/api.md and api/types.go are the reference):
 * the same JSON shapes, errors as {"error": "…"} with a 4xx or 5xx status.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-server-private.h"
#include "hearth-store.h"

/* What /api/version says: the Ollama release whose API shapes these are,
 * since clients gate features on it; Hearth's own beside it. */
#define OLLAMA_API_VERSION "0.12.0"


G_DEFINE_TYPE (HearthServer, hearth_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-server-error-quark, hearth_server_error)

/* ---- answers -------------------------------------------------------------- */

void
hearth_server_reply_json (SoupServerMessage *msg,
            guint              status,
            JsonNode          *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE, text, len);
}

/* {"error": @message} with @status, as Ollama answers what it refuses. */
void
hearth_server_reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, status, node);
}

/* Whether @msg's method is one of @methods (NULL-terminated); if not, a
 * 405 naming those it takes. HEAD goes with GET. */
gboolean
hearth_server_method_allowed (SoupServerMessage  *msg,
                const char * const *methods)
{
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *allow = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; methods[i] != NULL; i++)
    if (g_str_equal (method, methods[i])
        || (g_str_equal (methods[i], "GET") && g_str_equal (method, "HEAD")))
      return TRUE;
  allow = g_strjoinv (", ", (char **) methods);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  /* Translators: an HTTP method, a path, then the methods it takes */
  text = g_strdup_printf (_("%s is not a method of %s; it takes %s"), method,
                          g_uri_get_path (soup_server_message_get_uri (msg)), allow);
  hearth_server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, text);
  return FALSE;
}

/* The request's body as a JSON object, or NULL after a 400 that says what
 * is wrong with it (not JSON, not an object). An empty body is an empty
 * object, as Ollama takes it. */
JsonObject *
hearth_server_read_object (SoupServerMessage *msg,
             JsonParser        *parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0)
    data = "{}", len = 2;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      /* Translators: the JSON parser's own words */
      g_autofree char *text = g_strdup_printf (_("The request is not valid JSON: %s"), error->message);

      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, _("The request must be a JSON object"));
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

/* Member @name of @o as a string: its value, NULL where it is absent or
 * null, and NULL after a 400 (*@bad set) where it is something else. */
const char *
hearth_server_get_string (SoupServerMessage *msg,
            JsonObject        *o,
            const char        *name,
            gboolean          *bad)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      /* Translators: a field of the request */
      g_autofree char *text = g_strdup_printf (_("“%s” must be a string"), name);

      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      *bad = TRUE;
      return NULL;
    }
  return json_node_get_string (node);
}

/* A store error as Ollama answers it: 404 for model @name that is not
 * there (said without the store's folder, which is no business of a
 * client's), 400 for a name that cannot be one, 500 for the rest. */
void
hearth_server_reply_store_error (SoupServerMessage *msg,
                   const GError      *error,
                   const char        *name)
{
  guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;

  if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    {
      /* Translators: a model's name as the client gave it */
      g_autofree char *text = g_strdup_printf (_("There is no model named “%s”"), name);

      hearth_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
      return;
    }
  if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME)
           || g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS))
    status = SOUP_STATUS_BAD_REQUEST;
  hearth_server_reply_error (msg, status, error->message);
}

/* ---- routes ---------------------------------------------------------------- */

static void
route_root (HearthServer      *self,
            SoupServerMessage *msg)
{
  static const char text[] = "Hearth is running";

  if (!hearth_server_method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, text,
                                    sizeof text - 1);
}

static void
route_version (HearthServer      *self,
               SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, OLLAMA_API_VERSION);
  json_builder_set_member_name (b, "hearth");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
}

static const struct {
  const char *path;
  HearthServerRoute func;
} routes[] = {
  { "/", route_root },
  { "/api/version", route_version },
  { "/api/tags", hearth_server_route_tags },
  { "/api/copy", hearth_server_route_copy },
  { "/api/delete", hearth_server_route_delete },
  { "/api/chat", hearth_server_route_chat },
  { "/api/generate", hearth_server_route_generate },
  { "/api/ps", hearth_server_route_ps },
  { "/api/show", hearth_server_route_show },
  { "/api/create", hearth_server_route_create },
  { "/api/pull", hearth_server_route_pull },
  { "/api/push", hearth_server_route_push },
  { "/api/embed", hearth_server_route_embed },
  { "/api/embeddings", hearth_server_route_embed },
  { "/v1/embeddings", hearth_server_route_openai_embeddings },
  { "/v1/chat/completions", hearth_server_route_openai_chat },
  { "/v1/completions", hearth_server_route_openai_completions },
  { "/v1/models", hearth_server_route_openai_models },
};

/* The largest request body taken: a chat with a few images as base64
 * fits; a body past it is refused before it is read into memory. */
#define MAX_BODY (32u << 20)

/* Refuses a body over MAX_BODY: said by Content-Length before any of it
 * is read, or counted as it comes where it is sent in chunks. */
static void
body_chunk (SoupServerMessage *msg,
            GBytes            *chunk,
            gpointer           data)
{
  guint64 *seen = g_object_get_data (G_OBJECT (msg), "hearth-body-bytes");

  if (seen == NULL)
    {
      seen = g_new0 (guint64, 1);
      g_object_set_data_full (G_OBJECT (msg), "hearth-body-bytes", seen, g_free);
    }
  *seen += g_bytes_get_size (chunk);
  if (*seen > MAX_BODY && soup_server_message_get_status (msg) == 0)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_body_truncate (soup_server_message_get_request_body (msg));
    }
}

static void
handle_early (SoupServer        *soup,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  HearthServer *self = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (!hearth_server_check_access (self, msg, path))
    return;
  /* a blob (gigabytes) goes to the store as it comes, past MAX_BODY */
  if (hearth_server_blobs_early (self, msg, path))
    return;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > MAX_BODY)
    {
      g_autofree char *limit = g_format_size (MAX_BODY);
      /* Translators: a size, "32.0 MB" */
      g_autofree char *text = g_strdup_printf (_("The request is larger than Hearth takes (%s)"), limit);

      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      hearth_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
      return;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (body_chunk), NULL);
}

static void
handle (SoupServer        *soup,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           data)
{
  HearthServer *self = data;
  g_autofree char *text = NULL;
  guint64 *seen = g_object_get_data (G_OBJECT (msg), "hearth-body-bytes");

  if (seen != NULL && *seen > MAX_BODY)
    {
      g_autofree char *limit = g_format_size (MAX_BODY);
      g_autofree char *too_large = g_strdup_printf (_("The request is larger than Hearth takes (%s)"), limit);

      hearth_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, too_large);
      return;
    }
  /* /v1/models/ID: one model (an ID may hold a "/": "hf.co/user/repo:tag") */
  if (g_str_has_prefix (path, "/v1/models/"))
    {
      hearth_server_route_openai_models (self, msg);
      return;
    }
  if (g_str_has_prefix (path, "/api/blobs/"))
    {
      hearth_server_route_blobs (self, msg);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (path, routes[i].path))
      {
        routes[i].func (self, msg);
        return;
      }
  /* Translators: a path the server has no answer for */
  text = g_strdup_printf (_("Hearth has no endpoint %s"), path);
  hearth_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
}

/* ---- streams --------------------------------------------------------------- */

struct _HearthServerStream
{
  HearthServer *server;     /* not a reference; NULL once the server has gone */
  SoupServerMessage *msg;   /* a reference */
  GCancellable *cancellable;
  gboolean started;
  gboolean gone;            /* the client went: the message is not touched again */
  gboolean soup_done;       /* libsoup said finished or disconnected */
  guint watch_id;
};

static void
stream_gone (HearthServerStream *stream)
{
  if (stream->gone)
    return;
  stream->gone = TRUE;
  /* nothing more to look at (the connection may be closed already) */
  g_clear_handle_id (&stream->watch_id, g_source_remove);
  g_cancellable_cancel (stream->cancellable);
}

static void
stream_soup_done (SoupServerMessage  *msg,
                  HearthServerStream *stream)
{
  stream->soup_done = TRUE;
  stream_gone (stream);
}

/* Whether the client closed the connection: a paused message has no I/O,
 * so libsoup would learn of it only at the next write. */
static gboolean
stream_watch (gpointer data)
{
  HearthServerStream *stream = data;
  GSocket *socket;
  GIOCondition cond;

  if (stream->gone)
    {
      stream->watch_id = 0;
      return G_SOURCE_REMOVE;
    }
  socket = soup_server_message_get_socket (stream->msg);
  if (socket == NULL)
    return G_SOURCE_CONTINUE;
  cond = g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR);
  if (cond & (G_IO_HUP | G_IO_ERR))
    stream_gone (stream);
  else if (cond & G_IO_IN)
    {
      char byte;
      GInputVector v = { &byte, 1 };
      int flags = G_SOCKET_MSG_PEEK;
      gssize n = g_socket_receive_message (socket, NULL, &v, 1, NULL, NULL, &flags, NULL, NULL);

      if (n == 0)
        stream_gone (stream);
    }
  if (stream->gone)
    {
      stream->watch_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

HearthServerStream *
hearth_server_stream_new (HearthServer      *server,
                          SoupServerMessage *msg)
{
  HearthServerStream *stream = g_new0 (HearthServerStream, 1);

  stream->server = server;
  stream->msg = g_object_ref (msg);
  stream->cancellable = g_cancellable_new ();
  g_signal_connect (msg, "finished", G_CALLBACK (stream_soup_done), stream);
  g_signal_connect (msg, "disconnected", G_CALLBACK (stream_soup_done), stream);
  soup_server_message_pause (msg);
  stream->watch_id = g_timeout_add (250, stream_watch, stream);
  g_hash_table_add (server->streams, stream);
  return stream;
}

GCancellable *
hearth_server_stream_get_cancellable (HearthServerStream *stream)
{
  return stream->cancellable;
}

gboolean
hearth_server_stream_has_started (HearthServerStream *stream)
{
  return stream->started;
}

void
hearth_server_stream_write (HearthServerStream *stream,
                            const char         *content_type,
                            const char         *data,
                            gsize               len)
{
  SoupMessageBody *body;

  if (stream->gone)
    return;
  body = soup_server_message_get_response_body (stream->msg);
  if (!stream->started)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (stream->msg);

      stream->started = TRUE;
      soup_server_message_set_status (stream->msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, content_type, NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_replace (headers, "Cache-Control", "no-cache");
      soup_message_body_set_accumulate (body, FALSE);
    }
  soup_message_body_append (body, SOUP_MEMORY_COPY, data, len);
  soup_server_message_unpause (stream->msg);
}

static void
stream_free (HearthServerStream *stream)
{
  g_clear_handle_id (&stream->watch_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (stream->msg, stream);
  g_clear_object (&stream->msg);
  g_clear_object (&stream->cancellable);
  g_free (stream);
}

/* Lets libsoup end a message whose client went without its knowing: the
 * write fails and the connection is closed. */
static void
stream_let_go (HearthServerStream *stream)
{
  if (stream->soup_done)
    return;
  if (!stream->started)
    soup_server_message_set_status (stream->msg, SOUP_STATUS_BAD_REQUEST, NULL);
  else
    soup_message_body_complete (soup_server_message_get_response_body (stream->msg));
  soup_server_message_unpause (stream->msg);
}

void
hearth_server_stream_reply (HearthServerStream *stream,
                            guint               status,
                            JsonNode           *node)
{
  if (stream->gone)
    stream_let_go (stream);
  else if (stream->started)
    {
      soup_message_body_complete (soup_server_message_get_response_body (stream->msg));
      soup_server_message_unpause (stream->msg);
    }
  else
    {
      if (node != NULL)
        hearth_server_reply_json (stream->msg, status, node);
      else
        soup_server_message_set_status (stream->msg, status, NULL);
      soup_server_message_unpause (stream->msg);
    }
  if (stream->server != NULL)
    g_hash_table_remove (stream->server->streams, stream);
  else
    stream_free (stream);
}

void
hearth_server_stream_end (HearthServerStream *stream)
{
  hearth_server_stream_reply (stream, SOUP_STATUS_OK, NULL);
}

gboolean
hearth_server_take_slot (HearthServer          *self,
                         SoupServerMessage     *msg,
                         HearthServerErrorFunc  error_func)
{
  g_autofree char *text = NULL;

  if (self->n_waiting < self->max_waiting)
    {
      self->n_waiting++;
      return TRUE;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  text = g_strdup_printf (ngettext ("Hearth is busy: %u reply is being written or waiting; try again in a moment",
                                    "Hearth is busy: %u replies are being written or waiting; try again in a moment",
                                    self->n_waiting),
                          self->n_waiting);
  error_func (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
  return FALSE;
}

void
hearth_server_release_slot (HearthServer *self)
{
  g_return_if_fail (self->n_waiting > 0);
  self->n_waiting--;
}

/* ---- the server ------------------------------------------------------------ */

gboolean
hearth_server_parse_host (const char  *text,
                          char       **host,
                          guint16     *port,
                          GError     **error)
{
  g_autofree char *rest = g_strstrip (g_strdup (text != NULL ? text : ""));
  const char *s = rest;
  const char *colon;
  g_autofree char *h = NULL;
  guint64 p = HEARTH_SERVER_DEFAULT_PORT;

  if (g_str_has_prefix (s, "http://"))
    {
      s += 7;
      p = 80;
    }
  else if (g_str_has_prefix (s, "https://"))
    {
      s += 8;
      p = 443;
    }
  else if (strstr (s, "://") != NULL)
    goto invalid;
  /* a path after the address is ignored, as Ollama's client does */
  if (strchr (s, '/') != NULL)
    *strchr ((char *) s, '/') = '\0';
  if (s[0] == '[')
    {
      const char *end = strchr (s, ']');

      if (end == NULL)
        goto invalid;
      h = g_strndup (s + 1, end - s - 1);
      colon = end[1] == ':' ? end + 1 : NULL;
      if (end[1] != '\0' && colon == NULL)
        goto invalid;
    }
  else
    {
      colon = strrchr (s, ':');
      h = colon != NULL ? g_strndup (s, colon - s) : g_strdup (s);
    }
  /* port 0: any free one (hearth_server_get_url () says which) */
  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    goto invalid;
  if (h[0] == '\0')
    {
      g_free (h);
      h = g_strdup ("127.0.0.1");
    }
  if (strchr (h, ' ') != NULL)
    goto invalid;
  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;

invalid:
  g_set_error (error, HEARTH_SERVER_ERROR, HEARTH_SERVER_ERROR_INVALID_HOST,
               /* Translators: HEARTH_HOST is an environment variable */
               _("“%s” is not an address to listen on; HEARTH_HOST takes HOST:PORT, e.g. 127.0.0.1:11434 or 0.0.0.0:8080"),
               text);
  return FALSE;
}

gboolean
hearth_server_listen (HearthServer  *self,
                      const char    *host,
                      guint16        port,
                      GError       **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) inet = NULL;

  g_return_val_if_fail (HEARTH_IS_SERVER (self), FALSE);

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, HEARTH_SERVER_ERROR, HEARTH_SERVER_ERROR_INVALID_HOST,
                   /* Translators: a host name that is no IP address */
                   _("“%s” is not an IP address of this computer; listen on 127.0.0.1 (this computer only) or 0.0.0.0 (every network)"),
                   host);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, address, 0, error))
    return FALSE;
  self->public = !g_inet_address_get_is_loopback (inet);
  return TRUE;
}

char *
hearth_server_get_url (HearthServer *self)
{
  GSList *uris = soup_server_get_uris (self->soup);
  char *url = uris != NULL ? g_uri_to_string (uris->data) : NULL;

  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

void
hearth_server_set_max_queue (HearthServer *self,
                             guint         n)
{
  g_return_if_fail (HEARTH_IS_SERVER (self));
  self->max_waiting = MAX (n, 1);
}

gboolean
hearth_server_is_public (HearthServer *self)
{
  return self->public;
}

void
hearth_server_stop (HearthServer *self)
{
  GHashTableIter iter;
  HearthServerStream *stream;

  g_return_if_fail (HEARTH_IS_SERVER (self));

  /* the streams first: they outlive the server and, from now on, leave
   * their messages alone (the connections close below); their replies,
   * cancelled here, free them when their generations finish */
  if (self->streams != NULL)
    {
      g_hash_table_iter_init (&iter, self->streams);
      while (g_hash_table_iter_next (&iter, (gpointer *) &stream, NULL))
        {
          stream->server = NULL;
          stream->soup_done = TRUE;
          g_hash_table_iter_steal (&iter);
          stream_gone (stream);
        }
    }
  /* the port is free from here on */
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

static void
hearth_server_dispose (GObject *object)
{
  HearthServer *self = HEARTH_SERVER (object);

  hearth_server_stop (self);
  g_clear_pointer (&self->streams, g_hash_table_unref);
  g_clear_object (&self->soup);
  g_clear_object (&self->context);
  g_clear_pointer (&self->access, hearth_server_access_free);
  G_OBJECT_CLASS (hearth_server_parent_class)->dispose (object);
}

static void
hearth_server_class_init (HearthServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_server_dispose;
}

static void
hearth_server_init (HearthServer *self)
{
  self->streams = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) stream_free, NULL);
  self->max_waiting = HEARTH_SERVER_DEFAULT_MAX_QUEUE;
  self->soup = soup_server_new ("server-header", "Hearth/" PACKAGE_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle, self, NULL);
}

HearthServer *
hearth_server_new (HearthContext *context)
{
  HearthServer *self = g_object_new (HEARTH_TYPE_SERVER, NULL);

  self->context = g_object_ref (context);
  return self;
}
