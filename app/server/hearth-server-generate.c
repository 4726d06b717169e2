/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Replies over HTTP: Ollama's /api/chat and /api/generate here, and the
 * writing of every reply, Ollama's NDJSON and OpenAI's server-sent events
 * alike (hearth-server-openai.c reads OpenAI's requests). A request becomes
 * a HearthRequest the way `hearth run` makes one (the model's own layers,
 * then the request's options) and goes to the one engine that the window
 * shares; its text is written as it comes, each batch a line (an event),
 * and the last line carries the statistics as Ollama counts them
 * (durations in nanoseconds). A client that goes away cancels its reply
 * between two tokens.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-model-layers.h"
#include "hearth-remote.h"
#include "hearth-server-private.h"
#include "hearth-settings.h"
#include "hearth-store.h"

/* The server's requests share a cache per model and context length: the
 * next turn of a conversation reads only its new tokens, as Ollama's does,
 * and a client that asks for another num_ctx has a cache of its own
 * rather than making the others' be rebuilt (never a reload of the model,
 * which Ollama's users meet when two clients disagree on num_ctx). */
#define SERVE_SESSION "hearth-serve"

/* ---- errors ----------------------------------------------------------------- */

static gboolean
is_openai (HearthServerApi api)
{
  return api == HEARTH_API_OPENAI_CHAT || api == HEARTH_API_OPENAI_COMPLETION;
}

void
hearth_server_reply_api_error (SoupServerMessage *msg,
                               HearthServerApi    api,
                               guint              status,
                               const char        *message)
{
  if (is_openai (api))
    hearth_server_reply_openai_error (msg, status, message);
  else
    hearth_server_reply_error (msg, status, message);
}

/* The same as a JSON node (an answer not yet sent, or a stream's last line). */
static JsonNode *
error_node (HearthServerApi  api,
            guint            status,
            const char      *message)
{
  JsonObject *o;
  JsonNode *node;

  if (is_openai (api))
    return hearth_server_openai_error_node (status, message);
  o = json_object_new ();
  json_object_set_string_member (o, "error", message);
  node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return node;
}

/* ---- reading requests ------------------------------------------------------- */

/* Member @name as a boolean (@fallback where absent or null), or a 400. */
gboolean
hearth_server_get_bool (SoupServerMessage *msg,
                        HearthServerApi    api,
                        JsonObject        *o,
                        const char        *name,
                        gboolean           fallback,
                        gboolean          *value)
{
  JsonNode *node = json_object_get_member (o, name);

  *value = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      *value = json_node_get_boolean (node);
      return TRUE;
    }
  {
    /* Translators: a field of the request */
    g_autofree char *text = g_strdup_printf (_("“%s” must be true or false"), name);

    hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, text);
  }
  return FALSE;
}

/* Whether member @name is absent, null, false, 0, "" or an empty list:
 * what a client sends for a feature it does not use. */
gboolean
hearth_server_is_unset (JsonObject *o,
                        const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_array_get_length (json_node_get_array (node)) == 0;
  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_object_get_size (json_node_get_object (node)) == 0;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_BOOLEAN:
      return !json_node_get_boolean (node);
    case G_TYPE_STRING:
      return json_node_get_string (node)[0] == '\0';
    case G_TYPE_INT64:
      return json_node_get_int (node) == 0;
    default:
      return FALSE;
    }
}


/* Seconds of a Go duration ("5m", "1h30m", "-1s", "300ms"), as Ollama
 * reads a keep_alive string; FALSE where it is none (a bare "300" too). */
