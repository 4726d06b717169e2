/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The order, the media types, the config blob and the manifest follow
 * Ollama's server/create.go (createModel (), setTemplate () …) and
 * manifest.WriteManifest (): the base's layers first, then template,
 * system, licenses, params, messages; every JSON document written by
 * encoding/json's Encoder (hearth-ollama-json.c), newline-terminated.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-gguf.h"
#include "hearth-model-layers.h"

HearthModelLayers *
hearth_model_layers_new (void)
{
  HearthModelLayers *l = g_new0 (HearthModelLayers, 1);

  l->params = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_param_free);
  l->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_message_free);
  l->licenses = g_ptr_array_new_with_free_func (g_free);
  return l;
}

void
hearth_model_layers_free (HearthModelLayers *layers)
{
  if (layers == NULL)
    return;
  g_clear_pointer (&layers->params, g_ptr_array_unref);
  g_clear_pointer (&layers->messages, g_ptr_array_unref);
  g_clear_pointer (&layers->licenses, g_ptr_array_unref);
  g_free (layers->system);
  g_free (layers->template);
  g_clear_pointer (&layers->rules, hearth_rules_unref);
  g_free (layers);
}

/* ---- reading --------------------------------------------------------------- */

/* A short name for a layer's media type in messages ("params"). */
static const char *
layer_kind (const char *media_type)
{
  const char *dot = strrchr (media_type, '.');

  return dot != NULL ? dot + 1 : media_type;
}

/* The bytes of blob @digest, which the manifest says has @size bytes. */
static char *
read_layer_blob (HearthStore  *store,
                 const char   *digest,
                 gint64        size,
                 const char   *what,
                 gsize        *len,
                 GError      **error)
{
  g_autofree char *path = hearth_store_blob_path (store, digest, error);
  g_autoptr (GError) local = NULL;
  g_autofree char *data = NULL;
  GStatBuf st;

  if (path == NULL)
    return NULL;
  if (g_stat (path, &st) != 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is missing: %s does not exist"), what, path);
      return NULL;
    }
  if (st.st_size > HEARTH_MODEL_LAYERS_MAX_BYTES || size > HEARTH_MODEL_LAYERS_MAX_BYTES)
    {
      g_autofree char *got = g_strdup_printf ("%" G_GINT64_FORMAT, MAX ((gint64) st.st_size, size));

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is too large (%s bytes, at most %d)"), what, got,
                   HEARTH_MODEL_LAYERS_MAX_BYTES);
      return NULL;
    }
  if ((gint64) st.st_size != size)
    {
      g_autofree char *got = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) st.st_size);
      g_autofree char *said = g_strdup_printf ("%" G_GINT64_FORMAT, size);

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s has %s bytes where its manifest says %s"), what, got, said);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, len, &local))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s cannot be read: %s"), what, local->message);
      return NULL;
    }
  return g_steal_pointer (&data);
}

static JsonNode *
parse_json (const char  *data,
            gsize        len,
            const char  *what,
            GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *text = hearth_ollama_json_utf8 (data, (gssize) len);

  if (memchr (data, '\0', len) != NULL
      || !json_parser_load_from_data (parser, text, -1, &local))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is not JSON: %s"), what,
                   local != NULL ? local->message : _("it holds a NUL byte"));
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is empty"), what);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static int
compare_params (gconstpointer a,
                gconstpointer b)
{
  return strcmp ((*(HearthOllamaParam * const *) a)->name,
                 (*(HearthOllamaParam * const *) b)->name);
}

