/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * OpenAI's API on Hearth's models: /v1/chat/completions, /v1/completions,
 * /v1/models and /v1/models/ID, read into the same requests as Ollama's
 * (hearth-server-generate.c writes the replies, as server-sent events
 * ending in "data: [DONE]" where streamed), errors in OpenAI's shape
 * {"error": {"message", "type", "param", "code"}}.
 *
 * Where a client leaves a setting out, the model's own (a profile's)
 * holds, not OpenAI's default: a profile's temperature is what its user
 * chose.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-server-private.h"
#include "hearth-settings.h"
#include "hearth-model-name.h"
#include "hearth-store.h"

JsonNode *
hearth_server_openai_error_node (guint       status,
                                 const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *type = status == SOUP_STATUS_NOT_FOUND ? "not_found_error"
                     : status == SOUP_STATUS_UNAUTHORIZED ? "authentication_error"
                     : status < 500 ? "invalid_request_error" : "api_error";

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "param");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
hearth_server_reply_openai_error (SoupServerMessage *msg,
                                  guint              status,
                                  const char        *message)
{
  g_autoptr (JsonNode) node = hearth_server_openai_error_node (status, message);

  hearth_server_reply_json (msg, status, node);
}

/* The body as a JSON object, errors in OpenAI's shape. */
static JsonObject *
read_request (SoupServerMessage *msg,
              JsonParser        *parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      g_autofree char *text = len == 0 ? g_strdup (_("The request has no body; send a JSON object"))
                                       : g_strdup_printf (_("The request is not valid JSON: %s"), error->message);

      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, _("The request must be a JSON object"));
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

static void
bad_field (SoupServerMessage *msg,
           const char        *name,
           const char        *what)
{
  /* Translators: a field of the request, then what it must be ("a number") */
  g_autofree char *text = g_strdup_printf (_("“%s” must be %s"), name, what);

  hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, text);
}

static gboolean
is_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static gboolean
is_type (JsonNode *node,
         GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
is_number (JsonNode *node)
{
  return is_type (node, G_TYPE_INT64) || is_type (node, G_TYPE_DOUBLE);
}

/* OpenAI's sampling fields as Ollama's options (into @options), each
 * checked for its type; FALSE after a 400. */
static gboolean
read_sampling (SoupServerMessage *msg,
               JsonObject        *o,
               JsonObject        *options)
{
  static const struct { const char *field; const char *option; } numbers[] = {
    { "temperature", "temperature" },
    { "top_p", "top_p" },
    { "frequency_penalty", "frequency_penalty" },
    { "presence_penalty", "presence_penalty" },
    { "seed", "seed" },
    { "max_tokens", "num_predict" },
    { "max_completion_tokens", "num_predict" },
  };
  JsonNode *stop = json_object_get_member (o, "stop");
  JsonNode *n = json_object_get_member (o, "n");

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      JsonNode *node = json_object_get_member (o, numbers[i].field);

      if (is_null (node))
        continue;
      if (!is_number (node))
        {
          bad_field (msg, numbers[i].field, _("a number"));
          return FALSE;
        }
      json_object_set_member (options, numbers[i].option, json_node_copy (node));
    }
  if (!is_null (stop))
    {
      g_autoptr (JsonArray) list = json_array_new ();

      if (is_type (stop, G_TYPE_STRING))
        json_array_add_string_element (list, json_node_get_string (stop));
      else if (JSON_NODE_HOLDS_ARRAY (stop))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (stop)); i++)
          {
            JsonNode *s = json_array_get_element (json_node_get_array (stop), i);

            if (!is_type (s, G_TYPE_STRING))
              {
                bad_field (msg, "stop", _("a text or a list of texts"));
                return FALSE;
              }
            json_array_add_string_element (list, json_node_get_string (s));
          }
      else
        {
          bad_field (msg, "stop", _("a text or a list of texts"));
          return FALSE;
        }
      if (json_array_get_length (list) > 0)
        json_object_set_array_member (options, "stop", g_steal_pointer (&list));
    }
  if (!is_null (n) && !(is_type (n, G_TYPE_INT64) && json_node_get_int (n) == 1))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                        _("Hearth writes one choice a request; leave out “n” or send 1"));
      return FALSE;
    }
  return TRUE;
}

