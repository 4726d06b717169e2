/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan devices and a Vulkan context (one instance, one device), as
 * the app sees them. Part of the public API (included by ember.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ember-common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Vulkan devices ----------------------------------------------------- */

typedef enum {
  EMBER_DEVICE_TYPE_OTHER,
  EMBER_DEVICE_TYPE_CPU,
  EMBER_DEVICE_TYPE_VIRTUAL,
  EMBER_DEVICE_TYPE_INTEGRATED,
  EMBER_DEVICE_TYPE_DISCRETE,
} ember_device_type;

typedef struct {
  uint32_t index;               /* position in Vulkan's enumeration order */
  char name[256];               /* "llvmpipe (LLVM 15.0.6, 256 bits)" */
  char driver[256];             /* driver name and info, "llvmpipe: Mesa 22.3.6" */
  ember_device_type type;
  uint32_t vendor_id;
  uint32_t device_id;
  uint32_t api_major;
  uint32_t api_minor;
  uint64_t device_local_bytes;  /* sum of the device-local heaps */
  bool usable;                  /* Vulkan >= 1.2 and a compute queue */
  char unusable_reason[128];    /* why not, when !usable */
} ember_device_info;

/* A static, untranslated name for @type ("discrete"). */
const char *ember_device_type_to_string (ember_device_type type);

/* Lists every Vulkan device, CPU ones (lavapipe) included. On success
 * *devices is a newly allocated array (free() it) of *n_devices entries; zero
 * devices is success with *devices == NULL. */
ember_status ember_vulkan_list_devices (ember_device_info **devices,
                                        uint32_t           *n_devices,
                                        ember_error        *error);

/* Picks the device to use among @devices. @override is the text of the
 * HEARTH_VULKAN_DEVICE setting (NULL or "" for automatic): a device index.
 * Automatic choice prefers discrete > integrated > virtual > CPU > other,
 * then more device-local memory, then enumeration order, among usable devices.
 * Returns the chosen position in @devices via *chosen. Pure: no Vulkan calls. */
ember_status ember_device_choose (const ember_device_info *devices,
                                  uint32_t                 n_devices,
                                  const char              *override,
                                  uint32_t                *chosen,
                                  ember_error             *error);

/* ---- a Vulkan context: one instance and one device -------------------- */

/* The mat-vec kernels: COOPERATIVE (matvec.comp: a workgroup shares each
 * row and adds its sums across the workgroup; GPUs) or ROWS
 * (matvec-rows.comp: every invocation its own rows; CPU devices). */
typedef enum {
  EMBER_VK_MATVEC_AUTO,
  EMBER_VK_MATVEC_COOPERATIVE,
  EMBER_VK_MATVEC_ROWS,
} ember_vk_matvec_kernel;

/* Where greedy decoding takes the argmax of the logits: AUTO (the host on
 * CPU devices, whose memory the host reads for free; the device
 * elsewhere, so that only a few words cross the bus). */
typedef enum {
  EMBER_VK_ARGMAX_AUTO,
  EMBER_VK_ARGMAX_DEVICE,
  EMBER_VK_ARGMAX_HOST,
} ember_vk_argmax_place;

/* Vulkan's optional paths, so that they can be compared or switched off
 * where a driver gets one wrong. ember_vulkan_options_init () and
 * ember_context_options_init () leave every field 0: every path where the
 * device has it, and the kernels and the argmax chosen for the device. The
 * engine reads no environment; the app fills these from HEARTH_VK_*
 * (HACKING.md). */
typedef struct {
  /* Use the shared-memory kernel variants even where the device has
   * subgroup arithmetic (HEARTH_VK_NO_SUBGROUP_OPS). */
  bool no_subgroup_ops;
  /* Upload q, k, v (and gate, up) as separate tensors even where they share
   * a type: one dispatch each instead of one for the group
   * (HEARTH_VK_NO_FUSED_MATVEC). */
  bool no_fused_matvec;
  /* Process prompts token by token instead of in batches of mat-mat
   * kernels (HEARTH_VK_NO_PROMPT_BATCH). */
  bool no_prompt_batch;
  /* Which mat-vec kernel models use (HEARTH_VK_MATVEC=rows|cooperative). */
  ember_vk_matvec_kernel matvec_kernel;
  /* Where greedy decoding takes the argmax (HEARTH_VK_ARGMAX=device|host). */
  ember_vk_argmax_place argmax;
} ember_vulkan_paths;


typedef struct ember_vulkan ember_vulkan;

#define EMBER_DEVICE_AUTO (-1)

typedef struct {
  /* EMBER_DEVICE_AUTO (the default): @device_override if set, else the
   * automatic choice. Otherwise a device index; one that no device has is
   * an EMBER_ERROR_NO_DEVICE error. */
  int32_t device_index;
  /* The text of the user's device setting, as ember_device_choose () takes
   * it (the app passes HEARTH_VULKAN_DEVICE, which the messages name), used
   * when @device_index is EMBER_DEVICE_AUTO. NULL (the default) or "":
   * the automatic choice. Borrowed for the call. */
  const char *device_override;
  /* Every optional path by default. */
  ember_vulkan_paths paths;
  ember_log_func log_func;      /* may be NULL */
  void *log_user_data;
  /* A folder for the compiled-pipeline cache (the app passes
   * $XDG_CACHE_HOME/hearth); made if missing. NULL: no cache. The engine
   * reads no environment variable for it. */
  const char *pipeline_cache_dir;
} ember_vulkan_options;

void ember_vulkan_options_init (ember_vulkan_options *options);

/* Creates the instance and the logical device. @options may be NULL. */
ember_status ember_vulkan_new (const ember_vulkan_options *options,
                               ember_vulkan              **out,
                               ember_error                *error);
void ember_vulkan_free (ember_vulkan *vk);

/* The chosen device; owned by @vk. */
const ember_device_info *ember_vulkan_get_device (const ember_vulkan *vk);

/* result[i] = a[i] + b[i] on the device, for i < n. The smallest real kernel:
 * it proves the shader pipeline end to end. */
ember_status ember_vulkan_vector_add (ember_vulkan *vk,
                                      const float  *a,
                                      const float  *b,
                                      float        *result,
                                      uint32_t      n,
                                      ember_error  *error);

#ifdef __cplusplus
}
#endif
