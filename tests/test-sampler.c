/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Samplers, one step at a time, then together: distributions, determinism
 * with a seed, penalties; and stop strings across token boundaries.
 */

#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ember.h"
#include "ember-sampler-private.h"

/* Candidates 0..n-1 with the given logits, in id order. */
static ember_candidates
make (ember_candidate *buf,
      const float     *logits,
      uint32_t         n)
{
  for (uint32_t i = 0; i < n; i++)
    buf[i] = (ember_candidate) { (int32_t) i, logits[i], 0.0f };
  return (ember_candidates) { buf, n, false };
}

static void
test_softmax_and_greedy (void)
{
  const float logits[] = { 1.0f, 3.0f, 2.0f, 3.0f };
  ember_candidate buf[4];
  ember_candidates c = make (buf, logits, 4);
  double sum = 0;

  /* ties go to the lower id */
  g_assert_cmpint (ember_sample_greedy (&c), ==, 1);
  ember_sample_softmax (&c);
  g_assert_true (c.sorted);
  g_assert_cmpint (c.data[0].id, ==, 1);
  g_assert_cmpint (c.data[1].id, ==, 3);
  for (uint32_t i = 0; i < c.size; i++)
    sum += c.data[i].p;
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (c.data[0].p, expf (3) / (2 * expf (3) + expf (2) + expf (1)), 1e-6);
}

static void
test_top_k_top_p_min_p (void)
{
  const float logits[] = { 0.0f, 1.0f, 2.0f, 3.0f, 4.0f };
  ember_candidate buf[5];
  ember_candidates c;

  c = make (buf, logits, 5);
  ember_sample_top_k (&c, 2);
  g_assert_cmpuint (c.size, ==, 2);
  g_assert_cmpint (c.data[0].id, ==, 4);
  g_assert_cmpint (c.data[1].id, ==, 3);

  c = make (buf, logits, 5);
  ember_sample_top_k (&c, 0); /* off */
  g_assert_cmpuint (c.size, ==, 5);

  /* p(4) ≈ 0.636, p(3) ≈ 0.234: 0.6 keeps one, 0.8 keeps two */
  c = make (buf, logits, 5);
  ember_sample_top_p (&c, 0.6f);
  g_assert_cmpuint (c.size, ==, 1);
  c = make (buf, logits, 5);
  ember_sample_top_p (&c, 0.8f);
  g_assert_cmpuint (c.size, ==, 2);
  c = make (buf, logits, 5);
  ember_sample_top_p (&c, 1.0f);
  g_assert_cmpuint (c.size, ==, 5);

  /* min_p 0.3: p >= 0.3 * p_max keeps ids 4 and 3 (e^-1 ≈ 0.37), not 2 (e^-2) */
  c = make (buf, logits, 5);
  ember_sample_min_p (&c, 0.3f);
  g_assert_cmpuint (c.size, ==, 2);
  c = make (buf, logits, 5);
  ember_sample_min_p (&c, 1.0f);
  g_assert_cmpuint (c.size, ==, 1);
}

static void
test_typical (void)
{
  /* One very likely token (p ≈ 0.93) and a flat tail: the entropy is about
   * 0.34 nats; token 0's surprise (0.07) is the closest to it, the tail's
   * (4.07) far, so with p = 0.5 token 0 alone is kept. */
  const float logits[] = { 5.0f, 1.0f, 1.0f, 1.0f, 1.0f };
  ember_candidate buf[5];
  ember_candidates c = make (buf, logits, 5);

  ember_sample_typical (&c, 0.5f);
  g_assert_cmpuint (c.size, ==, 1);
  g_assert_cmpint (c.data[0].id, ==, 0);
  /* p = 0.95 needs more than token 0 (0.932) and one tail token (0.949):
   * two tail tokens join */
  c = make (buf, logits, 5);
  ember_sample_typical (&c, 0.95f);
  g_assert_cmpuint (c.size, ==, 3);
  c = make (buf, logits, 5);
  ember_sample_typical (&c, 1.0f);
  g_assert_cmpuint (c.size, ==, 5);
}

