/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU reference forward pass for llama, qwen2 and qwen3, and the
 * KV cache it runs over. Plain and obviously correct first: every
 * Vulkan kernel is tested against it. Weights are read in their stored type,
 * a few blocks at a time, never dequantized whole. Tokens are processed in
 * batches: each weight row is dequantized once for the whole batch.
 */

#include "config.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "ember-cpu.h"
#include "ember-cpu-float.h"
#include "ember-cpu-ops.h"
#include "ember-cpu-q8.h"
#include "ember-model-private.h"
#include "ember-private.h"
#include "ember-quant.h"
#include "ember-threads.h"

/* Tokens per forward batch; longer inputs are processed batch after batch. */
#define MAX_BATCH EMBER_CPU_MAX_BATCH
/* Elements of a weight row dequantized at once (a multiple of 256). */
#define CHUNK 1024

struct ember_cpu {
  const ember_model *model;
  uint32_t n_ctx;
  void *k_cache;            /* [n_layer][n_ctx][kv_dim] floats, or f16 where kv_f16 */
  void *v_cache;
  bool kv_f16;              /* quantized weights with the integer kernels, where the
                             * attention takes f16: half the bytes read per token */
  ember_pool *pool;
  ember_cpu_kernels kernels; /* resolved: REFERENCE or an integer set */

  /* scratch for one batch */
  float *x, *xn, *q, *k, *v, *att, *gate, *up, *last;
  float *rope;              /* MAX_BATCH rotation tables of rope_dims floats */
  ember_q8_acts q8;         /* a batch's activations quantized (ember_cpu_matmul_q8) */
};

/* ---- kernels ------------------------------------------------------------- */

float
ember_cpu_rms_scale (const float *x,
                     uint32_t     n,
                     float        eps)
{
  double sum = 0.0;

  for (uint32_t i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  return 1.0f / sqrtf ((float) (sum / n) + eps);
}

void
ember_cpu_rms_norm (float       *out,
                    const float *x,
                    const float *weight,
                    uint32_t     n,
                    float        eps)
{
  float scale = ember_cpu_rms_scale (x, n, eps);

  for (uint32_t i = 0; i < n; i++)
    out[i] = x[i] * scale * weight[i];
}

/* Eight independent partial sums, added pairwise at the end: the compiler
 * turns this into SIMD code without reassociating anything itself, and the
 * result is the same on every machine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__ ((target_clones ("avx2", "default")))
#endif
static float
dot (const float *a,
     const float *b,
     uint64_t     n)
{
  float acc[8] = { 0 };
  uint64_t i = 0;
  float sum;

  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++)
      acc[k] += a[i + k] * b[i + k];
  sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}

typedef struct {
  const ember_matrix *w;
  const float *x;       /* batch × cols */
  float *out;           /* batch × rows */
  uint32_t batch;
} matmul_job;

/* Q8_0 and Q4_0 blocks as ggml lays them out: an f16 scale, then the quants. */
#define QK 32

/* W[r] · x for one row of the common decode types, block by block, without
 * dequantizing the row into a buffer first: d × Σ q·x per block. Returns
 * false for the other types (the caller dequantizes). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__ ((target_clones ("avx2", "default")))
#endif
static bool
row_dot (ember_type     type,
         const uint8_t *row,
         const float   *x,
         uint64_t       cols,
         float         *result)
{
  float sum = 0.0f;

  switch (type)
    {
    case EMBER_TYPE_Q8_0:
      for (uint64_t b = 0; b < cols / QK; b++)
        {
          const uint8_t *block = row + b * 34;
          const int8_t *q = (const int8_t *) (block + 2);
          const float *xb = x + b * QK;
          float acc[8] = { 0 };
          uint16_t d;

          memcpy (&d, block, 2);
          for (int j = 0; j < QK; j += 8)
            for (int k = 0; k < 8; k++)
              acc[k] += (float) q[j + k] * xb[j + k];
          sum += ember_fp16_to_fp32 (d)
                 * (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
        }
      break;
    case EMBER_TYPE_Q4_0:
      for (uint64_t b = 0; b < cols / QK; b++)
        {
          const uint8_t *block = row + b * 18;
          const uint8_t *qs = block + 2;
          const float *xb = x + b * QK;
          float acc[8] = { 0 };
          uint16_t d;

          memcpy (&d, block, 2);
          /* element j: low nibble of qs[j]; element j + 16: high nibble */
          for (int j = 0; j < QK / 2; j += 8)
            for (int k = 0; k < 8; k++)
              {
                acc[k] += (float) ((qs[j + k] & 0x0f) - 8) * xb[j + k];
                acc[k] += (float) ((qs[j + k] >> 4) - 8) * xb[j + k + QK / 2];
              }
          sum += ember_fp16_to_fp32 (d)
                 * (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
        }
      break;
    default:
      return false;
    }
  *result = sum;
  return true;
}

