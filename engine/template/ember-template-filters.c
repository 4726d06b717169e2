/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * jinja2's builtin filters and tests, as chat templates use them, plus
 * transformers' own `tojson` (json.dumps with ensure_ascii=False, no HTML
 * escaping, keys in their order unless sort_keys).
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-strings.h"

typedef ember_value *(*filter_fn) (tpl_render   *r,
                                   ember_value  *value,
                                   ember_value **args,
                                   size_t        n_args,
                                   const char  **kw_names,
                                   ember_value **kw_values,
                                   size_t        n_kw);

#define FILTER(name) \
  static ember_value *name (tpl_render *r, ember_value *value, ember_value **args, size_t n_args, \
                            const char **kw_names, ember_value **kw_values, size_t n_kw)

static bool
truthy_arg (ember_value *v,
            bool         fallback)
{
  return v != NULL ? value_is_true (v) : fallback;
}

static bool
int_arg (tpl_render  *r,
         ember_value *v,
         int64_t     *out)
{
  if (v == NULL)
    return true;
  if (v->kind == EMBER_VALUE_INT || v->kind == EMBER_VALUE_BOOL)
    {
      *out = v->kind == EMBER_VALUE_INT ? v->u.i : v->u.b;
      return true;
    }
  tpl_fail (r, "'%s' object cannot be interpreted as an integer", value_type_name (v));
  return false;
}

/* Follows "a.b.0" through @item, as jinja2's attribute getters do. */
static ember_value *
get_path (tpl_render  *r,
          ember_value *item,
          ember_value *path)
{
  const char *p, *end;

  if (path->kind == EMBER_VALUE_INT)
    return tpl_getitem (r, item, path);
  if (path->kind != EMBER_VALUE_STRING)
    return tpl_fail (r, "attribute must be a string");
  p = path->u.s.data;
  end = p + path->u.s.len;
  while (item != NULL)
    {
      const char *dot = memchr (p, '.', (size_t) (end - p));
      size_t n = (size_t) ((dot != NULL ? dot : end) - p);
      ember_value *key;
      bool digits = n > 0;

      for (size_t i = 0; i < n; i++)
        digits &= p[i] >= '0' && p[i] <= '9';
      if (digits)
        key = pv_int (&r->pool, strtoll (p, NULL, 10));
      else
        key = pv_string (&r->pool, p, n);
      if (key == NULL)
        return tpl_oom (r);
      item = tpl_getitem (r, item, key);
      if (dot == NULL)
        break;
      p = dot + 1;
    }
  return item;
}

static ember_value *
new_list (tpl_render *r,
          size_t      cap)
{
  return tpl_or_oom (r, pv_list (&r->pool, cap));
}

static bool
push (tpl_render  *r,
      ember_value *list,
      ember_value *item)
{
  if (!pv_list_push (&r->pool, list, item))
    {
      tpl_oom (r);
      return false;
    }
  return true;
}

/* ---- sorting (stable, like Python's) --------------------------------------------- */

typedef struct {
  tpl_render *r;
  bool case_sensitive;
  bool failed;
} sort_ctx;

static bool
sort_less (sort_ctx          *ctx,
           const ember_value *a,
           const ember_value *b)
{
  bool ok = true;
  int c = tpl_order (ctx->r, a, b, ctx->case_sensitive, &ok);

  if (!ok && !ctx->failed)
    {
      ctx->failed = true;
      tpl_fail (ctx->r, "'<' not supported between instances of '%s' and '%s'",
                value_type_name (a), value_type_name (b));
    }
  return c < 0;
}

/* Sorts @items by @keys (parallel arrays), stably. */
static bool
merge_sort (sort_ctx     *ctx,
            ember_value **keys,
            ember_value **items,
            size_t        n,
            bool          reverse)
{
  ember_value **tk, **ti;

  if (n < 2)
    return true;
  tk = pool_alloc (&ctx->r->pool, n * sizeof *tk);
  ti = pool_alloc (&ctx->r->pool, n * sizeof *ti);
  if (tk == NULL || ti == NULL)
    {
      tpl_oom (ctx->r);
      return false;
    }
  for (size_t width = 1; width < n; width *= 2)
    {
      for (size_t lo = 0; lo < n; lo += 2 * width)
        {
          size_t mid = lo + width < n ? lo + width : n;
          size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
          size_t i = lo, j = mid, k = lo;

          while (i < mid && j < hi)
            {
              /* Python's reverse keeps equal items in order too. */
              bool take_right = reverse ? sort_less (ctx, keys[i], keys[j])
                                        : sort_less (ctx, keys[j], keys[i]);

              if (take_right)
                tk[k] = keys[j], ti[k++] = items[j++];
              else
                tk[k] = keys[i], ti[k++] = items[i++];
            }
          while (i < mid)
            tk[k] = keys[i], ti[k++] = items[i++];
          while (j < hi)
            tk[k] = keys[j], ti[k++] = items[j++];
        }
      memcpy (keys, tk, n * sizeof *keys);
      memcpy (items, ti, n * sizeof *items);
    }
  return !ctx->failed;
}

