/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "json" and JSON Schemas compiled into the node graph the matcher walks
 * (ember-json-matcher.c). The subset is in ember-json-grammar.h.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-json-grammar-private.h"
#include "ember-private.h"
#include "ember-template.h"

#define MAX_NODES (1u << 20)
#define NO_NODE UINT32_MAX

typedef struct {
  char *ref;
  uint32_t node;
} ref_entry;

typedef struct {
  ember_json_grammar *g;
  uint32_t cap;
  const ember_value *root;      /* the whole schema, for $ref */
  ref_entry *refs;
  uint32_t n_refs;
  uint32_t any;                 /* "any value", made on first use */
  char path[256];               /* the JSON pointer of the schema being compiled */
  ember_error *error;
} compiler;

/* Keywords that describe and never constrain. */
static const char *const annotations[] = {
  "title", "description", "default", "examples", "$schema", "$id", "$comment",
  "deprecated", "readOnly", "writeOnly", "$defs", "definitions", NULL,
};

/* Keywords that constrain, and that this compiler follows. */
static const char *const supported[] = {
  "type", "properties", "required", "additionalProperties", "items", "minItems",
  "maxItems", "minLength", "maxLength", "enum", "const", "anyOf", "oneOf", "allOf",
  "$ref", NULL,
};

static bool
in_list (const char        *key,
         const char *const *list)
{
  for (size_t i = 0; list[i] != NULL; i++)
    if (strcmp (key, list[i]) == 0)
      return true;
  return false;
}

static const char *
where (compiler *c)
{
  return c->path[0] != '\0' ? c->path : "the top level";
}

static ember_status
fail (compiler   *c,
      const char *what)
{
  return ember_error_set (c->error, EMBER_ERROR_INVALID_ARGUMENT, "%s at %s", what, where (c));
}

/* Appends "/@segment" to the path; returns the length to go back to. */
static size_t
path_push (compiler   *c,
           const char *segment)
{
  size_t len = strlen (c->path);

  snprintf (c->path + len, sizeof c->path - len, "/%s", segment);
  return len;
}

static size_t
path_push_index (compiler *c,
                 size_t    index)
{
  char s[32];

  snprintf (s, sizeof s, "%zu", index);
  return path_push (c, s);
}

static void
path_pop (compiler *c,
          size_t    len)
{
  c->path[len] = '\0';
}

static ember_status
new_node (compiler       *c,
          json_node_kind  kind,
          uint32_t       *out)
{
  ember_json_grammar *g = c->g;

  if (g->n_nodes == c->cap)
    {
      uint32_t cap = c->cap < 16 ? 16 : c->cap * 2;
      json_node *nodes;

      if (cap > MAX_NODES)
        return fail (c, "the schema is too large");
      nodes = realloc (g->nodes, cap * sizeof *nodes);
      if (nodes == NULL)
        return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      g->nodes = nodes;
      c->cap = cap;
    }
  memset (&g->nodes[g->n_nodes], 0, sizeof g->nodes[g->n_nodes]);
  g->nodes[g->n_nodes].kind = kind;
  g->nodes[g->n_nodes].min_len = JSON_INF;
  g->nodes[g->n_nodes].min_depth = JSON_INF;
  g->nodes[g->n_nodes].max_items = UINT32_MAX;
  g->nodes[g->n_nodes].max_length = UINT32_MAX;
  *out = g->n_nodes++;
  return EMBER_OK;
}

static ember_status
new_literal (compiler   *c,
             const char *text,
             size_t      len,
             uint32_t   *out)
{
  ember_status status = new_node (c, JSON_NODE_LITERAL, out);

  if (status != EMBER_OK)
    return status;
  c->g->nodes[*out].text = malloc (len + 1);
  if (c->g->nodes[*out].text == NULL)
    return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  memcpy (c->g->nodes[*out].text, text, len);
  c->g->nodes[*out].text[len] = '\0';
  c->g->nodes[*out].len = (uint32_t) len;
  return EMBER_OK;
}

/* An ANY_OF node with room for @n branches. */
static ember_status
new_any_of (compiler *c,
            uint32_t  n,
            uint32_t *out)
{
  ember_status status = new_node (c, JSON_NODE_ANY_OF, out);

  if (status != EMBER_OK)
    return status;
  c->g->nodes[*out].branches = calloc (n > 0 ? n : 1, sizeof (uint32_t));
  if (c->g->nodes[*out].branches == NULL)
    return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  c->g->nodes[*out].n_branches = n;
  return EMBER_OK;
}

