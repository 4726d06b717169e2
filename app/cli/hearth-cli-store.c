/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store's commands: `hearth list`, `hearth rm`, `hearth cp`,
 * `hearth import`, and how every command that takes MODEL finds it: a file,
 * or a name in the store.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-gguf.h"
#include "hearth-store.h"

char *
hearth_cli_resolve_model (HearthContext *context,
                          const char    *command,
                          const char    *arg,
                          FILE          *err)
{
  g_autoptr (HearthStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelName) name = NULL;
  char *path;

  /* a file, or what reads as a path (its loader says what is wrong) */
  if (g_file_test (arg, G_FILE_TEST_EXISTS) || g_str_has_suffix (arg, ".gguf")
      || g_str_has_prefix (arg, "/") || g_str_has_prefix (arg, "./")
      || g_str_has_prefix (arg, "../") || g_str_has_prefix (arg, "~"))
    return g_strdup (arg);

  name = hearth_model_name_parse (arg, &error);
  if (name == NULL)
    {
      fprintf (err, _("hearth %s: “%s” is neither a file nor a model name\n"), command, arg);
      return NULL;
    }
  store = g_object_ref (hearth_context_get_store (context));
  path = hearth_store_get_model_path (store, arg, &error);
  if (path == NULL)
    {
      if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
        fprintf (err, _("hearth %s: “%s” is not a file, and there is no model of that name in %s "
                        "(“hearth pull %s” downloads it; “hearth list” shows the models there)\n"),
                 command, arg, hearth_store_get_root (store), arg);
      else
        fprintf (err, "hearth %s: %s\n", command, error->message);
      return NULL;
    }
  return path;
}

/* ---- list -------------------------------------------------------------------- */

static void
print_cell (FILE       *out,
            const char *text,
            int         width)
{
  int pad = width - hearth_cli_display_width (text);

  fputs (text, out);
  for (int i = 0; i < pad + 3; i++)
    fputc (' ', out);
}

int
hearth_cli_list (HearthContext          *context,
                 const HearthCliCommand *command,
                 int                     argc,
                 char                  **argv,
                 FILE                   *out,
                 FILE                   *err)
{
  enum { COLUMNS = 6 };
  g_autoptr (HearthStore) store = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr (GError) error = NULL;
  int widths[COLUMNS] = { 0 };

  if (argc > 1 && hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "list", argv[1]);
  if (argc > 1)
    {
      fprintf (err, _("hearth list: no arguments expected; usage: hearth list\n"));
      return 2;
    }
  store = g_object_ref (hearth_context_get_store (context));
  models = hearth_store_list (store, &error);
  if (models == NULL)
    {
      fprintf (err, "hearth list: %s\n", error->message);
      return 1;
    }

  g_ptr_array_add (rows, g_strdupv ((char *[]) { _("NAME"), _("ID"), _("SIZE"), _("PARAMETERS"),
                                                 _("QUANTIZATION"), _("MODIFIED"), NULL }));
  for (guint i = 0; i < models->len; i++)
    {
      const HearthStoreModel *m = models->pdata[i];
      g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (m->modified);
      g_autoptr (HearthGguf) gguf = m->model_path != NULL ? hearth_gguf_open (m->model_path, NULL) : NULL;
      const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;
      char **row = g_new0 (char *, COLUMNS + 1);

      row[0] = g_strdup (m->name);
      row[1] = g_strndup (m->manifest_digest != NULL ? m->manifest_digest + 7 : "?", 12);
      row[2] = g_format_size (m->size);
      row[3] = g_strdup (info != NULL ? info->parameter_label : "—");
      row[4] = g_strdup (info != NULL ? info->file_type : "—");
      row[5] = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M") : g_strdup ("?");
      g_ptr_array_add (rows, row);
    }

  for (guint r = 0; r < rows->len; r++)
    for (int c = 0; c < COLUMNS; c++)
      widths[c] = MAX (widths[c], hearth_cli_display_width (((char **) rows->pdata[r])[c]));
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];

      for (int c = 0; c < COLUMNS - 1; c++)
        print_cell (out, row[c], widths[c]);
      fprintf (out, "%s\n", row[COLUMNS - 1]);
    }
  return 0;
}

/* ---- rm, cp, import ------------------------------------------------------ */

/* "hearth COMMAND: MESSAGE", with where to see the models when @error is
 * about one that is not there. */
