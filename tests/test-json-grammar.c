/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Constrained sampling for JSON (engine/grammar/): the matcher against
 * json-glib as the outside oracle. Thousands of generated documents (and
 * every prefix of them) are taken; mutated ones are taken as whole exactly
 * when json-glib parses them, where json-glib's leniencies (comments, 01,
 * 'quotes', trailing data …) are told apart by ember's strict RFC 8259
 * parser; documents that the matcher writes itself, byte by random byte,
 * always parse and match their schema, and the shortest completion it
 * claims is always there. Schemas: what compiles and the messages of what
 * does not. Then stories260K (../shared; skips without it) writing JSON at
 * temperature 0.8 for several seeds, in JSON mode and with a schema, and
 * steered to close its document before num_predict runs out.
 */

#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "test-common.h"

#define assert_ok(call, error)                                                       \
  G_STMT_START {                                                                     \
    ember_status s_ = (call);                                                        \
    if (s_ != EMBER_OK)                                                              \
      g_error ("%s: %s", #call, (error).message);                                    \
  } G_STMT_END

static ember_json_grammar *
grammar_new (const char *format)
{
  ember_json_grammar *g = NULL;
  ember_error error = { 0 };

  assert_ok (ember_json_grammar_new (format, (size_t) -1, &g, &error), error);
  return g;
}

/* ---- the oracles ---------------------------------------------------------- */

static void
count_member_cb (JsonParser *parser,
                 JsonObject *object,
                 const char *name,
                 guint      *count)
{
  (*count)++;
}

static guint
count_members (JsonNode *node)
{
  guint n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr (GList) members = json_object_get_values (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        n += 1 + count_members (l->data);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      n += count_members (json_array_get_element (json_node_get_array (node), i));
  return n;
}

/* json-glib's tree of @text, or NULL; *duplicates (may be NULL): whether
 * an object has a key twice (json-glib keeps the last). */
static JsonNode *
glib_parse_full (const char *text,
                 gsize       len,
                 gboolean   *duplicates)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint parsed = 0;

  g_signal_connect (parser, "object-member", G_CALLBACK (count_member_cb), &parsed);
  /* (an empty text "parses", to no root) */
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL)
      || json_parser_get_root (parser) == NULL)
    return NULL;
  if (duplicates != NULL)
    *duplicates = parsed != count_members (json_parser_get_root (parser));
  return json_node_copy (json_parser_get_root (parser));
}

static JsonNode *
glib_parse (const char *text,
            gsize       len)
{
  return glib_parse_full (text, len, NULL);
}

/* ember's strict parser: json-glib takes 01, .5, 'a', comments, control
 * characters in strings and data after the value. */
static gboolean
strict_parses (const char *text,
               gsize       len)
{
  ember_value *v = NULL;
  ember_error error = { 0 };

  if (ember_value_from_json (text, len, &v, &error) != EMBER_OK)
    return FALSE;
  ember_value_unref (v);
  return TRUE;
}

static JsonNode *
schema_resolve (JsonNode   *schema,
                JsonObject *root)
{
  while (JSON_NODE_HOLDS_OBJECT (schema)
         && json_object_has_member (json_node_get_object (schema), "$ref"))
    {
      const char *ref = json_object_get_string_member (json_node_get_object (schema), "$ref");

      if (g_str_equal (ref, "#"))
        return NULL; /* the root: the caller passes it */
      g_assert_true (g_str_has_prefix (ref, "#/$defs/"));
      schema = json_object_get_member (json_object_get_object_member (root, "$defs"), ref + 8);
    }
  return schema;
}

static gboolean
is_integer_node (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return TRUE;
  return json_node_get_value_type (node) == G_TYPE_DOUBLE
         && json_node_get_double (node) == (gint64) json_node_get_double (node);
}

static gboolean
has_type (JsonNode   *node,
          const char *type)
{
  if (g_str_equal (type, "null"))
    return JSON_NODE_HOLDS_NULL (node);
  if (g_str_equal (type, "object"))
    return JSON_NODE_HOLDS_OBJECT (node);
  if (g_str_equal (type, "array"))
    return JSON_NODE_HOLDS_ARRAY (node);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (g_str_equal (type, "string"))
    return json_node_get_value_type (node) == G_TYPE_STRING;
  if (g_str_equal (type, "boolean"))
    return json_node_get_value_type (node) == G_TYPE_BOOLEAN;
  if (g_str_equal (type, "integer"))
    return is_integer_node (node);
  if (g_str_equal (type, "number"))
    return json_node_get_value_type (node) == G_TYPE_INT64
           || json_node_get_value_type (node) == G_TYPE_DOUBLE;
  g_assert_not_reached ();
}

/* Whether @node matches @schema (the subset Hearth supports), written
 * against json-glib's nodes. */
