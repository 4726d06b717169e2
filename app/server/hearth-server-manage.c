/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's routes that describe and make models: /api/show (the
 * description `hearth show` prints, in Ollama's ShowResponse) and
 * /api/create (a profile made as `hearth create` makes it, from a model of
 * the store or from a GGUF file sent to /api/blobs first), /api/pull (the
 * downloads the window has, with Ollama's progress lines); and those that
 * Hearth refuses, saying so: /api/push, and the embeddings of /api/embed,
 * /api/embeddings and /v1/embeddings.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-model-description.h"
#include "hearth-model-name.h"
#include "hearth-modelfile.h"
#include "hearth-profile.h"
#include "hearth-pull.h"
#include "hearth-model-layers.h"
#include "hearth-server-private.h"
#include "hearth-store.h"

/* "model", or "name" as older clients send it; NULL after a 400 (wrong
 * type, or neither given). */
static const char *
get_model (SoupServerMessage *msg,
           JsonObject        *o)
{
  gboolean bad = FALSE;
  const char *model = hearth_server_get_string (msg, o, "model", &bad);

  if (!bad && (model == NULL || model[0] == '\0'))
    model = hearth_server_get_string (msg, o, "name", &bad);
  if (bad)
    return NULL;
  if (model == NULL || model[0] == '\0')
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, _("“model” is required"));
      return NULL;
    }
  return model;
}

/* @error's message with the file @path (the store's folder, no business
 * of a client's) replaced by model @name. */
static char *
without_path (const GError *error,
              const char   *path,
              const char   *name)
{
  g_autoptr (GString) text = g_string_new (error->message);

  if (path != NULL)
    {
      g_autofree char *quoted = g_strdup_printf ("“%s”", name);

      g_string_replace (text, path, quoted, 0);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- /api/show ---------------------------------------------------------- */

/* POST /api/show {"model" (or "name"), "verbose"}: Ollama's ShowResponse. */
/* A model of the store that lives on another server (Ollama's form:
 * remote_host and remote_model, no weights): what there is to say of it
 * here, in ShowResponse's shape with Ollama's remote_host and
 * remote_model. FALSE where @name is no such model. */
static gboolean
show_remote (SoupServerMessage *msg,
             HearthStore       *store,
             const char        *name)
{
  g_autofree char *host = NULL;
  g_autofree char *model = NULL;
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *parameters = NULL;

  if (!hearth_model_layers_read_remote (store, name, &host, &model))
    return FALSE;
  layers = hearth_model_layers_read (store, name, &error);
  modelfile = layers != NULL ? hearth_profile_to_modelfile (store, name, HEARTH_PROFILE_FROM_WEIGHTS, &error) : NULL;
  if (modelfile == NULL)
    {
      hearth_server_reply_store_error (msg, error, name);
      return TRUE;
    }
  text = hearth_modelfile_to_string (modelfile);
  parameters = hearth_model_description_format_parameters (layers);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "modelfile");
  json_builder_add_string_value (b, text);
  json_builder_set_member_name (b, "parameters");
  json_builder_add_string_value (b, parameters);
  json_builder_set_member_name (b, "template");
  json_builder_add_string_value (b, layers->template != NULL ? layers->template : "");
  json_builder_set_member_name (b, "system");
  json_builder_add_string_value (b, layers->system != NULL ? layers->system : "");
  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parent_model");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "families");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "parameter_size");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "quantization_level");
  json_builder_add_string_value (b, "");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "remote_model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "remote_host");
  json_builder_add_string_value (b, host);
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "completion");
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
  return TRUE;
}

void
hearth_server_route_show (HearthServer      *self,
                          SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (HearthModelDescription) desc = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  HearthStore *store = hearth_context_get_store (self->context);
  JsonObject *o;
  const char *model;
  gboolean verbose;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL
      || (model = get_model (msg, o)) == NULL
      || !hearth_server_get_bool (msg, HEARTH_API_OLLAMA_GENERATE, o, "verbose", FALSE, &verbose))
    return;
  if (show_remote (msg, store, model))
    return;
  desc = hearth_model_description_new (store, model, &error);
  if (desc != NULL)
    node = hearth_model_description_to_ollama (desc, store, verbose, &error);
  if (node == NULL)
    {
      g_autofree char *path = hearth_store_get_model_path (store, model, NULL);

      if (error->domain == HEARTH_STORE_ERROR)
        {
          g_autofree char *text = without_path (error, path, model);
          GError scrubbed = { error->domain, error->code, text };

          hearth_server_reply_store_error (msg, &scrubbed, model);
        }
      else
        {
          g_autofree char *text = without_path (error, path, model);

          hearth_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, text);
        }
      return;
    }
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
}

