/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What templates do to values, with Python's semantics and jinja2's sandbox
 * rules: operators, comparisons, attribute and item access, iteration,
 * calls, and the methods of strings, dicts and lists.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-private.h"

static ember_value *
fail_undefined (tpl_render        *r,
                const ember_value *v)
{
  const char *hint = v->u.undef.hint;

  if (hint == NULL)
    return tpl_fail (r, "a value is undefined");
  if (hint[0] == '\'' || strchr (hint, ' ') != NULL)
    return tpl_fail (r, "%s", hint);
  return tpl_fail (r, "'%s' is undefined", hint);
}

static bool
is_intlike (const ember_value *v)
{
  return v->kind == EMBER_VALUE_INT || v->kind == EMBER_VALUE_BOOL;
}

static int64_t
int_of (const ember_value *v)
{
  return v->kind == EMBER_VALUE_INT ? v->u.i : v->u.b;
}

/* ---- operators ------------------------------------------------------------------ */

static ember_value *
repeat (tpl_render  *r,
        ember_value *seq,
        int64_t      times)
{
  if (times < 0)
    times = 0;
  if (seq->kind == EMBER_VALUE_STRING)
    {
      tpl_buf b = { 0 };
      ember_value *out;

      b.limit = r->options.max_output;
      for (int64_t i = 0; i < times && !b.failed; i++)
        buf_append (&b, seq->u.s.data, seq->u.s.len);
      if (b.failed)
        {
          buf_free (&b);
          return tpl_fail (r, "a string grew over the output limit");
        }
      out = tpl_string (r, b.data != NULL ? b.data : "", b.len);
      buf_free (&b);
      return out;
    }
  else
    {
      ember_value *out = pv_list (&r->pool, 0);

      if (out == NULL)
        return tpl_oom (r);
      out->flags |= seq->flags & VALUE_TUPLE;
      if (seq->u.list.len > 0 && (uint64_t) times > r->options.max_output / seq->u.list.len)
        return tpl_fail (r, "a list grew too large");
      for (int64_t i = 0; i < times; i++)
        for (size_t k = 0; k < seq->u.list.len; k++)
          if (!pv_list_push (&r->pool, out, seq->u.list.items[k]))
            return tpl_oom (r);
      return out;
    }
}

static ember_value *
type_error (tpl_render  *r,
            const char  *op,
            ember_value *a,
            ember_value *b)
{
  if (a->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, a);
  if (b->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, b);
  if (a->kind == EMBER_VALUE_STRING && op[0] == '+' && op[1] == '\0')
    return tpl_fail (r, "can only concatenate str (not \"%s\") to str", value_type_name (b));
  return tpl_fail (r, "unsupported operand type(s) for %s: '%s' and '%s'", op,
                   value_type_name (a), value_type_name (b));
}

