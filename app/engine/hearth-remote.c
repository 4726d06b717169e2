/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-remote"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-generation-private.h"
#include "hearth-remote.h"

/* Bytes asked of the stream at a time. */
#define READ_CHUNK (64 * 1024)

/* ---- the remote itself ------------------------------------------------------ */

HearthRemote *
hearth_remote_new (HearthRemoteKind  kind,
                   const char       *name,
                   const char       *url,
                   const char       *model,
                   const char       *api_key)
{
  HearthRemote *remote;

  g_return_val_if_fail (url != NULL, NULL);

  remote = g_new0 (HearthRemote, 1);
  remote->kind = kind;
  remote->name = g_strdup (name);
  remote->url = g_strdup (url);
  remote->model = g_strdup (model != NULL ? model : "");
  remote->api_key = api_key != NULL && *api_key != '\0' ? g_strdup (api_key) : NULL;
  return remote;
}

HearthRemote *
hearth_remote_copy (const HearthRemote *remote)
{
  g_return_val_if_fail (remote != NULL, NULL);
  return hearth_remote_new (remote->kind, remote->name, remote->url, remote->model,
                            remote->api_key);
}

void
hearth_remote_free (HearthRemote *remote)
{
  if (remote == NULL)
    return;
  g_free (remote->name);
  g_free (remote->url);
  g_free (remote->model);
  /* the key does not stay behind in freed memory */
  if (remote->api_key != NULL)
    memset (remote->api_key, 0, strlen (remote->api_key));
  g_free (remote->api_key);
  g_free (remote);
}

const char *
hearth_remote_kind_to_string (HearthRemoteKind kind)
{
  return kind == HEARTH_REMOTE_OPENAI ? "openai" : "ollama";
}

gboolean
hearth_remote_kind_from_string (const char       *text,
                                HearthRemoteKind *kind)
{
  if (g_strcmp0 (text, "ollama") == 0)
    *kind = HEARTH_REMOTE_OLLAMA;
  else if (g_strcmp0 (text, "openai") == 0)
    *kind = HEARTH_REMOTE_OPENAI;
  else
    return FALSE;
  return TRUE;
}

char *
hearth_remote_normalize_url (HearthRemoteKind   kind,
                             const char        *text,
                             GError           **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *whole = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *path = NULL;
  gboolean schemeless;
  int port;

  g_return_val_if_fail (text != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));
  if (*trimmed == '\0')
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                   _("Give the server’s address, such as http://192.168.1.20:11434"));
      return NULL;
    }
  schemeless = strstr (trimmed, "://") == NULL;
  whole = schemeless ? g_strconcat ("http://", trimmed, NULL) : g_strdup (trimmed);
  uri = g_uri_parse (whole, G_URI_FLAGS_NONE, &local);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL
      || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                   _("“%s” is not a server’s address; give one such as http://192.168.1.20:11434"),
                   trimmed);
      return NULL;
    }
  port = g_uri_get_port (uri);
  /* Ollama's own port where no scheme says otherwise, as its clients do */
  if (port == -1 && schemeless && kind == HEARTH_REMOTE_OLLAMA)
    port = 11434;
  path = g_strdup (g_uri_get_path (uri));
  while (*path != '\0' && path[strlen (path) - 1] == '/')
    path[strlen (path) - 1] = '\0';
  if (*path == '\0' && kind == HEARTH_REMOTE_OPENAI)
    {
      g_free (path);
      path = g_strdup ("/v1");
    }
  {
    g_autoptr (GUri) built = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL,
                                          g_uri_get_host (uri), port, path, NULL, NULL);

    return g_uri_to_string (built);
  }
}

char *
hearth_remote_model_string (const char *server_id,
                            const char *model)
{
  g_return_val_if_fail (server_id != NULL && model != NULL, NULL);
  return g_strconcat (HEARTH_REMOTE_SCHEME, server_id, "/", model, NULL);
}