/* ---- /api/create -------------------------------------------------------- */

/* Whether @from reads as a file's path rather than a model's name: a
 * client names models of the store, never files of the server's. */
static gboolean
looks_like_path (const char *from)
{
  return g_path_is_absolute (from) || from[0] == '.' || from[0] == '~' || strchr (from, '\\') != NULL
         || g_str_has_suffix (from, ".gguf") || g_str_has_suffix (from, ".safetensors")
         || g_str_has_suffix (from, ".bin") || strstr (from, "://") != NULL;
}

/* The text a Modelfile's PARAMETER line has for @node, one per element of
 * a list (stop); NULL where it is no such value. */
static GStrv
parameter_values (JsonNode *node)
{
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr (GList) elements = NULL;

  if (JSON_NODE_HOLDS_ARRAY (node))
    elements = json_array_get_elements (json_node_get_array (node));
  else
    elements = g_list_prepend (NULL, node);
  if (elements == NULL)
    return NULL;
  for (GList *l = elements; l != NULL; l = l->next)
    {
      JsonNode *v = l->data;

      if (!JSON_NODE_HOLDS_VALUE (v))
        return NULL;
      switch (json_node_get_value_type (v))
        {
        case G_TYPE_STRING:
          g_strv_builder_add (values, json_node_get_string (v));
          break;
        case G_TYPE_BOOLEAN:
          g_strv_builder_add (values, json_node_get_boolean (v) ? "true" : "false");
          break;
        case G_TYPE_INT64:
          {
            g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (v));

            g_strv_builder_add (values, text);
          }
          break;
        case G_TYPE_DOUBLE:
          {
            char buffer[G_ASCII_DTOSTR_BUF_SIZE];
            double d = json_node_get_double (v);

            /* 20.0 for an integer parameter is 20, as Go reads it */
            if (d == (double) (gint64) d && d > -1e15 && d < 1e15)
              g_snprintf (buffer, sizeof buffer, "%" G_GINT64_FORMAT, (gint64) d);
            else
              g_ascii_dtostr (buffer, sizeof buffer, d);
            g_strv_builder_add (values, buffer);
          }
          break;
        default:
          return NULL;
        }
    }
  return g_strv_builder_end (values);
}

/* A 400 saying that member @name must be @what. */
static void
reply_type_error (SoupServerMessage *msg,
                  const char        *name,
                  const char        *what)
{
  /* Translators: a field of the request, then what it must be ("a list of
   * strings") */
  g_autofree char *text = g_strdup_printf (_("“%s” must be %s"), name, what);

  hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
}

/* The GGUF blob that "files" ({"model.gguf": "sha256:…"}) names, as
 * `ollama create` sends a Modelfile's FROM ./file.gguf, after it was
 * uploaded; NULL after a 400. */
static const char *
files_base (HearthServer      *self,
            SoupServerMessage *msg,
            JsonObject        *files)
{
  HearthStore *store = hearth_context_get_store (self->context);
  g_autoptr (GList) names = json_object_get_members (files);
  const char *base = NULL;

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *file = l->data;
      JsonNode *node = json_object_get_member (files, file);
      const char *digest;
      g_autofree char *blob = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          reply_type_error (msg, "files", _("an object of file names and “sha256:…” digests"));
          return NULL;
        }
      digest = json_node_get_string (node);
      if (g_path_is_absolute (file) || strstr (file, "..") != NULL || !g_str_has_suffix (file, ".gguf"))
        {
          /* Translators: a file's name as the client sent it */
          g_autofree char *text = g_strdup_printf (_("Hearth makes models from GGUF files only, named "
                                                     "without a folder (“model.gguf”), not “%s”"), file);

          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return NULL;
        }
      if (base != NULL)
        {
          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                     _("Hearth makes a model from one GGUF file; “files” names several"));
          return NULL;
        }
      blob = hearth_store_blob_path (store, digest, NULL);
      if (blob == NULL || !g_file_test (blob, G_FILE_TEST_IS_REGULAR))
        {
          /* Translators: a file's name, then its digest "sha256:…" */
          g_autofree char *text = g_strdup_printf (_("%s (%s) has not been sent: send it first with POST "
                                                     "/api/blobs/%s"), file, digest, digest);

          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return NULL;
        }
      base = digest;
    }
  return base;
}

