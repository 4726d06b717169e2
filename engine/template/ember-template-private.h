/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internals shared by the value module and the Jinja interpreter's files:
 * the value representation, the memory pool, the syntax tree and the
 * renderer's state. Not public.
 */
#pragma once

#include <string.h>

#include "ember-private.h"
#include "ember-template.h"

/* ---- values ----------------------------------------------------------------- */

/* Kinds beyond the public ones; templates see these, C callers never do. */
enum {
  EMBER_VALUE_UNDEFINED = 16,
  EMBER_VALUE_CALLABLE,
};

enum {
  VALUE_POOLED = 1 << 0,     /* owned by a pool: no refcount, children borrowed */
  VALUE_TUPLE = 1 << 1,      /* a list that Python would call a tuple */
  VALUE_NAMESPACE = 1 << 2,  /* a dict made by namespace(): attributes assignable */
  VALUE_SAFE = 1 << 3,       /* a string from a macro or |safe (no difference here) */
};

typedef struct ember_pool ember_pool;
typedef struct tpl_render tpl_render;

/* A builtin function, method or macro. @self is the bound object (or NULL),
 * @args the positional arguments, @kw_names/@kw_values the keyword ones.
 * Returns NULL after setting the render's error. */
typedef ember_value *(*tpl_callable_fn) (tpl_render         *r,
                                         const ember_value  *callable,
                                         ember_value       **args,
                                         size_t              n_args,
                                         const char        **kw_names,
                                         ember_value       **kw_values,
                                         size_t              n_kw);

struct ember_value {
  int kind;
  unsigned flags;
  int refcount;
  union {
    bool b;
    int64_t i;
    double f;
    struct {
      char *data;
      size_t len;
    } s;
    struct {
      ember_value **items;
      size_t len, cap;
    } list;
    struct {
      ember_value **keys;
      ember_value **values;
      size_t len, cap;
    } dict;
    struct {
      const char *hint;        /* what was missing, for messages */
    } undef;
    struct {
      tpl_callable_fn fn;
      const char *name;
      ember_value *self;
      const void *data;
      void *scope;
    } call;
  } u;
};

/* A pool: every value made while rendering (and every node of a parsed
 * template) lives here until the pool is freed, so evaluation never counts
 * references. @limit bounds the bytes handed out. */
struct ember_pool {
  struct pool_chunk *chunks;
  size_t used;
  size_t limit;
  bool exhausted;
};

void pool_init (ember_pool *pool,
                size_t      limit);
void pool_clear (ember_pool *pool);
void *pool_alloc (ember_pool *pool,
                  size_t      size);   /* zeroed; NULL when over the limit */

/* Pooled constructors; NULL when the pool is exhausted. */
ember_value *pv_new (ember_pool *pool,
                     int         kind);
ember_value *pv_string (ember_pool *pool,
                        const char *s,
                        size_t      len);
ember_value *pv_int (ember_pool *pool,
                     int64_t     i);
ember_value *pv_float (ember_pool *pool,
                       double      f);
ember_value *pv_bool (ember_pool *pool,
                      bool        b);
ember_value *pv_list (ember_pool *pool,
                      size_t      cap);
bool pv_list_push (ember_pool  *pool,
                   ember_value *list,
                   ember_value *item);
ember_value *pv_dict (ember_pool *pool,
                      size_t      cap);
bool pv_dict_set (ember_pool  *pool,
                  ember_value *dict,
                  ember_value *key,
                  ember_value *item);

/* ember_value_dict_set() with a key of @key_len bytes (NULs allowed). */
ember_status value_dict_set_len (ember_value *dict,
                                 const char  *key,
                                 size_t       key_len,
                                 ember_value *item,
                                 ember_error *error);

/* Lookups and Python semantics. */
ember_value *value_dict_lookup (const ember_value *dict,
                                const ember_value *key);
ember_value *value_dict_lookup_str (const ember_value *dict,
                                    const char        *key,
                                    size_t             len);
bool value_is_true (const ember_value *v);
bool value_equal (const ember_value *a,
                  const ember_value *b);
bool value_is_number (const ember_value *v);   /* int, float or bool */
double value_as_double (const ember_value *v);
const char *value_type_name (const ember_value *v);   /* Python's: "str", "dict" … */

/* A growable byte buffer (malloc'd), with a size limit. */
typedef struct {
  char *data;
  size_t len, cap;
  size_t limit;        /* 0: none */
  bool failed;         /* out of memory or over the limit */
} tpl_buf;

void buf_append (tpl_buf    *b,
                 const char *s,
                 size_t      len);
