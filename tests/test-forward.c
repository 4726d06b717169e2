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
#include "test-models.h"

static char *tmp_dir;

static char *
shared_file (const char *relative)
{
  const char *dir = g_getenv ("HEARTH_SHARED_DIR");
  g_autofree char *path = dir != NULL ? g_build_filename (dir, relative, NULL) : NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip_printf ("%s is missing (../shared is not beside the checkout)", relative);
      return NULL;
    }
  return g_steal_pointer (&path);
}

#define assert_ok(call, error)                                                       \
  G_STMT_START {                                                                     \
    ember_status s_ = (call);                                                        \
    if (s_ != EMBER_OK)                                                              \
      g_error ("%s: %s", #call, (error).message);                                    \
  } G_STMT_END

/* The reference's greedy ids. */
static GArray *
read_reference (const char *path)
{
  g_autofree char *text = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int32_t));
  const char *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, "ids: [");
  g_assert_nonnull (p);
  p += 6;
  while (*p != ']' && *p != '\0')
    {
      char *end;
      int32_t id = (int32_t) strtol (p, &end, 10);

      g_assert_true (end != p);
      g_array_append_val (ids, id);
      p = end;
      while (*p == ',' || *p == ' ')
        p++;
    }
  return ids;
}

static int32_t
argmax (const float *v,
        uint32_t     n)
{
  uint32_t best = 0;

  for (uint32_t i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return (int32_t) best;
}

static void
test_stories_greedy (void)
{
  g_autofree char *model_path = shared_file ("models/stories260K.gguf");
  g_autofree char *ref_path = NULL;
  g_autoptr (GArray) ref = NULL;
  g_autofree float *logits = NULL;
  ember_model *model = NULL;
  ember_context *ctx = NULL;
  ember_error error = { 0 };
  int32_t token = 1; /* BOS */

  if (model_path == NULL || (ref_path = shared_file ("models/stories260K.greedy-reference.txt")) == NULL)
    return;
  ref = read_reference (ref_path);
  g_assert_cmpuint (ref->len, >=, 255);

  assert_ok (ember_model_load (model_path, &model, &error), error);
  assert_ok (ember_context_new (model, NULL, &ctx, &error), error);
  g_assert_cmpuint (ember_context_get_n_ctx (ctx), ==, 2048);
  logits = g_new (float, ember_model_get_hparams (model)->n_vocab);

  for (guint i = 0; i < ref->len; i++)
    {
      assert_ok (ember_context_decode (ctx, &token, 1, logits, &error), error);
      token = argmax (logits, ember_model_get_hparams (model)->n_vocab);
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
        if (diff > 1e-5)
          g_error ("%s %s: batched and token-by-token logits differ by %g", archs[a],
                   ember_type_get_info (types[t])->name, diff);
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

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-forward-XXXXXX", NULL);

  g_test_add_func ("/forward/stories260K-greedy", test_stories_greedy);
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
