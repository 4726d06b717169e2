/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The values Ollama passes to its templates, typed as Go sees them (maps,
 * structs with their JSON names, pointers that may be nil, types with their
 * own String ()), made from the messages and the tools' JSON; and their
 * printing, as fmt's %v and encoding/json write them.
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-go-template-private.h"

Val *
go_val_ref (Val *v)
{
  g_atomic_int_inc (&v->ref);
  return v;
}

static void
field_free (gpointer data)
{
  Field *f = data;

  g_free (f->name);
  go_val_unref (f->v);
  g_free (f);
}

void
go_val_unref (gpointer data)
{
  Val *v = data;

  if (v == NULL || !g_atomic_int_dec_and_test (&v->ref))
    return;
  g_free (v->s);
  g_clear_pointer (&v->items, g_ptr_array_unref);
  g_clear_pointer (&v->fields, g_ptr_array_unref);
  g_free (v);
}

Val *
go_val_new (VKind kind)
{
  Val *v = g_new0 (Val, 1);

  v->ref = 1;
  v->kind = kind;
  if (kind == V_LIST)
    v->items = g_ptr_array_new_with_free_func (go_val_unref);
  if (kind == V_MAP || kind == V_STRUCT)
    v->fields = g_ptr_array_new_with_free_func (field_free);
  return v;
}

Val *
go_val_string (const char *s)
{
  Val *v = go_val_new (V_STRING);

  v->s = g_strdup (s != NULL ? s : "");
  v->len = strlen (v->s);
  return v;
}

Val *
go_val_string_len (const char *s, gsize len)
{
  Val *v = go_val_new (V_STRING);

  v->s = g_strndup (s, len);
  v->len = len;
  return v;
}

Val *
go_val_bool (gboolean b)
{
  Val *v = go_val_new (V_BOOL);

  v->b = b;
  return v;
}

Val *
go_val_int (gint64 i)
{
  Val *v = go_val_new (V_INT);

  v->i = i;
  return v;
}

void
go_val_add (Val *v, const char *name, const char *json, gboolean omitempty, Val *child)
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

Val *
go_val_field (Val *v, const char *name)
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
    return go_val_new (V_INVALID);
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr (GList) members = json_object_get_members (o);

      v = go_val_new (V_MAP);
      for (GList *l = members; l != NULL; l = l->next)
        go_val_add (v, l->data, NULL, FALSE, val_from_json (json_object_get_member (o, l->data)));
      g_ptr_array_sort (v->fields, field_cmp);
      return v;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      v = go_val_new (V_LIST);
      for (guint i = 0; i < json_array_get_length (a); i++)
        g_ptr_array_add (v->items, val_from_json (json_array_get_element (a, i)));
      return v;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return go_val_string (json_node_get_string (node));
    case G_TYPE_BOOLEAN:
      return go_val_bool (json_node_get_boolean (node));
    case G_TYPE_INT64:
      v = go_val_new (V_FLOAT);
      v->f = (double) json_node_get_int (node);
      return v;
    default:
      v = go_val_new (V_FLOAT);
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
  Val *v = go_val_new (V_LIST);

  v->stringer = stringer;
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    g_ptr_array_add (v->items, go_val_string (json_node_get_string (n)));
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
  Val *v = go_val_new (V_STRUCT);
  Val *any_of = go_val_new (V_LIST), *props = go_val_new (V_STRUCT);
  Val *enm;
  JsonNode *e = o != NULL ? json_object_get_member (o, "enum") : NULL;

  any_of->nil = TRUE;
  props->ptr = props->nil = TRUE;
  enm = e != NULL && JSON_NODE_HOLDS_ARRAY (e) ? val_from_json (e) : go_val_new (V_LIST);
  if (e == NULL || !JSON_NODE_HOLDS_ARRAY (e))
    enm->nil = TRUE;
  go_val_add (v, "AnyOf", "anyOf", TRUE, any_of);
  go_val_add (v, "Type", "type", TRUE,
           val_string_list (o != NULL ? json_object_get_member (o, "type") : NULL, S_PROPTYPE));
  go_val_add (v, "Items", "items", TRUE,
           val_from_json (o != NULL ? json_object_get_member (o, "items") : NULL));
  go_val_add (v, "Description", "description", TRUE, go_val_string (json_string_member (o, "description")));
  go_val_add (v, "Enum", "enum", TRUE, enm);
  go_val_add (v, "Properties", "properties", TRUE, props);
  go_val_add (v, "Required", "required", TRUE,
           val_string_list (o != NULL ? json_object_get_member (o, "required") : NULL, S_NONE));
  return v;
}