/* ---- filters -------------------------------------------------------------------------- */

FILTER (f_abs)
{
  if (value->kind == EMBER_VALUE_INT || value->kind == EMBER_VALUE_BOOL)
    {
      int64_t i = value->kind == EMBER_VALUE_INT ? value->u.i : value->u.b;

      if (i == INT64_MIN)
        return tpl_fail (r, "integer overflow");
      return tpl_or_oom (r, pv_int (&r->pool, i < 0 ? -i : i));
    }
  if (value->kind == EMBER_VALUE_FLOAT)
    return tpl_or_oom (r, pv_float (&r->pool, fabs (value->u.f)));
  return tpl_fail (r, "bad operand type for abs(): '%s'", value_type_name (value));
}

FILTER (f_string)
{
  return tpl_str_of (r, value);
}

FILTER (f_length)
{
  switch (value->kind)
    {
    case EMBER_VALUE_STRING:
      return tpl_or_oom (r, pv_int (&r->pool, (int64_t) utf8_length (value->u.s.data, value->u.s.len)));
    case EMBER_VALUE_LIST:
      return tpl_or_oom (r, pv_int (&r->pool, (int64_t) value->u.list.len));
    case EMBER_VALUE_DICT:
      if (value->flags & VALUE_NAMESPACE)
        break;
      return tpl_or_oom (r, pv_int (&r->pool, (int64_t) value->u.dict.len));
    case EMBER_VALUE_UNDEFINED:
      return tpl_or_oom (r, pv_int (&r->pool, 0));
    default:
      break;
    }
  return tpl_fail (r, "object of type '%s' has no len()", value_type_name (value));
}

FILTER (f_list)
{
  ember_value *items = tpl_iterate (r, value), *out;

  if (items == NULL)
    return NULL;
  if ((out = new_list (r, items->u.list.len)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len; i++)
    out->u.list.items[out->u.list.len++] = items->u.list.items[i];
  return out;
}

FILTER (f_first)
{
  ember_value *items = tpl_iterate (r, value);

  if (items == NULL)
    return NULL;
  if (items->u.list.len == 0)
    return tpl_undefined (r, "No first item, sequence was empty.");
  return items->u.list.items[0];
}

FILTER (f_last)
{
  ember_value *items;

  if (value->kind == EMBER_VALUE_UNDEFINED)
    return tpl_fail (r, "'Undefined' object is not reversible");
  if ((items = tpl_iterate (r, value)) == NULL)
    return NULL;
  if (items->u.list.len == 0)
    return tpl_undefined (r, "No last item, sequence was empty.");
  return items->u.list.items[items->u.list.len - 1];
}

FILTER (f_reverse)
{
  ember_value *items, *out;

  if (value->kind == EMBER_VALUE_STRING)
    {
      tpl_buf b = { 0 };
      size_t end = value->u.s.len;

      while (end > 0)
        {
          size_t start = end - 1;

          while (start > 0 && ((unsigned char) value->u.s.data[start] & 0xc0) == 0x80)
            start--;
          buf_append (&b, value->u.s.data + start, end - start);
          end = start;
        }
      out = b.failed ? tpl_oom (r) : tpl_string (r, b.data != NULL ? b.data : "", b.len);
      buf_free (&b);
      return out;
    }
  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, items->u.list.len)) == NULL)
    return NULL;
  for (size_t i = items->u.list.len; i-- > 0;)
    out->u.list.items[out->u.list.len++] = items->u.list.items[i];
  return out;
}

