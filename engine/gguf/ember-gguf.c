/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GGUF reader. Every count, length and offset read from the file is
 * checked against what is left of the file before it is used, with
 * overflow-safe arithmetic; nothing is read outside the mapping. The whole
 * file structure is validated at open time, so that a loaded ember_gguf can
 * be trusted by the rest of the engine.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember-gguf.h"
#include "ember-private.h"
#include "ember-unicode.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_ARRAY_DEPTH 8
#define GGUF_MAX_NAME 4096

/* Memory handed out by the parser: freed all at once with the gguf. */
typedef struct arena_chunk arena_chunk;
struct arena_chunk {
  arena_chunk *next;
  size_t used;
  size_t size;
  max_align_t data[];
};

typedef struct {
  const char *key;
  uint64_t index;
} name_slot;

/* Open addressing, for keys and tensor names. */
typedef struct {
  name_slot *slots;
  uint64_t n_slots; /* a power of two, at least twice the entries */
} name_index;

struct ember_gguf {
  /* the bytes */
  const uint8_t *data;
  uint64_t size;
  void *mapping; /* mmap()ed file, or NULL for ember_gguf_open_memory() */

  uint32_t version;
  uint32_t alignment;
  uint64_t data_offset;

  uint64_t n_kv;
  const char **keys;
  ember_gguf_value *values;
  name_index kv_index;

  uint64_t n_tensors;
  ember_gguf_tensor *tensors;
  name_index tensor_index;

  arena_chunk *arena;
};

typedef struct {
  ember_gguf *gguf;
  uint64_t pos;
  ember_error *error;
  char where[160]; /* what is being read, for messages */
} reader;

/* ---- helpers ------------------------------------------------------------- */

/* "9,812,223": byte counts in messages. */
static const char *
format_count (uint64_t value,
              char     buffer[32])
{
  char digits[24];
  int n = snprintf (digits, sizeof digits, "%" PRIu64, value);
  int out = 0;

  for (int i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        buffer[out++] = ',';
      buffer[out++] = digits[i];
    }
  buffer[out] = '\0';
  return buffer;
}

static void *
arena_alloc (ember_gguf *gguf,
             size_t      size)
{
  arena_chunk *chunk = gguf->arena;
  size_t aligned = (size + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);

  if (aligned < size)
    return NULL;
  if (chunk == NULL || chunk->size - chunk->used < aligned)
    {
#ifdef __SANITIZE_ADDRESS__
      /* One chunk per allocation, so that AddressSanitizer sees a read past
       * any value's end. */
      size_t chunk_size = aligned;
#else
      size_t chunk_size = aligned > (1u << 20) ? aligned : (1u << 20);
#endif

      if (chunk_size > SIZE_MAX - sizeof (arena_chunk))
        return NULL;
      chunk = malloc (sizeof (arena_chunk) + chunk_size);
      if (chunk == NULL)
        return NULL;
      chunk->used = 0;
      chunk->size = chunk_size;
      chunk->next = gguf->arena;
      gguf->arena = chunk;
    }
  chunk->used += aligned;
  return (uint8_t *) chunk->data + chunk->used - aligned;
}

static uint64_t
hash_name (const char *name)
{
  uint64_t h = 1469598103934665603ull; /* FNV-1a */

  for (const unsigned char *p = (const unsigned char *) name; *p != '\0'; p++)
    h = (h ^ *p) * 1099511628211ull;
  return h;
}

static bool
name_index_init (ember_gguf *gguf,
                 name_index *index,
                 uint64_t    n_entries)
{
  uint64_t n = 16;

  while (n < n_entries * 2)
    n *= 2;
  index->slots = arena_alloc (gguf, n * sizeof (name_slot));
  if (index->slots == NULL)
    return false;
  memset (index->slots, 0, n * sizeof (name_slot));
  index->n_slots = n;
  return true;
}

