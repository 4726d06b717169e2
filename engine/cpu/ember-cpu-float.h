/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal: the CPU path's products of float weights (F32, F16, BF16) with
 * f32 activations. Each weight row is read where it lies (the model is
 * memory-mapped; no copy, no row dequantized into a buffer first) and
 * multiplied with a tile of tokens at once, so a prompt loads each weight
 * row once per tile rather than once per token. The activations stay f32:
 * the only difference from the reference is the order of the float sums.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ember-cpu-kernels.h"
#include "ember-model-private.h"
#include "ember-threads.h"

/* Weight rows per kernel call (a multiple of every kernel's row tile): one
 * piece of work for the thread pool. */
#define EMBER_FLOAT_ROWS 24

/* @nr (1 … EMBER_FLOAT_ROWS) rows of @cols elements from @w, each
 * @row_bytes after the one before, against @nt (1 … EMBER_CPU_MAX_BATCH)
 * tokens from @x, each @cols floats after the one before:
 * out[t × out_stride + r] gets row r · token t. */
typedef void (*ember_float_gemm_func) (uint64_t       cols,
                                       const uint8_t *w,
                                       size_t         row_bytes,
                                       uint32_t       nr,
                                       const float   *x,
                                       uint32_t       nt,
                                       float         *out,
                                       size_t         out_stride);

/* The kernel for weights of @type (F32, F16, BF16) in the set @kernels
 * (resolved), or NULL: another type, or the REFERENCE set. */
ember_float_gemm_func ember_float_gemm_lookup (ember_cpu_kernels kernels,
                                               ember_type        type);

/* out[b][r] = W[r] · x[b] for @batch (1 … EMBER_CPU_MAX_BATCH) tokens, as
 * ember_cpu_matmul (), with the float kernels of @kernels (resolved), rows
 * split over @pool (may be NULL) where the product is large enough.
 * Returns false, computing nothing, where @w's type is not a float type or
 * @kernels is REFERENCE: the caller then runs the reference. */
bool ember_cpu_matmul_float (ember_pool         *pool,
                             ember_cpu_kernels   kernels,
                             const ember_matrix *w,
                             const float        *x,
                             float              *out,
                             uint32_t            batch);

/* ---- the x86-64 kernels (ember-cpu-float-x86.c, built once per instruction set) */

#if defined(__x86_64__)
ember_float_gemm_func ember_float_gemm_lookup_avx2 (ember_type type);
ember_float_gemm_func ember_float_gemm_lookup_avx_vnni (ember_type type);
#endif
