/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hearth: with no arguments, the window; with a command, the CLI.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "hearth-application.h"
#include "hearth-cli.h"
#include "hearth-ui.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr (HearthApplication) app = NULL;
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  /* HEARTH_LOCALEDIR: translations from a build tree (`meson devenv`, tests). */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("HEARTH_LOCALEDIR") != NULL
                                     ? g_getenv ("HEARTH_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The CLI needs no display: decide before anything touches GTK. */
  if (hearth_cli_wants (argc, argv))
    return hearth_cli_run (argc, argv, stdout, stderr);

  app = hearth_application_new (G_APPLICATION_DEFAULT_FLAGS, &error);
  if (app == NULL)
    {
      fprintf (stderr, "hearth: %s\n", error->message);
      return 1;
    }

  hearth_ui_install (app);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
