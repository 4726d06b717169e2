/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Will a model fit? Before a download, from the bytes of its files: about
 * what running it needs (weights, the KV cache at the default context and
 * scratch), against the GPU's memory and the computer's RAM. Hearth runs a
 * model wholly on the GPU or wholly on the CPU, so the verdicts are: on the
 * GPU, on the CPU (slowly, where a GPU exists but is too small), or not at
 * all.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HEARTH_FIT_GPU,       /* fits in the GPU's memory */
  HEARTH_FIT_CPU,       /* not in the GPU's (or there is none), but in RAM */
  HEARTH_FIT_NONE,      /* in neither */
} HearthFitVerdict;

typedef struct {
  guint64 needed;       /* bytes, estimated */
  guint64 gpu_bytes;    /* the GPU's device-local memory; 0: no GPU (a CPU device is none) */
  guint64 ram_bytes;
  HearthFitVerdict verdict;
} HearthFit;

/* The estimate for model files of @model_bytes on a computer with
 * @gpu_bytes of GPU memory (0: none) and @ram_bytes of RAM. */
void hearth_fit_estimate (guint64    model_bytes,
                          guint64    gpu_bytes,
                          guint64    ram_bytes,
                          HearthFit *fit);

/* The same with the KV cache known: @cache_bytes instead of a share of the
 * weights. */
void hearth_fit_estimate_with_cache (guint64    model_bytes,
                                     guint64    cache_bytes,
                                     guint64    gpu_bytes,
                                     guint64    ram_bytes,
                                     HearthFit *fit);

/* This computer's RAM, and the memory of the GPU Hearth would use (0 where
 * it would run on the CPU: no Vulkan device, or only a CPU one). */
guint64 hearth_fit_system_ram (void);
guint64 hearth_fit_gpu_memory (void);

/* One sentence, with the numbers: "needs about 5.2 GB; this computer has
 * 4.0 GB of GPU memory and 16 GB of RAM: it will run, slowly, on the CPU". */
char *hearth_fit_describe (const HearthFit *fit);

G_END_DECLS
