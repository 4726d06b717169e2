/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads every byte that a loaded ember_gguf says is valid: every key, every
 * value (nested arrays included), the first and last byte of every tensor's
 * data. Under AddressSanitizer a lie in the reader's validation shows up here.
 * Shared by the mutation test and the libFuzzer harness.
 */
#pragma once

#include <string.h>

#include "ember.h"

static inline uint64_t
gguf_touch_value (const ember_gguf_value *v,
                  int                     depth)
{
  uint64_t sum = 0;

  if (depth > 64)
    return 0;
  switch (v->type)
    {
    case EMBER_GGUF_TYPE_STRING:
      sum += v->string.length + (unsigned char) v->string.data[v->string.length];
      for (uint64_t i = 0; i < v->string.length; i++)
        sum += (unsigned char) v->string.data[i];
      break;
    case EMBER_GGUF_TYPE_ARRAY:
      if (v->array.items != NULL)
        for (uint64_t i = 0; i < v->array.count; i++)
          sum += gguf_touch_value (&v->array.items[i], depth + 1);
      else if (v->array.count > 0)
        {
          const uint8_t *bytes = v->array.data;
          uint64_t size = ember_gguf_type_size (v->array.type);

          sum += bytes[0] + bytes[v->array.count * size - 1];
        }
      break;
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_INT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_FLOAT32:
    case EMBER_GGUF_TYPE_BOOL:
    case EMBER_GGUF_TYPE_UINT64:
    case EMBER_GGUF_TYPE_INT64:
    case EMBER_GGUF_TYPE_FLOAT64:
    default:
      sum += v->u;
      break;
    }
  return sum;
}

static inline uint64_t
gguf_touch (const ember_gguf *gguf)
{
  uint64_t sum = 0;

  for (uint64_t i = 0; i < ember_gguf_get_n_kv (gguf); i++)
    {
      const char *key = ember_gguf_get_key (gguf, i);

      sum += strlen (key);
      sum += gguf_touch_value (ember_gguf_get_value (gguf, i), 0);
      sum += ember_gguf_find_value (gguf, key) == ember_gguf_get_value (gguf, i);
    }
  for (uint64_t i = 0; i < ember_gguf_get_n_tensors (gguf); i++)
    {
      const ember_gguf_tensor *t = ember_gguf_get_tensor (gguf, i);
      const uint8_t *data = t->data;

      sum += strlen (t->name) + t->n_elements + t->type->block_bytes;
      sum += data[0] + data[t->size - 1];
      sum += ember_gguf_find_tensor (gguf, t->name) == t;
    }
  return sum;
}
