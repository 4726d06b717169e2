/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Compute pipelines for the Vulkan backend: made once from the embedded
 * SPIR-V variants and kept; the pipeline cache on disk; descriptor sets and
 * one-shot command buffers.
 *
 * The cache file is only handed to the driver after its header
 * (VkPipelineCacheHeaderVersionOne) says it was made by this very device
 * and driver build: a corrupt, truncated or foreign file is ignored, with a
 * log line, and rewritten when the context goes.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember-shaders.h"
#include "ember-vk-private.h"

/* A cache larger than this is not ours to read. */
#define MAX_CACHE_FILE_BYTES (256u << 20)
#define CACHE_HEADER_BYTES 32u

static uint32_t
read_u32_le (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* NULL when @data is a cache for @props' device, else why not. */
static const char *
check_cache_header (const uint8_t                    *data,
                    size_t                            size,
                    const VkPhysicalDeviceProperties *props)
{
  uint32_t header_size;

  if (size < CACHE_HEADER_BYTES)
    return "it is too short";
  header_size = read_u32_le (data);
  if (header_size < CACHE_HEADER_BYTES || header_size > size)
    return "its header size is wrong";
  if (read_u32_le (data + 4) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE)
    return "its header version is unknown";
  if (read_u32_le (data + 8) != props->vendorID || read_u32_le (data + 12) != props->deviceID)
    return "it was made for another device";
  if (memcmp (data + 16, props->pipelineCacheUUID, VK_UUID_SIZE) != 0)
    return "it was made by another driver version";
  return NULL;
}

/* Reads @path whole; NULL (and *why) when it is missing or unreadable. */
static uint8_t *
read_cache_file (const char  *path,
                 size_t      *size,
                 const char **why)
{
  FILE *f = fopen (path, "rb");
  uint8_t *data = NULL;
  long length;

  *size = 0;
  *why = NULL;
  if (f == NULL)
    {
      *why = errno == ENOENT ? NULL : strerror (errno);
      return NULL;
    }
  if (fseek (f, 0, SEEK_END) != 0 || (length = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    *why = "it cannot be read";
  else if ((unsigned long) length > MAX_CACHE_FILE_BYTES)
    *why = "it is too large";
  else if (length > 0 && (data = malloc ((size_t) length)) == NULL)
    *why = "out of memory";
  else if (length > 0 && fread (data, 1, (size_t) length, f) != (size_t) length)
    *why = "it cannot be read";
  else
    *size = (size_t) length;
  fclose (f);
  if (*why != NULL)
    {
      free (data);
      data = NULL;
    }
  return data;
}

/* mkdir -p: every missing folder of @dir. */
static bool
make_dirs (const char *dir)
{
  char *path = strdup (dir);
  bool ok = path != NULL;

  for (char *p = path != NULL ? path + 1 : NULL; ok && p != NULL && *p != '\0'; p++)
    if (*p == '/')
      {
        *p = '\0';
        ok = mkdir (path, 0700) == 0 || errno == EEXIST;
        *p = '/';
      }
  if (ok)
    ok = mkdir (path, 0700) == 0 || errno == EEXIST;
  free (path);
  return ok;
}

static void
save_pipeline_cache (ember_vulkan *vk)
{
  size_t size = 0;
  size_t dir_len;
  uint8_t *data = NULL;
  char *tmp = NULL;
  char *dir = NULL;
  FILE *f = NULL;
  const char *why = NULL;
  VkResult result;

  result = vkGetPipelineCacheData (vk->device, vk->pipeline_cache, &size, NULL);
  if (result == VK_SUCCESS && size > 0 && (data = malloc (size)) != NULL)
    result = vkGetPipelineCacheData (vk->device, vk->pipeline_cache, &size, data);
  if (result != VK_SUCCESS || data == NULL)
    {
      why = "the driver gave no data";
      goto out;
    }

  dir_len = (size_t) (strrchr (vk->pipeline_cache_path, '/') - vk->pipeline_cache_path);
  dir = strndup (vk->pipeline_cache_path, dir_len);
  tmp = malloc (strlen (vk->pipeline_cache_path) + 32);
  if (dir == NULL || tmp == NULL)
    {
      why = "out of memory";
      goto out;
    }
  if (dir_len > 0 && !make_dirs (dir))
    {
      why = strerror (errno);
      goto out;
    }
  /* Written beside, then renamed over: a reader never sees half a file. */
  sprintf (tmp, "%s.%ld.tmp", vk->pipeline_cache_path, (long) getpid ());
  f = fopen (tmp, "wb");
  if (f == NULL)
    {
      why = strerror (errno);
      goto out;
    }
  if (fwrite (data, 1, size, f) != size)
    why = "a write failed";
  if (fclose (f) != 0 && why == NULL)
    why = strerror (errno);
  if (why == NULL && rename (tmp, vk->pipeline_cache_path) != 0)
    why = strerror (errno);
  if (why != NULL)
    remove (tmp);

out:
  if (why != NULL)
    ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_WARNING,
               "the pipeline cache %s was not saved: %s", vk->pipeline_cache_path, why);
  free (data);
  free (dir);
  free (tmp);
}

ember_status
ember_vk_pipelines_init (ember_vulkan *vk,
                         const char   *dir,
                         ember_error  *error)
{
  VkPipelineCacheCreateInfo cache_info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
  };
  uint8_t *data = NULL;
  VkResult result;

  if (dir != NULL && dir[0] != '\0')
    {
      size_t size = 0;
      const char *why = NULL;
      size_t len = strlen (dir) + 64;

      vk->pipeline_cache_path = malloc (len);
      if (vk->pipeline_cache_path == NULL)
        return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
      snprintf (vk->pipeline_cache_path, len, "%s%svulkan-pipelines-%08x-%08x.bin", dir,
                dir[strlen (dir) - 1] == '/' ? "" : "/", vk->properties.vendorID,
                vk->properties.deviceID);

      data = read_cache_file (vk->pipeline_cache_path, &size, &why);
      if (data != NULL)
        why = check_cache_header (data, size, &vk->properties);
      if (why != NULL)
        {
          ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_INFO,
                     "ignoring the pipeline cache %s: %s", vk->pipeline_cache_path, why);
          free (data);
          data = NULL;
        }
      else if (data != NULL)
        {
          cache_info.initialDataSize = size;
          cache_info.pInitialData = data;
        }
    }

  result = vkCreatePipelineCache (vk->device, &cache_info, NULL, &vk->pipeline_cache);
  if (result != VK_SUCCESS && cache_info.pInitialData != NULL)
    {
      ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_INFO,
                 "the driver refused the pipeline cache %s (VkResult %d); starting afresh",
                 vk->pipeline_cache_path, (int) result);
      cache_info.initialDataSize = 0;
      cache_info.pInitialData = NULL;
      result = vkCreatePipelineCache (vk->device, &cache_info, NULL, &vk->pipeline_cache);
    }
  free (data);
  if (result != VK_SUCCESS)
    return ember_vk_fail (vk, error, result, "vkCreatePipelineCache");

  {
    VkDescriptorPoolSize pool_size = {
      .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = EMBER_VK_POOL_SETS * EMBER_VK_MAX_BINDINGS,
    };
    VkDescriptorPoolCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = EMBER_VK_POOL_SETS,
      .poolSizeCount = 1,
      .pPoolSizes = &pool_size,
    };

    result = vkCreateDescriptorPool (vk->device, &info, NULL, &vk->descriptor_pool);
    if (result != VK_SUCCESS)
      return ember_vk_fail (vk, error, result, "vkCreateDescriptorPool");
  }
  return EMBER_OK;
}