ember_value *
tpl_binop (tpl_render  *r,
           tpl_op       op,
           ember_value *a,
           ember_value *b)
{
  static const char *const names[] = { "+", "-", "*", "/", "//", "%", "**" };
  const char *name = op <= OP_POW ? names[op] : "?";
  bool ints = is_intlike (a) && is_intlike (b);
  bool numbers = value_is_number (a) && value_is_number (b);

  if (numbers)
    {
      double x = value_as_double (a), y = value_as_double (b);
      int64_t i = ints ? int_of (a) : 0, j = ints ? int_of (b) : 0, k;

      switch (op)
        {
        case OP_ADD:
          if (!ints)
            return tpl_or_oom (r, pv_float (&r->pool, x + y));
          if (__builtin_add_overflow (i, j, &k))
            return tpl_fail (r, "integer overflow");
          return tpl_or_oom (r, pv_int (&r->pool, k));
        case OP_SUB:
          if (!ints)
            return tpl_or_oom (r, pv_float (&r->pool, x - y));
          if (__builtin_sub_overflow (i, j, &k))
            return tpl_fail (r, "integer overflow");
          return tpl_or_oom (r, pv_int (&r->pool, k));
        case OP_MUL:
          if (!ints)
            return tpl_or_oom (r, pv_float (&r->pool, x * y));
          if (__builtin_mul_overflow (i, j, &k))
            return tpl_fail (r, "integer overflow");
          return tpl_or_oom (r, pv_int (&r->pool, k));
        case OP_DIV:
          if (y == 0.0)
            return tpl_fail (r, "division by zero");
          return tpl_or_oom (r, pv_float (&r->pool, x / y));
        case OP_FLOORDIV:
        case OP_MOD:
          if (ints)
            {
              int64_t q, m;

              if (j == 0)
                return tpl_fail (r, "integer division or modulo by zero");
              if (i == INT64_MIN && j == -1)
                return tpl_fail (r, "integer overflow");
              q = i / j;
              m = i % j;
              if (m != 0 && ((m < 0) != (j < 0)))
                {
                  q--;
                  m += j;
                }
              return tpl_or_oom (r, pv_int (&r->pool, op == OP_MOD ? m : q));
            }
          if (y == 0.0)
            return tpl_fail (r, "float division by zero");
          {
            double m = fmod (x, y);

            if (m != 0.0 && ((m < 0) != (y < 0)))
              m += y;
            if (op == OP_MOD)
              return tpl_or_oom (r, pv_float (&r->pool, m));
            return tpl_or_oom (r, pv_float (&r->pool, floor ((x - m) / y + 0.5)));
          }
        case OP_POW:
          if (ints && j >= 0)
            {
              int64_t result = 1, base = i;

              for (int64_t e = j; e > 0; e >>= 1)
                {
                  if ((e & 1) && __builtin_mul_overflow (result, base, &result))
                    return tpl_fail (r, "integer overflow");
                  if (e > 1 && __builtin_mul_overflow (base, base, &base))
                    return tpl_fail (r, "integer overflow");
                }
              return tpl_or_oom (r, pv_int (&r->pool, result));
            }
          if (x == 0.0 && y < 0)
            return tpl_fail (r, "0.0 cannot be raised to a negative power");
          return tpl_or_oom (r, pv_float (&r->pool, pow (x, y)));
        default:
          break;
        }
    }

  if (op == OP_ADD && a->kind == EMBER_VALUE_STRING && b->kind == EMBER_VALUE_STRING)
    {
      ember_value *out;
      char *data;

      if (a->u.s.len + b->u.s.len > r->options.max_output)
        return tpl_fail (r, "a string grew over the output limit");
      out = pv_new (&r->pool, EMBER_VALUE_STRING);
      data = out != NULL ? pool_alloc (&r->pool, a->u.s.len + b->u.s.len + 1) : NULL;
      if (data == NULL)
        return tpl_oom (r);
      memcpy (data, a->u.s.data, a->u.s.len);
      memcpy (data + a->u.s.len, b->u.s.data, b->u.s.len);
      out->u.s.data = data;
      out->u.s.len = a->u.s.len + b->u.s.len;
      return out;
    }

  if (op == OP_ADD && a->kind == EMBER_VALUE_LIST && b->kind == EMBER_VALUE_LIST
      && (a->flags & VALUE_TUPLE) == (b->flags & VALUE_TUPLE))
    {
      ember_value *out = pv_list (&r->pool, a->u.list.len + b->u.list.len);

      if (out == NULL)
        return tpl_oom (r);
      out->flags |= a->flags & VALUE_TUPLE;
      for (size_t i = 0; i < a->u.list.len; i++)
        out->u.list.items[out->u.list.len++] = a->u.list.items[i];
      for (size_t i = 0; i < b->u.list.len; i++)
        out->u.list.items[out->u.list.len++] = b->u.list.items[i];
      return out;
    }

  if (op == OP_MUL && (a->kind == EMBER_VALUE_STRING || a->kind == EMBER_VALUE_LIST) && is_intlike (b))
    return repeat (r, a, int_of (b));
  if (op == OP_MUL && (b->kind == EMBER_VALUE_STRING || b->kind == EMBER_VALUE_LIST) && is_intlike (a))
    return repeat (r, b, int_of (a));

  return type_error (r, name, a, b);
}

