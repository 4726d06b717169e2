/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A loaded model on the Vulkan device: every weight uploaded once, a KV
 * cache and the scratch vectors in device memory, and the decode step (one
 * token through every layer, the final norm and the output projection)
 * recorded into one command buffer, submitted once and waited for once.
 * The math is the CPU reference's (ember-cpu.c): RMS norm, q/k/v biases
 * (qwen2) and q/k head norms (qwen3), RoPE with the
 * very cos/sin values the CPU computes (the host fills a small table per
 * step with vkCmdUpdateBuffer), softmax attention over the cache, SwiGLU.
 *
 * Descriptor sets are made once, when the model is uploaded: every buffer
 * is fixed, and what changes per token (the position, the embedding row)
 * goes in push constants.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-model-private.h"
#include "ember-quant.h"
#include "ember-vk-private.h"

/* A mat-vec weight: its tensor, its pipeline and one set per part; its
 * row r goes to y[y_base + r]. */
typedef struct {
  ember_vk_tensor *tensor;
  ember_vk_pipeline *pipeline;
  VkDescriptorSet *sets;
  uint32_t y_base;
  uint32_t up_offset;   /* the SwiGLU variant: where x's up half begins */
  uint32_t rows_per_group;  /* rows one workgroup computes */
  bool glu;             /* rows kernel, GLU variant: y = silu(gate) * up */
  /* the prompt batch's mat-mat (matmat-rows.comp), one set per part */
  ember_vk_pipeline *mm_pipeline;
  VkDescriptorSet *mm_sets;
  uint32_t x_stride, y_stride;          /* floats between tokens' x and y */
  bool mm_glu;                          /* the mat-mat's GLU variant */
  uint32_t mm_rows_per_group, mm_tokens; /* its workgroup's tile */
} vk_matvec;

/* What a mat-vec does with x and y: y = W·x; the cooperative kernel's
 * SwiGLU on the way in (x = silu(gate) * up of a gate-up vector); the rows
 * kernel's on the way out (W is gate then up, y = silu(gate·x) * up·x). */
typedef enum {
  MV_PLAIN,
  MV_SWIGLU_IN,
  MV_GLU_OUT,
} mv_mode;

/* Matrices that read the same x are one tensor (their rows one after the
 * other) where they share a type, so one dispatch does them all: q, k, v
 * into one qkv vector, gate and up into one gate-up vector. */
typedef struct {
  vk_matvec mv[3];
  uint32_t n;
} vk_group;

typedef struct {
  ember_vk_buffer *attn_norm, *ffn_norm;
  ember_vk_buffer *k_cache, *v_cache;   /* n_ctx × kv_dim floats each */
  ember_vk_buffer *bias;                /* qwen2: q, k, v biases as in qkv, else NULL */
  ember_vk_buffer *q_norm, *k_norm;     /* qwen3: head_dim each, else NULL */
  vk_group qkv, gate_up;
  vk_matvec wo, down;                   /* down: see setup () for its SwiGLU */
  VkDescriptorSet norm1, rope, attn, norm2;
  VkDescriptorSet b_norm1, b_rope, b_attn, b_norm2;   /* the prompt batch's */
} vk_layer;

struct ember_vk_model {
  ember_vulkan *vk;
  const ember_model *model;
  uint32_t n_ctx;

  ember_vk_tensor *tok_embd;
  ember_vk_pipeline *embed_pipeline;
  VkDescriptorSet *embed_sets;          /* one per part of tok_embd */
  vk_matvec output;                     /* output.tensor == tok_embd when tied */
  ember_vk_buffer *output_norm;
  vk_layer *layers;

  /* scratch vectors */
  ember_vk_buffer *x, *xn, *t, *qkv, *att, *gate_up, *scores, *rope, *logits;
  ember_vk_buffer *dummy;               /* bound where a layer has no bias or norm */
  float *rope_table;                    /* rope_dims floats: cos, sin per pair */

  ember_vk_pipeline *norm_pipeline, *rope_pipeline, *attn_pipeline;
  bool attn_rows;                       /* attn_pipeline is attention-rows.comp */
  bool argmax_device;                   /* greedy decoding: the argmax on the device */
  float *host_logits;                   /* else n_vocab read back, made on first use */
  ember_vk_pipeline *argmax_pipeline;
  VkDescriptorSet argmax_set;
  ember_vk_buffer *argmax_out;          /* argmax.comp's output */
  VkDescriptorSet final_norm;

  /* The prompt batch: up to @batch tokens per step (0: token by token), each
   * scratch vector one row per token. */
  uint32_t batch;
  ember_vk_buffer *bx, *bt, *bxn, *bqkv, *batt, *bglu, *bscores, *brope;
  float *b_host;                        /* batch × max(n_embd, rope_dims) floats */
  VkDescriptorSet b_final_norm;
  VkDescriptorPool pool;

  uint32_t n_dispatches, n_barriers;
};

/* ---- setup --------------------------------------------------------------- */

static ember_status
check_type (ember_vulkan       *vk,
            const ember_matrix *m,
            ember_error        *error)
{
  char variant[64];

  if (!ember_vk_kernel_variant (vk, "matvec", m->tensor->type->type, NULL, variant, sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tensor %s is %s: Vulkan has no kernel for that type",
                            m->tensor->name, m->tensor->type->name);
  return EMBER_OK;
}

static ember_status
upload_floats (ember_vulkan     *vk,
               const float      *data,
               uint64_t          n,
               ember_vk_buffer **out,
               ember_error      *error)
{
  ember_status status = ember_vk_buffer_new (vk, n * sizeof (float), out, error);

  if (status == EMBER_OK && data != NULL)
    status = ember_vk_buffer_write (vk, *out, 0, data, n * sizeof (float), error);
  return status;
}

static ember_status
upload_matrix (ember_vulkan       *vk,
               const ember_matrix *m,
               ember_vk_tensor   **out,
               ember_error        *error)
{
  return ember_vk_tensor_new (vk, m->tensor->type->type, m->rows, m->cols, m->data, out, error);
}

/* Uploads @n matrices of the same cols as one tensor where they share a
 * type, else one tensor each; their outputs follow each other in y. */
static ember_status
upload_group (ember_vulkan        *vk,
              const ember_matrix **ms,
              uint32_t             n,
              vk_group            *group,
              ember_error         *error)
{
  bool same = true;
  uint64_t rows = 0;
  ember_status status = EMBER_OK;

  for (uint32_t i = 0; i < n; i++)
    {
      same = same && ms[i]->tensor->type == ms[0]->tensor->type && ms[i]->cols == ms[0]->cols;
      rows += ms[i]->rows;
    }
  if (same && n > 1 && !vk->tuning.no_fused_matvec)
    {
      uint8_t *data = malloc (rows * ms[0]->row_bytes);
      uint64_t at = 0;

      if (data == NULL)
        return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      for (uint32_t i = 0; i < n; i++)
        {
          memcpy (data + at, ms[i]->data, ms[i]->rows * ms[i]->row_bytes);
          at += ms[i]->rows * ms[i]->row_bytes;
        }
      status = ember_vk_tensor_new (vk, ms[0]->tensor->type->type, rows, ms[0]->cols, data,
                                    &group->mv[0].tensor, error);
      free (data);
      group->n = 1;
      return status;
    }
  group->n = n;
  rows = 0;
  for (uint32_t i = 0; status == EMBER_OK && i < n; i++)
    {
      group->mv[i].y_base = (uint32_t) rows;
      rows += ms[i]->rows;
      status = upload_matrix (vk, ms[i], &group->mv[i].tensor, error);
    }
  return status;
}

static ember_status
make_set (ember_vk_model          *vkm,
          const ember_vk_pipeline *pipeline,
          const ember_vk_buffer  **buffers,
          VkDescriptorSet         *out,
          ember_error             *error)
{
  ember_vulkan *vk = vkm->vk;
  VkDescriptorBufferInfo infos[EMBER_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[EMBER_VK_MAX_BINDINGS];
  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = vkm->pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &pipeline->set_layout,
  };
  VkResult result = vkAllocateDescriptorSets (vk->device, &alloc, out);

  if (result != VK_SUCCESS)
    return ember_vk_fail (vk, error, result, "vkAllocateDescriptorSets");
  for (uint32_t i = 0; i < pipeline->n_bindings; i++)
    {
      infos[i] = (VkDescriptorBufferInfo) {
        .buffer = buffers[i]->buffer,
        .offset = 0,
        .range = buffers[i]->alloc_size,
      };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = *out,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[i],
      };
    }
  vkUpdateDescriptorSets (vk->device, pipeline->n_bindings, writes, 0, NULL);
  return EMBER_OK;
}

