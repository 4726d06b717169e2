/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading a model: the hyperparameters from the metadata, validated against
 * each other and against the tensors, which must all be present with the
 * shapes the architecture implies. Nothing is trusted that was not checked
 * here: the forward passes index weights without further checks.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-model-private.h"
#include "ember-quant.h"

#define MAX_LAYERS 4096
#define MAX_DIM (1u << 20)

const char *
ember_arch_to_string (ember_arch arch)
{
  switch (arch)
    {
    case EMBER_ARCH_LLAMA:
      return "llama";
    case EMBER_ARCH_QWEN2:
      return "qwen2";
    case EMBER_ARCH_QWEN3:
      return "qwen3";
    default:
      return "unknown";
    }
}

typedef struct {
  ember_model *model;
  const char *arch;
  ember_error *error;
} loader;

/* A required "{arch}.{suffix}" count in 1..MAX_DIM (or @max). */
static bool
get_count (loader     *l,
           const char *suffix,
           bool        required,
           uint32_t    fallback,
           uint32_t    max,
           uint32_t   *value)
{
  char key[128];
  uint64_t v;

  snprintf (key, sizeof key, "%s.%s", l->arch, suffix);
  if (!ember_gguf_get_uint (l->model->gguf, key, &v))
    {
      if (ember_gguf_find_value (l->model->gguf, key) != NULL)
        {
          ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "metadata key %s is not a non-negative integer", key);
          return false;
        }
      if (required)
        {
          ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "the model has no %s: the file is incomplete", key);
          return false;
        }
      *value = fallback;
      return true;
    }
  if (v == 0 || v > max)
    {
      ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "metadata key %s is %llu; expected 1 to %u", key,
                       (unsigned long long) v, max);
      return false;
    }
  *value = (uint32_t) v;
  return true;
}

static bool
get_real (loader     *l,
          const char *suffix,
          double      fallback,
          double      min,
          double      max,
          float      *value)
{
  char key[128];
  double v;

  snprintf (key, sizeof key, "%s.%s", l->arch, suffix);
  if (!ember_gguf_get_float (l->model->gguf, key, &v))
    {
      if (ember_gguf_find_value (l->model->gguf, key) != NULL)
        {
          ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                           "metadata key %s is not a number", key);
          return false;
        }
      v = fallback;
    }
  if (!(v >= min && v <= max))
    {
      ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "metadata key %s is %g; expected %g to %g", key, v, min, max);
      return false;
    }
  *value = (float) v;
  return true;
}