/* Any JSON value: a free-form object, an array of anything, a string, a
 * number, true, false or null. */
static ember_status
any_node (compiler *c,
          uint32_t *out)
{
  static const char *const words[] = { "true", "false", "null" };
  uint32_t any, n;
  ember_status status;

  if (c->any != NO_NODE)
    {
      *out = c->any;
      return EMBER_OK;
    }
  status = new_any_of (c, 7, &any);
  if (status != EMBER_OK)
    return status;
  c->any = any;
  if ((status = new_node (c, JSON_NODE_OBJECT, &n)) != EMBER_OK)
    return status;
  c->g->nodes[n].free_form = true;
  c->g->nodes[n].values = any;
  c->g->nodes[any].branches[0] = n;
  if ((status = new_node (c, JSON_NODE_ARRAY, &n)) != EMBER_OK)
    return status;
  c->g->nodes[n].items = any;
  c->g->nodes[any].branches[1] = n;
  if ((status = new_node (c, JSON_NODE_STRING, &n)) != EMBER_OK)
    return status;
  c->g->nodes[any].branches[2] = n;
  if ((status = new_node (c, JSON_NODE_NUMBER, &n)) != EMBER_OK)
    return status;
  c->g->nodes[any].branches[3] = n;
  for (size_t i = 0; i < 3; i++)
    {
      if ((status = new_literal (c, words[i], strlen (words[i]), &n)) != EMBER_OK)
        return status;
      c->g->nodes[any].branches[4 + i] = n;
    }
  *out = any;
  return EMBER_OK;
}

/* A whole number of at least 0 (2 and 2.0 alike). */
static ember_status
get_count (compiler          *c,
           const ember_value *schema,
           const char        *key,
           uint32_t          *out)
{
  const ember_value *v = ember_value_dict_get (schema, key);
  char what[128];
  double d;

  if (v == NULL)
    return EMBER_OK;
  if (ember_value_get_type (v) == EMBER_VALUE_INT)
    d = (double) ember_value_get_int (v);
  else if (ember_value_get_type (v) == EMBER_VALUE_FLOAT)
    d = ember_value_get_float (v);
  else
    d = -1;
  if (!(d >= 0 && d == floor (d)))
    {
      snprintf (what, sizeof what, "“%s” must be a whole number of at least 0", key);
      return fail (c, what);
    }
  *out = d >= (double) UINT32_MAX ? UINT32_MAX - 1 : (uint32_t) d;
  return EMBER_OK;
}

static ember_status compile (compiler          *c,
                             const ember_value *schema,
                             uint32_t          *out);

/* @schema[@key] compiled, with the path following. */
static ember_status
compile_member (compiler          *c,
                const ember_value *schema,
                const char        *key,
                uint32_t          *out)
{
  size_t mark = path_push (c, key);
  ember_status status = compile (c, ember_value_dict_get (schema, key), out);

  if (status == EMBER_OK)
    path_pop (c, mark);
  return status;
}

static ember_status
json_text (compiler          *c,
           const ember_value *value,
           char             **text,
           size_t            *len)
{
  ember_error e = { 0 };

  if (ember_value_to_json (value, text, len, &e) != EMBER_OK)
    return ember_error_set (c->error, e.status, "%s", e.message);
  return EMBER_OK;
}