/* Adds @key; returns false when it is already there (*existing says where). */
static bool
name_index_add (name_index *index,
                const char *key,
                uint64_t    value,
                uint64_t   *existing)
{
  uint64_t mask = index->n_slots - 1;

  for (uint64_t i = hash_name (key) & mask;; i = (i + 1) & mask)
    {
      name_slot *slot = &index->slots[i];

      if (slot->key == NULL)
        {
          slot->key = key;
          slot->index = value;
          return true;
        }
      if (strcmp (slot->key, key) == 0)
        {
          *existing = slot->index;
          return false;
        }
    }
}

static bool
name_index_find (const name_index *index,
                 const char       *key,
                 uint64_t         *value)
{
  uint64_t mask;

  if (index->n_slots == 0 || key == NULL)
    return false;
  mask = index->n_slots - 1;
  for (uint64_t i = hash_name (key) & mask;; i = (i + 1) & mask)
    {
      const name_slot *slot = &index->slots[i];

      if (slot->key == NULL)
        return false;
      if (strcmp (slot->key, key) == 0)
        {
          *value = slot->index;
          return true;
        }
    }
}

/* ---- reading ------------------------------------------------------------- */

static uint64_t
remaining (const reader *r)
{
  return r->gguf->size - r->pos;
}

static bool
fail_truncated (reader     *r,
                const char *what,
                uint64_t    need)
{
  char a[32], b[32];

  ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                   "%s: %s needs %s bytes at byte %s, but the file ends at byte %s (truncated?)",
                   r->where, what, format_count (need, a), format_count (r->pos, b),
                   format_count (r->gguf->size, (char[32]) { 0 }));
  return false;
}

static bool
read_raw (reader     *r,
          void       *dst,
          uint64_t    n,
          const char *what)
{
  if (n > remaining (r))
    return fail_truncated (r, what, n);
  memcpy (dst, r->gguf->data + r->pos, n);
  r->pos += n;
  return true;
}

static bool
read_u32 (reader     *r,
          uint32_t   *value,
          const char *what)
{
  uint8_t b[4];

  if (!read_raw (r, b, 4, what))
    return false;
  *value = (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
  return true;
}

static bool
read_u64 (reader     *r,
          uint64_t   *value,
          const char *what)
{
  uint32_t lo, hi;

  if (!read_u32 (r, &lo, what) || !read_u32 (r, &hi, what))
    return false;
  *value = (uint64_t) hi << 32 | lo;
  return true;
}

/* Reads a GGUF string into a NUL-terminated copy in the arena. */
static bool
read_string (reader      *r,
             const char **out,
             uint64_t    *length,
             const char  *what)
{
  uint64_t len;
  char *copy;
  char a[32], b[32];

  if (!read_u64 (r, &len, what))
    return false;
  if (len > remaining (r))
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: %s is %s bytes long, more than the %s bytes left in the file",
                       r->where, what, format_count (len, a), format_count (remaining (r), b));
      return false;
    }
  copy = arena_alloc (r->gguf, (size_t) len + 1);
  if (copy == NULL)
    {
      ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "%s: out of memory", r->where);
      return false;
    }
  memcpy (copy, r->gguf->data + r->pos, len);
  copy[len] = '\0';
  r->pos += len;
  *out = copy;
  *length = len;
  return true;
}

/* A key or tensor name: not empty, no NUL byte inside, not absurdly long,
 * and strict UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF), as llama.cpp requires: names are shown to people and looked
 * up as text. */
static bool
read_name (reader      *r,
           const char **out,
           const char  *what)
{
  uint64_t len;
  size_t valid;
  bool incomplete;
  char a[32], b[32];

  if (!read_string (r, out, &len, what))
    return false;
  if (len == 0 || len > GGUF_MAX_NAME || strlen (*out) != len)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: %s is %s", r->where, what,
                       len == 0 ? "empty" : len > GGUF_MAX_NAME ? "too long" : "not text (it contains a NUL byte)");
      return false;
    }
  valid = ember_utf8_valid_prefix (*out, (size_t) len, &incomplete);
  if (valid != len)
    {
      /* the name ends just before r->pos */
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: %s is not valid UTF-8 (byte %s of it, at byte %s of the file)",
                       r->where, what, format_count (valid, a),
                       format_count (r->pos - len + valid, b));
      return false;
    }
  return true;
}