GPtrArray *
hearth_model_layers_parse_params (const char  *data,
                                  gsize        len,
                                  const char  *what,
                                  GError     **error)
{
  g_autoptr (JsonNode) root = parse_json (data, len, what, error);
  g_autoptr (GPtrArray) params = NULL;
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is not a JSON object"), what);
      return NULL;
    }
  params = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_param_free);
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &key, &value))
    {
      HearthOllamaParam *p = NULL;

      if (JSON_NODE_HOLDS_VALUE (value))
        switch (json_node_get_value_type (value))
          {
          case G_TYPE_BOOLEAN:
            p = hearth_ollama_param_new_bool (key, json_node_get_boolean (value));
            break;
          case G_TYPE_INT64:
            p = hearth_ollama_param_new_int (key, json_node_get_int (value));
            break;
          case G_TYPE_DOUBLE:
            p = hearth_ollama_param_new_float (key, json_node_get_double (value));
            break;
          case G_TYPE_STRING:
            p = hearth_ollama_param_new_string (key, json_node_get_string (value));
            break;
          default:
            break;
          }
      else if (JSON_NODE_HOLDS_ARRAY (value))
        {
          JsonArray *a = json_node_get_array (value);
          g_autoptr (GPtrArray) strv = g_ptr_array_new ();
          gboolean ok = TRUE;

          for (guint i = 0; ok && i < json_array_get_length (a); i++)
            {
              JsonNode *e = json_array_get_element (a, i);

              ok = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING;
              if (ok)
                g_ptr_array_add (strv, (gpointer) json_node_get_string (e));
            }
          g_ptr_array_add (strv, NULL);
          if (ok)
            p = hearth_ollama_param_new_strings (key, (const char * const *) strv->pdata);
        }
      if (p == NULL)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                       _("the %s gives “%s” a value that is not a boolean, a number, a string "
                         "or a list of strings"), what, key);
          return NULL;
        }
      g_ptr_array_add (params, p);
    }
  g_ptr_array_sort (params, compare_params);
  return g_steal_pointer (&params);
}

static GPtrArray *
parse_messages (const char  *data,
                gsize        len,
                const char  *what,
                GError     **error)
{
  g_autoptr (JsonNode) root = parse_json (data, len, what, error);
  g_autoptr (GPtrArray) messages = NULL;
  JsonArray *a;

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the %s is not a JSON array"), what);
      return NULL;
    }
  a = json_node_get_array (root);
  messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_message_free);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonNode *role = o != NULL ? json_object_get_member (o, "role") : NULL;
      JsonNode *content = o != NULL ? json_object_get_member (o, "content") : NULL;

      if (o == NULL || role == NULL || !JSON_NODE_HOLDS_VALUE (role)
          || json_node_get_value_type (role) != G_TYPE_STRING
          || (content != NULL && (!JSON_NODE_HOLDS_VALUE (content)
                                  || json_node_get_value_type (content) != G_TYPE_STRING)))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                       _("message %u of the %s is not an object whose role and content are "
                         "strings"), i + 1, what);
          return NULL;
        }
      g_ptr_array_add (messages,
                       hearth_ollama_message_new (json_node_get_string (role),
                                                  content != NULL
                                                  ? json_node_get_string (content) : ""));
    }
  return g_steal_pointer (&messages);
}