static void
test_penalties (void)
{
  const float logits[] = { 2.0f, -2.0f, 1.0f, 0.5f };
  int32_t history[] = { 0, 1, 0, 3, 99 /* outside: ignored */ };
  ember_candidate buf[4];
  ember_candidates c = make (buf, logits, 4);

  ember_sample_penalties (&c, history, G_N_ELEMENTS (history), 2.0f, 0.25f, 0.5f);
  /* positive logits are divided, negative ones multiplied; then count × frequency + presence */
  g_assert_cmpfloat (c.data[0].logit, ==, 2.0f / 2 - 2 * 0.25f - 0.5f);
  g_assert_cmpfloat (c.data[1].logit, ==, -2.0f * 2 - 1 * 0.25f - 0.5f);
  g_assert_cmpfloat (c.data[2].logit, ==, 1.0f); /* not in the history */
  g_assert_cmpfloat (c.data[3].logit, ==, 0.5f / 2 - 0.25f - 0.5f);
}

static void
test_temperature_and_draw (void)
{
  const float logits[] = { 0.0f, 1.0f };
  ember_candidate buf[2];
  ember_candidates c = make (buf, logits, 2);

  ember_sample_temperature (&c, 0.5f);
  g_assert_cmpfloat (c.data[1].logit, ==, 2.0f);
  /* p(1) = e^2 / (1 + e^2) ≈ 0.881 */
  g_assert_cmpint (ember_sample_draw (&c, 0.0), ==, 1);
  g_assert_cmpint (ember_sample_draw (&c, 0.88), ==, 1);
  g_assert_cmpint (ember_sample_draw (&c, 0.89), ==, 0);
  g_assert_cmpint (ember_sample_draw (&c, 0.999999), ==, 0);
}

/* The whole chain: frequencies follow the distribution; the same seed gives
 * the same sequence; greedy ignores the seed. */
static void
test_sampler_distribution (void)
{
  const float logits[] = { logf (0.5f), logf (0.3f), logf (0.2f) };
  ember_sampler_params params;
  ember_sampler *s;
  guint counts[3] = { 0 };
  const guint n = 20000;

  ember_sampler_params_init (&params);
  g_assert_cmpfloat (params.temperature, ==, 0.8f);
  g_assert_cmpint (params.top_k, ==, 40);
  g_assert_cmpfloat (params.top_p, ==, 0.9f);
  params.temperature = 1.0f;
  params.top_p = 1.0f;
  params.seed = 1234;
  s = ember_sampler_new (&params, 3);
  for (guint i = 0; i < n; i++)
    counts[ember_sampler_sample (s, logits)]++;
  ember_sampler_free (s);
  g_assert_cmpfloat_with_epsilon ((double) counts[0] / n, 0.5, 0.02);
  g_assert_cmpfloat_with_epsilon ((double) counts[1] / n, 0.3, 0.02);
  g_assert_cmpfloat_with_epsilon ((double) counts[2] / n, 0.2, 0.02);
}

static void
test_sampler_seed (void)
{
  g_autofree float *logits = g_new (float, 1000);
  ember_sampler_params params;
  int32_t a[50], b[50], c[50];
  ember_sampler *s;

  for (int i = 0; i < 1000; i++)
    logits[i] = sinf ((float) i) * 3.0f;
  ember_sampler_params_init (&params);
  params.seed = 42;
  for (int run = 0; run < 3; run++)
    {
      int32_t *out = run == 0 ? a : run == 1 ? b : c;

      params.seed = run < 2 ? 42 : 43;
      s = ember_sampler_new (&params, 1000);
      for (int i = 0; i < 50; i++)
        {
          out[i] = ember_sampler_sample (s, logits);
          ember_sampler_accept (s, out[i]);
        }
      ember_sampler_free (s);
    }
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);

  /* temperature 0: always the argmax, whatever the seed */
  params.temperature = 0.0f;
  s = ember_sampler_new (&params, 1000);
  for (int i = 0; i < 10; i++)
    {
      int32_t best = 0;

      for (int k = 1; k < 1000; k++)
        if (logits[k] > logits[best])
          best = k;
      g_assert_cmpint (ember_sampler_sample (s, logits), ==, best);
    }
  ember_sampler_free (s);
}

