/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU path's integer kernels (engine/cpu/ember-cpu-q8.c and
 * ember-cpu-x86.c) against the reference, ember_cpu_matmul (), which
 * multiplies the same weights dequantized to floats: every weight type with
 * a kernel, every kernel set this processor runs, on odd shapes (one row,
 * one token, a tile and a bit, 33 and 64 tokens, widths that are an odd
 * number of blocks), and whole models in each type.
 *
 * The bound is a normalised mean squared error, Σ (got - want)² / Σ want²,
 * as ggml's test-backend-ops uses for its products (5e-4). The kernels add
 * one error to the reference's: the activations rounded to 8 bits, a step
 * of amax / 127 per block of 32 (256 for the K-quants). For Gaussian-like
 * inputs amax is about 2.5–3 σ, so each element's rounding error has a
 * variance of (3 / 127)² / 12 ≈ 5e-5 of the input's, and a dot product
 * with independent weights has the same relative error: 5e-4 leaves a
 * factor of ten. The weights' own rounding is on both sides (the
 * reference dequantizes the same blocks), so fewer bits do not loosen the
 * bound: Q2_K and Q3_K measure 4.2e-5 and 7.7e-5 here, Q4_K 4.5e-5, and a
 * looser bound for them would only let a wrong scale through. A wrong
 * unpacking gives an NMSE near 1. Between the portable and the vector
 * kernels only the order of the float sums differs (the integer sums are
 * exact): 1e-10.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "ember-cpu-float.h"
#include "ember-cpu-ops.h"
#include "ember-cpu-q8.h"
#include "ember-quant.h"
#include "test-models.h"

#define NMSE_BOUND 5e-4
#define SAME_BOUND 1e-10