FILTER (f_join)
{
  ember_value *sep = ARG (0, "d"), *attr = ARG (1, "attribute"), *items;

  if (sep == NULL)
    sep = tpl_string (r, "", 0);
  else
    sep = tpl_str_of (r, sep);
  if (sep == NULL || (items = tpl_iterate (r, value)) == NULL)
    return NULL;
  if (attr != NULL)
    {
      ember_value *mapped = new_list (r, items->u.list.len);

      if (mapped == NULL)
        return NULL;
      for (size_t i = 0; i < items->u.list.len; i++)
        {
          ember_value *v = get_path (r, items->u.list.items[i], attr);

          if (v == NULL)
            return NULL;
          mapped->u.list.items[mapped->u.list.len++] = v;
        }
      items = mapped;
    }
  return str_join (r, sep, items, false);
}

static ember_value *
string_arg (tpl_render  *r,
            ember_value *value)
{
  return tpl_str_of (r, value);
}

FILTER (f_trim)
{
  ember_value *s = string_arg (r, value), *chars = ARG (0, "chars");

  if (s == NULL)
    return NULL;
  if (chars != NULL && chars->kind == EMBER_VALUE_NULL)
    chars = NULL;
  if (chars != NULL && chars->kind != EMBER_VALUE_STRING)
    return tpl_fail (r, "strip arg must be None or str");
  return str_strip (r, s, chars, true, true);
}

FILTER (f_replace)
{
  ember_value *s = string_arg (r, value), *old = ARG (0, "old"), *new_text = ARG (1, "new");
  int64_t count = -1;

  if (s == NULL)
    return NULL;
  if (old == NULL || new_text == NULL)
    return tpl_fail (r, "replace filter needs two arguments");
  if ((old = tpl_str_of (r, old)) == NULL || (new_text = tpl_str_of (r, new_text)) == NULL)
    return NULL;
  if (ARG (2, "count") != NULL && ARG (2, "count")->kind != EMBER_VALUE_NULL
      && !int_arg (r, ARG (2, "count"), &count))
    return NULL;
  return str_replace (r, s, old, new_text, count);
}

FILTER (f_lower)
{
  ember_value *s = string_arg (r, value);

  return s != NULL ? str_case (r, s, "lower") : NULL;
}

FILTER (f_upper)
{
  ember_value *s = string_arg (r, value);

  return s != NULL ? str_case (r, s, "upper") : NULL;
}

FILTER (f_capitalize)
{
  ember_value *s = string_arg (r, value);

  return s != NULL ? str_case (r, s, "capitalize") : NULL;
}

FILTER (f_title)
{
  ember_value *s = string_arg (r, value);

  return s != NULL ? str_title_filter (r, s) : NULL;
}

FILTER (f_center)
{
  ember_value *s = string_arg (r, value);
  int64_t width = 80;

  if (s == NULL || !int_arg (r, ARG (0, "width"), &width))
    return NULL;
  return str_pad (r, s, width, "center");
}

FILTER (f_safe)
{
  ember_value *s = string_arg (r, value);

  if (s != NULL && s != value)
    s->flags |= VALUE_SAFE;
  return s;
}

FILTER (f_escape)
{
  ember_value *s = string_arg (r, value), *out;
  tpl_buf b = { 0 };

  if (s == NULL)
    return NULL;
  b.limit = r->options.max_output;
  for (size_t i = 0; i < s->u.s.len; i++)
    switch (s->u.s.data[i])
      {
      case '&': buf_append_str (&b, "&amp;"); break;
      case '<': buf_append_str (&b, "&lt;"); break;
      case '>': buf_append_str (&b, "&gt;"); break;
      case '"': buf_append_str (&b, "&#34;"); break;
      case '\'': buf_append_str (&b, "&#39;"); break;
      default: buf_append (&b, s->u.s.data + i, 1); break;
      }
  out = b.failed ? tpl_fail (r, "a string grew over the output limit")
                 : tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return out;
}

FILTER (f_default)
{
  ember_value *def = ARG (0, "default_value");
  bool boolean = truthy_arg (ARG (1, "boolean"), false);

  if (value->kind == EMBER_VALUE_UNDEFINED || (boolean && !value_is_true (value)))
    return def != NULL ? def : tpl_string (r, "", 0);
  return value;
}

