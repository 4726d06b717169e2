/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Jinja interpreter: runs a parsed template's statements and expressions
 * with jinja2's scoping (a for loop's body is a new scope each iteration,
 * a macro runs in a scope of its own; if blocks share their parent's), and
 * the public API. Filters, tests, methods and operators live in
 * ember-template-builtins.c and ember-template-ops.c.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-template-private.h"

#define DEFAULT_MAX_OUTPUT (16u * 1024 * 1024)
#define DEFAULT_MAX_MEMORY (256u * 1024 * 1024)
#define DEFAULT_MAX_STEPS 10000000u
#define DEFAULT_MAX_DEPTH 64u

typedef enum {
  EXEC_OK,
  EXEC_ERROR,
  EXEC_BREAK,
  EXEC_CONTINUE,
} exec_status;

static const char default_template[] =
  "{%- for message in messages %}"
  "{{- '<|im_start|>' + message['role'] + '\\n' }}"
  "{%- if message['content'] is string %}"
  "{{- message['content'] }}"
  "{%- else %}"
  "{%- for part in message['content'] %}"
  "{%- if part['type'] == 'text' %}{{- part['text'] }}{%- endif %}"
  "{%- endfor %}"
  "{%- endif %}"
  "{{- '<|im_end|>\\n' }}"
  "{%- endfor %}"
  "{%- if add_generation_prompt %}"
  "{{- '<|im_start|>assistant\\n' }}"
  "{%- endif %}";

static ember_value *eval (tpl_render *r, tpl_scope *scope, const tpl_node *n);
static exec_status exec (tpl_render *r, tpl_scope *scope, const tpl_node *n);

/* ---- errors and small values ----------------------------------------------------- */

ember_value *
tpl_fail (tpl_render *r,
          const char *format,
          ...)
{
  char message[EMBER_ERROR_MESSAGE_MAX];
  va_list args;

  if (r->failed)
    return NULL;
  r->failed = true;
  va_start (args, format);
  vsnprintf (message, sizeof message, format, args);
  va_end (args);
  ember_error_set (r->error, EMBER_ERROR_INVALID_ARGUMENT, "line %d: %s", r->line, message);
  return NULL;
}

ember_value *
tpl_oom (tpl_render *r)
{
  if (r->pool.exhausted && r->pool.used + 4096 < r->pool.limit)
    return tpl_fail (r, "out of memory");
  return tpl_fail (r, "the template used more memory than its limit (%zu bytes)", r->pool.limit);
}

ember_value *
tpl_undefined (tpl_render *r,
               const char *hint)
{
  ember_value *v = pv_new (&r->pool, EMBER_VALUE_UNDEFINED);

  if (v == NULL)
    return tpl_oom (r);
  v->u.undef.hint = hint;
  return v;
}

ember_value *
tpl_none (tpl_render *r)
{
  ember_value *v = pv_new (&r->pool, EMBER_VALUE_NULL);

  return v != NULL ? v : tpl_oom (r);
}

ember_value *
tpl_string (tpl_render *r,
            const char *s,
            size_t      len)
{
  ember_value *v = pv_string (&r->pool, s, len);

  return v != NULL ? v : tpl_oom (r);
}

ember_value *
tpl_str_of (tpl_render        *r,
            const ember_value *v)
{
  tpl_buf b = { 0 };
  ember_value *s;

  if (v->kind == EMBER_VALUE_STRING)
    return (ember_value *) v;
  b.limit = r->options.max_output;
  value_write_str (&b, v);
  if (b.failed)
    {
      buf_free (&b);
      return tpl_fail (r, "a string grew over the output limit");
    }
  s = tpl_string (r, b.data != NULL ? b.data : "", b.len);
  buf_free (&b);
  return s;
}

ember_value *
tpl_callable (tpl_render        *r,
              const char        *name,
              tpl_callable_fn    fn,
              ember_value       *self,
              const void        *data)
{
  ember_value *v = pv_new (&r->pool, EMBER_VALUE_CALLABLE);

  if (v == NULL)
    return tpl_oom (r);
  v->u.call.fn = fn;
  v->u.call.name = name;
  v->u.call.self = self;
  v->u.call.data = data;
  return v;
}

static bool
count_step (tpl_render *r)
{
  if (++r->steps > r->options.max_steps)
    {
      tpl_fail (r, "the template ran more than %llu loop iterations and calls",
                (unsigned long long) r->options.max_steps);
      return false;
    }
  return true;
}

/* ---- scopes -------------------------------------------------------------------------- */

