/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference quantizers: ggml's quantize_row_*_ref, without importance
 * matrix, written to give ggml's bytes. As in ember-quant.c, every float
 * operation happens in ggml's order (x*id + 8.5f, (w*x)*l, …): a different
 * order changes a level here and there, and then the bytes.
 */

#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ember-quant.h"
#include "ember-quant-private.h"

/* ggml's nearest_int: adds 1.5 * 2^23 so that the float unit rounds to an
 * integer (ties to even) and reads it from the low mantissa bits. For
 * |x| < 2^22 that is rint(x); beyond, it wraps exactly as ggml's does. */
static int
nearest_int (float x)
{
  uint32_t bits = float_bits (x + 12582912.0f);

  return (int) (bits & 0x007fffff) - 0x00400000;
}

static int
clamp_int (int v,
           int lo,
           int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* ---- quantization helpers (ggml's make_*_quants) ----------------------- */

/* The value of largest magnitude in x[0…n-1], the first one on ties. */
static float
signed_absmax (const float *x,
               int          n)
{
  float amax = 0.0f, max = 0.0f;

  for (int i = 0; i < n; i++)
    if (amax < fabsf (x[i]))
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  return max;
}

/* A symmetric scale for n values with levels -nmax…nmax-1, weighted by x²
 * (ggml's make_qx_quants with rmse_type 1 and no importance): tries 19
 * scales around -nmax / max and keeps the one of least weighted error.
 * L[i] = level + nmax. Returns the scale. */
static float
make_qx_quants (int          n,
                int          nmax,
                const float *x,
                int8_t      *L)
{
  float max = signed_absmax (x, n);
  float iscale, scale, best, sumlx = 0.0f, suml2 = 0.0f;

  if (fabsf (max) < 1e-15f)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }
  iscale = -nmax / max;
  for (int i = 0; i < n; i++)
    {
      int l = clamp_int (nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];

      L[i] = (int8_t) (l + nmax);
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  scale = suml2 ? sumlx / suml2 : 0.0f;
  best = scale * sumlx;
  for (int is = -9; is <= 9; is++)
    {
      if (is == 0)
        continue;
      iscale = -(nmax + 0.1f * is) / max;
      sumlx = suml2 = 0.0f;
      for (int i = 0; i < n; i++)
        {
          int l = clamp_int (nearest_int (iscale * x[i]), -nmax, nmax - 1);
          float w = x[i] * x[i];

          sumlx += w * x[i] * l;
          suml2 += w * l * l;
        }
      if (suml2 > 0 && sumlx * sumlx > best * suml2)
        {
          for (int i = 0; i < n; i++)
            L[i] = (int8_t) (nmax + clamp_int (nearest_int (iscale * x[i]), -nmax, nmax - 1));
          scale = sumlx / suml2;
          best = scale * sumlx;
        }
    }
  return scale;
}

/* ggml's make_q3_quants with do_rmse: levels -nmax…nmax-1 from -nmax / max,
 * then up to five passes that move single values to a better level under an
 * x²-weighted error. L[i] = level + nmax. Returns the scale. */
static float
make_q3_quants (int          n,
                int          nmax,
                const float *x,
                int8_t      *L)
{
  float max = signed_absmax (x, n);
  float iscale, sumlx = 0.0f, suml2 = 0.0f;

  if (fabsf (max) < 1e-15f)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }
  iscale = -nmax / max;
  for (int i = 0; i < n; i++)
    {
      int l = clamp_int (nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];

      L[i] = (int8_t) l;
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  for (int itry = 0; itry < 5; itry++)
    {
      int n_changed = 0;

      for (int i = 0; i < n; i++)
        {
          float w = x[i] * x[i];
          float slx = sumlx - w * x[i] * L[i];
          float sl2;
          int new_l;

          if (!(slx > 0))
            continue;
          sl2 = suml2 - w * L[i] * L[i];
          new_l = clamp_int (nearest_int (x[i] * sl2 / slx), -nmax, nmax - 1);
          if (new_l == L[i])
            continue;
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
            {
              L[i] = (int8_t) new_l;
              sumlx = slx;
              suml2 = sl2;
              n_changed++;
            }
        }
      if (n_changed == 0)
        break;
    }
  for (int i = 0; i < n; i++)
    L[i] = (int8_t) (L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* The weighted error of levels L under scale and min (absolute when
 * use_mad, else squared). */
static float
weighted_error (int            n,
                const float   *x,
                const float   *weights,
                const uint8_t *L,
                float          scale,
                float          min,
                bool           use_mad)
{
  float error = 0.0f;

  for (int i = 0; i < n; i++)
    {
      float diff = scale * L[i] + min - x[i];

      diff = use_mad ? fabsf (diff) : diff * diff;
      error += weights[i] * diff;
    }
  return error;
}

/* ggml's make_qkx2_quants: an asymmetric fit x ≈ scale * L + min with
 * levels 0…nmax and min <= 0. Starts from the full range, then for
 * nstep + 1 level assignments (iscale = (nmax + rmin + rdelta * is) / range)
 * solves the weighted least squares for scale and min, keeping the best.
 * Returns the scale and stores -min in *the_min. Laux is scratch. */
static float
make_qkx2_quants (int            n,
                  int            nmax,
                  const float   *x,
                  const float   *weights,
                  uint8_t       *L,
                  float         *the_min,
                  uint8_t       *Laux,
                  float          rmin,
                  float          rdelta,
                  int            nstep,
                  bool           use_mad)
{
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  float iscale, scale, best_error;

  for (int i = 1; i < n; i++)
    {
      if (x[i] < min)
        min = x[i];
      if (x[i] > max)
        max = x[i];
      sum_w += weights[i];
      sum_x += weights[i] * x[i];
    }
  if (min > 0)
    min = 0;
  if (max == min)
    {
      memset (L, 0, (size_t) n);
      *the_min = -min;
      return 0.0f;
    }
  iscale = nmax / (max - min);
  scale = 1 / iscale;
  for (int i = 0; i < n; i++)
    L[i] = (uint8_t) clamp_int (nearest_int (iscale * (x[i] - min)), 0, nmax);
  best_error = weighted_error (n, x, weights, L, scale, min, use_mad);

  for (int is = 0; is <= nstep; is++)
    {
      float sum_l = 0, sum_l2 = 0, sum_xl = 0, D;

      iscale = (rmin + rdelta * is + nmax) / (max - min);
      for (int i = 0; i < n; i++)
        {
          int l = clamp_int (nearest_int (iscale * (x[i] - min)), 0, nmax);
          float w = weights[i];

          Laux[i] = (uint8_t) l;
          sum_l += w * l;
          sum_l2 += w * l * l;
          sum_xl += w * l * x[i];
        }
      D = sum_w * sum_l2 - sum_l * sum_l;
      if (D > 0)
        {
          float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
          float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
          float error;

          if (this_min > 0)
            {
              this_min = 0;
              this_scale = sum_xl / sum_l2;
            }
          error = weighted_error (n, x, weights, Laux, this_scale, this_min, use_mad);
          if (error < best_error)
            {
              memcpy (L, Laux, (size_t) n);
              best_error = error;
              scale = this_scale;
              min = this_min;
            }
        }
    }
  *the_min = -min;
  return scale;
}

/* ---- quantization, one block at a time --------------------------------- */

static void
quantize_f32 (const float *src,
              void        *dst)
{
  memcpy (dst, src, sizeof *src);
}

static void
quantize_f16 (const float *src,
              void        *dst)
{
  uint16_t h = ember_fp32_to_fp16 (*src);

  memcpy (dst, &h, sizeof h);
}

static void
quantize_bf16 (const float *src,
               void        *dst)
{
  uint16_t h = ember_fp32_to_bf16 (*src);

  memcpy (dst, &h, sizeof h);
}

/* Q4_0: d = max / -8 (max: the value of largest magnitude), levels
 * trunc(x / d + 8.5) capped at 15. */
static void
quantize_q4_0 (const float *x,
               void        *dst)
{
  block_q4_0 b;
  float d = signed_absmax (x, QK) / -8;
  float id = d ? 1.0f / d : 0.0f;

  b.d = ember_fp32_to_fp16 (d);
  for (int j = 0; j < QK / 2; j++)
    {
      int q0 = (int) (x[j] * id + 8.5f);
      int q1 = (int) (x[j + QK / 2] * id + 8.5f);

      b.qs[j] = (uint8_t) ((q0 < 15 ? q0 : 15) | (q1 < 15 ? q1 : 15) << 4);
    }
  memcpy (dst, &b, sizeof b);
}

static void
min_max (const float *x,
         int          n,
         float       *min,
         float       *max)
{
  *min = x[0];
  *max = x[0];
  for (int i = 1; i < n; i++)
    {
      if (x[i] < *min)
        *min = x[i];
      if (x[i] > *max)
        *max = x[i];
    }
}

/* Q4_1: d = (max - min) / 15, m = min, levels trunc((x - min) / d + 0.5). */
static void
quantize_q4_1 (const float *x,
               void        *dst)
{
  block_q4_1 b;
  float min, max, d, id;

  min_max (x, QK, &min, &max);
  d = (max - min) / 15;
  id = d ? 1.0f / d : 0.0f;
  b.d = ember_fp32_to_fp16 (d);
  b.m = ember_fp32_to_fp16 (min);
  for (int j = 0; j < QK / 2; j++)
    {
      int q0 = (int) ((x[j] - min) * id + 0.5f);
      int q1 = (int) ((x[j + QK / 2] - min) * id + 0.5f);

      b.qs[j] = (uint8_t) ((q0 < 15 ? q0 : 15) | (q1 < 15 ? q1 : 15) << 4);
    }
  memcpy (dst, &b, sizeof b);
}

/* Splits 32 five-bit levels into nibbles and the fifth bits. */
static void
pack_q5 (const int *q,
         uint8_t   *qs,
         uint8_t   *qh_bytes)
{
  uint32_t qh = 0;

  for (int j = 0; j < QK / 2; j++)
    qs[j] = (uint8_t) ((q[j] & 0xf) | (q[j + QK / 2] & 0xf) << 4);
  for (int j = 0; j < QK; j++)
    qh |= (uint32_t) ((q[j] >> 4) & 1) << j;
  memcpy (qh_bytes, &qh, sizeof qh);
}

/* Q5_0: d = max / -16, levels trunc(x / d + 16.5) capped at 31. */
static void
quantize_q5_0 (const float *x,
               void        *dst)
{
  block_q5_0 b;
  float d = signed_absmax (x, QK) / -16;
  float id = d ? 1.0f / d : 0.0f;
  int q[QK];

  b.d = ember_fp32_to_fp16 (d);
  for (int j = 0; j < QK; j++)
    {
      q[j] = (int) (x[j] * id + 16.5f);
      q[j] = q[j] < 31 ? q[j] : 31;
    }
  pack_q5 (q, b.qs, b.qh);
  memcpy (dst, &b, sizeof b);
}

/* Q5_1: d = (max - min) / 31, m = min, levels trunc((x - min) / d + 0.5). */
static void
quantize_q5_1 (const float *x,
               void        *dst)
{
  block_q5_1 b;
  float min, max, d, id;
  int q[QK];

  min_max (x, QK, &min, &max);
  d = (max - min) / 31;
  id = d ? 1.0f / d : 0.0f;
  b.d = ember_fp32_to_fp16 (d);
  b.m = ember_fp32_to_fp16 (min);
  for (int j = 0; j < QK; j++)
    q[j] = (uint8_t) ((x[j] - min) * id + 0.5f);
  pack_q5 (q, b.qs, b.qh);
  memcpy (dst, &b, sizeof b);
}

/* Q8_0: d = amax / 127, levels round(x / d), halves away from zero. */
static void
quantize_q8_0 (const float *x,
               void        *dst)
{
  block_q8_0 b;
  float amax = 0.0f, d, id;

  for (int j = 0; j < QK; j++)
    amax = fmaxf (amax, fabsf (x[j]));
  d = amax / 127;
  id = d ? 1.0f / d : 0.0f;
  b.d = ember_fp32_to_fp16 (d);
  for (int j = 0; j < QK; j++)
    b.qs[j] = (int8_t) roundf (x[j] * id);
  memcpy (dst, &b, sizeof b);
}

/* Four 2-bit levels per byte, the layout that two_bits () reads. */
static void
pack_two_bits (const uint8_t *L,
               uint8_t       *qs)
{
  for (int c = 0; c < QK_K / 128; c++)
    for (int l = 0; l < 32; l++)
      {
        const uint8_t *q = L + 128 * c + l;

        qs[32 * c + l] = (uint8_t) (q[0] | q[32] << 2 | q[64] << 4 | q[96] << 6);
      }
}

/* Q2_K: 16 sub-blocks of 16, each fitted as scale * L + min with L in 0…3
 * (make_qkx2_quants, weights |x|); scales and mins quantized to 4 bits
 * against their maxima; then every value requantized with the stored ones. */
static void
quantize_q2_K (const float *x,
               void        *dst)
{
  block_q2_K b;
  uint8_t L[QK_K], Laux[16];
  float weights[16], scales[QK_K / 16], mins[QK_K / 16];
  float max_scale = 0, max_min = 0;

  for (int j = 0; j < QK_K / 16; j++)
    {
      for (int l = 0; l < 16; l++)
        weights[l] = fabsf (x[16 * j + l]);
      scales[j] = make_qkx2_quants (16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux,
                                    -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale)
        max_scale = scales[j];
      if (mins[j] > max_min)
        max_min = mins[j];
    }

  memset (b.scales, 0, sizeof b.scales);
  b.d = ember_fp32_to_fp16 (max_scale > 0 ? max_scale / 15.f : 0.f);
  b.dmin = ember_fp32_to_fp16 (max_min > 0 ? max_min / 15.f : 0.f);
  if (max_scale > 0)
    for (int j = 0; j < QK_K / 16; j++)
      b.scales[j] = (uint8_t) nearest_int (15.f / max_scale * scales[j]);
  if (max_min > 0)
    for (int j = 0; j < QK_K / 16; j++)
      b.scales[j] |= (uint8_t) (nearest_int (15.f / max_min * mins[j]) << 4);

  for (int j = 0; j < QK_K / 16; j++)
    {
      float d = ember_fp16_to_fp32 (b.d) * (b.scales[j] & 0xf);
      float dm;

      if (!d)
        continue;
      dm = ember_fp16_to_fp32 (b.dmin) * (b.scales[j] >> 4);
      for (int i = 0; i < 16; i++)
        L[16 * j + i] = (uint8_t) clamp_int (nearest_int ((x[16 * j + i] + dm) / d), 0, 3);
    }
  pack_two_bits (L, b.qs);
  memcpy (dst, &b, sizeof b);
}

/* Q3_K: 16 sub-blocks of 16, each a symmetric fit with levels -4…3
 * (make_q3_quants); the scales quantized to six bits against the one of
 * largest magnitude; then every value requantized with the stored ones. */
static void
quantize_q3_K (const float *x,
               void        *dst)
{
  block_q3_K b;
  int8_t L[QK_K];
  uint8_t U[QK_K];
  float scales[QK_K / 16];
  float max_scale = 0, amax = 0;

  for (int j = 0; j < QK_K / 16; j++)
    {
      scales[j] = make_q3_quants (16, 4, x + 16 * j, L + 16 * j);
      if (fabsf (scales[j]) > amax)
        {
          amax = fabsf (scales[j]);
          max_scale = scales[j];
        }
    }

  memset (b.scales, 0, sizeof b.scales);
  if (max_scale)
    {
      float iscale = -32.f / max_scale;

      for (int j = 0; j < QK_K / 16; j++)
        {
          int8_t l = (int8_t) nearest_int (iscale * scales[j]);
          int s = clamp_int (l, -32, 31) + 32;

          if (j < 8)
            b.scales[j] = (uint8_t) (s & 0xf);
          else
            b.scales[j - 8] |= (uint8_t) ((s & 0xf) << 4);
          b.scales[8 + j % 4] |= (uint8_t) ((s >> 4) << (2 * (j / 4)));
        }
      b.d = ember_fp32_to_fp16 (1 / iscale);
    }
  else
    b.d = ember_fp32_to_fp16 (0.f);

  for (int j = 0; j < QK_K / 16; j++)
    {
      float d = ember_fp16_to_fp32 (b.d) * (int8_t) (q3_K_scale (b.scales, j) - 32);

      if (!d)
        continue;
      for (int i = 0; i < 16; i++)
        L[16 * j + i] = (int8_t) (clamp_int (nearest_int (x[16 * j + i] / d), -4, 3) + 4);
    }

  /* Levels 0…7: the third bit goes to hmask, the low two to qs. */
  memset (b.hmask, 0, sizeof b.hmask);
  for (int e = 0; e < QK_K; e++)
    {
      if (L[e] > 3)
        b.hmask[e % 32] |= (uint8_t) (1 << (e / 32));
      U[e] = (uint8_t) (L[e] & 3);
    }
  pack_two_bits (U, b.qs);
  memcpy (dst, &b, sizeof b);
}

/* Sub-block scales and mins for Q4_K and Q5_K: fitted by make_qkx2_quants
 * with weights av(x) + |x|, then quantized to six bits against their maxima
 * and packed as get_scale_min_k4 () reads them. */
static void
fit_k4_scales (const float *x,
               int          nmax,
               float        rmin,
               int          nstep,
               uint8_t     *L,
               uint8_t     *packed,
               uint16_t    *d,
               uint16_t    *dmin)
{
  uint8_t Laux[32];
  float weights[32], scales[QK_K / 32], mins[QK_K / 32];
  float max_scale = 0, max_min = 0, inv_scale, inv_min;

  for (int j = 0; j < QK_K / 32; j++)
    {
      const float *xj = x + 32 * j;
      float sum_x2 = 0, av_x;

      for (int l = 0; l < 32; l++)
        sum_x2 += xj[l] * xj[l];
      av_x = sqrtf (sum_x2 / 32);
      for (int l = 0; l < 32; l++)
        weights[l] = av_x + fabsf (xj[l]);
      scales[j] = make_qkx2_quants (32, nmax, xj, weights, L + 32 * j, &mins[j], Laux,
                                    rmin, 0.1f, nstep, false);
      if (scales[j] > max_scale)
        max_scale = scales[j];
      if (mins[j] > max_min)
        max_min = mins[j];
    }

  inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  memset (packed, 0, 12);
  for (int j = 0; j < QK_K / 32; j++)
    {
      uint8_t ls = (uint8_t) nearest_int (inv_scale * scales[j]);
      uint8_t lm = (uint8_t) nearest_int (inv_min * mins[j]);

      ls = ls < 63 ? ls : 63;
      lm = lm < 63 ? lm : 63;
      if (j < 4)
        {
          packed[j] = ls;
          packed[j + 4] = lm;
        }
      else
        {
          packed[j + 4] = (uint8_t) ((ls & 0xf) | (lm & 0xf) << 4);
          packed[j - 4] |= (uint8_t) ((ls >> 4) << 6);
          packed[j] |= (uint8_t) ((lm >> 4) << 6);
        }
    }
  *d = ember_fp32_to_fp16 (max_scale / 63.f);
  *dmin = ember_fp32_to_fp16 (max_min / 63.f);
}

/* Requantizes every value of a Q4_K or Q5_K block with the stored scales
 * and mins: L = round((x + dm) / d), clamped to 0…nmax. */
static void
requantize_k4 (const float   *x,
               int            nmax,
               const uint8_t *packed,
               uint16_t       d16,
               uint16_t       dmin16,
               uint8_t       *L)
{
  for (int j = 0; j < QK_K / 32; j++)
    {
      uint8_t sc, m;
      float d, dm;

      get_scale_min_k4 (packed, j, &sc, &m);
      d = ember_fp16_to_fp32 (d16) * sc;
      if (!d)
        continue;
      dm = ember_fp16_to_fp32 (dmin16) * m;
      for (int i = 0; i < 32; i++)
        L[32 * j + i] = (uint8_t) clamp_int (nearest_int ((x[32 * j + i] + dm) / d), 0, nmax);
    }
}

/* Two 4-bit levels per byte, the layout that k_nibble () reads. */
static void
pack_k_nibbles (const uint8_t *L,
                uint8_t       *qs)
{
  for (int c = 0; c < QK_K / 64; c++)
    for (int l = 0; l < 32; l++)
      qs[32 * c + l] = (uint8_t) ((L[64 * c + l] & 0xf) | (L[64 * c + l + 32] & 0xf) << 4);
}

/* Q4_K: 8 sub-blocks of 32 with levels 0…15. */
static void
quantize_q4_K (const float *x,
               void        *dst)
{
  block_q4_K b;
  uint8_t L[QK_K];

  fit_k4_scales (x, 15, -1.f, 20, L, b.scales, &b.d, &b.dmin);
  requantize_k4 (x, 15, b.scales, b.d, b.dmin, L);
  pack_k_nibbles (L, b.qs);
  memcpy (dst, &b, sizeof b);
}

/* Q5_K: 8 sub-blocks of 32 with levels 0…31; the fifth bit goes to qh. */
static void
quantize_q5_K (const float *x,
               void        *dst)
{
  block_q5_K b;
  uint8_t L[QK_K];

  fit_k4_scales (x, 31, -0.5f, 15, L, b.scales, &b.d, &b.dmin);
  requantize_k4 (x, 31, b.scales, b.d, b.dmin, L);
  memset (b.qh, 0, sizeof b.qh);
  for (int e = 0; e < QK_K; e++)
    if (L[e] > 15)
      b.qh[e % 32] |= (uint8_t) (1 << (e / 32));
  pack_k_nibbles (L, b.qs);
  memcpy (dst, &b, sizeof b);
}

/* Q6_K: 16 sub-blocks of 16, each a symmetric fit with levels -32…31
 * (make_qx_quants); the scales quantized to int8 against the one of largest
 * magnitude; then every value requantized with the stored ones. */
static void
quantize_q6_K (const float *x,
               void        *dst)
{
  block_q6_K b;
  int8_t L[QK_K];
  float scales[QK_K / 16];
  float max_scale = 0, max_abs_scale = 0, iscale;

  for (int j = 0; j < QK_K / 16; j++)
    {
      scales[j] = make_qx_quants (16, 32, x + 16 * j, L + 16 * j);
      if (fabsf (scales[j]) > max_abs_scale)
        {
          max_abs_scale = fabsf (scales[j]);
          max_scale = scales[j];
        }
    }

  memset (&b, 0, sizeof b);
  if (max_abs_scale < 1e-15f)
    {
      memcpy (dst, &b, sizeof b);
      return;
    }
  iscale = -128.f / max_scale;
  b.d = ember_fp32_to_fp16 (1 / iscale);
  for (int j = 0; j < QK_K / 16; j++)
    {
      int s = nearest_int (iscale * scales[j]);

      b.scales[j] = (int8_t) (s < 127 ? s : 127);
    }

  for (int j = 0; j < QK_K / 16; j++)
    {
      float d = ember_fp16_to_fp32 (b.d) * b.scales[j];

      if (!d)
        continue;
      for (int i = 0; i < 16; i++)
        L[16 * j + i] = (int8_t) (clamp_int (nearest_int (x[16 * j + i] / d), -32, 31) + 32);
    }

  /* The layout that q6_K_value () reads. */
  for (int e = 0; e < QK_K; e++)
    {
      int c = e / 128, g = (e % 128) / 32, l = e % 32;
      uint8_t *low = &b.ql[64 * c + l + 32 * (g & 1)];

      *low |= (uint8_t) ((L[e] & 0xf) << (g < 2 ? 0 : 4));
      b.qh[32 * c + l] |= (uint8_t) (((L[e] >> 4) & 3) << (2 * g));
    }
  memcpy (dst, &b, sizeof b);
}

/* ---- rows ---------------------------------------------------------------- */

typedef void (*quantize_block_func) (const float *src,
                                     void        *dst);

static const struct {
  ember_type type;
  quantize_block_func quantize;
} quantizers[] = {
  { EMBER_TYPE_F32, quantize_f32 },
  { EMBER_TYPE_F16, quantize_f16 },
  { EMBER_TYPE_BF16, quantize_bf16 },
  { EMBER_TYPE_Q4_0, quantize_q4_0 },
  { EMBER_TYPE_Q4_1, quantize_q4_1 },
  { EMBER_TYPE_Q5_0, quantize_q5_0 },
  { EMBER_TYPE_Q5_1, quantize_q5_1 },
  { EMBER_TYPE_Q8_0, quantize_q8_0 },
  { EMBER_TYPE_Q2_K, quantize_q2_K },
  { EMBER_TYPE_Q3_K, quantize_q3_K },
  { EMBER_TYPE_Q4_K, quantize_q4_K },
  { EMBER_TYPE_Q5_K, quantize_q5_K },
  { EMBER_TYPE_Q6_K, quantize_q6_K },
};

ember_status
ember_quantize_row (ember_type   type,
                    const float *src,
                    void        *dst,
                    uint64_t     n,
                    ember_error *error)
{
  const ember_type_info *info;
  ember_status status = ember_quant_check_row (type, n, src, dst, &info, error);
  quantize_block_func quantize = NULL;
  uint8_t *out = dst;

  if (status != EMBER_OK)
    return status;
  for (size_t i = 0; i < sizeof quantizers / sizeof quantizers[0]; i++)
    if (quantizers[i].type == type)
      quantize = quantizers[i].quantize;
  if (quantize == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%s tensors cannot be quantized yet", info->name);
  for (uint64_t i = 0; i < n / info->block_elements; i++)
    quantize (src + i * info->block_elements, out + i * info->block_bytes);
  return EMBER_OK;
}