/* Whether @mv can use the rows kernel: on a device that wants it, and rows
 * of whole 8-element units (the cooperative kernel handles any width). */
static bool
wants_rows_kernel (ember_vk_model  *vkm,
                   const vk_matvec *mv)
{
  return ember_vk_uses_rows_matvec (vkm->vk) && mv->tensor->cols % 8 == 0;
}

/* Sets for y = W·x, one per part of @mv's tensor. */
static ember_status
make_matvec (ember_vk_model  *vkm,
             vk_matvec       *mv,
             ember_vk_buffer *x,
             ember_vk_buffer *y,
             mv_mode          mode,
             ember_error     *error)
{
  ember_vulkan *vk = vkm->vk;
  bool rows = mode != MV_SWIGLU_IN && wants_rows_kernel (vkm, mv);
  uint32_t spec[2];
  uint32_t push_words = 4;
  char variant[64];
  ember_status status;

  if (rows)
    {
      spec[0] = EMBER_VK_ROWS_KERNEL_WIDTH;
      spec[1] = EMBER_VK_ROWS_KERNEL_ROWS;
      mv->rows_per_group = spec[0] * spec[1];
      mv->glu = mode == MV_GLU_OUT;
      if (!ember_vk_kernel_variant (vk, "matvec_rows", mv->tensor->type,
                                    mv->glu ? "_glu" : NULL, variant, sizeof variant))
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "no Vulkan mat-vec kernel for this weight type");
    }
  else
    {
      spec[0] = ember_vk_reduction_width (vk, 2, 16);
      spec[1] = EMBER_VK_MATVEC_ROWS_PER_GROUP;
      mv->rows_per_group = EMBER_VK_MATVEC_ROWS_PER_GROUP;
      if (!ember_vk_kernel_variant (vk, "matvec", mv->tensor->type,
                                    mode == MV_SWIGLU_IN ? "_swiglu" : NULL, variant,
                                    sizeof variant))
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "no Vulkan mat-vec kernel for this weight type");
      if (mode == MV_SWIGLU_IN)
        {
          mv->up_offset = (uint32_t) mv->tensor->cols;
          push_words = 5;
        }
    }
  status = ember_vk_pipeline_get (vk, variant, 3, push_words * sizeof (uint32_t), spec, 2,
                                  &mv->pipeline, error);
  if (status != EMBER_OK)
    return status;
  mv->sets = calloc (mv->tensor->n_parts, sizeof *mv->sets);
  if (mv->sets == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  for (uint32_t i = 0; status == EMBER_OK && i < mv->tensor->n_parts; i++)
    {
      const ember_vk_buffer *buffers[3] = { mv->tensor->parts[i].buffer, x, y };

      status = make_set (vkm, mv->pipeline, buffers, &mv->sets[i], error);
    }
  return status;
}

static ember_status
make_group (ember_vk_model  *vkm,
            vk_group        *group,
            ember_vk_buffer *x,
            ember_vk_buffer *y,
            ember_error     *error)
{
  ember_status status = EMBER_OK;

  for (uint32_t i = 0; status == EMBER_OK && i < group->n; i++)
    status = make_matvec (vkm, &group->mv[i], x, y, MV_PLAIN, error);
  return status;
}

static ember_status
make_norm_set (ember_vk_model  *vkm,
               ember_vk_buffer *weight,
               VkDescriptorSet *out,
               ember_error     *error)
{
  const ember_vk_buffer *buffers[4] = { vkm->x, vkm->t, weight, vkm->xn };

  return make_set (vkm, vkm->norm_pipeline, buffers, out, error);
}