uint32_t
ember_gguf_type_size (ember_gguf_type type)
{
  switch (type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_BOOL:
      return 1;
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_INT16:
      return 2;
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_FLOAT32:
      return 4;
    case EMBER_GGUF_TYPE_UINT64:
    case EMBER_GGUF_TYPE_INT64:
    case EMBER_GGUF_TYPE_FLOAT64:
      return 8;
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    default:
      return 0;
    }
}

static bool
is_known_type (uint32_t type)
{
  return type <= EMBER_GGUF_TYPE_FLOAT64;
}

/* Decodes one little-endian scalar of @type at @p into @v. */
static void
decode_scalar (ember_gguf_type    type,
               const uint8_t     *p,
               ember_gguf_value  *v)
{
  uint64_t raw = 0;
  uint32_t size = ember_gguf_type_size (type);

  for (uint32_t i = 0; i < size; i++)
    raw |= (uint64_t) p[i] << (8 * i);

  v->type = type;
  switch (type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_UINT64:
      v->u = raw;
      break;
    case EMBER_GGUF_TYPE_INT8:
      v->i = (int8_t) raw;
      break;
    case EMBER_GGUF_TYPE_INT16:
      v->i = (int16_t) raw;
      break;
    case EMBER_GGUF_TYPE_INT32:
      v->i = (int32_t) raw;
      break;
    case EMBER_GGUF_TYPE_INT64:
      v->i = (int64_t) raw;
      break;
    case EMBER_GGUF_TYPE_FLOAT32:
      {
        uint32_t bits = (uint32_t) raw;
        float f;

        memcpy (&f, &bits, sizeof f);
        v->f = f;
      }
      break;
    case EMBER_GGUF_TYPE_FLOAT64:
      memcpy (&v->f, &raw, sizeof v->f);
      break;
    case EMBER_GGUF_TYPE_BOOL:
      v->b = raw != 0;
      break;
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    default:
      break;
    }
}

/* Copies @count packed little-endian scalars into host-order C values. */
static bool
read_numeric_array (reader           *r,
                    ember_gguf_type   type,
                    uint64_t          count,
                    ember_gguf_value *v)
{
  uint32_t size = ember_gguf_type_size (type);
  const uint8_t *src = r->gguf->data + r->pos;
  uint8_t *dst;

  /* The caller checked count * size against what is left. */
  dst = arena_alloc (r->gguf, count * size > 0 ? (size_t) (count * size) : 1);
  if (dst == NULL)
    {
      ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "%s: out of memory", r->where);
      return false;
    }

  for (uint64_t i = 0; i < count; i++)
    {
      ember_gguf_value one;
      const uint8_t *p = src + i * size;
      uint8_t *d = dst + i * size;

      decode_scalar (type, p, &one);
      switch (type)
        {
        case EMBER_GGUF_TYPE_UINT8:
        case EMBER_GGUF_TYPE_INT8:
          *d = *p;
          break;
        case EMBER_GGUF_TYPE_BOOL:
          *d = one.b ? 1 : 0;
          break;
        case EMBER_GGUF_TYPE_UINT16:
        case EMBER_GGUF_TYPE_INT16:
          {
            uint16_t x = (uint16_t) (p[0] | p[1] << 8);

            memcpy (d, &x, 2);
          }
          break;
        case EMBER_GGUF_TYPE_UINT32:
        case EMBER_GGUF_TYPE_INT32:
          {
            uint32_t x = (uint32_t) one.u;

            if (type == EMBER_GGUF_TYPE_INT32)
              x = (uint32_t) one.i;
            memcpy (d, &x, 4);
          }
          break;
        case EMBER_GGUF_TYPE_FLOAT32:
          {
            float f = (float) one.f;

            memcpy (d, &f, 4);
          }
          break;
        case EMBER_GGUF_TYPE_UINT64:
          memcpy (d, &one.u, 8);
          break;
        case EMBER_GGUF_TYPE_INT64:
          memcpy (d, &one.i, 8);
          break;
        case EMBER_GGUF_TYPE_FLOAT64:
          memcpy (d, &one.f, 8);
          break;
        case EMBER_GGUF_TYPE_STRING:
        case EMBER_GGUF_TYPE_ARRAY:
        default:
          break;
        }
    }

  r->pos += count * size;
  v->array.data = dst;
  return true;
}

