/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vulkan tests: run real shaders on whatever device exists (lavapipe here)
 * and check the numbers. With no device at all they skip, visibly, unless
 * HEARTH_REQUIRE_VULKAN is set (CI), where they fail.
 */

#include "config.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "ember-vk.h"
#include "vulkan-test.h"

static void
collect_log_cb (ember_log_level level,
                const char     *message,
                void           *user_data)
{
  GPtrArray *messages = user_data;

  g_ptr_array_add (messages, g_strdup (message));
}

static void
test_list_devices (void)
{
  ember_device_info *devices = NULL;
  uint32_t n = 0;
  ember_error error = { 0 };

  if (!vulkan_test_require_device ())
    return;

  g_assert_cmpint (ember_vulkan_list_devices (&devices, &n, &error), ==, EMBER_OK);
  g_assert_cmpuint (n, >, 0);
  for (uint32_t i = 0; i < n; i++)
    {
      g_assert_cmpuint (devices[i].index, ==, i);
      g_assert_cmpstr (devices[i].name, !=, "");
      g_assert_cmpstr (devices[i].driver, !=, "");
      if (strstr (devices[i].name, "llvmpipe") != NULL)
        {
          /* lavapipe: a CPU device with Vulkan 1.3 */
          g_assert_cmpint (devices[i].type, ==, EMBER_DEVICE_TYPE_CPU);
          g_assert_true (devices[i].usable);
          g_assert_cmpuint (devices[i].api_major * 10 + devices[i].api_minor, >=, 12);
        }
    }
  free (devices);

  g_assert_cmpint (ember_vulkan_list_devices (NULL, &n, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
}

static void
check_vector_add (ember_vulkan *vk,
                  uint32_t      n,
                  GRand        *rand)
{
  g_autofree float *a = g_new (float, MAX (n, 1));
  g_autofree float *b = g_new (float, MAX (n, 1));
  g_autofree float *result = g_new (float, MAX (n, 1));
  ember_error error = { 0 };
  uint32_t wrong = 0;

  for (uint32_t i = 0; i < n; i++)
    {
      a[i] = (float) g_rand_double_range (rand, -1000.0, 1000.0);
      b[i] = (float) g_rand_double_range (rand, -1000.0, 1000.0);
      result[i] = -12345.0f;
    }

  assert_ok (ember_vulkan_vector_add (vk, a, b, result, n, &error), error);

  /* IEEE addition is correctly rounded on every Vulkan device: exact match. */
  for (uint32_t i = 0; i < n; i++)
    if (result[i] != a[i] + b[i])
      {
        if (wrong++ < 5)
          g_test_message ("n=%u: result[%u] = %g, expected %g", n, i, result[i], a[i] + b[i]);
      }
  g_assert_cmpuint (wrong, ==, 0);
}

static void
test_vector_add (void)
{
  /* Sizes around the 64-wide workgroup, and one large enough for many groups. */
  static const uint32_t sizes[] = { 1, 2, 63, 64, 65, 127, 1000, 4099, 1u << 20 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261124);
  ember_device_info *devices = NULL;
  uint32_t n_devices = 0;
  ember_error error = { 0 };
  guint ran = 0;

  if (!vulkan_test_require_device ())
    return;

  assert_ok (ember_vulkan_list_devices (&devices, &n_devices, &error), error);

  /* Every usable device, not only the one chosen automatically: on a machine
   * with a GPU, lavapipe is checked too. */
  for (uint32_t d = 0; d < n_devices; d++)
    {
      g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
      ember_vulkan_options options;
      ember_vulkan *vk = NULL;
      gboolean logged_device = FALSE;

      if (!devices[d].usable)
        {
          g_test_message ("device %u (%s) skipped: %s", d, devices[d].name,
                          devices[d].unusable_reason);
          continue;
        }

      ember_vulkan_options_init (&options);
      options.device_index = (int32_t) d;
      options.log_func = collect_log_cb;
      options.log_user_data = messages;
      assert_ok (ember_vulkan_new (&options, &vk, &error), error);
      g_assert_cmpuint (ember_vulkan_get_device (vk)->index, ==, d);
      g_test_message ("running on device %u: %s (%s)", d, devices[d].name,
                      ember_device_type_to_string (devices[d].type));
      for (guint i = 0; i < messages->len; i++)
        if (strstr (g_ptr_array_index (messages, i), devices[d].name) != NULL)
          logged_device = TRUE;
      g_assert_true (logged_device);

      for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
        check_vector_add (vk, sizes[i], rand);

      /* n = 0 is a no-op, not an error. */
      g_assert_cmpint (ember_vulkan_vector_add (vk, NULL, NULL, NULL, 0, &error), ==, EMBER_OK);
      ember_vulkan_free (vk);
      ran++;
    }
  free (devices);
  g_assert_cmpuint (ran, >, 0);
}

static void
test_vector_add_rejects (void)
{
  ember_vulkan_options options;
  ember_vulkan *vk = NULL;
  ember_error error = { 0 };
  float x = 1.0f;

  if (!vulkan_test_require_device ())
    return;

  vulkan_test_options_init (&options);
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);

  g_assert_cmpint (ember_vulkan_vector_add (vk, NULL, &x, &x, 1, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (ember_vulkan_vector_add (NULL, &x, &x, &x, 1, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);

  /* More than one storage buffer can hold: refused before anything is read
   * (the pointers point at one float only). */
  g_assert_cmpint (ember_vulkan_vector_add (vk, &x, &x, &x, UINT32_MAX, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "too many for one dispatch"));

  ember_vulkan_free (vk);
}

static void
test_device_override (void)
{
  ember_vulkan_options options;
  ember_vulkan *vk = NULL;
  ember_error error = { 0 };
  g_autofree char *saved = g_strdup (g_getenv ("HEARTH_VULKAN_DEVICE"));

  if (!vulkan_test_require_device ())
    return;

  /* An explicit index. */
  ember_vulkan_options_init (&options);
  options.device_index = 0;
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  g_assert_cmpuint (ember_vulkan_get_device (vk)->index, ==, 0);
  ember_vulkan_free (vk);
  vk = NULL;

  options.device_index = 999;
  g_assert_cmpint (ember_vulkan_new (&options, &vk, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_null (vk);
  g_assert_nonnull (strstr (error.message, "HEARTH_VULKAN_DEVICE=999"));

  /* The environment variable, when the options say automatic: read by
   * the caller (the app, here the tests) into device_override. */
  g_setenv ("HEARTH_VULKAN_DEVICE", "0", TRUE);
  vulkan_test_options_init (&options);
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  g_assert_cmpuint (ember_vulkan_get_device (vk)->index, ==, 0);
  ember_vulkan_free (vk);
  vk = NULL;

  g_setenv ("HEARTH_VULKAN_DEVICE", "first", TRUE);
  vulkan_test_options_init (&options);
  g_assert_cmpint (ember_vulkan_new (&options, &vk, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_null (vk);
  g_assert_nonnull (strstr (error.message, "HEARTH_VULKAN_DEVICE=\"first\" is not a device index"));

  if (saved != NULL)
    g_setenv ("HEARTH_VULKAN_DEVICE", saved, TRUE);
  else
    g_unsetenv ("HEARTH_VULKAN_DEVICE");
}

/* The options choose, never the environment: the engine reads none. */
static void
test_options_not_environment (void)
{
  ember_vulkan_options options;
  ember_vulkan *vk = NULL;
  ember_error error = { 0 };
  g_autofree char *saved = g_strdup (g_getenv ("HEARTH_VULKAN_DEVICE"));
  g_autofree char *saved_matvec = g_strdup (g_getenv ("HEARTH_VK_MATVEC"));
  uint32_t n_devices = 0;
  ember_device_info *devices = NULL;

  if (!vulkan_test_require_device ())
    return;
  assert_ok (ember_vulkan_list_devices (&devices, &n_devices, &error), error);
  free (devices);

  /* A setting the engine would refuse, and a kernel it would force: both
   * ignored, since only the options count. */
  g_setenv ("HEARTH_VULKAN_DEVICE", "first", TRUE);
  g_setenv ("HEARTH_VK_MATVEC", "rows", TRUE);
  assert_ok (ember_vulkan_new (NULL, &vk, &error), error);
  g_assert_cmpint (ember_vk_uses_rows_matvec (vk), ==,
                   ember_vulkan_get_device (vk)->type == EMBER_DEVICE_TYPE_CPU);
  ember_vulkan_free (vk);
  vk = NULL;

  /* The device override as an option picks the device... */
  ember_vulkan_options_init (&options);
  options.device_override = "0";
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  g_assert_cmpuint (ember_vulkan_get_device (vk)->index, ==, 0);
  ember_vulkan_free (vk);
  vk = NULL;

  /* ... and one no device has is a clear error that names the index. */
  options.device_override = NULL;
  options.device_index = (int32_t) n_devices;
  g_assert_cmpint (ember_vulkan_new (&options, &vk, &error), ==, EMBER_ERROR_NO_DEVICE);
  g_assert_null (vk);
  {
    g_autofree char *want = g_strdup_printf ("=%u, but there", n_devices);

    g_assert_nonnull (strstr (error.message, want));
  }

  /* The path switches as options. */
  ember_vulkan_options_init (&options);
  options.paths.matvec_kernel = EMBER_VK_MATVEC_ROWS;
  options.paths.no_subgroup_ops = true;
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  g_assert_true (ember_vk_uses_rows_matvec (vk));
  g_assert_false (ember_vk_uses_subgroup_ops (vk));
  ember_vulkan_free (vk);
  vk = NULL;

  options.paths.matvec_kernel = EMBER_VK_MATVEC_COOPERATIVE;
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  g_assert_false (ember_vk_uses_rows_matvec (vk));
  ember_vulkan_free (vk);

  if (saved != NULL)
    g_setenv ("HEARTH_VULKAN_DEVICE", saved, TRUE);
  else
    g_unsetenv ("HEARTH_VULKAN_DEVICE");
  if (saved_matvec != NULL)
    g_setenv ("HEARTH_VK_MATVEC", saved_matvec, TRUE);
  else
    g_unsetenv ("HEARTH_VK_MATVEC");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vulkan/list-devices", test_list_devices);
  g_test_add_func ("/vulkan/vector-add", test_vector_add);
  g_test_add_func ("/vulkan/vector-add-rejects", test_vector_add_rejects);
  g_test_add_func ("/vulkan/device-override", test_device_override);
  g_test_add_func ("/vulkan/options-not-environment", test_options_not_environment);

  return g_test_run ();
}
