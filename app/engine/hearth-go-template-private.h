/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internals shared by the files of Go's text/template as Ollama uses it:
 * the tree that the parser builds (hearth-go-template-parse.c), Ollama edits
 * (hearth-go-template.c) and the execution walks (hearth-go-template-exec.c),
 * the lexer's tokens (hearth-go-template-lex.c), and the values Ollama passes
 * (hearth-go-template-values.c). Not public.
 */
#pragma once

#include "hearth-go-template.h"

G_BEGIN_DECLS

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

void  go_node_free (gpointer data);
Node *go_node_new  (NodeType type, int line, int col);
Node *go_node_copy (const Node *n);

/* ---- the lexer's tokens (text/template/parse's items) ---- */

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

static inline gboolean
go_is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The tokens of @src, up to T_EOF or T_ERROR (whose msg the caller frees). */
GArray *go_lex      (const char *src);
void    go_position (const char *src, const char *p, int *line, int *col);

/* ---- the parser ---- */

/* The tree of @source, its {{define}}s in *@defines (name → Node, owned);
 * NULL after an error. */
Node *go_parse (const char *source, GHashTable **defines, GError **error);

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


Val  *go_val_ref        (Val *v);
void  go_val_unref      (gpointer data);
Val  *go_val_new        (VKind kind);
Val  *go_val_string     (const char *s);
Val  *go_val_string_len (const char *s, gsize len);
Val  *go_val_bool       (gboolean b);
Val  *go_val_int        (gint64 i);
void  go_val_add        (Val *v, const char *name, const char *json, gboolean omitempty, Val *child);
Val  *go_val_field      (Val *v, const char *name);
Val  *go_val_tools      (JsonNode *tools);
Val  *go_val_message    (const HearthGoTemplateMessage *m, const char *content);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Val, go_val_unref)

/* ---- printing: fmt's %v and encoding/json ---- */

void go_append_json_string (GString *o, const char *s, gsize len);
void go_append_json        (GString *o, const Val *v);
void go_append_value       (GString *o, const Val *v, int depth);

/* ---- execution ---- */

gboolean go_execute (Node *root, GHashTable *defines, gboolean ollama_funcs, Val *data, GString *out,
                     GError **error);

G_END_DECLS