static tpl_scope *
scope_new (tpl_render *r,
           tpl_scope  *parent)
{
  tpl_scope *s = pool_alloc (&r->pool, sizeof *s);

  if (s == NULL || (s->vars = pv_dict (&r->pool, 0)) == NULL)
    {
      tpl_oom (r);
      return NULL;
    }
  s->parent = parent;
  return s;
}

static bool
scope_set (tpl_render *r,
           tpl_scope  *scope,
           const char *name,
           ember_value *value)
{
  ember_value *key = pv_string (&r->pool, name, strlen (name));

  if (key == NULL || !pv_dict_set (&r->pool, scope->vars, key, value))
    {
      tpl_oom (r);
      return false;
    }
  return true;
}

static ember_value *
lookup (tpl_render *r,
        tpl_scope  *scope,
        const char *name)
{
  size_t len = strlen (name);
  ember_value *v;

  for (tpl_scope *s = scope; s != NULL; s = s->parent)
    if ((v = value_dict_lookup_str (s->vars, name, len)) != NULL)
      return v;
  if (r->context != NULL && (v = value_dict_lookup_str (r->context, name, len)) != NULL)
    return (ember_value *) v;
  v = tpl_global (r, name);
  if (v != NULL || r->failed)
    return v;
  return tpl_undefined (r, name);
}

/* ---- expressions ------------------------------------------------------------------------ */

static bool
eval_args (tpl_render    *r,
           tpl_scope     *scope,
           const tpl_node *n,
           ember_value  ***args,
           size_t         *n_args,
           const char   ***kw_names,
           ember_value  ***kw_values,
           size_t         *n_kw,
           size_t          extra_kw)
{
  size_t total = n->n_items + extra_kw + 1;

  *args = pool_alloc (&r->pool, total * sizeof **args);
  *kw_names = pool_alloc (&r->pool, total * sizeof **kw_names);
  *kw_values = pool_alloc (&r->pool, total * sizeof **kw_values);
  *n_args = *n_kw = 0;
  if (*args == NULL || *kw_names == NULL || *kw_values == NULL)
    {
      tpl_oom (r);
      return false;
    }
  for (size_t i = 0; i < n->n_items; i++)
    {
      ember_value *v = eval (r, scope, n->items[i]);

      if (v == NULL)
        return false;
      if (n->names != NULL && n->names[i] != NULL)
        {
          (*kw_names)[*n_kw] = n->names[i];
          (*kw_values)[(*n_kw)++] = v;
        }
      else
        (*args)[(*n_args)++] = v;
    }
  return true;
}

static ember_value *
eval_slice (tpl_render    *r,
            tpl_scope     *scope,
            const tpl_node *n)
{
  ember_value *obj = eval (r, scope, n->a);
  int64_t bounds[3] = { 0, 0, 1 };
  bool given[3] = { false, false, false };
  int64_t len, start, stop, step;
  ember_value *out;

  if (obj == NULL)
    return NULL;
  for (int i = 0; i < 3; i++)
    if (n->items[i] != NULL)
      {
        ember_value *v = eval (r, scope, n->items[i]);

        if (v == NULL)
          return NULL;
        if (v->kind == EMBER_VALUE_NULL)
          continue;
        if (v->kind != EMBER_VALUE_INT && v->kind != EMBER_VALUE_BOOL)
          return tpl_undefined (r, "slice indices must be integers");
        bounds[i] = v->kind == EMBER_VALUE_INT ? v->u.i : v->u.b;
        given[i] = true;
      }
  if (obj->kind == EMBER_VALUE_UNDEFINED)
    return tpl_fail (r, "'%s' is undefined", obj->u.undef.hint != NULL ? obj->u.undef.hint : "value");

  step = given[2] ? bounds[2] : 1;
  if (step == 0)
    return tpl_undefined (r, "slice step cannot be zero");

  if (obj->kind == EMBER_VALUE_STRING)
    len = (int64_t) utf8_length (obj->u.s.data, obj->u.s.len);
  else if (obj->kind == EMBER_VALUE_LIST)
    len = (int64_t) obj->u.list.len;
  else
    return tpl_undefined (r, "object is not subscriptable");

  /* Python's slice.indices(). */
  if (step > 0)
    {
      start = given[0] ? bounds[0] : 0;
      stop = given[1] ? bounds[1] : len;
      if (start < 0)
        start = start + len < 0 ? 0 : start + len;
      if (start > len)
        start = len;
      if (stop < 0)
        stop = stop + len < 0 ? 0 : stop + len;
      if (stop > len)
        stop = len;
    }
  else
    {
      start = given[0] ? bounds[0] : len - 1;
      stop = given[1] ? bounds[1] : -1;
      if (given[0])
        {
          if (start < 0)
            start = start + len < 0 ? -1 : start + len;
          if (start >= len)
            start = len - 1;
        }
      if (given[1])
        {
          if (stop < 0)
            stop = stop + len < 0 ? -1 : stop + len;
          if (stop >= len)
            stop = len - 1;
        }
    }

  if (obj->kind == EMBER_VALUE_LIST)
    {
      out = pv_list (&r->pool, 0);
      if (out == NULL)
        return tpl_oom (r);
      out->flags |= obj->flags & VALUE_TUPLE;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        if (!pv_list_push (&r->pool, out, obj->u.list.items[i]))
          return tpl_oom (r);
      return out;
    }

  {
    /* Strings: index by code point. */
    size_t *offsets = pool_alloc (&r->pool, ((size_t) len + 1) * sizeof *offsets);
    tpl_buf b = { 0 };
    size_t k = 0;

    if (offsets == NULL)
      return tpl_oom (r);
    for (size_t i = 0; i < obj->u.s.len;)
      {
        uint32_t cp;

        offsets[k++] = i;
        i += utf8_decode (obj->u.s.data + i, obj->u.s.len - i, &cp);
      }
    offsets[k] = obj->u.s.len;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
      buf_append (&b, obj->u.s.data + offsets[i], offsets[i + 1] - offsets[i]);
    out = b.failed ? tpl_oom (r) : tpl_string (r, b.data != NULL ? b.data : "", b.len);
    buf_free (&b);
    return out;
  }
}