static gboolean
validate (JsonNode   *node,
          JsonNode   *schema,
          JsonObject *root,
          gboolean    strict)
{
  JsonNode *resolved = schema_resolve (schema, root);
  JsonObject *s;

  if (resolved == NULL)
    resolved = json_node_init_object (json_node_alloc (), root), schema = resolved;
  else
    schema = resolved;
  if (JSON_NODE_HOLDS_VALUE (schema))
    return json_node_get_boolean (schema);
  s = json_node_get_object (schema);

  if (json_object_has_member (s, "anyOf") || json_object_has_member (s, "oneOf"))
    {
      JsonArray *list = json_object_get_array_member (s, json_object_has_member (s, "anyOf") ? "anyOf" : "oneOf");
      guint matches = 0;

      for (guint i = 0; i < json_array_get_length (list); i++)
        matches += validate (node, json_array_get_element (list, i), root, strict);
      return json_object_has_member (s, "anyOf") ? matches > 0 : matches == 1;
    }
  if (json_object_has_member (s, "allOf"))
    return validate (node, json_array_get_element (json_object_get_array_member (s, "allOf"), 0), root,
                     strict);
  if (json_object_has_member (s, "const"))
    return json_node_equal (node, json_object_get_member (s, "const"));
  if (json_object_has_member (s, "enum"))
    {
      JsonArray *list = json_object_get_array_member (s, "enum");

      for (guint i = 0; i < json_array_get_length (list); i++)
        if (json_node_equal (node, json_array_get_element (list, i)))
          return TRUE;
      return FALSE;
    }
  if (json_object_has_member (s, "type"))
    {
      JsonNode *t = json_object_get_member (s, "type");
      gboolean ok = FALSE;

      if (JSON_NODE_HOLDS_ARRAY (t))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (t)); i++)
          ok |= has_type (node, json_array_get_string_element (json_node_get_array (t), i));
      else
        ok = has_type (node, json_node_get_string (t));
      if (!ok)
        return FALSE;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonObject *props = json_object_has_member (s, "properties")
                            ? json_object_get_object_member (s, "properties") : NULL;
      JsonNode *additional = json_object_get_member (s, "additionalProperties");
      g_autoptr (GList) members = json_object_get_members (o);
      g_autoptr (GList) listed = props != NULL ? json_object_get_members (props) : NULL;

      if (json_object_has_member (s, "required"))
        {
          JsonArray *req = json_object_get_array_member (s, "required");

          for (guint i = 0; i < json_array_get_length (req); i++)
            if (!json_object_has_member (o, json_array_get_string_element (req, i)))
              return FALSE;
        }
      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *sub = props != NULL ? json_object_get_member (props, l->data) : NULL;

          /* strict: what the matcher writes, the listed properties only,
           * in their order */
          if (strict && props != NULL && json_object_get_size (props) > 0)
            {
              while (listed != NULL && !g_str_equal (listed->data, l->data))
                listed = g_list_delete_link (listed, listed);
              if (listed == NULL)
                return FALSE;
            }
          if (sub == NULL)
            sub = additional;
          if (sub != NULL && !validate (json_object_get_member (o, l->data), sub, root, strict))
            return FALSE;
        }
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      guint n = json_array_get_length (a);

      if (json_object_has_member (s, "minItems") && n < json_object_get_int_member (s, "minItems"))
        return FALSE;
      if (json_object_has_member (s, "maxItems") && n > json_object_get_int_member (s, "maxItems"))
        return FALSE;
      if (json_object_has_member (s, "items"))
        for (guint i = 0; i < n; i++)
          if (!validate (json_array_get_element (a, i), json_object_get_member (s, "items"), root, strict))
            return FALSE;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      glong n = g_utf8_strlen (json_node_get_string (node), -1);

      if (json_object_has_member (s, "minLength") && n < json_object_get_int_member (s, "minLength"))
        return FALSE;
      if (json_object_has_member (s, "maxLength") && n > json_object_get_int_member (s, "maxLength"))
        return FALSE;
    }
  return TRUE;
}

/* Whether @text is a whole document of @schema (NULL: JSON mode, an object
 * at the top) for the oracles; *canonical (may be NULL) whether it is also
 * one the matcher writes: no key twice, and where a schema lists
 * properties, only those, in its order (ember-json-grammar.h). */
static gboolean
oracle_accepts_full (const char *text,
                     gsize       len,
                     JsonNode   *schema,
                     gboolean   *canonical)
{
  g_autoptr (JsonNode) node = NULL;
  gboolean duplicates = FALSE;

  if (canonical != NULL)
    *canonical = FALSE;
  if (!strict_parses (text, len) || (node = glib_parse_full (text, len, &duplicates)) == NULL)
    return FALSE;
  if (schema == NULL)
    {
      if (canonical != NULL)
        *canonical = TRUE;
      return JSON_NODE_HOLDS_OBJECT (node);
    }
  if (!validate (node, schema, json_node_get_object (schema), FALSE))
    return FALSE;
  if (canonical != NULL)
    *canonical = !duplicates && validate (node, schema, json_node_get_object (schema), TRUE);
  return TRUE;
}

static gboolean
oracle_accepts (const char *text,
                gsize       len,
                JsonNode   *schema)
{
  gboolean canonical;

  return oracle_accepts_full (text, len, schema, &canonical) && canonical;
}

/* ---- generated documents ------------------------------------------------------ */

static void
gen_ws (GRand   *r,
        GString *s)
{
  static const char ws[] = " \t\n\r";
  int n = g_rand_int_range (r, 0, 10) < 7 ? 0 : g_rand_int_range (r, 1, 4);

  for (int i = 0; i < n; i++)
    g_string_append_c (s, ws[g_rand_int_range (r, 0, i < 2 ? 4 : 2)]);   /* 2 line breaks at most */
}

/* A string of @min to @max characters; @prefix (or NULL) first. */
static void
gen_string_prefixed (GRand      *r,
                     GString    *s,
                     const char *prefix,
                     int         min,
                     int         max)
{
  static const char *const pieces[] = {
    "a", "Z", "0", " ", "~", "\x7f", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
    "\\u00e9", "\\u4E2D", "\\u001f", "\\ud83d\\ude00", "é", "中", "😀", "\xe2\x80\xa8", "'",
    "{", "}", "[", ",", ":",
  };
  int n = min + g_rand_int_range (r, 0, MIN (max - min, 8) + 1);

  g_string_append_c (s, '"');
  if (prefix != NULL)
    g_string_append (s, prefix);
  for (int i = 0; i < n; i++)
    g_string_append (s, pieces[g_rand_int_range (r, 0, G_N_ELEMENTS (pieces))]);
  g_string_append_c (s, '"');
}

static void
gen_string (GRand   *r,
            GString *s,
            int      min,
            int      max)
{
  gen_string_prefixed (r, s, NULL, min, max);
}

static void
gen_digits (GRand   *r,
            GString *s,
            int      max,
            gboolean first_nonzero)
{
  int n = g_rand_int_range (r, 1, max + 1);

  for (int i = 0; i < n; i++)
    g_string_append_c (s, (char) ('0' + g_rand_int_range (r, i == 0 && first_nonzero ? 1 : 0, 10)));
}

