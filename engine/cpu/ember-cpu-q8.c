/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU path's fast matrix products (see ember-cpu-q8.h): quantizing the
 * activations, the portable integer kernels (the correctness base of the
 * vector ones), the choice of kernels at run time, and the tiled product
 * over a thread pool.
 */

#include "config.h"

#include <string.h>

#include "ember-cpu-ops.h"
#include "ember-cpu-q8.h"
#include "ember-quant.h"

#define QK 32
#define QK_K 256
/* Weight rows per chunk: a chunk stays in L1 while every token tile of a
 * batch passes over it. */
#define ROW_CHUNK 16

/* ---- kernel sets ---------------------------------------------------------- */

static const char *const kernel_names[] = {
  [EMBER_CPU_KERNELS_AUTO] = "auto",
  [EMBER_CPU_KERNELS_REFERENCE] = "reference",
  [EMBER_CPU_KERNELS_PORTABLE] = "portable",
  [EMBER_CPU_KERNELS_AVX2] = "avx2",
  [EMBER_CPU_KERNELS_AVX_VNNI] = "avx-vnni",
};

const char *
ember_cpu_kernels_to_string (ember_cpu_kernels kernels)
{
  if ((unsigned) kernels < sizeof kernel_names / sizeof kernel_names[0])
    return kernel_names[kernels];
  return "unknown";
}

bool
ember_cpu_kernels_from_string (const char        *text,
                               ember_cpu_kernels *out)
{
  if (text == NULL)
    return false;
  for (unsigned i = 0; i < sizeof kernel_names / sizeof kernel_names[0]; i++)
    if (strcmp (text, kernel_names[i]) == 0)
      {
        *out = (ember_cpu_kernels) i;
        return true;
      }
  return false;
}

/* The best set this processor runs. */
static ember_cpu_kernels
best_kernels (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
      && __builtin_cpu_supports ("f16c"))
    {
      /* the 256-bit VNNI set uses AVX-512 VNNI, VL and BW (GCC 12's
       * __builtin_cpu_supports does not know AVX-VNNI) */
      if (__builtin_cpu_supports ("avx512vnni") && __builtin_cpu_supports ("avx512vl")
          && __builtin_cpu_supports ("avx512bw"))
        return EMBER_CPU_KERNELS_AVX_VNNI;
      return EMBER_CPU_KERNELS_AVX2;
    }
#endif
  return EMBER_CPU_KERNELS_PORTABLE;
}

ember_cpu_kernels
ember_cpu_kernels_resolve (ember_cpu_kernels kernels)
{
  ember_cpu_kernels best = best_kernels ();

  switch (kernels)
    {
    case EMBER_CPU_KERNELS_REFERENCE:
    case EMBER_CPU_KERNELS_PORTABLE:
      return kernels;
    case EMBER_CPU_KERNELS_AVX2:
    case EMBER_CPU_KERNELS_AVX_VNNI:
      return kernels <= best ? kernels : best;
    case EMBER_CPU_KERNELS_AUTO:
    default:
      return best;
    }
}

/* ---- activations ---------------------------------------------------------- */

/* Rounds to the nearest integer (ties to even) for |v| < 2^22, without a
 * library call, so that the loops vectorise: adding 1.5 × 2^23 leaves the
 * integer in the low bits of the mantissa. */
