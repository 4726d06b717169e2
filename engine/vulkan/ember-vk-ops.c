/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Single ops on the Vulkan device, run once: mat-vec and RMS norm. Each call
 * uploads its inputs, records one command buffer, submits it once, waits
 * once and reads the result back. The forward pass will record the same
 * dispatches into one command buffer per step instead.
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

ember_status
ember_vulkan_matvec (ember_vulkan          *vk,
                     const ember_vk_tensor *w,
                     const float           *x,
                     float                 *y,
                     ember_error           *error)
{
  struct {
    uint32_t rows, cols, row_bytes, y_offset;
  } push;
  uint32_t spec[2];
  ember_vk_pipeline *pipeline;
  ember_vk_buffer *x_buf = NULL;
  ember_vk_buffer *y_buf = NULL;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  char variant[64];
  bool rows_kernel;
  uint32_t rows_per_group;
  ember_status status;

  if (vk == NULL || w == NULL || x == NULL || y == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_matvec: missing argument");
  rows_kernel = ember_vk_uses_rows_matvec (vk) && w->cols % 8 == 0;
  if (!ember_vk_kernel_variant (vk, rows_kernel ? "matvec_rows" : "matvec", w->type, NULL, variant,
                                sizeof variant))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "no Vulkan mat-vec kernel for %s weights yet",
                            ember_type_get_info ((uint32_t) w->type)->name);
  if (w->cols * sizeof (float) > ember_vk_max_buffer_bytes (vk)
      || w->rows * sizeof (float) > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a %llu × %llu mat-vec needs vectors larger than one buffer",
                            (unsigned long long) w->rows, (unsigned long long) w->cols);

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
  rows_per_group = rows_kernel ? spec[0] * spec[1] : spec[1];
  status = ember_vk_pipeline_get (vk, variant, 3, sizeof push, spec, 2, &pipeline, error);
  if (status == EMBER_OK)
    status = upload (vk, x, w->cols * sizeof (float), &x_buf, error);
  if (status == EMBER_OK)
    status = upload (vk, NULL, w->rows * sizeof (float), &y_buf, error);
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
      uint64_t groups = part->n_rows / rows_per_group + (part->n_rows % rows_per_group != 0);
      uint32_t gx, gy;

      push.rows = (uint32_t) part->n_rows;
      push.cols = (uint32_t) w->cols;
      push.row_bytes = (uint32_t) w->row_bytes;
      push.y_offset = (uint32_t) part->first_row;
      status = ember_vk_grid (vk, groups, &gx, &gy, error);
      if (status == EMBER_OK)
        status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, &push, gx, gy, error);
    }
  if (status == EMBER_OK)
    {
      status = ember_vk_submit_wait (vk, cmd, error);
      cmd = VK_NULL_HANDLE;
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, y_buf, 0, y, w->rows * sizeof (float), error);

  ember_vk_abandon (vk, cmd);
  ember_vk_buffer_free (vk, x_buf);
  ember_vk_buffer_free (vk, y_buf);
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