static void
gen_number (GRand   *r,
            GString *s,
            gboolean integer)
{
  if (g_rand_boolean (r))
    g_string_append_c (s, '-');
  if (g_rand_int_range (r, 0, 4) == 0)
    g_string_append_c (s, '0');
  else
    gen_digits (r, s, 12, TRUE);
  if (integer)
    return;
  if (g_rand_boolean (r))
    {
      g_string_append_c (s, '.');
      gen_digits (r, s, 10, FALSE);
    }
  if (g_rand_int_range (r, 0, 3) == 0)
    {
      g_string_append (s, g_rand_boolean (r) ? "e" : "E");
      if (g_rand_boolean (r))
        g_string_append_c (s, g_rand_boolean (r) ? '+' : '-');
      gen_digits (r, s, 2, FALSE);
    }
}

static void gen_any (GRand *r, GString *s, int depth);

static void
gen_object_any (GRand   *r,
                GString *s,
                int      depth)
{
  int n = depth > 4 ? 0 : g_rand_int_range (r, 0, 4);

  g_string_append_c (s, '{');
  gen_ws (r, s);
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        {
          g_string_append_c (s, ',');
          gen_ws (r, s);
        }
      {
        /* keys differ: json-glib keeps one of two equal keys */
        char prefix[2] = { (char) ('a' + i), '\0' };

        gen_string_prefixed (r, s, prefix, 0, 4);
      }
      gen_ws (r, s);
      g_string_append_c (s, ':');
      gen_ws (r, s);
      gen_any (r, s, depth + 1);
      gen_ws (r, s);
    }
  g_string_append_c (s, '}');
}

static void
gen_any (GRand   *r,
         GString *s,
         int      depth)
{
  int n;

  switch (g_rand_int_range (r, 0, depth > 4 ? 5 : 8))
    {
    case 0:
      gen_string (r, s, 0, 6);
      break;
    case 1:
      gen_number (r, s, FALSE);
      break;
    case 2:
      g_string_append (s, "true");
      break;
    case 3:
      g_string_append (s, "false");
      break;
    case 4:
      g_string_append (s, "null");
      break;
    case 5:
    case 6:
      gen_object_any (r, s, depth);
      break;
    default:
      n = g_rand_int_range (r, 0, 4);
      g_string_append_c (s, '[');
      gen_ws (r, s);
      for (int i = 0; i < n; i++)
        {
          if (i > 0)
            {
              g_string_append_c (s, ',');
              gen_ws (r, s);
            }
          gen_any (r, s, depth + 1);
          gen_ws (r, s);
        }
      g_string_append_c (s, ']');
      break;
    }
}

/* A document of @schema (the test schemas' subset: enum values are ASCII
 * strings, whole numbers, booleans and null, written as the matcher writes
 * them). */
static void
gen_schema (GRand      *r,
            GString    *s,
            JsonNode   *schema,
            JsonObject *root,
            int         depth)
{
  JsonNode *resolved = schema_resolve (schema, root);
  const char *type = NULL;
  JsonObject *o;

  if (resolved == NULL)
    {
      g_autoptr (JsonNode) whole = json_node_init_object (json_node_alloc (), root);

      gen_schema (r, s, whole, root, depth);
      return;
    }
  schema = resolved;
  if (JSON_NODE_HOLDS_VALUE (schema))
    {
      gen_any (r, s, depth);
      return;
    }
  o = json_node_get_object (schema);
  if (json_object_has_member (o, "anyOf") || json_object_has_member (o, "oneOf"))
    {
      JsonArray *list = json_object_get_array_member (o, json_object_has_member (o, "anyOf") ? "anyOf" : "oneOf");

      gen_schema (r, s, json_array_get_element (list, g_rand_int_range (r, 0, json_array_get_length (list))),
                  root, depth);
      return;
    }
  if (json_object_has_member (o, "enum") || json_object_has_member (o, "const"))
    {
      JsonNode *v = json_object_has_member (o, "const") ? json_object_get_member (o, "const") : NULL;
      g_autofree char *text = NULL;

      if (v == NULL)
        {
          JsonArray *list = json_object_get_array_member (o, "enum");

          v = json_array_get_element (list, g_rand_int_range (r, 0, json_array_get_length (list)));
        }
      text = json_to_string (v, FALSE);
      g_string_append (s, text);
      return;
    }
  if (json_object_has_member (o, "type"))
    {
      JsonNode *t = json_object_get_member (o, "type");

      if (JSON_NODE_HOLDS_ARRAY (t))
        type = json_array_get_string_element (json_node_get_array (t),
                                              g_rand_int_range (r, 0, json_array_get_length (json_node_get_array (t))));
      else
        type = json_node_get_string (t);
    }
  else if (json_object_has_member (o, "properties"))
    type = "object";
  if (type == NULL)
    gen_any (r, s, depth);
  else if (g_str_equal (type, "null"))
    g_string_append (s, "null");
  else if (g_str_equal (type, "boolean"))
    g_string_append (s, g_rand_boolean (r) ? "true" : "false");
  else if (g_str_equal (type, "integer") || g_str_equal (type, "number"))
    gen_number (r, s, g_str_equal (type, "integer"));
  else if (g_str_equal (type, "string"))
    gen_string (r, s, json_object_has_member (o, "minLength") ? json_object_get_int_member (o, "minLength") : 0,
                json_object_has_member (o, "maxLength") ? json_object_get_int_member (o, "maxLength") : 8);
  else if (g_str_equal (type, "array"))
    {
      int min = json_object_has_member (o, "minItems") ? json_object_get_int_member (o, "minItems") : 0;
      int max = json_object_has_member (o, "maxItems") ? json_object_get_int_member (o, "maxItems") : min + 3;
      int n = depth > 5 ? min : min + g_rand_int_range (r, 0, MIN (max - min, 3) + 1);

      g_string_append_c (s, '[');
      gen_ws (r, s);
      for (int i = 0; i < n; i++)
        {
          if (i > 0)
            {
              g_string_append_c (s, ',');
              gen_ws (r, s);
            }
          if (json_object_has_member (o, "items"))
            gen_schema (r, s, json_object_get_member (o, "items"), root, depth + 1);
          else
            gen_any (r, s, depth + 1);
          gen_ws (r, s);
        }
      g_string_append_c (s, ']');
    }
  else if (!json_object_has_member (o, "properties"))
    {
      /* a map: any keys, values of "additionalProperties" */
      JsonNode *values = json_object_get_member (o, "additionalProperties");
      int n = depth > 5 ? 0 : g_rand_int_range (r, 0, 3);

      g_string_append_c (s, '{');
      for (int i = 0; i < n; i++)
        {
          g_string_append_printf (s, "%s\"k%d\":", i > 0 ? "," : "", i);
          if (values != NULL)
            gen_schema (r, s, values, root, depth + 1);
          else
            gen_any (r, s, depth + 1);
        }
      g_string_append_c (s, '}');
    }
  else
    {
      JsonObject *props = json_object_get_object_member (o, "properties");
      JsonArray *req = json_object_has_member (o, "required")
                         ? json_object_get_array_member (o, "required") : NULL;
      g_autoptr (GList) names = props != NULL ? json_object_get_members (props) : NULL;
      gboolean first = TRUE;

      g_string_append_c (s, '{');
      gen_ws (r, s);
      for (GList *l = names; l != NULL; l = l->next)
        {
          gboolean required = FALSE;

          for (guint i = 0; req != NULL && i < json_array_get_length (req); i++)
            required |= g_str_equal (json_array_get_string_element (req, i), l->data);
          if (!required && (depth > 5 || g_rand_boolean (r)))
            continue;
          if (!first)
            {
              g_string_append_c (s, ',');
              gen_ws (r, s);
            }
          first = FALSE;
          g_string_append_printf (s, "\"%s\"", (const char *) l->data);
          gen_ws (r, s);
          g_string_append_c (s, ':');
          gen_ws (r, s);
          gen_schema (r, s, json_object_get_member (props, l->data), root, depth + 1);
          gen_ws (r, s);
        }
      g_string_append_c (s, '}');
    }
}