gboolean
hearth_remote_parse_model_string (const char  *text,
                                  char       **server_id,
                                  char       **model)
{
  const char *id, *slash;

  if (text == NULL || !g_str_has_prefix (text, HEARTH_REMOTE_SCHEME))
    return FALSE;
  id = text + strlen (HEARTH_REMOTE_SCHEME);
  slash = strchr (id, '/');
  if (slash == NULL || slash == id || slash[1] == '\0')
    return FALSE;
  if (server_id != NULL)
    *server_id = g_strndup (id, (gsize) (slash - id));
  if (model != NULL)
    *model = g_strdup (slash + 1);
  return TRUE;
}

SoupSession *
hearth_remote_session_new (void)
{
  return soup_session_new_with_options ("user-agent", "Hearth/" PACKAGE_VERSION,
                                        "timeout", HEARTH_REMOTE_TIMEOUT_SECONDS,
                                        NULL);
}

/* ---- what both directions share -------------------------------------------- */

/* How the server is named in messages: its name, else its address. */
static const char *
server_label (const HearthRemote *remote)
{
  return remote->name != NULL && *remote->name != '\0' ? remote->name : remote->url;
}

/* "@base/@tail", one slash between. */
static char *
endpoint (const HearthRemote *remote,
          const char         *tail)
{
  gsize len = strlen (remote->url);

  if (len > 0 && remote->url[len - 1] == '/')
    return g_strconcat (remote->url, tail + 1, NULL);
  return g_strconcat (remote->url, tail, NULL);
}

/* Whether @key can go in a header as it is (printable ASCII, no spaces). */
static gboolean
key_is_sendable (const char *key)
{
  for (const char *p = key; *p != '\0'; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;
  return TRUE;
}

/* A request to @remote's @url with its key; NULL (and @error) where the
 * address or the key cannot be sent. */
static SoupMessage *
new_message (const HearthRemote  *remote,
             const char          *method,
             const char          *url,
             GError             **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  SoupMessage *msg;

  if (uri == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                   _("“%s” is not a server’s address; give one such as http://192.168.1.20:11434"),
                   remote->url);
      return NULL;
    }
  if (remote->api_key != NULL && !key_is_sendable (remote->api_key))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE_KEY,
                   _("The API key of the server “%s” contains spaces or characters that cannot be "
                     "sent; enter it again"),
                   server_label (remote));
      return NULL;
    }
  msg = soup_message_new_from_uri (method, uri);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  if (remote->api_key != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", remote->api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    bearer);
      memset (bearer, 0, strlen (bearer));
    }
  return msg;
}

/* The error for a connection that failed before any answer. */
static GError *
unreachable_error (const HearthRemote *remote,
                   const GError       *error)
{
  if (remote->name == NULL || *remote->name == '\0')
    return g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                        _("The server at %s cannot be reached: %s"), remote->url, error->message);
  return g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                      _("The server “%s” at %s cannot be reached: %s"), server_label (remote),
                      remote->url, error->message);
}

/* The server's own words in an error body: {"error": "…"} (Ollama),
 * {"error": {"message": "…"}} (OpenAI), or short plain text; NULL if none. */
static char *
error_text_of_body (const char *data,
                    gsize       len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root, *node;

  if (len == 0 || !g_utf8_validate (data, (gssize) len, NULL))
    return NULL;
  if (json_parser_load_from_data (parser, data, (gssize) len, NULL)
      && (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root)
      && (node = json_object_get_member (json_node_get_object (root), "error")) != NULL)
    {
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonNode *m = json_object_get_member (json_node_get_object (node), "message");

          if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING)
            return g_strdup (json_node_get_string (m));
        }
      return NULL;
    }
  /* plain text, as gin's "404 page not found": the first line, short */
  {
    g_autofree char *text = g_strndup (data, MIN (len, 200));
    char *nl = strpbrk (text, "\r\n");

    if (nl != NULL)
      *nl = '\0';
    g_strstrip (text);
    if (*text == '\0' || text[0] == '<') /* nothing, or an HTML page */
      return NULL;
    return g_steal_pointer (&text);
  }
}

