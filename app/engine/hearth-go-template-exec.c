/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's text/template execution as Ollama runs it: truth, comparison,
 * missingkey=zero, variables and their scopes, {{template}} calls, the
 * builtin functions (and Ollama's own: json, currentDate, …), and the limits
 * on steps, depth and output that keep a template from running away.
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "hearth-go-template-private.h"

#define MAX_STEPS 50000000

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
      if ((f = go_val_field (recv, name)) != NULL)
        return go_val_ref (f);
    }
  else if (recv->kind == V_MAP && !recv->nil)
    {
      if ((f = go_val_field (recv, name)) != NULL)
        return go_val_ref (f);
      return go_val_new (V_INVALID); /* missingkey=zero on map[string]any */
    }
  else if (recv->kind == V_MAP)
    return go_val_new (V_INVALID);
  if ((recv->kind == V_STRUCT && recv->nil) || recv->kind == V_INVALID)
    exec_fail (s, at, "nil pointer evaluating %s", name);
  else
    exec_fail (s, at, "can't evaluate field %s", name);
  return NULL;
}

static Val *
eval_chain (Exec *s, Node *at, Val *v, char **ident)
{
  Val *cur = go_val_ref (v);

  for (; *ident != NULL; ident++)
    {
      Val *n = eval_field (s, at, cur, *ident);

      go_val_unref (cur);
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
        go_val_unref (s->vals->pdata[i]);
        s->vals->pdata[i] = v;
        return;
      }
  go_val_unref (v);
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
      go_append_value (o, a, 1);
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
        go_append_json_string (piece, a->s, a->len);
      else if (verb == 't' && a->kind == V_BOOL)
        g_string_append (piece, a->b ? "true" : "false");
      else if (verb == 's' || verb == 'v')
        {
          go_append_value (piece, a, 1);
          if (prec >= 0 && verb == 's' && a->kind == V_STRING)
            g_string_truncate (piece, g_utf8_offset_to_pointer (piece->str, MIN (prec, (int) g_utf8_strlen (piece->str, piece->len))) - piece->str);
        }
      else
        {
          g_string_append_printf (piece, "%%!%c(", verb);
          go_append_value (piece, a, 1);
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
          go_append_value (o, args->pdata[i], 1);
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
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (go_val_unref);
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
          go_val_unref (v);
          v = i < cmd->nodes->len ? eval_arg (s, dot, cmd->nodes->pdata[i]) : go_val_ref (final);
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
    g_ptr_array_add (args, go_val_ref (final));
#define ARGS(n) if (args->len != (n)) return exec_fail (s, cmd, "wrong number of args for %s: want %d got %u", name, (n), args->len), NULL
#define A(i) ((Val *) args->pdata[i])
  if (g_str_equal (name, "not"))
    {
      ARGS (1);
      return go_val_bool (!truth (A (0)));
    }
  if (g_str_equal (name, "len"))
    {
      ARGS (1);
      switch (A (0)->kind)
        {
        case V_STRING: return go_val_int (A (0)->len);
        case V_LIST: return go_val_int (A (0)->items->len);
        case V_MAP: return go_val_int (A (0)->fields->len);
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
                return go_val_bool (TRUE);
            }
          return go_val_bool (FALSE);
        }
      ARGS (2);
      if (g_str_equal (name, "ne"))
        return (r = compare (s, cmd, "eq", A (0), A (1))) < 0 ? NULL : go_val_bool (!r);
      if (g_str_equal (name, "lt"))
        return (r = compare (s, cmd, name, A (0), A (1))) < 0 ? NULL : go_val_bool (r);
      if (g_str_equal (name, "ge"))
        return (r = compare (s, cmd, name, A (0), A (1))) < 0 ? NULL : go_val_bool (!r);
      if ((r = compare (s, cmd, name, A (1), A (0))) < 0)
        return NULL;
      return go_val_bool (g_str_equal (name, "gt") ? r : !r);
    }
  if (g_str_equal (name, "index"))
    {
      Val *v;

      if (args->len < 1)
        return exec_fail (s, cmd, "wrong number of args for index"), NULL;
      v = go_val_ref (A (0));
      for (guint i = 1; i < args->len; i++)
        {
          Val *k = A (i), *n = NULL;

          if ((v->kind == V_LIST || v->kind == V_STRING) && k->kind == V_INT)
            {
              gsize len = v->kind == V_LIST ? v->items->len : v->len;

              if (k->i < 0 || (gsize) k->i >= len)
                {
                  go_val_unref (v);
                  return exec_fail (s, cmd, "error calling index: index out of range: %" G_GINT64_FORMAT, k->i), NULL;
                }
              n = v->kind == V_LIST ? go_val_ref (v->items->pdata[k->i]) : go_val_int ((guchar) v->s[k->i]);
            }
          else if (v->kind == V_MAP && k->kind == V_STRING)
            {
              Val *f = v->nil ? NULL : go_val_field (v, k->s);

              n = f != NULL ? go_val_ref (f) : go_val_new (V_INVALID);
            }
          go_val_unref (v);
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
        return go_val_string_len (v->s + idx[0], idx[1] - idx[0]);
      {
        Val *r = go_val_new (V_LIST);

        r->stringer = v->stringer;
        for (gint64 i = idx[0]; i < idx[1]; i++)
          g_ptr_array_add (r->items, go_val_ref (v->items->pdata[i]));
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
      go_append_json (o, A (0));
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
      Val *type = p != NULL && p->kind == V_STRUCT && !p->nil ? go_val_field (p, "Type") : NULL;
      Val *any_of = p != NULL && p->kind == V_STRUCT && !p->nil ? go_val_field (p, "AnyOf") : NULL;

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
    Val *r = go_val_new (V_STRING);

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
    case N_DOT: return go_val_ref (dot);
    case N_NIL: return go_val_new (V_INVALID);
    case N_BOOL: return go_val_bool (n->b);
    case N_STRING: return go_val_string_len (n->text, n->len);
    case N_NUMBER:
      if (n->is_int)
        return go_val_int (n->i);
      {
        Val *v = go_val_new (V_FLOAT);

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

      go_val_unref (v);
      if (n == NULL)
        return NULL;
      v = n;
    }
  for (guint i = 0; i < pipe->decl->len; i++)
    {
      if (pipe->is_assign)
        var_set (s, pipe->decl->pdata[i], go_val_ref (v));
      else
        var_push (s, pipe->decl->pdata[i], go_val_ref (v));
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
            go_append_value (o, v, 0);
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
            Val *key = v->kind == V_LIST ? go_val_int (i) : go_val_string (((Field *) v->fields->pdata[i])->name);
            guint imark = s->names->len;

            if (decls == 1)
              var_push (s, n->pipe->decl->pdata[0], go_val_ref (elem));
            else if (decls == 2)
              {
                var_push (s, n->pipe->decl->pdata[0], go_val_ref (key));
                var_push (s, n->pipe->decl->pdata[1], go_val_ref (elem));
              }
            go_val_unref (key);
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
        v = n->pipe != NULL ? eval_pipeline (s, dot, n->pipe) : go_val_new (V_INVALID);
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
        s->vals = g_ptr_array_new_with_free_func (go_val_unref);
        var_push (s, "$", go_val_ref (v));
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

gboolean
go_execute (Node *root, GHashTable *defines, gboolean ollama_funcs, Val *data, GString *out, GError **error)
{
  Exec s = { 0 };
  Walk w;

  s.out = out;
  s.names = g_ptr_array_new_with_free_func (g_free);
  s.vals = g_ptr_array_new_with_free_func (go_val_unref);
  s.defines = defines;
  s.ollama_funcs = ollama_funcs;
  var_push (&s, "$", go_val_ref (data));
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

