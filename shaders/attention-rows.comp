// SPDX-License-Identifier: GPL-3.0-or-later
//
// Attention for CPU devices (lavapipe), split over the sequence with a final
// combine: one workgroup per KV head and token, all GROUP query heads that
// share the KV head (grouped-query attention) together, so that each key and
// value row is loaded once for all of them, as vec4. Invocation i takes
// positions i, i + WG, …: it keeps, per query head, the running maximum of
// its scores, the sum of their exponentials and the weighted sum of values
// (softmax computed online, rescaled when the maximum grows); the
// workgroup then combines the WG partial results through shared memory.
//
// The same buffers and push constants as attention.comp (the score buffer is
// not used): a prompt batch has a row of workgroups per token
// (gl_WorkGroupID.y = t), token t sees p.n_pos + t positions.
// Specialization: 0 the workgroup width, 1 GROUP (n_head / n_head_kv),
// 2 HD4 (head_dim / 4).
#version 450
#extension GL_EXT_control_flow_attributes : enable

layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint GROUP = 1;
layout(constant_id = 2) const uint HD4 = 16;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Q { vec4 q4[]; };
layout(std430, set = 0, binding = 1) readonly buffer K { vec4 k4[]; };
layout(std430, set = 0, binding = 2) readonly buffer V { vec4 v4[]; };
layout(std430, set = 0, binding = 3) buffer S { float scores[]; };
layout(std430, set = 0, binding = 4) writeonly buffer O { vec4 o4[]; };

layout(push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;
  uint n_pos;
  uint n_ctx;
  float scale;
  uint q_stride;
} p;

shared float s_max[WG * GROUP];
shared float s_sum[WG * GROUP];
shared vec4 s_acc[WG * GROUP * HD4];

void main ()
{
  uint kvh = gl_WorkGroupID.x;
  uint tok = gl_WorkGroupID.y;
  uint tid = gl_LocalInvocationID.x;
  uint kv4 = p.n_head_kv * HD4;            // a cache row, in vec4
  uint n_pos = p.n_pos + tok;
  uint h0 = kvh * GROUP;                   // the first query head

  vec4 q[GROUP * HD4];
  vec4 acc[GROUP * HD4];
  float m[GROUP], l[GROUP];

  [[unroll]] for (uint g = 0u; g < GROUP; g++)
    {
      m[g] = -1.0 / 0.0;
      l[g] = 0.0;
      for (uint d = 0u; d < HD4; d++)
        {
          q[g * HD4 + d] = q4[(tok * p.q_stride >> 2) + (h0 + g) * HD4 + d];
          acc[g * HD4 + d] = vec4 (0.0);
        }
    }

  for (uint j = tid; j < n_pos; j += WG)
    {
      uint row = j * kv4 + kvh * HD4;
      float s[GROUP];
      [[unroll]] for (uint g = 0u; g < GROUP; g++)
        s[g] = 0.0;
      for (uint d = 0u; d < HD4; d++)
        {
          vec4 k = k4[row + d];
          [[unroll]] for (uint g = 0u; g < GROUP; g++)
            s[g] += dot (q[g * HD4 + d], k);
        }
      float w[GROUP];
      [[unroll]] for (uint g = 0u; g < GROUP; g++)
        {
          s[g] *= p.scale;
          float mx = max (m[g], s[g]);
          float c = exp (m[g] - mx);
          w[g] = exp (s[g] - mx);
          l[g] = l[g] * c + w[g];
          m[g] = mx;
          for (uint d = 0u; d < HD4; d++)
            acc[g * HD4 + d] *= c;
        }
      for (uint d = 0u; d < HD4; d++)
        {
          vec4 v = v4[row + d];
          [[unroll]] for (uint g = 0u; g < GROUP; g++)
            acc[g * HD4 + d] += w[g] * v;
        }
    }

  // combine: invocation i's maximum, sum and values per head
  [[unroll]] for (uint g = 0u; g < GROUP; g++)
    {
      s_max[g * WG + tid] = m[g];
      s_sum[g * WG + tid] = l[g];
      for (uint d = 0u; d < HD4; d++)
        s_acc[(g * WG + tid) * HD4 + d] = acc[g * HD4 + d];
    }
  barrier ();
  // invocations share the GROUP * HD4 output vectors
  for (uint i = tid; i < GROUP * HD4; i += WG)
    {
      uint g = i / HD4, d = i % HD4;
      float mx = -1.0 / 0.0;
      for (uint t = 0u; t < WG; t++)
        mx = max (mx, s_max[g * WG + t]);
      float total = 0.0;
      vec4 out_v = vec4 (0.0);
      for (uint t = 0u; t < WG; t++)
        {
          // an invocation that saw no position has m = -inf: weight 0
          float f = s_sum[g * WG + t] > 0.0 ? exp (s_max[g * WG + t] - mx) : 0.0;
          total += s_sum[g * WG + t] * f;
          out_v += s_acc[(g * WG + t) * HD4 + d] * f;
        }
      o4[((tok * p.n_head + h0 + g) * HD4) + d] = out_v / total;
    }
}
