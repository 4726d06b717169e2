// SPDX-License-Identifier: GPL-3.0-or-later
//
// Every weight type the GGUF reader knows, for the kernels that read weights
// (mat-vec, mat-mat, embedding), in ggml's block layouts, with the CPU
// reference's arithmetic (ember-quant.c).
//
// A row is read in units of 8 weights: two runs of 4 consecutive elements,
// which start in x at unit_x_start (u).x and .y. The float types' units are
// 8 consecutive elements (a row's last unit may be cut short); a quantized
// unit picks the 8 elements that share the bytes it reads, so each byte is
// unpacked once.
//
//   unit_weights (row byte offset, u, cols, out a, out b)  the 8 weights
//   unit_dot (row byte offset, u, cols, xa, xb)            their dot with x
//
// The including shader defines one of TYPE_F32, TYPE_F16, TYPE_BF16,
// TYPE_Q4_0, TYPE_Q4_1, TYPE_Q5_0, TYPE_Q5_1, TYPE_Q8_0, TYPE_Q2_K,
// TYPE_Q3_K, TYPE_Q4_K, TYPE_Q5_K or TYPE_Q6_K, and includes words.glsl first.

#if defined(TYPE_F32) || defined(TYPE_F16) || defined(TYPE_BF16)
#define FLOAT_TYPE 1
#endif

#if defined(FLOAT_TYPE)

uvec2 unit_x_start (uint u)
{
  return uvec2 (u * 8u, u * 8u + 4u);
}

#if defined(TYPE_F32)
float w_elem (uint row, uint k) { return uintBitsToFloat (w_words[(row >> 2) + k]); }
#elif defined(TYPE_F16)
float w_elem (uint row, uint k) { return w_f16 (row + k * 2u); }
#else
float w_elem (uint row, uint k) { return uintBitsToFloat (w_u16 (row + k * 2u) << 16); }
#endif

#if defined(TYPE_BF16)
vec2 unpack_bf16x2 (uint w)
{
  return vec2 (uintBitsToFloat (w << 16), uintBitsToFloat (w & 0xffff0000u));
}
#endif

void unit_weights (uint r, uint u, uint cols, out vec4 a, out vec4 b)
{
  uint row = r * W_ROW_BYTES;
  uint k = u * 8u;

  if (k + 8u <= cols)
    {
#if defined(TYPE_F32)
      uint i = (row >> 2) + k;
      a = vec4 (uintBitsToFloat (w_words[i]), uintBitsToFloat (w_words[i + 1u]),
                uintBitsToFloat (w_words[i + 2u]), uintBitsToFloat (w_words[i + 3u]));
      b = vec4 (uintBitsToFloat (w_words[i + 4u]), uintBitsToFloat (w_words[i + 5u]),
                uintBitsToFloat (w_words[i + 6u]), uintBitsToFloat (w_words[i + 7u]));
#elif defined(TYPE_F16)
      uint o = row + k * 2u;
      a = vec4 (unpackHalf2x16 (w_u32 (o)), unpackHalf2x16 (w_u32 (o + 4u)));
      b = vec4 (unpackHalf2x16 (w_u32 (o + 8u)), unpackHalf2x16 (w_u32 (o + 12u)));
#else
      uint o = row + k * 2u;
      a = vec4 (unpack_bf16x2 (w_u32 (o)), unpack_bf16x2 (w_u32 (o + 4u)));
      b = vec4 (unpack_bf16x2 (w_u32 (o + 8u)), unpack_bf16x2 (w_u32 (o + 12u)));
#endif
    }
  else
    {
      // The row's last, partial unit.
      for (uint j = 0u; j < 4u; j++)
        {
          a[j] = k + j < cols ? w_elem (row, k + j) : 0.0;
          b[j] = k + 4u + j < cols ? w_elem (row, k + 4u + j) : 0.0;
        }
    }
}

#else // quantized types

// The four bytes of @w as unsigned values, lowest first.
uvec4 bytes4 (uint w)
{
  return uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xffu;
}

#if defined(TYPE_Q4_0) || defined(TYPE_Q4_1) || defined(TYPE_Q5_0) || defined(TYPE_Q5_1)