static void
matmul_rows (void    *data,
             uint64_t begin,
             uint64_t end)
{
  const matmul_job *job = data;
  const ember_matrix *w = job->w;
  ember_type type = w->tensor->type->type;
  uint64_t block_elements = w->tensor->type->block_elements;
  uint64_t block_bytes = w->tensor->type->block_bytes;
  float buf[CHUNK];
  float sums[EMBER_CPU_MAX_BATCH];

  for (uint64_t r = begin; r < end; r++)
    {
      const uint8_t *row = w->data + r * w->row_bytes;

      /* one token: the fused row dot product where the type has one */
      if (job->batch == 1 && row_dot (type, row, job->x, w->cols, &job->out[r]))
        continue;

      for (uint32_t b = 0; b < job->batch; b++)
        sums[b] = 0.0f;
      for (uint64_t c = 0; c < w->cols; c += CHUNK)
        {
          uint64_t len = w->cols - c < CHUNK ? w->cols - c : CHUNK;

          /* Validated at load: rows are whole blocks, so chunks are too. */
          ember_dequantize_row (type, row + c / block_elements * block_bytes, buf, len, NULL);
          for (uint32_t b = 0; b < job->batch; b++)
            sums[b] += dot (buf, job->x + (uint64_t) b * w->cols + c, len);
        }
      for (uint32_t b = 0; b < job->batch; b++)
        job->out[(uint64_t) b * w->rows + r] = sums[b];
    }
}

/* out[b][r] = W[r] · x[b] */
void
ember_cpu_matmul (ember_pool         *pool,
                  const ember_matrix *w,
                  const float        *x,
                  float              *out,
                  uint32_t            batch)
{
  matmul_job job = { w, x, out, batch };

  if (w->rows * w->cols * batch < EMBER_CPU_PARALLEL_MIN)
    matmul_rows (&job, 0, w->rows);
  else
    ember_pool_run (pool, matmul_rows, &job, w->rows);
}

/* Rotates each head of @v (n_heads × head_dim) with a table from
 * ember_rope_table(). */
void
ember_cpu_rope (const ember_model *model,
                float             *v,
                uint32_t           n_heads,
                const float       *table)
{
  const ember_hparams *hp = &model->hp;
  uint32_t n_dims = hp->rope_dims;

  for (uint32_t h = 0; h < n_heads; h++)
    {
      float *head = v + (uint64_t) h * hp->head_dim;

      for (uint32_t i0 = 0; i0 < n_dims; i0 += 2)
        {
          float c = table[i0], s = table[i0 + 1];
          uint32_t a = hp->rope_style == EMBER_ROPE_NORMAL ? i0 : i0 / 2;
          uint32_t b = hp->rope_style == EMBER_ROPE_NORMAL ? i0 + 1 : i0 / 2 + n_dims / 2;
          float x0 = head[a], x1 = head[b];

          head[a] = x0 * c - x1 * s;
          head[b] = x0 * s + x1 * c;
        }
    }
}

/* One (token, head) of causal attention over the cache, with an online
 * softmax (one pass, no score buffer): the plain loop. */
static void
attention_one (const ember_cpu_attention_job *job,
               uint32_t                       t,
               uint32_t                       h)
{
  const ember_hparams *hp = job->hp;
  uint32_t hd = hp->head_dim;
  uint64_t kv_dim = (uint64_t) hp->n_head_kv * hd;
  uint32_t kvh = h / (hp->n_head / hp->n_head_kv);
  float scale = 1.0f / sqrtf ((float) hd);
  uint32_t pos = job->pos0 + t;
  const float *q = job->q + ((uint64_t) t * hp->n_head + h) * hd;
  float *out = job->att + ((uint64_t) t * hp->n_head + h) * hd;
  float acc[EMBER_MAX_HEAD_DIM];
  float max = -INFINITY, sum = 0.0f;

  for (uint32_t i = 0; i < hd; i++)
    acc[i] = 0.0f;
  for (uint32_t j = 0; j <= pos; j++)
    {
      const float *kj = (const float *) job->k_cache + (uint64_t) j * kv_dim + (uint64_t) kvh * hd;
      const float *vj = (const float *) job->v_cache + (uint64_t) j * kv_dim + (uint64_t) kvh * hd;
      float score = dot (q, kj, hd) * scale;
      float w;

      if (score > max)
        {
          float c = expf (max - score);

          sum *= c;
          for (uint32_t i = 0; i < hd; i++)
            acc[i] *= c;
          max = score;
        }
      w = expf (score - max);
      sum += w;
      for (uint32_t i = 0; i < hd; i++)
        acc[i] += w * vj[i];
    }
  for (uint32_t i = 0; i < hd; i++)
    out[i] = acc[i] / sum;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define ATTENTION_AVX2 1

/* e^x for eight x ≤ 0 (below -87 as e^-87), within a few ulp: 2^n × a
 * degree-6 polynomial on |r| ≤ ln 2 / 2. */
__attribute__ ((target ("avx2,fma,f16c"))) static inline __m256
exp_nonpositive_avx2 (__m256 x)
{
  __m256 n, r, p;
  __m256i e;

  x = _mm256_max_ps (x, _mm256_set1_ps (-87.0f));
  n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504089f)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (0.693145751953125f), x);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (1.428606765330187e-06f), r);
  p = _mm256_set1_ps (1.0f / 720);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 120));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 24));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 6));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.5f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  e = _mm256_slli_epi32 (_mm256_cvtps_epi32 (n), 23);
  return _mm256_castsi256_ps (_mm256_add_epi32 (_mm256_castps_si256 (p), e));
}

