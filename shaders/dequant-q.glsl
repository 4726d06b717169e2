// SPDX-License-Identifier: GPL-3.0-or-later
//
// Q8_0 and Q4_0 weights (ggml's 32-element blocks: an f16 scale d, then the
// quants) for the mat-vec kernel. A unit is a quarter of a block: 8 elements.
//   Q8_0, 34 bytes: value j = d * qs[j] (signed bytes); unit q holds
//     elements 8q … 8q+7.
//   Q4_0, 18 bytes: value j = d * (nibble j - 8), the low nibbles of the 16
//     bytes are elements 0…15, the high ones 16…31; unit q reads bytes
//     4q … 4q+3: elements 4q … 4q+3 (low) and 16+4q … 16+4q+3 (high).
// unit_dot (row byte offset, unit, cols, x for the first four elements, x for
// the other four) is the dot product of the unit's weights with x.

#if defined(TYPE_Q8_0)
#define BLOCK_BYTES 34u
uvec2 unit_x_start (uint u)
{
  uint e = (u >> 2) * 32u + (u & 3u) * 8u;
  return uvec2 (e, e + 4u);
}
#elif defined(TYPE_Q4_0)
#define BLOCK_BYTES 18u
uvec2 unit_x_start (uint u)
{
  uint e = (u >> 2) * 32u + (u & 3u) * 4u;
  return uvec2 (e, e + 16u);
}
#endif

float unit_dot (uint row, uint u, uint cols, vec4 xa, vec4 xb)
{
  uint block = row + (u >> 2) * BLOCK_BYTES;
  float d = w_f16 (block);
#if defined(TYPE_Q8_0)
  uint q = block + 2u + (u & 3u) * 8u;
  vec4 a = unpack_i8x4 (w_u32 (q));
  vec4 b = unpack_i8x4 (w_u32 (q + 4u));
#else
  uint w = w_u32 (block + 2u + (u & 3u) * 4u);
  vec4 a = vec4 (uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu) - 8.0;
  vec4 b = vec4 (uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu) - 8.0;
#endif
  return d * (dot (a, xa) + dot (b, xb));
}
