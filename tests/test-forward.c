/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU reference forward pass: stories260K's greedy tokens against
 * llama.cpp's reference, batched against token-by-token, quantized against
 * F32, prefix reuse, and every way a model or a call can be refused.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "test-common.h"
#include "test-models.h"

static char *tmp_dir;

#define assert_ok(call, error)                                                       \
  G_STMT_START {                                                                     \
    ember_status s_ = (call);                                                        \
    if (s_ != EMBER_OK)                                                              \
      g_error ("%s: %s", #call, (error).message);                                    \
  } G_STMT_END

static void
test_stories_greedy (void)
{
  g_autofree char *model_path = hearth_test_shared_file ("models/stories260K.gguf");
  g_autofree char *ref_path = NULL;
  g_autoptr (GArray) ref = NULL;
  g_autofree float *logits = NULL;
  ember_model *model = NULL;
  ember_context *ctx = NULL;
  ember_error error = { 0 };
  int32_t token = 1; /* BOS */

  if (model_path == NULL || (ref_path = hearth_test_shared_file ("models/stories260K.greedy-reference.txt")) == NULL)
    return;
  ref = hearth_test_read_greedy_reference (ref_path);
  g_assert_cmpuint (ref->len, >=, 255);

  assert_ok (ember_model_load (model_path, &model, &error), error);
  assert_ok (ember_context_new (model, NULL, &ctx, &error), error);
  g_assert_cmpuint (ember_context_get_n_ctx (ctx), ==, 2048);
  logits = g_new (float, ember_model_get_hparams (model)->n_vocab);

  for (guint i = 0; i < ref->len; i++)
    {
      assert_ok (ember_context_decode (ctx, &token, 1, logits, &error), error);
      token = hearth_test_argmax (logits, ember_model_get_hparams (model)->n_vocab);
      if (token != g_array_index (ref, int32_t, i))
        g_error ("token %u: %d, llama.cpp's reference says %d", i, token, g_array_index (ref, int32_t, i));
    }
  g_assert_cmpuint (ember_context_get_n_past (ctx), ==, ref->len);
  ember_context_free (ctx);
  ember_model_free (model);
}

/* ---- generated models ---------------------------------------------------- */

static ember_model *
load_generated (const char *arch,
                ember_type  type,
                uint64_t    seed,
                char      **path_out)
{
  hearth_test_model m;
  g_autofree char *name = g_strdup_printf ("%s-%s-%" G_GUINT64_FORMAT ".gguf", arch,
                                           ember_type_get_info (type)->name, seed);
  char *path = g_build_filename (tmp_dir, name, NULL);
  ember_model *model = NULL;
  ember_error error = { 0 };

  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  m.arch = arch;
  m.n_embd = 256;
  m.n_ff = 512;
  m.n_head = 4;
  m.n_head_kv = 2;
  m.head_dim = g_str_equal (arch, "qwen3") ? 64 : 0;
  m.n_vocab = 320;
  m.n_ctx = 512;
  m.weight_type = type;
  m.seed = seed;
  assert_ok (hearth_test_model_write (&m, path, &error), error);
  assert_ok (ember_model_load (path, &model, &error), error);
  if (path_out != NULL)
    *path_out = path;
  else
    {
      g_unlink (path);
      g_free (path);
    }
  return model;
}

static void
fill_tokens (int32_t *tokens,
             uint32_t n,
             uint32_t n_vocab,
             uint32_t seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (uint32_t i = 0; i < n; i++)
    tokens[i] = g_rand_int_range (rand, 0, (gint32) n_vocab);
}

static double
max_abs_diff (const float *a,
              const float *b,
              uint32_t     n)
{
  double m = 0;

  for (uint32_t i = 0; i < n; i++)
    m = MAX (m, fabs ((double) a[i] - b[i]));
  return m;
}

static double
cosine (const float *a,
        const float *b,
        uint32_t     n)
{
  double ab = 0, aa = 0, bb = 0;

  for (uint32_t i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return ab / sqrt (aa * bb);
}

static void
test_batched_equals_sequential (void)
{
  static const char *const archs[] = { "llama", "qwen2", "qwen3" };
  static const ember_type types[] = { EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16,
                                      EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1, EMBER_TYPE_Q5_0,
                                      EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0, EMBER_TYPE_Q2_K,
                                      EMBER_TYPE_Q3_K, EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K,
                                      EMBER_TYPE_Q6_K };
  const uint32_t n = 100; /* crosses the 64-token batch boundary */

  for (gsize a = 0; a < G_N_ELEMENTS (archs); a++)
    for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
      {
        ember_model *model = load_generated (archs[a], types[t], 7, NULL);
        uint32_t n_vocab = ember_model_get_hparams (model)->n_vocab;
        g_autofree float *batched = g_new (float, n_vocab);
        g_autofree float *sequential = g_new (float, n_vocab);
        int32_t tokens[100];
        ember_context *c1 = NULL, *c2 = NULL;
        ember_error error = { 0 };
        double diff;

        fill_tokens (tokens, n, n_vocab, 3);
        assert_ok (ember_context_new (model, NULL, &c1, &error), error);
        assert_ok (ember_context_new (model, NULL, &c2, &error), error);
        assert_ok (ember_context_decode (c1, tokens, n, batched, &error), error);
        for (uint32_t i = 0; i < n; i++)
          assert_ok (ember_context_decode (c2, &tokens[i], 1, i + 1 == n ? sequential : NULL, &error),
                     error);
        diff = max_abs_diff (batched, sequential, n_vocab);
        /* Float weights: one kernel for both, the same numbers. Quantized
         * ones: prompts of 8 tokens or more take the batched integer
         * kernels, single tokens the row kernels; their sums round in
         * another order, and where that moves an activation across an
         * 8-bit step (or a key across an f16 step) the next layer sees it:
         * the same answer within quantization noise (the bound the kernels
         * meet against the reference), not the same bits. */
        if (types[t] == EMBER_TYPE_F32 || types[t] == EMBER_TYPE_F16 || types[t] == EMBER_TYPE_BF16)
          {
            if (diff > 1e-5)
              g_error ("%s %s: batched and token-by-token logits differ by %g", archs[a],
                       ember_type_get_info (types[t])->name, diff);
          }
        else if (1.0 - cosine (batched, sequential, n_vocab) > 5e-4)
          g_error ("%s %s: batched and token-by-token logits differ (cosine %g, max %g)", archs[a],
                   ember_type_get_info (types[t])->name, cosine (batched, sequential, n_vocab), diff);
        else
          g_test_message ("%s %s: batched and token-by-token: max difference %g, 1 - cosine %g",
                          archs[a], ember_type_get_info (types[t])->name, diff,
                          1.0 - cosine (batched, sequential, n_vocab));
        g_assert_cmpuint (ember_context_get_n_past (c1), ==, n);
        ember_context_free (c1);
        ember_context_free (c2);
        ember_model_free (model);
      }
}

static void
test_quantized_close_to_f32 (void)
{
  static const char *const archs[] = { "llama", "qwen2", "qwen3" };
  /* Random weights quantize worse than trained ones, and two layers add up
   * the error: these bounds sit below what each type gives here (measured),
   * far above what a broken kernel gives (about 0). */
  static const struct { ember_type type; double min_cosine; } types[] = {
    { EMBER_TYPE_F16, 0.99999 }, { EMBER_TYPE_BF16, 0.9999 }, { EMBER_TYPE_Q8_0, 0.9995 },
    { EMBER_TYPE_Q6_K, 0.995 }, { EMBER_TYPE_Q5_0, 0.985 }, { EMBER_TYPE_Q5_1, 0.985 },
    { EMBER_TYPE_Q5_K, 0.985 }, { EMBER_TYPE_Q4_0, 0.95 }, { EMBER_TYPE_Q4_1, 0.95 },
    { EMBER_TYPE_Q4_K, 0.95 }, { EMBER_TYPE_Q3_K, 0.8 }, { EMBER_TYPE_Q2_K, 0.65 },
  };

  int32_t tokens[24];

  for (gsize a = 0; a < G_N_ELEMENTS (archs); a++)
    {
      ember_model *reference = load_generated (archs[a], EMBER_TYPE_F32, 11, NULL);
      uint32_t n_vocab = ember_model_get_hparams (reference)->n_vocab;
      g_autofree float *want = g_new (float, n_vocab);
      ember_context *ctx = NULL;
      ember_error error = { 0 };

      fill_tokens (tokens, G_N_ELEMENTS (tokens), n_vocab, 5);
      assert_ok (ember_context_new (reference, NULL, &ctx, &error), error);
      assert_ok (ember_context_decode (ctx, tokens, G_N_ELEMENTS (tokens), want, &error), error);
      ember_context_free (ctx);

      for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
        {
          ember_model *model = load_generated (archs[a], types[t].type, 11, NULL);
          g_autofree float *got = g_new (float, n_vocab);
          double cs;

          assert_ok (ember_context_new (model, NULL, &ctx, &error), error);
          assert_ok (ember_context_decode (ctx, tokens, G_N_ELEMENTS (tokens), got, &error), error);
          cs = cosine (got, want, n_vocab);
          g_test_message ("%s %s: cosine similarity to F32 logits %.6f", archs[a],
                          ember_type_get_info (types[t].type)->name, cs);
          if (cs < types[t].min_cosine)
            g_error ("%s %s: logits too far from F32 (cosine %.6f < %.6f)", archs[a],
                     ember_type_get_info (types[t].type)->name, cs, types[t].min_cosine);
          ember_context_free (ctx);
          ember_model_free (model);
        }
      ember_model_free (reference);
    }
}

static void
test_prefix_reuse (void)
{
  ember_model *model = load_generated ("qwen2", EMBER_TYPE_Q8_0, 5, NULL);
  uint32_t n_vocab = ember_model_get_hparams (model)->n_vocab;
  g_autofree float *reused = g_new (float, n_vocab);
  g_autofree float *fresh = g_new (float, n_vocab);
  int32_t turn1[20], turn2[35];
  ember_context *ctx = NULL, *other = NULL;
  ember_error error = { 0 };
  uint32_t n_reused = 99;

  fill_tokens (turn2, G_N_ELEMENTS (turn2), n_vocab, 9);
  memcpy (turn1, turn2, sizeof turn1);

  assert_ok (ember_context_new (model, NULL, &ctx, &error), error);
  assert_ok (ember_context_prefill (ctx, turn1, 20, reused, &n_reused, &error), error);
  g_assert_cmpuint (n_reused, ==, 0);
  /* turn two processes only its 15 new tokens */
  assert_ok (ember_context_prefill (ctx, turn2, 35, reused, &n_reused, &error), error);
  g_assert_cmpuint (n_reused, ==, 20);
  g_assert_cmpuint (ember_context_get_n_past (ctx), ==, 35);

  assert_ok (ember_context_new (model, NULL, &other, &error), error);
  assert_ok (ember_context_prefill (other, turn2, 35, fresh, NULL, &error), error);
  g_assert_cmpfloat (max_abs_diff (reused, fresh, n_vocab), <=, 1e-5);

  /* the same prompt again: only the last token, for its logits */
  assert_ok (ember_context_prefill (ctx, turn2, 35, reused, &n_reused, &error), error);
  g_assert_cmpuint (n_reused, ==, 34);
  /* an edit in the middle: everything from the edit on */
  turn2[10] = (turn2[10] + 1) % (int32_t) n_vocab;
  assert_ok (ember_context_prefill (ctx, turn2, 35, reused, &n_reused, &error), error);
  g_assert_cmpuint (n_reused, ==, 10);

  ember_context_free (ctx);
  ember_context_free (other);
  ember_model_free (model);
}

static void
test_refusals (void)
{
  ember_model *model = load_generated ("llama", EMBER_TYPE_F32, 1, NULL);
  ember_context_options options;
  ember_context *ctx = NULL;
  ember_error error = { 0 };
  int32_t tokens[20] = { 0 };

  ember_context_options_init (&options);
  options.n_ctx = 16;
  options.n_threads = 2;
  assert_ok (ember_context_new (model, &options, &ctx, &error), error);
  g_assert_cmpuint (ember_context_get_n_threads (ctx), ==, 2);
  {
    const ember_hparams *hp = ember_model_get_hparams (model);

    g_assert_cmpuint (ember_context_get_cache_bytes (ctx), ==,
                      2ull * hp->n_layer * 16 * hp->n_head_kv * hp->head_dim * sizeof (float));
  }

  g_assert_cmpint (ember_context_decode (ctx, tokens, 20, NULL, &error), ==, EMBER_ERROR_CONTEXT_FULL);
  g_assert_nonnull (strstr (error.message, "the context is full"));
  g_assert_cmpuint (ember_context_get_n_past (ctx), ==, 0); /* nothing changed */
  assert_ok (ember_context_decode (ctx, tokens, 16, NULL, &error), error);
  g_assert_cmpint (ember_context_decode (ctx, tokens, 1, NULL, &error), ==, EMBER_ERROR_CONTEXT_FULL);

  ember_context_truncate (ctx, 4);
  g_assert_cmpuint (ember_context_get_n_past (ctx), ==, 4);
  tokens[0] = 320;
  g_assert_cmpint (ember_context_decode (ctx, tokens, 1, NULL, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "token id 320 is outside the vocabulary"));
  tokens[0] = -1;
  g_assert_cmpint (ember_context_decode (ctx, tokens, 1, NULL, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (ember_context_get_n_past (ctx), ==, 4);

  ember_context_free (ctx);
  ember_model_free (model);
}

/* A llama written by hand, with one thing wrong. */
static char *
write_broken (const char *what)
{
  g_autofree char *name = g_strdup_printf ("broken-%s.gguf", what);
  char *path = g_build_filename (tmp_dir, name, NULL);
  ember_gguf_writer *w = ember_gguf_writer_new ();
  const char *arch = g_str_equal (what, "arch") ? "mamba" : "llama";
  const uint64_t sq[2] = { 32, 32 }, vec[1] = { 32 }, emb[2] = { 32, 8 };
  const char *tokens[8] = { "a", "b", "c", "d", "e", "f", "g", "h" };

  ember_gguf_writer_add_string (w, "general.architecture", arch);
  ember_gguf_writer_add_uint32 (w, "llama.context_length", 64);
  ember_gguf_writer_add_uint32 (w, "llama.embedding_length", 32);
  ember_gguf_writer_add_uint32 (w, "llama.block_count", 1);
  ember_gguf_writer_add_uint32 (w, "llama.feed_forward_length", 32);
  ember_gguf_writer_add_uint32 (w, "llama.attention.head_count", g_str_equal (what, "heads") ? 5 : 4);
  if (g_str_equal (what, "kv-heads"))
    ember_gguf_writer_add_uint32 (w, "llama.attention.head_count_kv", 3);
  if (g_str_equal (what, "scaling"))
    ember_gguf_writer_add_string (w, "llama.rope.scaling.type", "yarn");
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens", tokens, 8);
  ember_gguf_writer_add_tensor (w, "token_embd.weight", EMBER_TYPE_F32, 2, emb, NULL);
  ember_gguf_writer_add_tensor (w, "output_norm.weight", EMBER_TYPE_F32, 1, vec, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.attn_norm.weight", EMBER_TYPE_F32, 1, vec, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.attn_q.weight", EMBER_TYPE_F32, 2, sq, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.attn_k.weight", EMBER_TYPE_F32, 2,
                                g_str_equal (what, "shape") ? emb : sq, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.attn_v.weight", EMBER_TYPE_F32, 2, sq, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.attn_output.weight", EMBER_TYPE_F32, 2, sq, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.ffn_norm.weight", EMBER_TYPE_F32, 1, vec, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.ffn_gate.weight", EMBER_TYPE_F32, 2, sq, NULL);
  if (!g_str_equal (what, "missing"))
    ember_gguf_writer_add_tensor (w, "blk.0.ffn_up.weight", EMBER_TYPE_F32, 2, sq, NULL);
  ember_gguf_writer_add_tensor (w, "blk.0.ffn_down.weight", EMBER_TYPE_F32, 2, sq, NULL);
  g_assert_cmpint (ember_gguf_writer_write_file (w, path, NULL), ==, EMBER_OK);
  ember_gguf_writer_free (w);
  return path;
}

static void
test_load_errors (void)
{
  const struct { const char *what, *message; } cases[] = {
    { "ok", NULL },
    { "arch", "the architecture \"mamba\" is not supported yet" },
    { "missing", "the model has no tensor blk.0.ffn_up.weight" },
    { "shape", "tensor blk.0.attn_k.weight has shape 32 × 8; the model's settings need 32 × 32" },
    { "heads", "embedding length 32 is not a multiple of the 5 heads" },
    { "kv-heads", "4 attention heads cannot share 3 key/value heads evenly" },
    { "scaling", "RoPE scaling \"yarn\" is not supported yet" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_broken (cases[i].what);
      ember_model *model = NULL;
      ember_error error = { 0 };
      ember_status status = ember_model_load (path, &model, &error);

      if (cases[i].message == NULL)
        {
          if (status != EMBER_OK)
            g_error ("the correct model does not load: %s", error.message);
          ember_model_free (model);
        }
      else
        {
          g_assert_cmpint (status, ==, EMBER_ERROR_INVALID_ARGUMENT);
          g_assert_null (model);
          if (strstr (error.message, cases[i].message) == NULL)
            g_error ("%s: expected \"%s\" in \"%s\"", cases[i].what, cases[i].message, error.message);
          g_assert_true (g_str_has_prefix (error.message, path));
        }
      g_unlink (path);
    }
}

/* ---- an independent reference -------------------------------------------- */

/* The transformer written again, naively, in double precision, from the
 * generator's description of the model (not from what the engine's loader
 * read), recomputing every position from scratch: no cache, no batching,
 * no threads. For F32 models. */
typedef struct
{
  const hearth_test_model *m;
  const ember_gguf *gguf;
  uint32_t head_dim, q_dim, kv_dim, rope_dims;
  bool neox;
  double freq_base, freq_scale;
} RefModel;

static const float *
ref_tensor (const RefModel *r,
            const char     *name)
{
  const ember_gguf_tensor *t = ember_gguf_find_tensor (r->gguf, name);

  g_assert_nonnull (t);
  g_assert_cmpint (t->type->type, ==, EMBER_TYPE_F32);
  return t->data;
}

static const float *
ref_layer_tensor (const RefModel *r,
                  uint32_t        layer,
                  const char     *suffix)
{
  g_autofree char *name = g_strdup_printf ("blk.%u.%s", layer, suffix);
  const ember_gguf_tensor *t = ember_gguf_find_tensor (r->gguf, name);

  return t != NULL ? t->data : NULL;
}

static void
ref_rms_norm (double      *x,
              const float *w,
              uint32_t     n,
              double       eps)
{
  double ss = 0;

  for (uint32_t i = 0; i < n; i++)
    ss += x[i] * x[i];
  ss = 1.0 / sqrt (ss / n + eps);
  for (uint32_t i = 0; i < n; i++)
    x[i] = x[i] * ss * w[i];
}

/* out[rows] = W (rows × cols, row-major as GGUF stores dims[0] = cols) · in[cols] */
static void
ref_matvec (double      *out,
            const float *w,
            const double *in,
            uint32_t     rows,
            uint32_t     cols)
{
  for (uint32_t r = 0; r < rows; r++)
    {
      double s = 0;

      for (uint32_t c = 0; c < cols; c++)
        s += (double) w[(uint64_t) r * cols + c] * in[c];
      out[r] = s;
    }
}

static void
ref_rope (const RefModel *r,
          double         *head,
          uint32_t        pos)
{
  const float *freqs = r->m->rope_freqs ? ref_tensor (r, "rope_freqs.weight") : NULL;

  for (uint32_t i = 0; i < r->rope_dims / 2; i++)
    {
      double theta = pos * r->freq_scale * pow (r->freq_base, -2.0 * i / r->rope_dims);
      uint32_t a = r->neox ? i : 2 * i;
      uint32_t b = r->neox ? i + r->rope_dims / 2 : 2 * i + 1;
      double x0 = head[a], x1 = head[b];

      if (freqs != NULL)
        theta /= freqs[i];
      head[a] = x0 * cos (theta) - x1 * sin (theta);
      head[b] = x0 * sin (theta) + x1 * cos (theta);
    }
}

/* The logits after @tokens. */
static double *
ref_forward (const RefModel *r,
             const int32_t  *tokens,
             uint32_t        n)
{
  const hearth_test_model *m = r->m;
  uint32_t E = m->n_embd;
  double eps = 1e-6;
  g_autofree double *x = g_new0 (double, (gsize) n * E);
  g_autofree double *keys = g_new0 (double, (gsize) n * r->kv_dim);
  g_autofree double *values = g_new0 (double, (gsize) n * r->kv_dim);
  g_autofree double *xn = g_new (double, MAX (E, m->n_ff));
  g_autofree double *q = g_new (double, r->q_dim);
  g_autofree double *att = g_new (double, r->q_dim);
  g_autofree double *tmp = g_new (double, MAX (MAX (E, m->n_ff), r->q_dim));
  g_autofree double *gate = g_new (double, m->n_ff);
  g_autofree double *up = g_new (double, m->n_ff);
  g_autofree double *scores = g_new (double, n);
  const float *embd = ref_tensor (r, "token_embd.weight");
  double *logits = g_new (double, m->n_vocab);

  for (uint32_t t = 0; t < n; t++)
    for (uint32_t i = 0; i < E; i++)
      x[(gsize) t * E + i] = embd[(gsize) tokens[t] * E + i];

  for (uint32_t l = 0; l < m->n_layer; l++)
    {
      const float *bq = ref_layer_tensor (r, l, "attn_q.bias");
      const float *bk = ref_layer_tensor (r, l, "attn_k.bias");
      const float *bv = ref_layer_tensor (r, l, "attn_v.bias");
      const float *qn = ref_layer_tensor (r, l, "attn_q_norm.weight");
      const float *kn = ref_layer_tensor (r, l, "attn_k_norm.weight");
      g_autofree double *all_q = g_new (double, (gsize) n * r->q_dim);

      /* q, k, v of every position */
      for (uint32_t t = 0; t < n; t++)
        {
          double *k = keys + (gsize) t * r->kv_dim;
          double *v = values + (gsize) t * r->kv_dim;

          memcpy (xn, x + (gsize) t * E, E * sizeof (double));
          ref_rms_norm (xn, ref_layer_tensor (r, l, "attn_norm.weight"), E, eps);
          ref_matvec (q, ref_layer_tensor (r, l, "attn_q.weight"), xn, r->q_dim, E);
          ref_matvec (k, ref_layer_tensor (r, l, "attn_k.weight"), xn, r->kv_dim, E);
          ref_matvec (v, ref_layer_tensor (r, l, "attn_v.weight"), xn, r->kv_dim, E);
          for (uint32_t i = 0; bq != NULL && i < r->q_dim; i++)
            q[i] += bq[i];
          for (uint32_t i = 0; bk != NULL && i < r->kv_dim; i++)
            k[i] += bk[i], v[i] += bv[i];
          for (uint32_t h = 0; h < m->n_head; h++)
            {
              if (qn != NULL)
                ref_rms_norm (q + h * r->head_dim, qn, r->head_dim, eps);
              ref_rope (r, q + h * r->head_dim, t);
            }
          for (uint32_t h = 0; h < m->n_head_kv; h++)
            {
              if (kn != NULL)
                ref_rms_norm (k + h * r->head_dim, kn, r->head_dim, eps);
              ref_rope (r, k + h * r->head_dim, t);
            }
          memcpy (all_q + (gsize) t * r->q_dim, q, r->q_dim * sizeof (double));
        }

      for (uint32_t t = 0; t < n; t++)
        {
          /* causal attention, grouped query heads */
          for (uint32_t h = 0; h < m->n_head; h++)
            {
              uint32_t kvh = h / (m->n_head / m->n_head_kv);
              const double *qh = all_q + (gsize) t * r->q_dim + h * r->head_dim;
              double max = -INFINITY, sum = 0;

              for (uint32_t j = 0; j <= t; j++)
                {
                  const double *kj = keys + (gsize) j * r->kv_dim + kvh * r->head_dim;
                  double s = 0;

                  for (uint32_t i = 0; i < r->head_dim; i++)
                    s += qh[i] * kj[i];
                  scores[j] = s / sqrt ((double) r->head_dim);
                  max = MAX (max, scores[j]);
                }
              for (uint32_t j = 0; j <= t; j++)
                sum += scores[j] = exp (scores[j] - max);
              for (uint32_t i = 0; i < r->head_dim; i++)
                {
                  double a = 0;

                  for (uint32_t j = 0; j <= t; j++)
                    a += scores[j] / sum * values[(gsize) j * r->kv_dim + kvh * r->head_dim + i];
                  att[h * r->head_dim + i] = a;
                }
            }
          ref_matvec (tmp, ref_layer_tensor (r, l, "attn_output.weight"), att, E, r->q_dim);
          for (uint32_t i = 0; i < E; i++)
            x[(gsize) t * E + i] += tmp[i];

          /* SwiGLU */
          memcpy (xn, x + (gsize) t * E, E * sizeof (double));
          ref_rms_norm (xn, ref_layer_tensor (r, l, "ffn_norm.weight"), E, eps);
          ref_matvec (gate, ref_layer_tensor (r, l, "ffn_gate.weight"), xn, m->n_ff, E);
          ref_matvec (up, ref_layer_tensor (r, l, "ffn_up.weight"), xn, m->n_ff, E);
          for (uint32_t i = 0; i < m->n_ff; i++)
            gate[i] = gate[i] / (1.0 + exp (-gate[i])) * up[i];
          ref_matvec (tmp, ref_layer_tensor (r, l, "ffn_down.weight"), gate, E, m->n_ff);
          for (uint32_t i = 0; i < E; i++)
            x[(gsize) t * E + i] += tmp[i];
        }
    }

  memcpy (xn, x + (gsize) (n - 1) * E, E * sizeof (double));
  ref_rms_norm (xn, ref_tensor (r, "output_norm.weight"), E, eps);
  ref_matvec (logits, m->tied_embeddings ? embd : ref_tensor (r, "output.weight"), xn, m->n_vocab, E);
  return logits;
}

static void
test_against_reference (void)
{
  /* Shapes where the easy assumptions break: q_dim ≠ n_embd (qwen3's head
   * size), partial rotation, linear RoPE scaling, llama3 rope_freqs, tied
   * and untied embeddings, grouped KV heads. */
  const struct {
    const char *arch;
    uint32_t n_head, n_head_kv, head_dim, rope_dims;
    float linear;
    bool freqs, tied;
  } cases[] = {
    { "llama", 4, 2, 0, 0, 0.0f, false, false },
    { "llama", 4, 1, 0, 8, 0.0f, true, true },
    { "llama", 8, 4, 0, 0, 4.0f, false, false },
    { "qwen2", 4, 2, 0, 0, 0.0f, false, true },
    { "qwen2", 4, 4, 0, 8, 2.0f, false, false },
    { "qwen3", 6, 2, 64, 0, 0.0f, false, true },
    { "qwen3", 4, 2, 96, 64, 0.0f, false, false },
  };
  int32_t tokens[12];

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      hearth_test_model m;
      RefModel r;
      g_autofree char *path = g_build_filename (tmp_dir, "ref.gguf", NULL);
      g_autofree double *want = NULL;
      g_autofree float *got = NULL;
      ember_model *model = NULL;
      ember_context *ctx = NULL;
      ember_error error = { 0 };
      double max_err = 0, max_ref = 0;

      g_assert_true (hearth_test_model_preset (&m, "tiny"));
      m.arch = cases[c].arch;
      m.n_embd = 64;
      m.n_ff = 96;
      m.n_head = cases[c].n_head;
      m.n_head_kv = cases[c].n_head_kv;
      m.head_dim = cases[c].head_dim;
      m.rope_dims = cases[c].rope_dims;
      m.rope_linear_factor = cases[c].linear;
      m.rope_freqs = cases[c].freqs;
      m.tied_embeddings = cases[c].tied;
      m.n_vocab = 300;
      m.seed = 100 + c;
      assert_ok (hearth_test_model_write (&m, path, &error), error);
      assert_ok (ember_model_load (path, &model, &error), error);

      r.m = &m;
      r.gguf = ember_model_get_gguf (model);
      r.head_dim = m.head_dim > 0 ? m.head_dim : m.n_embd / m.n_head;
      r.q_dim = m.n_head * r.head_dim;
      r.kv_dim = m.n_head_kv * r.head_dim;
      r.rope_dims = m.rope_dims > 0 ? m.rope_dims : r.head_dim;
      r.neox = !g_str_equal (m.arch, "llama");
      r.freq_base = r.neox ? 1000000.0 : 10000.0;
      r.freq_scale = m.rope_linear_factor > 0 ? 1.0 / m.rope_linear_factor : 1.0;

      fill_tokens (tokens, G_N_ELEMENTS (tokens), m.n_vocab, 17 + c);
      want = ref_forward (&r, tokens, G_N_ELEMENTS (tokens));
      got = g_new (float, m.n_vocab);
      assert_ok (ember_context_new (model, NULL, &ctx, &error), error);
      assert_ok (ember_context_decode (ctx, tokens, G_N_ELEMENTS (tokens), got, &error), error);
      for (uint32_t i = 0; i < m.n_vocab; i++)
        {
          max_err = MAX (max_err, fabs (got[i] - want[i]));
          max_ref = MAX (max_ref, fabs (want[i]));
        }
      g_test_message ("%s case %zu: max |engine - reference| = %.3g (logits up to %.3g)",
                      m.arch, c, max_err, max_ref);
      if (max_err > 1e-4 * MAX (1.0, max_ref))
        g_error ("%s case %zu: the engine's logits differ from the reference by %g", m.arch, c, max_err);
      ember_context_free (ctx);
      ember_model_free (model);
      g_unlink (path);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-forward-XXXXXX", NULL);

  g_test_add_func ("/forward/stories260K-greedy", test_stories_greedy);
  g_test_add_func ("/forward/against-reference", test_against_reference);
  g_test_add_func ("/forward/batched-equals-sequential", test_batched_equals_sequential);
  g_test_add_func ("/forward/quantized-close-to-f32", test_quantized_close_to_f32);
  g_test_add_func ("/forward/prefix-reuse", test_prefix_reuse);
  g_test_add_func ("/forward/refusals", test_refusals);
  g_test_add_func ("/forward/load-errors", test_load_errors);

  status = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