// 32-element blocks; unit q (0…3) reads quant bytes 4q…4q+3: elements
// 4q…4q+3 in their low nibbles, 16+4q…16+4q+3 in their high ones.
#if defined(TYPE_Q4_0)
// (packed on the device: see below)
#elif defined(TYPE_Q4_1)
#define BLOCK_BYTES 20u
#define QS 4u
#elif defined(TYPE_Q5_0)
#define BLOCK_BYTES 22u
#define QH 2u
#define QS 6u
#else
#define BLOCK_BYTES 24u
#define QH 4u
#define QS 8u
#endif

uvec2 unit_x_start (uint u)
{
  uint e = (u >> 2) * 32u + (u & 3u) * 4u;
  return uvec2 (e, e + 16u);
}

#if !defined(TYPE_Q4_0)
void unit_weights (uint r, uint u, uint cols, out vec4 a, out vec4 b)
{
  uint row = r * W_ROW_BYTES;
  uint block = row + (u >> 2) * BLOCK_BYTES;
  uint q = u & 3u;
  uint w = w_u32 (block + QS + q * 4u);
  uvec4 lo = uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu;
  uvec4 hi = uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu;
  float d = w_f16 (block);
#if defined(QH)
  // the fifth bit of element j is bit j of qh
  uint qh = w_u32 (block + QH);
  uvec4 shift = uvec4 (0u, 1u, 2u, 3u) + q * 4u;
  lo |= ((uvec4 (qh) >> shift) & 1u) << 4;
  hi |= ((uvec4 (qh) >> (shift + 16u)) & 1u) << 4;
#endif
#if defined(TYPE_Q4_1) || defined(TYPE_Q5_1)
  float m = w_f16 (block + 2u);
  a = vec4 (lo) * d + m;
  b = vec4 (hi) * d + m;
#else
  a = (vec4 (lo) - 16.0) * d;
  b = (vec4 (hi) - 16.0) * d;
#endif
}
#endif

#elif defined(TYPE_Q8_0)

uvec2 unit_x_start (uint u)
{
  uint e = (u >> 2) * 32u + (u & 3u) * 8u;
  return uvec2 (e, e + 4u);
}

#else // K-quants: 256-element blocks, 32 units each

#if defined(TYPE_Q2_K) || defined(TYPE_Q3_K) || defined(TYPE_Q6_K)
// Q2_K, Q3_K and Q6_K: in each half c of 128 elements, unit r (0…15) takes
// lanes l = 4k…4k+3 (k = r % 8) of two of the half's four 32-element
// quarters: quarters 2m and 2m+1 (Q2_K, Q3_K: the 2-bit fields of the same
// bytes) or m and m+2 (Q6_K: the two nibbles of the same bytes), m = r / 8.
uvec2 unit_x_start (uint u)
{
  uint c = (u & 31u) >> 4, m = (u & 15u) >> 3, k = u & 7u;
  uint base = (u >> 5) * 256u + c * 128u + k * 4u;
#if defined(TYPE_Q6_K)
  return uvec2 (base + m * 32u, base + (m + 2u) * 32u);
#else
  return uvec2 (base + m * 64u, base + m * 64u + 32u);
#endif
}
#else
// Q4_K and Q5_K: in each chunk c of 64 elements, unit k (0…7) takes bytes
// 4k…4k+3 of the chunk's 32: elements 64c+4k… in their low nibbles,
// 64c+32+4k… in their high ones.
uvec2 unit_x_start (uint u)
{
  uint c = (u & 31u) >> 3, k = u & 7u;
  uint base = (u >> 5) * 256u + c * 64u + k * 4u;
  return uvec2 (base, base + 32u);
}
#endif

#if defined(TYPE_Q2_K)
#define BLOCK_BYTES 84u
#elif defined(TYPE_Q3_K)
#define BLOCK_BYTES 110u
#elif defined(TYPE_Q4_K)
#define BLOCK_BYTES 144u
#elif defined(TYPE_Q5_K)
#define BLOCK_BYTES 176u
#else
#define BLOCK_BYTES 210u
#endif