/* ---- checks ----------------------------------------------------------------- */

/* Feeds @doc (valid) byte by byte: every prefix is taken, the shortest
 * completion is never longer than the rest of @doc, and the document is
 * complete at its end and not before (JSON mode: an object). */
static void
check_valid (ember_json_matcher *m,
             const GString      *doc,
             gboolean            object_top)
{
  ember_json_matcher_reset (m);
  for (gsize i = 0; i < doc->len; i++)
    {
      uint32_t d = ember_json_matcher_get_distance (m);

      if (d > doc->len - i)
        g_error ("the shortest completion after %zu bytes of %s is %u bytes, longer than the rest", i,
                 doc->str, d);
      if (object_top)
        g_assert_false (ember_json_matcher_is_complete (m));
      if (!ember_json_matcher_feed (m, doc->str + i, 1))
        g_error ("a valid document refused at byte %zu: %s", i, doc->str);
    }
  if (!ember_json_matcher_is_complete (m))
    g_error ("a valid document not complete: %s", doc->str);
  g_assert_cmpuint (ember_json_matcher_get_distance (m), ==, 0);
  if (object_top)
    g_assert_true (ember_json_matcher_is_finished (m));
}

/* Whether the matcher takes all of @text as a whole document. */
static gboolean
matcher_accepts (ember_json_matcher *m,
                 const char         *text,
                 gsize               len)
{
  ember_json_matcher_reset (m);
  return ember_json_matcher_feed (m, text, len) && ember_json_matcher_is_complete (m);
}

/* json-glib and the strict parser take things the matcher bounds: more
 * than EMBER_JSON_MAX_WHITESPACE whitespace in a row (never made here) or
 * more than EMBER_JSON_MAX_NEWLINES line breaks, \u0000
 * and lone surrogates (escapes are skipped), longer numbers. */
static gboolean
within_bounds (const char *text,
               gsize       len)
{
  int digits = 0, breaks = 0;

  if (memmem (text, len, "\\u", 2) != NULL)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      digits = g_ascii_isdigit (text[i]) ? digits + 1 : 0;
      if (digits > 2)
        return FALSE;   /* a mutation may make "1e123" */
      breaks = text[i] == '\n' || text[i] == '\r' ? breaks + 1
               : text[i] == ' ' || text[i] == '\t' ? breaks : 0;
      if (breaks > EMBER_JSON_MAX_NEWLINES)
        return FALSE;
    }
  return TRUE;
}

static void
mutate (GRand   *r,
        GString *s)
{
  static const char bytes[] = "{}[]\",:.-+eE0123456789 \\\nabtfnulr/\x01\xc3\xa9\xff";
  gsize at = s->len > 0 ? (gsize) g_rand_int_range (r, 0, (gint32) s->len) : 0;
  char c = bytes[g_rand_int_range (r, 0, sizeof bytes - 1)];

  switch (g_rand_int_range (r, 0, 5))
    {
    case 0:
      if (s->len > 0)
        g_string_erase (s, (gssize) at, 1);
      break;
    case 1:
      g_string_insert_c (s, (gssize) at, c);
      break;
    case 2:
      if (s->len > 0)
        s->str[at] = c;
      break;
    case 3:
      g_string_truncate (s, at);
      break;
    default:
      {
        gsize from = (gsize) g_rand_int_range (r, 0, (gint32) s->len + 1);
        gsize n = MIN ((gsize) g_rand_int_range (r, 1, 6), s->len - from);
        g_autofree char *chunk = g_strndup (s->str + from, n);

        g_string_insert (s, (gssize) at, chunk);
      }
      break;
    }
}

