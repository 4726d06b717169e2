/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Values as text: byte buffers, UTF-8, and Python's str(), repr() and
 * json.dumps() of a value, byte for byte.
 */

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-private.h"

/* ---- buffers -------------------------------------------------------------------- */

void
buf_append (tpl_buf    *b,
            const char *s,
            size_t      len)
{
  if (b->failed || len == 0)
    return;
  if ((b->limit != 0 && len > b->limit - b->len) || len > SIZE_MAX / 2 - b->len)
    {
      b->failed = true;
      return;
    }
  if (b->len + len + 1 > b->cap)
    {
      size_t cap = b->cap < 256 ? 256 : b->cap;
      char *data;

      while (cap < b->len + len + 1)
        cap *= 2;
      data = realloc (b->data, cap);
      if (data == NULL)
        {
          b->failed = true;
          return;
        }
      b->data = data;
      b->cap = cap;
    }
  memcpy (b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void
buf_append_str (tpl_buf    *b,
                const char *s)
{
  buf_append (b, s, strlen (s));
}

void
buf_printf (tpl_buf    *b,
            const char *format,
            ...)
{
  char small[128];
  va_list args;
  int n;

  va_start (args, format);
  n = vsnprintf (small, sizeof small, format, args);
  va_end (args);
  if (n < 0)
    return;
  if ((size_t) n < sizeof small)
    {
      buf_append (b, small, (size_t) n);
      return;
    }
  {
    char *big = malloc ((size_t) n + 1);

    if (big == NULL)
      {
        b->failed = true;
        return;
      }
    va_start (args, format);
    vsnprintf (big, (size_t) n + 1, format, args);
    va_end (args);
    buf_append (b, big, (size_t) n);
    free (big);
  }
}

void
buf_free (tpl_buf *b)
{
  free (b->data);
  memset (b, 0, sizeof *b);
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

size_t
utf8_decode (const char *s,
             size_t      len,
             uint32_t   *cp)
{
  const unsigned char *u = (const unsigned char *) s;
  size_t n;
  uint32_t c;

  if (len == 0)
    {
      *cp = 0;
      return 0;
    }
  if (u[0] < 0x80)
    {
      *cp = u[0];
      return 1;
    }
  if (u[0] >= 0xc2 && u[0] < 0xe0)
    n = 2, c = u[0] & 0x1f;
  else if (u[0] >= 0xe0 && u[0] < 0xf0)
    n = 3, c = u[0] & 0x0f;
  else if (u[0] >= 0xf0 && u[0] < 0xf5)
    n = 4, c = u[0] & 0x07;
  else
    {
      *cp = 0xfffd;
      return 1;
    }
  if (n > len)
    {
      *cp = 0xfffd;
      return 1;
    }
  for (size_t i = 1; i < n; i++)
    {
      if ((u[i] & 0xc0) != 0x80)
        {
          *cp = 0xfffd;
          return 1;
        }
      c = (c << 6) | (u[i] & 0x3f);
    }
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
    {
      *cp = 0xfffd;
      return 1;
    }
  *cp = c;
  return n;
}

size_t
utf8_encode (uint32_t cp,
             char    *out)
{
  if (cp < 0x80)
    {
      out[0] = (char) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (char) (0xc0 | (cp >> 6));
      out[1] = (char) (0x80 | (cp & 0x3f));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (char) (0xe0 | (cp >> 12));
      out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
      out[2] = (char) (0x80 | (cp & 0x3f));
      return 3;
    }
  out[0] = (char) (0xf0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

size_t
utf8_length (const char *s,
             size_t      len)
{
  size_t n = 0;

  for (size_t i = 0; i < len;)
    {
      uint32_t cp;

      i += utf8_decode (s + i, len - i, &cp);
      n++;
    }
  return n;
}

bool
unicode_is_space (uint32_t cp)
{
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0
         || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029
         || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Python's str.isprintable(), closely enough for repr(). */
static bool
unicode_is_printable (uint32_t cp)
{
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp == 0xad)
    return false;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f)
      || (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff
      || (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xd800 && cp <= 0xf8ff)
      || cp >= 0xf0000)
    return false;
  return true;
}

/* ---- str() and repr() ---------------------------------------------------------------- */

void
value_write_float (tpl_buf *b,
                   double   f)
{
  char digits[40];
  int exp10 = 0, prec;

  if (isnan (f))
    {
      buf_append_str (b, "nan");
      return;
    }
  if (isinf (f))
    {
      buf_append_str (b, f < 0 ? "-inf" : "inf");
      return;
    }
  if (f == 0.0)
    {
      buf_append_str (b, signbit (f) ? "-0.0" : "0.0");
      return;
    }

  /* The shortest digits that read back as @f, as Python's repr() picks. */
  for (prec = 1; prec <= 17; prec++)
    {
      snprintf (digits, sizeof digits, "%.*e", prec - 1, f);
      if (strtod (digits, NULL) == f)
        break;
    }

  {
    char mant[24];
    size_t m = 0;
    const char *p = digits;
    bool negative = false;

    if (*p == '-')
      negative = true, p++;
    for (; *p != 'e' && *p != '\0'; p++)
      if (*p != '.')
        mant[m++] = *p;
    mant[m] = '\0';
    if (*p == 'e')
      exp10 = atoi (p + 1);
    while (m > 1 && mant[m - 1] == '0')
      mant[--m] = '\0';

    if (negative)
      buf_append (b, "-", 1);
    if (exp10 >= -4 && exp10 < 16)
      {
        if (exp10 < 0)
          {
            buf_append_str (b, "0.");
            for (int i = -1; i > exp10; i--)
              buf_append (b, "0", 1);
            buf_append (b, mant, m);
          }
        else if ((size_t) exp10 + 1 >= m)
          {
            buf_append (b, mant, m);
            for (size_t i = m; i < (size_t) exp10 + 1; i++)
              buf_append (b, "0", 1);
            buf_append_str (b, ".0");
          }
        else
          {
            buf_append (b, mant, (size_t) exp10 + 1);
            buf_append (b, ".", 1);
            buf_append (b, mant + exp10 + 1, m - (size_t) exp10 - 1);
          }
      }
    else
      {
        buf_append (b, mant, 1);
        if (m > 1)
          {
            buf_append (b, ".", 1);
            buf_append (b, mant + 1, m - 1);
          }
        buf_printf (b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
      }
  }
}

static void
write_string_repr (tpl_buf    *b,
                   const char *s,
                   size_t      len)
{
  bool has_single = memchr (s, '\'', len) != NULL;
  bool has_double = memchr (s, '"', len) != NULL;
  char quote = has_single && !has_double ? '"' : '\'';

  buf_append (b, &quote, 1);
  for (size_t i = 0; i < len;)
    {
      uint32_t cp;
      size_t n = utf8_decode (s + i, len - i, &cp);

      if (cp == (uint32_t) quote || cp == '\\')
        {
          buf_append (b, "\\", 1);
          buf_append (b, s + i, 1);
        }
      else if (cp == '\n')
        buf_append_str (b, "\\n");
      else if (cp == '\r')
        buf_append_str (b, "\\r");
      else if (cp == '\t')
        buf_append_str (b, "\\t");
      else if (!unicode_is_printable (cp))
        {
          if (cp < 0x100)
            buf_printf (b, "\\x%02x", cp);
          else if (cp < 0x10000)
            buf_printf (b, "\\u%04x", cp);
          else
            buf_printf (b, "\\U%08x", cp);
        }
      else
        buf_append (b, s + i, n);
      i += n;
    }
  buf_append (b, &quote, 1);
}

static void
write_value (tpl_buf           *b,
             const ember_value *v,
             bool               repr,
             int                depth)
{
  if (depth > 200)
    {
      buf_append_str (b, "...");
      return;
    }

  switch (v->kind)
    {
    case EMBER_VALUE_NULL:
      buf_append_str (b, "None");
      break;
    case EMBER_VALUE_UNDEFINED:
      if (repr)
        buf_append_str (b, "Undefined");
      break;
    case EMBER_VALUE_BOOL:
      buf_append_str (b, v->u.b ? "True" : "False");
      break;
    case EMBER_VALUE_INT:
      buf_printf (b, "%lld", (long long) v->u.i);
      break;
    case EMBER_VALUE_FLOAT:
      value_write_float (b, v->u.f);
      break;
    case EMBER_VALUE_STRING:
      if (repr)
        write_string_repr (b, v->u.s.data, v->u.s.len);
      else
        buf_append (b, v->u.s.data, v->u.s.len);
      break;
    case EMBER_VALUE_LIST:
      {
        bool tuple = (v->flags & VALUE_TUPLE) != 0;

        buf_append (b, tuple ? "(" : "[", 1);
        for (size_t i = 0; i < v->u.list.len; i++)
          {
            if (i > 0)
              buf_append (b, ", ", 2);
            write_value (b, v->u.list.items[i], true, depth + 1);
          }
        if (tuple && v->u.list.len == 1)
          buf_append (b, ",", 1);
        buf_append (b, tuple ? ")" : "]", 1);
      }
      break;
    case EMBER_VALUE_DICT:
      buf_append_str (b, (v->flags & VALUE_NAMESPACE) ? "<Namespace {" : "{");
      for (size_t i = 0; i < v->u.dict.len; i++)
        {
          if (i > 0)
            buf_append (b, ", ", 2);
          write_value (b, v->u.dict.keys[i], true, depth + 1);
          buf_append (b, ": ", 2);
          write_value (b, v->u.dict.values[i], true, depth + 1);
        }
      buf_append_str (b, (v->flags & VALUE_NAMESPACE) ? "}>" : "}");
      break;
    case EMBER_VALUE_CALLABLE:
      buf_printf (b, "<function %s>", v->u.call.name != NULL ? v->u.call.name : "?");
      break;
    default:
      break;
    }
}

void
value_write_str (tpl_buf           *b,
                 const ember_value *v)
{
  write_value (b, v, false, 0);
}

void
value_write_repr (tpl_buf           *b,
                  const ember_value *v)
{
  write_value (b, v, true, 0);
}

/* ---- json.dumps ------------------------------------------------------------------------ */

static void
write_json_string (tpl_buf    *b,
                   const char *s,
                   size_t      len,
                   bool        ensure_ascii)
{
  buf_append (b, "\"", 1);
  for (size_t i = 0; i < len;)
    {
      uint32_t cp;
      size_t n = utf8_decode (s + i, len - i, &cp);

      switch (cp)
        {
        case '"':
          buf_append_str (b, "\\\"");
          break;
        case '\\':
          buf_append_str (b, "\\\\");
          break;
        case '\n':
          buf_append_str (b, "\\n");
          break;
        case '\r':
          buf_append_str (b, "\\r");
          break;
        case '\t':
          buf_append_str (b, "\\t");
          break;
        case '\b':
          buf_append_str (b, "\\b");
          break;
        case '\f':
          buf_append_str (b, "\\f");
          break;
        default:
          if (cp < 0x20 || (ensure_ascii && cp >= 0x7f))
            {
              if (cp >= 0x10000)
                buf_printf (b, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
                            0xdc00 + ((cp - 0x10000) & 0x3ff));
              else
                buf_printf (b, "\\u%04x", cp);
            }
          else
            buf_append (b, s + i, n);
        }
      i += n;
    }
  buf_append (b, "\"", 1);
}

static void
write_json_newline (tpl_buf    *b,
                    const char *indent,
                    int         level)
{
  buf_append (b, "\n", 1);
  for (int i = 0; i < level; i++)
    buf_append_str (b, indent);
}

static int
compare_keys (const void *pa,
              const void *pb)
{
  const ember_value *a = *(ember_value *const *) pa;
  const ember_value *b = *(ember_value *const *) pb;
  size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
  int c = memcmp (a->u.s.data, b->u.s.data, n);

  if (c != 0)
    return c;
  return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

bool
value_write_json (tpl_buf           *b,
                  const ember_value *v,
                  bool               ensure_ascii,
                  const char        *indent,
                  const char        *item_sep,
                  const char        *key_sep,
                  bool               sort_keys,
                  int                depth,
                  char              *why,
                  size_t             why_size)
{
  if (item_sep == NULL)
    item_sep = indent != NULL ? "," : ", ";
  if (key_sep == NULL)
    key_sep = ": ";
  if (depth > 500)
    {
      snprintf (why, why_size, "maximum recursion depth exceeded while encoding a JSON object");
      return false;
    }

  switch (v->kind)
    {
    case EMBER_VALUE_NULL:
      buf_append_str (b, "null");
      return true;
    case EMBER_VALUE_BOOL:
      buf_append_str (b, v->u.b ? "true" : "false");
      return true;
    case EMBER_VALUE_INT:
      buf_printf (b, "%lld", (long long) v->u.i);
      return true;
    case EMBER_VALUE_FLOAT:
      if (isnan (v->u.f))
        buf_append_str (b, "NaN");
      else if (isinf (v->u.f))
        buf_append_str (b, v->u.f < 0 ? "-Infinity" : "Infinity");
      else
        value_write_float (b, v->u.f);
      return true;
    case EMBER_VALUE_STRING:
      write_json_string (b, v->u.s.data, v->u.s.len, ensure_ascii);
      return true;
    case EMBER_VALUE_LIST:
      if (v->u.list.len == 0)
        {
          buf_append_str (b, "[]");
          return true;
        }
      buf_append (b, "[", 1);
      for (size_t i = 0; i < v->u.list.len; i++)
        {
          if (i > 0)
            buf_append_str (b, item_sep);
          if (indent != NULL)
            write_json_newline (b, indent, depth + 1);
          if (!value_write_json (b, v->u.list.items[i], ensure_ascii, indent, item_sep, key_sep,
                                 sort_keys, depth + 1, why, why_size))
            return false;
        }
      if (indent != NULL)
        write_json_newline (b, indent, depth);
      buf_append (b, "]", 1);
      return true;
    case EMBER_VALUE_DICT:
      if (v->flags & VALUE_NAMESPACE)
        break;
      if (v->u.dict.len == 0)
        {
          buf_append_str (b, "{}");
          return true;
        }
      {
        size_t n = v->u.dict.len;
        ember_value **order = malloc (n * sizeof *order);
        bool ok = true;

        if (order == NULL)
          {
            snprintf (why, why_size, "out of memory");
            return false;
          }
        for (size_t i = 0; i < n; i++)
          {
            order[i] = v->u.dict.keys[i];
            if (order[i]->kind != EMBER_VALUE_STRING && sort_keys)
              ok = false;
          }
        if (!ok)
          {
            free (order);
            snprintf (why, why_size, "'<' not supported between dictionary keys of different types");
            return false;
          }
        if (sort_keys)
          qsort (order, n, sizeof *order, compare_keys);

        buf_append (b, "{", 1);
        for (size_t i = 0; i < n && ok; i++)
          {
            const ember_value *key = order[i];

            if (i > 0)
              buf_append_str (b, item_sep);
            if (indent != NULL)
              write_json_newline (b, indent, depth + 1);
            if (key->kind == EMBER_VALUE_STRING)
              write_json_string (b, key->u.s.data, key->u.s.len, ensure_ascii);
            else if (key->kind == EMBER_VALUE_INT || key->kind == EMBER_VALUE_FLOAT
                     || key->kind == EMBER_VALUE_BOOL || key->kind == EMBER_VALUE_NULL)
              {
                buf_append (b, "\"", 1);
                if (key->kind == EMBER_VALUE_BOOL)
                  buf_append_str (b, key->u.b ? "true" : "false");
                else if (key->kind == EMBER_VALUE_NULL)
                  buf_append_str (b, "null");
                else
                  value_write_str (b, key);
                buf_append (b, "\"", 1);
              }
            else
              {
                snprintf (why, why_size, "keys must be str, int, float, bool or None, not %s",
                          value_type_name (key));
                ok = false;
                break;
              }
            buf_append_str (b, key_sep);
            ok = value_write_json (b, value_dict_lookup (v, key), ensure_ascii, indent, item_sep,
                                   key_sep, sort_keys, depth + 1, why, why_size);
          }
        free (order);
        if (!ok)
          return false;
        if (indent != NULL)
          write_json_newline (b, indent, depth);
        buf_append (b, "}", 1);
        return true;
      }
    default:
      break;
    }

  snprintf (why, why_size, "Object of type %s is not JSON serializable", value_type_name (v));
  return false;
}

ember_status
ember_value_to_json (const ember_value *value,
                     char             **out,
                     size_t            *out_len,
                     ember_error       *error)
{
  tpl_buf b = { 0 };
  char why[200];

  if (value == NULL || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no value");
  if (!value_write_json (&b, value, false, NULL, NULL, NULL, false, 0, why, sizeof why))
    {
      buf_free (&b);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "%s", why);
    }
  buf_append (&b, "", 0);
  if (b.failed || (b.data == NULL && (b.data = calloc (1, 1)) == NULL))
    {
      buf_free (&b);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  *out = b.data;
  if (out_len != NULL)
    *out_len = b.len;
  return EMBER_OK;
}
