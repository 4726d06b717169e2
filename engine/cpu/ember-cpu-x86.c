/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The x86-64 integer kernels of ember-cpu-q8.h, built twice by meson: for
 * AVX2 (-mavx2 -mfma -mf16c) and, with EMBER_X86_VNNI, for AVX2 with the
 * 256-bit VNNI instructions and byte masks (AVX-512 VNNI, VL and BW). ember-cpu-q8.c picks one
 * at run time; nothing here runs on a processor without its instructions.
 *
 * The weights' quants are unpacked once per block into unsigned bytes
 * (0…3, 0…7, 0…15, 0…31, 0…63; Q8_0 keeps its sign apart) and multiplied
 * with each token's signed 8-bit activations: maddubs then madd (AVX2) or
 * dpbusd (VNNI); the K-quants' scales go into the madd (VNNI: dpwssd). A
 * weight's offset (-4, -8, -16, -32, the K mins) is applied through the
 * activation blocks' sums, once per block. maddubs saturates pairs at
 * 32767: the largest pair here is 2 × 128 × 127 (Q8_0's |-128| × 127).
 */

#include "config.h"

#include <immintrin.h>
#include <string.h>

/* GCC 12's avx512fintrin.h widens 256-bit registers through a variable it
 * leaves uninitialised on purpose, and -Wmaybe-uninitialized says so at
 * every use; nothing of ours is concerned. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "ember-cpu-q8.h"

#ifdef EMBER_X86_VNNI
#define LOOKUP ember_q8_dot_lookup_avx_vnni
#else
#define LOOKUP ember_q8_dot_lookup_avx2
#endif

#define INLINE static inline __attribute__ ((always_inline))

/* How far ahead in a weight row to ask for the cache. The hardware's
 * prefetcher alone left a single token's product waiting on memory (5 GB/s
 * of this machine's 16.6 on one thread); asking a page ahead reached 17
 * (smollm2 Q8_0: 512 bytes gave 45 tokens/s, 2048 67, 4096 117). */
#define PREFETCH_AHEAD 4096
/* The K-quants' rows (at least 256 elements, often thousands) take twice
 * that: qwen2-1.5b's Q4_K_M generated 32.5 and 34.3 tokens/s at 4096, 34.9
 * and 36.2 at 8192 (medians of three, two sets, 2 threads); the 32-blocks'
 * short rows (smollm2's 576) lost by it, 265 → 257. */
#define PREFETCH_AHEAD_K 8192

/* Σ of groups of four u8 × s8 products, as eight int32. */
INLINE __m256i
dot_u8_s8 (__m256i u,
           __m256i s)
{
#ifdef EMBER_X86_VNNI
  return _mm256_dpbusd_epi32 (_mm256_setzero_si256 (), u, s);
#else
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, s), _mm256_set1_epi16 (1));
#endif
}

INLINE float
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

INLINE float
f16 (const uint8_t *p)
{
  uint16_t h;

  memcpy (&h, p, 2);
  return _cvtsh_ss (h);
}

#define TOKEN_32(t, b) ((const ember_q8_32 *) (xq + (t) * xq_stride) + (b))
#define TOKEN_256(t, b) ((const ember_q8_256 *) (xq + (t) * xq_stride) + (b))

/* The kernels are written for constant numbers of rows and tokens, so that
 * the accumulators stay in registers; an entry point picks by @nr and @nt. */
#define KERNEL_ARGS                                                                   \
  uint64_t nb, const uint8_t *w, size_t row_bytes, const uint8_t *xq, size_t xq_stride, \
  float *out
#define TILED(name)                                                                     \
  static void name (uint64_t nb, const uint8_t *w, size_t row_bytes, uint32_t nr,        \
                    const uint8_t *xq, size_t xq_stride, uint32_t nt, float *out)        \
  {                                                                                     \
    if (nr == 2)                                                                        \
      switch (nt)                                                                       \
        {                                                                               \
        case 1: name##_n (nb, w, row_bytes, xq, xq_stride, out, 2, 1); break;            \
        case 2: name##_n (nb, w, row_bytes, xq, xq_stride, out, 2, 2); break;            \
        case 3: name##_n (nb, w, row_bytes, xq, xq_stride, out, 2, 3); break;            \
        default: name##_n (nb, w, row_bytes, xq, xq_stride, out, 2, 4); break;           \
        }                                                                               \
    else                                                                                \
      switch (nt)                                                                       \
        {                                                                               \
        case 1: name##_n (nb, w, row_bytes, xq, xq_stride, out, 1, 1); break;            \
        case 2: name##_n (nb, w, row_bytes, xq, xq_stride, out, 1, 2); break;            \
        case 3: name##_n (nb, w, row_bytes, xq, xq_stride, out, 1, 3); break;            \
        default: name##_n (nb, w, row_bytes, xq, xq_stride, out, 1, 4); break;           \
        }                                                                               \
  }

/* Q4_0: 16 bytes of nibbles → 32 bytes 0…15 (low nibbles first). */
INLINE __m256i
unpack_nibbles_16 (const uint8_t *p)
{
  __m128i raw = _mm_loadu_si128 ((const __m128i *) p);

  return _mm256_and_si256 (_mm256_set_m128i (_mm_srli_epi16 (raw, 4), raw),
                           _mm256_set1_epi8 (0x0f));
}

#ifdef EMBER_X86_VNNI
/* @lo in the low half of a 512-bit register, @hi in the high. */
INLINE __m512i
join_si (__m256i lo,
         __m256i hi)
{
  return _mm512_inserti64x4 (_mm512_castsi256_si512 (lo), hi, 1);
}

INLINE __m512
join_ps (__m256 lo,
         __m256 hi)
{
  return _mm512_castsi512_ps (join_si (_mm256_castps_si256 (lo), _mm256_castps_si256 (hi)));
}
#endif

/* The fifth bits of a Q5 block (bit j of @qh for element j) as 0x10 bytes. */
INLINE __m256i
unpack_high_bits (const uint8_t *p)
{
  uint32_t qh;

  memcpy (&qh, p, 4);
#ifdef EMBER_X86_VNNI
  /* AVX-512 BW: the bits are a byte mask already */
  return _mm256_maskz_mov_epi8 ((__mmask32) qh, _mm256_set1_epi8 (0x10));
#else
  {
    const __m256i shuffle = _mm256_set_epi64x (0x0303030303030303, 0x0202020202020202,
                                               0x0101010101010101, 0x0000000000000000);
    const __m256i bit = _mm256_set1_epi64x ((long long) 0x8040201008040201ull);
    __m256i bytes = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) qh), shuffle);

    bytes = _mm256_cmpeq_epi8 (_mm256_and_si256 (bytes, bit), bit);
    return _mm256_and_si256 (bytes, _mm256_set1_epi8 (0x10));
  }
