/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model's insides, shared by the loader and the forward passes.
 */
#pragma once

#include "ember-model.h"
#include "ember-private.h"

/* The largest head size the loader accepts; the forward pass keeps one
 * head on the stack. */
#define EMBER_MAX_HEAD_DIM 4096

/* A matrix in its stored type: rows of `cols` elements, `rows` of them. */
typedef struct {
  const ember_gguf_tensor *tensor;
  const uint8_t *data;
  uint64_t rows;
  uint64_t cols;
  uint64_t row_bytes;
} ember_matrix;

typedef struct {
  float *attn_norm;         /* n_embd */
  ember_matrix wq, wk, wv, wo;
  float *bq, *bk, *bv;      /* qwen2, else NULL */
  float *q_norm, *k_norm;   /* qwen3 (head_dim), else NULL */
  float *ffn_norm;          /* n_embd */
  ember_matrix w_gate, w_up, w_down;
} ember_layer;

/* cos and sin of each rotated pair of a head at position @pos, interleaved
 * (rope_dims floats), as ggml computes them: theta advanced by a constant
 * factor per pair, in float, with linear scaling and rope_freqs. The CPU
 * forward pass and the Vulkan backend both rotate with this table. */
void ember_rope_table (const ember_model *model,
                       uint32_t           pos,
                       float             *table);

struct ember_model {
  ember_gguf *gguf;
  ember_hparams hp;
  ember_matrix tok_embd;    /* n_vocab rows of n_embd */
  ember_matrix output;      /* = tok_embd when tied */
  float *output_norm;       /* n_embd */
  float *rope_freqs;        /* llama3-style per-dimension factors (rope_dims / 2), or NULL */
  ember_layer *layers;
  /* the small 1-D tensors (norms, biases) as float, owned here */
  float **owned;
  uint32_t n_owned;
};
