// SPDX-License-Identifier: GPL-3.0-or-later
//
// gate = silu(gate) * up, in place, for p.n elements.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer G { float g[]; };
layout(std430, set = 0, binding = 1) readonly buffer U { float u[]; };

layout(push_constant) uniform Params { uint n; } p;

void main ()
{
  uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
  if (i < p.n)
    {
      float x = g[i];
      g[i] = x / (1.0 + exp (-x)) * u[i];
    }
}