#endif
}

/* The 32-blocks: NR rows × NT tokens, each weight block unpacked once and
 * each activation block loaded once per tile. Q4_0 and Q5_0 subtract their
 * offset (8, 16) × Σ x in integers, once per token and block; Q4_1 and
 * Q5_1 add m × d_x × Σ x in floats. */
INLINE void
q32_tile (KERNEL_ARGS, const uint32_t NR, const uint32_t NT, const int type)
{
  __m256 acc[EMBER_Q8_ROWS][EMBER_Q8_TILE];
  float corr[EMBER_Q8_ROWS][EMBER_Q8_TILE];
  const int offset = type == EMBER_TYPE_Q4_0 ? 8 : type == EMBER_TYPE_Q5_0 ? 16
                     : type == EMBER_TYPE_Q8_0 ? 128 : 0;
  const size_t block = type == EMBER_TYPE_Q4_0 ? 18 : type == EMBER_TYPE_Q4_1 ? 20
                       : type == EMBER_TYPE_Q5_0 ? 22 : type == EMBER_TYPE_Q8_0 ? 34 : 24;

  uint64_t b = 0;

  for (uint32_t r = 0; r < NR; r++)
    for (uint32_t t = 0; t < NT; t++)
      {
        acc[r][t] = _mm256_setzero_ps ();
        corr[r][t] = 0.0f;
      }
#ifdef EMBER_X86_VNNI
  /* Q4_0 and Q5_0 two blocks at a time in 512-bit registers; an odd last
   * block goes the 256-bit way below. */
  if (type == EMBER_TYPE_Q4_0 || type == EMBER_TYPE_Q5_0 || type == EMBER_TYPE_Q8_0)
    {
      __m512 acc2[EMBER_Q8_ROWS][EMBER_Q8_TILE];

      for (uint32_t r = 0; r < NR; r++)
        for (uint32_t t = 0; t < NT; t++)
          acc2[r][t] = _mm512_setzero_ps ();
      for (; b + 2 <= nb; b += 2)
        {
          __m512i u[EMBER_Q8_ROWS];
          __m512 d[EMBER_Q8_ROWS];

          for (uint32_t r = 0; r < NR; r++)
            {
              const uint8_t *blk = w + r * row_bytes + b * block;

              _mm_prefetch ((const char *) blk + PREFETCH_AHEAD, _MM_HINT_T0);
              d[r] = join_ps (_mm256_set1_ps (f16 (blk)), _mm256_set1_ps (f16 (blk + block)));
              if (type == EMBER_TYPE_Q4_0)
                u[r] = join_si (unpack_nibbles_16 (blk + 2), unpack_nibbles_16 (blk + block + 2));
              else if (type == EMBER_TYPE_Q8_0)
                u[r] = _mm512_xor_si512 (join_si (_mm256_loadu_si256 ((const __m256i *) (blk + 2)),
                                                  _mm256_loadu_si256 ((const __m256i *) (blk + block + 2))),
                                         _mm512_set1_epi8 ((char) 0x80));
              else
                {
                  uint32_t h0, h1;

                  memcpy (&h0, blk + 2, 4);
                  memcpy (&h1, blk + block + 2, 4);
                  u[r] = _mm512_or_si512 (join_si (unpack_nibbles_16 (blk + 6),
                                                   unpack_nibbles_16 (blk + block + 6)),
                                          _mm512_maskz_mov_epi8 ((__mmask64) h0 | (__mmask64) h1 << 32,
                                                                 _mm512_set1_epi8 (0x10)));
                }
            }
          for (uint32_t t = 0; t < NT; t++)
            {
              const ember_q8_32 *y = TOKEN_32 (t, b);
              __m512i x = join_si (_mm256_loadu_si256 ((const __m256i *) y[0].qs),
                                   _mm256_loadu_si256 ((const __m256i *) y[1].qs));
              __m512 dy = join_ps (_mm256_broadcast_ss (&y[0].d), _mm256_broadcast_ss (&y[1].d));
              __m512i off = _mm512_dpbusd_epi32 (_mm512_setzero_si512 (),
                                                 _mm512_set1_epi8 ((char) offset), x);

              for (uint32_t r = 0; r < NR; r++)
                {
                  __m512i p = _mm512_sub_epi32 (_mm512_dpbusd_epi32 (_mm512_setzero_si512 (), u[r], x),
                                                off);

                  acc2[r][t] = _mm512_fmadd_ps (_mm512_mul_ps (d[r], dy), _mm512_cvtepi32_ps (p),
                                                acc2[r][t]);
                }
            }
        }
      for (uint32_t r = 0; r < NR; r++)
        for (uint32_t t = 0; t < NT; t++)
          acc[r][t] = _mm256_add_ps (_mm512_castps512_ps256 (acc2[r][t]),
                                     _mm256_castpd_ps (_mm512_extractf64x4_pd (
                                       _mm512_castps_pd (acc2[r][t]), 1)));
    }
#endif
  for (; b < nb; b++)
    {
      __m256i u[EMBER_Q8_ROWS];
      __m256 d[EMBER_Q8_ROWS];
      float m[EMBER_Q8_ROWS];

      for (uint32_t r = 0; r < NR; r++)
        {
          const uint8_t *blk = w + r * row_bytes + b * block;

          _mm_prefetch ((const char *) blk + PREFETCH_AHEAD, _MM_HINT_T0);
          d[r] = _mm256_set1_ps (f16 (blk));
          switch (type)
            {
            case EMBER_TYPE_Q4_0:
              u[r] = unpack_nibbles_16 (blk + 2);
              break;
            case EMBER_TYPE_Q4_1:
              m[r] = f16 (blk + 2);
              u[r] = unpack_nibbles_16 (blk + 4);
              break;
            case EMBER_TYPE_Q5_0:
              u[r] = _mm256_or_si256 (unpack_nibbles_16 (blk + 6), unpack_high_bits (blk + 2));
              break;
            case EMBER_TYPE_Q8_0: /* q + 128, on VNNI only (maddubs would saturate) */
              u[r] = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (blk + 2)),
                                       _mm256_set1_epi8 ((char) 0x80));
              break;
            default: /* Q5_1 */
              m[r] = f16 (blk + 2);
              u[r] = _mm256_or_si256 (unpack_nibbles_16 (blk + 8), unpack_high_bits (blk + 4));
              break;
            }
        }
      for (uint32_t t = 0; t < NT; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          __m256i x = _mm256_loadu_si256 ((const __m256i *) y->qs);
          __m256 dy = _mm256_broadcast_ss (&y->d);
          __m256i off = _mm256_setzero_si256 ();

          if (offset != 0)
            off = dot_u8_s8 (_mm256_set1_epi8 ((char) offset), x);
          for (uint32_t r = 0; r < NR; r++)
            {
              __m256i p = dot_u8_s8 (u[r], x);

              if (offset != 0)
                p = _mm256_sub_epi32 (p, off);
              acc[r][t] = _mm256_fmadd_ps (_mm256_mul_ps (d[r], dy), _mm256_cvtepi32_ps (p),
                                           acc[r][t]);
              if (offset == 0)
                corr[r][t] += m[r] * y->ds;
            }
        }
    }
  for (uint32_t r = 0; r < NR; r++)
    for (uint32_t t = 0; t < NT; t++)
      out[r * EMBER_Q8_TILE + t] = hsum (acc[r][t]) + corr[r][t];
}

