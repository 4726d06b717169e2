/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The x86-64 float kernels of ember-cpu-float.h, built twice by meson, as
 * ember-cpu-x86.c: for AVX2 (-mavx2 -mfma -mf16c) and, with EMBER_X86_VNNI,
 * with AVX-512 VL, whose 32 vector registers hold a larger tile.
 * ember-cpu-float.c picks one at run time.
 *
 * Eight elements of a weight row become eight floats in one register (F16
 * with vcvtph2ps, BF16 widened and shifted into the high half of each
 * float) and meet eight of each token's activations in a fused
 * multiply-add: a tile of R rows × T tokens keeps R × T sums in registers,
 * so each load feeds several products. The sums are added across their
 * lanes once per row and token, at the end.
 */

#include "config.h"

#include <immintrin.h>
#include <string.h>

#include "ember-cpu-float.h"

#ifdef EMBER_X86_VNNI
#define LOOKUP ember_float_gemm_lookup_avx_vnni
#define TILE_R 4 /* rows × tokens: 24 sums, 4 weights and an activation in 32 registers */
#define TILE_T 6
#else
#define LOOKUP ember_float_gemm_lookup_avx2
#define TILE_R 3 /* 12 sums, 3 weights and an activation in 16 registers */
#define TILE_T 4
#endif
/* One token (generation): memory-bound, more rows in flight. */
#define TILE_R1 4

/* How far ahead in a weight row to ask for the cache (see ember-cpu-x86.c).
 * Further than the integer kernels: a float row is four times the bytes of
 * a Q4 one, and the tile's rows follow one another. One token over 100
 * F16 matrices of 1536 × 576 (177 MB), one thread, best of 15 on a busy
 * machine: 4096 bytes 12.6–18 GB/s, 8192 12–21, 12288 18–26, 16384 16–25;
 * smollm2 F16 generation 34–35 tokens/s at 4096, 38–40 at 16384. */
#define PREFETCH_AHEAD 16384

#define INLINE static inline __attribute__ ((always_inline))

INLINE float
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

/* Eight elements of a row of @TYPE from @p, as floats. */
INLINE __m256
load8 (const uint8_t   *p,
       const ember_type TYPE)
{
  switch (TYPE)
    {
    case EMBER_TYPE_F16:
      return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
    case EMBER_TYPE_BF16:
      return _mm256_castsi256_ps (
        _mm256_slli_epi32 (_mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p)), 16));
    case EMBER_TYPE_F32:
    default:
      return _mm256_loadu_ps ((const float *) p);
    }
}

/* One element, for the tail of a row. */
INLINE float
load1 (const uint8_t   *p,
       const ember_type TYPE)
{
  uint16_t h;
  uint32_t bits;
  float f;

  switch (TYPE)
    {
    case EMBER_TYPE_F16:
      memcpy (&h, p, 2);
      return _cvtsh_ss (h);
    case EMBER_TYPE_BF16:
      memcpy (&h, p, 2);
      bits = (uint32_t) h << 16;
      memcpy (&f, &bits, 4);
      return f;
    case EMBER_TYPE_F32:
    default:
      memcpy (&f, p, 4);
      return f;
    }
}

/* @R rows × @T tokens, whole rows: out[t × out_stride + r]. Written for
 * constant R and T, so that the sums stay in registers. */
INLINE void
tile_n (uint64_t         cols,
        const uint8_t   *w,
        size_t           row_bytes,
        const float     *x,
        float           *out,
        size_t           out_stride,
        const ember_type TYPE,
        const uint32_t   R,
        const uint32_t   T)
{
  const size_t elem = TYPE == EMBER_TYPE_F32 ? 4 : 2;
  const uint64_t n8 = cols & ~(uint64_t) 7;
  __m256 acc[TILE_R1 > TILE_R ? TILE_R1 : TILE_R][TILE_T];

  for (uint32_t r = 0; r < R; r++)
    for (uint32_t t = 0; t < T; t++)
      acc[r][t] = _mm256_setzero_ps ();
  for (uint64_t i = 0; i < n8; i += 8)
    {
      __m256 wv[TILE_R1 > TILE_R ? TILE_R1 : TILE_R];

      /* once per cache line of each row */
      if (i % (64 / elem) == 0)
        for (uint32_t r = 0; r < R; r++)
          _mm_prefetch ((const char *) w + r * row_bytes + i * elem + PREFETCH_AHEAD, _MM_HINT_T0);
      for (uint32_t r = 0; r < R; r++)
        wv[r] = load8 (w + r * row_bytes + i * elem, TYPE);
      for (uint32_t t = 0; t < T; t++)
        {
          __m256 xv = _mm256_loadu_ps (x + t * cols + i);

          for (uint32_t r = 0; r < R; r++)
            acc[r][t] = _mm256_fmadd_ps (wv[r], xv, acc[r][t]);
        }
    }
  for (uint32_t r = 0; r < R; r++)
    for (uint32_t t = 0; t < T; t++)
      {
        float s = hsum (acc[r][t]);

        for (uint64_t i = n8; i < cols; i++)
          s += load1 (w + r * row_bytes + i * elem, TYPE) * x[t * cols + i];
        out[t * out_stride + r] = s;
      }
}

