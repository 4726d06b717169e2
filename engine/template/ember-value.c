/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Values: the public builders (reference counted), the pool that holds every
 * value made while rendering, and the Python semantics that templates see:
 * truth, equality, str(), repr() and json.dumps().
 */

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-private.h"

/* ---- the pool --------------------------------------------------------------- */

#define POOL_CHUNK (64 * 1024)

struct pool_chunk {
  struct pool_chunk *next;
  size_t size, used;
  max_align_t data[];
};

void
pool_init (ember_pool *pool,
           size_t      limit)
{
  memset (pool, 0, sizeof *pool);
  pool->limit = limit;
}

void
pool_clear (ember_pool *pool)
{
  struct pool_chunk *c = pool->chunks;

  while (c != NULL)
    {
      struct pool_chunk *next = c->next;
      free (c);
      c = next;
    }
  pool->chunks = NULL;
  pool->used = 0;
}

void *
pool_alloc (ember_pool *pool,
            size_t      size)
{
  struct pool_chunk *c = pool->chunks;
  size_t align = sizeof (max_align_t);
  void *p;

  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  if (pool->exhausted || size > pool->limit || pool->used > pool->limit - size)
    {
      pool->exhausted = true;
      return NULL;
    }

  if (c == NULL || c->size - c->used < size)
    {
      size_t chunk = size > POOL_CHUNK / 4 ? size : POOL_CHUNK;

      c = malloc (sizeof *c + chunk);
      if (c == NULL)
        {
          pool->exhausted = true;
          return NULL;
        }
      c->size = chunk;
      c->used = 0;
      /* A big block goes behind the current chunk so its free space stays usable. */
      if (chunk != POOL_CHUNK && pool->chunks != NULL)
        {
          c->next = pool->chunks->next;
          pool->chunks->next = c;
        }
      else
        {
          c->next = pool->chunks;
          pool->chunks = c;
        }
    }

  p = (char *) c->data + c->used;
  c->used += size;
  pool->used += size;
  memset (p, 0, size);
  return p;
}

ember_value *
pv_new (ember_pool *pool,
        int         kind)
{
  ember_value *v = pool_alloc (pool, sizeof *v);

  if (v == NULL)
    return NULL;
  v->kind = kind;
  v->flags = VALUE_POOLED;
  return v;
}

ember_value *
pv_string (ember_pool *pool,
           const char *s,
           size_t      len)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_STRING);
  char *data;

  if (v == NULL || len == SIZE_MAX || (data = pool_alloc (pool, len + 1)) == NULL)
    return NULL;
  if (len > 0)
    memcpy (data, s, len);
  v->u.s.data = data;
  v->u.s.len = len;
  return v;
}

ember_value *
pv_int (ember_pool *pool,
        int64_t     i)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_INT);

  if (v != NULL)
    v->u.i = i;
  return v;
}

ember_value *
pv_float (ember_pool *pool,
          double      f)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_FLOAT);

  if (v != NULL)
    v->u.f = f;
  return v;
}

ember_value *
pv_bool (ember_pool *pool,
         bool        b)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_BOOL);

  if (v != NULL)
    v->u.b = b;
  return v;
}

ember_value *
pv_list (ember_pool *pool,
         size_t      cap)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_LIST);

  if (v == NULL)
    return NULL;
  if (cap > 0)
    {
      if (cap > SIZE_MAX / sizeof (ember_value *))
        return NULL;
      v->u.list.items = pool_alloc (pool, cap * sizeof (ember_value *));
      if (v->u.list.items == NULL)
        return NULL;
      v->u.list.cap = cap;
    }
  return v;
}

bool
pv_list_push (ember_pool  *pool,
              ember_value *list,
              ember_value *item)
{
  if (list->u.list.len == list->u.list.cap)
    {
      size_t cap = list->u.list.cap < 8 ? 8 : list->u.list.cap * 2;
      ember_value **items = pool_alloc (pool, cap * sizeof *items);

      if (items == NULL)
        return false;
      if (list->u.list.len > 0)
        memcpy (items, list->u.list.items, list->u.list.len * sizeof *items);
      list->u.list.items = items;
      list->u.list.cap = cap;
    }
  list->u.list.items[list->u.list.len++] = item;
  return true;
}

ember_value *
pv_dict (ember_pool *pool,
         size_t      cap)
{
  ember_value *v = pv_new (pool, EMBER_VALUE_DICT);

  if (v == NULL)
    return NULL;
  if (cap > 0)
    {
      v->u.dict.keys = pool_alloc (pool, cap * sizeof (ember_value *));
      v->u.dict.values = pool_alloc (pool, cap * sizeof (ember_value *));
      if (v->u.dict.keys == NULL || v->u.dict.values == NULL)
        return NULL;
      v->u.dict.cap = cap;
    }
  return v;
}

