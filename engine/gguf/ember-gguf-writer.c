/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GGUF writer: builds a GGUF file in memory (metadata, tensor table, aligned
 * tensor data) and writes it out. The tests make their model fixtures with
 * it; it writes version 3, little-endian.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-gguf-writer.h"
#include "ember-private.h"

typedef struct {
  uint8_t *data;
  size_t len;
  size_t cap;
  bool failed; /* out of memory: reported when writing */
} buffer;

typedef struct {
  char *name;
  uint32_t n_dims;
  uint64_t dims[EMBER_GGUF_MAX_DIMS];
  ember_type type;
  uint8_t *data;
  uint64_t size;
} writer_tensor;

struct ember_gguf_writer {
  buffer kv;        /* the encoded key/value pairs */
  uint64_t n_kv;
  writer_tensor *tensors;
  uint64_t n_tensors;
  uint64_t cap_tensors;
  uint32_t alignment;
  char problem[256]; /* the first misuse, reported when writing */
};

static void
buffer_append (buffer     *b,
               const void *data,
               size_t      len)
{
  if (b->failed)
    return;
  if (len > SIZE_MAX - b->len || !ember_grow (&b->data, &b->cap, b->len + len, 1, 256))
    {
      b->failed = true;
      return;
    }
  memcpy (b->data + b->len, data, len);
  b->len += len;
}

static void
put_u32 (buffer  *b,
         uint32_t v)
{
  uint8_t bytes[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };

  buffer_append (b, bytes, 4);
}

static void
put_u64 (buffer  *b,
         uint64_t v)
{
  put_u32 (b, (uint32_t) v);
  put_u32 (b, (uint32_t) (v >> 32));
}

static void
put_string (buffer     *b,
            const char *s,
            size_t      len)
{
  put_u64 (b, len);
  buffer_append (b, s, len);
}

/* One scalar of @type from a host-order C value at @src. */
static void
put_scalar (buffer          *b,
            ember_gguf_type  type,
            const void      *src)
{
  switch (type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_INT8:
      buffer_append (b, src, 1);
      break;
    case EMBER_GGUF_TYPE_BOOL:
      {
        uint8_t v = *(const uint8_t *) src != 0;

        buffer_append (b, &v, 1);
      }
      break;
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_INT16:
      {
        uint16_t v;

        memcpy (&v, src, 2);
        buffer_append (b, (uint8_t[2]) { (uint8_t) v, (uint8_t) (v >> 8) }, 2);
      }
      break;
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_FLOAT32:
      {
        uint32_t v;

        memcpy (&v, src, 4);
        put_u32 (b, v);
      }
      break;
    case EMBER_GGUF_TYPE_UINT64:
    case EMBER_GGUF_TYPE_INT64:
    case EMBER_GGUF_TYPE_FLOAT64:
      {
        uint64_t v;

        memcpy (&v, src, 8);
        put_u64 (b, v);
      }
      break;
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    default:
      break;
    }
}

static void
note_problem (ember_gguf_writer *w,
              const char        *what,
              const char        *name)
{
  if (w->problem[0] == '\0')
    snprintf (w->problem, sizeof w->problem, "%s: %.200s", what, name != NULL ? name : "(null)");
}

static void
begin_kv (ember_gguf_writer *w,
          const char        *key,
          ember_gguf_type    type)
{
  put_string (&w->kv, key, strlen (key));
  put_u32 (&w->kv, type);
  w->n_kv++;
}

ember_gguf_writer *
ember_gguf_writer_new (void)
{
  ember_gguf_writer *w = calloc (1, sizeof *w);

  if (w != NULL)
    w->alignment = 32;
  return w;
}

void
ember_gguf_writer_free (ember_gguf_writer *w)
{
  if (w == NULL)
    return;
  for (uint64_t i = 0; i < w->n_tensors; i++)
    {
      free (w->tensors[i].name);
      free (w->tensors[i].data);
    }
  free (w->tensors);
  free (w->kv.data);
  free (w);
}

