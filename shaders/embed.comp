// SPDX-License-Identifier: GPL-3.0-or-later
//
// x = row p.row of a token embedding part, dequantized to f32 as the CPU
// does: one invocation per 8-weight unit of dequant.glsl.
// Variants: every TYPE_* of dequant.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 1) writeonly buffer X { float x[]; };

layout(push_constant) uniform Params {
  uint row;
  uint cols;
  uint row_bytes;
  uint n_rows;      // rows in this part
} p;

#define W_ROW_BYTES p.row_bytes
#define W_PART_ROWS p.n_rows
#include "words.glsl"
#include "dequant.glsl"

void main ()
{
  uint u = gl_GlobalInvocationID.x;
  if (u * 8u >= p.cols)
    return;

  vec4 a, b;
  uvec2 xs = unit_x_start (u);
  unit_weights (p.row, u, p.cols, a, b);
  for (uint j = 0u; j < 4u; j++)
    {
      if (xs.x + j < p.cols)
        x[xs.x + j] = a[j];
      if (xs.y + j < p.cols)
        x[xs.y + j] = b[j];
    }
}