static ember_value *
eval_test (tpl_render    *r,
           tpl_scope     *scope,
           const tpl_node *n)
{
  ember_value *v, **args, **kw_values;
  const char **kw_names;
  size_t n_args, n_kw;
  int result;

  /* `x is defined` must not fail on a missing x. */
  v = eval (r, scope, n->a);
  if (v == NULL)
    return NULL;
  if (!eval_args (r, scope, n, &args, &n_args, &kw_names, &kw_values, &n_kw, 0))
    return NULL;
  r->line = n->line;
  result = tpl_apply_test (r, n->name, v, args, n_args);
  if (result < 0)
    return NULL;
  return tpl_or_oom (r, pv_bool (&r->pool, n->negated ? !result : result));
}

static ember_value *
eval_filter (tpl_render    *r,
             tpl_scope     *scope,
             const tpl_node *n,
             ember_value    *operand)
{
  ember_value *v, **args, **kw_values;
  const char **kw_names;
  size_t n_args, n_kw;

  if (n->a != NULL)
    {
      v = n->a->kind == N_FILTER && operand != NULL ? eval_filter (r, scope, n->a, operand)
                                                     : eval (r, scope, n->a);
    }
  else
    v = operand;
  if (v == NULL)
    return NULL;
  if (!eval_args (r, scope, n, &args, &n_args, &kw_names, &kw_values, &n_kw, 0))
    return NULL;
  r->line = n->line;
  return tpl_apply_filter (r, n->name, v, args, n_args, kw_names, kw_values, n_kw);
}

