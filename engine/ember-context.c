/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The inference context: the tokens its cache holds over a loaded model,
 * and the choice of where the forward pass runs, on a Vulkan device
 * (vulkan/ember-vk-model.c) or on the CPU (cpu/ember-cpu.c). Both keep
 * their own KV cache; the context keeps the tokens, the position and the
 * rules (the context length, cancelling, prefix reuse).
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-context.h"
#include "ember-cpu.h"
#include "ember-model-private.h"
#include "ember-private.h"
#include "ember-vk.h"

struct ember_context {
  const ember_model *model;
  ember_backend backend;
  char device_name[256];
  char fallback_reason[EMBER_ERROR_MESSAGE_MAX];
  ember_vulkan *vk;         /* the Vulkan backend, or NULL */
  ember_vk_model *vkm;
  ember_cpu *cpu;           /* the CPU path, or NULL on Vulkan */
  ember_abort_func abort_func;
  void *abort_user_data;
  uint32_t n_ctx;
  uint32_t n_past;
  int32_t *tokens;          /* n_ctx: what the cache holds */
  float *greedy_logits;     /* n_vocab: ember_context_decode_argmax ()'s, made on first use */
};

void
ember_context_options_init (ember_context_options *options)
{
  memset (options, 0, sizeof *options);
  options->backend = EMBER_BACKEND_AUTO;
  options->device_index = EMBER_DEVICE_AUTO;
}

bool
ember_backend_uses_device (ember_backend            backend,
                           const ember_device_info *device)
{
  if (device == NULL || backend == EMBER_BACKEND_CPU)
    return false;
  if (backend == EMBER_BACKEND_VULKAN)
    return true;
  return device->type != EMBER_DEVICE_TYPE_CPU;
}

/* ---- the context --------------------------------------------------------- */

/* Sets the context up on Vulkan if it can and should; otherwise leaves it on
 * the CPU, with the reason when Vulkan was asked for or a GPU exists. */
static void
try_vulkan (ember_context               *ctx,
            const ember_context_options *options)
{
  ember_vulkan_options vo;
  ember_error e = { 0 };
  const ember_device_info *device;

  ember_vulkan_options_init (&vo);
  vo.device_index = options->device_index;
  vo.device_override = options->device_override;
  vo.paths = options->vulkan_paths;
  vo.log_func = options->log_func;
  vo.log_user_data = options->log_user_data;
  vo.pipeline_cache_dir = options->pipeline_cache_dir;
  if (ember_vulkan_new (&vo, &ctx->vk, &e) != EMBER_OK)
    {
      if (options->backend == EMBER_BACKEND_VULKAN)
        snprintf (ctx->fallback_reason, sizeof ctx->fallback_reason, "%s", e.message);
      return;
    }

  device = ember_vulkan_get_device (ctx->vk);
  /* On its own, Hearth leaves CPU-type devices (lavapipe) to the CPU path:
   * the same cores, and the CPU path is faster on them. */
  if (!ember_backend_uses_device (options->backend, device))
    {
      ember_vulkan_free (ctx->vk);
      ctx->vk = NULL;
      return;
    }

  if (ember_vk_model_new (ctx->vk, ctx->model, ctx->n_ctx, &ctx->vkm, &e) != EMBER_OK)
    {
      snprintf (ctx->fallback_reason, sizeof ctx->fallback_reason, "%s", e.message);
      ember_vulkan_free (ctx->vk);
      ctx->vk = NULL;
      return;
    }
  ctx->backend = EMBER_BACKEND_VULKAN;
  snprintf (ctx->device_name, sizeof ctx->device_name, "%s", device->name);
}