static bool
read_hparams (loader *l)
{
  ember_model *m = l->model;
  ember_hparams *hp = &m->hp;
  const ember_gguf_value *tokens;
  char key[128];
  const char *scaling;

  if (!get_count (l, "context_length", true, 0, 1u << 24, &hp->n_ctx_train)
      || !get_count (l, "embedding_length", true, 0, MAX_DIM, &hp->n_embd)
      || !get_count (l, "block_count", true, 0, MAX_LAYERS, &hp->n_layer)
      || !get_count (l, "feed_forward_length", true, 0, MAX_DIM, &hp->n_ff)
      || !get_count (l, "attention.head_count", true, 0, 4096, &hp->n_head)
      || !get_count (l, "attention.head_count_kv", false, hp->n_head, 4096, &hp->n_head_kv))
    return false;

  if (hp->n_embd % hp->n_head != 0 && hp->arch != EMBER_ARCH_QWEN3)
    return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                            "embedding length %u is not a multiple of the %u heads",
                            hp->n_embd, hp->n_head), false;
  if (!get_count (l, "attention.key_length", false, hp->n_embd / hp->n_head, EMBER_MAX_HEAD_DIM,
                  &hp->head_dim))
    return false;
  if (hp->head_dim == 0 || hp->head_dim % 2 != 0)
    return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the head size (%u) must be even and above 0; the file needs "
                            "%s.attention.key_length", hp->head_dim, l->arch), false;
  {
    uint32_t value_length;

    if (!get_count (l, "attention.value_length", false, hp->head_dim, EMBER_MAX_HEAD_DIM, &value_length))
      return false;
    if (value_length != hp->head_dim)
      return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                              "key length %u and value length %u differ; Hearth needs them equal",
                              hp->head_dim, value_length), false;
  }
  if (hp->n_head % hp->n_head_kv != 0)
    return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u attention heads cannot share %u key/value heads evenly",
                            hp->n_head, hp->n_head_kv), false;

  if (!get_real (l, "attention.layer_norm_rms_epsilon", 1e-5, 1e-12, 1.0, &hp->rms_eps)
      || !get_count (l, "rope.dimension_count", false, hp->head_dim, hp->head_dim, &hp->rope_dims)
      || !get_real (l, "rope.freq_base", 10000.0, 1.0, 1e12, &hp->rope_freq_base))
    return false;
  if (hp->rope_dims % 2 != 0)
    return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                            "rope.dimension_count %u is odd", hp->rope_dims), false;

  hp->rope_freq_scale = 1.0f;
  snprintf (key, sizeof key, "%s.rope.scaling.type", l->arch);
  scaling = ember_gguf_get_string (m->gguf, key, NULL);
  if (scaling != NULL && strcmp (scaling, "none") != 0)
    {
      float factor;

      if (strcmp (scaling, "linear") != 0)
        return ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                                "RoPE scaling \"%.40s\" is not supported yet (only linear)",
                                scaling), false;
      if (!get_real (l, "rope.scaling.factor", 1.0, 1e-3, 1e3, &factor))
        return false;
      hp->rope_freq_scale = 1.0f / factor;
    }
  hp->rope_style = hp->arch == EMBER_ARCH_LLAMA ? EMBER_ROPE_NORMAL : EMBER_ROPE_NEOX;

  tokens = ember_gguf_get_array (m->gguf, "tokenizer.ggml.tokens");
  hp->n_vocab = tokens != NULL && tokens->array.count <= UINT32_MAX ? (uint32_t) tokens->array.count : 0;
  return true;
}

/* ---- tensors ------------------------------------------------------------- */

static const ember_gguf_tensor *
find_tensor (loader     *l,
             const char *name,
             bool        required)
{
  const ember_gguf_tensor *t = ember_gguf_find_tensor (l->model->gguf, name);

  if (t == NULL && required)
    ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                     "the model has no tensor %s: the file is incomplete or not a %s model",
                     name, l->arch);
  return t;
}

static bool
bind_matrix (loader       *l,
             const char   *name,
             uint64_t      cols,
             uint64_t      rows,
             bool          required,
             ember_matrix *m)
{
  const ember_gguf_tensor *t = find_tensor (l, name, required);

  memset (m, 0, sizeof *m);
  if (t == NULL)
    return !required;
  if (t->n_dims != 2 || t->dims[0] != cols || t->dims[1] != rows)
    {
      char shape[96];
      int at = 0;

      for (uint32_t d = 0; d < t->n_dims && at < (int) sizeof shape - 24; d++)
        at += snprintf (shape + at, sizeof shape - at, "%s%llu", d > 0 ? " × " : "",
                        (unsigned long long) t->dims[d]);
      ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "tensor %s has shape %s; the model's settings need %llu × %llu",
                       name, shape, (unsigned long long) cols, (unsigned long long) rows);
      return false;
    }
  m->tensor = t;
  m->data = t->data;
  m->cols = cols;
  m->rows = rows;
  m->row_bytes = t->size / rows;
  return true;
}