#if defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
// Scale and min of sub-block j (0…7) of the 12 scale bytes at @s.
vec2 scale_min_k4 (uint s, uint j)
{
  if (j < 4u)
    return vec2 (float (w_u8 (s + j) & 63u), float (w_u8 (s + j + 4u) & 63u));
  uint hi = w_u8 (s + j + 4u);
  return vec2 (float ((hi & 0xfu) | ((w_u8 (s + j - 4u) >> 6) << 4)),
               float ((hi >> 4) | ((w_u8 (s + j) >> 6) << 4)));
}
#endif

void unit_weights (uint r, uint u, uint cols, out vec4 a, out vec4 b)
{
  uint row = r * W_ROW_BYTES;
  uint block = row + (u >> 5) * BLOCK_BYTES;
  uint q = u & 31u;
#if defined(TYPE_Q2_K) || defined(TYPE_Q3_K) || defined(TYPE_Q6_K)
  uint c = q >> 4, m = (q & 15u) >> 3, k = q & 7u;
#endif

#if defined(TYPE_Q2_K)
  // scales[16] at 0 (low nibble scale, high nibble min), qs[64] at 16,
  // d at 80, dmin at 82
  uvec4 v = bytes4 (w_u32 (block + 16u + c * 32u + k * 4u));
  uvec4 qa = (v >> (4u * m)) & 3u, qb = (v >> (4u * m + 2u)) & 3u;
  uint ja = c * 8u + m * 4u + (k >> 2);
  uint sa = w_u8 (block + ja), sb = w_u8 (block + ja + 2u);
  float d = w_f16 (block + 80u), dmin = w_f16 (block + 82u);
  a = d * float (sa & 0xfu) * vec4 (qa) - dmin * float (sa >> 4);
  b = d * float (sb & 0xfu) * vec4 (qb) - dmin * float (sb >> 4);
#elif defined(TYPE_Q3_K)
  // hmask[32] at 0, qs[64] at 32, scales[12] at 96, d at 108
  uvec4 v = bytes4 (w_u32 (block + 32u + c * 32u + k * 4u));
  uvec4 h = bytes4 (w_u32 (block + k * 4u));
  uint bit = c * 4u + m * 2u;
  vec4 qa = vec4 ((v >> (4u * m)) & 3u) - vec4 (4u - (((h >> bit) & 1u) << 2));
  vec4 qb = vec4 ((v >> (4u * m + 2u)) & 3u) - vec4 (4u - (((h >> (bit + 1u)) & 1u) << 2));
  uint ja = c * 8u + m * 4u + (k >> 2), jb = ja + 2u;
  uint s = block + 96u;
  uint la = ja < 8u ? w_u8 (s + ja) & 0xfu : w_u8 (s + ja - 8u) >> 4;
  uint lb = jb < 8u ? w_u8 (s + jb) & 0xfu : w_u8 (s + jb - 8u) >> 4;
  float sa = float (la | (((w_u8 (s + 8u + (ja & 3u)) >> (2u * (ja >> 2))) & 3u) << 4)) - 32.0;
  float sb = float (lb | (((w_u8 (s + 8u + (jb & 3u)) >> (2u * (jb >> 2))) & 3u) << 4)) - 32.0;
  float d = w_f16 (block + 108u);
  a = d * sa * qa;
  b = d * sb * qb;
#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
  // d at 0, dmin at 2, scales[12] at 4; Q4_K: qs[128] at 16; Q5_K: qh[32]
  // at 16, qs[128] at 48
  uint c = q >> 3, k = q & 7u;
#if defined(TYPE_Q4_K)
  uint w = w_u32 (block + 16u + c * 32u + k * 4u);
#else
  uint w = w_u32 (block + 48u + c * 32u + k * 4u);
#endif
  uvec4 lo = uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu;
  uvec4 hi = uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu;
#if defined(TYPE_Q5_K)
  uvec4 h = bytes4 (w_u32 (block + 16u + k * 4u));
  lo |= ((h >> (2u * c)) & 1u) << 4;
  hi |= ((h >> (2u * c + 1u)) & 1u) << 4;
#endif
  float d = w_f16 (block), dmin = w_f16 (block + 2u);
  vec2 sma = scale_min_k4 (block + 4u, 2u * c), smb = scale_min_k4 (block + 4u, 2u * c + 1u);
  a = d * sma.x * vec4 (lo) - dmin * sma.y;
  b = d * smb.x * vec4 (hi) - dmin * smb.y;
#else
  // Q6_K: ql[128] at 0, qh[64] at 128, scales[16] (signed) at 192, d at 208
  uint w = w_u32 (block + c * 64u + m * 32u + k * 4u);
  uvec4 h = bytes4 (w_u32 (block + 128u + c * 32u + k * 4u));
  uvec4 lo = uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu;
  uvec4 hi = uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu;
  vec4 qa = vec4 (lo | (((h >> (2u * m)) & 3u) << 4)) - 32.0;
  vec4 qb = vec4 (hi | (((h >> (2u * m + 4u)) & 3u) << 4)) - 32.0;
  uint ja = c * 8u + m * 2u + (k >> 2);
  float sa = float (int (w_u8 (block + 192u + ja) << 24) >> 24);
  float sb = float (int (w_u8 (block + 192u + ja + 4u) << 24) >> 24);
  float d = w_f16 (block + 208u);
  a = d * sa * qa;
  b = d * sb * qb;
#endif
}