INLINE void
dot_q4_0_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  q32_tile (nb, w, row_bytes, xq, xq_stride, out, NR, NT, EMBER_TYPE_Q4_0);
}

INLINE void
dot_q4_1_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  q32_tile (nb, w, row_bytes, xq, xq_stride, out, NR, NT, EMBER_TYPE_Q4_1);
}

INLINE void
dot_q5_0_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  q32_tile (nb, w, row_bytes, xq, xq_stride, out, NR, NT, EMBER_TYPE_Q5_0);
}

INLINE void
dot_q5_1_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  q32_tile (nb, w, row_bytes, xq, xq_stride, out, NR, NT, EMBER_TYPE_Q5_1);
}

/* Q8_0: with VNNI, (q + 128) × x minus 128 Σ x, as the 32-blocks above
 * (dpbusd does not saturate); with AVX2, |w| × (x with w's sign). */
INLINE void
dot_q8_0_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
#ifdef EMBER_X86_VNNI
  q32_tile (nb, w, row_bytes, xq, xq_stride, out, NR, NT, EMBER_TYPE_Q8_0);
  return;
#endif
  __m256 acc[EMBER_Q8_ROWS][EMBER_Q8_TILE];

  for (uint32_t r = 0; r < NR; r++)
    for (uint32_t t = 0; t < NT; t++)
      acc[r][t] = _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      __m256i q[EMBER_Q8_ROWS], aq[EMBER_Q8_ROWS];
      __m256 d[EMBER_Q8_ROWS];

      for (uint32_t r = 0; r < NR; r++)
        {
          const uint8_t *blk = w + r * row_bytes + b * 34;

          _mm_prefetch ((const char *) blk + PREFETCH_AHEAD, _MM_HINT_T0);
          q[r] = _mm256_loadu_si256 ((const __m256i *) (blk + 2));
          aq[r] = _mm256_sign_epi8 (q[r], q[r]);
          d[r] = _mm256_set1_ps (f16 (blk));
        }
      for (uint32_t t = 0; t < NT; t++)
        {
          const ember_q8_32 *y = TOKEN_32 (t, b);
          __m256i x = _mm256_loadu_si256 ((const __m256i *) y->qs);
          __m256 dy = _mm256_broadcast_ss (&y->d);

          for (uint32_t r = 0; r < NR; r++)
            {
              __m256i p = dot_u8_s8 (aq[r], _mm256_sign_epi8 (x, q[r]));

              acc[r][t] = _mm256_fmadd_ps (_mm256_mul_ps (d[r], dy), _mm256_cvtepi32_ps (p),
                                           acc[r][t]);
            }
        }
    }
  for (uint32_t r = 0; r < NR; r++)
    for (uint32_t t = 0; t < NT; t++)
      out[r * EMBER_Q8_TILE + t] = hsum (acc[r][t]);
}

/* @acc plus the unsigned quants @u × the activations @x, each pair of
 * products (an int16 lane) times its int16 lane of @scale: maddubs, then
 * madd and an add, which VNNI's dpwssd does in one. */
INLINE __m256i
add_scaled (__m256i acc,
            __m256i u,
            __m256i x,
            __m256i scale)
{
  __m256i p = _mm256_maddubs_epi16 (u, x);

#ifdef EMBER_X86_VNNI
  return _mm256_dpwssd_epi32 (acc, p, scale);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (p, scale));
#endif
}

/* One token's block of a K-quant with mins (Q2_K, Q4_K, Q5_K) into @acc:
 * d × d_x × Σ_k scale_k (u_k · x_k) − dmin × d_x × Σ mins × (the 16s' Σ x),
 * @u the 256 quants unpacked, @scv their scales (spread_scales_16 () or
 * one per 32), @mins one int16 per 16. */
INLINE __m256
add_scaled_with_mins (__m256              acc,
                      const __m256i       u[8],
                      const __m256i       scv[8],
                      __m256i             mins,
                      float               d,
                      float               dmin,
                      const ember_q8_256 *y)
{
  __m256i isum = _mm256_setzero_si256 (), msum;

  for (int k = 0; k < 8; k++)
    isum = add_scaled (isum, u[k], _mm256_loadu_si256 ((const __m256i *) (y->qs + 32 * k)), scv[k]);
  msum = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) y->bsums), mins);
  acc = _mm256_fmadd_ps (_mm256_set1_ps (d * y->d), _mm256_cvtepi32_ps (isum), acc);
  return _mm256_fnmadd_ps (_mm256_set1_ps (dmin * y->d), _mm256_cvtepi32_ps (msum), acc);
}

/* For the K-quants with a scale per 16 (Q2_K, Q3_K, Q6_K): @scv[k], the
 * scales of quants 32k … 32k + 31, is scale 2k in the low half's int16
 * lanes and 2k + 1 in the high half's, from the sixteen int16 @sc16. */
INLINE void
spread_scales_16 (__m256i sc16,
                  __m256i scv[8])
{
  __m256i lo = _mm256_broadcastsi128_si256 (_mm256_castsi256_si128 (sc16));
  __m256i hi = _mm256_broadcastsi128_si256 (_mm256_extracti128_si256 (sc16, 1));

  for (int k = 0; k < 8; k++)
    {
      short a = (short) (0x0100 + 0x0404 * (k % 4)), c = (short) (a + 0x0202);
      __m256i pick = _mm256_set_m128i (_mm_set1_epi16 (c), _mm_set1_epi16 (a));

      scv[k] = _mm256_shuffle_epi8 (k < 4 ? lo : hi, pick);
    }
}

/* Bit @from of each byte of @v moved to bit @to (both 0…7), the rest
 * cleared: a 16-bit shift moves no other byte's bit there. */