static gboolean
parse_duration (const char *text,
                double     *seconds)
{
  const char *p = text;
  double sign = 1, total = 0;

  if (*p == '-' || *p == '+')
    sign = *p++ == '-' ? -1 : 1;
  if (g_str_equal (p, "0"))
    {
      *seconds = 0;
      return TRUE;
    }
  if (*p == '\0')
    return FALSE;
  while (*p != '\0')
    {
      static const struct { const char *unit; double seconds; } units[] = {
        { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
      };
      char *end;
      double v;
      guint i;

      if (!g_ascii_isdigit (*p) && *p != '.')
        return FALSE;
      v = g_ascii_strtod (p, &end);
      if (end == p)
        return FALSE;
      p = end;
      for (i = 0; i < G_N_ELEMENTS (units); i++)
        if (g_str_has_prefix (p, units[i].unit)
            /* "m" is not the start of "ms" */
            && !(g_str_equal (units[i].unit, "m") && p[1] == 's'))
          break;
      if (i == G_N_ELEMENTS (units))
        return FALSE;
      total += v * units[i].seconds;
      p += strlen (units[i].unit);
    }
  *seconds = sign * total;
  return TRUE;
}

gboolean
hearth_server_read_keep_alive (SoupServerMessage *msg,
                               HearthServerApi    api,
                               JsonNode          *node,
                               int               *seconds)
{
  double s;

  *seconds = HEARTH_KEEP_ALIVE_ENGINE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node)
      && (json_node_get_value_type (node) == G_TYPE_INT64 || json_node_get_value_type (node) == G_TYPE_DOUBLE))
    s = json_node_get_double (node);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
           && parse_duration (json_node_get_string (node), &s))
    ;
  else
    {
      hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST,
                                     /* Translators: keep_alive is a field of the request; keep the examples */
                                     _("“keep_alive” must be a number of seconds or a duration such as \"5m\" or \"1h\" "
                                       "(0 unloads the model after the reply, a negative value keeps it loaded)"));
      return FALSE;
    }
  /* a negative value: for as long as Hearth runs; more than a year too */
  *seconds = s < 0 || s > 366.0 * 86400 ? -1 : (int) (s + 0.5);
  return TRUE;
}

HearthRequest *
hearth_server_make_request (HearthServer       *self,
                            SoupServerMessage  *msg,
                            HearthServerApi     api,
                            const char         *name,
                            JsonObject         *options,
                            const char         *system,
                            HearthSettings    **settings_out)
{
  HearthStore *store = hearth_context_get_store (self->context);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  g_autofree char *host = NULL;
  g_autofree char *remote_model = NULL;
  g_autoptr (HearthRemote) remote = NULL;
  HearthRequest *request;

  if (name == NULL || name[0] == '\0')
    {
      hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, _("“model” is required"));
      return NULL;
    }
  path = hearth_store_get_model_path (store, name, &error);
  /* a model that lives on another server is answered from there, as
   * Ollama answers its cloud models */
  if (path == NULL && hearth_model_layers_read_remote (store, name, &host, &remote_model))
    {
      g_autofree char *url = hearth_remote_normalize_url (HEARTH_REMOTE_OLLAMA, host, NULL);

      g_clear_error (&error);
      if (url != NULL)
        remote = hearth_remote_new (HEARTH_REMOTE_OLLAMA, NULL, url, remote_model, NULL);
      path = g_strdup ("");
    }
  if (path == NULL)
    {
      if (is_openai (api) && g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
        {
          g_autofree char *text = g_strdup_printf (_("There is no model named “%s”"), name);

          hearth_server_reply_openai_error (msg, SOUP_STATUS_NOT_FOUND, text);
        }
      else if (is_openai (api))
        hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      else
        hearth_server_reply_store_error (msg, error, name);
      return NULL;
    }
  settings = hearth_settings_new_for_model (store, name, NULL, &error);
  if (settings == NULL)
    {
      hearth_server_reply_api_error (msg, api, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return NULL;
    }
  if (options != NULL)
    {
      /* a null option is one the client leaves unset (LangChain sends
       * every option it knows, null where not chosen), as Ollama reads it */
      g_autoptr (GList) members = json_object_get_members (options);
      g_autoptr (JsonObject) set = json_object_new ();

      for (GList *l = members; l != NULL; l = l->next)
        if (!JSON_NODE_HOLDS_NULL (json_object_get_member (options, l->data)))
          json_object_set_member (set, l->data, json_node_copy (json_object_get_member (options, l->data)));
      if (!hearth_settings_apply_json (settings, set, HEARTH_SETTING_REQUEST, &error))
        {
          hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, error->message);
          return NULL;
        }
    }
  if (system != NULL)
    {
      g_autoptr (JsonObject) o = json_object_new ();

      json_object_set_string_member (o, "system", system);
      hearth_settings_apply_json (settings, o, HEARTH_SETTING_REQUEST, NULL);
    }
  {
    g_autofree char *session = g_strdup_printf (SERVE_SESSION "/%u", hearth_settings_get_options (settings)->num_ctx);

    request = remote != NULL ? hearth_request_new_remote (remote, session) : hearth_request_new (path, session);
  }
  request->options = *hearth_settings_get_options (settings);
  *settings_out = g_steal_pointer (&settings);
  return request;
}

