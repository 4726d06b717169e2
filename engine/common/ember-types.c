/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "ember-types.h"

/* Block sizes from ggml-common.h: a block is a scale (f16 or more) plus the
 * packed quants of block_elements values. */
static const ember_type_info type_table[] = {
  { EMBER_TYPE_F32, "F32", 1, 4 },
  { EMBER_TYPE_F16, "F16", 1, 2 },
  { EMBER_TYPE_Q4_0, "Q4_0", 32, 18 },
  { EMBER_TYPE_Q4_1, "Q4_1", 32, 20 },
  { EMBER_TYPE_Q5_0, "Q5_0", 32, 22 },
  { EMBER_TYPE_Q5_1, "Q5_1", 32, 24 },
  { EMBER_TYPE_Q8_0, "Q8_0", 32, 34 },
  { EMBER_TYPE_Q2_K, "Q2_K", 256, 84 },
  { EMBER_TYPE_Q3_K, "Q3_K", 256, 110 },
  { EMBER_TYPE_Q4_K, "Q4_K", 256, 144 },
  { EMBER_TYPE_Q5_K, "Q5_K", 256, 176 },
  { EMBER_TYPE_Q6_K, "Q6_K", 256, 210 },
  { EMBER_TYPE_BF16, "BF16", 1, 2 },
};

/* ggml's ids that Hearth does not support, by name, for clear messages. */
static const char *const other_names[] = {
  [4] = "Q4_2 (removed from ggml)", [5] = "Q4_3 (removed from ggml)",
  [9] = "Q8_1", [15] = "Q8_K", [16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS",
  [19] = "IQ1_S", [20] = "IQ4_NL", [21] = "IQ3_S", [22] = "IQ2_S", [23] = "IQ4_XS",
  [24] = "I8", [25] = "I16", [26] = "I32", [27] = "I64", [28] = "F64", [29] = "IQ1_M",
  [31] = "Q4_0_4_4", [32] = "Q4_0_4_8", [33] = "Q4_0_8_8", [34] = "TQ1_0", [35] = "TQ2_0",
  [36] = "IQ4_NL_4_4", [37] = "IQ4_NL_4_8", [38] = "IQ4_NL_8_8", [39] = "MXFP4",
};

const ember_type_info *
ember_type_get_info (uint32_t type_id)
{
  for (size_t i = 0; i < sizeof type_table / sizeof type_table[0]; i++)
    if ((uint32_t) type_table[i].type == type_id)
      return &type_table[i];
  return NULL;
}

const char *
ember_type_id_to_name (uint32_t type_id)
{
  const ember_type_info *info = ember_type_get_info (type_id);

  if (info != NULL)
    return info->name;
  if (type_id < sizeof other_names / sizeof other_names[0])
    return other_names[type_id];
  return NULL;
}

bool
ember_type_row_bytes (const ember_type_info *info,
                      uint64_t               n_elements,
                      uint64_t              *bytes)
{
  uint64_t blocks;

  if (info == NULL || n_elements % info->block_elements != 0)
    return false;
  blocks = n_elements / info->block_elements;
  if (blocks > UINT64_MAX / info->block_bytes)
    return false;
  *bytes = blocks * info->block_bytes;
  return true;
}