FILTER (f_items)
{
  ember_value *out;

  if (value->kind == EMBER_VALUE_UNDEFINED)
    return new_list (r, 0);
  if (value->kind != EMBER_VALUE_DICT || (value->flags & VALUE_NAMESPACE))
    return tpl_fail (r, "Can only get item pairs from a mapping.");
  if ((out = new_list (r, value->u.dict.len)) == NULL)
    return NULL;
  for (size_t i = 0; i < value->u.dict.len; i++)
    {
      ember_value *pair = pv_list (&r->pool, 2);

      if (pair == NULL)
        return tpl_oom (r);
      pair->flags |= VALUE_TUPLE;
      pair->u.list.items[0] = value->u.dict.keys[i];
      pair->u.list.items[1] = value->u.dict.values[i];
      pair->u.list.len = 2;
      out->u.list.items[out->u.list.len++] = pair;
    }
  return out;
}

FILTER (f_dictsort)
{
  bool case_sensitive = truthy_arg (ARG (0, "case_sensitive"), false);
  ember_value *by = ARG (1, "by"), *items, **keys;
  bool reverse = truthy_arg (ARG (2, "reverse"), false);
  bool by_value = false;
  sort_ctx ctx = { r, case_sensitive, false };

  if (by != NULL)
    {
      if (by->kind == EMBER_VALUE_STRING && by->u.s.len == 5 && memcmp (by->u.s.data, "value", 5) == 0)
        by_value = true;
      else if (!(by->kind == EMBER_VALUE_STRING && by->u.s.len == 3 && memcmp (by->u.s.data, "key", 3) == 0))
        return tpl_fail (r, "You can only sort by either \"key\" or \"value\"");
    }
  if ((items = f_items (r, value, NULL, 0, NULL, NULL, 0)) == NULL)
    return NULL;
  keys = pool_alloc (&r->pool, (items->u.list.len + 1) * sizeof *keys);
  if (keys == NULL)
    return tpl_oom (r);
  for (size_t i = 0; i < items->u.list.len; i++)
    keys[i] = items->u.list.items[i]->u.list.items[by_value ? 1 : 0];
  if (!merge_sort (&ctx, keys, items->u.list.items, items->u.list.len, reverse))
    return NULL;
  return items;
}

FILTER (f_sort)
{
  bool reverse = truthy_arg (ARG (0, "reverse"), false);
  bool case_sensitive = truthy_arg (ARG (1, "case_sensitive"), false);
  ember_value *attr = ARG (2, "attribute"), *items, *out, **keys;
  sort_ctx ctx = { r, case_sensitive, false };

  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, items->u.list.len)) == NULL)
    return NULL;
  keys = pool_alloc (&r->pool, (items->u.list.len + 1) * sizeof *keys);
  if (keys == NULL)
    return tpl_oom (r);
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      out->u.list.items[out->u.list.len++] = items->u.list.items[i];
      keys[i] = attr != NULL ? get_path (r, items->u.list.items[i], attr) : items->u.list.items[i];
      if (keys[i] == NULL)
        return NULL;
    }
  if (!merge_sort (&ctx, keys, out->u.list.items, out->u.list.len, reverse))
    return NULL;
  return out;
}

static ember_value *
min_max (tpl_render   *r,
         ember_value  *value,
         ember_value **args,
         size_t        n_args,
         const char  **kw_names,
         ember_value **kw_values,
         size_t        n_kw,
         bool          max)
{
  bool case_sensitive = truthy_arg (ARG (0, "case_sensitive"), false);
  ember_value *attr = ARG (1, "attribute"), *items, *best = NULL, *best_key = NULL;
  sort_ctx ctx = { r, case_sensitive, false };

  if ((items = tpl_iterate (r, value)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      ember_value *item = items->u.list.items[i];
      ember_value *key = attr != NULL ? get_path (r, item, attr) : item;

      if (key == NULL)
        return NULL;
      if (best == NULL || (max ? sort_less (&ctx, best_key, key) : sort_less (&ctx, key, best_key)))
        best = item, best_key = key;
      if (ctx.failed)
        return NULL;
    }
  if (best == NULL)
    return tpl_undefined (r, "No aggregated item, sequence was empty.");
  return best;
}

FILTER (f_min)
{
  return min_max (r, value, args, n_args, kw_names, kw_values, n_kw, false);
}

FILTER (f_max)
{
  return min_max (r, value, args, n_args, kw_names, kw_values, n_kw, true);
}

FILTER (f_sum)
{
  ember_value *attr = ARG (0, "attribute"), *total = ARG (1, "start"), *items;

  if (total == NULL && (total = pv_int (&r->pool, 0)) == NULL)
    return tpl_oom (r);
  if ((items = tpl_iterate (r, value)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len && total != NULL; i++)
    {
      ember_value *item = attr != NULL ? get_path (r, items->u.list.items[i], attr)
                                       : items->u.list.items[i];

      total = item != NULL ? tpl_binop (r, OP_ADD, total, item) : NULL;
    }
  return total;
}

FILTER (f_unique)
{
  bool case_sensitive = truthy_arg (ARG (0, "case_sensitive"), false);
  ember_value *attr = ARG (1, "attribute"), *items, *out, *seen;

  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, 0)) == NULL
      || (seen = new_list (r, 0)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      ember_value *item = items->u.list.items[i];
      ember_value *key = attr != NULL ? get_path (r, item, attr) : item;
      bool dup = false;

      if (key == NULL)
        return NULL;
      if (!case_sensitive && key->kind == EMBER_VALUE_STRING && (key = str_case (r, key, "lower")) == NULL)
        return NULL;
      for (size_t k = 0; k < seen->u.list.len && !dup; k++)
        dup = value_equal (seen->u.list.items[k], key);
      if (!dup && (!push (r, seen, key) || !push (r, out, item)))
        return NULL;
    }
  return out;
}

