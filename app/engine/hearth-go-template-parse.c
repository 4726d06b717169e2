/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's text/template, as Ollama uses it for chat templates: a lexer and a
 * parser that build the same tree as Go's text/template/parse (Ollama edits
 * that tree: it appends {{ .Response }}, and cuts legacy templates after
 * .Response), values typed like the ones Ollama passes (their printing, their
 * JSON), and the execution rules of text/template (truth, comparison,
 * missingkey=zero, variables and their scopes).
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <glib/gi18n.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-go-template.h"

G_DEFINE_QUARK (hearth-go-template-error-quark, hearth_go_template_error)

#define MAX_STEPS 50000000

/* ---- the tree (text/template/parse's node types) ---- */

typedef enum
{
  N_LIST, N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK,
  N_CONTINUE, N_PIPE, N_COMMAND, N_FIELD, N_VARIABLE, N_CHAIN, N_DOT, N_NIL,
  N_BOOL, N_NUMBER, N_STRING, N_IDENT,
} NodeType;

typedef struct Node Node;
struct Node
{
  NodeType   type;
  int        line, col;
  GPtrArray *nodes;  /* LIST children, PIPE commands, COMMAND arguments */
  GPtrArray *decl;   /* PIPE: declared or assigned variable names */
  gboolean   is_assign;
  Node      *pipe;   /* ACTION, IF, RANGE, WITH, TEMPLATE (may be NULL); CHAIN: its term */
  Node      *list, *else_list;
  char     **ident;  /* FIELD, VARIABLE, CHAIN */
  char      *text;   /* TEXT, STRING, IDENT, TEMPLATE name */
  gsize      len;
  gboolean   b, is_int;
  gint64     i;
  double     f;
};

static void
node_free (gpointer data)
{
  Node *n = data;

  if (n == NULL)
    return;
  g_clear_pointer (&n->nodes, g_ptr_array_unref);
  g_clear_pointer (&n->decl, g_ptr_array_unref);
  node_free (n->pipe);
  node_free (n->list);
  node_free (n->else_list);
  g_strfreev (n->ident);
  g_free (n->text);
  g_free (n);
}

static Node *
node_new (NodeType type, int line, int col)
{
  Node *n = g_new0 (Node, 1);

  n->type = type;
  n->line = line;
  n->col = col;
  if (type == N_LIST || type == N_PIPE || type == N_COMMAND)
    n->nodes = g_ptr_array_new_with_free_func (node_free);
  if (type == N_PIPE)
    n->decl = g_ptr_array_new_with_free_func (g_free);
  return n;
}

static Node *
node_copy (const Node *n)
{
  Node *c;

  if (n == NULL)
    return NULL;
  c = g_memdup2 (n, sizeof *n);
  if (n->nodes != NULL)
    {
      c->nodes = g_ptr_array_new_with_free_func (node_free);
      for (guint i = 0; i < n->nodes->len; i++)
        g_ptr_array_add (c->nodes, node_copy (n->nodes->pdata[i]));
    }
  if (n->decl != NULL)
    {
      c->decl = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < n->decl->len; i++)
        g_ptr_array_add (c->decl, g_strdup (n->decl->pdata[i]));
    }
  c->pipe = node_copy (n->pipe);
  c->list = node_copy (n->list);
  c->else_list = node_copy (n->else_list);
  c->ident = g_strdupv (n->ident);
  /* text and strings may hold NUL bytes (len says how many); identifiers
   * and names are plain strings, their len unset */
  if (n->text != NULL && (n->type == N_TEXT || n->type == N_STRING))
    c->text = g_memdup2 (n->text, n->len + 1);
  else
    c->text = g_strdup (n->text);
  return c;
}

/* ---- the lexer (text/template/parse's items) ---- */

typedef enum
{
  T_ERROR, T_EOF, T_TEXT, T_LEFT, T_RIGHT, T_SPACE, T_IDENT, T_FIELD, T_VAR,
  T_STRING, T_RAW, T_CHAR, T_NUMBER, T_BOOL, T_NIL, T_DOT, T_LPAREN,
  T_RPAREN, T_PIPE, T_DECLARE, T_ASSIGN, T_COMMA,
  T_IF, T_ELSE, T_END, T_RANGE, T_WITH, T_DEFINE, T_TEMPLATE, T_BLOCK,
  T_BREAK, T_CONTINUE,
} TokType;

typedef struct
{
  TokType     type;
  const char *start;
  gsize       len;
  int         line, col;
  char       *msg; /* T_ERROR */
} Tok;

typedef struct
{
  const char *src;
  GArray     *toks;
} Lexer;

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
is_alnum (char c)
{
  return g_ascii_isalnum (c) || c == '_' || (guchar) c >= 0x80;
}

