/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Chat templates: the Jinja templates that GGUF files carry
 * (tokenizer.chat_template), rendered by the engine's interpreter exactly as
 * Hugging Face's transformers renders them; and their variables
 * (HearthTemplateVars): a JSON object's keys, or a chat made of role and
 * content pairs with add_generation_prompt, bos_token and eos_token.
 *
 * Both are reference-counted boxed types, for one thread at a time.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HEARTH_CHAT_TEMPLATE_ERROR (hearth_chat_template_error_quark ())

typedef enum
{
  HEARTH_CHAT_TEMPLATE_ERROR_SYNTAX,     /* the template cannot be parsed */
  HEARTH_CHAT_TEMPLATE_ERROR_RENDER,     /* it failed or raised while rendering */
  HEARTH_CHAT_TEMPLATE_ERROR_JSON,       /* variables: not valid JSON */
  HEARTH_CHAT_TEMPLATE_ERROR_NOT_OBJECT, /* variables: JSON, but not one object */
} HearthChatTemplateError;

GQuark hearth_chat_template_error_quark (void);

/* ---- variables ------------------------------------------------------------- */

#define HEARTH_TYPE_TEMPLATE_VARS (hearth_template_vars_get_type ())

typedef struct _HearthTemplateVars HearthTemplateVars;

GType hearth_template_vars_get_type (void) G_GNUC_CONST;

/* No variables. */
HearthTemplateVars *hearth_template_vars_new (void);

/* What chat templates are written for, as transformers gives them: an empty
 * "messages" list, "add_generation_prompt" true, "bos_token" and
 * "eos_token" (NULL: ""). */
HearthTemplateVars *hearth_template_vars_new_for_chat (const char *bos_token,
                                                       const char *eos_token);

/* The keys of the JSON object @json (@len bytes, -1: NUL-terminated), parsed
 * strictly as Python's json module reads it (integers stay integers). The
 * error is HEARTH_CHAT_TEMPLATE_ERROR_JSON, its message giving the line and
 * column, or HEARTH_CHAT_TEMPLATE_ERROR_NOT_OBJECT. */
HearthTemplateVars *hearth_template_vars_new_from_json (const char  *json,
                                                        gssize       len,
                                                        GError     **error);

HearthTemplateVars *hearth_template_vars_ref (HearthTemplateVars *self);
void hearth_template_vars_unref (HearthTemplateVars *self);

gboolean hearth_template_vars_has (HearthTemplateVars *self,
                                   const char         *name);
/* Sets variable @name to the string @value (UTF-8). */
void hearth_template_vars_set_string (HearthTemplateVars *self,
                                      const char         *name,
                                      const char         *value);
/* Appends {"role": @role, "content": @content} to the "messages" list,
 * which it makes where there is none. */
void hearth_template_vars_add_message (HearthTemplateVars *self,
                                       const char         *role,
                                       const char         *content);

/* ---- templates ------------------------------------------------------------- */

#define HEARTH_TYPE_CHAT_TEMPLATE (hearth_chat_template_get_type ())

typedef struct _HearthChatTemplate HearthChatTemplate;

GType hearth_chat_template_get_type (void) G_GNUC_CONST;

/* Parses @source (UTF-8, @len bytes, -1: NUL-terminated). A syntax error
 * (HEARTH_CHAT_TEMPLATE_ERROR_SYNTAX) names the line: "line 3: unexpected
 * end of template; expected “endif”". */
HearthChatTemplate *hearth_chat_template_new (const char  *source,
                                              gssize       len,
                                              GError     **error);

HearthChatTemplate *hearth_chat_template_ref (HearthChatTemplate *self);
void hearth_chat_template_unref (HearthChatTemplate *self);

/* The template Hearth uses for models that carry none: ChatML. Static. */
const char *hearth_chat_template_get_default_source (void);

/* Renders @self with @vars (NULL: none). @now is the time strftime_now ()
 * formats (UNIX seconds; 0: the real clock); @max_output limits the output
 * in bytes (0: the engine's default, 16 MiB). Returns the text (g_free ()
 * it; it may hold NUL bytes before *length, which may be NULL), or NULL with
 * HEARTH_CHAT_TEMPLATE_ERROR_RENDER, whose message names the template line. */
char *hearth_chat_template_render (HearthChatTemplate  *self,
                                   HearthTemplateVars  *vars,
                                   gint64               now,
                                   gsize                max_output,
                                   gsize               *length,
                                   GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTemplateVars, hearth_template_vars_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthChatTemplate, hearth_chat_template_unref)

G_END_DECLS
