// SPDX-License-Identifier: GPL-3.0-or-later
//
// Y = W·X for a batch of prompt tokens: X holds p.n_tokens rows of x
// (p.x_stride floats apart), Y gets row t of the result at
// y[t * p.y_stride + p.y_offset + r]. As in matvec-rows.comp each invocation
// computes its own outputs with no reduction: NUM_ROWS rows of W for
// NUM_TOK tokens, so that each weight block it loads serves NUM_TOK tokens
// and each x block NUM_ROWS rows.
//
// Workgroup (i, j): rows i * WG * NUM_ROWS + lane + k * WG, tokens
// j * NUM_TOK … j * NUM_TOK + NUM_TOK - 1. cols and x_stride are multiples
// of 8 and 4.
//
// Variants: every TYPE_* of dequant.glsl; GLU as in matvec-rows.comp.
// Specialization: 0 the workgroup width, 1 rows and 2 tokens per invocation.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require

layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint NUM_ROWS = 16;
layout(constant_id = 2) const uint NUM_TOK = 16;
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
  uint n_tokens;
  uint x_stride;
  uint y_stride;
} p;

#define W_ROW_BYTES p.row_bytes
#ifdef GLU
#define W_PART_ROWS (2u * p.rows)
#define N_W (2u * NUM_ROWS)
#else
#define W_PART_ROWS p.rows
#define N_W NUM_ROWS
#endif
#include "words.glsl"
#include "dequant.glsl"

void main ()
{
  uint first = gl_WorkGroupID.x * WG * NUM_ROWS + gl_LocalInvocationID.x;
  uint first_tok = gl_WorkGroupID.y * NUM_TOK;
  uint r[N_W];
  uint xb[NUM_TOK];
  float sums[N_W * NUM_TOK];

  // Rows and tokens past the end compute the last one again and write
  // nothing: no branch inside the loop.
  [[unroll]] for (uint k = 0u; k < NUM_ROWS; k++)
    {
      r[k] = min (first + k * WG, p.rows - 1u);
#ifdef GLU
      r[NUM_ROWS + k] = r[k] + p.rows;
#endif
    }
  [[unroll]] for (uint t = 0u; t < NUM_TOK; t++)
    xb[t] = min (first_tok + t, p.n_tokens - 1u) * (p.x_stride >> 2);
  [[unroll]] for (uint i = 0u; i < N_W * NUM_TOK; i++)
    sums[i] = 0.0;

#if defined(PACKED_TYPE)
  // per block: every row's 32 weights dequantized once (8 vec4 each, in x's
  // order), then each token's 32 x values loaded once for all the rows
  uint nb = p.cols >> 5;
  for (uint b = 0u; b < nb; b++)
    {
      vec4 w[N_W * 8u];
      [[unroll]] for (uint k = 0u; k < N_W; k++)
        {
          uint blk = r[k] * nb + b;
          float d = uintBitsToFloat (w_words[W_PART_ROWS * nb * QV * 4u + blk]);
#if defined(TYPE_Q4_0)
          uvec4 q = w_vec4[blk];
          [[unroll]] for (uint j = 0u; j < 4u; j++)
            {
              uint v = q[j];
              w[k * 8u + j] = (vec4 (uvec4 (v, v >> 8, v >> 16, v >> 24) & 0xfu) - 8.0) * d;
              w[k * 8u + 4u + j] = (vec4 (uvec4 (v >> 4, v >> 12, v >> 20, v >> 28) & 0xfu) - 8.0) * d;
            }
#else
          uvec4 q0 = w_vec4[blk * 2u], q1 = w_vec4[blk * 2u + 1u];
          [[unroll]] for (uint j = 0u; j < 4u; j++)
            {
              w[k * 8u + j] = unpack_i8x4 (q0[j]) * d;
              w[k * 8u + 4u + j] = unpack_i8x4 (q1[j]) * d;
            }
#endif
        }
      [[unroll]] for (uint t = 0u; t < NUM_TOK; t++)
        {
          vec4 xv[8];
          [[unroll]] for (uint j = 0u; j < 8u; j++)
            xv[j] = x4[xb[t] + b * 8u + j];
          [[unroll]] for (uint k = 0u; k < N_W; k++)
            {
              float s = 0.0;
              [[unroll]] for (uint j = 0u; j < 8u; j++)
                s += dot (w[k * 8u + j], xv[j]);
              sums[k * NUM_TOK + t] += s;
            }
        }
    }
#else
  uint n_units = p.cols >> 3;
  for (uint u = 0u; u < n_units; u++)
    {
      uvec2 xs = unit_x_start (u) >> 2;
      vec4 wa[N_W], wb[N_W];
      [[unroll]] for (uint k = 0u; k < N_W; k++)
        unit_weights (r[k], u, p.cols, wa[k], wb[k]);
      [[unroll]] for (uint t = 0u; t < NUM_TOK; t++)
        {
          vec4 xa = x4[xb[t] + xs.x], xc = x4[xb[t] + xs.y];
          [[unroll]] for (uint k = 0u; k < N_W; k++)
            sums[k * NUM_TOK + t] += dot (wa[k], xa) + dot (wb[k], xc);
        }
    }
#endif

  [[unroll]] for (uint t = 0u; t < NUM_TOK; t++)
    [[unroll]] for (uint k = 0u; k < NUM_ROWS; k++)
      if (first + k * WG < p.rows && first_tok + t < p.n_tokens)
        {
          uint o = (first_tok + t) * p.y_stride + p.y_offset + first + k * WG;
#ifdef GLU
          float g = sums[k * NUM_TOK + t];
          y[o] = g / (1.0 + exp (-g)) * sums[(NUM_ROWS + k) * NUM_TOK + t];
#else
          y[o] = sums[k * NUM_TOK + t];
#endif
        }
}
