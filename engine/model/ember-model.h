/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model ready for inference: its hyperparameters validated and every
 * weight tensor found, shaped and typed as the architecture needs. Weights
 * stay in the GGUF mapping, in their stored type. A loaded model is
 * read-only: several contexts (and threads) may share it.
 */
#pragma once

#include "ember-common.h"
#include "ember-gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EMBER_ARCH_LLAMA,   /* Llama 1/2/3, Mistral, SmolLM, TinyLlama */
  EMBER_ARCH_QWEN2,   /* q/k/v biases, NeoX RoPE */
  EMBER_ARCH_QWEN3,   /* per-head q/k RMS norm, key_length, NeoX RoPE */
} ember_arch;

typedef enum {
  EMBER_ROPE_NORMAL,  /* adjacent pairs (2i, 2i+1) */
  EMBER_ROPE_NEOX,    /* pairs (i, i + n/2) */
} ember_rope_style;

typedef struct {
  ember_arch arch;
  uint32_t n_vocab;
  uint32_t n_ctx_train;
  uint32_t n_embd;
  uint32_t n_layer;
  uint32_t n_head;
  uint32_t n_head_kv;
  uint32_t head_dim;        /* key_length */
  uint32_t n_ff;
  float rms_eps;
  uint32_t rope_dims;       /* rotated dimensions of each head */
  float rope_freq_base;
  float rope_freq_scale;    /* 1 / linear scaling factor */
  ember_rope_style rope_style;
} ember_hparams;

typedef struct ember_model ember_model;

/* Opens @path and checks that it is a model Hearth can run: a supported
 * architecture, consistent hyperparameters, every tensor present with the
 * right shape. The messages name what is wrong. */
ember_status ember_model_load (const char   *path,
                               ember_model **out,
                               ember_error  *error);

/* The same on an opened file; the model takes ownership of @gguf, also on
 * failure. */
ember_status ember_model_load_gguf (ember_gguf   *gguf,
                                    ember_model **out,
                                    ember_error  *error);

void ember_model_free (ember_model *model);

const ember_hparams *ember_model_get_hparams (const ember_model *model);
const ember_gguf *ember_model_get_gguf (const ember_model *model);

/* A static name for @arch ("qwen2"). */
const char *ember_arch_to_string (ember_arch arch);

/* The id of the largest of @n logits (a model's output), the lowest id on
 * ties (and 0 where the first is NaN): ember_sampler_sample ()'s greedy
 * choice with no penalty. */
int32_t ember_logits_argmax (const float *logits,
                             uint32_t     n);

#ifdef __cplusplus
}
#endif