static ember_value *
eval (tpl_render     *r,
      tpl_scope      *scope,
      const tpl_node *n)
{
  ember_value *a, *b;

  if (r->failed)
    return NULL;
  r->line = n->line;

  switch (n->kind)
    {
    case N_LITERAL:
      return n->value;

    case N_NAME:
      return lookup (r, scope, n->name);

    case N_GETATTR:
      if ((a = eval (r, scope, n->a)) == NULL)
        return NULL;
      r->line = n->line;
      return tpl_getattr (r, a, n->name);

    case N_GETITEM:
      if ((a = eval (r, scope, n->a)) == NULL || (b = eval (r, scope, n->b)) == NULL)
        return NULL;
      r->line = n->line;
      return tpl_getitem (r, a, b);

    case N_SLICE:
      return eval_slice (r, scope, n);

    case N_CALL:
      {
        ember_value **args, **kw_values;
        const char **kw_names;
        size_t n_args, n_kw;

        if ((a = eval (r, scope, n->a)) == NULL)
          return NULL;
        if (!eval_args (r, scope, n, &args, &n_args, &kw_names, &kw_values, &n_kw, 0))
          return NULL;
        r->line = n->line;
        return tpl_call (r, a, args, n_args, kw_names, kw_values, n_kw);
      }

    case N_FILTER:
      return eval_filter (r, scope, n, NULL);

    case N_TEST:
      return eval_test (r, scope, n);

    case N_BINOP:
      if ((a = eval (r, scope, n->a)) == NULL || (b = eval (r, scope, n->b)) == NULL)
        return NULL;
      r->line = n->line;
      return tpl_binop (r, n->op, a, b);

    case N_NEG:
    case N_POS:
      if ((a = eval (r, scope, n->a)) == NULL)
        return NULL;
      r->line = n->line;
      if (a->kind == EMBER_VALUE_INT || a->kind == EMBER_VALUE_BOOL)
        {
          int64_t i = a->kind == EMBER_VALUE_INT ? a->u.i : a->u.b;

          if (n->kind == N_NEG && i == INT64_MIN)
            return tpl_fail (r, "integer overflow");
          return tpl_or_oom (r, pv_int (&r->pool, n->kind == N_NEG ? -i : i));
        }
      if (a->kind == EMBER_VALUE_FLOAT)
        return tpl_or_oom (r, pv_float (&r->pool, n->kind == N_NEG ? -a->u.f : a->u.f));
      if (a->kind == EMBER_VALUE_UNDEFINED)
        return tpl_fail (r, "'%s' is undefined", a->u.undef.hint != NULL ? a->u.undef.hint : "value");
      return tpl_fail (r, "bad operand type for unary %s: '%s'", n->kind == N_NEG ? "-" : "+",
                       value_type_name (a));

    case N_NOT:
      if ((a = eval (r, scope, n->a)) == NULL)
        return NULL;
      return tpl_or_oom (r, pv_bool (&r->pool, !value_is_true (a)));

    case N_AND:
      if ((a = eval (r, scope, n->a)) == NULL)
        return NULL;
      return value_is_true (a) ? eval (r, scope, n->b) : a;

    case N_OR:
      if ((a = eval (r, scope, n->a)) == NULL)
        return NULL;
      return value_is_true (a) ? a : eval (r, scope, n->b);

    case N_COMPARE:
      {
        if ((a = eval (r, scope, n->a)) == NULL)
          return NULL;
        for (size_t i = 0; i < n->n_items; i++)
          {
            int result;

            if ((b = eval (r, scope, n->items[i])) == NULL)
              return NULL;
            r->line = n->line;
            result = tpl_compare (r, n->ops[i], a, b);
            if (result < 0)
              return NULL;
            if (!result)
              return tpl_or_oom (r, pv_bool (&r->pool, false));
            a = b;
          }
        return tpl_or_oom (r, pv_bool (&r->pool, true));
      }

    case N_COND:
      if ((b = eval (r, scope, n->b)) == NULL)
        return NULL;
      if (value_is_true (b))
        return eval (r, scope, n->a);
      if (n->c != NULL)
        return eval (r, scope, n->c);
      return tpl_undefined (r, "the inline if expression on this line evaluated to false and no else section was defined");

    case N_LIST:
    case N_TUPLE:
      {
        ember_value *list = pv_list (&r->pool, n->n_items);

        if (list == NULL)
          return tpl_oom (r);
        if (n->kind == N_TUPLE)
          list->flags |= VALUE_TUPLE;
        for (size_t i = 0; i < n->n_items; i++)
          {
            if ((a = eval (r, scope, n->items[i])) == NULL)
              return NULL;
            list->u.list.items[list->u.list.len++] = a;
          }
        return list;
      }

    case N_DICT:
      {
        ember_value *dict = pv_dict (&r->pool, n->n_items / 2);

        if (dict == NULL)
          return tpl_oom (r);
        for (size_t i = 0; i + 1 < n->n_items; i += 2)
          {
            if ((a = eval (r, scope, n->items[i])) == NULL
                || (b = eval (r, scope, n->items[i + 1])) == NULL)
              return NULL;
            if (a->kind == EMBER_VALUE_LIST && !(a->flags & VALUE_TUPLE))
              return tpl_fail (r, "unhashable type: 'list'");
            if (a->kind == EMBER_VALUE_DICT)
              return tpl_fail (r, "unhashable type: 'dict'");
            if (!pv_dict_set (&r->pool, dict, a, b))
              return tpl_oom (r);
          }
        return dict;
      }

    case N_CONCAT:
      {
        tpl_buf buf = { 0 };
        ember_value *out;

        buf.limit = r->options.max_output;
        for (size_t i = 0; i < n->n_items; i++)
          {
            if ((a = eval (r, scope, n->items[i])) == NULL)
              {
                buf_free (&buf);
                return NULL;
              }
            value_write_str (&buf, a);
          }
        if (buf.failed)
          {
            buf_free (&buf);
            return tpl_fail (r, "a string grew over the output limit");
          }
        out = tpl_string (r, buf.data != NULL ? buf.data : "", buf.len);
        buf_free (&buf);
        return out;
      }

    default:
      return tpl_fail (r, "internal error: a statement where an expression belongs");
    }
}

