/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Engine tests that need no device: status strings, the device-choice policy,
 * the embedded SPIR-V.
 */

#include "config.h"

#include <glib.h>
#include <string.h>

#include "ember.h"
#include "ember-shaders.h"

static ember_device_info
make_device (uint32_t          index,
             ember_device_type type,
             uint64_t          memory,
             bool              usable)
{
  ember_device_info info;

  memset (&info, 0, sizeof info);
  info.index = index;
  info.type = type;
  info.device_local_bytes = memory;
  info.usable = usable;
  g_snprintf (info.name, sizeof info.name, "device %u (%s)", index,
              ember_device_type_to_string (type));
  if (!usable)
    g_snprintf (info.unusable_reason, sizeof info.unusable_reason, "it supports Vulkan 1.1");
  return info;
}

static void
test_status_strings (void)
{
  g_assert_cmpstr (ember_status_to_string (EMBER_OK), ==, "ok");
  g_assert_cmpstr (ember_status_to_string (EMBER_ERROR_NO_DEVICE), ==, "no device");
  g_assert_cmpstr (ember_status_to_string (EMBER_ERROR_OUT_OF_MEMORY), ==, "out of memory");
  g_assert_cmpstr (ember_status_to_string ((ember_status) 999), ==, "unknown status");
  g_assert_cmpstr (ember_version (), ==, PACKAGE_VERSION);
}

