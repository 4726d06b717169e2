// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = W·x with each invocation computing whole rows on its own: no
// reduction, no shared memory, no barrier. Made for CPU devices (lavapipe),
// where every buffer load is a loop over the lanes of a SIMD vector and a
// barrier a coroutine switch, so what counts is loads per weight: x is read
// as vec4, once per block for all of an invocation's rows, and Q4_0 / Q8_0
// blocks (repacked, see dequant.glsl) as one or two uvec4.
//
// A workgroup of WG invocations computes WG * NUM_ROWS rows: invocation i
// rows first + i + k * WG (k < NUM_ROWS). cols is a multiple of 8 (the
// engine uses the cooperative matvec.comp otherwise).
//
// Variants: every TYPE_* of dequant.glsl; GLU: W is gate rows [0, n) then
// up rows [n, 2n) in one part (p.rows = n) and y[r] = silu(gate·x) *
// (up·x), the feed-forward's SwiGLU done where its inputs are made.
// Specialization: constant 0 the workgroup width, 1 rows per invocation.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require

layout(constant_id = 0) const uint WG = 32;
layout(constant_id = 1) const uint NUM_ROWS = 2;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 0) readonly buffer Weights4 { uvec4 w_vec4[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { vec4 x4[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint rows;
  uint cols;
  uint row_bytes;
  uint y_offset;
} p;

#define W_ROW_BYTES p.row_bytes
#ifdef GLU
#define W_PART_ROWS (2u * p.rows)
#define N_SUMS (2u * NUM_ROWS)
#else
#define W_PART_ROWS p.rows
#define N_SUMS NUM_ROWS
#endif
#include "words.glsl"
#include "dequant.glsl"

void main ()
{
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint first = group * WG * NUM_ROWS + gl_LocalInvocationID.x;
  uint r[N_SUMS];
  float sums[N_SUMS];

  // Rows past the end compute row rows - 1 again and write nothing: no
  // branch inside the loop.
  [[unroll]] for (uint k = 0u; k < NUM_ROWS; k++)
    {
      r[k] = min (first + k * WG, p.rows - 1u);
#ifdef GLU
      r[NUM_ROWS + k] = r[k] + p.rows;
#endif
    }
  [[unroll]] for (uint k = 0u; k < N_SUMS; k++)
    sums[k] = 0.0;

#if defined(PACKED_TYPE)
  uint nb = p.cols >> 5;
  for (uint b = 0u; b < nb; b++)
    {
      vec4 xv[8];
      [[unroll]] for (uint j = 0u; j < 8u; j++)
        xv[j] = x4[b * 8u + j];
      [[unroll]] for (uint k = 0u; k < N_SUMS; k++)
        {
          uint blk = r[k] * nb + b;
          float s = 0.0;
#if defined(TYPE_Q4_0)
          // word j: elements 4j…4j+3 (low nibbles), 16+4j… (high)
          uvec4 q = w_vec4[blk];
          [[unroll]] for (uint j = 0u; j < 4u; j++)
            {
              uint w = q[j];
              vec4 lo = vec4 (uvec4 (w, w >> 8, w >> 16, w >> 24) & 0xfu) - 8.0;
              vec4 hi = vec4 (uvec4 (w >> 4, w >> 12, w >> 20, w >> 28) & 0xfu) - 8.0;
              s += dot (lo, xv[j]) + dot (hi, xv[4u + j]);
            }
#else
          // word j: elements 4j…4j+3
          uvec4 q0 = w_vec4[blk * 2u], q1 = w_vec4[blk * 2u + 1u];
          [[unroll]] for (uint j = 0u; j < 4u; j++)
            s += dot (unpack_i8x4 (q0[j]), xv[j]) + dot (unpack_i8x4 (q1[j]), xv[4u + j]);
#endif
          sums[k] += s * uintBitsToFloat (w_words[W_PART_ROWS * nb * QV * 4u + blk]);
        }
    }
#else
  uint n_units = p.cols >> 3;
  for (uint u = 0u; u < n_units; u++)
    {
      uvec2 xs = unit_x_start (u) >> 2;
      vec4 xa = x4[xs.x], xb = x4[xs.y];
      [[unroll]] for (uint k = 0u; k < N_SUMS; k++)
        sums[k] += unit_dot (r[k], u, p.cols, xa, xb);
    }
#endif

  [[unroll]] for (uint k = 0u; k < NUM_ROWS; k++)
    if (first + k * WG < p.rows)
      {
#ifdef GLU
        float g = sums[k];
        y[p.y_offset + first + k * WG] = g / (1.0 + exp (-g)) * sums[NUM_ROWS + k];
#else
        y[p.y_offset + first + k * WG] = sums[k];
#endif
      }
}