/* The Modelfile that request @o says, as `hearth create` reads one from a
 * file; NULL after a 400. */
static HearthModelfile *
read_modelfile (HearthServer      *self,
                SoupServerMessage *msg,
                JsonObject        *o)
{
  g_autoptr (HearthModelfile) mf = hearth_modelfile_new ();
  g_autoptr (GError) error = NULL;
  gboolean bad = FALSE;
  const char *from, *system, *template_text;
  JsonNode *node;

  /* what Hearth cannot do (yet), refused rather than left out */
  if (!hearth_server_is_unset (o, "quantize") || !hearth_server_is_unset (o, "quantization"))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("Hearth does not quantize models: make the model from a GGUF file "
                                   "that has the quantization you want"));
      return NULL;
    }
  if (!hearth_server_is_unset (o, "adapters"))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("Hearth cannot apply adapters (LoRA) yet: merge the adapter into the "
                                   "model’s GGUF file first"));
      return NULL;
    }
  if (!hearth_server_is_unset (o, "draft_files") || !hearth_server_is_unset (o, "remote_host"))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("Hearth makes models from its own store only: no draft models, no "
                                   "remote hosts"));
      return NULL;
    }

  from = hearth_server_get_string (msg, o, "from", &bad);
  system = bad ? NULL : hearth_server_get_string (msg, o, "system", &bad);
  template_text = bad ? NULL : hearth_server_get_string (msg, o, "template", &bad);
  if (bad)
    return NULL;
  if (from != NULL && from[0] != '\0')
    {
      if (looks_like_path (from))
        {
          /* Translators: what the client sent as "from" */
          g_autofree char *text = g_strdup_printf (_("“from” names a model of Hearth’s store, not a file "
                                                     "(“%s”): to make a model from a GGUF file, send it "
                                                     "with POST /api/blobs/sha256:… and name it in "
                                                     "“files”"), from);

          hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
          return NULL;
        }
      mf->from = g_strdup (from);
    }
  else if ((node = json_object_get_member (o, "files")) != NULL && JSON_NODE_HOLDS_OBJECT (node)
           && json_object_get_size (json_node_get_object (node)) > 0)
    {
      const char *base = files_base (self, msg, json_node_get_object (node));

      if (base == NULL)
        return NULL;
      mf->from = g_strdup (base);
    }
  else if (!hearth_server_is_unset (o, "files"))
    {
      reply_type_error (msg, "files", _("an object of file names and “sha256:…” digests"));
      return NULL;
    }
  else
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("“from” (a model of the store) or “files” (a GGUF file sent to "
                                   "/api/blobs) is required"));
      return NULL;
    }
  /* "" is no system prompt, as Ollama's omitempty reads it */
  if (system != NULL && system[0] != '\0')
    mf->system = g_strdup (system);
  if (template_text != NULL && template_text[0] != '\0')
    mf->template_text = g_strdup (template_text);

  /* license: a string or a list of them */
  node = json_object_get_member (o, "license");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_auto (GStrv) licenses = JSON_NODE_HOLDS_OBJECT (node) ? NULL : parameter_values (node);

      if (licenses == NULL
          || (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) != G_TYPE_STRING))
        {
          reply_type_error (msg, "license", _("a string or a list of strings"));
          return NULL;
        }
      for (guint i = 0; licenses[i] != NULL; i++)
        g_ptr_array_add (mf->licenses, g_strdup (licenses[i]));
    }

  /* parameters: an object of Ollama's parameters */
  node = json_object_get_member (o, "parameters");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr (GList) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          reply_type_error (msg, "parameters", _("a JSON object"));
          return NULL;
        }
      names = json_object_get_members (json_node_get_object (node));
      for (GList *l = names; l != NULL; l = l->next)
        {
          g_auto (GStrv) values = parameter_values (json_object_get_member (json_node_get_object (node),
                                                                            l->data));

          if (values == NULL)
            {
              /* Translators: a parameter's name */
              g_autofree char *text = g_strdup_printf (_("The parameter “%s” must be a number, a string, "
                                                         "true or false, or a list of strings"),
                                                       (const char *) l->data);

              hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, text);
              return NULL;
            }
          for (guint i = 0; values[i] != NULL; i++)
            hearth_modelfile_add_parameter (mf, l->data, values[i]);
        }
    }

  /* messages: [{role, content}] */
  node = json_object_get_member (o, "messages");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *a = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
        {
          JsonNode *m = json_array_get_element (a, i);
          JsonObject *mo = JSON_NODE_HOLDS_OBJECT (m) ? json_node_get_object (m) : NULL;
          const char *role = mo != NULL ? json_object_get_string_member_with_default (mo, "role", NULL) : NULL;
          const char *content = mo != NULL ? json_object_get_string_member_with_default (mo, "content", "")
                                           : NULL;

          if (role == NULL || content == NULL)
            {
              a = NULL;
              break;
            }
          hearth_modelfile_add_message (mf, role, content);
        }
      if (a == NULL)
        {
          reply_type_error (msg, "messages", _("a list of {\"role\", \"content\"} objects"));
          return NULL;
        }
    }

  /* what `hearth create` refuses in a Modelfile, refused here the same way */
  if (!hearth_modelfile_check (mf, &error))
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return NULL;
    }
  return g_steal_pointer (&mf);
}