static bool read_value (reader *r, ember_gguf_type type, ember_gguf_value *v, int depth);

static bool
read_array (reader           *r,
            ember_gguf_value *v,
            int               depth)
{
  uint32_t element_type;
  uint64_t count;
  uint64_t min_element_size;
  char a[32], b[32];

  if (depth >= GGUF_MAX_ARRAY_DEPTH)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: arrays nested more than %d deep", r->where, GGUF_MAX_ARRAY_DEPTH);
      return false;
    }
  if (!read_u32 (r, &element_type, "the array's element type")
      || !read_u64 (r, &count, "the array's length"))
    return false;
  if (!is_known_type (element_type))
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: unknown array element type %" PRIu32, r->where, element_type);
      return false;
    }

  /* Every element takes at least this many bytes of the file: a count that
   * could not fit is refused before anything is allocated. */
  min_element_size = ember_gguf_type_size (element_type);
  if (element_type == EMBER_GGUF_TYPE_STRING)
    min_element_size = 8;
  else if (element_type == EMBER_GGUF_TYPE_ARRAY)
    min_element_size = 12;
  if (count > remaining (r) / min_element_size)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: an array of %s %s elements cannot fit in the %s bytes left in the file",
                       r->where, format_count (count, a), ember_gguf_type_to_string (element_type),
                       format_count (remaining (r), b));
      return false;
    }

  v->type = EMBER_GGUF_TYPE_ARRAY;
  v->array.type = element_type;
  v->array.count = count;
  v->array.data = NULL;
  v->array.items = NULL;

  if (element_type != EMBER_GGUF_TYPE_STRING && element_type != EMBER_GGUF_TYPE_ARRAY)
    return read_numeric_array (r, element_type, count, v);

  {
    ember_gguf_value *items = arena_alloc (r->gguf, count > 0 ? (size_t) count * sizeof *items : 1);

    if (items == NULL)
      {
        ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "%s: out of memory", r->where);
        return false;
      }
    for (uint64_t i = 0; i < count; i++)
      if (!read_value (r, element_type, &items[i], depth + 1))
        return false;
    v->array.items = items;
  }
  return true;
}

static bool
read_value (reader           *r,
            ember_gguf_type   type,
            ember_gguf_value *v,
            int               depth)
{
  memset (v, 0, sizeof *v);

  if (type == EMBER_GGUF_TYPE_STRING)
    {
      v->type = type;
      return read_string (r, &v->string.data, &v->string.length, "a string value");
    }
  if (type == EMBER_GGUF_TYPE_ARRAY)
    return read_array (r, v, depth);

  {
    uint8_t bytes[8];
    uint32_t size = ember_gguf_type_size (type);

    if (!read_raw (r, bytes, size, "a value"))
      return false;
    decode_scalar (type, bytes, v);
  }
  return true;
}

/* ---- the header and metadata -------------------------------------------- */

static bool
read_header (reader   *r,
             uint64_t *n_tensors,
             uint64_t *n_kv)
{
  ember_gguf *gguf = r->gguf;
  char magic[4];
  char a[32], b[32];

  snprintf (r->where, sizeof r->where, "GGUF header");
  if (gguf->size < 4 || memcmp (gguf->data, GGUF_MAGIC, 4) != 0)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "not a GGUF file (it does not start with \"GGUF\")");
      return false;
    }
  if (!read_raw (r, magic, 4, "the magic") || !read_u32 (r, &gguf->version, "the version"))
    return false;

  if (gguf->version == 1)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "unsupported old format: GGUF version 1, from the summer of 2023; "
                       "convert the model again with a current llama.cpp");
      return false;
    }
  if (gguf->version == 0x02000000u || gguf->version == 0x03000000u)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "this GGUF file is big-endian; Hearth reads little-endian GGUF files only");
      return false;
    }
  if (gguf->version != 2 && gguf->version != 3)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "GGUF version %" PRIu32 " is not supported (Hearth reads versions 2 and 3)",
                       gguf->version);
      return false;
    }

  if (!read_u64 (r, n_tensors, "the tensor count") || !read_u64 (r, n_kv, "the metadata count"))
    return false;

  /* A tensor info takes at least 24 bytes, a key/value at least 13. */
  if (*n_tensors > remaining (r) / 24)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "the header claims %s tensors, more than the file (%s bytes) can hold",
                       format_count (*n_tensors, a), format_count (gguf->size, b));
      return false;
    }
  if (*n_kv > remaining (r) / 13)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "the header claims %s metadata entries, more than the file (%s bytes) can hold",
                       format_count (*n_kv, a), format_count (gguf->size, b));
      return false;
    }
  return true;
}