INLINE __m256i
move_bit (__m256i   v,
          const int from,
          const int to)
{
  if (from < to)
    v = _mm256_slli_epi16 (v, to - from);
  else if (from > to)
    v = _mm256_srli_epi16 (v, from - to);
  return _mm256_and_si256 (v, _mm256_set1_epi8 ((char) (1 << to)));
}

/* Q2_K and Q3_K: quants 32k … 32k + 31 (k = 0…7) are the bits 2 (k % 4)
 * of bytes 32 (k / 4) … 32 (k / 4) + 31 of @qs, as 0…3. */
INLINE void
unpack_two_bits (const uint8_t *qs,
                 __m256i        u[8])
{
  for (int c = 0; c < 2; c++)
    {
      __m256i q = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * c));

      for (int i = 0; i < 4; i++)
        u[4 * c + i] = _mm256_and_si256 (_mm256_srli_epi16 (q, 2 * i), _mm256_set1_epi8 (3));
    }
}

/* Q2_K: two-bit quants, sixteen four-bit scales and mins (one per 16),
 * minus dmin × Σ min × (the 16's Σ x). */
INLINE void
row_q2_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
          float *out, const uint32_t nt)
{
  const __m128i m4 = _mm_set1_epi8 (0x0f);
  __m256 acc[EMBER_Q8_TILE];

  for (uint32_t t = 0; t < nt; t++)
    acc[t] = _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 84;
      float d = f16 (blk + 80), dmin = f16 (blk + 82);
      __m128i raw = _mm_loadu_si128 ((const __m128i *) blk);
      __m256i u[8], scv[8], mins;

      for (int o = 0; o < 84; o += 64)
        _mm_prefetch ((const char *) blk + PREFETCH_AHEAD_K + o, _MM_HINT_T0);
      spread_scales_16 (_mm256_cvtepu8_epi16 (_mm_and_si128 (raw, m4)), scv);
      mins = _mm256_cvtepu8_epi16 (_mm_and_si128 (_mm_srli_epi16 (raw, 4), m4));
      unpack_two_bits (blk + 16, u);
      for (uint32_t t = 0; t < nt; t++)
        acc[t] = add_scaled_with_mins (acc[t], u, scv, mins, d, dmin, TOKEN_256 (t, b));
    }
  for (uint32_t t = 0; t < nt; t++)
    out[t] = hsum (acc[t]);
}

/* Q3_K: the two low bits as Q2_K's, the third from hmask (bit k of byte l
 * for quant 32k + l): 0…7, then minus 4 × Σ scale × (the 16's Σ x), the
 * scales six-bit signed, one per 16. */
INLINE void
row_q3_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
          float *out, const uint32_t nt)
{
  __m256 acc[EMBER_Q8_TILE];

  for (uint32_t t = 0; t < nt; t++)
    acc[t] = _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 110;
      float d = f16 (blk + 108);
      uint32_t a0, a1, a2;
      __m256i u[8], scv[8], sc16, hm;

      for (int o = 0; o < 110; o += 64)
        _mm_prefetch ((const char *) blk + PREFETCH_AHEAD_K + o, _MM_HINT_T0);

      /* the sixteen scales (ember_q8_scale_k3 ()) four at a time: bytes 0-3
       * hold the low bits of scales 0-3 and 8-11, bytes 4-7 of 4-7 and
       * 12-15, bytes 8-11 the top two bits of all, at bit 2 (j / 4) */
      memcpy (&a0, blk + 96, 4);
      memcpy (&a1, blk + 100, 4);
      memcpy (&a2, blk + 104, 4);
      sc16 = _mm256_cvtepi8_epi16 (_mm_sub_epi8 (
        _mm_set_epi32 ((int) (((a1 >> 4) & 0x0f0f0f0fu) | ((a2 >> 6) & 0x03030303u) << 4),
                       (int) (((a0 >> 4) & 0x0f0f0f0fu) | ((a2 >> 4) & 0x03030303u) << 4),
                       (int) ((a1 & 0x0f0f0f0fu) | ((a2 >> 2) & 0x03030303u) << 4),
                       (int) ((a0 & 0x0f0f0f0fu) | (a2 & 0x03030303u) << 4)),
        _mm_set1_epi8 (32)));
      spread_scales_16 (sc16, scv);
      unpack_two_bits (blk + 32, u);
      hm = _mm256_loadu_si256 ((const __m256i *) blk);
      for (int k = 0; k < 8; k++)
        u[k] = _mm256_or_si256 (u[k], move_bit (hm, k, 2));
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          __m256i isum = _mm256_setzero_si256 (), corr;

          for (int k = 0; k < 8; k++)
            isum = add_scaled (isum, u[k], _mm256_loadu_si256 ((const __m256i *) (y->qs + 32 * k)),
                               scv[k]);
          corr = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) y->bsums), sc16);
          isum = _mm256_sub_epi32 (isum, _mm256_slli_epi32 (corr, 2));
          acc[t] = _mm256_fmadd_ps (_mm256_set1_ps (d * y->d), _mm256_cvtepi32_ps (isum), acc[t]);
        }
    }
  for (uint32_t t = 0; t < nt; t++)
    out[t] = hsum (acc[t]);
}

/* Q4_K and Q5_K (@five): sub-block j's 32 nibbles (Q5_K: with a fifth bit,
 * bit j of qh[l] for quant l) × x, scaled by its six-bit scale in int16
 * lanes, minus dmin × Σ m_j × (the sub-block's Σ x). */