bool
pv_dict_set (ember_pool  *pool,
             ember_value *dict,
             ember_value *key,
             ember_value *item)
{
  for (size_t i = 0; i < dict->u.dict.len; i++)
    if (value_equal (dict->u.dict.keys[i], key))
      {
        dict->u.dict.values[i] = item;
        return true;
      }

  if (dict->u.dict.len == dict->u.dict.cap)
    {
      size_t cap = dict->u.dict.cap < 8 ? 8 : dict->u.dict.cap * 2;
      ember_value **keys = pool_alloc (pool, cap * sizeof *keys);
      ember_value **values = pool_alloc (pool, cap * sizeof *values);

      if (keys == NULL || values == NULL)
        return false;
      if (dict->u.dict.len > 0)
        {
          memcpy (keys, dict->u.dict.keys, dict->u.dict.len * sizeof *keys);
          memcpy (values, dict->u.dict.values, dict->u.dict.len * sizeof *values);
        }
      dict->u.dict.keys = keys;
      dict->u.dict.values = values;
      dict->u.dict.cap = cap;
    }
  dict->u.dict.keys[dict->u.dict.len] = key;
  dict->u.dict.values[dict->u.dict.len] = item;
  dict->u.dict.len++;
  return true;
}

/* ---- public builders ---------------------------------------------------------- */

static ember_value *
value_alloc (int kind)
{
  ember_value *v = calloc (1, sizeof *v);

  if (v == NULL)
    return NULL;
  v->kind = kind;
  v->refcount = 1;
  return v;
}

ember_value *
ember_value_new_null (void)
{
  return value_alloc (EMBER_VALUE_NULL);
}

ember_value *
ember_value_new_bool (bool b)
{
  ember_value *v = value_alloc (EMBER_VALUE_BOOL);

  if (v != NULL)
    v->u.b = b;
  return v;
}

ember_value *
ember_value_new_int (int64_t i)
{
  ember_value *v = value_alloc (EMBER_VALUE_INT);

  if (v != NULL)
    v->u.i = i;
  return v;
}

ember_value *
ember_value_new_float (double f)
{
  ember_value *v = value_alloc (EMBER_VALUE_FLOAT);

  if (v != NULL)
    v->u.f = f;
  return v;
}

ember_value *
ember_value_new_string (const char *s,
                        size_t      len)
{
  ember_value *v;

  if (s == NULL)
    s = "";
  if (len == (size_t) -1)
    len = strlen (s);
  v = value_alloc (EMBER_VALUE_STRING);
  if (v == NULL)
    return NULL;
  v->u.s.data = malloc (len + 1);
  if (v->u.s.data == NULL)
    {
      free (v);
      return NULL;
    }
  if (len > 0)
    memcpy (v->u.s.data, s, len);
  v->u.s.data[len] = '\0';
  v->u.s.len = len;
  return v;
}

ember_value *
ember_value_new_list (void)
{
  return value_alloc (EMBER_VALUE_LIST);
}

ember_value *
ember_value_new_dict (void)
{
  return value_alloc (EMBER_VALUE_DICT);
}

ember_value *
ember_value_ref (ember_value *value)
{
  if (value != NULL && !(value->flags & VALUE_POOLED))
    value->refcount++;
  return value;
}

void
ember_value_unref (ember_value *value)
{
  if (value == NULL || (value->flags & VALUE_POOLED) || --value->refcount > 0)
    return;

  switch (value->kind)
    {
    case EMBER_VALUE_STRING:
      free (value->u.s.data);
      break;
    case EMBER_VALUE_LIST:
      for (size_t i = 0; i < value->u.list.len; i++)
        ember_value_unref (value->u.list.items[i]);
      free (value->u.list.items);
      break;
    case EMBER_VALUE_DICT:
      for (size_t i = 0; i < value->u.dict.len; i++)
        {
          ember_value_unref (value->u.dict.keys[i]);
          ember_value_unref (value->u.dict.values[i]);
        }
      free (value->u.dict.keys);
      free (value->u.dict.values);
      break;
    default:
      break;
    }
  free (value);
}

ember_status
ember_value_list_append (ember_value *list,
                         ember_value *item,
                         ember_error *error)
{
  if (list == NULL || item == NULL || list->kind != EMBER_VALUE_LIST || (list->flags & VALUE_POOLED))
    {
      ember_value_unref (item);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "not a list, or no item");
    }
  if (list->u.list.len == list->u.list.cap)
    {
      size_t cap = list->u.list.cap < 8 ? 8 : list->u.list.cap * 2;
      ember_value **items = realloc (list->u.list.items, cap * sizeof *items);

      if (items == NULL)
        {
          ember_value_unref (item);
          return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
        }
      list->u.list.items = items;
      list->u.list.cap = cap;
    }
  list->u.list.items[list->u.list.len++] = item;
  return EMBER_OK;
}

