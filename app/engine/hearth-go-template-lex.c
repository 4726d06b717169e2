/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's text/template lexer (text/template/parse's lex.go, as far as Ollama's
 * templates need it): the source cut into tokens, the text between actions
 * trimmed where "{{-" and "-}}" ask for it.
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <string.h>

#include "hearth-go-template-private.h"

typedef struct
{
  const char *src;
  GArray     *toks;
} Lexer;

static gboolean
is_alnum (char c)
{
  return g_ascii_isalnum (c) || c == '_' || (guchar) c >= 0x80;
}

void
go_position (const char *src, const char *p, int *line, int *col)
{
  *line = 1;
  *col = 1;
  for (const char *q = src; q < p; q++)
    {
      if (*q == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else if (((guchar) *q & 0xc0) != 0x80)
        (*col)++;
    }
}

static void
emit (Lexer *lx, TokType type, const char *start, gsize len)
{
  Tok t = { type, start, len, 0, 0, NULL };

  g_array_append_val (lx->toks, t);
}

static void
emit_error (Lexer *lx, const char *at, const char *msg)
{
  Tok t = { T_ERROR, at, 0, 0, 0, g_strdup (msg) };

  g_array_append_val (lx->toks, t);
}

/* Whether p is at "}}" or " -}}"; *trim says which. */
static gboolean
at_right_delim (const char *p, gboolean *trim, gsize *len)
{
  if (go_is_space (p[0]) && p[1] == '-' && p[2] == '}' && p[3] == '}')
    {
      *trim = TRUE;
      *len = 4;
      return TRUE;
    }
  if (p[0] == '}' && p[1] == '}')
    {
      *trim = FALSE;
      *len = 2;
      return TRUE;
    }
  return FALSE;
}

static const struct { const char *word; TokType type; } keywords[] = {
  { "if", T_IF }, { "else", T_ELSE }, { "end", T_END }, { "range", T_RANGE },
  { "with", T_WITH }, { "define", T_DEFINE }, { "template", T_TEMPLATE },
  { "block", T_BLOCK }, { "break", T_BREAK }, { "continue", T_CONTINUE },
  { "true", T_BOOL }, { "false", T_BOOL }, { "nil", T_NIL },
};

/* Lexes an action's inside from p; returns where text starts again, or NULL
 * after an error. */
static const char *
lex_action (Lexer *lx, const char *p, gboolean *trim_next)
{
  int parens = 0;

  for (;;)
    {
      gboolean trim;
      gsize dlen;
      const char *s = p;

      if (at_right_delim (p, &trim, &dlen))
        {
          if (parens != 0)
            {
              emit_error (lx, p, "unclosed left paren");
              return NULL;
            }
          emit (lx, T_RIGHT, p, dlen);
          *trim_next = trim;
          return p + dlen;
        }
      if (*p == '\0')
        {
          emit_error (lx, p, "unclosed action");
          return NULL;
        }
      if (go_is_space (*p))
        {
          while (go_is_space (*p) && !at_right_delim (p, &trim, &dlen))
            p++;
          emit (lx, T_SPACE, s, p - s);
        }
      else if (*p == '=')
        emit (lx, T_ASSIGN, p++, 1);
      else if (*p == ':')
        {
          if (p[1] != '=')
            {
              emit_error (lx, p, "expected :=");
              return NULL;
            }
          emit (lx, T_DECLARE, p, 2);
          p += 2;
        }
      else if (*p == '|')
        emit (lx, T_PIPE, p++, 1);
      else if (*p == ',')
        emit (lx, T_COMMA, p++, 1);
      else if (*p == '(')
        {
          parens++;
          emit (lx, T_LPAREN, p++, 1);
        }
      else if (*p == ')')
        {
          if (--parens < 0)
            {
              emit_error (lx, p, "unexpected right paren");
              return NULL;
            }
          emit (lx, T_RPAREN, p++, 1);
        }
      else if (*p == '"' || *p == '\'')
        {
          char q = *p++;

          while (*p != q)
            {
              if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
                p++;
              else if (*p == '\0' || *p == '\n')
                {
                  emit_error (lx, s, q == '"' ? "unterminated quoted string"
                                              : "unterminated character constant");
                  return NULL;
                }
              p++;
            }
          p++;
          emit (lx, q == '"' ? T_STRING : T_CHAR, s, p - s);
        }
      else if (*p == '`')
        {
          const char *e = strchr (p + 1, '`');

          if (e == NULL)
            {
              emit_error (lx, s, "unterminated raw quoted string");
              return NULL;
            }
          p = e + 1;
          emit (lx, T_RAW, s, p - s);
        }
      else if (*p == '$')
        {
          p++;
          while (is_alnum (*p))
            p++;
          emit (lx, T_VAR, s, p - s);
        }
      else if (*p == '.' && !g_ascii_isdigit (p[1]))
        {
          p++;
          if (!is_alnum (*p))
            emit (lx, T_DOT, s, 1);
          else
            {
              while (is_alnum (*p))
                p++;
              emit (lx, T_FIELD, s, p - s);
            }
        }
      else if (g_ascii_isdigit (*p) || *p == '.'
               || ((*p == '+' || *p == '-') && (g_ascii_isdigit (p[1]) || p[1] == '.')))
        {
          if (*p == '+' || *p == '-')
            p++;
          while (g_ascii_isalnum (*p) || *p == '.' || *p == '_'
                 || ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E'
                                                  || p[-1] == 'p' || p[-1] == 'P')))
            p++;
          emit (lx, T_NUMBER, s, p - s);
        }
      else if (is_alnum (*p))
        {
          TokType type = T_IDENT;

          while (is_alnum (*p))
            p++;
          for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
            if (strlen (keywords[k].word) == (gsize) (p - s)
                && memcmp (keywords[k].word, s, p - s) == 0)
              type = keywords[k].type;
          emit (lx, type, s, p - s);
        }
      else
        {
          g_autofree char *msg = g_strdup_printf ("unrecognized character in action: %c", *p);

          emit_error (lx, p, msg);
          return NULL;
        }
    }
}