static inline int
round_int (float v)
{
  float f = v + 12582912.0f;
  int32_t i;

  memcpy (&i, &f, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

/* The largest |x|: for floats without their sign the order of the bits as
 * unsigned integers is the order of the values, and an integer maximum
 * vectorises where a float one (NaN's rules) does not: the loop was scalar,
 * 7.6 % of a smollm2 Q4_0 prompt. */
static inline float
max_abs (const float *x,
         int          n)
{
  uint32_t amax = 0;
  float f;

  for (int j = 0; j < n; j++)
    {
      uint32_t a;

      memcpy (&a, x + j, sizeof a);
      a &= 0x7fffffffu;
      amax = a > amax ? a : amax;
    }
  memcpy (&f, &amax, sizeof f);
  return f;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__ ((target_clones ("avx2", "default")))
#endif
void
ember_q8_quantize_32 (const float *x,
                      ember_q8_32 *y,
                      uint64_t     n)
{
  for (uint64_t b = 0; b < n / QK; b++)
    {
      const float *xb = x + b * QK;
      float amax = max_abs (xb, QK), id;
      int32_t sum = 0;

      y[b].d = amax / 127.0f;
      id = amax > 0.0f ? 127.0f / amax : 0.0f;
      for (int j = 0; j < QK; j++)
        {
          int q = round_int (xb[j] * id);

          y[b].qs[j] = (int8_t) q;
          sum += q;
        }
      y[b].ds = y[b].d * (float) sum;
    }
}

void
ember_q8_quantize_256 (const float  *x,
                       ember_q8_256 *y,
                       uint64_t      n)
{
  for (uint64_t b = 0; b < n / QK_K; b++)
    {
      const float *xb = x + b * QK_K;
      float amax = max_abs (xb, QK_K), id;

      y[b].d = amax / 127.0f;
      id = amax > 0.0f ? 127.0f / amax : 0.0f;
      for (int g = 0; g < QK_K / 16; g++)
        {
          int sum = 0;

          for (int j = 16 * g; j < 16 * g + 16; j++)
            {
              int q = round_int (xb[j] * id);

              y[b].qs[j] = (int8_t) q;
              sum += q;
            }
          y[b].bsums[g] = (int16_t) sum;
        }
    }
}

/* ---- the portable kernels -------------------------------------------------- */

static inline float
f16 (const uint8_t *p)
{
  uint16_t h;

  memcpy (&h, p, 2);
  return ember_fp16_to_fp32 (h);
}

#define TOKEN_32(t, b) ((const ember_q8_32 *) (xq + (t) * xq_stride) + (b))
#define TOKEN_256(t, b) ((const ember_q8_256 *) (xq + (t) * xq_stride) + (b))

static void
row_q4_0 (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 18, *qs = blk + 2;
      float d = f16 (blk);

      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          int32_t s = 0;

          for (int j = 0; j < QK / 2; j++)
            s += (qs[j] & 0xf) * y->qs[j] + (qs[j] >> 4) * y->qs[j + QK / 2];
          out[t] += d * y->d * (float) s - 8.0f * d * y->ds;
        }
    }
}

static void
row_q4_1 (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 20, *qs = blk + 4;
      float d = f16 (blk), m = f16 (blk + 2);

      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          int32_t s = 0;

          for (int j = 0; j < QK / 2; j++)
            s += (qs[j] & 0xf) * y->qs[j] + (qs[j] >> 4) * y->qs[j + QK / 2];
          out[t] += d * y->d * (float) s + m * y->ds;
        }
    }
}

/* The fifth bit of element j of a Q5 block is bit j of its 32-bit qh. */
static void
row_q5_0 (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 22, *qs = blk + 6;
      float d = f16 (blk);
      uint32_t qh;
      uint8_t q[QK];

      memcpy (&qh, blk + 2, 4);
      for (int j = 0; j < QK / 2; j++)
        {
          q[j] = (uint8_t) ((qs[j] & 0xf) | ((qh >> j) & 1) << 4);
          q[j + QK / 2] = (uint8_t) ((qs[j] >> 4) | ((qh >> (j + QK / 2)) & 1) << 4);
        }
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          int32_t s = 0;

          for (int j = 0; j < QK; j++)
            s += q[j] * y->qs[j];
          out[t] += d * y->d * (float) s - 16.0f * d * y->ds;
        }
    }
}

static void
row_q5_1 (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 24, *qs = blk + 8;
      float d = f16 (blk), m = f16 (blk + 2);
      uint32_t qh;
      uint8_t q[QK];

      memcpy (&qh, blk + 4, 4);
      for (int j = 0; j < QK / 2; j++)
        {
          q[j] = (uint8_t) ((qs[j] & 0xf) | ((qh >> j) & 1) << 4);
          q[j + QK / 2] = (uint8_t) ((qs[j] >> 4) | ((qh >> (j + QK / 2)) & 1) << 4);
        }
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          int32_t s = 0;

          for (int j = 0; j < QK; j++)
            s += q[j] * y->qs[j];
          out[t] += d * y->d * (float) s + m * y->ds;
        }
    }
}

static void
row_q8_0 (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 34;
      const int8_t *qs = (const int8_t *) (blk + 2);
      float d = f16 (blk);

      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          int32_t s = 0;

          for (int j = 0; j < QK; j++)
            s += qs[j] * y->qs[j];
          out[t] += d * y->d * (float) s;
        }
    }
}