#endif // K-quants
#endif // quantized types

// Q4_0 and Q8_0 are repacked on upload (ember-vk-buffer.c) so that every
// block's quants are whole 16-byte vectors: a part of n rows of nb blocks
// holds the quants of block b of row r at uvec4 (r * nb + b) * QV (Q4_0: one
// uvec4 of 32 nibbles in ggml's order; Q8_0: two of 32 signed bytes), then
// the scales as f32, scale (r * nb + b) at word n * nb * QV * 4 + r * nb + b.
// The including shader defines W_PART_ROWS (n) and declares w_vec4 over the
// same buffer as w_words. unit_dot takes the scale out of the sum (one
// multiply per unit instead of eight).
#if defined(TYPE_Q4_0) || defined(TYPE_Q8_0)
#define PACKED_TYPE 1
#if defined(TYPE_Q4_0)
#define QV 1u
#else
#define QV 2u
#endif

float packed_scale (uint r, uint block, uint cols)
{
  uint nb = cols >> 5;
  return uintBitsToFloat (w_words[W_PART_ROWS * nb * QV * 4u + r * nb + block]);
}

// The quant word of unit u: Q4_0 one word (4 low, 4 high nibbles), Q8_0 the
// first of two.
uint packed_word_index (uint r, uint u, uint cols)
{
  return ((r * (cols >> 5) + (u >> 2)) * QV) * 4u + (u & 3u) * QV;
}

void unit_weights (uint r, uint u, uint cols, out vec4 a, out vec4 b)
{
  uint i = packed_word_index (r, u, cols);
  float d = packed_scale (r, u >> 2, cols);
#if defined(TYPE_Q4_0)
  uint w = w_words[i];
  a = (vec4 (uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu) - 8.0) * d;
  b = (vec4 (uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu) - 8.0) * d;
#else
  a = unpack_i8x4 (w_words[i]) * d;
  b = unpack_i8x4 (w_words[i + 1u]) * d;
#endif
}

float unit_dot (uint r, uint u, uint cols, vec4 xa, vec4 xb)
{
  uint i = packed_word_index (r, u, cols);
#if defined(TYPE_Q4_0)
  uint w = w_words[i];
  vec4 a = vec4 (uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu) - 8.0;
  vec4 b = vec4 (uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu) - 8.0;
#else
  vec4 a = unpack_i8x4 (w_words[i]);
  vec4 b = unpack_i8x4 (w_words[i + 1u]);
#endif
  return packed_scale (r, u >> 2, cols) * (dot (a, xa) + dot (b, xb));
}
#else
float unit_dot (uint r, uint u, uint cols, vec4 xa, vec4 xb)
{
  vec4 a, b;
  unit_weights (r, u, cols, a, b);
  return dot (a, xa) + dot (b, xb);
}
#endif