static ember_value *
select_items (tpl_render   *r,
              ember_value  *value,
              ember_value **args,
              size_t        n_args,
              bool          by_attr,
              bool          keep)
{
  ember_value *items, *out;
  size_t first_test = by_attr ? 1 : 0;

  if (by_attr && n_args < 1)
    return tpl_fail (r, "missing parameter for attribute name");
  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, 0)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      ember_value *item = items->u.list.items[i];
      ember_value *subject = by_attr ? get_path (r, item, args[0]) : item;
      int result;

      if (subject == NULL)
        return NULL;
      if (n_args > first_test)
        {
          ember_value *test = args[first_test];

          if (test->kind != EMBER_VALUE_STRING)
            return tpl_fail (r, "the test name must be a string");
          result = tpl_apply_test (r, test->u.s.data, subject, args + first_test + 1,
                                   n_args - first_test - 1);
          if (result < 0)
            return NULL;
        }
      else
        result = value_is_true (subject);
      if ((result != 0) == keep && !push (r, out, item))
        return NULL;
    }
  return out;
}

FILTER (f_select)
{
  return select_items (r, value, args, n_args, false, true);
}

FILTER (f_reject)
{
  return select_items (r, value, args, n_args, false, false);
}

FILTER (f_selectattr)
{
  return select_items (r, value, args, n_args, true, true);
}

FILTER (f_rejectattr)
{
  return select_items (r, value, args, n_args, true, false);
}

FILTER (f_map)
{
  ember_value *attr = ARG (SIZE_MAX, "attribute"), *def = ARG (SIZE_MAX, "default");
  ember_value *items, *out;

  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, items->u.list.len)) == NULL)
    return NULL;
  if (attr == NULL && (n_args == 0 || args[0]->kind != EMBER_VALUE_STRING))
    return tpl_fail (r, "map requires a filter argument");
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      ember_value *item = items->u.list.items[i], *v;

      if (attr != NULL)
        {
          v = get_path (r, item, attr);
          if (v != NULL && v->kind == EMBER_VALUE_UNDEFINED && def != NULL)
            v = def;
        }
      else
        {
          const char **names = kw_names;

          v = tpl_apply_filter (r, args[0]->u.s.data, item, args + 1, n_args - 1, names, kw_values, n_kw);
        }
      if (v == NULL)
        return NULL;
      out->u.list.items[out->u.list.len++] = v;
    }
  return out;
}

FILTER (f_batch)
{
  ember_value *fill = ARG (1, "fill_with"), *items, *out, *row = NULL;
  int64_t count = 0;

  if (!int_arg (r, ARG (0, "linecount"), &count))
    return NULL;
  if (count <= 0)
    return tpl_fail (r, "batch size must be positive");
  if ((items = tpl_iterate (r, value)) == NULL || (out = new_list (r, 0)) == NULL)
    return NULL;
  for (size_t i = 0; i < items->u.list.len; i++)
    {
      if (row == NULL && ((row = new_list (r, 0)) == NULL || !push (r, out, row)))
        return NULL;
      if (!push (r, row, items->u.list.items[i]))
        return NULL;
      if ((int64_t) row->u.list.len == count)
        row = NULL;
    }
  if (row != NULL && fill != NULL)
    while ((int64_t) row->u.list.len < count)
      if (!push (r, row, fill))
        return NULL;
  return out;
}