/* Q2_K and Q3_K keep four 2-bit quants per byte: element e at bit
 * 2 ((e % 128) / 32) of byte 32 (e / 128) + e % 32. */
static void
unpack_two_bits (const uint8_t *qs,
                 uint8_t        q[QK_K])
{
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 4; k++)
      for (int l = 0; l < 32; l++)
        q[128 * c + 32 * k + l] = (qs[32 * c + l] >> (2 * k)) & 3;
}

/* Q2_K: scales(16: scale | min << 4, one per 16) qs(64) d(2) dmin(2); the
 * mins come off through the activations' sums of 16. */
static void
row_q2_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 84;
      float d = f16 (blk + 80), dmin = f16 (blk + 82);
      uint8_t q[QK_K];
      int sc[16], m[16];

      unpack_two_bits (blk + 16, q);
      for (int g = 0; g < 16; g++)
        {
          sc[g] = blk[g] & 0xf;
          m[g] = blk[g] >> 4;
        }
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          int32_t isum = 0, msum = 0;

          for (int g = 0; g < 16; g++)
            {
              int32_t s = 0;

              for (int l = 16 * g; l < 16 * g + 16; l++)
                s += q[l] * y->qs[l];
              isum += sc[g] * s;
              msum += m[g] * y->bsums[g];
            }
          out[t] += d * y->d * (float) isum - dmin * y->d * (float) msum;
        }
    }
}

/* Q3_K: hmask(32) qs(64) scales(12) d(2). The third bit of element e is
 * bit e / 32 of hmask[e % 32]; with it the quant is 0…7, minus 4, which
 * comes off through the sums of 16 as Q6_K's 32 does. */
static void
row_q3_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 110, *hmask = blk;
      float d = f16 (blk + 108);
      uint8_t q[QK_K];
      int sc[16];

      unpack_two_bits (blk + 32, q);
      for (int k = 0; k < 8; k++)
        for (int l = 0; l < 32; l++)
          q[32 * k + l] |= ((hmask[l] >> k) & 1) << 2;
      for (int g = 0; g < 16; g++)
        sc[g] = ember_q8_scale_k3 (blk + 96, g);
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          int32_t isum = 0;

          for (int g = 0; g < 16; g++)
            {
              int32_t s = 0;

              for (int l = 16 * g; l < 16 * g + 16; l++)
                s += q[l] * y->qs[l];
              isum += sc[g] * (s - 4 * y->bsums[g]);
            }
          out[t] += d * y->d * (float) isum;
        }
    }
}

/* Q4_K: d(2) dmin(2) scales(12) qs(128); sub-block j is the low (j even)
 * or high (j odd) nibbles of bytes 32 (j / 2) … 32 (j / 2) + 31. */
static void
row_q4_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 144, *qs = blk + 16;
      float d = f16 (blk), dmin = f16 (blk + 2);
      int sc[8], m[8];

      for (int j = 0; j < 8; j++)
        ember_q8_scale_min_k4 (blk + 4, j, &sc[j], &m[j]);
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          int32_t isum = 0, msum = 0;

          for (int j = 0; j < 8; j++)
            {
              const uint8_t *q = qs + 32 * (j / 2);
              const int8_t *x = y->qs + 32 * j;
              int shift = 4 * (j & 1);
              int32_t s = 0;

              for (int l = 0; l < 32; l++)
                s += ((q[l] >> shift) & 0xf) * x[l];
              isum += sc[j] * s;
              msum += m[j] * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
            }
          out[t] += d * y->d * (float) isum - dmin * y->d * (float) msum;
        }
    }
}

/* Q5_K: Q4_K's layout with a fifth bit for element e at bit e / 32 of
 * qh[e % 32]: d(2) dmin(2) scales(12) qh(32) qs(128). */
static void
row_q5_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 176, *qh = blk + 16, *qs = blk + 48;
      float d = f16 (blk), dmin = f16 (blk + 2);
      int sc[8], m[8];

      for (int j = 0; j < 8; j++)
        ember_q8_scale_min_k4 (blk + 4, j, &sc[j], &m[j]);
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          int32_t isum = 0, msum = 0;

          for (int j = 0; j < 8; j++)
            {
              const uint8_t *q = qs + 32 * (j / 2);
              const int8_t *x = y->qs + 32 * j;
              int shift = 4 * (j & 1);
              int32_t s = 0;

              for (int l = 0; l < 32; l++)
                s += (((q[l] >> shift) & 0xf) | ((qh[l] >> j) & 1) << 4) * x[l];
              isum += sc[j] * s;
              msum += m[j] * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
            }
          out[t] += d * y->d * (float) isum - dmin * y->d * (float) msum;
        }
    }
}