/* The error for an answer with status @status (not 2xx) and body @data. */
static GError *
status_error (const HearthRemote *remote,
              SoupMessage        *msg,
              const char         *data,
              gsize               len)
{
  guint status = soup_message_get_status (msg);
  g_autofree char *said = error_text_of_body (data, len);
  const char *words = said != NULL ? said : soup_message_get_reason_phrase (msg);

  if (words == NULL || *words == '\0')
    words = soup_status_get_phrase (status);
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    return g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE_KEY,
                        remote->api_key != NULL
                          ? _("The server “%s” refused the API key: %s")
                          : _("The server “%s” needs an API key: %s"),
                        server_label (remote), words);
  return g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                      _("The server “%s” refused the request: %s (HTTP %u)"),
                      server_label (remote), words, status);
}

/* A member of @o that is a string, or NULL. */
static const char *
get_string (JsonObject *o,
            const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A member of @o that is an object, or NULL. */
static JsonObject *
get_object (JsonObject *o,
            const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A member of @o that is a number at least 0, or -1. */
static double
get_count (JsonObject *o,
           const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;
  double value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = (double) json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else
    return -1;
  return value >= 0 && value < 1e18 ? value : -1;
}

static guint
count_value (double value)
{
  return value < 0 ? 0 : value > G_MAXUINT ? G_MAXUINT : (guint) value;
}

/* ---- the request's body ---------------------------------------------------- */

/* @f as JSON writes it short ("0.7", not 0.699999988…). */
static double
short_double (float f)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.6g", f);
  return g_ascii_strtod (buf, NULL);
}

static void
add_messages (JsonBuilder         *b,
              const HearthRequest *request)
{
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < request->roles->len; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, request->roles->pdata[i]);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, request->contents->pdata[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* The format as JSON: "json", or the schema's object. */
static JsonNode *
format_node (const char *format)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!g_str_equal (format, "json") && json_parser_load_from_data (parser, format, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return json_node_copy (json_parser_get_root (parser));
  return json_node_init_string (json_node_alloc (), "json");
}

/* Ollama's /api/chat: the messages, and the options that differ from
 * Ollama's defaults (the server's model keeps its own params for the
 * rest, as Ollama's clients leave them); keep_alive, raw and template are
 * not sent. */
static char *
ollama_body (const HearthRequest *request)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const HearthOptions *o = &request->options;
  HearthOptions d;

  hearth_options_init (&d);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, request->remote->model);
  if (request->load_only)
    {
      /* no messages: Ollama loads the model and answers done_reason "load" */
      json_builder_set_member_name (b, "messages");
      json_builder_begin_array (b);
      json_builder_end_array (b);
    }
  else
    add_messages (b, request);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  if (request->format != NULL)
    {
      json_builder_set_member_name (b, "format");
      json_builder_add_value (b, format_node (request->format));
    }
  json_builder_set_member_name (b, "options");
  json_builder_begin_object (b);
#define FLOAT_OPTION(field)                                 \
  if (o->field != d.field)                                  \
    {                                                       \
      json_builder_set_member_name (b, #field);             \
      json_builder_add_double_value (b, short_double (o->field)); \
    }
#define INT_OPTION(field)                                   \
  if (o->field != d.field)                                  \
    {                                                       \
      json_builder_set_member_name (b, #field);             \
      json_builder_add_int_value (b, o->field);             \
    }
  FLOAT_OPTION (temperature);
  INT_OPTION (top_k);
  FLOAT_OPTION (top_p);
  FLOAT_OPTION (min_p);
  FLOAT_OPTION (typical_p);
  FLOAT_OPTION (repeat_penalty);
  INT_OPTION (repeat_last_n);
  FLOAT_OPTION (presence_penalty);
  FLOAT_OPTION (frequency_penalty);
  INT_OPTION (num_predict);
  INT_OPTION (num_ctx);
#undef FLOAT_OPTION
#undef INT_OPTION
  if (o->seed >= 0)
    {
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, o->seed);
    }
  if (request->stop != NULL && request->stop[0] != NULL)
    {
      json_builder_set_member_name (b, "stop");
      json_builder_begin_array (b);
      for (guint i = 0; request->stop[i] != NULL; i++)
        json_builder_add_string_value (b, request->stop[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* OpenAI's /chat/completions: OpenAI's own parameters (temperature and
 * top_p always, since OpenAI's defaults are not Ollama's), with the usage
 * asked for at the end of the stream. */
static char *
openai_body (const HearthRequest *request)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const HearthOptions *o = &request->options;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, request->remote->model);
  add_messages (b, request);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "stream_options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "include_usage");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_double_value (b, short_double (o->temperature));
  json_builder_set_member_name (b, "top_p");
  json_builder_add_double_value (b, short_double (o->top_p));
  if (o->num_predict >= 0)
    {
      json_builder_set_member_name (b, "max_tokens");
      json_builder_add_int_value (b, o->num_predict);
    }
  if (o->seed >= 0)
    {
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, o->seed);
    }
  if (o->frequency_penalty != 0)
    {
      json_builder_set_member_name (b, "frequency_penalty");
      json_builder_add_double_value (b, short_double (o->frequency_penalty));
    }
  if (o->presence_penalty != 0)
    {
      json_builder_set_member_name (b, "presence_penalty");
      json_builder_add_double_value (b, short_double (o->presence_penalty));
    }
  if (request->stop != NULL && request->stop[0] != NULL)
    {
      json_builder_set_member_name (b, "stop");
      json_builder_begin_array (b);
      for (guint i = 0; request->stop[i] != NULL; i++)
        json_builder_add_string_value (b, request->stop[i]);
      json_builder_end_array (b);
    }
  if (request->format != NULL)
    {
      g_autoptr (JsonNode) format = format_node (request->format);

      json_builder_set_member_name (b, "response_format");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      if (JSON_NODE_HOLDS_OBJECT (format))
        {
          json_builder_add_string_value (b, "json_schema");
          json_builder_set_member_name (b, "json_schema");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, "reply");
          json_builder_set_member_name (b, "schema");
          json_builder_add_value (b, g_steal_pointer (&format));
          json_builder_end_object (b);
        }
      else
        json_builder_add_string_value (b, "json_object");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ---- a reply ------------------------------------------------------------------ */

typedef struct
{
  HearthRequest *request;       /* its remote is where it goes */
  HearthGeneration *generation;
  GCancellable *cancellable;    /* the generation's */
  SoupMessage *msg;
  GInputStream *stream;
  GString *pending;             /* bytes after the last whole line */
  GString *event;               /* OpenAI: the data of the event being read */
  gboolean failed_status;       /* reading the body of an error status */
  gboolean done;                /* the server said the reply is complete */
  gboolean finish_seen;         /* OpenAI: a finish_reason came */
  gboolean got_text;
  double first_text;            /* seconds from the request to the first text */
  HearthGenerationStats stats;
  GError *error;                /* how it ended, if not well */
} Reply;

static void
reply_free (Reply *reply)
{
  hearth_request_free (reply->request);
  g_clear_object (&reply->generation);
  if (reply->msg != NULL)
    g_signal_handlers_disconnect_by_data (reply->msg, reply);
  g_clear_object (&reply->msg);
  g_clear_object (&reply->stream);
  g_string_free (reply->pending, TRUE);
  g_string_free (reply->event, TRUE);
  g_clear_error (&reply->error);
  g_free (reply);
}

/* Ends the generation: cancelled (no error), with reply->error, or well. */
static void
reply_end (Reply *reply)
{
  HearthGenerationStats *s = &reply->stats;
  double now = hearth_generation_elapsed_internal (reply->generation);

  if (g_cancellable_is_cancelled (reply->cancellable))
    {
      s->stop_reason = HEARTH_STOP_CANCELLED;
      g_clear_error (&reply->error);
    }
  if (reply->got_text)
    {
      s->first_token_seconds = reply->first_text;
      /* OpenAI's servers say no times: those seen from here */
      if (s->generation_seconds <= 0)
        s->generation_seconds = MAX (now - reply->first_text, 0);
      if (s->tokens_per_second <= 0 && s->generation_seconds > 0 && s->generated_tokens > 1)
        s->tokens_per_second = (s->generated_tokens - 1) / s->generation_seconds;
    }
  hearth_generation_finish_internal (reply->generation, s, g_steal_pointer (&reply->error));
  reply_free (reply);
}

static void
set_error (Reply  *reply,
           GError *error)
{
  if (reply->error == NULL)
    reply->error = error;
  else
    g_error_free (error);
}

static void
malformed (Reply      *reply,
           const char *what)
{
  set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                 _("The server “%s” sent something that is not part of a reply (%s)"),
                                 server_label (reply->request->remote), what));
}

static void
add_text (Reply      *reply,
          const char *text)
{
  if (*text == '\0')
    return;
  if (!g_utf8_validate (text, -1, NULL))
    {
      malformed (reply, _("text that is not UTF-8"));
      return;
    }
  if (!reply->got_text)
    {
      reply->got_text = TRUE;
      reply->first_text = hearth_generation_elapsed_internal (reply->generation);
    }
  hearth_generation_append_internal (reply->generation, text, strlen (text));
}

/* The server's {"error": …} inside a stream that had begun. */
static void
stream_error (Reply      *reply,
              const char *words)
{
  set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                 _("The server “%s” stopped the reply: %s"),
                                 server_label (reply->request->remote), words));
}