INLINE void
row_q45_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
           float *out, const uint32_t nt, const bool five)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const size_t block = five ? 176 : 144;
  __m256 acc[EMBER_Q8_TILE];

  for (uint32_t t = 0; t < nt; t++)
    acc[t] = _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * block, *qs = blk + (five ? 48 : 16);
      float d = f16 (blk), dmin = f16 (blk + 2);
      uint32_t s0, s1, s2;
      uint64_t sc8, m8;
      __m256i u[8], scv[8], mins, sc16;
      __m128i m16;

      for (int o = 0; o < (int) block; o += 64)
        _mm_prefetch ((const char *) blk + PREFETCH_AHEAD_K + o, _MM_HINT_T0);

      /* the eight six-bit scales and mins (ember_q8_scale_min_k4 ()) four at a
       * time: bytes 0-3 hold scales 0-3 and the top bits of scales 4-7,
       * bytes 4-7 mins 0-3 and the top bits of mins 4-7, bytes 8-11 the
       * low four bits of scales 4-7 and of mins 4-7 */
      memcpy (&s0, blk + 4, 4);
      memcpy (&s1, blk + 8, 4);
      memcpy (&s2, blk + 12, 4);
      sc8 = (uint64_t) (s0 & 0x3f3f3f3fu)
            | (uint64_t) ((s2 & 0x0f0f0f0fu) | ((s0 >> 6) & 0x03030303u) << 4) << 32;
      m8 = (uint64_t) (s1 & 0x3f3f3f3fu)
           | (uint64_t) (((s2 >> 4) & 0x0f0f0f0fu) | ((s1 >> 6) & 0x03030303u) << 4) << 32;
      /* scale j broadcast to 16 lanes: int16 j of both halves */
      sc16 = _mm256_broadcastsi128_si256 (_mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((long long) sc8)));
      for (int j = 0; j < 8; j++)
        scv[j] = _mm256_shuffle_epi8 (sc16, _mm256_set1_epi16 ((short) (0x0100 + 0x0202 * j)));
      m16 = _mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((long long) m8));
      mins = _mm256_set_m128i (_mm_unpackhi_epi16 (m16, m16), _mm_unpacklo_epi16 (m16, m16));
      for (int i = 0; i < 4; i++)
        {
          __m256i q = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * i));

          u[2 * i] = _mm256_and_si256 (q, m4);
          u[2 * i + 1] = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4);
        }
      if (five)
        {
          __m256i qh = _mm256_loadu_si256 ((const __m256i *) (blk + 16));

          for (int j = 0; j < 8; j++)
            u[j] = _mm256_or_si256 (u[j], move_bit (qh, j, 4));
        }
      for (uint32_t t = 0; t < nt; t++)
        acc[t] = add_scaled_with_mins (acc[t], u, scv, mins, d, dmin, TOKEN_256 (t, b));
    }
  for (uint32_t t = 0; t < nt; t++)
    out[t] = hsum (acc[t]);
}

/* Q6_K: six-bit quants 0…63, sixteen signed scales (one per 16), minus
 * 32 × Σ scale × (the 16's Σ x). */
INLINE void
row_q6_K (uint64_t nb, const uint8_t *w, const uint8_t *xq, size_t xq_stride,
          float *out, const uint32_t nt)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m3 = _mm256_set1_epi8 (0x03);
  __m256 acc[EMBER_Q8_TILE];

  for (uint32_t t = 0; t < nt; t++)
    acc[t] = _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *blk = w + b * 210, *ql = blk, *qh = blk + 128;
      const int8_t *scales = (const int8_t *) (blk + 192);
      float d = f16 (blk + 208);
      __m256i u[8], scv[8], sc16;

      for (int o = 0; o < 210; o += 64)
        _mm_prefetch ((const char *) blk + PREFETCH_AHEAD_K + o, _MM_HINT_T0);

      for (int c = 0; c < 2; c++)
        {
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) (ql + 64 * c));
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (ql + 64 * c + 32));
          __m256i h = _mm256_loadu_si256 ((const __m256i *) (qh + 32 * c));

          u[4 * c] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                      _mm256_slli_epi16 (_mm256_and_si256 (h, m3), 4));
          u[4 * c + 1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (h, 2), m3), 4));
          u[4 * c + 2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (h, 4), m3), 4));
          u[4 * c + 3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (h, 6), m3), 4));
        }
      sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) scales));
      spread_scales_16 (sc16, scv);
      for (uint32_t t = 0; t < nt; t++)
        {
          const ember_q8_256 *y = TOKEN_256 (t, b);
          __m256i isum = _mm256_setzero_si256 (), corr;

          for (int k = 0; k < 8; k++)
            isum = add_scaled (isum, u[k], _mm256_loadu_si256 ((const __m256i *) (y->qs + 32 * k)),
                               scv[k]);
          corr = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) y->bsums), sc16);
          isum = _mm256_sub_epi32 (isum, _mm256_slli_epi32 (corr, 5));
          acc[t] = _mm256_fmadd_ps (_mm256_set1_ps (d * y->d), _mm256_cvtepi32_ps (isum), acc[t]);
        }
    }
  for (uint32_t t = 0; t < nt; t++)
    out[t] = hsum (acc[t]);
}

/* The K-quants' kernels take one row at a time (their unpacked block fills
 * the registers already). */
INLINE void
dot_q2_K_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  for (uint32_t r = 0; r < NR; r++)
    row_q2_K (nb, w + r * row_bytes, xq, xq_stride, out + r * EMBER_Q8_TILE, NT);
}

INLINE void
dot_q3_K_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  for (uint32_t r = 0; r < NR; r++)
    row_q3_K (nb, w + r * row_bytes, xq, xq_stride, out + r * EMBER_Q8_TILE, NT);
}

INLINE void
dot_q4_K_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  for (uint32_t r = 0; r < NR; r++)
    row_q45_K (nb, w + r * row_bytes, xq, xq_stride, out + r * EMBER_Q8_TILE, NT, false);
}

INLINE void
dot_q5_K_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  for (uint32_t r = 0; r < NR; r++)
    row_q45_K (nb, w + r * row_bytes, xq, xq_stride, out + r * EMBER_Q8_TILE, NT, true);
}

INLINE void
dot_q6_K_n (KERNEL_ARGS, const uint32_t NR, const uint32_t NT)
{
  for (uint32_t r = 0; r < NR; r++)
    row_q6_K (nb, w + r * row_bytes, xq, xq_stride, out + r * EMBER_Q8_TILE, NT);
}

/* ---- prompts: sixteen rows at a time --------------------------------------
 *
 * For a batch, a chunk of EMBER_Q8_GEMM_ROWS rows is unpacked once into a
 * scratch layout where each 64 bytes hold four consecutive quants of each
 * of the sixteen rows (bytes 4r … 4r + 3: row r), so one product against
 * four of a token's activations, broadcast, advances every row's sum, and
 * the result needs no horizontal sum: with VNNI one dpbusd on a 512-bit
 * register for all sixteen rows; with AVX2 maddubs (then madd) on each
 * 256-bit half, eight rows. Per 32-element block the scratch holds eight
 * such groups, then each row's scale D and constant C: a row's block is
 * Σ_e (D u_e + C) x_e = D d_x Σ u q_x + C ds_x, whatever the type (Q4_0:
 * C = -8 D; Q4_1: C = m; Q4_K: D = d × scale_j, C = -dmin × min_j of
 * sub-block j). Q6_K has a scale per 16 elements: its blocks hold the D
 * of either half (quants 0 … 15, 16 … 31) and no C, its offset 32 being
 * taken out of each half's integer sum (32 Σ x, from the sums of 16).
 * Q8_0 is u = q + 128, C = -128 D for dpbusd; for maddubs, whose pairs
 * saturate at 32767 (255 × 127 × 2 does not fit), it stays q with C = 0
 * and is multiplied as |q| × (x with q's sign). The activations are the row
 * kernels' (ember_q8_256 for the K-quants, ds_x from the sums of 16), so a
 * batch and a single token see the same 8-bit inputs. A row chunk is
 * unpacked a piece of blocks at a time into 30 KiB on the stack: the
 * weights stay as mapped, with no second copy. */

