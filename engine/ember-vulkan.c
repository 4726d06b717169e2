/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan context: one instance, one physical device chosen by
 * ember_device_choose(), one logical device with a compute queue, and the
 * compute pipelines built from the embedded SPIR-V.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vulkan.h>

#include "ember-private.h"
#include "ember-shaders.h"

#define EMBER_VK_MIN_API VK_API_VERSION_1_2

struct ember_vulkan {
  ember_log_func log_func;
  void *log_user_data;

  VkInstance instance;
  VkPhysicalDevice physical_device;
  ember_device_info info;
  VkPhysicalDeviceLimits limits;
  VkPhysicalDeviceMemoryProperties memory_properties;

  VkDevice device;
  uint32_t queue_family;
  VkQueue queue;
  VkCommandPool command_pool;

  /* The vector-add pipeline, built on first use. */
  VkShaderModule add_module;
  VkDescriptorSetLayout add_set_layout;
  VkPipelineLayout add_pipeline_layout;
  VkPipeline add_pipeline;
};

/* A host-visible buffer: the smoke kernel copies through mapped memory. */
typedef struct {
  VkBuffer buffer;
  VkDeviceMemory memory;
  void *mapped;
  VkDeviceSize size;
} host_buffer;

static ember_status
vk_fail (ember_error *error,
         VkResult     result,
         const char  *what)
{
  ember_status status;

  switch (result)
    {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_TOO_MANY_OBJECTS:
      status = EMBER_ERROR_OUT_OF_MEMORY;
      break;
    case VK_ERROR_DEVICE_LOST:
      status = EMBER_ERROR_DEVICE_LOST;
      break;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_INITIALIZATION_FAILED:
      status = EMBER_ERROR_NO_DEVICE;
      break;
    default:
      status = EMBER_ERROR_VULKAN;
      break;
    }

  return ember_error_set (error, status, "%s failed: %s (VkResult %d)",
                          what, ember_status_to_string (status), (int) result);
}

static ember_device_type
convert_device_type (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return EMBER_DEVICE_TYPE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return EMBER_DEVICE_TYPE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return EMBER_DEVICE_TYPE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return EMBER_DEVICE_TYPE_CPU;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
    case VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM:
    default:
      return EMBER_DEVICE_TYPE_OTHER;
    }
}

static bool
find_compute_queue_family (VkPhysicalDevice physical_device,
                           uint32_t        *family)
{
  VkQueueFamilyProperties props[32];
  uint32_t n = 32;
  bool found = false;

  vkGetPhysicalDeviceQueueFamilyProperties (physical_device, &n, props);

  /* Prefer a compute-only family (async compute on real GPUs). */
  for (uint32_t i = 0; i < n; i++)
    {
      if ((props[i].queueFlags & VK_QUEUE_COMPUTE_BIT) == 0)
        continue;
      if (!found || (props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) == 0)
        {
          *family = i;
          found = true;
        }
    }
  return found;
}