static int
order_values (const ember_value *a,
              const ember_value *b,
              bool               fold,
              bool              *ok)
{
  if (value_is_number (a) && value_is_number (b))
    {
      if (is_intlike (a) && is_intlike (b))
        return int_of (a) < int_of (b) ? -1 : int_of (a) > int_of (b);
      {
        double x = value_as_double (a), y = value_as_double (b);

        return x < y ? -1 : x > y;
      }
    }
  if (a->kind == EMBER_VALUE_STRING && b->kind == EMBER_VALUE_STRING)
    {
      size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;

      for (size_t i = 0; i < n; i++)
        {
          unsigned char x = (unsigned char) a->u.s.data[i], y = (unsigned char) b->u.s.data[i];

          if (fold)
            {
              if (x >= 'A' && x <= 'Z')
                x = (unsigned char) (x + 32);
              if (y >= 'A' && y <= 'Z')
                y = (unsigned char) (y + 32);
            }
          if (x != y)
            return x < y ? -1 : 1;
        }
      return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
    }
  if (a->kind == EMBER_VALUE_LIST && b->kind == EMBER_VALUE_LIST
      && (a->flags & VALUE_TUPLE) == (b->flags & VALUE_TUPLE))
    {
      size_t n = a->u.list.len < b->u.list.len ? a->u.list.len : b->u.list.len;

      for (size_t i = 0; i < n; i++)
        {
          if (value_equal (a->u.list.items[i], b->u.list.items[i]))
            continue;
          return order_values (a->u.list.items[i], b->u.list.items[i], fold, ok);
        }
      return a->u.list.len < b->u.list.len ? -1 : a->u.list.len > b->u.list.len;
    }
  *ok = false;
  return 0;
}

int
tpl_order (tpl_render        *r,
           const ember_value *a,
           const ember_value *b,
           bool               case_sensitive,
           bool              *ok)
{
  return order_values (a, b, !case_sensitive, ok);
}

static bool
contains (tpl_render  *r,
          ember_value *container,
          ember_value *item,
          bool        *ok)
{
  *ok = true;
  switch (container->kind)
    {
    case EMBER_VALUE_STRING:
      if (item->kind != EMBER_VALUE_STRING)
        {
          tpl_fail (r, "'in <string>' requires string as left operand, not %s", value_type_name (item));
          *ok = false;
          return false;
        }
      if (item->u.s.len == 0)
        return true;
      return memmem (container->u.s.data, container->u.s.len, item->u.s.data, item->u.s.len) != NULL;
    case EMBER_VALUE_LIST:
      for (size_t i = 0; i < container->u.list.len; i++)
        if (value_equal (container->u.list.items[i], item))
          return true;
      return false;
    case EMBER_VALUE_DICT:
      if (!(container->flags & VALUE_NAMESPACE))
        return value_dict_lookup (container, item) != NULL;
      break;
    case EMBER_VALUE_UNDEFINED:
      return false;
    default:
      break;
    }
  tpl_fail (r, "argument of type '%s' is not iterable", value_type_name (container));
  *ok = false;
  return false;
}

int
tpl_compare (tpl_render  *r,
             tpl_op       op,
             ember_value *a,
             ember_value *b)
{
  static const char *const names[] = { "==", "!=", "<", "<=", ">", ">=" };
  bool ok = true;
  int c;

  switch (op)
    {
    case OP_EQ:
      return value_equal (a, b);
    case OP_NE:
      return !value_equal (a, b);
    case OP_IN:
    case OP_NOTIN:
      {
        bool found = contains (r, b, a, &ok);

        if (!ok)
          return -1;
        return op == OP_IN ? found : !found;
      }
    default:
      break;
    }

  if (a->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, a), -1;
  if (b->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, b), -1;
  c = order_values (a, b, false, &ok);
  if (!ok)
    {
      tpl_fail (r, "'%s' not supported between instances of '%s' and '%s'", names[op - OP_EQ],
                value_type_name (a), value_type_name (b));
      return -1;
    }
  switch (op)
    {
    case OP_LT:
      return c < 0;
    case OP_LE:
      return c <= 0;
    case OP_GT:
      return c > 0;
    case OP_GE:
      return c >= 0;
    default:
      return -1;
    }
}

/* ---- access ------------------------------------------------------------------------ */

ember_value *
tpl_getattr (tpl_render  *r,
             ember_value *obj,
             const char  *name)
{
  ember_value *v;
  char *hint;
  size_t size;

  if (obj->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, obj);

  if (obj->kind == EMBER_VALUE_DICT && (obj->flags & VALUE_NAMESPACE))
    {
      v = value_dict_lookup_str (obj, name, strlen (name));
      if (v != NULL)
        return v;
    }
  else
    {
      v = tpl_method (r, obj, name);
      if (v != NULL || r->failed)
        return v;
      if (obj->kind == EMBER_VALUE_DICT)
        {
          v = value_dict_lookup_str (obj, name, strlen (name));
          if (v != NULL)
            return v;
        }
    }

  size = strlen (name) + 64;
  hint = pool_alloc (&r->pool, size);
  if (hint == NULL)
    return tpl_oom (r);
  snprintf (hint, size, "'%s object' has no attribute '%s'",
            obj->kind == EMBER_VALUE_DICT && !(obj->flags & VALUE_NAMESPACE) ? "dict"
                                                                            : value_type_name (obj),
            name);
  return tpl_undefined (r, hint);
}

