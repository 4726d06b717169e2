// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = x / sqrt(mean(x²) + eps) * w, one workgroup per row of p.n elements:
// the sum of squares is added across the workgroup with subgroup arithmetic
// (USE_SUBGROUP) or a shared-memory tree, then every invocation scales its
// elements. Specialization constant 0: the workgroup width (a power of two).
#version 450
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 0) const uint WG = 32;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer W { float w[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint n;
  uint rows;
  float eps;
} p;

shared float partial[WG];

void main ()
{
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint tid = gl_LocalInvocationID.x;

  if (row >= p.rows)
    return;

  uint base = row * p.n;
  float sum = 0.0;

  for (uint i = tid; i < p.n; i += WG)
    {
      float v = x[base + i];
      sum += v * v;
    }

#ifdef USE_SUBGROUP
  sum = subgroupAdd (sum);
  if (subgroupElect ())
    partial[gl_SubgroupID] = sum;
  barrier ();
  sum = 0.0;
  for (uint s = 0u; s < gl_NumSubgroups; s++)
    sum += partial[s];
#else
  partial[tid] = sum;
  barrier ();
  for (uint half_width = WG / 2u; half_width > 0u; half_width /= 2u)
    {
      if (tid < half_width)
        partial[tid] += partial[tid + half_width];
      barrier ();
    }
  sum = partial[0];
#endif

  float scale = 1.0 / sqrt (sum / float (p.n) + p.eps);
  for (uint i = tid; i < p.n; i += WG)
    y[base + i] = x[base + i] * scale * w[i];
}
