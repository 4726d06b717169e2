/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Python's string operations on UTF-8 values (code points, not bytes, where
 * Python counts them). Case mapping covers ASCII only.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-strings.h"

static ember_value *
finish (tpl_render *r,
        tpl_buf    *b)
{
  ember_value *out;

  if (b->failed)
    {
      buf_free (b);
      return tpl_fail (r, "a string grew over the output limit");
    }
  out = tpl_string (r, b->data != NULL ? b->data : "", b->len);
  buf_free (b);
  return out;
}

static bool
in_chars (uint32_t           cp,
          const ember_value *chars)
{
  if (chars == NULL)
    return unicode_is_space (cp);
  for (size_t i = 0; i < chars->u.s.len;)
    {
      uint32_t c;

      i += utf8_decode (chars->u.s.data + i, chars->u.s.len - i, &c);
      if (c == cp)
        return true;
    }
  return false;
}

/* The start of the code point that ends at @end. */
static size_t
prev_start (const char *s,
            size_t      end)
{
  size_t start = end - 1;

  while (start > 0 && ((unsigned char) s[start] & 0xc0) == 0x80 && end - start < 4)
    start--;
  return start;
}

ember_value *
str_strip (tpl_render  *r,
           ember_value *s,
           ember_value *chars,
           bool         left,
           bool         right)
{
  const char *d = s->u.s.data;
  size_t start = 0, end = s->u.s.len;

  while (left && start < end)
    {
      uint32_t cp;
      size_t n = utf8_decode (d + start, end - start, &cp);

      if (!in_chars (cp, chars))
        break;
      start += n;
    }
  while (right && end > start)
    {
      size_t p = prev_start (d, end);
      uint32_t cp;

      utf8_decode (d + p, end - p, &cp);
      if (!in_chars (cp, chars))
        break;
      end = p;
    }
  return tpl_string (r, d + start, end - start);
}

static bool
push_string (tpl_render  *r,
             ember_value *list,
             const char  *s,
             size_t       len)
{
  ember_value *v = tpl_string (r, s, len);

  if (v == NULL)
    return false;
  if (!pv_list_push (&r->pool, list, v))
    {
      tpl_oom (r);
      return false;
    }
  return true;
}

static ember_value *
reverse_list (ember_value *list)
{
  for (size_t i = 0, j = list->u.list.len; i + 1 < j; i++, j--)
    {
      ember_value *t = list->u.list.items[i];

      list->u.list.items[i] = list->u.list.items[j - 1];
      list->u.list.items[j - 1] = t;
    }
  return list;
}

ember_value *
str_split (tpl_render  *r,
           ember_value *s,
           ember_value *sep,
           int64_t      maxsplit,
           bool         from_right)
{
  const char *d = s->u.s.data;
  size_t len = s->u.s.len;
  ember_value *out = pv_list (&r->pool, 0);
  int64_t splits = 0;

  if (out == NULL)
    return tpl_oom (r);

  if (sep != NULL)
    {
      size_t seplen = sep->u.s.len;

      if (seplen == 0)
        return tpl_fail (r, "empty separator");
      if (!from_right)
        {
          size_t pos = 0;

          for (;;)
            {
              const char *hit = maxsplit >= 0 && splits >= maxsplit
                                  ? NULL
                                  : memmem (d + pos, len - pos, sep->u.s.data, seplen);

              if (hit == NULL)
                break;
              if (!push_string (r, out, d + pos, (size_t) (hit - (d + pos))))
                return NULL;
              pos = (size_t) (hit - d) + seplen;
              splits++;
            }
          return push_string (r, out, d + pos, len - pos) ? out : NULL;
        }
      else
        {
          size_t end = len;

          while (!(maxsplit >= 0 && splits >= maxsplit) && end >= seplen)
            {
              size_t i = end - seplen + 1, found = SIZE_MAX;

              while (i-- > 0)
                if (memcmp (d + i, sep->u.s.data, seplen) == 0)
                  {
                    found = i;
                    break;
                  }
              if (found == SIZE_MAX)
                break;
              if (!push_string (r, out, d + found + seplen, end - found - seplen))
                return NULL;
              end = found;
              splits++;
            }
          return push_string (r, out, d, end) ? reverse_list (out) : NULL;
        }
    }

  /* Runs of whitespace. */
  if (!from_right)
    {
      size_t pos = 0;

      for (;;)
        {
          size_t start, n;
          uint32_t cp;

          while (pos < len && (n = utf8_decode (d + pos, len - pos, &cp), unicode_is_space (cp)))
            pos += n;
          if (pos >= len)
            break;
          if (maxsplit >= 0 && splits >= maxsplit)
            {
              size_t end = len;

              while (end > pos)
                {
                  size_t p = prev_start (d, end);

                  utf8_decode (d + p, end - p, &cp);
                  if (!unicode_is_space (cp))
                    break;
                  end = p;
                }
              if (!push_string (r, out, d + pos, end - pos))
                return NULL;
              break;
            }
          start = pos;
          while (pos < len && (n = utf8_decode (d + pos, len - pos, &cp), !unicode_is_space (cp)))
            pos += n;
          if (!push_string (r, out, d + start, pos - start))
            return NULL;
          splits++;
        }
      return out;
    }
  else
    {
      size_t end = len;

      for (;;)
        {
          size_t stop;
          uint32_t cp;

          while (end > 0)
            {
              size_t p = prev_start (d, end);

              utf8_decode (d + p, end - p, &cp);
              if (!unicode_is_space (cp))
                break;
              end = p;
            }
          if (end == 0)
            break;
          if (maxsplit >= 0 && splits >= maxsplit)
            {
              size_t start = 0, n;

              while (start < end && (n = utf8_decode (d + start, end - start, &cp), unicode_is_space (cp)))
                start += n;
              if (!push_string (r, out, d + start, end - start))
                return NULL;
              break;
            }
          stop = end;
          while (end > 0)
            {
              size_t p = prev_start (d, end);

              utf8_decode (d + p, end - p, &cp);
              if (unicode_is_space (cp))
                break;
              end = p;
            }
          if (!push_string (r, out, d + end, stop - end))
            return NULL;
          splits++;
        }
      return reverse_list (out);
    }
}