static JsonObject *
parse_object (Reply       *reply,
              JsonParser  *parser,
              const char  *line,
              gsize        len)
{
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, (gssize) len, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      malformed (reply, _("a line that is not a JSON object"));
      return NULL;
    }
  return json_node_get_object (root);
}

/* One line of Ollama's stream. */
static void
ollama_line (Reply      *reply,
             const char *line,
             gsize       len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  HearthGenerationStats *s = &reply->stats;
  JsonObject *o, *message;
  JsonNode *done;
  const char *content, *reason;
  double n;

  if (len == 0)
    return;
  o = parse_object (reply, parser, line, len);
  if (o == NULL)
    return;
  if (json_object_has_member (o, "error"))
    {
      g_autofree char *words = error_text_of_body (line, len);

      stream_error (reply, words != NULL ? words : _("an unknown error"));
      return;
    }
  message = get_object (o, "message");
  if (json_object_has_member (o, "message") && message == NULL)
    {
      malformed (reply, _("“message” is not an object"));
      return;
    }
  content = get_string (message, "content");
  if (message != NULL && json_object_has_member (message, "content") && content == NULL
      && !JSON_NODE_HOLDS_NULL (json_object_get_member (message, "content")))
    {
      malformed (reply, _("“content” is not text"));
      return;
    }
  if (content != NULL)
    add_text (reply, content);
  done = json_object_get_member (o, "done");
  if (done == NULL || !JSON_NODE_HOLDS_VALUE (done) || json_node_get_value_type (done) != G_TYPE_BOOLEAN
      || !json_node_get_boolean (done))
    return;

  reply->done = TRUE;
  if ((n = get_count (o, "prompt_eval_count")) >= 0)
    s->prompt_tokens = count_value (n);
  if ((n = get_count (o, "eval_count")) >= 0)
    s->generated_tokens = count_value (n);
  if ((n = get_count (o, "load_duration")) >= 0)
    s->load_seconds = n / 1e9;
  if ((n = get_count (o, "prompt_eval_duration")) >= 0)
    s->prompt_seconds = n / 1e9;
  if ((n = get_count (o, "eval_duration")) >= 0)
    s->generation_seconds = n / 1e9;
  if (s->generation_seconds > 0)
    s->tokens_per_second = s->generated_tokens / s->generation_seconds;
  reason = get_string (o, "done_reason");
  s->stop_reason = g_strcmp0 (reason, "length") == 0 ? HEARTH_STOP_LIMIT
                                                      : HEARTH_STOP_END_OF_GENERATION;
}