static bool
read_metadata (reader  *r,
               uint64_t n_kv)
{
  ember_gguf *gguf = r->gguf;

  gguf->keys = arena_alloc (gguf, (n_kv > 0 ? n_kv : 1) * sizeof *gguf->keys);
  gguf->values = arena_alloc (gguf, (n_kv > 0 ? n_kv : 1) * sizeof *gguf->values);
  if (gguf->keys == NULL || gguf->values == NULL || !name_index_init (gguf, &gguf->kv_index, n_kv))
    {
      ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory reading the metadata");
      return false;
    }

  for (uint64_t i = 0; i < n_kv; i++)
    {
      uint32_t type;
      uint64_t existing;

      snprintf (r->where, sizeof r->where, "metadata entry %" PRIu64, i);
      if (!read_name (r, &gguf->keys[i], "the key"))
        return false;
      snprintf (r->where, sizeof r->where, "metadata key %.120s", gguf->keys[i]);
      if (!read_u32 (r, &type, "the value type"))
        return false;
      if (!is_known_type (type))
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "%s: unknown value type %" PRIu32, r->where, type);
          return false;
        }
      if (!read_value (r, type, &gguf->values[i], 0))
        return false;
      if (!name_index_add (&gguf->kv_index, gguf->keys[i], i, &existing))
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "%s appears twice (entries %" PRIu64 " and %" PRIu64 ")",
                           r->where, existing, i);
          return false;
        }
      gguf->n_kv = i + 1;
    }
  return true;
}

static bool
read_alignment (reader *r)
{
  ember_gguf *gguf = r->gguf;
  const ember_gguf_value *v = ember_gguf_find_value (gguf, "general.alignment");
  uint64_t alignment;

  gguf->alignment = GGUF_DEFAULT_ALIGNMENT;
  if (v == NULL)
    return true;

  if (!ember_gguf_get_uint (gguf, "general.alignment", &alignment)
      || alignment == 0 || alignment > (1u << 30) || (alignment & (alignment - 1)) != 0)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "metadata key general.alignment must be a power of two up to 2^30");
      return false;
    }
  gguf->alignment = (uint32_t) alignment;
  return true;
}

/* ---- tensors ------------------------------------------------------------- */

