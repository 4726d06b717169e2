/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth create NAME [-f Modelfile]`: a profile — a model of the store made
 * from a Modelfile, stored as `ollama create` stores it (the base's weights
 * shared, the params, system, template, messages and license layers with
 * Ollama's bytes), with Ollama's progress lines. Without -f, ./Modelfile.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-model-layers.h"
#include "hearth-modelfile.h"

/* The Modelfile's PARAMETERs as the typed values of Ollama's params layer
 * (the parser has checked each value against its type). */
static gboolean
typed_parameters (const HearthModelfile  *modelfile,
                  GPtrArray              *params,
                  FILE                   *err)
{
  g_autoptr (GPtrArray) stop = g_ptr_array_new ();

  for (guint i = 0; i < modelfile->parameters->len; i++)
    {
      const HearthModelfileParameter *p = modelfile->parameters->pdata[i];
      HearthParameterType type;
      gint64 n;
      double f;
      char *end = NULL;

      if (!hearth_modelfile_parameter_type (p->name, &type))
        continue; /* the parser refuses names it does not know */
      if (hearth_modelfile_parameter_is_deprecated (p->name))
        {
          fprintf (err, _("hearth create: %s is no longer used by Ollama; it is left out\n"), p->name);
          continue;
        }
      switch (type)
        {
        case HEARTH_PARAMETER_INT:
          if (!g_ascii_string_to_signed (p->value, 10, G_MININT64, G_MAXINT64, &n, NULL))
            return FALSE;
          g_ptr_array_add (params, hearth_ollama_param_new_int (p->name, n));
          break;
        case HEARTH_PARAMETER_FLOAT:
          f = g_ascii_strtod (p->value, &end);
          if (end == p->value)
            return FALSE;
          g_ptr_array_add (params, hearth_ollama_param_new_float32 (p->name, (float) f));
          break;
        case HEARTH_PARAMETER_BOOL:
          g_ptr_array_add (params, hearth_ollama_param_new_bool (
                                     p->name, strchr ("1tT", p->value[0]) != NULL && p->value[0] != '\0'));
          break;
        case HEARTH_PARAMETER_STRING:
          g_ptr_array_add (params, hearth_ollama_param_new_string (p->name, p->value));
          break;
        case HEARTH_PARAMETER_STRING_LIST:
        default:
          g_ptr_array_add (stop, p->value);
          break;
        }
    }
  if (stop->len > 0)
    {
      g_ptr_array_add (stop, NULL);
      g_ptr_array_add (params, hearth_ollama_param_new_strings ("stop", (const char *const *) stop->pdata));
    }
  return TRUE;
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
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();
  g_autoptr (GError) error = NULL;
  HearthStore *store = hearth_context_get_store (context);
  g_autofree char *base_path = NULL;
  const char *base;

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

  fprintf (out, "%s\n", "gathering model components");
  fflush (out);
  if (modelfile->from_path != NULL)
    {
      /* FROM a GGUF file: its weights come into the store under @name
       * first (a copy, as Ollama makes), then the layers go over them */
      if (!g_file_test (modelfile->from_path, G_FILE_TEST_IS_REGULAR))
        {
          fprintf (err, _("hearth create: FROM %s: there is no such file\n"), modelfile->from);
          return 1;
        }
      if (!hearth_store_import (store, modelfile->from_path, name, FALSE, NULL, &error))
        {
          fprintf (err, "hearth create: %s\n", error->message);
          return 1;
        }
      base = name;
    }
  else
    {
      base_path = hearth_store_get_model_path (store, modelfile->from, &error);
      if (base_path == NULL)
        {
          fprintf (err, _("hearth create: FROM %s: %s (hearth pull %s fetches it)\n"), modelfile->from,
                   error->message, modelfile->from);
          return 1;
        }
      base = modelfile->from;
    }

  if (!typed_parameters (modelfile, layers->params, err))
    {
      fprintf (err, _("hearth create: a parameter's value cannot be stored\n"));
      return 1;
    }
  layers->system = g_strdup (modelfile->system);
  layers->template = g_strdup (modelfile->template_text);
  for (guint i = 0; i < modelfile->messages->len; i++)
    {
      const HearthModelfileMessage *m = modelfile->messages->pdata[i];

      g_ptr_array_add (layers->messages, hearth_ollama_message_new (m->role, m->content));
    }
  for (guint i = 0; i < modelfile->licenses->len; i++)
    g_ptr_array_add (layers->licenses, g_strdup (modelfile->licenses->pdata[i]));

  fprintf (out, "%s\n", "writing manifest");
  fflush (out);
  if (!hearth_model_layers_write (store, name, base, layers, &error))
    {
      fprintf (err, "hearth create: %s\n", error->message);
      return 1;
    }
  fprintf (out, "%s\n", "success");
  return 0;
}
