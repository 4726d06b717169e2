// SPDX-License-Identifier: GPL-3.0-or-later
//
// Decode attention for one token: one workgroup per query head, over the
// p.n_pos cached positions of its KV head (grouped-query: head h reads KV
// head h / (n_head / n_head_kv)). Scores go to a scratch row of p.n_ctx
// floats per head; softmax subtracts the maximum before exp (stable), then
// out = Σ softmax_j v_j.
// A prompt batch has a row of workgroups per token (gl_WorkGroupID.y = t):
// token t sees p.n_pos + t positions (causal), reads its q at
// t * p.q_stride, writes its output at t * n_head * head_dim and its scores
// in row t * n_head + h.
// Specialization constant 0: the workgroup width (a power of two).
#version 450

layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Q { float q[]; };
layout(std430, set = 0, binding = 1) readonly buffer K { float k_cache[]; };
layout(std430, set = 0, binding = 2) readonly buffer V { float v_cache[]; };
layout(std430, set = 0, binding = 3) coherent buffer S { float scores[]; };
layout(std430, set = 0, binding = 4) writeonly buffer O { float o[]; };

layout(push_constant) uniform Params {
  uint n_head;
  uint n_head_kv;
  uint head_dim;
  uint n_pos;
  uint n_ctx;
  float scale;
  uint q_stride;
} p;

shared float red[WG];

void main ()
{
  uint h = gl_WorkGroupID.x;
  uint tok = gl_WorkGroupID.y;
  uint tid = gl_LocalInvocationID.x;
  uint kvh = h / (p.n_head / p.n_head_kv);
  uint kv_dim = p.n_head_kv * p.head_dim;
  uint qb = tok * p.q_stride + h * p.head_dim;
  uint ob = (tok * p.n_head + h) * p.head_dim;
  uint kb = kvh * p.head_dim;
  uint sb = (tok * p.n_head + h) * p.n_ctx;
  uint n_pos = p.n_pos + tok;

  float mx = -1.0 / 0.0;
  for (uint j = tid; j < n_pos; j += WG)
    {
      uint row = j * kv_dim + kb;
      float s = 0.0;
      for (uint d = 0u; d < p.head_dim; d++)
        s += q[qb + d] * k_cache[row + d];
      s *= p.scale;
      scores[sb + j] = s;
      mx = max (mx, s);
    }
  red[tid] = mx;
  barrier ();
  for (uint w = WG / 2u; w > 0u; w /= 2u)
    {
      if (tid < w)
        red[tid] = max (red[tid], red[tid + w]);
      barrier ();
    }
  mx = red[0];
  barrier ();

  float sum = 0.0;
  for (uint j = tid; j < n_pos; j += WG)
    {
      float e = exp (scores[sb + j] - mx);
      scores[sb + j] = e;
      sum += e;
    }
  red[tid] = sum;
  memoryBarrierBuffer ();
  barrier ();
  for (uint w = WG / 2u; w > 0u; w /= 2u)
    {
      if (tid < w)
        red[tid] += red[tid + w];
      barrier ();
    }
  float total = red[0];

  for (uint d = tid; d < p.head_dim; d += WG)
    {
      float acc = 0.0;
      for (uint j = 0u; j < n_pos; j++)
        acc += scores[sb + j] * v_cache[j * kv_dim + kb + d];
      o[ob + d] = acc / total;
    }
}
