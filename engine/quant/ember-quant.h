/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CPU (de)quantization of every tensor type Hearth knows, bit-exact with
 * ggml's reference code: dequantizing a row gives the very floats that
 * ggml's `dequantize_row_*` gives, and quantizing follows ggml's
 * `quantize_row_*_ref` (no importance matrix). This is the reference that
 * the GPU kernels are tested against. Part of the public API (included by
 * ember.h).
 *
 * Blocks are read and written in the GGUF layout (little-endian), from and to
 * memory of any alignment. Quantizing expects finite inputs.
 */
#pragma once

#include "ember-common.h"
#include "ember-types.h"

#include <stdint.h>

#include "ember-types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IEEE binary16 <-> binary32. Widening is exact (a signalling NaN comes back
 * quiet). Narrowing rounds to nearest, ties to even, overflows to infinity,
 * keeps subnormals and turns every NaN into 0x7E00 with its sign, as ggml's
 * reference conversion does. */
float ember_fp16_to_fp32 (uint16_t h);
uint16_t ember_fp32_to_fp16 (float f);

/* bfloat16 <-> binary32. Narrowing rounds to nearest, ties to even, and
 * quiets a NaN keeping its sign and top payload bits, as ggml does. */
float ember_bf16_to_fp32 (uint16_t h);
uint16_t ember_fp32_to_bf16 (float f);

/* Expands @n elements of @type stored at @src (n / block_elements blocks)
 * into @dst. @n must be a whole number of blocks. */
ember_status ember_dequantize_row (ember_type   type,
                                   const void  *src,
                                   float       *dst,
                                   uint64_t     n,
                                   ember_error *error);

/* Packs @n floats from @src into @type at @dst, which must hold
 * ember_type_row_bytes (info, n) bytes. @n must be a whole number of blocks.
 * Byte for byte what ggml's quantize_row_*_ref writes. */
ember_status ember_quantize_row (ember_type   type,
                                 const float *src,
                                 void        *dst,
                                 uint64_t     n,
                                 ember_error *error);

#ifdef __cplusplus
}
#endif
