// SPDX-License-Identifier: GPL-3.0-or-later
//
// RoPE on q (in place) and k for one token, and k and v stored into the
// layer's KV cache at element offset p.cache_offset. The host computes the
// rotation of each pair (cos, sin in rope[2i], rope[2i+1]) as the CPU does,
// so both rotate by the very same values. Pair i of a head is (2i, 2i+1)
// for normal RoPE, (i, i + rope_dims/2) for NeoX; pairs past rope_dims/2
// are left as they are.
// q, k and v lie in one buffer (the fused QKV projection's output): q at 0,
// k at p.k_offset, v at p.v_offset.
// Invocations: n_head * head_dim/2 pairs of q, n_head_kv * head_dim/2 pairs
// of k, then kv_dim elements of v.
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer QKV { float qkv[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rope { float rope[]; };
layout(std430, set = 0, binding = 2) writeonly buffer KCache { float k_cache[]; };
layout(std430, set = 0, binding = 3) writeonly buffer VCache { float v_cache[]; };

layout(push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;
  uint rope_dims;
  uint neox;
  uint cache_offset;
  uint k_offset;
  uint v_offset;
} p;

void main ()
{
  uint g = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u + gl_GlobalInvocationID.x;
  uint half_dim = p.head_dim / 2u;
  uint q_pairs = p.n_head * half_dim;
  uint k_pairs = p.n_head_kv * half_dim;
  uint kv_dim = p.n_head_kv * p.head_dim;

  if (g >= q_pairs + k_pairs + kv_dim)
    return;
  if (g >= q_pairs + k_pairs)
    {
      uint e = g - q_pairs - k_pairs;
      v_cache[p.cache_offset + e] = qkv[p.v_offset + e];
      return;
    }

  bool is_q = g < q_pairs;
  uint slot = is_q ? g : g - q_pairs;
  uint head = slot / half_dim;
  uint i = slot % half_dim;
  uint base = head * p.head_dim;
  uint a, b;
  if (2u * i >= p.rope_dims)
    {
      // Not rotated: the pair (2i, 2i+1) past the rotated dimensions.
      a = 2u * i;
      b = a + 1u;
      if (!is_q)
        {
          k_cache[p.cache_offset + base + a] = qkv[p.k_offset + base + a];
          k_cache[p.cache_offset + base + b] = qkv[p.k_offset + base + b];
        }
      return;
    }
  if (p.neox != 0u)
    {
      a = i;
      b = i + p.rope_dims / 2u;
    }
  else
    {
      a = 2u * i;
      b = a + 1u;
    }
  float c = rope[2u * i], s = rope[2u * i + 1u];
  if (is_q)
    {
      float x0 = qkv[base + a], x1 = qkv[base + b];
      qkv[base + a] = x0 * c - x1 * s;
      qkv[base + b] = x0 * s + x1 * c;
    }
  else
    {
      float x0 = qkv[p.k_offset + base + a], x1 = qkv[p.k_offset + base + b];
      k_cache[p.cache_offset + base + a] = x0 * c - x1 * s;
      k_cache[p.cache_offset + base + b] = x0 * s + x1 * c;
    }
}
