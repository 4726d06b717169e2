/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth devices`: the Vulkan devices ember sees, the one it would pick,
 * and what each --backend choice uses on this machine.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "ember.h"
#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"

int
hearth_cli_devices (const HearthCliCommand *command,
                    int                     argc,
                    char                  **argv,
                    FILE                   *out,
                    FILE                   *err)
{
  ember_device_info *devices = NULL;
  uint32_t n_devices = 0;
  uint32_t chosen = 0;
  ember_error error = { 0 };
  ember_status choice;

  if (argc > 1 && hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "devices", argv[1]);
  if (argc > 1)
    {
      fprintf (err, _("hearth devices: this command takes no arguments\n"));
      return 2;
    }

  if (ember_vulkan_list_devices (&devices, &n_devices, &error) != EMBER_OK)
    {
      fprintf (err, "hearth devices: %s\n", error.message);
      return 1;
    }
  if (n_devices == 0)
    {
      fprintf (err, _("hearth devices: no Vulkan device found; install a Vulkan driver "
                      "(for example mesa-vulkan-drivers). Hearth will use the CPU.\n"));
      return 1;
    }

  choice = ember_device_choose (devices, n_devices, g_getenv ("HEARTH_VULKAN_DEVICE"),
                                &chosen, &error);
  for (uint32_t i = 0; i < n_devices; i++)
    {
      const ember_device_info *d = &devices[i];
      g_autofree char *memory = g_format_size (d->device_local_bytes);

      fprintf (out, "%s %u  %s\n", choice == EMBER_OK && i == chosen ? "*" : " ", d->index, d->name);
      /* Translators: a device's kind ("discrete GPU"), its driver, its Vulkan version, its memory */
      fprintf (out, _("     %s, %s, Vulkan %u.%u, %s of device memory\n"),
               ember_device_type_to_string (d->type), d->driver, d->api_major, d->api_minor, memory);
      if (!d->usable)
        fprintf (out, _("     cannot be used: %s\n"), d->unusable_reason);
    }
  if (choice != EMBER_OK)
    {
      fprintf (err, "hearth devices: %s\n", error.message);
      free (devices);
      return 1;
    }
  fprintf (out, _("\n* the Vulkan device Hearth picks (HEARTH_VULKAN_DEVICE=<index> picks another)\n\n"));

  /* what run, bench and the window do with it: the engine's own rule */
  {
    const ember_device_info *d = &devices[chosen];
    static const struct {
      ember_backend backend;
      const char *option;
    } backends[] = {
      { EMBER_BACKEND_AUTO, "--backend auto" },
      { EMBER_BACKEND_VULKAN, "--backend vulkan" },
      { EMBER_BACKEND_CPU, "--backend cpu" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (backends); i++)
      {
        fprintf (out, "%s%s: ", backends[i].option,
                 backends[i].backend == EMBER_BACKEND_AUTO ? _(" (the default)") : "");
        if (ember_backend_uses_device (backends[i].backend, d))
          /* Translators: a device's index and name */
          fprintf (out, _("device %u, %s\n"), d->index, d->name);
        else if (backends[i].backend == EMBER_BACKEND_AUTO)
          /* Translators: the device's index, then its name */
          fprintf (out, _("the CPU, not device %u: %s is a CPU-type Vulkan device (it runs on "
                          "the processor), where Hearth’s own CPU path is faster\n"),
                   d->index, d->name);
        else
          fprintf (out, _("the CPU\n"));
      }
  }
  free (devices);
  return 0;
}