/* The matcher writes a document itself, a random allowed byte at a time,
 * steering to its end (by the bytes that bring it nearest) once @soft
 * bytes are written; at every step some byte brings the end exactly one
 * byte nearer. */
static GString *
walk (ember_json_matcher *m,
      GRand              *r,
      gsize               soft)
{
  GString *s = g_string_new (NULL);

  ember_json_matcher_reset (m);
  while (!ember_json_matcher_is_finished (m))
    {
      uint32_t d = ember_json_matcher_get_distance (m), after;
      guint8 allowed[256], nearer[256];
      guint n_allowed = 0, n_nearer = 0;
      char c;

      for (int b = 0; b < 256; b++)
        {
          char byte = (char) b;

          if (!ember_json_matcher_try (m, &byte, 1, &after))
            continue;
          /* printable ASCII mostly, now and then anything */
          if ((b >= 0x20 && b < 0x7f) || b == '\n' || g_rand_int_range (r, 0, 8) == 0)
            allowed[n_allowed++] = (guint8) b;
          if (after + 1 == d)
            nearer[n_nearer++] = (guint8) b;
        }
      if (d > 0 && n_nearer == 0)
        g_error ("no byte brings the end nearer after %s (%u bytes to go)", s->str, d);
      if (d == 0 && (n_nearer + n_allowed == 0 || s->len > soft || g_rand_int_range (r, 0, 4) == 0))
        break; /* a complete top-level number */
      if (s->len > soft || n_allowed == 0)
        c = (char) nearer[g_rand_int_range (r, 0, n_nearer)];
      else
        c = (char) allowed[g_rand_int_range (r, 0, n_allowed)];
      g_assert_true (ember_json_matcher_feed (m, &c, 1));
      g_string_append_c (s, c);
      g_assert_cmpuint (s->len, <, soft + 4096);
    }
  g_assert_true (ember_json_matcher_is_complete (m));
  return s;
}

/* All the checks for one format: @n generated documents with their
 * prefixes and mutants, and @n walks. */
static void
check_format (const char *format,
              guint       n,
              guint64     seed)
{
  gboolean json_mode = g_str_equal (format, "json");
  g_autoptr (JsonNode) schema = json_mode ? NULL : glib_parse (format, strlen (format));
  ember_json_grammar *g = grammar_new (format);
  ember_json_matcher *m = ember_json_matcher_new (g);
  g_autoptr (GRand) r = g_rand_new_with_seed ((guint32) seed);
  guint agreed = 0, lenient = 0, refused = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GString) doc = g_string_new (NULL);
      gboolean object_top;

      gen_ws (r, doc);
      if (json_mode)
        gen_object_any (r, doc, 0);
      else
        gen_schema (r, doc, schema, json_node_get_object (schema), 0);
      object_top = doc->len > 0 && strchr (doc->str, '{') != NULL
                   && doc->str[strspn (doc->str, " \t\r\n")] == '{';
      if (!oracle_accepts (doc->str, doc->len, schema))
        g_error ("the generator made something the oracles refuse: %s", g_strescape (doc->str, NULL));
      check_valid (m, doc, object_top);

      /* json-glib on the prefixes: only the whole is a document */
      if (i % 8 == 0)
        for (gsize k = 0; k < doc->len; k++)
          g_assert_false (matcher_accepts (m, doc->str, k) && !(oracle_accepts (doc->str, k, schema)));

      for (guint k = 0; k < 12; k++)
        {
          g_autoptr (GString) mutant = g_string_new_len (doc->str, (gssize) doc->len);
          gboolean by_matcher, by_oracle, canonical;

          mutate (r, mutant);
          if (g_rand_boolean (r))
            mutate (r, mutant);
          by_matcher = matcher_accepts (m, mutant->str, mutant->len);
          by_oracle = oracle_accepts_full (mutant->str, mutant->len, schema, &canonical);
          if (by_matcher && !(by_oracle && canonical))
            g_error ("the matcher takes what json-glib refuses: %s", g_strescape (mutant->str, NULL));
          if (by_oracle && canonical && !by_matcher && within_bounds (mutant->str, mutant->len))
            g_error ("the matcher refuses a document json-glib takes: %s", g_strescape (mutant->str, NULL));
          if (by_matcher == by_oracle)
            agreed++;
          else
            refused++;
          {
            g_autoptr (JsonNode) node = glib_parse (mutant->str, mutant->len);

            if (node != NULL && !by_oracle)
              lenient++;
          }
        }

      {
        g_autoptr (GString) written = walk (m, r, g_rand_int_range (r, 0, 200));

        if (!oracle_accepts (written->str, written->len, schema))
          g_error ("the matcher wrote what json-glib or the schema refuses: %s", written->str);
      }
    }
  g_test_message ("%s: %u documents, %u walks; mutants: %u agreed, %u refused for the bounds or "
                  "the properties' order, %u that only json-glib's leniency takes",
                  json_mode ? "json" : "schema", n, n, agreed, refused, lenient);
  ember_json_matcher_free (m);
  ember_json_grammar_free (g);
}

static void
test_json_mode (void)
{
  check_format ("json", 1500, 1);
}