/* One event of OpenAI's stream (its data lines joined). */
static void
openai_event (Reply      *reply,
              const char *data,
              gsize       len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  HearthGenerationStats *s = &reply->stats;
  JsonObject *o, *usage;
  JsonNode *choices;

  if (len == 6 && memcmp (data, "[DONE]", 6) == 0)
    {
      reply->done = TRUE;
      return;
    }
  o = parse_object (reply, parser, data, len);
  if (o == NULL)
    return;
  if (json_object_has_member (o, "error")
      && !JSON_NODE_HOLDS_NULL (json_object_get_member (o, "error")))
    {
      g_autofree char *words = error_text_of_body (data, len);

      stream_error (reply, words != NULL ? words : _("an unknown error"));
      return;
    }
  choices = json_object_get_member (o, "choices");
  if (choices != NULL && !JSON_NODE_HOLDS_NULL (choices) && !JSON_NODE_HOLDS_ARRAY (choices))
    {
      malformed (reply, _("“choices” is not a list"));
      return;
    }
  if (choices != NULL && JSON_NODE_HOLDS_ARRAY (choices)
      && json_array_get_length (json_node_get_array (choices)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (choices), 0);
      JsonObject *choice = JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
      JsonObject *delta = get_object (choice, "delta");
      const char *content = get_string (delta, "content");
      const char *reason = get_string (choice, "finish_reason");

      if (choice == NULL)
        {
          malformed (reply, _("a choice that is not an object"));
          return;
        }
      if (content != NULL)
        add_text (reply, content);
      if (reason != NULL)
        {
          reply->finish_seen = TRUE;
          s->stop_reason = g_str_equal (reason, "length") ? HEARTH_STOP_LIMIT
                                                           : HEARTH_STOP_END_OF_GENERATION;
        }
    }
  usage = get_object (o, "usage");
  if (usage != NULL)
    {
      double n;

      if ((n = get_count (usage, "prompt_tokens")) >= 0)
        s->prompt_tokens = count_value (n);
      if ((n = get_count (usage, "completion_tokens")) >= 0)
        s->generated_tokens = count_value (n);
    }
}

