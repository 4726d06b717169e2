/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember-generate.h"
#include "ember-model.h"
#include "ember-private.h"

void
ember_generate_options_init (ember_generate_options *options)
{
  memset (options, 0, sizeof *options);
  ember_sampler_params_init (&options->sampler);
  options->num_predict = -1;
}

const char *
ember_stop_reason_to_string (ember_stop_reason reason)
{
  switch (reason)
    {
    case EMBER_STOP_END_OF_GENERATION:
      return "end of generation";
    case EMBER_STOP_STRING:
      return "stop string";
    case EMBER_STOP_LIMIT:
      return "token limit";
    case EMBER_STOP_CONTEXT_FULL:
      return "context full";
    case EMBER_STOP_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
    }
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The grammar's mask for the sampler: a token must fit in @budget. */
typedef struct {
  ember_json_constraint *constraint;
  uint32_t budget;
} token_mask;

static bool
mask_allows (int32_t  token,
             void    *user_data)
{
  token_mask *mask = user_data;

  return ember_json_constraint_allows (mask->constraint, token, mask->budget);
}

typedef struct {
  ember_stop *stop;
  ember_text_func on_text;
  void *user_data;
  bool cancelled;
  bool stopped;
} text_sink;

/* Passes @text through the stop matcher to the callback. */
static void
emit (text_sink  *sink,
      const char *text,
      size_t      length)
{
  const char *out;
  bool stopped = false;
  size_t n;

  if (sink->cancelled || sink->stopped)
    return;
  n = ember_stop_feed (sink->stop, text, length, &out, &stopped);
  if (n > 0 && sink->on_text != NULL && !sink->on_text (out, n, sink->user_data))
    sink->cancelled = true;
  sink->stopped = stopped;
}

ember_status
ember_generate (ember_context                *ctx,
                const ember_tokenizer        *tok,
                const int32_t                *prompt,
                uint32_t                      n_prompt,
                const ember_generate_options *options,
                ember_text_func               on_text,
                void                         *user_data,
                ember_generate_stats         *stats,
                ember_error                  *error)
{
  ember_generate_options defaults;
  uint32_t n_vocab;
  float *logits = NULL;
  ember_sampler *sampler = NULL;
  ember_detokenizer *detok = NULL;
  token_mask mask = { 0 };
  text_sink sink = { 0 };
  ember_generate_stats local;
  ember_status status;
  uint32_t n_reused = 0;
  double t0, t_first = 0;
  const char *text;
  size_t length;
  bool greedy;
  int32_t next = -1;     /* greedy: the argmax of the last step */

  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);
  if (ctx == NULL || tok == NULL || prompt == NULL || n_prompt == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_generate: a context, a tokenizer and a prompt are needed");
  if (options == NULL)
    {
      ember_generate_options_init (&defaults);
      options = &defaults;
    }
  status = ember_sampler_params_validate (&options->sampler, error);
  if (status != EMBER_OK)
    return status;

  n_vocab = ember_tokenizer_get_n_vocab (tok);
  if (n_vocab != ember_model_get_hparams (ember_context_get_model (ctx))->n_vocab)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the tokenizer has %u tokens but the model has %u: they come from different models",
                            n_vocab, ember_model_get_hparams (ember_context_get_model (ctx))->n_vocab);
  logits = malloc ((size_t) n_vocab * sizeof *logits);
  sampler = ember_sampler_new (&options->sampler, n_vocab);
  /* a grammar looks at the logits, which the device's argmax never reads back */
  greedy = sampler != NULL && ember_sampler_is_greedy (sampler) && options->grammar == NULL;
  if (options->grammar != NULL)
    {
      mask.constraint = ember_json_constraint_new (options->grammar, tok);
      if (mask.constraint == NULL)
        {
          status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
          goto out;
        }
    }
  detok = ember_detokenizer_new (tok, EMBER_DETOKENIZE_REMOVE_SPECIAL);
  sink.stop = ember_stop_new (options->stop);
  sink.on_text = on_text;
  sink.user_data = user_data;
  if (logits == NULL || sampler == NULL || detok == NULL || sink.stop == NULL)
    {
      status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      goto out;
    }

  t0 = now ();
  stats->prompt_tokens = n_prompt;
  status = ember_context_prefill (ctx, prompt, n_prompt, logits, &n_reused, error);
  if (status == EMBER_ERROR_CANCELLED)
    {
      /* stopped during the prompt: not an error, and nothing generated */
      stats->stop_reason = EMBER_STOP_CANCELLED;
      stats->prompt_seconds = now () - t0;
      status = EMBER_OK;
      goto out;
    }
  if (status != EMBER_OK)
    goto out;
  stats->prompt_processed = n_prompt - n_reused;
  stats->prompt_seconds = now () - t0;

  for (uint32_t i = 0; i < n_prompt; i++)
    ember_sampler_accept (sampler, prompt[i]);

  /* Continue the text: the last prompt token primes the detokenizer, so
   * that the first generated piece keeps its leading space. */
  if (!(n_prompt == 1 && prompt[0] == ember_tokenizer_get_bos (tok)))
    ember_detokenizer_feed (detok, prompt[n_prompt - 1], &text, &length, NULL);

  for (;;)
    {
      int32_t token;

      if (options->num_predict >= 0 && stats->generated_tokens >= (uint32_t) options->num_predict)
        {
          stats->stop_reason = EMBER_STOP_LIMIT;
          break;
        }
      if (ember_context_should_abort (ctx))
        {
          stats->stop_reason = EMBER_STOP_CANCELLED;
          break;
        }

      /* greedy: the device's argmax of the last step, else the sampler */
      if (mask.constraint != NULL)
        {
          /* the tokens that may still come: num_predict's and the context's */
          uint32_t room = ember_context_get_n_ctx (ctx) - ember_context_get_n_past (ctx);

          mask.budget = room;
          if (options->num_predict >= 0
              && (uint32_t) options->num_predict - stats->generated_tokens < room)
            mask.budget = (uint32_t) options->num_predict - stats->generated_tokens;
          token = ember_sampler_sample_filtered (sampler, logits, mask_allows, &mask);
          if (token < 0)
            {
              /* a vocabulary without a token for every byte: the end may
               * not be reachable in time, but the document goes on */
              mask.budget = EMBER_JSON_NO_BUDGET;
              token = ember_sampler_sample_filtered (sampler, logits, mask_allows, &mask);
            }
          if (token < 0)
            {
              status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                        "no token of the model’s vocabulary can continue the JSON document after %zu bytes",
                                        ember_json_matcher_get_position (ember_json_constraint_get_matcher (mask.constraint)));
              goto out;
            }
        }
      else
        token = next >= 0 ? next : ember_sampler_sample (sampler, logits);
      if (stats->generated_tokens == 0)
        t_first = now ();
      stats->generated_tokens++;
      if ((!options->ignore_eos || mask.constraint != NULL) && ember_tokenizer_is_eog (tok, token))
        {
          stats->stop_reason = EMBER_STOP_END_OF_GENERATION;
          break;
        }
      ember_sampler_accept (sampler, token);
      if (mask.constraint != NULL)
        ember_json_constraint_accept (mask.constraint, token);
      status = ember_detokenizer_feed (detok, token, &text, &length, error);
      if (status != EMBER_OK)
        goto out;
      emit (&sink, text, length);
      if (mask.constraint != NULL
          && ember_json_matcher_is_finished (ember_json_constraint_get_matcher (mask.constraint)))
        {
          /* the document is whole and nothing may follow it */
          stats->stop_reason = sink.stopped ? EMBER_STOP_STRING : EMBER_STOP_END_OF_GENERATION;
          break;
        }
      if (sink.stopped)
        {
          stats->stop_reason = EMBER_STOP_STRING;
          break;
        }
      if (sink.cancelled)
        {
          stats->stop_reason = EMBER_STOP_CANCELLED;
          break;
        }
      if (ember_context_get_n_past (ctx) >= ember_context_get_n_ctx (ctx))
        {
          stats->stop_reason = EMBER_STOP_CONTEXT_FULL;
          break;
        }
      if (greedy)
        status = ember_context_decode_argmax (ctx, token, &next, error);
      else
        status = ember_context_decode (ctx, &token, 1, logits, error);
      if (status == EMBER_ERROR_CANCELLED)
        {
          stats->stop_reason = EMBER_STOP_CANCELLED;
          break;
        }
      if (status != EMBER_OK)
        goto out;
    }

  if (stats->stop_reason != EMBER_STOP_STRING && stats->stop_reason != EMBER_STOP_CANCELLED)
    {
      ember_detokenizer_flush (detok, &text, &length);
      emit (&sink, text, length);
      length = ember_stop_flush (sink.stop, &text);
      if (length > 0 && on_text != NULL && !sink.cancelled)
        on_text (text, length, user_data);
    }
  stats->first_token_seconds = t_first > 0 ? t_first - t0 : 0;
  stats->generation_seconds = t_first > 0 ? now () - t_first : 0;
  status = EMBER_OK;

out:
  free (logits);
  ember_sampler_free (sampler);
  ember_detokenizer_free (detok);
  ember_stop_free (sink.stop);
  ember_json_constraint_free (mask.constraint);
  return status;
}
