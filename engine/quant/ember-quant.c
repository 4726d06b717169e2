/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fp16/bf16 conversions and the reference dequantizers. Every function here
 * does its float operations in the order that ggml's ggml-quants.c does
 * them, because that order is what makes the results bit-exact (d*sc*q is
 * (d*sc)*q, and a*b - c is two roundings). The engine is built with
 * -ffp-contract=off so that the compiler keeps that order too.
 * Quantization is in ember-quantize.c.
 */

#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ember-quant.h"
#include "ember-quant-private.h"

/* ---- scalar conversions ------------------------------------------------ */
float
ember_fp16_to_fp32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;

  if (exponent == 0)  /* zero or subnormal: mantissa * 2^-24, exact */
    return bits_float (sign | float_bits ((float) mantissa * 0x1p-24f));
  if (exponent == 31) /* infinity, or a NaN made quiet */
    return bits_float (sign | 0x7f800000 | (mantissa << 13) | (mantissa ? 0x400000 : 0));
  return bits_float (sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

uint16_t
ember_fp32_to_fp16 (float f)
{
  uint32_t bits = float_bits (f);
  uint16_t sign = (bits >> 16) & 0x8000;
  uint32_t magnitude = bits & 0x7fffffff;

  if (magnitude > 0x7f800000)   /* NaN */
    return sign | 0x7e00;
  if (magnitude >= 0x477ff000)  /* 65520 and above round to infinity */
    return sign | 0x7c00;
  if (magnitude < 0x38800000)   /* below 2^-14: a multiple of 2^-24, exact scaling */
    return sign | (uint16_t) lrintf (fabsf (f) * 0x1p24f);

  /* Normal: rebias the exponent, then drop 13 mantissa bits rounding to
   * nearest even; a carry moves into the exponent, as it should. */
  magnitude -= (uint32_t) (127 - 15) << 23;
  return sign | (uint16_t) ((magnitude + 0xfff + ((magnitude >> 13) & 1)) >> 13);
}

float
ember_bf16_to_fp32 (uint16_t h)
{
  return bits_float ((uint32_t) h << 16);
}

uint16_t
ember_fp32_to_bf16 (float f)
{
  uint32_t bits = float_bits (f);

  if ((bits & 0x7fffffff) > 0x7f800000)  /* NaN: keep sign and payload top, set quiet */
    return (uint16_t) ((bits >> 16) | 0x40);
  return (uint16_t) ((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/* ---- dequantization, one block at a time ------------------------------- */

static void
dequantize_f32 (const void *src,
                float      *dst)
{
  memcpy (dst, src, sizeof *dst);
}

static void
dequantize_f16 (const void *src,
                float      *dst)
{
  uint16_t h;

  memcpy (&h, src, sizeof h);
  *dst = ember_fp16_to_fp32 (h);
}

static void
dequantize_bf16 (const void *src,
                 float      *dst)
{
  uint16_t h;

  memcpy (&h, src, sizeof h);
  *dst = ember_bf16_to_fp32 (h);
}

static inline __attribute__ ((always_inline)) void
dequantize_q4_0 (const void *src,
                 float      *dst)
{
  block_q4_0 b;
  float d;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  for (int j = 0; j < QK / 2; j++)
    {
      dst[j] = ((b.qs[j] & 0xf) - 8) * d;
      dst[j + QK / 2] = ((b.qs[j] >> 4) - 8) * d;
    }
}

static void
dequantize_q4_1 (const void *src,
                 float      *dst)
{
  block_q4_1 b;
  float d, m;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  m = ember_fp16_to_fp32 (b.m);
  for (int j = 0; j < QK / 2; j++)
    {
      dst[j] = (b.qs[j] & 0xf) * d + m;
      dst[j + QK / 2] = (b.qs[j] >> 4) * d + m;
    }
}

/* The five-bit value of element j (0…31) of a Q5_0 or Q5_1 block. */
static int
q5_value (const uint8_t *qs,
          uint32_t       qh,
          int            j)
{
  int low = j < QK / 2 ? qs[j] & 0xf : qs[j - QK / 2] >> 4;

  return low | (int) (((qh >> j) & 1) << 4);
}

static void
dequantize_q5_0 (const void *src,
                 float      *dst)
{
  block_q5_0 b;
  uint32_t qh;
  float d;

  memcpy (&b, src, sizeof b);
  memcpy (&qh, b.qh, sizeof qh);
  d = ember_fp16_to_fp32 (b.d);
  for (int j = 0; j < QK; j++)
    dst[j] = (q5_value (b.qs, qh, j) - 16) * d;
}

static void
dequantize_q5_1 (const void *src,
                 float      *dst)
{
  block_q5_1 b;
  uint32_t qh;
  float d, m;

  memcpy (&b, src, sizeof b);
  memcpy (&qh, b.qh, sizeof qh);
  d = ember_fp16_to_fp32 (b.d);
  m = ember_fp16_to_fp32 (b.m);
  for (int j = 0; j < QK; j++)
    dst[j] = q5_value (b.qs, qh, j) * d + m;
}

static inline __attribute__ ((always_inline)) void
dequantize_q8_0 (const void *src,
                 float      *dst)
{
  block_q8_0 b;
  float d;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  for (int j = 0; j < QK; j++)
    dst[j] = b.qs[j] * d;
}

/* Q2_K and Q3_K pack four 2-bit values per byte: element e sits in byte
 * 32 * (e / 128) + e % 32, at bit 2 * ((e % 128) / 32). */
static int
two_bits (const uint8_t *qs,
          int            e)
{
  return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

static void
dequantize_q2_K (const void *src,
                 float      *dst)
{
  block_q2_K b;
  float d, dmin;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  dmin = ember_fp16_to_fp32 (b.dmin);
  for (int e = 0; e < QK_K; e++)
    {
      uint8_t sc = b.scales[e / 16];
      float dl = d * (sc & 0xf);
      float ml = dmin * (sc >> 4);

      dst[e] = dl * two_bits (b.qs, e) - ml;
    }
}

static void
dequantize_q3_K (const void *src,
                 float      *dst)
{
  block_q3_K b;
  float d;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  for (int e = 0; e < QK_K; e++)
    {
      float dl = d * (q3_K_scale (b.scales, e / 16) - 32);
      int high = (b.hmask[e % 32] >> (e / 32)) & 1;

      dst[e] = dl * (two_bits (b.qs, e) - (high ? 0 : 4));
    }
}

/* Q4_K and Q5_K keep elements 64c…64c+31 in the low nibbles of bytes
 * 32c…32c+31 and elements 64c+32…64c+63 in their high nibbles. */
static int
k_nibble (const uint8_t *qs,
          int            e)
{
  uint8_t byte = qs[32 * (e / 64) + e % 32];

  return e % 64 < 32 ? byte & 0xf : byte >> 4;
}

static inline __attribute__ ((always_inline)) void
dequantize_q4_K (const void *src,
                 float      *dst)
{
  block_q4_K b;
  float d, dmin;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  dmin = ember_fp16_to_fp32 (b.dmin);
  /* eight sub-blocks of 32, each with its own scale and min */
  for (int sub = 0; sub < QK_K / 32; sub++)
    {
      uint8_t sc, m;
      float dl, ml;

      get_scale_min_k4 (b.scales, sub, &sc, &m);
      dl = d * sc;
      ml = dmin * m;
      for (int e = 32 * sub; e < 32 * sub + 32; e++)
        dst[e] = dl * k_nibble (b.qs, e) - ml;
    }
}

static void
dequantize_q5_K (const void *src,
                 float      *dst)
{
  block_q5_K b;
  float d, dmin;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  dmin = ember_fp16_to_fp32 (b.dmin);
  for (int sub = 0; sub < QK_K / 32; sub++)
    {
      uint8_t sc, m;
      float dl, ml;

      get_scale_min_k4 (b.scales, sub, &sc, &m);
      dl = d * sc;
      ml = dmin * m;
      for (int e = 32 * sub; e < 32 * sub + 32; e++)
        {
          int q = k_nibble (b.qs, e) + (((b.qh[e % 32] >> (e / 32)) & 1) ? 16 : 0);

          dst[e] = dl * q - ml;
        }
    }
}

/* The six-bit value of element e of a Q6_K block, 0…63. In each half of 128
 * elements (c), quarter g = (e % 128) / 32 and lane l = e % 32: low four bits
 * in byte 64c + l + 32 * (g & 1) of ql (low nibble for g < 2), high two bits
 * at bit 2g of byte 32c + l of qh. */
static int
q6_K_value (const block_q6_K *b,
            int               e)
{
  int c = e / 128, g = (e % 128) / 32, l = e % 32;
  uint8_t low = b->ql[64 * c + l + 32 * (g & 1)];
  uint8_t high = b->qh[32 * c + l];

  return (g < 2 ? low & 0xf : low >> 4) | ((high >> (2 * g)) & 3) << 4;
}

static inline __attribute__ ((always_inline)) void
dequantize_q6_K (const void *src,
                 float      *dst)
{
  block_q6_K b;
  float d;

  memcpy (&b, src, sizeof b);
  d = ember_fp16_to_fp32 (b.d);
  for (int e = 0; e < QK_K; e++)
    dst[e] = d * b.scales[e / 16] * (q6_K_value (&b, e) - 32);
}

/* ---- rows ---------------------------------------------------------------- */

typedef void (*dequantize_block_func) (const void *src,
                                       float      *dst);

static const struct {
  ember_type type;
  dequantize_block_func dequantize;
} dequantizers[] = {
  { EMBER_TYPE_F32, dequantize_f32 },
  { EMBER_TYPE_F16, dequantize_f16 },
  { EMBER_TYPE_BF16, dequantize_bf16 },
  { EMBER_TYPE_Q4_0, dequantize_q4_0 },
  { EMBER_TYPE_Q4_1, dequantize_q4_1 },
  { EMBER_TYPE_Q5_0, dequantize_q5_0 },
  { EMBER_TYPE_Q5_1, dequantize_q5_1 },
  { EMBER_TYPE_Q8_0, dequantize_q8_0 },
  { EMBER_TYPE_Q2_K, dequantize_q2_K },
  { EMBER_TYPE_Q3_K, dequantize_q3_K },
  { EMBER_TYPE_Q4_K, dequantize_q4_K },
  { EMBER_TYPE_Q5_K, dequantize_q5_K },
  { EMBER_TYPE_Q6_K, dequantize_q6_K },
};

ember_status
ember_quant_check_row (ember_type              type,
                       uint64_t                n,
                       const void             *src,
                       const void             *dst,
                       const ember_type_info **info,
                       ember_error            *error)
{
  const char *name = ember_type_id_to_name ((uint32_t) type);

  *info = ember_type_get_info ((uint32_t) type);
  if (*info == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tensor type %u (%s) cannot be converted: Hearth does not support it",
                            (unsigned) type, name != NULL ? name : "unknown");
  if (n % (*info)->block_elements != 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%" PRIu64 " elements are not a whole number of %s blocks "
                            "(%u elements each)",
                            n, (*info)->name, (*info)->block_elements);
  if (n > 0 && (src == NULL || dst == NULL))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no %s buffer to convert %" PRIu64 " elements",
                            src == NULL ? "source" : "destination", n);
  return EMBER_OK;
}

/* An AVX2 build of the row loop where the processor has it (chosen once,
 * at load time); the baseline build everywhere else. Same results: the
 * compiler may not reassociate or fuse (-ffp-contract=off). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__ ((target_clones ("avx2", "default")))
#endif
ember_status
ember_dequantize_row (ember_type   type,
                      const void  *src,
                      float       *dst,
                      uint64_t     n,
                      ember_error *error)
{
  const ember_type_info *info;
  ember_status status = ember_quant_check_row (type, n, src, dst, &info, error);
  dequantize_block_func dequantize = NULL;
  const uint8_t *in = src;

  if (status != EMBER_OK)
    return status;
  /* One-element "blocks": a whole row at once, not a call per element
   * (the forward pass reads F32 and F16 weights through here). */
  switch (type)
    {
    case EMBER_TYPE_F32:
      memcpy (dst, src, n * sizeof (float));
      return EMBER_OK;
    case EMBER_TYPE_F16:
      for (uint64_t i = 0; i < n; i++)
        {
          uint16_t h;

          memcpy (&h, in + 2 * i, 2);
          dst[i] = ember_fp16_to_fp32 (h);
        }
      return EMBER_OK;
    case EMBER_TYPE_BF16:
      for (uint64_t i = 0; i < n; i++)
        {
          uint16_t h;

          memcpy (&h, in + 2 * i, 2);
          dst[i] = ember_bf16_to_fp32 (h);
        }
      return EMBER_OK;
    default:
      break;
    }

  /* The common block types: the block function inlined into the loop
   * rather than called through a pointer per block. */
#define DEQUANTIZE_ROW(func)                                                 \
  for (uint64_t i = 0; i < n / info->block_elements; i++)                    \
    func (in + i * info->block_bytes, dst + i * info->block_elements);       \
  return EMBER_OK
  switch (type)
    {
    case EMBER_TYPE_Q4_0:
      DEQUANTIZE_ROW (dequantize_q4_0);
    case EMBER_TYPE_Q8_0:
      DEQUANTIZE_ROW (dequantize_q8_0);
    case EMBER_TYPE_Q4_K:
      DEQUANTIZE_ROW (dequantize_q4_K);
    case EMBER_TYPE_Q6_K:
      DEQUANTIZE_ROW (dequantize_q6_K);
    default:
      break;
    }
#undef DEQUANTIZE_ROW

  for (size_t i = 0; i < sizeof dequantizers / sizeof dequantizers[0]; i++)
    if (dequantizers[i].type == type)
      dequantize = dequantizers[i].dequantize;
  if (dequantize == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%s tensors cannot be dequantized yet", info->name);
  for (uint64_t i = 0; i < n / info->block_elements; i++)
    dequantize (in + i * info->block_bytes, dst + i * info->block_elements);
  return EMBER_OK;
}
