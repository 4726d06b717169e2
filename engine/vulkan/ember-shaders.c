/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "ember-shaders.h"

/* Every variant shaders/meson.build compiles, as spirv_table. */
#include "spirv-table.h"

const ember_spirv *
ember_spirv_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof spirv_table / sizeof spirv_table[0]; i++)
    if (strcmp (spirv_table[i].name, name) == 0)
      return &spirv_table[i];
  return NULL;
}
