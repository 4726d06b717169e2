/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which kernels the CPU path multiplies matrices with: the reference
 * (weights dequantized to floats, block by block: the oracle every other
 * kernel is tested against) or integer dot products against activations
 * quantized to 8 bits, in plain C or with the processor's vector
 * instructions. Part of the public API (included by ember.h), for
 * ember_context_options.cpu_kernels.
 */
#pragma once

#include "ember-common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EMBER_CPU_KERNELS_AUTO,       /* the fastest this processor runs (the default) */
  EMBER_CPU_KERNELS_REFERENCE,  /* f32 products over dequantized weights (HEARTH_CPU=reference) */
  EMBER_CPU_KERNELS_PORTABLE,   /* integer dot products in plain C */
  EMBER_CPU_KERNELS_AVX2,       /* x86-64: AVX2 and FMA */
  EMBER_CPU_KERNELS_AVX_VNNI,   /* x86-64: 256-bit AVX-512 (VNNI, VL, BW) */
} ember_cpu_kernels;

/* "reference", "portable", "avx2", "avx-vnni"; "auto" for AUTO. Static. */
const char *ember_cpu_kernels_to_string (ember_cpu_kernels kernels);

/* Parses what ember_cpu_kernels_to_string () writes; false (and *out left
 * alone) for anything else. */
bool ember_cpu_kernels_from_string (const char        *text,
                                    ember_cpu_kernels *out);

/* The kernels a context asked for @kernels runs: AUTO becomes the best this
 * processor has, and a set it lacks the best it has below that. Never AUTO. */
ember_cpu_kernels ember_cpu_kernels_resolve (ember_cpu_kernels kernels);

#ifdef __cplusplus
}
#endif
