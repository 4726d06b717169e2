/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth devices`: the Vulkan devices the engine sees, the one it would pick,
 * and what each --backend choice uses on this machine.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-devices.h"

int
hearth_cli_devices (HearthContext          *context,
                    const HearthCliCommand *command,
                    int                     argc,
                    char                  **argv,
                    FILE                   *out,
                    FILE                   *err)
{
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) choice_error = NULL;
  guint chosen = 0;
  gboolean chose;

  if (argc > 1 && hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "devices", argv[1]);
  if (argc > 1)
    {
      fprintf (err, _("hearth devices: this command takes no arguments\n"));
      return 2;
    }

  devices = hearth_devices_list (&error);
  if (devices == NULL)
    {
      fprintf (err, "hearth devices: %s\n", error->message);
      return 1;
    }
  if (devices->len == 0)
    {
      fprintf (err, _("hearth devices: no Vulkan device found; install a Vulkan driver "
                      "(for example mesa-vulkan-drivers). Hearth will use the CPU.\n"));
      return 1;
    }

  chose = hearth_devices_choose (devices, g_getenv ("HEARTH_VULKAN_DEVICE"), &chosen, &choice_error);
  for (guint i = 0; i < devices->len; i++)
    {
      const HearthDevice *d = devices->pdata[i];
      g_autofree char *memory = g_format_size (d->memory);

      fprintf (out, "%s %u  %s\n", chose && i == chosen ? "*" : " ", d->index, d->name);
      /* Translators: a device's kind ("discrete GPU"), its driver, its Vulkan version, its memory */
      fprintf (out, _("     %s, %s, Vulkan %u.%u, %s of device memory\n"),
               d->type_name, d->driver, d->api_major, d->api_minor, memory);
      if (!d->usable)
        fprintf (out, _("     cannot be used: %s\n"), d->unusable_reason);
    }
  if (!chose)
    {
      fprintf (err, "hearth devices: %s\n", choice_error->message);
      return 1;
    }
  fprintf (out, _("\n* the Vulkan device Hearth picks (HEARTH_VULKAN_DEVICE=<index> picks another)\n\n"));

  /* what run, bench and the window do with it: the engine's own rule */
  {
    const HearthDevice *d = devices->pdata[chosen];
    static const struct {
      HearthBackend backend;
      const char *option;
    } backends[] = {
      { HEARTH_BACKEND_AUTO, "--backend auto" },
      { HEARTH_BACKEND_VULKAN, "--backend vulkan" },
      { HEARTH_BACKEND_CPU, "--backend cpu" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (backends); i++)
      {
        fprintf (out, "%s%s: ", backends[i].option,
                 backends[i].backend == HEARTH_BACKEND_AUTO ? _(" (the default)") : "");
        if (hearth_device_runs_backend (d, backends[i].backend))
          /* Translators: a device's index and name */
          fprintf (out, _("device %u, %s\n"), d->index, d->name);
        else if (backends[i].backend == HEARTH_BACKEND_AUTO)
          /* Translators: the device's index, then its name */
          fprintf (out, _("the CPU, not device %u: %s is a CPU-type Vulkan device (it runs on "
                          "the processor), where Hearth’s own CPU path is faster\n"),
                   d->index, d->name);
        else
          fprintf (out, _("the CPU\n"));
      }
  }
  return 0;
}
