/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Methods that templates call on values (`content.strip()`, `d.items()`),
 * as jinja2's immutable sandbox allows them, and the globals of Hugging
 * Face's chat template environment: range, namespace, dict,
 * raise_exception, strftime_now, joiner, cycler.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember-template-strings.h"

/* ---- argument helpers --------------------------------------------------------------- */

static bool
want_string (tpl_render  *r,
             ember_value *v,
             const char  *what)
{
  if (v->kind == EMBER_VALUE_STRING)
    return true;
  tpl_fail (r, "%s must be str, not %s", what, value_type_name (v));
  return false;
}

static bool
optional_int (tpl_render  *r,
              ember_value *v,
              int64_t     *out)
{
  if (v == NULL || v->kind == EMBER_VALUE_NULL)
    return true;
  if (v->kind == EMBER_VALUE_INT)
    *out = v->u.i;
  else if (v->kind == EMBER_VALUE_BOOL)
    *out = v->u.b;
  else
    {
      tpl_fail (r, "'%s' object cannot be interpreted as an integer", value_type_name (v));
      return false;
    }
  return true;
}

/* ---- string methods --------------------------------------------------------------------- */

static ember_value *
str_starts_ends (tpl_render  *r,
                 ember_value *self,
                 ember_value *what,
                 bool         ends)
{
  const ember_value *const *cands = (const ember_value *const *) &what;
  size_t n = 1;

  if (what->kind == EMBER_VALUE_LIST && (what->flags & VALUE_TUPLE))
    {
      cands = (const ember_value *const *) what->u.list.items;
      n = what->u.list.len;
    }
  for (size_t i = 0; i < n; i++)
    {
      const ember_value *c = cands[i];

      if (c->kind != EMBER_VALUE_STRING)
        return tpl_fail (r, "%s first arg must be str or a tuple of str, not %s",
                         ends ? "endswith" : "startswith", value_type_name (c));
      if (c->u.s.len <= self->u.s.len
          && memcmp (self->u.s.data + (ends ? self->u.s.len - c->u.s.len : 0), c->u.s.data,
                     c->u.s.len) == 0)
        return tpl_or_oom (r, pv_bool (&r->pool, true));
    }
  return tpl_or_oom (r, pv_bool (&r->pool, false));
}

static ember_value *
str_format (tpl_render   *r,
            ember_value  *self,
            ember_value **args,
            size_t        n_args,
            const char  **kw_names,
            ember_value **kw_values,
            size_t        n_kw)
{
  tpl_buf b = { 0 };
  const char *s = self->u.s.data;
  size_t len = self->u.s.len, next = 0;
  ember_value *out;

  b.limit = r->options.max_output;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '{' && i + 1 < len && s[i + 1] == '{')
        {
          buf_append (&b, "{", 1);
          i++;
        }
      else if (s[i] == '}' && i + 1 < len && s[i + 1] == '}')
        {
          buf_append (&b, "}", 1);
          i++;
        }
      else if (s[i] == '{')
        {
          const char *close = memchr (s + i, '}', len - i);
          size_t field_len;
          ember_value *v = NULL;

          if (close == NULL)
            {
              buf_free (&b);
              return tpl_fail (r, "Single '{' encountered in format string");
            }
          field_len = (size_t) (close - (s + i + 1));
          if (memchr (s + i + 1, ':', field_len) != NULL || memchr (s + i + 1, '!', field_len) != NULL)
            {
              buf_free (&b);
              return tpl_fail (r, "format specifications in str.format() are not supported");
            }
          if (field_len == 0)
            v = next < n_args ? args[next++] : NULL;
          else if (s[i + 1] >= '0' && s[i + 1] <= '9')
            {
              size_t index = strtoul (s + i + 1, NULL, 10);

              v = index < n_args ? args[index] : NULL;
            }
          else
            for (size_t k = 0; k < n_kw; k++)
              if (strlen (kw_names[k]) == field_len && memcmp (kw_names[k], s + i + 1, field_len) == 0)
                v = kw_values[k];
          if (v == NULL)
            {
              buf_free (&b);
              return tpl_fail (r, "str.format(): no argument for “%.*s”", (int) field_len, s + i + 1);
            }
          value_write_str (&b, v);
          i += field_len + 1;
        }
      else if (s[i] == '}')
        {
          buf_free (&b);
          return tpl_fail (r, "Single '}' encountered in format string");
        }
      else
        buf_append (&b, s + i, 1);
    }
  if (b.failed)
    {
      buf_free (&b);
      return tpl_fail (r, "a string grew over the output limit");
    }
  out = tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return out;
}