/* ---- writing replies -------------------------------------------------------- */

typedef struct
{
  GWeakRef server;            /* gone when the server stops (its replies are cancelled) */
  HearthServerStream *stream;
  HearthServerApi api;
  char *name;
  char *model_path;           /* kept out of what a client is told */
  gboolean stream_text;       /* pieces as they come; else one answer at the end */
  gboolean include_usage;
  gboolean load_only;         /* an empty request: load (or unload) the model */
  gboolean unload;
  HearthGeneration *generation;
  gint64 started;             /* monotonic µs */
  gint64 created;             /* UNIX seconds (OpenAI's "created") */
  char *id;                   /* OpenAI's "chatcmpl-…" */
  gboolean first_piece;
} Reply;

static void
reply_free (Reply *r)
{
  if (r->generation != NULL)
    g_signal_handlers_disconnect_by_data (r->generation, r);
  g_clear_object (&r->generation);
  {
    g_autoptr (HearthServer) server = g_weak_ref_get (&r->server);

    if (server != NULL)
      hearth_server_release_slot (server);
  }
  g_weak_ref_clear (&r->server);
  g_free (r->name);
  g_free (r->model_path);
  g_free (r->id);
  g_free (r);
}

/* "2024-05-01T12:00:00.123456Z", as Go writes a time. */
static char *
now_rfc3339 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static const char *
done_reason (Reply                       *r,
             const HearthGenerationStats *st)
{
  switch (st->stop_reason)
    {
    case HEARTH_STOP_REFUSED:
      /* a profile's rules (OpenAI's name for a filter's stop; Ollama has none) */
      return is_openai (r->api) ? "content_filter" : "stop";
    case HEARTH_STOP_LIMIT:
    case HEARTH_STOP_CONTEXT_FULL:
      return "length";
    case HEARTH_STOP_END_OF_GENERATION:
    case HEARTH_STOP_STRING:
    case HEARTH_STOP_CANCELLED:
    default:
      return "stop";
    }
}

/* OpenAI's envelope of a chunk or an answer, up to "choices". */
static void
begin_openai (Reply       *r,
              JsonBuilder *b,
              gboolean     chunk)
{
  json_builder_begin_object (b);
  add_string (b, "id", r->id);
  add_string (b, "object", r->api == HEARTH_API_OPENAI_CHAT ? (chunk ? "chat.completion.chunk" : "chat.completion")
                                                            : "text_completion");
  add_int (b, "created", r->created);
  add_string (b, "model", r->name);
  add_string (b, "system_fingerprint", "fp_hearth");
}

static void
add_usage (JsonBuilder                 *b,
           const HearthGenerationStats *st)
{
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  add_int (b, "prompt_tokens", st->prompt_tokens);
  add_int (b, "completion_tokens", st->generated_tokens);
  add_int (b, "total_tokens", (gint64) st->prompt_tokens + st->generated_tokens);
  json_builder_end_object (b);
}

/* What a profile's rules did, in members of Hearth's own that clients
 * written for Ollama or OpenAI pass over: "hearth_refusal", the message of
 * a rule that refused; "hearth_notes", what they changed. */
