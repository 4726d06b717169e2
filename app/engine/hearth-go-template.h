/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ollama's chat templates, in Go's text/template syntax, rendered as Ollama
 * renders them: its options (missingkey=zero), its functions (json,
 * currentDate, yesterdayDate, toTypeScriptType), its values (.System,
 * .Messages, .Tools, .Response, .Think… for a template that uses .Messages;
 * one execution per turn with .System/.Prompt/.Response for a legacy one),
 * consecutive messages of one role joined by a blank line.
 *
 * Supported: text, actions with {{- -}} trimming, comments, fields and field
 * chains, variables ($, $x := / =, range $i, $e :=), pipelines, parenthesised
 * pipelines, if / else if / else, range (lists, maps in key order, else,
 * break, continue), with / else, define / template / block, the builtins
 * and or not len index slice eq ne lt le gt ge print printf println html js
 * urlquery, string, raw string, character, number, bool and nil literals.
 * Rendering is bounded: output size, work and template recursion.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HEARTH_GO_TEMPLATE_ERROR (hearth_go_template_error_quark ())

typedef enum
{
  HEARTH_GO_TEMPLATE_ERROR_PARSE,   /* the message names line:col */
  HEARTH_GO_TEMPLATE_ERROR_EXECUTE, /* what Go's text/template would fail on */
  HEARTH_GO_TEMPLATE_ERROR_LIMIT,   /* output, work or depth past the bounds */
} HearthGoTemplateError;

/* Bounds on one rendering. */
#define HEARTH_GO_TEMPLATE_MAX_OUTPUT (32 * 1024 * 1024)
#define HEARTH_GO_TEMPLATE_MAX_DEPTH  200

typedef struct _HearthGoTemplate HearthGoTemplate;

/* One message as Ollama's API carries it (api.Message). */
typedef struct
{
  const char *role;
  const char *content;
  const char *thinking;     /* or NULL */
  const char *tool_name;    /* or NULL */
  const char *tool_call_id; /* or NULL */
  /* Ollama's tool_calls: an array of {"id"?, "function": {"index"?, "name",
   * "arguments": {…}}}, or NULL (borrowed) */
  JsonNode   *tool_calls;
} HearthGoTemplateMessage;

/* What Ollama's template.Execute gets (template.Values). */
typedef struct
{
  const HearthGoTemplateMessage *messages;
  gsize                          n_messages;
  /* Ollama's tools: an array of {"type", "function": {"name",
   * "description", "parameters": {"type", "required", "properties": {name:
   * {"type", "description", "enum"}}}}}, or NULL (borrowed) */
  JsonNode                      *tools;
  const char                    *prompt;      /* with suffix: fill-in-middle */
  const char                    *suffix;
  gboolean                       think;
  const char                    *think_level;
  gboolean                       is_think_set;
} HearthGoTemplateData;

GQuark             hearth_go_template_error_quark (void);

/* Parses @source as Ollama does (a template that names neither .Messages nor
 * .Response gets {{ .Response }} appended). NULL and @error on failure. */
HearthGoTemplate  *hearth_go_template_new         (const char                 *source,
                                                   GError                    **error);
void               hearth_go_template_free        (HearthGoTemplate           *self);

/* Whether the template names .Messages (Ollama then renders it once, with
 * every message; otherwise once per turn with .Prompt and .Response). */
gboolean           hearth_go_template_uses_messages (HearthGoTemplate         *self);

/* The prompt Ollama would make (newly allocated), or NULL and @error. */
char              *hearth_go_template_render      (HearthGoTemplate           *self,
                                                   const HearthGoTemplateData *data,
                                                   GError                    **error);

/* A guess at the syntax of a chat template: TRUE for Go's text/template
 * ({{ .Prompt }}, {{- range .Messages }}), FALSE for Jinja ({% … %},
 * {{ messages }}) and for text without actions. */
gboolean           hearth_go_template_is_go_syntax (const char                *source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthGoTemplate, hearth_go_template_free)

G_END_DECLS
