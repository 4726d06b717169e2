/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An inference context: a KV cache of a chosen length over a loaded model,
 * the tokens it holds, and the forward pass (the CPU reference here; the
 * Vulkan backend arrives later behind the same calls). A context is used
 * from one thread at a time; several contexts may share one model.
 */
#pragma once

#include "ember-common.h"
#include "ember-cpu-kernels.h"
#include "ember-model.h"
#include "ember-vulkan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_context ember_context;

typedef enum {
  EMBER_BACKEND_AUTO,    /* Vulkan on a GPU; the CPU where the best device is a CPU (lavapipe) */
  EMBER_BACKEND_CPU,
  EMBER_BACKEND_VULKAN,
} ember_backend;

/* Whether a context asked for @backend runs on @device (the device
 * ember_device_choose () picks) rather than on the CPU path: never for
 * EMBER_BACKEND_CPU, always for EMBER_BACKEND_VULKAN (where the model can
 * run there), and for EMBER_BACKEND_AUTO only where @device is not a
 * CPU-type device (lavapipe, llvmpipe): those run on the same cores, where
 * the CPU path is faster. The one place this rule lives: contexts follow
 * it, and `hearth devices` says what it decides. Pure. */
bool ember_backend_uses_device (ember_backend            backend,
                                const ember_device_info *device);

typedef struct {
  uint32_t n_ctx;      /* 0: the model's context length capped at 4096 */
  uint32_t n_threads;  /* 0: the physical cores this process may run on */
  ember_backend backend;
  int32_t device_index;           /* EMBER_DEVICE_AUTO, or a Vulkan device index */
  /* With device_index EMBER_DEVICE_AUTO: the user's device setting as text
   * (HEARTH_VULKAN_DEVICE), or NULL (the default) for the automatic choice.
   * See ember_vulkan_options. */
  const char *device_override;
  ember_vulkan_paths vulkan_paths; /* 0 (the default): every optional Vulkan path */
  /* The CPU path's matrix products (HEARTH_CPU): AUTO (the default), the
   * fastest this processor has; REFERENCE the plain f32 oracle. */
  ember_cpu_kernels cpu_kernels;
  const char *pipeline_cache_dir; /* where Vulkan keeps compiled pipelines, or NULL */
  ember_log_func log_func;        /* may be NULL */
  void *log_user_data;
} ember_context_options;

void ember_context_options_init (ember_context_options *options);

/* @model must outlive the context. Refuses, with the numbers, a context the
 * machine has no memory for. */
ember_status ember_context_new (const ember_model           *model,
                                const ember_context_options *options,
                                ember_context              **out,
                                ember_error                 *error);
void ember_context_free (ember_context *ctx);

uint32_t ember_context_get_n_ctx (const ember_context *ctx);

/* The backend the context runs on: CPU or VULKAN, never AUTO. */
ember_backend ember_context_get_backend (const ember_context *ctx);
/* "CPU (2 threads)" or the Vulkan device's name. Borrowed. */
const char *ember_context_get_device_name (const ember_context *ctx);
/* Why a context asked for Vulkan runs on the CPU instead ("no Vulkan
 * device found …", "tensor … is Q4_K: Vulkan has no kernel …"), or NULL. */
const char *ember_context_get_fallback_reason (const ember_context *ctx);
/* GPU dispatches of the last single-token step; 0 on the CPU. */
uint32_t ember_context_get_dispatches_per_token (const ember_context *ctx);
/* How many tokens the cache holds (the next token's position). */
uint32_t ember_context_get_n_past (const ember_context *ctx);
/* The tokens the cache holds, n_past of them. Borrowed. */
const int32_t *ember_context_get_tokens (const ember_context *ctx);
/* The threads the context computes with (n_threads = 0 resolved). */
uint32_t ember_context_get_n_threads (const ember_context *ctx);
/* The kernels the CPU path multiplies with (never AUTO); REFERENCE on
 * Vulkan, where the CPU path does not run. */
ember_cpu_kernels ember_context_get_cpu_kernels (const ember_context *ctx);
/* The bytes the KV cache takes: keys and values, every layer, n_ctx positions. */
uint64_t ember_context_get_cache_bytes (const ember_context *ctx);

/* The model the context runs. Borrowed. */
const ember_model *ember_context_get_model (const ember_context *ctx);

/* Asked between batches of a decode (and between tokens by ember_generate):
 * returning true stops the work, which then fails with
 * EMBER_ERROR_CANCELLED, keeping the batches already done. Called on the
 * decoding thread; may be NULL. */
typedef bool (*ember_abort_func) (void *user_data);

void ember_context_set_abort_func (ember_context   *ctx,
                                   ember_abort_func func,
                                   void            *user_data);

/* Whether the abort function asks to stop now. */
bool ember_context_should_abort (const ember_context *ctx);

/* Processes @n_tokens tokens after those in the cache, all in one batch,
 * and writes the logits of the last one to @logits (n_vocab floats; may be
 * NULL). Fails with EMBER_ERROR_CONTEXT_FULL, changing nothing, when they do
 * not fit; with EMBER_ERROR_INVALID_ARGUMENT for a token id out of range. */
ember_status ember_context_decode (ember_context *ctx,
                                   const int32_t *tokens,
                                   uint32_t       n_tokens,
                                   float         *logits,
                                   ember_error   *error);

/* Greedy decoding: processes @token after those in the cache and writes
 * to *next the id of its largest logit (ties: the lowest id, as
 * ember_sample_greedy ()). On Vulkan the argmax runs on the device and only
 * it is read back. The same errors as ember_context_decode (). */
ember_status ember_context_decode_argmax (ember_context *ctx,
                                          int32_t        token,
                                          int32_t       *next,
                                          ember_error   *error);

/* Forgets the cache from position @n_keep on (n_keep <= n_past). */
void ember_context_truncate (ember_context *ctx,
                             uint32_t       n_keep);

/* Makes the cache hold exactly @tokens, processing only what differs from
 * what it holds (the longest common prefix is kept), and writes the logits
 * of the last token. *n_reused (may be NULL) says how many were kept. */
ember_status ember_context_prefill (ember_context *ctx,
                                    const int32_t *tokens,
                                    uint32_t       n_tokens,
                                    float         *logits,
                                    uint32_t      *n_reused,
                                    ember_error   *error);

#ifdef __cplusplus
}
#endif