ember_value *
str_replace (tpl_render  *r,
             ember_value *s,
             ember_value *old,
             ember_value *new_text,
             int64_t      count)
{
  tpl_buf b = { 0 };
  const char *d = s->u.s.data;
  size_t len = s->u.s.len, pos = 0;
  int64_t done = 0;

  b.limit = r->options.max_output;
  if (old->u.s.len == 0)
    {
      /* Python inserts @new_text before every code point and at the end. */
      while (pos <= len && !(count >= 0 && done >= count))
        {
          uint32_t cp;
          size_t n = pos < len ? utf8_decode (d + pos, len - pos, &cp) : 0;

          buf_append (&b, new_text->u.s.data, new_text->u.s.len);
          done++;
          if (pos == len)
            {
              pos = len + 1;
              break;
            }
          buf_append (&b, d + pos, n);
          pos += n;
        }
      if (pos < len)
        buf_append (&b, d + pos, len - pos);
      return finish (r, &b);
    }

  for (;;)
    {
      const char *hit = count >= 0 && done >= count
                          ? NULL
                          : memmem (d + pos, len - pos, old->u.s.data, old->u.s.len);

      if (hit == NULL)
        break;
      buf_append (&b, d + pos, (size_t) (hit - (d + pos)));
      buf_append (&b, new_text->u.s.data, new_text->u.s.len);
      pos = (size_t) (hit - d) + old->u.s.len;
      done++;
    }
  buf_append (&b, d + pos, len - pos);
  return finish (r, &b);
}

static bool
is_upper (char c)
{
  return c >= 'A' && c <= 'Z';
}

static bool
is_lower (char c)
{
  return c >= 'a' && c <= 'z';
}

static char
to_upper (char c)
{
  return is_lower (c) ? (char) (c - 32) : c;
}

static char
to_lower (char c)
{
  return is_upper (c) ? (char) (c + 32) : c;
}

ember_value *
str_case (tpl_render  *r,
          ember_value *s,
          const char  *how)
{
  ember_value *out = tpl_string (r, s->u.s.data, s->u.s.len);
  bool prev_cased = false;

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < out->u.s.len; i++)
    {
      char *c = &out->u.s.data[i];
      bool cased = is_upper (*c) || is_lower (*c);

      if (strcmp (how, "lower") == 0)
        *c = to_lower (*c);
      else if (strcmp (how, "upper") == 0)
        *c = to_upper (*c);
      else if (strcmp (how, "swapcase") == 0)
        *c = is_upper (*c) ? to_lower (*c) : to_upper (*c);
      else if (strcmp (how, "capitalize") == 0)
        *c = i == 0 ? to_upper (*c) : to_lower (*c);
      else
        {
          *c = prev_cased ? to_lower (*c) : to_upper (*c);
          prev_cased = cased;
        }
    }
  return out;
}

ember_value *
str_title_filter (tpl_render  *r,
                  ember_value *s)
{
  ember_value *out = tpl_string (r, s->u.s.data, s->u.s.len);
  bool word_start = true;

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < out->u.s.len;)
    {
      uint32_t cp;
      size_t n = utf8_decode (out->u.s.data + i, out->u.s.len - i, &cp);
      bool boundary = unicode_is_space (cp) || cp == '-' || cp == '(' || cp == '{' || cp == '['
                      || cp == '<';

      if (!boundary)
        {
          out->u.s.data[i] = word_start ? to_upper (out->u.s.data[i]) : to_lower (out->u.s.data[i]);
          word_start = false;
        }
      else
        word_start = true;
      i += n;
    }
  return out;
}