/* Q6_K: ql(128) qh(64) scales(16, signed) d(2). In half c of 128 elements,
 * lane l (0…31) of quarter g: low bits in ql[64c + l + 32 (g & 1)] (low
 * nibble for g < 2), high two bits at bit 2g of qh[32c + l]; minus 32. */
static void
row_q6_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
        uint32_t nt, float *out)
{
  for (uint32_t t = 0; t < nt; t++)
    out[t] = 0.0f;
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 210, *ql = blk, *qh = blk + 128;
      const int8_t *scales = (const int8_t *) (blk + 192);
      float d = f16 (blk + 208);
      uint8_t q[QK_K];

      for (int c = 0; c < 2; c++)
        for (int l = 0; l < 32; l++)
          {
            uint8_t lo0 = ql[64 * c + l], lo1 = ql[64 * c + l + 32], hi = qh[32 * c + l];

            q[128 * c + l] = (uint8_t) ((lo0 & 0xf) | (hi & 3) << 4);
            q[128 * c + l + 32] = (uint8_t) ((lo1 & 0xf) | ((hi >> 2) & 3) << 4);
            q[128 * c + l + 64] = (uint8_t) ((lo0 >> 4) | ((hi >> 4) & 3) << 4);
            q[128 * c + l + 96] = (uint8_t) ((lo1 >> 4) | ((hi >> 6) & 3) << 4);
          }
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          int32_t isum = 0;

          for (int g = 0; g < 16; g++)
            {
              int32_t s = 0;

              for (int l = 16 * g; l < 16 * g + 16; l++)
                s += q[l] * y->qs[l];
              isum += scales[g] * (s - 32 * y->bsums[g]);
            }
          out[t] += d * y->d * (float) isum;
        }
    }
}

/* The portable kernels take one row at a time. */
#define ROWS(name)                                                                 \
  static void dot_##name (uint64_t nb, const uint8_t *w, size_t row_bytes, uint32_t nr, \
                          const uint8_t *xq, size_t xq_stride, uint32_t nt, float *out) \
  {                                                                                \
    for (uint32_t r = 0; r < nr; r++)                                              \
      row_##name (nb, w + r * row_bytes, xq, xq_stride, nt, out + r * EMBER_Q8_TILE); \
  }

ROWS (q4_0)
ROWS (q4_1)
ROWS (q5_0)
ROWS (q5_1)
ROWS (q8_0)
ROWS (q2_K)
ROWS (q3_K)
ROWS (q4_K)
ROWS (q5_K)
ROWS (q6_K)

static ember_q8_dot_func
lookup_portable (ember_type type)
{
  switch (type)
    {
    case EMBER_TYPE_Q4_0: return dot_q4_0;
    case EMBER_TYPE_Q4_1: return dot_q4_1;
    case EMBER_TYPE_Q5_0: return dot_q5_0;
    case EMBER_TYPE_Q5_1: return dot_q5_1;
    case EMBER_TYPE_Q8_0: return dot_q8_0;
    case EMBER_TYPE_Q2_K: return dot_q2_K;
    case EMBER_TYPE_Q3_K: return dot_q3_K;
    case EMBER_TYPE_Q4_K: return dot_q4_K;
    case EMBER_TYPE_Q5_K: return dot_q5_K;
    case EMBER_TYPE_Q6_K: return dot_q6_K;
    default: return NULL;
    }
}

ember_q8_dot_func
ember_q8_dot_lookup (ember_cpu_kernels kernels,
                     ember_type        type)
{
  ember_q8_dot_func f = NULL;

  switch (kernels)
    {
#if defined(__x86_64__)
    case EMBER_CPU_KERNELS_AVX_VNNI:
      f = ember_q8_dot_lookup_avx_vnni (type);
      break;
    case EMBER_CPU_KERNELS_AVX2:
      f = ember_q8_dot_lookup_avx2 (type);
      break;
#endif
    case EMBER_CPU_KERNELS_REFERENCE:
      return NULL;
    default:
      break;
    }
  /* a type the vector set has no kernel for still gets the portable one */
  return f != NULL ? f : lookup_portable (type);
}

