/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember-private.h"
#include "ember-sampler.h"
#include "ember-sampler-private.h"

struct ember_sampler {
  ember_sampler_params params;
  uint32_t n_vocab;
  ember_candidate *candidates;
  int32_t *history;         /* a ring of the last tokens */
  uint32_t history_cap;
  uint32_t history_len;
  uint32_t history_head;    /* where the next token goes */
  int32_t *recent;          /* scratch: the history in order */
  uint64_t rng;
};

void
ember_sampler_params_init (ember_sampler_params *p)
{
  p->temperature = 0.8f;
  p->top_k = 40;
  p->top_p = 0.9f;
  p->min_p = 0.0f;
  p->typical_p = 1.0f;
  p->repeat_penalty = 1.0f;
  p->repeat_last_n = 64;
  p->presence_penalty = 0.0f;
  p->frequency_penalty = 0.0f;
  p->seed = EMBER_SEED_RANDOM;
}

ember_status
ember_sampler_params_validate (const ember_sampler_params *p,
                               ember_error                *error)
{
  if (!(p->temperature >= 0.0f && p->temperature <= 100.0f))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "temperature must be between 0 and 100 (it is %g)", p->temperature);
  if (!(p->top_p >= 0.0f && p->top_p <= 1.0f))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "top_p must be between 0 and 1 (it is %g)", p->top_p);
  if (!(p->min_p >= 0.0f && p->min_p <= 1.0f))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "min_p must be between 0 and 1 (it is %g)", p->min_p);
  if (!(p->typical_p > 0.0f && p->typical_p <= 1.0f))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "typical_p must be above 0 and at most 1 (it is %g)", p->typical_p);
  if (!(p->repeat_penalty > 0.0f && p->repeat_penalty <= 100.0f))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "repeat_penalty must be above 0 (it is %g)", p->repeat_penalty);
  if (p->repeat_last_n < -1)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "repeat_last_n must be -1 (all), 0 (off) or a count (it is %d)",
                            p->repeat_last_n);
  if (!isfinite (p->presence_penalty) || !isfinite (p->frequency_penalty))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "presence_penalty and frequency_penalty must be numbers");
  return EMBER_OK;
}

/* ---- the steps ----------------------------------------------------------- */

static int
compare_logit_desc (const void *a,
                    const void *b)
{
  const ember_candidate *x = a, *y = b;

  if (x->logit != y->logit)
    return x->logit > y->logit ? -1 : 1;
  return x->id - y->id; /* stable for equal logits: lower id first */
}

static void
sort_candidates (ember_candidates *c)
{
  if (!c->sorted)
    {
      qsort (c->data, c->size, sizeof *c->data, compare_logit_desc);
      c->sorted = true;
    }
}

static int
compare_int32 (const void *a,
               const void *b)
{
  int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;

  return x < y ? -1 : x > y;
}

/* @c must still be in id order (candidate i is token i), as the sampler
 * makes it. @history is sorted in place. */
void
ember_sample_penalties (ember_candidates *c,
                        int32_t          *history,
                        uint32_t          n_history,
                        float             repeat,
                        float             frequency,
                        float             presence)
{
  if (n_history == 0 || (repeat == 1.0f && frequency == 0.0f && presence == 0.0f))
    return;

  qsort (history, n_history, sizeof *history, compare_int32);
  for (uint32_t i = 0; i < n_history;)
    {
      int32_t id = history[i];
      uint32_t count = 0;

      while (i < n_history && history[i] == id)
        {
          count++;
          i++;
        }
      if (id < 0 || (uint32_t) id >= c->size || c->data[id].id != id)
        continue;
      if (c->data[id].logit <= 0.0f)
        c->data[id].logit *= repeat;
      else
        c->data[id].logit /= repeat;
      c->data[id].logit -= (float) count * frequency + presence;
    }
  c->sorted = false;
}

void
ember_sample_top_k (ember_candidates *c,
                    int32_t           k)
{
  if (k <= 0 || (uint32_t) k >= c->size)
    {
      sort_candidates (c);
      return;
    }
  sort_candidates (c);
  c->size = (uint32_t) k;
}