int64_t
str_find (const ember_value *s,
          const ember_value *sub,
          bool               from_right)
{
  const char *hit = NULL;

  if (sub->u.s.len > s->u.s.len)
    return -1;
  if (!from_right)
    hit = sub->u.s.len == 0 ? s->u.s.data : memmem (s->u.s.data, s->u.s.len, sub->u.s.data, sub->u.s.len);
  else
    for (size_t i = s->u.s.len - sub->u.s.len + 1; i-- > 0;)
      if (memcmp (s->u.s.data + i, sub->u.s.data, sub->u.s.len) == 0)
        {
          hit = s->u.s.data + i;
          break;
        }
  if (hit == NULL)
    return -1;
  return (int64_t) utf8_length (s->u.s.data, (size_t) (hit - s->u.s.data));
}

int64_t
str_count (const ember_value *s,
           const ember_value *sub)
{
  int64_t n = 0;
  size_t pos = 0;

  if (sub->u.s.len == 0)
    return (int64_t) utf8_length (s->u.s.data, s->u.s.len) + 1;
  for (;;)
    {
      const char *hit = memmem (s->u.s.data + pos, s->u.s.len - pos, sub->u.s.data, sub->u.s.len);

      if (hit == NULL)
        return n;
      n++;
      pos = (size_t) (hit - s->u.s.data) + sub->u.s.len;
    }
}

ember_value *
str_join (tpl_render  *r,
          ember_value *sep,
          ember_value *items,
          bool         strict)
{
  tpl_buf b = { 0 };
  ember_value *list = tpl_iterate (r, items);

  if (list == NULL)
    return NULL;
  b.limit = r->options.max_output;
  for (size_t i = 0; i < list->u.list.len; i++)
    {
      ember_value *item = list->u.list.items[i];

      if (strict && item->kind != EMBER_VALUE_STRING)
        {
          buf_free (&b);
          return tpl_fail (r, "sequence item %zu: expected str instance, %s found", i,
                           value_type_name (item));
        }
      if (i > 0)
        buf_append (&b, sep->u.s.data, sep->u.s.len);
      value_write_str (&b, item);
    }
  return finish (r, &b);
}

ember_value *
str_splitlines (tpl_render  *r,
                ember_value *s,
                bool         keepends)
{
  const char *d = s->u.s.data;
  size_t len = s->u.s.len, start = 0, pos = 0;
  ember_value *out = pv_list (&r->pool, 0);

  if (out == NULL)
    return tpl_oom (r);
  while (pos < len)
    {
      uint32_t cp;
      size_t n = utf8_decode (d + pos, len - pos, &cp);
      bool brk = cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || (cp >= 0x1c && cp <= 0x1e)
                 || cp == 0x85 || cp == 0x2028 || cp == 0x2029;

      if (!brk)
        {
          pos += n;
          continue;
        }
      if (cp == '\r' && pos + 1 < len && d[pos + 1] == '\n')
        n = 2;
      if (!push_string (r, out, d + start, (keepends ? pos + n : pos) - start))
        return NULL;
      pos += n;
      start = pos;
    }
  if (start < len && !push_string (r, out, d + start, len - start))
    return NULL;
  return out;
}

bool
str_is (const ember_value *s,
        const char        *what)
{
  bool any_cased = false;

  if (s->u.s.len == 0)
    return false;
  for (size_t i = 0; i < s->u.s.len;)
    {
      uint32_t cp;
      size_t n = utf8_decode (s->u.s.data + i, s->u.s.len - i, &cp);
      bool digit = cp >= '0' && cp <= '9';
      bool alpha = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp >= 0x80;

      i += n;
      if (strcmp (what, "digit") == 0 || strcmp (what, "numeric") == 0 || strcmp (what, "decimal") == 0)
        {
          if (!digit)
            return false;
        }
      else if (strcmp (what, "alpha") == 0)
        {
          if (!alpha)
            return false;
        }
      else if (strcmp (what, "alnum") == 0)
        {
          if (!alpha && !digit)
            return false;
        }
      else if (strcmp (what, "space") == 0)
        {
          if (!unicode_is_space (cp))
            return false;
        }
      else if (strcmp (what, "lower") == 0)
        {
          if (cp >= 'A' && cp <= 'Z')
            return false;
          any_cased |= cp >= 'a' && cp <= 'z';
        }
      else if (strcmp (what, "upper") == 0)
        {
          if (cp >= 'a' && cp <= 'z')
            return false;
          any_cased |= cp >= 'A' && cp <= 'Z';
        }
      else
        return false;
    }
  if (strcmp (what, "lower") == 0 || strcmp (what, "upper") == 0)
    return any_cased;
  return true;
}