static ember_status
compile_ref (compiler          *c,
             const ember_value *schema,
             uint32_t          *out)
{
  const ember_value *ref = ember_value_dict_get (schema, "$ref");
  const ember_value *target = NULL;
  const char *text;
  char *name;
  char saved[sizeof c->path];
  ember_status status;
  uint32_t node, branch;

  if (ember_value_get_type (ref) != EMBER_VALUE_STRING)
    return fail (c, "“$ref” must be a string");
  text = ember_value_get_string (ref, NULL);
  for (uint32_t i = 0; i < c->n_refs; i++)
    if (strcmp (c->refs[i].ref, text) == 0)
      {
        *out = c->refs[i].node;
        return EMBER_OK;
      }

  if (strcmp (text, "#") == 0)
    target = c->root;
  else
    {
      const char *rest = NULL, *defs = NULL;
      size_t j = 0;

      if (strncmp (text, "#/$defs/", 8) == 0)
        defs = "$defs", rest = text + 8;
      else if (strncmp (text, "#/definitions/", 14) == 0)
        defs = "definitions", rest = text + 14;
      if (rest == NULL || strchr (rest, '/') != NULL || *rest == '\0')
        {
          char what[EMBER_ERROR_MESSAGE_MAX / 2];

          snprintf (what, sizeof what,
                    "“$ref” “%.100s” is not supported (only “#”, “#/$defs/…” and “#/definitions/…”)",
                    text);
          return fail (c, what);
        }
      /* a JSON pointer's escapes: ~1 is "/", ~0 is "~" */
      name = malloc (strlen (rest) + 1);
      if (name == NULL)
        return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      for (size_t i = 0; rest[i] != '\0'; i++)
        {
          if (rest[i] == '~' && (rest[i + 1] == '0' || rest[i + 1] == '1'))
            {
              name[j++] = rest[i + 1] == '0' ? '~' : '/';
              i++;
            }
          else
            name[j++] = rest[i];
        }
      name[j] = '\0';
      target = ember_value_dict_get (ember_value_dict_get (c->root, defs), name);
      free (name);
      if (target == NULL)
        {
          char what[EMBER_ERROR_MESSAGE_MAX / 2];

          snprintf (what, sizeof what, "“$ref” “%.100s” refers to nothing", text);
          return fail (c, what);
        }
    }

  /* An ANY_OF of one branch stands for the reference, so that a schema may
   * refer to itself. */
  status = new_any_of (c, 1, &node);
  if (status != EMBER_OK)
    return status;
  if (c->n_refs % 8 == 0)
    {
      ref_entry *refs = realloc (c->refs, (c->n_refs + 8) * sizeof *refs);

      if (refs == NULL)
        return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      c->refs = refs;
    }
  c->refs[c->n_refs].ref = strdup (text);
  if (c->refs[c->n_refs].ref == NULL)
    return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  c->refs[c->n_refs++].node = node;

  /* errors inside name the definition's own place */
  memcpy (saved, c->path, sizeof saved);
  snprintf (c->path, sizeof c->path, "%s", text + 1);
  status = compile (c, target, &branch);
  if (status != EMBER_OK)
    return status;
  memcpy (c->path, saved, sizeof saved);
  c->g->nodes[node].branches[0] = branch;
  *out = node;
  return EMBER_OK;
}

static ember_status
compile_alternatives (compiler          *c,
                      const ember_value *schema,
                      const char        *key,
                      uint32_t          *out)
{
  const ember_value *list = ember_value_dict_get (schema, key);
  size_t n = ember_value_get_length (list);
  char what[128];
  ember_status status;
  uint32_t node;
  size_t mark;

  if (ember_value_get_type (list) != EMBER_VALUE_LIST || n == 0)
    {
      snprintf (what, sizeof what, "“%s” must be a list of schemas, not empty", key);
      return fail (c, what);
    }
  if (strcmp (key, "allOf") == 0)
    {
      if (n != 1)
        return fail (c, "“allOf” is supported with one schema only");
      mark = path_push (c, "allOf/0");
      status = compile (c, ember_value_list_get (list, 0), out);
      if (status == EMBER_OK)
        path_pop (c, mark);
      return status;
    }
  status = new_any_of (c, (uint32_t) n, &node);
  if (status != EMBER_OK)
    return status;
  for (size_t i = 0; i < n; i++)
    {
      uint32_t branch;

      mark = path_push (c, key);
      path_push_index (c, i);
      status = compile (c, ember_value_list_get (list, i), &branch);
      if (status != EMBER_OK)
        return status;
      path_pop (c, mark);
      c->g->nodes[node].branches[i] = branch;
    }
  *out = node;
  return EMBER_OK;
}

static const char *
value_type_name (const ember_value *v)
{
  switch (ember_value_get_type (v))
    {
    case EMBER_VALUE_NULL:
      return "null";
    case EMBER_VALUE_BOOL:
      return "boolean";
    case EMBER_VALUE_INT:
      return "integer";
    case EMBER_VALUE_FLOAT:
      return "number";
    case EMBER_VALUE_STRING:
      return "string";
    case EMBER_VALUE_LIST:
      return "array";
    case EMBER_VALUE_DICT:
    default:
      return "object";
    }
}

/* Whether @v is of JSON Schema type @type (an integral float is an
 * integer, an integer a number). */
