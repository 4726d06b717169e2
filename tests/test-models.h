/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generated model fixtures: GGUF files with real shapes, random weights
 * (deterministic for a seed) quantized to any tensor type, a working
 * vocabulary and a chat template, for the llama, qwen2 and qwen3
 * architectures. Used by the tests and by tests/make-test-model (benchmarks).
 */
#pragma once

#include "ember.h"

typedef struct
{
  const char *arch;          /* "llama", "qwen2" or "qwen3" */
  const char *name;          /* general.name */
  uint32_t n_embd;
  uint32_t n_layer;
  uint32_t n_head;
  uint32_t n_head_kv;
  uint32_t head_dim;         /* 0: n_embd / n_head (qwen3 writes key_length) */
  uint32_t n_ff;
  uint32_t n_vocab;          /* at least 259 (bytes and specials) */
  uint32_t n_ctx;
  bool tied_embeddings;      /* no output.weight */
  uint32_t rope_dims;        /* 0: the whole head */
  float rope_linear_factor;  /* 0: no scaling; else rope.scaling.type "linear" */
  bool rope_freqs;           /* a llama3-style rope_freqs.weight tensor */
  ember_type weight_type;    /* matrices; norms and biases stay F32 */
  uint64_t seed;
} hearth_test_model;

/* Fills @m with a preset: "tiny" (64 wide, 2 layers), "smollm2-135m"
 * (576 wide, 30 layers, 9 heads, 3 KV heads, FFN 1536, vocabulary 49152,
 * tied), "qwen2-0.5b" (896 wide, 24 layers, 14/2 heads, FFN 4864,
 * vocabulary 151936, tied), "qwen2-1.5b" (1536 wide, 28 layers, 12/2 heads,
 * FFN 8960, vocabulary 151936, tied), "qwen3-0.6b" (1024 wide, 28 layers, 16/8 heads,
 * head 128, FFN 3072, vocabulary 151936, tied). False for an unknown name. */
bool hearth_test_model_preset (hearth_test_model *m,
                               const char        *preset);

/* The type a matrix with rows of @row_length gets when @wanted does not
 * divide it into whole blocks (as llama.cpp's quantizer falls back):
 * Q8_0 if 32 divides it, else F16. */
ember_type hearth_test_model_row_type (ember_type wanted,
                                       uint64_t   row_length);

/* Writes the model to @path. */
ember_status hearth_test_model_write (const hearth_test_model *m,
                                      const char              *path,
                                      ember_error             *error);

/* The F32 values of tensor @name before quantization (n elements), made
 * again from the seed: for comparing with the stored tensor. */
float *hearth_test_model_tensor_values (const hearth_test_model *m,
                                        const char              *name,
                                        uint64_t                 n);