static void
describe_device (VkPhysicalDevice   physical_device,
                 uint32_t           index,
                 ember_device_info *info)
{
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
  };
  VkPhysicalDeviceMemoryProperties memory;
  uint32_t family;

  memset (info, 0, sizeof *info);
  info->index = index;

  vkGetPhysicalDeviceProperties (physical_device, &props.properties);
  /* VkPhysicalDeviceDriverProperties is core in 1.2; older devices only get
   * the basic properties. */
  if (props.properties.apiVersion >= VK_API_VERSION_1_2)
    {
      props.pNext = &driver;
      vkGetPhysicalDeviceProperties2 (physical_device, &props);
    }

  snprintf (info->name, sizeof info->name, "%s", props.properties.deviceName);
  if (driver.driverName[0] != '\0')
    snprintf (info->driver, sizeof info->driver, "%.120s: %.120s",
              driver.driverName, driver.driverInfo);
  else
    snprintf (info->driver, sizeof info->driver, "driver version %u",
              props.properties.driverVersion);
  info->type = convert_device_type (props.properties.deviceType);
  info->vendor_id = props.properties.vendorID;
  info->device_id = props.properties.deviceID;
  info->api_major = VK_API_VERSION_MAJOR (props.properties.apiVersion);
  info->api_minor = VK_API_VERSION_MINOR (props.properties.apiVersion);

  vkGetPhysicalDeviceMemoryProperties (physical_device, &memory);
  for (uint32_t i = 0; i < memory.memoryHeapCount; i++)
    if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info->device_local_bytes += memory.memoryHeaps[i].size;

  info->usable = true;
  if (props.properties.apiVersion < EMBER_VK_MIN_API)
    {
      info->usable = false;
      snprintf (info->unusable_reason, sizeof info->unusable_reason,
                "it supports Vulkan %u.%u; Hearth needs 1.2 or newer",
                info->api_major, info->api_minor);
    }
  else if (!find_compute_queue_family (physical_device, &family))
    {
      info->usable = false;
      snprintf (info->unusable_reason, sizeof info->unusable_reason,
                "it has no compute queue");
    }
}

static ember_status
create_instance (VkInstance  *instance,
                 ember_error *error)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Hearth",
    .applicationVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
    .pEngineName = "ember",
    .engineVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
    .apiVersion = EMBER_VK_MIN_API,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  uint32_t loader_version = VK_API_VERSION_1_0;
  VkResult result;

  /* vkEnumerateInstanceVersion is absent from 1.0 loaders. */
  if (vkGetInstanceProcAddr (NULL, "vkEnumerateInstanceVersion") != NULL)
    vkEnumerateInstanceVersion (&loader_version);
  if (loader_version < EMBER_VK_MIN_API)
    return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                            "the Vulkan loader supports Vulkan %u.%u; Hearth needs 1.2 or newer",
                            VK_API_VERSION_MAJOR (loader_version),
                            VK_API_VERSION_MINOR (loader_version));

  result = vkCreateInstance (&info, NULL, instance);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED)
    return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                            "no Vulkan driver could be loaded (VkResult %d); install one "
                            "(for example mesa-vulkan-drivers)", (int) result);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkCreateInstance");
  return EMBER_OK;
}

/* Enumerates the physical devices of @instance. *handles and *infos are
 * allocated (free() both); zero devices is success. */
static ember_status
enumerate_devices (VkInstance          instance,
                   VkPhysicalDevice  **handles,
                   ember_device_info **infos,
                   uint32_t           *n_devices,
                   ember_error        *error)
{
  uint32_t n = 0;
  VkResult result;

  *handles = NULL;
  *infos = NULL;
  *n_devices = 0;

  result = vkEnumeratePhysicalDevices (instance, &n, NULL);
  if (result == VK_ERROR_INITIALIZATION_FAILED)
    return EMBER_OK; /* the loader says so when there is no driver at all */
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkEnumeratePhysicalDevices");
  if (n == 0)
    return EMBER_OK;

  *handles = calloc (n, sizeof **handles);
  *infos = calloc (n, sizeof **infos);
  if (*handles == NULL || *infos == NULL)
    {
      free (*handles);
      free (*infos);
      *handles = NULL;
      *infos = NULL;
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory listing devices");
    }

  result = vkEnumeratePhysicalDevices (instance, &n, *handles);
  if (result != VK_SUCCESS && result != VK_INCOMPLETE)
    {
      free (*handles);
      free (*infos);
      *handles = NULL;
      *infos = NULL;
      return vk_fail (error, result, "vkEnumeratePhysicalDevices");
    }

  for (uint32_t i = 0; i < n; i++)
    describe_device ((*handles)[i], i, &(*infos)[i]);
  *n_devices = n;
  return EMBER_OK;
}

