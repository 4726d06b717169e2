/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU path's products of float weights (see ember-cpu-float.h): the
 * portable kernels (the correctness base of the vector ones and the path of
 * processors without them), the choice of kernels at run time, and the
 * product over a thread pool.
 */

#include "config.h"

#include <string.h>

#include "ember-cpu-float.h"
#include "ember-cpu-ops.h"

/* Elements of a row converted to floats at once: a piece of the row (and
 * of each token's activations) that stays in L1 while a batch's tokens
 * pass over it. */
#define CHUNK 256
/* Tokens per pass over a converted piece. */
#define TOKENS 4

/* Inlined into each of the kernels' clones, so compiled for its target. */
#define INLINE static inline __attribute__ ((always_inline))

/* ---- the portable kernels ------------------------------------------------ */

static inline float
float_of_bits (uint32_t bits)
{
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

static inline uint32_t
bits_of_float (float f)
{
  uint32_t bits;

  memcpy (&bits, &f, sizeof bits);
  return bits;
}

/* ember_fp16_to_fp32 () (but for a NaN's payload), inline and without
 * branches, so that the loop over a row vectorises: the exponent rebased
 * (to all ones for the infinities and NaNs), or for a subnormal the
 * mantissa scaled, chosen with masks. */
INLINE float
f16_to_f32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exponent = h & 0x7c00;
  uint32_t inf = -(uint32_t) (exponent == 0x7c00), sub = -(uint32_t) (exponent == 0);
  uint32_t bits = ((uint32_t) (h & 0x7fff) << 13) + ((127u - 15) << 23) + (inf & ((128u - 16) << 23));

  bits = (bits & ~sub) | (bits_of_float ((float) (h & 0x3ff) * 0x1p-24f) & sub);
  return float_of_bits (sign | bits);
}

/* @n elements of a row of @type from @p, as floats: F32 rows where they
 * lie, the others converted into @buf. */
INLINE const float *
row_floats (ember_type     type,
            const uint8_t *p,
            float         *buf,
            uint64_t       n)
{
  const uint16_t *h = (const uint16_t *) p;

  switch (type)
    {
    case EMBER_TYPE_F16:
      for (uint64_t i = 0; i < n; i++)
        buf[i] = f16_to_f32 (h[i]);
      return buf;
    case EMBER_TYPE_BF16:
      for (uint64_t i = 0; i < n; i++)
        buf[i] = float_of_bits ((uint32_t) h[i] << 16);
      return buf;
    case EMBER_TYPE_F32:
    default:
      return (const float *) p;
    }
}

/* Eight floats in a vector of GCC's (and clang's) extension: plain C that
 * each target lowers to its own registers (two SSE, one AVX, two NEON). A
 * plain float[8] per token leaves GCC to vectorise across the loop, which
 * it does badly. */
typedef float v8f __attribute__ ((vector_size (32)));
/* The same, read from any float (unaligned, aliasing the floats). */
typedef float v8f_any __attribute__ ((vector_size (32), aligned (4), may_alias));

/* The partial sums *@v added pairwise, then elements [n8, n) of w · x. */
INLINE float
finish (const v8f   *v,
        const float *w,
        const float *x,
        uint64_t     n8,
        uint64_t     n)
{
  v8f a = *v;
  float s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));

  for (uint64_t j = n8; j < n; j++)
    s += w[j] * x[j];
  return s;
}

/* sums[t] += w · x[t] over @n elements for @NT (1 … TOKENS) tokens, each
 * @stride floats after the one before: eight partial sums per token, added
 * pairwise at the end, as the reference's dot (); each load of @w serves
 * every token. */
INLINE void
dot_n (const float *w,
       const float *x,
       uint64_t     stride,
       uint64_t     n,
       float       *sums,
       const uint32_t NT)
{
  v8f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  uint64_t n8 = n & ~(uint64_t) 7;

  for (uint64_t i = 0; i < n8; i += 8)
    {
      v8f wv = *(const v8f_any *) (w + i);

      a0 += wv * *(const v8f_any *) (x + i);
      if (NT > 1)
        a1 += wv * *(const v8f_any *) (x + stride + i);
      if (NT > 2)
        a2 += wv * *(const v8f_any *) (x + 2 * stride + i);
      if (NT > 3)
        a3 += wv * *(const v8f_any *) (x + 3 * stride + i);
    }
  sums[0] += finish (&a0, w, x, n8, n);
  if (NT > 1)
    sums[1] += finish (&a1, w, x + stride, n8, n);
  if (NT > 2)
    sums[2] += finish (&a2, w, x + 2 * stride, n8, n);
  if (NT > 3)
    sums[3] += finish (&a3, w, x + 3 * stride, n8, n);
}