/* ---- macros ------------------------------------------------------------------------------- */

typedef struct {
  const tpl_node *node;     /* N_MACRO or N_CALL_BLOCK */
  tpl_scope *scope;         /* where it was defined */
} macro_data;

/* Runs @body in @scope with output captured; returns it as a string. */
static ember_value *
capture (tpl_render     *r,
         tpl_scope      *scope,
         const tpl_node *body)
{
  tpl_buf buf = { 0 }, *saved = r->out;
  exec_status status;
  ember_value *out;

  buf.limit = r->options.max_output;
  r->out = &buf;
  status = exec (r, scope, body);
  r->out = saved;
  if (status == EXEC_ERROR || r->failed)
    {
      buf_free (&buf);
      return NULL;
    }
  if (buf.failed)
    {
      buf_free (&buf);
      return tpl_fail (r, "the output grew over its limit (%zu bytes)", r->options.max_output);
    }
  out = tpl_string (r, buf.data != NULL ? buf.data : "", buf.len);
  buf_free (&buf);
  if (out != NULL)
    out->flags |= VALUE_SAFE;
  return out;
}

static ember_value *
call_macro (tpl_render         *r,
            const ember_value  *callable,
            ember_value       **args,
            size_t              n_args,
            const char        **kw_names,
            ember_value       **kw_values,
            size_t              n_kw)
{
  const macro_data *m = callable->u.call.data;
  const tpl_node *node = m->node;
  const char *name = node->kind == N_MACRO ? node->name : "caller";
  tpl_scope *scope;
  ember_value *out;
  bool *bound;
  int line = r->line;

  if (n_args > node->n_names)
    return tpl_fail (r, "macro '%s' takes not more than %zu argument(s)", name, node->n_names);
  if (r->depth >= r->options.max_depth)
    return tpl_fail (r, "macros nested more than %u deep", r->options.max_depth);
  if (!count_step (r))
    return NULL;
  if ((scope = scope_new (r, m->scope)) == NULL)
    return NULL;
  bound = pool_alloc (&r->pool, node->n_names + 1);
  if (bound == NULL)
    return tpl_oom (r);

  for (size_t i = 0; i < n_args; i++)
    {
      if (!scope_set (r, scope, node->names[i], args[i]))
        return NULL;
      bound[i] = true;
    }
  for (size_t k = 0; k < n_kw; k++)
    {
      size_t i;

      if (strcmp (kw_names[k], "caller") == 0)
        {
          if (!scope_set (r, scope, "caller", kw_values[k]))
            return NULL;
          continue;
        }
      for (i = 0; i < node->n_names; i++)
        if (strcmp (node->names[i], kw_names[k]) == 0)
          break;
      if (i == node->n_names)
        return tpl_fail (r, "macro '%s' takes no keyword argument '%s'", name, kw_names[k]);
      if (bound[i])
        return tpl_fail (r, "macro '%s' got multiple values for argument '%s'", name, kw_names[k]);
      if (!scope_set (r, scope, node->names[i], kw_values[k]))
        return NULL;
      bound[i] = true;
    }
  for (size_t i = 0; i < node->n_names; i++)
    if (!bound[i])
      {
        ember_value *v;

        if (node->items != NULL && node->items[i] != NULL)
          v = eval (r, scope, node->items[i]);
        else
          v = tpl_undefined (r, node->names[i]);
        if (v == NULL || !scope_set (r, scope, node->names[i], v))
          return NULL;
      }

  r->depth++;
  out = capture (r, scope, node->b);
  r->depth--;
  r->line = line;
  return out;
}

static ember_value *
make_macro (tpl_render     *r,
            tpl_scope      *scope,
            const tpl_node *node)
{
  macro_data *m = pool_alloc (&r->pool, sizeof *m);

  if (m == NULL)
    return tpl_oom (r);
  m->node = node;
  m->scope = scope;
  return tpl_callable (r, node->kind == N_MACRO ? node->name : "caller", call_macro, NULL, m);
}

/* ---- statements ------------------------------------------------------------------------------ */

static exec_status
write_value (tpl_render  *r,
             ember_value *v)
{
  value_write_str (r->out, v);
  if (r->out->failed)
    {
      tpl_fail (r, "the output grew over its limit (%zu bytes)", r->options.max_output);
      return EXEC_ERROR;
    }
  return EXEC_OK;
}