HearthModelLayers *
hearth_model_layers_read (HearthStore  *store,
                          const char   *name_text,
                          GError      **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (HearthModelLayers) out = NULL;
  g_autofree char *display = NULL;
  JsonArray *layers;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  if (name == NULL)
    return NULL;
  manifest = hearth_store_read_manifest (store, name, error);
  if (manifest == NULL)
    return NULL;
  display = hearth_model_name_to_string (name);
  out = hearth_model_layers_new ();
  layers = json_object_get_array_member (json_node_get_object (manifest), "layers");
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *type = json_object_get_string_member (l, "mediaType");
      const char *digest = json_object_get_string_member (l, "digest");
      gint64 size = json_object_get_int_member (l, "size");
      g_autofree char *what = NULL;
      g_autofree char *data = NULL;
      gsize len = 0;

      if (!g_str_equal (type, HEARTH_MEDIA_TYPE_PARAMS)
          && !g_str_equal (type, HEARTH_MEDIA_TYPE_SYSTEM)
          && !g_str_equal (type, HEARTH_MEDIA_TYPE_TEMPLATE)
          && !g_str_equal (type, HEARTH_MEDIA_TYPE_MESSAGES)
          && !g_str_equal (type, HEARTH_MEDIA_TYPE_LICENSE)
          && !g_str_equal (type, HEARTH_MEDIA_TYPE_RULES))
        continue;
      /* TRANSLATORS: "the params layer of model “llama3.2:latest”" */
      what = g_strdup_printf (_("%s layer of model “%s”"), layer_kind (type), display);
      data = read_layer_blob (store, digest, size, what, &len, error);
      if (data == NULL)
        return NULL;

      if (g_str_equal (type, HEARTH_MEDIA_TYPE_PARAMS))
        {
          GPtrArray *params = hearth_model_layers_parse_params (data, len, what, error);

          if (params == NULL)
            return NULL;
          g_ptr_array_unref (out->params);
          out->params = params;
        }
      else if (g_str_equal (type, HEARTH_MEDIA_TYPE_MESSAGES))
        {
          GPtrArray *messages = parse_messages (data, len, what, error);

          if (messages == NULL)
            return NULL;
          g_ptr_array_unref (out->messages);
          out->messages = messages;
        }
      else if (g_str_equal (type, HEARTH_MEDIA_TYPE_SYSTEM))
        {
          g_free (out->system);
          out->system = hearth_ollama_json_utf8 (data, (gssize) len);
        }
      else if (g_str_equal (type, HEARTH_MEDIA_TYPE_TEMPLATE))
        {
          g_free (out->template);
          out->template = hearth_ollama_json_utf8 (data, (gssize) len);
        }
      else if (g_str_equal (type, HEARTH_MEDIA_TYPE_RULES))
        {
          g_autofree char *text = hearth_ollama_json_utf8 (data, (gssize) len);
          g_autoptr (GError) local = NULL;
          HearthRules *rules = hearth_rules_parse_modelfile (text, &local);

          if (rules == NULL)
            {
              /* TRANSLATORS: "the rules layer of model “x”: line 2, column 5: …" */
              g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                           _("the %s: %s"), what, local->message);
              return NULL;
            }
          g_clear_pointer (&out->rules, hearth_rules_unref);
          out->rules = rules;
        }
      else
        g_ptr_array_add (out->licenses, hearth_ollama_json_utf8 (data, (gssize) len));
    }
  return g_steal_pointer (&out);
}

/* ---- writing --------------------------------------------------------------- */

typedef struct {
  char *media_type;
  char *digest;
  gint64 size;
  char *from;   /* or NULL */
  char *name;   /* or NULL */
} Layer;

static void
layer_free (Layer *l)
{
  g_free (l->media_type);
  g_free (l->digest);
  g_free (l->from);
  g_free (l->name);
  g_free (l);
}

static Layer *
layer_new (const char *media_type,
           const char *digest,
           gint64      size,
           const char *from,
           const char *name)
{
  Layer *l = g_new0 (Layer, 1);

  l->media_type = g_strdup (media_type);
  l->digest = g_strdup (digest);
  l->size = size;
  l->from = g_strdup (from);
  l->name = g_strdup (name);
  return l;
}

/* Go's manifest.Layer as encoding/json writes it. */
static void
append_layer (GString     *out,
              const Layer *l)
{
  g_string_append (out, "{\"mediaType\":");
  hearth_ollama_json_append_string (out, l->media_type, -1);
  g_string_append (out, ",\"digest\":");
  hearth_ollama_json_append_string (out, l->digest, -1);
  g_string_append_printf (out, ",\"size\":%" G_GINT64_FORMAT, l->size);
  if (l->from != NULL && l->from[0] != '\0')
    {
      g_string_append (out, ",\"from\":");
      hearth_ollama_json_append_string (out, l->from, -1);
    }
  if (l->name != NULL && l->name[0] != '\0')
    {
      g_string_append (out, ",\"name\":");
      hearth_ollama_json_append_string (out, l->name, -1);
    }
  g_string_append_c (out, '}');
}