/* Each step of hearth_profile_create (), kept for the answer. */
static void
create_progress_cb (const char *status,
                    gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strdup (status));
}

/* POST /api/create {model, from | files, system, template, parameters,
 * messages, license, stream}: the profile written through
 * hearth_profile_create (), as `hearth create` writes it; its steps as
 * {"status": …} lines ending in {"status": "success"} (stream false: that
 * last one alone). It takes no time to speak of (no bytes are copied), so
 * the answer is written whole, and a failure is a status of its own. */
void
hearth_server_route_create (HearthServer      *self,
                            SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (HearthModelfile) mf = NULL;
  g_autoptr (HearthModelName) parsed = NULL;
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) body = g_string_new (NULL);
  HearthStore *store = hearth_context_get_store (self->context);
  JsonObject *o;
  const char *model;
  gboolean stream;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL
      || (model = get_model (msg, o)) == NULL
      || !hearth_server_get_bool (msg, HEARTH_API_OLLAMA_GENERATE, o, "stream", TRUE, &stream))
    return;
  parsed = hearth_model_name_parse (model, &error);
  if (parsed == NULL)
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  mf = read_modelfile (self, msg, o);
  if (mf == NULL)
    return;
  if (!hearth_profile_create (store, model, mf, create_progress_cb, steps, NULL, &error))
    {
      if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
        {
          /* Translators: the model a new one was to be made from */
          g_autofree char *text = g_strdup_printf (_("There is no model named “%s” to make “%s” from"),
                                                   mf->from, model);

          hearth_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
        }
      else
        hearth_server_reply_error (msg, error->domain == HEARTH_MODELFILE_ERROR
                                        || g_error_matches (error, HEARTH_STORE_ERROR,
                                                            HEARTH_STORE_ERROR_INVALID_NAME)
                                        || g_error_matches (error, HEARTH_STORE_ERROR,
                                                            HEARTH_STORE_ERROR_CORRUPT)
                                   ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   error->message);
      return;
    }
  for (guint i = stream ? 0 : steps->len - 1; i < steps->len; i++)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autofree char *line = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, steps->pdata[i]);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      if (!stream)
        {
          hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
          return;
        }
      json_generator_set_root (gen, node);
      line = json_generator_to_data (gen, NULL);
      g_string_append_printf (body, "%s\n", line);
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/x-ndjson", SOUP_MEMORY_COPY, body->str, body->len);
}

/* ---- what Hearth refuses ------------------------------------------------ */

/* POST /api/push: Hearth does not publish models. */
void
hearth_server_route_push (HearthServer      *self,
                          SoupServerMessage *msg)
{
  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL }))
    return;
  hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                             _("Hearth does not publish models to a registry; its store is in Ollama’s "
                               "layout, so Ollama can push them"));
}

/* POST /api/embed, /api/embeddings: not until the engine computes them. */
void
hearth_server_route_embed (HearthServer      *self,
                           SoupServerMessage *msg)
{
  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL }))
    return;
  hearth_server_reply_error (msg, SOUP_STATUS_NOT_IMPLEMENTED, _("Hearth cannot compute embeddings yet"));
}

/* POST /v1/embeddings, in OpenAI's shape. */
void
hearth_server_route_openai_embeddings (HearthServer      *self,
                                       SoupServerMessage *msg)
{
  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL }))
    return;
  hearth_server_reply_openai_error (msg, SOUP_STATUS_NOT_IMPLEMENTED, _("Hearth cannot compute embeddings yet"));
}