static ember_status
setup (ember_vk_model *vkm,
       ember_error    *error)
{
  ember_vulkan *vk = vkm->vk;
  const ember_model *m = vkm->model;
  const ember_hparams *hp = &m->hp;
  uint64_t q_dim = (uint64_t) hp->n_head * hp->head_dim;
  uint64_t kv_dim = (uint64_t) hp->n_head_kv * hp->head_dim;
  uint32_t wg = ember_vk_reduction_width (vk, 4, 32);
  uint32_t n_sets;
  ember_status status = EMBER_OK;

  /* weights */
  status = upload_matrix (vk, &m->tok_embd, &vkm->tok_embd, error);
  if (status == EMBER_OK && m->output.data != m->tok_embd.data)
    status = upload_matrix (vk, &m->output, &vkm->output.tensor, error);
  else
    vkm->output.tensor = vkm->tok_embd;
  if (status == EMBER_OK)
    status = upload_floats (vk, m->output_norm, hp->n_embd, &vkm->output_norm, error);
  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      const ember_layer *L = &m->layers[l];
      vk_layer *V = &vkm->layers[l];

      status = upload_floats (vk, L->attn_norm, hp->n_embd, &V->attn_norm, error);
      if (status == EMBER_OK)
        status = upload_floats (vk, L->ffn_norm, hp->n_embd, &V->ffn_norm, error);
      if (status == EMBER_OK)
        {
          const ember_matrix *qkv[3] = { &L->wq, &L->wk, &L->wv };

          status = upload_group (vk, qkv, 3, &V->qkv, error);
        }
      if (status == EMBER_OK)
        status = upload_matrix (vk, &L->wo, &V->wo.tensor, error);
      if (status == EMBER_OK)
        {
          const ember_matrix *gate_up[2] = { &L->w_gate, &L->w_up };

          status = upload_group (vk, gate_up, 2, &V->gate_up, error);
        }
      if (status == EMBER_OK)
        status = upload_matrix (vk, &L->w_down, &V->down.tensor, error);
      if (status == EMBER_OK && (L->bq != NULL || L->bk != NULL || L->bv != NULL))
        {
          float *b = calloc (q_dim + 2 * kv_dim, sizeof (float));

          if (b == NULL)
            return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
          if (L->bq != NULL)
            memcpy (b, L->bq, q_dim * sizeof (float));
          if (L->bk != NULL)
            memcpy (b + q_dim, L->bk, kv_dim * sizeof (float));
          if (L->bv != NULL)
            memcpy (b + q_dim + kv_dim, L->bv, kv_dim * sizeof (float));
          status = upload_floats (vk, b, q_dim + 2 * kv_dim, &V->bias, error);
          free (b);
        }
      if (status == EMBER_OK && (L->q_norm != NULL) != (L->k_norm != NULL))
        status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "layer %u has a norm for only one of q and k", l);
      if (status == EMBER_OK && L->q_norm != NULL)
        status = upload_floats (vk, L->q_norm, hp->head_dim, &V->q_norm, error);
      if (status == EMBER_OK && L->k_norm != NULL)
        status = upload_floats (vk, L->k_norm, hp->head_dim, &V->k_norm, error);
      if (status == EMBER_OK)
        status = upload_floats (vk, NULL, (uint64_t) vkm->n_ctx * kv_dim, &V->k_cache, error);
      if (status == EMBER_OK)
        status = upload_floats (vk, NULL, (uint64_t) vkm->n_ctx * kv_dim, &V->v_cache, error);
    }

  /* scratch */
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, hp->n_embd, &vkm->x, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, hp->n_embd, &vkm->xn, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, hp->n_embd, &vkm->t, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, q_dim + 2 * kv_dim, &vkm->qkv, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, q_dim, &vkm->att, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, 2 * (uint64_t) hp->n_ff, &vkm->gate_up, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, (uint64_t) hp->n_head * vkm->n_ctx, &vkm->scores, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, hp->rope_dims > 0 ? hp->rope_dims : 1, &vkm->rope, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, hp->n_vocab, &vkm->logits, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, 1, &vkm->dummy, error);
  if (status != EMBER_OK)
    return status;

  /* pipelines */
  {
    uint32_t spec[1] = { wg };
    char embed[64];

    if (!ember_vk_kernel_variant (vk, "embed", vkm->tok_embd->type, NULL, embed, sizeof embed))
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "no Vulkan embedding kernel for the token embedding's type");
    status = ember_vk_pipeline_get (vk, embed, 2,
                                    4 * sizeof (uint32_t), NULL, 0, &vkm->embed_pipeline, error);
    if (status == EMBER_OK)
      status = ember_vk_pipeline_get (vk, "add_rms_norm", 4, 3 * sizeof (uint32_t), spec, 1,
                                      &vkm->norm_pipeline, error);
    if (status == EMBER_OK)
      status = ember_vk_pipeline_get (vk, "rope_store", 7, 12 * sizeof (uint32_t), spec, 1,
                                      &vkm->rope_pipeline, error);
    /* attention: split over the sequence, a workgroup per KV head, on
     * devices that take the rows kernels; one workgroup per head else */
    vkm->attn_rows = ember_vk_uses_rows_attention (vk, hp->n_head, hp->n_head_kv, hp->head_dim);
    if (status == EMBER_OK && vkm->attn_rows)
      {
        uint32_t attn_spec[3] = { EMBER_VK_ATTENTION_WIDTH, hp->n_head / hp->n_head_kv,
                                  hp->head_dim / 4 };

        status = ember_vk_pipeline_get (vk, "attention_rows", 5, 7 * sizeof (uint32_t), attn_spec,
                                        3, &vkm->attn_pipeline, error);
      }
    else if (status == EMBER_OK)
      status = ember_vk_pipeline_get (vk, "attention", 5, 7 * sizeof (uint32_t), spec, 1,
                                      &vkm->attn_pipeline, error);
    if (status != EMBER_OK)
      return status;
  }

  /* one descriptor pool for every set */
  n_sets = vkm->tok_embd->n_parts + vkm->output.tensor->n_parts + 1;
  for (uint32_t l = 0; l < hp->n_layer; l++)
    {
      const vk_layer *V = &vkm->layers[l];

      n_sets += 4 + V->wo.tensor->n_parts + V->down.tensor->n_parts;
      for (uint32_t i = 0; i < V->qkv.n; i++)
        n_sets += V->qkv.mv[i].tensor->n_parts;
      for (uint32_t i = 0; i < V->gate_up.n; i++)
        n_sets += V->gate_up.mv[i].tensor->n_parts;
    }
  {
    VkDescriptorPoolSize size;

    /* the prompt batch (setup_batch ()) takes as many again, a final norm
     * and the argmax */
    n_sets = 2 * n_sets + 2;
    size = (VkDescriptorPoolSize) {
      .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = n_sets * EMBER_VK_MAX_BINDINGS,
    };
    VkDescriptorPoolCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = n_sets,
      .poolSizeCount = 1,
      .pPoolSizes = &size,
    };
    VkResult result = vkCreateDescriptorPool (vk->device, &info, NULL, &vkm->pool);

    if (result != VK_SUCCESS)
      {
        vkm->pool = VK_NULL_HANDLE;
        return ember_vk_fail (vk, error, result, "vkCreateDescriptorPool");
      }
  }

  /* sets */
  vkm->embed_sets = calloc (vkm->tok_embd->n_parts, sizeof *vkm->embed_sets);
  if (vkm->embed_sets == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  for (uint32_t i = 0; status == EMBER_OK && i < vkm->tok_embd->n_parts; i++)
    {
      const ember_vk_buffer *buffers[2] = { vkm->tok_embd->parts[i].buffer, vkm->x };

      status = make_set (vkm, vkm->embed_pipeline, buffers, &vkm->embed_sets[i], error);
    }
  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      vk_layer *V = &vkm->layers[l];
      const ember_vk_buffer *rope[7] = {
        vkm->qkv, vkm->rope, V->k_cache, V->v_cache,
        V->bias != NULL ? V->bias : vkm->dummy,
        V->q_norm != NULL ? V->q_norm : vkm->dummy,
        V->k_norm != NULL ? V->k_norm : vkm->dummy,
      };
      const ember_vk_buffer *attn[5] = { vkm->qkv, V->k_cache, V->v_cache, vkm->scores, vkm->att };

      status = make_norm_set (vkm, V->attn_norm, &V->norm1, error);
      if (status == EMBER_OK)
        status = make_group (vkm, &V->qkv, vkm->xn, vkm->qkv, error);
      if (status == EMBER_OK)
        status = make_set (vkm, vkm->rope_pipeline, rope, &V->rope, error);
      if (status == EMBER_OK)
        status = make_set (vkm, vkm->attn_pipeline, attn, &V->attn, error);
      if (status == EMBER_OK)
        status = make_matvec (vkm, &V->wo, vkm->att, vkm->t, MV_PLAIN, error);
      if (status == EMBER_OK)
        status = make_norm_set (vkm, V->ffn_norm, &V->norm2, error);
      /* SwiGLU: where gate and up are one tensor in one buffer and the rows
       * kernel runs, the gate-up mat-vec writes silu(gate) * up and down
       * reads it as it is; else down's cooperative kernel makes it from the
       * gate-up vector as it reads x. */
      if (status == EMBER_OK && V->gate_up.n == 1 && V->gate_up.mv[0].tensor->n_parts == 1
          && wants_rows_kernel (vkm, &V->gate_up.mv[0]))
        {
          status = make_matvec (vkm, &V->gate_up.mv[0], vkm->xn, vkm->gate_up, MV_GLU_OUT, error);
          if (status == EMBER_OK)
            status = make_matvec (vkm, &V->down, vkm->gate_up, vkm->t, MV_PLAIN, error);
        }
      else if (status == EMBER_OK)
        {
          status = make_group (vkm, &V->gate_up, vkm->xn, vkm->gate_up, error);
          if (status == EMBER_OK)
            status = make_matvec (vkm, &V->down, vkm->gate_up, vkm->t, MV_SWIGLU_IN, error);
        }
    }
  if (status == EMBER_OK)
    status = make_norm_set (vkm, vkm->output_norm, &vkm->final_norm, error);
  if (status == EMBER_OK)
    status = make_matvec (vkm, &vkm->output, vkm->xn, vkm->logits, MV_PLAIN, error);
  vkm->argmax_device = ember_vk_argmax_on_device (vk);
  if (status == EMBER_OK)
    {
      uint32_t spec[1] = { 64 };

      status = ember_vk_pipeline_get (vk, "argmax", 2, 2 * sizeof (uint32_t), spec, 1,
                                      &vkm->argmax_pipeline, error);
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_new (vk, (2 * EMBER_VK_ARGMAX_GROUPS + 1) * sizeof (uint32_t),
                                  &vkm->argmax_out, error);
  if (status == EMBER_OK)
    {
      const ember_vk_buffer *buffers[2] = { vkm->logits, vkm->argmax_out };

      status = make_set (vkm, vkm->argmax_pipeline, buffers, &vkm->argmax_set, error);
    }
  return status;
}