static void
position (const char *src, const char *p, int *line, int *col)
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
  if (is_space (p[0]) && p[1] == '-' && p[2] == '}' && p[3] == '}')
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
      if (is_space (*p))
        {
          while (is_space (*p) && !at_right_delim (p, &trim, &dlen))
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
      gboolean ltrim = d != NULL && d[2] == '-' && is_space (d[3]);

      if (trim_next)
        while (p < end && is_space (*p))
          p++;
      trim_next = FALSE;
      {
        const char *e = end;

        if (ltrim)
          while (e > p && is_space (e[-1]))
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

/* ---- the parser ---- */

typedef struct
{
  const char  *src;
  Tok         *toks;
  guint        n, pos;
  GPtrArray   *vars;    /* names in scope */
  int          range_depth;
  int          depth;
  GHashTable  *defines; /* name → Node (LIST), owned */
  GError      *error;
} Parser;

static const char *const builtins[] = {
  "and", "or", "not", "len", "index", "slice", "print", "printf", "println",
  "eq", "ne", "lt", "le", "gt", "ge", "html", "js", "urlquery", "call",
  "json", "currentDate", "yesterdayDate", "toTypeScriptType", NULL,
};

static gboolean
fail_at (Parser *ps, const Tok *t, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail_at (Parser *ps, const Tok *t, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  int line, col;

  if (ps->error != NULL)
    return FALSE;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  position (ps->src, t->start, &line, &col);
  g_set_error (&ps->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_PARSE,
               _("line %d, column %d: %s"), line, col, msg);
  return FALSE;
}

static Tok *
next (Parser *ps)
{
  Tok *t = &ps->toks[ps->pos];

  if (t->type != T_EOF && t->type != T_ERROR)
    ps->pos++;
  if (t->type == T_ERROR)
    fail_at (ps, t, "%s", t->msg);
  return t;
}

static Tok *
next_non_space (Parser *ps)
{
  Tok *t;

  do
    t = next (ps);
  while (t->type == T_SPACE);
  return t;
}

static Tok *
peek_non_space (Parser *ps)
{
  guint p = ps->pos;

  while (ps->toks[p].type == T_SPACE)
    p++;
  return &ps->toks[p];
}

static char *
tok_str (const Tok *t)
{
  return g_strndup (t->start, t->len);
}

static Node *
tok_node (NodeType type, Parser *ps, const Tok *t)
{
  int line, col;

  position (ps->src, t->start, &line, &col);
  return node_new (type, line, col);
}

/* Go's strconv.Unquote, for "…", `…` and '…'. */
static char *
unquote (const char *s, gsize len, gsize *out_len)
{
  GString *o = g_string_new (NULL);

  if (s[0] == '`')
    {
      for (gsize i = 1; i + 1 < len; i++)
        if (s[i] != '\r')
          g_string_append_c (o, s[i]);
      *out_len = o->len;
      return g_string_free (o, FALSE);
    }
  for (gsize i = 1; i + 1 < len; i++)
    {
      char c = s[i];
      int digits = 0, base = 16;
      gunichar u = 0;

      if (c != '\\')
        {
          g_string_append_c (o, c);
          continue;
        }
      c = s[++i];
      switch (c)
        {
        case 'a': g_string_append_c (o, '\a'); break;
        case 'b': g_string_append_c (o, '\b'); break;
        case 'f': g_string_append_c (o, '\f'); break;
        case 'n': g_string_append_c (o, '\n'); break;
        case 'r': g_string_append_c (o, '\r'); break;
        case 't': g_string_append_c (o, '\t'); break;
        case 'v': g_string_append_c (o, '\v'); break;
        case '\\': g_string_append_c (o, '\\'); break;
        case '"':
        case '\'':
          if (c != s[0])
            goto bad;
          g_string_append_c (o, c);
          break;
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
          digits = 3;
          base = 8;
          i--;
          break;
        default:
          goto bad;
        }
      if (digits == 0)
        continue;
      for (int k = 0; k < digits; k++)
        {
          int v = g_ascii_xdigit_value (s[++i]);

          if (i + 1 >= len || v < 0 || v >= base)
            goto bad;
          u = u * base + v;
        }
      if (c == 'x' || base == 8)
        {
          if (u > 255)
            goto bad;
          g_string_append_c (o, (char) u);
        }
      else
        {
          if (u > 0x10ffff || (u >= 0xd800 && u < 0xe000))
            goto bad;
          g_string_append_unichar (o, u);
        }
    }
  *out_len = o->len;
  return g_string_free (o, FALSE);
bad:
  g_string_free (o, TRUE);
  return NULL;
}

static Node *parse_pipeline (Parser *ps, const char *context, TokType end);
static Node *parse_list (Parser *ps, Tok **terminator);

static gboolean
var_defined (Parser *ps, const char *name)
{
  for (guint i = ps->vars->len; i-- > 0;)
    if (g_str_equal (ps->vars->pdata[i], name))
      return TRUE;
  return FALSE;
}

static Node *
parse_term (Parser *ps)
{
  Tok *t = next_non_space (ps);
  Node *n;

  switch (t->type)
    {
    case T_IDENT:
      {
        g_autofree char *name = tok_str (t);

        if (!g_strv_contains (builtins, name))
          {
            fail_at (ps, t, "function \"%s\" not defined", name);
            return NULL;
          }
        n = tok_node (N_IDENT, ps, t);
        n->text = g_steal_pointer (&name);
        return n;
      }
    case T_DOT:
      return tok_node (N_DOT, ps, t);
    case T_NIL:
      return tok_node (N_NIL, ps, t);
    case T_VAR:
      {
        g_autofree char *name = tok_str (t);

        if (!var_defined (ps, name))
          {
            fail_at (ps, t, "undefined variable \"%s\"", name);
            return NULL;
          }
        n = tok_node (N_VARIABLE, ps, t);
        n->ident = g_new0 (char *, 2);
        n->ident[0] = g_steal_pointer (&name);
        return n;
      }
    case T_FIELD:
      n = tok_node (N_FIELD, ps, t);
      n->ident = g_new0 (char *, 2);
      n->ident[0] = g_strndup (t->start + 1, t->len - 1);
      return n;
    case T_BOOL:
      n = tok_node (N_BOOL, ps, t);
      n->b = t->start[0] == 't';
      return n;
    case T_CHAR:
    case T_NUMBER:
      {
        g_autofree char *text = tok_str (t);
        char *end = NULL;

        n = tok_node (N_NUMBER, ps, t);
        if (t->type == T_CHAR)
          {
            gsize len;
            g_autofree char *u = unquote (t->start, t->len, &len);

            if (u == NULL || len == 0 || !g_utf8_validate (u, len, NULL)
                || (gsize) (g_utf8_next_char (u) - u) != len)
              {
                node_free (n);
                fail_at (ps, t, "malformed character constant: %s", text);
                return NULL;
              }
            n->is_int = TRUE;
            n->i = g_utf8_get_char (u);
            return n;
          }
        if (strpbrk (text, "iIpP") == NULL || g_str_has_prefix (text, "0x")
            || g_str_has_prefix (text, "0X"))
          {
            /* Go's literals: 1_000, 0o17, 0b101 too */
            g_autoptr (GString) clean = g_string_new (NULL);
            const char *digits;
            char *iend = NULL;
            guint64 u;
            guint base = 0;

            for (const char *c = text; *c != '\0'; c++)
              if (*c != '_')
                g_string_append_c (clean, *c);
              else if (c == text || !g_ascii_isxdigit (c[-1]) || !g_ascii_isxdigit (c[1]))
                g_string_append_c (clean, '!'); /* misplaced: a syntax error */
            digits = clean->str[0] == '+' || clean->str[0] == '-' ? clean->str + 1 : clean->str;
            if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
              base = 8, digits += 2;
            else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
              base = 2, digits += 2;
            u = g_ascii_isalnum (digits[0]) ? g_ascii_strtoull (digits, &iend, base) : 0;
            if (iend != NULL && iend != digits && *iend == '\0' && u <= G_MAXINT64)
              n->is_int = TRUE, n->i = clean->str[0] == '-' ? -(gint64) u : (gint64) u;
            else if (base == 0 && strpbrk (clean->str, ".eE") != NULL && !g_str_has_prefix (clean->str, "0x"))
              {
                n->f = g_ascii_strtod (clean->str, &end);
                if (end == NULL || *end != '\0')
                  end = NULL;
              }
            if (n->is_int || end != NULL)
              return n;
          }
        node_free (n);
        fail_at (ps, t, "bad number syntax: %s", text);
        return NULL;
      }
    case T_LPAREN:
      /* parentheses nest too: bounded like lists, or the stack overflows */
      if (++ps->depth > HEARTH_GO_TEMPLATE_MAX_DEPTH)
        {
          ps->depth--;
          if (ps->error == NULL)
            g_set_error (&ps->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                         _("The template is nested deeper than %d levels"),
                         HEARTH_GO_TEMPLATE_MAX_DEPTH);
          return NULL;
        }
      n = parse_pipeline (ps, "parenthesized pipeline", T_RPAREN);
      ps->depth--;
      return n;
    case T_STRING:
    case T_RAW:
      n = tok_node (N_STRING, ps, t);
      n->text = unquote (t->start, t->len, &n->len);
      if (n->text == NULL)
        {
          g_autofree char *text = tok_str (t);

          node_free (n);
          fail_at (ps, t, "invalid syntax in quoted string: %s", text);
          return NULL;
        }
      return n;
    default:
      ps->pos--;
      return NULL;
    }
}

static Node *
parse_operand (Parser *ps)
{
  Node *n = parse_term (ps);
  GPtrArray *fields;

  if (n == NULL || ps->toks[ps->pos].type != T_FIELD)
    return n;
  fields = g_ptr_array_new ();
  while (ps->toks[ps->pos].type == T_FIELD)
    {
      Tok *t = next (ps);

      g_ptr_array_add (fields, g_strndup (t->start + 1, t->len - 1));
    }
  if (n->type == N_FIELD || n->type == N_VARIABLE)
    {
      g_ptr_array_insert (fields, 0, n->ident[0]);
      g_free (n->ident);
      g_ptr_array_add (fields, NULL);
      n->ident = (char **) g_ptr_array_free (fields, FALSE);
      return n;
    }
  if (n->type == N_BOOL || n->type == N_STRING || n->type == N_NUMBER
      || n->type == N_NIL || n->type == N_DOT)
    {
      g_ptr_array_set_free_func (fields, g_free);
      g_ptr_array_unref (fields);
      fail_at (ps, &ps->toks[ps->pos - 1], "unexpected . after term");
      node_free (n);
      return NULL;
    }
  {
    Node *c = node_new (N_CHAIN, n->line, n->col);

    c->pipe = n;
    g_ptr_array_add (fields, NULL);
    c->ident = (char **) g_ptr_array_free (fields, FALSE);
    return c;
  }
}

static Node *
parse_command (Parser *ps)
{
  Tok *first = peek_non_space (ps);
  Node *cmd = tok_node (N_COMMAND, ps, first);

  for (;;)
    {
      Node *op;
      Tok *t;

      peek_non_space (ps);
      op = parse_operand (ps);
      if (ps->error != NULL)
        goto fail;
      if (op != NULL)
        g_ptr_array_add (cmd->nodes, op);
      t = next (ps);
      if (ps->error != NULL)
        goto fail;
      if (t->type == T_SPACE)
        continue;
      if (t->type == T_RIGHT || t->type == T_RPAREN)
        ps->pos--;
      else if (t->type != T_PIPE)
        {
          g_autofree char *s = tok_str (t);

          fail_at (ps, t, "unexpected \"%s\" in operand", s);
          goto fail;
        }
      break;
    }
  if (cmd->nodes->len == 0)
    {
      fail_at (ps, first, "empty command");
      goto fail;
    }
  return cmd;
fail:
  node_free (cmd);
  return NULL;
}

static Node *
parse_pipeline (Parser *ps, const char *context, TokType end)
{
  Tok *first = peek_non_space (ps);
  Node *pipe = tok_node (N_PIPE, ps, first);

  /* declarations: $x :=, $x =, $i, $e := */
  if (first->type == T_VAR)
    {
      guint save = ps->pos;
      Tok *v = next_non_space (ps);
      Tok *op = next_non_space (ps);

      if (op->type == T_DECLARE || op->type == T_ASSIGN)
        {
          g_autofree char *name = tok_str (v);

          pipe->is_assign = op->type == T_ASSIGN;
          if (pipe->is_assign && !var_defined (ps, name))
            {
              fail_at (ps, v, "undefined variable \"%s\"", name);
              goto fail;
            }
          if (!pipe->is_assign)
            g_ptr_array_add (ps->vars, g_strdup (name));
          g_ptr_array_add (pipe->decl, g_steal_pointer (&name));
        }
      else if (op->type == T_COMMA && g_str_equal (context, "range"))
        {
          Tok *v2 = next_non_space (ps);
          Tok *op2 = next_non_space (ps);

          if (v2->type != T_VAR || (op2->type != T_DECLARE && op2->type != T_ASSIGN))
            {
              fail_at (ps, v2, "missing := in range declaration");
              goto fail;
            }
          pipe->is_assign = op2->type == T_ASSIGN;
          g_ptr_array_add (pipe->decl, tok_str (v));
          g_ptr_array_add (pipe->decl, tok_str (v2));
          for (guint i = 0; i < 2; i++)
            {
              if (pipe->is_assign && !var_defined (ps, pipe->decl->pdata[i]))
                {
                  fail_at (ps, i == 0 ? v : v2, "undefined variable \"%s\"",
                           (char *) pipe->decl->pdata[i]);
                  goto fail;
                }
              if (!pipe->is_assign)
                g_ptr_array_add (ps->vars, g_strdup (pipe->decl->pdata[i]));
            }
        }
      else if (op->type == T_COMMA)
        {
          fail_at (ps, op, "too many declarations in %s", context);
          goto fail;
        }
      else
        ps->pos = save;
      if (ps->error != NULL)
        goto fail;
    }
  for (;;)
    {
      Tok *t = next_non_space (ps);
      Node *cmd;

      if (ps->error != NULL)
        goto fail;
      if (t->type == end)
        {
          if (pipe->nodes->len == 0)
            {
              fail_at (ps, t, "missing value for %s", context);
              goto fail;
            }
          for (guint i = 1; i < pipe->nodes->len; i++)
            {
              Node *a = ((Node *) pipe->nodes->pdata[i])->nodes->pdata[0];

              if (a->type == N_BOOL || a->type == N_DOT || a->type == N_NIL
                  || a->type == N_NUMBER || a->type == N_STRING)
                {
                  fail_at (ps, t, "non executable command in pipeline stage %u", i + 1);
                  goto fail;
                }
            }
          return pipe;
        }
      switch (t->type)
        {
        case T_BOOL: case T_CHAR: case T_DOT: case T_FIELD: case T_IDENT:
        case T_NUMBER: case T_NIL: case T_RAW: case T_STRING: case T_VAR:
        case T_LPAREN:
          ps->pos--;
          cmd = parse_command (ps);
          if (cmd == NULL)
            goto fail;
          g_ptr_array_add (pipe->nodes, cmd);
          break;
        default:
          {
            g_autofree char *s = tok_str (t);

            fail_at (ps, t, t->type == T_EOF ? "unexpected end of template in %s%s"
                                             : "unexpected \"%s\" in %s",
                     t->type == T_EOF ? context : s, t->type == T_EOF ? "" : context);
            goto fail;
          }
        }
    }
fail:
  node_free (pipe);
  return NULL;
}

static gboolean
expect (Parser *ps, TokType type, const char *context)
{
  Tok *t = next_non_space (ps);

  if (ps->error != NULL)
    return FALSE;
  if (t->type != type)
    {
      g_autofree char *s = tok_str (t);

      return fail_at (ps, t, t->type == T_EOF ? "unexpected end of template in %s%s"
                                              : "unexpected \"%s\" in %s",
                      t->type == T_EOF ? context : s, t->type == T_EOF ? "" : context);
    }
  return TRUE;
}

static Node *parse_control (Parser *ps, Tok *kw, NodeType type, const char *context);

/* An action after its "{{"; sets *terminator for {{end}} and {{else}}. */
static Node *
parse_action (Parser *ps, Tok **terminator)
{
  Tok *t = next_non_space (ps);

  if (ps->error != NULL)
    return NULL;
  switch (t->type)
    {
    case T_IF:
      return parse_control (ps, t, N_IF, "if");
    case T_RANGE:
      return parse_control (ps, t, N_RANGE, "range");
    case T_WITH:
      return parse_control (ps, t, N_WITH, "with");
    case T_END:
      if (!expect (ps, T_RIGHT, "end"))
        return NULL;
      *terminator = t;
      return NULL;
    case T_ELSE:
      if (peek_non_space (ps)->type != T_IF && !expect (ps, T_RIGHT, "else"))
        return NULL;
      *terminator = t;
      return NULL;
    case T_BREAK:
    case T_CONTINUE:
      if (ps->range_depth == 0)
        {
          fail_at (ps, t, "{{%s}} outside {{range}}", t->type == T_BREAK ? "break" : "continue");
          return NULL;
        }
      if (!expect (ps, T_RIGHT, t->type == T_BREAK ? "break" : "continue"))
        return NULL;
      return tok_node (t->type == T_BREAK ? N_BREAK : N_CONTINUE, ps, t);
    case T_TEMPLATE:
    case T_BLOCK:
      {
        Tok *name = next_non_space (ps);
        Node *n;

        if (name->type != T_STRING && name->type != T_RAW)
          {
            fail_at (ps, name, "unexpected name in %s clause",
                     t->type == T_BLOCK ? "block" : "template");
            return NULL;
          }
        n = tok_node (N_TEMPLATE, ps, t);
        n->text = unquote (name->start, name->len, &n->len);
        if (n->text == NULL)
          n->text = g_strdup ("");
        if (peek_non_space (ps)->type == T_RIGHT && t->type == T_TEMPLATE)
          next_non_space (ps);
        else if ((n->pipe = parse_pipeline (ps, t->type == T_BLOCK ? "block" : "template",
                                            T_RIGHT)) == NULL)
          {
            node_free (n);
            return NULL;
          }
        if (t->type == T_BLOCK)
          {
            Tok *end = NULL;
            g_autoptr (GPtrArray) saved = ps->vars;
            Node *body;

            ps->vars = g_ptr_array_new_with_free_func (g_free);
            g_ptr_array_add (ps->vars, g_strdup ("$"));
            body = parse_list (ps, &end);
            g_ptr_array_unref (ps->vars);
            ps->vars = g_steal_pointer (&saved);
            if (body == NULL || end->type != T_END)
              {
                if (body != NULL)
                  fail_at (ps, end, "unexpected {{else}} in block");
                node_free (body);
                node_free (n);
                return NULL;
              }
            g_hash_table_replace (ps->defines, g_strdup (n->text), body);
          }
        return n;
      }
    case T_DEFINE:
      fail_at (ps, t, "unexpected {{define}}: only at the top level");
      return NULL;
    default:
      {
        Node *n = tok_node (N_ACTION, ps, t);

        ps->pos--;
        while (ps->pos > 0 && ps->toks[ps->pos - 1].type == T_SPACE)
          ps->pos--;
        n->pipe = parse_pipeline (ps, "command", T_RIGHT);
        if (n->pipe == NULL)
          {
            node_free (n);
            return NULL;
          }
        return n;
      }
    }
}

/* Nodes up to {{end}} or {{else}} (*terminator); NULL after an error. */
static Node *
parse_list (Parser *ps, Tok **terminator)
{
  Node *list = node_new (N_LIST, 0, 0);

  if (++ps->depth > HEARTH_GO_TEMPLATE_MAX_DEPTH)
    {
      g_set_error (&ps->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                   _("The template is nested deeper than %d levels"),
                   HEARTH_GO_TEMPLATE_MAX_DEPTH);
      goto fail;
    }
  *terminator = NULL;
  for (;;)
    {
      Tok *t = next (ps);
      Node *n;

      if (ps->error != NULL)
        goto fail;
      if (t->type == T_EOF)
        {
          fail_at (ps, t, "unexpected EOF: an {{end}} is missing");
          goto fail;
        }
      if (t->type == T_TEXT)
        {
          n = tok_node (N_TEXT, ps, t);
          n->text = g_strndup (t->start, t->len);
          n->len = t->len;
          g_ptr_array_add (list->nodes, n);
          continue;
        }
      n = parse_action (ps, terminator);
      if (ps->error != NULL)
        goto fail;
      if (*terminator != NULL)
        break;
      g_ptr_array_add (list->nodes, n);
    }
  ps->depth--;
  return list;
fail:
  ps->depth--;
  node_free (list);
  return NULL;
}

static Node *
parse_control (Parser *ps, Tok *kw, NodeType type, const char *context)
{
  guint nvars = ps->vars->len;
  Node *n = tok_node (type, ps, kw);
  Tok *term = NULL;

  n->pipe = parse_pipeline (ps, context, T_RIGHT);
  if (n->pipe == NULL)
    goto fail;
  if (type == N_RANGE)
    ps->range_depth++;
  n->list = parse_list (ps, &term);
  if (type == N_RANGE)
    ps->range_depth--;
  if (n->list == NULL)
    goto fail;
  if (term->type == T_ELSE)
    {
      if (type == N_IF && peek_non_space (ps)->type == T_IF)
        {
          Tok *kw2 = next_non_space (ps);
          Node *elif;

          n->else_list = node_new (N_LIST, 0, 0);
          if (++ps->depth > HEARTH_GO_TEMPLATE_MAX_DEPTH)
            {
              ps->depth--;
              g_set_error (&ps->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                           _("The template is nested deeper than %d levels"),
                           HEARTH_GO_TEMPLATE_MAX_DEPTH);
              goto fail;
            }
          elif = parse_control (ps, kw2, N_IF, "if");
          ps->depth--;
          if (elif == NULL)
            goto fail;
          g_ptr_array_add (n->else_list->nodes, elif);
        }
      else
        {
          n->else_list = parse_list (ps, &term);
          if (n->else_list == NULL)
            goto fail;
          if (term->type != T_END)
            {
              fail_at (ps, term, "expected end; found {{else}}");
              goto fail;
            }
        }
    }
  g_ptr_array_set_size (ps->vars, nvars);
  return n;
fail:
  g_ptr_array_set_size (ps->vars, nvars);
  node_free (n);
  return NULL;
}

static Node *
parse_root (Parser *ps)
{
  Node *root = node_new (N_LIST, 0, 0);

  for (;;)
    {
      Tok *t = next (ps);
      Tok *term = NULL;
      Node *n;

      if (ps->error != NULL)
        goto fail;
      if (t->type == T_EOF)
        return root;
      if (t->type == T_TEXT)
        {
          n = tok_node (N_TEXT, ps, t);
          n->text = g_strndup (t->start, t->len);
          n->len = t->len;
          g_ptr_array_add (root->nodes, n);
          continue;
        }
      if (peek_non_space (ps)->type == T_DEFINE)
        {
          Tok *name;
          g_autofree char *s = NULL;
          gsize len;
          Node *body;
          g_autoptr (GPtrArray) saved = ps->vars;

          next_non_space (ps);
          name = next_non_space (ps);
          if (name->type != T_STRING && name->type != T_RAW)
            {
              fail_at (ps, name, "unexpected name in define clause");
              goto fail;
            }
          s = unquote (name->start, name->len, &len);
          if (s == NULL || !expect (ps, T_RIGHT, "define clause"))
            goto fail;
          ps->vars = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (ps->vars, g_strdup ("$"));
          body = parse_list (ps, &term);
          g_ptr_array_unref (ps->vars);
          ps->vars = g_steal_pointer (&saved);
          if (body == NULL)
            goto fail;
          if (term->type != T_END)
            {
              node_free (body);
              fail_at (ps, term, "unexpected {{else}} in define clause");
              goto fail;
            }
          g_hash_table_replace (ps->defines, g_steal_pointer (&s), body);
          continue;
        }
      n = parse_action (ps, &term);
      if (ps->error != NULL)
        goto fail;
      if (term != NULL)
        {
          fail_at (ps, term, "unexpected {{%s}}", term->type == T_END ? "end" : "else");
          goto fail;
        }
      g_ptr_array_add (root->nodes, n);
    }
fail:
  node_free (root);
  return NULL;
}

/* ---- values, typed like the ones Ollama passes ---- */

typedef enum { V_INVALID, V_BOOL, V_INT, V_FLOAT, V_STRING, V_LIST, V_MAP, V_STRUCT } VKind;
typedef enum { S_NONE, S_JSON, S_JSON_OR_EMPTY, S_PROPTYPE } VStringer;

typedef struct Val Val;
typedef struct { char *name; const char *json; gboolean omitempty; Val *v; } Field;

struct Val
{
  gint       ref;
  VKind      kind;
  VStringer  stringer;
  gboolean   ptr, nil;
  gboolean   b;
  gint64     i;
  double     f;
  char      *s;
  gsize      len;
  GPtrArray *items;  /* LIST */
  GPtrArray *fields; /* MAP (sorted by name), STRUCT (in order) */
};

static Val *
val_ref (Val *v)
{
  g_atomic_int_inc (&v->ref);
  return v;
}

static void
field_free (gpointer data)
{
  Field *f = data;
  void val_unref (gpointer);

  g_free (f->name);
  val_unref (f->v);
  g_free (f);
}

void val_unref (gpointer data);
void
val_unref (gpointer data)
{
  Val *v = data;

  if (v == NULL || !g_atomic_int_dec_and_test (&v->ref))
    return;
  g_free (v->s);
  g_clear_pointer (&v->items, g_ptr_array_unref);
  g_clear_pointer (&v->fields, g_ptr_array_unref);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Val, val_unref)

static Val *
val_new (VKind kind)
{
  Val *v = g_new0 (Val, 1);

  v->ref = 1;
  v->kind = kind;
  if (kind == V_LIST)
    v->items = g_ptr_array_new_with_free_func (val_unref);
  if (kind == V_MAP || kind == V_STRUCT)
    v->fields = g_ptr_array_new_with_free_func (field_free);
  return v;
}

static Val *
val_string (const char *s)
{
  Val *v = val_new (V_STRING);

  v->s = g_strdup (s != NULL ? s : "");
  v->len = strlen (v->s);
  return v;
}

static Val *
val_string_len (const char *s, gsize len)
{
  Val *v = val_new (V_STRING);

  v->s = g_strndup (s, len);
  v->len = len;
  return v;
}

static Val *
val_bool (gboolean b)
{
  Val *v = val_new (V_BOOL);

  v->b = b;
  return v;
}

static Val *
val_int (gint64 i)
{
  Val *v = val_new (V_INT);

  v->i = i;
  return v;
}

static void
val_add (Val *v, const char *name, const char *json, gboolean omitempty, Val *child)
{
  Field *f = g_new0 (Field, 1);

  f->name = g_strdup (name);
  f->json = json;
  f->omitempty = omitempty;
  f->v = child;
  g_ptr_array_add (v->fields, f);
}

static int
field_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(Field **) a)->name, (*(Field **) b)->name);
}