ember_value *
str_pad (tpl_render  *r,
         ember_value *s,
         int64_t      width,
         const char  *how)
{
  int64_t len = (int64_t) utf8_length (s->u.s.data, s->u.s.len);
  int64_t pad = width > len ? width - len : 0, left = 0;
  tpl_buf b = { 0 };
  char fill = strcmp (how, "zfill") == 0 ? '0' : ' ';

  if ((uint64_t) pad > r->options.max_output)
    return tpl_fail (r, "a string grew over the output limit");
  if (strcmp (how, "center") == 0)
    left = pad / 2 + (pad & width & 1);
  else if (strcmp (how, "rjust") == 0 || strcmp (how, "zfill") == 0)
    left = pad;
  b.limit = r->options.max_output;
  if (fill == '0' && s->u.s.len > 0 && (s->u.s.data[0] == '-' || s->u.s.data[0] == '+'))
    {
      buf_append (&b, s->u.s.data, 1);
      for (int64_t i = 0; i < left; i++)
        buf_append (&b, "0", 1);
      buf_append (&b, s->u.s.data + 1, s->u.s.len - 1);
      return finish (r, &b);
    }
  for (int64_t i = 0; i < left; i++)
    buf_append (&b, &fill, 1);
  buf_append (&b, s->u.s.data, s->u.s.len);
  for (int64_t i = left; i < pad; i++)
    buf_append (&b, " ", 1);
  return finish (r, &b);
}

ember_value *
str_strftime (tpl_render      *r,
              ember_value     *format,
              const struct tm *tm)
{
  static const char *const days[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
  };
  static const char *const months[] = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"
  };
  const char *f = format->u.s.data;
  size_t len = format->u.s.len;
  tpl_buf b = { 0 };
  int wday = tm->tm_wday >= 0 && tm->tm_wday < 7 ? tm->tm_wday : 0;
  int mon = tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0;
  int hour12 = tm->tm_hour % 12 == 0 ? 12 : tm->tm_hour % 12;

  b.limit = r->options.max_output;
  for (size_t i = 0; i < len; i++)
    {
      if (f[i] != '%' || i + 1 >= len)
        {
          buf_append (&b, f + i, 1);
          continue;
        }
      switch (f[++i])
        {
        case 'a': buf_printf (&b, "%.3s", days[wday]); break;
        case 'A': buf_append_str (&b, days[wday]); break;
        case 'b': case 'h': buf_printf (&b, "%.3s", months[mon]); break;
        case 'B': buf_append_str (&b, months[mon]); break;
        case 'd': buf_printf (&b, "%02d", tm->tm_mday); break;
        case 'e': buf_printf (&b, "%2d", tm->tm_mday); break;
        case 'H': buf_printf (&b, "%02d", tm->tm_hour); break;
        case 'I': buf_printf (&b, "%02d", hour12); break;
        case 'j': buf_printf (&b, "%03d", tm->tm_yday + 1); break;
        case 'm': buf_printf (&b, "%02d", tm->tm_mon + 1); break;
        case 'M': buf_printf (&b, "%02d", tm->tm_min); break;
        case 'p': buf_append_str (&b, tm->tm_hour < 12 ? "AM" : "PM"); break;
        case 'S': buf_printf (&b, "%02d", tm->tm_sec); break;
        case 'u': buf_printf (&b, "%d", wday == 0 ? 7 : wday); break;
        case 'w': buf_printf (&b, "%d", wday); break;
        case 'y': buf_printf (&b, "%02d", (tm->tm_year + 1900) % 100); break;
        case 'Y': buf_printf (&b, "%d", tm->tm_year + 1900); break;
        case 'F': buf_printf (&b, "%d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday); break;
        case 'T': buf_printf (&b, "%02d:%02d:%02d", tm->tm_hour, tm->tm_min, tm->tm_sec); break;
        case 'D':
          buf_printf (&b, "%02d/%02d/%02d", tm->tm_mon + 1, tm->tm_mday, (tm->tm_year + 1900) % 100);
          break;
        case 'c':
          buf_printf (&b, "%.3s %.3s %2d %02d:%02d:%02d %d", days[wday], months[mon], tm->tm_mday,
                      tm->tm_hour, tm->tm_min, tm->tm_sec, tm->tm_year + 1900);
          break;
        case 'x':
          buf_printf (&b, "%02d/%02d/%02d", tm->tm_mon + 1, tm->tm_mday, (tm->tm_year + 1900) % 100);
          break;
        case 'X': buf_printf (&b, "%02d:%02d:%02d", tm->tm_hour, tm->tm_min, tm->tm_sec); break;
        case '%': buf_append (&b, "%", 1); break;
        default:
          buf_append (&b, f + i - 1, 2);
          break;
        }
    }
  return finish (r, &b);
}