/* Tokens per prompt step: a few of matmat-rows.comp's token tiles. */
#define PROMPT_BATCH 64

/* Sets for the prompt batch's Y = W·X of @mv, rows of X @x_stride floats
 * apart, of Y @y_stride. */
static ember_status
make_matmat (ember_vk_model  *vkm,
             vk_matvec       *mv,
             ember_vk_buffer *x,
             uint32_t         x_stride,
             ember_vk_buffer *y,
             uint32_t         y_stride,
             bool             glu,
             ember_error     *error)
{
  ember_vulkan *vk = vkm->vk;
  /* the repacked types take the large tile; the others' unpacking is
   * longer code, which a smaller tile keeps quick to compile */
  bool packed = mv->tensor->type == EMBER_TYPE_Q4_0 || mv->tensor->type == EMBER_TYPE_Q8_0;
  uint32_t spec[3] = { EMBER_VK_MATMAT_WIDTH, packed ? EMBER_VK_MATMAT_ROWS : EMBER_VK_MATMAT_ROWS / 2,
                       packed ? EMBER_VK_MATMAT_TOKENS : EMBER_VK_MATMAT_TOKENS / 2 };
  char variant[64];

  ember_status status;

  if (!ember_vk_kernel_variant (vk, "matmat_rows", mv->tensor->type, glu ? "_glu" : NULL,
                                variant, sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan mat-mat kernel for this weight type");
  mv->x_stride = x_stride;
  mv->y_stride = y_stride;
  mv->mm_glu = glu;
  mv->mm_rows_per_group = spec[0] * spec[1];
  mv->mm_tokens = spec[2];
  status = ember_vk_pipeline_get (vk, variant, 3, 7 * sizeof (uint32_t), spec, 3,
                                  &mv->mm_pipeline, error);
  if (status != EMBER_OK)
    return status;
  mv->mm_sets = calloc (mv->tensor->n_parts, sizeof *mv->mm_sets);
  if (mv->mm_sets == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  for (uint32_t i = 0; status == EMBER_OK && i < mv->tensor->n_parts; i++)
    {
      const ember_vk_buffer *buffers[3] = { mv->tensor->parts[i].buffer, x, y };

      status = make_set (vkm, mv->mm_pipeline, buffers, &mv->mm_sets[i], error);
    }
  return status;
}

/* The prompt batch, where the model's shapes allow it: gate and up one
 * tensor in one buffer (SwiGLU is done in their mat-mat), every row a whole
 * number of 8-element units, every vector a whole number of vec4, and a
 * score buffer of batch × n_head × n_ctx floats within the device's
 * largest buffer. Else vkm->batch stays 0 and prompts go token by token. */
static ember_status
setup_batch (ember_vk_model *vkm,
             ember_error    *error)
{
  ember_vulkan *vk = vkm->vk;
  const ember_hparams *hp = &vkm->model->hp;
  uint32_t q_dim = hp->n_head * hp->head_dim;
  uint32_t qkv_dim = q_dim + 2 * hp->n_head_kv * hp->head_dim;
  uint64_t per_token_scores = (uint64_t) hp->n_head * vkm->n_ctx * sizeof (float);
  uint64_t batch = PROMPT_BATCH;
  ember_status status = EMBER_OK;

  if (vk->tuning.no_prompt_batch)
    return EMBER_OK;
  if (hp->n_embd % 8 != 0 || q_dim % 8 != 0 || hp->n_ff % 8 != 0 || qkv_dim % 4 != 0)
    return EMBER_OK;
  for (uint32_t l = 0; l < hp->n_layer; l++)
    {
      const vk_layer *V = &vkm->layers[l];

      if (V->gate_up.n != 1 || V->gate_up.mv[0].tensor->n_parts != 1)
        return EMBER_OK;
    }
  if (batch * per_token_scores > ember_vk_max_buffer_bytes (vk))
    batch = ember_vk_max_buffer_bytes (vk) / per_token_scores;
  if (batch < 2)
    return EMBER_OK;

  status = upload_floats (vk, NULL, batch * hp->n_embd, &vkm->bx, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * hp->n_embd, &vkm->bt, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * hp->n_embd, &vkm->bxn, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * qkv_dim, &vkm->bqkv, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * q_dim, &vkm->batt, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * hp->n_ff, &vkm->bglu, error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * hp->n_head * (uint64_t) vkm->n_ctx, &vkm->bscores,
                            error);
  if (status == EMBER_OK)
    status = upload_floats (vk, NULL, batch * (hp->rope_dims > 0 ? hp->rope_dims : 1),
                            &vkm->brope, error);
  if (status != EMBER_OK)
    return status;
  vkm->b_host = calloc (batch * (hp->n_embd > hp->rope_dims ? hp->n_embd : hp->rope_dims),
                        sizeof (float));
  if (vkm->b_host == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");

  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      vk_layer *V = &vkm->layers[l];
      const ember_vk_buffer *rope[7] = {
        vkm->bqkv, vkm->brope, V->k_cache, V->v_cache,
        V->bias != NULL ? V->bias : vkm->dummy,
        V->q_norm != NULL ? V->q_norm : vkm->dummy,
        V->k_norm != NULL ? V->k_norm : vkm->dummy,
      };
      const ember_vk_buffer *attn[5] = { vkm->bqkv, V->k_cache, V->v_cache, vkm->bscores,
                                         vkm->batt };
      const ember_vk_buffer *norm1[4] = { vkm->bx, vkm->bt, V->attn_norm, vkm->bxn };
      const ember_vk_buffer *norm2[4] = { vkm->bx, vkm->bt, V->ffn_norm, vkm->bxn };

      status = make_set (vkm, vkm->norm_pipeline, norm1, &V->b_norm1, error);
      for (uint32_t i = 0; status == EMBER_OK && i < V->qkv.n; i++)
        status = make_matmat (vkm, &V->qkv.mv[i], vkm->bxn, hp->n_embd, vkm->bqkv, qkv_dim, false,
                              error);
      if (status == EMBER_OK)
        status = make_set (vkm, vkm->rope_pipeline, rope, &V->b_rope, error);
      if (status == EMBER_OK)
        status = make_set (vkm, vkm->attn_pipeline, attn, &V->b_attn, error);
      if (status == EMBER_OK)
        status = make_matmat (vkm, &V->wo, vkm->batt, q_dim, vkm->bt, hp->n_embd, false, error);
      if (status == EMBER_OK)
        status = make_set (vkm, vkm->norm_pipeline, norm2, &V->b_norm2, error);
      if (status == EMBER_OK)
        status = make_matmat (vkm, &V->gate_up.mv[0], vkm->bxn, hp->n_embd, vkm->bglu, hp->n_ff,
                              true, error);
      if (status == EMBER_OK)
        status = make_matmat (vkm, &V->down, vkm->bglu, hp->n_ff, vkm->bt, hp->n_embd, false,
                              error);
    }
  if (status == EMBER_OK)
    {
      const ember_vk_buffer *norm[4] = { vkm->bx, vkm->bt, vkm->output_norm, vkm->bxn };

      status = make_set (vkm, vkm->norm_pipeline, norm, &vkm->b_final_norm, error);
    }
  if (status == EMBER_OK)
    vkm->batch = (uint32_t) batch;
  return status;
}

ember_status
ember_vk_model_new (ember_vulkan       *vk,
                    const ember_model  *model,
                    uint32_t            n_ctx,
                    ember_vk_model    **out,
                    ember_error        *error)
{
  const ember_hparams *hp;
  ember_vk_model *vkm;
  ember_status status;

  if (vk == NULL || model == NULL || out == NULL || n_ctx == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_model_new: missing argument");
  *out = NULL;
  status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK)
    return status;
  hp = &model->hp;
  if (hp->head_dim % 2 != 0 || hp->rope_dims % 2 != 0 || hp->rope_dims > hp->head_dim
      || hp->n_head_kv == 0 || hp->n_head % hp->n_head_kv != 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "this model's head layout does not run on Vulkan yet");
  status = check_type (vk, &model->tok_embd, error);
  if (status == EMBER_OK)
    status = check_type (vk, &model->output, error);
  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      const ember_layer *L = &model->layers[l];
      const ember_matrix *ms[7] = { &L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down };

      for (int i = 0; status == EMBER_OK && i < 7; i++)
        status = check_type (vk, ms[i], error);
    }
  if (status != EMBER_OK)
    return status;

  /* Before anything is uploaded: does the model fit at all? Refused with
   * the numbers rather than failing half-way through the upload. */
  {
    /* in doubles: a huge context must not wrap around */
    double weights = 0, cache, heap = (double) ember_vk_largest_storage_heap (vk);
    const ember_gguf *gguf = ember_model_get_gguf (model);
    const double gib = 1024.0 * 1024.0 * 1024.0;

    /* as the device holds them: Q4_0 and Q8_0 grow when repacked */
    for (uint64_t i = 0; i < ember_gguf_get_n_tensors (gguf); i++)
      {
        const ember_gguf_tensor *t = ember_gguf_get_tensor (gguf, i);
        uint64_t row_bytes = ember_vk_row_bytes (t->type->type, t->dims[0]);

        weights += row_bytes > 0 ? (double) row_bytes * (double) (t->n_elements / t->dims[0])
                                 : (double) t->size;
      }
    cache = 2.0 * hp->n_layer * n_ctx * hp->n_head_kv * hp->head_dim * sizeof (float);
    /* with the scores of a prompt batch (the largest scratch buffer) */
    cache += (double) PROMPT_BATCH * hp->n_head * n_ctx * sizeof (float);
    if (weights + cache > heap)
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                              "the model needs %.2f GiB on the device (weights %.2f GiB, a cache "
                              "and scratch for %u tokens %.2f GiB), but \"%s\" has %.2f GiB; ask for a shorter context "
                              "or run it on the CPU",
                              (weights + cache) / gib, weights / gib, n_ctx, cache / gib,
                              vk->info.name, heap / gib);
  }

  vkm = calloc (1, sizeof *vkm);
  if (vkm == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  vkm->vk = vk;
  vkm->model = model;
  vkm->n_ctx = n_ctx;
  vkm->layers = calloc (hp->n_layer, sizeof *vkm->layers);
  vkm->rope_table = calloc (hp->rope_dims > 0 ? hp->rope_dims : 1, sizeof (float));
  if (vkm->layers == NULL || vkm->rope_table == NULL)
    {
      ember_vk_model_free (vkm);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  status = setup (vkm, error);
  if (status == EMBER_OK)
    status = setup_batch (vkm, error);
  if (status != EMBER_OK)
    {
      ember_vk_model_free (vkm);
      return status;
    }
  *out = vkm;
  return EMBER_OK;
}

static void
matvec_free (ember_vulkan *vk,
             vk_matvec    *mv,
             bool          free_tensor)
{
  if (free_tensor)
    ember_vk_tensor_free (vk, mv->tensor);
  free (mv->sets);
  free (mv->mm_sets);
}

void
ember_vk_model_free (ember_vk_model *vkm)
{
  ember_vulkan *vk;

  if (vkm == NULL)
    return;
  vk = vkm->vk;
  if (vkm->layers != NULL)
    for (uint32_t l = 0; l < vkm->model->hp.n_layer; l++)
      {
        vk_layer *V = &vkm->layers[l];

        ember_vk_buffer_free (vk, V->attn_norm);
        ember_vk_buffer_free (vk, V->ffn_norm);
        ember_vk_buffer_free (vk, V->k_cache);
        ember_vk_buffer_free (vk, V->v_cache);
        ember_vk_buffer_free (vk, V->bias);
        ember_vk_buffer_free (vk, V->q_norm);
        ember_vk_buffer_free (vk, V->k_norm);
        for (uint32_t i = 0; i < 3; i++)
          {
            matvec_free (vk, &V->qkv.mv[i], true);
            matvec_free (vk, &V->gate_up.mv[i], true);
          }
        matvec_free (vk, &V->wo, true);
        matvec_free (vk, &V->down, true);
      }
  matvec_free (vk, &vkm->output, vkm->output.tensor != vkm->tok_embd);
  ember_vk_tensor_free (vk, vkm->tok_embd);
  free (vkm->embed_sets);
  ember_vk_buffer_free (vk, vkm->output_norm);
  ember_vk_buffer_free (vk, vkm->x);
  ember_vk_buffer_free (vk, vkm->xn);
  ember_vk_buffer_free (vk, vkm->t);
  ember_vk_buffer_free (vk, vkm->qkv);
  ember_vk_buffer_free (vk, vkm->att);
  ember_vk_buffer_free (vk, vkm->gate_up);
  ember_vk_buffer_free (vk, vkm->scores);
  ember_vk_buffer_free (vk, vkm->rope);
  ember_vk_buffer_free (vk, vkm->logits);
  ember_vk_buffer_free (vk, vkm->dummy);
  ember_vk_buffer_free (vk, vkm->argmax_out);
  free (vkm->host_logits);
  ember_vk_buffer_free (vk, vkm->bx);
  ember_vk_buffer_free (vk, vkm->bt);
  ember_vk_buffer_free (vk, vkm->bxn);
  ember_vk_buffer_free (vk, vkm->bqkv);
  ember_vk_buffer_free (vk, vkm->batt);
  ember_vk_buffer_free (vk, vkm->bglu);
  ember_vk_buffer_free (vk, vkm->bscores);
  ember_vk_buffer_free (vk, vkm->brope);
  free (vkm->b_host);
  if (vkm->pool != VK_NULL_HANDLE)
    vkDestroyDescriptorPool (vk->device, vkm->pool, NULL);
  free (vkm->layers);
  free (vkm->rope_table);
  free (vkm);
}

/* ---- the decode step ----------------------------------------------------- */

static void
dispatch (ember_vk_model          *vkm,
          VkCommandBuffer          cmd,
          const ember_vk_pipeline *pipeline,
          VkDescriptorSet          set,
          const void              *push,
          uint32_t                 groups_x,
          uint32_t                 groups_y)
{
  vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set,
                           0, NULL);
  vkCmdPushConstants (cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                      pipeline->push_size, push);
  vkCmdDispatch (cmd, groups_x, groups_y, 1);
  vkm->n_dispatches++;
}

static void
barrier (ember_vk_model *vkm,
         VkCommandBuffer cmd)
{
  ember_vk_record_barrier (cmd);
  vkm->n_barriers++;
}

/* @n invocations of 64 in a grid. */
static ember_status
dispatch_flat (ember_vk_model          *vkm,
               VkCommandBuffer          cmd,
               const ember_vk_pipeline *pipeline,
               VkDescriptorSet          set,
               const void              *push,
               uint64_t                 n,
               ember_error             *error)
{
  uint32_t gx, gy;
  ember_status status = ember_vk_grid (vkm->vk, n / 64 + (n % 64 != 0), &gx, &gy, error);

  if (status == EMBER_OK)
    dispatch (vkm, cmd, pipeline, set, push, gx, gy);
  return status;
}

static ember_status
record_matvec (ember_vk_model  *vkm,
               VkCommandBuffer  cmd,
               const vk_matvec *mv,
               ember_error     *error)
{
  const ember_vk_tensor *w = mv->tensor;

  for (uint32_t i = 0; i < w->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &w->parts[i];
      /* GLU: the part is gate then up; y gets one value per gate row */
      uint64_t n_rows = mv->glu ? part->n_rows / 2 : part->n_rows;
      uint32_t push[5] = { (uint32_t) n_rows, (uint32_t) w->cols, (uint32_t) w->row_bytes,
                           mv->y_base + (uint32_t) part->first_row, mv->up_offset };
      uint64_t groups = n_rows / mv->rows_per_group + (n_rows % mv->rows_per_group != 0);
      uint32_t gx, gy;
      ember_status status = ember_vk_grid (vkm->vk, groups, &gx, &gy, error);

      if (status != EMBER_OK)
        return status;
      dispatch (vkm, cmd, mv->pipeline, mv->sets[i], push, gx, gy);
    }
  return EMBER_OK;
}

static ember_status
record_group (ember_vk_model *vkm,
              VkCommandBuffer cmd,
              const vk_group *group,
              ember_error    *error)
{
  ember_status status = EMBER_OK;

  for (uint32_t i = 0; status == EMBER_OK && i < group->n; i++)
    status = record_matvec (vkm, cmd, &group->mv[i], error);
  return status;
}

static void
record_norm (ember_vk_model *vkm,
             VkCommandBuffer cmd,
             VkDescriptorSet set,
             bool            add)
{
  struct {
    uint32_t n, add;
    float eps;
  } push = { vkm->model->hp.n_embd, add, vkm->model->hp.rms_eps };

  dispatch (vkm, cmd, vkm->norm_pipeline, set, &push, 1, 1);
}

/* Push constants of rope-store.comp and attention.comp for a step whose
 * first token is at @pos (a prompt batch's tokens follow it). */
typedef ember_vk_rope_push rope_push;
typedef ember_vk_attn_push attn_push;

static rope_push
make_rope_push (const ember_vk_model *vkm,
                const vk_layer       *V,
                uint32_t              pos)
{
  const ember_hparams *hp = &vkm->model->hp;
  uint32_t kv_dim = hp->n_head_kv * hp->head_dim;
  uint32_t q_dim = hp->n_head * hp->head_dim;

  return (rope_push) {
    hp->n_head, hp->n_head_kv, hp->head_dim, hp->rope_dims, hp->rope_style == EMBER_ROPE_NEOX,
    pos * kv_dim, q_dim, q_dim + kv_dim,
    (V->bias != NULL ? 1u : 0u) | (V->q_norm != NULL ? 2u : 0u), hp->rms_eps,
    q_dim + 2 * kv_dim, hp->rope_dims,
  };
}

static attn_push
make_attn_push (const ember_vk_model *vkm,
                uint32_t              pos)
{
  const ember_hparams *hp = &vkm->model->hp;

  return (attn_push) {
    hp->n_head, hp->n_head_kv, hp->head_dim, pos + 1, vkm->n_ctx,
    1.0f / sqrtf ((float) hp->head_dim), (hp->n_head + 2 * hp->n_head_kv) * hp->head_dim,
  };
}

static ember_status
record_step (ember_vk_model *vkm,
             VkCommandBuffer cmd,
             int32_t         token,
             uint32_t        pos,
             bool            want_logits,
             ember_error    *error)
{
  const ember_hparams *hp = &vkm->model->hp;
  ember_status status = EMBER_OK;

  /* the rotation table for this position */
  ember_rope_table (vkm->model, pos, vkm->rope_table);
  if (hp->rope_dims > 0)
    vkCmdUpdateBuffer (cmd, vkm->rope->buffer, 0, hp->rope_dims * sizeof (float),
                       vkm->rope_table);

  /* the token's embedding row, from the part that holds it */
  for (uint32_t i = 0; i < vkm->tok_embd->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &vkm->tok_embd->parts[i];

      if ((uint64_t) token >= part->first_row && (uint64_t) token < part->first_row + part->n_rows)
        {
          uint32_t push[4] = { (uint32_t) ((uint64_t) token - part->first_row), hp->n_embd,
                               (uint32_t) vkm->tok_embd->row_bytes, (uint32_t) part->n_rows };

          status = dispatch_flat (vkm, cmd, vkm->embed_pipeline, vkm->embed_sets[i], push,
                                  (hp->n_embd + 7) / 8, error);
        }
    }
  barrier (vkm, cmd);

  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      const vk_layer *V = &vkm->layers[l];
      rope_push rp = make_rope_push (vkm, V, pos);
      attn_push ap = make_attn_push (vkm, pos);

      /* the first layer's norm adds nothing: x is the embedding */
      record_norm (vkm, cmd, V->norm1, l > 0);
      barrier (vkm, cmd);
      status = record_group (vkm, cmd, &V->qkv, error);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        dispatch (vkm, cmd, vkm->rope_pipeline, V->rope, &rp, hp->n_head + 2 * hp->n_head_kv, 1);
      barrier (vkm, cmd);
      dispatch (vkm, cmd, vkm->attn_pipeline, V->attn, &ap,
                vkm->attn_rows ? hp->n_head_kv : hp->n_head, 1);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_matvec (vkm, cmd, &V->wo, error);
      barrier (vkm, cmd);
      record_norm (vkm, cmd, V->norm2, true);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_group (vkm, cmd, &V->gate_up, error);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_matvec (vkm, cmd, &V->down, error);
      barrier (vkm, cmd);
    }
  /* A prompt token whose logits nobody reads stops here: its keys and
   * values are in the cache, which is all the next step needs. */
  if (status == EMBER_OK && want_logits)
    {
      record_norm (vkm, cmd, vkm->final_norm, hp->n_layer > 0);
      barrier (vkm, cmd);
      status = record_matvec (vkm, cmd, &vkm->output, error);
    }
  return status;
}

/* The prompt batch's Y = W·X of @mv for @n tokens. */
static ember_status
record_matmat (ember_vk_model  *vkm,
               VkCommandBuffer  cmd,
               const vk_matvec *mv,
               uint32_t         n,
               ember_error     *error)
{
  const ember_vk_tensor *w = mv->tensor;
  const uint32_t per_group = mv->mm_rows_per_group;

  for (uint32_t i = 0; i < w->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &w->parts[i];
      uint64_t n_rows = mv->mm_glu ? part->n_rows / 2 : part->n_rows;
      uint64_t groups = n_rows / per_group + (n_rows % per_group != 0);
      uint32_t push[7] = { (uint32_t) n_rows, (uint32_t) w->cols, (uint32_t) w->row_bytes,
                           mv->y_base + (uint32_t) part->first_row, n, mv->x_stride,
                           mv->y_stride };

      if (groups > vkm->vk->limits.maxComputeWorkGroupCount[0])
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "a mat-mat of %llu rows is more than the device's grid",
                                (unsigned long long) n_rows);
      vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, mv->mm_pipeline->pipeline);
      vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, mv->mm_pipeline->layout, 0, 1,
                               &mv->mm_sets[i], 0, NULL);
      vkCmdPushConstants (cmd, mv->mm_pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                          sizeof push, push);
      vkCmdDispatch (cmd, (uint32_t) groups,
                     (n + mv->mm_tokens - 1) / mv->mm_tokens, 1);
      vkm->n_dispatches++;
    }
  return EMBER_OK;
}