/* Binds @names to @value (unpacking when there are several). */
static bool
assign (tpl_render  *r,
        tpl_scope   *scope,
        const char **names,
        size_t       n_names,
        ember_value *value)
{
  ember_value *items;

  if (n_names == 1)
    return scope_set (r, scope, names[0], value);

  items = tpl_iterate (r, value);
  if (items == NULL)
    return false;
  if (items->u.list.len != n_names)
    {
      if (items->u.list.len > n_names)
        tpl_fail (r, "too many values to unpack (expected %zu)", n_names);
      else
        tpl_fail (r, "not enough values to unpack (expected %zu, got %zu)", n_names,
                  items->u.list.len);
      return false;
    }
  for (size_t i = 0; i < n_names; i++)
    if (!scope_set (r, scope, names[i], items->u.list.items[i]))
      return false;
  return true;
}

static ember_value *
loop_cycle (tpl_render         *r,
            const ember_value  *callable,
            ember_value       **args,
            size_t              n_args,
            const char        **kw_names,
            ember_value       **kw_values,
            size_t              n_kw)
{
  ember_value *index0 = value_dict_lookup_str (callable->u.call.self, "index0", 6);

  if (n_args == 0)
    return tpl_fail (r, "no items for cycling given");
  return args[index0->u.i % (int64_t) n_args];
}

static exec_status
exec_for (tpl_render     *r,
          tpl_scope      *scope,
          const tpl_node *n)
{
  ember_value *iterable, *items, *kept;
  exec_status status = EXEC_OK;
  size_t count;

  if ((iterable = eval (r, scope, n->a)) == NULL || (items = tpl_iterate (r, iterable)) == NULL)
    return EXEC_ERROR;

  /* The inline filter runs first: loop.length counts what it keeps. */
  kept = items;
  if (n->d != NULL)
    {
      kept = pv_list (&r->pool, 0);
      if (kept == NULL)
        return tpl_oom (r), EXEC_ERROR;
      for (size_t i = 0; i < items->u.list.len; i++)
        {
          tpl_scope *test_scope = scope_new (r, scope);
          ember_value *ok;

          if (test_scope == NULL || !count_step (r)
              || !assign (r, test_scope, n->names, n->n_names, items->u.list.items[i])
              || (ok = eval (r, test_scope, n->d)) == NULL)
            return EXEC_ERROR;
          if (value_is_true (ok) && !pv_list_push (&r->pool, kept, items->u.list.items[i]))
            return tpl_oom (r), EXEC_ERROR;
        }
    }

  count = kept->u.list.len;
  for (size_t i = 0; i < count; i++)
    {
      tpl_scope *body = scope_new (r, scope);
      ember_value *loop = pv_dict (&r->pool, 12);
      int64_t len = (int64_t) count, idx = (int64_t) i;
      struct { const char *key; ember_value *value; } fields[] = {
        { "index", pv_int (&r->pool, idx + 1) },
        { "index0", pv_int (&r->pool, idx) },
        { "revindex", pv_int (&r->pool, len - idx) },
        { "revindex0", pv_int (&r->pool, len - idx - 1) },
        { "first", pv_bool (&r->pool, i == 0) },
        { "last", pv_bool (&r->pool, i + 1 == count) },
        { "length", pv_int (&r->pool, len) },
        { "depth", pv_int (&r->pool, 1) },
        { "depth0", pv_int (&r->pool, 0) },
        { "previtem", i > 0 ? kept->u.list.items[i - 1] : NULL },
        { "nextitem", i + 1 < count ? kept->u.list.items[i + 1] : NULL },
        { "cycle", tpl_callable (r, "cycle", loop_cycle, loop, NULL) },
      };

      if (body == NULL || loop == NULL || !count_step (r))
        return r->failed ? EXEC_ERROR : (tpl_oom (r), EXEC_ERROR);
      for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        {
          ember_value *key;

          if (fields[f].value == NULL)
            {
              if (f >= 9 && f <= 10)
                continue;   /* no previtem / nextitem here: undefined */
              return tpl_oom (r), EXEC_ERROR;
            }
          key = pv_string (&r->pool, fields[f].key, strlen (fields[f].key));
          if (key == NULL || !pv_dict_set (&r->pool, loop, key, fields[f].value))
            return tpl_oom (r), EXEC_ERROR;
        }
      if (!scope_set (r, body, "loop", loop)
          || !assign (r, body, n->names, n->n_names, kept->u.list.items[i]))
        return EXEC_ERROR;

      status = exec (r, body, n->b);
      if (status == EXEC_ERROR)
        return status;
      if (status == EXEC_BREAK)
        break;
      status = EXEC_OK;
    }

  if (count == 0 && n->c != NULL)
    return exec (r, scope, n->c);
  return EXEC_OK;
}