static void
test_sampler_repeat_penalty (void)
{
  const float logits[] = { 2.0f, 1.9f, 0.0f };
  ember_sampler_params params;
  ember_sampler *s;

  ember_sampler_params_init (&params);
  params.temperature = 0.0f;
  params.repeat_penalty = 1.5f;
  params.repeat_last_n = 2;
  s = ember_sampler_new (&params, 3);
  g_assert_cmpint (ember_sampler_sample (s, logits), ==, 0);
  ember_sampler_accept (s, 0);
  g_assert_cmpint (ember_sampler_sample (s, logits), ==, 1); /* 2.0 / 1.5 < 1.9 */
  ember_sampler_accept (s, 1);
  ember_sampler_accept (s, 2);
  ember_sampler_accept (s, 2); /* 0 has left the window of 2 */
  g_assert_cmpint (ember_sampler_sample (s, logits), ==, 0);
  ember_sampler_free (s);
}

/* min_p and top_k really act inside the chain: with them, a token below the
 * threshold is never drawn. */
static void
test_sampler_chain_filters (void)
{
  const float logits[] = { 3.0f, 2.9f, 0.0f, -1.0f };
  ember_sampler_params params;
  ember_sampler *s;

  ember_sampler_params_init (&params);
  params.temperature = 1.0f;
  params.top_p = 1.0f;
  params.top_k = 0;
  params.min_p = 0.5f; /* keeps ids 0 and 1 (p ≥ 0.5 × p_max) */
  params.seed = 5;
  s = ember_sampler_new (&params, 4);
  for (int i = 0; i < 2000; i++)
    g_assert_cmpint (ember_sampler_sample (s, logits), <=, 1);
  ember_sampler_free (s);

  params.min_p = 0.0f;
  params.top_k = 1;
  s = ember_sampler_new (&params, 4);
  for (int i = 0; i < 200; i++)
    g_assert_cmpint (ember_sampler_sample (s, logits), ==, 0);
  ember_sampler_free (s);

  /* repeat_last_n 0: no penalty, however often a token came */
  params.top_k = 40;
  params.temperature = 0.0f;
  params.repeat_penalty = 10.0f;
  params.repeat_last_n = 0;
  s = ember_sampler_new (&params, 4);
  for (int i = 0; i < 10; i++)
    ember_sampler_accept (s, 0);
  g_assert_cmpint (ember_sampler_sample (s, logits), ==, 0);
  ember_sampler_free (s);
  /* -1: the whole history */
  params.repeat_last_n = -1;
  s = ember_sampler_new (&params, 4);
  ember_sampler_accept (s, 0);
  for (int i = 0; i < 5000; i++)
    ember_sampler_accept (s, 3);
  g_assert_cmpint (ember_sampler_sample (s, logits), ==, 1); /* 0 is still penalised */
  ember_sampler_free (s);
}