static void
test_choose_prefers_type (void)
{
  ember_device_info devices[] = {
    make_device (0, EMBER_DEVICE_TYPE_CPU, 2ull << 30, true),
    make_device (1, EMBER_DEVICE_TYPE_INTEGRATED, 8ull << 30, true),
    make_device (2, EMBER_DEVICE_TYPE_DISCRETE, 4ull << 30, true),
    make_device (3, EMBER_DEVICE_TYPE_VIRTUAL, 16ull << 30, true),
  };
  ember_error error = { 0 };
  uint32_t chosen = 99;

  g_assert_cmpint (ember_device_choose (devices, 4, NULL, &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 2);

  /* Without the discrete GPU: integrated beats virtual even with less memory. */
  {
    ember_device_info two[] = { devices[3], devices[1] };

    g_assert_cmpint (ember_device_choose (two, 2, "", &chosen, &error), ==, EMBER_OK);
    g_assert_cmpuint (chosen, ==, 1);
  }

  devices[1].type = EMBER_DEVICE_TYPE_OTHER;
  devices[2].type = EMBER_DEVICE_TYPE_OTHER;
  g_assert_cmpint (ember_device_choose (devices, 4, NULL, &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 3); /* virtual > CPU > other */

  devices[3].type = EMBER_DEVICE_TYPE_OTHER;
  g_assert_cmpint (ember_device_choose (devices, 4, NULL, &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 0); /* CPU > other */
}

static void
test_choose_ties (void)
{
  ember_device_info devices[] = {
    make_device (0, EMBER_DEVICE_TYPE_DISCRETE, 4ull << 30, true),
    make_device (1, EMBER_DEVICE_TYPE_DISCRETE, 12ull << 30, true),
    make_device (2, EMBER_DEVICE_TYPE_DISCRETE, 12ull << 30, true),
  };
  uint32_t chosen = 99;

  /* More memory wins; equal memory keeps enumeration order. */
  g_assert_cmpint (ember_device_choose (devices, 3, NULL, &chosen, NULL), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 1);
}

static void
test_choose_skips_unusable (void)
{
  ember_device_info devices[] = {
    make_device (0, EMBER_DEVICE_TYPE_DISCRETE, 8ull << 30, false),
    make_device (1, EMBER_DEVICE_TYPE_CPU, 1ull << 30, true),
  };
  ember_error error = { 0 };
  uint32_t chosen = 99;

  g_assert_cmpint (ember_device_choose (devices, 2, NULL, &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 1);

  devices[1].usable = false;
  g_strlcpy (devices[1].unusable_reason, "it has no compute queue", sizeof devices[1].unusable_reason);
  chosen = 99;
  g_assert_cmpint (ember_device_choose (devices, 2, NULL, &chosen, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_cmpuint (chosen, ==, 99);
  g_assert_cmpint (error.status, ==, EMBER_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error.message, "none of the 2 Vulkan devices can be used"));
  g_assert_nonnull (strstr (error.message, "Vulkan 1.1"));
}

static void
test_choose_no_devices (void)
{
  ember_error error = { 0 };
  uint32_t chosen = 99;

  g_assert_cmpint (ember_device_choose (NULL, 0, NULL, &chosen, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error.message, "no Vulkan device found"));
  g_assert_nonnull (strstr (error.message, "mesa-vulkan-drivers"));

  g_assert_cmpint (ember_device_choose (NULL, 3, NULL, &chosen, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
}

static void
test_choose_override (void)
{
  ember_device_info devices[] = {
    make_device (0, EMBER_DEVICE_TYPE_CPU, 1ull << 30, true),
    make_device (1, EMBER_DEVICE_TYPE_DISCRETE, 8ull << 30, true),
    make_device (2, EMBER_DEVICE_TYPE_INTEGRATED, 8ull << 30, false),
  };
  const char *bad_texts[] = { "abc", "-1", "1x", " 1", "+1", "0x1", "99999999999999999999" };
  ember_error error = { 0 };
  uint32_t chosen = 99;

  /* The override wins over the automatic choice. */
  g_assert_cmpint (ember_device_choose (devices, 3, "0", &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 0);
  g_assert_cmpint (ember_device_choose (devices, 3, "1", &chosen, &error), ==, EMBER_OK);
  g_assert_cmpuint (chosen, ==, 1);

  g_assert_cmpint (ember_device_choose (devices, 3, "7", &chosen, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_cmpstr (error.message, ==,
                   "HEARTH_VULKAN_DEVICE=7, but there are only 3 Vulkan devices (indices 0 to 2)");

  g_assert_cmpint (ember_device_choose (devices, 1, "1", &chosen, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error.message, "there is only 1 Vulkan device "));

  g_assert_cmpint (ember_device_choose (devices, 3, "2", &chosen, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error.message, "cannot be used: it supports Vulkan 1.1"));

  for (gsize i = 0; i < G_N_ELEMENTS (bad_texts); i++)
    {
      chosen = 99;
      g_assert_cmpint (ember_device_choose (devices, 3, bad_texts[i], &chosen, &error), !=, EMBER_OK);
      g_assert_cmpuint (chosen, ==, 99);
      g_assert_nonnull (strstr (error.message, "HEARTH_VULKAN_DEVICE"));
    }
}

static void
test_spirv_embedded (void)
{
  const ember_spirv *spirv = ember_spirv_lookup ("vector_add_f32");

  g_assert_nonnull (spirv);
  g_assert_cmpuint (spirv->size, >, 20);
  g_assert_cmpuint (spirv->size % 4, ==, 0);
  g_assert_cmphex (spirv->code[0], ==, 0x07230203); /* SPIR-V magic */
  /* --target-env vulkan1.2 emits SPIR-V 1.5 */
  g_assert_cmphex (spirv->code[1], ==, 0x00010500);

  g_assert_null (ember_spirv_lookup ("no_such_shader"));
}

/* What each backend runs on, given the device the choice picks: --backend
 * auto leaves a CPU-type device (lavapipe) to the CPU path. */
static void
test_backend_uses_device (void)
{
  ember_device_info cpu = make_device (0, EMBER_DEVICE_TYPE_CPU, 2ull << 30, true);
  ember_device_info gpu = make_device (1, EMBER_DEVICE_TYPE_DISCRETE, 8ull << 30, true);
  ember_device_info igpu = make_device (2, EMBER_DEVICE_TYPE_INTEGRATED, 1ull << 30, true);

  g_assert_false (ember_backend_uses_device (EMBER_BACKEND_AUTO, &cpu));
  g_assert_true (ember_backend_uses_device (EMBER_BACKEND_AUTO, &gpu));
  g_assert_true (ember_backend_uses_device (EMBER_BACKEND_AUTO, &igpu));
  g_assert_true (ember_backend_uses_device (EMBER_BACKEND_VULKAN, &cpu));
  g_assert_true (ember_backend_uses_device (EMBER_BACKEND_VULKAN, &gpu));
  g_assert_false (ember_backend_uses_device (EMBER_BACKEND_CPU, &gpu));
  g_assert_false (ember_backend_uses_device (EMBER_BACKEND_AUTO, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/device/backend-uses-device", test_backend_uses_device);
  g_test_add_func ("/engine/status-strings", test_status_strings);
  g_test_add_func ("/engine/device/choose-prefers-type", test_choose_prefers_type);
  g_test_add_func ("/engine/device/choose-ties", test_choose_ties);
  g_test_add_func ("/engine/device/choose-skips-unusable", test_choose_skips_unusable);
  g_test_add_func ("/engine/device/choose-no-devices", test_choose_no_devices);
  g_test_add_func ("/engine/device/choose-override", test_choose_override);
  g_test_add_func ("/engine/spirv-embedded", test_spirv_embedded);

  return g_test_run ();
}
