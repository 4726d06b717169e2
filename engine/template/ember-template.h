/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Chat templates: a Jinja interpreter able to run the `tokenizer.chat_template`
 * that real GGUF files carry, rendering exactly as Hugging Face's transformers
 * does (jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks
 * and loop controls; globals raise_exception and strftime_now; transformers'
 * own `tojson`). Part of the public API (included by ember.h).
 *
 * Values: a template's context is an ember_value tree (null, bool, int, float,
 * string, list, dict), built by C callers with the builders below or parsed
 * from JSON. Values are reference counted; a container owns its children.
 */
#pragma once

#include "ember-common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- values --------------------------------------------------------------- */

typedef struct ember_value ember_value;

typedef enum {
  EMBER_VALUE_NULL,
  EMBER_VALUE_BOOL,
  EMBER_VALUE_INT,
  EMBER_VALUE_FLOAT,
  EMBER_VALUE_STRING,
  EMBER_VALUE_LIST,
  EMBER_VALUE_DICT,
} ember_value_type;

/* Builders: each returns a new value with one reference, or NULL when memory
 * runs out. Strings are UTF-8 and may contain NUL bytes (@len counts bytes;
 * (size_t) -1 means NUL-terminated). */
ember_value *ember_value_new_null (void);
ember_value *ember_value_new_bool (bool b);
ember_value *ember_value_new_int (int64_t i);
ember_value *ember_value_new_float (double f);
ember_value *ember_value_new_string (const char *s,
                                     size_t      len);
ember_value *ember_value_new_list (void);
ember_value *ember_value_new_dict (void);

ember_value *ember_value_ref (ember_value *value);
void ember_value_unref (ember_value *value);

/* Appends @item to @list, taking over the caller's reference to @item (also
 * on failure, when @item is released). */
ember_status ember_value_list_append (ember_value *list,
                                      ember_value *item,
                                      ember_error *error);

/* Sets @key (NUL-terminated UTF-8) in @dict to @item, replacing an earlier
 * value and keeping the key's first position; takes over the reference to
 * @item (also on failure). */
ember_status ember_value_dict_set (ember_value *dict,
                                   const char  *key,
                                   ember_value *item,
                                   ember_error *error);

/* Accessors. The returned pointers are borrowed from @value. */
ember_value_type ember_value_get_type (const ember_value *value);
bool ember_value_get_bool (const ember_value *value);
int64_t ember_value_get_int (const ember_value *value);
double ember_value_get_float (const ember_value *value);
const char *ember_value_get_string (const ember_value *value,
                                    size_t            *len);
size_t ember_value_get_length (const ember_value *value);   /* list or dict entries */
const ember_value *ember_value_list_get (const ember_value *list,
                                         size_t             index);
const ember_value *ember_value_dict_get (const ember_value *dict,
                                         const char        *key);
/* The @index-th entry of @dict in the order its keys were first set: the
 * value, and its key in *key (NUL-terminated, borrowed; may be NULL) of
 * *key_len bytes; NULL past the end. */
const ember_value *ember_value_dict_get_entry (const ember_value  *dict,
                                               size_t              index,
                                               const char        **key,
                                               size_t             *key_len);

/* Parses one JSON text (RFC 8259: strict, with \u escapes and surrogate
 * pairs; nesting at most 512 deep). Numbers without a fraction or exponent
 * that fit in 64 bits become ints, others floats. Duplicate keys keep the
 * last value, as Python's json does. Errors give the line and column. */
ember_status ember_value_from_json (const char   *json,
                                    size_t        len,
                                    ember_value **out,
                                    ember_error  *error);

/* Serialises @value as Python's json.dumps (…, ensure_ascii=False) does:
 * ", " and ": " separators. *out is a newly allocated NUL-terminated string
 * (free() it). */
ember_status ember_value_to_json (const ember_value *value,
                                  char             **out,
                                  size_t            *out_len,
                                  ember_error       *error);

/* ---- templates -------------------------------------------------------------- */

typedef struct ember_template ember_template;

typedef struct {
  /* The time strftime_now() formats, in UNIX seconds (local time zone);
   * 0 means the real clock. Tests pin it. */
  int64_t now;
  /* Limits against hostile templates; 0 means the default. Exceeding one is
   * an error, never a crash or a hang. */
  size_t max_output;     /* bytes of output; default 16 MiB */
  size_t max_memory;     /* bytes of values made while rendering; default 256 MiB */
  uint64_t max_steps;    /* loop iterations plus macro calls; default 10 million */
  uint32_t max_depth;    /* nested macro calls; default 64 */
} ember_template_options;

void ember_template_options_init (ember_template_options *options);

/* Parses @source (UTF-8, @len bytes). Syntax errors name the line:
 * "line 3: unexpected end of template; expected “endif”". */
ember_status ember_template_new (const char      *source,
                                 size_t           len,
                                 ember_template **out,
                                 ember_error     *error);
void ember_template_free (ember_template *t);

/* Renders @t with the variables of @context (a dict, or NULL for none).
 * @options may be NULL. On success *output is a newly allocated
 * NUL-terminated string (free() it) of *output_len bytes. A template that
 * raises (raise_exception) or fails fails with EMBER_ERROR_INVALID_ARGUMENT
 * and a message naming the template line. */
ember_status ember_template_render (ember_template               *t,
                                    const ember_value            *context,
                                    const ember_template_options *options,
                                    char                        **output,
                                    size_t                       *output_len,
                                    ember_error                  *error);

/* The variables chat templates are written for, as transformers gives
 * them: "messages" (@messages, a list of {"role", "content"} dicts; the
 * context takes it over, also on failure), "add_generation_prompt" (true),
 * "bos_token" and "eos_token" (NULL: ""). NULL when out of memory. */
ember_value *ember_template_chat_context (ember_value *messages,
                                          const char  *bos_token,
                                          const char  *eos_token);

/* The template for models that carry none: ChatML,
 * "<|im_start|>ROLE\nCONTENT<|im_end|>\n" per message, then
 * "<|im_start|>assistant\n" when add_generation_prompt. Static. */
const char *ember_template_default (void);

#ifdef __cplusplus
}
#endif