FILTER (f_int)
{
  ember_value *def = ARG (0, "default");
  int64_t base = 10;

  if (!int_arg (r, ARG (1, "base"), &base))
    return NULL;
  switch (value->kind)
    {
    case EMBER_VALUE_INT:
      return value;
    case EMBER_VALUE_BOOL:
      return tpl_or_oom (r, pv_int (&r->pool, value->u.b));
    case EMBER_VALUE_FLOAT:
      if (isfinite (value->u.f) && fabs (value->u.f) < 9.2e18)
        return tpl_or_oom (r, pv_int (&r->pool, (int64_t) value->u.f));
      break;
    case EMBER_VALUE_STRING:
      {
        char text[128], *end;
        size_t n = value->u.s.len < sizeof text - 1 ? value->u.s.len : sizeof text - 1;
        long long i;
        double f;

        memcpy (text, value->u.s.data, n);
        text[n] = '\0';
        errno = 0;
        i = strtoll (text, &end, (int) base);
        while (*end == ' ' || *end == '\t' || *end == '\n')
          end++;
        if (errno == 0 && end != text && *end == '\0' && n == value->u.s.len)
          return tpl_or_oom (r, pv_int (&r->pool, i));
        f = strtod (text, &end);
        while (*end == ' ' || *end == '\t' || *end == '\n')
          end++;
        if (end != text && *end == '\0' && isfinite (f) && fabs (f) < 9.2e18)
          return tpl_or_oom (r, pv_int (&r->pool, (int64_t) f));
      }
      break;
    default:
      break;
    }
  return def != NULL ? def : tpl_or_oom (r, pv_int (&r->pool, 0));
}

FILTER (f_float)
{
  ember_value *def = ARG (0, "default");

  if (value_is_number (value))
    return tpl_or_oom (r, pv_float (&r->pool, value_as_double (value)));
  if (value->kind == EMBER_VALUE_STRING)
    {
      char text[128], *end;
      size_t n = value->u.s.len < sizeof text - 1 ? value->u.s.len : sizeof text - 1;
      double f;

      memcpy (text, value->u.s.data, n);
      text[n] = '\0';
      f = strtod (text, &end);
      while (*end == ' ' || *end == '\t' || *end == '\n')
        end++;
      if (end != text && *end == '\0')
        return tpl_or_oom (r, pv_float (&r->pool, f));
    }
  return def != NULL ? def : tpl_or_oom (r, pv_float (&r->pool, 0.0));
}

FILTER (f_round)
{
  int64_t precision = 0;
  ember_value *method = ARG (1, "method");
  double x, scale;
  char text[400];

  if (!int_arg (r, ARG (0, "precision"), &precision))
    return NULL;
  if (!value_is_number (value))
    return tpl_fail (r, "type %s doesn't define __round__ method", value_type_name (value));
  x = value_as_double (value);
  if (method != NULL && method->kind == EMBER_VALUE_STRING
      && (strcmp (method->u.s.data, "ceil") == 0 || strcmp (method->u.s.data, "floor") == 0))
    {
      scale = pow (10.0, (double) precision);
      x = (method->u.s.data[0] == 'c' ? ceil (x * scale) : floor (x * scale)) / scale;
      return tpl_or_oom (r, pv_float (&r->pool, x));
    }
  if (method != NULL && !(method->kind == EMBER_VALUE_STRING && strcmp (method->u.s.data, "common") == 0))
    return tpl_fail (r, "method must be common, ceil or floor");
  if (value->kind != EMBER_VALUE_FLOAT)
    return value->kind == EMBER_VALUE_BOOL ? tpl_or_oom (r, pv_int (&r->pool, value->u.b)) : value;
  if (!isfinite (x) || precision > 300 || precision < -300)
    return tpl_or_oom (r, pv_float (&r->pool, x));
  /* Python rounds half to even on the exact binary value, as printf does. */
  if (precision >= 0)
    {
      snprintf (text, sizeof text, "%.*f", (int) precision, x);
      x = strtod (text, NULL);
    }
  else
    {
      scale = pow (10.0, (double) -precision);
      x = nearbyint (x / scale) * scale;
    }
  return tpl_or_oom (r, pv_float (&r->pool, x));
}