static void
add_rules_members (JsonBuilder      *b,
                   HearthGeneration *generation)
{
  const char *const *notes;

  if (generation == NULL || !hearth_generation_is_finished (generation))
    return;
  if (hearth_generation_get_refusal (generation) != NULL)
    add_string (b, "hearth_refusal", hearth_generation_get_refusal (generation));
  notes = hearth_generation_get_notes (generation);
  if (notes[0] == NULL)
    return;
  json_builder_set_member_name (b, "hearth_notes");
  json_builder_begin_array (b);
  for (guint i = 0; notes[i] != NULL; i++)
    json_builder_add_string_value (b, notes[i]);
  json_builder_end_array (b);
}

/* One piece of text (@finish NULL) or the end (@finish: why), as a line of
 * Ollama's NDJSON or an OpenAI chunk; @text is the whole reply where it is
 * not streamed. */
static JsonNode *
build (Reply                       *r,
       const char                  *text,
       const char                  *finish,
       const HearthGenerationStats *st)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (!is_openai (r->api))
    {
      g_autofree char *created_at = now_rfc3339 ();

      json_builder_begin_object (b);
      add_string (b, "model", r->name);
      add_string (b, "created_at", created_at);
      if (r->api == HEARTH_API_OLLAMA_CHAT)
        {
          json_builder_set_member_name (b, "message");
          json_builder_begin_object (b);
          add_string (b, "role", "assistant");
          add_string (b, "content", text);
          json_builder_end_object (b);
        }
      else
        add_string (b, "response", text);
      json_builder_set_member_name (b, "done");
      json_builder_add_boolean_value (b, finish != NULL);
      if (finish != NULL)
        add_rules_members (b, r->generation);
      if (finish != NULL)
        {
          add_string (b, "done_reason", finish);
          if (st != NULL)
            {
              guint after_first = st->generated_tokens > 0 ? st->generated_tokens - 1 : 0;

              add_int (b, "total_duration", (g_get_monotonic_time () - r->started) * 1000);
              add_int (b, "load_duration", (gint64) (st->load_seconds * 1e9));
              add_int (b, "prompt_eval_count", st->prompt_tokens);
              add_int (b, "prompt_eval_duration", (gint64) (st->prompt_seconds * 1e9));
              add_int (b, "eval_count", st->generated_tokens);
              /* Ollama's eval rate is eval_count / eval_duration: the time of all
               * the tokens, the first included */
              add_int (b, "eval_duration",
                       (gint64) ((after_first > 0 ? st->generation_seconds * st->generated_tokens / after_first
                                                  : st->generation_seconds) * 1e9));
            }
        }
      json_builder_end_object (b);
      return json_builder_get_root (b);
    }

  begin_openai (r, b, r->stream_text);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  if (text != NULL || finish != NULL)
    {
      json_builder_begin_object (b);
      add_int (b, "index", 0);
      if (r->api == HEARTH_API_OPENAI_CHAT)
        {
          json_builder_set_member_name (b, r->stream_text ? "delta" : "message");
          json_builder_begin_object (b);
          if (!r->stream_text || r->first_piece)
            add_string (b, "role", "assistant");
          if (text != NULL)
            add_string (b, "content", text);
          json_builder_end_object (b);
        }
      else
        add_string (b, "text", text != NULL ? text : "");
      json_builder_set_member_name (b, "finish_reason");
      if (finish != NULL)
        json_builder_add_string_value (b, finish);
      else
        json_builder_add_null_value (b);
      if (finish != NULL)
        add_rules_members (b, r->generation);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (st != NULL)
    add_usage (b, st);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* @node as a line (Ollama) or an event (OpenAI). */
static void
write_node (Reply    *r,
            JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GString) line = g_string_new (is_openai (r->api) ? "data: " : "");
  g_autofree char *json = NULL;

  json_generator_set_root (gen, node);
  json = json_generator_to_data (gen, NULL);
  g_string_append (line, json);
  g_string_append (line, is_openai (r->api) ? "\n\n" : "\n");
  hearth_server_stream_write (r->stream, is_openai (r->api) ? "text/event-stream" : "application/x-ndjson",
                              line->str, line->len);
}