static void
lex (Lexer *lx)
{
  const char *p = lx->src;
  gboolean trim_next = FALSE;

  for (;;)
    {
      const char *d = strstr (p, "{{");
      const char *end = d != NULL ? d : p + strlen (p);
      gboolean ltrim = d != NULL && d[2] == '-' && go_is_space (d[3]);

      if (trim_next)
        while (p < end && go_is_space (*p))
          p++;
      trim_next = FALSE;
      {
        const char *e = end;

        if (ltrim)
          while (e > p && go_is_space (e[-1]))
            e--;
        if (e > p)
          emit (lx, T_TEXT, p, e - p);
      }
      if (d == NULL)
        {
          emit (lx, T_EOF, end, 0);
          return;
        }
      p = d + 2 + (ltrim ? 2 : 0);
      if (p[0] == '/' && p[1] == '*')
        {
          const char *c = strstr (p + 2, "*/");
          gboolean trim;
          gsize dlen;

          if (c == NULL)
            {
              emit_error (lx, d, "unclosed comment");
              return;
            }
          if (!at_right_delim (c + 2, &trim, &dlen))
            {
              emit_error (lx, c, "comment ends before closing delimiter");
              return;
            }
          trim_next = trim;
          p = c + 2 + dlen;
          continue;
        }
      emit (lx, T_LEFT, d, p - d);
      p = lex_action (lx, p, &trim_next);
      if (p == NULL)
        return;
    }
}


GArray *
go_lex (const char *src)
{
  Lexer lx = { src, g_array_new (FALSE, TRUE, sizeof (Tok)) };

  lex (&lx);
  return lx.toks;
}
