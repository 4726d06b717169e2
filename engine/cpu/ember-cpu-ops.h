/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the CPU forward pass's kernels (ember-cpu.c), for the forward
 * pass itself and for the Vulkan tests, which run every Vulkan kernel
 * against its CPU twin here. Not public, not included by ember.h.
 */
#pragma once

#include "ember-cpu.h"
#include "ember-model-private.h"
#include "ember-threads.h"

/* Below this many weight elements (rows × cols × tokens) a product, or a
 * step beside it, runs on the calling thread: waking the pool would cost
 * more. For every kernel family (ember-cpu.c, ember-cpu-q8.c,
 * ember-cpu-float.c). */
#define EMBER_CPU_PARALLEL_MIN (1u << 16)

/* 1 / sqrt(mean(x²) + eps) over @n elements (the sum of squares in double). */
float ember_cpu_rms_scale (const float *x,
                           uint32_t     n,
                           float        eps);

/* out = x × ember_cpu_rms_scale (x) × weight, over @n elements; @out may
 * be @x. */
void ember_cpu_rms_norm (float       *out,
                         const float *x,
                         const float *weight,
                         uint32_t     n,
                         float        eps);

/* out[b][r] = W[r] · x[b] for @batch (1 … EMBER_CPU_MAX_BATCH) tokens: x is
 * batch × cols, out batch × rows. One token takes the fused row dot product
 * where @w's type has one (Q8_0, Q4_0); more dequantize each row once for
 * all of them. Runs on @pool's threads where the product is large enough. */
void ember_cpu_matmul (ember_pool         *pool,
                       const ember_matrix *w,
                       const float        *x,
                       float              *out,
                       uint32_t            batch);

/* Rotates each of @n_heads heads of @v (n_heads × head_dim) with a table
 * from ember_rope_table (); @model's hparams say the layout. */
void ember_cpu_rope (const ember_model *model,
                     float             *v,
                     uint32_t           n_heads,
                     const float       *table);

/* Causal attention of a batch of @batch tokens, the first at @pos0, over
 * one layer's cache (positions 0 … pos0 + t for token t). */
typedef struct {
  const ember_hparams *hp;
  const void *k_cache;      /* the layer's: n_ctx × kv_dim floats (or f16) */
  const void *v_cache;
  const float *q;           /* batch × n_head × head_dim */
  float *att;               /* batch × n_head × head_dim */
  uint32_t batch;
  uint32_t pos0;
  bool kv_f16;              /* the caches hold f16 (where
                             * ember_cpu_attention_takes_f16 () says so) */
} ember_cpu_attention_job;

/* Whether attention over caches of f16 runs here for heads of @head_dim:
 * the vector loop (x86-64 with AVX2, FMA and F16C; heads of 64 or 128). */
bool ember_cpu_attention_takes_f16 (uint32_t head_dim);

/* How many items ember_cpu_attention_items () splits @job into (for one
 * token, or heads that share a KV head, or single heads). */
uint64_t ember_cpu_attention_n_items (const ember_cpu_attention_job *job);

/* Items [@begin, @end) of an ember_cpu_attention_job (@data), of
 * ember_cpu_attention_n_items (); an ember_pool_func. */
void ember_cpu_attention_items (void    *data,
                                uint64_t begin,
                                uint64_t end);

/* v[b][i] += bias[i] for @batch vectors of @n; nothing where @bias is NULL. */
void ember_cpu_add_bias (float       *v,
                         const float *bias,
                         uint32_t     n,
                         uint32_t     batch);

/* qwen3: RMS-normalises each of @n_heads heads of @v with @weight (NULL:
 * nothing). */
void ember_cpu_head_norm (float       *v,
                          const float *weight,
                          uint32_t     n_heads,
                          uint32_t     head_dim,
                          float        eps);

/* The feed-forward's SwiGLU, in place: gate[i] = silu(gate[i]) * up[i]. */
void ember_cpu_swiglu (float       *gate,
                       const float *up,
                       uint64_t     n);
