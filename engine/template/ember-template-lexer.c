/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Jinja lexer, with the whitespace rules that Hugging Face renders chat
 * templates under: trim_blocks and lstrip_blocks on, keep_trailing_newline
 * off, `-` and `+` markers on tags, exactly as jinja2's lexer applies them.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-lexer.h"

typedef struct {
  ember_pool *pool;
  const char *s;
  size_t len, pos;
  int line;
  tpl_token *tokens;
  size_t n_tokens, cap;
  ember_error *error;
  bool failed;
  bool line_starting;   /* the last tag ended a line (lstrip_blocks) */
} lexer;

static bool
lex_fail (lexer      *lx,
          int         line,
          const char *what)
{
  if (!lx->failed)
    ember_error_set (lx->error, EMBER_ERROR_INVALID_ARGUMENT, "line %d: %s", line, what);
  lx->failed = true;
  return false;
}

static tpl_token *
push (lexer         *lx,
      tpl_token_type type,
      const char    *s,
      size_t         len)
{
  tpl_token *t;

  if (lx->n_tokens == lx->cap)
    {
      size_t cap = lx->cap < 64 ? 64 : lx->cap * 2;
      tpl_token *tokens = realloc (lx->tokens, cap * sizeof *tokens);

      if (tokens == NULL)
        {
          lex_fail (lx, lx->line, "out of memory");
          return NULL;
        }
      lx->tokens = tokens;
      lx->cap = cap;
    }
  t = &lx->tokens[lx->n_tokens++];
  memset (t, 0, sizeof *t);
  t->type = type;
  t->line = lx->line;
  t->s = s;
  t->len = len;
  return t;
}

static size_t
count_newlines (const char *s,
                size_t      len)
{
  size_t n = 0;

  for (size_t i = 0; i < len; i++)
    n += s[i] == '\n';
  return n;
}

/* Python's \s at @s[i]: bytes consumed, or 0. */
static size_t
space_at (const char *s,
          size_t      len,
          size_t      i)
{
  uint32_t cp;
  size_t n;

  if (i >= len)
    return 0;
  n = utf8_decode (s + i, len - i, &cp);
  return unicode_is_space (cp) ? n : 0;
}

static size_t
skip_spaces (const char *s,
             size_t      len,
             size_t      i)
{
  size_t n;

  while ((n = space_at (s, len, i)) > 0)
    i += n;
  return i;
}

/* Length of @s[0..len) without its trailing whitespace (Python's rstrip()). */
static size_t
rstrip_length (const char *s,
               size_t      len)
{
  size_t end = len;

  while (end > 0)
    {
      size_t start = end - 1;
      uint32_t cp;

      while (start > 0 && ((unsigned char) s[start] & 0xc0) == 0x80 && end - start < 4)
        start--;
      utf8_decode (s + start, end - start, &cp);
      if (!unicode_is_space (cp))
        break;
      end = start;
    }
  return end;
}

static void
emit_data (lexer      *lx,
           const char *s,
           size_t      len)
{
  if (len > 0)
    push (lx, TOK_DATA, s, len);
  lx->line += (int) count_newlines (s, len);
}

/* Decodes a string literal's body as Python's unicode-escape does. */
static bool
decode_string (lexer      *lx,
               const char *s,
               size_t      len,
               tpl_token  *t)
{
  char *out = pool_alloc (lx->pool, len + 1);
  size_t o = 0;

  if (out == NULL)
    return lex_fail (lx, t->line, "out of memory");

  for (size_t i = 0; i < len; i++)
    {
      char c = s[i];
      uint32_t cp = 0;
      int digits = 0;

      if (c != '\\' || i + 1 >= len)
        {
          out[o++] = c;
          continue;
        }
      c = s[++i];
      switch (c)
        {
        case '\n': break;
        case '\\': out[o++] = '\\'; break;
        case '\'': out[o++] = '\''; break;
        case '"': out[o++] = '"'; break;
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
          if (c >= '0' && c <= '7')
            {
              int n = 0;

              while (n < 3 && i < len && s[i] >= '0' && s[i] <= '7')
                cp = cp * 8 + (uint32_t) (s[i++] - '0'), n++;
              i--;
              o += utf8_encode (cp, out + o);
            }
          else
            {
              out[o++] = '\\';
              out[o++] = c;
            }
        }
      if (digits > 0)
        {
          if (len - i - 1 < (size_t) digits)
            return lex_fail (lx, t->line, "truncated escape in a string");
          for (int k = 0; k < digits; k++)
            {
              char h = s[i + 1 + (size_t) k];

              cp <<= 4;
              if (h >= '0' && h <= '9')
                cp |= (uint32_t) (h - '0');
              else if (h >= 'a' && h <= 'f')
                cp |= (uint32_t) (h - 'a' + 10);
              else if (h >= 'A' && h <= 'F')
                cp |= (uint32_t) (h - 'A' + 10);
              else
                return lex_fail (lx, t->line, "truncated escape in a string");
            }
          i += (size_t) digits;
          if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
            cp = 0xfffd;
          o += utf8_encode (cp, out + o);
        }
    }
  out[o] = '\0';
  t->s = out;
  t->len = o;
  return true;
}

