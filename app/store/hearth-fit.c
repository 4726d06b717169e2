/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-fit"

#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "hearth-devices.h"
#include "hearth-fit.h"

/* The KV cache at the default context (4096 tokens, f32) is about a sixth
 * of the weights for today's 4-bit models with grouped-query attention
 * (a 7B Q4_K_M: 4.4 GB of weights, 0.5–1 GB of cache), plus scratch and the
 * program itself. */
#define CACHE_SHARE 6
#define OVERHEAD (300ull << 20)

void
hearth_fit_estimate (guint64    model_bytes,
                     guint64    gpu_bytes,
                     guint64    ram_bytes,
                     HearthFit *fit)
{
  hearth_fit_estimate_with_cache (model_bytes, model_bytes / CACHE_SHARE, gpu_bytes, ram_bytes,
                                  fit);
}

void
hearth_fit_estimate_with_cache (guint64    model_bytes,
                                guint64    cache_bytes,
                                guint64    gpu_bytes,
                                guint64    ram_bytes,
                                HearthFit *fit)
{
  fit->needed = model_bytes + cache_bytes + OVERHEAD;
  fit->gpu_bytes = gpu_bytes;
  fit->ram_bytes = ram_bytes;
  if (gpu_bytes > 0 && fit->needed <= gpu_bytes)
    fit->verdict = HEARTH_FIT_GPU;
  else if (fit->needed <= ram_bytes)
    fit->verdict = HEARTH_FIT_CPU;
  else
    fit->verdict = HEARTH_FIT_NONE;
}

guint64
hearth_fit_system_ram (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);

  return pages > 0 && page > 0 ? (guint64) pages * (guint64) page : 0;
}

guint64
hearth_fit_gpu_memory (void)
{
  return hearth_devices_get_default_memory ();
}

char *
hearth_fit_describe (const HearthFit *fit)
{
  g_autofree char *needed = g_format_size (fit->needed);
  g_autofree char *gpu = g_format_size (fit->gpu_bytes);
  g_autofree char *ram = g_format_size (fit->ram_bytes);

  switch (fit->verdict)
    {
    case HEARTH_FIT_GPU:
      return g_strdup_printf (_("needs about %s; this computer has %s of GPU memory: it will "
                                "run on the GPU"), needed, gpu);
    case HEARTH_FIT_CPU:
      if (fit->gpu_bytes == 0)
        return g_strdup_printf (_("needs about %s; this computer has no GPU Hearth can use and "
                                  "%s of RAM: it will run on the CPU"), needed, ram);
      return g_strdup_printf (_("needs about %s; this computer has %s of GPU memory and %s of "
                                "RAM: it will run, slowly, on the CPU"), needed, gpu, ram);
    case HEARTH_FIT_NONE:
    default:
      if (fit->gpu_bytes == 0)
        return g_strdup_printf (_("needs about %s; this computer has %s of RAM and no GPU "
                                  "Hearth can use: it will not fit"), needed, ram);
      return g_strdup_printf (_("needs about %s; this computer has %s of GPU memory and %s of "
                                "RAM: it will not fit"), needed, gpu, ram);
    }
}
