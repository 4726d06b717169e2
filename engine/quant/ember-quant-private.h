/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to ember-quant.c (conversions, dequantization) and
 * ember-quantize.c (quantization): ggml's block layouts, from ggml-common.h,
 * and the few helpers that both directions need. Not installed, not public.
 *
 * A block is copied into one of these structs before use, so that a source
 * or destination of any alignment is fine; the host is assumed
 * little-endian, as GGUF files are.
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include "ember-private.h"

#define QK 32     /* elements in a Q4_0 … Q8_0 block */
#define QK_K 256  /* elements in a K-quant super-block */

/* ---- blocks, as ggml-common.h lays them out --------------------------- */

typedef struct {
  uint16_t d;
  uint8_t qs[QK / 2];          /* element j: low nibble of qs[j], j + 16: high */
} block_q4_0;

typedef struct {
  uint16_t d, m;
  uint8_t qs[QK / 2];
} block_q4_1;

typedef struct {
  uint16_t d;
  uint8_t qh[4];               /* fifth bit of element j: bit j */
  uint8_t qs[QK / 2];
} block_q5_0;

typedef struct {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[QK / 2];
} block_q5_1;

typedef struct {
  uint16_t d;
  int8_t qs[QK];
} block_q8_0;

typedef struct {
  uint8_t scales[QK_K / 16];   /* low nibble: scale, high nibble: min */
  uint8_t qs[QK_K / 4];
  uint16_t d, dmin;
} block_q2_K;

typedef struct {
  uint8_t hmask[QK_K / 8];     /* third bit of element e: bit e/32 of hmask[e%32] */
  uint8_t qs[QK_K / 4];
  uint8_t scales[12];          /* 16 six-bit scales, biased by 32 */
  uint16_t d;
} block_q3_K;

typedef struct {
  uint16_t d, dmin;
  uint8_t scales[12];          /* 8 six-bit scales and 8 six-bit mins */
  uint8_t qs[QK_K / 2];
} block_q4_K;

typedef struct {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[QK_K / 8];        /* fifth bit of element e: bit e/32 of qh[e%32] */
  uint8_t qs[QK_K / 2];
} block_q5_K;

typedef struct {
  uint8_t ql[QK_K / 2];
  uint8_t qh[QK_K / 4];
  int8_t scales[QK_K / 16];
  uint16_t d;
} block_q6_K;

_Static_assert (sizeof (block_q4_0) == 18, "Q4_0 block");
_Static_assert (sizeof (block_q4_1) == 20, "Q4_1 block");
_Static_assert (sizeof (block_q5_0) == 22, "Q5_0 block");
_Static_assert (sizeof (block_q5_1) == 24, "Q5_1 block");
_Static_assert (sizeof (block_q8_0) == 34, "Q8_0 block");
_Static_assert (sizeof (block_q2_K) == 84, "Q2_K block");
_Static_assert (sizeof (block_q3_K) == 110, "Q3_K block");
_Static_assert (sizeof (block_q4_K) == 144, "Q4_K block");
_Static_assert (sizeof (block_q5_K) == 176, "Q5_K block");
_Static_assert (sizeof (block_q6_K) == 210, "Q6_K block");

static inline uint32_t
float_bits (float f)
{
  uint32_t u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_float (uint32_t u)
{
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

/* The six-bit scale of sub-block j (0…15) of a Q3_K block, still biased by
 * 32: low four bits in the nibbles of bytes 0…7, high two bits in 8…11. */
static inline int
q3_K_scale (const uint8_t *scales,
            int            j)
{
  int low = j < 8 ? scales[j] & 0xf : scales[j - 8] >> 4;
  int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;

  return low | high << 4;
}

/* Scale and min of sub-block j (0…7) of a Q4_K or Q5_K block, six bits each:
 * j < 4 in the low six bits of bytes j and j + 4; j >= 4 in the nibbles of
 * byte j + 4 with their top two bits in the top of bytes j - 4 and j. */
static inline void
get_scale_min_k4 (const uint8_t *scales,
                  int            j,
                  uint8_t       *sc,
                  uint8_t       *m)
{
  if (j < 4)
    {
      *sc = scales[j] & 63;
      *m = scales[j + 4] & 63;
    }
  else
    {
      *sc = (scales[j + 4] & 0xf) | (scales[j - 4] >> 6) << 4;
      *m = (scales[j + 4] >> 4) | (scales[j] >> 6) << 4;
    }
}

/* Checks that @type is one Hearth knows, that @n is a whole number of its
 * blocks and that both buffers exist (when n > 0); returns its layout in
 * *info. Shared by ember_dequantize_row () and ember_quantize_row (). */
ember_status ember_quant_check_row (ember_type              type,
                                    uint64_t                n,
                                    const void             *src,
                                    const void             *dst,
                                    const ember_type_info **info,
                                    ember_error            *error);