/* @n (≤ batch) prompt tokens from @pos on, their embeddings and rotations
 * already in bx and brope: every layer, with the keys and values into the
 * cache; then, with @want_logits, the last token's final norm and output
 * projection as a decode step does them. */
static ember_status
record_batch (ember_vk_model *vkm,
              VkCommandBuffer cmd,
              uint32_t        n,
              uint32_t        pos,
              bool            want_logits,
              ember_error    *error)
{
  const ember_hparams *hp = &vkm->model->hp;
  ember_status status = EMBER_OK;
  struct {
    uint32_t n, add;
    float eps;
  } norm = { hp->n_embd, 0, hp->rms_eps };

  for (uint32_t l = 0; status == EMBER_OK && l < hp->n_layer; l++)
    {
      const vk_layer *V = &vkm->layers[l];
      rope_push rp = make_rope_push (vkm, V, pos);
      attn_push ap = make_attn_push (vkm, pos);

      norm.add = l > 0;
      dispatch (vkm, cmd, vkm->norm_pipeline, V->b_norm1, &norm, n, 1);
      barrier (vkm, cmd);
      for (uint32_t i = 0; status == EMBER_OK && i < V->qkv.n; i++)
        status = record_matmat (vkm, cmd, &V->qkv.mv[i], n, error);
      barrier (vkm, cmd);
      dispatch (vkm, cmd, vkm->rope_pipeline, V->b_rope, &rp, hp->n_head + 2 * hp->n_head_kv, n);
      barrier (vkm, cmd);
      dispatch (vkm, cmd, vkm->attn_pipeline, V->b_attn, &ap,
                vkm->attn_rows ? hp->n_head_kv : hp->n_head, n);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_matmat (vkm, cmd, &V->wo, n, error);
      barrier (vkm, cmd);
      norm.add = 1;
      dispatch (vkm, cmd, vkm->norm_pipeline, V->b_norm2, &norm, n, 1);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_matmat (vkm, cmd, &V->gate_up.mv[0], n, error);
      barrier (vkm, cmd);
      if (status == EMBER_OK)
        status = record_matmat (vkm, cmd, &V->down, n, error);
      barrier (vkm, cmd);
    }
  if (status == EMBER_OK && want_logits)
    {
      /* the residual stream of the last token, as a decode step leaves it
       * in x and t, then the decode step's tail */
      VkBufferCopy copy = {
        .srcOffset = (VkDeviceSize) (n - 1) * hp->n_embd * sizeof (float),
        .dstOffset = 0,
        .size = hp->n_embd * sizeof (float),
      };

      vkCmdCopyBuffer (cmd, vkm->bx->buffer, vkm->x->buffer, 1, &copy);
      vkCmdCopyBuffer (cmd, vkm->bt->buffer, vkm->t->buffer, 1, &copy);
      barrier (vkm, cmd);
      record_norm (vkm, cmd, vkm->final_norm, hp->n_layer > 0);
      barrier (vkm, cmd);
      status = record_matvec (vkm, cmd, &vkm->output, error);
    }
  return status;
}

