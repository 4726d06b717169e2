/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth tokenize MODEL TEXT [--no-bos]`: the token ids that the model sees
 * for TEXT as a prompt, on one line.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-gguf.h"
#include "hearth-tokenizer.h"

int
hearth_cli_tokenize (HearthContext          *context,
                     const HearthCliCommand *command,
                         int                     argc,
                         char                  **argv,
                         FILE                   *out,
                         FILE                   *err)
{
  const char *model = NULL, *text = NULL;
  g_autofree char *resolved = NULL;
  gboolean no_bos = FALSE;
  gboolean options_done = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (HearthTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (!options_done && g_str_equal (argv[i], "--"))
        options_done = TRUE;   /* what follows is MODEL and TEXT, even "-1" */
      else if (!options_done && g_str_equal (argv[i], "--no-bos"))
        no_bos = TRUE;
      else if (!options_done && hearth_cli_is_option (argv[i]))
        return hearth_cli_unknown_option (err, "tokenize", argv[i]);
      else if (model == NULL)
        model = argv[i];
      else if (text == NULL)
        text = argv[i];
      else
        {
          fprintf (err, _("hearth tokenize: too many arguments; usage: hearth tokenize MODEL TEXT [--no-bos]\n"));
          return 2;
        }
    }
  if (model == NULL || text == NULL)
    {
      fprintf (err, _("hearth tokenize: usage: hearth tokenize MODEL TEXT [--no-bos]\n"));
      return 2;
    }

  resolved = hearth_cli_resolve_model (context, "tokenize", model, err);
  if (resolved == NULL)
    return 1;
  model = resolved;
  gguf = hearth_gguf_open (model, &error);
  if (gguf == NULL)
    {
      /* the reader's message names the file */
      fprintf (err, "hearth tokenize: %s\n", error->message);
      return 1;
    }
  tok = hearth_tokenizer_new (gguf, &error);
  if (tok == NULL)
    {
      fprintf (err, _("hearth tokenize: the vocabulary of “%s” is unusable: %s\n"), model, error->message);
      return 1;
    }
  /* the BOS that the model adds is left out on request */
  ids = hearth_tokenizer_encode (tok, text, -1,
                                 HEARTH_TOKENIZE_ADD_SPECIAL | HEARTH_TOKENIZE_PARSE_SPECIAL
                                   | (no_bos ? HEARTH_TOKENIZE_NO_BOS : 0),
                                 &error);
  if (ids == NULL)
    {
      fprintf (err, _("hearth tokenize: cannot tokenize the text: %s\n"), error->message);
      return 1;
    }

  for (guint i = 0; i < ids->len; i++)
    fprintf (out, "%s%d", i > 0 ? " " : "", g_array_index (ids, gint32, i));
  fprintf (out, "\n");
  return 0;
}