INLINE void
gemm_portable (ember_type     type,
               uint64_t       cols,
               const uint8_t *w,
               size_t         row_bytes,
               uint32_t       nr,
               const float   *x,
               uint32_t       nt,
               float         *out,
               size_t         out_stride)
{
  size_t elem = type == EMBER_TYPE_F32 ? sizeof (float) : sizeof (uint16_t);
  float buf[CHUNK];
  float sums[EMBER_CPU_MAX_BATCH];

  for (uint32_t r = 0; r < nr; r++)
    {
      const uint8_t *row = w + r * row_bytes;

      for (uint32_t t = 0; t < nt; t++)
        sums[t] = 0.0f;
      for (uint64_t c = 0; c < cols; c += CHUNK)
        {
          uint64_t len = cols - c < CHUNK ? cols - c : CHUNK;
          const float *wf = row_floats (type, row + c * elem, buf, len);

          for (uint32_t t0 = 0; t0 < nt; t0 += TOKENS)
            {
              const float *xt = x + t0 * cols + c;

              switch (nt - t0 < TOKENS ? nt - t0 : TOKENS)
                {
                case 1: dot_n (wf, xt, cols, len, sums + t0, 1); break;
                case 2: dot_n (wf, xt, cols, len, sums + t0, 2); break;
                case 3: dot_n (wf, xt, cols, len, sums + t0, 3); break;
                default: dot_n (wf, xt, cols, len, sums + t0, 4); break;
                }
            }
        }
      for (uint32_t t = 0; t < nt; t++)
        out[t * out_stride + r] = sums[t];
    }
}

/* As the reference's dot (): plain C, which GCC also compiles for AVX2 and
 * picks at run time, so that this is never the slower of the two. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define CLONES
#endif

#define PORTABLE(name, type)                                                         \
  CLONES static void name (uint64_t cols, const uint8_t *w, size_t row_bytes, uint32_t nr, \
                    const float *x, uint32_t nt, float *out, size_t out_stride)       \
  {                                                                                  \
    gemm_portable (type, cols, w, row_bytes, nr, x, nt, out, out_stride);            \
  }

PORTABLE (gemm_f32, EMBER_TYPE_F32)
PORTABLE (gemm_f16, EMBER_TYPE_F16)
PORTABLE (gemm_bf16, EMBER_TYPE_BF16)

static ember_float_gemm_func
lookup_portable (ember_type type)
{
  switch (type)
    {
    case EMBER_TYPE_F32: return gemm_f32;
    case EMBER_TYPE_F16: return gemm_f16;
    case EMBER_TYPE_BF16: return gemm_bf16;
    default: return NULL;
    }
}

ember_float_gemm_func
ember_float_gemm_lookup (ember_cpu_kernels kernels,
                         ember_type        type)
{
  ember_float_gemm_func f = NULL;

  switch (kernels)
    {
#if defined(__x86_64__)
    case EMBER_CPU_KERNELS_AVX_VNNI:
      f = ember_float_gemm_lookup_avx_vnni (type);
      break;
    case EMBER_CPU_KERNELS_AVX2:
      f = ember_float_gemm_lookup_avx2 (type);
      break;
#endif
    case EMBER_CPU_KERNELS_REFERENCE:
      return NULL;
    default:
      break;
    }
  return f != NULL ? f : lookup_portable (type);
}

/* ---- the product ---------------------------------------------------------- */

typedef struct {
  ember_float_gemm_func gemm;
  const ember_matrix *w;
  const float *x;       /* batch × cols */
  float *out;           /* batch × rows */
  uint32_t batch;
} float_job;

/* Chunks [begin, end) of EMBER_FLOAT_ROWS rows of a float_job. */
static void
matmul_float_rows (void    *data,
                   uint64_t begin,
                   uint64_t end)
{
  const float_job *job = data;
  const ember_matrix *w = job->w;

  for (uint64_t c = begin; c < end; c++)
    {
      uint64_t r = c * EMBER_FLOAT_ROWS;
      uint32_t nr = w->rows - r < EMBER_FLOAT_ROWS ? (uint32_t) (w->rows - r) : EMBER_FLOAT_ROWS;

      job->gemm (w->cols, w->data + r * w->row_bytes, w->row_bytes, nr, job->x, job->batch,
                 job->out + r, w->rows);
    }
}

bool
ember_cpu_matmul_float (ember_pool         *pool,
                        ember_cpu_kernels   kernels,
                        const ember_matrix *w,
                        const float        *x,
                        float              *out,
                        uint32_t            batch)
{
  float_job job = { ember_float_gemm_lookup (kernels, w->tensor->type->type), w, x, out, batch };
  uint64_t chunks = (w->rows + EMBER_FLOAT_ROWS - 1) / EMBER_FLOAT_ROWS;

  if (job.gemm == NULL)
    return false;
  if (pool != NULL && w->rows * w->cols * batch >= EMBER_CPU_PARALLEL_MIN)
    ember_pool_run (pool, matmul_float_rows, &job, chunks);
  else
    matmul_float_rows (&job, 0, chunks);
  return true;
}
