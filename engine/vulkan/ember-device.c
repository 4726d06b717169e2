/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Choosing a device: pure functions over ember_device_info, no Vulkan calls,
 * so that the policy is testable on any machine.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ember-private.h"
#include "ember-vulkan.h"

const char *
ember_device_type_to_string (ember_device_type type)
{
  switch (type)
    {
    case EMBER_DEVICE_TYPE_DISCRETE:
      return "discrete GPU";
    case EMBER_DEVICE_TYPE_INTEGRATED:
      return "integrated GPU";
    case EMBER_DEVICE_TYPE_VIRTUAL:
      return "virtual GPU";
    case EMBER_DEVICE_TYPE_CPU:
      return "CPU";
    case EMBER_DEVICE_TYPE_OTHER:
    default:
      return "other";
    }
}

/* Higher is better. */
static int
rank_device_type (ember_device_type type)
{
  switch (type)
    {
    case EMBER_DEVICE_TYPE_DISCRETE:
      return 4;
    case EMBER_DEVICE_TYPE_INTEGRATED:
      return 3;
    case EMBER_DEVICE_TYPE_VIRTUAL:
      return 2;
    case EMBER_DEVICE_TYPE_CPU:
      return 1;
    case EMBER_DEVICE_TYPE_OTHER:
    default:
      return 0;
    }
}

static bool
is_better_device (const ember_device_info *a,
                  const ember_device_info *b)
{
  int ra = rank_device_type (a->type);
  int rb = rank_device_type (b->type);

  if (ra != rb)
    return ra > rb;
  if (a->device_local_bytes != b->device_local_bytes)
    return a->device_local_bytes > b->device_local_bytes;
  return a->index < b->index;
}

static ember_status
parse_override (const char  *text,
                uint32_t     n_devices,
                uint32_t    *index,
                ember_error *error)
{
  char *end = NULL;
  unsigned long value;

  errno = 0;
  value = strtoul (text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || errno != 0 || end == text || *end != '\0')
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "HEARTH_VULKAN_DEVICE=\"%s\" is not a device index; "
                            "use a number from 0 to %u, or unset it to choose automatically",
                            text, n_devices > 0 ? n_devices - 1 : 0);
  if (value >= n_devices)
    return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                            "HEARTH_VULKAN_DEVICE=%s, but there %s only %u Vulkan device%s "
                            "(indices 0 to %u)",
                            text, n_devices == 1 ? "is" : "are", n_devices,
                            n_devices == 1 ? "" : "s", n_devices - 1);

  *index = (uint32_t) value;
  return EMBER_OK;
}

ember_status
ember_device_choose (const ember_device_info *devices,
                     uint32_t                 n_devices,
                     const char              *override,
                     uint32_t                *chosen,
                     ember_error             *error)
{
  const ember_device_info *best = NULL;
  uint32_t best_pos = 0;

  if (chosen == NULL || (devices == NULL && n_devices > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "ember_device_choose: missing argument");

  if (n_devices == 0)
    return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                            "no Vulkan device found; install a Vulkan driver "
                            "(for example mesa-vulkan-drivers)");

  if (override != NULL && override[0] != '\0')
    {
      uint32_t index = 0;
      ember_status status = parse_override (override, n_devices, &index, error);

      if (status != EMBER_OK)
        return status;

      for (uint32_t i = 0; i < n_devices; i++)
        {
          if (devices[i].index != index)
            continue;
          if (!devices[i].usable)
            return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                                    "HEARTH_VULKAN_DEVICE=%s names \"%s\", which cannot be used: %s",
                                    override, devices[i].name, devices[i].unusable_reason);
          *chosen = i;
          return EMBER_OK;
        }
      return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                              "HEARTH_VULKAN_DEVICE=%s: no device has that index", override);
    }

  for (uint32_t i = 0; i < n_devices; i++)
    {
      if (!devices[i].usable)
        continue;
      if (best == NULL || is_better_device (&devices[i], best))
        {
          best = &devices[i];
          best_pos = i;
        }
    }

  if (best == NULL)
    return ember_error_set (error, EMBER_ERROR_NO_DEVICE,
                            "none of the %u Vulkan device%s can be used (\"%s\": %s)",
                            n_devices, n_devices == 1 ? "" : "s",
                            devices[0].name, devices[0].unusable_reason);

  *chosen = best_pos;
  return EMBER_OK;
}
