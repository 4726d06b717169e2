/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-model-info.h"
#include "ember-private.h"

const char *
ember_file_type_to_string (uint64_t ftype)
{
  /* llama.cpp's llama_ftype, the value of general.file_type. */
  static const char *const names[] = {
    [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [4] = "Q4_1_F16",
    [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S",
    [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S",
    [17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S",
    [22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S",
    [27] = "IQ3_M", [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M",
    [32] = "BF16", [36] = "TQ1_0", [37] = "TQ2_0", [38] = "MXFP4",
  };

  if (ftype < sizeof names / sizeof names[0])
    return names[ftype];
  return NULL;
}

/* "{arch}.{suffix}" */
static bool
get_arch_uint (const ember_gguf *gguf,
               const char       *arch,
               const char       *suffix,
               uint64_t         *value)
{
  char key[256];

  snprintf (key, sizeof key, "%s.%s", arch, suffix);
  return ember_gguf_get_uint (gguf, key, value);
}

static bool
get_arch_float (const ember_gguf *gguf,
                const char       *arch,
                const char       *suffix,
                double           *value)
{
  char key[256];

  snprintf (key, sizeof key, "%s.%s", arch, suffix);
  return ember_gguf_get_float (gguf, key, value);
}

static void
format_parameter_label (uint64_t n,
                        char     label[16])
{
  if (n >= 1000000000ull)
    snprintf (label, 16, "%.2fB", (double) n / 1e9);
  else if (n >= 1000000ull)
    snprintf (label, 16, "%.2fM", (double) n / 1e6);
  else if (n >= 1000ull)
    snprintf (label, 16, "%.2fK", (double) n / 1e3);
  else
    snprintf (label, 16, "%llu", (unsigned long long) n);
}

static int
compare_usage (const void *a,
               const void *b)
{
  const ember_model_type_usage *ua = a, *ub = b;

  if (ua->elements != ub->elements)
    return ua->elements > ub->elements ? -1 : 1;
  return (int) ua->type->type - (int) ub->type->type;
}

static void
count_tensors (const ember_gguf *gguf,
               ember_model_info *info)
{
  for (uint64_t i = 0; i < ember_gguf_get_n_tensors (gguf); i++)
    {
      const ember_gguf_tensor *t = ember_gguf_get_tensor (gguf, i);
      ember_model_type_usage *u = NULL;

      info->parameter_count += t->n_elements;
      info->tensor_bytes += t->size;
      for (uint32_t k = 0; k < info->n_types; k++)
        if (info->types[k].type == t->type)
          u = &info->types[k];
      if (u == NULL && info->n_types < EMBER_MODEL_INFO_MAX_TYPES)
        {
          u = &info->types[info->n_types++];
          u->type = t->type;
        }
      if (u != NULL)
        {
          u->tensors++;
          u->elements += t->n_elements;
          u->bytes += t->size;
        }
    }
  qsort (info->types, info->n_types, sizeof info->types[0], compare_usage);
}

/* The file type: llama.cpp's label when the file has one, else the type that
 * holds most of the matrices' elements. */
static void
derive_file_type (const ember_gguf *gguf,
                  ember_model_info *info)
{
  uint64_t ftype;
  const char *name = NULL;

  if (ember_gguf_get_uint (gguf, "general.file_type", &ftype))
    name = ember_file_type_to_string (ftype);

  if (name == NULL)
    {
      /* Matrices only: norms and biases stay F32 in every quantization. */
      uint64_t matrix_elements[64] = { 0 };
      uint64_t best = 0;

      for (uint64_t i = 0; i < ember_gguf_get_n_tensors (gguf); i++)
        {
          const ember_gguf_tensor *t = ember_gguf_get_tensor (gguf, i);

          if (t->n_dims >= 2 && (uint32_t) t->type->type < 64)
            matrix_elements[t->type->type] += t->n_elements;
        }
      for (uint32_t id = 0; id < 64; id++)
        if (matrix_elements[id] > best)
          {
            best = matrix_elements[id];
            name = ember_type_get_info (id)->name;
          }
    }
  snprintf (info->file_type, sizeof info->file_type, "%s", name != NULL ? name : "unknown");
}

ember_status
ember_model_info_from_gguf (const ember_gguf *gguf,
                            ember_model_info *info,
                            ember_error      *error)
{
  const char *arch;
  const ember_gguf_value *tokens;
  const char *size_label;

  if (gguf == NULL || info == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_model_info_from_gguf: missing argument");
  memset (info, 0, sizeof *info);

  arch = ember_gguf_get_string (gguf, "general.architecture", NULL);
  if (arch == NULL || arch[0] == '\0')
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the file has no general.architecture: it is not a model");

  info->architecture = arch;
  info->name = ember_gguf_get_string (gguf, "general.name", NULL);
  info->license = ember_gguf_get_string (gguf, "general.license", NULL);
  info->chat_template = ember_gguf_get_string (gguf, "tokenizer.chat_template", NULL);
  info->tokenizer_model = ember_gguf_get_string (gguf, "tokenizer.ggml.model", NULL);
  tokens = ember_gguf_get_array (gguf, "tokenizer.ggml.tokens");
  if (tokens != NULL)
    info->vocab_size = tokens->array.count;

  count_tensors (gguf, info);
  derive_file_type (gguf, info);
  size_label = ember_gguf_get_string (gguf, "general.size_label", NULL);
  if (size_label != NULL && size_label[0] != '\0' && strlen (size_label) < sizeof info->parameter_label)
    snprintf (info->parameter_label, sizeof info->parameter_label, "%s", size_label);
  else
    format_parameter_label (info->parameter_count, info->parameter_label);

  get_arch_uint (gguf, arch, "context_length", &info->context_length);
  get_arch_uint (gguf, arch, "embedding_length", &info->embedding_length);
  get_arch_uint (gguf, arch, "block_count", &info->block_count);
  get_arch_uint (gguf, arch, "feed_forward_length", &info->feed_forward_length);
  get_arch_uint (gguf, arch, "attention.head_count", &info->head_count);
  if (!get_arch_uint (gguf, arch, "attention.head_count_kv", &info->head_count_kv))
    info->head_count_kv = info->head_count;
  if (!get_arch_uint (gguf, arch, "attention.key_length", &info->key_length) && info->head_count > 0)
    info->key_length = info->embedding_length / info->head_count;
  if (!get_arch_uint (gguf, arch, "attention.value_length", &info->value_length))
    info->value_length = info->key_length;
  get_arch_float (gguf, arch, "attention.layer_norm_rms_epsilon", &info->rms_epsilon);

  get_arch_uint (gguf, arch, "rope.dimension_count", &info->rope_dimension_count);
  if (!get_arch_float (gguf, arch, "rope.freq_base", &info->rope_freq_base))
    {
      info->rope_freq_base = 10000.0;
      info->rope_freq_base_default = true;
    }
  {
    char key[256];

    snprintf (key, sizeof key, "%s.rope.scaling.type", arch);
    info->rope_scaling_type = ember_gguf_get_string (gguf, key, NULL);
  }
  get_arch_float (gguf, arch, "rope.scaling.factor", &info->rope_scaling_factor);
  get_arch_uint (gguf, arch, "rope.scaling.original_context_length",
                 &info->rope_original_context_length);

  return EMBER_OK;
}