/* The eight sums of @v[0…7]'s lanes, in one register. */
__attribute__ ((target ("avx2,fma,f16c"))) static inline __m256
hsum8_avx2 (const __m256 v[8])
{
  __m256 a = _mm256_hadd_ps (v[0], v[1]), b = _mm256_hadd_ps (v[2], v[3]);
  __m256 c = _mm256_hadd_ps (v[4], v[5]), d = _mm256_hadd_ps (v[6], v[7]);

  a = _mm256_hadd_ps (a, b);
  c = _mm256_hadd_ps (c, d);
  /* a: keys 0-3 low halves | 0-3 high halves; c: keys 4-7 likewise */
  return _mm256_add_ps (_mm256_permute2f128_ps (a, c, 0x20), _mm256_permute2f128_ps (a, c, 0x31));
}

#define ATTENTION_SUB_MAX 8 /* heads per item of the AVX2 loop, at most */

/* attention_one () for @g heads from @h0, which read the same KV head, with
 * eight keys at a time: each eight keys' rows are read from the cache once
 * for all the heads (then from L1), their scores go into one register (no
 * per-key horizontal sum), one rescale per eight, the exponentials in
 * vector arithmetic. For a head of NV × 8 dimensions. */
/* Eight floats from the cache at element @i of a row (f16 or f32). */
__attribute__ ((target ("avx2,fma,f16c"))) static inline __m256
load_kv (const void *row, uint64_t i, const bool F16)
{
  if (F16)
    return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) ((const uint16_t *) row + i)));
  return _mm256_loadu_ps ((const float *) row + i);
}