FILTER (f_indent)
{
  ember_value *s = string_arg (r, value), *width = ARG (0, "width"), *out;
  bool first = truthy_arg (ARG (1, "first"), false), blank = truthy_arg (ARG (2, "blank"), false);
  tpl_buf pad = { 0 }, b = { 0 };
  ember_value *lines;

  if (s == NULL)
    return NULL;
  if (width != NULL && width->kind == EMBER_VALUE_STRING)
    buf_append (&pad, width->u.s.data, width->u.s.len);
  else
    {
      int64_t n = 4;

      if (!int_arg (r, width, &n))
        return NULL;
      for (int64_t i = 0; i < n && i < 1024; i++)
        buf_append (&pad, " ", 1);
    }
  /* jinja2 appends a newline first so that splitlines() keeps a last empty line. */
  {
    ember_value nl = { .kind = EMBER_VALUE_STRING, .flags = VALUE_POOLED };

    nl.u.s.data = (char *) "\n";
    nl.u.s.len = 1;
    if ((s = tpl_binop (r, OP_ADD, s, &nl)) == NULL)
      {
        buf_free (&pad);
        return NULL;
      }
  }
  if ((lines = str_splitlines (r, s, false)) == NULL)
    {
      buf_free (&pad);
      return NULL;
    }
  b.limit = r->options.max_output;
  if (first)
    buf_append (&b, pad.data, pad.len);
  for (size_t i = 0; i < lines->u.list.len; i++)
    {
      ember_value *line = lines->u.list.items[i];

      if (i > 0)
        {
          buf_append (&b, "\n", 1);
          if (blank || line->u.s.len > 0)
            buf_append (&b, pad.data, pad.len);
        }
      buf_append (&b, line->u.s.data, line->u.s.len);
    }
  buf_free (&pad);
  out = b.failed ? tpl_fail (r, "a string grew over the output limit")
                 : tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return out;
}

FILTER (f_truncate)
{
  ember_value *s = string_arg (r, value), *end = ARG (2, "end");
  int64_t length = 255, leeway = 5, len;
  bool killwords = truthy_arg (ARG (1, "killwords"), false);
  size_t end_len;
  tpl_buf b = { 0 };
  ember_value *out, *cut;

  if (s == NULL || !int_arg (r, ARG (0, "length"), &length)
      || (ARG (3, "leeway") != NULL && ARG (3, "leeway")->kind != EMBER_VALUE_NULL
          && !int_arg (r, ARG (3, "leeway"), &leeway)))
    return NULL;
  if (end == NULL)
    end = tpl_string (r, "...", 3);
  else
    end = tpl_str_of (r, end);
  if (end == NULL)
    return NULL;
  end_len = utf8_length (end->u.s.data, end->u.s.len);
  if (length < (int64_t) end_len)
    return tpl_fail (r, "expected length >= %zu, got %lld", end_len, (long long) length);
  len = (int64_t) utf8_length (s->u.s.data, s->u.s.len);
  if (len <= length + leeway)
    return s;

  {
    size_t pos = 0;
    uint32_t cp;

    for (int64_t i = 0; i < length - (int64_t) end_len; i++)
      pos += utf8_decode (s->u.s.data + pos, s->u.s.len - pos, &cp);
    if ((cut = tpl_string (r, s->u.s.data, pos)) == NULL)
      return NULL;
  }
  if (!killwords)
    {
      const char *space = NULL;

      for (size_t i = cut->u.s.len; i-- > 0;)
        if (cut->u.s.data[i] == ' ')
          {
            space = cut->u.s.data + i;
            break;
          }
      if (space != NULL)
        cut->u.s.len = (size_t) (space - cut->u.s.data);
    }
  buf_append (&b, cut->u.s.data, cut->u.s.len);
  buf_append (&b, end->u.s.data, end->u.s.len);
  out = b.failed ? tpl_oom (r) : tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return out;
}

FILTER (f_wordcount)
{
  ember_value *s = string_arg (r, value);
  int64_t words = 0;
  bool in_word = false;

  if (s == NULL)
    return NULL;
  for (size_t i = 0; i < s->u.s.len;)
    {
      uint32_t cp;
      size_t n = utf8_decode (s->u.s.data + i, s->u.s.len - i, &cp);
      bool word = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')
                  || cp == '_' || (cp >= 0x80 && !unicode_is_space (cp));

      if (word && !in_word)
        words++;
      in_word = word;
      i += n;
    }
  return tpl_or_oom (r, pv_int (&r->pool, words));
}