void buf_append_str (tpl_buf    *b,
                     const char *s);
void buf_printf (tpl_buf    *b,
                 const char *format,
                 ...) EMBER_PRINTF (2, 3);
void buf_free (tpl_buf *b);

/* Python's str() and repr() of @v, appended to @b. */
void value_write_str (tpl_buf           *b,
                      const ember_value *v);
void value_write_repr (tpl_buf           *b,
                       const ember_value *v);
void value_write_float (tpl_buf *b,
                        double   f);

/* json.dumps(v, ensure_ascii, indent, separators, sort_keys). @indent NULL
 * for none; @item_sep/@key_sep NULL for Python's defaults. Returns false
 * (with a message in @why) for values JSON cannot hold. */
bool value_write_json (tpl_buf           *b,
                       const ember_value *v,
                       bool               ensure_ascii,
                       const char        *indent,
                       const char        *item_sep,
                       const char        *key_sep,
                       bool               sort_keys,
                       int                depth,
                       char              *why,
                       size_t             why_size);

/* UTF-8 helpers. */
size_t utf8_decode (const char *s,
                    size_t      len,
                    uint32_t   *cp);   /* bytes used (>= 1); U+FFFD when malformed */
size_t utf8_encode (uint32_t cp,
                    char    *out);     /* up to 4 bytes */
size_t utf8_length (const char *s,
                    size_t      len);   /* code points */
bool unicode_is_space (uint32_t cp);   /* Python's str.isspace() */

/* ---- syntax tree -------------------------------------------------------------- */

typedef enum {
  /* statements */
  N_BODY, N_TEXT, N_OUTPUT, N_IF, N_FOR, N_SET, N_SET_ATTR, N_SET_BLOCK,
  N_MACRO, N_CALL_BLOCK, N_FILTER_BLOCK, N_BREAK, N_CONTINUE, N_WITH,
  /* expressions */
  N_LITERAL, N_NAME, N_GETATTR, N_GETITEM, N_SLICE, N_CALL, N_FILTER, N_TEST,
  N_BINOP, N_NEG, N_POS, N_NOT, N_AND, N_OR, N_COMPARE, N_COND, N_LIST,
  N_TUPLE, N_DICT, N_CONCAT,
} tpl_node_kind;

typedef enum {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN,
} tpl_op;

typedef struct tpl_node tpl_node;

/* One node. Which fields mean what, by kind:
 *  BODY: items = statements.  TEXT: text.  OUTPUT: a = expression.
 *  IF: a = test, b = body, c = else (a BODY or an IF for elif) or NULL.
 *  FOR: names = targets, a = iterable, d = filter or NULL, b = body, c = else.
 *  SET: names = targets, a = value.  SET_ATTR: name = target, attr, a = value.
 *  SET_BLOCK: name, b = body, c = filter chain (a FILTER on a NULL operand) or NULL.
 *  MACRO: name, names = parameters, items = defaults (NULL entries), b = body.
 *  CALL_BLOCK: a = the call, names/items = caller's parameters, b = body.
 *  FILTER_BLOCK: c = filter chain, b = body.
 *  WITH: names = targets, items = values, b = body.
 *  LITERAL: value.  NAME: name.  GETATTR: a, name.  GETITEM: a, b = index.
 *  SLICE: a, items[0..2] = start, stop, step (NULL entries).
 *  CALL: a = callee, items = arguments, names = keyword names (NULL for
 *    positional ones, the same length as items).
 *  FILTER: a = operand (NULL in filter blocks), name, items/names as CALL.
 *  TEST: a, name, items = arguments, negated.
 *  BINOP: op, a, b.  NEG, POS, NOT: a.  AND, OR: a, b.
 *  COMPARE: a, items = operands, ops.  COND: a = value, b = test, c = else.
 *  LIST, TUPLE: items.  DICT: items = keys and values, interleaved.
 *  CONCAT: items. */
struct tpl_node {
  tpl_node_kind kind;
  int line;
  tpl_op op;
  bool negated;
  const char *name;
  const char *attr;
  const char *text;
  size_t text_len;
  ember_value *value;
  tpl_node *a, *b, *c, *d;
  tpl_node **items;
  const char **names;
  tpl_op *ops;
  size_t n_items;
  size_t n_names;
};

struct ember_template {
  ember_pool pool;     /* every node and literal */
  tpl_node *root;
};

/* Parses @source into @pool; NULL with @error filled on a syntax error. */
tpl_node *tpl_parse (ember_pool  *pool,
                     const char  *source,
                     size_t       len,
                     ember_error *error);

