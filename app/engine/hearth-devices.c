/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-devices"

#include "config.h"

#include <stdlib.h>

#include "ember.h"
#include "hearth-devices.h"

/* A HearthDevice with the engine's description it was made from, for
 * choosing and for the backend rule. */
typedef struct
{
  HearthDevice device;
  ember_device_info info;
} Device;

G_DEFINE_QUARK (hearth-devices-error-quark, hearth_devices_error)

static void
device_free (gpointer data)
{
  Device *d = data;

  g_free (d->device.name);
  g_free (d->device.driver);
  g_free (d->device.unusable_reason);
  g_free (d);
}

static Device *
device_new (const ember_device_info *info)
{
  Device *d = g_new0 (Device, 1);

  d->info = *info;
  d->device.index = info->index;
  d->device.name = g_strndup (info->name, sizeof info->name);
  d->device.driver = g_strndup (info->driver, sizeof info->driver);
  d->device.type_name = ember_device_type_to_string (info->type);
  d->device.vendor_id = info->vendor_id;
  d->device.device_id = info->device_id;
  d->device.api_major = info->api_major;
  d->device.api_minor = info->api_minor;
  d->device.memory = info->device_local_bytes;
  d->device.usable = info->usable;
  if (!info->usable)
    d->device.unusable_reason = g_strndup (info->unusable_reason, sizeof info->unusable_reason);
  return d;
}

static ember_backend
engine_backend (HearthBackend backend)
{
  switch (backend)
    {
    case HEARTH_BACKEND_CPU:
      return EMBER_BACKEND_CPU;
    case HEARTH_BACKEND_VULKAN:
      return EMBER_BACKEND_VULKAN;
    case HEARTH_BACKEND_AUTO:
    default:
      return EMBER_BACKEND_AUTO;
    }
}

GPtrArray *
hearth_devices_list (GError **error)
{
  ember_device_info *infos = NULL;
  uint32_t n = 0;
  ember_error e = { 0 };
  GPtrArray *devices;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ember_vulkan_list_devices (&infos, &n, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_DEVICES_ERROR, HEARTH_DEVICES_ERROR_VULKAN, e.message);
      return NULL;
    }
  devices = g_ptr_array_new_full (n, device_free);
  for (uint32_t i = 0; i < n; i++)
    g_ptr_array_add (devices, device_new (&infos[i]));
  free (infos);
  return devices;
}

gboolean
hearth_devices_choose (GPtrArray   *devices,
                       const char  *override,
                       guint       *chosen,
                       GError     **error)
{
  g_autofree ember_device_info *infos = NULL;
  ember_error e = { 0 };
  ember_status status;
  uint32_t position = 0;

  g_return_val_if_fail (devices != NULL, FALSE);
  g_return_val_if_fail (chosen != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  infos = g_new0 (ember_device_info, MAX (devices->len, 1));
  for (guint i = 0; i < devices->len; i++)
    infos[i] = ((Device *) devices->pdata[i])->info;
  status = ember_device_choose (infos, devices->len, override, &position, &e);
  if (status != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_DEVICES_ERROR,
                           status == EMBER_ERROR_NO_DEVICE ? HEARTH_DEVICES_ERROR_NO_DEVICE
                                                           : HEARTH_DEVICES_ERROR_INVALID,
                           e.message);
      return FALSE;
    }
  *chosen = position;
  return TRUE;
}

gboolean
hearth_device_runs_backend (const HearthDevice *device,
                            HearthBackend       backend)
{
  g_return_val_if_fail (device != NULL, FALSE);

  /* (every HearthDevice is the first member of a Device) */
  return ember_backend_uses_device (engine_backend (backend), &((const Device *) device)->info);
}

guint64
hearth_devices_get_default_memory (void)
{
  g_autoptr (GPtrArray) devices = hearth_devices_list (NULL);
  guint chosen = 0;

  if (devices == NULL || devices->len == 0
      || !hearth_devices_choose (devices, g_getenv ("HEARTH_VULKAN_DEVICE"), &chosen, NULL))
    return 0;
  if (!hearth_device_runs_backend (devices->pdata[chosen], HEARTH_BACKEND_AUTO))
    return 0;
  return ((HearthDevice *) devices->pdata[chosen])->memory;
}
