/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to the Vulkan backend (ember-vulkan.c, ember-vk-*.c): the
 * context's fields and the helpers the files share. Not installed, not
 * public.
 */
#pragma once

#include <vulkan/vulkan.h>

#include "ember-private.h"
#include "ember-vk.h"

#define EMBER_VK_DEFAULT_STAGING_BYTES (16u << 20)
#define EMBER_VK_MAX_PIPELINES 512
#define EMBER_VK_MAX_BINDINGS 8
#define EMBER_VK_MAX_SPEC 4
/* Descriptor sets one command buffer may use before the pool is reset. */
#define EMBER_VK_POOL_SETS 256

struct ember_vk_buffer {
  VkBuffer buffer;
  VkDeviceMemory memory;
  VkDeviceSize size;        /* as asked for */
  VkDeviceSize alloc_size;  /* rounded up to whole 32-bit words */
  void *mapped;             /* NULL where the host cannot map it */
};

typedef struct {
  ember_vk_buffer *buffer;
  uint64_t first_row;
  uint64_t n_rows;
} ember_vk_tensor_part;

struct ember_vk_tensor {
  ember_type type;
  uint64_t rows;
  uint64_t cols;
  uint64_t row_bytes;
  uint32_t n_parts;
  ember_vk_tensor_part *parts;
};

typedef struct {
  char name[64];            /* the SPIR-V variant */
  uint32_t spec[EMBER_VK_MAX_SPEC];
  uint32_t n_spec;
  uint32_t n_bindings;
  uint32_t push_size;

  VkShaderModule module;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout layout;
  VkPipeline pipeline;
} ember_vk_pipeline;

struct ember_vulkan {
  ember_log_func log_func;
  void *log_user_data;

  VkInstance instance;
  VkPhysicalDevice physical_device;
  ember_device_info info;
  VkPhysicalDeviceProperties properties;
  VkPhysicalDeviceLimits limits;
  VkPhysicalDeviceMemoryProperties memory_properties;
  VkDeviceSize max_allocation_size;    /* maxMemoryAllocationSize */
  uint32_t subgroup_size;
  bool subgroup_arithmetic;            /* in compute shaders */

  VkDevice device;
  uint32_t queue_family;
  VkQueue queue;
  VkCommandPool command_pool;
  VkFence fence;
  bool lost;                           /* the device was lost: every call fails */

  ember_vk_tuning tuning;
  ember_vulkan_paths paths;     /* as the options asked: the tuning's defaults */

  /* The staging buffer, made on first use, tuning.staging_chunk_bytes. */
  ember_vk_buffer *staging;

  /* Pipelines, made once and kept until the context goes. */
  ember_vk_pipeline *pipelines[EMBER_VK_MAX_PIPELINES];
  uint32_t n_pipelines;
  VkPipelineCache pipeline_cache;
  char *pipeline_cache_path;           /* NULL: not saved */
  VkDescriptorPool descriptor_pool;
};

/* Maps @result to an ember status and message ("@what failed: …"); marks
 * @vk lost on VK_ERROR_DEVICE_LOST. @vk may be NULL. */
ember_status ember_vk_fail (ember_vulkan *vk,
                            ember_error  *error,
                            VkResult      result,
                            const char   *what);

/* EMBER_ERROR_DEVICE_LOST with a message when @vk was lost before. */
ember_status ember_vk_check_lost (ember_vulkan *vk,
                                  ember_error  *error);

/* The largest buffer the device allows (tensor parts may be held smaller by
 * the tuning). */
uint64_t ember_vk_max_buffer_bytes (const ember_vulkan *vk);

/* ---- pipelines (ember-vk-pipeline.c) ------------------------------------- */

/* Loads the pipeline cache from @dir (NULL: none) and creates the
 * descriptor pool. Corrupt or foreign cache data is ignored with a log line. */
ember_status ember_vk_pipelines_init (ember_vulkan *vk,
                                      const char   *dir,
                                      ember_error  *error);
/* Saves the pipeline cache (failures are logged) and destroys every pipeline. */
void ember_vk_pipelines_fini (ember_vulkan *vk);

/* The compute pipeline for SPIR-V variant @variant with @n_bindings storage
 * buffers at bindings 0…n-1, @push_size bytes of push constants and
 * specialization constants @spec[i] at constant_id i. Made on first use,
 * then returned from the context's list; owned by @vk. */
ember_status ember_vk_pipeline_get (ember_vulkan       *vk,
                                    const char         *variant,
                                    uint32_t            n_bindings,
                                    uint32_t            push_size,
                                    const uint32_t     *spec,
                                    uint32_t            n_spec,
                                    ember_vk_pipeline **out,
                                    ember_error        *error);

/* ---- one-shot command buffers (ember-vk-pipeline.c) --------------------- */

/* Allocates and begins a command buffer; resets the descriptor pool, so
 * only one recording may be under way at a time. */
ember_status ember_vk_begin (ember_vulkan    *vk,
                             VkCommandBuffer *cmd,
                             ember_error     *error);