__attribute__ ((target ("avx2,fma,f16c"))) static inline void
attention_group_avx2_n (const ember_cpu_attention_job *job, uint32_t t, uint32_t h0, uint32_t g,
                        const uint32_t NV, const bool F16)
{
  const size_t elem = F16 ? 2 : 4;
  const ember_hparams *hp = job->hp;
  const uint32_t hd = NV * 8;
  uint64_t kv_dim = (uint64_t) hp->n_head_kv * hd;
  uint32_t kvh = h0 / (hp->n_head / hp->n_head_kv);
  uint32_t n = job->pos0 + t + 1;
  const uint8_t *kbase = (const uint8_t *) job->k_cache + (uint64_t) kvh * hd * elem;
  const uint8_t *vbase = (const uint8_t *) job->v_cache + (uint64_t) kvh * hd * elem;
  __m256 qv[ATTENTION_SUB_MAX][16], acc[ATTENTION_SUB_MAX][16], vsum[ATTENTION_SUB_MAX];
  float max[ATTENTION_SUB_MAX];
  const __m256 scale = _mm256_set1_ps (1.0f / sqrtf ((float) hd));
  const __m256i lane = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
  _Alignas (32) float kf[8][128], vf[8][128];

  for (uint32_t i = 0; i < g; i++)
    {
      const float *q = job->q + ((uint64_t) t * hp->n_head + h0 + i) * hd;

      for (uint32_t v = 0; v < NV; v++)
        {
          qv[i][v] = _mm256_mul_ps (_mm256_loadu_ps (q + 8 * v), scale);
          acc[i][v] = _mm256_setzero_ps ();
        }
      vsum[i] = _mm256_setzero_ps ();
      max[i] = -INFINITY;
    }
  for (uint32_t j0 = 0; j0 < n; j0 += 8)
    {
      uint32_t nj = n - j0 < 8 ? n - j0 : 8;
      __m256 past = _mm256_castsi256_ps (_mm256_cmpgt_epi32 (lane, _mm256_set1_epi32 ((int) nj - 1)));

      /* an f16 cache's eight keys and values in floats, once for all the
       * heads: the conversions were half the work of a prompt's attention
       * with three heads a KV head (smollm2) */
      if (F16)
        for (uint32_t j = 0; j < 8; j++)
          {
            const uint8_t *kr = kbase + (uint64_t) (j0 + (j < nj ? j : 0)) * kv_dim * elem;
            const uint8_t *vr = vbase + (uint64_t) (j0 + (j < nj ? j : 0)) * kv_dim * elem;

            for (uint32_t v = 0; v < NV; v++)
              {
                _mm256_store_ps (kf[j] + 8 * v, load_kv (kr, 8 * v, true));
                _mm256_store_ps (vf[j] + 8 * v, load_kv (vr, 8 * v, true));
              }
          }
      for (uint32_t i = 0; i < g; i++)
        {
          __m256 part[8], s, m;
          float w[8], bmax;

          for (uint32_t j = 0; j < 8; j++)
            {
              const uint8_t *kr = F16 ? (const uint8_t *) kf[j]
                                      : kbase + (uint64_t) (j0 + (j < nj ? j : 0)) * kv_dim * elem;
              __m256 p0 = _mm256_mul_ps (qv[i][0], load_kv (kr, 0, false));
              __m256 p1 = _mm256_setzero_ps ();

              for (uint32_t v = 1; v < NV; v++)
                if (v % 2)
                  p1 = _mm256_fmadd_ps (qv[i][v], load_kv (kr, 8 * v, false), p1);
                else
                  p0 = _mm256_fmadd_ps (qv[i][v], load_kv (kr, 8 * v, false), p0);
              part[j] = _mm256_add_ps (p0, p1);
            }
          /* keys past the last one: -inf, and 0 after the exponential */
          s = _mm256_blendv_ps (hsum8_avx2 (part), _mm256_set1_ps (-INFINITY), past);
          m = _mm256_max_ps (s, _mm256_permute2f128_ps (s, s, 1));
          m = _mm256_max_ps (m, _mm256_shuffle_ps (m, m, 0x4e));
          m = _mm256_max_ps (m, _mm256_shuffle_ps (m, m, 0xb1));
          bmax = _mm256_cvtss_f32 (m);
          if (bmax > max[i])
            {
              __m256 c = _mm256_set1_ps (max[i] == -INFINITY ? 0.0f : expf (max[i] - bmax));

              vsum[i] = _mm256_mul_ps (vsum[i], c);
              for (uint32_t v = 0; v < NV; v++)
                acc[i][v] = _mm256_mul_ps (acc[i][v], c);
              max[i] = bmax;
            }
          s = _mm256_andnot_ps (past, exp_nonpositive_avx2 (_mm256_sub_ps (s, _mm256_set1_ps (max[i]))));
          vsum[i] = _mm256_add_ps (vsum[i], s);
          _mm256_storeu_ps (w, s);
          for (uint32_t j = 0; j < nj; j++)
            {
              const uint8_t *vr = F16 ? (const uint8_t *) vf[j] : vbase + (uint64_t) (j0 + j) * kv_dim * elem;
              __m256 wj = _mm256_set1_ps (w[j]);

              for (uint32_t v = 0; v < NV; v++)
                acc[i][v] = _mm256_fmadd_ps (wj, load_kv (vr, 8 * v, false), acc[i][v]);
            }
        }
    }
  for (uint32_t i = 0; i < g; i++)
    {
      float *out = job->att + ((uint64_t) t * hp->n_head + h0 + i) * hd;
      __m128 s4 = _mm_add_ps (_mm256_castps256_ps128 (vsum[i]), _mm256_extractf128_ps (vsum[i], 1));
      __m256 inv;

      s4 = _mm_add_ps (s4, _mm_movehl_ps (s4, s4));
      s4 = _mm_add_ss (s4, _mm_movehdup_ps (s4));
      inv = _mm256_set1_ps (1.0f / _mm_cvtss_f32 (s4));
      for (uint32_t v = 0; v < NV; v++)
        _mm256_storeu_ps (out + 8 * v, _mm256_mul_ps (acc[i][v], inv));
    }
}

__attribute__ ((target ("avx2,fma,f16c"))) static void
attention_group_avx2 (const ember_cpu_attention_job *job, uint32_t t, uint32_t h0, uint32_t g)
{
  if (job->hp->head_dim == 64)
    {
      if (job->kv_f16)
        attention_group_avx2_n (job, t, h0, g, 8, true);
      else
        attention_group_avx2_n (job, t, h0, g, 8, false);
    }
  else if (job->kv_f16)
    attention_group_avx2_n (job, t, h0, g, 16, true);
  else
    attention_group_avx2_n (job, t, h0, g, 16, false);
}

/* @n floats into f16 (n a multiple of 8). */
__attribute__ ((target ("avx2,fma,f16c"))) static void
store_f16_avx2 (uint16_t *out, const float *x, uint64_t n)
{
  for (uint64_t i = 0; i < n; i += 8)
    _mm_storeu_si128 ((__m128i *) (out + i),
                      _mm256_cvtps_ph (_mm256_loadu_ps (x + i), _MM_FROUND_TO_NEAREST_INT));
}
#endif

bool
ember_cpu_attention_takes_f16 (uint32_t head_dim)
{
#ifdef ATTENTION_AVX2
  return (head_dim == 64 || head_dim == 128) && __builtin_cpu_supports ("avx2")
         && __builtin_cpu_supports ("fma") && __builtin_cpu_supports ("f16c");
#else
  (void) head_dim;
  return false;
#endif
}