static ember_value *
str_method (tpl_render         *r,
            const ember_value  *callable,
            ember_value       **args,
            size_t              n_args,
            const char        **kw_names,
            ember_value       **kw_values,
            size_t              n_kw)
{
  const char *name = callable->u.call.name;
  ember_value *self = callable->u.call.self, *a0 = ARG (0, NULL), *a1 = ARG (1, NULL);

  if (strcmp (name, "strip") == 0 || strcmp (name, "lstrip") == 0 || strcmp (name, "rstrip") == 0)
    {
      if (a0 != NULL && a0->kind != EMBER_VALUE_NULL && !want_string (r, a0, "argument"))
        return NULL;
      return str_strip (r, self, a0 != NULL && a0->kind == EMBER_VALUE_STRING ? a0 : NULL,
                        name[0] != 'r', name[0] != 'l');
    }
  if (strcmp (name, "split") == 0 || strcmp (name, "rsplit") == 0)
    {
      ember_value *sep = ARG (0, "sep");
      int64_t maxsplit = -1;

      if (!optional_int (r, ARG (1, "maxsplit"), &maxsplit))
        return NULL;
      if (sep != NULL && sep->kind != EMBER_VALUE_NULL && !want_string (r, sep, "separator"))
        return NULL;
      return str_split (r, self, sep != NULL && sep->kind == EMBER_VALUE_STRING ? sep : NULL,
                        maxsplit, name[0] == 'r');
    }
  if (strcmp (name, "replace") == 0)
    {
      int64_t count = -1;

      if (a0 == NULL || a1 == NULL)
        return tpl_fail (r, "replace() takes at least 2 arguments");
      if (!want_string (r, a0, "replace() argument 1") || !want_string (r, a1, "replace() argument 2")
          || !optional_int (r, ARG (2, "count"), &count))
        return NULL;
      return str_replace (r, self, a0, a1, count);
    }
  if (strcmp (name, "startswith") == 0 || strcmp (name, "endswith") == 0)
    {
      if (a0 == NULL)
        return tpl_fail (r, "%s() takes at least 1 argument", name);
      return str_starts_ends (r, self, a0, name[0] == 'e');
    }
  if (strcmp (name, "lower") == 0 || strcmp (name, "upper") == 0 || strcmp (name, "title") == 0
      || strcmp (name, "capitalize") == 0 || strcmp (name, "swapcase") == 0)
    return str_case (r, self, name);
  if (strcmp (name, "find") == 0 || strcmp (name, "rfind") == 0 || strcmp (name, "index") == 0
      || strcmp (name, "rindex") == 0)
    {
      int64_t at;

      if (a0 == NULL || !want_string (r, a0, "argument"))
        return a0 == NULL ? tpl_fail (r, "%s() takes at least 1 argument", name) : NULL;
      at = str_find (self, a0, name[0] == 'r');
      if (at < 0 && name[0] != 'f' && name[1] != 'f')
        return tpl_fail (r, "substring not found");
      return tpl_or_oom (r, pv_int (&r->pool, at));
    }
  if (strcmp (name, "count") == 0)
    {
      if (a0 == NULL || !want_string (r, a0, "argument"))
        return a0 == NULL ? tpl_fail (r, "count() takes at least 1 argument") : NULL;
      return tpl_or_oom (r, pv_int (&r->pool, str_count (self, a0)));
    }
  if (strcmp (name, "join") == 0)
    {
      if (a0 == NULL)
        return tpl_fail (r, "join() takes exactly one argument");
      return str_join (r, self, a0, true);
    }
  if (strcmp (name, "splitlines") == 0)
    return str_splitlines (r, self, a0 != NULL && value_is_true (a0));
  if (strcmp (name, "format") == 0)
    return str_format (r, self, args, n_args, kw_names, kw_values, n_kw);
  if (strncmp (name, "is", 2) == 0)
    return tpl_or_oom (r, pv_bool (&r->pool, str_is (self, name + 2)));
  if (strcmp (name, "center") == 0 || strcmp (name, "ljust") == 0 || strcmp (name, "rjust") == 0
      || strcmp (name, "zfill") == 0)
    {
      int64_t width = 0;

      if (a0 == NULL || !optional_int (r, a0, &width))
        return a0 == NULL ? tpl_fail (r, "%s() takes at least 1 argument", name) : NULL;
      return str_pad (r, self, width, name);
    }
  return tpl_fail (r, "str.%s() is not supported", name);
}