static bool
read_tensor_info (reader            *r,
                  uint64_t           i,
                  ember_gguf_tensor *t)
{
  uint32_t type_id;
  uint64_t row_bytes, rows = 1;
  char a[32];

  snprintf (r->where, sizeof r->where, "tensor %" PRIu64, i);
  if (!read_name (r, &t->name, "the name"))
    return false;
  snprintf (r->where, sizeof r->where, "tensor %.120s", t->name);

  if (!read_u32 (r, &t->n_dims, "the number of dimensions"))
    return false;
  if (t->n_dims == 0 || t->n_dims > EMBER_GGUF_MAX_DIMS)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s has %" PRIu32 " dimensions (1 to %d are possible)",
                       r->where, t->n_dims, EMBER_GGUF_MAX_DIMS);
      return false;
    }

  t->n_elements = 1;
  for (uint32_t d = 0; d < EMBER_GGUF_MAX_DIMS; d++)
    t->dims[d] = 1;
  for (uint32_t d = 0; d < t->n_dims; d++)
    {
      if (!read_u64 (r, &t->dims[d], "a dimension"))
        return false;
      if (t->dims[d] == 0 || t->dims[d] > (uint64_t) INT64_MAX
          || t->n_elements > (uint64_t) INT64_MAX / t->dims[d])
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "%s: dimension %" PRIu32 " is %s, which %s", r->where, d,
                           format_count (t->dims[d], a),
                           t->dims[d] == 0 ? "makes an empty tensor" : "makes the tensor impossibly large");
          return false;
        }
      t->n_elements *= t->dims[d];
      if (d > 0)
        rows *= t->dims[d];
    }

  if (!read_u32 (r, &type_id, "the type") || !read_u64 (r, &t->offset, "the data offset"))
    return false;

  t->type = ember_type_get_info (type_id);
  if (t->type == NULL)
    {
      const char *name = ember_type_id_to_name (type_id);

      if (name != NULL)
        ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                         "%s has type %s (%" PRIu32 "), which Hearth does not support",
                         r->where, name, type_id);
      else
        ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                         "%s has unknown type %" PRIu32, r->where, type_id);
      return false;
    }

  if (!ember_type_row_bytes (t->type, t->dims[0], &row_bytes))
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "%s: rows of %s elements are not a whole number of %s blocks (%" PRIu32 " each)",
                       r->where, format_count (t->dims[0], a), t->type->name,
                       t->type->block_elements);
      return false;
    }
  if (row_bytes != 0 && rows > UINT64_MAX / row_bytes)
    {
      ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT, "%s is impossibly large", r->where);
      return false;
    }
  t->size = row_bytes * rows;
  return true;
}

static int
compare_by_offset (const void *a,
                   const void *b)
{
  const ember_gguf_tensor *ta = *(const ember_gguf_tensor *const *) a;
  const ember_gguf_tensor *tb = *(const ember_gguf_tensor *const *) b;

  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset ? 1 : 0;
}

/* Every tensor's data lies inside the file, aligned, and no two overlap. */
static bool
check_tensor_data (reader *r)
{
  ember_gguf *gguf = r->gguf;
  const ember_gguf_tensor **sorted;
  char a[32], b[32];

  for (uint64_t i = 0; i < gguf->n_tensors; i++)
    {
      ember_gguf_tensor *t = &gguf->tensors[i];
      uint64_t start, end;

      if (t->offset % gguf->alignment != 0)
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "tensor %s: data offset %s is not a multiple of the alignment (%" PRIu32 ")",
                           t->name, format_count (t->offset, a), gguf->alignment);
          return false;
        }
      if (t->offset > UINT64_MAX - gguf->data_offset
          || gguf->data_offset + t->offset > UINT64_MAX - t->size)
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "tensor %s: data offset %s is impossibly large",
                           t->name, format_count (t->offset, a));
          return false;
        }
      start = gguf->data_offset + t->offset;
      end = start + t->size;
      if (end > gguf->size)
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "tensor %s: data ends at byte %s, past the end of the file (%s bytes)",
                           t->name, format_count (end, a), format_count (gguf->size, b));
          return false;
        }
      t->data = gguf->data + start;
    }

  if (gguf->n_tensors < 2)
    return true;

  sorted = malloc (gguf->n_tensors * sizeof *sorted);
  if (sorted == NULL)
    {
      ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory checking tensors");
      return false;
    }
  for (uint64_t i = 0; i < gguf->n_tensors; i++)
    sorted[i] = &gguf->tensors[i];
  qsort (sorted, gguf->n_tensors, sizeof *sorted, compare_by_offset);
  for (uint64_t i = 1; i < gguf->n_tensors; i++)
    if (sorted[i - 1]->offset + sorted[i - 1]->size > sorted[i]->offset)
      {
        ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                         "tensors %s and %s overlap in the file", sorted[i - 1]->name,
                         sorted[i]->name);
        free (sorted);
        return false;
      }
  free (sorted);
  return true;
}