static void
print_store_error (FILE         *err,
                   const char   *command,
                   const GError *error)
{
  if (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    fprintf (err, _("hearth %s: %s (“hearth list” shows the models there)\n"), command,
             error->message);
  else
    fprintf (err, "hearth %s: %s\n", command, error->message);
}

int
hearth_cli_rm (HearthContext          *context,
               const HearthCliCommand *command,
               int                     argc,
               char                  **argv,
               FILE                   *out,
               FILE                   *err)
{
  g_autoptr (HearthStore) store = NULL;
  int status = 0;

  /* nothing is removed where the command line is wrong */
  for (int i = 1; i < argc; i++)
    if (hearth_cli_is_option (argv[i]))
      return hearth_cli_unknown_option (err, "rm", argv[i]);
  if (argc < 2)
    {
      fprintf (err, _("hearth rm: which model? Usage: hearth rm MODEL…\n"));
      return 2;
    }
  store = g_object_ref (hearth_context_get_store (context));
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 freed = 0;

      if (hearth_store_remove (store, argv[i], &freed, &error))
        {
          g_autofree char *size = g_format_size (freed);

          fprintf (out, _("deleted “%s” (%s freed)\n"), argv[i], size);
        }
      else
        {
          print_store_error (err, "rm", error);
          status = 1;
        }
    }
  return status;
}

int
hearth_cli_cp (HearthContext          *context,
               const HearthCliCommand *command,
               int                     argc,
               char                  **argv,
               FILE                   *out,
               FILE                   *err)
{
  g_autoptr (HearthStore) store = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 1; i < argc; i++)
    if (hearth_cli_is_option (argv[i]))
      return hearth_cli_unknown_option (err, "cp", argv[i]);
  if (argc != 3)
    {
      fprintf (err, _("hearth cp: usage: hearth cp SOURCE DESTINATION\n"));
      return 2;
    }
  store = g_object_ref (hearth_context_get_store (context));
  if (!hearth_store_copy (store, argv[1], argv[2], &error))
    {
      print_store_error (err, "cp", error);
      return 1;
    }
  fprintf (out, _("copied “%s” to “%s”\n"), argv[1], argv[2]);
  return 0;
}

int
hearth_cli_import (HearthContext          *context,
                   const HearthCliCommand *command,
                   int                     argc,
                   char                  **argv,
                   FILE                   *out,
                   FILE                   *err)
{
  g_autoptr (HearthStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *target = NULL;
  g_autofree char *absolute = NULL;
  const char *file = NULL, *name = NULL;
  gboolean link = FALSE;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--link"))
        link = TRUE;
      else if (g_str_equal (argv[i], "--copy"))
        link = FALSE;
      else if (hearth_cli_is_option (argv[i]))
        return hearth_cli_unknown_option (err, "import", argv[i]);
      else if (file == NULL)
        file = argv[i];
      else if (name == NULL)
        name = argv[i];
      else
        {
          fprintf (err, _("hearth import: usage: hearth import FILE.gguf NAME [--link | --copy]\n"));
          return 2;
        }
    }
  if (file == NULL || name == NULL)
    {
      fprintf (err, _("hearth import: usage: hearth import FILE.gguf NAME [--link | --copy]\n"));
      return 2;
    }
  store = g_object_ref (hearth_context_get_store (context));
  if (!hearth_store_import (store, file, name, link, NULL, &error))
    {
      fprintf (err, "hearth import: %s\n", error->message);
      return 1;
    }
  /* what the store holds now, which is not always what was asked for */
  blob = hearth_store_get_model_path (store, name, NULL);
  target = blob != NULL ? g_file_read_link (blob, NULL) : NULL;
  absolute = g_canonicalize_filename (file, NULL);
  if (target == NULL && link)
    fprintf (out, _("imported “%s” as “%s” (the store has a copy of this file already, so it "
                    "is not linked: the file may be moved or deleted)\n"),
             file, name);
  else if (target == NULL)
    fprintf (out, _("imported “%s” as “%s” (copied into %s)\n"), file, name,
             hearth_store_get_root (store));
  else if (g_str_equal (target, absolute))
    fprintf (out, _("imported “%s” as “%s” (linked: keep the file where it is)\n"), file, name);
  else
    fprintf (out, _("imported “%s” as “%s” (linked to %s, which has the same bytes: keep that "
                    "file where it is)\n"),
             file, name, target);
  return 0;
}