static void
on_text (HearthGeneration *generation,
         const char       *text,
         Reply            *r)
{
  g_autoptr (JsonNode) node = NULL;

  if (!r->stream_text || text[0] == '\0')
    return;
  node = build (r, text, NULL, NULL);
  write_node (r, node);
  r->first_piece = FALSE;
}

/* The status an engine error gets before anything was written. */
static guint
error_status (const GError *error)
{
  if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL)
      || g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE))
    return SOUP_STATUS_BAD_REQUEST;
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static char *
error_text (Reply            *r,
            HearthGeneration *generation)
{
  const GError *error = hearth_generation_get_error (generation);

  if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL))
    /* Translators: a number of tokens; num_ctx is an option's name */
    return g_strdup_printf (_("The conversation does not fit in the model’s context (%u tokens), and Hearth "
                              "does not cut it short without saying so: send fewer or shorter messages, or a "
                              "larger “num_ctx” in “options”"),
                            hearth_generation_get_stats (generation)->n_ctx);
  {
    /* the model's file is no business of a client's: its name instead */
    GString *text = g_string_new (error->message);
    g_autofree char *quoted = g_strdup_printf ("“%s”", r->name);

    g_string_replace (text, r->model_path, quoted, 0);
    return g_string_free (text, FALSE);
  }
}

static void
on_finished (HearthGeneration *generation,
             Reply            *r)
{
  const GError *error = hearth_generation_get_error (generation);
  const HearthGenerationStats *st = hearth_generation_get_stats (generation);
  g_autoptr (JsonNode) node = NULL;

  if (error != NULL)
    {
      g_autofree char *text = error_text (r, generation);

      node = error_node (r->api, error_status (error), text);
      if (hearth_server_stream_has_started (r->stream))
        {
          /* the stream has said 200 already: its last line says what failed */
          write_node (r, node);
          hearth_server_stream_end (r->stream);
        }
      else
        {
          hearth_server_stream_reply (r->stream, error_status (error), node);
        }
      reply_free (r);
      return;
    }

  if (r->load_only)
    {
      node = build (r, "", r->unload ? "unload" : "load", NULL);
      hearth_server_stream_reply (r->stream, SOUP_STATUS_OK, node);
      reply_free (r);
      return;
    }

  if (st->input_refused)
    {
      /* the profile's rules refused the message: their message is the
       * reply, where a person reading the client will see it */
      const char *refusal = hearth_generation_get_refusal (generation);

      if (!r->stream_text)
        {
          node = build (r, refusal, done_reason (r, st), st);
          hearth_server_stream_reply (r->stream, SOUP_STATUS_OK, node);
          reply_free (r);
          return;
        }
      on_text (generation, refusal, r);
    }

  if (!r->stream_text)
    {
      node = build (r, hearth_generation_get_text (generation), done_reason (r, st), st);
      hearth_server_stream_reply (r->stream, SOUP_STATUS_OK, node);
      reply_free (r);
      return;
    }

  if (is_openai (r->api))
    {
      g_autoptr (JsonNode) finish = build (r, NULL, done_reason (r, st), NULL);
      static const char done[] = "data: [DONE]\n\n";

      write_node (r, finish);
      if (r->include_usage)
        {
          g_autoptr (JsonBuilder) b = json_builder_new ();
          g_autoptr (JsonNode) usage = NULL;

          begin_openai (r, b, TRUE);
          json_builder_set_member_name (b, "choices");
          json_builder_begin_array (b);
          json_builder_end_array (b);
          add_usage (b, st);
          json_builder_end_object (b);
          usage = json_builder_get_root (b);
          write_node (r, usage);
        }
      hearth_server_stream_write (r->stream, "text/event-stream", done, sizeof done - 1);
    }
  else
    {
      node = build (r, "", done_reason (r, st), st);
      write_node (r, node);
    }
  hearth_server_stream_end (r->stream);
  reply_free (r);
}

static void
on_gone (GCancellable *cancellable,
         Reply        *r)
{
  if (r->generation != NULL)
    hearth_generation_cancel (r->generation);
}

