/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-gguf"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ember.h"
#include "hearth-gguf-private.h"

struct _HearthGguf
{
  gatomicrefcount ref_count;

  /* owned, unless @owns_reader is FALSE (a wrapped reader) */
  ember_gguf *reader;
  gboolean owns_reader;
  char *path;

  /* made at construction, read-only after: any thread may read them */
  gboolean have_info;
  HearthModelInfo info;
  ember_model_info engine_info;  /* what @info's label and file type point into */
  char *info_error;              /* why there is no @info */
};

G_DEFINE_QUARK (hearth-gguf-error-quark, hearth_gguf_error)

G_DEFINE_BOXED_TYPE (HearthGguf, hearth_gguf, hearth_gguf_ref, hearth_gguf_unref)

static void
describe_model (HearthGguf *self)
{
  const ember_model_info *e = &self->engine_info;
  HearthModelInfo *info = &self->info;
  ember_error error = { 0 };

  if (ember_model_info_from_gguf (self->reader, &self->engine_info, &error) != EMBER_OK)
    {
      self->info_error = g_strdup (error.message);
      return;
    }
  self->have_info = TRUE;
  info->architecture = e->architecture;
  info->name = e->name;
  info->license = e->license;
  info->chat_template = e->chat_template;
  info->tokenizer_model = e->tokenizer_model;
  info->vocab_size = e->vocab_size;
  info->parameter_count = e->parameter_count;
  info->parameter_label = e->parameter_label;
  info->file_type = e->file_type;
  info->tensor_bytes = e->tensor_bytes;
  info->context_length = e->context_length;
  info->embedding_length = e->embedding_length;
  info->block_count = e->block_count;
  info->feed_forward_length = e->feed_forward_length;
  info->head_count = e->head_count;
  info->head_count_kv = e->head_count_kv;
  info->key_length = e->key_length;
  info->value_length = e->value_length;
  info->rms_epsilon = e->rms_epsilon;
  info->rope_dimension_count = e->rope_dimension_count;
  info->rope_freq_base = e->rope_freq_base;
  info->rope_freq_base_default = e->rope_freq_base_default;
  info->rope_scaling_type = e->rope_scaling_type;
  info->rope_scaling_factor = e->rope_scaling_factor;
  info->rope_original_context_length = e->rope_original_context_length;
  G_STATIC_ASSERT (HEARTH_MODEL_INFO_MAX_TYPES == EMBER_MODEL_INFO_MAX_TYPES);
  info->n_types = MIN (e->n_types, HEARTH_MODEL_INFO_MAX_TYPES);
  for (guint i = 0; i < info->n_types; i++)
    {
      info->types[i].type_name = e->types[i].type->name;
      info->types[i].tensors = e->types[i].tensors;
      info->types[i].elements = e->types[i].elements;
      info->types[i].bytes = e->types[i].bytes;
    }
}