ember_q8_gemm_func
ember_q8_gemm_lookup (ember_cpu_kernels kernels,
                      ember_type        type)
{
#if defined(__x86_64__)
  if (kernels == EMBER_CPU_KERNELS_AVX_VNNI)
    return ember_q8_gemm_lookup_avx_vnni (type);
  if (kernels == EMBER_CPU_KERNELS_AVX2)
    return ember_q8_gemm_lookup_avx2 (type);
#endif
  (void) kernels;
  (void) type;
  return NULL;
}

bool
ember_q8_type_is_k (ember_type type)
{
  return type == EMBER_TYPE_Q2_K || type == EMBER_TYPE_Q3_K || type == EMBER_TYPE_Q4_K
         || type == EMBER_TYPE_Q5_K || type == EMBER_TYPE_Q6_K;
}

size_t
ember_q8_row_bytes (ember_type type,
                    uint64_t   cols)
{
  if (ember_q8_type_is_k (type))
    return (size_t) (cols / QK_K) * sizeof (ember_q8_256);
  return (size_t) (cols / QK) * sizeof (ember_q8_32);
}

size_t
ember_q8_scratch_bytes (uint64_t max_cols,
                        uint32_t batch)
{
  /* ember_q8_32 takes more bytes per element than ember_q8_256 */
  return (size_t) ((max_cols + QK - 1) / QK) * sizeof (ember_q8_32) * batch;
}

/* ---- the product ---------------------------------------------------------- */

typedef struct {
  ember_q8_dot_func dot;
  ember_q8_gemm_func gemm;  /* or NULL: the row kernels */
  const ember_matrix *w;
  const uint8_t *xq;
  size_t xq_stride;
  uint64_t nb;
  float *out;           /* batch × rows */
  uint32_t batch;
} q8_job;

static void
matmul_q8_rows (void    *data,
                uint64_t begin,
                uint64_t end)
{
  const q8_job *job = data;
  const ember_matrix *w = job->w;
  float tile[EMBER_Q8_ROWS * EMBER_Q8_TILE];

  for (uint64_t r0 = begin; r0 < end; r0 += ROW_CHUNK)
    {
      uint64_t r1 = r0 + ROW_CHUNK < end ? r0 + ROW_CHUNK : end;

      for (uint32_t t0 = 0; t0 < job->batch; t0 += EMBER_Q8_TILE)
        {
          uint32_t nt = job->batch - t0 < EMBER_Q8_TILE ? job->batch - t0 : EMBER_Q8_TILE;

          for (uint64_t r = r0; r < r1; r += EMBER_Q8_ROWS)
            {
              uint32_t nr = r1 - r < EMBER_Q8_ROWS ? (uint32_t) (r1 - r) : EMBER_Q8_ROWS;

              job->dot (job->nb, w->data + r * w->row_bytes, w->row_bytes, nr,
                        job->xq + t0 * job->xq_stride, job->xq_stride, nt, tile);
              for (uint32_t i = 0; i < nr; i++)
                for (uint32_t t = 0; t < nt; t++)
                  job->out[(uint64_t) (t0 + t) * w->rows + r + i] = tile[i * EMBER_Q8_TILE + t];
            }
        }
    }
}

/* Chunks [begin, end) of EMBER_Q8_GEMM_ROWS rows of a q8_job with a gemm. */
static void
matmul_q8_gemm (void    *data,
                uint64_t begin,
                uint64_t end)
{
  const q8_job *job = data;
  const ember_matrix *w = job->w;

  for (uint64_t c = begin; c < end; c++)
    {
      uint64_t r = c * EMBER_Q8_GEMM_ROWS;
      uint32_t nr = w->rows - r < EMBER_Q8_GEMM_ROWS ? (uint32_t) (w->rows - r) : EMBER_Q8_GEMM_ROWS;

      job->gemm (job->nb, w->data + r * w->row_bytes, w->row_bytes, nr, job->xq, job->xq_stride,
                 job->batch, job->out + r, w->rows);
    }
}

typedef struct {
  const float *x;
  uint8_t *y;
  uint64_t cols;
  size_t stride;
  bool k;
} quantize_job;

