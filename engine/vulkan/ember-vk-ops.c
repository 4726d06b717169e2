/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Single ops on the Vulkan device, run once, for tests: mat-vec (plain and
 * its two GLU forms), mat-mat, embedding, RMS norm with and without the
 * residual add, RoPE-store, attention and argmax. Each call uploads its
 * inputs, records one command buffer, submits it once, waits once and
 * reads the result back. Each records its kernel as ember-vk-model.c does
 * (variant, specialization, push constants, grid), so that a test of the
 * op is a test of what the model runs.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ember-shaders.h"
#include "ember-vk-private.h"

uint32_t
ember_vk_reduction_width (const ember_vulkan *vk,
                 uint32_t            per_subgroup,
                 uint32_t            min)
{
  uint32_t width = vk->subgroup_size > 0 ? vk->subgroup_size * per_subgroup : 64;

  if (width < min)
    width = min;
  if (width > 128)
    width = 128;
  while (width > vk->limits.maxComputeWorkGroupSize[0]
         || width > vk->limits.maxComputeWorkGroupInvocations)
    width /= 2;
  return width;
}

bool
ember_vk_kernel_variant (const ember_vulkan *vk,
                         const char         *kernel,
                         ember_type          type,
                         const char         *suffix,
                         char               *out,
                         size_t              size)
{
  const ember_type_info *info = ember_type_get_info ((uint32_t) type);
  bool sg = strcmp (kernel, "matvec") == 0 && ember_vk_uses_subgroup_ops (vk);
  size_t n;

  if (info == NULL)
    return false;
  n = (size_t) snprintf (out, size, "%s_%s%s%s", kernel, info->name, sg ? "_sg" : "",
                         suffix != NULL ? suffix : "");
  if (n >= size)
    return false;
  /* the type's name in lower case: "Q4_K" is the variant "q4_k" */
  for (char *c = out + strlen (kernel); *c != '\0'; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char) (*c - 'A' + 'a');
  return ember_spirv_lookup (out) != NULL;
}

/* A device buffer holding @size bytes of @data. */
static ember_status
upload (ember_vulkan     *vk,
        const void       *data,
        uint64_t          size,
        ember_vk_buffer **out,
        ember_error      *error)
{
  ember_status status = ember_vk_buffer_new (vk, size, out, error);

  if (status == EMBER_OK && data != NULL)
    status = ember_vk_buffer_write (vk, *out, 0, data, size, error);
  return status;
}

bool
ember_vk_uses_rows_attention (const ember_vulkan *vk,
                              uint32_t            n_head,
                              uint32_t            n_head_kv,
                              uint32_t            head_dim)
{
  return ember_vk_uses_rows_matvec (vk) && head_dim % 4 == 0 && head_dim / 4 <= 64
         && n_head_kv > 0 && n_head / n_head_kv <= 16;
}

/* y = W·x (or its GLU forms) with the mat-vec pipeline @variant: one
 * dispatch per part of @w, @rows_per_group rows per workgroup; with @glu a
 * part is gate then up rows and gives half as many values. @x_floats: the
 * length of x. */