#define TILE(R, T) tile_n (cols, w, row_bytes, x, out, out_stride, TYPE, R, T)

#ifdef EMBER_X86_VNNI
#define TOKEN_CASES(R)                                                              \
  switch (nt)                                                                       \
    {                                                                               \
    case 1: TILE (R, 1); break;                                                     \
    case 2: TILE (R, 2); break;                                                     \
    case 3: TILE (R, 3); break;                                                     \
    case 4: TILE (R, 4); break;                                                     \
    case 5: TILE (R, 5); break;                                                     \
    default: TILE (R, 6); break;                                                    \
    }
#else
#define TOKEN_CASES(R)                                                              \
  switch (nt)                                                                       \
    {                                                                               \
    case 1: TILE (R, 1); break;                                                     \
    case 2: TILE (R, 2); break;                                                     \
    case 3: TILE (R, 3); break;                                                     \
    default: TILE (R, 4); break;                                                    \
    }
#endif

/* @nr (1 … 4) rows × @nt (1 … TILE_T) tokens. */
INLINE void
tile (uint64_t         cols,
      const uint8_t   *w,
      size_t           row_bytes,
      uint32_t         nr,
      const float     *x,
      uint32_t         nt,
      float           *out,
      size_t           out_stride,
      const ember_type TYPE)
{
  switch (nr)
    {
    case 1: TOKEN_CASES (1); break;
    case 2: TOKEN_CASES (2); break;
    case 3: TOKEN_CASES (3); break;
    default: TOKEN_CASES (4); break;
    }
}

/* Tiles of tokens, then of rows: one tile's activations stay in L1 while
 * the rows (in L2 after the first tile) pass over them. */
INLINE void
gemm (uint64_t         cols,
      const uint8_t   *w,
      size_t           row_bytes,
      uint32_t         nr,
      const float     *x,
      uint32_t         nt,
      float           *out,
      size_t           out_stride,
      const ember_type TYPE)
{
  uint32_t tile_r = nt == 1 ? TILE_R1 : TILE_R;

  for (uint32_t t0 = 0; t0 < nt; t0 += TILE_T)
    {
      uint32_t t = nt - t0 < TILE_T ? nt - t0 : TILE_T;

      for (uint32_t r = 0; r < nr; r += tile_r)
        tile (cols, w + r * row_bytes, row_bytes, nr - r < tile_r ? nr - r : tile_r,
              x + (uint64_t) t0 * cols, t, out + t0 * out_stride + r, out_stride, TYPE);
    }
}

#define GEMM(name, type)                                                             \
  static void name (uint64_t cols, const uint8_t *w, size_t row_bytes, uint32_t nr,   \
                    const float *x, uint32_t nt, float *out, size_t out_stride)       \
  {                                                                                  \
    gemm (cols, w, row_bytes, nr, x, nt, out, out_stride, type);                     \
  }

GEMM (gemm_f32, EMBER_TYPE_F32)
GEMM (gemm_f16, EMBER_TYPE_F16)
GEMM (gemm_bf16, EMBER_TYPE_BF16)

ember_float_gemm_func
LOOKUP (ember_type type)
{
  switch (type)
    {
    case EMBER_TYPE_F32: return gemm_f32;
    case EMBER_TYPE_F16: return gemm_f16;
    case EMBER_TYPE_BF16: return gemm_bf16;
    default: return NULL;
    }
}