ember_status
ember_value_dict_set (ember_value *dict,
                      const char  *key,
                      ember_value *item,
                      ember_error *error)
{
  return value_dict_set_len (dict, key, key != NULL ? strlen (key) : 0, item, error);
}

ember_status
value_dict_set_len (ember_value *dict,
                    const char  *key,
                    size_t       key_len,
                    ember_value *item,
                    ember_error *error)
{
  ember_value *k;

  if (dict == NULL || key == NULL || item == NULL || dict->kind != EMBER_VALUE_DICT
      || (dict->flags & VALUE_POOLED))
    {
      ember_value_unref (item);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "not a dict, or no key or item");
    }

  for (size_t i = 0; i < dict->u.dict.len; i++)
    {
      k = dict->u.dict.keys[i];
      if (k->u.s.len == key_len && memcmp (k->u.s.data, key, key_len) == 0)
        {
          ember_value_unref (dict->u.dict.values[i]);
          dict->u.dict.values[i] = item;
          return EMBER_OK;
        }
    }

  if (dict->u.dict.len == dict->u.dict.cap)
    {
      size_t cap = dict->u.dict.cap < 8 ? 8 : dict->u.dict.cap * 2;
      ember_value **keys = realloc (dict->u.dict.keys, cap * sizeof *keys);
      ember_value **values;

      if (keys != NULL)
        dict->u.dict.keys = keys;
      values = keys != NULL ? realloc (dict->u.dict.values, cap * sizeof *values) : NULL;
      if (values == NULL)
        {
          ember_value_unref (item);
          return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
        }
      dict->u.dict.values = values;
      dict->u.dict.cap = cap;
    }

  k = ember_value_new_string (key, key_len);
  if (k == NULL)
    {
      ember_value_unref (item);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  dict->u.dict.keys[dict->u.dict.len] = k;
  dict->u.dict.values[dict->u.dict.len] = item;
  dict->u.dict.len++;
  return EMBER_OK;
}

ember_value_type
ember_value_get_type (const ember_value *value)
{
  if (value == NULL || value->kind > EMBER_VALUE_DICT)
    return EMBER_VALUE_NULL;
  return (ember_value_type) value->kind;
}

bool
ember_value_get_bool (const ember_value *value)
{
  return value != NULL && value_is_true (value);
}

int64_t
ember_value_get_int (const ember_value *value)
{
  if (value == NULL)
    return 0;
  if (value->kind == EMBER_VALUE_INT)
    return value->u.i;
  if (value->kind == EMBER_VALUE_BOOL)
    return value->u.b;
  if (value->kind == EMBER_VALUE_FLOAT && isfinite (value->u.f)
      && value->u.f > -9.2e18 && value->u.f < 9.2e18)
    return (int64_t) value->u.f;
  return 0;
}

double
ember_value_get_float (const ember_value *value)
{
  return value != NULL && value_is_number (value) ? value_as_double (value) : 0.0;
}

const char *
ember_value_get_string (const ember_value *value,
                        size_t            *len)
{
  if (value == NULL || value->kind != EMBER_VALUE_STRING)
    {
      if (len != NULL)
        *len = 0;
      return NULL;
    }
  if (len != NULL)
    *len = value->u.s.len;
  return value->u.s.data;
}

size_t
ember_value_get_length (const ember_value *value)
{
  if (value == NULL)
    return 0;
  if (value->kind == EMBER_VALUE_LIST)
    return value->u.list.len;
  if (value->kind == EMBER_VALUE_DICT)
    return value->u.dict.len;
  return 0;
}

const ember_value *
ember_value_list_get (const ember_value *list,
                      size_t             index)
{
  if (list == NULL || list->kind != EMBER_VALUE_LIST || index >= list->u.list.len)
    return NULL;
  return list->u.list.items[index];
}

const ember_value *
ember_value_dict_get (const ember_value *dict,
                      const char        *key)
{
  if (dict == NULL || key == NULL || dict->kind != EMBER_VALUE_DICT)
    return NULL;
  return value_dict_lookup_str (dict, key, strlen (key));
}

const ember_value *
ember_value_dict_get_entry (const ember_value  *dict,
                            size_t              index,
                            const char        **key,
                            size_t             *key_len)
{
  if (dict == NULL || dict->kind != EMBER_VALUE_DICT || index >= dict->u.dict.len)
    return NULL;
  if (key != NULL)
    *key = dict->u.dict.keys[index]->u.s.data;
  if (key_len != NULL)
    *key_len = dict->u.dict.keys[index]->u.s.len;
  return dict->u.dict.values[index];
}

/* ---- Python semantics ---------------------------------------------------------- */

