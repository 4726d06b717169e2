/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's settings that users give through the environment (see
 * HACKING.md). The engine reads no environment variable: the app reads them
 * here, in one place, and passes them on as options.
 */
#pragma once

#include <glib.h>

#include "ember.h"

G_BEGIN_DECLS

/* Fills the fields of @options that the environment sets, leaving the
 * others as they are; call it right after ember_context_options_init ():
 *   HEARTH_VULKAN_DEVICE=<index>          device_override
 *   HEARTH_VK_NO_SUBGROUP_OPS             vulkan_paths.no_subgroup_ops
 *   HEARTH_VK_NO_FUSED_MATVEC             vulkan_paths.no_fused_matvec
 *   HEARTH_VK_NO_PROMPT_BATCH             vulkan_paths.no_prompt_batch
 *   HEARTH_VK_MATVEC=rows|cooperative     vulkan_paths.matvec_kernel
 *   HEARTH_VK_ARGMAX=device|host          vulkan_paths.argmax
 *   HEARTH_CPU=reference|portable|avx2|avx-vnni|auto   cpu_kernels
 * A switch is on for any value but "" and "0"; a value of HEARTH_VK_MATVEC,
 * HEARTH_VK_ARGMAX or HEARTH_CPU it does not know is ignored with a
 * warning. A set of CPU kernels the processor lacks falls back to the best
 * it has below it. The
 * strings filled in are the environment's: they stay valid as long as it is
 * not changed. */
void hearth_engine_options_from_environment (ember_context_options *options);

G_END_DECLS