/* ---- /api/pull ---------------------------------------------------------- */

/* A pull's progress is written at most this often (Ollama: every 60 ms). */
#define PULL_LINE_INTERVAL_US (100 * 1000)

typedef struct {
  HearthServerStream *stream;   /* outlives the server: ended here */
  HearthPull *pull;             /* a reference */
  gboolean lines;               /* "stream": each step a line */
  char *digest;                 /* the blob last written of */
  gint64 last_line;             /* when, monotonic */
  gulong gone_handler;
  guint gone_id;                /* the idle that ends it after the client went */
} PullReply;

/* How many replies wait for @pull: the last one to go pauses it. */
static guint
pull_waiters (HearthPull *pull,
              int         delta)
{
  guint n = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (pull), "hearth-server-waiters"));

  n = (guint) ((int) n + delta);
  g_object_set_data (G_OBJECT (pull), "hearth-server-waiters", GUINT_TO_POINTER (n));
  return n;
}

static void
pull_reply_free (PullReply *r)
{
  g_signal_handlers_disconnect_by_data (r->pull, r);
  g_clear_handle_id (&r->gone_id, g_source_remove);
  pull_waiters (r->pull, -1);
  g_clear_object (&r->pull);
  g_free (r->digest);
  g_free (r);
}

static JsonNode *
progress_node (const char *status,
               const char *digest,
               guint64     total,
               guint64     completed)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  if (digest != NULL)
    {
      json_builder_set_member_name (b, "digest");
      json_builder_add_string_value (b, digest);
      json_builder_set_member_name (b, "total");
      json_builder_add_int_value (b, (gint64) total);
      if (completed > 0)
        {
          json_builder_set_member_name (b, "completed");
          json_builder_add_int_value (b, (gint64) completed);
        }
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
write_line (PullReply *r,
            JsonNode  *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *json = NULL;
  g_autoptr (GString) line = NULL;

  json_generator_set_root (gen, node);
  json = json_generator_to_data (gen, NULL);
  line = g_string_new (json);
  g_string_append_c (line, '\n');
  hearth_server_stream_write (r->stream, "application/x-ndjson", line->str, line->len);
}

static void
write_status (PullReply  *r,
              const char *status)
{
  g_autoptr (JsonNode) node = progress_node (status, NULL, 0, 0);

  write_line (r, node);
}

/* The answer's end: @error's words (a line of their own where lines were
 * written, else a status of their own) or success. */
static void
pull_end (PullReply    *r,
          const GError *error)
{
  g_cancellable_disconnect (hearth_server_stream_get_cancellable (r->stream), r->gone_handler);
  if (error != NULL)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error->message);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME))
        status = SOUP_STATUS_BAD_REQUEST;
      else if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
        status = SOUP_STATUS_NOT_FOUND;
      if (hearth_server_stream_has_started (r->stream))
        {
          write_line (r, node);
          hearth_server_stream_end (r->stream);
        }
      else
        hearth_server_stream_reply (r->stream, status, node);
    }
  else if (r->lines)
    {
      /* each blob was checked against its digest as it came */
      write_status (r, "verifying sha256 digest");
      write_status (r, "writing manifest");
      write_status (r, "success");
      hearth_server_stream_end (r->stream);
    }
  else
    {
      g_autoptr (JsonNode) node = progress_node ("success", NULL, 0, 0);

      hearth_server_stream_reply (r->stream, SOUP_STATUS_OK, node);
    }
  pull_reply_free (r);
}

static void
pull_finished_cb (HearthPull   *pull,
                  const GError *error,
                  PullReply    *r)
{
  pull_end (r, error);
}