/* Tokens [begin, end) of a quantize_job. */
static void
quantize_tokens (void    *data,
                 uint64_t begin,
                 uint64_t end)
{
  const quantize_job *job = data;

  for (uint64_t b = begin; b < end; b++)
    {
      const float *x = job->x + b * job->cols;
      uint8_t *y = job->y + b * job->stride;

      if (job->k)
        ember_q8_quantize_256 (x, (ember_q8_256 *) y, job->cols);
      else
        ember_q8_quantize_32 (x, (ember_q8_32 *) y, job->cols);
    }
}

/* Up to three products of one input, as one job of the pool: items are
 * chunks of ROW_CHUNK (= EMBER_Q8_GEMM_ROWS) rows, the first matrix's, then
 * the next's. */
#define MAX_PARTS 3

_Static_assert (ROW_CHUNK == EMBER_Q8_GEMM_ROWS, "one item: a chunk for either kernel");

typedef struct {
  q8_job part[MAX_PARTS];
  uint64_t first[MAX_PARTS + 1]; /* the item each part begins at; first[n]: all */
  uint32_t n;
} q8_parts;

/* Items [begin, end) of a q8_parts. */
static void
matmul_q8_items (void    *data,
                 uint64_t begin,
                 uint64_t end)
{
  q8_parts *parts = data;

  for (uint32_t i = 0; i < parts->n; i++)
    {
      q8_job *job = &parts->part[i];
      uint64_t lo = begin > parts->first[i] ? begin : parts->first[i];
      uint64_t hi = end < parts->first[i + 1] ? end : parts->first[i + 1];

      if (lo >= hi)
        continue;
      lo -= parts->first[i];
      hi -= parts->first[i];
      if (job->gemm != NULL)
        matmul_q8_gemm (job, lo, hi);
      else
        matmul_q8_rows (job, lo * ROW_CHUNK,
                        hi * ROW_CHUNK < job->w->rows ? hi * ROW_CHUNK : job->w->rows);
    }
}

bool
ember_cpu_matmul_q8_n (ember_pool          *pool,
                       ember_cpu_kernels    kernels,
                       uint32_t             n,
                       const ember_matrix **w,
                       const float         *x,
                       float              **out,
                       uint32_t             batch,
                       ember_q8_acts       *acts,
                       bool                 same_input)
{
  q8_parts parts;
  uint64_t elements = 0;
  bool k;
  size_t xq_stride;

  if (n == 0 || n > MAX_PARTS)
    return false;
  k = ember_q8_type_is_k (w[0]->tensor->type->type);
  xq_stride = ember_q8_row_bytes (w[0]->tensor->type->type, w[0]->cols);
  parts.n = n;
  parts.first[0] = 0;
  for (uint32_t i = 0; i < n; i++)
    {
      ember_type type = w[i]->tensor->type->type;
      q8_job *job = &parts.part[i];

      /* one quantized input for all: the same width and blocks */
      if (w[i]->cols != w[0]->cols || ember_q8_type_is_k (type) != k)
        return false;
      job->dot = ember_q8_dot_lookup (kernels, type);
      if (job->dot == NULL)
        return false;
      job->gemm = batch >= EMBER_Q8_GEMM_MIN_BATCH ? ember_q8_gemm_lookup (kernels, type) : NULL;
      job->w = w[i];
      job->xq = acts->data;
      job->xq_stride = xq_stride;
      job->nb = w[i]->cols / (k && job->gemm == NULL ? QK_K : QK); /* the gemm counts blocks of 32 */
      job->out = out[i];
      job->batch = batch;
      parts.first[i + 1] = parts.first[i] + (w[i]->rows + ROW_CHUNK - 1) / ROW_CHUNK;
      elements += w[i]->rows * w[i]->cols * batch;
    }

  {
    bool parallel = pool != NULL && elements >= EMBER_CPU_PARALLEL_MIN;

    if (!same_input || acts->x != x || acts->cols != w[0]->cols || acts->batch != batch
        || acts->k != k)
      {
        quantize_job q = { x, acts->data, w[0]->cols, xq_stride, k };

        if (parallel && batch > 1)
          ember_pool_run (pool, quantize_tokens, &q, batch);
        else
          quantize_tokens (&q, 0, batch);
        acts->x = x;
        acts->cols = w[0]->cols;
        acts->batch = batch;
        acts->k = k;
      }
    if (parallel)
      ember_pool_run (pool, matmul_q8_items, &parts, parts.first[n]);
    else
      matmul_q8_items (&parts, 0, parts.first[n]);
  }
  return true;
}