void
hearth_server_reply (HearthServer      *self,
                     SoupServerMessage *msg,
                     HearthServerApi    api,
                     const char        *name,
                     HearthRequest     *request,
                     gboolean           stream,
                     gboolean           include_usage)
{
  HearthEngine *engine = hearth_context_get_engine (self->context);
  Reply *r;

  if (!hearth_server_take_slot (self, msg, is_openai (api) ? hearth_server_reply_openai_error
                                                          : hearth_server_reply_error))
    {
      hearth_request_free (request);
      return;
    }
  r = g_new0 (Reply, 1);
  g_weak_ref_init (&r->server, self);
  r->api = api;
  r->name = g_strdup (name);
  r->model_path = g_strdup (request->model_path);
  r->stream_text = stream;
  r->include_usage = include_usage;
  r->started = g_get_monotonic_time ();
  r->created = g_get_real_time () / G_USEC_PER_SEC;
  r->first_piece = TRUE;
  r->load_only = request->load_only;
  if (is_openai (api))
    {
      g_autofree char *uuid = g_uuid_string_random ();

      r->id = g_strconcat (api == HEARTH_API_OPENAI_CHAT ? "chatcmpl-" : "cmpl-", uuid, NULL);
      /* what fails past this point would fail again: OpenAI's clients
       * retry a 5xx unless told not to */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "x-should-retry", "false");
    }
  r->stream = hearth_server_stream_new (self, msg);

  /* an empty request with keep_alive 0: unload it, load nothing */
  if (request->load_only && request->keep_alive == 0)
    {
      g_autoptr (JsonNode) node = NULL;

      r->unload = TRUE;
      hearth_engine_unload (engine, request->model_path);
      hearth_request_free (request);
      node = build (r, "", "unload", NULL);
      hearth_server_stream_reply (r->stream, SOUP_STATUS_OK, node);
      reply_free (r);
      return;
    }

  r->generation = hearth_engine_generate (engine, request);
  g_signal_connect (r->generation, "text", G_CALLBACK (on_text), r);
  g_signal_connect (r->generation, "finished", G_CALLBACK (on_finished), r);
  g_cancellable_connect (hearth_server_stream_get_cancellable (r->stream), G_CALLBACK (on_gone), r, NULL);
}

/* ---- Ollama's requests ------------------------------------------------------ */

/* Member @name as an object (NULL where absent or null), or a 400. */
static gboolean
get_object (SoupServerMessage  *msg,
            HearthServerApi     api,
            JsonObject         *o,
            const char         *name,
            JsonObject        **value)
{
  JsonNode *node = json_object_get_member (o, name);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      *value = json_node_get_object (node);
      return TRUE;
    }
  {
    g_autofree char *text = g_strdup_printf (_("“%s” must be a JSON object"), name);

    hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, text);
  }
  return FALSE;
}

/* Refuses what Hearth cannot do yet with a 400 that names it, rather than
 * answering as if it had been done. */
static gboolean
refuse_unsupported (SoupServerMessage *msg,
                    HearthServerApi    api,
                    JsonObject        *o)
{
  static const struct { const char *field; const char *why; } fields[] = {
    { "tools", N_("Hearth does not call tools yet; send the request without “tools”") },
    { "images", N_("Hearth’s models do not read images yet; send the request without “images”") },
    { "think", N_("Hearth does not separate a model’s thinking from its reply yet; send the request without “think”") },
    { "logprobs", N_("Hearth does not report log probabilities yet; send the request without “logprobs”") },
    { "top_logprobs", N_("Hearth does not report log probabilities yet; send the request without “top_logprobs”") },
    { "suffix", N_("Hearth does not fill in the middle yet; send the request without “suffix”") },
    { "context", N_("“context” is not taken (Ollama deprecated it); send the conversation to /api/chat instead") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (!hearth_server_is_unset (o, fields[i].field))
      {
        hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, _(fields[i].why));
        return FALSE;
      }
  return TRUE;
}

/* Ollama's "format": "json" or a JSON schema object, as the text
 * hearth_request_set_format () takes, into *@format (NULL: none, as for
 * null and ""); FALSE after a 400. */
static gboolean
read_format (SoupServerMessage  *msg,
             HearthServerApi     api,
             JsonNode           *node,
             char              **format)
{
  *format = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node)
      || (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
          && json_node_get_string (node)[0] == '\0'))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
      && g_str_equal (json_node_get_string (node), "json"))
    {
      *format = g_strdup ("json");
      return TRUE;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      *format = json_to_string (node, FALSE);
      return TRUE;
    }
  hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST,
                                 _("“format” must be \"json\" or a JSON schema object"));
  return FALSE;
}