/* One line of an SSE stream: "data: …" lines gather into an event, a
 * blank line ends it; comments (":") and other fields are passed over. */
static void
openai_line (Reply      *reply,
             const char *line,
             gsize       len)
{
  if (len == 0)
    {
      if (reply->event->len > 0)
        {
          openai_event (reply, reply->event->str, reply->event->len);
          g_string_truncate (reply->event, 0);
        }
      return;
    }
  if (len >= 5 && memcmp (line, "data:", 5) == 0)
    {
      gsize skip = len > 5 && line[5] == ' ' ? 6 : 5;

      if (reply->event->len > 0)
        g_string_append_c (reply->event, '\n');
      g_string_append_len (reply->event, line + skip, (gssize) (len - skip));
      if (reply->event->len > HEARTH_REMOTE_MAX_LINE)
        set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                       _("The server “%s” sent a line longer than %u KiB"),
                                       server_label (reply->request->remote),
                                       HEARTH_REMOTE_MAX_LINE / 1024));
    }
}

/* The whole lines in reply->pending, each to its reader; stops at the
 * end of the reply or at an error. */
static void
take_lines (Reply *reply)
{
  gsize start = 0;

  while (reply->error == NULL && !reply->done)
    {
      char *nl = memchr (reply->pending->str + start, '\n', reply->pending->len - start);
      gsize len;

      if (nl == NULL)
        break;
      len = (gsize) (nl - (reply->pending->str + start));
      if (len > 0 && reply->pending->str[start + len - 1] == '\r')
        len--;
      if (reply->request->remote->kind == HEARTH_REMOTE_OPENAI)
        openai_line (reply, reply->pending->str + start, len);
      else
        ollama_line (reply, reply->pending->str + start, len);
      start = (gsize) (nl - reply->pending->str) + 1;
    }
  g_string_erase (reply->pending, 0, (gssize) start);
  if (reply->error == NULL && !reply->done && reply->pending->len > HEARTH_REMOTE_MAX_LINE)
    set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                   _("The server “%s” sent a line longer than %u KiB"),
                                   server_label (reply->request->remote),
                                   HEARTH_REMOTE_MAX_LINE / 1024));
}

static void read_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data);

static void
read_more (Reply *reply)
{
  g_input_stream_read_bytes_async (reply->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   reply->cancellable, read_cb, reply);
}

