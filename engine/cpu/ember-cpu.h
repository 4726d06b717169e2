/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU reference forward pass, as the context (ember-context.c) runs it
 * where Vulkan is not used: its own state (the KV cache, the scratch of one
 * batch, the worker threads) over one model. The caller keeps the tokens
 * and the position; this only computes. Internal, not part of ember.h.
 */
#pragma once

#include <stdint.h>

#include "ember-common.h"
#include "ember-cpu-kernels.h"
#include "ember-model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most tokens one ember_cpu_forward () takes. The batched kernel
 * unpacks each chunk of weights once a batch, so longer batches pay it
 * less often: smollm2 Q4_0's 512-token prompt ran at 1465–1570 tokens/s
 * with 64, 1716–1762 with 128, 1757–1869 with 256, no more with 512; the
 * scratch grows with it (x, q, k, v, gate, up: about 50 MB at 256 for an
 * 8B model). */
#define EMBER_CPU_MAX_BATCH 256

typedef struct ember_cpu ember_cpu;

/* A KV cache of @n_ctx positions over @model (which must outlive it) and
 * @n_threads workers (0: the physical cores this process may run on), with the
 * matrix-product kernels @kernels (resolved with
 * ember_cpu_kernels_resolve ()). Refuses, with the numbers, a cache the
 * machine has no memory for. */
ember_status ember_cpu_new (const ember_model *model,
                            uint32_t           n_ctx,
                            uint32_t           n_threads,
                            ember_cpu_kernels  kernels,
                            ember_cpu        **out,
                            ember_error       *error);
void ember_cpu_free (ember_cpu *cpu);

/* The threads it computes with (n_threads = 0 resolved). */
uint32_t ember_cpu_get_n_threads (const ember_cpu *cpu);

/* The kernels it multiplies with (resolved: never AUTO). */
ember_cpu_kernels ember_cpu_get_kernels (const ember_cpu *cpu);

/* Runs @batch tokens (1 … EMBER_CPU_MAX_BATCH; ids already checked against
 * the vocabulary) at positions @pos … @pos + batch - 1 through the model,
 * the cache holding positions 0 … pos - 1 (pos + batch <= n_ctx), and
 * writes the last one's n_vocab logits to @logits (may be NULL). */
void ember_cpu_forward (ember_cpu     *cpu,
                        const int32_t *tokens,
                        uint32_t       batch,
                        uint32_t       pos,
                        float         *logits);

#ifdef __cplusplus
}
#endif