/* model.Name.DisplayShortest (): what Ollama writes as a layer's "from". */
static char *
display_shortest (const HearthModelName *n)
{
  if (g_ascii_strcasecmp (n->host, HEARTH_MODEL_NAME_DEFAULT_HOST) != 0)
    return g_strdup_printf ("%s/%s/%s:%s", n->host, n->namespace_, n->model, n->tag);
  if (g_ascii_strcasecmp (n->namespace_, HEARTH_MODEL_NAME_DEFAULT_NAMESPACE) != 0)
    return g_strdup_printf ("%s/%s:%s", n->namespace_, n->model, n->tag);
  return g_strdup_printf ("%s:%s", n->model, n->tag);
}

/* Removes every layer of @type from @layers. */
static void
remove_layers (GPtrArray  *layers,
               const char *type)
{
  for (guint i = layers->len; i-- > 0;)
    if (g_str_equal (((Layer *) g_ptr_array_index (layers, i))->media_type, type))
      g_ptr_array_remove_index (layers, i);
}

/* Writes @bytes as a blob and appends its layer. */
static gboolean
add_blob_layer (HearthStore  *store,
                GPtrArray    *layers,
                const char   *type,
                GBytes       *bytes,
                GError      **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autofree char *digest = hearth_store_write_blob (store, data != NULL ? data : "", len, error);

  if (digest == NULL)
    return FALSE;
  g_ptr_array_add (layers, layer_new (type, digest, (gint64) len, NULL, NULL));
  return TRUE;
}

/* A text layer (template, system, license): the Go string Ollama's server
 * received, as its bytes. */
static gboolean
add_text_layer (HearthStore  *store,
                GPtrArray    *layers,
                const char   *type,
                const char   *text,
                GError      **error)
{
  char *utf8 = hearth_ollama_json_utf8 (text, -1);
  g_autoptr (GBytes) bytes = g_bytes_new_take (utf8, strlen (utf8));

  return add_blob_layer (store, layers, type, bytes, error);
}

/* What Ollama's model.ConfigV2 holds for a model made from a model:
 * model_format, model_family, model_families, model_type, file_type from
 * the GGUF (here: the base's config where it says, else the GGUF's
 * description), renderer, parser, requires and capabilities from the
 * base's config. */
typedef struct {
  char *format, *family, *type, *file_type, *renderer, *parser, *requires;
  char *remote_host, *remote_model;   /* a model that lives on another server */
  GPtrArray *capabilities;
} Config;

static void
config_clear (Config *c)
{
  g_free (c->format);
  g_free (c->family);
  g_free (c->type);
  g_free (c->file_type);
  g_free (c->renderer);
  g_free (c->parser);
  g_free (c->requires);
  g_free (c->remote_host);
  g_free (c->remote_model);
  g_clear_pointer (&c->capabilities, g_ptr_array_unref);
}

static void
config_read_base (HearthStore *store,
                  JsonNode    *manifest,
                  Config      *c)
{
  JsonObject *m = json_node_get_object (manifest);
  JsonObject *desc = json_object_has_member (m, "config")
                     ? json_object_get_object_member (m, "config") : NULL;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len = 0;
  JsonObject *o;
  const char *fields[] = { "model_format", "model_family", "model_type", "file_type",
                           "renderer", "parser", "requires", "remote_host", "remote_model" };
  char **slots[] = { &c->format, &c->family, &c->type, &c->file_type,
                     &c->renderer, &c->parser, &c->requires, &c->remote_host, &c->remote_model };

  if (desc == NULL)
    return;
  path = hearth_store_blob_path (store, json_object_get_string_member (desc, "digest"), NULL);
  if (path == NULL || !g_file_get_contents (path, &data, &len, NULL)
      || len > HEARTH_MODEL_LAYERS_MAX_BYTES
      || !json_parser_load_from_data (parser, data, (gssize) len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  o = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      JsonNode *v = json_object_get_member (o, fields[i]);

      if (v != NULL && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING
          && json_node_get_string (v)[0] != '\0')
        *slots[i] = g_strdup (json_node_get_string (v));
    }
  if (json_object_has_member (o, "capabilities")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "capabilities")))
    {
      JsonArray *a = json_object_get_array_member (o, "capabilities");

      c->capabilities = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
            g_ptr_array_add (c->capabilities, g_strdup (json_node_get_string (e)));
        }
    }
}