bool
ember_cpu_matmul_q8 (ember_pool         *pool,
                     ember_cpu_kernels   kernels,
                     const ember_matrix *w,
                     const float        *x,
                     float              *out,
                     uint32_t            batch,
                     ember_q8_acts      *acts,
                     bool                same_input)
{
  return ember_cpu_matmul_q8_n (pool, kernels, 1, &w, x, &out, batch, acts, same_input);
}

/* ---- fusions ----------------------------------------------------------------- */

typedef struct {
  bool swiglu;          /* else the RMS norm */
  float *out;           /* batch × n: the floats (the norm's output, or gate) */
  const float *x;       /* the norm's input, or up */
  const float *weight;
  float eps;
  uint64_t n;
  uint8_t *y;
  size_t stride;
  bool k;
} fused_job;

/* Tokens [begin, end) of a fused_job: each block made, then quantized. */
static void
fused_tokens (void    *data,
              uint64_t begin,
              uint64_t end)
{
  const fused_job *job = data;
  const uint64_t block = job->k ? QK_K : QK;

  for (uint64_t t = begin; t < end; t++)
    {
      float *out = job->out + t * job->n;
      const float *x = job->x + t * job->n;
      uint8_t *y = job->y + t * job->stride;
      float scale = job->swiglu ? 0.0f : ember_cpu_rms_scale (x, (uint32_t) job->n, job->eps);

      for (uint64_t b = 0; b < job->n / block; b++)
        {
          float *o = out + b * block;

          if (job->swiglu)
            ember_cpu_swiglu (o, x + b * block, block);
          else
            for (uint64_t i = b * block; i < (b + 1) * block; i++)
              out[i] = x[i] * scale * job->weight[i];
          if (job->k)
            ember_q8_quantize_256 (o, (ember_q8_256 *) y + b, block);
          else
            ember_q8_quantize_32 (o, (ember_q8_32 *) y + b, block);
        }
    }
}

/* The fused step for @type's products, or false where it has no kernel
 * there (the caller runs the plain step). */
static bool
run_fused (ember_pool        *pool,
           ember_cpu_kernels  kernels,
           ember_type         type,
           fused_job         *job,
           uint32_t           batch,
           ember_q8_acts     *acts)
{
  job->k = ember_q8_type_is_k (type);
  if (kernels == EMBER_CPU_KERNELS_REFERENCE || ember_q8_dot_lookup (kernels, type) == NULL
      || job->n % (job->k ? QK_K : QK) != 0)
    return false;
  job->y = acts->data;
  job->stride = ember_q8_row_bytes (type, job->n);
  /* as ember_cpu_matmul_q8 () quantizes: a batch on the pool's threads */
  if (pool != NULL && batch > 1)
    ember_pool_run (pool, fused_tokens, job, batch);
  else
    fused_tokens (job, 0, batch);
  acts->x = job->out;
  acts->cols = job->n;
  acts->batch = batch;
  acts->k = job->k;
  return true;
}

void
ember_q8_rms_norm_quantize (ember_pool        *pool,
                            ember_cpu_kernels  kernels,
                            ember_type         type,
                            float             *out,
                            const float       *x,
                            const float       *weight,
                            uint32_t           n,
                            float              eps,
                            uint32_t           batch,
                            ember_q8_acts     *acts)
{
  fused_job job = { false, out, x, weight, eps, n, NULL, 0, false };

  if (run_fused (pool, kernels, type, &job, batch, acts))
    return;
  for (uint32_t b = 0; b < batch; b++)
    ember_cpu_rms_norm (out + (uint64_t) b * n, x + (uint64_t) b * n, weight, n, eps);
}

void
ember_q8_swiglu_quantize (ember_pool        *pool,
                          ember_cpu_kernels  kernels,
                          ember_type         type,
                          float             *gate,
                          const float       *up,
                          uint64_t           n,
                          uint32_t           batch,
                          ember_q8_acts     *acts)
{
  fused_job job = { true, gate, up, NULL, 0.0f, n, NULL, 0, false };

  if (run_fused (pool, kernels, type, &job, batch, acts))
    return;
  ember_cpu_swiglu (gate, up, n * batch);
}
