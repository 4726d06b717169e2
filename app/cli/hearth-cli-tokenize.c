/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth tokenize MODEL TEXT [--no-bos]`: the token ids that the model sees
 * for TEXT as a prompt, on one line.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"

int
hearth_cli_tokenize (const HearthCliCommand *command,
                         int                     argc,
                         char                  **argv,
                         FILE                   *out,
                         FILE                   *err)
{
  const char *model = NULL, *text = NULL;
  g_autofree char *resolved = NULL;
  gboolean no_bos = FALSE;
  gboolean options_done = FALSE;
  ember_error error = { 0 };
  ember_gguf *gguf = NULL;
  ember_tokenizer *tok = NULL;
  int32_t *ids = NULL;
  size_t n_ids = 0, first = 0;
  int status = 1;

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

  resolved = hearth_cli_resolve_model ("tokenize", model, err);
  if (resolved == NULL)
    return 1;
  model = resolved;
  if (ember_gguf_open (model, &gguf, &error) != EMBER_OK)
    {
      /* the reader's message names the file */
      fprintf (err, "hearth tokenize: %s\n", error.message);
      return 1;
    }
  if (ember_tokenizer_new_from_gguf (gguf, &tok, &error) != EMBER_OK)
    {
      fprintf (err, _("hearth tokenize: the vocabulary of “%s” is unusable: %s\n"), model, error.message);
      goto out;
    }
  if (ember_tokenizer_encode (tok, text, strlen (text),
                              EMBER_TOKENIZE_ADD_SPECIAL | EMBER_TOKENIZE_PARSE_SPECIAL,
                              &ids, &n_ids, &error) != EMBER_OK)
    {
      fprintf (err, _("hearth tokenize: cannot tokenize the text: %s\n"), error.message);
      goto out;
    }

  /* The BOS that the model adds, left out on request. */
  if (no_bos && ember_tokenizer_get_add_bos (tok) && n_ids > 0 && ids[0] == ember_tokenizer_get_bos (tok))
    first = 1;
  for (size_t i = first; i < n_ids; i++)
    fprintf (out, "%s%d", i > first ? " " : "", ids[i]);
  fprintf (out, "\n");
  status = 0;

out:
  free (ids);
  ember_tokenizer_free (tok);
  ember_gguf_close (gguf);
  return status;
}