/* Heads per item: those of a KV head together (at most ATTENTION_SUB_MAX;
 * for one token, half of them, so that two threads have work) where the
 * AVX2 loop runs, else 1. */
static uint32_t
attention_sub (const ember_cpu_attention_job *job)
{
  uint32_t group = job->hp->n_head / job->hp->n_head_kv, sub;

#ifdef ATTENTION_AVX2
  if (ember_cpu_attention_takes_f16 (job->hp->head_dim))
    {
      sub = job->batch == 1 ? (group + 1) / 2 : group;
      return sub < ATTENTION_SUB_MAX ? sub : ATTENTION_SUB_MAX;
    }
#endif
  (void) sub;
  (void) group;
  return 1;
}

uint64_t
ember_cpu_attention_n_items (const ember_cpu_attention_job *job)
{
  uint32_t group = job->hp->n_head / job->hp->n_head_kv, sub = attention_sub (job);

  return (uint64_t) job->batch * job->hp->n_head_kv * ((group + sub - 1) / sub);
}

/* Item i: the token k = i / (items per token), in the order 0, n-1, 1,
 * n-2, … (a later token attends to more of the cache, and the pool's
 * pieces then even out), then the KV head, then which of its heads. */
void
ember_cpu_attention_items (void    *data,
                           uint64_t begin,
                           uint64_t end)
{
  const ember_cpu_attention_job *job = data;
  uint32_t group = job->hp->n_head / job->hp->n_head_kv, sub = attention_sub (job);
  uint32_t per_kv = (group + sub - 1) / sub, per_token = job->hp->n_head_kv * per_kv;

  for (uint64_t item = begin; item < end; item++)
    {
      uint32_t k = (uint32_t) (item / per_token), r = (uint32_t) (item % per_token);
      uint32_t t = k % 2 == 0 ? k / 2 : job->batch - 1 - k / 2;
      uint32_t h0 = (r / per_kv) * group + (r % per_kv) * sub;
      uint32_t g = group - (r % per_kv) * sub < sub ? group - (r % per_kv) * sub : sub;

#ifdef ATTENTION_AVX2
      if (ember_cpu_attention_takes_f16 (job->hp->head_dim))
        {
          attention_group_avx2 (job, t, h0, g);
          continue;
        }
#endif
      for (uint32_t i = 0; i < g; i++)
        attention_one (job, t, h0 + i);
    }
}

void
ember_cpu_add_bias (float       *v,
                    const float *bias,
                    uint32_t     n,
                    uint32_t     batch)
{
  if (bias == NULL)
    return;
  for (uint32_t b = 0; b < batch; b++)
    for (uint32_t i = 0; i < n; i++)
      v[(uint64_t) b * n + i] += bias[i];
}

/* qwen3: RMS-normalise each head of @v with @weight. */
void
ember_cpu_head_norm (float       *v,
                     const float *weight,
                     uint32_t     n_heads,
                     uint32_t     head_dim,
                     float        eps)
{
  if (weight == NULL)
    return;
  for (uint32_t h = 0; h < n_heads; h++)
    ember_cpu_rms_norm (v + (uint64_t) h * head_dim, v + (uint64_t) h * head_dim, weight,
                        head_dim, eps);
}

#ifdef ATTENTION_AVX2
/* silu (g) × u for eight g and u: g × σ(g), σ(g) from e^-|g| (never above 1,
 * so never infinite): 1 / (1 + e^-g) for g ≥ 0, e^g / (1 + e^g) below. */
__attribute__ ((target ("avx2,fma,f16c"))) static void
swiglu_avx2 (float       *gate,
             const float *up,
             uint64_t     n)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  const __m256 sign = _mm256_set1_ps (-0.0f);

  for (uint64_t i = 0; i + 8 <= n; i += 8)
    {
      __m256 g = _mm256_loadu_ps (gate + i);
      __m256 e = exp_nonpositive_avx2 (_mm256_or_ps (g, sign)); /* e^-|g| */
      __m256 num = _mm256_blendv_ps (one, e, g);               /* e where g < 0 */
      __m256 sigma = _mm256_div_ps (num, _mm256_add_ps (one, e));

      _mm256_storeu_ps (gate + i, _mm256_mul_ps (_mm256_mul_ps (g, sigma), _mm256_loadu_ps (up + i)));
    }
}
#endif

void
ember_cpu_swiglu (float       *gate,
                  const float *up,
                  uint64_t     n)
{
  uint64_t i = 0;

#ifdef ATTENTION_AVX2
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      swiglu_avx2 (gate, up, n);
      i = n / 8 * 8;
    }
#endif
  for (; i < n; i++)
    {
      float g = gate[i];

      gate[i] = g / (1.0f + expf (-g)) * up[i];
    }
}

