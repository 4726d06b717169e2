// SPDX-License-Identifier: GPL-3.0-or-later
//
// The residual add fused with the next RMS norm, for row gl_WorkGroupID.x
// of p.n (one per token of a prompt batch):
//   if p.add != 0: x += t (written back)
//   y = x / sqrt(mean(x²) + eps) * w
// One workgroup per row; the sum of squares is added with a shared-memory
// tree.
// Specialization constant 0: the workgroup width (a power of two).
#version 450

layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer T { float t[]; };
layout(std430, set = 0, binding = 2) readonly buffer W { float w[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint n;
  uint add;
  float eps;
} p;

shared float partial[WG];

void main ()
{
  uint tid = gl_LocalInvocationID.x;
  uint o = gl_WorkGroupID.x * p.n;
  float sum = 0.0;

  // Each invocation reads back only the elements it wrote itself.
  for (uint i = o + tid; i < o + p.n; i += WG)
    {
      float v = x[i];
      if (p.add != 0u)
        {
          v += t[i];
          x[i] = v;
        }
      sum += v * v;
    }
  partial[tid] = sum;
  barrier ();
  for (uint half_width = WG / 2u; half_width > 0u; half_width /= 2u)
    {
      if (tid < half_width)
        partial[tid] += partial[tid + half_width];
      barrier ();
    }
  float scale = 1.0 / sqrt (partial[0] / float (p.n) + p.eps);
  for (uint i = tid; i < p.n; i += WG)
    y[o + i] = x[o + i] * scale * w[i];
}
