/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Jinja parser: tokens to a syntax tree, with jinja2's grammar and
 * operator precedence. Every node lives in the template's pool; a syntax
 * error unwinds with longjmp to tpl_parse(), which reports it with its line.
 */

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-lexer.h"

#define PARSE_MAX_DEPTH 200

typedef struct {
  ember_pool *pool;
  tpl_token *tokens;
  size_t n_tokens, pos;
  int depth;
  int loops;           /* enclosing for loops, for break/continue */
  jmp_buf fail;
  ember_error *error;
} parser;

static void parse_fail (parser     *p,
                        int         line,
                        const char *format,
                        ...) EMBER_PRINTF (3, 4);

static void
parse_fail (parser     *p,
            int         line,
            const char *format,
            ...)
{
  char message[400];
  va_list args;

  va_start (args, format);
  vsnprintf (message, sizeof message, format, args);
  va_end (args);
  ember_error_set (p->error, EMBER_ERROR_INVALID_ARGUMENT, "line %d: %s", line, message);
  longjmp (p->fail, 1);
}

static void *
palloc (parser *p,
        size_t  size)
{
  void *mem = pool_alloc (p->pool, size);

  if (mem == NULL)
    {
      ember_error_set (p->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      longjmp (p->fail, 1);
    }
  return mem;
}

static const char *
pstrdup (parser     *p,
         const char *s,
         size_t      len)
{
  char *copy = palloc (p, len + 1);

  memcpy (copy, s, len);
  copy[len] = '\0';
  return copy;
}

static tpl_node *
new_node (parser       *p,
          tpl_node_kind kind,
          int           line)
{
  tpl_node *n = palloc (p, sizeof *n);

  n->kind = kind;
  n->line = line;
  return n;
}

/* A growable array of node pointers (and names) in the pool. */
typedef struct {
  tpl_node **items;
  const char **names;
  size_t len, cap;
} node_vec;

static void
vec_push (parser     *p,
          node_vec   *v,
          tpl_node   *item,
          const char *name)
{
  if (v->len == v->cap)
    {
      size_t cap = v->cap < 4 ? 4 : v->cap * 2;
      tpl_node **items = palloc (p, cap * sizeof *items);
      const char **names = palloc (p, cap * sizeof *names);

      if (v->len > 0)
        {
          memcpy (items, v->items, v->len * sizeof *items);
          memcpy (names, v->names, v->len * sizeof *names);
        }
      v->items = items;
      v->names = names;
      v->cap = cap;
    }
  v->items[v->len] = item;
  v->names[v->len] = name;
  v->len++;
}

/* ---- tokens ---------------------------------------------------------------- */

static tpl_token *
cur (parser *p)
{
  return &p->tokens[p->pos];
}

static tpl_token *
peek (parser *p,
      size_t  ahead)
{
  size_t i = p->pos + ahead;

  return &p->tokens[i < p->n_tokens ? i : p->n_tokens - 1];
}

static void
advance (parser *p)
{
  if (p->pos + 1 < p->n_tokens)
    p->pos++;
}

static bool
tok_is (const tpl_token *t,
        tpl_token_type   type,
        const char      *text)
{
  if (t->type != type)
    return false;
  return text == NULL || (t->len == strlen (text) && memcmp (t->s, text, t->len) == 0);
}

static bool
is_op (parser     *p,
       const char *op)
{
  return tok_is (cur (p), TOK_OPERATOR, op);
}

static bool
is_name (parser     *p,
         const char *name)
{
  return tok_is (cur (p), TOK_NAME, name);
}

static bool
skip_op (parser     *p,
         const char *op)
{
  if (!is_op (p, op))
    return false;
  advance (p);
  return true;
}

static bool
skip_name (parser     *p,
           const char *name)
{
  if (!is_name (p, name))
    return false;
  advance (p);
  return true;
}

static const char *
describe (const tpl_token *t)
{
  switch (t->type)
    {
    case TOK_EOF:
      return "end of template";
    case TOK_VAR_END:
      return "end of print statement";
    case TOK_BLOCK_END:
      return "end of statement block";
    case TOK_STRING:
      return "string";
    case TOK_INTEGER:
      return "integer";
    case TOK_FLOAT:
      return "float";
    case TOK_DATA:
      return "template data";
    default:
      return NULL;
    }
}

static void
fail_unexpected (parser     *p,
                 const char *expected)
{
  tpl_token *t = cur (p);
  const char *what = describe (t);

  if (what != NULL)
    parse_fail (p, t->line, "expected %s, got %s", expected, what);
  parse_fail (p, t->line, "expected %s, got “%.*s”", expected, (int) (t->len > 40 ? 40 : t->len), t->s);
}

static void
expect_op (parser     *p,
           const char *op)
{
  char what[16];

  if (skip_op (p, op))
    return;
  snprintf (what, sizeof what, "“%s”", op);
  fail_unexpected (p, what);
}

static const char *
expect_name (parser *p)
{
  tpl_token *t = cur (p);

  if (t->type != TOK_NAME)
    fail_unexpected (p, "a name");
  advance (p);
  return pstrdup (p, t->s, t->len);
}

static void
expect_block_end (parser *p)
{
  if (cur (p)->type != TOK_BLOCK_END)
    fail_unexpected (p, "“%}”");
  advance (p);
}

static void
enter (parser *p)
{
  if (++p->depth > PARSE_MAX_DEPTH)
    parse_fail (p, cur (p)->line, "the template is nested too deeply");
}

/* ---- expressions -------------------------------------------------------------- */

static tpl_node *parse_expression (parser *p, bool with_condexpr);
static tpl_node *parse_unary (parser *p, bool with_filter);
static tpl_node *parse_postfix (parser *p, tpl_node *node);
static tpl_node *parse_primary (parser *p);

static bool
is_tuple_end (parser            *p,
              const char *const *extra_end)
{
  tpl_token *t = cur (p);

  if (t->type == TOK_VAR_END || t->type == TOK_BLOCK_END || t->type == TOK_EOF || is_op (p, ")"))
    return true;
  for (; extra_end != NULL && *extra_end != NULL; extra_end++)
    if (is_name (p, *extra_end))
      return true;
  return false;
}

static tpl_node *
parse_tuple (parser            *p,
             bool               simplified,
             bool               with_condexpr,
             const char *const *extra_end,
             bool               explicit_parens)
{
  int line = cur (p)->line;
  node_vec items = { 0 };
  bool is_tuple = false;
  tpl_node *n;

  for (;;)
    {
      if (items.len > 0)
        expect_op (p, ",");
      if (is_tuple_end (p, extra_end))
        break;
      if (simplified)
        vec_push (p, &items, parse_primary (p), NULL);
      else
        vec_push (p, &items, parse_expression (p, with_condexpr), NULL);
      if (is_op (p, ","))
        is_tuple = true;
      else
        break;
    }

  if (!is_tuple)
    {
      if (items.len > 0)
        return items.items[0];
      if (!explicit_parens)
        fail_unexpected (p, "an expression");
    }
  n = new_node (p, N_TUPLE, line);
  n->items = items.items;
  n->n_items = items.len;
  return n;
}

static void
parse_call_args (parser   *p,
                 tpl_node *n)
{
  node_vec args = { 0 };
  bool seen_keyword = false;

  expect_op (p, "(");
  while (!is_op (p, ")"))
    {
      if (args.len > 0)
        {
          expect_op (p, ",");
          if (is_op (p, ")"))
            break;
        }
      if (is_op (p, "*") || is_op (p, "**"))
        parse_fail (p, cur (p)->line, "*args and **kwargs in calls are not supported");
      if (cur (p)->type == TOK_NAME && tok_is (peek (p, 1), TOK_OPERATOR, "="))
        {
          const char *name = expect_name (p);

          advance (p);
          vec_push (p, &args, parse_expression (p, true), name);
          seen_keyword = true;
        }
      else
        {
          if (seen_keyword)
            parse_fail (p, cur (p)->line, "positional argument after a keyword argument");
          vec_push (p, &args, parse_expression (p, true), NULL);
        }
    }
  expect_op (p, ")");
  n->items = args.items;
  n->names = args.names;
  n->n_items = args.len;
  n->n_names = args.len;
}

static tpl_node *
parse_filter (parser   *p,
              tpl_node *operand,
              bool      start_inline)
{
  while (is_op (p, "|") || start_inline)
    {
      int line = cur (p)->line;
      tpl_node *f;

      if (!start_inline)
        advance (p);
      start_inline = false;
      f = new_node (p, N_FILTER, line);
      f->name = expect_name (p);
      while (is_op (p, ".") && peek (p, 1)->type == TOK_NAME)
        {
          const char *more;

          advance (p);
          more = expect_name (p);
          f->name = pstrdup (p, more, strlen (more));   /* dotted names: last part */
        }
      if (!tpl_filter_exists (f->name))
        parse_fail (p, line, "no filter named “%s”", f->name);
      f->a = operand;
      if (is_op (p, "("))
        parse_call_args (p, f);
      operand = f;
    }
  return operand;
}

static tpl_node *
parse_test (parser   *p,
            tpl_node *operand)
{
  int line = cur (p)->line;
  tpl_node *t = new_node (p, N_TEST, line);
  tpl_token *c;

  advance (p);   /* is */
  if (skip_name (p, "not"))
    t->negated = true;
  t->name = expect_name (p);
  while (is_op (p, ".") && peek (p, 1)->type == TOK_NAME)
    {
      advance (p);
      t->name = expect_name (p);
    }
  if (!tpl_test_exists (t->name))
    parse_fail (p, line, "no test named “%s”", t->name);
  t->a = operand;

  c = cur (p);
  if (is_op (p, "("))
    parse_call_args (p, t);
  else if ((c->type == TOK_NAME || c->type == TOK_STRING || c->type == TOK_INTEGER
            || c->type == TOK_FLOAT || is_op (p, "[") || is_op (p, "{"))
           && !is_name (p, "else") && !is_name (p, "or") && !is_name (p, "and"))
    {
      tpl_node *arg;

      if (is_name (p, "is"))
        parse_fail (p, c->line, "you cannot chain multiple tests with is");
      arg = parse_postfix (p, parse_primary (p));
      t->items = palloc (p, sizeof *t->items);
      t->items[0] = arg;
      t->n_items = 1;
    }
  return t;
}

static tpl_node *
parse_filter_expr (parser   *p,
                   tpl_node *node)
{
  for (;;)
    {
      if (is_op (p, "|"))
        node = parse_filter (p, node, false);
      else if (is_name (p, "is"))
        node = parse_test (p, node);
      else if (is_op (p, "("))
        {
          tpl_node *call = new_node (p, N_CALL, cur (p)->line);

          call->a = node;
          parse_call_args (p, call);
          node = call;
        }
      else
        return node;
    }
}

static tpl_node *
parse_subscript (parser   *p,
                 tpl_node *obj)
{
  int line = cur (p)->line;
  tpl_node *args[3] = { NULL, NULL, NULL };
  tpl_node *n;

  advance (p);   /* [ */
  if (is_op (p, ":"))
    advance (p);
  else
    {
      tpl_node *index = parse_expression (p, true);

      if (!is_op (p, ":"))
        {
          expect_op (p, "]");
          n = new_node (p, N_GETITEM, line);
          n->a = obj;
          n->b = index;
          return n;
        }
      advance (p);
      args[0] = index;
    }
  if (!is_op (p, "]") && !is_op (p, ":"))
    args[1] = parse_expression (p, true);
  if (skip_op (p, ":") && !is_op (p, "]"))
    args[2] = parse_expression (p, true);
  expect_op (p, "]");

  n = new_node (p, N_SLICE, line);
  n->a = obj;
  n->items = palloc (p, 3 * sizeof *n->items);
  memcpy (n->items, args, sizeof args);
  n->n_items = 3;
  return n;
}

static tpl_node *
parse_postfix (parser   *p,
               tpl_node *node)
{
  for (;;)
    {
      int line = cur (p)->line;

      if (is_op (p, "."))
        {
          tpl_token *t;
          tpl_node *n;

          advance (p);
          t = cur (p);
          if (t->type == TOK_NAME)
            {
              n = new_node (p, N_GETATTR, line);
              n->a = node;
              n->name = expect_name (p);
            }
          else if (t->type == TOK_INTEGER)
            {
              n = new_node (p, N_GETITEM, line);
              n->a = node;
              n->b = new_node (p, N_LITERAL, line);
              n->b->value = pv_int (p->pool, t->ival);
              if (n->b->value == NULL)
                palloc (p, SIZE_MAX);
              advance (p);
            }
          else
            fail_unexpected (p, "a name or number");
          node = n;
        }
      else if (is_op (p, "["))
        node = parse_subscript (p, node);
      else if (is_op (p, "("))
        {
          tpl_node *call = new_node (p, N_CALL, line);

          call->a = node;
          parse_call_args (p, call);
          node = call;
        }
      else
        return node;
    }
}

static tpl_node *
literal (parser      *p,
         int          line,
         ember_value *v)
{
  tpl_node *n = new_node (p, N_LITERAL, line);

  if (v == NULL)
    palloc (p, SIZE_MAX);   /* reports the exhausted pool */
  n->value = v;
  return n;
}

static tpl_node *
parse_primary (parser *p)
{
  tpl_token *t = cur (p);
  int line = t->line;
  tpl_node *n;

  enter (p);
  switch (t->type)
    {
    case TOK_NAME:
      if (tok_is (t, TOK_NAME, "true") || tok_is (t, TOK_NAME, "True"))
        n = literal (p, line, pv_bool (p->pool, true));
      else if (tok_is (t, TOK_NAME, "false") || tok_is (t, TOK_NAME, "False"))
        n = literal (p, line, pv_bool (p->pool, false));
      else if (tok_is (t, TOK_NAME, "none") || tok_is (t, TOK_NAME, "None"))
        n = literal (p, line, pv_new (p->pool, EMBER_VALUE_NULL));
      else
        {
          n = new_node (p, N_NAME, line);
          n->name = pstrdup (p, t->s, t->len);
        }
      advance (p);
      break;
    case TOK_STRING:
      {
        tpl_buf b = { 0 };

        while (cur (p)->type == TOK_STRING)
          {
            buf_append (&b, cur (p)->s, cur (p)->len);
            advance (p);
          }
        if (b.failed)
          {
            buf_free (&b);
            palloc (p, SIZE_MAX);
          }
        n = literal (p, line, pv_string (p->pool, b.data != NULL ? b.data : "", b.len));
        buf_free (&b);
      }
      break;
    case TOK_INTEGER:
      n = literal (p, line, pv_int (p->pool, t->ival));
      advance (p);
      break;
    case TOK_FLOAT:
      n = literal (p, line, pv_float (p->pool, t->fval));
      advance (p);
      break;
    case TOK_OPERATOR:
      if (skip_op (p, "("))
        {
          n = parse_tuple (p, false, true, NULL, true);
          expect_op (p, ")");
        }
      else if (skip_op (p, "["))
        {
          node_vec items = { 0 };

          n = new_node (p, N_LIST, line);
          while (!is_op (p, "]"))
            {
              if (items.len > 0)
                expect_op (p, ",");
              if (is_op (p, "]"))
                break;
              vec_push (p, &items, parse_expression (p, true), NULL);
            }
          expect_op (p, "]");
          n->items = items.items;
          n->n_items = items.len;
        }
      else if (skip_op (p, "{"))
        {
          node_vec items = { 0 };

          n = new_node (p, N_DICT, line);
          while (!is_op (p, "}"))
            {
              if (items.len > 0)
                expect_op (p, ",");
              if (is_op (p, "}"))
                break;
              vec_push (p, &items, parse_expression (p, true), NULL);
              expect_op (p, ":");
              vec_push (p, &items, parse_expression (p, true), NULL);
            }
          expect_op (p, "}");
          n->items = items.items;
          n->n_items = items.len;
        }
      else
        fail_unexpected (p, "an expression");
      break;
    default:
      fail_unexpected (p, "an expression");
    }
  p->depth--;
  return n;
}

static tpl_node *
parse_unary (parser *p,
             bool    with_filter)
{
  int line = cur (p)->line;
  tpl_node *n;

  enter (p);
  if (skip_op (p, "-"))
    {
      n = new_node (p, N_NEG, line);
      n->a = parse_unary (p, false);
    }
  else if (skip_op (p, "+"))
    {
      n = new_node (p, N_POS, line);
      n->a = parse_unary (p, false);
    }
  else
    n = parse_postfix (p, parse_primary (p));
  if (with_filter)
    n = parse_filter_expr (p, n);
  p->depth--;
  return n;
}

static tpl_node *
binop (parser   *p,
       tpl_op    op,
       tpl_node *a,
       tpl_node *b,
       int       line)
{
  tpl_node *n = new_node (p, N_BINOP, line);

  n->op = op;
  n->a = a;
  n->b = b;
  return n;
}

static tpl_node *
parse_pow (parser *p)
{
  tpl_node *left = parse_unary (p, true);

  while (is_op (p, "**"))
    {
      int line = cur (p)->line;

      advance (p);
      left = binop (p, OP_POW, left, parse_unary (p, true), line);
    }
  return left;
}

static tpl_node *
parse_math2 (parser *p)
{
  tpl_node *left = parse_pow (p);

  for (;;)
    {
      int line = cur (p)->line;
      tpl_op op;

      if (is_op (p, "*"))
        op = OP_MUL;
      else if (is_op (p, "/"))
        op = OP_DIV;
      else if (is_op (p, "//"))
        op = OP_FLOORDIV;
      else if (is_op (p, "%"))
        op = OP_MOD;
      else
        return left;
      advance (p);
      left = binop (p, op, left, parse_pow (p), line);
    }
}

static tpl_node *
parse_concat (parser *p)
{
  int line = cur (p)->line;
  tpl_node *first = parse_math2 (p);
  node_vec items = { 0 };
  tpl_node *n;

  if (!is_op (p, "~"))
    return first;
  vec_push (p, &items, first, NULL);
  while (skip_op (p, "~"))
    vec_push (p, &items, parse_math2 (p), NULL);
  n = new_node (p, N_CONCAT, line);
  n->items = items.items;
  n->n_items = items.len;
  return n;
}

static tpl_node *
parse_math1 (parser *p)
{
  tpl_node *left = parse_concat (p);

  for (;;)
    {
      int line = cur (p)->line;
      tpl_op op;

      if (is_op (p, "+"))
        op = OP_ADD;
      else if (is_op (p, "-"))
        op = OP_SUB;
      else
        return left;
      advance (p);
      left = binop (p, op, left, parse_concat (p), line);
    }
}

static tpl_node *
parse_compare (parser *p)
{
  int line = cur (p)->line;
  tpl_node *expr = parse_math1 (p);
  node_vec operands = { 0 };
  tpl_op ops[64];
  tpl_node *n;

  for (;;)
    {
      tpl_op op;

      if (is_op (p, "=="))
        op = OP_EQ;
      else if (is_op (p, "!="))
        op = OP_NE;
      else if (is_op (p, "<"))
        op = OP_LT;
      else if (is_op (p, "<="))
        op = OP_LE;
      else if (is_op (p, ">"))
        op = OP_GT;
      else if (is_op (p, ">="))
        op = OP_GE;
      else if (is_name (p, "in"))
        op = OP_IN;
      else if (is_name (p, "not") && tok_is (peek (p, 1), TOK_NAME, "in"))
        {
          advance (p);
          op = OP_NOTIN;
        }
      else
        break;
      advance (p);
      if (operands.len >= sizeof ops / sizeof ops[0])
        parse_fail (p, line, "too many chained comparisons");
      ops[operands.len] = op;
      vec_push (p, &operands, parse_math1 (p), NULL);
    }
  if (operands.len == 0)
    return expr;

  n = new_node (p, N_COMPARE, line);
  n->a = expr;
  n->items = operands.items;
  n->n_items = operands.len;
  n->ops = palloc (p, operands.len * sizeof *n->ops);
  memcpy (n->ops, ops, operands.len * sizeof *n->ops);
  return n;
}

static tpl_node *
parse_not (parser *p)
{
  int line = cur (p)->line;

  if (skip_name (p, "not"))
    {
      tpl_node *n = new_node (p, N_NOT, line);

      enter (p);
      n->a = parse_not (p);
      p->depth--;
      return n;
    }
  return parse_compare (p);
}

static tpl_node *
parse_and (parser *p)
{
  tpl_node *left = parse_not (p);

  while (is_name (p, "and"))
    {
      tpl_node *n = new_node (p, N_AND, cur (p)->line);

      advance (p);
      n->a = left;
      n->b = parse_not (p);
      left = n;
    }
  return left;
}

static tpl_node *
parse_or (parser *p)
{
  tpl_node *left = parse_and (p);

  while (is_name (p, "or"))
    {
      tpl_node *n = new_node (p, N_OR, cur (p)->line);

      advance (p);
      n->a = left;
      n->b = parse_and (p);
      left = n;
    }
  return left;
}

static tpl_node *
parse_condexpr (parser *p)
{
  tpl_node *expr = parse_or (p);

  while (is_name (p, "if"))
    {
      tpl_node *n = new_node (p, N_COND, cur (p)->line);

      advance (p);
      n->a = expr;
      n->b = parse_or (p);
      if (skip_name (p, "else"))
        {
          enter (p);
          n->c = parse_condexpr (p);
          p->depth--;
        }
      expr = n;
    }
  return expr;
}

static tpl_node *
parse_expression (parser *p,
                  bool    with_condexpr)
{
  tpl_node *n;

  enter (p);
  n = with_condexpr ? parse_condexpr (p) : parse_or (p);
  p->depth--;
  return n;
}

/* ---- statements ------------------------------------------------------------------ */

static tpl_node *parse_statement (parser *p);

/* Parses statements until a block tag named in @end (left as the current
 * token) or the end of the template. */
static tpl_node *
subparse (parser            *p,
          const char *const *end)
{
  tpl_node *body = new_node (p, N_BODY, cur (p)->line);
  node_vec items = { 0 };

  enter (p);
  for (;;)
    {
      tpl_token *t = cur (p);

      if (t->type == TOK_EOF)
        {
          if (end != NULL)
            {
              char names[200] = "";

              for (const char *const *e = end; *e != NULL; e++)
                {
                  if (names[0] != '\0')
                    strncat (names, " or ", sizeof names - strlen (names) - 1);
                  strncat (names, "“", sizeof names - strlen (names) - 1);
                  strncat (names, *e, sizeof names - strlen (names) - 1);
                  strncat (names, "”", sizeof names - strlen (names) - 1);
                }
              parse_fail (p, t->line, "unexpected end of template; expected %s", names);
            }
          break;
        }
      if (t->type == TOK_DATA)
        {
          tpl_node *n = new_node (p, N_TEXT, t->line);

          n->text = t->s;
          n->text_len = t->len;
          vec_push (p, &items, n, NULL);
          advance (p);
        }
      else if (t->type == TOK_VAR_BEGIN)
        {
          tpl_node *n = new_node (p, N_OUTPUT, t->line);

          advance (p);
          n->a = parse_tuple (p, false, true, NULL, false);
          if (cur (p)->type != TOK_VAR_END)
            fail_unexpected (p, "“}}”");
          advance (p);
          vec_push (p, &items, n, NULL);
        }
      else if (t->type == TOK_BLOCK_BEGIN)
        {
          bool at_end = false;

          advance (p);
          for (const char *const *e = end; e != NULL && *e != NULL; e++)
            if (is_name (p, *e))
              at_end = true;
          if (at_end)
            break;
          vec_push (p, &items, parse_statement (p), NULL);
        }
      else
        fail_unexpected (p, "template data");
    }
  body->items = items.items;
  body->n_items = items.len;
  p->depth--;
  return body;
}

/* A target of for or set: a name, a tuple of names, or (for set) ns.attr. */
static void
parse_targets (parser     *p,
               node_vec   *names,
               const char *stop)
{
  bool parens = skip_op (p, "(");

  do
    {
      if (stop != NULL && is_name (p, stop) && !parens)
        break;
      vec_push (p, names, NULL, expect_name (p));
    }
  while (skip_op (p, ",") && !(parens && is_op (p, ")")));
  if (parens)
    expect_op (p, ")");
  if (names->len == 0)
    fail_unexpected (p, "a name");
}

static tpl_node *
parse_if (parser *p,
          int     line)
{
  static const char *const end[] = { "elif", "else", "endif", NULL };
  static const char *const endif[] = { "endif", NULL };
  tpl_node *n = new_node (p, N_IF, line);

  n->a = parse_tuple (p, false, false, NULL, false);
  expect_block_end (p);
  n->b = subparse (p, end);
  if (is_name (p, "elif"))
    {
      int elif_line = cur (p)->line;

      advance (p);
      enter (p);
      n->c = parse_if (p, elif_line);
      p->depth--;
      return n;
    }
  if (skip_name (p, "else"))
    {
      expect_block_end (p);
      n->c = subparse (p, endif);
    }
  advance (p);   /* endif */
  expect_block_end (p);
  return n;
}

static tpl_node *
parse_for (parser *p,
           int     line)
{
  static const char *const end[] = { "endfor", "else", NULL };
  static const char *const endfor[] = { "endfor", NULL };
  static const char *const iter_end[] = { "recursive", NULL };
  tpl_node *n = new_node (p, N_FOR, line);
  node_vec names = { 0 };

  parse_targets (p, &names, "in");
  n->names = names.names;
  n->n_names = names.len;
  if (!skip_name (p, "in"))
    fail_unexpected (p, "“in”");
  n->a = parse_tuple (p, false, false, iter_end, false);
  if (skip_name (p, "if"))
    n->d = parse_expression (p, true);
  if (is_name (p, "recursive"))
    parse_fail (p, cur (p)->line, "recursive loops are not supported");
  expect_block_end (p);
  p->loops++;
  n->b = subparse (p, end);
  p->loops--;
  if (skip_name (p, "else"))
    {
      expect_block_end (p);
      n->c = subparse (p, endfor);
    }
  advance (p);   /* endfor */
  expect_block_end (p);
  return n;
}

static tpl_node *
parse_set (parser *p,
           int     line)
{
  static const char *const endset[] = { "endset", NULL };
  node_vec names = { 0 };
  tpl_node *n;

  if (cur (p)->type == TOK_NAME && tok_is (peek (p, 1), TOK_OPERATOR, ".")
      && peek (p, 2)->type == TOK_NAME)
    {
      n = new_node (p, N_SET_ATTR, line);
      n->name = expect_name (p);
      advance (p);
      n->attr = expect_name (p);
      expect_op (p, "=");
      n->a = parse_tuple (p, false, true, NULL, false);
      expect_block_end (p);
      return n;
    }

  parse_targets (p, &names, NULL);
  if (skip_op (p, "="))
    {
      n = new_node (p, N_SET, line);
      n->names = names.names;
      n->n_names = names.len;
      n->a = parse_tuple (p, false, true, NULL, false);
      expect_block_end (p);
      return n;
    }

  if (names.len != 1)
    fail_unexpected (p, "“=”");
  n = new_node (p, N_SET_BLOCK, line);
  n->name = names.names[0];
  if (is_op (p, "|"))
    n->c = parse_filter (p, NULL, false);
  expect_block_end (p);
  n->b = subparse (p, endset);
  advance (p);
  expect_block_end (p);
  return n;
}

/* Macro and call-block parameters: (a, b=default, …). */
static void
parse_signature (parser   *p,
                 tpl_node *n)
{
  node_vec params = { 0 };

  expect_op (p, "(");
  while (!is_op (p, ")"))
    {
      const char *name;
      tpl_node *def = NULL;

      if (params.len > 0)
        expect_op (p, ",");
      name = expect_name (p);
      if (skip_op (p, "="))
        def = parse_expression (p, true);
      else if (params.len > 0 && params.items[params.len - 1] != NULL)
        parse_fail (p, cur (p)->line, "non-default argument follows default argument");
      vec_push (p, &params, def, name);
    }
  expect_op (p, ")");
  n->names = params.names;
  n->items = params.items;
  n->n_names = params.len;
  n->n_items = params.len;
}

static tpl_node *
parse_statement (parser *p)
{
  static const char *const endmacro[] = { "endmacro", NULL };
  static const char *const endcall[] = { "endcall", NULL };
  static const char *const endfilter[] = { "endfilter", NULL };
  static const char *const endgeneration[] = { "endgeneration", NULL };
  static const char *const endwith[] = { "endwith", NULL };
  tpl_token *t = cur (p);
  int line = t->line;
  tpl_node *n;

  if (t->type != TOK_NAME)
    fail_unexpected (p, "a statement name");
  enter (p);
  advance (p);

  if (tok_is (t, TOK_NAME, "if"))
    n = parse_if (p, line);
  else if (tok_is (t, TOK_NAME, "for"))
    n = parse_for (p, line);
  else if (tok_is (t, TOK_NAME, "set"))
    n = parse_set (p, line);
  else if (tok_is (t, TOK_NAME, "macro"))
    {
      int loops = p->loops;

      n = new_node (p, N_MACRO, line);
      n->name = expect_name (p);
      parse_signature (p, n);
      expect_block_end (p);
      p->loops = 0;
      n->b = subparse (p, endmacro);
      p->loops = loops;
      advance (p);
      expect_block_end (p);
    }
  else if (tok_is (t, TOK_NAME, "call"))
    {
      int loops = p->loops;

      n = new_node (p, N_CALL_BLOCK, line);
      if (is_op (p, "("))
        parse_signature (p, n);
      n->a = parse_expression (p, true);
      if (n->a->kind != N_CALL)
        parse_fail (p, line, "expected a call");
      expect_block_end (p);
      p->loops = 0;
      n->b = subparse (p, endcall);
      p->loops = loops;
      advance (p);
      expect_block_end (p);
    }
  else if (tok_is (t, TOK_NAME, "filter"))
    {
      n = new_node (p, N_FILTER_BLOCK, line);
      n->c = parse_filter (p, NULL, true);
      expect_block_end (p);
      n->b = subparse (p, endfilter);
      advance (p);
      expect_block_end (p);
    }
  else if (tok_is (t, TOK_NAME, "generation"))
    {
      /* transformers' AssistantTracker marks assistant text; rendering is
       * unchanged, so the block is just its body. */
      expect_block_end (p);
      n = subparse (p, endgeneration);
      advance (p);
      expect_block_end (p);
    }
  else if (tok_is (t, TOK_NAME, "with"))
    {
      node_vec targets = { 0 };

      n = new_node (p, N_WITH, line);
      while (cur (p)->type != TOK_BLOCK_END)
        {
          const char *name;

          if (targets.len > 0)
            expect_op (p, ",");
          name = expect_name (p);
          expect_op (p, "=");
          vec_push (p, &targets, parse_expression (p, true), name);
        }
      n->names = targets.names;
      n->items = targets.items;
      n->n_names = n->n_items = targets.len;
      expect_block_end (p);
      n->b = subparse (p, endwith);
      advance (p);
      expect_block_end (p);
    }
  else if (tok_is (t, TOK_NAME, "break") || tok_is (t, TOK_NAME, "continue"))
    {
      bool is_break = tok_is (t, TOK_NAME, "break");

      if (p->loops == 0)
        parse_fail (p, line, "“%s” outside of a loop", is_break ? "break" : "continue");
      n = new_node (p, is_break ? N_BREAK : N_CONTINUE, line);
      expect_block_end (p);
    }
  else
    parse_fail (p, line, "unknown tag “%.*s”", (int) (t->len > 40 ? 40 : t->len), t->s);

  p->depth--;
  return n;
}

tpl_node *
tpl_parse (ember_pool  *pool,
           const char  *source,
           size_t       len,
           ember_error *error)
{
  parser p = { 0 };
  tpl_node *volatile root = NULL;

  p.pool = pool;
  p.error = error;
  if (!tpl_lex (pool, source, len, &p.tokens, &p.n_tokens, error))
    return NULL;

  if (setjmp (p.fail) == 0)
    root = subparse (&p, NULL);
  else
    root = NULL;

  free (p.tokens);
  return root;
}
