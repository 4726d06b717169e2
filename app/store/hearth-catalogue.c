/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-catalogue"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-catalogue.h"
#include "hearth-model-name.h"
#include "hearth-app-data.h"

/* Hearth's default context, and the cache's element size (f32 keys and
 * values) */
#define DEFAULT_CONTEXT 4096
#define CACHE_ELEMENT 4

void
hearth_catalogue_model_free (HearthCatalogueModel *model)
{
  if (model == NULL)
    return;
  g_free (model->name);
  g_free (model->title);
  g_free (model->family);
  g_free (model->parameters);
  g_free (model->description);
  g_free (model->license);
  g_strfreev (model->languages);
  g_clear_pointer (&model->quants, g_ptr_array_unref);
  g_free (model);
}

static void
quant_free (HearthCatalogueQuant *quant)
{
  g_free (quant->tag);
  g_free (quant->quant);
  g_free (quant);
}

static const char *
string_member (JsonObject *o,
               const char *member)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING
      || *json_node_get_string (node) == '\0')
    return NULL;
  return json_node_get_string (node);
}

/* A positive whole number, else 0. */
static guint64
count_member (JsonObject *o,
              const char *member)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) <= 0)
    return 0;
  return (guint64) json_node_get_int (node);
}

/* "description": {"en": "…", "zh_CN": "…"}: the first of @languages it
 * has, else English. */
static char *
pick_text (JsonObject         *texts,
           const char * const *languages)
{
  for (guint i = 0; languages != NULL && languages[i] != NULL; i++)
    if (string_member (texts, languages[i]) != NULL)
      return g_strdup (string_member (texts, languages[i]));
  return g_strdup (string_member (texts, "en"));
}

static gboolean
bad (GError    **error,
     const char *entry,
     const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("the model catalogue is not valid: entry “%s”: %s"), entry, what);
  return FALSE;
}

static gboolean
parse_model (JsonObject            *o,
             const char * const    *languages,
             HearthCatalogueModel **out,
             GError               **error)
{
  g_autoptr (HearthCatalogueModel) m = g_new0 (HearthCatalogueModel, 1);
  const char *name = string_member (o, "name");
  const char *entry = name != NULL ? name : "?";
  JsonNode *node;
  guint64 layers, kv_heads, head_dim;
  g_autoptr (HearthModelName) parsed = NULL;

  if (name == NULL || (parsed = hearth_model_name_parse (name, NULL)) == NULL)
    return bad (error, entry, _("no valid “name”"));
  m->name = g_strdup (name);
  m->title = g_strdup (string_member (o, "title"));
  m->family = g_strdup (string_member (o, "family"));
  m->parameters = g_strdup (string_member (o, "parameters"));
  m->license = g_strdup (string_member (o, "license"));
  if (m->title == NULL || m->family == NULL || m->parameters == NULL || m->license == NULL)
    return bad (error, entry, _("“title”, “family”, “parameters” and “license” are needed"));
  node = json_object_get_member (o, "description");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)
      || (m->description = pick_text (json_node_get_object (node), languages)) == NULL)
    return bad (error, entry, _("“description” needs an English text (“en”)"));
  node = json_object_get_member (o, "languages");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad (error, entry, _("“languages” is not a list"));
  {
    JsonArray *a = json_node_get_array (node);
    g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

    for (guint i = 0; i < json_array_get_length (a); i++)
      {
        JsonNode *l = json_array_get_element (a, i);

        if (!JSON_NODE_HOLDS_VALUE (l) || json_node_get_value_type (l) != G_TYPE_STRING)
          return bad (error, entry, _("“languages” is not a list of language codes"));
        g_strv_builder_add (b, json_node_get_string (l));
      }
    m->languages = g_strv_builder_end (b);
  }
  node = json_object_get_member (o, "chinese");
  m->chinese = node != NULL && JSON_NODE_HOLDS_VALUE (node)
               && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
  m->context_length = count_member (o, "context_length");
  layers = count_member (o, "layers");
  kv_heads = count_member (o, "kv_heads");
  head_dim = count_member (o, "head_dim");
  if (m->context_length == 0 || layers == 0 || kv_heads == 0 || head_dim == 0
      || layers > 1024 || kv_heads > 1024 || head_dim > 4096)
    return bad (error, entry,
                _("“context_length”, “layers”, “kv_heads” and “head_dim” must be positive "
                  "numbers"));
  m->cache_bytes = 2 * layers * kv_heads * head_dim * MIN (m->context_length, DEFAULT_CONTEXT)
                   * CACHE_ELEMENT;

  node = json_object_get_member (o, "quantizations");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) == 0)
    return bad (error, entry, _("“quantizations” is not a list of downloads"));
  m->quants = g_ptr_array_new_with_free_func ((GDestroyNotify) quant_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *qn = json_array_get_element (json_node_get_array (node), i);
      JsonObject *qo = JSON_NODE_HOLDS_OBJECT (qn) ? json_node_get_object (qn) : NULL;
      HearthCatalogueQuant *q;
      g_autoptr (HearthModelName) tag = NULL;

      if (qo == NULL || string_member (qo, "tag") == NULL || string_member (qo, "quant") == NULL
          || count_member (qo, "size") == 0
          || (tag = hearth_model_name_parse (string_member (qo, "tag"), NULL)) == NULL)
        return bad (error, entry,
                    _("each quantization needs a valid “tag”, a “quant” and a “size”"));
      q = g_new0 (HearthCatalogueQuant, 1);
      q->tag = g_strdup (string_member (qo, "tag"));
      q->quant = g_strdup (string_member (qo, "quant"));
      q->size = count_member (qo, "size");
      g_ptr_array_add (m->quants, q);
    }
  *out = g_steal_pointer (&m);
  return TRUE;
}

GPtrArray *
hearth_catalogue_parse (const char          *data,
                        gsize                len,
                        const char * const  *languages,
                        GError             **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) local = NULL;
  JsonNode *root, *list;

  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the model catalogue is not valid JSON: %s"), local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (list = json_object_get_member (json_node_get_object (root), "models")) == NULL
      || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the model catalogue has no list of “models”"));
      return NULL;
    }
  models = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_catalogue_model_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (list), i);
      HearthCatalogueModel *m = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("the model catalogue is not valid: entry %u is not an object"), i + 1);
          return NULL;
        }
      if (!parse_model (json_node_get_object (node), languages, &m, error))
        return NULL;
      g_ptr_array_add (models, m);
    }
  return g_steal_pointer (&models);
}

GPtrArray *
hearth_catalogue_load (GError **error)
{
  g_autoptr (GBytes) bytes = hearth_app_data_lookup ("catalogue.json", error);

  if (bytes == NULL)
    return NULL;
  return hearth_catalogue_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                 g_get_language_names (), error);
}

void
hearth_catalogue_fit (const HearthCatalogueModel *model,
                      const HearthCatalogueQuant *quant,
                      guint64                     gpu_bytes,
                      guint64                     ram_bytes,
                      HearthFit                  *fit)
{
  hearth_fit_estimate_with_cache (quant->size, model->cache_bytes, gpu_bytes, ram_bytes, fit);
}