gboolean
hearth_server_set_format (SoupServerMessage *msg,
                          HearthServerApi    api,
                          HearthRequest     *request,
                          const char        *format)
{
  g_autoptr (GError) error = NULL;

  if (format == NULL || hearth_request_set_format (request, format, &error))
    return TRUE;
  hearth_server_reply_api_error (msg, api, SOUP_STATUS_BAD_REQUEST, error->message);
  return FALSE;
}

/* What /api/chat and /api/generate read alike; NULL after an answer. */
static HearthRequest *
read_common (HearthServer      *self,
             SoupServerMessage *msg,
             HearthServerApi    api,
             JsonObject        *o,
             const char        *system,
             gboolean          *stream,
             HearthSettings   **settings)
{
  gboolean bad = FALSE;
  const char *model = hearth_server_get_string (msg, o, "model", &bad);
  JsonObject *options;
  HearthRequest *request;
  g_autofree char *format = NULL;
  int keep_alive;

  if (bad || !hearth_server_get_bool (msg, api, o, "stream", TRUE, stream) || !get_object (msg, api, o, "options", &options)
      || !hearth_server_read_keep_alive (msg, api, json_object_get_member (o, "keep_alive"), &keep_alive)
      || !read_format (msg, api, json_object_get_member (o, "format"), &format)
      || !refuse_unsupported (msg, api, o))
    return NULL;
  request = hearth_server_make_request (self, msg, api, model, options, system, settings);
  if (request == NULL)
    return NULL;
  request->keep_alive = keep_alive;
  if (!hearth_server_set_format (msg, api, request, format))
    {
      hearth_request_free (request);
      return NULL;
    }
  return request;
}

void
hearth_server_route_chat (HearthServer      *self,
                          SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (HearthRequest) request = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  JsonObject *o;
  JsonNode *node;
  JsonArray *messages = NULL;
  gboolean stream;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL)
    return;
  node = json_object_get_member (o, "messages");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, _("“messages” must be a list of messages"));
          return;
        }
      messages = json_node_get_array (node);
    }
  /* each message a {role, content} of texts, and nothing Hearth cannot read */
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      const char *role, *content;
      gboolean bad = FALSE;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        {
          /* Translators: %u counts from 1 */
          g_autofree char *text = g_strdup_printf (_("Message %u must be an object with “role” and “content”"), i + 1);

          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return;
        }
      role = hearth_server_get_string (msg, json_node_get_object (m), "role", &bad);
      content = bad ? NULL : hearth_server_get_string (msg, json_node_get_object (m), "content", &bad);
      if (bad)
        return;
      if (role == NULL || !(g_str_equal (role, "system") || g_str_equal (role, "user")
                            || g_str_equal (role, "assistant") || g_str_equal (role, "tool")))
        {
          /* Translators: %u counts from 1; keep the role names */
          g_autofree char *text = g_strdup_printf (_("Message %u needs a “role”: system, user, assistant or tool"), i + 1);

          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return;
        }
      if (!refuse_unsupported (msg, HEARTH_API_OLLAMA_CHAT, json_node_get_object (m)))
        return;
      (void) content;
    }
  request = read_common (self, msg, HEARTH_API_OLLAMA_CHAT, o, NULL, &stream, &settings);
  if (request == NULL)
    return;
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);
      const char *content = json_object_get_string_member_with_default (m, "content", "");

      hearth_request_add_message (request, json_object_get_string_member (m, "role"), content != NULL ? content : "");
    }
  /* no messages: load the model (as Ollama: done_reason "load") */
  request->load_only = request->roles->len == 0;
  hearth_settings_apply_to (settings, request);
  hearth_server_reply (self, msg, HEARTH_API_OLLAMA_CHAT, json_object_get_string_member (o, "model"),
                       g_steal_pointer (&request), stream, FALSE);
}

