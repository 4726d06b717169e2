/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan backend's building blocks, below the model: device buffers,
 * weight tensors split across buffers, and single ops run once. The model
 * loader and the tests use this header; the app does not (it is not
 * included by ember.h).
 *
 * Every object here belongs to the ember_vulkan it was made with and must be
 * freed before it. Calls on one ember_vulkan are not thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ember-common.h"
#include "ember-model.h"
#include "ember-types.h"
#include "ember-vulkan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tuning and test hooks ---------------------------------------------- */

typedef struct {
  /* The largest buffer a tensor part may use, in bytes; 0: the device's
   * limit (the smaller of maxStorageBufferRange and maxMemoryAllocationSize).
   * A smaller value only lowers the device's limit (tests split tensors with
   * it without allocating 128 MiB). */
  uint64_t max_buffer_bytes;
  /* The size of the staging buffer that uploads and readbacks go through;
   * 0: 16 MiB. */
  uint64_t staging_chunk_bytes;
  /* Put buffers in memory the host cannot map even where the device has
   * host-visible device-local memory (lavapipe), so that every upload and
   * readback goes through the staging buffer. */
  bool force_staging;
  /* Use the shared-memory kernel variants even where the device has
   * subgroup arithmetic. */
  bool no_subgroup_ops;
  /* Upload q, k, v (and gate, up) of a model as separate tensors even where
   * they share a type (one dispatch each instead of one for the group), as
   * models with mixed types get them. */
  bool no_fused_matvec;
  /* Models made afterwards process prompts token by token. */
  bool no_prompt_batch;
  /* Which mat-vec kernel a model uses: EMBER_VK_MATVEC_AUTO (rows on CPU
   * devices, cooperative elsewhere), or one of the two. */
  ember_vk_matvec_kernel matvec_kernel;
  ember_vk_argmax_place argmax;
} ember_vk_tuning;

/* Replaces @vk's tuning; @tuning NULL restores the defaults: every field 0,
 * except the paths that @vk's ember_vulkan_options asked for (their
 * ember_vulkan_paths: no_subgroup_ops, no_fused_matvec, no_prompt_batch,
 * matvec_kernel, argmax). Limits apply to buffers and tensors made
 * afterwards. */
ember_status ember_vk_set_tuning (ember_vulkan          *vk,
                                  const ember_vk_tuning *tuning,
                                  ember_error           *error);

/* Whether kernels use subgroup arithmetic on @vk (the device supports it in
 * compute shaders and the tuning allows it). */
bool ember_vk_uses_subgroup_ops (const ember_vulkan *vk);

/* Whether models on @vk use the rows mat-vec kernel (the tuning, else
 * whether @vk is a CPU device). */
bool ember_vk_uses_rows_matvec (const ember_vulkan *vk);

/* Whether models on @vk with this head layout use attention-rows.comp
 * (where they use the rows mat-vec, head_dim is a multiple of 4 up to 256
 * and at most 16 query heads share a KV head) rather than attention.comp. */
bool ember_vk_uses_rows_attention (const ember_vulkan *vk,
                                   uint32_t            n_head,
                                   uint32_t            n_head_kv,
                                   uint32_t            head_dim);

/* ---- buffers ------------------------------------------------------------ */

typedef struct ember_vk_buffer ember_vk_buffer;

/* A storage buffer of @size bytes (at most the device's buffer limit) in
 * device-local memory where the device has some, else host-visible memory.
 * Its contents are undefined until written. */
ember_status ember_vk_buffer_new (ember_vulkan     *vk,
                                  uint64_t          size,
                                  ember_vk_buffer **out,
                                  ember_error      *error);
void ember_vk_buffer_free (ember_vulkan    *vk,
                           ember_vk_buffer *buffer);
uint64_t ember_vk_buffer_get_size (const ember_vk_buffer *buffer);
/* Whether the host writes and reads @buffer directly (no staging copy). */
bool ember_vk_buffer_is_mapped (const ember_vk_buffer *buffer);

/* Copies @size bytes between host memory and @buffer at @offset, through the
 * staging buffer in chunks when the buffer is not host-visible. Synchronous. */
ember_status ember_vk_buffer_write (ember_vulkan    *vk,
                                    ember_vk_buffer *buffer,
                                    uint64_t         offset,
                                    const void      *data,
                                    uint64_t         size,
                                    ember_error     *error);
ember_status ember_vk_buffer_read (ember_vulkan    *vk,
                                   ember_vk_buffer *buffer,
                                   uint64_t         offset,
                                   void            *data,
                                   uint64_t         size,
                                   ember_error     *error);

/* ---- tensors: a matrix of rows in one or more buffers --------------------- */

typedef struct ember_vk_tensor ember_vk_tensor;

/* Uploads a @rows × @cols matrix of @type (rows of @cols elements in ggml's
 * block layout, @cols a whole number of blocks) from @data. Rows are split
 * across as many buffers as the device's limits need, never inside a row.
 * Q4_0 and Q8_0 are repacked on the way (quants in 16-byte vectors, then the
 * scales as f32; see shaders/dequant.glsl), a few chunks at a time. */