uint32_t
ember_vk_model_get_batch (const ember_vk_model *vkm)
{
  return vkm->batch;
}

ember_status
ember_vk_model_prefill (ember_vk_model *vkm,
                        const int32_t  *tokens,
                        uint32_t        n,
                        uint32_t        pos,
                        float          *logits,
                        ember_error    *error)
{
  const ember_hparams *hp;
  const ember_matrix *embd;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status = EMBER_OK;

  if (vkm == NULL || tokens == NULL || n == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_model_prefill: missing argument");
  hp = &vkm->model->hp;
  if (pos > vkm->n_ctx || n > vkm->n_ctx - pos)
    return ember_error_set (error, EMBER_ERROR_CONTEXT_FULL,
                            "%u tokens from position %u are past the context of %u tokens", n,
                            pos, vkm->n_ctx);
  for (uint32_t i = 0; i < n; i++)
    if (tokens[i] < 0 || (uint32_t) tokens[i] >= hp->n_vocab)
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "token id %d is outside the vocabulary (0 to %u)", tokens[i],
                              hp->n_vocab - 1);
  if (vkm->batch == 0 || n == 1)
    {
      for (uint32_t i = 0; status == EMBER_OK && i < n; i++)
        status = ember_vk_model_decode (vkm, tokens[i], pos + i, i + 1 == n ? logits : NULL, error);
      return status;
    }

  embd = &vkm->model->tok_embd;
  for (uint32_t done = 0; status == EMBER_OK && done < n;)
    {
      uint32_t chunk = n - done < vkm->batch ? n - done : vkm->batch;
      bool last = done + chunk == n;

      /* The embeddings, dequantized here from the mapped file as the CPU
       * path does, and the rotations of the chunk's positions. */
      for (uint32_t i = 0; status == EMBER_OK && i < chunk; i++)
        status = ember_dequantize_row (embd->tensor->type->type,
                                       embd->data + (uint64_t) tokens[done + i] * embd->row_bytes,
                                       vkm->b_host + (uint64_t) i * hp->n_embd, hp->n_embd, error);
      if (status == EMBER_OK)
        status = ember_vk_buffer_write (vkm->vk, vkm->bx, 0, vkm->b_host,
                                        (uint64_t) chunk * hp->n_embd * sizeof (float), error);
      for (uint32_t i = 0; status == EMBER_OK && i < chunk && hp->rope_dims > 0; i++)
        ember_rope_table (vkm->model, pos + done + i, vkm->b_host + (uint64_t) i * hp->rope_dims);
      if (status == EMBER_OK && hp->rope_dims > 0)
        status = ember_vk_buffer_write (vkm->vk, vkm->brope, 0, vkm->b_host,
                                        (uint64_t) chunk * hp->rope_dims * sizeof (float), error);

      vkm->n_dispatches = 0;
      vkm->n_barriers = 0;
      if (status == EMBER_OK)
        status = ember_vk_begin (vkm->vk, &cmd, error);
      if (status == EMBER_OK)
        status = record_batch (vkm, cmd, chunk, pos + done, last && logits != NULL, error);
      if (status == EMBER_OK)
        {
          status = ember_vk_submit_wait (vkm->vk, cmd, error);
          cmd = VK_NULL_HANDLE;
        }
      ember_vk_abandon (vkm->vk, cmd);
      cmd = VK_NULL_HANDLE;
      done += chunk;
    }
  if (status == EMBER_OK && logits != NULL)
    status = ember_vk_buffer_read (vkm->vk, vkm->logits, 0, logits,
                                   (uint64_t) hp->n_vocab * sizeof (float), error);
  return status;
}