ember_status
ember_vulkan_list_devices (ember_device_info **devices,
                           uint32_t           *n_devices,
                           ember_error        *error)
{
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice *handles = NULL;
  ember_status status;

  if (devices == NULL || n_devices == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_list_devices: missing argument");

  *devices = NULL;
  *n_devices = 0;

  status = create_instance (&instance, error);
  if (status == EMBER_ERROR_NO_DEVICE)
    return EMBER_OK; /* no driver: zero devices */
  if (status != EMBER_OK)
    return status;

  status = enumerate_devices (instance, &handles, devices, n_devices, error);
  free (handles);
  vkDestroyInstance (instance, NULL);
  return status;
}

void
ember_vulkan_options_init (ember_vulkan_options *options)
{
  memset (options, 0, sizeof *options);
  options->device_index = EMBER_DEVICE_AUTO;
}

static ember_status
create_device (ember_vulkan *vk,
               ember_error  *error)
{
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = vk->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkDeviceCreateInfo device_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
  };
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = vk->queue_family,
  };
  VkResult result;

  result = vkCreateDevice (vk->physical_device, &device_info, NULL, &vk->device);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkCreateDevice");

  vkGetDeviceQueue (vk->device, vk->queue_family, 0, &vk->queue);

  result = vkCreateCommandPool (vk->device, &pool_info, NULL, &vk->command_pool);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkCreateCommandPool");

  return EMBER_OK;
}