/* ---- dict and list methods -------------------------------------------------------------------- */

static ember_value *
dict_method (tpl_render         *r,
             const ember_value  *callable,
             ember_value       **args,
             size_t              n_args,
             const char        **kw_names,
             ember_value       **kw_values,
             size_t              n_kw)
{
  const char *name = callable->u.call.name;
  ember_value *self = callable->u.call.self, *out;
  size_t n = self->u.dict.len;

  if (strcmp (name, "get") == 0)
    {
      ember_value *key = ARG (0, NULL), *def = ARG (1, NULL), *v;

      if (key == NULL)
        return tpl_fail (r, "get expected at least 1 argument, got 0");
      v = value_dict_lookup (self, key);
      if (v != NULL)
        return v;
      return def != NULL ? def : tpl_none (r);
    }
  if (strcmp (name, "copy") == 0)
    {
      out = pv_dict (&r->pool, n);
      if (out == NULL)
        return tpl_oom (r);
      for (size_t i = 0; i < n; i++)
        pv_dict_set (&r->pool, out, self->u.dict.keys[i], self->u.dict.values[i]);
      return out;
    }

  out = pv_list (&r->pool, n);
  if (out == NULL)
    return tpl_oom (r);
  for (size_t i = 0; i < n; i++)
    {
      ember_value *item;

      if (strcmp (name, "keys") == 0)
        item = self->u.dict.keys[i];
      else if (strcmp (name, "values") == 0)
        item = self->u.dict.values[i];
      else
        {
          item = pv_list (&r->pool, 2);
          if (item == NULL)
            return tpl_oom (r);
          item->flags |= VALUE_TUPLE;
          item->u.list.items[0] = self->u.dict.keys[i];
          item->u.list.items[1] = self->u.dict.values[i];
          item->u.list.len = 2;
        }
      out->u.list.items[out->u.list.len++] = item;
    }
  return out;
}

static ember_value *
list_method (tpl_render         *r,
             const ember_value  *callable,
             ember_value       **args,
             size_t              n_args,
             const char        **kw_names,
             ember_value       **kw_values,
             size_t              n_kw)
{
  const char *name = callable->u.call.name;
  ember_value *self = callable->u.call.self, *a0 = ARG (0, NULL);
  int64_t count = 0;

  if (strcmp (name, "copy") == 0)
    {
      ember_value *out = pv_list (&r->pool, self->u.list.len);

      if (out == NULL)
        return tpl_oom (r);
      for (size_t i = 0; i < self->u.list.len; i++)
        out->u.list.items[out->u.list.len++] = self->u.list.items[i];
      return out;
    }
  if (a0 == NULL)
    return tpl_fail (r, "%s() takes exactly one argument (0 given)", name);
  for (size_t i = 0; i < self->u.list.len; i++)
    if (value_equal (self->u.list.items[i], a0))
      {
        if (strcmp (name, "index") == 0)
          return tpl_or_oom (r, pv_int (&r->pool, (int64_t) i));
        count++;
      }
  if (strcmp (name, "index") == 0)
    return tpl_fail (r, "the value is not in the list");
  return tpl_or_oom (r, pv_int (&r->pool, count));
}

static bool
name_in (const char        *name,
         const char *const *names)
{
  for (; *names != NULL; names++)
    if (strcmp (name, *names) == 0)
      return true;
  return false;
}