void
ember_gguf_writer_add_scalar (ember_gguf_writer *w,
                              const char        *key,
                              ember_gguf_type    type,
                              const void        *value)
{
  if (key == NULL || value == NULL || ember_gguf_type_size (type) == 0)
    {
      note_problem (w, "not a scalar", key);
      return;
    }
  if (type == EMBER_GGUF_TYPE_UINT32 && strcmp (key, "general.alignment") == 0)
    memcpy (&w->alignment, value, 4);
  begin_kv (w, key, type);
  put_scalar (&w->kv, type, value);
}

void
ember_gguf_writer_add_uint32 (ember_gguf_writer *w,
                              const char        *key,
                              uint32_t           value)
{
  ember_gguf_writer_add_scalar (w, key, EMBER_GGUF_TYPE_UINT32, &value);
}

void
ember_gguf_writer_add_float32 (ember_gguf_writer *w,
                               const char        *key,
                               float              value)
{
  ember_gguf_writer_add_scalar (w, key, EMBER_GGUF_TYPE_FLOAT32, &value);
}

void
ember_gguf_writer_add_bool (ember_gguf_writer *w,
                            const char        *key,
                            bool               value)
{
  uint8_t v = value;

  ember_gguf_writer_add_scalar (w, key, EMBER_GGUF_TYPE_BOOL, &v);
}

void
ember_gguf_writer_add_string (ember_gguf_writer *w,
                              const char        *key,
                              const char        *value)
{
  if (key == NULL || value == NULL)
    {
      note_problem (w, "missing string", key);
      return;
    }
  begin_kv (w, key, EMBER_GGUF_TYPE_STRING);
  put_string (&w->kv, value, strlen (value));
}

void
ember_gguf_writer_add_array (ember_gguf_writer *w,
                             const char        *key,
                             ember_gguf_type    element_type,
                             const void        *values,
                             uint64_t           count)
{
  size_t size = ember_gguf_type_size (element_type);

  if (key == NULL || size == 0 || (values == NULL && count > 0))
    {
      note_problem (w, "bad array", key);
      return;
    }
  begin_kv (w, key, EMBER_GGUF_TYPE_ARRAY);
  put_u32 (&w->kv, element_type);
  put_u64 (&w->kv, count);
  for (uint64_t i = 0; i < count; i++)
    put_scalar (&w->kv, element_type, (const uint8_t *) values + i * size);
}

void
ember_gguf_writer_add_string_array (ember_gguf_writer *w,
                                    const char        *key,
                                    const char *const *values,
                                    uint64_t           count)
{
  if (key == NULL || (values == NULL && count > 0))
    {
      note_problem (w, "bad string array", key);
      return;
    }
  begin_kv (w, key, EMBER_GGUF_TYPE_ARRAY);
  put_u32 (&w->kv, EMBER_GGUF_TYPE_STRING);
  put_u64 (&w->kv, count);
  for (uint64_t i = 0; i < count; i++)
    put_string (&w->kv, values[i], strlen (values[i]));
}

void
ember_gguf_writer_add_raw (ember_gguf_writer *w,
                           const char        *key,
                           ember_gguf_type    type,
                           const void        *encoded,
                           size_t             length)
{
  if (key == NULL || (encoded == NULL && length > 0))
    {
      note_problem (w, "bad raw value", key);
      return;
    }
  begin_kv (w, key, type);
  buffer_append (&w->kv, encoded, length);
}