/* Bytes per 32-block of 16 rows: the quants, then D and C (Q6_K: D of
 * either half), 64 bytes each. */
#define PACK_BLOCK (8 * 64 + 2 * 64)
/* Scales per 32-block */
#define PACK_S(type) ((type) == EMBER_TYPE_Q6_K ? 2 : 1)
/* Whether @type's activations are ember_q8_256 blocks (as
 * ember_q8_type_is_k (), but a constant where @type is). */
#define PACK_K(type)                                                                  \
  ((type) == EMBER_TYPE_Q4_K || (type) == EMBER_TYPE_Q5_K || (type) == EMBER_TYPE_Q6_K)

/* One row's block @b (0-based, of 32 elements) into lane @r of @pack, with
 * its D and C (Q6_K: its two D). */
INLINE void
pack_lane (uint8_t *pack, uint64_t b, uint32_t r, const uint8_t u[32], float d, float c)
{
  uint8_t *p = pack + b * PACK_BLOCK;

  for (int k = 0; k < 8; k++)
    memcpy (p + 64 * k + 4 * r, u + 4 * k, 4);
  memcpy (p + 512 + 4 * r, &d, 4);
  memcpy (p + 576 + 4 * r, &c, 4);
}

INLINE void
store_u (uint8_t u[32], __m256i v)
{
  _mm256_storeu_si256 ((__m256i *) u, v);
}

static void
pack_rows (int type, uint64_t nb, const uint8_t *w, size_t row_bytes, uint32_t nr, uint8_t *pack)
{
  uint8_t u[32];

  if (nr < EMBER_Q8_GEMM_ROWS)
    memset (pack, 0, nb * PACK_BLOCK);
  for (uint32_t r = 0; r < nr; r++)
    {
      const uint8_t *row = w + r * row_bytes;

      switch (type)
        {
        case EMBER_TYPE_Q4_0:
          for (uint64_t b = 0; b < nb; b++)
            {
              const uint8_t *blk = row + b * 18;
              float d = f16 (blk), c = -8.0f * d;

              store_u (u, unpack_nibbles_16 (blk + 2));
              pack_lane (pack, b, r, u, d, c);
            }
          break;
        case EMBER_TYPE_Q4_1:
          for (uint64_t b = 0; b < nb; b++)
            {
              const uint8_t *blk = row + b * 20;
              float d = f16 (blk), c = f16 (blk + 2);

              store_u (u, unpack_nibbles_16 (blk + 4));
              pack_lane (pack, b, r, u, d, c);
            }
          break;
        case EMBER_TYPE_Q5_0:
          for (uint64_t b = 0; b < nb; b++)
            {
              const uint8_t *blk = row + b * 22;
              float d = f16 (blk), c = -16.0f * d;

              store_u (u, _mm256_or_si256 (unpack_nibbles_16 (blk + 6), unpack_high_bits (blk + 2)));
              pack_lane (pack, b, r, u, d, c);
            }
          break;
        case EMBER_TYPE_Q5_1:
          for (uint64_t b = 0; b < nb; b++)
            {
              const uint8_t *blk = row + b * 24;
              float d = f16 (blk), c = f16 (blk + 2);

              store_u (u, _mm256_or_si256 (unpack_nibbles_16 (blk + 8), unpack_high_bits (blk + 4)));
              pack_lane (pack, b, r, u, d, c);
            }
          break;
        case EMBER_TYPE_Q8_0:
          for (uint64_t b = 0; b < nb; b++)
            {
              const uint8_t *blk = row + b * 34;
              __m256i q = _mm256_loadu_si256 ((const __m256i *) (blk + 2));
              float d = f16 (blk);
#ifdef EMBER_X86_VNNI
              float c = -128.0f * d;

              q = _mm256_xor_si256 (q, _mm256_set1_epi8 ((char) 0x80));
#else
              float c = 0.0f;
#endif

              store_u (u, q);
              pack_lane (pack, b, r, u, d, c);
            }
          break;
        case EMBER_TYPE_Q6_K: /* see row_q6_K: sub-block j is quarter j % 4 of half j / 4 */
          for (uint64_t b = 0; b < nb / 8; b++)
            {
              const uint8_t *blk = row + b * 210;
              const int8_t *scales = (const int8_t *) (blk + 192);
              float d = f16 (blk + 208);

              for (int j = 0; j < 8; j++)
                {
                  int c = j / 4, g = j % 4;
                  __m256i lo = _mm256_loadu_si256 ((const __m256i *) (blk + 64 * c + 32 * (g & 1)));
                  __m256i hi = _mm256_loadu_si256 ((const __m256i *) (blk + 128 + 32 * c));

                  lo = _mm256_and_si256 (_mm256_srli_epi16 (lo, 4 * (g >> 1)),
                                         _mm256_set1_epi8 (0x0f));
                  hi = _mm256_and_si256 (_mm256_srli_epi16 (hi, 2 * g), _mm256_set1_epi8 (3));
                  store_u (u, _mm256_or_si256 (lo, _mm256_slli_epi16 (hi, 4)));
                  pack_lane (pack, 8 * b + j, r, u, d * (float) scales[2 * j],
                             d * (float) scales[2 * j + 1]);
                }
            }
          break;
        default: /* Q4_K, Q5_K: eight sub-blocks of 32 per 256 */
          for (uint64_t b = 0; b < nb / 8; b++)
            {
              const size_t size = type == EMBER_TYPE_Q4_K ? 144 : 176;
              const uint8_t *blk = row + b * size;
              const uint8_t *qs = blk + (type == EMBER_TYPE_Q4_K ? 16 : 48), *qh = blk + 16;
              float d = f16 (blk), dmin = f16 (blk + 2);

              for (int j = 0; j < 8; j++)
                {
                  __m256i q = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * (j / 2)));
                  int sc, m;

                  q = _mm256_and_si256 (_mm256_srli_epi16 (q, 4 * (j & 1)), _mm256_set1_epi8 (0x0f));
                  if (type == EMBER_TYPE_Q5_K)
                    {
                      __m256i h = _mm256_loadu_si256 ((const __m256i *) qh);

                      h = _mm256_and_si256 (_mm256_srli_epi16 (h, j), _mm256_set1_epi8 (1));
                      q = _mm256_or_si256 (q, _mm256_slli_epi16 (h, 4));
                    }
                  ember_q8_scale_min_k4 (blk + 4, j, &sc, &m);
                  store_u (u, q);
                  pack_lane (pack, 8 * b + j, r, u, d * (float) sc, -dmin * (float) m);
                }
            }
          break;
        }
    }
}