static HearthGguf *
gguf_new (ember_gguf *reader,
          gboolean    owns_reader,
          const char *path)
{
  HearthGguf *self = g_new0 (HearthGguf, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->reader = reader;
  self->owns_reader = owns_reader;
  self->path = g_strdup (path);
  describe_model (self);
  return self;
}

/* ---- values as JSON ----------------------------------------------------- */

static JsonNode *value_json (const ember_gguf_value *v, guint64 max_array);

/* Element @i of a packed numeric or boolean array, as a value of its own. */
static void
array_element (const ember_gguf_value *v,
               guint64                 i,
               ember_gguf_value       *item)
{
  memset (item, 0, sizeof *item);
  item->type = v->array.type;
  switch (v->array.type)
    {
    case EMBER_GGUF_TYPE_UINT8:
      item->u = ((const uint8_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_INT8:
      item->i = ((const int8_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_UINT16:
      item->u = ((const uint16_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_INT16:
      item->i = ((const int16_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_UINT32:
      item->u = ((const uint32_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_INT32:
      item->i = ((const int32_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_FLOAT32:
      item->f = ((const float *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_BOOL:
      item->b = ((const uint8_t *) v->array.data)[i] != 0;
      break;
    case EMBER_GGUF_TYPE_UINT64:
      item->u = ((const uint64_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_INT64:
      item->i = ((const int64_t *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_FLOAT64:
      item->f = ((const double *) v->array.data)[i];
      break;
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    default:
      break;
    }
}

static JsonNode *
array_json (const ember_gguf_value *v,
            guint64                 max_array)
{
  JsonArray *array;

  if (max_array > 0 && v->array.count > max_array)
    {
      JsonObject *summary = json_object_new ();
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (summary, "type", "array");
      json_object_set_string_member (summary, "element_type",
                                     ember_gguf_type_to_string (v->array.type));
      json_object_set_int_member (summary, "count", (gint64) v->array.count);
      json_node_take_object (node, summary);
      return node;
    }

  array = json_array_sized_new ((guint) MIN (v->array.count, G_MAXUINT));
  for (guint64 i = 0; i < v->array.count; i++)
    {
      ember_gguf_value item;

      if (v->array.items != NULL)
        {
          json_array_add_element (array, value_json (&v->array.items[i], max_array));
          continue;
        }
      array_element (v, i, &item);
      json_array_add_element (array, value_json (&item, max_array));
    }
  {
    JsonNode *node = json_node_new (JSON_NODE_ARRAY);

    json_node_take_array (node, array);
    return node;
  }
}

static JsonNode *
value_json (const ember_gguf_value *v,
            guint64                 max_array)
{
  JsonNode *node = json_node_alloc ();

  switch (v->type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_UINT64:
      /* JSON integers are signed 64-bit here; larger ones go as doubles. */
      if (v->u <= G_MAXINT64)
        return json_node_init_int (node, (gint64) v->u);
      return json_node_init_double (node, (double) v->u);
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_INT16:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_INT64:
      return json_node_init_int (node, v->i);
    case EMBER_GGUF_TYPE_FLOAT32:
    case EMBER_GGUF_TYPE_FLOAT64:
      /* JSON has no NaN or infinity */
      if (isfinite (v->f))
        return json_node_init_double (node, v->f);
      return json_node_init_null (node);
    case EMBER_GGUF_TYPE_BOOL:
      return json_node_init_boolean (node, v->b);
    case EMBER_GGUF_TYPE_STRING:
      /* JSON strings are text: bytes that are not UTF-8 are replaced. */
      if (g_utf8_validate_len (v->string.data, v->string.length, NULL))
        return json_node_init_string (node, v->string.data);
      {
        g_autofree char *valid = g_utf8_make_valid (v->string.data, (gssize) v->string.length);

        return json_node_init_string (node, valid);
      }
    case EMBER_GGUF_TYPE_ARRAY:
      json_node_unref (node);
      return array_json (v, max_array);
    default:
      return json_node_init_null (node);
    }
}

/* ---- public API ----------------------------------------------------------- */

HearthGguf *
hearth_gguf_open (const char  *path,
                  GError     **error)
{
  ember_gguf *reader = NULL;
  ember_error e = { 0 };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ember_gguf_open (path, &reader, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_INVALID, e.message);
      return NULL;
    }
  return gguf_new (reader, TRUE, path);
}

HearthGguf *
hearth_gguf_new_for_reader (gconstpointer reader)
{
  g_return_val_if_fail (reader != NULL, NULL);

  /* const: the HearthGguf only reads it, and never frees one it does not own */
  return gguf_new ((ember_gguf *) reader, FALSE, NULL);
}

HearthGguf *
hearth_gguf_ref (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_gguf_unref (HearthGguf *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  if (self->owns_reader)
    ember_gguf_close (self->reader);
  g_free (self->path);
  g_free (self->info_error);
  g_free (self);
}

const char *
hearth_gguf_get_path (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

guint32
hearth_gguf_get_version (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ember_gguf_get_version (self->reader);
}

guint64
hearth_gguf_get_file_size (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ember_gguf_get_file_size (self->reader);
}

guint64
hearth_gguf_get_n_metadata (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ember_gguf_get_n_kv (self->reader);
}

const char *
hearth_gguf_get_key (HearthGguf *self,
                     guint64     index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < ember_gguf_get_n_kv (self->reader), NULL);

  return ember_gguf_get_key (self->reader, index);
}

const char *
hearth_gguf_get_value_type_name (HearthGguf *self,
                                 guint64     index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < ember_gguf_get_n_kv (self->reader), NULL);

  return ember_gguf_type_to_string (ember_gguf_get_value (self->reader, index)->type);
}

JsonNode *
hearth_gguf_dup_value_json (HearthGguf *self,
                            guint64     index,
                            guint64     max_array)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < ember_gguf_get_n_kv (self->reader), NULL);

  return value_json (ember_gguf_get_value (self->reader, index), max_array);
}

gboolean
hearth_gguf_has_key (HearthGguf *self,
                     const char *key)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return ember_gguf_find_value (self->reader, key) != NULL;
}

const char *
hearth_gguf_get_string (HearthGguf *self,
                        const char *key,
                        gsize      *length)
{
  uint64_t len = 0;
  const char *text;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  text = ember_gguf_get_string (self->reader, key, &len);
  if (length != NULL)
    *length = (gsize) len;
  return text;
}

gboolean
hearth_gguf_get_uint (HearthGguf *self,
                      const char *key,
                      guint64    *value)
{
  uint64_t v = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!ember_gguf_get_uint (self->reader, key, &v))
    return FALSE;
  if (value != NULL)
    *value = v;
  return TRUE;
}

const char *
hearth_gguf_get_string_array_item (HearthGguf *self,
                                   const char *key,
                                   guint64     index,
                                   gsize      *length)
{
  const ember_gguf_value *array;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  array = ember_gguf_get_array (self->reader, key);
  if (array == NULL || array->array.type != EMBER_GGUF_TYPE_STRING || index >= array->array.count)
    return NULL;
  if (length != NULL)
    *length = (gsize) array->array.items[index].string.length;
  return array->array.items[index].string.data;
}

char *
hearth_gguf_dup_special_token (HearthGguf *self,
                               const char *key)
{
  guint64 id;
  const char *text;
  gsize length = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (!hearth_gguf_get_uint (self, key, &id))
    return NULL;
  text = hearth_gguf_get_string_array_item (self, "tokenizer.ggml.tokens", id, &length);
  return text != NULL ? g_strndup (text, length) : NULL;
}

guint64
hearth_gguf_get_n_tensors (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ember_gguf_get_n_tensors (self->reader);
}

gboolean
hearth_gguf_get_tensor (HearthGguf       *self,
                        guint64           index,
                        HearthGgufTensor *tensor)
{
  const ember_gguf_tensor *t;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (tensor != NULL, FALSE);

  if (index >= ember_gguf_get_n_tensors (self->reader))
    return FALSE;
  t = ember_gguf_get_tensor (self->reader, index);
  G_STATIC_ASSERT (HEARTH_GGUF_MAX_DIMS == EMBER_GGUF_MAX_DIMS);
  memset (tensor, 0, sizeof *tensor);
  tensor->name = t->name;
  tensor->type_name = t->type->name;
  tensor->n_dims = MIN (t->n_dims, HEARTH_GGUF_MAX_DIMS);
  for (guint d = 0; d < HEARTH_GGUF_MAX_DIMS; d++)
    tensor->shape[d] = t->dims[d];
  tensor->n_elements = t->n_elements;
  tensor->offset = t->offset;
  tensor->size = t->size;
  return TRUE;
}

const HearthModelInfo *
hearth_gguf_get_model_info (HearthGguf  *self,
                            GError     **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!self->have_info)
    {
      g_set_error_literal (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_NOT_A_MODEL,
                           self->info_error);
      return NULL;
    }
  return &self->info;
}

const ember_gguf *
hearth_gguf_get_reader (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reader;
}
