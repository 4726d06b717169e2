// SPDX-License-Identifier: GPL-3.0-or-later
//
// x = row p.row of a token embedding part, dequantized to f32 as the CPU
// does (d * q in float): one invocation per element.
// Variants: TYPE_F32, TYPE_F16, TYPE_Q8_0, TYPE_Q4_0.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 1) writeonly buffer X { float x[]; };

layout(push_constant) uniform Params {
  uint row;
  uint cols;
  uint row_bytes;
} p;

#include "words.glsl"

float elem (uint base, uint k)
{
#if defined(TYPE_F32)
  return uintBitsToFloat (w_words[(base >> 2) + k]);
#elif defined(TYPE_F16)
  return w_f16 (base + k * 2u);
#elif defined(TYPE_Q8_0)
  uint block = base + (k / 32u) * 34u;
  uint b = block + 2u + (k % 32u);
  uint word = w_words[b >> 2];
  int q = int (word << (24u - 8u * (b & 3u))) >> 24;
  return w_f16 (block) * float (q);
#elif defined(TYPE_Q4_0)
  uint block = base + (k / 32u) * 18u;
  uint j = k % 32u;
  uint b = block + 2u + (j % 16u);
  uint byte_ = (w_words[b >> 2] >> (8u * (b & 3u))) & 0xffu;
  uint nib = j < 16u ? (byte_ & 0xfu) : (byte_ >> 4);
  return w_f16 (block) * float (int (nib) - 8);
#endif
}

void main ()
{
  uint i = gl_GlobalInvocationID.x;
  if (i < p.cols)
    x[i] = elem (p.row * p.row_bytes, i);
}
