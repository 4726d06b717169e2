// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = W·x for one part of a weight tensor: W has p.rows rows of p.cols
// elements (p.row_bytes bytes each, ggml's block layout), x is f32, and row r
// goes to y[p.y_offset + r].
//
// A workgroup computes NUM_ROWS consecutive rows, so that a large matrix
// needs few workgroups and each x value is loaded once for all of them. Each
// invocation takes every WG-th 8-element unit of the rows and keeps one sum
// per row; the sums are then added across the workgroup with subgroup
// arithmetic (USE_SUBGROUP, one barrier) or a shared-memory tree.
//
// Variants: every TYPE_* of dequant.glsl; USE_SUBGROUP or not;
// SWIGLU: x is silu(g) * u of a gate vector g = x[0 … cols) and an up
// vector u = x[p.up_offset …) (the feed-forward's down projection, with the
// SwiGLU fused into its load of x).
// Specialization: constant 0 the workgroup width (a power of two), 1 the
// rows per workgroup.
#version 450
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 0) const uint WG = 32;
layout(constant_id = 1) const uint NUM_ROWS = 4;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint rows;
  uint cols;
  uint row_bytes;
  uint y_offset;
#ifdef SWIGLU
  uint up_offset;
#endif
} p;

#define W_ROW_BYTES p.row_bytes
#define W_PART_ROWS p.rows
#include "words.glsl"
#include "dequant.glsl"

shared float partial[NUM_ROWS * WG];

#ifdef SWIGLU
float x_at (uint i)
{
  float g = x[i];
  return g / (1.0 + exp (-g)) * x[p.up_offset + i];
}
#else
#define x_at(i) x[i]
#endif

vec4 load_x4 (uint start)
{
  if (start + 4u <= p.cols)
    return vec4 (x_at (start), x_at (start + 1u), x_at (start + 2u), x_at (start + 3u));
  vec4 v = vec4 (0.0);
  for (uint j = 0u; j < 4u; j++)
    if (start + j < p.cols)
      v[j] = x_at (start + j);
  return v;
}

void main ()
{
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint first = group * NUM_ROWS;
  uint tid = gl_LocalInvocationID.x;

  // The whole workgroup leaves together: no barrier is left waiting.
  if (first >= p.rows)
    return;

  uint n_rows = min (NUM_ROWS, p.rows - first);
  uint n_units = (p.cols + 7u) / 8u;
  float sums[NUM_ROWS];

  [[unroll]] for (uint r = 0u; r < NUM_ROWS; r++)
    sums[r] = 0.0;

  for (uint u = tid; u < n_units; u += WG)
    {
      uvec2 xs = unit_x_start (u);
      vec4 xa = load_x4 (xs.x);
      vec4 xb = load_x4 (xs.y);

      [[unroll]] for (uint r = 0u; r < NUM_ROWS; r++)
        if (r < n_rows)
          sums[r] += unit_dot (first + r, u, p.cols, xa, xb);
    }

#ifdef USE_SUBGROUP
  [[unroll]] for (uint r = 0u; r < NUM_ROWS; r++)
    {
      float s = subgroupAdd (sums[r]);
      if (subgroupElect ())
        partial[gl_SubgroupID * NUM_ROWS + r] = s;
    }
  barrier ();
  if (tid < n_rows)
    {
      float total = 0.0;
      for (uint s = 0u; s < gl_NumSubgroups; s++)
        total += partial[s * NUM_ROWS + tid];
      y[p.y_offset + first + tid] = total;
    }
#else
  [[unroll]] for (uint r = 0u; r < NUM_ROWS; r++)
    partial[r * WG + tid] = sums[r];
  barrier ();
  for (uint half_width = WG / 2u; half_width > 0u; half_width /= 2u)
    {
      if (tid < half_width)
        [[unroll]] for (uint r = 0u; r < NUM_ROWS; r++)
          partial[r * WG + tid] += partial[r * WG + tid + half_width];
      barrier ();
    }
  if (tid < n_rows)
    y[p.y_offset + first + tid] = partial[tid * WG];
#endif
}