ember_status
ember_vulkan_new (const ember_vulkan_options *options,
                  ember_vulkan              **out,
                  ember_error                *error)
{
  ember_vulkan_options defaults;
  ember_vulkan *vk;
  VkPhysicalDevice *handles = NULL;
  ember_device_info *infos = NULL;
  uint32_t n_devices = 0;
  uint32_t chosen = 0;
  char index_text[16];
  const char *override;
  ember_status status;

  if (out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_vulkan_new: out is NULL");
  *out = NULL;

  if (options == NULL)
    {
      ember_vulkan_options_init (&defaults);
      options = &defaults;
    }

  vk = calloc (1, sizeof *vk);
  if (vk == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  vk->log_func = options->log_func;
  vk->log_user_data = options->log_user_data;

  status = create_instance (&vk->instance, error);
  if (status != EMBER_OK)
    goto fail;

  status = enumerate_devices (vk->instance, &handles, &infos, &n_devices, error);
  if (status != EMBER_OK)
    goto fail;

  if (options->device_index >= 0)
    {
      snprintf (index_text, sizeof index_text, "%d", (int) options->device_index);
      override = index_text;
    }
  else
    {
      override = getenv ("HEARTH_VULKAN_DEVICE");
    }

  status = ember_device_choose (infos, n_devices, override, &chosen, error);
  if (status != EMBER_OK)
    goto fail;

  vk->physical_device = handles[chosen];
  vk->info = infos[chosen];
  if (!find_compute_queue_family (vk->physical_device, &vk->queue_family))
    {
      status = ember_error_set (error, EMBER_ERROR_NO_DEVICE, "\"%s\" has no compute queue",
                                vk->info.name);
      goto fail;
    }
  {
    VkPhysicalDeviceProperties props;

    vkGetPhysicalDeviceProperties (vk->physical_device, &props);
    vk->limits = props.limits;
  }
  vkGetPhysicalDeviceMemoryProperties (vk->physical_device, &vk->memory_properties);

  ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_INFO,
             "Vulkan device %u of %u: %s (%s, %s, Vulkan %u.%u)",
             vk->info.index, n_devices, vk->info.name,
             ember_device_type_to_string (vk->info.type), vk->info.driver,
             vk->info.api_major, vk->info.api_minor);

  status = create_device (vk, error);
  if (status != EMBER_OK)
    goto fail;

  free (handles);
  free (infos);
  *out = vk;
  return EMBER_OK;

fail:
  free (handles);
  free (infos);
  ember_vulkan_free (vk);
  return status;
}

void
ember_vulkan_free (ember_vulkan *vk)
{
  if (vk == NULL)
    return;

  if (vk->device != VK_NULL_HANDLE)
    {
      vkDeviceWaitIdle (vk->device);
      if (vk->add_pipeline != VK_NULL_HANDLE)
        vkDestroyPipeline (vk->device, vk->add_pipeline, NULL);
      if (vk->add_pipeline_layout != VK_NULL_HANDLE)
        vkDestroyPipelineLayout (vk->device, vk->add_pipeline_layout, NULL);
      if (vk->add_set_layout != VK_NULL_HANDLE)
        vkDestroyDescriptorSetLayout (vk->device, vk->add_set_layout, NULL);
      if (vk->add_module != VK_NULL_HANDLE)
        vkDestroyShaderModule (vk->device, vk->add_module, NULL);
      if (vk->command_pool != VK_NULL_HANDLE)
        vkDestroyCommandPool (vk->device, vk->command_pool, NULL);
      vkDestroyDevice (vk->device, NULL);
    }
  if (vk->instance != VK_NULL_HANDLE)
    vkDestroyInstance (vk->instance, NULL);
  free (vk);
}

const ember_device_info *
ember_vulkan_get_device (const ember_vulkan *vk)
{
  return vk != NULL ? &vk->info : NULL;
}

/* ---- the vector-add kernel --------------------------------------------- */

static ember_status
ensure_add_pipeline (ember_vulkan *vk,
                     ember_error  *error)
{
  const ember_spirv *spirv;
  VkDescriptorSetLayoutBinding bindings[3];
  VkPushConstantRange push = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .offset = 0,
    .size = sizeof (uint32_t),
  };
  VkShaderModule module = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  ember_status status = EMBER_OK;
  VkResult result;

  if (vk->add_pipeline != VK_NULL_HANDLE)
    return EMBER_OK;

  spirv = ember_spirv_lookup ("vector_add_f32");
  if (spirv == NULL)
    return ember_error_set (error, EMBER_ERROR_VULKAN, "shader vector_add_f32 is not built in");

  for (uint32_t i = 0; i < 3; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };

  {
    VkShaderModuleCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
      .codeSize = spirv->size,
      .pCode = spirv->code,
    };

    result = vkCreateShaderModule (vk->device, &info, NULL, &module);
    if (result != VK_SUCCESS)
      {
        status = vk_fail (error, result, "vkCreateShaderModule");
        goto out;
      }
  }

  {
    VkDescriptorSetLayoutCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 3,
      .pBindings = bindings,
    };

    result = vkCreateDescriptorSetLayout (vk->device, &info, NULL, &set_layout);
    if (result != VK_SUCCESS)
      {
        status = vk_fail (error, result, "vkCreateDescriptorSetLayout");
        goto out;
      }
  }

  {
    VkPipelineLayoutCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &set_layout,
      .pushConstantRangeCount = 1,
      .pPushConstantRanges = &push,
    };

    result = vkCreatePipelineLayout (vk->device, &info, NULL, &pipeline_layout);
    if (result != VK_SUCCESS)
      {
        status = vk_fail (error, result, "vkCreatePipelineLayout");
        goto out;
      }
  }

  {
    VkComputePipelineCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_COMPUTE_BIT,
        .module = module,
        .pName = "main",
      },
      .layout = pipeline_layout,
    };

    result = vkCreateComputePipelines (vk->device, VK_NULL_HANDLE, 1, &info, NULL, &pipeline);
    if (result != VK_SUCCESS)
      {
        status = vk_fail (error, result, "vkCreateComputePipelines");
        goto out;
      }
  }

  /* Everything was made: the context owns it from here. */
  vk->add_module = module;
  vk->add_set_layout = set_layout;
  vk->add_pipeline_layout = pipeline_layout;
  vk->add_pipeline = pipeline;
  return EMBER_OK;

out:
  if (pipeline_layout != VK_NULL_HANDLE)
    vkDestroyPipelineLayout (vk->device, pipeline_layout, NULL);
  if (set_layout != VK_NULL_HANDLE)
    vkDestroyDescriptorSetLayout (vk->device, set_layout, NULL);
  if (module != VK_NULL_HANDLE)
    vkDestroyShaderModule (vk->device, module, NULL);
  return status;
}

