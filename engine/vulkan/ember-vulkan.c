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

#include "ember-vk-private.h"

#define EMBER_VK_MIN_API VK_API_VERSION_1_2

ember_status
ember_vk_fail (ember_vulkan *vk,
               ember_error  *error,
               VkResult      result,
               const char   *what)
{
  ember_status status;

  switch (result)
    {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_TOO_MANY_OBJECTS:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL:
      status = EMBER_ERROR_OUT_OF_MEMORY;
      break;
    case VK_ERROR_DEVICE_LOST:
      status = EMBER_ERROR_DEVICE_LOST;
      if (vk != NULL)
        vk->lost = true;
      break;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_INITIALIZATION_FAILED:
      status = EMBER_ERROR_NO_DEVICE;
      break;
    default:
      status = EMBER_ERROR_VULKAN;
      break;
    }

  if (status == EMBER_ERROR_DEVICE_LOST)
    return ember_error_set (error, status,
                            "%s failed: the Vulkan device%s%s%s was lost (a driver reset or "
                            "a hung GPU); restart Hearth to use it again",
                            what, vk != NULL ? " \"" : "", vk != NULL ? vk->info.name : "",
                            vk != NULL ? "\"" : "");
  return ember_error_set (error, status, "%s failed: %s (VkResult %d)",
                          what, ember_status_to_string (status), (int) result);
}

ember_status
ember_vk_check_lost (ember_vulkan *vk,
                     ember_error  *error)
{
  if (vk->lost)
    return ember_error_set (error, EMBER_ERROR_DEVICE_LOST,
                            "the Vulkan device \"%s\" was lost earlier; restart Hearth to "
                            "use it again", vk->info.name);
  return EMBER_OK;
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
    return ember_vk_fail (NULL, error, result, "vkCreateInstance");
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
    return ember_vk_fail (NULL, error, result, "vkEnumeratePhysicalDevices");
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
      return ember_vk_fail (NULL, error, result, "vkEnumeratePhysicalDevices");
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
    return ember_vk_fail (vk, error, result, "vkCreateDevice");

  vkGetDeviceQueue (vk->device, vk->queue_family, 0, &vk->queue);

  result = vkCreateCommandPool (vk->device, &pool_info, NULL, &vk->command_pool);
  if (result != VK_SUCCESS)
    return ember_vk_fail (vk, error, result, "vkCreateCommandPool");

  {
    VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

    result = vkCreateFence (vk->device, &fence_info, NULL, &vk->fence);
    if (result != VK_SUCCESS)
      return ember_vk_fail (vk, error, result, "vkCreateFence");
  }

  return EMBER_OK;
}

/* Properties beyond the basic ones: the allocation limit and subgroups. */
static void
query_compute_properties (ember_vulkan *vk)
{
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
  };
  VkPhysicalDeviceMaintenance3Properties maintenance3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
    .pNext = &subgroup,
  };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &maintenance3,
  };
  const VkSubgroupFeatureFlags wanted = VK_SUBGROUP_FEATURE_BASIC_BIT
                                        | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;

  vkGetPhysicalDeviceProperties2 (vk->physical_device, &props);
  vk->properties = props.properties;
  vk->limits = props.properties.limits;
  vk->max_allocation_size = maintenance3.maxMemoryAllocationSize;
  if (vk->max_allocation_size == 0)
    vk->max_allocation_size = vk->limits.maxStorageBufferRange;
  vk->subgroup_size = subgroup.subgroupSize;
  vk->subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0
                            && (subgroup.supportedOperations & wanted) == wanted
                            && subgroup.subgroupSize > 0;
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
  vk->paths = options->paths;

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
      override = options->device_override;
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
  query_compute_properties (vk);
  vkGetPhysicalDeviceMemoryProperties (vk->physical_device, &vk->memory_properties);

  ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_INFO,
             "Vulkan device %u of %u: %s (%s, %s, Vulkan %u.%u)",
             vk->info.index, n_devices, vk->info.name,
             ember_device_type_to_string (vk->info.type), vk->info.driver,
             vk->info.api_major, vk->info.api_minor);

  ember_log (vk->log_func, vk->log_user_data, EMBER_LOG_LEVEL_DEBUG,
             "subgroup size %u, subgroup arithmetic in compute shaders: %s; "
             "storage buffers up to %u bytes, allocations up to %llu bytes",
             vk->subgroup_size, vk->subgroup_arithmetic ? "yes" : "no",
             vk->limits.maxStorageBufferRange, (unsigned long long) vk->max_allocation_size);

  status = create_device (vk, error);
  if (status != EMBER_OK)
    goto fail;
  /* the defaults, with the paths the options switched off */
  ember_vk_set_tuning (vk, NULL, NULL);

  status = ember_vk_pipelines_init (vk, options->pipeline_cache_dir, error);
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
      ember_vk_buffer_free (vk, vk->staging);
      ember_vk_pipelines_fini (vk);
      if (vk->fence != VK_NULL_HANDLE)
        vkDestroyFence (vk->device, vk->fence, NULL);
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

ember_status
ember_vulkan_vector_add (ember_vulkan *vk,
                         const float  *a,
                         const float  *b,
                         float        *result,
                         uint32_t      n,
                         ember_error  *error)
{
  ember_vk_buffer *buffers[3] = { NULL, NULL, NULL };
  ember_vk_pipeline *pipeline;
  VkCommandBuffer cmd;
  VkDeviceSize size = (VkDeviceSize) n * sizeof (float);
  uint32_t max_groups;
  uint32_t groups;
  ember_status status;

  if (vk == NULL || ((a == NULL || b == NULL || result == NULL) && n > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_vulkan_vector_add: missing argument");
  if (n == 0)
    return EMBER_OK;

  groups = n / 64 + (n % 64 != 0);
  max_groups = vk->limits.maxComputeWorkGroupCount[0];
  if (size > ember_vk_max_buffer_bytes (vk) || groups > max_groups)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%u elements are too many for one dispatch on \"%s\" "
                            "(storage buffers up to %llu bytes, %u workgroups)",
                            n, vk->info.name, (unsigned long long) ember_vk_max_buffer_bytes (vk),
                            max_groups);

  status = ember_vk_check_lost (vk, error);
  if (status != EMBER_OK)
    return status;
  status = ember_vk_pipeline_get (vk, "vector_add_f32", 3, sizeof n, NULL, 0, &pipeline, error);
  if (status != EMBER_OK)
    return status;

  for (int i = 0; i < 3 && status == EMBER_OK; i++)
    status = ember_vk_buffer_new (vk, size, &buffers[i], error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_write (vk, buffers[0], 0, a, size, error);
  if (status == EMBER_OK)
    status = ember_vk_buffer_write (vk, buffers[1], 0, b, size, error);
  if (status == EMBER_OK)
    status = ember_vk_begin (vk, &cmd, error);
  if (status == EMBER_OK)
    {
      ember_vk_binding bindings[3];

      for (int i = 0; i < 3; i++)
        bindings[i] = (ember_vk_binding) { buffers[i], 0, VK_WHOLE_SIZE };
      status = ember_vk_record_dispatch (vk, cmd, pipeline, bindings, &n, groups, 1, error);
      if (status == EMBER_OK)
        status = ember_vk_submit_wait (vk, cmd, error);
      else
        ember_vk_abandon (vk, cmd);
    }
  if (status == EMBER_OK)
    status = ember_vk_buffer_read (vk, buffers[2], 0, result, size, error);

  for (int i = 0; i < 3; i++)
    ember_vk_buffer_free (vk, buffers[i]);
  return status;
}
