// SPDX-License-Identifier: GPL-3.0-or-later
//
// F32 and F16 weights for the mat-vec kernel: one unit is 8 elements of a
// row (a row need not hold a whole number of units: the last one is cut).
// unit_dot (row byte offset, unit, cols, x[0..3], x[4..7]) is the dot product
// of the unit's weights with those x values; unit_x_start gives where in x
// the two vec4 begin.

uvec2 unit_x_start (uint u)
{
  return uvec2 (u * 8u, u * 8u + 4u);
}

#if defined(TYPE_F32)
float w_elem (uint row, uint k) { return uintBitsToFloat (w_words[(row >> 2) + k]); }
#define ELEM_BYTES 4u
#elif defined(TYPE_F16)
float w_elem (uint row, uint k) { return w_f16 (row + k * 2u); }
#define ELEM_BYTES 2u
#endif

float unit_dot (uint row, uint u, uint cols, vec4 xa, vec4 xb)
{
  uint k = u * 8u;
  vec4 a, b;

  if (k + 8u <= cols)
    {
#if defined(TYPE_F32)
      uint i = (row >> 2) + k;
      a = vec4 (uintBitsToFloat (w_words[i]), uintBitsToFloat (w_words[i + 1u]),
                uintBitsToFloat (w_words[i + 2u]), uintBitsToFloat (w_words[i + 3u]));
      b = vec4 (uintBitsToFloat (w_words[i + 4u]), uintBitsToFloat (w_words[i + 5u]),
                uintBitsToFloat (w_words[i + 6u]), uintBitsToFloat (w_words[i + 7u]));
#else
      uint o = row + k * 2u;
      a = vec4 (unpackHalf2x16 (w_u32 (o)), unpackHalf2x16 (w_u32 (o + 4u)));
      b = vec4 (unpackHalf2x16 (w_u32 (o + 8u)), unpackHalf2x16 (w_u32 (o + 12u)));
#endif
    }
  else
    {
      // The row's last, partial unit; x is zero past the row, so only the
      // weights need the bounds check.
      for (uint j = 0u; j < 4u; j++)
        {
          a[j] = k + j < cols ? w_elem (row, k + j) : 0.0;
          b[j] = k + 4u + j < cols ? w_elem (row, k + 4u + j) : 0.0;
        }
    }
  return dot (a, xa) + dot (b, xb);
}