static bool
read_tensors (reader  *r,
              uint64_t n_tensors)
{
  ember_gguf *gguf = r->gguf;

  gguf->tensors = arena_alloc (gguf, (n_tensors > 0 ? n_tensors : 1) * sizeof *gguf->tensors);
  if (gguf->tensors == NULL || !name_index_init (gguf, &gguf->tensor_index, n_tensors))
    {
      ember_error_set (r->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory reading the tensor table");
      return false;
    }

  for (uint64_t i = 0; i < n_tensors; i++)
    {
      uint64_t existing;

      if (!read_tensor_info (r, i, &gguf->tensors[i]))
        return false;
      if (!name_index_add (&gguf->tensor_index, gguf->tensors[i].name, i, &existing))
        {
          ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "tensor %s appears twice (entries %" PRIu64 " and %" PRIu64 ")",
                           gguf->tensors[i].name, existing, i);
          return false;
        }
      gguf->n_tensors = i + 1;
    }

  /* The data section starts at the next multiple of the alignment. */
  gguf->data_offset = r->pos;
  if (gguf->data_offset % gguf->alignment != 0)
    gguf->data_offset += gguf->alignment - gguf->data_offset % gguf->alignment;

  return check_tensor_data (r);
}

/* ---- opening and closing ------------------------------------------------ */

static ember_status
parse (ember_gguf  *gguf,
       ember_error *error)
{
  reader r = { .gguf = gguf, .pos = 0, .error = error };
  ember_error local;
  uint64_t n_tensors, n_kv;

  if (error == NULL)
    r.error = &local;

  if (!read_header (&r, &n_tensors, &n_kv)
      || !read_metadata (&r, n_kv)
      || !read_alignment (&r)
      || !read_tensors (&r, n_tensors))
    return r.error->status != EMBER_OK ? r.error->status : EMBER_ERROR_INVALID_ARGUMENT;

  return EMBER_OK;
}

ember_status
ember_gguf_open_memory (const void  *data,
                        size_t       size,
                        ember_gguf **out,
                        ember_error *error)
{
  ember_gguf *gguf;
  ember_status status;

  if (out == NULL || (data == NULL && size > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_gguf_open_memory: missing argument");
  *out = NULL;

  gguf = calloc (1, sizeof *gguf);
  if (gguf == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  gguf->data = data;
  gguf->size = size;

  status = parse (gguf, error);
  if (status != EMBER_OK)
    {
      ember_gguf_close (gguf);
      return status;
    }
  *out = gguf;
  return EMBER_OK;
}

ember_status
ember_gguf_open (const char  *path,
                 ember_gguf **out,
                 ember_error *error)
{
  struct stat st;
  void *mapping;
  ember_status status;
  int fd;

  if (out == NULL || path == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_gguf_open: missing argument");
  *out = NULL;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "cannot open %s: %s",
                            path, strerror (errno));
  if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "cannot read %s: %s",
                              path, strerror (saved));
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "%s is not a regular file", path);
    }
  if (st.st_size == 0)
    {
      close (fd);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "%s is empty, not a GGUF file", path);
    }
  if ((uint64_t) st.st_size > SIZE_MAX)
    {
      close (fd);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                              "%s is too large to map on this system", path);
    }

  mapping = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (mapping == MAP_FAILED)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "cannot map %s: %s",
                            path, strerror (errno));

  status = ember_gguf_open_memory (mapping, (size_t) st.st_size, out, error);
  if (status != EMBER_OK)
    {
      size_t len = strlen (path);

      munmap (mapping, (size_t) st.st_size);
      /* Say which file, once. */
      if (error != NULL && strncmp (error->message, path, len) != 0)
        {
          char problem[EMBER_ERROR_MESSAGE_MAX];

          memcpy (problem, error->message, sizeof problem);
          snprintf (error->message, sizeof error->message, "%.200s: %.300s", path, problem);
        }
      return status;
    }
  (*out)->mapping = mapping;
  return EMBER_OK;
}

void
ember_gguf_close (ember_gguf *gguf)
{
  if (gguf == NULL)
    return;

  if (gguf->mapping != NULL)
    munmap (gguf->mapping, (size_t) gguf->size);
  while (gguf->arena != NULL)
    {
      arena_chunk *next = gguf->arena->next;

      free (gguf->arena);
      gguf->arena = next;
    }
  free (gguf);
}

/* ---- accessors ----------------------------------------------------------- */

uint32_t
ember_gguf_get_version (const ember_gguf *gguf)
{
  return gguf->version;
}