static const char *const schemas[] = {
  "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}},"
  "\"required\":[\"name\",\"age\"]}",
  /* optional properties around required ones, nested objects and arrays */
  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"},\"b\":{\"type\":\"number\"},"
  "\"c\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":3},\"minItems\":1,\"maxItems\":3},"
  "\"d\":{\"type\":\"null\"},\"e\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}},"
  "\"required\":[\"b\",\"d\"]}",
  /* enum, const, type lists, anyOf, oneOf, lengths */
  "{\"type\":\"object\",\"properties\":{\"colour\":{\"enum\":[\"red\",\"green\",\"blue\",1,null,true]},"
  "\"v\":{\"const\":\"fixed\"},\"t\":{\"type\":[\"string\",\"null\",\"integer\"]},"
  "\"u\":{\"anyOf\":[{\"type\":\"string\",\"minLength\":2,\"maxLength\":4},{\"type\":\"array\",\"items\":{\"type\":\"number\"}}]},"
  "\"w\":{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},\"required\":[\"k\"]}]}},"
  "\"required\":[\"colour\",\"u\"]}",
  /* $ref, recursion, a map, free-form values */
  "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"},"
  "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"},\"maxItems\":2}},\"required\":[\"label\"]}},"
  "\"type\":\"object\",\"properties\":{\"root\":{\"$ref\":\"#/$defs/node\"},\"meta\":{\"type\":\"object\","
  "\"additionalProperties\":{\"type\":\"integer\"}},\"extra\":{}},\"required\":[\"root\"]}",
  /* top-level values that are not objects */
  "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}",
  "{\"type\":\"number\"}",
  "{\"enum\":[\"yes\",\"no\",12,1]}",
  "{\"type\":[\"boolean\",\"string\"]}",
};

static void
test_schemas (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (schemas); i++)
    check_format (schemas[i], 300, 100 + i);
}