ember_value *
tpl_method (tpl_render  *r,
            ember_value *self,
            const char  *name)
{
  static const char *const str_methods[] = {
    "strip", "lstrip", "rstrip", "split", "rsplit", "replace", "startswith", "endswith",
    "lower", "upper", "title", "capitalize", "swapcase", "find", "rfind", "index", "rindex",
    "count", "join", "splitlines", "format", "isdigit", "isalpha", "isalnum", "isspace",
    "islower", "isupper", "isnumeric", "isdecimal", "center", "ljust", "rjust", "zfill", NULL
  };
  static const char *const dict_methods[] = { "items", "keys", "values", "get", "copy", NULL };
  static const char *const dict_unsafe[] = { "pop", "popitem", "update", "setdefault", "clear", NULL };
  static const char *const list_methods[] = { "index", "count", "copy", NULL };
  static const char *const list_unsafe[] = {
    "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", NULL
  };
  const char *const *known;
  tpl_callable_fn fn;

  switch (self->kind)
    {
    case EMBER_VALUE_STRING:
      known = str_methods;
      fn = str_method;
      break;
    case EMBER_VALUE_DICT:
      if (name_in (name, dict_unsafe))
        goto unsafe;
      known = dict_methods;
      fn = dict_method;
      break;
    case EMBER_VALUE_LIST:
      if (!(self->flags & VALUE_TUPLE) && name_in (name, list_unsafe))
        goto unsafe;
      known = list_methods;
      fn = list_method;
      break;
    default:
      return NULL;
    }

  for (; *known != NULL; known++)
    if (strcmp (*known, name) == 0)
      return tpl_callable (r, *known, fn, self, NULL);
  return NULL;

unsafe:
  {
    size_t size = strlen (name) + 80;
    char *hint = pool_alloc (&r->pool, size);

    if (hint == NULL)
      return tpl_oom (r);
    snprintf (hint, size, "access to attribute '%s' of '%s' object is unsafe.", name,
              value_type_name (self));
    return tpl_undefined (r, hint);
  }
}

/* ---- globals -------------------------------------------------------------------------------------- */