static ember_status
run_matvec (ember_vulkan          *vk,
            const ember_vk_tensor *w,
            const char            *variant,
            const uint32_t        *spec,
            uint32_t               rows_per_group,
            bool                   swiglu,
            bool                   glu,
            const float           *x,
            uint64_t               x_floats,
            float                 *y,
            ember_error           *error)
{
  /* the SWIGLU variant takes a fifth word: where x's up half begins */
  uint32_t push_words = swiglu ? 5 : 4;
  uint64_t y_floats = glu ? w->rows / 2 : w->rows;
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *x_buf = NULL;
  ember_vk_buffer *y_buf = NULL;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status;

  if (x_floats * sizeof (float) > ember_vk_max_buffer_bytes (vk)
      || w->rows * sizeof (float) > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a %llu × %llu mat-vec needs vectors larger than one buffer",
                            (unsigned long long) w->rows, (unsigned long long) w->cols);
  status = ember_vk_pipeline_get (vk, variant, 3, push_words * sizeof (uint32_t), spec, 2,
                                  &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, x, x_floats * sizeof (float), &x_buf, error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, y_floats * sizeof (float), &y_buf, error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);

  /* One dispatch per buffer of W; they write disjoint parts of y. */
  for (uint32_t i = 0; status == EMBER_OK && i < w->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &w->parts[i];
      ember_vk_binding bindings[3] = {
        { part->buffer, 0, VK_WHOLE_SIZE },
        { x_buf, 0, VK_WHOLE_SIZE },
        { y_buf, 0, VK_WHOLE_SIZE },
      };
      uint64_t n_rows = glu ? part->n_rows / 2 : part->n_rows;
      uint64_t groups = n_rows / rows_per_group + (n_rows % rows_per_group != 0);
      uint32_t push[5] = { (uint32_t) n_rows, (uint32_t) w->cols, (uint32_t) w->row_bytes,
                           (uint32_t) part->first_row, (uint32_t) w->cols };
      uint32_t gx, gy;

      status = ember_vk_grid (vk, groups, &gx, &gy, error);
      if (status == EMBER_OK)
        status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, push, gx, gy, error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, y_buf, 0, y, y_floats * sizeof (float), error);

  ember_vk_abandon (vk, cmd);
  ember_vk_buffer_free (vk, x_buf);
  ember_vk_buffer_free (vk, y_buf);
  return status;
}

