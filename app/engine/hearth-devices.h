/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan devices the engine sees, the one it picks (automatically, or
 * the HEARTH_VULKAN_DEVICE setting's index), and whether a backend choice
 * runs on that device or on the CPU: the engine's own rules, for `hearth
 * devices` and the fit check.
 */
#pragma once

#include <glib-object.h>

#include "hearth-request.h"

G_BEGIN_DECLS

#define HEARTH_DEVICES_ERROR (hearth_devices_error_quark ())

typedef enum
{
  HEARTH_DEVICES_ERROR_VULKAN,    /* the devices cannot be listed */
  HEARTH_DEVICES_ERROR_NO_DEVICE, /* none to choose, or the one asked for is not there */
  HEARTH_DEVICES_ERROR_INVALID,   /* the override is not a device index */
} HearthDevicesError;

GQuark hearth_devices_error_quark (void);

/* What runs a model: as `--backend` names them. */

typedef struct
{
  guint index;                 /* in Vulkan's enumeration order */
  char *name;                  /* "llvmpipe (LLVM 15.0.6, 256 bits)" */
  char *driver;                /* "llvmpipe: Mesa 22.3.6" */
  const char *type_name;       /* "discrete GPU", "integrated GPU", "virtual GPU", "CPU",
                                  "other";
                                  static, untranslated */
  guint32 vendor_id;
  guint32 device_id;
  guint api_major;
  guint api_minor;
  guint64 memory;              /* bytes of device-local memory */
  gboolean usable;             /* Vulkan ≥ 1.2 and a compute queue */
  char *unusable_reason;       /* why not, or NULL */
} HearthDevice;

/* Every Vulkan device, CPU ones included, in a new array of HearthDevice
 * (empty where there is none; it frees its elements). NULL, with
 * HEARTH_DEVICES_ERROR_VULKAN, where Vulkan cannot list them. */
GPtrArray *hearth_devices_list (GError **error);

/* The device to use among @devices: the one whose index @override names
 * (the HEARTH_VULKAN_DEVICE setting; NULL or "" for automatic), else
 * discrete > integrated > virtual > CPU > other, then more memory, among the
 * usable ones. Its position in @devices goes to *chosen. */
gboolean hearth_devices_choose (GPtrArray   *devices,
                                const char  *override,
                                guint       *chosen,
                                GError     **error);

/* Whether a model asked to run with @backend runs on @device (the chosen
 * one) rather than on the CPU path. */
gboolean hearth_device_runs_backend (const HearthDevice *device,
                                     HearthBackend       backend);

/* The device-local memory of the device that models run on by default
 * (HEARTH_VULKAN_DEVICE honoured); 0 where they run on the CPU. */
guint64 hearth_devices_get_default_memory (void);

G_END_DECLS