static bool
index_of (const ember_value *key,
          int64_t            len,
          int64_t           *index)
{
  int64_t i;

  if (!is_intlike (key))
    return false;
  i = int_of (key);
  if (i < 0)
    i += len;
  if (i < 0 || i >= len)
    return false;
  *index = i;
  return true;
}

ember_value *
tpl_getitem (tpl_render  *r,
             ember_value *obj,
             ember_value *key)
{
  int64_t i;
  ember_value *v;

  if (obj->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, obj);

  switch (obj->kind)
    {
    case EMBER_VALUE_DICT:
      if (!(obj->flags & VALUE_NAMESPACE) && (v = value_dict_lookup (obj, key)) != NULL)
        return v;
      break;
    case EMBER_VALUE_LIST:
      if (index_of (key, (int64_t) obj->u.list.len, &i))
        return obj->u.list.items[i];
      break;
    case EMBER_VALUE_STRING:
      {
        int64_t len = (int64_t) utf8_length (obj->u.s.data, obj->u.s.len);

        if (index_of (key, len, &i))
          {
            size_t pos = 0;
            uint32_t cp;

            for (int64_t k = 0; k < i; k++)
              pos += utf8_decode (obj->u.s.data + pos, obj->u.s.len - pos, &cp);
            return tpl_string (r, obj->u.s.data + pos, utf8_decode (obj->u.s.data + pos,
                                                                 obj->u.s.len - pos, &cp));
          }
      }
      break;
    default:
      break;
    }

  if (key->kind == EMBER_VALUE_STRING && memchr (key->u.s.data, '\0', key->u.s.len) == NULL)
    return tpl_getattr (r, obj, key->u.s.data);
  if (obj->kind == EMBER_VALUE_DICT)
    return tpl_undefined (r, "the dict has no such key");
  return tpl_undefined (r, "no such item");
}

ember_value *
tpl_iterate (tpl_render  *r,
             ember_value *v)
{
  ember_value *out;

  switch (v->kind)
    {
    case EMBER_VALUE_LIST:
      return v;
    case EMBER_VALUE_UNDEFINED:
      return tpl_or_oom (r, pv_list (&r->pool, 0));
    case EMBER_VALUE_DICT:
      if (v->flags & VALUE_NAMESPACE)
        break;
      out = pv_list (&r->pool, v->u.dict.len);
      if (out == NULL)
        return tpl_oom (r);
      for (size_t i = 0; i < v->u.dict.len; i++)
        out->u.list.items[out->u.list.len++] = v->u.dict.keys[i];
      return out;
    case EMBER_VALUE_STRING:
      out = pv_list (&r->pool, utf8_length (v->u.s.data, v->u.s.len));
      if (out == NULL)
        return tpl_oom (r);
      for (size_t i = 0; i < v->u.s.len;)
        {
          uint32_t cp;
          size_t n = utf8_decode (v->u.s.data + i, v->u.s.len - i, &cp);
          ember_value *c = tpl_string (r, v->u.s.data + i, n);

          if (c == NULL)
            return NULL;
          out->u.list.items[out->u.list.len++] = c;
          i += n;
        }
      return out;
    default:
      break;
    }
  return tpl_fail (r, "'%s' object is not iterable", value_type_name (v));
}

ember_value *
tpl_call (tpl_render   *r,
          ember_value  *callee,
          ember_value **args,
          size_t        n_args,
          const char  **kw_names,
          ember_value **kw_values,
          size_t        n_kw)
{
  if (callee->kind == EMBER_VALUE_CALLABLE)
    return callee->u.call.fn (r, callee, args, n_args, kw_names, kw_values, n_kw);
  if (callee->kind == EMBER_VALUE_UNDEFINED)
    return fail_undefined (r, callee);
  return tpl_fail (r, "'%s' object is not callable", value_type_name (callee));
}
