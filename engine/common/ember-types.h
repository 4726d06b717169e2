/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tensor element types, with ggml's type ids (the ids GGUF files store), and
 * their block layout. Part of the public API (included by ember.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EMBER_TYPE_F32 = 0,
  EMBER_TYPE_F16 = 1,
  EMBER_TYPE_Q4_0 = 2,
  EMBER_TYPE_Q4_1 = 3,
  EMBER_TYPE_Q5_0 = 6,
  EMBER_TYPE_Q5_1 = 7,
  EMBER_TYPE_Q8_0 = 8,
  EMBER_TYPE_Q2_K = 10,
  EMBER_TYPE_Q3_K = 11,
  EMBER_TYPE_Q4_K = 12,
  EMBER_TYPE_Q5_K = 13,
  EMBER_TYPE_Q6_K = 14,
  EMBER_TYPE_BF16 = 30,
} ember_type;

typedef struct {
  ember_type type;
  const char *name;        /* "Q4_K", as ggml names it */
  uint32_t block_elements; /* elements per block: 1, 32 or 256 */
  uint32_t block_bytes;    /* bytes per block */
} ember_type_info;

/* The layout of @type_id, or NULL when Hearth does not know that type (the
 * id of a type ggml has but Hearth does not support, such as the IQ types,
 * is unknown too). */
const ember_type_info *ember_type_get_info (uint32_t type_id);

/* The name of ggml type id @type_id: Hearth's own types, ggml's other known
 * ids ("IQ2_XXS", "Q8_K" …), or NULL. For messages about unsupported files. */
const char *ember_type_id_to_name (uint32_t type_id);

/* Bytes taken by @n_elements of @type, or false when @n_elements is not a
 * whole number of blocks or the size overflows. */
bool ember_type_row_bytes (const ember_type_info *info,
                           uint64_t               n_elements,
                           uint64_t              *bytes);

#ifdef __cplusplus
}
#endif