static bool
find_memory_type (const VkPhysicalDeviceMemoryProperties *props,
                  uint32_t                                type_bits,
                  VkMemoryPropertyFlags                   wanted,
                  uint32_t                               *type_index)
{
  for (uint32_t i = 0; i < props->memoryTypeCount; i++)
    if ((type_bits & (1u << i)) && (props->memoryTypes[i].propertyFlags & wanted) == wanted)
      {
        *type_index = i;
        return true;
      }
  return false;
}

static void
host_buffer_destroy (ember_vulkan *vk,
                     host_buffer  *b)
{
  if (b->mapped != NULL)
    vkUnmapMemory (vk->device, b->memory);
  if (b->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (vk->device, b->buffer, NULL);
  if (b->memory != VK_NULL_HANDLE)
    vkFreeMemory (vk->device, b->memory, NULL);
  memset (b, 0, sizeof *b);
}

static ember_status
host_buffer_create (ember_vulkan *vk,
                    VkDeviceSize  size,
                    host_buffer  *b,
                    ember_error  *error)
{
  VkBufferCreateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  uint32_t type_index;
  VkResult result;

  memset (b, 0, sizeof *b);
  b->size = size;

  result = vkCreateBuffer (vk->device, &buffer_info, NULL, &b->buffer);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkCreateBuffer");

  vkGetBufferMemoryRequirements (vk->device, b->buffer, &req);
  if (!find_memory_type (&vk->memory_properties, req.memoryTypeBits,
                         VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                         &type_index))
    return ember_error_set (error, EMBER_ERROR_VULKAN,
                            "\"%s\" has no host-visible coherent memory", vk->info.name);

  {
    VkMemoryAllocateInfo alloc = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = req.size,
      .memoryTypeIndex = type_index,
    };

    result = vkAllocateMemory (vk->device, &alloc, NULL, &b->memory);
    if (result != VK_SUCCESS)
      return vk_fail (error, result, "vkAllocateMemory");
  }

  result = vkBindBufferMemory (vk->device, b->buffer, b->memory, 0);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkBindBufferMemory");

  result = vkMapMemory (vk->device, b->memory, 0, size, 0, &b->mapped);
  if (result != VK_SUCCESS)
    {
      b->mapped = NULL;
      return vk_fail (error, result, "vkMapMemory");
    }

  return EMBER_OK;
}

static ember_status
submit_and_wait (ember_vulkan   *vk,
                 VkCommandBuffer cmd,
                 ember_error    *error)
{
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &cmd,
  };
  VkFence fence;
  VkResult result;

  result = vkCreateFence (vk->device, &fence_info, NULL, &fence);
  if (result != VK_SUCCESS)
    return vk_fail (error, result, "vkCreateFence");

  result = vkQueueSubmit (vk->queue, 1, &submit, fence);
  if (result == VK_SUCCESS)
    result = vkWaitForFences (vk->device, 1, &fence, VK_TRUE, UINT64_MAX);
  vkDestroyFence (vk->device, fence, NULL);

  if (result != VK_SUCCESS)
    return vk_fail (error, result, "running the compute shader");
  return EMBER_OK;
}

