/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A whole model (llama, qwen2, qwen3) decoding on the Vulkan device, token
 * by token, against the CPU reference: generated models in every mat-vec
 * type (the logits of every step within a normalised mean squared error
 * bound), stories260K's greedy tokens against llama.cpp's reference, and the
 * models Vulkan refuses. With no device at all the tests skip, visibly, unless
 * HEARTH_REQUIRE_VULKAN is set.
 *
 * HEARTH_VK_BENCH_MODEL=path runs one more test that decodes 33 tokens of
 * that model, reports the time per token, and compares the logits with the
 * CPU's (for benchmarks; skipped otherwise).
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ember.h"
#include "ember-vk.h"
#include "test-common.h"
#include "test-models.h"
#include "vulkan-test.h"

#define N_STEPS 16
#define N_CTX 64
#define N_PREFILL_CTX 96

static char *tmp_dir;
static ember_vulkan *vk;

static ember_vulkan *
device (void)
{
  ember_vulkan_options options;
  ember_error error = { 0 };

  vulkan_test_options_init (&options);
  if (vk == NULL)
    assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  return vk;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- generated models ---------------------------------------------------- */

typedef struct {
  const char *arch;
  ember_type type;
  const char *variant;   /* "plain", "partial-rope", "tied", "separate", "cooperative" */
  double max_nmse;
} generated_case;

static ember_model *
load_generated (const generated_case *c)
{
  hearth_test_model m;
  g_autofree char *name = g_strdup_printf ("%s-%s-%s.gguf", c->arch,
                                           ember_type_get_info (c->type)->name, c->variant);
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  ember_model *model = NULL;
  ember_error error = { 0 };

  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  m.arch = c->arch;
  m.n_embd = 256;
  m.n_ff = 512;
  m.n_head = 4;
  m.n_head_kv = 2;
  /* qwen3: heads narrower than n_embd / n_head (q is 128 wide, x 256) */
  m.head_dim = g_str_equal (c->arch, "qwen3") ? 32 : 0;
  m.n_vocab = 320;
  m.n_ctx = 512;
  m.weight_type = c->type;
  m.seed = 7;
  if (g_str_equal (c->variant, "partial-rope"))
    {
      m.rope_dims = 32;           /* of a 64-wide head */
      m.rope_linear_factor = 2.0f;
      m.rope_freqs = true;
    }
  if (g_str_equal (c->variant, "tied"))
    m.tied_embeddings = true;
  assert_ok (hearth_test_model_write (&m, path, &error), error);
  assert_ok (ember_model_load (path, &model, &error), error);
  g_unlink (path);   /* the model keeps its mapping */
  return model;
}

static void
test_generated (gconstpointer data)
{
  const generated_case *c = data;
  ember_model *model;
  const ember_hparams *hp;
  ember_context *ctx = NULL;
  ember_context_options options;
  ember_vk_model *vkm = NULL, *vkm2 = NULL;
  ember_context *ctx2 = NULL;
  ember_error error = { 0 };
  g_autofree float *cpu = NULL;
  g_autofree float *gpu = NULL;
  double worst = 0.0;
  uint32_t agree = 0;

  if (!vulkan_test_require_device ())
    return;
  model = load_generated (c);
  hp = ember_model_get_hparams (model);
  vulkan_test_context_options_init (&options);
  options.n_ctx = N_CTX;
  options.n_threads = 1;
  assert_ok (ember_context_new (model, &options, &ctx, &error), error);

  /* The tied case also splits every tensor across buffers of 64 KiB and
   * moves every upload and readback through the staging buffer; the
   * separate case keeps q, k, v and gate, up as one tensor each and uses
   * the shared-memory kernels; the cooperative case uses the cooperative
   * mat-vec kernel and the device's argmax even on a CPU device (where the
   * rows kernel and the host's argmax are the defaults: "plain" covers
   * those there). */
  if (g_str_equal (c->variant, "tied"))
    {
      ember_vk_tuning tuning = { .max_buffer_bytes = 64 << 10, .force_staging = true };

      assert_ok (ember_vk_set_tuning (device (), &tuning, &error), error);
    }
  if (g_str_equal (c->variant, "cooperative"))
    {
      ember_vk_tuning tuning = {
        .matvec_kernel = EMBER_VK_MATVEC_COOPERATIVE, .argmax = EMBER_VK_ARGMAX_DEVICE,
      };

      assert_ok (ember_vk_set_tuning (device (), &tuning, &error), error);
    }
  if (g_str_equal (c->variant, "separate"))
    {
      ember_vk_tuning tuning = {
        .max_buffer_bytes = 64 << 10, .no_fused_matvec = true, .no_subgroup_ops = true,
      };

      assert_ok (ember_vk_set_tuning (device (), &tuning, &error), error);
    }
  assert_ok (ember_vk_model_new (device (), model, N_CTX, &vkm, &error), error);
  assert_ok (ember_vk_model_new (device (), model, N_PREFILL_CTX, &vkm2, &error), error);
  assert_ok (ember_vk_set_tuning (device (), NULL, &error), error);

  cpu = g_new (float, hp->n_vocab);
  gpu = g_new (float, hp->n_vocab);
  for (uint32_t pos = 0; pos < N_STEPS; pos++)
    {
      int32_t token = (int32_t) ((pos * 37 + 5) % hp->n_vocab);
      double e;

      assert_ok (ember_context_decode (ctx, &token, 1, cpu, &error), error);
      assert_ok (ember_vk_model_decode (vkm, token, pos, gpu, &error), error);
      e = hearth_test_nmse (gpu, cpu, hp->n_vocab);
      if (e > worst)
        worst = e;
      agree += hearth_test_argmax (gpu, hp->n_vocab) == hearth_test_argmax (cpu, hp->n_vocab);
      if (!(e < c->max_nmse))
        g_error ("%s %s %s: step %u: NMSE %g exceeds %g", c->arch,
                 ember_type_get_info (c->type)->name, c->variant, pos, e, c->max_nmse);
    }
  g_test_message ("%s %s %s: worst NMSE over %d steps %.3g (bound %g); argmax agrees %u/%d",
                  c->arch, ember_type_get_info (c->type)->name, c->variant, N_STEPS, worst,
                  c->max_nmse, agree, N_STEPS);

  /* A prompt in batches: 70 tokens (across a batch boundary), 9 more
   * after them, then one decode step on the cache they left, each against
   * the CPU. */
  {
    static const uint32_t parts[] = { 70, 9, 1 };
    int32_t tokens[80];
    uint32_t at = 0;

    options.n_ctx = N_PREFILL_CTX;
    assert_ok (ember_context_new (model, &options, &ctx2, &error), error);
    for (uint32_t i = 0; i < G_N_ELEMENTS (tokens); i++)
      tokens[i] = (int32_t) ((i * 53 + 11) % hp->n_vocab);
    for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
      {
        double e;

        assert_ok (ember_context_decode (ctx2, tokens + at, parts[i], cpu, &error), error);
        assert_ok (ember_vk_model_prefill (vkm2, tokens + at, parts[i], at, gpu, &error), error);
        at += parts[i];
        e = hearth_test_nmse (gpu, cpu, hp->n_vocab);
        if (!(e < c->max_nmse))
          g_error ("%s %s %s: %u prompt tokens (batches of %u): NMSE %g exceeds %g", c->arch,
                   ember_type_get_info (c->type)->name, c->variant, at,
                   ember_vk_model_get_batch (vkm2), e, c->max_nmse);
      }
    g_test_message ("prompt batches of %u tokens agree with the CPU",
                    ember_vk_model_get_batch (vkm2));

    /* greedy steps with the argmax on the device, against the CPU's */
    for (int32_t i = 0, token = tokens[0], next_cpu = -1, next_gpu = -1; i < 4; i++)
      {
        assert_ok (ember_context_decode_argmax (ctx2, token, &next_cpu, &error), error);
        assert_ok (ember_vk_model_decode_argmax (vkm2, token, at++, &next_gpu, &error), error);
        g_assert_cmpint (next_gpu, ==, next_cpu);
        token = next_cpu;
      }
    ember_context_free (ctx2);
  }

  ember_vk_model_free (vkm);
  ember_vk_model_free (vkm2);
  ember_context_free (ctx);
  ember_model_free (model);
}

/* ---- refusals ------------------------------------------------------------ */

static void
test_refuse (void)
{
  ember_model *model = NULL;
  ember_vk_model *vkm = NULL;
  ember_error error = { 0 };

  if (!vulkan_test_require_device ())
    return;

  /* calls outside the vocabulary or the context change nothing */
  {
    static const generated_case c = { "llama", EMBER_TYPE_F32, "plain", 1e-6 };
    float *logits;

    model = load_generated (&c);
    /* a cache that cannot fit is refused with the numbers, before any upload */
    g_assert_cmpint (ember_vk_model_new (device (), model, 1u << 30, &vkm, &error), ==,
                     EMBER_ERROR_OUT_OF_MEMORY);
    g_assert_null (vkm);
    g_assert_nonnull (strstr (error.message, "the model needs"));
    g_assert_nonnull (strstr (error.message, "GiB on the device"));
    logits = g_new (float, ember_model_get_hparams (model)->n_vocab);
    assert_ok (ember_vk_model_new (device (), model, 4, &vkm, &error), error);
    g_assert_cmpint (ember_vk_model_decode (vkm, -1, 0, logits, &error), ==,
                     EMBER_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint (ember_vk_model_decode (vkm, 320, 0, logits, &error), ==,
                     EMBER_ERROR_INVALID_ARGUMENT);
    g_assert_cmpint (ember_vk_model_decode (vkm, 1, 4, logits, &error), ==,
                     EMBER_ERROR_CONTEXT_FULL);
    g_assert_nonnull (strstr (error.message, "past the context of 4 tokens"));
    assert_ok (ember_vk_model_decode (vkm, 1, 3, logits, &error), error);
    ember_vk_model_free (vkm);
    g_free (logits);
    ember_model_free (model);
  }
}

/* ---- a long context -------------------------------------------------------- */

/* Thousands of positions: every loop over the cache runs long (lavapipe
 * ends loops silently past 65535 iterations per SIMD vector), and the
 * prompt goes in many batches. A narrow model keeps it quick. */
static void
test_long_context (void)
{
  const uint32_t n = 3000;
  hearth_test_model m;
  g_autofree char *path = g_build_filename (tmp_dir, "long-context.gguf", NULL);
  g_autofree int32_t *tokens = g_new (int32_t, n);
  g_autofree float *cpu = NULL;
  g_autofree float *gpu = NULL;
  ember_model *model = NULL;
  ember_context *ctx = NULL;
  ember_context_options options;
  ember_vk_model *vkm = NULL;
  ember_error error = { 0 };
  const ember_hparams *hp;
  double e;

  if (!vulkan_test_require_device ())
    return;
  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  m.n_embd = 256;      /* two heads of 128 sharing one KV head */
  m.n_head = 2;
  m.n_head_kv = 1;
  m.n_ff = 128;
  m.n_layer = 1;
  m.n_ctx = n;
  m.weight_type = EMBER_TYPE_Q8_0;
  assert_ok (hearth_test_model_write (&m, path, &error), error);
  assert_ok (ember_model_load (path, &model, &error), error);
  g_unlink (path);
  hp = ember_model_get_hparams (model);
  for (uint32_t i = 0; i < n; i++)
    tokens[i] = (int32_t) ((i * 7 + 3) % hp->n_vocab);
  cpu = g_new (float, hp->n_vocab);
  gpu = g_new (float, hp->n_vocab);

  vulkan_test_context_options_init (&options);
  options.n_ctx = n;
  assert_ok (ember_context_new (model, &options, &ctx, &error), error);
  assert_ok (ember_context_decode (ctx, tokens, n - 1, NULL, &error), error);
  assert_ok (ember_context_decode (ctx, tokens + n - 1, 1, cpu, &error), error);
  assert_ok (ember_vk_model_new (device (), model, n, &vkm, &error), error);
  assert_ok (ember_vk_model_prefill (vkm, tokens, n - 1, 0, NULL, &error), error);
  assert_ok (ember_vk_model_decode (vkm, tokens[n - 1], n - 1, gpu, &error), error);
  e = hearth_test_nmse (gpu, cpu, hp->n_vocab);
  g_test_message ("%u positions (prompt batches of %u): NMSE %.3g against the CPU", n,
                  ember_vk_model_get_batch (vkm), e);
  g_assert_cmpfloat (e, <, 1e-8);
  ember_vk_model_free (vkm);
  ember_context_free (ctx);
  ember_model_free (model);
}

/* ---- stories260K ----------------------------------------------------------- */

static void
test_stories_greedy (void)
{
  g_autofree char *model_path = NULL;
  g_autofree char *ref_path = NULL;
  g_autoptr (GArray) ref = NULL;
  g_autofree float *logits = NULL;
  ember_model *model = NULL;
  ember_vk_model *vkm = NULL;
  ember_error error = { 0 };
  const ember_hparams *hp;
  uint32_t dispatches = 0, barriers = 0;
  int32_t token = 1; /* BOS */
  double start;

  if (!vulkan_test_require_device ())
    return;
  if ((model_path = hearth_test_shared_file ("models/stories260K.gguf")) == NULL
      || (ref_path = hearth_test_shared_file ("models/stories260K.greedy-reference.txt")) == NULL)
    return;
  ref = hearth_test_read_greedy_reference (ref_path);
  g_assert_cmpuint (ref->len, >=, 255);

  assert_ok (ember_model_load (model_path, &model, &error), error);
  hp = ember_model_get_hparams (model);
  assert_ok (ember_vk_model_new (device (), model, ref->len, &vkm, &error), error);
  logits = g_new (float, hp->n_vocab);

  start = now ();
  for (guint i = 0; i < ref->len; i++)
    {
      int32_t want = g_array_index (ref, int32_t, i);

      assert_ok (ember_vk_model_decode (vkm, token, i, logits, &error), error);
      token = hearth_test_argmax (logits, hp->n_vocab);
      if (token != want)
        g_error ("token %u: %d (logit %.6f), llama.cpp's reference says %d (logit %.6f)", i,
                 token, logits[token], want, logits[want]);
    }
  ember_vk_model_get_stats (vkm, &dispatches, &barriers);
  g_test_message ("stories260K on %s: %u tokens as the reference; %u dispatches and %u barriers "
                  "per token; %.3f ms per token", ember_vulkan_get_device (device ())->name,
                  ref->len, dispatches, barriers, (now () - start) * 1e3 / ref->len);

  /* The same text as a prompt in batches: BOS and the first 200 reference
   * tokens at once, then the greedy continuation (the argmax on the device)
   * must be the reference's. */
  {
    g_autofree int32_t *prompt = g_new (int32_t, 201);
    ember_vk_model *vkm2 = NULL;

    prompt[0] = 1;
    memcpy (prompt + 1, ref->data, 200 * sizeof (int32_t));
    assert_ok (ember_vk_model_new (device (), model, ref->len + 1, &vkm2, &error), error);
    assert_ok (ember_vk_model_prefill (vkm2, prompt, 201, 0, logits, &error), error);
    /* then greedy with the argmax on the device */
    token = hearth_test_argmax (logits, hp->n_vocab);
    for (guint i = 200; i < ref->len; i++)
      {
        int32_t want = g_array_index (ref, int32_t, i);

        if (token != want)
          g_error ("after a batched prompt, token %u: %d, the reference says %d", i, token, want);
        assert_ok (ember_vk_model_decode_argmax (vkm2, token, i + 1, &token, &error), error);
      }
    /* stories260K's 172-wide feed-forward is not a whole number of
     * 8-element units: its prompts go token by token (batch 0) */
    g_test_message ("a 201-token prompt (batches of %u; 0: token by token) continues as the "
                    "reference", ember_vk_model_get_batch (vkm2));
    ember_vk_model_free (vkm2);
  }

  ember_vk_model_free (vkm);
  ember_model_free (model);
}

/* ---- timing of any model (HEARTH_VK_BENCH_MODEL) ---------------------------- */

static void
test_bench (void)
{
  const char *path = g_getenv ("HEARTH_VK_BENCH_MODEL");
  g_autofree float *logits = NULL;
  g_autofree float *cpu_logits = NULL;
  g_autofree int32_t *tokens = NULL;
  ember_model *model = NULL;
  ember_vk_model *vkm = NULL;
  ember_context *ctx = NULL;
  ember_context_options options;
  ember_error error = { 0 };
  const ember_hparams *hp;
  uint32_t dispatches = 0, barriers = 0;
  double start, first, cpu_time = 0.0, worst = 0.0;
  const uint32_t n = 33;

  if (path == NULL || *path == '\0')
    {
      g_test_skip ("set HEARTH_VK_BENCH_MODEL to a model file to time it");
      return;
    }
  if (!vulkan_test_require_device ())
    return;
  assert_ok (ember_model_load (path, &model, &error), error);
  hp = ember_model_get_hparams (model);
  start = now ();
  assert_ok (ember_vk_model_new (device (), model, 256, &vkm, &error), error);
  g_test_message ("upload: %.2f s", now () - start);
  logits = g_new (float, hp->n_vocab);
  cpu_logits = g_new (float, hp->n_vocab);
  tokens = g_new (int32_t, n);

  /* greedy on the device */
  tokens[0] = 1;
  start = now ();
  assert_ok (ember_vk_model_decode (vkm, tokens[0], 0, logits, &error), error);
  first = now () - start;
  start = now ();
  for (uint32_t pos = 1; pos < n; pos++)
    {
      tokens[pos] = hearth_test_argmax (logits, hp->n_vocab);
      assert_ok (ember_vk_model_decode (vkm, tokens[pos], pos, logits, &error), error);
    }
  ember_vk_model_get_stats (vkm, &dispatches, &barriers);
  g_test_message ("%s on Vulkan: first token %.1f ms, then %.1f ms per token; %u dispatches, "
                  "%u barriers per token", path, first * 1e3, (now () - start) * 1e3 / (n - 1),
                  dispatches, barriers);

  /* the same tokens on the CPU, against the device's logits again */
  vulkan_test_context_options_init (&options);
  options.n_ctx = 256;
  assert_ok (ember_context_new (model, &options, &ctx, &error), error);
  for (uint32_t pos = 0; pos < n; pos++)
    {
      double e;

      start = now ();
      assert_ok (ember_context_decode (ctx, &tokens[pos], 1, cpu_logits, &error), error);
      cpu_time += now () - start;
      assert_ok (ember_vk_model_decode (vkm, tokens[pos], pos, logits, &error), error);
      e = hearth_test_nmse (logits, cpu_logits, hp->n_vocab);
      worst = e > worst ? e : worst;
    }
  g_test_message ("the CPU (%u threads): %.1f ms per token; worst NMSE of Vulkan's logits "
                  "against it %.3g", ember_context_get_n_threads (ctx), cpu_time * 1e3 / n, worst);
  g_assert_cmpfloat (worst, <, 1e-6);
  ember_context_free (ctx);
  ember_vk_model_free (vkm);
  ember_model_free (model);
}

int
main (int    argc,
      char **argv)
{
  static const ember_type types[] = {
    EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16, EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1,
    EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0, EMBER_TYPE_Q2_K, EMBER_TYPE_Q3_K,
    EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K, EMBER_TYPE_Q6_K,
  };
  static const char *const variants[] = {
    "plain", "partial-rope", "tied", "separate", "cooperative",
  };
  static const char *const archs[] = { "llama", "qwen2", "qwen3" };
  generated_case cases[G_N_ELEMENTS (archs) * G_N_ELEMENTS (types) * G_N_ELEMENTS (variants)];
  guint n_cases = 0;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-vulkan-model-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  for (guint a = 0; a < G_N_ELEMENTS (archs); a++)
    for (guint t = 0; t < G_N_ELEMENTS (types); t++)
      for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
        {
          generated_case *c = &cases[n_cases++];
          g_autofree char *test_path = NULL;
          g_autofree char *type_name = g_ascii_strdown (ember_type_get_info (types[t])->name, -1);

          c->arch = archs[a];
          c->type = types[t];
          c->variant = variants[v];
          /* F32/F16/BF16: the brief's 1e-6. Quantized types: the device gets
           * the very blocks the CPU reads and dequantizes them in float as
           * the CPU does (d * q, d * scale * q - dmin * min), so only
           * summation order differs, as for F32: every type measured at most
           * 3e-13 on lavapipe over 16 steps. 1e-8 keeps four orders of
           * margin for devices with other exp/FMA rounding, yet one block
           * dequantized wrong moves the logits by far more. */
          c->max_nmse = ember_type_get_info (types[t])->block_elements == 1 ? 1e-6 : 1e-8;
          test_path = g_strdup_printf ("/vulkan-model/generated/%s/%s/%s", archs[a], type_name,
                                       variants[v]);
          g_test_add_data_func (test_path, c, test_generated);
        }
  g_test_add_func ("/vulkan-model/refuse", test_refuse);
  g_test_add_func ("/vulkan-model/long-context", test_long_context);
  g_test_add_func ("/vulkan-model/stories260K-greedy", test_stories_greedy);
  g_test_add_func ("/vulkan-model/bench", test_bench);

  status = g_test_run ();
  if (vk != NULL)
    ember_vulkan_free (vk);
  g_rmdir (tmp_dir);
  return status;
}
