/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A strict JSON parser (RFC 8259) that builds ember_value trees: the context
 * of a chat template usually arrives as JSON.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-private.h"

#define JSON_MAX_DEPTH 512

typedef struct {
  const char *s;
  size_t len, pos;
  ember_error *error;
} json_parser;

static ember_status
json_fail (json_parser *p,
           const char  *what)
{
  size_t line = 1, column = 1;

  for (size_t i = 0; i < p->pos && i < p->len; i++)
    {
      if (p->s[i] == '\n')
        line++, column = 1;
      else if (((unsigned char) p->s[i] & 0xc0) != 0x80)
        column++;
    }
  return ember_error_set (p->error, EMBER_ERROR_INVALID_ARGUMENT,
                          "JSON error at line %zu, column %zu: %s", line, column, what);
}

static void
skip_space (json_parser *p)
{
  while (p->pos < p->len)
    {
      char c = p->s[p->pos];

      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      p->pos++;
    }
}

static bool
parse_hex4 (json_parser *p,
            uint32_t    *out)
{
  uint32_t v = 0;

  if (p->len - p->pos < 4)
    return false;
  for (int i = 0; i < 4; i++)
    {
      char c = p->s[p->pos + i];

      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= (uint32_t) (c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= (uint32_t) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= (uint32_t) (c - 'A' + 10);
      else
        return false;
    }
  p->pos += 4;
  *out = v;
  return true;
}

/* Parses a string at p->pos (on the opening quote) into a malloc'd buffer. */
static ember_status
parse_string (json_parser *p,
              char       **out,
              size_t      *out_len)
{
  tpl_buf b = { 0 };

  p->pos++;
  for (;;)
    {
      unsigned char c;

      if (p->pos >= p->len)
        {
          buf_free (&b);
          return json_fail (p, "unterminated string");
        }
      c = (unsigned char) p->s[p->pos];
      if (c == '"')
        {
          p->pos++;
          break;
        }
      if (c < 0x20)
        {
          buf_free (&b);
          return json_fail (p, "control character in a string");
        }
      if (c == '\\')
        {
          char e;

          if (p->pos + 1 >= p->len)
            {
              buf_free (&b);
              return json_fail (p, "unterminated string");
            }
          e = p->s[p->pos + 1];
          p->pos += 2;
          switch (e)
            {
            case '"': buf_append (&b, "\"", 1); break;
            case '\\': buf_append (&b, "\\", 1); break;
            case '/': buf_append (&b, "/", 1); break;
            case 'b': buf_append (&b, "\b", 1); break;
            case 'f': buf_append (&b, "\f", 1); break;
            case 'n': buf_append (&b, "\n", 1); break;
            case 'r': buf_append (&b, "\r", 1); break;
            case 't': buf_append (&b, "\t", 1); break;
            case 'u':
              {
                uint32_t cp, low;
                char utf8[4];

                if (!parse_hex4 (p, &cp))
                  {
                    buf_free (&b);
                    return json_fail (p, "bad \\u escape");
                  }
                if (cp >= 0xd800 && cp < 0xdc00)
                  {
                    if (p->len - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u')
                      {
                        size_t save = p->pos;

                        p->pos += 2;
                        if (parse_hex4 (p, &low) && low >= 0xdc00 && low < 0xe000)
                          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                        else
                          {
                            p->pos = save;
                            cp = 0xfffd;
                          }
                      }
                    else
                      cp = 0xfffd;
                  }
                else if (cp >= 0xdc00 && cp < 0xe000)
                  cp = 0xfffd;   /* a lone surrogate cannot be UTF-8 */
                buf_append (&b, utf8, utf8_encode (cp, utf8));
              }
              break;
            default:
              buf_free (&b);
              p->pos--;
              return json_fail (p, "unknown escape in a string");
            }
          continue;
        }

      /* Plain bytes: copy a run, checking that it is valid UTF-8. */
      {
        size_t start = p->pos;

        while (p->pos < p->len)
          {
            uint32_t cp;
            size_t n;

            c = (unsigned char) p->s[p->pos];
            if (c == '"' || c == '\\' || c < 0x20)
              break;
            n = utf8_decode (p->s + p->pos, p->len - p->pos, &cp);
            if (cp == 0xfffd && !(n == 3 && memcmp (p->s + p->pos, "\xef\xbf\xbd", 3) == 0))
              {
                buf_free (&b);
                return json_fail (p, "invalid UTF-8");
              }
            p->pos += n;
          }
        buf_append (&b, p->s + start, p->pos - start);
      }
    }

  if (b.failed)
    {
      buf_free (&b);
      return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  if (b.data == NULL && (b.data = calloc (1, 1)) == NULL)
    return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  *out = b.data;
  *out_len = b.len;
  return EMBER_OK;
}

static ember_status
parse_number (json_parser  *p,
              ember_value **out)
{
  size_t start = p->pos;
  bool is_float = false;
  char text[400];
  size_t n;

  if (p->pos < p->len && p->s[p->pos] == '-')
    p->pos++;
  if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
    return json_fail (p, "bad number");
  if (p->s[p->pos] == '0')
    p->pos++;
  else
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
      p->pos++;
  if (p->pos < p->len && p->s[p->pos] == '.')
    {
      is_float = true;
      p->pos++;
      if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return json_fail (p, "bad number");
      while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
    {
      is_float = true;
      p->pos++;
      if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
        p->pos++;
      if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return json_fail (p, "bad number");
      while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    }

  n = p->pos - start;
  if (n >= sizeof text)
    return json_fail (p, "number too long");
  memcpy (text, p->s + start, n);
  text[n] = '\0';

  if (!is_float)
    {
      long long v;

      errno = 0;
      v = strtoll (text, NULL, 10);
      if (errno == 0)
        {
          *out = ember_value_new_int (v);
          goto done;
        }
    }
  *out = ember_value_new_float (strtod (text, NULL));

done:
  if (*out == NULL)
    return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  return EMBER_OK;
}

static bool
match_word (json_parser *p,
            const char  *word)
{
  size_t n = strlen (word);

  if (p->len - p->pos >= n && memcmp (p->s + p->pos, word, n) == 0)
    {
      p->pos += n;
      return true;
    }
  return false;
}

static ember_status
parse_value (json_parser  *p,
             int           depth,
             ember_value **out)
{
  ember_status status;

  *out = NULL;
  skip_space (p);
  if (p->pos >= p->len)
    return json_fail (p, "unexpected end of input");
  if (depth > JSON_MAX_DEPTH)
    return json_fail (p, "nested too deeply");

  switch (p->s[p->pos])
    {
    case '{':
      {
        ember_value *dict = ember_value_new_dict ();

        if (dict == NULL)
          return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
        p->pos++;
        skip_space (p);
        if (p->pos < p->len && p->s[p->pos] == '}')
          {
            p->pos++;
            *out = dict;
            return EMBER_OK;
          }
        for (;;)
          {
            char *key;
            size_t key_len;
            ember_value *item;

            skip_space (p);
            if (p->pos >= p->len || p->s[p->pos] != '"')
              {
                ember_value_unref (dict);
                return json_fail (p, "expected a string key");
              }
            if ((status = parse_string (p, &key, &key_len)) != EMBER_OK)
              {
                ember_value_unref (dict);
                return status;
              }
            skip_space (p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
              {
                free (key);
                ember_value_unref (dict);
                return json_fail (p, "expected “:”");
              }
            p->pos++;
            if ((status = parse_value (p, depth + 1, &item)) != EMBER_OK)
              {
                free (key);
                ember_value_unref (dict);
                return status;
              }
            status = value_dict_set_len (dict, key, key_len, item, p->error);
            free (key);
            if (status != EMBER_OK)
              {
                ember_value_unref (dict);
                return status;
              }
            skip_space (p);
            if (p->pos < p->len && p->s[p->pos] == ',')
              {
                p->pos++;
                continue;
              }
            if (p->pos < p->len && p->s[p->pos] == '}')
              {
                p->pos++;
                *out = dict;
                return EMBER_OK;
              }
            ember_value_unref (dict);
            return json_fail (p, "expected “,” or “}”");
          }
      }
    case '[':
      {
        ember_value *list = ember_value_new_list ();

        if (list == NULL)
          return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
        p->pos++;
        skip_space (p);
        if (p->pos < p->len && p->s[p->pos] == ']')
          {
            p->pos++;
            *out = list;
            return EMBER_OK;
          }
        for (;;)
          {
            ember_value *item;

            if ((status = parse_value (p, depth + 1, &item)) != EMBER_OK
                || (status = ember_value_list_append (list, item, p->error)) != EMBER_OK)
              {
                ember_value_unref (list);
                return status;
              }
            skip_space (p);
            if (p->pos < p->len && p->s[p->pos] == ',')
              {
                p->pos++;
                continue;
              }
            if (p->pos < p->len && p->s[p->pos] == ']')
              {
                p->pos++;
                *out = list;
                return EMBER_OK;
              }
            ember_value_unref (list);
            return json_fail (p, "expected “,” or “]”");
          }
      }
    case '"':
      {
        char *s;
        size_t len;

        if ((status = parse_string (p, &s, &len)) != EMBER_OK)
          return status;
        *out = ember_value_new_string (s, len);
        free (s);
        if (*out == NULL)
          return ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
        return EMBER_OK;
      }
    case 't':
      if (match_word (p, "true"))
        *out = ember_value_new_bool (true);
      break;
    case 'f':
      if (match_word (p, "false"))
        *out = ember_value_new_bool (false);
      break;
    case 'n':
      if (match_word (p, "null"))
        *out = ember_value_new_null ();
      break;
    default:
      if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
        return parse_number (p, out);
      return json_fail (p, "unexpected character");
    }

  if (*out == NULL)
    return json_fail (p, "unexpected word");
  return EMBER_OK;
}

ember_status
ember_value_from_json (const char   *json,
                       size_t        len,
                       ember_value **out,
                       ember_error  *error)
{
  json_parser p = { json, len, 0, error };
  ember_value *v = NULL;
  ember_status status;

  if (out == NULL || (json == NULL && len > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no JSON text");
  *out = NULL;
  if (len >= 3 && memcmp (json, "\xef\xbb\xbf", 3) == 0)
    p.pos = 3;   /* a byte order mark, which some editors write */

  status = parse_value (&p, 0, &v);
  if (status != EMBER_OK)
    return status;
  skip_space (&p);
  if (p.pos != p.len)
    {
      ember_value_unref (v);
      return json_fail (&p, "extra data after the JSON value");
    }
  *out = v;
  return EMBER_OK;
}
