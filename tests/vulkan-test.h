/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the Vulkan test programs share: whether a device exists, the visible
 * skip (or, with HEARTH_REQUIRE_VULKAN, the failure) when none does, the
 * options the environment asks for, and an assertion that prints the
 * engine's message.
 */
#pragma once

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"

/* Lists the devices once (as test messages) and says whether there is any. */
static inline gboolean
vulkan_test_have_device (void)
{
  static int cached = -1;

  if (cached < 0)
    {
      ember_device_info *devices = NULL;
      uint32_t n = 0;
      ember_error error = { 0 };

      if (ember_vulkan_list_devices (&devices, &n, &error) != EMBER_OK)
        g_test_message ("listing Vulkan devices failed: %s", error.message);
      for (uint32_t i = 0; i < n; i++)
        g_test_message ("Vulkan device %u: %s (%s, %s, Vulkan %u.%u, %s)", devices[i].index,
                        devices[i].name, ember_device_type_to_string (devices[i].type),
                        devices[i].driver, devices[i].api_major, devices[i].api_minor,
                        devices[i].usable ? "usable" : devices[i].unusable_reason);
      cached = n > 0;
      free (devices);
    }
  return cached;
}

/* Returns TRUE when the test may go on. */
static inline gboolean
vulkan_test_require_device (void)
{
  if (vulkan_test_have_device ())
    return TRUE;

  if (g_getenv ("HEARTH_REQUIRE_VULKAN") != NULL)
    g_test_fail_printf ("no Vulkan device, and HEARTH_REQUIRE_VULKAN is set: "
                        "install mesa-vulkan-drivers");
  else
    g_test_skip ("no Vulkan device on this machine (install mesa-vulkan-drivers for lavapipe)");
  return FALSE;
}

/* The engine reads no environment. As the app does
 * (app/engine/hearth-engine-options.c), the tests take the device
 * (HEARTH_VULKAN_DEVICE) and the switches of Vulkan's optional paths
 * (HEARTH_VK_*) from it, so that `HEARTH_VULKAN_DEVICE=<index> meson test`
 * keeps picking the device the tests run on. */
static inline gboolean
vulkan_test_env_flag (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' && strcmp (value, "0") != 0;
}

static inline void
vulkan_test_from_environment (const char        **device_override,
                              ember_vulkan_paths *paths)
{
  const char *kernel = g_getenv ("HEARTH_VK_MATVEC");
  const char *argmax = g_getenv ("HEARTH_VK_ARGMAX");

  *device_override = g_getenv ("HEARTH_VULKAN_DEVICE");
  paths->no_subgroup_ops = vulkan_test_env_flag ("HEARTH_VK_NO_SUBGROUP_OPS");
  paths->no_fused_matvec = vulkan_test_env_flag ("HEARTH_VK_NO_FUSED_MATVEC");
  paths->no_prompt_batch = vulkan_test_env_flag ("HEARTH_VK_NO_PROMPT_BATCH");
  if (g_strcmp0 (kernel, "rows") == 0)
    paths->matvec_kernel = EMBER_VK_MATVEC_ROWS;
  else if (g_strcmp0 (kernel, "cooperative") == 0)
    paths->matvec_kernel = EMBER_VK_MATVEC_COOPERATIVE;
  if (g_strcmp0 (argmax, "device") == 0)
    paths->argmax = EMBER_VK_ARGMAX_DEVICE;
  else if (g_strcmp0 (argmax, "host") == 0)
    paths->argmax = EMBER_VK_ARGMAX_HOST;
}

/* ember_vulkan_options_init (), then what the environment asks for. */
static inline void
vulkan_test_options_init (ember_vulkan_options *options)
{
  ember_vulkan_options_init (options);
  vulkan_test_from_environment (&options->device_override, &options->paths);
}

/* ember_context_options_init (), then what the environment asks for. A
 * context that runs on the CPU is the oracle: it multiplies with the
 * reference kernels, not the integer ones (which round the activations to
 * 8 bits). */
static inline void
vulkan_test_context_options_init (ember_context_options *options)
{
  ember_context_options_init (options);
  vulkan_test_from_environment (&options->device_override, &options->vulkan_paths);
  options->cpu_kernels = EMBER_CPU_KERNELS_REFERENCE;
}

/* Fails the test with the engine's message when @status is not EMBER_OK. */
#define assert_ok(status, error)                                                   \
  G_STMT_START {                                                                   \
    ember_status s_ = (status);                                                    \
    if (s_ != EMBER_OK)                                                            \
      g_error ("%s failed: %s (%s)", #status, (error).message,                     \
               ember_status_to_string (s_));                                       \
  } G_STMT_END
