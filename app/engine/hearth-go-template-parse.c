/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's text/template parser: the tokens of hearth-go-template-lex.c into the
 * tree of text/template/parse (its node types, their copies), with the
 * checks Go makes while parsing (variables in scope, known functions,
 * {{break}} and {{continue}} inside {{range}}, nesting depth).
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-go-template-private.h"

void
go_node_free (gpointer data)
{
  Node *n = data;

  if (n == NULL)
    return;
  g_clear_pointer (&n->nodes, g_ptr_array_unref);
  g_clear_pointer (&n->decl, g_ptr_array_unref);
  go_node_free (n->pipe);
  go_node_free (n->list);
  go_node_free (n->else_list);
  g_strfreev (n->ident);
  g_free (n->text);
  g_free (n);
}

Node *
go_node_new (NodeType type, int line, int col)
{
  Node *n = g_new0 (Node, 1);

  n->type = type;
  n->line = line;
  n->col = col;
  if (type == N_LIST || type == N_PIPE || type == N_COMMAND)
    n->nodes = g_ptr_array_new_with_free_func (go_node_free);
  if (type == N_PIPE)
    n->decl = g_ptr_array_new_with_free_func (g_free);
  return n;
}

Node *
go_node_copy (const Node *n)
{
  Node *c;

  if (n == NULL)
    return NULL;
  c = g_memdup2 (n, sizeof *n);
  if (n->nodes != NULL)
    {
      c->nodes = g_ptr_array_new_with_free_func (go_node_free);
      for (guint i = 0; i < n->nodes->len; i++)
        g_ptr_array_add (c->nodes, go_node_copy (n->nodes->pdata[i]));
    }
  if (n->decl != NULL)
    {
      c->decl = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < n->decl->len; i++)
        g_ptr_array_add (c->decl, g_strdup (n->decl->pdata[i]));
    }
  c->pipe = go_node_copy (n->pipe);
  c->list = go_node_copy (n->list);
  c->else_list = go_node_copy (n->else_list);
  c->ident = g_strdupv (n->ident);
  /* text and strings may hold NUL bytes (len says how many); identifiers
   * and names are plain strings, their len unset */
  if (n->text != NULL && (n->type == N_TEXT || n->type == N_STRING))
    c->text = g_memdup2 (n->text, n->len + 1);
  else
    c->text = g_strdup (n->text);
  return c;
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
  go_position (ps->src, t->start, &line, &col);
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

  go_position (ps->src, t->start, &line, &col);
  return go_node_new (type, line, col);
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
                go_node_free (n);
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
        go_node_free (n);
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

          go_node_free (n);
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
      go_node_free (n);
      return NULL;
    }
  {
    Node *c = go_node_new (N_CHAIN, n->line, n->col);

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
  go_node_free (cmd);
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
  go_node_free (pipe);
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
            go_node_free (n);
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
                go_node_free (body);
                go_node_free (n);
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
            go_node_free (n);
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
  Node *list = go_node_new (N_LIST, 0, 0);

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
  go_node_free (list);
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

          n->else_list = go_node_new (N_LIST, 0, 0);
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
  go_node_free (n);
  return NULL;
}

static Node *
parse_root (Parser *ps)
{
  Node *root = go_node_new (N_LIST, 0, 0);

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
              go_node_free (body);
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
  go_node_free (root);
  return NULL;
}


Node *
go_parse (const char *source, GHashTable **defines, GError **error)
{
  g_autoptr (GArray) toks = go_lex (source);
  Parser ps = { 0 };
  Node *root;

  ps.src = source;
  ps.toks = (Tok *) toks->data;
  ps.n = toks->len;
  ps.vars = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (ps.vars, g_strdup ("$"));
  ps.defines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, go_node_free);
  root = parse_root (&ps);
  for (guint i = 0; i < toks->len; i++)
    g_free (g_array_index (toks, Tok, i).msg);
  g_ptr_array_unref (ps.vars);
  if (root == NULL)
    {
      g_hash_table_unref (ps.defines);
      g_propagate_error (error, ps.error);
      return NULL;
    }
  *defines = ps.defines;
  return root;
}