static void
pipeline_destroy (ember_vulkan      *vk,
                  ember_vk_pipeline *p)
{
  if (p->pipeline != VK_NULL_HANDLE)
    vkDestroyPipeline (vk->device, p->pipeline, NULL);
  if (p->layout != VK_NULL_HANDLE)
    vkDestroyPipelineLayout (vk->device, p->layout, NULL);
  if (p->set_layout != VK_NULL_HANDLE)
    vkDestroyDescriptorSetLayout (vk->device, p->set_layout, NULL);
  if (p->module != VK_NULL_HANDLE)
    vkDestroyShaderModule (vk->device, p->module, NULL);
  free (p);
}

void
ember_vk_pipelines_fini (ember_vulkan *vk)
{
  if (vk->pipeline_cache != VK_NULL_HANDLE && vk->pipeline_cache_path != NULL
      && vk->n_pipelines > 0 && !vk->lost)
    save_pipeline_cache (vk);

  for (uint32_t i = 0; i < vk->n_pipelines; i++)
    pipeline_destroy (vk, vk->pipelines[i]);
  vk->n_pipelines = 0;
  if (vk->descriptor_pool != VK_NULL_HANDLE)
    vkDestroyDescriptorPool (vk->device, vk->descriptor_pool, NULL);
  if (vk->pipeline_cache != VK_NULL_HANDLE)
    vkDestroyPipelineCache (vk->device, vk->pipeline_cache, NULL);
  vk->descriptor_pool = VK_NULL_HANDLE;
  vk->pipeline_cache = VK_NULL_HANDLE;
  free (vk->pipeline_cache_path);
  vk->pipeline_cache_path = NULL;
}