static exec_status
exec_set_attr (tpl_render     *r,
               tpl_scope      *scope,
               const tpl_node *n)
{
  ember_value *ns = lookup (r, scope, n->name), *v, *key;

  if (ns == NULL)
    return EXEC_ERROR;
  if (ns->kind != EMBER_VALUE_DICT || !(ns->flags & VALUE_NAMESPACE))
    {
      tpl_fail (r, "cannot assign attribute on non-namespace object");
      return EXEC_ERROR;
    }
  if ((v = eval (r, scope, n->a)) == NULL)
    return EXEC_ERROR;
  key = pv_string (&r->pool, n->attr, strlen (n->attr));
  if (key == NULL || !pv_dict_set (&r->pool, ns, key, v))
    return tpl_oom (r), EXEC_ERROR;
  return EXEC_OK;
}

static exec_status
exec (tpl_render     *r,
      tpl_scope      *scope,
      const tpl_node *n)
{
  ember_value *v;

  if (r->failed)
    return EXEC_ERROR;
  r->line = n->line;

  switch (n->kind)
    {
    case N_BODY:
      for (size_t i = 0; i < n->n_items; i++)
        {
          exec_status status = exec (r, scope, n->items[i]);

          if (status != EXEC_OK)
            return status;
        }
      return EXEC_OK;

    case N_TEXT:
      buf_append (r->out, n->text, n->text_len);
      if (r->out->failed)
        {
          tpl_fail (r, "the output grew over its limit (%zu bytes)", r->options.max_output);
          return EXEC_ERROR;
        }
      return EXEC_OK;

    case N_OUTPUT:
      if ((v = eval (r, scope, n->a)) == NULL)
        return EXEC_ERROR;
      return write_value (r, v);

    case N_IF:
      if ((v = eval (r, scope, n->a)) == NULL)
        return EXEC_ERROR;
      if (value_is_true (v))
        return exec (r, scope, n->b);
      if (n->c != NULL)
        return exec (r, scope, n->c);
      return EXEC_OK;

    case N_FOR:
      return exec_for (r, scope, n);

    case N_SET:
      if ((v = eval (r, scope, n->a)) == NULL)
        return EXEC_ERROR;
      return assign (r, scope, n->names, n->n_names, v) ? EXEC_OK : EXEC_ERROR;

    case N_SET_ATTR:
      return exec_set_attr (r, scope, n);

    case N_SET_BLOCK:
      {
        tpl_scope *inner = scope_new (r, scope);

        if (inner == NULL || (v = capture (r, inner, n->b)) == NULL)
          return EXEC_ERROR;
        if (n->c != NULL && (v = eval_filter (r, scope, n->c, v)) == NULL)
          return EXEC_ERROR;
        return scope_set (r, scope, n->name, v) ? EXEC_OK : EXEC_ERROR;
      }

    case N_MACRO:
      if ((v = make_macro (r, scope, n)) == NULL)
        return EXEC_ERROR;
      return scope_set (r, scope, n->name, v) ? EXEC_OK : EXEC_ERROR;

    case N_CALL_BLOCK:
      {
        const tpl_node *call = n->a;
        ember_value *callee, *caller, **args, **kw_values;
        const char **kw_names;
        size_t n_args, n_kw;

        if ((callee = eval (r, scope, call->a)) == NULL
            || (caller = make_macro (r, scope, n)) == NULL
            || !eval_args (r, scope, call, &args, &n_args, &kw_names, &kw_values, &n_kw, 1))
          return EXEC_ERROR;
        kw_names[n_kw] = "caller";
        kw_values[n_kw++] = caller;
        r->line = n->line;
        if ((v = tpl_call (r, callee, args, n_args, kw_names, kw_values, n_kw)) == NULL)
          return EXEC_ERROR;
        return write_value (r, v);
      }

    case N_FILTER_BLOCK:
      {
        tpl_scope *inner = scope_new (r, scope);

        if (inner == NULL || (v = capture (r, inner, n->b)) == NULL
            || (v = eval_filter (r, scope, n->c, v)) == NULL)
          return EXEC_ERROR;
        return write_value (r, v);
      }

    case N_WITH:
      {
        tpl_scope *inner = scope_new (r, scope);

        if (inner == NULL)
          return EXEC_ERROR;
        for (size_t i = 0; i < n->n_items; i++)
          if ((v = eval (r, scope, n->items[i])) == NULL || !scope_set (r, inner, n->names[i], v))
            return EXEC_ERROR;
        return exec (r, inner, n->b);
      }

    case N_BREAK:
      return EXEC_BREAK;

    case N_CONTINUE:
      return EXEC_CONTINUE;

    default:
      if ((v = eval (r, scope, n)) == NULL)
        return EXEC_ERROR;
      return write_value (r, v);
    }
}