static void
test_schema_errors (void)
{
  static const struct
  {
    const char *format;
    const char *message;
  } cases[] = {
    { "", "neither “json” nor a JSON Schema" },
    { "jsonx", "neither “json” nor a JSON Schema" },
    { "[1]", "neither “json” nor a JSON Schema" },
    { "{\"type\":\"string\",\"pattern\":\"a+\"}", "unsupported keyword “pattern” at the top level" },
    { "{\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date\"}}}", "unsupported keyword “format” at /properties/d" },
    { "{\"type\":\"integer\",\"minimum\":0}", "unsupported keyword “minimum”" },
    { "{\"type\":\"strin\"}", "unknown “type” “strin”" },
    { "{\"type\":3}", "“type” must be a name or a list of names" },
    { "{\"properties\":{\"a\":{}},\"required\":[\"b\"]}", "the required property “b” is not in “properties”" },
    { "{\"$ref\":\"#/$defs/missing\"}", "“$ref” “#/$defs/missing” refers to nothing" },
    { "{\"$ref\":\"http://example.com/s.json\"}", "is not supported" },
    { "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "refers to itself" },
    { "{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"n\":{\"$ref\":\"#/$defs/n\"}},\"required\":[\"n\"]}},\"$ref\":\"#/$defs/n\"}",
      "no document of finite length" },
    { "{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}", "“minItems” is larger than “maxItems”" },
    { "{\"type\":\"array\",\"minItems\":-1}", "“minItems” must be a whole number" },
    { "{\"type\":\"array\",\"items\":[{}]}", "tuples" },
    { "{\"anyOf\":[]}", "“anyOf” must be a list of schemas" },
    { "{\"type\":\"string\",\"anyOf\":[{}]}", "“type” beside “anyOf” is not supported" },
    { "{\"allOf\":[{},{}]}", "“allOf” is supported with one schema only" },
    { "{\"type\":\"string\",\"enum\":[1,2]}", "no value of “enum” is of the schema’s “type”" },
    { "{\"properties\":{\"a\":false}}", "the schema false allows no value at /properties/a" },
    { "{\"items\":{\"type\":\"object\",\"additionalProperties\":3}}", "“additionalProperties” must be a boolean or a schema at /items" },
  };
  static const char *const good[] = {
    "json", "true", "{}", "{\"title\":\"x\",\"description\":\"y\",\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}",
    "{\"type\":\"object\",\"additionalProperties\":false}",
    "{\"definitions\":{\"a\":{\"type\":\"string\"}},\"properties\":{\"a\":{\"$ref\":\"#/definitions/a\"}}}",
    "{\"allOf\":[{\"type\":\"string\"}]}", "{\"type\":\"string\",\"enum\":[\"a\",1]}",
    "{\"$defs\":{\"l\":{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/l\"}},\"required\":[\"next\"]}]}},\"$ref\":\"#/$defs/l\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ember_json_grammar *g = NULL;
      ember_error error = { 0 };

      g_assert_cmpint (ember_json_grammar_new (cases[i].format, (size_t) -1, &g, &error), ==,
                       EMBER_ERROR_INVALID_ARGUMENT);
      g_assert_null (g);
      if (strstr (error.message, cases[i].message) == NULL)
        g_error ("%s: “%s”, expected “%s”", cases[i].format, error.message, cases[i].message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    ember_json_grammar_free (grammar_new (good[i]));
}

/* Bounds: whitespace runs, depth, number lengths, escapes. */
static void
test_bounds (void)
{
  ember_json_grammar *g = grammar_new ("json");
  ember_json_matcher *m = ember_json_matcher_new (g);
  g_autoptr (GString) s = g_string_new ("{\"a\":");

  for (guint i = 0; i < EMBER_JSON_MAX_WHITESPACE; i++)
    g_string_append_c (s, ' ');
  g_assert_true (ember_json_matcher_feed (m, s->str, s->len));
  g_assert_false (ember_json_matcher_feed (m, "\n", strlen ("\n")));
  g_assert_true (ember_json_matcher_feed (m, "1", strlen ("1")));
  g_assert_true (ember_json_matcher_feed (m, "\n", strlen ("\n")));   /* a new run */

  ember_json_matcher_reset (m);
  g_string_assign (s, "{\"a\":");
  for (guint i = 0; i < EMBER_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (s, '[');
  g_assert_true (ember_json_matcher_feed (m, s->str, s->len));
  g_assert_false (ember_json_matcher_feed (m, "[", strlen ("[")));
  g_assert_false (ember_json_matcher_feed (m, "1", strlen ("1")));
  g_assert_cmpuint (ember_json_matcher_get_distance (m), ==, EMBER_JSON_MAX_DEPTH);
  g_assert_true (ember_json_matcher_feed (m, "],1", strlen ("],1")));   /* a number one level up */

  ember_json_matcher_reset (m);
  g_assert_true (ember_json_matcher_feed (m, "{\"a\":123456789012345", strlen ("{\"a\":123456789012345")));
  g_assert_false (ember_json_matcher_feed (m, "6", strlen ("6")));
  g_assert_true (ember_json_matcher_feed (m, ".5e-12}", strlen (".5e-12}")));
  g_assert_true (ember_json_matcher_is_finished (m));
  g_assert_true (ember_json_matcher_feed (m, " ", strlen (" ")));    /* whitespace after the end */
  g_assert_true (ember_json_matcher_is_finished (m));
  g_assert_false (ember_json_matcher_feed (m, "{", strlen ("{")));   /* nothing else */

  ember_json_matcher_reset (m);
  g_assert_true (ember_json_matcher_feed (m, "{\"a\":\"\\u00", strlen ("{\"a\":\"\\u00")));
  g_assert_false (ember_json_matcher_try (m, "00", strlen ("00"), NULL));      /* no NUL */
  ember_json_matcher_reset (m);
  g_assert_true (ember_json_matcher_feed (m, "{\"a\":\"\\ud83d", strlen ("{\"a\":\"\\ud83d")));
  g_assert_cmpuint (ember_json_matcher_get_distance (m), ==, 6 + 2);   /* \udc00"} */
  g_assert_false (ember_json_matcher_try (m, "\"", strlen ("\""), NULL));         /* no lone high surrogate */
  g_assert_true (ember_json_matcher_feed (m, "\\ude00\"}", strlen ("\\ude00\"}")));
  ember_json_matcher_reset (m);
  g_assert_false (ember_json_matcher_feed (m, "{\"a\":\"\\udc00", strlen ("{\"a\":\"\\udc00"))); /* no lone low one */
  g_assert_false (ember_json_matcher_feed (m, "{\"a\":\"\xed\xa0\x80", strlen ("{\"a\":\"\xed\xa0\x80")));  /* nor in UTF-8 */

  /* JSON mode: the top level is an object */
  ember_json_matcher_reset (m);
  g_assert_false (ember_json_matcher_feed (m, "[", strlen ("[")));
  g_assert_false (ember_json_matcher_feed (m, "1", strlen ("1")));
  g_assert_cmpuint (ember_json_grammar_get_min_length (g), ==, 2);

  ember_json_matcher_free (m);
  ember_json_grammar_free (g);
}

/* ---- tokens ----------------------------------------------------------------------- */

/* Random tokens among those the constraint allows, with a budget: the
 * document is whole within it, and the detokenized text parses. Real
 * vocabularies from ../shared: byte-level BPE (gpt-2) and SentencePiece
 * with byte fallback (llama-spm). */
static void
test_constraint (gconstpointer data)
{
  const char *vocab = data;
  g_autofree char *relative = g_strdup_printf ("models/vocab/ggml-vocab-%s.gguf", vocab);
  g_autofree char *path = hearth_test_shared_file (relative);
  g_autoptr (GRand) r = g_rand_new_with_seed (7);
  ember_json_grammar *g = grammar_new (schemas[2]);
  g_autoptr (JsonNode) schema = glib_parse (schemas[2], strlen (schemas[2]));
  ember_gguf *gguf = NULL;
  ember_tokenizer *tok = NULL;
  ember_error error = { 0 };

  if (path == NULL)
    {
      ember_json_grammar_free (g);
      return;
    }
  assert_ok (ember_gguf_open (path, &gguf, &error), error);
  assert_ok (ember_tokenizer_new_from_gguf (gguf, &tok, &error), error);
  for (guint walk = 0; walk < 4; walk++)
    {
      ember_json_constraint *c = ember_json_constraint_new (g, tok);
      const ember_json_matcher *m = ember_json_constraint_get_matcher (c);
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int32_t));
      g_autoptr (GArray) allowed = g_array_new (FALSE, FALSE, sizeof (int32_t));
      const uint32_t budget = 80;
      char *text = NULL;
      size_t len = 0;

      while (!ember_json_matcher_is_finished (m))
        {
          int32_t token;

          g_assert_cmpuint (ids->len, <, budget);
          g_array_set_size (allowed, 0);
          for (int32_t id = 0; id < (int32_t) ember_tokenizer_get_n_vocab (tok); id++)
            if (ember_json_constraint_allows (c, id, budget - ids->len))
              {
                g_assert_true (!ember_tokenizer_is_eog (tok, id) || ember_json_matcher_is_complete (m));
                g_assert_cmpint (ember_tokenizer_get_token_type (tok, id), !=, EMBER_TOKEN_TYPE_CONTROL);
                g_array_append_val (allowed, id);
              }
          g_assert_cmpuint (allowed->len, >, 0);
          token = g_array_index (allowed, int32_t, g_rand_int_range (r, 0, (gint32) allowed->len));
          g_assert_true (ember_json_constraint_accept (c, token));
          g_array_append_val (ids, token);
        }
      assert_ok (ember_tokenizer_decode (tok, (const int32_t *) ids->data, ids->len, 0, &text, &len,
                                         &error), error);
      g_test_message ("%s, %u tokens: %s", vocab, ids->len, g_strescape (text, NULL));
      if (!oracle_accepts (text, len, schema))
        g_error ("%s: not a document of the schema: %s", vocab, text);
      free (text);
      ember_json_constraint_free (c);
    }
  ember_tokenizer_free (tok);
  ember_gguf_close (gguf);
  ember_json_grammar_free (g);
}

/* ---- stories260K writing JSON --------------------------------------------------- */

typedef struct
{
  ember_model *model;
  ember_tokenizer *tok;
  ember_context *ctx;
} Stories;

static gboolean
stories_open (Stories *st)
{
  g_autofree char *path = hearth_test_shared_file ("models/stories260K.gguf");
  ember_error error = { 0 };

  if (path == NULL)
    return FALSE;
  assert_ok (ember_model_load (path, &st->model, &error), error);
  assert_ok (ember_tokenizer_new_from_gguf (ember_model_get_gguf (st->model), &st->tok, &error), error);
  assert_ok (ember_context_new (st->model, NULL, &st->ctx, &error), error);
  return TRUE;
}

static void
stories_close (Stories *st)
{
  ember_context_free (st->ctx);
  ember_tokenizer_free (st->tok);
  ember_model_free (st->model);
}

static bool
append_text (const char *text,
             size_t      len,
             void       *user_data)
{
  g_string_append_len (user_data, text, (gssize) len);
  return true;
}

static GString *
stories_generate (Stories                  *st,
                  const ember_json_grammar *g,
                  uint64_t                  seed,
                  int32_t                   num_predict,
                  ember_generate_stats     *stats)
{
  static const char prompt[] = "Once upon a time, there was a little girl named Lily.";
  GString *out = g_string_new (NULL);
  ember_generate_options options;
  ember_error error = { 0 };
  int32_t *ids = NULL;
  size_t n_ids = 0;

  assert_ok (ember_tokenizer_encode (st->tok, prompt, strlen (prompt), EMBER_TOKENIZE_ADD_SPECIAL,
                                     &ids, &n_ids, &error), error);
  ember_generate_options_init (&options);
  options.sampler.temperature = 0.8f;
  options.sampler.seed = seed;
  options.num_predict = num_predict;
  options.grammar = g;
  assert_ok (ember_generate (st->ctx, st->tok, ids, (uint32_t) n_ids, &options, append_text, out,
                             stats, &error), error);
  free (ids);
  return out;
}

/* The vocabulary has no "{" or "}": only byte tokens (<0x7B>, <0x7D>) write
 * them. */
static void
test_stories_vocabulary (void)
{
  Stories st = { 0 };
  gboolean brace = FALSE;

  if (!stories_open (&st))
    return;
  for (uint32_t id = 0; id < ember_tokenizer_get_n_vocab (st.tok); id++)
    {
      char piece[64];
      size_t len = ember_tokenizer_token_to_piece (st.tok, (int32_t) id, false, piece, sizeof piece);

      if (len == 1 && piece[0] == '{')
        {
          g_assert_cmpint (ember_tokenizer_get_token_type (st.tok, (int32_t) id), ==, EMBER_TOKEN_TYPE_BYTE);
          brace = TRUE;
        }
    }
  g_assert_true (brace);
  stories_close (&st);
}

static void
check_stories (const char *format,
               int32_t     num_predict)
{
  g_autoptr (JsonNode) schema = g_str_equal (format, "json") ? NULL : glib_parse (format, strlen (format));
  ember_json_grammar *g = grammar_new (format);
  Stories st = { 0 };

  if (!stories_open (&st))
    {
      ember_json_grammar_free (g);
      return;
    }
  for (uint64_t seed = 1; seed <= 6; seed++)
    {
      ember_generate_stats stats = { 0 };
      g_autoptr (GString) text = stories_generate (&st, g, seed, num_predict, &stats);

      g_test_message ("seed %" G_GUINT64_FORMAT ", %u tokens, %s: %s", seed, stats.generated_tokens,
                      ember_stop_reason_to_string (stats.stop_reason), g_strescape (text->str, NULL));
      g_assert_cmpint (stats.stop_reason, ==, EMBER_STOP_END_OF_GENERATION);
      g_assert_cmpuint (stats.generated_tokens, <=, (guint) num_predict);
      if (!oracle_accepts (text->str, text->len, schema))
        g_error ("seed %" G_GUINT64_FORMAT ": not a document of %s: %s", seed, format, text->str);
    }
  stories_close (&st);
  ember_json_grammar_free (g);
}

static void
test_stories_json (void)
{
  check_stories ("json", 200);
}

static void
test_stories_schema (void)
{
  check_stories (schemas[0], 200);
}

/* A small budget: the document is steered shut in time; a budget below
 * any document ends unfinished, with the token limit as the reason. */
static void
test_stories_budget (void)
{
  ember_json_grammar *g = grammar_new (schemas[0]);
  ember_generate_stats stats = { 0 };
  Stories st = { 0 };

  if (!stories_open (&st))
    {
      ember_json_grammar_free (g);
      return;
    }
  for (uint64_t seed = 1; seed <= 4; seed++)
    {
      /* {"name":"","age":0} is 20 bytes */
      g_autoptr (GString) text = stories_generate (&st, g, seed, 24, &stats);
      g_autoptr (JsonNode) node = glib_parse (text->str, text->len);

      g_test_message ("24 tokens, seed %" G_GUINT64_FORMAT ": %s", seed, g_strescape (text->str, NULL));
      g_assert_cmpint (stats.stop_reason, ==, EMBER_STOP_END_OF_GENERATION);
      g_assert_nonnull (node);
    }
  {
    g_autoptr (GString) text = stories_generate (&st, g, 1, 5, &stats);

    g_assert_cmpint (stats.stop_reason, ==, EMBER_STOP_LIMIT);
    g_assert_cmpuint (stats.generated_tokens, ==, 5);
    g_assert_null (glib_parse (text->str, text->len));
  }
  stories_close (&st);
  ember_json_grammar_free (g);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-grammar/json-mode", test_json_mode);
  g_test_add_func ("/json-grammar/schemas", test_schemas);
  g_test_add_func ("/json-grammar/schema-errors", test_schema_errors);
  g_test_add_func ("/json-grammar/bounds", test_bounds);
  g_test_add_data_func ("/json-grammar/constraint/gpt-2", "gpt-2", test_constraint);
  g_test_add_data_func ("/json-grammar/constraint/llama-spm", "llama-spm", test_constraint);
  g_test_add_func ("/json-grammar/stories260K/vocabulary", test_stories_vocabulary);
  g_test_add_func ("/json-grammar/stories260K/json", test_stories_json);
  g_test_add_func ("/json-grammar/stories260K/schema", test_stories_schema);
  g_test_add_func ("/json-grammar/stories260K/budget", test_stories_budget);
  return g_test_run ();
}