ember_status
ember_vk_pipeline_get (ember_vulkan       *vk,
                       const char         *variant,
                       uint32_t            n_bindings,
                       uint32_t            push_size,
                       const uint32_t     *spec,
                       uint32_t            n_spec,
                       ember_vk_pipeline **out,
                       ember_error        *error)
{
  VkDescriptorSetLayoutBinding bindings[EMBER_VK_MAX_BINDINGS];
  VkSpecializationMapEntry entries[EMBER_VK_MAX_SPEC];
  const ember_spirv *spirv;
  ember_vk_pipeline *p;
  ember_status status = EMBER_OK;
  VkResult result;

  *out = NULL;
  if (n_bindings == 0 || n_bindings > EMBER_VK_MAX_BINDINGS || n_spec > EMBER_VK_MAX_SPEC
      || strlen (variant) >= sizeof p->name || (n_spec > 0 && spec == NULL)
      || push_size > vk->limits.maxPushConstantsSize || push_size % 4 != 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "pipeline %s: %u bindings, %u push constant bytes and %u "
                            "specialization constants are not possible", variant,
                            n_bindings, push_size, n_spec);

  for (uint32_t i = 0; i < vk->n_pipelines; i++)
    {
      p = vk->pipelines[i];
      if (strcmp (p->name, variant) == 0 && p->n_spec == n_spec
          && (n_spec == 0 || memcmp (p->spec, spec, n_spec * sizeof *spec) == 0))
        {
          if (p->n_bindings != n_bindings || p->push_size != push_size)
            return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                    "pipeline %s asked for with another layout", variant);
          *out = p;
          return EMBER_OK;
        }
    }

  if (vk->n_pipelines == EMBER_VK_MAX_PIPELINES)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY,
                            "more than %d compute pipelines", EMBER_VK_MAX_PIPELINES);
  spirv = ember_spirv_lookup (variant);
  if (spirv == NULL)
    return ember_error_set (error, EMBER_ERROR_VULKAN, "shader %s is not built in", variant);

  p = calloc (1, sizeof *p);
  if (p == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  snprintf (p->name, sizeof p->name, "%s", variant);
  p->n_spec = n_spec;
  if (n_spec > 0)
    memcpy (p->spec, spec, n_spec * sizeof *spec);
  p->n_bindings = n_bindings;
  p->push_size = push_size;

  {
    VkShaderModuleCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
      .codeSize = spirv->size,
      .pCode = spirv->code,
    };

    result = vkCreateShaderModule (vk->device, &info, NULL, &p->module);
    if (result != VK_SUCCESS)
      {
        status = ember_vk_fail (vk, error, result, "vkCreateShaderModule");
        goto fail;
      }
  }

  for (uint32_t i = 0; i < n_bindings; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  {
    VkDescriptorSetLayoutCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = n_bindings,
      .pBindings = bindings,
    };

    result = vkCreateDescriptorSetLayout (vk->device, &info, NULL, &p->set_layout);
    if (result != VK_SUCCESS)
      {
        status = ember_vk_fail (vk, error, result, "vkCreateDescriptorSetLayout");
        goto fail;
      }
  }

  {
    VkPushConstantRange push = {
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
      .offset = 0,
      .size = push_size,
    };
    VkPipelineLayoutCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &p->set_layout,
      .pushConstantRangeCount = push_size > 0,
      .pPushConstantRanges = &push,
    };

    result = vkCreatePipelineLayout (vk->device, &info, NULL, &p->layout);
    if (result != VK_SUCCESS)
      {
        status = ember_vk_fail (vk, error, result, "vkCreatePipelineLayout");
        goto fail;
      }
  }

  for (uint32_t i = 0; i < n_spec; i++)
    entries[i] = (VkSpecializationMapEntry) {
      .constantID = i,
      .offset = i * sizeof (uint32_t),
      .size = sizeof (uint32_t),
    };
  {
    VkSpecializationInfo spec_info = {
      .mapEntryCount = n_spec,
      .pMapEntries = entries,
      .dataSize = n_spec * sizeof (uint32_t),
      .pData = p->spec,
    };
    VkComputePipelineCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_COMPUTE_BIT,
        .module = p->module,
        .pName = "main",
        .pSpecializationInfo = n_spec > 0 ? &spec_info : NULL,
      },
      .layout = p->layout,
    };

    result = vkCreateComputePipelines (vk->device, vk->pipeline_cache, 1, &info, NULL,
                                       &p->pipeline);
    if (result != VK_SUCCESS)
      {
        p->pipeline = VK_NULL_HANDLE;
        status = ember_vk_fail (vk, error, result, "vkCreateComputePipelines");
        goto fail;
      }
  }

  vk->pipelines[vk->n_pipelines++] = p;
  *out = p;
  return EMBER_OK;