static bool
is_name_start (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Digits with single underscores between them, as Python allows. */
static size_t
scan_digits (const char *s,
             size_t      len,
             size_t      i)
{
  size_t start = i;

  while (i < len && is_digit (s[i]))
    {
      i++;
      if (i + 1 < len && s[i] == '_' && is_digit (s[i + 1]))
        i++;
    }
  return i - start;
}

/* Lexes the inside of a {{ }} or {% %} tag, starting after its opening,
 * through its end (included). Returns the position after the end. */
static bool
lex_tag (lexer *lx,
         bool   block)
{
  int balance = 0;
  char stack[256];

  for (;;)
    {
      const char *s = lx->s;
      size_t len = lx->len, i = lx->pos;
      char c;

      if (i >= len)
        return lex_fail (lx, lx->line, block ? "unexpected end of template; expected “%}”"
                                               : "unexpected end of template; expected “}}”");

      if (balance == 0)
        {
          const char *end = block ? "%}" : "}}";
          bool minus = s[i] == '-' && len - i >= 3 && memcmp (s + i + 1, end, 2) == 0;
          bool plus = block && s[i] == '+' && len - i >= 3 && memcmp (s + i + 1, end, 2) == 0;

          if (minus || plus || (len - i >= 2 && memcmp (s + i, end, 2) == 0))
            {
              size_t after = i + (minus || plus ? 3 : 2);

              if (minus)
                after = skip_spaces (s, len, after);
              else if (!plus && block && after < len && s[after] == '\n')
                after++;   /* trim_blocks */
              push (lx, block ? TOK_BLOCK_END : TOK_VAR_END, s + i, after - i);
              lx->line += (int) count_newlines (s + i, after - i);
              lx->line_starting = s[after - 1] == '\n';
              lx->pos = after;
              return true;
            }
        }

      c = s[i];
      if (space_at (s, len, i) > 0)
        {
          size_t j = skip_spaces (s, len, i);

          lx->line += (int) count_newlines (s + i, j - i);
          lx->pos = j;
          continue;
        }

      if (is_digit (c))
        {
          size_t n = scan_digits (s, len, i), j = i + n;
          bool is_float = false;
          tpl_token *t;
          char text[128];
          size_t k = 0;

          if (j + 1 < len && s[j] == '.' && is_digit (s[j + 1]))
            {
              is_float = true;
              j++;
              j += scan_digits (s, len, j);
            }
          if (j < len && s[j] == 'e')
            {
              size_t e = j + 1;

              if (e < len && (s[e] == '+' || s[e] == '-'))
                e++;
              if (e < len && is_digit (s[e]))
                {
                  is_float = true;
                  j = e + scan_digits (s, len, e);
                }
            }
          for (size_t m = i; m < j && k + 1 < sizeof text; m++)
            if (s[m] != '_')
              text[k++] = s[m];
          text[k] = '\0';
          t = push (lx, is_float ? TOK_FLOAT : TOK_INTEGER, s + i, j - i);
          if (t == NULL)
            return false;
          if (is_float)
            t->fval = strtod (text, NULL);
          else
            {
              errno = 0;
              t->ival = strtoll (text, NULL, 10);
              if (errno != 0)
                return lex_fail (lx, lx->line, "integer too large");
            }
          lx->pos = j;
          continue;
        }

      if (is_name_start (c))
        {
          size_t j = i + 1;

          while (j < len && (is_name_start (s[j]) || is_digit (s[j])))
            j++;
          if (push (lx, TOK_NAME, s + i, j - i) == NULL)
            return false;
          lx->pos = j;
          continue;
        }

      if (c == '\'' || c == '"')
        {
          size_t j = i + 1;
          tpl_token *t;

          while (j < len && s[j] != c)
            j += s[j] == '\\' ? 2 : 1;
          if (j >= len)
            return lex_fail (lx, lx->line, "unterminated string");
          t = push (lx, TOK_STRING, NULL, 0);
          if (t == NULL || !decode_string (lx, s + i + 1, j - i - 1, t))
            return false;
          lx->line += (int) count_newlines (s + i, j - i);
          lx->pos = j + 1;
          continue;
        }

      {
        static const char *const ops2[] = { "//", "**", "==", "!=", ">=", "<=" };
        const char *ops1 = "+-/*%~[](){}><=.:|,;";
        size_t n = 0;

        for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
          if (len - i >= 2 && memcmp (s + i, ops2[k], 2) == 0)
            n = 2;
        if (n == 0 && strchr (ops1, c) != NULL && c != '\0')
          n = 1;
        if (n == 0)
          {
            char what[64];

            snprintf (what, sizeof what, "unexpected character “%c”", c);
            return lex_fail (lx, lx->line, what);
          }
        if (n == 1 && (c == '(' || c == '[' || c == '{'))
          {
            if (balance >= (int) sizeof stack)
              return lex_fail (lx, lx->line, "brackets nested too deeply");
            stack[balance++] = c == '(' ? ')' : c == '[' ? ']' : '}';
          }
        else if (n == 1 && (c == ')' || c == ']' || c == '}'))
          {
            char what[64];

            if (balance == 0)
              {
                snprintf (what, sizeof what, "unexpected “%c”", c);
                return lex_fail (lx, lx->line, what);
              }
            if (stack[--balance] != c)
              {
                snprintf (what, sizeof what, "unexpected “%c”, expected “%c”", c, stack[balance]);
                return lex_fail (lx, lx->line, what);
              }
          }
        if (push (lx, TOK_OPERATOR, s + i, n) == NULL)
          return false;
        lx->pos = i + n;
      }
    }
}

/* Finds the end of a raw block; returns false if there is none. */
static bool
lex_raw (lexer *lx)
{
  const char *s = lx->s;
  size_t len = lx->len;

  for (size_t i = lx->pos; i + 1 < len; i++)
    {
      size_t j, k;
      char sign = 0;

      if (s[i] != '{' || s[i + 1] != '%')
        continue;
      j = i + 2;
      if (j < len && (s[j] == '-' || s[j] == '+'))
        sign = s[j++];
      j = skip_spaces (s, len, j);
      if (len - j < 6 || memcmp (s + j, "endraw", 6) != 0)
        continue;
      k = skip_spaces (s, len, j + 6);
      if (len - k >= 3 && (s[k] == '-' || s[k] == '+') && memcmp (s + k + 1, "%}", 2) == 0)
        {
          j = k + 3;
          if (s[k] == '-')
            j = skip_spaces (s, len, j);
        }
      else if (len - k >= 2 && memcmp (s + k, "%}", 2) == 0)
        {
          j = k + 2;
          if (j < len && s[j] == '\n')
            j++;
        }
      else
        continue;

      {
        size_t text_len = i - lx->pos;

        if (sign == '-')
          text_len = rstrip_length (s + lx->pos, text_len);
        emit_data (lx, s + lx->pos, text_len);
        lx->line += (int) count_newlines (s + lx->pos + text_len, j - lx->pos - text_len);
        lx->line_starting = s[j - 1] == '\n';
        lx->pos = j;
        return true;
      }
    }
  return lex_fail (lx, lx->line, "missing end of raw directive");
}

static bool
lex_root (lexer *lx)
{
  const char *s = lx->s;
  size_t len = lx->len;

  lx->line_starting = true;
  while (lx->pos < len && !lx->failed)
    {
      size_t start = lx->pos, i = start, after, text_len;
      char kind, sign = 0;

      while (i + 1 < len && !(s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')))
        i++;
      if (i + 1 >= len)
        {
          emit_data (lx, s + start, len - start);
          lx->pos = len;
          break;
        }

      kind = s[i + 1];
      after = i + 2;
      if (after < len && (s[after] == '-' || s[after] == '+'))
        sign = s[after++];

      /* Whitespace control on the text before the tag. */
      text_len = i - start;
      if (sign == '-')
        text_len = rstrip_length (s + start, text_len);
      else if (sign != '+' && kind != '{')
        {
          size_t l_pos = text_len;

          while (l_pos > 0 && s[start + l_pos - 1] != '\n')
            l_pos--;
          if ((l_pos > 0 || lx->line_starting) && l_pos < text_len
              && skip_spaces (s + start, text_len, l_pos) == text_len)
            text_len = l_pos;
        }

      /* {% raw %} */
      if (kind == '%')
        {
          size_t j = skip_spaces (s, len, after), k;

          if (len - j >= 3 && memcmp (s + j, "raw", 3) == 0)
            {
              k = skip_spaces (s, len, j + 3);
              if ((len - k >= 3 && s[k] == '-' && memcmp (s + k + 1, "%}", 2) == 0)
                  || (len - k >= 2 && memcmp (s + k, "%}", 2) == 0))
                {
                  emit_data (lx, s + start, text_len);
                  lx->line += (int) count_newlines (s + start + text_len, i - start - text_len);
                  if (s[k] == '-')
                    k = skip_spaces (s, len, k + 3);
                  else
                    k += 2;
                  lx->line += (int) count_newlines (s + i, k - i);
                  lx->pos = k;
                  if (!lex_raw (lx))
                    return false;
                  continue;
                }
            }
        }

      emit_data (lx, s + start, text_len);
      lx->line += (int) count_newlines (s + start + text_len, i - start - text_len);

      if (kind == '#')
        {
          size_t j = after;
          int comment_line = lx->line;

          for (;;)
            {
              if (j + 1 >= len)
                return lex_fail (lx, comment_line, "missing end of comment tag");
              if ((s[j] == '+' || s[j] == '-') && j + 2 < len && s[j + 1] == '#' && s[j + 2] == '}')
                {
                  bool minus = s[j] == '-';

                  j += 3;
                  if (minus)
                    j = skip_spaces (s, len, j);
                  break;
                }
              if (s[j] == '#' && s[j + 1] == '}')
                {
                  j += 2;
                  if (j < len && s[j] == '\n')
                    j++;
                  break;
                }
              j++;
            }
          lx->line += (int) count_newlines (s + i, j - i);
          lx->line_starting = s[j - 1] == '\n';
          lx->pos = j;
          continue;
        }

      if (push (lx, kind == '%' ? TOK_BLOCK_BEGIN : TOK_VAR_BEGIN, s + i, after - i) == NULL)
        return false;
      lx->pos = after;
      if (!lex_tag (lx, kind == '%'))
        return false;
    }
  return !lx->failed;
}

bool
tpl_lex (ember_pool   *pool,
         const char   *source,
         size_t        len,
         tpl_token   **tokens,
         size_t       *n_tokens,
         ember_error  *error)
{
  lexer lx = { 0 };
  char *norm;
  size_t n = 0;

  /* Newlines become "\n", and one trailing newline goes (keep_trailing_newline
   * is off). */
  norm = pool_alloc (pool, len + 1);
  if (norm == NULL)
    {
      ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      return false;
    }
  for (size_t i = 0; i < len; i++)
    {
      if (source[i] == '\r')
        {
          norm[n++] = '\n';
          if (i + 1 < len && source[i + 1] == '\n')
            i++;
        }
      else
        norm[n++] = source[i];
    }
  if (n > 0 && norm[n - 1] == '\n')
    n--;
  norm[n] = '\0';

  lx.pool = pool;
  lx.s = norm;
  lx.len = n;
  lx.line = 1;
  lx.error = error;
  if (!lex_root (&lx) || push (&lx, TOK_EOF, norm + n, 0) == NULL)
    {
      free (lx.tokens);
      return false;
    }
  *tokens = lx.tokens;
  *n_tokens = lx.n_tokens;
  return true;
}