/* What Hearth cannot do yet, refused by name rather than ignored. */
static gboolean
refuse_unsupported (SoupServerMessage *msg,
                    JsonObject        *o)
{
  JsonNode *tools = json_object_get_member (o, "tools");
  JsonNode *logprobs = json_object_get_member (o, "logprobs");
  JsonNode *format = json_object_get_member (o, "response_format");
  JsonNode *suffix = json_object_get_member (o, "suffix");

  if (!is_null (tools) && !(JSON_NODE_HOLDS_ARRAY (tools) && json_array_get_length (json_node_get_array (tools)) == 0))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                        _("Hearth does not call tools yet; send the request without “tools”"));
      return FALSE;
    }
  if (!is_null (logprobs) && !(is_type (logprobs, G_TYPE_BOOLEAN) && !json_node_get_boolean (logprobs)))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                        _("Hearth does not report log probabilities yet; send the request without “logprobs”"));
      return FALSE;
    }
  if (!is_null (suffix) && !(is_type (suffix, G_TYPE_STRING) && json_node_get_string (suffix)[0] == '\0'))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                        _("Hearth does not fill in the middle yet; send the request without “suffix”"));
      return FALSE;
    }
  if (!is_null (format))
    {
      const char *type = JSON_NODE_HOLDS_OBJECT (format)
                           ? json_object_get_string_member_with_default (json_node_get_object (format), "type", NULL)
                           : NULL;

      if (type == NULL || !(g_str_equal (type, "text") || g_str_equal (type, "json_object")
                            || g_str_equal (type, "json_schema")))
        {
          hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                            _("“response_format” must be {\"type\": \"text\"}, {\"type\": \"json_object\"} "
                                              "or {\"type\": \"json_schema\", \"json_schema\": {…}}"));
          return FALSE;
        }
    }
  return TRUE;
}

/* "response_format" as the text hearth_request_set_format () takes: NULL
 * for text, "json" for json_object, the schema of json_schema. FALSE after
 * a 400. */
static gboolean
read_response_format (SoupServerMessage  *msg,
                      JsonObject         *o,
                      char              **format)
{
  JsonNode *node = json_object_get_member (o, "response_format");
  JsonObject *f;
  const char *type;
  JsonNode *schema;

  *format = NULL;
  if (is_null (node))
    return TRUE;
  f = json_node_get_object (node);
  type = json_object_get_string_member (f, "type");
  if (g_str_equal (type, "json_object"))
    *format = g_strdup ("json");
  else if (g_str_equal (type, "json_schema"))
    {
      JsonNode *js = json_object_get_member (f, "json_schema");

      schema = js != NULL && JSON_NODE_HOLDS_OBJECT (js) ? json_object_get_member (json_node_get_object (js), "schema")
                                                         : NULL;
      if (schema == NULL || !JSON_NODE_HOLDS_OBJECT (schema))
        {
          hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                            _("“response_format” of type json_schema needs "
                                              "{\"json_schema\": {\"schema\": {…}}}"));
          return FALSE;
        }
      *format = json_to_string (schema, FALSE);
    }
  return TRUE;
}

/* "stream" and "stream_options": {"include_usage"}. */
static gboolean
read_stream (SoupServerMessage *msg,
             JsonObject        *o,
             gboolean          *stream,
             gboolean          *include_usage)
{
  JsonNode *node = json_object_get_member (o, "stream");
  JsonNode *options = json_object_get_member (o, "stream_options");

  *stream = FALSE;
  *include_usage = FALSE;
  if (!is_null (node))
    {
      if (!is_type (node, G_TYPE_BOOLEAN))
        {
          bad_field (msg, "stream", _("true or false"));
          return FALSE;
        }
      *stream = json_node_get_boolean (node);
    }
  if (!is_null (options))
    {
      JsonNode *usage = JSON_NODE_HOLDS_OBJECT (options)
                          ? json_object_get_member (json_node_get_object (options), "include_usage") : NULL;

      if (!JSON_NODE_HOLDS_OBJECT (options) || (!is_null (usage) && !is_type (usage, G_TYPE_BOOLEAN)))
        {
          bad_field (msg, "stream_options", _("an object such as {\"include_usage\": true}"));
          return FALSE;
        }
      *include_usage = !is_null (usage) && json_node_get_boolean (usage);
    }
  return TRUE;
}