ember_status ember_vk_tensor_new (ember_vulkan     *vk,
                                  ember_type        type,
                                  uint64_t          rows,
                                  uint64_t          cols,
                                  const void       *data,
                                  ember_vk_tensor **out,
                                  ember_error      *error);
void ember_vk_tensor_free (ember_vulkan    *vk,
                           ember_vk_tensor *tensor);

/* The bytes a row of @cols elements of @type takes on the device (more than
 * in the file for the repacked types), or 0 where @cols is not a whole
 * number of blocks. */
uint64_t ember_vk_row_bytes (ember_type type,
                             uint64_t   cols);

/* The buffers holding @tensor: part @i has rows [*first_row, *first_row +
 * *n_rows). */
uint32_t ember_vk_tensor_get_n_parts (const ember_vk_tensor *tensor);
void ember_vk_tensor_get_part (const ember_vk_tensor *tensor,
                               uint32_t               i,
                               uint64_t              *first_row,
                               uint64_t              *n_rows);

/* ---- single ops, for tests: one command buffer, one submit, one wait ----- */

/* y = W·x: @x has W's cols elements, @y its rows. W is F32, F16, Q8_0 or
 * Q4_0. */
ember_status ember_vulkan_matvec (ember_vulkan          *vk,
                                  const ember_vk_tensor *w,
                                  const float           *x,
                                  float                 *y,
                                  ember_error           *error);

/* y = x / sqrt(mean(x²) + eps) * weight, for each of @rows rows of @n. */
ember_status ember_vulkan_rms_norm (ember_vulkan *vk,
                                    const float  *x,
                                    const float  *weight,
                                    float        *y,
                                    uint32_t      n,
                                    uint32_t      rows,
                                    float         eps,
                                    ember_error  *error);

/* The index of the largest of @n values of @x, found on the device (ties:
 * the lowest index; a NaN first value: 0, as ember_sample_greedy ()). */
ember_status ember_vulkan_argmax (ember_vulkan *vk,
                                  const float  *x,
                                  uint32_t      n,
                                  int32_t      *index,
                                  ember_error  *error);

/* The ops below run one kernel as the model records it (the same variant,
 * specialization, push constants and grid), on buffers made for the call. */

/* The mat-vec's GLU forms. ember_vulkan_matvec_glu (): the rows kernel's
 * (matvec-rows.comp, GLU), @gate_up in one buffer, gate rows then as many up
 * rows, cols a multiple of 8; y[r] = silu(gate[r]·x) * (up[r]·x) for each
 * of rows / 2 rows. ember_vulkan_matvec_swiglu (): the cooperative kernel's
 * (matvec.comp, SWIGLU, with subgroup arithmetic where the device and the
 * tuning allow), y = W·(silu(g) * u) for @gate_up = g then u, each of W's
 * cols elements. */
ember_status ember_vulkan_matvec_glu (ember_vulkan          *vk,
                                      const ember_vk_tensor *gate_up,
                                      const float           *x,
                                      float                 *y,
                                      ember_error           *error);
ember_status ember_vulkan_matvec_swiglu (ember_vulkan          *vk,
                                         const ember_vk_tensor *w,
                                         const float           *gate_up,
                                         float                 *y,
                                         ember_error           *error);

/* The prompt batch's Y = W·X (matmat-rows.comp): @x is @n_tokens rows of
 * W's cols (a multiple of 8), @y n_tokens rows of W's rows; with @glu, W is
 * gate rows then up rows in one buffer and y's rows have rows / 2 values
 * silu(gate·x) * (up·x). */
ember_status ember_vulkan_matmat (ember_vulkan          *vk,
                                  const ember_vk_tensor *w,
                                  const float           *x,
                                  uint32_t               n_tokens,
                                  float                 *y,
                                  bool                   glu,
                                  ember_error           *error);

/* Row @row of the token embedding @table, dequantized (embed.comp) into
 * @x (table's cols floats). */
ember_status ember_vulkan_embed (ember_vulkan          *vk,
                                 const ember_vk_tensor *table,
                                 uint32_t               row,
                                 float                 *x,
                                 ember_error           *error);

/* The residual add fused with RMS norm (add-rms-norm.comp), for each of
 * @rows rows of @n: with @add, x += t (x is written back); then
 * y = x / sqrt(mean(x²) + eps) * weight. @t may be NULL without @add. */
ember_status ember_vulkan_add_rms_norm (ember_vulkan *vk,
                                        float        *x,
                                        const float  *t,
                                        const float  *weight,
                                        float        *y,
                                        uint32_t      n,
                                        uint32_t      rows,
                                        bool          add,
                                        float         eps,
                                        ember_error  *error);

