/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-engine"

#include "config.h"

#include "hearth-engine-options.h"

/* A switch: set to anything but "" or "0". */
static gboolean
env_flag (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' && g_strcmp0 (value, "0") != 0;
}

void
hearth_engine_options_from_environment (ember_context_options *options)
{
  ember_vulkan_paths *paths;
  const char *device, *kernel, *argmax, *cpu;

  g_return_if_fail (options != NULL);

  paths = &options->vulkan_paths;
  device = g_getenv ("HEARTH_VULKAN_DEVICE");
  if (device != NULL && *device != '\0')
    options->device_override = device;

  if (env_flag ("HEARTH_VK_NO_SUBGROUP_OPS"))
    paths->no_subgroup_ops = true;
  if (env_flag ("HEARTH_VK_NO_FUSED_MATVEC"))
    paths->no_fused_matvec = true;
  if (env_flag ("HEARTH_VK_NO_PROMPT_BATCH"))
    paths->no_prompt_batch = true;

  kernel = g_getenv ("HEARTH_VK_MATVEC");
  if (g_strcmp0 (kernel, "rows") == 0)
    paths->matvec_kernel = EMBER_VK_MATVEC_ROWS;
  else if (g_strcmp0 (kernel, "cooperative") == 0)
    paths->matvec_kernel = EMBER_VK_MATVEC_COOPERATIVE;
  else if (kernel != NULL && *kernel != '\0')
    g_warning ("HEARTH_VK_MATVEC=%s is neither \"rows\" nor \"cooperative\"; ignored", kernel);

  cpu = g_getenv ("HEARTH_CPU");
  if (cpu != NULL && *cpu != '\0'
      && !ember_cpu_kernels_from_string (cpu, &options->cpu_kernels))
    g_warning ("HEARTH_CPU=%s is none of \"auto\", \"reference\", \"portable\", \"avx2\", "
               "\"avx-vnni\"; ignored", cpu);

  argmax = g_getenv ("HEARTH_VK_ARGMAX");
  if (g_strcmp0 (argmax, "device") == 0)
    paths->argmax = EMBER_VK_ARGMAX_DEVICE;
  else if (g_strcmp0 (argmax, "host") == 0)
    paths->argmax = EMBER_VK_ARGMAX_HOST;
  else if (argmax != NULL && *argmax != '\0')
    g_warning ("HEARTH_VK_ARGMAX=%s is neither \"device\" nor \"host\"; ignored", argmax);
}