/* templateTools */
Val *
go_val_tools (JsonNode *tools)
{
  Val *list = go_val_new (V_LIST);

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
      Val *tool = go_val_new (V_STRUCT), *f = go_val_new (V_STRUCT), *p = go_val_new (V_STRUCT);
      Val *pm = go_val_new (V_MAP);

      tool->stringer = S_JSON;
      pm->stringer = S_JSON_OR_EMPTY;
      if (props != NULL)
        {
          g_autoptr (GList) names = json_object_get_members (props);

          for (GList *l = names; l != NULL; l = l->next)
            go_val_add (pm, l->data, NULL, FALSE, val_property (json_object_member (props, l->data)));
          g_ptr_array_sort (pm->fields, field_cmp);
        }
      else
        pm->nil = TRUE;
      go_val_add (p, "Type", "type", FALSE, go_val_string (json_string_member (params, "type")));
      go_val_add (p, "Defs", "$defs", TRUE,
               val_from_json (params != NULL ? json_object_get_member (params, "$defs") : NULL));
      go_val_add (p, "Items", "items", TRUE,
               val_from_json (params != NULL ? json_object_get_member (params, "items") : NULL));
      go_val_add (p, "Required", "required", TRUE,
               val_string_list (params != NULL ? json_object_get_member (params, "required") : NULL,
                                S_NONE));
      go_val_add (p, "Properties", "properties", FALSE, pm);
      go_val_add (f, "Name", "name", FALSE, go_val_string (json_string_member (fn, "name")));
      go_val_add (f, "Description", "description", FALSE,
               go_val_string (json_string_member (fn, "description")));
      go_val_add (f, "Parameters", "parameters", FALSE, p);
      go_val_add (tool, "Type", "type", FALSE, go_val_string (json_string_member (t, "type")));
      go_val_add (tool, "Items", "items", TRUE,
               val_from_json (t != NULL ? json_object_get_member (t, "items") : NULL));
      go_val_add (tool, "Function", "function", FALSE, f);
      g_ptr_array_add (list->items, tool);
    }
  return list;
}

/* []*templateMessage */
Val *
go_val_message (const HearthGoTemplateMessage *m, const char *content)
{
  Val *v = go_val_new (V_STRUCT), *images = go_val_new (V_LIST), *calls = go_val_new (V_LIST);
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
      Val *call = go_val_new (V_STRUCT), *f = go_val_new (V_STRUCT), *a;

      a = args != NULL && JSON_NODE_HOLDS_OBJECT (args) ? val_from_json (args) : go_val_new (V_MAP);
      a->nil = args == NULL || !JSON_NODE_HOLDS_OBJECT (args);
      a->stringer = S_JSON_OR_EMPTY;
      go_val_add (f, "Index", NULL, FALSE,
               go_val_int (index != NULL && JSON_NODE_HOLDS_VALUE (index) ? json_node_get_int (index) : 0));
      go_val_add (f, "Name", NULL, FALSE, go_val_string (json_string_member (fn, "name")));
      go_val_add (f, "Arguments", NULL, FALSE, a);
      go_val_add (call, "ID", NULL, FALSE, go_val_string (json_string_member (c, "id")));
      go_val_add (call, "Function", NULL, FALSE, f);
      g_ptr_array_add (calls->items, call);
    }
  go_val_add (v, "Role", NULL, FALSE, go_val_string (m->role));
  go_val_add (v, "Content", NULL, FALSE, go_val_string (content));
  go_val_add (v, "Thinking", NULL, FALSE, go_val_string (m->thinking));
  go_val_add (v, "Images", NULL, FALSE, images);
  go_val_add (v, "ToolCalls", NULL, FALSE, calls);
  go_val_add (v, "ToolName", NULL, FALSE, go_val_string (m->tool_name));
  go_val_add (v, "ToolCallID", NULL, FALSE, go_val_string (m->tool_call_id));
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

void
go_append_json_string (GString *o, const char *s, gsize len)
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

void
go_append_json (GString *o, const Val *v)
{
  switch (v->kind)
    {
    case V_INVALID: g_string_append (o, "null"); return;
    case V_BOOL: g_string_append (o, v->b ? "true" : "false"); return;
    case V_INT: g_string_append_printf (o, "%" G_GINT64_FORMAT, v->i); return;
    case V_FLOAT: append_go_float (o, v->f, TRUE); return;
    case V_STRING: go_append_json_string (o, v->s, v->len); return;
    case V_LIST:
      if (v->stringer == S_PROPTYPE && v->items->len == 1)
        {
          go_append_json (o, v->items->pdata[0]);
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
          go_append_json (o, v->items->pdata[i]);
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
            go_append_json_string (o, f->json != NULL ? f->json : f->name,
                                strlen (f->json != NULL ? f->json : f->name));
            g_string_append_c (o, ':');
            go_append_json (o, f->v);
          }
        g_string_append_c (o, '}');
        return;
      }
    }
}

/* fmt.Fprint of a slice: [a b c]. */
static void
append_items (GString *o, GPtrArray *items, int depth)
{
  g_string_append_c (o, '[');
  for (guint i = 0; i < items->len; i++)
    {
      if (i > 0)
        g_string_append_c (o, ' ');
      go_append_value (o, items->pdata[i], depth + 1);
    }
  g_string_append_c (o, ']');
}

/* fmt.Fprint of a value (depth 0: as an action prints it). */
void
go_append_value (GString *o, const Val *v, int depth)
{
  switch (v->stringer)
    {
    case S_JSON:
      go_append_json (o, v);
      return;
    case S_JSON_OR_EMPTY:
      if (v->nil)
        g_string_append (o, "{}");
      else
        go_append_json (o, v);
      return;
    case S_PROPTYPE:
      if (v->items->len == 1)
        go_append_value (o, v->items->pdata[0], depth + 1);
      else if (v->items->len > 1)
        append_items (o, v->items, depth);
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
      append_items (o, v->items, depth);
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
          go_append_value (o, f->v, depth + 1);
        }
      g_string_append_c (o, v->kind == V_MAP ? ']' : '}');
      return;
    }
}