/* A layer's heads, for the RoPE-store and attention ops: @n_tokens tokens
 * at positions pos … pos + n_tokens - 1 of a cache of @n_ctx positions of
 * n_head_kv × head_dim floats each. q, k and v of a token lie one after the
 * other in a qkv row of (n_head + 2 n_head_kv) × head_dim floats. */
typedef struct {
  uint32_t n_head, n_head_kv, head_dim;
  uint32_t rope_dims;       /* rotated elements of a head: even, ≤ head_dim */
  bool neox;                /* NeoX pairs (i, i + rope_dims / 2), else (2i, 2i + 1) */
  float eps;                /* the head norm's */
  uint32_t n_ctx, pos, n_tokens;
} ember_vk_heads;

/* rope-store.comp: the biases (@bias, q_dim + 2 kv_dim floats, or NULL)
 * added, each head of q and k normalised (@q_norm, @k_norm: head_dim floats
 * each, or both NULL), q rotated in place in @qkv and k rotated into
 * @k_cache, v into @v_cache, at each token's position. @rope holds a
 * rotation table (ember_rope_table ()) per token, rope_dims floats each.
 * @qkv and both caches (n_ctx × kv_dim) are uploaded and read back whole. */
ember_status ember_vulkan_rope_store (ember_vulkan         *vk,
                                      const ember_vk_heads *heads,
                                      float                *qkv,
                                      const float          *rope,
                                      const float          *bias,
                                      const float          *q_norm,
                                      const float          *k_norm,
                                      float                *k_cache,
                                      float                *v_cache,
                                      ember_error          *error);

/* Causal attention of the tokens' q (in @qkv rows) over the caches, which
 * hold positions 0 … pos + n_tokens - 1: @out gets n_tokens × n_head ×
 * head_dim floats. attention-rows.comp where ember_vk_uses_rows_attention (),
 * else attention.comp. */
ember_status ember_vulkan_attention (ember_vulkan         *vk,
                                     const ember_vk_heads *heads,
                                     const float          *qkv,
                                     const float          *k_cache,
                                     const float          *v_cache,
                                     float                *out,
                                     ember_error          *error);

/* ---- a whole model on the device ----------------------------------------- */

typedef struct ember_vk_model ember_vk_model;

/* Uploads every weight of @model to @vk once and makes a KV cache of @n_ctx
 * tokens and the scratch buffers in device memory. Every architecture
 * ember_model loads (llama, qwen2 with its biases, qwen3 with its q/k norms)
 * runs, with matrices of every type the GGUF reader knows. @model must
 * outlive the result. */
ember_status ember_vk_model_new (ember_vulkan       *vk,
                                 const ember_model  *model,
                                 uint32_t            n_ctx,
                                 ember_vk_model    **out,
                                 ember_error        *error);
void ember_vk_model_free (ember_vk_model *vkm);

/* One decode step: @token at position @pos (0 … n_ctx-1; the cache must
 * hold positions 0 … pos-1 from earlier steps) through every layer, the
 * final norm and the output projection, recorded into one command buffer,
 * submitted once and waited for once. @logits gets n_vocab floats; with
 * @logits NULL (a prompt token but the last) the step stops after the last
 * layer: no final norm, no output projection, nothing read back. */
ember_status ember_vk_model_decode (ember_vk_model *vkm,
                                    int32_t         token,
                                    uint32_t        pos,
                                    float          *logits,
                                    ember_error    *error);

/* A decode step for greedy decoding: as ember_vk_model_decode (), then the
 * id of the largest logit (ties: the lowest id, as ember_sample_greedy ()),
 * found on the device so that a few words are read back instead of n_vocab
 * floats, or on the host where the tuning says (CPU devices). */
ember_status ember_vk_model_decode_argmax (ember_vk_model *vkm,
                                           int32_t         token,
                                           uint32_t        pos,
                                           int32_t        *next,
                                           ember_error    *error);

/* @n prompt tokens at positions @pos … @pos + n - 1 (the cache holding
 * 0 … pos - 1), in steps of up to ember_vk_model_get_batch () tokens: each
 * step one command buffer of mat-mat kernels and causal attention, one
 * submit, one wait. @logits (or NULL) gets the last token's n_vocab
 * logits. Where the model has no batched path (get_batch () is 0) the
 * tokens go one decode step each. */
ember_status ember_vk_model_prefill (ember_vk_model *vkm,
                                     const int32_t  *tokens,
                                     uint32_t        n,
                                     uint32_t        pos,
                                     float          *logits,
                                     ember_error    *error);

/* Tokens per prompt step, or 0 where prompts go token by token: gate and
 * up of different types or split across buffers, widths that are not whole
 * vec4s, the tuning's no_prompt_batch set. */
uint32_t ember_vk_model_get_batch (const ember_vk_model *vkm);

/* The dispatches and the compute barriers the last step (a decode step or
 * a prompt batch's last chunk) recorded. */
void ember_vk_model_get_stats (const ember_vk_model *vkm,
                               uint32_t             *dispatches,
                               uint32_t             *barriers);

#ifdef __cplusplus
}
#endif