static ember_value *
global_range (tpl_render         *r,
              const ember_value  *callable,
              ember_value       **args,
              size_t              n_args,
              const char        **kw_names,
              ember_value       **kw_values,
              size_t              n_kw)
{
  int64_t start = 0, stop = 0, step = 1, count;
  ember_value *out;

  if (n_args == 0 || n_args > 3 || n_kw > 0)
    return tpl_fail (r, "range expected 1 to 3 integer arguments");
  for (size_t i = 0; i < n_args; i++)
    if (args[i]->kind != EMBER_VALUE_INT && args[i]->kind != EMBER_VALUE_BOOL)
      return tpl_fail (r, "'%s' object cannot be interpreted as an integer",
                       value_type_name (args[i]));
  if (n_args == 1)
    optional_int (r, args[0], &stop);
  else
    {
      optional_int (r, args[0], &start);
      optional_int (r, args[1], &stop);
      if (n_args == 3)
        optional_int (r, args[2], &step);
    }
  if (step == 0)
    return tpl_fail (r, "range() arg 3 must not be zero");
  if ((step > 0 && stop <= start) || (step < 0 && stop >= start))
    count = 0;
  else
    {
      /* In unsigned arithmetic: the distance never overflows that way. */
      uint64_t distance = step > 0 ? (uint64_t) stop - (uint64_t) start
                                   : (uint64_t) start - (uint64_t) stop;
      uint64_t stride = step > 0 ? (uint64_t) step : 0 - (uint64_t) step;
      uint64_t n = (distance - 1) / stride + 1;

      if (n > 100000)
        return tpl_fail (r, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      count = (int64_t) n;
    }

  out = pv_list (&r->pool, (size_t) count);
  if (out == NULL)
    return tpl_oom (r);
  for (int64_t i = 0; i < count; i++)
    {
      ember_value *v = pv_int (&r->pool, start + i * step);

      if (v == NULL)
        return tpl_oom (r);
      out->u.list.items[out->u.list.len++] = v;
    }
  return out;
}

static ember_value *
global_dict (tpl_render         *r,
             const ember_value  *callable,
             ember_value       **args,
             size_t              n_args,
             const char        **kw_names,
             ember_value       **kw_values,
             size_t              n_kw)
{
  bool is_namespace = strcmp (callable->u.call.name, "namespace") == 0;
  ember_value *out = pv_dict (&r->pool, n_kw);

  if (out == NULL)
    return tpl_oom (r);
  if (is_namespace)
    out->flags |= VALUE_NAMESPACE;
  if (n_args > 1)
    return tpl_fail (r, "%s expected at most 1 argument, got %zu", callable->u.call.name, n_args);
  if (n_args == 1)
    {
      ember_value *src = args[0];

      if (src->kind == EMBER_VALUE_DICT)
        {
          for (size_t i = 0; i < src->u.dict.len; i++)
            if (!pv_dict_set (&r->pool, out, src->u.dict.keys[i], src->u.dict.values[i]))
              return tpl_oom (r);
        }
      else if (src->kind == EMBER_VALUE_LIST)
        {
          for (size_t i = 0; i < src->u.list.len; i++)
            {
              ember_value *pair = src->u.list.items[i];

              if (pair->kind != EMBER_VALUE_LIST || pair->u.list.len != 2)
                return tpl_fail (r, "dictionary update sequence element #%zu has the wrong length", i);
              if (!pv_dict_set (&r->pool, out, pair->u.list.items[0], pair->u.list.items[1]))
                return tpl_oom (r);
            }
        }
      else
        return tpl_fail (r, "'%s' object is not iterable", value_type_name (src));
    }
  for (size_t k = 0; k < n_kw; k++)
    {
      ember_value *key = tpl_string (r, kw_names[k], strlen (kw_names[k]));

      if (key == NULL || !pv_dict_set (&r->pool, out, key, kw_values[k]))
        return tpl_oom (r);
    }
  return out;
}

static ember_value *
global_raise (tpl_render         *r,
              const ember_value  *callable,
              ember_value       **args,
              size_t              n_args,
              const char        **kw_names,
              ember_value       **kw_values,
              size_t              n_kw)
{
  ember_value *message = ARG (0, "message");
  tpl_buf b = { 0 };

  if (message == NULL)
    return tpl_fail (r, "raise_exception() missing 1 required positional argument: 'message'");
  value_write_str (&b, message);
  tpl_fail (r, "%.*s", (int) (b.len < 400 ? b.len : 400), b.data != NULL ? b.data : "");
  buf_free (&b);
  return NULL;
}

static ember_value *
global_strftime_now (tpl_render         *r,
                     const ember_value  *callable,
                     ember_value       **args,
                     size_t              n_args,
                     const char        **kw_names,
                     ember_value       **kw_values,
                     size_t              n_kw)
{
  ember_value *format = ARG (0, "format");
  time_t now = r->options.now != 0 ? (time_t) r->options.now : time (NULL);
  struct tm tm;

  if (format == NULL || !want_string (r, format, "strftime_now() argument"))
    return format == NULL ? tpl_fail (r, "strftime_now() missing 1 required positional argument: 'format'")
                          : NULL;
  if (localtime_r (&now, &tm) == NULL)
    return tpl_fail (r, "the clock is out of range");
  return str_strftime (r, format, &tm);
}

typedef struct {
  const char *sep;
  size_t sep_len;
  bool used;
} joiner_state;

static ember_value *
joiner_call (tpl_render         *r,
             const ember_value  *callable,
             ember_value       **args,
             size_t              n_args,
             const char        **kw_names,
             ember_value       **kw_values,
             size_t              n_kw)
{
  joiner_state *state = (joiner_state *) callable->u.call.data;

  if (!state->used)
    {
      state->used = true;
      return tpl_string (r, "", 0);
    }
  return tpl_string (r, state->sep, state->sep_len);
}

static ember_value *
global_joiner (tpl_render         *r,
               const ember_value  *callable,
               ember_value       **args,
               size_t              n_args,
               const char        **kw_names,
               ember_value       **kw_values,
               size_t              n_kw)
{
  ember_value *sep = ARG (0, "sep");
  joiner_state *state = pool_alloc (&r->pool, sizeof *state);

  if (state == NULL)
    return tpl_oom (r);
  if (sep != NULL && (sep = tpl_str_of (r, sep)) == NULL)
    return NULL;
  state->sep = sep != NULL ? sep->u.s.data : ", ";
  state->sep_len = sep != NULL ? sep->u.s.len : 2;
  return tpl_callable (r, "joiner", joiner_call, NULL, state);
}

ember_value *
tpl_global (tpl_render *r,
            const char *name)
{
  if (strcmp (name, "range") == 0)
    return tpl_callable (r, "range", global_range, NULL, NULL);
  if (strcmp (name, "namespace") == 0)
    return tpl_callable (r, "namespace", global_dict, NULL, NULL);
  if (strcmp (name, "dict") == 0)
    return tpl_callable (r, "dict", global_dict, NULL, NULL);
  if (strcmp (name, "raise_exception") == 0)
    return tpl_callable (r, "raise_exception", global_raise, NULL, NULL);
  if (strcmp (name, "strftime_now") == 0)
    return tpl_callable (r, "strftime_now", global_strftime_now, NULL, NULL);
  if (strcmp (name, "joiner") == 0)
    return tpl_callable (r, "joiner", global_joiner, NULL, NULL);
  return NULL;
}