fail:
  pipeline_destroy (vk, p);
  return status;
}

/* ---- command buffers ---------------------------------------------------- */

ember_status
ember_vk_begin (ember_vulkan    *vk,
                VkCommandBuffer *cmd,
                ember_error     *error)
{
  VkCommandBufferAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = vk->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  ember_status status;
  VkResult result;

  *cmd = VK_NULL_HANDLE;
  status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK)
    return status;

  /* Every earlier command buffer was waited for: its sets are free. */
  vkResetDescriptorPool (vk->device, vk->descriptor_pool, 0);

  result = vkAllocateCommandBuffers (vk->device, &alloc, cmd);
  if (result != VK_SUCCESS)
    {
      *cmd = VK_NULL_HANDLE;
      return ember_vk_fail (vk, error, result, "vkAllocateCommandBuffers");
    }
  result = vkBeginCommandBuffer (*cmd, &begin);
  if (result != VK_SUCCESS)
    {
      ember_vk_abandon (vk, *cmd);
      *cmd = VK_NULL_HANDLE;
      return ember_vk_fail (vk, error, result, "vkBeginCommandBuffer");
    }

  /* What earlier submissions wrote (shaders, copies) is visible to this
   * one's shaders and copies: a fence wait only orders the host. */
  {
    VkMemoryBarrier barrier = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT
                       | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };

    vkCmdPipelineBarrier (*cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          0, 1, &barrier, 0, NULL, 0, NULL);
  }
  return EMBER_OK;
}

void
ember_vk_abandon (ember_vulkan   *vk,
                  VkCommandBuffer cmd)
{
  if (cmd != VK_NULL_HANDLE)
    vkFreeCommandBuffers (vk->device, vk->command_pool, 1, &cmd);
}

