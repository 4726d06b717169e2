/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The generation loop shared by the CLI, the windows and the server: the
 * prompt into the context (reusing what the cache already holds), then
 * sample, detokenize, match stop strings and hand out text until an end.
 */
#pragma once

#include "ember-common.h"
#include "ember-context.h"
#include "ember-json-grammar.h"
#include "ember-sampler.h"
#include "ember-tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EMBER_STOP_END_OF_GENERATION, /* the model's end-of-turn / end-of-text token, or
                                   the end of the document a grammar asked for */
  EMBER_STOP_STRING,            /* a stop string */
  EMBER_STOP_LIMIT,             /* num_predict tokens */
  EMBER_STOP_CONTEXT_FULL,      /* the context is full: said, never silent */
  EMBER_STOP_CANCELLED,         /* the callback asked to stop */
} ember_stop_reason;

typedef struct {
  ember_sampler_params sampler;
  int32_t num_predict;          /* -1: until an end */
  const char *const *stop;      /* NULL-terminated, or NULL */
  bool ignore_eos;              /* an end-of-generation token does not end (benchmarks) */
  /* Only text that this grammar allows (ember-json-grammar.h), or NULL. The
   * reply ends as soon as its document is complete; before the token budget
   * (num_predict, the context's room) runs out the grammar steers it to the
   * document's end. A budget too small for any document ends with
   * EMBER_STOP_LIMIT (or EMBER_STOP_CONTEXT_FULL) and an unfinished
   * document; a vocabulary that cannot write the next byte is an error. */
  const ember_json_grammar *grammar;
} ember_generate_options;

void ember_generate_options_init (ember_generate_options *options);

typedef struct {
  uint32_t prompt_tokens;       /* the whole prompt */
  uint32_t prompt_processed;    /* those not already in the cache */
  double prompt_seconds;
  uint32_t generated_tokens;
  double generation_seconds;    /* after the first token */
  double first_token_seconds;   /* from the start to the first token */
  ember_stop_reason stop_reason;
} ember_generate_stats;

/* Text as it is generated, in pieces of valid UTF-8; return false to stop
 * (the reason is then EMBER_STOP_CANCELLED). */
typedef bool (*ember_text_func) (const char *text,
                                 size_t      length,
                                 void       *user_data);

/* Generates after @prompt (which replaces what the context holds, keeping
 * the common prefix). The generated tokens stay in the context, so that a
 * conversation continues from them. */
ember_status ember_generate (ember_context                *ctx,
                             const ember_tokenizer        *tok,
                             const int32_t                *prompt,
                             uint32_t                      n_prompt,
                             const ember_generate_options *options,
                             ember_text_func               on_text,
                             void                         *user_data,
                             ember_generate_stats         *stats,
                             ember_error                  *error);

/* A static name for @reason ("stop string"). */
const char *ember_stop_reason_to_string (ember_stop_reason reason);

#ifdef __cplusplus
}
#endif