/* A message's content: a text, or a list of parts of which Hearth reads
 * the text ones. NULL after a 400. */
static char *
read_content (SoupServerMessage *msg,
              JsonNode          *node,
              guint              index)
{
  GString *text;
  JsonArray *parts;

  if (is_null (node))
    return g_strdup ("");
  if (is_type (node, G_TYPE_STRING))
    return g_strdup (json_node_get_string (node));
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  parts = json_node_get_array (node);
  text = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *part = json_array_get_element (parts, i);
      JsonObject *p = JSON_NODE_HOLDS_OBJECT (part) ? json_node_get_object (part) : NULL;
      const char *type = p != NULL ? json_object_get_string_member_with_default (p, "type", NULL) : NULL;
      JsonNode *t = p != NULL ? json_object_get_member (p, "text") : NULL;

      if (type != NULL && g_str_equal (type, "text") && t != NULL && is_type (t, G_TYPE_STRING))
        {
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, json_node_get_string (t));
          continue;
        }
      g_string_free (text, TRUE);
      if (type != NULL && (g_str_equal (type, "image_url") || g_str_equal (type, "input_audio")
                           || g_str_equal (type, "file")))
        {
          hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST,
                                            _("Hearth’s models read text only yet; send messages without images, audio or files"));
          return NULL;
        }
      goto bad;
    }
  return g_string_free (text, FALSE);

bad:
  {
    /* Translators: %u counts from 1 */
    g_autofree char *message = g_strdup_printf (_("The content of message %u must be a text or a list of "
                                                  "{\"type\": \"text\", \"text\": …} parts"), index + 1);

    hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, message);
  }
  return NULL;
}

void
hearth_server_route_openai_chat (HearthServer      *self,
                                 SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) options = json_object_new ();
  g_autoptr (HearthRequest) request = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  g_autoptr (GPtrArray) roles = g_ptr_array_new ();
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  JsonObject *o;
  JsonNode *messages, *model;
  g_autofree char *format = NULL;
  gboolean stream, include_usage;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL }))
    return;
  if ((o = read_request (msg, parser)) == NULL)
    return;
  model = json_object_get_member (o, "model");
  if (is_null (model) || !is_type (model, G_TYPE_STRING) || json_node_get_string (model)[0] == '\0')
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, _("“model” is required"));
      return;
    }
  messages = json_object_get_member (o, "messages");
  if (is_null (messages) || !JSON_NODE_HOLDS_ARRAY (messages)
      || json_array_get_length (json_node_get_array (messages)) == 0)
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, _("“messages” must be a list of at least one message"));
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (messages)); i++)
    {
      JsonNode *m = json_array_get_element (json_node_get_array (messages), i);
      const char *role = JSON_NODE_HOLDS_OBJECT (m)
                           ? json_object_get_string_member_with_default (json_node_get_object (m), "role", NULL) : NULL;
      char *content;

      /* "developer" is what newer OpenAI models call the system prompt */
      if (role != NULL && g_str_equal (role, "developer"))
        role = "system";
      if (role == NULL || !(g_str_equal (role, "system") || g_str_equal (role, "user")
                            || g_str_equal (role, "assistant") || g_str_equal (role, "tool")))
        {
          g_autofree char *text = g_strdup_printf (_("Message %u needs a “role”: system, developer, user, assistant or tool"),
                                                   i + 1);

          hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return;
        }
      content = read_content (msg, json_object_get_member (json_node_get_object (m), "content"), i);
      if (content == NULL)
        return;
      g_ptr_array_add (roles, (gpointer) role);
      g_ptr_array_add (contents, content);
    }
  if (!read_stream (msg, o, &stream, &include_usage) || !read_sampling (msg, o, options)
      || !refuse_unsupported (msg, o))
    return;
  if (!read_response_format (msg, o, &format))
    return;
  request = hearth_server_make_request (self, msg, HEARTH_API_OPENAI_CHAT, json_node_get_string (model), options, NULL,
                                        &settings);
  if (request == NULL || !hearth_server_set_format (msg, HEARTH_API_OPENAI_CHAT, request, format))
    return;
  for (guint i = 0; i < roles->len; i++)
    hearth_request_add_message (request, roles->pdata[i], contents->pdata[i]);
  hearth_settings_apply_to (settings, request);
  hearth_server_reply (self, msg, HEARTH_API_OPENAI_CHAT, json_node_get_string (model), g_steal_pointer (&request),
                       stream, include_usage);
}