ember_status
ember_vk_submit_wait (ember_vulkan   *vk,
                      VkCommandBuffer cmd,
                      ember_error    *error)
{
  /* Whatever the commands wrote is visible to the host afterwards. */
  VkMemoryBarrier to_host = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &cmd,
  };
  const char *what = "vkEndCommandBuffer";
  VkResult result;

  vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0, NULL);
  result = vkEndCommandBuffer (cmd);
  if (result == VK_SUCCESS)
    {
      what = "vkResetFences";
      result = vkResetFences (vk->device, 1, &vk->fence);
    }
  if (result == VK_SUCCESS)
    {
      what = "vkQueueSubmit";
      result = vkQueueSubmit (vk->queue, 1, &submit, vk->fence);
    }
  if (result == VK_SUCCESS)
    {
      what = "waiting for the device";
      result = vkWaitForFences (vk->device, 1, &vk->fence, VK_TRUE, UINT64_MAX);
      if (result != VK_SUCCESS)
        {
          /* The work may still be running: wait it out before its command
           * buffer goes; if even that fails, the device is unusable. */
          if (vkQueueWaitIdle (vk->queue) != VK_SUCCESS)
            vk->lost = true;
        }
    }
  ember_vk_abandon (vk, cmd);
  if (result != VK_SUCCESS)
    return ember_vk_fail (vk, error, result, what);
  return EMBER_OK;
}

ember_status
ember_vk_record_dispatch (ember_vulkan            *vk,
                          VkCommandBuffer          cmd,
                          const ember_vk_pipeline *pipeline,
                          const ember_vk_binding  *bindings,
                          const void              *push,
                          uint32_t                 groups_x,
                          uint32_t                 groups_y,
                          ember_error             *error)
{
  VkDescriptorBufferInfo infos[EMBER_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[EMBER_VK_MAX_BINDINGS];
  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = vk->descriptor_pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &pipeline->set_layout,
  };
  VkDescriptorSet set;
  VkResult result;

  result = vkAllocateDescriptorSets (vk->device, &alloc, &set);
  if (result != VK_SUCCESS)
    return ember_vk_fail (vk, error, result, "vkAllocateDescriptorSets");

  for (uint32_t i = 0; i < pipeline->n_bindings; i++)
    {
      const ember_vk_buffer *b = bindings[i].buffer;

      infos[i] = (VkDescriptorBufferInfo) {
        .buffer = b->buffer,
        .offset = bindings[i].offset,
        .range = bindings[i].range == VK_WHOLE_SIZE ? b->alloc_size - bindings[i].offset
                                                    : bindings[i].range,
      };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[i],
      };
    }
  vkUpdateDescriptorSets (vk->device, pipeline->n_bindings, writes, 0, NULL);

  vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set,
                           0, NULL);
  if (pipeline->push_size > 0)
    vkCmdPushConstants (cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                        pipeline->push_size, push);
  vkCmdDispatch (cmd, groups_x, groups_y, 1);
  return EMBER_OK;
}

void
ember_vk_record_barrier (VkCommandBuffer cmd)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT
                     | VK_ACCESS_TRANSFER_READ_BIT,
  };

  vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        0, 1, &barrier, 0, NULL, 0, NULL);
}

ember_status
ember_vk_grid (ember_vulkan *vk,
               uint64_t      groups,
               uint32_t     *groups_x,
               uint32_t     *groups_y,
               ember_error  *error)
{
  uint64_t max_x = vk->limits.maxComputeWorkGroupCount[0];
  uint64_t max_y = vk->limits.maxComputeWorkGroupCount[1];
  uint64_t y;

  if (groups <= max_x)
    {
      *groups_x = (uint32_t) groups;
      *groups_y = 1;
      return EMBER_OK;
    }
  y = groups / max_x + (groups % max_x != 0);
  if (y > max_y)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%llu workgroups are too many for one dispatch on \"%s\"",
                            (unsigned long long) groups, vk->info.name);
  *groups_x = (uint32_t) max_x;
  *groups_y = (uint32_t) y;
  return EMBER_OK;
}