/* Token @t's four activations k (0…7) of 32-block @b, as a 32-bit lane. */
INLINE int32_t
gemm_x4 (const uint8_t *xq, size_t xq_stride, uint32_t t, uint64_t b, int k, const bool K)
{
  int32_t x4;

  if (K)
    memcpy (&x4, TOKEN_256 (t, b / 8)->qs + 32 * (b % 8) + 4 * k, 4);
  else
    memcpy (&x4, TOKEN_32 (t, b)->qs + 4 * k, 4);
  return x4;
}

/* Token @t's activation scale d_x and ds_x = d_x × Σ x of 32-block @b. */
INLINE void
gemm_dx (const uint8_t *xq, size_t xq_stride, uint32_t t, uint64_t b, const bool K, float *dx,
         float *ds)
{
  if (K)
    {
      const ember_q8_256 *y = TOKEN_256 (t, b / 8);

      *dx = y->d;
      *ds = y->d * (float) (y->bsums[2 * (b % 8)] + y->bsums[2 * (b % 8) + 1]);
    }
  else
    {
      *dx = TOKEN_32 (t, b)->d;
      *ds = TOKEN_32 (t, b)->ds;
    }
}

/* Q6_K's offset, 32 × Σ x over quants 16 s … 16 s + 15 of 32-block @b of
 * token @t: taken out of the integer sums, in place of a C of -32 D. */
INLINE int32_t
gemm_offset (const uint8_t *xq, size_t xq_stride, uint32_t t, uint64_t b, int s)
{
  return 32 * TOKEN_256 (t, b / 8)->bsums[2 * (b % 8) + s];
}

#ifdef EMBER_X86_VNNI
#define GEMM_TILE EMBER_Q8_GEMM_TILE
#define GEMM_LOOKUP ember_q8_gemm_lookup_avx_vnni

/* NT tokens against a packed chunk of @nr rows of @type: out[t × out_stride
 * + r], set or (@add) added to. */
INLINE void
gemm_tile (uint64_t nb, const uint8_t *pack, const uint8_t *xq, size_t xq_stride, float *out,
           size_t out_stride, uint32_t nr, bool add, const int type, const uint32_t NT)
{
  const bool K = PACK_K (type);
  const int S = PACK_S (type);
  __mmask16 mask = (__mmask16) ((1u << nr) - 1);
  __m512 acc[GEMM_TILE];

  for (uint32_t t = 0; t < NT; t++)
    acc[t] = add ? _mm512_maskz_loadu_ps (mask, out + t * out_stride) : _mm512_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *p = pack + b * PACK_BLOCK;

      /* with two scales, the first half's sums are scaled at k = 3 */
      for (int s = 0; s < S; s++)
        {
          __m512i sum[GEMM_TILE];
          __m512 d = _mm512_load_ps ((const void *) (p + 512 + 64 * s));
          __m512 c = _mm512_load_ps ((const void *) (p + 576));

          for (uint32_t t = 0; t < NT; t++)
            sum[t] = _mm512_setzero_si512 ();
          for (int k = 8 / S * s; k < 8 / S * (s + 1); k++)
            {
              __m512i u = _mm512_load_si512 ((const void *) (p + 64 * k));

              for (uint32_t t = 0; t < NT; t++)
                sum[t] = _mm512_dpbusd_epi32 (sum[t], u,
                                              _mm512_set1_epi32 (gemm_x4 (xq, xq_stride, t, b, k, K)));
            }
          for (uint32_t t = 0; t < NT; t++)
            {
              float dx, ds;

              gemm_dx (xq, xq_stride, t, b, K, &dx, &ds);
              if (type == EMBER_TYPE_Q6_K)
                sum[t] = _mm512_sub_epi32 (sum[t],
                                           _mm512_set1_epi32 (gemm_offset (xq, xq_stride, t, b, s)));
              acc[t] = _mm512_fmadd_ps (d, _mm512_mul_ps (_mm512_cvtepi32_ps (sum[t]),
                                                          _mm512_set1_ps (dx)), acc[t]);
              if (type != EMBER_TYPE_Q6_K)
                acc[t] = _mm512_fmadd_ps (c, _mm512_set1_ps (ds), acc[t]);
            }
        }
    }
  for (uint32_t t = 0; t < NT; t++)
    _mm512_mask_storeu_ps (out + t * out_stride, mask, acc[t]);
}
#else
#define GEMM_TILE 3
#define GEMM_LOOKUP ember_q8_gemm_lookup_avx2

/* As above, both 256-bit halves (rows 0 … 7 and 8 … 15, bytes 0 … 31 and
 * 32 … 63 of each 64) against the same broadcast activations. maddubs's
 * int16 pairs are summed over G groups of four before madd widens them, as
 * many as fit: the largest pair is 2 × 127 × (15, 31, 63: Q4, Q5, Q6) and
 * 2 × 128 × 127 for |q| of Q8_0. */