#define assert_ok(call, error)                                                       \
  G_STMT_START {                                                                     \
    ember_status s_ = (call);                                                        \
    if (s_ != EMBER_OK)                                                              \
      g_error ("%s: %s", #call, (error).message);                                    \
  } G_STMT_END

static const ember_type fast_types[] = {
  EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1, EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0,
  EMBER_TYPE_Q2_K, EMBER_TYPE_Q3_K, EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K, EMBER_TYPE_Q6_K,
};

static const ember_cpu_kernels integer_sets[] = {
  EMBER_CPU_KERNELS_PORTABLE, EMBER_CPU_KERNELS_AVX2, EMBER_CPU_KERNELS_AVX_VNNI,
};

static double
nmse_of (const float *got,
      const float *want,
      size_t       n)
{
  double err = 0, ref = 0;

  for (size_t i = 0; i < n; i++)
    {
      err += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
      ref += (double) want[i] * want[i];
    }
  return ref > 0 ? err / ref : err;
}

/* Normal-ish values (a sum of uniforms); with @outliers one in 50 is
 * eight times larger, as in real activations (and a block holding one is
 * quantized eight times more coarsely: the model test has them). */
static void
fill_random (GRand   *rand,
             float   *v,
             size_t   n,
             double   scale,
             gboolean outliers)
{
  for (size_t i = 0; i < n; i++)
    {
      double s = 0;

      for (int k = 0; k < 4; k++)
        s += g_rand_double_range (rand, -1.0, 1.0);
      v[i] = (float) (s * scale * (outliers && g_rand_int_range (rand, 0, 50) == 0 ? 8.0 : 1.0));
    }
}

typedef struct {
  ember_gguf_tensor tensor;
  ember_matrix m;
  guint8 *data;
} Weights;

static void
weights_init (Weights   *w,
              GRand     *rand,
              ember_type type,
              uint64_t   rows,
              uint64_t   cols)
{
  g_autofree float *f = g_new (float, rows * cols);
  uint64_t row_bytes = 0;
  ember_error error = { 0 };

  memset (&w->tensor, 0, sizeof w->tensor);
  w->tensor.name = "test";
  w->tensor.type = ember_type_get_info (type);
  g_assert_true (ember_type_row_bytes (w->tensor.type, cols, &row_bytes));
  w->data = g_malloc (row_bytes * rows);
  fill_random (rand, f, rows * cols, 0.05, FALSE);
  for (uint64_t r = 0; r < rows; r++)
    assert_ok (ember_quantize_row (type, f + r * cols, w->data + r * row_bytes, cols, &error), error);
  w->m = (ember_matrix) { &w->tensor, w->data, rows, cols, row_bytes };
}

/* Whether this processor runs @kernels; says so where it does not. */
static gboolean
runs_here (ember_cpu_kernels kernels)
{
  if (ember_cpu_kernels_resolve (kernels) == kernels)
    return TRUE;
  g_test_message ("%s: this processor lacks it, skipped", ember_cpu_kernels_to_string (kernels));
  return FALSE;
}

/* Σ (a - b)² and Σ b². */
static void
add_errors (const float *a,
            const float *b,
            size_t       n,
            double      *err,
            double      *ref)
{
  for (size_t i = 0; i < n; i++)
    {
      *err += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      *ref += (double) b[i] * b[i];
    }
}

/* Each shape runs with 1, 3, 4, 5, 33 and 64 tokens; the NMSE is taken over
 * all of them together, since one output alone (one row, one token) can be
 * a sum that nearly cancels, whose relative error means nothing. A kernel
 * wrong in one of them still shows: its outputs are a share of the sum. */
static void
test_products (void)
{
  static const uint32_t rows[] = { 1, 7, 37 };
  static const uint32_t batches[] = { 1, 3, 4, 5, 8, 21, 33, 64 };
  /* blocks per row: 1, 3 (an odd count), 5, 57 (more than one of the batched
   * kernels' pieces) */
  static const uint32_t blocks[] = { 1, 3, 5, 57 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  ember_pool *pool = ember_pool_new (2);
  double worst[G_N_ELEMENTS (fast_types)] = { 0 };

  for (gsize ti = 0; ti < G_N_ELEMENTS (fast_types); ti++)
    for (gsize ri = 0; ri < G_N_ELEMENTS (rows); ri++)
      for (gsize ci = 0; ci < G_N_ELEMENTS (blocks); ci++)
        {
          ember_type type = fast_types[ti];
          const char *name = ember_type_get_info (type)->name;
          uint64_t cols = (uint64_t) blocks[ci] * ember_type_get_info (type)->block_elements;
          Weights w;
          g_autofree float *x = g_new (float, 64 * cols);
          g_autofree float *want = g_new (float, 64 * rows[ri]);
          g_autofree float *portable = g_new (float, 64 * rows[ri]);
          g_autofree float *got = g_new (float, 64 * rows[ri]);
          g_autofree void *scratch = g_malloc (ember_q8_scratch_bytes (cols, 64));
          ember_q8_acts acts = { scratch, NULL, 0, 0, false };

          weights_init (&w, rand, type, rows[ri], cols);
          fill_random (rand, x, 64 * cols, 1.0, FALSE);
          for (gsize ki = 0; ki < G_N_ELEMENTS (integer_sets); ki++)
            {
              ember_cpu_kernels k = integer_sets[ki];
              double err = 0, ref = 0, diff = 0, ref2 = 0, e;

              if (ember_cpu_kernels_resolve (k) != k)
                continue;
              for (gsize bi = 0; bi < G_N_ELEMENTS (batches); bi++)
                {
                  uint32_t batch = batches[bi];
                  size_t n = (size_t) batch * rows[ri];

                  ember_cpu_matmul (pool, &w.m, x, want, batch);
                  memset (got, 0xff, n * sizeof *got);
                  g_assert_true (ember_cpu_matmul_q8 (pool, k, &w.m, x, got, batch, &acts, FALSE));
                  add_errors (got, want, n, &err, &ref);
                  if (k != EMBER_CPU_KERNELS_PORTABLE)
                    {
                      g_assert_true (ember_cpu_matmul_q8 (pool, EMBER_CPU_KERNELS_PORTABLE, &w.m,
                                                          x, portable, batch, &acts, TRUE));
                      add_errors (got, portable, n, &diff, &ref2);
                    }
                }
              e = err / ref;
              if (!(e <= NMSE_BOUND))
                g_error ("%s, %u × %" G_GUINT64_FORMAT ", %s: NMSE %g against the reference > %g",
                         name, rows[ri], cols, ember_cpu_kernels_to_string (k), e, NMSE_BOUND);
              worst[ti] = MAX (worst[ti], e);
              if (k != EMBER_CPU_KERNELS_PORTABLE && !(diff / ref2 <= SAME_BOUND))
                g_error ("%s, %u × %" G_GUINT64_FORMAT ", %s: NMSE %g against the portable "
                         "kernel > %g", name, rows[ri], cols, ember_cpu_kernels_to_string (k),
                         diff / ref2, SAME_BOUND);
            }
          g_free (w.data);
        }
  for (gsize ti = 0; ti < G_N_ELEMENTS (fast_types); ti++)
    g_test_message ("%s: worst NMSE against the reference %.2g",
                    ember_type_get_info (fast_types[ti])->name, worst[ti]);
  ember_pool_free (pool);
}

/* The batched kernels (ember_q8_gemm_func, EMBER_Q8_GEMM_ROWS rows at a
 * time) of every set that has them: row counts that leave a part of a
 * chunk (5, 13, 24, 45: fewer than eight, more, and a whole half), batches
 * that leave a part of a token tile (9, 17), widths of the models' own
 * shapes (qwen2-0.5b's 896, which the K-quants do not divide, so its
 * Q4_K_M holds Q5_0 and Q8_0 there, and 4864, more than one piece of a row
 * chunk), against the reference and against the portable kernels. */
static void
test_batched (void)
{
  static const uint32_t rows[] = { 5, 13, 16, 24, 45 };
  static const uint32_t batches[] = { 8, 9, 17, 64, 200 };
  static const uint64_t widths[] = { 256, 896, 4864 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  ember_pool *pool = ember_pool_new (2);
  uint64_t row_bytes;

  /* a K-quant is not stored at a width it does not divide */
  g_assert_false (ember_type_row_bytes (ember_type_get_info (EMBER_TYPE_Q6_K), 896, &row_bytes));
  for (gsize ki = 0; ki < G_N_ELEMENTS (integer_sets); ki++)
    {
      ember_cpu_kernels k = integer_sets[ki];

      if (!runs_here (k))
        continue;
      for (gsize ti = 0; ti < G_N_ELEMENTS (fast_types); ti++)
        {
          ember_type type = fast_types[ti];
          const char *name = ember_type_get_info (type)->name;

          /* Q2_K and Q3_K prompts go through their row kernels, a tile
           * of tokens at a time */
          if (k == EMBER_CPU_KERNELS_PORTABLE || type == EMBER_TYPE_Q2_K || type == EMBER_TYPE_Q3_K)
            {
              g_assert_null (ember_q8_gemm_lookup (k, type));
              continue;
            }
          g_assert_nonnull (ember_q8_gemm_lookup (k, type));
          for (gsize ci = 0; ci < G_N_ELEMENTS (widths); ci++)
            {
              uint64_t cols = widths[ci];

              if (cols % ember_type_get_info (type)->block_elements != 0)
                continue;
              for (gsize ri = 0; ri < G_N_ELEMENTS (rows); ri++)
                {
                  Weights w;
                  g_autofree float *x = g_new (float, 200 * cols);
                  g_autofree float *want = g_new (float, 200 * rows[ri]);
                  g_autofree float *portable = g_new (float, 200 * rows[ri]);
                  g_autofree float *got = g_new (float, 200 * rows[ri]);
                  g_autofree void *scratch = g_malloc (ember_q8_scratch_bytes (cols, 200));
                  ember_q8_acts acts = { scratch, NULL, 0, 0, false };
                  double err = 0, ref = 0, diff = 0, ref2 = 0;

                  weights_init (&w, rand, type, rows[ri], cols);
                  fill_random (rand, x, 200 * cols, 1.0, FALSE);
                  for (gsize bi = 0; bi < G_N_ELEMENTS (batches); bi++)
                    {
                      uint32_t batch = batches[bi];
                      size_t n = (size_t) batch * rows[ri];

                      ember_cpu_matmul (pool, &w.m, x, want, batch);
                      memset (got, 0xff, n * sizeof *got);
                      g_assert_true (ember_cpu_matmul_q8 (pool, k, &w.m, x, got, batch, &acts, FALSE));
                      g_assert_true (ember_cpu_matmul_q8 (pool, EMBER_CPU_KERNELS_PORTABLE, &w.m, x,
                                                          portable, batch, &acts, TRUE));
                      add_errors (got, want, n, &err, &ref);
                      add_errors (got, portable, n, &diff, &ref2);
                    }
                  if (!(err / ref <= NMSE_BOUND))
                    g_error ("%s, %u × %" G_GUINT64_FORMAT ", %s: batched NMSE %g against the "
                             "reference > %g", name, rows[ri], cols, ember_cpu_kernels_to_string (k),
                             err / ref, NMSE_BOUND);
                  if (!(diff / ref2 <= SAME_BOUND))
                    g_error ("%s, %u × %" G_GUINT64_FORMAT ", %s: batched NMSE %g against the "
                             "portable kernel > %g", name, rows[ri], cols,
                             ember_cpu_kernels_to_string (k), diff / ref2, SAME_BOUND);
                  g_free (w.data);
                }
            }
        }
    }
  ember_pool_free (pool);
}

/* The float kernels (ember-cpu-float.c and ember-cpu-float-x86.c) against
 * the reference: F32, F16 and BF16 weights, every set this processor runs,
 * widths that are no multiple of a vector (1, 13, 67, 300, 1031), 1, 7 and
 * 37 rows (an odd part of a row tile, more than one of EMBER_FLOAT_ROWS),
 * 1, 2, 7, 8 and 64 tokens (one, the odd ends of the token tiles, a whole
 * batch). Both sides multiply the same floats; only the order of the sums
 * differs, and the vector kernels round each multiply-add once: a few
 * float ulps of the sums, an NMSE near 1e-14 over many outputs, 1e-11 for
 * one row and one token whose sum nearly cancels. A weight read from the
 * wrong place gives one near 1. */
#define FLOAT_BOUND 1e-10

static void
test_float_products (void)
{
  static const ember_type types[] = { EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16 };
  static const ember_cpu_kernels sets[] = {
    EMBER_CPU_KERNELS_PORTABLE, EMBER_CPU_KERNELS_AVX2, EMBER_CPU_KERNELS_AVX_VNNI,
  };
  static const uint32_t rows[] = { 1, 7, 37 };
  static const uint64_t widths[] = { 1, 13, 67, 300, 1031 };
  static const uint32_t batches[] = { 1, 2, 7, 8, 64 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  ember_pool *pool = ember_pool_new (2);
  double worst = 0;

  for (gsize ti = 0; ti < G_N_ELEMENTS (types); ti++)
    for (gsize ri = 0; ri < G_N_ELEMENTS (rows); ri++)
      for (gsize ci = 0; ci < G_N_ELEMENTS (widths); ci++)
        {
          const char *name = ember_type_get_info (types[ti])->name;
          uint64_t cols = widths[ci];
          Weights w;
          g_autofree float *x = g_new (float, 64 * cols);
          g_autofree float *want = g_new (float, 64 * rows[ri]);
          g_autofree float *got = g_new (float, 64 * rows[ri]);

          weights_init (&w, rand, types[ti], rows[ri], cols);
          fill_random (rand, x, 64 * cols, 1.0, TRUE);
          for (gsize ki = 0; ki < G_N_ELEMENTS (sets); ki++)
            for (gsize bi = 0; bi < G_N_ELEMENTS (batches); bi++)
              {
                uint32_t batch = batches[bi];
                size_t n = (size_t) batch * rows[ri];
                double e;

                if (ember_cpu_kernels_resolve (sets[ki]) != sets[ki])
                  continue;
                ember_cpu_matmul (pool, &w.m, x, want, batch);
                memset (got, 0xff, n * sizeof *got);
                g_assert_true (ember_cpu_matmul_float (pool, sets[ki], &w.m, x, got, batch));
                e = nmse_of (got, want, n);
                if (!(e <= FLOAT_BOUND))
                  g_error ("%s, %u × %" G_GUINT64_FORMAT ", %u tokens, %s: NMSE %g against the "
                           "reference > %g", name, rows[ri], cols, batch,
                           ember_cpu_kernels_to_string (sets[ki]), e, FLOAT_BOUND);
                worst = MAX (worst, e);
              }
          /* quantized weights, and the reference set, are not theirs */
          g_assert_false (ember_cpu_matmul_float (pool, EMBER_CPU_KERNELS_REFERENCE, &w.m, x, got, 1));
          g_free (w.data);
        }
  g_test_message ("float kernels: worst NMSE against the reference %.2g", worst);
  {
    Weights w;
    float x[32], out[2];

    weights_init (&w, rand, EMBER_TYPE_Q8_0, 2, 32);
    fill_random (rand, x, 32, 1.0, FALSE);
    g_assert_false (ember_cpu_matmul_float (NULL, EMBER_CPU_KERNELS_PORTABLE, &w.m, x, out, 1));
    g_assert_null (ember_float_gemm_lookup (EMBER_CPU_KERNELS_AVX2, EMBER_TYPE_Q4_K));
    g_free (w.data);
  }
  ember_pool_free (pool);
}

/* Causal attention (the vector loop where the processor has one) against
 * a plain softmax in doubles: heads of 64 and 128 (the vector loop's) and
 * 40 (the plain one's), batches whose keys end inside a group of eight,
 * GQA groups of 3 and of 9 (more than one item's worth of heads), caches
 * of floats and (where the vector loop takes them) of f16. */
static void
test_attention (void)
{
  static const uint32_t dims[] = { 40, 64, 128 };
  static const uint32_t batches[] = { 1, 5, 19 };
  static const uint32_t starts[] = { 0, 6 };
  static const uint32_t heads[] = { 6, 18 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  for (gsize hi = 0; hi < G_N_ELEMENTS (heads); hi++)
  for (gsize di = 0; di < G_N_ELEMENTS (dims); di++)
    for (gsize bi = 0; bi < G_N_ELEMENTS (batches); bi++)
      for (gsize si = 0; si < G_N_ELEMENTS (starts); si++)
        {
          ember_hparams hp = { 0 };
          uint32_t hd = dims[di], n = batches[bi], pos0 = starts[si];
          uint64_t kv_dim, n_ctx = pos0 + n;
          double err = 0, ref = 0;

          hp.n_head = heads[hi];
          hp.n_head_kv = 2;
          hp.head_dim = hd;
          kv_dim = (uint64_t) hp.n_head_kv * hd;
          {
            g_autofree float *k = g_new (float, n_ctx * kv_dim);
            g_autofree float *v = g_new (float, n_ctx * kv_dim);
            g_autofree float *q = g_new (float, (uint64_t) n * hp.n_head * hd);
            g_autofree float *got = g_new (float, (uint64_t) n * hp.n_head * hd);
            g_autofree uint16_t *k16 = g_new (uint16_t, n_ctx * kv_dim);
            g_autofree uint16_t *v16 = g_new (uint16_t, n_ctx * kv_dim);
            g_autofree double *w = g_new (double, n_ctx);
            ember_cpu_attention_job job = { &hp, k, v, q, got, n, pos0, false };

            fill_random (rand, k, n_ctx * kv_dim, 2.0, FALSE);
            fill_random (rand, v, n_ctx * kv_dim, 1.0, FALSE);
            fill_random (rand, q, (uint64_t) n * hp.n_head * hd, 2.0, FALSE);
            /* values an f16 cache holds exactly, so both caches have one answer */
            for (uint64_t i = 0; i < n_ctx * kv_dim; i++)
              {
                k16[i] = ember_fp32_to_fp16 (k[i]);
                v16[i] = ember_fp32_to_fp16 (v[i]);
                k[i] = ember_fp16_to_fp32 (k16[i]);
                v[i] = ember_fp16_to_fp32 (v16[i]);
              }
            for (int f16 = 0; f16 < 2; f16++)
              {
                if (f16)
                  {
                    if (!ember_cpu_attention_takes_f16 (hd))
                      continue;
                    job.k_cache = k16;
                    job.v_cache = v16;
                    job.kv_f16 = true;
                  }
                err = ref = 0;
                ember_cpu_attention_items (&job, 0, ember_cpu_attention_n_items (&job));
                for (uint32_t t = 0; t < n; t++)
                  for (uint32_t h = 0; h < hp.n_head; h++)
                    {
                      const float *qh = q + ((uint64_t) t * hp.n_head + h) * hd;
                      uint32_t kvh = h / (hp.n_head / hp.n_head_kv);
                      double max = -INFINITY, sum = 0;

                      for (uint32_t j = 0; j <= pos0 + t; j++)
                        {
                          double s = 0;

                          for (uint32_t i = 0; i < hd; i++)
                            s += (double) qh[i] * k[j * kv_dim + kvh * hd + i];
                          w[j] = s / sqrt ((double) hd);
                          max = MAX (max, w[j]);
                        }
                      for (uint32_t j = 0; j <= pos0 + t; j++)
                        sum += (w[j] = exp (w[j] - max));
                      for (uint32_t i = 0; i < hd; i++)
                        {
                          double o = 0, e;

                          for (uint32_t j = 0; j <= pos0 + t; j++)
                            o += w[j] * v[j * kv_dim + kvh * hd + i];
                          o /= sum;
                          e = got[((uint64_t) t * hp.n_head + h) * hd + i] - o;
                          err += e * e;
                          ref += o * o;
                        }
                    }
                if (!(err / ref <= 1e-10))
                  g_error ("attention, %u heads of %u, %u tokens from %u, %s cache: NMSE %g > 1e-10",
                           hp.n_head, hd, n, pos0, f16 ? "f16" : "f32", err / ref);
              }
          }
        }
}

/* A type with no integer kernel is refused (the caller runs the
 * reference), and the reference set has none at all. */
static void
test_fallbacks (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  static const ember_type others[] = { EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16 };
  float x[256], out[4];
  g_autofree void *scratch = g_malloc (ember_q8_scratch_bytes (256, 1));
  ember_q8_acts acts = { scratch, NULL, 0, 0, false };

  fill_random (rand, x, 256, 1.0, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    {
      Weights w;

      weights_init (&w, rand, others[i], 4, 256);
      g_assert_false (ember_cpu_matmul_q8 (NULL, EMBER_CPU_KERNELS_PORTABLE, &w.m, x, out, 1, &acts, FALSE));
      g_free (w.data);
    }
  g_assert_null (ember_q8_dot_lookup (EMBER_CPU_KERNELS_REFERENCE, EMBER_TYPE_Q4_0));
}

static void
test_kernel_names (void)
{
  ember_cpu_kernels k = EMBER_CPU_KERNELS_AUTO;

  for (int i = EMBER_CPU_KERNELS_AUTO; i <= EMBER_CPU_KERNELS_AVX_VNNI; i++)
    {
      g_assert_true (ember_cpu_kernels_from_string (ember_cpu_kernels_to_string (i), &k));
      g_assert_cmpint (k, ==, i);
    }
  g_assert_false (ember_cpu_kernels_from_string ("fast", &k));
  g_assert_false (ember_cpu_kernels_from_string (NULL, &k));
  g_assert_cmpint (ember_cpu_kernels_resolve (EMBER_CPU_KERNELS_REFERENCE), ==,
                   EMBER_CPU_KERNELS_REFERENCE);
  g_assert_cmpint (ember_cpu_kernels_resolve (EMBER_CPU_KERNELS_PORTABLE), ==,
                   EMBER_CPU_KERNELS_PORTABLE);
  g_assert_cmpint (ember_cpu_kernels_resolve (EMBER_CPU_KERNELS_AUTO), !=, EMBER_CPU_KERNELS_AUTO);
  g_test_message ("this processor: %s",
                  ember_cpu_kernels_to_string (ember_cpu_kernels_resolve (EMBER_CPU_KERNELS_AUTO)));
}

/* Whole models: the last token's logits of a 33-token prompt, and of one
 * token after it, with every integer set against the reference. Errors
 * pass through the layers (random weights amplify them more than trained
 * ones), so the bound is looser than one product's: 5e-3. */
#define MODEL_BOUND 5e-3

static void
test_models (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-cpu-kernels-XXXXXX", NULL);
  static const ember_type types[] = { EMBER_TYPE_Q4_0, EMBER_TYPE_Q8_0, EMBER_TYPE_Q5_0,
                                      EMBER_TYPE_Q4_K, EMBER_TYPE_Q6_K, EMBER_TYPE_Q3_K,
                                      EMBER_TYPE_Q2_K, EMBER_TYPE_Q5_K, EMBER_TYPE_F32,
                                      EMBER_TYPE_F16, EMBER_TYPE_BF16 };
  int32_t tokens[34];

  for (gsize ti = 0; ti < G_N_ELEMENTS (types); ti++)
    {
      hearth_test_model m;
      g_autofree char *path = g_build_filename (dir, "model.gguf", NULL);
      ember_model *model = NULL;
      ember_error error = { 0 };
      g_autofree float *want = NULL, *want1 = NULL, *got = NULL;

      g_assert_true (hearth_test_model_preset (&m, "tiny"));
      /* each architecture's layout: qwen2's biases, qwen3's head norms */
      m.arch = ti % 3 == 0 ? "llama" : ti % 3 == 1 ? "qwen2" : "qwen3";
      m.n_embd = 256;
      m.n_ff = 512;
      m.n_head = 4;
      m.n_head_kv = 2;
      m.n_vocab = 300;
      m.weight_type = types[ti];
      m.seed = 7 + ti;
      assert_ok (hearth_test_model_write (&m, path, &error), error);
      assert_ok (ember_model_load (path, &model, &error), error);
      for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
        tokens[i] = (int32_t) ((i * 37 + 11 * ti) % m.n_vocab);
      want = g_new (float, m.n_vocab);
      want1 = g_new (float, m.n_vocab);
      got = g_new (float, m.n_vocab);

      for (int k = EMBER_CPU_KERNELS_REFERENCE; k <= EMBER_CPU_KERNELS_AVX_VNNI; k++)
        {
          ember_context_options options;
          ember_context *ctx = NULL;
          double e;

          if (!runs_here (k))
            continue;
          ember_context_options_init (&options);
          options.backend = EMBER_BACKEND_CPU;
          options.n_ctx = 64;
          options.cpu_kernels = k;
          assert_ok (ember_context_new (model, &options, &ctx, &error), error);
          g_assert_cmpint (ember_context_get_cpu_kernels (ctx), ==, k);
          if (k == EMBER_CPU_KERNELS_REFERENCE)
            {
              assert_ok (ember_context_decode (ctx, tokens, 33, want, &error), error);
              assert_ok (ember_context_decode (ctx, tokens + 33, 1, want1, &error), error);
            }
          else
            {
              assert_ok (ember_context_decode (ctx, tokens, 33, got, &error), error);
              e = nmse_of (got, want, m.n_vocab);
              g_test_message ("%s, %s: 33 tokens, NMSE %.2g", ember_type_get_info (types[ti])->name,
                              ember_cpu_kernels_to_string (k), e);
              if (e > MODEL_BOUND || isnan (e))
                g_error ("%s, %s: the logits after 33 tokens are off, NMSE %g",
                         ember_type_get_info (types[ti])->name, ember_cpu_kernels_to_string (k), e);
              assert_ok (ember_context_decode (ctx, tokens + 33, 1, got, &error), error);
              e = nmse_of (got, want1, m.n_vocab);
              if (e > MODEL_BOUND || isnan (e))
                g_error ("%s, %s: the logits of one more token are off, NMSE %g",
                         ember_type_get_info (types[ti])->name, ember_cpu_kernels_to_string (k), e);
            }
          ember_context_free (ctx);
        }
      ember_model_free (model);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* Products of one input made together (q, k and v in one pass of the
 * threads) give exactly what each made alone gives, for single tokens and
 * batches; weights that cannot share a quantized input are refused with
 * nothing computed. */
static void
test_together (void)
{
  static const struct {
    ember_type types[3];
    uint32_t rows[3];
    uint32_t n;
    uint64_t cols;
  } cases[] = {
    /* qwen2-0.5b's Q4_K_M: Q5_0 and Q8_0 where 256 does not divide 896 */
    { { EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_0, EMBER_TYPE_Q8_0 }, { 96, 16, 37 }, 3, 896 },
    { { EMBER_TYPE_Q4_K, EMBER_TYPE_Q6_K }, { 40, 7 }, 2, 512 },
    { { EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_0 }, { 64, 1, 200 }, 3, 576 },
  };
  static const uint32_t batches[] = { 1, 3, 9, 64 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (29);
  ember_pool *pool = ember_pool_new (2);

  for (gsize ci = 0; ci < G_N_ELEMENTS (cases); ci++)
    {
      uint64_t cols = cases[ci].cols;
      uint32_t n = cases[ci].n;
      Weights w[3];
      const ember_matrix *m[3];
      g_autofree float *x = g_new (float, 64 * cols);
      g_autofree void *scratch = g_malloc (ember_q8_scratch_bytes (cols, 64));

      fill_random (rand, x, 64 * cols, 1.0, TRUE);
      for (uint32_t i = 0; i < n; i++)
        {
          weights_init (&w[i], rand, cases[ci].types[i], cases[ci].rows[i], cols);
          m[i] = &w[i].m;
        }
      for (gsize ki = 0; ki < G_N_ELEMENTS (integer_sets); ki++)
        {
          if (!runs_here (integer_sets[ki]))
            continue;
          for (gsize bi = 0; bi < G_N_ELEMENTS (batches); bi++)
            {
              uint32_t batch = batches[bi];
              float *got[3], *want[3];
              ember_q8_acts acts = { scratch, NULL, 0, 0, false };

              for (uint32_t i = 0; i < n; i++)
                {
                  got[i] = g_new0 (float, batch * m[i]->rows);
                  want[i] = g_new0 (float, batch * m[i]->rows);
                  g_assert_true (ember_cpu_matmul_q8 (pool, integer_sets[ki], m[i], x, want[i], batch,
                                                      &acts, i > 0));
                }
              g_assert_true (ember_cpu_matmul_q8_n (pool, integer_sets[ki], n, m, x, got, batch,
                                                    &acts, FALSE));
              for (uint32_t i = 0; i < n; i++)
                {
                  g_assert_cmpmem (got[i], batch * m[i]->rows * sizeof (float),
                                   want[i], batch * m[i]->rows * sizeof (float));
                  g_free (got[i]);
                  g_free (want[i]);
                }
            }
        }
      for (uint32_t i = 0; i < n; i++)
        g_free (w[i].data);
    }

  /* K-quants beside 32-blocks, another width, a float type: refused */
  {
    Weights a, b, c, f;
    const ember_matrix *mixed[] = { &a.m, &b.m }, *widths[] = { &a.m, &c.m }, *floats[] = { &f.m };
    float x[512] = { 0 }, out0[8] = { 0 }, out1[8] = { 0 };
    float *outs[] = { out0, out1 };
    g_autofree void *scratch = g_malloc (ember_q8_scratch_bytes (512, 1));
    ember_q8_acts acts = { scratch, NULL, 0, 0, false };

    weights_init (&a, rand, EMBER_TYPE_Q4_K, 8, 256);
    weights_init (&b, rand, EMBER_TYPE_Q8_0, 8, 256);
    weights_init (&c, rand, EMBER_TYPE_Q4_K, 8, 512);
    weights_init (&f, rand, EMBER_TYPE_F16, 8, 256);
    g_assert_false (ember_cpu_matmul_q8_n (pool, EMBER_CPU_KERNELS_PORTABLE, 2, mixed, x, outs, 1, &acts, FALSE));
    g_assert_false (ember_cpu_matmul_q8_n (pool, EMBER_CPU_KERNELS_PORTABLE, 2, widths, x, outs, 1, &acts, FALSE));
    g_assert_false (ember_cpu_matmul_q8_n (pool, EMBER_CPU_KERNELS_PORTABLE, 1, floats, x, outs, 1, &acts, FALSE));
    g_assert_null (acts.x); /* nothing quantized */
    g_free (a.data);
    g_free (b.data);
    g_free (c.data);
    g_free (f.data);
  }
  ember_pool_free (pool);
}

/* The fusions (a product's input made and quantized in one pass) give
 * exactly what the steps give one after the other; SwiGLU's vector loop
 * agrees with the scalar formula, large negative gates included. */
static void
test_fusions (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  static const ember_type types[] = { EMBER_TYPE_Q4_0, EMBER_TYPE_Q8_0, EMBER_TYPE_Q4_K,
                                      EMBER_TYPE_F16 };
  const uint32_t n = 512, batch = 5;
  g_autofree float *x = g_new (float, n * batch);
  g_autofree float *up = g_new (float, n * batch);
  g_autofree float *weight = g_new (float, n);
  g_autofree float *want = g_new (float, n * batch);
  g_autofree float *got = g_new (float, n * batch);
  g_autofree void *want_q = g_malloc0 (ember_q8_scratch_bytes (n, batch));
  g_autofree void *got_q = g_malloc0 (ember_q8_scratch_bytes (n, batch));
  ember_pool *pool = ember_pool_new (2);

  fill_random (rand, x, n * batch, 2.0, TRUE);
  fill_random (rand, up, n * batch, 1.0, FALSE);
  fill_random (rand, weight, n, 1.0, FALSE);
  x[3] = -100.0f; /* e^-100 is below a float's range: silu is 0 there */
  x[4] = 90.0f;
  x[5] = 0.0f;
  for (gsize ti = 0; ti < G_N_ELEMENTS (types); ti++)
    for (ember_cpu_kernels k = EMBER_CPU_KERNELS_REFERENCE; k <= EMBER_CPU_KERNELS_AVX_VNNI; k++)
      {
        ember_cpu_kernels kernels = ember_cpu_kernels_resolve (k);
        gboolean quantized = kernels != EMBER_CPU_KERNELS_REFERENCE
                             && ember_q8_dot_lookup (kernels, types[ti]) != NULL;
        size_t stride = ember_q8_row_bytes (types[ti], n);
        ember_q8_acts acts = { got_q, NULL, 0, 0, false };

        for (int swiglu = 0; swiglu < 2; swiglu++)
          {
            memset (got_q, 0, ember_q8_scratch_bytes (n, batch));
            acts.x = NULL;
            if (swiglu)
              {
                memcpy (want, x, n * batch * sizeof (float));
                for (uint32_t i = 0; i < n * batch; i++)
                  want[i] = x[i] / (1.0f + expf (-x[i])) * up[i];
                memcpy (got, x, n * batch * sizeof (float));
                ember_q8_swiglu_quantize (pool, kernels, types[ti], got, up, n, batch, &acts);
                for (uint32_t i = 0; i < n * batch; i++)
                  if (fabsf (got[i] - want[i]) > 1e-6f * fabsf (want[i]) + 1e-30f)
                    g_error ("swiglu (%g, %g): %.9g, not %.9g", x[i], up[i], got[i], want[i]);
                /* the quantized copy is of what came out */
                memcpy (want, got, n * batch * sizeof (float));
              }
            else
              {
                for (uint32_t b = 0; b < batch; b++)
                  ember_cpu_rms_norm (want + b * n, x + b * n, weight, n, 1e-5f);
                ember_q8_rms_norm_quantize (pool, kernels, types[ti], got, x, weight, n, 1e-5f,
                                            batch, &acts);
                g_assert_cmpmem (got, n * batch * sizeof (float), want, n * batch * sizeof (float));
              }
            if (!quantized)
              {
                g_assert_null (acts.x);
                continue;
              }
            g_assert_true (acts.x == got);
            g_assert_cmpuint (acts.cols, ==, n);
            g_assert_cmpuint (acts.batch, ==, batch);
            g_assert_true (acts.k == ember_q8_type_is_k (types[ti]));
            for (uint32_t b = 0; b < batch; b++)
              if (acts.k)
                ember_q8_quantize_256 (want + b * n, (ember_q8_256 *) ((guint8 *) want_q + b * stride), n);
              else
                ember_q8_quantize_32 (want + b * n, (ember_q8_32 *) ((guint8 *) want_q + b * stride), n);
            g_assert_cmpmem (got_q, stride * batch, want_q, stride * batch);
          }
      }
  ember_pool_free (pool);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu-kernels/names", test_kernel_names);
  g_test_add_func ("/cpu-kernels/products", test_products);
  g_test_add_func ("/cpu-kernels/batched", test_batched);
  g_test_add_func ("/cpu-kernels/float-products", test_float_products);
  g_test_add_func ("/cpu-kernels/fallbacks", test_fallbacks);
  g_test_add_func ("/cpu-kernels/attention", test_attention);
  g_test_add_func ("/cpu-kernels/models", test_models);
  g_test_add_func ("/cpu-kernels/fusions", test_fusions);
  g_test_add_func ("/cpu-kernels/together", test_together);
  return g_test_run ();
}
