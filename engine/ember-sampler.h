/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Choosing the next token: samplers with Ollama's parameter names and
 * defaults, applied in llama.cpp's order (penalties, top_k, typical_p,
 * top_p, min_p, temperature, then a draw), and stop strings matched across
 * token boundaries.
 */
#pragma once

#include "ember-common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_SEED_RANDOM UINT64_MAX

typedef struct {
  float temperature;        /* 0.8; 0 = greedy */
  int32_t top_k;            /* 40; <= 0 = off */
  float top_p;              /* 0.9; 1 = off */
  float min_p;              /* 0.0 = off */
  float typical_p;          /* 1.0 = off */
  float repeat_penalty;     /* 1.0 = off */
  int32_t repeat_last_n;    /* 64; 0 = off, -1 = the whole history */
  float presence_penalty;   /* 0.0 */
  float frequency_penalty;  /* 0.0 */
  uint64_t seed;            /* EMBER_SEED_RANDOM: from the clock */
} ember_sampler_params;

/* Ollama's defaults. */
void ember_sampler_params_init (ember_sampler_params *params);

/* Checks the ranges; the message names the parameter. */
ember_status ember_sampler_params_validate (const ember_sampler_params *params,
                                            ember_error                *error);

typedef struct ember_sampler ember_sampler;

/* NULL only when out of memory. */
ember_sampler *ember_sampler_new (const ember_sampler_params *params,
                                  uint32_t                    n_vocab);
void ember_sampler_free (ember_sampler *sampler);

/* Remembers @token for the penalties (prompt tokens and generated ones). */
void ember_sampler_accept (ember_sampler *sampler,
                           int32_t        token);
/* Forgets the history (the seed's sequence goes on). */
void ember_sampler_reset (ember_sampler *sampler);

/* Whether @sampler picks the largest logit whatever came before: greedy
 * (temperature 0) with no repetition, presence or frequency penalty, so
 * that the argmax may be taken anywhere (ember_context_decode_argmax ()). */
bool ember_sampler_is_greedy (const ember_sampler *sampler);

/* The next token for @logits (n_vocab of them; not modified). */
int32_t ember_sampler_sample (ember_sampler *sampler,
                              const float   *logits);

/* Whether @token may be chosen (a grammar's mask). */
typedef bool (*ember_token_filter) (int32_t  token,
                                    void    *user_data);

/* As ember_sampler_sample (), among the tokens @filter allows: the
 * sampler's choice is checked first and, only when it is refused, every
 * token is checked and the choice is made again among those allowed (as if
 * the others' logits were -inf). -1 when @filter allows none. */
int32_t ember_sampler_sample_filtered (ember_sampler      *sampler,
                                       const float        *logits,
                                       ember_token_filter  filter,
                                       void               *user_data);

/* ---- stop strings -------------------------------------------------------- */

typedef struct ember_stop ember_stop;

/* @stops: NULL-terminated; empty strings are ignored. NULL when out of memory. */
ember_stop *ember_stop_new (const char *const *stops);
void ember_stop_free (ember_stop *stop);

/* Feeds the next piece of generated text. Returns how many bytes of text are
 * now safe to show, at *emit (valid until the next call); text that could be
 * the start of a stop string is held back. When a stop string is complete,
 * *stopped is set and the text before it is returned; the stop string itself
 * is never returned. */
size_t ember_stop_feed (ember_stop  *stop,
                        const char  *piece,
                        size_t       length,
                        const char **emit,
                        bool        *stopped);

/* At the end of generation: the text still held back. */
size_t ember_stop_flush (ember_stop  *stop,
                         const char **emit);

#ifdef __cplusplus
}
#endif