void
ember_sample_softmax (ember_candidates *c)
{
  double sum = 0.0;
  float max;

  sort_candidates (c);
  max = c->data[0].logit;
  for (uint32_t i = 0; i < c->size; i++)
    {
      c->data[i].p = expf (c->data[i].logit - max);
      sum += c->data[i].p;
    }
  for (uint32_t i = 0; i < c->size; i++)
    c->data[i].p = (float) (c->data[i].p / sum);
}

void
ember_sample_top_p (ember_candidates *c,
                    float             p)
{
  double cum = 0.0;

  if (p >= 1.0f)
    return;
  ember_sample_softmax (c);
  for (uint32_t i = 0; i < c->size; i++)
    {
      cum += c->data[i].p;
      if (cum >= p)
        {
          c->size = i + 1;
          return;
        }
    }
}

void
ember_sample_min_p (ember_candidates *c,
                    float             p)
{
  uint32_t kept = 0;
  float threshold;

  if (p <= 0.0f || c->size <= 1)
    return;
  sort_candidates (c);
  threshold = c->data[0].logit + logf (p);
  for (uint32_t i = 0; i < c->size; i++)
    if (c->data[i].logit >= threshold)
      kept = i + 1;
  c->size = kept > 0 ? kept : 1;
}

typedef struct {
  ember_candidate cand;
  float shift;
} shifted;

static int
compare_shift (const void *a,
               const void *b)
{
  const shifted *x = a, *y = b;

  if (x->shift != y->shift)
    return x->shift < y->shift ? -1 : 1;
  return x->cand.id - y->cand.id;
}

void
ember_sample_typical (ember_candidates *c,
                      float             p)
{
  double entropy = 0.0, cum = 0.0;
  shifted *s;
  uint32_t keep;

  if (p >= 1.0f || c->size <= 1)
    return;
  ember_sample_softmax (c);
  for (uint32_t i = 0; i < c->size; i++)
    if (c->data[i].p > 0.0f)
      entropy -= c->data[i].p * log (c->data[i].p);

  s = malloc (c->size * sizeof *s);
  if (s == NULL)
    return; /* no memory: typical sampling is skipped, never a crash */
  for (uint32_t i = 0; i < c->size; i++)
    {
      s[i].cand = c->data[i];
      s[i].shift = (float) fabs (-log (c->data[i].p) - entropy);
    }
  qsort (s, c->size, sizeof *s, compare_shift);
  keep = c->size;
  for (uint32_t i = 0; i < c->size; i++)
    {
      cum += s[i].cand.p;
      if (cum > p)
        {
          keep = i + 1;
          break;
        }
    }
  for (uint32_t i = 0; i < keep; i++)
    c->data[i] = s[i].cand;
  c->size = keep;
  c->sorted = false;
  free (s);
}

void
ember_sample_temperature (ember_candidates *c,
                          float             t)
{
  for (uint32_t i = 0; i < c->size; i++)
    c->data[i].logit /= t;
}

int32_t
ember_sample_greedy (const ember_candidates *c)
{
  uint32_t best = 0;

  for (uint32_t i = 1; i < c->size; i++)
    if (c->data[i].logit > c->data[best].logit
        || (c->data[i].logit == c->data[best].logit && c->data[i].id < c->data[best].id))
      best = i;
  return c->data[best].id;
}

int32_t
ember_sample_draw (ember_candidates *c,
                   double            u)
{
  double cum = 0.0;

  ember_sample_softmax (c);
  for (uint32_t i = 0; i < c->size; i++)
    {
      cum += c->data[i].p;
      if (u < cum)
        return c->data[i].id;
    }
  return c->data[c->size - 1].id; /* rounding: the last one */
}

/* ---- the sampler --------------------------------------------------------- */