/* ---- one batch through the model ---------------------------------------- */

/* A product with the context's kernels: the integer ones where @w's type
 * has them, the float ones for F32, F16 and BF16, else the reference.
 * @same_input: @x is unchanged since the product before (its quantized
 * copy serves again). */
static void
matmul (ember_cpu          *ctx,
        const ember_matrix *w,
        const float        *x,
        float              *out,
        uint32_t            batch,
        bool                same_input)
{
  if (ctx->kernels != EMBER_CPU_KERNELS_REFERENCE
      && (ember_cpu_matmul_q8 (ctx->pool, ctx->kernels, w, x, out, batch, &ctx->q8, same_input)
          || ember_cpu_matmul_float (ctx->pool, ctx->kernels, w, x, out, batch)))
    return;
  ember_cpu_matmul (ctx->pool, w, x, out, batch);
}

/* @n products of the same input (q, k and v; gate and up) in one pass of
 * the threads where the integer kernels take them all, else one by one as
 * matmul () makes them. */
static void
matmul_n (ember_cpu          *ctx,
          uint32_t            n,
          const ember_matrix *w[],
          const float        *x,
          float              *out[],
          uint32_t            batch,
          bool                same_input)
{
  if (ctx->kernels != EMBER_CPU_KERNELS_REFERENCE
      && ember_cpu_matmul_q8_n (ctx->pool, ctx->kernels, n, w, x, out, batch, &ctx->q8, same_input))
    return;
  for (uint32_t i = 0; i < n; i++)
    matmul (ctx, w[i], x, out[i], batch, same_input || i > 0);
}

void
ember_cpu_forward (ember_cpu     *ctx,
                   const int32_t *tokens,
                   uint32_t       batch,
                   uint32_t       pos,
                   float         *logits)
{
  const ember_model *m = ctx->model;
  const ember_hparams *hp = &m->hp;
  uint32_t n_embd = hp->n_embd;
  uint32_t q_dim = hp->n_head * hp->head_dim;
  uint32_t kv_dim = hp->n_head_kv * hp->head_dim;
  uint32_t pos0 = pos;

  /* one rotation table per token, for every layer's q and k */
  for (uint32_t b = 0; b < batch; b++)
    ember_rope_table (m, pos0 + b, ctx->rope + (uint64_t) b * hp->rope_dims);

  for (uint32_t b = 0; b < batch; b++)
    {
      const ember_matrix *e = &m->tok_embd;

      ember_dequantize_row (e->tensor->type->type, e->data + (uint64_t) tokens[b] * e->row_bytes,
                            ctx->x + (uint64_t) b * n_embd, n_embd, NULL);
    }

  for (uint32_t l = 0; l < hp->n_layer; l++)
    {
      const ember_layer *L = &m->layers[l];
      size_t elem = ctx->kv_f16 ? sizeof (uint16_t) : sizeof (float);
      uint8_t *k_layer = (uint8_t *) ctx->k_cache + (uint64_t) l * ctx->n_ctx * kv_dim * elem;
      uint8_t *v_layer = (uint8_t *) ctx->v_cache + (uint64_t) l * ctx->n_ctx * kv_dim * elem;
      ember_cpu_attention_job job = {
        hp, k_layer, v_layer, ctx->q, ctx->att, batch, pos0, ctx->kv_f16,
      };

      /* attention: the norm quantized for wq as it is made */
      ember_q8_rms_norm_quantize (ctx->pool, ctx->kernels, L->wq.tensor->type->type, ctx->xn, ctx->x,
                                  L->attn_norm, n_embd, hp->rms_eps, batch, &ctx->q8);
      matmul_n (ctx, 3, (const ember_matrix *[]) { &L->wq, &L->wk, &L->wv }, ctx->xn,
                (float *[]) { ctx->q, ctx->k, ctx->v }, batch, true);
      ember_cpu_add_bias (ctx->q, L->bq, q_dim, batch);
      ember_cpu_add_bias (ctx->k, L->bk, kv_dim, batch);
      ember_cpu_add_bias (ctx->v, L->bv, kv_dim, batch);
      for (uint32_t b = 0; b < batch; b++)
        {
          float *q = ctx->q + (uint64_t) b * q_dim;
          float *k = ctx->k + (uint64_t) b * kv_dim;

          ember_cpu_head_norm (q, L->q_norm, hp->n_head, hp->head_dim, hp->rms_eps);
          ember_cpu_head_norm (k, L->k_norm, hp->n_head_kv, hp->head_dim, hp->rms_eps);
          ember_cpu_rope (m, q, hp->n_head, ctx->rope + (uint64_t) b * hp->rope_dims);
          ember_cpu_rope (m, k, hp->n_head_kv, ctx->rope + (uint64_t) b * hp->rope_dims);
        }
#ifdef ATTENTION_AVX2
      if (ctx->kv_f16)
        {
          store_f16_avx2 ((uint16_t *) (k_layer + pos0 * kv_dim * elem), ctx->k, (uint64_t) batch * kv_dim);
          store_f16_avx2 ((uint16_t *) (v_layer + pos0 * kv_dim * elem), ctx->v, (uint64_t) batch * kv_dim);
        }
      else
#endif
        {
          memcpy (k_layer + pos0 * kv_dim * elem, ctx->k, (uint64_t) batch * kv_dim * sizeof (float));
          memcpy (v_layer + pos0 * kv_dim * elem, ctx->v, (uint64_t) batch * kv_dim * sizeof (float));
        }

      /* Waking the workers costs more than a short attention: small ones
       * (a few thousand multiply-adds) stay on this thread. */
      if ((uint64_t) batch * hp->n_head * (pos0 + batch) * hp->head_dim < EMBER_CPU_PARALLEL_MIN)
        ember_cpu_attention_items (&job, 0, ember_cpu_attention_n_items (&job));
      else
        ember_pool_run (ctx->pool, ember_cpu_attention_items, &job, ember_cpu_attention_n_items (&job));
      matmul (ctx, &L->wo, ctx->att, ctx->xn, batch, false);
      for (uint64_t i = 0; i < (uint64_t) batch * n_embd; i++)
        ctx->x[i] += ctx->xn[i];

      /* feed-forward: SwiGLU, its input quantized for w_down as it is made */
      ember_q8_rms_norm_quantize (ctx->pool, ctx->kernels, L->w_gate.tensor->type->type, ctx->xn,
                                  ctx->x, L->ffn_norm, n_embd, hp->rms_eps, batch, &ctx->q8);
      matmul_n (ctx, 2, (const ember_matrix *[]) { &L->w_gate, &L->w_up }, ctx->xn,
                (float *[]) { ctx->gate, ctx->up }, batch, true);
      ember_q8_swiglu_quantize (ctx->pool, ctx->kernels, L->w_down.tensor->type->type, ctx->gate,
                                ctx->up, hp->n_ff, batch, &ctx->q8);
      matmul (ctx, &L->w_down, ctx->gate, ctx->xn, batch, true);
      for (uint64_t i = 0; i < (uint64_t) batch * n_embd; i++)
        ctx->x[i] += ctx->xn[i];
    }

  if (logits != NULL)
    {
      ember_cpu_rms_norm (ctx->last, ctx->x + (uint64_t) (batch - 1) * n_embd, m->output_norm,
                          n_embd, hp->rms_eps);
      matmul (ctx, &m->output, ctx->last, logits, 1, false);
    }
}