/* A decode step's token and position, checked. */
static ember_status
check_step (const ember_vk_model *vkm,
            int32_t               token,
            uint32_t              pos,
            ember_error          *error)
{
  if (token < 0 || (uint32_t) token >= vkm->model->hp.n_vocab)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "token id %d is outside the vocabulary (0 to %u)", token,
                            vkm->model->hp.n_vocab - 1);
  if (pos >= vkm->n_ctx)
    return ember_error_set (error, EMBER_ERROR_CONTEXT_FULL,
                            "position %u is past the context of %u tokens", pos, vkm->n_ctx);
  return EMBER_OK;
}

ember_status
ember_vk_model_decode (ember_vk_model *vkm,
                       int32_t         token,
                       uint32_t        pos,
                       float          *logits,
                       ember_error    *error)
{
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status;

  if (vkm == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_model_decode: missing argument");
  status = check_step (vkm, token, pos, error);
  if (status != EMBER_OK)
    return status;

  vkm->n_dispatches = 0;
  vkm->n_barriers = 0;
  status = ember_vk_begin (vkm->vk, &cmd, error);
  if (status == EMBER_OK)
    status = record_step (vkm, cmd, token, pos, logits != NULL, error);
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vkm->vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK && logits != NULL)
    status = ember_vk_buffer_read (vkm->vk, vkm->logits, 0, logits,
                                   (uint64_t) vkm->model->hp.n_vocab * sizeof (float), error);
  ember_vk_abandon (vkm->vk, cmd);
  return status;
}