ember_value *
value_dict_lookup (const ember_value *dict,
                   const ember_value *key)
{
  for (size_t i = 0; i < dict->u.dict.len; i++)
    if (value_equal (dict->u.dict.keys[i], key))
      return dict->u.dict.values[i];
  return NULL;
}

ember_value *
value_dict_lookup_str (const ember_value *dict,
                       const char        *key,
                       size_t             len)
{
  for (size_t i = 0; i < dict->u.dict.len; i++)
    {
      const ember_value *k = dict->u.dict.keys[i];

      if (k->kind == EMBER_VALUE_STRING && k->u.s.len == len && memcmp (k->u.s.data, key, len) == 0)
        return dict->u.dict.values[i];
    }
  return NULL;
}

bool
value_is_true (const ember_value *v)
{
  switch (v->kind)
    {
    case EMBER_VALUE_NULL:
    case EMBER_VALUE_UNDEFINED:
      return false;
    case EMBER_VALUE_BOOL:
      return v->u.b;
    case EMBER_VALUE_INT:
      return v->u.i != 0;
    case EMBER_VALUE_FLOAT:
      return v->u.f != 0.0;
    case EMBER_VALUE_STRING:
      return v->u.s.len > 0;
    case EMBER_VALUE_LIST:
      return v->u.list.len > 0;
    case EMBER_VALUE_DICT:
      return (v->flags & VALUE_NAMESPACE) || v->u.dict.len > 0;
    default:
      return true;
    }
}

bool
value_is_number (const ember_value *v)
{
  return v->kind == EMBER_VALUE_INT || v->kind == EMBER_VALUE_FLOAT || v->kind == EMBER_VALUE_BOOL;
}

double
value_as_double (const ember_value *v)
{
  switch (v->kind)
    {
    case EMBER_VALUE_INT:
      return (double) v->u.i;
    case EMBER_VALUE_FLOAT:
      return v->u.f;
    case EMBER_VALUE_BOOL:
      return v->u.b ? 1.0 : 0.0;
    default:
      return 0.0;
    }
}

bool
value_equal (const ember_value *a,
             const ember_value *b)
{
  if (a == b)
    return true;
  if (value_is_number (a) && value_is_number (b))
    {
      if (a->kind != EMBER_VALUE_FLOAT && b->kind != EMBER_VALUE_FLOAT)
        return (a->kind == EMBER_VALUE_INT ? a->u.i : a->u.b)
               == (b->kind == EMBER_VALUE_INT ? b->u.i : b->u.b);
      return value_as_double (a) == value_as_double (b);
    }
  if (a->kind != b->kind)
    return false;

  switch (a->kind)
    {
    case EMBER_VALUE_NULL:
    case EMBER_VALUE_UNDEFINED:
      return true;
    case EMBER_VALUE_STRING:
      return a->u.s.len == b->u.s.len && memcmp (a->u.s.data, b->u.s.data, a->u.s.len) == 0;
    case EMBER_VALUE_LIST:
      if ((a->flags & VALUE_TUPLE) != (b->flags & VALUE_TUPLE) || a->u.list.len != b->u.list.len)
        return false;
      for (size_t i = 0; i < a->u.list.len; i++)
        if (!value_equal (a->u.list.items[i], b->u.list.items[i]))
          return false;
      return true;
    case EMBER_VALUE_DICT:
      if ((a->flags & VALUE_NAMESPACE) || (b->flags & VALUE_NAMESPACE))
        return false;
      if (a->u.dict.len != b->u.dict.len)
        return false;
      for (size_t i = 0; i < a->u.dict.len; i++)
        {
          const ember_value *other = value_dict_lookup (b, a->u.dict.keys[i]);

          if (other == NULL || !value_equal (a->u.dict.values[i], other))
            return false;
        }
      return true;
    case EMBER_VALUE_CALLABLE:
      return a->u.call.fn == b->u.call.fn && a->u.call.self == b->u.call.self
             && a->u.call.data == b->u.call.data;
    default:
      return false;
    }
}

const char *
value_type_name (const ember_value *v)
{
  switch (v->kind)
    {
    case EMBER_VALUE_NULL:
      return "NoneType";
    case EMBER_VALUE_BOOL:
      return "bool";
    case EMBER_VALUE_INT:
      return "int";
    case EMBER_VALUE_FLOAT:
      return "float";
    case EMBER_VALUE_STRING:
      return "str";
    case EMBER_VALUE_LIST:
      return (v->flags & VALUE_TUPLE) ? "tuple" : "list";
    case EMBER_VALUE_DICT:
      return (v->flags & VALUE_NAMESPACE) ? "Namespace" : "dict";
    case EMBER_VALUE_UNDEFINED:
      return "Undefined";
    default:
      return "function";
    }
}