/* The end of the body: whatever it means. */
static void
body_ended (Reply *reply)
{
  const HearthRemote *remote = reply->request->remote;

  if (reply->failed_status)
    {
      set_error (reply, status_error (remote, reply->msg, reply->pending->str, reply->pending->len));
      reply_end (reply);
      return;
    }
  /* a last line without its newline */
  if (reply->pending->len > 0)
    g_string_append_c (reply->pending, '\n');
  take_lines (reply);
  if (remote->kind == HEARTH_REMOTE_OPENAI && reply->event->len > 0 && reply->error == NULL)
    openai_line (reply, "", 0);
  if (reply->error == NULL && !reply->done && !reply->finish_seen)
    set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                   _("The server “%s” stopped answering in the middle of the reply"),
                                   server_label (remote)));
  reply_end (reply);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Reply *reply = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               &error);
  gsize size;
  const char *chunk;

  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                       _("The server “%s” stopped answering in the middle of the "
                                         "reply: %s"),
                                       server_label (reply->request->remote), error->message));
      reply_end (reply);
      return;
    }
  chunk = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      body_ended (reply);
      return;
    }
  if (reply->failed_status)
    {
      /* an error page: its beginning says enough */
      if (reply->pending->len < HEARTH_REMOTE_MAX_LINE)
        g_string_append_len (reply->pending, chunk,
                             (gssize) MIN (size, HEARTH_REMOTE_MAX_LINE - reply->pending->len));
      else
        {
          body_ended (reply);
          return;
        }
      read_more (reply);
      return;
    }
  g_string_append_len (reply->pending, chunk, (gssize) size);
  take_lines (reply);
  if (reply->error != NULL || reply->done)
    {
      /* the rest, if any, is not read: the connection goes */
      reply_end (reply);
      return;
    }
  read_more (reply);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Reply *reply = data;
  g_autoptr (GError) error = NULL;
  guint status;

  reply->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (reply->stream == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (reply, unreachable_error (reply->request->remote, error));
      reply_end (reply);
      return;
    }
  status = soup_message_get_status (reply->msg);
  reply->failed_status = !SOUP_STATUS_IS_SUCCESSFUL (status);
  read_more (reply);
}

static void
wrote_body_cb (SoupMessage *msg,
               Reply       *reply)
{
  hearth_generation_set_phase_internal (reply->generation, HEARTH_GENERATION_READING);
}

void
hearth_remote_generate (SoupSession      *session,
                        HearthRequest    *request,
                        HearthGeneration *generation)
{
  Reply *reply;
  const HearthRemote *remote;
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;
  g_autofree char *device = NULL;
  GError *error = NULL;

  g_return_if_fail (SOUP_IS_SESSION (session));
  g_return_if_fail (request != NULL && request->remote != NULL);
  g_return_if_fail (HEARTH_IS_GENERATION (generation));

  reply = g_new0 (Reply, 1);
  reply->request = request;
  reply->generation = g_object_ref (generation);
  reply->cancellable = hearth_generation_get_cancellable_internal (generation);
  reply->pending = g_string_new (NULL);
  reply->event = g_string_new (NULL);
  remote = request->remote;

  device = g_strdup_printf (remote->kind == HEARTH_REMOTE_OPENAI
                              ? _("OpenAI-compatible server at %s")
                              : _("Ollama at %s"),
                            remote->url);
  hearth_generation_set_device_internal (generation, device);

  if (request->load_only && remote->kind == HEARTH_REMOTE_OPENAI)
    {
      /* OpenAI's API has no way to load a model ahead: it loads with the
       * first reply */
      reply->stats.stop_reason = HEARTH_STOP_LIMIT;
      reply_end (reply);
      return;
    }
  if (request->raw || request->tokens != NULL)
    {
      set_error (reply, g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                     _("A model on another server answers messages, not a raw "
                                       "prompt")));
      reply_end (reply);
      return;
    }
  url = endpoint (remote, remote->kind == HEARTH_REMOTE_OPENAI ? "/chat/completions" : "/api/chat");
  reply->msg = new_message (remote, SOUP_METHOD_POST, url, &error);
  if (reply->msg == NULL)
    {
      set_error (reply, error);
      reply_end (reply);
      return;
    }
  body = remote->kind == HEARTH_REMOTE_OPENAI ? openai_body (request) : ollama_body (request);
  {
    gsize len = strlen (body);
    g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), len);

    soup_message_set_request_body_from_bytes (reply->msg, "application/json", bytes);
  }
  g_signal_connect (reply->msg, "wrote-body", G_CALLBACK (wrote_body_cb), reply);
  soup_session_send_async (session, reply->msg, G_PRIORITY_DEFAULT, reply->cancellable, sent_cb,
                           reply);
}