/* A 1-D tensor of @n elements as floats owned by the model. */
static bool
bind_vector (loader     *l,
             const char *name,
             uint64_t    n,
             bool        required,
             float     **out)
{
  const ember_gguf_tensor *t = find_tensor (l, name, required);
  ember_model *m = l->model;
  float **owned;
  float *v;

  *out = NULL;
  if (t == NULL)
    return !required;
  if (t->n_elements != n || t->dims[0] != n)
    {
      ember_error_set (l->error, EMBER_ERROR_INVALID_ARGUMENT,
                       "tensor %s has %llu elements; the model's settings need %llu",
                       name, (unsigned long long) t->n_elements, (unsigned long long) n);
      return false;
    }
  v = malloc (n * sizeof *v);
  owned = realloc (m->owned, (m->n_owned + 1) * sizeof *owned);
  if (v == NULL || owned == NULL)
    {
      free (v);
      if (owned != NULL)
        m->owned = owned;
      ember_error_set (l->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory loading %s", name);
      return false;
    }
  m->owned = owned;
  m->owned[m->n_owned++] = v;
  if (ember_dequantize_row (t->type->type, t->data, v, n, l->error) != EMBER_OK)
    return false;
  *out = v;
  return true;
}

static bool
bind_tensors (loader *l)
{
  ember_model *m = l->model;
  const ember_hparams *hp = &m->hp;
  uint64_t q_dim = (uint64_t) hp->n_head * hp->head_dim;
  uint64_t kv_dim = (uint64_t) hp->n_head_kv * hp->head_dim;
  const ember_gguf_tensor *embd;
  char name[96];

  embd = find_tensor (l, "token_embd.weight", true);
  if (embd == NULL)
    return false;
  if (m->hp.n_vocab == 0 && embd->n_dims == 2)
    m->hp.n_vocab = (uint32_t) embd->dims[1];
  if (!bind_matrix (l, "token_embd.weight", hp->n_embd, hp->n_vocab, true, &m->tok_embd)
      || !bind_vector (l, "output_norm.weight", hp->n_embd, true, &m->output_norm)
      || !bind_matrix (l, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output))
    return false;
  if (m->output.tensor == NULL)
    m->output = m->tok_embd; /* tied embeddings */
  if (!bind_vector (l, "rope_freqs.weight", hp->rope_dims / 2, false, &m->rope_freqs))
    return false;

  m->layers = calloc (hp->n_layer, sizeof *m->layers);
  if (m->layers == NULL)
    return ember_error_set (l->error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory"), false;

  for (uint32_t i = 0; i < hp->n_layer; i++)
    {
      ember_layer *L = &m->layers[i];
      bool qwen2 = hp->arch == EMBER_ARCH_QWEN2;
      bool qwen3 = hp->arch == EMBER_ARCH_QWEN3;

#define NAME(suffix) (snprintf (name, sizeof name, "blk.%u." suffix, i), name)
      if (!bind_vector (l, NAME ("attn_norm.weight"), hp->n_embd, true, &L->attn_norm)
          || !bind_matrix (l, NAME ("attn_q.weight"), hp->n_embd, q_dim, true, &L->wq)
          || !bind_matrix (l, NAME ("attn_k.weight"), hp->n_embd, kv_dim, true, &L->wk)
          || !bind_matrix (l, NAME ("attn_v.weight"), hp->n_embd, kv_dim, true, &L->wv)
          || !bind_matrix (l, NAME ("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)
          || !bind_vector (l, NAME ("attn_q.bias"), q_dim, qwen2, &L->bq)
          || !bind_vector (l, NAME ("attn_k.bias"), kv_dim, qwen2, &L->bk)
          || !bind_vector (l, NAME ("attn_v.bias"), kv_dim, qwen2, &L->bv)
          || !bind_vector (l, NAME ("attn_q_norm.weight"), hp->head_dim, qwen3, &L->q_norm)
          || !bind_vector (l, NAME ("attn_k_norm.weight"), hp->head_dim, qwen3, &L->k_norm)
          || !bind_vector (l, NAME ("ffn_norm.weight"), hp->n_embd, true, &L->ffn_norm)
          || !bind_matrix (l, NAME ("ffn_gate.weight"), hp->n_embd, hp->n_ff, true, &L->w_gate)
          || !bind_matrix (l, NAME ("ffn_up.weight"), hp->n_embd, hp->n_ff, true, &L->w_up)
          || !bind_matrix (l, NAME ("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down))
        return false;
#undef NAME
    }
  return true;
}

void
ember_rope_table (const ember_model *model,
                  uint32_t           pos,
                  float             *table)
{
  const ember_hparams *hp = &model->hp;
  uint32_t n_dims = hp->rope_dims;
  float theta_scale = powf (hp->rope_freq_base, -2.0f / (float) n_dims);
  float theta_base = (float) pos;

  for (uint32_t i0 = 0; i0 < n_dims; i0 += 2)
    {
      float factor = model->rope_freqs != NULL ? model->rope_freqs[i0 / 2] : 1.0f;
      float theta = hp->rope_freq_scale * (theta_base / factor);

      table[i0] = cosf (theta);
      table[i0 + 1] = sinf (theta);
      theta_base *= theta_scale;
    }
}

/* ---- public -------------------------------------------------------------- */

ember_status
ember_model_load_gguf (ember_gguf   *gguf,
                       ember_model **out,
                       ember_error  *error)
{
  ember_model *m;
  loader l;
  ember_error local;
  const char *arch;

  if (out == NULL || gguf == NULL)
    {
      ember_gguf_close (gguf);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_model_load_gguf: missing argument");
    }
  *out = NULL;

  m = calloc (1, sizeof *m);
  if (m == NULL)
    {
      ember_gguf_close (gguf);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  m->gguf = gguf;

  arch = ember_gguf_get_string (gguf, "general.architecture", NULL);
  if (arch == NULL)
    {
      ember_model_free (m);
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "the file has no general.architecture: it is not a model");
    }
  if (strcmp (arch, "llama") == 0)
    m->hp.arch = EMBER_ARCH_LLAMA;
  else if (strcmp (arch, "qwen2") == 0)
    m->hp.arch = EMBER_ARCH_QWEN2;
  else if (strcmp (arch, "qwen3") == 0)
    m->hp.arch = EMBER_ARCH_QWEN3;
  else
    {
      ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                       "the architecture \"%.60s\" is not supported yet (Hearth runs llama, qwen2 and qwen3)",
                       arch);
      ember_model_free (m);
      return EMBER_ERROR_INVALID_ARGUMENT;
    }

  l.model = m;
  l.arch = arch;
  l.error = error != NULL ? error : &local;
  if (!read_hparams (&l) || !bind_tensors (&l))
    {
      ember_status status = l.error->status;

      ember_model_free (m);
      return status != EMBER_OK ? status : EMBER_ERROR_INVALID_ARGUMENT;
    }
  *out = m;
  return EMBER_OK;
}

ember_status
ember_model_load (const char   *path,
                  ember_model **out,
                  ember_error  *error)
{
  ember_gguf *gguf = NULL;
  ember_status status;

  if (out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_model_load: missing argument");
  *out = NULL;
  status = ember_gguf_open (path, &gguf, error);
  if (status != EMBER_OK)
    return status;
  status = ember_model_load_gguf (gguf, out, error);
  if (status != EMBER_OK && error != NULL && strncmp (error->message, path, strlen (path)) != 0)
    {
      char problem[EMBER_ERROR_MESSAGE_MAX];

      memcpy (problem, error->message, sizeof problem);
      snprintf (error->message, sizeof error->message, "%.200s: %.300s", path, problem);
    }
  return status;
}

void
ember_model_free (ember_model *model)
{
  if (model == NULL)
    return;
  for (uint32_t i = 0; i < model->n_owned; i++)
    free (model->owned[i]);
  free (model->owned);
  free (model->layers);
  ember_gguf_close (model->gguf);
  free (model);
}

const ember_hparams *
ember_model_get_hparams (const ember_model *model)
{
  return &model->hp;
}

const ember_gguf *
ember_model_get_gguf (const ember_model *model)
{
  return model->gguf;
}

int32_t
ember_logits_argmax (const float *logits,
                     uint32_t     n)
{
  uint32_t best = 0;

  /* scanning upwards with ">" keeps the lowest id among equals, and a NaN
   * first logit, which nothing is greater than */
  for (uint32_t i = 1; i < n; i++)
    if (logits[i] > logits[best])
      best = i;
  return (int32_t) best;
}
