/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the CPU path's fast matrix products. The activations are
 * quantized once per product into 8-bit blocks, and each weight row is
 * multiplied with them in integers, straight from its packed quants:
 *
 *   - Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 weights against ember_q8_32 blocks
 *     (32 elements: a float scale, the sum of the quants, the quants);
 *   - the K-quants against ember_q8_256 blocks (256 elements: a scale, the
 *     sums of each 16 quants, the quants), as ggml's Q8_K.
 *
 * The sums let a weight's offset (the -8 of Q4_0, the mins of Q4_K) be
 * applied once per block instead of once per element. These layouts are
 * ours (never written to a file), so the scale is a float, not an f16.
 *
 * Each kernel takes one weight row and up to EMBER_Q8_TILE tokens, so a
 * prompt loads each weight block once per tile; ember_cpu_matmul_q8 walks
 * rows in chunks small enough to stay in L1 across a batch's tiles.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ember-cpu-kernels.h"
#include "ember-model-private.h"
#include "ember-threads.h"

/* Scale and min of sub-block j (0…7) of a Q4_K or Q5_K block's 12 scale
 * bytes @s, six bits each (the portable and the x86 kernels' one copy). */
static inline void
ember_q8_scale_min_k4 (const uint8_t *s,
                       int            j,
                       int           *sc,
                       int           *m)
{
  if (j < 4)
    {
      *sc = s[j] & 63;
      *m = s[j + 4] & 63;
    }
  else
    {
      *sc = (s[j + 4] & 0xf) | (s[j - 4] >> 6) << 4;
      *m = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

/* Scale of sub-block j (0…15) of a Q3_K block's 12 scale bytes @s, signed
 * (-32…31): the low four bits in the low (j < 8) or high nibble of byte
 * j % 8, the top two at bit 2 (j / 4) of byte 8 + j % 4. */
static inline int
ember_q8_scale_k3 (const uint8_t *s,
                   int            j)
{
  int low = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
  int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;

  return (low | high << 4) - 32;
}

#define EMBER_Q8_TILE 4 /* tokens per kernel call */
#define EMBER_Q8_ROWS 2 /* weight rows per kernel call */

typedef struct {
  float d;              /* x ≈ d × qs */
  float ds;             /* d × Σ qs: the block's sum, for the weights' offsets */
  int8_t qs[32];
} ember_q8_32;

typedef struct {
  float d;
  int16_t bsums[16];    /* Σ of each 16 quants */
  int8_t qs[256];
} ember_q8_256;

_Static_assert (sizeof (ember_q8_32) == 40, "q8_32 block");
_Static_assert (sizeof (ember_q8_256) == 292, "q8_256 block");

/* Σ over @nb blocks of @nr (1 … EMBER_Q8_ROWS) weight rows, the first at
 * @w, each @row_bytes after the one before, against @nt (1 … EMBER_Q8_TILE)
 * tokens' quantized activations, the first at @xq, each @xq_stride bytes
 * after the one before: out[r × EMBER_Q8_TILE + t] gets row r · token t. */
typedef void (*ember_q8_dot_func) (uint64_t       nb,
                                   const uint8_t *w,
                                   size_t         row_bytes,
                                   uint32_t       nr,
                                   const uint8_t *xq,
                                   size_t         xq_stride,
                                   uint32_t       nt,
                                   float         *out);

/* A batch's product against EMBER_Q8_GEMM_ROWS rows at once (@nr, 1 …
 * that, rows from @w, each @row_bytes after the one before), all @nt
 * tokens' activations at @xq (ember_q8_32 blocks, or ember_q8_256 for the
 * K-quants; each token @xq_stride bytes after the one before), @nb counting
 * 32-element blocks whatever @type's own block:
 * out[t × out_stride + r] gets row r · token t. */
typedef void (*ember_q8_gemm_func) (uint64_t       nb,
                                    const uint8_t *w,
                                    size_t         row_bytes,
                                    uint32_t       nr,
                                    const uint8_t *xq,
                                    size_t         xq_stride,
                                    uint32_t       nt,
                                    float         *out,
                                    size_t         out_stride);

#define EMBER_Q8_GEMM_ROWS 16     /* rows per ember_q8_gemm_func call */
#define EMBER_Q8_GEMM_TILE 8      /* tokens per inner loop (VNNI; AVX2 takes 4) */
#define EMBER_Q8_GEMM_MIN_BATCH 8 /* the smallest batch it pays for */

/* The batched kernel for weights of @type in @kernels, or NULL where there
 * is none (the row kernels run). */
ember_q8_gemm_func ember_q8_gemm_lookup (ember_cpu_kernels kernels,
                                         ember_type        type);

/* The kernel for weights of @type in the set @kernels (resolved, not
 * REFERENCE), or NULL where that type has none (the reference runs). */
ember_q8_dot_func ember_q8_dot_lookup (ember_cpu_kernels kernels,
                                       ember_type        type);

/* Whether @type's rows are multiplied with ember_q8_256 blocks (else
 * ember_q8_32). */
bool ember_q8_type_is_k (ember_type type);

/* Bytes one token's activations of @cols elements take for @type (cols a
 * whole number of @type's blocks). */
size_t ember_q8_row_bytes (ember_type type,
                           uint64_t   cols);

/* The bytes ember_q8_acts.data needs for @batch tokens of at most
 * @max_cols elements, in bytes. */
size_t ember_q8_scratch_bytes (uint64_t max_cols,
                               uint32_t batch);

/* Quantizes @n floats (a multiple of 32, or of 256 for the K blocks). */
void ember_q8_quantize_32 (const float *x,
                           ember_q8_32 *y,
                           uint64_t     n);
void ember_q8_quantize_256 (const float  *x,
                            ember_q8_256 *y,
                            uint64_t      n);

/* A batch's activations, quantized: kept between products that read the
 * same input (q, k and v; gate and up), so it is quantized once. */
typedef struct {
  void *data;           /* ember_q8_scratch_bytes (max_cols, max_batch) bytes */
  const float *x;       /* what @data holds: the input, */
  uint64_t cols;        /* its width, */
  uint32_t batch;       /* its tokens, */
  bool k;               /* and its blocks (ember_q8_256, else ember_q8_32) */
} ember_q8_acts;

/* out[b][r] = W[r] · x[b] for @batch tokens, as ember_cpu_matmul () but
 * with the integer kernels of @kernels (resolved, not REFERENCE). @acts
 * holds the quantized input; with @same_input (x has not changed since the
 * last product through @acts) what it holds is used again where it fits.
 * Returns false, computing nothing, where @w's type has no such kernel:
 * the caller then runs the reference. */
bool ember_cpu_matmul_q8 (ember_pool         *pool,
                          ember_cpu_kernels   kernels,
                          const ember_matrix *w,
                          const float        *x,
                          float              *out,
                          uint32_t            batch,
                          ember_q8_acts      *acts,
                          bool                same_input);

/* @n (1 … 3) products of the same input at once, as ember_cpu_matmul_q8 ()
 * makes each (out[i] gets w[i] · x), in one pass of the pool's threads:
 * q, k and v; gate and up. False, computing nothing, where one of them has
 * no such kernel or the weights do not share one quantized input (another
 * width, or K-quants beside 32-blocks): the caller then makes each alone. */
bool ember_cpu_matmul_q8_n (ember_pool          *pool,
                            ember_cpu_kernels    kernels,
                            uint32_t             n,
                            const ember_matrix **w,
                            const float         *x,
                            float              **out,
                            uint32_t             batch,
                            ember_q8_acts       *acts,
                            bool                 same_input);

/* Fusions: the step that makes a product's input and its quantization for
 * that product in one pass, each block quantized while it is in L1. The
 * floats come out as the plain step writes them (in @out, or @gate), and
 * their quantized copy for weights of @type in @acts, which the next
 * ember_cpu_matmul_q8 () with @same_input uses. Where @type has no integer
 * kernel in @kernels (resolved, not REFERENCE), only the plain step runs.
 *
 * ember_cpu_rms_norm () of each of @batch tokens of @n floats at @x, with
 * @weight, into @out (the product's input after a norm: q, k and v; gate
 * and up). */
void ember_q8_rms_norm_quantize (ember_pool        *pool,
                                 ember_cpu_kernels  kernels,
                                 ember_type         type,
                                 float             *out,
                                 const float       *x,
                                 const float       *weight,
                                 uint32_t           n,
                                 float              eps,
                                 uint32_t           batch,
                                 ember_q8_acts     *acts);

/* ember_cpu_swiglu () over @batch tokens of @n floats each (the down
 * projection's input), in place in @gate. */
void ember_q8_swiglu_quantize (ember_pool        *pool,
                               ember_cpu_kernels  kernels,
                               ember_type         type,
                               float             *gate,
                               const float       *up,
                               uint64_t           n,
                               uint32_t           batch,
                               ember_q8_acts     *acts);

/* ---- the x86-64 kernels (ember-cpu-x86.c, built once per instruction set) */

#if defined(__x86_64__)
ember_q8_dot_func ember_q8_dot_lookup_avx2 (ember_type type);
ember_q8_dot_func ember_q8_dot_lookup_avx_vnni (ember_type type);
ember_q8_gemm_func ember_q8_gemm_lookup_avx2 (ember_type type);
ember_q8_gemm_func ember_q8_gemm_lookup_avx_vnni (ember_type type);
#endif
