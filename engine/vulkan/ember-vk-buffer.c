/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Device memory for the Vulkan backend: storage buffers, the staging buffer
 * that uploads and readbacks go through in bounded chunks, and weight
 * tensors split across buffers on row boundaries.
 *
 * Memory choice: device-local memory the host cannot see where the device
 * has it (discrete GPUs), written through the staging buffer; otherwise
 * device-local host-visible memory (lavapipe, integrated GPUs, ReBAR),
 * written directly; otherwise any host-visible memory. Each buffer has its
 * own allocation for now.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember-quant.h"
#include "ember-vk-private.h"

#define HOST_MAPPABLE (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
#define MIB(b) ((double) (b) / (1024.0 * 1024.0))

uint64_t
ember_vk_max_buffer_bytes (const ember_vulkan *vk)
{
  uint64_t max = vk->limits.maxStorageBufferRange;

  if (vk->max_allocation_size < max)
    max = vk->max_allocation_size;
  /* Shaders read 32-bit words: every buffer is a whole number of them. */
  return max & ~(uint64_t) 3;
}

ember_status
ember_vk_set_tuning (ember_vulkan          *vk,
                     const ember_vk_tuning *tuning,
                     ember_error           *error)
{
  ember_vk_tuning defaults = { 0 };

  if (vk == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_vk_set_tuning: vk is NULL");
  if (tuning == NULL)
    {
      defaults.no_subgroup_ops = vk->paths.no_subgroup_ops;
      defaults.no_fused_matvec = vk->paths.no_fused_matvec;
      defaults.no_prompt_batch = vk->paths.no_prompt_batch;
      defaults.matvec_kernel = vk->paths.matvec_kernel;
      defaults.argmax = vk->paths.argmax;
      tuning = &defaults;
    }

  if (tuning->staging_chunk_bytes != vk->tuning.staging_chunk_bytes)
    {
      ember_vk_buffer_free (vk, vk->staging);
      vk->staging = NULL;
    }
  vk->tuning = *tuning;
  return EMBER_OK;
}

bool
ember_vk_uses_subgroup_ops (const ember_vulkan *vk)
{
  return vk->subgroup_arithmetic && !vk->tuning.no_subgroup_ops;
}

bool
ember_vk_argmax_on_device (const ember_vulkan *vk)
{
  if (vk->tuning.argmax == EMBER_VK_ARGMAX_AUTO)
    return vk->info.type != EMBER_DEVICE_TYPE_CPU;
  return vk->tuning.argmax == EMBER_VK_ARGMAX_DEVICE;
}

bool
ember_vk_uses_rows_matvec (const ember_vulkan *vk)
{
  if (vk->tuning.matvec_kernel == EMBER_VK_MATVEC_AUTO)
    return vk->info.type == EMBER_DEVICE_TYPE_CPU;
  return vk->tuning.matvec_kernel == EMBER_VK_MATVEC_ROWS;
}

/* The memory types to try for a buffer, best first. */
static uint32_t
list_memory_types (const ember_vulkan *vk,
                   uint32_t            type_bits,
                   bool                staging,
                   uint32_t           *types)
{
  const VkPhysicalDeviceMemoryProperties *mp = &vk->memory_properties;
  uint32_t n = 0;

  for (int pass = 0; pass < 3; pass++)
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++)
      {
        VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
        bool local = (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) != 0;
        bool mappable = (f & HOST_MAPPABLE) == HOST_MAPPABLE;
        bool take;

        if ((type_bits & (1u << i)) == 0)
          continue;
        if (staging)
          /* The host writes and reads the staging buffer: plain host memory
           * first, cached memory for readbacks is a later refinement. */
          take = pass == 0 ? mappable && !local : pass == 1 ? mappable && local : false;
        else if (pass == 0)
          take = local && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) == 0;
        else if (pass == 1)
          take = local && mappable;
        else
          take = !local && mappable;
        if (take)
          types[n++] = i;
      }
  return n;
}

/* The largest heap a storage buffer may be put in. */
VkDeviceSize
ember_vk_largest_storage_heap (const ember_vulkan *vk)
{
  const VkPhysicalDeviceMemoryProperties *mp = &vk->memory_properties;
  uint32_t types[VK_MAX_MEMORY_TYPES * 3];
  uint32_t n = list_memory_types (vk, UINT32_MAX, false, types);
  VkDeviceSize largest = 0;

  for (uint32_t i = 0; i < n; i++)
    if (mp->memoryHeaps[mp->memoryTypes[types[i]].heapIndex].size > largest)
      largest = mp->memoryHeaps[mp->memoryTypes[types[i]].heapIndex].size;
  return largest;
}