/* ---- the state ----------------------------------------------------------- */

/* The processors this process may run on (affinity, cgroup cpusets), not
 * every processor of the machine. */
static uint32_t
count_processors (void)
{
  cpu_set_t set;
  long n = sysconf (_SC_NPROCESSORS_ONLN);

  if (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) > 0)
    n = CPU_COUNT (&set);
  return n > 0 ? (uint32_t) n : 1;
}

/* Marks in @set the processors of a sysfs list ("0-3,8,10-11"); false for
 * text it does not understand. */
static bool
parse_cpu_list (const char *text,
                cpu_set_t  *set)
{
  const char *p = text;

  while (*p != '\0' && *p != '\n')
    {
      char *end;
      long first = strtol (p, &end, 10), last = first;

      if (end == p || first < 0 || first >= CPU_SETSIZE)
        return false;
      p = end;
      if (*p == '-')
        {
          last = strtol (p + 1, &end, 10);
          if (end == p + 1 || last < first || last >= CPU_SETSIZE)
            return false;
          p = end;
        }
      for (long c = first; c <= last; c++)
        CPU_SET ((int) c, set);
      if (*p == ',')
        p++;
      else if (*p != '\0' && *p != '\n')
        return false;
    }
  return true;
}

/* The physical cores among the processors this process may run on: two
 * hyper-threads of one core share its vector units, so a second thread
 * there only adds synchronisation. Falls back to the processors where
 * sysfs does not say. */
static uint32_t
count_cores (void)
{
  cpu_set_t allowed, seen;
  uint32_t cores = 0;

  if (sched_getaffinity (0, sizeof allowed, &allowed) != 0)
    return count_processors ();
  CPU_ZERO (&seen);
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    {
      char path[96], line[256];
      FILE *f;
      bool ok;

      if (!CPU_ISSET (cpu, &allowed) || CPU_ISSET (cpu, &seen))
        continue;
      cores++;
      CPU_SET (cpu, &seen);
      snprintf (path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
                cpu);
      f = fopen (path, "re");
      if (f == NULL)
        return count_processors ();
      ok = fgets (line, sizeof line, f) != NULL && parse_cpu_list (line, &seen);
      fclose (f);
      if (!ok)
        return count_processors ();
    }
  return cores > 0 ? cores : count_processors ();
}