static Val *
val_field (Val *v, const char *name)
{
  for (guint i = 0; i < v->fields->len; i++)
    {
      Field *f = v->fields->pdata[i];

      if (g_str_equal (f->name, name))
        return f->v;
    }
  return NULL;
}

/* A JSON value as Go's encoding/json decodes it into `any`. */
static Val *
val_from_json (JsonNode *node)
{
  Val *v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return val_new (V_INVALID);
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr (GList) members = json_object_get_members (o);

      v = val_new (V_MAP);
      for (GList *l = members; l != NULL; l = l->next)
        val_add (v, l->data, NULL, FALSE, val_from_json (json_object_get_member (o, l->data)));
      g_ptr_array_sort (v->fields, field_cmp);
      return v;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      v = val_new (V_LIST);
      for (guint i = 0; i < json_array_get_length (a); i++)
        g_ptr_array_add (v->items, val_from_json (json_array_get_element (a, i)));
      return v;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return val_string (json_node_get_string (node));
    case G_TYPE_BOOLEAN:
      return val_bool (json_node_get_boolean (node));
    case G_TYPE_INT64:
      v = val_new (V_FLOAT);
      v->f = (double) json_node_get_int (node);
      return v;
    default:
      v = val_new (V_FLOAT);
      v->f = json_node_get_double (node);
      return v;
    }
}

static const char *
json_string_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : "";
}

static JsonObject *
json_object_member (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static Val *
val_string_list (JsonNode *n, VStringer stringer)
{
  Val *v = val_new (V_LIST);

  v->stringer = stringer;
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    g_ptr_array_add (v->items, val_string (json_node_get_string (n)));
  else if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (n)); i++)
      g_ptr_array_add (v->items, val_from_json (json_array_get_element (json_node_get_array (n), i)));
  else
    v->nil = TRUE;
  return v;
}