static ember_status
buffer_create (ember_vulkan     *vk,
               uint64_t          size,
               bool              staging,
               ember_vk_buffer **out,
               ember_error      *error)
{
  const VkPhysicalDeviceMemoryProperties *mp = &vk->memory_properties;
  ember_vk_buffer *b;
  VkMemoryRequirements req;
  uint32_t types[VK_MAX_MEMORY_TYPES * 3];
  uint32_t n_types;
  VkDeviceSize largest_heap = 0;
  VkResult result = VK_ERROR_OUT_OF_DEVICE_MEMORY;
  uint32_t chosen = 0;
  ember_status status;

  *out = NULL;
  status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK)
    return status;
  if (size == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "a Vulkan buffer of 0 bytes");
  if (!staging && size > ember_vk_max_buffer_bytes (vk))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a buffer of %llu bytes is larger than \"%s\" allows (%llu bytes)",
                            (unsigned long long) size, vk->info.name,
                            (unsigned long long) ember_vk_max_buffer_bytes (vk));

  b = calloc (1, sizeof *b);
  if (b == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  b->size = size;
  b->alloc_size = (size + 3) & ~(uint64_t) 3;

  {
    VkBufferCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = b->alloc_size,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT
               | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };

    result = vkCreateBuffer (vk->device, &info, NULL, &b->buffer);
    if (result != VK_SUCCESS)
      {
        status = ember_vk_fail (vk, error, result, "vkCreateBuffer");
        goto fail;
      }
  }

  vkGetBufferMemoryRequirements (vk->device, b->buffer, &req);
  n_types = list_memory_types (vk, req.memoryTypeBits, staging, types);
  if (n_types == 0)
    {
      status = ember_error_set (error, EMBER_ERROR_VULKAN,
                                "\"%s\" offers no memory type for a %s buffer", vk->info.name,
                                staging ? "staging" : "storage");
      goto fail;
    }

  /* Asking for more than a heap holds is out of memory, said plainly,
   * before the driver is asked at all. */
  for (uint32_t i = 0; i < n_types; i++)
    {
      VkDeviceSize heap = mp->memoryHeaps[mp->memoryTypes[types[i]].heapIndex].size;

      if (heap > largest_heap)
        largest_heap = heap;
    }
  if (req.size > largest_heap)
    {
      status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                                "a buffer of %.1f MiB does not fit in the memory of \"%s\" "
                                "(%.1f MiB)", MIB (size), vk->info.name, MIB (largest_heap));
      goto fail;
    }

  for (uint32_t i = 0; i < n_types; i++)
    {
      VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = types[i],
      };

      if (req.size > mp->memoryHeaps[mp->memoryTypes[types[i]].heapIndex].size)
        continue;
      result = vkAllocateMemory (vk->device, &alloc, NULL, &b->memory);
      if (result == VK_SUCCESS)
        {
          chosen = types[i];
          break;
        }
      b->memory = VK_NULL_HANDLE;
      /* Out of one kind of memory: the next kind may have room. */
      if (result != VK_ERROR_OUT_OF_DEVICE_MEMORY && result != VK_ERROR_OUT_OF_HOST_MEMORY)
        break;
    }
  if (b->memory == VK_NULL_HANDLE)
    {
      if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                                  "\"%s\" is out of memory for a buffer of %.1f MiB",
                                  vk->info.name, MIB (size));
      else
        status = ember_vk_fail (vk, error, result, "vkAllocateMemory");
      goto fail;
    }

  result = vkBindBufferMemory (vk->device, b->buffer, b->memory, 0);
  if (result != VK_SUCCESS)
    {
      status = ember_vk_fail (vk, error, result, "vkBindBufferMemory");
      goto fail;
    }

  if ((mp->memoryTypes[chosen].propertyFlags & HOST_MAPPABLE) == HOST_MAPPABLE
      && (staging || !vk->tuning.force_staging))
    {
      result = vkMapMemory (vk->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped);
      if (result != VK_SUCCESS)
        {
          b->mapped = NULL;
          status = ember_vk_fail (vk, error, result, "vkMapMemory");
          goto fail;
        }
    }

  *out = b;
  return EMBER_OK;

