// SPDX-License-Identifier: GPL-3.0-or-later
//
// What happens to q, k and v between their projection and attention, for
// one token, in the CPU's order: the biases added (qwen2), each head of q
// and k RMS-normalised (qwen3), RoPE on q (in place) and k, and k and v
// stored into the layer's KV cache at element offset p.cache_offset.
//
// q, k and v lie in one buffer (the fused QKV projection's output): q at 0,
// k at p.k_offset, v at p.v_offset; the bias vector has the same layout.
// The host computes the rotation of each pair (cos, sin in rope[2i],
// rope[2i+1]) as the CPU does, so both rotate by the very same values. Pair
// i of a head is (2i, 2i+1) for normal RoPE, (i, i + rope_dims/2) for NeoX;
// pairs past rope_dims/2 are (2i, 2i+1), left as they are.
//
// One workgroup per head: n_head of q, then n_head_kv of k, then n_head_kv
// of v; in a prompt batch, row gl_WorkGroupID.y per token: token t's q, k, v
// at t * p.qkv_stride, its rotation at t * p.rope_stride, its cache slot one
// position after token t - 1's.
// Specialization constant 0: the workgroup width (a power of two).
#version 450

layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) coherent buffer QKV { float qkv[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rope { float rope[]; };
layout(std430, set = 0, binding = 2) writeonly buffer KCache { float k_cache[]; };
layout(std430, set = 0, binding = 3) writeonly buffer VCache { float v_cache[]; };
layout(std430, set = 0, binding = 4) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 5) readonly buffer QNorm { float q_norm[]; };
layout(std430, set = 0, binding = 6) readonly buffer KNorm { float k_norm[]; };

layout(push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;
  uint rope_dims;
  uint neox;
  uint cache_offset;
  uint k_offset;
  uint v_offset;
  uint flags;        // 1: add the biases; 2: normalise q and k heads
  float eps;
  uint qkv_stride;
  uint rope_stride;
} p;

shared float partial[WG];

void main ()
{
  uint head = gl_WorkGroupID.x;
  uint tid = gl_LocalInvocationID.x;
  uint tok = gl_WorkGroupID.y;
  uint tb = tok * p.qkv_stride;       // this token's q, k, v
  uint rb = tok * p.rope_stride;      // its rotation
  uint cache_offset = p.cache_offset + tok * p.n_head_kv * p.head_dim;
  bool has_bias = (p.flags & 1u) != 0u;
  bool has_norm = (p.flags & 2u) != 0u;

  // v: bias, then straight into the cache
  if (head >= p.n_head + p.n_head_kv)
    {
      uint base = (head - p.n_head - p.n_head_kv) * p.head_dim;
      for (uint d = tid; d < p.head_dim; d += WG)
        {
          float v = qkv[tb + p.v_offset + base + d];
          if (has_bias)
            v += bias[p.v_offset + base + d];
          v_cache[cache_offset + base + d] = v;
        }
      return;
    }

  bool is_q = head < p.n_head;
  uint base = is_q ? head * p.head_dim : p.k_offset + (head - p.n_head) * p.head_dim;

  // bias and head norm, in place; each invocation keeps to its own elements
  if (has_bias || has_norm)
    {
      float sum = 0.0;
      for (uint d = tid; d < p.head_dim; d += WG)
        {
          float v = qkv[tb + base + d];
          if (has_bias)
            v += bias[base + d];
          qkv[tb + base + d] = v;
          sum += v * v;
        }
      if (has_norm)
        {
          partial[tid] = sum;
          barrier ();
          for (uint w = WG / 2u; w > 0u; w /= 2u)
            {
              if (tid < w)
                partial[tid] += partial[tid + w];
              barrier ();
            }
          float scale = 1.0 / sqrt (partial[0] / float (p.head_dim) + p.eps);
          for (uint d = tid; d < p.head_dim; d += WG)
            qkv[tb + base + d] = qkv[tb + base + d] * scale * (is_q ? q_norm[d] : k_norm[d]);
        }
      memoryBarrierBuffer ();
      barrier ();
    }

  // RoPE over pairs
  uint k_base = (head - p.n_head) * p.head_dim;
  for (uint i = tid; i < p.head_dim / 2u; i += WG)
    {
      uint a, b;
      bool rotate = 2u * i < p.rope_dims;
      if (rotate && p.neox != 0u)
        {
          a = i;
          b = i + p.rope_dims / 2u;
        }
      else
        {
          a = 2u * i;
          b = a + 1u;
        }
      float x0 = qkv[tb + base + a], x1 = qkv[tb + base + b];
      float y0 = x0, y1 = x1;
      if (rotate)
        {
          float c = rope[rb + 2u * i], s = rope[rb + 2u * i + 1u];
          y0 = x0 * c - x1 * s;
          y1 = x0 * s + x1 * c;
        }
      if (is_q)
        {
          // all reads of this head are done by the invocation that writes
          // the same pair: no other invocation touches elements a and b
          qkv[tb + base + a] = y0;
          qkv[tb + base + b] = y1;
        }
      else
        {
          k_cache[cache_offset + k_base + a] = y0;
          k_cache[cache_offset + k_base + b] = y1;
        }
    }
}