ember_status
ember_vk_model_decode_argmax (ember_vk_model *vkm,
                              int32_t         token,
                              uint32_t        pos,
                              int32_t        *next,
                              ember_error    *error)
{
  const uint32_t n_vocab = vkm != NULL ? vkm->model->hp.n_vocab : 0;
  uint32_t out[2 * EMBER_VK_ARGMAX_GROUPS + 1];
  struct {
    uint32_t n, chunk;
  } push = { n_vocab, (n_vocab + EMBER_VK_ARGMAX_GROUPS - 1) / EMBER_VK_ARGMAX_GROUPS };
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status;

  if (vkm == NULL || next == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_model_decode_argmax: missing argument");
  status = check_step (vkm, token, pos, error);
  if (status != EMBER_OK)
    return status;

  if (!vkm->argmax_device)
    {
      /* the host reads a CPU device's logits for free: no dispatch */
      if (vkm->host_logits == NULL
          && (vkm->host_logits = malloc (n_vocab * sizeof (float))) == NULL)
        return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      status = ember_vk_model_decode (vkm, token, pos, vkm->host_logits, error);
      if (status == EMBER_OK)
        *next = ember_logits_argmax (vkm->host_logits, n_vocab);
      return status;
    }

  vkm->n_dispatches = 0;
  vkm->n_barriers = 0;
  status = ember_vk_begin (vkm->vk, &cmd, error);
  if (status == EMBER_OK)
    status = record_step (vkm, cmd, token, pos, true, error);
  if (status == EMBER_OK)
    {
      barrier (vkm, cmd);
      dispatch (vkm, cmd, vkm->argmax_pipeline, vkm->argmax_set, &push, EMBER_VK_ARGMAX_GROUPS, 1);
      status = ember_vk_submit_wait (vkm->vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vkm->vk, vkm->argmax_out, 0, out, sizeof out, error);
  ember_vk_abandon (vkm->vk, cmd);
  if (status != EMBER_OK)
    return status;

  *next = ember_vk_argmax_merge (out, EMBER_VK_ARGMAX_GROUPS, n_vocab);
  return EMBER_OK;
}

void
ember_vk_model_get_stats (const ember_vk_model *vkm,
                          uint32_t             *dispatches,
                          uint32_t             *barriers)
{
  if (dispatches != NULL)
    *dispatches = vkm->n_dispatches;
  if (barriers != NULL)
    *barriers = vkm->n_barriers;
}