ember_status
ember_vulkan_vector_add (ember_vulkan *vk,
                         const float  *a,
                         const float  *b,
                         float        *result,
                         uint32_t      n,
                         ember_error  *error)
{
  host_buffer buffers[3] = { 0 };
  VkDescriptorPool pool = VK_NULL_HANDLE;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkDeviceSize size = (VkDeviceSize) n * sizeof (float);
  uint32_t max_groups;
  uint32_t groups;
  ember_status status;
  VkResult vr;

  if (vk == NULL || ((a == NULL || b == NULL || result == NULL) && n > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_vector_add: missing argument");
  if (n == 0)
    return EMBER_OK;

  groups = n / 64 + (n % 64 != 0);
  max_groups = vk->limits.maxComputeWorkGroupCount[0];
  if (size > vk->limits.maxStorageBufferRange || groups > max_groups)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u elements are too many for one dispatch on \"%s\" "
                            "(storage buffers up to %u bytes, %u workgroups)",
                            n, vk->info.name, vk->limits.maxStorageBufferRange, max_groups);

  status = ensure_add_pipeline (vk, error);
  if (status != EMBER_OK)
    return status;

  for (int i = 0; i < 3; i++)
    {
      status = host_buffer_create (vk, size, &buffers[i], error);
      if (status != EMBER_OK)
        goto out;
    }
  memcpy (buffers[0].mapped, a, size);
  memcpy (buffers[1].mapped, b, size);

  {
    VkDescriptorPoolSize pool_size = {
      .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 3,
    };
    VkDescriptorPoolCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = 1,
      .poolSizeCount = 1,
      .pPoolSizes = &pool_size,
    };
    VkDescriptorSetAllocateInfo alloc = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorSetCount = 1,
      .pSetLayouts = &vk->add_set_layout,
    };
    VkDescriptorBufferInfo buffer_infos[3];
    VkWriteDescriptorSet writes[3];

    vr = vkCreateDescriptorPool (vk->device, &info, NULL, &pool);
    if (vr != VK_SUCCESS)
      {
        status = vk_fail (error, vr, "vkCreateDescriptorPool");
        goto out;
      }
    alloc.descriptorPool = pool;
    vr = vkAllocateDescriptorSets (vk->device, &alloc, &set);
    if (vr != VK_SUCCESS)
      {
        status = vk_fail (error, vr, "vkAllocateDescriptorSets");
        goto out;
      }

    for (uint32_t i = 0; i < 3; i++)
      {
        buffer_infos[i] = (VkDescriptorBufferInfo) {
          .buffer = buffers[i].buffer,
          .offset = 0,
          .range = size,
        };
        writes[i] = (VkWriteDescriptorSet) {
          .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
          .dstSet = set,
          .dstBinding = i,
          .descriptorCount = 1,
          .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
          .pBufferInfo = &buffer_infos[i],
        };
      }
    vkUpdateDescriptorSets (vk->device, 3, writes, 0, NULL);
  }

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
    /* Make the shader's writes visible to the host before we read them. */
    VkMemoryBarrier to_host = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };

    vr = vkAllocateCommandBuffers (vk->device, &alloc, &cmd);
    if (vr != VK_SUCCESS)
      {
        status = vk_fail (error, vr, "vkAllocateCommandBuffers");
        cmd = VK_NULL_HANDLE;
        goto out;
      }

    vr = vkBeginCommandBuffer (cmd, &begin);
    if (vr != VK_SUCCESS)
      {
        status = vk_fail (error, vr, "vkBeginCommandBuffer");
        goto out;
      }
    vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, vk->add_pipeline);
    vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, vk->add_pipeline_layout,
                             0, 1, &set, 0, NULL);
    vkCmdPushConstants (cmd, vk->add_pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT,
                        0, sizeof n, &n);
    vkCmdDispatch (cmd, groups, 1, 1);
    vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                          0, 1, &to_host, 0, NULL, 0, NULL);
    vr = vkEndCommandBuffer (cmd);
    if (vr != VK_SUCCESS)
      {
        status = vk_fail (error, vr, "vkEndCommandBuffer");
        goto out;
      }
  }

  status = submit_and_wait (vk, cmd, error);
  if (status == EMBER_OK)
    memcpy (result, buffers[2].mapped, size);

out:
  if (cmd != VK_NULL_HANDLE)
    vkFreeCommandBuffers (vk->device, vk->command_pool, 1, &cmd);
  if (pool != VK_NULL_HANDLE)
    vkDestroyDescriptorPool (vk->device, pool, NULL);
  for (int i = 0; i < 3; i++)
    host_buffer_destroy (vk, &buffers[i]);
  return status;
}