ember_status
ember_vulkan_matvec (ember_vulkan          *vk,
                     const ember_vk_tensor *w,
                     const float           *x,
                     float                 *y,
                     ember_error           *error)
{
  uint32_t spec[2];
  char variant[64];
  bool rows_kernel;

  if (vk == NULL || w == NULL || x == NULL || y == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_matvec: missing argument");
  rows_kernel = ember_vk_uses_rows_matvec (vk) && w->cols % 8 == 0;
  if (!ember_vk_kernel_variant (vk, rows_kernel ? "matvec_rows" : "matvec", w->type, NULL, variant,
                                sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan mat-vec kernel for %s weights yet",
                            ember_type_get_info ((uint32_t) w->type)->name);
  if (rows_kernel)
    {
      spec[0] = EMBER_VK_ROWS_KERNEL_WIDTH;
      spec[1] = EMBER_VK_ROWS_KERNEL_ROWS;
    }
  else
    {
      spec[0] = ember_vk_reduction_width (vk, 2, 16);
      spec[1] = EMBER_VK_MATVEC_ROWS_PER_GROUP;
    }
  /* the rows kernel: spec[1] rows for each of spec[0] invocations; the
   * cooperative one: spec[1] rows for the whole workgroup */
  return run_matvec (vk, w, variant, spec, rows_kernel ? spec[0] * spec[1] : spec[1], false,
                     false, x, w->cols, y, error);
}

ember_status
ember_vulkan_matvec_glu (ember_vulkan          *vk,
                         const ember_vk_tensor *gate_up,
                         const float           *x,
                         float                 *y,
                         ember_error           *error)
{
  uint32_t spec[2] = { EMBER_VK_ROWS_KERNEL_WIDTH, EMBER_VK_ROWS_KERNEL_ROWS };
  char variant[64];

  if (vk == NULL || gate_up == NULL || x == NULL || y == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_matvec_glu: missing argument");
  /* as the model: gate and up in one buffer, whole 8-element units */
  if (gate_up->n_parts != 1 || gate_up->rows % 2 != 0 || gate_up->cols % 8 != 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the GLU mat-vec takes gate and up rows in one buffer, rows of "
                            "whole 8-element units");
  if (!ember_vk_kernel_variant (vk, "matvec_rows", gate_up->type, "_glu", variant, sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan GLU mat-vec kernel for %s weights",
                            ember_type_get_info ((uint32_t) gate_up->type)->name);
  return run_matvec (vk, gate_up, variant, spec, spec[0] * spec[1], false, true, x,
                     gate_up->cols, y, error);
}

ember_status
ember_vulkan_matvec_swiglu (ember_vulkan          *vk,
                            const ember_vk_tensor *w,
                            const float           *gate_up,
                            float                 *y,
                            ember_error           *error)
{
  uint32_t spec[2];
  char variant[64];

  if (vk == NULL || w == NULL || gate_up == NULL || y == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_matvec_swiglu: missing argument");
  if (!ember_vk_kernel_variant (vk, "matvec", w->type, "_swiglu", variant, sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan SwiGLU mat-vec kernel for %s weights",
                            ember_type_get_info ((uint32_t) w->type)->name);
  spec[0] = ember_vk_reduction_width (vk, 2, 16);
  spec[1] = EMBER_VK_MATVEC_ROWS_PER_GROUP;
  return run_matvec (vk, w, variant, spec, spec[1], true, false, gate_up, 2 * w->cols, y, error);
}

ember_status
ember_vulkan_matmat (ember_vulkan          *vk,
                     const ember_vk_tensor *w,
                     const float           *x,
                     uint32_t               n_tokens,
                     float                 *y,
                     bool                   glu,
                     ember_error           *error)
{
  /* as the model's make_matmat (): the repacked types take the large tile */
  bool packed;
  uint32_t spec[3];
  uint64_t out_rows, x_size, y_size;
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *x_buf = NULL;
  ember_vk_buffer *y_buf = NULL;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  char variant[64];
  ember_status status;

  if (vk == NULL || w == NULL || x == NULL || y == NULL || n_tokens == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_matmat: missing argument");
  if (w->cols % 8 != 0 || (glu && (w->n_parts != 1 || w->rows % 2 != 0)))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the mat-mat takes rows of whole 8-element units (and GLU's gate "
                            "and up rows in one buffer)");
  if (!ember_vk_kernel_variant (vk, "matmat_rows", w->type, glu ? "_glu" : NULL, variant,
                                sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan mat-mat kernel for %s weights",
                            ember_type_get_info ((uint32_t) w->type)->name);
  packed = w->type == EMBER_TYPE_Q4_0 || w->type == EMBER_TYPE_Q8_0;
  spec[0] = EMBER_VK_MATMAT_WIDTH;
  spec[1] = packed ? EMBER_VK_MATMAT_ROWS : EMBER_VK_MATMAT_ROWS / 2;
  spec[2] = packed ? EMBER_VK_MATMAT_TOKENS : EMBER_VK_MATMAT_TOKENS / 2;
  out_rows = glu ? w->rows / 2 : w->rows;
  x_size = (uint64_t) n_tokens * w->cols * sizeof (float);
  y_size = (uint64_t) n_tokens * out_rows * sizeof (float);
  if (x_size > ember_vk_max_buffer_bytes (vk) || y_size > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u tokens of a %llu × %llu mat-mat need more than one buffer",
                            n_tokens, (unsigned long long) w->rows, (unsigned long long) w->cols);

  status = ember_vk_pipeline_get (vk, variant, 3, 7 * sizeof (uint32_t), spec, 3, &pipeline,
                                  error);
  if (status == EMBER_OK)
    status = upload (vk, x, x_size, &x_buf, error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, y_size, &y_buf, error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);
  for (uint32_t i = 0; status == EMBER_OK && i < w->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &w->parts[i];
      ember_vk_binding bindings[3] = {
        { part->buffer, 0, VK_WHOLE_SIZE },
        { x_buf, 0, VK_WHOLE_SIZE },
        { y_buf, 0, VK_WHOLE_SIZE },
      };
      uint64_t n_rows = glu ? part->n_rows / 2 : part->n_rows;
      uint64_t per_group = (uint64_t) spec[0] * spec[1];
      uint64_t groups = n_rows / per_group + (n_rows % per_group != 0);
      uint32_t push[7] = { (uint32_t) n_rows, (uint32_t) w->cols, (uint32_t) w->row_bytes,
                           (uint32_t) part->first_row, n_tokens, (uint32_t) w->cols,
                           (uint32_t) out_rows };

      if (groups > vk->limits.maxComputeWorkGroupCount[0])
        status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "a mat-mat of %llu rows is more than the device's grid",
                                  (unsigned long long) n_rows);
      else
        status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, push, (uint32_t) groups,
                                           (n_tokens + spec[2] - 1) / spec[2], error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, y_buf, 0, y, y_size, error);

  ember_vk_abandon (vk, cmd);
  ember_vk_buffer_free (vk, x_buf);
  ember_vk_buffer_free (vk, y_buf);
  return status;
}

ember_status
ember_vulkan_embed (ember_vulkan          *vk,
                    const ember_vk_tensor *table,
                    uint32_t               row,
                    float                 *x,
                    ember_error           *error)
{
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *x_buf = NULL;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  char variant[64];
  ember_status status;

  if (vk == NULL || table == NULL || x == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_embed: missing argument");
  if (row >= table->rows)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "row %u of a table of %llu rows", row,
                            (unsigned long long) table->rows);
  if (!ember_vk_kernel_variant (vk, "embed", table->type, NULL, variant, sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan embedding kernel for %s",
                            ember_type_get_info ((uint32_t) table->type)->name);
  status = ember_vk_pipeline_get (vk, variant, 2, 4 * sizeof (uint32_t), NULL, 0, &pipeline,
                                  error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, table->cols * sizeof (float), &x_buf, error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);
  /* as the model's decode step: the part that holds the row, one
   * invocation per 8 elements in workgroups of 64 */
  for (uint32_t i = 0; status == EMBER_OK && i < table->n_parts; i++)
    {
      const ember_vk_tensor_part *part = &table->parts[i];
      ember_vk_binding bindings[2] = {
        { part->buffer, 0, VK_WHOLE_SIZE },
        { x_buf, 0, VK_WHOLE_SIZE },
      };
      uint64_t units = (table->cols + 7) / 8;
      uint32_t push[4] = { (uint32_t) (row - part->first_row), (uint32_t) table->cols,
                           (uint32_t) table->row_bytes, (uint32_t) part->n_rows };
      uint32_t gx, gy;

      if (row < part->first_row || row >= part->first_row + part->n_rows)
        continue;
      status = ember_vk_grid (vk, units / 64 + (units % 64 != 0), &gx, &gy, error);
      if (status == EMBER_OK)
        status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, push, gx, gy, error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, x_buf, 0, x, table->cols * sizeof (float), error);

  ember_vk_abandon (vk, cmd);
  ember_vk_buffer_free (vk, x_buf);
  return status;
}

/* Runs @pipeline once over @gx × @gy workgroups with @n buffers bound in
 * order. */
static ember_status
run_once (ember_vulkan            *vk,
          const ember_vk_pipeline *pipeline,
          ember_vk_buffer *const  *buffers,
          uint32_t                 n,
          const void              *push,
          uint32_t                 gx,
          uint32_t                 gy,
          ember_error             *error)
{
  ember_vk_binding bindings[EMBER_VK_MAX_BINDINGS];
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status;

  if (gx > vk->limits.maxComputeWorkGroupCount[0] || gy > vk->limits.maxComputeWorkGroupCount[1])
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u × %u workgroups are more than the device's grid", gx, gy);
  for (uint32_t i = 0; i < n; i++)
    bindings[i] = (ember_vk_binding) { buffers[i], 0, VK_WHOLE_SIZE };
  status = ember_vk_begin (vk, &cmd, error);
  if (status == EMBER_OK)
    status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, push, gx, gy, error);
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  ember_vk_abandon (vk, cmd);
  return status;
}

ember_status
ember_vulkan_add_rms_norm (ember_vulkan *vk,
                           float        *x,
                           const float  *t,
                           const float  *weight,
                           float        *y,
                           uint32_t      n,
                           uint32_t      rows,
                           bool          add,
                           float         eps,
                           ember_error  *error)
{
  struct {
    uint32_t n, add;
    float eps;
  } push = { n, add, eps };
  uint64_t size = (uint64_t) n * rows * sizeof (float);
  uint32_t spec[1];
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *buffers[4] = { NULL, NULL, NULL, NULL };
  ember_status status;

  if (vk == NULL || x == NULL || (add && t == NULL) || weight == NULL || y == NULL || n == 0
      || rows == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_add_rms_norm: missing argument");
  if (size > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u rows of %u elements do not fit in one buffer", rows, n);

  /* the model's: one workgroup per row (a decode step has one) */
  spec[0] = ember_vk_reduction_width (vk, 4, 32);
  status = ember_vk_pipeline_get (vk, "add_rms_norm", 4, sizeof push, spec, 1, &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, x, size, &buffers[0], error);
  if (status == EMBER_OK)
    status = upload (vk, add ? t : NULL, size, &buffers[1], error);
  if (status == EMBER_OK)
    status = upload (vk, weight, (uint64_t) n * sizeof (float), &buffers[2], error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, size, &buffers[3], error);
  if (status == EMBER_OK)
    status = run_once (vk, pipeline, buffers, 4, &push, rows, 1, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[3], 0, y, size, error);
  if (status == EMBER_OK && add)
    status = ember_vk_buffer_read (vk, buffers[0], 0, x, size, error);

  for (int i = 0; i < 4; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}

static bool
heads_valid (const ember_vk_heads *h)
{
  return h->n_head > 0 && h->n_head_kv > 0 && h->n_head % h->n_head_kv == 0 && h->head_dim > 0
         && h->head_dim % 2 == 0 && h->rope_dims % 2 == 0 && h->rope_dims <= h->head_dim
         && h->n_tokens > 0 && h->pos < h->n_ctx && h->n_tokens <= h->n_ctx - h->pos;
}

ember_status
ember_vulkan_rope_store (ember_vulkan         *vk,
                         const ember_vk_heads *heads,
                         float                *qkv,
                         const float          *rope,
                         const float          *bias,
                         const float          *q_norm,
                         const float          *k_norm,
                         float                *k_cache,
                         float                *v_cache,
                         ember_error          *error)
{
  ember_vk_rope_push push;
  uint32_t spec[1];
  uint32_t q_dim, kv_dim;
  uint64_t qkv_size, cache_size, rope_size;
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *buffers[7] = { NULL };
  ember_status status;

  if (vk == NULL || heads == NULL || qkv == NULL || rope == NULL || k_cache == NULL
      || v_cache == NULL || (q_norm == NULL) != (k_norm == NULL))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_rope_store: missing argument");
  if (!heads_valid (heads))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_rope_store: a head layout the model would refuse");
  q_dim = heads->n_head * heads->head_dim;
  kv_dim = heads->n_head_kv * heads->head_dim;
  qkv_size = (uint64_t) heads->n_tokens * (q_dim + 2 * kv_dim) * sizeof (float);
  cache_size = (uint64_t) heads->n_ctx * kv_dim * sizeof (float);
  rope_size = (uint64_t) heads->n_tokens * (heads->rope_dims > 0 ? heads->rope_dims : 1)
              * sizeof (float);
  /* as the model's make_rope_push () */
  push = (ember_vk_rope_push) {
    heads->n_head, heads->n_head_kv, heads->head_dim, heads->rope_dims, heads->neox,
    heads->pos * kv_dim, q_dim, q_dim + kv_dim,
    (bias != NULL ? 1u : 0u) | (q_norm != NULL ? 2u : 0u), heads->eps,
    q_dim + 2 * kv_dim, heads->rope_dims,
  };

  spec[0] = ember_vk_reduction_width (vk, 4, 32);
  status = ember_vk_pipeline_get (vk, "rope_store", 7, sizeof push, spec, 1, &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, qkv, qkv_size, &buffers[0], error);
  if (status == EMBER_OK)
    status = upload (vk, heads->rope_dims > 0 ? rope : NULL, rope_size, &buffers[1], error);
  if (status == EMBER_OK)
    status = upload (vk, k_cache, cache_size, &buffers[2], error);
  if (status == EMBER_OK)
    status = upload (vk, v_cache, cache_size, &buffers[3], error);
  /* the model binds a one-float dummy where a layer has no bias or norm */
  if (status == EMBER_OK)
    status = upload (vk, bias, bias != NULL ? (q_dim + 2 * kv_dim) * sizeof (float)
                                            : sizeof (float), &buffers[4], error);
  if (status == EMBER_OK)
    status = upload (vk, q_norm, (q_norm != NULL ? heads->head_dim : 1) * sizeof (float),
                     &buffers[5], error);
  if (status == EMBER_OK)
    status = upload (vk, k_norm, (k_norm != NULL ? heads->head_dim : 1) * sizeof (float),
                     &buffers[6], error);
  if (status == EMBER_OK)
    status = run_once (vk, pipeline, buffers, 7, &push, heads->n_head + 2 * heads->n_head_kv,
                       heads->n_tokens, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[0], 0, qkv, qkv_size, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[2], 0, k_cache, cache_size, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[3], 0, v_cache, cache_size, error);

  for (int i = 0; i < 7; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}

ember_status
ember_vulkan_attention (ember_vulkan         *vk,
                        const ember_vk_heads *heads,
                        const float          *qkv,
                        const float          *k_cache,
                        const float          *v_cache,
                        float                *out,
                        ember_error          *error)
{
  ember_vk_attn_push push;
  uint32_t spec[3];
  uint32_t q_dim, kv_dim;
  uint64_t qkv_size, cache_size, out_size, scores_size;
  bool rows;
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *buffers[5] = { NULL };
  ember_status status;

  if (vk == NULL || heads == NULL || qkv == NULL || k_cache == NULL || v_cache == NULL
      || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_attention: missing argument");
  if (!heads_valid (heads))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_attention: a head layout the model would refuse");
  q_dim = heads->n_head * heads->head_dim;
  kv_dim = heads->n_head_kv * heads->head_dim;
  qkv_size = (uint64_t) heads->n_tokens * (q_dim + 2 * kv_dim) * sizeof (float);
  cache_size = (uint64_t) heads->n_ctx * kv_dim * sizeof (float);
  out_size = (uint64_t) heads->n_tokens * q_dim * sizeof (float);
  scores_size = (uint64_t) heads->n_tokens * heads->n_head * heads->n_ctx * sizeof (float);
  if (scores_size > ember_vk_max_buffer_bytes (vk) || cache_size > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "an attention of %u tokens over %u positions needs more than one "
                            "buffer", heads->n_tokens, heads->n_ctx);
  /* as the model's make_attn_push () */
  push = (ember_vk_attn_push) {
    heads->n_head, heads->n_head_kv, heads->head_dim, heads->pos + 1, heads->n_ctx,
    1.0f / sqrtf ((float) heads->head_dim), q_dim + 2 * kv_dim,
  };

  rows = ember_vk_uses_rows_attention (vk, heads->n_head, heads->n_head_kv, heads->head_dim);
  if (rows)
    {
      spec[0] = EMBER_VK_ATTENTION_WIDTH;
      spec[1] = heads->n_head / heads->n_head_kv;
      spec[2] = heads->head_dim / 4;
      status = ember_vk_pipeline_get (vk, "attention_rows", 5, sizeof push, spec, 3, &pipeline,
                                      error);
    }
  else
    {
      spec[0] = ember_vk_reduction_width (vk, 4, 32);
      status = ember_vk_pipeline_get (vk, "attention", 5, sizeof push, spec, 1, &pipeline, error);
    }
  if (status == EMBER_OK)
    status = upload (vk, qkv, qkv_size, &buffers[0], error);
  if (status == EMBER_OK)
    status = upload (vk, k_cache, cache_size, &buffers[1], error);
  if (status == EMBER_OK)
    status = upload (vk, v_cache, cache_size, &buffers[2], error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, scores_size, &buffers[3], error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, out_size, &buffers[4], error);
  if (status == EMBER_OK)
    status = run_once (vk, pipeline, buffers, 5, &push, rows ? heads->n_head_kv : heads->n_head,
                       heads->n_tokens, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[4], 0, out, out_size, error);

  for (int i = 0; i < 5; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}

ember_status
ember_vulkan_rms_norm (ember_vulkan *vk,
                       const float  *x,
                       const float  *weight,
                       float        *y,
                       uint32_t      n,
                       uint32_t      rows,
                       float         eps,
                       ember_error  *error)
{
  struct {
    uint32_t n, rows;
    float eps;
  } push = { n, rows, eps };
  uint64_t size = (uint64_t) n * rows * sizeof (float);
  uint32_t spec[1];
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *buffers[3] = { NULL, NULL, NULL };
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  uint32_t gx, gy;
  ember_status status;

  if (vk == NULL || x == NULL || weight == NULL || y == NULL || n == 0 || rows == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_rms_norm: missing argument");
  if (size > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u rows of %u elements do not fit in one buffer", rows, n);

  spec[0] = ember_vk_reduction_width (vk, 4, 32);
  status = ember_vk_pipeline_get (vk, ember_vk_uses_subgroup_ops (vk) ? "rms_norm_sg" : "rms_norm",
                                  3, sizeof push, spec, 1, &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, x, size, &buffers[0], error);
  if (status == EMBER_OK)
    status = upload (vk, weight, (uint64_t) n * sizeof (float), &buffers[1], error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, size, &buffers[2], error);
  if (status == EMBER_OK)
    status = ember_vk_grid (vk, rows, &gx, &gy, error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);
  if (status == EMBER_OK)
    {
      ember_vk_binding bindings[3];

      for (int i = 0; i < 3; i++)
        bindings[i] = (ember_vk_binding) { buffers[i], 0, VK_WHOLE_SIZE };
      status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, &push, gx, gy, error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[2], 0, y, size, error);

  ember_vk_abandon (vk, cmd);
  for (int i = 0; i < 3; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}

int32_t
ember_vk_argmax_merge (const uint32_t *out,
                       uint32_t        groups,
                       uint32_t        n)
{
  float first, best = 0.0f;
  uint32_t best_i = 0;
  bool found = false;

  /* the groups in order, the first on ties; a NaN first logit wins, as
   * with ember_sample_greedy (); only NaN and -inf: index 0 */
  memcpy (&first, &out[2 * groups], sizeof first);
  for (uint32_t g = 0; !isnan (first) && g < groups; g++)
    {
      float v;

      memcpy (&v, &out[2 * g], sizeof v);
      if (out[2 * g + 1] < n && (!found || v > best))
        {
          best = v;
          best_i = out[2 * g + 1];
          found = true;
        }
    }
  return (int32_t) best_i;
}

ember_status
ember_vulkan_argmax (ember_vulkan *vk,
                     const float  *x,
                     uint32_t      n,
                     int32_t      *index,
                     ember_error  *error)
{
  uint32_t out[2 * EMBER_VK_ARGMAX_GROUPS + 1];
  struct {
    uint32_t n, chunk;
  } push = { n, (n + EMBER_VK_ARGMAX_GROUPS - 1) / EMBER_VK_ARGMAX_GROUPS };
  uint32_t spec[1] = { 64 };
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *buffers[2] = { NULL, NULL };
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  ember_status status;

  if (vk == NULL || x == NULL || index == NULL || n == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_argmax: missing argument");
  if ((uint64_t) n * sizeof (float) > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u values do not fit in one buffer", n);
  status = ember_vk_pipeline_get (vk, "argmax", 2, sizeof push, spec, 1, &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, x, (uint64_t) n * sizeof (float), &buffers[0], error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, sizeof out, &buffers[1], error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);
  if (status == EMBER_OK)
    {
      ember_vk_binding bindings[2] = {
        { buffers[0], 0, VK_WHOLE_SIZE },
        { buffers[1], 0, VK_WHOLE_SIZE },
      };

      status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, &push,
                                         EMBER_VK_ARGMAX_GROUPS, 1, error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[1], 0, out, sizeof out, error);
  if (status == EMBER_OK)
    *index = ember_vk_argmax_merge (out, EMBER_VK_ARGMAX_GROUPS, n);

  ember_vk_abandon (vk, cmd);
  for (int i = 0; i < 2; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}