ember_status
ember_context_new (const ember_model           *model,
                   const ember_context_options *options,
                   ember_context              **out,
                   ember_error                 *error)
{
  ember_context_options defaults;
  const ember_hparams *hp;
  ember_context *ctx;
  ember_status status;
  uint32_t n_threads;

  if (model == NULL || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_context_new: missing argument");
  *out = NULL;
  if (options == NULL)
    {
      ember_context_options_init (&defaults);
      options = &defaults;
    }
  hp = &model->hp;

  ctx = calloc (1, sizeof *ctx);
  if (ctx == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  ctx->model = model;
  ctx->n_ctx = options->n_ctx > 0 ? options->n_ctx
                                  : (hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096);

  ctx->backend = EMBER_BACKEND_CPU;
  if (options->backend != EMBER_BACKEND_CPU)
    try_vulkan (ctx, options);
  if (ctx->fallback_reason[0] != '\0')
    ember_log (options->log_func, options->log_user_data, EMBER_LOG_LEVEL_WARNING,
               "Vulkan cannot be used (%s); running on the CPU", ctx->fallback_reason);

  ctx->tokens = calloc (ctx->n_ctx, sizeof *ctx->tokens);
  if (ctx->tokens == NULL)
    {
      ember_context_free (ctx);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  if (ctx->backend == EMBER_BACKEND_VULKAN)
    {
      *out = ctx;
      return EMBER_OK;
    }

  /* the CPU path: its own cache and scratch, and its worker threads */
  status = ember_cpu_new (model, ctx->n_ctx, options->n_threads, options->cpu_kernels,
                          &ctx->cpu, error);
  if (status != EMBER_OK)
    {
      ember_context_free (ctx);
      return status;
    }
  n_threads = ember_cpu_get_n_threads (ctx->cpu);
  snprintf (ctx->device_name, sizeof ctx->device_name, "CPU (%u thread%s)",
            n_threads, n_threads == 1 ? "" : "s");

  *out = ctx;
  return EMBER_OK;
}

void
ember_context_free (ember_context *ctx)
{
  if (ctx == NULL)
    return;
  ember_vk_model_free (ctx->vkm);
  ember_vulkan_free (ctx->vk);
  ember_cpu_free (ctx->cpu);
  free (ctx->tokens);
  free (ctx->greedy_logits);
  free (ctx);
}

uint32_t
ember_context_get_n_ctx (const ember_context *ctx)
{
  return ctx->n_ctx;
}

ember_backend
ember_context_get_backend (const ember_context *ctx)
{
  return ctx->backend;
}

const char *
ember_context_get_device_name (const ember_context *ctx)
{
  return ctx->device_name;
}

const char *
ember_context_get_fallback_reason (const ember_context *ctx)
{
  return ctx->fallback_reason[0] != '\0' ? ctx->fallback_reason : NULL;
}

uint32_t
ember_context_get_dispatches_per_token (const ember_context *ctx)
{
  uint32_t dispatches = 0, barriers = 0;

  if (ctx->vkm == NULL)
    return 0;
  ember_vk_model_get_stats (ctx->vkm, &dispatches, &barriers);
  return dispatches;
}

uint32_t
ember_context_get_n_past (const ember_context *ctx)
{
  return ctx->n_past;
}

const int32_t *
ember_context_get_tokens (const ember_context *ctx)
{
  return ctx->tokens;
}

const ember_model *
ember_context_get_model (const ember_context *ctx)
{
  return ctx->model;
}

void
ember_context_set_abort_func (ember_context   *ctx,
                              ember_abort_func func,
                              void            *user_data)
{
  ctx->abort_func = func;
  ctx->abort_user_data = user_data;
}

bool
ember_context_should_abort (const ember_context *ctx)
{
  return ctx->abort_func != NULL && ctx->abort_func (ctx->abort_user_data);
}

uint32_t
ember_context_get_n_threads (const ember_context *ctx)
{
  return ctx->cpu != NULL ? ember_cpu_get_n_threads (ctx->cpu) : 0;
}

ember_cpu_kernels
ember_context_get_cpu_kernels (const ember_context *ctx)
{
  return ctx->cpu != NULL ? ember_cpu_get_kernels (ctx->cpu) : EMBER_CPU_KERNELS_REFERENCE;
}

uint64_t
ember_context_get_cache_bytes (const ember_context *ctx)
{
  const ember_hparams *hp = &ctx->model->hp;

  /* K and V, kept as f32 */
  return 2 * (uint64_t) hp->n_layer * ctx->n_ctx * hp->n_head_kv * hp->head_dim * sizeof (float);
}

ember_status
ember_context_decode (ember_context *ctx,
                      const int32_t *tokens,
                      uint32_t       n_tokens,
                      float         *logits,
                      ember_error   *error)
{
  uint32_t n_vocab;

  if (ctx == NULL || (tokens == NULL && n_tokens > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_context_decode: missing argument");
  if (n_tokens == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "nothing to decode");
  if (n_tokens > ctx->n_ctx - ctx->n_past)
    return ember_error_set (error, EMBER_ERROR_CONTEXT_FULL,
                            "the context is full: %u tokens do not fit after the %u it holds "
                            "(its length is %u)", n_tokens, ctx->n_past, ctx->n_ctx);

  n_vocab = ctx->model->hp.n_vocab;
  for (uint32_t i = 0; i < n_tokens; i++)
    if (tokens[i] < 0 || (uint32_t) tokens[i] >= n_vocab)
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "token id %d is outside the vocabulary (0 to %u)", tokens[i], n_vocab - 1);

  if (ctx->vkm != NULL)
    {
      /* Vulkan: the prompt in batches where the model has the batched
       * path (one decode step per token otherwise); the cache lives on the
       * device. Cancelling is looked at between steps. */
      uint32_t step = ember_vk_model_get_batch (ctx->vkm);

      if (step == 0)
        step = 1;
      for (uint32_t i = 0; i < n_tokens;)
        {
          uint32_t n = n_tokens - i < step ? n_tokens - i : step;
          ember_status status;

          if (ember_context_should_abort (ctx))
            return ember_error_set (error, EMBER_ERROR_CANCELLED, "stopped on request");
          status = ember_vk_model_prefill (ctx->vkm, tokens + i, n, ctx->n_past,
                                           i + n == n_tokens ? logits : NULL, error);
          if (status != EMBER_OK)
            return status;
          memcpy (ctx->tokens + ctx->n_past, tokens + i, n * sizeof *tokens);
          ctx->n_past += n;
          i += n;
        }
      return EMBER_OK;
    }

  for (uint32_t done = 0; done < n_tokens;)
    {
      uint32_t batch = n_tokens - done < EMBER_CPU_MAX_BATCH ? n_tokens - done : EMBER_CPU_MAX_BATCH;
      bool last = done + batch == n_tokens;

      if (ember_context_should_abort (ctx))
        return ember_error_set (error, EMBER_ERROR_CANCELLED, "stopped on request");
      ember_cpu_forward (ctx->cpu, tokens + done, batch, ctx->n_past, last ? logits : NULL);
      memcpy (ctx->tokens + ctx->n_past, tokens + done, batch * sizeof *tokens);
      ctx->n_past += batch;
      done += batch;
    }
  return EMBER_OK;
}

ember_status
ember_context_decode_argmax (ember_context *ctx,
                             int32_t        token,
                             int32_t       *next,
                             ember_error   *error)
{
  const uint32_t n_vocab = ctx != NULL ? ctx->model->hp.n_vocab : 0;
  ember_status status;

  if (ctx == NULL || next == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_context_decode_argmax: missing argument");
  if (ctx->vkm != NULL)
    {
      if (ctx->n_past >= ctx->n_ctx)
        return ember_error_set (error, EMBER_ERROR_CONTEXT_FULL,
                                "the context is full: 1 token does not fit after the %u it holds "
                                "(its length is %u)", ctx->n_past, ctx->n_ctx);
      if (ember_context_should_abort (ctx))
        return ember_error_set (error, EMBER_ERROR_CANCELLED, "stopped on request");
      status = ember_vk_model_decode_argmax (ctx->vkm, token, ctx->n_past, next, error);
      if (status == EMBER_OK)
        ctx->tokens[ctx->n_past++] = token;
      return status;
    }

  if (ctx->greedy_logits == NULL
      && (ctx->greedy_logits = malloc (n_vocab * sizeof (float))) == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory");
  status = ember_context_decode (ctx, &token, 1, ctx->greedy_logits, error);
  if (status == EMBER_OK)
    *next = ember_logits_argmax (ctx->greedy_logits, n_vocab);
  return status;
}

void
ember_context_truncate (ember_context *ctx,
                        uint32_t       n_keep)
{
  if (n_keep < ctx->n_past)
    ctx->n_past = n_keep;
}

ember_status
ember_context_prefill (ember_context *ctx,
                       const int32_t *tokens,
                       uint32_t       n_tokens,
                       float         *logits,
                       uint32_t      *n_reused,
                       ember_error   *error)
{
  uint32_t common = 0;

  if (ctx == NULL || tokens == NULL || n_tokens == 0)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "ember_context_prefill: nothing to process");
  if (n_tokens > ctx->n_ctx)
    return ember_error_set (error, EMBER_ERROR_CONTEXT_FULL,
                            "the prompt has %u tokens; the context holds %u", n_tokens, ctx->n_ctx);

  while (common < ctx->n_past && common < n_tokens && ctx->tokens[common] == tokens[common])
    common++;
  /* The last token is always processed again: its logits are needed. */
  if (common == n_tokens)
    common--;
  ember_context_truncate (ctx, common);
  if (n_reused != NULL)
    *n_reused = common;
  return ember_context_decode (ctx, tokens + common, n_tokens - common, logits, error);
}