/* api.ToolProperty */
static Val *
val_property (JsonObject *o)
{
  Val *v = val_new (V_STRUCT);
  Val *any_of = val_new (V_LIST), *props = val_new (V_STRUCT);
  Val *enm;
  JsonNode *e = o != NULL ? json_object_get_member (o, "enum") : NULL;

  any_of->nil = TRUE;
  props->ptr = props->nil = TRUE;
  enm = e != NULL && JSON_NODE_HOLDS_ARRAY (e) ? val_from_json (e) : val_new (V_LIST);
  if (e == NULL || !JSON_NODE_HOLDS_ARRAY (e))
    enm->nil = TRUE;
  val_add (v, "AnyOf", "anyOf", TRUE, any_of);
  val_add (v, "Type", "type", TRUE,
           val_string_list (o != NULL ? json_object_get_member (o, "type") : NULL, S_PROPTYPE));
  val_add (v, "Items", "items", TRUE,
           val_from_json (o != NULL ? json_object_get_member (o, "items") : NULL));
  val_add (v, "Description", "description", TRUE, val_string (json_string_member (o, "description")));
  val_add (v, "Enum", "enum", TRUE, enm);
  val_add (v, "Properties", "properties", TRUE, props);
  val_add (v, "Required", "required", TRUE,
           val_string_list (o != NULL ? json_object_get_member (o, "required") : NULL, S_NONE));
  return v;
}

/* templateTools */
static Val *
val_tools (JsonNode *tools)
{
  Val *list = val_new (V_LIST);

  list->stringer = S_JSON;
  if (tools == NULL || !JSON_NODE_HOLDS_ARRAY (tools))
    {
      list->nil = TRUE;
      return list;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      JsonNode *tn = json_array_get_element (json_node_get_array (tools), i);
      JsonObject *t = JSON_NODE_HOLDS_OBJECT (tn) ? json_node_get_object (tn) : NULL;
      JsonObject *fn = json_object_member (t, "function");
      JsonObject *params = json_object_member (fn, "parameters");
      JsonObject *props = json_object_member (params, "properties");
      Val *tool = val_new (V_STRUCT), *f = val_new (V_STRUCT), *p = val_new (V_STRUCT);
      Val *pm = val_new (V_MAP);

      tool->stringer = S_JSON;
      pm->stringer = S_JSON_OR_EMPTY;
      if (props != NULL)
        {
          g_autoptr (GList) names = json_object_get_members (props);

          for (GList *l = names; l != NULL; l = l->next)
            val_add (pm, l->data, NULL, FALSE, val_property (json_object_member (props, l->data)));
          g_ptr_array_sort (pm->fields, field_cmp);
        }
      else
        pm->nil = TRUE;
      val_add (p, "Type", "type", FALSE, val_string (json_string_member (params, "type")));
      val_add (p, "Defs", "$defs", TRUE,
               val_from_json (params != NULL ? json_object_get_member (params, "$defs") : NULL));
      val_add (p, "Items", "items", TRUE,
               val_from_json (params != NULL ? json_object_get_member (params, "items") : NULL));
      val_add (p, "Required", "required", TRUE,
               val_string_list (params != NULL ? json_object_get_member (params, "required") : NULL,
                                S_NONE));
      val_add (p, "Properties", "properties", FALSE, pm);
      val_add (f, "Name", "name", FALSE, val_string (json_string_member (fn, "name")));
      val_add (f, "Description", "description", FALSE,
               val_string (json_string_member (fn, "description")));
      val_add (f, "Parameters", "parameters", FALSE, p);
      val_add (tool, "Type", "type", FALSE, val_string (json_string_member (t, "type")));
      val_add (tool, "Items", "items", TRUE,
               val_from_json (t != NULL ? json_object_get_member (t, "items") : NULL));
      val_add (tool, "Function", "function", FALSE, f);
      g_ptr_array_add (list->items, tool);
    }
  return list;
}

/* []*templateMessage */
static Val *
val_message (const HearthGoTemplateMessage *m, const char *content)
{
  Val *v = val_new (V_STRUCT), *images = val_new (V_LIST), *calls = val_new (V_LIST);
  JsonArray *tc = m->tool_calls != NULL && JSON_NODE_HOLDS_ARRAY (m->tool_calls)
                    ? json_node_get_array (m->tool_calls) : NULL;

  v->ptr = TRUE;
  images->nil = TRUE;
  calls->nil = tc == NULL || json_array_get_length (tc) == 0;
  for (guint i = 0; tc != NULL && i < json_array_get_length (tc); i++)
    {
      JsonNode *cn = json_array_get_element (tc, i);
      JsonObject *c = JSON_NODE_HOLDS_OBJECT (cn) ? json_node_get_object (cn) : NULL;
      JsonObject *fn = json_object_member (c, "function");
      JsonNode *args = fn != NULL ? json_object_get_member (fn, "arguments") : NULL;
      JsonNode *index = fn != NULL ? json_object_get_member (fn, "index") : NULL;
      Val *call = val_new (V_STRUCT), *f = val_new (V_STRUCT), *a;

      a = args != NULL && JSON_NODE_HOLDS_OBJECT (args) ? val_from_json (args) : val_new (V_MAP);
      a->nil = args == NULL || !JSON_NODE_HOLDS_OBJECT (args);
      a->stringer = S_JSON_OR_EMPTY;
      val_add (f, "Index", NULL, FALSE,
               val_int (index != NULL && JSON_NODE_HOLDS_VALUE (index) ? json_node_get_int (index) : 0));
      val_add (f, "Name", NULL, FALSE, val_string (json_string_member (fn, "name")));
      val_add (f, "Arguments", NULL, FALSE, a);
      val_add (call, "ID", NULL, FALSE, val_string (json_string_member (c, "id")));
      val_add (call, "Function", NULL, FALSE, f);
      g_ptr_array_add (calls->items, call);
    }
  val_add (v, "Role", NULL, FALSE, val_string (m->role));
  val_add (v, "Content", NULL, FALSE, val_string (content));
  val_add (v, "Thinking", NULL, FALSE, val_string (m->thinking));
  val_add (v, "Images", NULL, FALSE, images);
  val_add (v, "ToolCalls", NULL, FALSE, calls);
  val_add (v, "ToolName", NULL, FALSE, val_string (m->tool_name));
  val_add (v, "ToolCallID", NULL, FALSE, val_string (m->tool_call_id));
  return v;
}

/* ---- printing: fmt's %v and encoding/json ---- */