/* ---- public API ------------------------------------------------------------------------------ */

void
ember_template_options_init (ember_template_options *options)
{
  memset (options, 0, sizeof *options);
}

ember_status
ember_template_new (const char      *source,
                    size_t           len,
                    ember_template **out,
                    ember_error     *error)
{
  ember_template *t;

  if (out == NULL || (source == NULL && len > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no template source");
  *out = NULL;
  if (source == NULL)
    source = "";

  t = calloc (1, sizeof *t);
  if (t == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  pool_init (&t->pool, SIZE_MAX / 2);
  t->root = tpl_parse (&t->pool, source, len, error);
  if (t->root == NULL)
    {
      ember_status status = error != NULL ? error->status : EMBER_ERROR_INVALID_ARGUMENT;

      ember_template_free (t);
      return status;
    }
  *out = t;
  return EMBER_OK;
}

void
ember_template_free (ember_template *t)
{
  if (t == NULL)
    return;
  pool_clear (&t->pool);
  free (t);
}

ember_status
ember_template_render (ember_template               *t,
                       const ember_value            *context,
                       const ember_template_options *options,
                       char                        **output,
                       size_t                       *output_len,
                       ember_error                  *error)
{
  tpl_render r = { 0 };
  tpl_buf out = { 0 };
  exec_status status;

  if (t == NULL || output == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no template or no output");
  if (context != NULL && context->kind != EMBER_VALUE_DICT)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the template's context must be a dict (a JSON object)");
  *output = NULL;

  if (options != NULL)
    r.options = *options;
  if (r.options.max_output == 0)
    r.options.max_output = DEFAULT_MAX_OUTPUT;
  if (r.options.max_memory == 0)
    r.options.max_memory = DEFAULT_MAX_MEMORY;
  if (r.options.max_steps == 0)
    r.options.max_steps = DEFAULT_MAX_STEPS;
  if (r.options.max_depth == 0)
    r.options.max_depth = DEFAULT_MAX_DEPTH;

  pool_init (&r.pool, r.options.max_memory);
  r.context = context;
  r.error = error;
  r.line = 1;
  out.limit = r.options.max_output;
  r.out = &out;

  r.globals = scope_new (&r, NULL);
  status = r.globals != NULL ? exec (&r, r.globals, t->root) : EXEC_ERROR;
  if (status == EXEC_OK && !r.failed && out.failed)
    tpl_fail (&r, "the output grew over its limit (%zu bytes)", r.options.max_output);
  pool_clear (&r.pool);

  if (r.failed || status == EXEC_ERROR)
    {
      buf_free (&out);
      if (!r.failed)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "the template failed");
      return error != NULL ? error->status : EMBER_ERROR_INVALID_ARGUMENT;
    }
  if (out.data == NULL && (out.data = calloc (1, 1)) == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  *output = out.data;
  if (output_len != NULL)
    *output_len = out.len;
  return EMBER_OK;
}

const char *
ember_template_default (void)
{
  return default_template;
}

ember_value *
ember_template_chat_context (ember_value *messages,
                             const char  *bos_token,
                             const char  *eos_token)
{
  ember_value *context = ember_value_new_dict ();

  if (context == NULL || messages == NULL)
    {
      ember_value_unref (messages);
      ember_value_unref (context);
      return NULL;
    }
  /* each set takes its value, also when it fails */
  if (ember_value_dict_set (context, "messages", messages, NULL) != EMBER_OK
      || ember_value_dict_set (context, "add_generation_prompt", ember_value_new_bool (true), NULL) != EMBER_OK
      || ember_value_dict_set (context, "bos_token",
                               ember_value_new_string (bos_token != NULL ? bos_token : "", (size_t) -1),
                               NULL) != EMBER_OK
      || ember_value_dict_set (context, "eos_token",
                               ember_value_new_string (eos_token != NULL ? eos_token : "", (size_t) -1),
                               NULL) != EMBER_OK)
    {
      ember_value_unref (context);
      return NULL;
    }
  return context;
}