FILTER (f_tojson)
{
  ember_value *ensure = ARG (0, "ensure_ascii"), *indent = ARG (1, "indent");
  ember_value *separators = ARG (2, "separators"), *sort_keys = ARG (3, "sort_keys");
  const char *item_sep = NULL, *key_sep = NULL, *indent_text = NULL;
  tpl_buf pad = { 0 }, b = { 0 };
  char why[200];
  ember_value *out;

  if (indent != NULL && indent->kind != EMBER_VALUE_NULL)
    {
      if (indent->kind == EMBER_VALUE_STRING)
        buf_append (&pad, indent->u.s.data, indent->u.s.len);
      else if (indent->kind == EMBER_VALUE_INT)
        for (int64_t i = 0; i < indent->u.i && i < 1024; i++)
          buf_append (&pad, " ", 1);
      else
        return tpl_fail (r, "indent must be an int or a string");
      buf_append (&pad, "", 0);
      indent_text = pad.data != NULL ? pad.data : "";
    }
  if (separators != NULL && separators->kind != EMBER_VALUE_NULL)
    {
      ember_value *s0, *s1;

      if (separators->kind != EMBER_VALUE_LIST || separators->u.list.len != 2
          || (s0 = separators->u.list.items[0])->kind != EMBER_VALUE_STRING
          || (s1 = separators->u.list.items[1])->kind != EMBER_VALUE_STRING)
        {
          buf_free (&pad);
          return tpl_fail (r, "separators must be a pair of strings");
        }
      item_sep = s0->u.s.data;
      key_sep = s1->u.s.data;
    }

  b.limit = r->options.max_output;
  if (!value_write_json (&b, value, truthy_arg (ensure, false), indent_text, item_sep, key_sep,
                         truthy_arg (sort_keys, false), 0, why, sizeof why))
    {
      buf_free (&pad);
      buf_free (&b);
      return tpl_fail (r, "%s", why);
    }
  buf_free (&pad);
  out = b.failed ? tpl_fail (r, "a string grew over the output limit")
                 : tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return out;
}

FILTER (f_attr)
{
  ember_value *name = ARG (0, "name");

  if (name == NULL || name->kind != EMBER_VALUE_STRING)
    return tpl_fail (r, "attr needs a name");
  return tpl_getattr (r, value, name->u.s.data);
}

static const struct {
  const char *name;
  filter_fn fn;
} filters[] = {
  { "abs", f_abs },
  { "attr", f_attr },
  { "batch", f_batch },
  { "capitalize", f_capitalize },
  { "center", f_center },
  { "count", f_length },
  { "d", f_default },
  { "default", f_default },
  { "dictsort", f_dictsort },
  { "e", f_escape },
  { "escape", f_escape },
  { "first", f_first },
  { "float", f_float },
  { "indent", f_indent },
  { "int", f_int },
  { "items", f_items },
  { "join", f_join },
  { "last", f_last },
  { "length", f_length },
  { "list", f_list },
  { "lower", f_lower },
  { "map", f_map },
  { "max", f_max },
  { "min", f_min },
  { "reject", f_reject },
  { "rejectattr", f_rejectattr },
  { "replace", f_replace },
  { "reverse", f_reverse },
  { "round", f_round },
  { "safe", f_safe },
  { "select", f_select },
  { "selectattr", f_selectattr },
  { "sort", f_sort },
  { "string", f_string },
  { "sum", f_sum },
  { "title", f_title },
  { "tojson", f_tojson },
  { "trim", f_trim },
  { "truncate", f_truncate },
  { "unique", f_unique },
  { "upper", f_upper },
  { "wordcount", f_wordcount },
};

bool
tpl_filter_exists (const char *name)
{
  for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
    if (strcmp (filters[i].name, name) == 0)
      return true;
  return false;
}

ember_value *
tpl_apply_filter (tpl_render   *r,
                  const char   *name,
                  ember_value  *value,
                  ember_value **args,
                  size_t        n_args,
                  const char  **kw_names,
                  ember_value **kw_values,
                  size_t        n_kw)
{
  for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
    if (strcmp (filters[i].name, name) == 0)
      return filters[i].fn (r, value, args, n_args, kw_names, kw_values, n_kw);
  return tpl_fail (r, "no filter named '%s'", name);
}