/* ---- a server's models ------------------------------------------------------- */

typedef struct
{
  HearthRemote *remote;
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *body;
} Listing;

static void
listing_free (Listing *l)
{
  hearth_remote_free (l->remote);
  g_clear_object (&l->msg);
  g_clear_object (&l->stream);
  g_byte_array_unref (l->body);
  g_free (l);
}

/* The names in a list's body; NULL (and @error) where it is not one. */
static GPtrArray *
parse_listing (const HearthRemote  *remote,
               const guint8        *data,
               gsize                len,
               GError             **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean openai = remote->kind == HEARTH_REMOTE_OPENAI;
  JsonNode *root, *list;

  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) len, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  list = json_object_get_member (json_node_get_object (root), openai ? "data" : "models");
  if (list != NULL && JSON_NODE_HOLDS_NULL (list))
    return g_steal_pointer (&names); /* Ollama sends null for none */
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    goto bad;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (list), i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *name = openai ? get_string (o, "id") : get_string (o, "name");

      if (name == NULL && !openai)
        name = get_string (o, "model");
      if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
        goto bad;
      g_ptr_array_add (names, g_strdup (name));
    }
  return g_steal_pointer (&names);

bad:
  if (openai)
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                 _("The server “%s” sent something that is not a list of models; is it an "
                   "OpenAI-compatible server?"),
                 server_label (remote));
  else
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                 _("The server “%s” sent something that is not a list of models; is it an Ollama "
                   "server?"),
                 server_label (remote));
  return NULL;
}

static void list_read_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      data);

static void
list_read_more (GTask *task)
{
  Listing *l = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (l->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), list_read_cb, task);
}

static void
list_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr (GTask) task = data;
  Listing *l = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               &error);
  guint status = soup_message_get_status (l->msg);
  GPtrArray *names;

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, unreachable_error (l->remote, error));
      return;
    }
  if (g_bytes_get_size (bytes) > 0)
    {
      gsize cap = SOUP_STATUS_IS_SUCCESSFUL (status) ? HEARTH_REMOTE_MAX_LIST : HEARTH_REMOTE_MAX_LINE;

      if (l->body->len + g_bytes_get_size (bytes) > cap)
        {
          if (SOUP_STATUS_IS_SUCCESSFUL (status))
            {
              g_task_return_new_error (task, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_REMOTE,
                                       _("The server “%s” sent a list of models larger than %u MiB"),
                                       server_label (l->remote), HEARTH_REMOTE_MAX_LIST >> 20);
              return;
            }
        }
      else
        g_byte_array_append (l->body, g_bytes_get_data (bytes, NULL), (guint) g_bytes_get_size (bytes));
      list_read_more (g_steal_pointer (&task));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, status_error (l->remote, l->msg, (const char *) l->body->data,
                                               l->body->len));
      return;
    }
  names = parse_listing (l->remote, l->body->data, l->body->len, &error);
  if (names == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, names, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr (GTask) task = data;
  Listing *l = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  l->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (l->stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, unreachable_error (l->remote, error));
      return;
    }
  list_read_more (g_steal_pointer (&task));
}

void
hearth_remote_list_models_async (SoupSession         *session,
                                 const HearthRemote  *remote,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;
  Listing *l;

  g_return_if_fail (SOUP_IS_SESSION (session));
  g_return_if_fail (remote != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_remote_list_models_async);
  l = g_new0 (Listing, 1);
  l->remote = hearth_remote_copy (remote);
  l->body = g_byte_array_new ();
  g_task_set_task_data (task, l, (GDestroyNotify) listing_free);
  url = endpoint (remote, remote->kind == HEARTH_REMOTE_OPENAI ? "/models" : "/api/tags");
  l->msg = new_message (remote, SOUP_METHOD_GET, url, &error);
  if (l->msg == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  soup_session_send_async (session, l->msg, G_PRIORITY_DEFAULT, cancellable, list_sent_cb,
                           g_steal_pointer (&task));
}

GPtrArray *
hearth_remote_list_models_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
