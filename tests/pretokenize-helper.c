/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A test helper for check-pretokenize.py: exposes the engine's pre-tokenizers
 * through stdin and stdout. Text travels hex-encoded so that any byte does.
 *
 *   pretokenize-helper names             the known pre-tokenizer names
 *   pretokenize-helper patterns NAME     its expressions, one per line, hex
 *   pretokenize-helper split NAME        per input line (hex UTF-8), the
 *                                        pieces, hex, separated by spaces
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "ember-pretokenize.h"
#include "ember-unicode.h"

static void
print_hex (const char *s,
           size_t      len)
{
  for (size_t i = 0; i < len; i++)
    printf ("%02x", (unsigned char) s[i]);
}

static int
hex_value (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int
split_lines (const ember_pretokenizer *pre)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;

  while ((got = getline (&line, &cap, stdin)) >= 0)
    {
      size_t len = 0, n_cps, n_pieces, off = 0;
      uint32_t *cps;
      size_t *pieces;
      ember_error error = { 0 };

      while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
        line[--got] = '\0';
      for (ssize_t i = 0; i + 1 < got; i += 2)
        line[len++] = (char) (hex_value (line[i]) * 16 + hex_value (line[i + 1]));

      cps = ember_utf8_to_codepoints (line, len, &n_cps);
      if (cps == NULL || ember_pretokenizer_split (pre, cps, n_cps, &pieces, &n_pieces, &error) != EMBER_OK)
        {
          fprintf (stderr, "split failed: %s\n", error.message);
          return 1;
        }
      for (size_t p = 0; p < n_pieces; p++)
        {
          if (p > 0)
            putchar (' ');
          for (size_t i = 0; i < pieces[p]; i++)
            {
              char buf[4];

              print_hex (buf, ember_utf8_encode (cps[off + i], buf));
            }
          off += pieces[p];
        }
      putchar ('\n');
      free (pieces);
      free (cps);
    }
  free (line);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  ember_pretokenizer *pre = NULL;
  ember_error error = { 0 };
  int status = 0;

  if (argc == 2 && strcmp (argv[1], "names") == 0)
    {
      for (size_t i = 0; ember_pretokenizer_known_name (i) != NULL; i++)
        printf ("%s\n", ember_pretokenizer_known_name (i));
      return 0;
    }
  if (argc != 3 || (strcmp (argv[1], "patterns") != 0 && strcmp (argv[1], "split") != 0))
    {
      fprintf (stderr, "usage: %s names | patterns NAME | split NAME\n", argv[0]);
      return 2;
    }
  if (ember_pretokenizer_new (argv[2], &pre, &error) != EMBER_OK)
    {
      fprintf (stderr, "%s\n", error.message);
      return 1;
    }
  if (strcmp (argv[1], "patterns") == 0)
    for (size_t i = 0; i < ember_pretokenizer_get_n_patterns (pre); i++)
      {
        const char *p = ember_pretokenizer_get_pattern (pre, i);

        print_hex (p, strlen (p));
        putchar ('\n');
      }
  else
    status = split_lines (pre);
  ember_pretokenizer_free (pre);
  return status;
}
