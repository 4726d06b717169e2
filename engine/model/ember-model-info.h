/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model's description, from its GGUF metadata and tensor table: what
 * `hearth show` prints and the library lists. Lenient by design: a value
 * that is absent or of an unexpected kind is reported as unknown (0 or NULL),
 * not as an error; loading a model for inference validates strictly.
 */
#pragma once

#include "ember-common.h"
#include "ember-gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_MODEL_INFO_MAX_TYPES 16

typedef struct {
  const ember_type_info *type;
  uint64_t tensors;
  uint64_t elements;
  uint64_t bytes;
} ember_model_type_usage;

/* Strings point into the ember_gguf and live as long as it does. Numbers
 * are 0 when the file does not say. */
typedef struct {
  const char *architecture;     /* general.architecture (required) */
  const char *name;             /* general.name, or NULL */
  const char *license;          /* general.license, or NULL */
  const char *chat_template;    /* tokenizer.chat_template, or NULL */
  const char *tokenizer_model;  /* tokenizer.ggml.model, or NULL */
  uint64_t vocab_size;          /* length of tokenizer.ggml.tokens */

  uint64_t parameter_count;     /* elements of every tensor */
  char parameter_label[16];     /* general.size_label, else "292.80K", "134.52M", "7.24B" */
  char file_type[24];           /* "Q4_K_M" from general.file_type, else the dominant type */
  uint64_t tensor_bytes;

  uint64_t context_length;
  uint64_t embedding_length;
  uint64_t block_count;
  uint64_t feed_forward_length;
  uint64_t head_count;
  uint64_t head_count_kv;       /* = head_count when the file does not say */
  uint64_t key_length;          /* head size: embedding_length / head_count unless given */
  uint64_t value_length;
  double rms_epsilon;
  uint64_t rope_dimension_count;
  double rope_freq_base;        /* 10000 when the file does not say */
  bool rope_freq_base_default;
  const char *rope_scaling_type; /* "linear", "yarn" …, or NULL */
  double rope_scaling_factor;
  uint64_t rope_original_context_length;

  ember_model_type_usage types[EMBER_MODEL_INFO_MAX_TYPES]; /* by elements, largest first */
  uint32_t n_types;
} ember_model_info;

/* Fills @info from @gguf. Fails only when general.architecture is missing
 * (the file is not a model: a vocabulary-only file, say). */
ember_status ember_model_info_from_gguf (const ember_gguf *gguf,
                                         ember_model_info *info,
                                         ember_error      *error);

/* The name of llama.cpp's file type @ftype ("Q4_K_M"), or NULL. */
const char *ember_file_type_to_string (uint64_t ftype);

#ifdef __cplusplus
}
#endif
