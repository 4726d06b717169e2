/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SPIR-V of every shader variant, compiled from shaders/ at build time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *name;         /* the variant name from shaders/meson.build */
  const uint32_t *code;
  size_t size;              /* in bytes */
} ember_spirv;

/* The variant called @name, or NULL. */
const ember_spirv *ember_spirv_lookup (const char *name);