static void
append_go_float (GString *o, double f, gboolean json)
{
  char buf[64];
  int prec, exp;
  char digits[32];
  gsize nd = 0;

  if (isnan (f) || isinf (f))
    {
      g_string_append (o, isnan (f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
      return;
    }
  if (f == 0)
    {
      g_string_append (o, signbit (f) ? "-0" : "0");
      return;
    }
  for (prec = 1; prec <= 17; prec++)
    {
      snprintf (buf, sizeof buf, "%.*e", prec - 1, f);
      if (g_ascii_strtod (buf, NULL) == f)
        break;
    }
  /* buf: [-]d.ddde[+-]xx */
  {
    const char *p = buf;
    char *e = strchr (buf, 'e');

    if (*p == '-')
      {
        g_string_append_c (o, '-');
        p++;
      }
    for (; p < e; p++)
      if (g_ascii_isdigit (*p))
        digits[nd++] = *p;
    exp = atoi (e + 1);
  }
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  {
    gboolean use_e = json ? (fabs (f) < 1e-6 || fabs (f) >= 1e21)
                          : (exp < -4 || exp >= (nd > 21 ? (int) nd : 21));

    if (!json)
      use_e = exp < -4 || exp >= 21;
    if (use_e)
      {
        g_string_append_c (o, digits[0]);
        if (nd > 1)
          {
            g_string_append_c (o, '.');
            g_string_append_len (o, digits + 1, nd - 1);
          }
        if (json)
          g_string_append_printf (o, "e%c%d", exp < 0 ? '-' : '+', ABS (exp));
        else
          g_string_append_printf (o, "e%c%02d", exp < 0 ? '-' : '+', ABS (exp));
      }
    else if (exp < 0)
      {
        g_string_append (o, "0.");
        for (int k = -1; k > exp; k--)
          g_string_append_c (o, '0');
        g_string_append_len (o, digits, nd);
      }
    else
      {
        for (int k = 0; k <= exp || k < (int) nd; k++)
          {
            if (k == exp + 1)
              g_string_append_c (o, '.');
            g_string_append_c (o, k < (int) nd ? digits[k] : '0');
          }
      }
  }
}

static void
append_json_string (GString *o, const char *s, gsize len)
{
  const char *p = s, *end = s + len;

  g_string_append_c (o, '"');
  while (p < end)
    {
      guchar c = *p;

      if (c < 0x80)
        {
          switch (c)
            {
            case '"': g_string_append (o, "\\\""); break;
            case '\\': g_string_append (o, "\\\\"); break;
            case '\n': g_string_append (o, "\\n"); break;
            case '\r': g_string_append (o, "\\r"); break;
            case '\t': g_string_append (o, "\\t"); break;
            case '<': case '>': case '&':
              g_string_append_printf (o, "\\u%04x", c);
              break;
            default:
              if (c < 0x20)
                g_string_append_printf (o, "\\u%04x", c);
              else
                g_string_append_c (o, c);
            }
          p++;
          continue;
        }
      {
        gunichar u = g_utf8_get_char_validated (p, end - p);

        if (u == (gunichar) -1 || u == (gunichar) -2)
          {
            g_string_append (o, "\\ufffd");
            p++;
            continue;
          }
        if (u == 0x2028 || u == 0x2029)
          g_string_append_printf (o, "\\u%04x", u);
        else
          g_string_append_len (o, p, g_utf8_next_char (p) - p);
        p = g_utf8_next_char (p);
      }
    }
  g_string_append_c (o, '"');
}

static gboolean
val_empty (const Val *v)
{
  switch (v->kind)
    {
    case V_INVALID: return TRUE;
    case V_BOOL: return !v->b;
    case V_INT: return v->i == 0;
    case V_FLOAT: return v->f == 0;
    case V_STRING: return v->len == 0;
    case V_LIST: return v->items->len == 0;
    case V_MAP: return v->fields->len == 0;
    case V_STRUCT: return v->ptr && v->nil;
    default: return FALSE;
    }
}

static void
append_json (GString *o, const Val *v)
{
  switch (v->kind)
    {
    case V_INVALID: g_string_append (o, "null"); return;
    case V_BOOL: g_string_append (o, v->b ? "true" : "false"); return;
    case V_INT: g_string_append_printf (o, "%" G_GINT64_FORMAT, v->i); return;
    case V_FLOAT: append_go_float (o, v->f, TRUE); return;
    case V_STRING: append_json_string (o, v->s, v->len); return;
    case V_LIST:
      if (v->stringer == S_PROPTYPE && v->items->len == 1)
        {
          append_json (o, v->items->pdata[0]);
          return;
        }
      if (v->nil)
        {
          g_string_append (o, "null");
          return;
        }
      g_string_append_c (o, '[');
      for (guint i = 0; i < v->items->len; i++)
        {
          if (i > 0)
            g_string_append_c (o, ',');
          append_json (o, v->items->pdata[i]);
        }
      g_string_append_c (o, ']');
      return;
    case V_MAP:
    case V_STRUCT:
      {
        gboolean first = TRUE;

        if (v->nil)
          {
            g_string_append (o, "null");
            return;
          }
        g_string_append_c (o, '{');
        for (guint i = 0; i < v->fields->len; i++)
          {
            Field *f = v->fields->pdata[i];

            if (f->omitempty && val_empty (f->v))
              continue;
            if (!first)
              g_string_append_c (o, ',');
            first = FALSE;
            append_json_string (o, f->json != NULL ? f->json : f->name,
                                strlen (f->json != NULL ? f->json : f->name));
            g_string_append_c (o, ':');
            append_json (o, f->v);
          }
        g_string_append_c (o, '}');
        return;
      }
    }
}

/* fmt.Fprint of a value (depth 0: as an action prints it). */
static void
append_value (GString *o, const Val *v, int depth)
{
  switch (v->stringer)
    {
    case S_JSON:
      append_json (o, v);
      return;
    case S_JSON_OR_EMPTY:
      if (v->nil)
        g_string_append (o, "{}");
      else
        append_json (o, v);
      return;
    case S_PROPTYPE:
      if (v->items->len == 1)
        append_value (o, v->items->pdata[0], depth + 1);
      else if (v->items->len > 1)
        {
          g_string_append_c (o, '[');
          for (guint i = 0; i < v->items->len; i++)
            {
              if (i > 0)
                g_string_append_c (o, ' ');
              append_value (o, v->items->pdata[i], depth + 1);
            }
          g_string_append_c (o, ']');
        }
      return;
    default:
      break;
    }
  switch (v->kind)
    {
    case V_INVALID: g_string_append (o, depth == 0 ? "<no value>" : "<nil>"); return;
    case V_BOOL: g_string_append (o, v->b ? "true" : "false"); return;
    case V_INT: g_string_append_printf (o, "%" G_GINT64_FORMAT, v->i); return;
    case V_FLOAT: append_go_float (o, v->f, FALSE); return;
    case V_STRING: g_string_append_len (o, v->s, v->len); return;
    case V_LIST:
      g_string_append_c (o, '[');
      for (guint i = 0; i < v->items->len; i++)
        {
          if (i > 0)
            g_string_append_c (o, ' ');
          append_value (o, v->items->pdata[i], depth + 1);
        }
      g_string_append_c (o, ']');
      return;
    case V_MAP:
    case V_STRUCT:
      if (v->ptr && v->nil)
        {
          g_string_append (o, "<nil>");
          return;
        }
      if (v->ptr && depth > 0)
        g_string_append_c (o, '&');
      g_string_append (o, v->kind == V_MAP ? "map[" : "{");
      for (guint i = 0; i < v->fields->len; i++)
        {
          Field *f = v->fields->pdata[i];

          if (i > 0)
            g_string_append_c (o, ' ');
          if (v->kind == V_MAP)
            {
              g_string_append (o, f->name);
              g_string_append_c (o, ':');
            }
          append_value (o, f->v, depth + 1);
        }
      g_string_append_c (o, v->kind == V_MAP ? ']' : '}');
      return;
    }
}

/* ---- execution ---- */

struct _HearthGoTemplate
{
  Node       *root;
  GHashTable *defines;
  gboolean    uses_messages, uses_response;
};

typedef enum { WALK_OK, WALK_ERROR, WALK_BREAK, WALK_CONTINUE } Walk;

typedef struct
{
  GString    *out;
  GPtrArray  *names; /* variable stack */
  GPtrArray  *vals;
  GHashTable *defines;
  gboolean    ollama_funcs;
  int         depth;
  guint64     steps;
  GError     *error;
} Exec;

static gboolean
exec_fail (Exec *s, const Node *at, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
exec_fail (Exec *s, const Node *at, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (s->error != NULL)
    return FALSE;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (&s->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_EXECUTE,
               _("line %d, column %d: %s"), at != NULL ? at->line : 0, at != NULL ? at->col : 0, msg);
  return FALSE;
}

static gboolean
truth (const Val *v)
{
  switch (v->kind)
    {
    case V_INVALID: return FALSE;
    case V_BOOL: return v->b;
    case V_INT: return v->i != 0;
    case V_FLOAT: return v->f != 0;
    case V_STRING: return v->len > 0;
    case V_LIST: return v->items->len > 0;
    case V_MAP: return v->fields->len > 0;
    case V_STRUCT: return !(v->ptr && v->nil);
    }
  return FALSE;
}

static Val *eval_pipeline (Exec *s, Val *dot, Node *pipe);

static Val *
eval_field (Exec *s, Node *at, Val *recv, const char *name)
{
  Val *f;

  if (recv->kind == V_STRUCT && !recv->nil)
    {
      if ((f = val_field (recv, name)) != NULL)
        return val_ref (f);
    }
  else if (recv->kind == V_MAP && !recv->nil)
    {
      if ((f = val_field (recv, name)) != NULL)
        return val_ref (f);
      return val_new (V_INVALID); /* missingkey=zero on map[string]any */
    }
  else if (recv->kind == V_MAP)
    return val_new (V_INVALID);
  if ((recv->kind == V_STRUCT && recv->nil) || recv->kind == V_INVALID)
    exec_fail (s, at, "nil pointer evaluating %s", name);
  else
    exec_fail (s, at, "can't evaluate field %s", name);
  return NULL;
}

static Val *
eval_chain (Exec *s, Node *at, Val *v, char **ident)
{
  Val *cur = val_ref (v);

  for (; *ident != NULL; ident++)
    {
      Val *n = eval_field (s, at, cur, *ident);

      val_unref (cur);
      if (n == NULL)
        return NULL;
      cur = n;
    }
  return cur;
}

static Val *
var_lookup (Exec *s, const char *name)
{
  for (guint i = s->names->len; i-- > 0;)
    if (g_str_equal (s->names->pdata[i], name))
      return s->vals->pdata[i];
  return NULL;
}

static void
var_push (Exec *s, const char *name, Val *v)
{
  g_ptr_array_add (s->names, g_strdup (name));
  g_ptr_array_add (s->vals, v);
}

static void
var_set (Exec *s, const char *name, Val *v)
{
  for (guint i = s->names->len; i-- > 0;)
    if (g_str_equal (s->names->pdata[i], name))
      {
        val_unref (s->vals->pdata[i]);
        s->vals->pdata[i] = v;
        return;
      }
  val_unref (v);
}

static void
var_pop (Exec *s, guint mark)
{
  g_ptr_array_set_size (s->names, mark);
  g_ptr_array_set_size (s->vals, mark);
}

static Val *eval_arg (Exec *s, Val *dot, Node *n);

typedef enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_OTHER } BasicKind;

static BasicKind
basic_kind (const Val *v)
{
  switch (v->kind)
    {
    case V_INVALID: return K_INVALID;
    case V_BOOL: return K_BOOL;
    case V_INT: return K_INT;
    case V_FLOAT: return K_FLOAT;
    case V_STRING: return K_STRING;
    default: return K_OTHER;
    }
}

/* eq, lt: -1 error, else 0/1 */
static int
compare (Exec *s, Node *at, const char *fn, Val *a, Val *b)
{
  BasicKind ka = basic_kind (a), kb = basic_kind (b);

  if (g_str_equal (fn, "eq"))
    {
      if (ka != kb)
        {
          if (ka != K_INVALID && kb != K_INVALID)
            return exec_fail (s, at, "error calling eq: incompatible types for comparison"), -1;
          return 0;
        }
      switch (ka)
        {
        case K_BOOL: return a->b == b->b;
        case K_INT: return a->i == b->i;
        case K_FLOAT: return a->f == b->f;
        case K_STRING: return a->len == b->len && memcmp (a->s, b->s, a->len) == 0;
        case K_INVALID: return 1;
        default:
          if (a->kind == V_STRUCT && a->ptr && b->kind == V_STRUCT && b->ptr)
            return a == b;
          return exec_fail (s, at, "error calling eq: non-comparable type"), -1;
        }
    }
  /* lt */
  if (ka != kb)
    return exec_fail (s, at, "error calling %s: incompatible types for comparison", fn), -1;
  switch (ka)
    {
    case K_INT: return a->i < b->i;
    case K_FLOAT: return a->f < b->f;
    case K_STRING:
      {
        int c = memcmp (a->s, b->s, MIN (a->len, b->len));

        return c < 0 || (c == 0 && a->len < b->len);
      }
    default:
      return exec_fail (s, at, "error calling %s: invalid type for comparison", fn), -1;
    }
}

static void
append_print (GString *o, GPtrArray *args, gboolean ln)
{
  for (guint i = 0; i < args->len; i++)
    {
      Val *a = args->pdata[i];

      if (i > 0 && (ln || (((Val *) args->pdata[i - 1])->kind != V_STRING && a->kind != V_STRING)))
        g_string_append_c (o, ' ');
      append_value (o, a, 1);
    }
  if (ln)
    g_string_append_c (o, '\n');
}

static void
append_printf (GString *o, const char *f, gsize flen, GPtrArray *args, guint first)
{
  guint argi = first;

  for (gsize k = 0; k < flen; k++)
    {
      char verb;
      Val *a;
      g_autoptr (GString) piece = g_string_new (NULL);
      int width = 0, prec = -1;
      gboolean minus = FALSE, zero = FALSE;

      if (f[k] != '%')
        {
          g_string_append_c (o, f[k]);
          continue;
        }
      k++;
      for (; k < flen && strchr ("-+# 0", f[k]) != NULL; k++)
        minus |= f[k] == '-', zero |= f[k] == '0';
      for (; k < flen && g_ascii_isdigit (f[k]); k++)
        width = width * 10 + (f[k] - '0');
      if (k < flen && f[k] == '.')
        for (prec = 0, k++; k < flen && g_ascii_isdigit (f[k]); k++)
          prec = prec * 10 + (f[k] - '0');
      if (k >= flen)
        {
          g_string_append (o, "%!(NOVERB)");
          break;
        }
      verb = f[k];
      if (verb == '%')
        {
          g_string_append_c (o, '%');
          continue;
        }
      if (argi >= args->len)
        {
          g_string_append_printf (o, "%%!%c(MISSING)", verb);
          continue;
        }
      a = args->pdata[argi++];
      if ((verb == 'd' || verb == 'x' || verb == 'c') && a->kind == V_INT)
        {
          if (verb == 'c')
            g_string_append_unichar (piece, (gunichar) a->i);
          else
            g_string_append_printf (piece, verb == 'd' ? "%" G_GINT64_FORMAT : "%" G_GINT64_MODIFIER "x", a->i);
        }
      else if (verb == 'f' && a->kind == V_FLOAT)
        g_string_append_printf (piece, "%.*f", prec < 0 ? 6 : prec, a->f);
      else if (verb == 'q' && a->kind == V_STRING)
        append_json_string (piece, a->s, a->len);
      else if (verb == 't' && a->kind == V_BOOL)
        g_string_append (piece, a->b ? "true" : "false");
      else if (verb == 's' || verb == 'v')
        {
          append_value (piece, a, 1);
          if (prec >= 0 && verb == 's' && a->kind == V_STRING)
            g_string_truncate (piece, g_utf8_offset_to_pointer (piece->str, MIN (prec, (int) g_utf8_strlen (piece->str, piece->len))) - piece->str);
        }
      else
        {
          g_string_append_printf (piece, "%%!%c(", verb);
          append_value (piece, a, 1);
          g_string_append_c (piece, ')');
        }
      {
        int pad = width - (int) g_utf8_strlen (piece->str, piece->len);

        if (!minus)
          for (; pad > 0; pad--)
            g_string_append_c (o, zero ? '0' : ' ');
        g_string_append_len (o, piece->str, piece->len);
        for (; pad > 0; pad--)
          g_string_append_c (o, ' ');
      }
    }
  if (argi < args->len)
    {
      g_string_append (o, "%!(EXTRA ");
      for (guint i = argi; i < args->len; i++)
        {
          if (i > argi)
            g_string_append (o, ", ");
          append_value (o, args->pdata[i], 1);
        }
      g_string_append_c (o, ')');
    }
}

static const char *
ts_type (const char *t)
{
  if (g_str_equal (t, "string")) return "string";
  if (g_str_equal (t, "number") || g_str_equal (t, "integer")) return "number";
  if (g_str_equal (t, "boolean")) return "boolean";
  if (g_str_equal (t, "array")) return "any[]";
  if (g_str_equal (t, "object")) return "Record<string, any>";
  if (g_str_equal (t, "null")) return "null";
  return "any";
}

/* text/template's html, js and urlquery: HTMLEscapeString, JSEscapeString
 * and net/url's QueryEscape of fmt.Sprint of the arguments */
static void
append_escaped (GString *o, const char *name, const char *t, gsize len)
{
  static const char hex[] = "0123456789ABCDEF";

  for (gsize i = 0; i < len; i++)
    {
      guchar c = t[i];

      if (name[0] == 'h')
        {
          switch (c)
            {
            case '\0': g_string_append (o, "\xef\xbf\xbd"); break;
            case '"': g_string_append (o, "&#34;"); break;
            case '\'': g_string_append (o, "&#39;"); break;
            case '&': g_string_append (o, "&amp;"); break;
            case '<': g_string_append (o, "&lt;"); break;
            case '>': g_string_append (o, "&gt;"); break;
            default: g_string_append_c (o, c);
            }
        }
      else if (name[0] == 'u')
        {
          if (g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
            g_string_append_c (o, c);
          else if (c == ' ')
            g_string_append_c (o, '+');
          else
            g_string_append_printf (o, "%%%c%c", hex[c >> 4], hex[c & 15]);
        }
      else if (c < 0x80)
        {
          switch (c)
            {
            case '\\': g_string_append (o, "\\\\"); break;
            case '\'': g_string_append (o, "\\'"); break;
            case '"': g_string_append (o, "\\\""); break;
            case '<': g_string_append (o, "\\u003C"); break;
            case '>': g_string_append (o, "\\u003E"); break;
            case '&': g_string_append (o, "\\u0026"); break;
            case '=': g_string_append (o, "\\u003D"); break;
            default:
              if (c < ' ')
                g_string_append_printf (o, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
              else
                g_string_append_c (o, c);
            }
        }
      else
        {
          const char *end = t + len, *next;
          gunichar r = g_utf8_get_char_validated (t + i, end - (t + i));

          if (r == (gunichar) -1 || r == (gunichar) -2)
            {
              g_string_append_c (o, c); /* Go's RuneError is printable */
              continue;
            }
          next = g_utf8_next_char (t + i);
          if (g_unichar_isprint (r) && !g_unichar_isspace (r))
            g_string_append_len (o, t + i, next - (t + i));
          else
            g_string_append_printf (o, "\\u%04X", r);
          i = next - t - 1;
        }
    }
}

static Val *
call_function (Exec *s, Val *dot, Node *cmd, const char *name, Val *final)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (val_unref);
  guint nargs = cmd->nodes->len - 1 + (final != NULL);
  GString *o;

  /* and, or: evaluated lazily (Go 1.18) */
  if (g_str_equal (name, "and") || g_str_equal (name, "or"))
    {
      gboolean is_and = name[0] == 'a';
      Val *v = NULL;

      if (nargs < 1)
        return exec_fail (s, cmd, "wrong number of args for %s: want at least 1 got 0", name), NULL;
      for (guint i = 1; i <= nargs; i++)
        {
          val_unref (v);
          v = i < cmd->nodes->len ? eval_arg (s, dot, cmd->nodes->pdata[i]) : val_ref (final);
          if (v == NULL)
            return NULL;
          if (truth (v) != is_and)
            return v;
        }
      return v;
    }
  for (guint i = 1; i < cmd->nodes->len; i++)
    {
      Val *v = eval_arg (s, dot, cmd->nodes->pdata[i]);

      if (v == NULL)
        return NULL;
      g_ptr_array_add (args, v);
    }
  if (final != NULL)
    g_ptr_array_add (args, val_ref (final));
#define ARGS(n) if (args->len != (n)) return exec_fail (s, cmd, "wrong number of args for %s: want %d got %u", name, (n), args->len), NULL
#define A(i) ((Val *) args->pdata[i])
  if (g_str_equal (name, "not"))
    {
      ARGS (1);
      return val_bool (!truth (A (0)));
    }
  if (g_str_equal (name, "len"))
    {
      ARGS (1);
      switch (A (0)->kind)
        {
        case V_STRING: return val_int (A (0)->len);
        case V_LIST: return val_int (A (0)->items->len);
        case V_MAP: return val_int (A (0)->fields->len);
        default: return exec_fail (s, cmd, "error calling len: len of this type"), NULL;
        }
    }
  if (g_str_equal (name, "eq") || g_str_equal (name, "ne") || g_str_equal (name, "lt")
      || g_str_equal (name, "le") || g_str_equal (name, "gt") || g_str_equal (name, "ge"))
    {
      int r;

      if (g_str_equal (name, "eq"))
        {
          if (args->len < 2)
            return exec_fail (s, cmd, "missing argument for comparison"), NULL;
          for (guint i = 1; i < args->len; i++)
            {
              if ((r = compare (s, cmd, "eq", A (0), A (i))) < 0)
                return NULL;
              if (r)
                return val_bool (TRUE);
            }
          return val_bool (FALSE);
        }
      ARGS (2);
      if (g_str_equal (name, "ne"))
        return (r = compare (s, cmd, "eq", A (0), A (1))) < 0 ? NULL : val_bool (!r);
      if (g_str_equal (name, "lt"))
        return (r = compare (s, cmd, name, A (0), A (1))) < 0 ? NULL : val_bool (r);
      if (g_str_equal (name, "ge"))
        return (r = compare (s, cmd, name, A (0), A (1))) < 0 ? NULL : val_bool (!r);
      if ((r = compare (s, cmd, name, A (1), A (0))) < 0)
        return NULL;
      return val_bool (g_str_equal (name, "gt") ? r : !r);
    }
  if (g_str_equal (name, "index"))
    {
      Val *v;

      if (args->len < 1)
        return exec_fail (s, cmd, "wrong number of args for index"), NULL;
      v = val_ref (A (0));
      for (guint i = 1; i < args->len; i++)
        {
          Val *k = A (i), *n = NULL;

          if ((v->kind == V_LIST || v->kind == V_STRING) && k->kind == V_INT)
            {
              gsize len = v->kind == V_LIST ? v->items->len : v->len;

              if (k->i < 0 || (gsize) k->i >= len)
                {
                  val_unref (v);
                  return exec_fail (s, cmd, "error calling index: index out of range: %" G_GINT64_FORMAT, k->i), NULL;
                }
              n = v->kind == V_LIST ? val_ref (v->items->pdata[k->i]) : val_int ((guchar) v->s[k->i]);
            }
          else if (v->kind == V_MAP && k->kind == V_STRING)
            {
              Val *f = v->nil ? NULL : val_field (v, k->s);

              n = f != NULL ? val_ref (f) : val_new (V_INVALID);
            }
          val_unref (v);
          if (n == NULL)
            return exec_fail (s, cmd, "error calling index: cannot index"), NULL;
          v = n;
        }
      return v;
    }
  if (g_str_equal (name, "slice"))
    {
      gint64 idx[3];
      gsize len;
      Val *v;

      /* the item, then up to three indexes (x[i:j:k]) */
      if (args->len < 1 || args->len > 4)
        return exec_fail (s, cmd, "wrong number of args for slice"), NULL;
      v = A (0);
      if (v->kind != V_LIST && v->kind != V_STRING)
        return exec_fail (s, cmd, "error calling slice: can't slice item"), NULL;
      if (v->kind == V_STRING && args->len == 4)
        return exec_fail (s, cmd, "error calling slice: cannot 3-index slice a string"), NULL;
      len = v->kind == V_LIST ? v->items->len : v->len;
      idx[0] = 0;
      idx[1] = len;
      idx[2] = len;
      for (guint i = 1; i < args->len; i++)
        {
          if (A (i)->kind != V_INT)
            return exec_fail (s, cmd, "error calling slice: cannot index slice with non-int"), NULL;
          idx[i - 1] = A (i)->i;
        }
      if (idx[0] < 0 || idx[1] < idx[0] || idx[2] < idx[1] || (gsize) idx[2] > len)
        return exec_fail (s, cmd, "error calling slice: index out of range"), NULL;
      if (v->kind == V_STRING)
        return val_string_len (v->s + idx[0], idx[1] - idx[0]);
      {
        Val *r = val_new (V_LIST);

        r->stringer = v->stringer;
        for (gint64 i = idx[0]; i < idx[1]; i++)
          g_ptr_array_add (r->items, val_ref (v->items->pdata[i]));
        return r;
      }
    }
  o = g_string_new (NULL);
  if (g_str_equal (name, "print") || g_str_equal (name, "println"))
    append_print (o, args, name[5] == 'l');
  else if (g_str_equal (name, "printf"))
    {
      if (args->len < 1 || A (0)->kind != V_STRING)
        {
          g_string_free (o, TRUE);
          return exec_fail (s, cmd, "printf needs a format string"), NULL;
        }
      append_printf (o, A (0)->s, A (0)->len, args, 1);
    }
  else if (s->ollama_funcs && g_str_equal (name, "json"))
    {
      if (args->len != 1)
        {
          g_string_free (o, TRUE);
          return exec_fail (s, cmd, "wrong number of args for json: want 1 got %u", args->len), NULL;
        }
      append_json (o, A (0));
    }
  else if (s->ollama_funcs && (g_str_equal (name, "currentDate") || g_str_equal (name, "yesterdayDate")))
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      g_autoptr (GDateTime) day = g_date_time_add_days (now, name[0] == 'y' ? -1 : 0);
      g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");

      g_string_append (o, text);
    }
  else if (s->ollama_funcs && g_str_equal (name, "toTypeScriptType"))
    {
      Val *p = args->len == 1 ? A (0) : NULL;
      Val *type = p != NULL && p->kind == V_STRUCT && !p->nil ? val_field (p, "Type") : NULL;
      Val *any_of = p != NULL && p->kind == V_STRUCT && !p->nil ? val_field (p, "AnyOf") : NULL;

      if (args->len != 1)
        {
          g_string_free (o, TRUE);
          return exec_fail (s, cmd, "wrong number of args for toTypeScriptType"), NULL;
        }
      if (type == NULL || any_of == NULL || type->stringer != S_PROPTYPE || type->items->len == 0)
        g_string_append (o, "any");
      else
        for (guint i = 0; i < type->items->len; i++)
          {
            Val *t = type->items->pdata[i];

            if (i > 0)
              g_string_append (o, " | ");
            g_string_append (o, ts_type (t->kind == V_STRING ? t->s : ""));
          }
    }
  else if (g_str_equal (name, "html") || g_str_equal (name, "js") || g_str_equal (name, "urlquery"))
    {
      g_autoptr (GString) text = g_string_new (NULL);

      if (args->len == 1 && A (0)->kind == V_STRING)
        g_string_append_len (text, A (0)->s, A (0)->len);
      else
        append_print (text, args, FALSE);
      append_escaped (o, name, text->str, text->len);
    }
  else
    {
      g_string_free (o, TRUE);
      return exec_fail (s, cmd, "\"%s\" is not a defined function", name), NULL;
    }
  {
    Val *r = val_new (V_STRING);

    r->len = o->len;
    r->s = g_string_free (o, FALSE);
    return r;
  }
#undef A
#undef ARGS
}

static Val *
eval_arg (Exec *s, Val *dot, Node *n)
{
  switch (n->type)
    {
    case N_DOT: return val_ref (dot);
    case N_NIL: return val_new (V_INVALID);
    case N_BOOL: return val_bool (n->b);
    case N_STRING: return val_string_len (n->text, n->len);
    case N_NUMBER:
      if (n->is_int)
        return val_int (n->i);
      {
        Val *v = val_new (V_FLOAT);

        v->f = n->f;
        return v;
      }
    case N_FIELD: return eval_chain (s, n, dot, n->ident);
    case N_VARIABLE:
      {
        Val *v = var_lookup (s, n->ident[0]);

        if (v == NULL)
          return exec_fail (s, n, "undefined variable: %s", n->ident[0]), NULL;
        return eval_chain (s, n, v, n->ident + 1);
      }
    case N_PIPE: return eval_pipeline (s, dot, n);
    case N_CHAIN:
      {
        g_autoptr (Val) v = eval_arg (s, dot, n->pipe);

        return v != NULL ? eval_chain (s, n, v, n->ident) : NULL;
      }
    case N_IDENT:
      {
        Node cmd = { .type = N_COMMAND, .line = n->line, .col = n->col };
        GPtrArray one = { 0 };
        gpointer pdata[1] = { n };
        Val *r;

        one.pdata = pdata;
        one.len = 1;
        cmd.nodes = &one;
        r = call_function (s, dot, &cmd, n->text, NULL);
        return r;
      }
    default:
      return exec_fail (s, n, "can't handle this argument"), NULL;
    }
}

static Val *
eval_command (Exec *s, Val *dot, Node *cmd, Val *final)
{
  Node *first = cmd->nodes->pdata[0];

  if (first->type == N_IDENT)
    return call_function (s, dot, cmd, first->text, final);
  if (cmd->nodes->len > 1 || final != NULL)
    {
      if (first->type == N_FIELD || first->type == N_CHAIN
          || (first->type == N_VARIABLE && first->ident[1] != NULL))
        return exec_fail (s, first, "%s has arguments but cannot be invoked as function",
                          first->ident[g_strv_length (first->ident) - 1]), NULL;
      return exec_fail (s, first, "can't give argument to non-function"), NULL;
    }
  if (first->type == N_NIL)
    return exec_fail (s, first, "nil is not a command"), NULL;
  return eval_arg (s, dot, first);
}

static Val *
eval_pipeline (Exec *s, Val *dot, Node *pipe)
{
  Val *v = NULL;

  for (guint i = 0; i < pipe->nodes->len; i++)
    {
      Val *n = eval_command (s, dot, pipe->nodes->pdata[i], v);

      val_unref (v);
      if (n == NULL)
        return NULL;
      v = n;
    }
  for (guint i = 0; i < pipe->decl->len; i++)
    {
      if (pipe->is_assign)
        var_set (s, pipe->decl->pdata[i], val_ref (v));
      else
        var_push (s, pipe->decl->pdata[i], val_ref (v));
    }
  return v;
}

static gboolean
emit_text (Exec *s, const char *text, gsize len)
{
  if (s->out->len + len > HEARTH_GO_TEMPLATE_MAX_OUTPUT)
    {
      if (s->error == NULL)
        g_set_error (&s->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                     _("The template's output passes %d MiB"), HEARTH_GO_TEMPLATE_MAX_OUTPUT >> 20);
      return FALSE;
    }
  g_string_append_len (s->out, text, len);
  return TRUE;
}

static Walk walk (Exec *s, Val *dot, Node *n);

static Walk
walk_list (Exec *s, Val *dot, Node *list)
{
  /* a step even when empty: {{ range }}s of nothing still take time */
  if (++s->steps > MAX_STEPS)
    {
      if (s->error == NULL)
        g_set_error (&s->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                     _("The template takes too long to render"));
      return WALK_ERROR;
    }
  for (guint i = 0; i < list->nodes->len; i++)
    {
      Walk w = walk (s, dot, list->nodes->pdata[i]);

      if (w != WALK_OK)
        return w;
    }
  return WALK_OK;
}

static Walk
walk (Exec *s, Val *dot, Node *n)
{
  guint mark = s->names->len;
  Walk w = WALK_OK;

  if (++s->steps > MAX_STEPS)
    {
      if (s->error == NULL)
        g_set_error (&s->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                     _("The template takes too long to render"));
      return WALK_ERROR;
    }
  switch (n->type)
    {
    case N_LIST:
      return walk_list (s, dot, n);
    case N_TEXT:
      return emit_text (s, n->text, n->len) ? WALK_OK : WALK_ERROR;
    case N_BREAK:
      return WALK_BREAK;
    case N_CONTINUE:
      return WALK_CONTINUE;
    case N_ACTION:
      {
        g_autoptr (Val) v = eval_pipeline (s, dot, n->pipe);
        g_autoptr (GString) o = g_string_new (NULL);

        if (v == NULL)
          return WALK_ERROR;
        if (n->pipe->decl->len == 0)
          {
            append_value (o, v, 0);
            if (!emit_text (s, o->str, o->len))
              return WALK_ERROR;
          }
        return WALK_OK;
      }
    case N_IF:
    case N_WITH:
      {
        g_autoptr (Val) v = eval_pipeline (s, dot, n->pipe);

        if (v == NULL)
          w = WALK_ERROR;
        else if (truth (v))
          w = walk_list (s, n->type == N_WITH ? v : dot, n->list);
        else if (n->else_list != NULL)
          w = walk_list (s, dot, n->else_list);
        var_pop (s, mark);
        return w;
      }
    case N_RANGE:
      {
        g_autoptr (Val) v = NULL;
        gsize len;
        guint decls = n->pipe->decl->len;

        /* the declared variables are set per element, not to the list */
        GPtrArray *decl = n->pipe->decl;

        n->pipe->decl = g_ptr_array_new ();
        v = eval_pipeline (s, dot, n->pipe);
        g_ptr_array_unref (n->pipe->decl);
        n->pipe->decl = decl;
        if (v == NULL)
          return WALK_ERROR;
        if (v->kind != V_LIST && v->kind != V_MAP && v->kind != V_INVALID)
          return exec_fail (s, n, "range can't iterate over this value"), WALK_ERROR;
        len = v->kind == V_LIST ? v->items->len : v->kind == V_MAP ? v->fields->len : 0;
        for (gsize i = 0; i < len; i++)
          {
            Val *elem = v->kind == V_LIST ? v->items->pdata[i] : ((Field *) v->fields->pdata[i])->v;
            Val *key = v->kind == V_LIST ? val_int (i) : val_string (((Field *) v->fields->pdata[i])->name);
            guint imark = s->names->len;

            if (decls == 1)
              var_push (s, n->pipe->decl->pdata[0], val_ref (elem));
            else if (decls == 2)
              {
                var_push (s, n->pipe->decl->pdata[0], val_ref (key));
                var_push (s, n->pipe->decl->pdata[1], val_ref (elem));
              }
            val_unref (key);
            w = walk_list (s, elem, n->list);
            var_pop (s, imark);
            if (w == WALK_BREAK)
              {
                w = WALK_OK;
                break;
              }
            if (w == WALK_CONTINUE)
              w = WALK_OK;
            if (w != WALK_OK)
              break;
          }
        if (len == 0 && n->else_list != NULL)
          w = walk_list (s, dot, n->else_list);
        var_pop (s, mark);
        return w;
      }
    case N_TEMPLATE:
      {
        Node *body = s->defines != NULL ? g_hash_table_lookup (s->defines, n->text) : NULL;
        g_autoptr (Val) v = NULL;
        g_autoptr (GPtrArray) names = NULL, vals = NULL;

        if (body == NULL)
          return exec_fail (s, n, "no such template \"%s\"", n->text), WALK_ERROR;
        v = n->pipe != NULL ? eval_pipeline (s, dot, n->pipe) : val_new (V_INVALID);
        if (v == NULL)
          return WALK_ERROR;
        if (s->depth >= HEARTH_GO_TEMPLATE_MAX_DEPTH)
          {
            g_set_error (&s->error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT,
                         _("The template is nested deeper than %d levels"), HEARTH_GO_TEMPLATE_MAX_DEPTH);
            return WALK_ERROR;
          }
        names = s->names;
        vals = s->vals;
        s->names = g_ptr_array_new_with_free_func (g_free);
        s->vals = g_ptr_array_new_with_free_func (val_unref);
        var_push (s, "$", val_ref (v));
        s->depth++;
        w = walk_list (s, v, body);
        s->depth--;
        g_ptr_array_unref (s->names);
        g_ptr_array_unref (s->vals);
        s->names = g_steal_pointer (&names);
        s->vals = g_steal_pointer (&vals);
        return w == WALK_ERROR ? WALK_ERROR : WALK_OK;
      }
    default:
      return WALK_OK;
    }
}

static gboolean
execute (Node *root, GHashTable *defines, gboolean ollama_funcs, Val *data, GString *out, GError **error)
{
  Exec s = { 0 };
  Walk w;

  s.out = out;
  s.names = g_ptr_array_new_with_free_func (g_free);
  s.vals = g_ptr_array_new_with_free_func (val_unref);
  s.defines = defines;
  s.ollama_funcs = ollama_funcs;
  var_push (&s, "$", val_ref (data));
  w = walk (&s, data, root);
  g_ptr_array_unref (s.names);
  g_ptr_array_unref (s.vals);
  if (w == WALK_ERROR || s.error != NULL)
    {
      if (s.error == NULL)
        g_set_error_literal (&s.error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_EXECUTE, "error");
      g_propagate_error (error, s.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- Ollama's layer (template.Parse, template.Execute) ---- */

/* Ollama's Identifiers (): the field and variable names, lowercased. */
static gboolean
collect_idents (Node *n, GHashTable *set)
{
  if (n == NULL)
    return TRUE;
  switch (n->type)
    {
    case N_LIST:
      for (guint i = 0; i < n->nodes->len; i++)
        if (!collect_idents (n->nodes->pdata[i], set))
          return FALSE;
      return TRUE;
    case N_TEMPLATE:
      return n->pipe != NULL && collect_idents (n->pipe, set);
    case N_ACTION:
      return collect_idents (n->pipe, set);
    case N_IF: case N_RANGE: case N_WITH:
      return collect_idents (n->pipe, set) && collect_idents (n->list, set)
             && collect_idents (n->else_list, set);
    case N_PIPE:
      for (guint i = 0; i < n->nodes->len; i++)
        {
          Node *c = n->nodes->pdata[i];

          for (guint j = 0; j < c->nodes->len; j++)
            if (!collect_idents (c->nodes->pdata[j], set))
              return FALSE;
        }
      return TRUE;
    case N_FIELD: case N_VARIABLE:
      for (char **id = n->ident; *id != NULL; id++)
        g_hash_table_add (set, g_ascii_strdown (*id, -1));
      return TRUE;
    default:
      return TRUE;
    }
}

/* Ollama's deleteNode (): drops every node after the first field naming
 * Response. Returns NULL for a node deleted; FALSE in *ok where Go panics. */
static Node *
cut_after_response (Node *n, gboolean *cut, gboolean *ok)
{
  if (n == NULL)
    return NULL;
  if (n->type == N_FIELD && g_strv_contains ((const char *const *) n->ident, "Response"))
    {
      *cut = TRUE;
      return n;
    }
  if (*cut)
    {
      node_free (n);
      return NULL;
    }
  switch (n->type)
    {
    case N_LIST:
      {
        GPtrArray *kept = g_ptr_array_new_with_free_func (node_free);

        for (guint i = 0; i < n->nodes->len; i++)
          {
            Node *c = cut_after_response (n->nodes->pdata[i], cut, ok);

            n->nodes->pdata[i] = NULL;
            if (c != NULL)
              g_ptr_array_add (kept, c);
          }
        g_ptr_array_unref (n->nodes);
        n->nodes = kept;
        return n;
      }
    case N_IF: case N_WITH: case N_RANGE:
      {
        gboolean had_else = n->else_list != NULL;

        /* an else list cut whole (.Response was in the list) is a nil list
         * for Ollama's deleteNode, whose type assertion then panics */
        n->list = cut_after_response (n->list, cut, ok);
        if (had_else)
          n->else_list = cut_after_response (n->else_list, cut, ok);
        if (n->list == NULL || (had_else && n->else_list == NULL))
          *ok = FALSE;
      }
      if (n->list == NULL)
        n->list = node_new (N_LIST, 0, 0);
      return n;
    case N_ACTION:
      n->pipe = cut_after_response (n->pipe, cut, ok);
      if (n->pipe == NULL)
        {
          node_free (n);
          return NULL;
        }
      return n;
    case N_PIPE:
      {
        GPtrArray *cmds = g_ptr_array_new_with_free_func (node_free);

        for (guint i = 0; i < n->nodes->len; i++)
          {
            Node *c = n->nodes->pdata[i];
            GPtrArray *args = g_ptr_array_new_with_free_func (node_free);

            for (guint j = 0; j < c->nodes->len; j++)
              {
                Node *a = cut_after_response (c->nodes->pdata[j], cut, ok);

                c->nodes->pdata[j] = NULL;
                if (a != NULL)
                  g_ptr_array_add (args, a);
              }
            g_ptr_array_unref (c->nodes);
            c->nodes = args;
            if (args->len == 0)
              {
                g_ptr_array_unref (cmds);
                node_free (n);
                return NULL;
              }
            n->nodes->pdata[i] = NULL;
            g_ptr_array_add (cmds, c);
          }
        g_ptr_array_unref (n->nodes);
        n->nodes = cmds;
        return n;
      }
    default:
      return n;
    }
}

HearthGoTemplate *
hearth_go_template_new (const char *source, GError **error)
{
  Lexer lx = { source, g_array_new (FALSE, TRUE, sizeof (Tok)) };
  Parser ps = { 0 };
  g_autoptr (GHashTable) idents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  HearthGoTemplate *self;
  Node *root;

  g_return_val_if_fail (source != NULL, NULL);
  lex (&lx);
  ps.src = source;
  ps.toks = (Tok *) lx.toks->data;
  ps.n = lx.toks->len;
  ps.vars = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (ps.vars, g_strdup ("$"));
  ps.defines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, node_free);
  root = parse_root (&ps);
  for (guint i = 0; i < lx.toks->len; i++)
    g_free (g_array_index (lx.toks, Tok, i).msg);
  g_array_unref (lx.toks);
  g_ptr_array_unref (ps.vars);
  if (root == NULL)
    {
      g_hash_table_unref (ps.defines);
      g_propagate_error (error, ps.error);
      return NULL;
    }
  self = g_new0 (HearthGoTemplate, 1);
  self->root = root;
  self->defines = ps.defines;
  {
    GHashTableIter it;
    gpointer body;
    gboolean ok = collect_idents (root, idents);

    g_hash_table_iter_init (&it, self->defines);
    while (ok && g_hash_table_iter_next (&it, NULL, &body))
      ok = collect_idents (body, idents);
    if (!ok)
      {
        g_set_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_PARSE,
                     _("A {{ template }} call without an argument: Ollama refuses it"));
        hearth_go_template_free (self);
        return NULL;
      }
  }
  self->uses_messages = g_hash_table_contains (idents, "messages");
  self->uses_response = g_hash_table_contains (idents, "response");
  if (!self->uses_messages && !self->uses_response)
    {
      Node *a = node_new (N_ACTION, 0, 0), *p = node_new (N_PIPE, 0, 0);
      Node *c = node_new (N_COMMAND, 0, 0), *f = node_new (N_FIELD, 0, 0);

      f->ident = g_new0 (char *, 2);
      f->ident[0] = g_strdup ("Response");
      g_ptr_array_add (c->nodes, f);
      g_ptr_array_add (p->nodes, c);
      a->pipe = p;
      g_ptr_array_add (root->nodes, a);
    }
  return self;
}

void
hearth_go_template_free (HearthGoTemplate *self)
{
  if (self == NULL)
    return;
  node_free (self->root);
  g_clear_pointer (&self->defines, g_hash_table_unref);
  g_free (self);
}

gboolean
hearth_go_template_uses_messages (HearthGoTemplate *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->uses_messages;
}

static Val *
legacy_values (const HearthGoTemplateData *data, const char *system, const char *prompt,
               const char *response)
{
  Val *v = val_new (V_MAP);

  val_add (v, "IsThinkSet", NULL, FALSE, val_bool (data->is_think_set));
  val_add (v, "Prompt", NULL, FALSE, val_string (prompt));
  val_add (v, "Response", NULL, FALSE, val_string (response));
  val_add (v, "System", NULL, FALSE, val_string (system));
  val_add (v, "Think", NULL, FALSE, val_bool (data->think));
  val_add (v, "ThinkLevel", NULL, FALSE, val_string (data->think_level));
  return v;
}

char *
hearth_go_template_render (HearthGoTemplate *self, const HearthGoTemplateData *data, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) system = g_string_new (NULL);
  g_autoptr (GPtrArray) idx = g_ptr_array_new ();      /* first message of each turn */
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  gboolean has_system = FALSE;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  /* collate: consecutive messages of a role (not tool) joined by a blank line */
  for (gsize i = 0; i < data->n_messages; i++)
    {
      const HearthGoTemplateMessage *m = &data->messages[i];
      const char *content = m->content != NULL ? m->content : "";
      const char *role = m->role != NULL ? m->role : "";

      if (g_str_equal (role, "system"))
        {
          if (has_system)
            g_string_append (system, "\n\n");
          g_string_append (system, content);
          has_system = TRUE;
        }
      if (idx->len > 0 && g_strcmp0 (((const HearthGoTemplateMessage *) idx->pdata[idx->len - 1])->role, role) == 0
          && !g_str_equal (role, "tool"))
        {
          char *joined = g_strconcat (contents->pdata[contents->len - 1], "\n\n", content, NULL);

          g_free (contents->pdata[contents->len - 1]);
          contents->pdata[contents->len - 1] = joined;
        }
      else
        {
          g_ptr_array_add (idx, (gpointer) m);
          g_ptr_array_add (contents, g_strdup (content));
        }
    }

  if (data->prompt != NULL && *data->prompt != '\0' && data->suffix != NULL && *data->suffix != '\0')
    {
      g_autoptr (Val) v = val_new (V_MAP);

      val_add (v, "IsThinkSet", NULL, FALSE, val_bool (data->is_think_set));
      val_add (v, "Prompt", NULL, FALSE, val_string (data->prompt));
      val_add (v, "Response", NULL, FALSE, val_string (""));
      val_add (v, "Suffix", NULL, FALSE, val_string (data->suffix));
      val_add (v, "Think", NULL, FALSE, val_bool (data->think));
      val_add (v, "ThinkLevel", NULL, FALSE, val_string (data->think_level));
      if (!execute (self->root, self->defines, TRUE, v, out, error))
        return NULL;
    }
  else if (self->uses_messages)
    {
      g_autoptr (Val) v = val_new (V_MAP);
      Val *msgs = val_new (V_LIST);

      msgs->nil = idx->len == 0;
      for (guint i = 0; i < idx->len; i++)
        g_ptr_array_add (msgs->items, val_message (idx->pdata[i], contents->pdata[i]));
      val_add (v, "IsThinkSet", NULL, FALSE, val_bool (data->is_think_set));
      val_add (v, "Messages", NULL, FALSE, msgs);
      val_add (v, "Response", NULL, FALSE, val_string (""));
      val_add (v, "System", NULL, FALSE, val_string (system->str));
      val_add (v, "Think", NULL, FALSE, val_bool (data->think));
      val_add (v, "ThinkLevel", NULL, FALSE, val_string (data->think_level));
      val_add (v, "Tools", NULL, FALSE, val_tools (data->tools));
      if (!execute (self->root, self->defines, TRUE, v, out, error))
        return NULL;
    }
  else
    {
      g_autofree char *sys = g_strdup (""), *prompt = g_strdup (""), *response = g_strdup ("");
      gboolean cut = FALSE, ok = TRUE;
      Node *root;

      for (guint i = 0; i < idx->len; i++)
        {
          const HearthGoTemplateMessage *m = idx->pdata[i];
          const char *role = m->role != NULL ? m->role : "";
          gboolean run = (g_str_equal (role, "system") && (*prompt != '\0' || *response != '\0'))
                         || (g_str_equal (role, "user") && *response != '\0');

          if (run)
            {
              g_autoptr (Val) v = legacy_values (data, sys, prompt, response);

              if (!execute (self->root, self->defines, TRUE, v, out, error))
                return NULL;
              g_free (sys), sys = g_strdup ("");
              g_free (prompt), prompt = g_strdup ("");
              g_free (response), response = g_strdup ("");
            }
          if (g_str_equal (role, "system"))
            g_free (sys), sys = g_strdup (contents->pdata[i]);
          else if (g_str_equal (role, "user"))
            g_free (prompt), prompt = g_strdup (contents->pdata[i]);
          else if (g_str_equal (role, "assistant"))
            g_free (response), response = g_strdup (contents->pdata[i]);
        }
      root = cut_after_response (node_copy (self->root), &cut, &ok);
      if (!ok)
        {
          node_free (root);
          g_set_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_EXECUTE,
                       _("Ollama cannot cut this template after .Response"));
          return NULL;
        }
      {
        g_autoptr (Val) v = legacy_values (data, sys, prompt, response);
        gboolean done = execute (root, NULL, FALSE, v, out, error);

        node_free (root);
        if (!done)
          return NULL;
      }
    }
  return g_strdup (out->str);
}

gboolean
hearth_go_template_is_go_syntax (const char *source)
{
  const char *p;

  g_return_val_if_fail (source != NULL, FALSE);
  if (strstr (source, "{%") != NULL)
    return FALSE;
  for (p = strstr (source, "{{"); p != NULL; p = strstr (p + 2, "{{"))
    {
      const char *q = p + 2;

      if (*q == '-')
        q++;
      while (is_space (*q))
        q++;
      if (*q == '.' || *q == '$' || g_str_has_prefix (q, "/*")
          || g_str_has_prefix (q, "range ") || g_str_has_prefix (q, "if .")
          || g_str_has_prefix (q, "if $") || g_str_has_prefix (q, "with ")
          || g_str_has_prefix (q, "end") || g_str_has_prefix (q, "template "))
        return TRUE;
    }
  return FALSE;
}