void
ember_gguf_writer_add_tensor (ember_gguf_writer *w,
                              const char        *name,
                              ember_type         type,
                              uint32_t           n_dims,
                              const uint64_t    *dims,
                              const void        *data)
{
  const ember_type_info *info = ember_type_get_info (type);
  writer_tensor *t;
  uint64_t n_elements = 1, rows = 1, row_bytes;

  if (name == NULL || info == NULL || n_dims == 0 || n_dims > EMBER_GGUF_MAX_DIMS || dims == NULL)
    {
      note_problem (w, "bad tensor", name);
      return;
    }
  for (uint32_t d = 0; d < n_dims; d++)
    {
      n_elements *= dims[d];
      if (d > 0)
        rows *= dims[d];
    }
  if (!ember_type_row_bytes (info, dims[0], &row_bytes) || n_elements == 0)
    {
      note_problem (w, "tensor rows are not whole blocks", name);
      return;
    }

  if (w->n_tensors == w->cap_tensors)
    {
      uint64_t cap = w->cap_tensors > 0 ? w->cap_tensors * 2 : 16;
      writer_tensor *grown = realloc (w->tensors, cap * sizeof *grown);

      if (grown == NULL)
        {
          note_problem (w, "out of memory", name);
          return;
        }
      w->tensors = grown;
      w->cap_tensors = cap;
    }

  t = &w->tensors[w->n_tensors];
  memset (t, 0, sizeof *t);
  t->name = strdup (name);
  t->n_dims = n_dims;
  memcpy (t->dims, dims, n_dims * sizeof *dims);
  t->type = type;
  t->size = row_bytes * rows;
  t->data = malloc (t->size);
  if (t->name == NULL || t->data == NULL)
    {
      free (t->name);
      free (t->data);
      note_problem (w, "out of memory", name);
      return;
    }
  if (data != NULL)
    memcpy (t->data, data, t->size);
  else
    memset (t->data, 0, t->size);
  w->n_tensors++;
}

static uint64_t
align_up (uint64_t offset,
          uint32_t alignment)
{
  return (offset + alignment - 1) / alignment * alignment;
}

ember_status
ember_gguf_writer_write_memory (ember_gguf_writer *w,
                                uint8_t          **out,
                                size_t            *size,
                                ember_error       *error)
{
  buffer b = { 0 };
  uint64_t offset = 0;
  static const uint8_t zeros[64] = { 0 };

  *out = NULL;
  *size = 0;
  if (w->problem[0] != '\0')
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "GGUF writer: %s", w->problem);
  if (w->alignment == 0 || (w->alignment & (w->alignment - 1)) != 0 || w->alignment > 64)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "GGUF writer: alignment %u is not a power of two up to 64", w->alignment);

  buffer_append (&b, "GGUF", 4);
  put_u32 (&b, 3);
  put_u64 (&b, w->n_tensors);
  put_u64 (&b, w->n_kv);
  buffer_append (&b, w->kv.data, w->kv.len);
  if (w->kv.failed)
    b.failed = true;

  for (uint64_t i = 0; i < w->n_tensors; i++)
    {
      writer_tensor *t = &w->tensors[i];

      put_string (&b, t->name, strlen (t->name));
      put_u32 (&b, t->n_dims);
      for (uint32_t d = 0; d < t->n_dims; d++)
        put_u64 (&b, t->dims[d]);
      put_u32 (&b, t->type);
      put_u64 (&b, offset);
      offset = align_up (offset + t->size, w->alignment);
    }

  for (uint64_t i = 0; i < w->n_tensors; i++)
    {
      writer_tensor *t = &w->tensors[i];

      buffer_append (&b, zeros, align_up (b.len, w->alignment) - b.len);
      buffer_append (&b, t->data, t->size);
    }
  if (w->n_tensors > 0)
    buffer_append (&b, zeros, align_up (b.len, w->alignment) - b.len);

  if (b.failed)
    {
      free (b.data);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "GGUF writer: out of memory");
    }
  *out = b.data;
  *size = b.len;
  return EMBER_OK;
}

ember_status
ember_gguf_writer_write_file (ember_gguf_writer *w,
                              const char        *path,
                              ember_error       *error)
{
  uint8_t *data;
  size_t size;
  ember_status status;
  FILE *f;
  bool ok;

  status = ember_gguf_writer_write_memory (w, &data, &size, error);
  if (status != EMBER_OK)
    return status;

  f = fopen (path, "wb");
  if (f == NULL)
    {
      free (data);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "cannot write %s: %s",
                              path, strerror (errno));
    }
  ok = fwrite (data, 1, size, f) == size;
  ok = fclose (f) == 0 && ok;
  free (data);
  if (!ok)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "cannot write %s: %s",
                            path, strerror (errno));
  return EMBER_OK;
}