static void
append_member (GString    *out,
               const char *key,
               const char *value,
               gboolean    omit_empty)
{
  if (omit_empty && (value == NULL || value[0] == '\0'))
    return;
  if (out->len > 1)
    g_string_append_c (out, ',');
  hearth_ollama_json_append_string (out, key, -1);
  g_string_append_c (out, ':');
  hearth_ollama_json_append_string (out, value != NULL ? value : "", -1);
}

/* model.ConfigV2 through encoding/json's Encoder; @families: one entry per
 * model layer. */
static GBytes *
config_bytes (const Config *c,
              GPtrArray    *families)
{
  GString *out = g_string_new ("{");

  append_member (out, "model_format", c->format, FALSE);
  append_member (out, "model_family", c->family, FALSE);
  g_string_append (out, ",\"model_families\":");
  if (families->len == 0)
    g_string_append (out, "null");
  else
    {
      g_string_append_c (out, '[');
      for (guint i = 0; i < families->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          hearth_ollama_json_append_string (out, g_ptr_array_index (families, i), -1);
        }
      g_string_append_c (out, ']');
    }
  append_member (out, "model_type", c->type, FALSE);
  append_member (out, "file_type", c->file_type, FALSE);
  append_member (out, "renderer", c->renderer, TRUE);
  append_member (out, "parser", c->parser, TRUE);
  append_member (out, "requires", c->requires, TRUE);
  append_member (out, "remote_host", c->remote_host, TRUE);
  append_member (out, "remote_model", c->remote_model, TRUE);
  if (c->capabilities != NULL && c->capabilities->len > 0)
    {
      g_string_append (out, ",\"capabilities\":[");
      for (guint i = 0; i < c->capabilities->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          hearth_ollama_json_append_string (out, g_ptr_array_index (c->capabilities, i), -1);
        }
      g_string_append_c (out, ']');
    }
  append_member (out, "architecture", "amd64", FALSE);
  append_member (out, "os", "linux", FALSE);
  g_string_append (out, "}\n");
  return g_string_free_to_bytes (out);
}

/* The params of every params layer in @layers (the first one's where a
 * name comes twice, as setParameters () merges them). */
static gboolean
base_params (HearthStore  *store,
             GPtrArray    *layers,
             const char   *base,
             GHashTable   *merged,
             GError      **error)
{
  for (guint i = 0; i < layers->len; i++)
    {
      Layer *l = g_ptr_array_index (layers, i);
      g_autofree char *what = NULL;
      g_autofree char *data = NULL;
      g_autoptr (GPtrArray) params = NULL;
      gsize len = 0;

      if (!g_str_equal (l->media_type, HEARTH_MEDIA_TYPE_PARAMS))
        continue;
      what = g_strdup_printf (_("%s layer of model “%s”"), "params", base);
      data = read_layer_blob (store, l->digest, l->size, what, &len, error);
      if (data == NULL)
        return FALSE;
      params = hearth_model_layers_parse_params (data, len, what, error);
      if (params == NULL)
        return FALSE;
      for (guint j = 0; j < params->len; j++)
        {
          HearthOllamaParam *p = g_ptr_array_index (params, j);

          if (!g_hash_table_contains (merged, p->name))
            g_hash_table_insert (merged, p->name, hearth_ollama_param_copy (p));
        }
    }
  return TRUE;
}

