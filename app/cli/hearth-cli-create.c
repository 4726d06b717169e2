/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth create NAME [-f Modelfile]`: a profile — a model of the store made
 * from a Modelfile, stored as `ollama create` stores it (the base's weights
 * shared, the params, system, template, messages and license layers with
 * Ollama's bytes), with Ollama's progress lines. Without -f, ./Modelfile.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-model-name.h"
#include "hearth-modelfile.h"
#include "hearth-profile.h"

/* Each step of the core's work, as `ollama create` prints it. */
static void
progress_cb (const char *status,
             gpointer    user_data)
{
  FILE *out = user_data;

  fprintf (out, "%s\n", status);
  fflush (out);
}

int
hearth_cli_create (HearthContext          *context,
                   const HearthCliCommand *command,
                   int                     argc,
                   char                  **argv,
                   FILE                   *out,
                   FILE                   *err)
{
  const char *name = NULL, *file = NULL;
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "-f") || g_str_equal (argv[i], "--file"))
        {
          if (i + 1 >= argc)
            return hearth_cli_missing_value (err, "create", argv[i]);
          file = argv[++i];
        }
      else if (g_str_has_prefix (argv[i], "--file="))
        file = argv[i] + strlen ("--file=");
      else if (hearth_cli_is_option (argv[i]))
        return hearth_cli_unknown_option (err, "create", argv[i]);
      else if (name == NULL)
        name = argv[i];
      else
        {
          fprintf (err, _("hearth create: one model at a time; “%s” is one too many\n"), argv[i]);
          return 2;
        }
    }
  if (name == NULL)
    {
      fprintf (err, _("hearth create: which name? Usage: hearth create NAME [-f Modelfile]\n"));
      return 2;
    }
  if (file == NULL)
    file = "Modelfile";

  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      fprintf (err, _("hearth create: there is no Modelfile at %s (name one with -f FILE)\n"), file);
      return 1;
    }
  modelfile = hearth_modelfile_parse_file (file, &error);
  if (modelfile == NULL)
    {
      fprintf (err, "hearth create: %s\n", error->message);
      return 1;
    }

  /* a name that cannot be one, and a value that cannot be stored, stop
   * here; what Ollama no longer uses is said before anything is written */
  {
    g_autoptr (HearthModelName) parsed = hearth_model_name_parse (name, &error);

    if (parsed == NULL)
      {
        fprintf (err, "hearth create: %s\n", error->message);
        return 1;
      }
  }
  {
    g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (HearthModelLayers) layers = hearth_profile_layers_from_modelfile (modelfile, warnings, &error);

    if (layers == NULL)
      {
        fprintf (err, "hearth create: %s\n", error->message);
        return 1;
      }
    for (guint i = 0; i < warnings->len; i++)
      fprintf (err, "hearth create: %s\n", (const char *) warnings->pdata[i]);
  }
  if (!hearth_profile_create (hearth_context_get_store (context), name, modelfile, progress_cb, out,
                              NULL, &error))
    {
      fprintf (err, "hearth create: %s\n", error->message);
      return 1;
    }
  return 0;
}
