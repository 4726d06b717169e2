/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compiled grammar that the matcher walks: a graph of nodes, one per
 * kind of value a place in the document allows. Every node's min_len is the
 * fewest bytes a value of it takes.
 */
#pragma once

#include "ember-json-grammar.h"

#define JSON_INF (UINT32_MAX / 4)

typedef enum {
  JSON_NODE_OBJECT,
  JSON_NODE_ARRAY,
  JSON_NODE_STRING,
  JSON_NODE_NUMBER,
  JSON_NODE_INTEGER,
  JSON_NODE_LITERAL,    /* exact text: const, an enum member, true, false, null */
  JSON_NODE_ANY_OF,
} json_node_kind;

typedef struct {
  char *key;            /* the key as JSON text, quotes included: "\"name\"" */
  uint32_t key_len;
  uint32_t node;
  bool required;
} json_property;

typedef struct {
  json_node_kind kind;
  uint32_t min_len;
  uint32_t min_depth;   /* the fewest levels of nested values a value takes */

  /* OBJECT: with free_form, any keys whose values are @values (the
   * properties are then empty); else the properties, in order. */
  json_property *props;
  uint32_t n_props;
  bool free_form;
  uint32_t values;
  uint32_t *req_after;  /* [i]: the bytes the required properties from i on
                           take, a comma each (n_props + 1 entries) */
  uint32_t last_required; /* one past the last required property; 0: none */

  /* ARRAY */
  uint32_t items;
  uint32_t min_items, max_items;

  /* STRING */
  uint32_t min_length, max_length;

  /* LITERAL */
  char *text;
  uint32_t len;

  /* ANY_OF */
  uint32_t *branches;
  uint32_t n_branches;
} json_node;

struct ember_json_grammar {
  json_node *nodes;
  uint32_t n_nodes;
  uint32_t root;
};

/* Saturating addition, for lengths that may be JSON_INF. */
static inline uint32_t
json_add (uint32_t a,
          uint32_t b)
{
  return a >= JSON_INF || b >= JSON_INF || a + b >= JSON_INF ? JSON_INF : a + b;
}

static inline uint32_t
json_mul (uint32_t a,
          uint32_t b)
{
  uint64_t p = (uint64_t) a * b;

  return a >= JSON_INF || b >= JSON_INF || p >= JSON_INF ? JSON_INF : (uint32_t) p;
}