static bool
value_has_type (const ember_value *v,
                const char        *type)
{
  const char *name = value_type_name (v);

  if (strcmp (type, name) == 0)
    return true;
  if (strcmp (type, "number") == 0 && strcmp (name, "integer") == 0)
    return true;
  if (strcmp (type, "integer") == 0 && strcmp (name, "number") == 0)
    return ember_value_get_float (v) == floor (ember_value_get_float (v));
  return false;
}

static bool
value_has_types (const ember_value *v,
                 const ember_value *types)
{
  if (types == NULL)
    return true;
  if (ember_value_get_type (types) == EMBER_VALUE_STRING)
    return value_has_type (v, ember_value_get_string (types, NULL));
  for (size_t i = 0; i < ember_value_get_length (types); i++)
    if (value_has_type (v, ember_value_get_string (ember_value_list_get (types, i), NULL)))
      return true;
  return false;
}

/* "enum" and "const": one literal each, of those that "type" allows. */
static ember_status
compile_values (compiler          *c,
                const ember_value *schema,
                uint32_t          *out)
{
  const ember_value *one = ember_value_dict_get (schema, "const");
  const ember_value *list = ember_value_dict_get (schema, "enum");
  const ember_value *types = ember_value_dict_get (schema, "type");
  size_t n = one != NULL ? 1 : ember_value_get_length (list);
  ember_status status;
  uint32_t node, kept = 0;

  if (one != NULL && list != NULL)
    return fail (c, "“enum” and “const” together are not supported");
  if (list != NULL && (ember_value_get_type (list) != EMBER_VALUE_LIST || n == 0))
    return fail (c, "“enum” must be a list of values, not empty");
  status = new_any_of (c, (uint32_t) n, &node);
  if (status != EMBER_OK)
    return status;
  for (size_t i = 0; i < n; i++)
    {
      const ember_value *v = one != NULL ? one : ember_value_list_get (list, i);
      char *text = NULL;
      size_t len = 0;
      uint32_t literal;

      if (!value_has_types (v, types))
        continue;
      status = json_text (c, v, &text, &len);
      if (status == EMBER_OK)
        status = new_literal (c, text, len, &literal);
      free (text);
      if (status != EMBER_OK)
        return status;
      c->g->nodes[node].branches[kept++] = literal;
    }
  if (kept == 0)
    return fail (c, one != NULL ? "“const” is not of the schema’s “type”"
                                : "no value of “enum” is of the schema’s “type”");
  c->g->nodes[node].n_branches = kept;
  *out = node;
  return EMBER_OK;
}