ember_status
ember_cpu_new (const ember_model *model,
               uint32_t           n_ctx,
               uint32_t           n_threads,
               ember_cpu_kernels  kernels,
               ember_cpu        **out,
               ember_error       *error)
{
  const ember_hparams *hp;
  ember_cpu *cpu;
  uint64_t kv_dim, q_dim, cache_floats, max_cols;

  if (model == NULL || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_cpu_new: missing argument");
  *out = NULL;
  hp = &model->hp;
  kv_dim = (uint64_t) hp->n_head_kv * hp->head_dim;
  q_dim = (uint64_t) hp->n_head * hp->head_dim;
  cache_floats = (uint64_t) hp->n_layer * n_ctx * kv_dim;

  cpu = calloc (1, sizeof *cpu);
  if (cpu == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  cpu->model = model;
  cpu->n_ctx = n_ctx;
  cpu->kernels = ember_cpu_kernels_resolve (kernels);
  /* The cache's precision follows the weights': quantized ones (whose
   * products already round the activations to 8 bits) get f16, as in
   * llama.cpp; float weights, and the reference, keep floats. */
  cpu->kv_f16 = cpu->kernels != EMBER_CPU_KERNELS_REFERENCE && hp->n_layer > 0
                && ember_q8_dot_lookup (cpu->kernels, model->layers[0].w_gate.tensor->type->type) != NULL
                && ember_cpu_attention_takes_f16 (hp->head_dim);
  cpu->k_cache = calloc (cache_floats, cpu->kv_f16 ? sizeof (uint16_t) : sizeof (float));
  cpu->v_cache = calloc (cache_floats, cpu->kv_f16 ? sizeof (uint16_t) : sizeof (float));
  cpu->x = calloc ((size_t) MAX_BATCH * hp->n_embd, sizeof (float));
  cpu->xn = calloc ((size_t) MAX_BATCH * hp->n_embd, sizeof (float));
  cpu->q = calloc ((size_t) MAX_BATCH * q_dim, sizeof (float));
  cpu->k = calloc ((size_t) MAX_BATCH * kv_dim, sizeof (float));
  cpu->v = calloc ((size_t) MAX_BATCH * kv_dim, sizeof (float));
  cpu->att = calloc ((size_t) MAX_BATCH * q_dim, sizeof (float));
  cpu->gate = calloc ((size_t) MAX_BATCH * hp->n_ff, sizeof (float));
  cpu->up = calloc ((size_t) MAX_BATCH * hp->n_ff, sizeof (float));
  cpu->last = calloc (hp->n_embd, sizeof (float));
  cpu->rope = calloc ((size_t) MAX_BATCH * (hp->rope_dims > 0 ? hp->rope_dims : 1), sizeof (float));
  /* the widest input of a product: n_embd, q_dim (wo) or n_ff (w_down) */
  max_cols = hp->n_embd > q_dim ? hp->n_embd : q_dim;
  max_cols = max_cols > hp->n_ff ? max_cols : hp->n_ff;
  cpu->q8.data = malloc (ember_q8_scratch_bytes (max_cols, MAX_BATCH));
  if (cpu->k_cache == NULL || cpu->v_cache == NULL || cpu->x == NULL || cpu->xn == NULL
      || cpu->q == NULL || cpu->k == NULL || cpu->v == NULL || cpu->att == NULL
      || cpu->gate == NULL || cpu->up == NULL || cpu->last == NULL || cpu->rope == NULL
      || cpu->q8.data == NULL)
    {
      double gib = (double) cache_floats * 2 * (cpu->kv_f16 ? 2 : 4) / (1u << 30);

      ember_cpu_free (cpu);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                              "not enough memory for a context of %u tokens (its cache needs %.2f GiB); "
                              "ask for a shorter context", n_ctx, gib);
    }

  cpu->pool = ember_pool_new (n_threads > 0 ? n_threads : count_cores ());
  if (cpu->pool == NULL)
    {
      ember_cpu_free (cpu);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "cannot start worker threads");
    }

  *out = cpu;
  return EMBER_OK;
}

void
ember_cpu_free (ember_cpu *cpu)
{
  if (cpu == NULL)
    return;
  if (cpu->pool != NULL)
    ember_pool_free (cpu->pool);
  free (cpu->k_cache);
  free (cpu->v_cache);
  free (cpu->x);
  free (cpu->xn);
  free (cpu->q);
  free (cpu->k);
  free (cpu->v);
  free (cpu->att);
  free (cpu->gate);
  free (cpu->up);
  free (cpu->last);
  free (cpu->rope);
  free (cpu->q8.data);
  free (cpu);
}

uint32_t
ember_cpu_get_n_threads (const ember_cpu *cpu)
{
  return ember_pool_get_n_threads (cpu->pool);
}

ember_cpu_kernels
ember_cpu_get_kernels (const ember_cpu *cpu)
{
  return cpu->kernels;
}
