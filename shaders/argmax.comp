// SPDX-License-Identifier: GPL-3.0-or-later
//
// Greedy decoding on the device: the largest of p.n logits, so that only a
// few words are read back instead of every logit. Workgroup g scans logits
// [g * p.chunk, (g + 1) * p.chunk) and writes its largest value and the
// lowest index holding it to out[2g], out[2g + 1] (index p.n where it saw
// only NaN or -inf); the host picks among the groups, the first on ties, as
// ember_sample_greedy () does. out[2 * groups] is logits[0]'s bits, for the
// CPU's rule that a NaN first logit wins.
// Specialization constant 0: the workgroup width (a power of two).
#version 450

layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Logits { float logits[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint out_words[]; };

layout(push_constant) uniform Params {
  uint n;
  uint chunk;
} p;

shared float s_val[WG];
shared uint s_idx[WG];

void main ()
{
  uint g = gl_WorkGroupID.x;
  uint tid = gl_LocalInvocationID.x;
  uint start = g * p.chunk;
  uint end = min (p.n, start + p.chunk);
  float best = -1.0 / 0.0;
  uint best_i = p.n;

  for (uint i = start + tid; i < end; i += WG)
    {
      float v = logits[i];
      if (v > best)
        {
          best = v;
          best_i = i;
        }
    }
  s_val[tid] = best;
  s_idx[tid] = best_i;
  barrier ();
  for (uint w = WG / 2u; w > 0u; w /= 2u)
    {
      if (tid < w)
        {
          float v = s_val[tid + w];
          uint i = s_idx[tid + w];
          if (v > s_val[tid] || (v == s_val[tid] && i < s_idx[tid]))
            {
              s_val[tid] = v;
              s_idx[tid] = i;
            }
        }
      barrier ();
    }
  if (tid == 0u)
    {
      out_words[2u * g] = floatBitsToUint (s_val[0]);
      out_words[2u * g + 1u] = s_idx[0];
      if (g == 0u)
        out_words[2u * gl_NumWorkGroups.x] = floatBitsToUint (logits[0]);
    }
}