static uint64_t
next_random (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

ember_sampler *
ember_sampler_new (const ember_sampler_params *params,
                   uint32_t                    n_vocab)
{
  ember_sampler *s = calloc (1, sizeof *s);

  if (s == NULL)
    return NULL;
  s->params = *params;
  s->n_vocab = n_vocab;
  /* -1 (the whole history) and long windows keep the last 64k tokens:
   * longer than any context Hearth makes by default. */
  s->history_cap = params->repeat_last_n > 0 && params->repeat_last_n < 65536
                     ? (uint32_t) params->repeat_last_n : 65536;
  s->candidates = malloc ((size_t) n_vocab * sizeof *s->candidates);
  s->history = malloc ((size_t) s->history_cap * sizeof *s->history);
  s->recent = malloc ((size_t) s->history_cap * sizeof *s->recent);
  if (s->candidates == NULL || s->history == NULL || s->recent == NULL)
    {
      ember_sampler_free (s);
      return NULL;
    }
  if (params->seed == EMBER_SEED_RANDOM)
    {
      struct timespec ts;

      clock_gettime (CLOCK_REALTIME, &ts);
      s->rng = (uint64_t) ts.tv_sec * 1000000007ull ^ (uint64_t) ts.tv_nsec ^ (uintptr_t) s;
    }
  else
    s->rng = params->seed;
  return s;
}

void
ember_sampler_free (ember_sampler *s)
{
  if (s == NULL)
    return;
  free (s->candidates);
  free (s->history);
  free (s->recent);
  free (s);
}

void
ember_sampler_accept (ember_sampler *s,
                      int32_t        token)
{
  s->history[s->history_head] = token;
  s->history_head = (s->history_head + 1) % s->history_cap;
  if (s->history_len < s->history_cap)
    s->history_len++;
}

void
ember_sampler_reset (ember_sampler *s)
{
  s->history_len = 0;
  s->history_head = 0;
}

bool
ember_sampler_is_greedy (const ember_sampler *s)
{
  const ember_sampler_params *p = &s->params;

  return p->temperature <= 0.0f
         && (p->repeat_last_n == 0
             || (p->repeat_penalty == 1.0f && p->presence_penalty == 0.0f
                 && p->frequency_penalty == 0.0f));
}

/* The candidates for @logits, in id order, with the penalties applied. */
static ember_candidates
penalised_candidates (ember_sampler *s,
                      const float   *logits)
{
  const ember_sampler_params *p = &s->params;
  ember_candidates c = { s->candidates, s->n_vocab, false };
  uint32_t n_recent = 0;

  for (uint32_t i = 0; i < s->n_vocab; i++)
    {
      c.data[i].id = (int32_t) i;
      c.data[i].logit = logits[i];
      c.data[i].p = 0.0f;
    }

  if (p->repeat_last_n != 0)
    {
      n_recent = s->history_len;
      for (uint32_t i = 0; i < n_recent; i++)
        s->recent[i] = s->history[(s->history_head + s->history_cap - n_recent + i) % s->history_cap];
    }
  ember_sample_penalties (&c, s->recent, n_recent, p->repeat_penalty, p->frequency_penalty,
                          p->presence_penalty);
  return c;
}

/* The samplers' chain on @c, then a draw. */
static int32_t
sample_chain (ember_sampler    *s,
              ember_candidates *c)
{
  const ember_sampler_params *p = &s->params;

  if (p->temperature <= 0.0f)
    return ember_sample_greedy (c);

  ember_sample_top_k (c, p->top_k);
  ember_sample_typical (c, p->typical_p);
  ember_sample_top_p (c, p->top_p);
  ember_sample_min_p (c, p->min_p);
  ember_sample_temperature (c, p->temperature);
  return ember_sample_draw (c, (double) (next_random (&s->rng) >> 11) * (1.0 / 9007199254740992.0));
}

int32_t
ember_sampler_sample (ember_sampler *s,
                      const float   *logits)
{
  ember_candidates c = penalised_candidates (s, logits);

  return sample_chain (s, &c);
}

int32_t
ember_sampler_sample_filtered (ember_sampler      *s,
                               const float        *logits,
                               ember_token_filter  filter,
                               void               *user_data)
{
  ember_candidates c;
  int32_t token;
  uint32_t kept = 0;

  /* most of the time the sampler's own choice is allowed: one check */
  token = ember_sampler_sample (s, logits);
  if (filter (token, user_data))
    return token;

  /* else every token is checked, and the draw is made again among those
   * allowed, as if the others' logits were -inf */
  c = penalised_candidates (s, logits);
  for (uint32_t i = 0; i < c.size; i++)
    if (filter (c.data[i].id, user_data))
      c.data[kept++] = c.data[i];
  if (kept == 0)
    return -1;
  c.size = kept;
  return sample_chain (s, &c);
}