static void
pull_progress_cb (HearthPull *pull,
                  PullReply  *r)
{
  HearthPullState state = hearth_pull_get_state (pull);
  const char *digest;
  guint64 done, total;
  gint64 now = g_get_monotonic_time ();

  /* stopped without ::finished: the fit check said it fits nowhere, or it
   * was paused or cancelled elsewhere (the window's Downloads) */
  if (state == HEARTH_PULL_STATE_PAUSED || state == HEARTH_PULL_STATE_IDLE)
    {
      g_autoptr (GError) stopped = NULL;

      if (hearth_pull_get_error (pull) != NULL)
        stopped = g_error_copy (hearth_pull_get_error (pull));
      else
        stopped = g_error_new_literal (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                                       _("The download was stopped; pull the model again to go on"));
      pull_end (r, stopped);
      return;
    }
  if (!r->lines || !hearth_pull_get_blob (pull, &digest, &done, &total))
    return;
  if (g_strcmp0 (digest, r->digest) == 0 && now - r->last_line < PULL_LINE_INTERVAL_US && done < total)
    return;
  {
    /* Ollama's words: "pulling" and the digest's first twelve digits */
    g_autofree char *status = g_strdup_printf ("pulling %.12s", digest + strlen ("sha256:"));
    g_autoptr (JsonNode) node = progress_node (status, digest, total, done);

    write_line (r, node);
  }
  g_free (r->digest);
  r->digest = g_strdup (digest);
  r->last_line = now;
}

/* The client went: the pull stops where it is (what was received stays,
 * and the next pull of the model goes on from there), unless another
 * client waits for it too. */
static gboolean
pull_gone_idle (gpointer data)
{
  PullReply *r = data;

  r->gone_id = 0;
  /* pausing says so with ::progress: not to this reply any more */
  g_signal_handlers_disconnect_by_data (r->pull, r);
  if (pull_waiters (r->pull, 0) == 1 && hearth_pull_get_state (r->pull) == HEARTH_PULL_STATE_RUNNING)
    hearth_pull_pause (r->pull);
  hearth_server_stream_end (r->stream);
  pull_reply_free (r);
  return G_SOURCE_REMOVE;
}

static void
pull_gone_cb (GCancellable *cancellable,
              PullReply    *r)
{
  /* not from inside the stream's own cancellation */
  if (r->gone_id == 0)
    r->gone_id = g_idle_add (pull_gone_idle, r);
}

/* POST /api/pull {"model" (or "name"), "insecure", "stream"}: the model
 * from its registry through the downloads the window has (the fit check,
 * a record that survives a restart), with Ollama's progress lines:
 * "pulling manifest", "pulling <digest>" with total and completed,
 * "verifying sha256 digest", "writing manifest", "success"; a failure as
 * a last {"error"} line. A model already installed is pulled again, as
 * Ollama does: what changed in the registry is fetched. A client that
 * goes, or the server stopping, pauses it, as Ollama cancels its download
 * when no client waits; the next pull goes on from there. */
void
hearth_server_route_pull (HearthServer      *self,
                          SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  HearthDownloads *downloads = hearth_context_get_downloads (self->context);
  g_autoptr (HearthPull) update = NULL;
  HearthPull *pull;
  JsonObject *o;
  const char *model;
  gboolean stream, insecure;
  PullReply *r;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL
      || (model = get_model (msg, o)) == NULL
      || !hearth_server_get_bool (msg, HEARTH_API_OLLAMA_GENERATE, o, "stream", TRUE, &stream)
      /* http is taken for this computer's registries only, whatever this says */
      || !hearth_server_get_bool (msg, HEARTH_API_OLLAMA_GENERATE, o, "insecure", FALSE, &insecure))
    return;
  if (strstr (model, "://") != NULL)
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("“model” is a model’s name (“llama3.2”, “hf.co/user/repo:Q4_K_M”), "
                                   "not an address"));
      return;
    }
  pull = hearth_downloads_add (downloads, model, &error);
  if (pull == NULL && g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS))
    {
      g_clear_error (&error);
      update = hearth_pull_new (hearth_context_get_store (self->context),
                                hearth_context_get_http_session (self->context), model, &error);
      if (update != NULL)
        hearth_pull_start (update);
      pull = update;
    }
  if (pull == NULL)
    {
      hearth_server_reply_error (msg, g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME)
                                      ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                 error->message);
      return;
    }

  r = g_new0 (PullReply, 1);
  r->pull = g_object_ref (pull);
  r->lines = stream;
  pull_waiters (pull, 1);
  r->stream = hearth_server_stream_new (self, msg);
  if (r->lines)
    write_status (r, "pulling manifest");
  g_signal_connect (pull, "progress", G_CALLBACK (pull_progress_cb), r);
  g_signal_connect (pull, "finished", G_CALLBACK (pull_finished_cb), r);
  r->gone_handler = g_cancellable_connect (hearth_server_stream_get_cancellable (r->stream),
                                           G_CALLBACK (pull_gone_cb), r, NULL);
}