static ember_status
compile_object (compiler          *c,
                const ember_value *schema,
                uint32_t          *out)
{
  const ember_value *props = ember_value_dict_get (schema, "properties");
  const ember_value *required = ember_value_dict_get (schema, "required");
  const ember_value *additional = ember_value_dict_get (schema, "additionalProperties");
  size_t n_props = ember_value_get_length (props), n_req = ember_value_get_length (required);
  ember_status status;
  json_node *o;
  uint32_t node;

  if (props != NULL && ember_value_get_type (props) != EMBER_VALUE_DICT)
    return fail (c, "“properties” must be an object");
  if (required != NULL && ember_value_get_type (required) != EMBER_VALUE_LIST)
    return fail (c, "“required” must be a list of names");
  for (size_t i = 0; i < n_req; i++)
    {
      const ember_value *name = ember_value_list_get (required, i);
      char what[EMBER_ERROR_MESSAGE_MAX / 2];

      if (ember_value_get_type (name) != EMBER_VALUE_STRING)
        return fail (c, "“required” must be a list of names");
      if (ember_value_dict_get (props, ember_value_get_string (name, NULL)) == NULL)
        {
          snprintf (what, sizeof what,
                    "the required property “%.100s” is not in “properties” (only listed properties are generated)",
                    ember_value_get_string (name, NULL));
          return fail (c, what);
        }
    }
  if (additional != NULL && ember_value_get_type (additional) != EMBER_VALUE_BOOL
      && ember_value_get_type (additional) != EMBER_VALUE_DICT)
    return fail (c, "“additionalProperties” must be a boolean or a schema");

  status = new_node (c, JSON_NODE_OBJECT, &node);
  if (status != EMBER_OK)
    return status;
  if (n_props == 0)
    {
      /* no properties: any members (of "additionalProperties"), or none */
      if (additional != NULL && ember_value_get_type (additional) == EMBER_VALUE_BOOL
          && !ember_value_get_bool (additional))
        {
          *out = node;
          return EMBER_OK;
        }
      uint32_t values;

      if (additional != NULL && ember_value_get_type (additional) == EMBER_VALUE_DICT)
        status = compile_member (c, schema, "additionalProperties", &values);
      else
        status = any_node (c, &values);
      if (status != EMBER_OK)
        return status;
      /* (c->g->nodes may have moved) */
      c->g->nodes[node].free_form = true;
      c->g->nodes[node].values = values;
      *out = node;
      return EMBER_OK;
    }

  o = &c->g->nodes[node];
  o->props = calloc (n_props, sizeof *o->props);
  o->req_after = calloc (n_props + 1, sizeof *o->req_after);
  if (o->props == NULL || o->req_after == NULL)
    return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  o->n_props = (uint32_t) n_props;
  for (size_t i = 0; i < n_props; i++)
    {
      const char *key;
      size_t key_len;
      const ember_value *sub = ember_value_dict_get_entry (props, i, &key, &key_len);
      ember_value *key_value = ember_value_new_string (key, key_len);
      char *text = NULL;
      size_t len = 0;
      uint32_t value_node;
      size_t mark;

      if (key_value == NULL)
        return ember_error_set (c->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      status = json_text (c, key_value, &text, &len);
      ember_value_unref (key_value);
      if (status != EMBER_OK)
        return status;
      /* c->g->nodes may move while the property's schema compiles */
      c->g->nodes[node].props[i].key = text;
      c->g->nodes[node].props[i].key_len = (uint32_t) len;
      for (size_t r = 0; r < n_req; r++)
        if (strcmp (ember_value_get_string (ember_value_list_get (required, r), NULL), key) == 0)
          c->g->nodes[node].props[i].required = true;
      mark = path_push (c, "properties");
      path_push (c, key);
      status = compile (c, sub, &value_node);
      if (status != EMBER_OK)
        return status;
      path_pop (c, mark);
      c->g->nodes[node].props[i].node = value_node;
    }
  *out = node;
  return EMBER_OK;
}

static ember_status
compile_array (compiler          *c,
               const ember_value *schema,
               uint32_t          *out)
{
  const ember_value *items = ember_value_dict_get (schema, "items");
  uint32_t node, min_items = 0, max_items = UINT32_MAX, item_node;
  ember_status status;

  if (items != NULL && ember_value_get_type (items) == EMBER_VALUE_LIST)
    return fail (c, "“items” as a list (tuples) is not supported");
  if ((status = get_count (c, schema, "minItems", &min_items)) != EMBER_OK
      || (status = get_count (c, schema, "maxItems", &max_items)) != EMBER_OK)
    return status;
  if (min_items > max_items)
    return fail (c, "“minItems” is larger than “maxItems”");
  if (items != NULL)
    status = compile_member (c, schema, "items", &item_node);
  else
    status = any_node (c, &item_node);
  if (status != EMBER_OK)
    return status;
  status = new_node (c, JSON_NODE_ARRAY, &node);
  if (status != EMBER_OK)
    return status;
  c->g->nodes[node].items = item_node;
  c->g->nodes[node].min_items = min_items;
  c->g->nodes[node].max_items = max_items;
  *out = node;
  return EMBER_OK;
}

static ember_status
compile_type (compiler          *c,
              const ember_value *schema,
              const char        *type,
              uint32_t          *out)
{
  ember_status status;
  uint32_t a, b;

  if (strcmp (type, "object") == 0)
    return compile_object (c, schema, out);
  if (strcmp (type, "array") == 0)
    return compile_array (c, schema, out);
  if (strcmp (type, "string") == 0)
    {
      uint32_t min_length = 0, max_length = UINT32_MAX;

      if ((status = get_count (c, schema, "minLength", &min_length)) != EMBER_OK
          || (status = get_count (c, schema, "maxLength", &max_length)) != EMBER_OK)
        return status;
      if (min_length > max_length)
        return fail (c, "“minLength” is larger than “maxLength”");
      if ((status = new_node (c, JSON_NODE_STRING, out)) != EMBER_OK)
        return status;
      c->g->nodes[*out].min_length = min_length;
      c->g->nodes[*out].max_length = max_length;
      return EMBER_OK;
    }
  if (strcmp (type, "number") == 0)
    return new_node (c, JSON_NODE_NUMBER, out);
  if (strcmp (type, "integer") == 0)
    return new_node (c, JSON_NODE_INTEGER, out);
  if (strcmp (type, "null") == 0)
    return new_literal (c, "null", 4, out);
  if (strcmp (type, "boolean") == 0)
    {
      if ((status = new_literal (c, "true", 4, &a)) != EMBER_OK
          || (status = new_literal (c, "false", 5, &b)) != EMBER_OK
          || (status = new_any_of (c, 2, out)) != EMBER_OK)
        return status;
      c->g->nodes[*out].branches[0] = a;
      c->g->nodes[*out].branches[1] = b;
      return EMBER_OK;
    }
  {
    char what[EMBER_ERROR_MESSAGE_MAX / 2];

    snprintf (what, sizeof what, "unknown “type” “%.60s”", type);
    return fail (c, what);
  }
}

/* Whether @schema has a constraining keyword other than those in @allowed. */
static const char *
other_keyword (const ember_value *schema,
               const char *const *allowed)
{
  for (size_t i = 0; i < ember_value_get_length (schema); i++)
    {
      const char *key;

      ember_value_dict_get_entry (schema, i, &key, NULL);
      if (!in_list (key, annotations) && !in_list (key, allowed))
        return key;
    }
  return NULL;
}

static ember_status
compile (compiler          *c,
         const ember_value *schema,
         uint32_t          *out)
{
  const ember_value *types;
  const char *other;
  char what[EMBER_ERROR_MESSAGE_MAX / 2];
  ember_status status;
  uint32_t node;

  if (ember_value_get_type (schema) == EMBER_VALUE_BOOL)
    {
      if (!ember_value_get_bool (schema))
        return fail (c, "the schema false allows no value");
      return any_node (c, out);
    }
  if (ember_value_get_type (schema) != EMBER_VALUE_DICT)
    return fail (c, "a schema must be an object or a boolean");

  for (size_t i = 0; i < ember_value_get_length (schema); i++)
    {
      const char *key;

      ember_value_dict_get_entry (schema, i, &key, NULL);
      if (!in_list (key, annotations) && !in_list (key, supported))
        {
          snprintf (what, sizeof what, "unsupported keyword “%.60s”", key);
          return fail (c, what);
        }
    }

  if (ember_value_dict_get (schema, "$ref") != NULL)
    {
      static const char *const alone[] = { "$ref", NULL };

      if ((other = other_keyword (schema, alone)) != NULL)
        {
          snprintf (what, sizeof what, "“%.60s” beside “$ref” is not supported", other);
          return fail (c, what);
        }
      return compile_ref (c, schema, out);
    }
  for (size_t k = 0; k < 3; k++)
    {
      static const char *const lists[] = { "anyOf", "oneOf", "allOf" };
      const char *const alone[] = { lists[k], NULL };

      if (ember_value_dict_get (schema, lists[k]) == NULL)
        continue;
      if ((other = other_keyword (schema, alone)) != NULL)
        {
          snprintf (what, sizeof what, "“%.60s” beside “%s” is not supported", other, lists[k]);
          return fail (c, what);
        }
      return compile_alternatives (c, schema, lists[k], out);
    }

  types = ember_value_dict_get (schema, "type");
  if (types != NULL)
    {
      bool ok = ember_value_get_type (types) == EMBER_VALUE_STRING
                || (ember_value_get_type (types) == EMBER_VALUE_LIST
                    && ember_value_get_length (types) > 0);

      for (size_t i = 0; ok && ember_value_get_type (types) == EMBER_VALUE_LIST
                         && i < ember_value_get_length (types); i++)
        ok = ember_value_get_type (ember_value_list_get (types, i)) == EMBER_VALUE_STRING;
      if (!ok)
        return fail (c, "“type” must be a name or a list of names");
    }

  if (ember_value_dict_get (schema, "enum") != NULL || ember_value_dict_get (schema, "const") != NULL)
    {
      static const char *const alone[] = { "enum", "const", "type", NULL };

      if ((other = other_keyword (schema, alone)) != NULL)
        {
          snprintf (what, sizeof what, "“%.60s” beside “enum” or “const” is not supported", other);
          return fail (c, what);
        }
      return compile_values (c, schema, out);
    }

  if (types == NULL)
    {
      /* no type: what the keywords are about, or anything */
      if (ember_value_dict_get (schema, "properties") != NULL
          || ember_value_dict_get (schema, "required") != NULL
          || ember_value_dict_get (schema, "additionalProperties") != NULL)
        return compile_type (c, schema, "object", out);
      if (ember_value_dict_get (schema, "items") != NULL
          || ember_value_dict_get (schema, "minItems") != NULL
          || ember_value_dict_get (schema, "maxItems") != NULL)
        return compile_type (c, schema, "array", out);
      if (ember_value_dict_get (schema, "minLength") != NULL
          || ember_value_dict_get (schema, "maxLength") != NULL)
        return compile_type (c, schema, "string", out);
      return any_node (c, out);
    }
  if (ember_value_get_type (types) == EMBER_VALUE_STRING)
    return compile_type (c, schema, ember_value_get_string (types, NULL), out);

  status = new_any_of (c, (uint32_t) ember_value_get_length (types), &node);
  if (status != EMBER_OK)
    return status;
  for (size_t i = 0; i < ember_value_get_length (types); i++)
    {
      uint32_t branch;

      status = compile_type (c, schema, ember_value_get_string (ember_value_list_get (types, i), NULL),
                             &branch);
      if (status != EMBER_OK)
        return status;
      c->g->nodes[node].branches[i] = branch;
    }
  *out = node;
  return EMBER_OK;
}

/* ---- lengths -------------------------------------------------------------- */

static uint32_t
object_open_cost (const json_node *o)
{
  /* after "{": the required properties (the first without its comma), "}" */
  if (o->free_form || o->n_props == 0)
    return 1;
  return json_add (o->req_after[0] > 0 ? o->req_after[0] - 1 : 0, 1);
}

static uint32_t
node_min_len (const ember_json_grammar *g,
              const json_node          *n)
{
  uint32_t best = JSON_INF, item, m;

  switch (n->kind)
    {
    case JSON_NODE_OBJECT:
      return json_add (1, object_open_cost (n));
    case JSON_NODE_ARRAY:
      m = n->min_items;
      if (m == 0)
        return 2;
      item = g->nodes[n->items].min_len;
      if (item >= JSON_INF || (uint64_t) m * (item + 1) >= JSON_INF)
        return JSON_INF;
      return 1 + m * (item + 1);
    case JSON_NODE_STRING:
      return json_add (2, n->min_length);
    case JSON_NODE_NUMBER:
    case JSON_NODE_INTEGER:
      return 1;
    case JSON_NODE_LITERAL:
      return n->len;
    case JSON_NODE_ANY_OF:
    default:
      for (uint32_t i = 0; i < n->n_branches; i++)
        if (g->nodes[n->branches[i]].min_len < best)
          best = g->nodes[n->branches[i]].min_len;
      return best;
    }
}

static uint32_t
node_min_depth (const ember_json_grammar *g,
                const json_node          *n)
{
  uint32_t best = JSON_INF;

  switch (n->kind)
    {
    case JSON_NODE_OBJECT:
      best = 0;
      for (uint32_t p = 0; p < n->n_props; p++)
        if (n->props[p].required && g->nodes[n->props[p].node].min_depth > best)
          best = g->nodes[n->props[p].node].min_depth;
      return json_add (best, 1);
    case JSON_NODE_ARRAY:
      return json_add (n->min_items > 0 ? g->nodes[n->items].min_depth : 0, 1);
    case JSON_NODE_ANY_OF:
      for (uint32_t i = 0; i < n->n_branches; i++)
        if (g->nodes[n->branches[i]].min_depth < best)
          best = g->nodes[n->branches[i]].min_depth;
      return best;
    default:
      return 1;
    }
}

/* The fewest bytes of every node, by relaxation from "infinite" (a schema
 * may refer to itself); the required properties' costs with them; and the
 * fewest levels. */
static void
compute_lengths (ember_json_grammar *g)
{
  bool changed = true;

  while (changed)
    {
      changed = false;
      for (uint32_t i = 0; i < g->n_nodes; i++)
        {
          json_node *n = &g->nodes[i];
          uint32_t len;

          if (n->kind == JSON_NODE_OBJECT && !n->free_form && n->n_props > 0)
            {
              n->req_after[n->n_props] = 0;
              n->last_required = 0;
              for (uint32_t p = n->n_props; p-- > 0;)
                {
                  const json_property *prop = &n->props[p];

                  n->req_after[p] = n->req_after[p + 1];
                  if (prop->required)
                    {
                      n->req_after[p] = json_add (n->req_after[p],
                                                  json_add (prop->key_len + 2,
                                                            g->nodes[prop->node].min_len));
                      if (n->last_required == 0)
                        n->last_required = p + 1;
                    }
                }
            }
          len = node_min_len (g, n);
          if (len < n->min_len)
            {
              n->min_len = len;
              changed = true;
            }
          len = node_min_depth (g, n);
          if (len < n->min_depth)
            {
              n->min_depth = len;
              changed = true;
            }
        }
    }
}

/* Whether an ANY_OF reaches itself through ANY_OFs alone ({"$ref": "#"} in
 * its own definition): a value of it would never start. */
static bool
has_empty_cycle (const ember_json_grammar *g,
                 uint32_t                  node,
                 uint8_t                  *mark)
{
  const json_node *n = &g->nodes[node];

  if (n->kind != JSON_NODE_ANY_OF || mark[node] == 2)
    return false;
  if (mark[node] == 1)
    return true;
  mark[node] = 1;
  for (uint32_t i = 0; i < n->n_branches; i++)
    if (has_empty_cycle (g, n->branches[i], mark))
      return true;
  mark[node] = 2;
  return false;
}

/* ---- public ------------------------------------------------------------- */

void
ember_json_grammar_free (ember_json_grammar *g)
{
  if (g == NULL)
    return;
  for (uint32_t i = 0; i < g->n_nodes; i++)
    {
      json_node *n = &g->nodes[i];

      for (uint32_t p = 0; p < n->n_props; p++)
        free (n->props[p].key);
      free (n->props);
      free (n->req_after);
      free (n->text);
      free (n->branches);
    }
  free (g->nodes);
  free (g);
}

uint32_t
ember_json_grammar_get_min_length (const ember_json_grammar *g)
{
  return g->nodes[g->root].min_len;
}

ember_status
ember_json_grammar_new (const char          *format,
                        size_t               len,
                        ember_json_grammar **out,
                        ember_error         *error)
{
  compiler c = { .any = NO_NODE, .error = error };
  ember_value *schema = NULL;
  ember_status status;
  uint8_t *mark;

  if (out == NULL || format == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no format");
  *out = NULL;
  if (len == (size_t) -1)
    len = strlen (format);
  c.g = calloc (1, sizeof *c.g);
  if (c.g == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");

  if (len == 4 && memcmp (format, "json", 4) == 0)
    {
      /* JSON mode: an object of anything */
      uint32_t values;

      status = any_node (&c, &values);
      if (status == EMBER_OK)
        status = new_node (&c, JSON_NODE_OBJECT, &c.g->root);
      if (status == EMBER_OK)
        {
          c.g->nodes[c.g->root].free_form = true;
          c.g->nodes[c.g->root].values = values;
        }
    }
  else
    {
      ember_error e = { 0 };

      if (ember_value_from_json (format, len, &schema, &e) != EMBER_OK)
        status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "the format is neither “json” nor a JSON Schema (%s)", e.message);
      else if (ember_value_get_type (schema) != EMBER_VALUE_DICT
               && ember_value_get_type (schema) != EMBER_VALUE_BOOL)
        status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "the format is neither “json” nor a JSON Schema (an object)");
      else
        {
          c.root = schema;
          status = compile (&c, schema, &c.g->root);
        }
    }

  if (status == EMBER_OK)
    {
      mark = calloc (c.g->n_nodes, 1);
      if (mark == NULL)
        status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      for (uint32_t i = 0; status == EMBER_OK && i < c.g->n_nodes; i++)
        if (has_empty_cycle (c.g, i, mark))
          status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                    "a “$ref” refers to itself with no value in between");
      free (mark);
    }
  if (status == EMBER_OK)
    {
      compute_lengths (c.g);
      if (c.g->nodes[c.g->root].min_len >= JSON_INF
          || c.g->nodes[c.g->root].min_depth > EMBER_JSON_MAX_DEPTH)
        status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "the schema allows no document of finite length");
    }

  for (uint32_t i = 0; i < c.n_refs; i++)
    free (c.refs[i].ref);
  free (c.refs);
  ember_value_unref (schema);
  if (status != EMBER_OK)
    {
      ember_json_grammar_free (c.g);
      return status;
    }
  *out = c.g;
  return EMBER_OK;
}