static void
test_params_validate (void)
{
  ember_sampler_params p;
  ember_error error = { 0 };

  ember_sampler_params_init (&p);
  g_assert_cmpint (ember_sampler_params_validate (&p, &error), ==, EMBER_OK);
  p.top_p = 1.5f;
  g_assert_cmpint (ember_sampler_params_validate (&p, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "top_p"));
  ember_sampler_params_init (&p);
  p.temperature = NAN;
  g_assert_cmpint (ember_sampler_params_validate (&p, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  ember_sampler_params_init (&p);
  p.repeat_last_n = -2;
  g_assert_cmpint (ember_sampler_params_validate (&p, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
}

/* ---- stop strings -------------------------------------------------------- */

/* Feeds @pieces and returns everything shown, and whether it stopped. */
static char *
feed_all (const char *const *stops,
          const char *const *pieces,
          gboolean          *stopped_out)
{
  ember_stop *s = ember_stop_new (stops);
  GString *shown = g_string_new (NULL);
  bool stopped = false;
  const char *emit;
  size_t n;

  for (gsize i = 0; pieces[i] != NULL && !stopped; i++)
    {
      n = ember_stop_feed (s, pieces[i], strlen (pieces[i]), &emit, &stopped);
      g_string_append_len (shown, emit, (gssize) n);
    }
  if (!stopped)
    {
      n = ember_stop_flush (s, &emit);
      g_string_append_len (shown, emit, (gssize) n);
    }
  ember_stop_free (s);
  *stopped_out = stopped;
  return g_string_free (shown, FALSE);
}

static void
test_stop_strings (void)
{
  const char *stops[] = { "<|im_end|>", "\nUser:", "", NULL };
  gboolean stopped;

  {
    const char *pieces[] = { "Hello", " world", "<|im", "_end", "|>", "never", NULL };
    g_autofree char *out = feed_all (stops, pieces, &stopped);

    g_assert_true (stopped);
    g_assert_cmpstr (out, ==, "Hello world");
  }
  {
    /* a near miss is shown in full once it can no longer be a stop */
    const char *pieces[] = { "a <|im", "_start|> b", NULL };
    g_autofree char *out = feed_all (stops, pieces, &stopped);

    g_assert_false (stopped);
    g_assert_cmpstr (out, ==, "a <|im_start|> b");
  }
  {
    /* the stop inside one piece: text before it, nothing after */
    const char *pieces[] = { "yes\nUser: no", NULL };
    g_autofree char *out = feed_all (stops, pieces, &stopped);

    g_assert_true (stopped);
    g_assert_cmpstr (out, ==, "yes");
  }
  {
    /* held back at the end, then flushed */
    const char *pieces[] = { "line\n", "Use", NULL };
    g_autofree char *out = feed_all (stops, pieces, &stopped);

    g_assert_false (stopped);
    g_assert_cmpstr (out, ==, "line\nUse");
  }
  {
    const char *none[] = { NULL };
    const char *pieces[] = { "anything <|im_end|>", NULL };
    g_autofree char *out = feed_all (none, pieces, &stopped);

    g_assert_false (stopped);
    g_assert_cmpstr (out, ==, "anything <|im_end|>");
  }
}

static void
test_stop_holds_back_only_what_it_must (void)
{
  const char *stops[] = { "STOP", NULL };
  ember_stop *s = ember_stop_new (stops);
  const char *emit;
  bool stopped;
  size_t n;

  n = ember_stop_feed (s, "abcST", 5, &emit, &stopped);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpmem (emit, n, "abc", 3);
  n = ember_stop_feed (s, "x", 1, &emit, &stopped);
  g_assert_cmpmem (emit, n, "STx", 3);
  n = ember_stop_feed (s, "STO", 3, &emit, &stopped);
  g_assert_cmpuint (n, ==, 0);
  n = ember_stop_feed (s, "P!", 2, &emit, &stopped);
  g_assert_true (stopped);
  g_assert_cmpuint (n, ==, 0);
  /* after a stop nothing more comes out */
  n = ember_stop_feed (s, "more", 4, &emit, &stopped);
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (stopped);
  ember_stop_free (s);
}

/* The plain argmax: the first largest, a NaN first logit wins, other NaN
 * never do; the same id the greedy sampler picks without penalties. */
static void
test_logits_argmax (void)
{
  const float ties[] = { 1.0f, 3.0f, 2.0f, 3.0f };
  const float nan_first[] = { NAN, 5.0f, 7.0f };
  const float nan_later[] = { 1.0f, NAN, 0.5f, INFINITY, -1.0f };
  const float all_inf[] = { -INFINITY, -INFINITY };
  ember_sampler_params params;
  ember_sampler *s;

  g_assert_cmpint (ember_logits_argmax (ties, 4), ==, 1);
  g_assert_cmpint (ember_logits_argmax (nan_first, 3), ==, 0);
  g_assert_cmpint (ember_logits_argmax (nan_later, 5), ==, 3);
  g_assert_cmpint (ember_logits_argmax (all_inf, 2), ==, 0);
  g_assert_cmpint (ember_logits_argmax (ties, 1), ==, 0);

  ember_sampler_params_init (&params);
  params.temperature = 0.0f;
  s = ember_sampler_new (&params, 4);
  g_assert_cmpint (ember_sampler_sample (s, ties), ==, ember_logits_argmax (ties, 4));
  ember_sampler_free (s);
}

/* Greedy without penalties may take its argmax anywhere (on the device);
 * a penalty or a temperature makes the logits matter. */
static void
test_is_greedy (void)
{
  static const struct {
    float temperature, repeat, presence, frequency;
    int32_t last_n;
    gboolean greedy;
  } cases[] = {
    { 0.0f, 1.0f, 0.0f, 0.0f, 64, TRUE },
    { -1.0f, 1.0f, 0.0f, 0.0f, 64, TRUE },
    { 0.0f, 1.1f, 0.0f, 0.0f, 64, FALSE },
    { 0.0f, 1.1f, 0.0f, 0.0f, 0, TRUE },     /* penalties over no history */
    { 0.0f, 1.0f, 0.5f, 0.0f, 64, FALSE },
    { 0.0f, 1.0f, 0.0f, 0.5f, -1, FALSE },
    { 0.8f, 1.0f, 0.0f, 0.0f, 64, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ember_sampler_params params;
      ember_sampler *s;

      ember_sampler_params_init (&params);
      params.temperature = cases[i].temperature;
      params.repeat_penalty = cases[i].repeat;
      params.presence_penalty = cases[i].presence;
      params.frequency_penalty = cases[i].frequency;
      params.repeat_last_n = cases[i].last_n;
      s = ember_sampler_new (&params, 3);
      g_assert_nonnull (s);
      g_assert_cmpint (ember_sampler_is_greedy (s), ==, cases[i].greedy);
      ember_sampler_free (s);
    }
}

static bool
allow_below (int32_t  token,
             void    *user_data)
{
  return token < GPOINTER_TO_INT (user_data);
}

/* A mask: among the allowed tokens, in the same proportions as without
 * it; greedy takes the best allowed one; none allowed is -1. */
static void
test_sampler_filtered (void)
{
  const float logits[] = { logf (0.1f), logf (0.2f), logf (0.3f), logf (0.4f) };
  ember_sampler_params params;
  ember_sampler *s;
  guint counts[4] = { 0 };
  const guint n = 20000;

  ember_sampler_params_init (&params);
  params.temperature = 1.0f;
  params.top_p = 1.0f;
  params.seed = 99;
  s = ember_sampler_new (&params, 4);
  for (guint i = 0; i < n; i++)
    counts[ember_sampler_sample_filtered (s, logits, allow_below, GINT_TO_POINTER (3))]++;
  g_assert_cmpuint (counts[3], ==, 0);
  g_assert_cmpfloat_with_epsilon ((double) counts[0] / n, 1.0 / 6, 0.02);
  g_assert_cmpfloat_with_epsilon ((double) counts[2] / n, 3.0 / 6, 0.02);
  g_assert_cmpint (ember_sampler_sample_filtered (s, logits, allow_below, GINT_TO_POINTER (0)), ==, -1);
  ember_sampler_free (s);

  params.temperature = 0.0f;
  s = ember_sampler_new (&params, 4);
  g_assert_cmpint (ember_sampler_sample_filtered (s, logits, allow_below, GINT_TO_POINTER (4)), ==, 3);
  g_assert_cmpint (ember_sampler_sample_filtered (s, logits, allow_below, GINT_TO_POINTER (2)), ==, 1);
  ember_sampler_free (s);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sampler/softmax-greedy", test_softmax_and_greedy);
  g_test_add_func ("/sampler/is-greedy", test_is_greedy);
  g_test_add_func ("/sampler/logits-argmax", test_logits_argmax);
  g_test_add_func ("/sampler/top-k-top-p-min-p", test_top_k_top_p_min_p);
  g_test_add_func ("/sampler/typical", test_typical);
  g_test_add_func ("/sampler/penalties", test_penalties);
  g_test_add_func ("/sampler/temperature-draw", test_temperature_and_draw);
  g_test_add_func ("/sampler/distribution", test_sampler_distribution);
  g_test_add_func ("/sampler/seed", test_sampler_seed);
  g_test_add_func ("/sampler/repeat-penalty", test_sampler_repeat_penalty);
  g_test_add_func ("/sampler/chain-filters", test_sampler_chain_filters);
  g_test_add_func ("/sampler/filtered", test_sampler_filtered);
  g_test_add_func ("/sampler/validate", test_params_validate);
  g_test_add_func ("/stop/across-tokens", test_stop_strings);
  g_test_add_func ("/stop/hold-back", test_stop_holds_back_only_what_it_must);

  return g_test_run ();
}