gboolean
hearth_model_layers_parse_remote (const char  *text,
                                  char       **host,
                                  char       **model)
{
  const char *rest, *slash;

  if (g_str_has_prefix (text, "http://"))
    rest = text + strlen ("http://");
  else if (g_str_has_prefix (text, "https://"))
    rest = text + strlen ("https://");
  else
    return FALSE;
  slash = strchr (rest, '/');
  if (slash == rest || slash == NULL || slash[1] == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      return FALSE;
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  if (host != NULL)
    *host = g_strndup (text, slash - text);
  if (model != NULL)
    *model = g_strdup (slash + 1);
  return TRUE;
}

gboolean
hearth_model_layers_read_remote (HearthStore  *store,
                                 const char   *name,
                                 char        **host,
                                 char        **model)
{
  g_autoptr (HearthModelName) parsed = hearth_model_name_parse (name, NULL);
  g_autoptr (JsonNode) manifest = NULL;
  Config c = { 0 };
  gboolean remote;

  if (parsed == NULL || (manifest = hearth_store_read_manifest (store, parsed, NULL)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (manifest))
    return FALSE;
  config_read_base (store, manifest, &c);
  remote = c.remote_host != NULL && c.remote_model != NULL;
  if (remote && host != NULL)
    *host = g_steal_pointer (&c.remote_host);
  if (remote && model != NULL)
    *model = g_steal_pointer (&c.remote_model);
  config_clear (&c);
  return remote;
}

gboolean
hearth_model_layers_write (HearthStore              *store,
                           const char               *name_text,
                           const char               *base,
                           const HearthModelLayers  *in,
                           GError                  **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autoptr (GPtrArray) layers = g_ptr_array_new_with_free_func ((GDestroyNotify) layer_free);
  g_autoptr (GPtrArray) families = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) merged = NULL;
  g_autoptr (JsonNode) old = NULL;
  g_autoptr (GBytes) config = NULL;
  g_autoptr (GString) out = NULL;
  g_autoptr (GBytes) manifest = NULL;
  g_autofree char *config_digest = NULL;
  g_autofree char *base_display = NULL;
  g_autoptr (GPtrArray) released = NULL;
  Config c = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (HEARTH_IS_STORE (store), FALSE);
  g_return_val_if_fail (base != NULL && in != NULL, FALSE);

  if (name == NULL)
    return FALSE;

  if (hearth_model_layers_parse_remote (base, &c.remote_host, &c.remote_model))
    {
      /* a model on another server: no weights here, its address in the
       * config, as Ollama keeps a model whose remote_host is set */
      c.format = g_strdup ("");
      base_display = g_strdup (base);
    }
  else if (g_str_has_prefix (base, "http://") || g_str_has_prefix (base, "https://"))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                   /* Translators: FROM takes this form for a model on a server */
                   _("“%s” names no model on a server: write http://HOST:PORT/MODEL"), base);
      return FALSE;
    }
  else if (g_str_has_prefix (base, "sha256:") || g_str_has_prefix (base, "sha256-"))
    {
      g_autofree char *digest = g_strdup_printf ("sha256:%s", base + 7);
      g_autofree char *path = hearth_store_blob_path (store, digest, error);
      g_autoptr (HearthGguf) gguf = NULL;
      g_autoptr (GError) local = NULL;
      const HearthModelInfo *info;
      GStatBuf st;

      if (path == NULL)
        return FALSE;
      if (g_stat (path, &st) != 0)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                       _("there is no blob %s in %s"), digest, hearth_store_get_root (store));
          return FALSE;
        }
      gguf = hearth_gguf_open (path, &local);
      info = gguf != NULL ? hearth_gguf_get_model_info (gguf, &local) : NULL;
      if (info == NULL)
        {
          g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                               local->message);
          return FALSE;
        }
      c.format = g_strdup ("gguf");
      c.family = g_strdup (info->architecture);
      c.type = g_strdup (info->parameter_label);
      c.file_type = g_strdup (info->file_type);
      g_ptr_array_add (layers, layer_new (HEARTH_MEDIA_TYPE_MODEL, digest, st.st_size, NULL, NULL));
      base_display = g_strdup (digest);
    }
  else
    {
      g_autoptr (HearthModelName) base_name = hearth_model_name_parse (base, error);
      g_autoptr (JsonNode) base_manifest = NULL;
      g_autofree char *from = NULL;
      JsonArray *a;

      if (base_name == NULL)
        return FALSE;
      base_manifest = hearth_store_read_manifest (store, base_name, error);
      if (base_manifest == NULL)
        return FALSE;
      from = display_shortest (base_name);
      base_display = hearth_model_name_to_string (base_name);
      a = json_object_get_array_member (json_node_get_object (base_manifest), "layers");
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *l = json_array_get_object_element (a, i);

          g_ptr_array_add (layers,
                           layer_new (json_object_get_string_member (l, "mediaType"),
                                      json_object_get_string_member (l, "digest"),
                                      json_object_get_int_member (l, "size"), from,
                                      json_object_get_string_member_with_default (l, "name",
                                                                                  NULL)));
        }
      config_read_base (store, base_manifest, &c);
      if (c.family == NULL || c.type == NULL || c.file_type == NULL)
        {
          /* a config that does not say: the GGUF does */
          const char *digest = NULL;

          for (guint i = 0; digest == NULL && i < layers->len; i++)
            if (g_str_equal (((Layer *) layers->pdata[i])->media_type, HEARTH_MEDIA_TYPE_MODEL))
              digest = ((Layer *) layers->pdata[i])->digest;
          if (digest != NULL)
            {
              g_autofree char *path = hearth_store_blob_path (store, digest, NULL);
              g_autoptr (HearthGguf) gguf = path != NULL ? hearth_gguf_open (path, NULL) : NULL;
              const HearthModelInfo *info = gguf != NULL
                                            ? hearth_gguf_get_model_info (gguf, NULL) : NULL;

              if (info != NULL)
                {
                  if (c.family == NULL)
                    c.family = g_strdup (info->architecture);
                  if (c.type == NULL)
                    c.type = g_strdup (info->parameter_label);
                  if (c.file_type == NULL)
                    c.file_type = g_strdup (info->file_type);
                }
            }
        }
      if (c.format == NULL)
        c.format = g_strdup ("gguf");
    }

  for (guint i = 0; i < layers->len; i++)
    if (g_str_equal (((Layer *) layers->pdata[i])->media_type, HEARTH_MEDIA_TYPE_MODEL))
      g_ptr_array_add (families, g_strdup (c.family != NULL ? c.family : ""));
  if (families->len == 0 && c.remote_host == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the model “%s” has no model layer (no GGUF file)"), base_display);
      goto out;
    }

  /* createModel (): template, system, licenses, params, messages */
  if (in->template != NULL && in->template[0] != '\0')
    {
      remove_layers (layers, HEARTH_MEDIA_TYPE_TEMPLATE);
      if (!add_text_layer (store, layers, HEARTH_MEDIA_TYPE_TEMPLATE, in->template, error))
        goto out;
    }
  if (in->system != NULL && in->system[0] != '\0')
    {
      remove_layers (layers, HEARTH_MEDIA_TYPE_SYSTEM);
      if (!add_text_layer (store, layers, HEARTH_MEDIA_TYPE_SYSTEM, in->system, error))
        goto out;
    }
  for (guint i = 0; in->licenses != NULL && i < in->licenses->len; i++)
    {
      const char *text = g_ptr_array_index (in->licenses, i);

      if (text != NULL && text[0] != '\0'
          && !add_text_layer (store, layers, HEARTH_MEDIA_TYPE_LICENSE, text, error))
        goto out;
    }

  merged = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                  (GDestroyNotify) hearth_ollama_param_free);
  for (guint i = 0; in->params != NULL && i < in->params->len; i++)
    {
      HearthOllamaParam *p = hearth_ollama_param_copy (g_ptr_array_index (in->params, i));

      if (g_hash_table_contains (merged, p->name))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                       _("the parameter “%s” is given twice"), p->name);
          hearth_ollama_param_free (p);
          goto out;
        }
      g_hash_table_insert (merged, p->name, p);
    }
  if (!base_params (store, layers, base_display, merged, error))
    goto out;
  if (g_hash_table_size (merged) > 0)
    {
      g_autoptr (GPtrArray) list = g_ptr_array_new ();
      g_autoptr (GBytes) bytes = NULL;
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, merged);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (list, value);
      bytes = hearth_ollama_json_params (list, error);
      if (bytes == NULL)
        goto out;
      remove_layers (layers, HEARTH_MEDIA_TYPE_PARAMS);
      if (!add_blob_layer (store, layers, HEARTH_MEDIA_TYPE_PARAMS, bytes, error))
        goto out;
    }
  if (in->messages != NULL && in->messages->len > 0)
    {
      g_autoptr (GBytes) bytes = hearth_ollama_json_messages (in->messages, error);

      if (bytes == NULL)
        goto out;
      remove_layers (layers, HEARTH_MEDIA_TYPE_MESSAGES);
      if (!add_blob_layer (store, layers, HEARTH_MEDIA_TYPE_MESSAGES, bytes, error))
        goto out;
    }

  if (in->rules != NULL && hearth_rules_get_n_rules (in->rules) > 0)
    {
      g_autofree char *text = hearth_rules_to_modelfile (in->rules);

      remove_layers (layers, HEARTH_MEDIA_TYPE_RULES);
      if (!add_text_layer (store, layers, HEARTH_MEDIA_TYPE_RULES, text, error))
        goto out;
    }

  config = config_bytes (&c, families);
  config_digest = hearth_store_write_blob (store, g_bytes_get_data (config, NULL),
                                           g_bytes_get_size (config), error);
  if (config_digest == NULL)
    goto out;

  /* manifest.WriteManifest () */
  out = g_string_new ("{\"schemaVersion\":2,\"mediaType\":");
  hearth_ollama_json_append_string (out, HEARTH_MEDIA_TYPE_MANIFEST, -1);
  g_string_append (out, ",\"config\":");
  {
    Layer cl = { (char *) HEARTH_MEDIA_TYPE_CONFIG, config_digest,
                 (gint64) g_bytes_get_size (config), NULL, NULL };
    append_layer (out, &cl);
  }
  g_string_append (out, ",\"layers\":[");
  for (guint i = 0; i < layers->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_layer (out, g_ptr_array_index (layers, i));
    }
  g_string_append (out, "]}\n");

  /* what the model replaced used, given back once nothing else uses it */
  old = hearth_store_read_manifest (store, name, NULL);
  manifest = g_string_free_to_bytes (g_steal_pointer (&out));
  if (!hearth_store_write_manifest_bytes (store, name, manifest, error))
    goto out;
  if (old != NULL)
    {
      JsonObject *o = json_node_get_object (old);
      JsonArray *a = json_object_get_array_member (o, "layers");

      released = g_ptr_array_new ();
      for (guint i = 0; i < json_array_get_length (a); i++)
        g_ptr_array_add (released, (gpointer) json_object_get_string_member (
                                     json_array_get_object_element (a, i), "digest"));
      if (json_object_has_member (o, "config"))
        g_ptr_array_add (released, (gpointer) json_object_get_string_member (
                                     json_object_get_object_member (o, "config"), "digest"));
      g_ptr_array_add (released, NULL);
      hearth_store_prune (store, (const char * const *) released->pdata);
    }
  ok = TRUE;

out:
  config_clear (&c);
  return ok;
}