/* Known filter and test names (checked at parse time, as jinja2 does). */
bool tpl_filter_exists (const char *name);
bool tpl_test_exists (const char *name);

/* ---- rendering -------------------------------------------------------------- */

typedef struct tpl_scope tpl_scope;
struct tpl_scope {
  tpl_scope *parent;
  ember_value *vars;          /* a pooled dict */
};

struct tpl_render {
  ember_pool pool;
  tpl_buf *out;               /* where output goes now */
  const ember_value *context; /* the caller's variables, borrowed */
  tpl_scope *globals;
  ember_template_options options;
  uint64_t steps;
  uint32_t depth;
  int line;                   /* the line being run, for messages */
  bool failed;
  ember_error *error;
};

/* Fails the render with a message (prefixed by the line); returns NULL so
 * that `return tpl_fail (r, …);` reads naturally. */
ember_value *tpl_fail (tpl_render *r,
                       const char *format,
                       ...) EMBER_PRINTF (2, 3);
ember_value *tpl_oom (tpl_render *r);

/* @v, or the out-of-memory error value when it is NULL. */
static inline ember_value *
tpl_or_oom (tpl_render  *r,
            ember_value *v)
{
  return v != NULL ? v : tpl_oom (r);
}

/* A filter's or method's positional argument @i, or keyword @name, or NULL. */
static inline ember_value *
tpl_arg (ember_value **args,
         size_t        n_args,
         const char  **kw_names,
         ember_value **kw_values,
         size_t        n_kw,
         size_t        i,
         const char   *name)
{
  if (i < n_args)
    return args[i];
  for (size_t k = 0; name != NULL && k < n_kw; k++)
    if (strcmp (kw_names[k], name) == 0)
      return kw_values[k];
  return NULL;
}

/* In a function with the filter/method parameter names. */
#define ARG(i, name) tpl_arg (args, n_args, kw_names, kw_values, n_kw, (i), (name))

/* Values for the renderer. */
ember_value *tpl_undefined (tpl_render *r,
                            const char *hint);
ember_value *tpl_none (tpl_render *r);
ember_value *tpl_string (tpl_render *r,
                         const char *s,
                         size_t      len);
ember_value *tpl_str_of (tpl_render        *r,
                         const ember_value *v);   /* Python's str() */
ember_value *tpl_callable (tpl_render        *r,
                           const char        *name,
                           tpl_callable_fn    fn,
                           ember_value       *self,
                           const void        *data);

/* Attribute and item access with jinja2's sandbox rules. */
ember_value *tpl_getattr (tpl_render  *r,
                          ember_value *obj,
                          const char  *name);
ember_value *tpl_getitem (tpl_render  *r,
                          ember_value *obj,
                          ember_value *key);

/* Iterates @v (list, tuple, dict keys, string characters, undefined) into a
 * pooled list; NULL with an error for what cannot be iterated. */
ember_value *tpl_iterate (tpl_render  *r,
                          ember_value *v);

/* Calls @callee. */
ember_value *tpl_call (tpl_render   *r,
                       ember_value  *callee,
                       ember_value **args,
                       size_t        n_args,
                       const char  **kw_names,
                       ember_value **kw_values,
                       size_t        n_kw);

/* Filters and tests by name. */
ember_value *tpl_apply_filter (tpl_render   *r,
                               const char   *name,
                               ember_value  *value,
                               ember_value **args,
                               size_t        n_args,
                               const char  **kw_names,
                               ember_value **kw_values,
                               size_t        n_kw);
/* Returns 1 (true), 0 (false) or -1 (error). */
int tpl_apply_test (tpl_render   *r,
                    const char   *name,
                    ember_value  *value,
                    ember_value **args,
                    size_t        n_args);

/* Binary operators with Python semantics. */
ember_value *tpl_binop (tpl_render  *r,
                        tpl_op       op,
                        ember_value *a,
                        ember_value *b);
/* Comparison; 1, 0, or -1 on error. */
int tpl_compare (tpl_render  *r,
                 tpl_op       op,
                 ember_value *a,
                 ember_value *b);

/* Python-style total order for sorting; sets *ok false on incomparable. */
int tpl_order (tpl_render        *r,
               const ember_value *a,
               const ember_value *b,
               bool               case_sensitive,
               bool              *ok);

/* Methods of strings, dicts and lists, bound to @self; NULL if unknown. */
ember_value *tpl_method (tpl_render  *r,
                         ember_value *self,
                         const char  *name);

/* Globals: range, namespace, dict, raise_exception, strftime_now, joiner,
 * cycler. */
ember_value *tpl_global (tpl_render *r,
                         const char *name);