void
hearth_server_route_openai_completions (HearthServer      *self,
                                        SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) options = json_object_new ();
  g_autoptr (HearthRequest) request = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  JsonObject *o;
  JsonNode *prompt, *model;
  g_autofree char *format = NULL;
  const char *text;
  gboolean stream, include_usage;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL }))
    return;
  if ((o = read_request (msg, parser)) == NULL)
    return;
  model = json_object_get_member (o, "model");
  if (is_null (model) || !is_type (model, G_TYPE_STRING) || json_node_get_string (model)[0] == '\0')
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, _("“model” is required"));
      return;
    }
  prompt = json_object_get_member (o, "prompt");
  /* a text, or a list of one text */
  if (!is_null (prompt) && JSON_NODE_HOLDS_ARRAY (prompt) && json_array_get_length (json_node_get_array (prompt)) == 1)
    prompt = json_array_get_element (json_node_get_array (prompt), 0);
  if (is_null (prompt) || !is_type (prompt, G_TYPE_STRING))
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_BAD_REQUEST, _("“prompt” must be a text"));
      return;
    }
  text = json_node_get_string (prompt);
  if (!read_stream (msg, o, &stream, &include_usage) || !read_sampling (msg, o, options)
      || !refuse_unsupported (msg, o))
    return;
  if (!read_response_format (msg, o, &format))
    return;
  request = hearth_server_make_request (self, msg, HEARTH_API_OPENAI_COMPLETION, json_node_get_string (model), options,
                                        NULL, &settings);
  if (request == NULL || !hearth_server_set_format (msg, HEARTH_API_OPENAI_COMPLETION, request, format))
    return;
  /* as Ollama's: the prompt through the model's template */
  hearth_request_add_message (request, "user", text);
  hearth_settings_apply_to (settings, request);
  hearth_server_reply (self, msg, HEARTH_API_OPENAI_COMPLETION, json_node_get_string (model), g_steal_pointer (&request),
                       stream, include_usage);
}

/* {"id", "object": "model", "created", "owned_by"} */
static void
add_model (JsonBuilder            *b,
           const HearthStoreModel *m)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (m->name, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, m->name);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "model");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, m->modified);
  json_builder_set_member_name (b, "owned_by");
  json_builder_add_string_value (b, name != NULL ? name->namespace_ : "library");
  json_builder_end_object (b);
}

void
hearth_server_route_openai_models (HearthServer      *self,
                                   SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *id = g_str_has_prefix (path, "/v1/models/") ? path + strlen ("/v1/models/") : NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  models = hearth_store_list (hearth_context_get_store (self->context), &error);
  if (models == NULL)
    {
      hearth_server_reply_openai_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  if (id != NULL)
    {
      g_autofree char *decoded = g_uri_unescape_string (id, NULL);
      g_autoptr (HearthModelName) want = decoded != NULL ? hearth_model_name_parse (decoded, NULL) : NULL;

      for (guint i = 0; want != NULL && i < models->len; i++)
        {
          const HearthStoreModel *m = models->pdata[i];
          g_autoptr (HearthModelName) have = hearth_model_name_parse (m->name, NULL);
          g_autofree char *a = have != NULL ? hearth_model_name_to_full_string (have) : NULL;
          g_autofree char *b2 = hearth_model_name_to_full_string (want);

          if (a != NULL && g_str_equal (a, b2))
            {
              add_model (b, m);
              node = json_builder_get_root (b);
              hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
              return;
            }
        }
      {
        g_autofree char *text = g_strdup_printf (_("There is no model named “%s”"), decoded != NULL ? decoded : id);

        hearth_server_reply_openai_error (msg, SOUP_STATUS_NOT_FOUND, text);
      }
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    add_model (b, models->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
}