uint64_t
ember_gguf_get_file_size (const ember_gguf *gguf)
{
  return gguf->size;
}

uint32_t
ember_gguf_get_alignment (const ember_gguf *gguf)
{
  return gguf->alignment;
}

uint64_t
ember_gguf_get_n_kv (const ember_gguf *gguf)
{
  return gguf->n_kv;
}

const char *
ember_gguf_get_key (const ember_gguf *gguf,
                    uint64_t          index)
{
  return index < gguf->n_kv ? gguf->keys[index] : NULL;
}

const ember_gguf_value *
ember_gguf_get_value (const ember_gguf *gguf,
                      uint64_t          index)
{
  return index < gguf->n_kv ? &gguf->values[index] : NULL;
}

const ember_gguf_value *
ember_gguf_find_value (const ember_gguf *gguf,
                       const char       *key)
{
  uint64_t index;

  if (!name_index_find (&gguf->kv_index, key, &index))
    return NULL;
  return &gguf->values[index];
}

bool
ember_gguf_get_uint (const ember_gguf *gguf,
                     const char       *key,
                     uint64_t         *value)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL)
    return false;
  switch (v->type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_UINT64:
      *value = v->u;
      return true;
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_INT16:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_INT64:
      if (v->i < 0)
        return false;
      *value = (uint64_t) v->i;
      return true;
    case EMBER_GGUF_TYPE_FLOAT32:
    case EMBER_GGUF_TYPE_BOOL:
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    case EMBER_GGUF_TYPE_FLOAT64:
    default:
      return false;
    }
}

bool
ember_gguf_get_int (const ember_gguf *gguf,
                    const char       *key,
                    int64_t          *value)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL)
    return false;
  switch (v->type)
    {
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_INT16:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_INT64:
      *value = v->i;
      return true;
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_UINT64:
      if (v->u > (uint64_t) INT64_MAX)
        return false;
      *value = (int64_t) v->u;
      return true;
    case EMBER_GGUF_TYPE_FLOAT32:
    case EMBER_GGUF_TYPE_BOOL:
    case EMBER_GGUF_TYPE_STRING:
    case EMBER_GGUF_TYPE_ARRAY:
    case EMBER_GGUF_TYPE_FLOAT64:
    default:
      return false;
    }
}

bool
ember_gguf_get_float (const ember_gguf *gguf,
                      const char       *key,
                      double           *value)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL || (v->type != EMBER_GGUF_TYPE_FLOAT32 && v->type != EMBER_GGUF_TYPE_FLOAT64))
    return false;
  *value = v->f;
  return true;
}

bool
ember_gguf_get_bool (const ember_gguf *gguf,
                     const char       *key,
                     bool             *value)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL || v->type != EMBER_GGUF_TYPE_BOOL)
    return false;
  *value = v->b;
  return true;
}

const char *
ember_gguf_get_string (const ember_gguf *gguf,
                       const char       *key,
                       uint64_t         *length)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL || v->type != EMBER_GGUF_TYPE_STRING)
    return NULL;
  if (length != NULL)
    *length = v->string.length;
  return v->string.data;
}

const ember_gguf_value *
ember_gguf_get_array (const ember_gguf *gguf,
                      const char       *key)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  return v != NULL && v->type == EMBER_GGUF_TYPE_ARRAY ? v : NULL;
}

uint64_t
ember_gguf_get_n_tensors (const ember_gguf *gguf)
{
  return gguf->n_tensors;
}

const ember_gguf_tensor *
ember_gguf_get_tensor (const ember_gguf *gguf,
                       uint64_t          index)
{
  return index < gguf->n_tensors ? &gguf->tensors[index] : NULL;
}

const ember_gguf_tensor *
ember_gguf_find_tensor (const ember_gguf *gguf,
                        const char       *name)
{
  uint64_t index;

  if (!name_index_find (&gguf->tensor_index, name, &index))
    return NULL;
  return &gguf->tensors[index];
}

const char *
ember_gguf_type_to_string (ember_gguf_type type)
{
  static const char *const names[] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
  };

  if ((uint32_t) type < sizeof names / sizeof names[0])
    return names[type];
  return "unknown";
}
