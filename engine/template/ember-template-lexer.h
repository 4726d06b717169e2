/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Jinja lexer's tokens (internal to the template parser).
 */
#pragma once

#include "ember-template-private.h"

typedef enum {
  TOK_EOF,
  TOK_DATA,          /* text outside tags, whitespace control applied */
  TOK_VAR_BEGIN,
  TOK_VAR_END,
  TOK_BLOCK_BEGIN,
  TOK_BLOCK_END,
  TOK_NAME,
  TOK_STRING,        /* s/len: the decoded value (pooled) */
  TOK_INTEGER,
  TOK_FLOAT,
  TOK_OPERATOR,
} tpl_token_type;

typedef struct {
  tpl_token_type type;
  int line;
  const char *s;     /* the text (points into the normalised source or the pool) */
  size_t len;
  int64_t ival;
  double fval;
} tpl_token;

/* Tokenises @source; *tokens is malloc'd (free() it) and ends with TOK_EOF.
 * Strings live in @pool. False with @error filled on a lexical error. */
bool tpl_lex (ember_pool  *pool,
              const char  *source,
              size_t       len,
              tpl_token  **tokens,
              size_t      *n_tokens,
              ember_error *error);