fail:
  ember_vk_buffer_free (vk, b);
  return status;
}

ember_status
ember_vk_buffer_new (ember_vulkan     *vk,
                     uint64_t          size,
                     ember_vk_buffer **out,
                     ember_error      *error)
{
  if (vk == NULL || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_buffer_new: missing argument");
  return buffer_create (vk, size, false, out, error);
}

void
ember_vk_buffer_free (ember_vulkan    *vk,
                      ember_vk_buffer *buffer)
{
  if (buffer == NULL)
    return;
  if (buffer->mapped != NULL)
    vkUnmapMemory (vk->device, buffer->memory);
  if (buffer->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (vk->device, buffer->buffer, NULL);
  if (buffer->memory != VK_NULL_HANDLE)
    vkFreeMemory (vk->device, buffer->memory, NULL);
  free (buffer);
}

uint64_t
ember_vk_buffer_get_size (const ember_vk_buffer *buffer)
{
  return buffer->size;
}

bool
ember_vk_buffer_is_mapped (const ember_vk_buffer *buffer)
{
  return buffer->mapped != NULL;
}

static ember_status
ensure_staging (ember_vulkan *vk,
                ember_error  *error)
{
  uint64_t size = vk->tuning.staging_chunk_bytes;

  if (vk->staging != NULL)
    return EMBER_OK;
  if (size == 0)
    size = EMBER_VK_DEFAULT_STAGING_BYTES;
  return buffer_create (vk, size, true, &vk->staging, error);
}

static ember_status
check_range (const ember_vk_buffer *buffer,
             uint64_t               offset,
             const void            *data,
             uint64_t               size,
             ember_error           *error)
{
  if (buffer == NULL || (data == NULL && size > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a buffer copy with a missing argument");
  if (offset > buffer->size || size > buffer->size - offset)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "bytes %llu…%llu are outside a buffer of %llu bytes",
                            (unsigned long long) offset, (unsigned long long) (offset + size),
                            (unsigned long long) buffer->size);
  return EMBER_OK;
}

/* One copy between @buffer and the staging buffer, waited for. */
static ember_status
staging_copy (ember_vulkan    *vk,
              ember_vk_buffer *buffer,
              uint64_t         offset,
              uint64_t         size,
              bool             to_buffer,
              ember_error     *error)
{
  VkBufferCopy region = {
    .srcOffset = to_buffer ? 0 : offset,
    .dstOffset = to_buffer ? offset : 0,
    .size = size,
  };
  VkCommandBuffer cmd;
  ember_status status;

  status = ember_vk_begin (vk, &cmd, error);
  if (status != EMBER_OK)
    return status;
  if (to_buffer)
    vkCmdCopyBuffer (cmd, vk->staging->buffer, buffer->buffer, 1, &region);
  else
    vkCmdCopyBuffer (cmd, buffer->buffer, vk->staging->buffer, 1, &region);
  return ember_vk_submit_wait (vk, cmd, error);
}

ember_status
ember_vk_buffer_write (ember_vulkan    *vk,
                       ember_vk_buffer *buffer,
                       uint64_t         offset,
                       const void      *data,
                       uint64_t         size,
                       ember_error     *error)
{
  const uint8_t *bytes = data;
  ember_status status;

  if (vk == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_vk_buffer_write: vk is NULL");
  status = check_range (buffer, offset, data, size, error);
  if (status == EMBER_OK)
    status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK || size == 0)
    return status;

  if (buffer->mapped != NULL)
    {
      memcpy ((uint8_t *) buffer->mapped + offset, bytes, size);
      return EMBER_OK;
    }

  status = ensure_staging (vk, error);
  for (uint64_t done = 0; status == EMBER_OK && done < size;)
    {
      uint64_t n = size - done < vk->staging->size ? size - done : vk->staging->size;

      memcpy (vk->staging->mapped, bytes + done, n);
      status = staging_copy (vk, buffer, offset + done, n, true, error);
      done += n;
    }
  return status;
}

ember_status
ember_vk_buffer_read (ember_vulkan    *vk,
                      ember_vk_buffer *buffer,
                      uint64_t         offset,
                      void            *data,
                      uint64_t         size,
                      ember_error     *error)
{
  uint8_t *bytes = data;
  ember_status status;

  if (vk == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_vk_buffer_read: vk is NULL");
  status = check_range (buffer, offset, data, size, error);
  if (status == EMBER_OK)
    status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK || size == 0)
    return status;

  if (buffer->mapped != NULL)
    {
      memcpy (bytes, (const uint8_t *) buffer->mapped + offset, size);
      return EMBER_OK;
    }

  status = ensure_staging (vk, error);
  for (uint64_t done = 0; status == EMBER_OK && done < size;)
    {
      uint64_t n = size - done < vk->staging->size ? size - done : vk->staging->size;

      status = staging_copy (vk, buffer, offset + done, n, false, error);
      if (status == EMBER_OK)
        memcpy (bytes + done, vk->staging->mapped, n);
      done += n;
    }
  return status;
}

/* ---- tensors --------------------------------------------------------------- */

/* Quant bytes per block on the device for the repacked types, else 0. */
static uint32_t
packed_quant_bytes (ember_type type)
{
  return type == EMBER_TYPE_Q4_0 ? 16 : type == EMBER_TYPE_Q8_0 ? 32 : 0;
}

uint64_t
ember_vk_row_bytes (ember_type type,
                    uint64_t   cols)
{
  const ember_type_info *info = ember_type_get_info ((uint32_t) type);
  uint64_t row_bytes;

  if (info == NULL || !ember_type_row_bytes (info, cols, &row_bytes))
    return 0;
  if (packed_quant_bytes (type) != 0)
    return cols / 32 * (packed_quant_bytes (type) + 4);
  return row_bytes;
}

/* Writes rows [first, first + n) of a Q4_0 or Q8_0 part of @part_rows rows
 * in the repacked layout: the quants of every block, then every scale as
 * f32. @src is the part's first row in ggml's layout. */
static ember_status
write_packed (ember_vulkan    *vk,
              ember_vk_buffer *buffer,
              ember_type       type,
              uint64_t         cols,
              uint64_t         part_rows,
              const uint8_t   *src,
              ember_error     *error)
{
  const uint32_t qb = packed_quant_bytes (type);
  const uint32_t block_bytes = qb + 2;   /* f16 scale, then the quants */
  const uint64_t nb = cols / 32;
  /* about a MiB of quants at a time */
  const uint64_t chunk_rows = (1u << 20) / (nb * qb) > 0 ? (1u << 20) / (nb * qb) : 1;
  uint8_t *quants = malloc (chunk_rows * nb * qb);
  float *scales = malloc (chunk_rows * nb * sizeof (float));
  ember_status status = EMBER_OK;

  if (quants == NULL || scales == NULL)
    status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  for (uint64_t first = 0; status == EMBER_OK && first < part_rows; first += chunk_rows)
    {
      uint64_t n = part_rows - first < chunk_rows ? part_rows - first : chunk_rows;

      for (uint64_t b = 0; b < n * nb; b++)
        {
          const uint8_t *block = src + (first * nb + b) * block_bytes;
          uint16_t d;

          memcpy (&d, block, sizeof d);
          scales[b] = ember_fp16_to_fp32 (d);
          memcpy (quants + b * qb, block + 2, qb);
        }
      status = ember_vk_buffer_write (vk, buffer, first * nb * qb, quants, n * nb * qb, error);
      if (status == EMBER_OK)
        status = ember_vk_buffer_write (vk, buffer, part_rows * nb * qb + first * nb * sizeof (float),
                                        scales, n * nb * sizeof (float), error);
    }
  free (quants);
  free (scales);
  return status;
}

ember_status
ember_vk_tensor_new (ember_vulkan     *vk,
                     ember_type        type,
                     uint64_t          rows,
                     uint64_t          cols,
                     const void       *data,
                     ember_vk_tensor **out,
                     ember_error      *error)
{
  const ember_type_info *info = ember_type_get_info ((uint32_t) type);
  const uint8_t *bytes = data;
  ember_vk_tensor *t;
  uint64_t row_bytes, file_row_bytes;
  uint64_t max_bytes;
  uint64_t rows_per_part;
  uint64_t n_parts;
  ember_status status = EMBER_OK;

  if (vk == NULL || out == NULL || data == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vk_tensor_new: missing argument");
  *out = NULL;
  if (info == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tensor type %d is unknown", (int) type);
  if (rows == 0 || cols == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a %llu × %llu tensor is empty",
                            (unsigned long long) rows, (unsigned long long) cols);
  if (!ember_type_row_bytes (info, cols, &row_bytes))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "rows of %llu elements are not a whole number of %s blocks (%u)",
                            (unsigned long long) cols, info->name, info->block_elements);

  file_row_bytes = row_bytes;
  row_bytes = ember_vk_row_bytes (type, cols);
  max_bytes = ember_vk_max_buffer_bytes (vk);
  if (vk->tuning.max_buffer_bytes != 0 && vk->tuning.max_buffer_bytes < max_bytes)
    max_bytes = vk->tuning.max_buffer_bytes & ~(uint64_t) 3;
  rows_per_part = max_bytes / row_bytes;
  if (rows_per_part == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "a row of %llu bytes is larger than the largest buffer \"%s\" "
                            "allows (%llu bytes)", (unsigned long long) row_bytes,
                            vk->info.name, (unsigned long long) max_bytes);
  n_parts = rows / rows_per_part + (rows % rows_per_part != 0);
  if (n_parts > UINT32_MAX || rows > UINT64_MAX / row_bytes)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "a tensor of %llu rows is too large",
                            (unsigned long long) rows);

  /* Refused before any buffer is made or any byte of @data is read. */
  if (rows * row_bytes > ember_vk_largest_storage_heap (vk))
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                            "a %llu × %llu %s tensor (%.1f MiB) does not fit in the memory "
                            "of \"%s\" (%.1f MiB)", (unsigned long long) rows,
                            (unsigned long long) cols, info->name, MIB (rows * row_bytes),
                            vk->info.name, MIB (ember_vk_largest_storage_heap (vk)));

  t = calloc (1, sizeof *t);
  if (t != NULL)
    t->parts = calloc (n_parts, sizeof *t->parts);
  if (t == NULL || t->parts == NULL)
    {
      if (t != NULL)
        free (t);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  t->type = type;
  t->rows = rows;
  t->cols = cols;
  t->row_bytes = file_row_bytes;

  for (uint64_t p = 0; p < n_parts && status == EMBER_OK; p++)
    {
      ember_vk_tensor_part *part = &t->parts[p];
      uint64_t first = p * rows_per_part;
      uint64_t n = rows - first < rows_per_part ? rows - first : rows_per_part;

      part->first_row = first;
      part->n_rows = n;
      status = ember_vk_buffer_new (vk, n * row_bytes, &part->buffer, error);
      t->n_parts = (uint32_t) p + (part->buffer != NULL);
      if (status == EMBER_OK && packed_quant_bytes (type) != 0)
        status = write_packed (vk, part->buffer, type, cols, n, bytes + first * file_row_bytes,
                               error);
      else if (status == EMBER_OK)
        status = ember_vk_buffer_write (vk, part->buffer, 0, bytes + first * row_bytes,
                                        n * row_bytes, error);
    }
  if (status != EMBER_OK)
    {
      ember_vk_tensor_free (vk, t);
      return status;
    }

  if (n_parts > 1)
    ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_DEBUG,
               "a %llu × %llu %s tensor (%.1f MiB) split into %u buffers",
               (unsigned long long) rows, (unsigned long long) cols, info->name,
               MIB (rows * row_bytes), t->n_parts);
  *out = t;
  return EMBER_OK;
}

void
ember_vk_tensor_free (ember_vulkan    *vk,
                      ember_vk_tensor *tensor)
{
  if (tensor == NULL)
    return;
  for (uint32_t i = 0; i < tensor->n_parts; i++)
    ember_vk_buffer_free (vk, tensor->parts[i].buffer);
  free (tensor->parts);
  free (tensor);
}

uint32_t
ember_vk_tensor_get_n_parts (const ember_vk_tensor *tensor)
{
  return tensor->n_parts;
}

void
ember_vk_tensor_get_part (const ember_vk_tensor *tensor,
                          uint32_t               i,
                          uint64_t              *first_row,
                          uint64_t              *n_rows)
{
  *first_row = i < tensor->n_parts ? tensor->parts[i].first_row : 0;
  *n_rows = i < tensor->n_parts ? tensor->parts[i].n_rows : 0;
}
