// SPDX-License-Identifier: GPL-3.0-or-later
//
// out[i] = a[i] + b[i] for i < n: the smallest real kernel, used to prove that
// the shader pipeline (GLSL -> SPIR-V -> embedded -> dispatched) works end to end.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Params { uint n; } params;

void main ()
{
  uint i = gl_GlobalInvocationID.x;
  if (i < params.n)
    result[i] = a[i] + b[i];
}