INLINE void
gemm_tile (uint64_t nb, const uint8_t *pack, const uint8_t *xq, size_t xq_stride, float *out,
           size_t out_stride, uint32_t nr, bool add, const int type, const uint32_t NT)
{
  const bool K = PACK_K (type);
  const int S = PACK_S (type);
  const int G = type == EMBER_TYPE_Q4_0 || type == EMBER_TYPE_Q4_1 || type == EMBER_TYPE_Q4_K ? 8
                : type == EMBER_TYPE_Q8_0 ? 1 : type == EMBER_TYPE_Q6_K ? 2 : 4;
  const __m256i ones = _mm256_set1_epi16 (1);
  __m256i lanes[2];
  __m256 acc[GEMM_TILE][2];

  for (uint32_t h = 0; h < 2; h++)
    lanes[h] = _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) nr - 8 * (int) h),
                                   _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
  for (uint32_t t = 0; t < NT; t++)
    for (uint32_t h = 0; h < 2; h++)
      acc[t][h] = add ? _mm256_maskload_ps (out + t * out_stride + 8 * h, lanes[h])
                      : _mm256_setzero_ps ();
  for (uint64_t b = 0; b < nb; b++)
    {
      const uint8_t *p = pack + b * PACK_BLOCK;

      for (int s = 0; s < S; s++)
        {
          __m256i sum[GEMM_TILE][2], s16[GEMM_TILE][2];

          for (int k = 8 / S * s; k < 8 / S * (s + 1); k++)
            {
              __m256i q[2], u[2];

              for (uint32_t h = 0; h < 2; h++)
                {
                  q[h] = _mm256_load_si256 ((const __m256i *) (p + 64 * k + 32 * h));
                  u[h] = type == EMBER_TYPE_Q8_0 ? _mm256_sign_epi8 (q[h], q[h]) : q[h];
                }
              for (uint32_t t = 0; t < NT; t++)
                {
                  __m256i x = _mm256_set1_epi32 (gemm_x4 (xq, xq_stride, t, b, k, K));

                  for (uint32_t h = 0; h < 2; h++)
                    {
                      __m256i p16 = _mm256_maddubs_epi16 (u[h], type == EMBER_TYPE_Q8_0
                                                                  ? _mm256_sign_epi8 (x, q[h]) : x);

                      s16[t][h] = k % G == 0 ? p16 : _mm256_add_epi16 (s16[t][h], p16);
                      if (k % G == G - 1)
                        {
                          __m256i p32 = _mm256_madd_epi16 (s16[t][h], ones);

                          sum[t][h] = k - 8 / S * s == G - 1 ? p32 : _mm256_add_epi32 (sum[t][h], p32);
                        }
                    }
                }
            }
          for (uint32_t t = 0; t < NT; t++)
            {
              float dx, ds;
              __m256 vdx, vds;
              __m256i off = _mm256_setzero_si256 ();

              gemm_dx (xq, xq_stride, t, b, K, &dx, &ds);
              vdx = _mm256_set1_ps (dx);
              vds = _mm256_set1_ps (ds);
              if (type == EMBER_TYPE_Q6_K)
                off = _mm256_set1_epi32 (gemm_offset (xq, xq_stride, t, b, s));
              for (uint32_t h = 0; h < 2; h++)
                {
                  __m256 d = _mm256_load_ps ((const float *) (p + 512 + 64 * s + 32 * h));
                  __m256 c = _mm256_load_ps ((const float *) (p + 576 + 32 * h));

                  if (type == EMBER_TYPE_Q6_K)
                    sum[t][h] = _mm256_sub_epi32 (sum[t][h], off);
                  acc[t][h] = _mm256_fmadd_ps (d, _mm256_mul_ps (_mm256_cvtepi32_ps (sum[t][h]), vdx),
                                               acc[t][h]);
                  if (type != EMBER_TYPE_Q8_0 && type != EMBER_TYPE_Q6_K)
                    acc[t][h] = _mm256_fmadd_ps (c, vds, acc[t][h]);
                }
            }
        }
    }
  for (uint32_t t = 0; t < NT; t++)
    for (uint32_t h = 0; h < 2; h++)
      _mm256_maskstore_ps (out + t * out_stride + 8 * h, lanes[h], acc[t][h]);
}
#endif

/* 32-blocks per piece of a row chunk: the pack of a piece (30 KiB) stays in
 * L1 while every token passes over it; a multiple of 8 for the K-quants. */
#define GEMM_PIECE 48

INLINE void
gemm_rows (const int type, size_t block_bytes, uint64_t nb, const uint8_t *w, size_t row_bytes,
           uint32_t nr, const uint8_t *xq, size_t xq_stride, uint32_t nt, float *out,
           size_t out_stride)
{
  const uint32_t per = PACK_K (type) ? 8 : 1;
  _Alignas (64) uint8_t pack[GEMM_PIECE * PACK_BLOCK];

  for (uint64_t b0 = 0; b0 < nb; b0 += GEMM_PIECE)
    {
      uint64_t n = nb - b0 < GEMM_PIECE ? nb - b0 : GEMM_PIECE;
      const uint8_t *x = xq + (per == 8 ? b0 / 8 * sizeof (ember_q8_256) : b0 * sizeof (ember_q8_32));
      bool add = b0 > 0;
      uint32_t t = 0;

      pack_rows (type, n, w + b0 / per * block_bytes, row_bytes, nr, pack);
      for (; t + GEMM_TILE <= nt; t += GEMM_TILE)
        gemm_tile (n, pack, x + t * xq_stride, xq_stride, out + t * out_stride, out_stride,
                   nr, add, type, GEMM_TILE);
      x += t * xq_stride;
      out += t * out_stride;
      switch (nt - t)
        {
        case 0: break;
        case 1: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 1); break;
#if GEMM_TILE > 4
        case 2: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 2); break;
        case 3: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 3); break;
        case 4: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 4); break;
        case 5: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 5); break;
        case 6: gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, 6); break;
#endif
        default:
          gemm_tile (n, pack, x, xq_stride, out, out_stride, nr, add, type, GEMM_TILE - 1);
          break;
        }
      out -= t * out_stride;
    }
}

#define GEMM(name, type, block_bytes)                                                   \
  static void name (uint64_t nb, const uint8_t *w, size_t row_bytes, uint32_t nr,        \
                    const uint8_t *xq, size_t xq_stride, uint32_t nt, float *out,        \
                    size_t out_stride)                                                  \
  {                                                                                     \
    gemm_rows (type, block_bytes, nb, w, row_bytes, nr, xq, xq_stride, nt, out, out_stride); \
  }

GEMM (gemm_q4_0, EMBER_TYPE_Q4_0, 18)
GEMM (gemm_q4_1, EMBER_TYPE_Q4_1, 20)
GEMM (gemm_q5_0, EMBER_TYPE_Q5_0, 22)
GEMM (gemm_q5_1, EMBER_TYPE_Q5_1, 24)
GEMM (gemm_q8_0, EMBER_TYPE_Q8_0, 34)
GEMM (gemm_q4_K, EMBER_TYPE_Q4_K, 144)
GEMM (gemm_q5_K, EMBER_TYPE_Q5_K, 176)
GEMM (gemm_q6_K, EMBER_TYPE_Q6_K, 210)

ember_q8_gemm_func
GEMM_LOOKUP (ember_type type)
{
  switch (type)
    {
    case EMBER_TYPE_Q4_0: return gemm_q4_0;
    case EMBER_TYPE_Q4_1: return gemm_q4_1;
    case EMBER_TYPE_Q5_0: return gemm_q5_0;
    case EMBER_TYPE_Q5_1: return gemm_q5_1;
    case EMBER_TYPE_Q8_0: return gemm_q8_0;
    case EMBER_TYPE_Q4_K: return gemm_q4_K;
    case EMBER_TYPE_Q5_K: return gemm_q5_K;
    case EMBER_TYPE_Q6_K: return gemm_q6_K;
    default: return NULL;
    }
}

TILED (dot_q4_0)
TILED (dot_q4_1)
TILED (dot_q5_0)
TILED (dot_q5_1)
TILED (dot_q8_0)
TILED (dot_q2_K)
TILED (dot_q3_K)
TILED (dot_q4_K)
TILED (dot_q5_K)
TILED (dot_q6_K)

ember_q8_dot_func
LOOKUP (ember_type type)
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