void
hearth_server_route_generate (HearthServer      *self,
                              SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (HearthRequest) request = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  JsonObject *o;
  const char *prompt, *system, *template_text;
  gboolean bad = FALSE, stream, raw;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL)
    return;
  prompt = hearth_server_get_string (msg, o, "prompt", &bad);
  system = bad ? NULL : hearth_server_get_string (msg, o, "system", &bad);
  template_text = bad ? NULL : hearth_server_get_string (msg, o, "template", &bad);
  if (bad || !hearth_server_get_bool (msg, HEARTH_API_OLLAMA_GENERATE, o, "raw", FALSE, &raw))
    return;
  if (raw && ((system != NULL && system[0] != '\0') || (template_text != NULL && template_text[0] != '\0')))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("A raw request is the model’s whole input: it takes no “system” or “template”"));
      return;
    }
  request = read_common (self, msg, HEARTH_API_OLLAMA_GENERATE, o,
                         system != NULL && system[0] != '\0' ? system : NULL, &stream, &settings);
  if (request == NULL)
    return;
  request->load_only = prompt == NULL || prompt[0] == '\0';
  if (raw)
    {
      /* the text as it is: no template, no system prompt, no stop strings of the model's */
      request->raw = TRUE;
      request->prompt = g_strdup (prompt != NULL ? prompt : "");
      {
        const char *const *stop = hearth_settings_get_stop (settings);

        g_strfreev (request->stop);
        request->stop = stop[0] != NULL ? g_strdupv ((char **) stop) : NULL;
      }
    }
  else
    {
      if (!request->load_only)
        hearth_request_add_message (request, "user", prompt);
      hearth_settings_apply_to (settings, request);
      if (template_text != NULL && template_text[0] != '\0')
        {
          g_free (request->template_text);
          request->template_text = g_strdup (template_text);
        }
    }
  hearth_server_reply (self, msg, HEARTH_API_OLLAMA_GENERATE, json_object_get_string_member (o, "model"),
                       g_steal_pointer (&request), stream, FALSE);
}

/* ---- /api/ps ---------------------------------------------------------------- */

static int
compare_expiry (gconstpointer a,
                gconstpointer b)
{
  const HearthLoadedModel *x = *(HearthLoadedModel **) a, *y = *(HearthLoadedModel **) b;

  return x->expires_at < y->expires_at ? 1 : x->expires_at > y->expires_at ? -1 : 0;
}

void
hearth_server_route_ps (HearthServer      *self,
                        SoupServerMessage *msg)
{
  HearthStore *store = hearth_context_get_store (self->context);
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  loaded = hearth_engine_list_loaded (hearth_context_get_engine (self->context));
  g_ptr_array_sort (loaded, compare_expiry);
  models = hearth_store_list (store, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < loaded->len; i++)
    {
      const HearthLoadedModel *m = loaded->pdata[i];

      /* every name of the store whose weights these are (a profile shares
       * its base's file: each is listed, as each is a model to Ollama) */
      for (guint j = 0; models != NULL && j < models->len; j++)
        {
          const HearthStoreModel *sm = models->pdata[j];
          g_autoptr (GDateTime) when = NULL;
          g_autofree char *expires = NULL;

          if (sm->model_path == NULL || !g_str_equal (sm->model_path, m->path))
            continue;
          when = g_date_time_new_from_unix_utc (MIN (m->expires_at / G_USEC_PER_SEC, (gint64) 253402300799));
          expires = when != NULL ? g_date_time_format_iso8601 (when) : g_strdup ("");
          hearth_server_add_model (b, sm);
          /* add_model left the object open */
          add_string (b, "expires_at", expires);
          add_int (b, "size_vram", m->backend == HEARTH_BACKEND_VULKAN ? (gint64) sm->size : 0);
          add_int (b, "context_length", m->n_ctx);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
}