/* Ends, submits and waits for @cmd, then frees it (also on failure). */
ember_status ember_vk_submit_wait (ember_vulkan   *vk,
                                   VkCommandBuffer cmd,
                                   ember_error    *error);
/* Frees a command buffer that will not be submitted. */
void ember_vk_abandon (ember_vulkan   *vk,
                       VkCommandBuffer cmd);

typedef struct {
  const ember_vk_buffer *buffer;
  VkDeviceSize offset;
  VkDeviceSize range;       /* VK_WHOLE_SIZE: to the end */
} ember_vk_binding;

/* Records a dispatch of @pipeline over @groups_x × @groups_y workgroups
 * with @bindings (pipeline->n_bindings of them) and @push. */
ember_status ember_vk_record_dispatch (ember_vulkan            *vk,
                                       VkCommandBuffer          cmd,
                                       const ember_vk_pipeline *pipeline,
                                       const ember_vk_binding  *bindings,
                                       const void              *push,
                                       uint32_t                 groups_x,
                                       uint32_t                 groups_y,
                                       ember_error             *error);

/* A compute-to-compute (and transfer) barrier: writes before it are seen by
 * reads after it. */
void ember_vk_record_barrier (VkCommandBuffer cmd);

/* Splits @groups workgroups into an x × y grid within the device's limits
 * (shaders flatten it back with gl_NumWorkGroups.x). */
ember_status ember_vk_grid (ember_vulkan *vk,
                            uint64_t      groups,
                            uint32_t     *groups_x,
                            uint32_t     *groups_y,
                            ember_error  *error);

/* ---- kernels shared by the single ops and the model (ember-vk-ops.c) ---- */

/* Rows per mat-vec workgroup: fewer workgroups, and x loaded once for all.
 * On lavapipe (subgroups of 8) 8 rows in workgroups of 16 beat 4 rows in
 * workgroups of 32 by a third on 576 × 1536 and 49152 × 576 Q8_0/Q4_0. */
#define EMBER_VK_MATVEC_ROWS_PER_GROUP 8

/* The rows kernel (matvec-rows.comp): rows per invocation and workgroup
 * width; on lavapipe 8 rows of 8 invocations measured best on SmolLM2-135M's
 * shapes (24 tokens/s against 19 with 2 rows, 21 with 16 × 4). */
#define EMBER_VK_ROWS_KERNEL_ROWS 8
#define EMBER_VK_ROWS_KERNEL_WIDTH 8

/* The prompt batch's mat-mat (matmat-rows.comp): workgroup width, rows and
 * tokens per invocation. On lavapipe, SmolLM2-135M Q4_0, 512-token prompt:
 * 16 rows × 16 tokens 142 tokens/s, 16 × 8 118, 8 × 16 118, 4 × 8 80. */
#define EMBER_VK_MATMAT_WIDTH 8
#define EMBER_VK_MATMAT_ROWS 16
#define EMBER_VK_MATMAT_TOKENS 16

/* Workgroups of the argmax (argmax.comp); the host merges their results
 * with ember_vk_argmax_merge (). */
#define EMBER_VK_ARGMAX_GROUPS 64

/* Whether greedy decoding takes its argmax on @vk (the tuning, else
 * whether @vk is not a CPU device). */
bool ember_vk_argmax_on_device (const ember_vulkan *vk);

/* The index argmax.comp's output words @out (2 * @groups + 1 of them) name
 * among @n values. */
int32_t ember_vk_argmax_merge (const uint32_t *out,
                               uint32_t        groups,
                               uint32_t        n);

/* attention-rows.comp's workgroup width: positions are dealt round-robin
 * to this many invocations. */
#define EMBER_VK_ATTENTION_WIDTH 16

/* The push constants of rope-store.comp and of attention.comp (and
 * attention-rows.comp), for a step whose first token is at position pos;
 * the model and the single ops fill them alike. */
typedef struct {
  uint32_t n_head, n_head_kv, head_dim, rope_dims, neox, cache_offset, k_offset, v_offset;
  uint32_t flags;       /* 1: add the biases; 2: normalise q and k heads */
  float eps;
  uint32_t qkv_stride, rope_stride;
} ember_vk_rope_push;

typedef struct {
  uint32_t n_head, n_head_kv, head_dim, n_pos, n_ctx;
  float scale;
  uint32_t q_stride;
} ember_vk_attn_push;

/* A workgroup width for reductions over a row: @per_subgroup subgroups, a
 * power of two within [@min, 128] and the device's limits. */
uint32_t ember_vk_reduction_width (const ember_vulkan *vk,
                                   uint32_t            per_subgroup,
                                   uint32_t            min);

/* Writes to @out the name of @kernel's variant ("matvec", "embed",
 * "matmat") for weights of @type on @vk, with @suffix (or NULL) appended:
 * "matvec_q4_k_sg_swiglu". False where there is no such variant. */
bool ember_vk_kernel_variant (const ember_vulkan *vk,
                              const char         *kernel,
                              ember_type          type,
                              const char         *suffix,
                              char               *out,
                              size_t              size);

/* The largest memory heap a storage buffer may be put in, in bytes. */
VkDeviceSize ember_vk_largest_storage_heap (const ember_vulkan *vk);
