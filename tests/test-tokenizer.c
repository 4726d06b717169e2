/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tokenizers: llama.cpp's own test vocabularies (every input of a .inp
 * file must give exactly the ids of its .out file, as test-tokenizer-0
 * checks, with no BOS added), round trips, special tokens, streaming
 * detokenization, and vocabularies with broken metadata.
 */

#include "config.h"

#include <glib.h>
#include <string.h>

#include "ember.h"

static char *
vocab_dir (void)
{
  const char *shared = g_getenv ("HEARTH_SHARED_DIR");

  if (shared == NULL)
    return NULL;
  return g_build_filename (shared, "models", "vocab", NULL);
}

static ember_tokenizer *
load_tokenizer (const char  *path,
                ember_gguf **gguf_out)
{
  ember_error error = { 0 };
  ember_gguf *gguf = NULL;
  ember_tokenizer *tok = NULL;

  if (ember_gguf_open (path, &gguf, &error) != EMBER_OK)
    g_error ("%s: %s", path, error.message);
  if (ember_tokenizer_new_from_gguf (gguf, &tok, &error) != EMBER_OK)
    g_error ("%s: %s", path, error.message);
  *gguf_out = gguf;
  return tok;
}

static GArray *
encode (const ember_tokenizer *tok,
        const char            *text,
        size_t                 len,
        ember_tokenize_flags   flags)
{
  ember_error error = { 0 };
  int32_t *ids = NULL;
  size_t n = 0;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (int32_t));

  g_assert_cmpint (ember_tokenizer_encode (tok, text, len, flags, &ids, &n, &error), ==, EMBER_OK);
  g_array_append_vals (a, ids, (guint) n);
  free (ids);
  return a;
}

static char *
ids_to_string (const int32_t *ids,
               size_t         n)
{
  GString *s = g_string_new (NULL);

  for (size_t i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i ? " " : "", ids[i]);
  return g_string_free (s, FALSE);
}

static char *
decode (const ember_tokenizer  *tok,
        const int32_t          *ids,
        size_t                  n,
        ember_detokenize_flags  flags)
{
  ember_error error = { 0 };
  char *text = NULL;
  size_t len;

  g_assert_cmpint (ember_tokenizer_decode (tok, ids, n, flags, &text, &len, &error), ==, EMBER_OK);
  return text;
}

/* One vocabulary against its .inp/.out pair. */
static void
test_vocab_file (gconstpointer data)
{
  const char *path = data;
  g_autofree char *inp_path = g_strconcat (path, ".inp", NULL);
  g_autofree char *out_path = g_strconcat (path, ".out", NULL);
  g_autofree char *inp = NULL, *out = NULL;
  g_auto (GStrv) inputs = NULL, outputs = NULL;
  g_autoptr (GError) gerror = NULL;
  ember_gguf *gguf;
  ember_tokenizer *tok;
  guint n_inputs, passed = 0, round_trips = 0, round_trip_checked = 0;
  gint64 t0;

  g_assert_true (g_file_get_contents (inp_path, &inp, NULL, &gerror));
  g_assert_true (g_file_get_contents (out_path, &out, NULL, &gerror));
  t0 = g_get_monotonic_time ();
  tok = load_tokenizer (path, &gguf);
  g_test_message ("%s: loaded %u tokens in %.1f ms", path, ember_tokenizer_get_n_vocab (tok),
                  (g_get_monotonic_time () - t0) / 1000.0);

  /* Inputs are separated by "\n__ggml_vocab_test__\n"; the file ends with
   * one, which leaves an empty last piece. */
  inputs = g_strsplit (inp, "\n__ggml_vocab_test__\n", -1);
  n_inputs = g_strv_length (inputs);
  if (n_inputs > 0 && inputs[n_inputs - 1][0] == '\0')
    g_clear_pointer (&inputs[--n_inputs], g_free);
  outputs = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (outputs), >=, n_inputs);

  for (guint i = 0; i < n_inputs; i++)
    {
      g_autoptr (GArray) ids = encode (tok, inputs[i], strlen (inputs[i]), 0);
      g_autofree char *got = ids_to_string ((int32_t *) ids->data, ids->len);
      g_autofree char *want = g_strstrip (g_strdup (outputs[i]));

      if (g_str_equal (got, want))
        passed++;
      else
        g_test_message ("input %u %s\n  want %s\n  got  %s", i, inputs[i], want, got);

      /* Decoding gives the text back, except where the vocabulary
       * normalises (BERT lowercases) or cleans up spaces on purpose. */
      if (ember_tokenizer_get_kind (tok) != EMBER_TOKENIZER_WPM && g_utf8_validate (inputs[i], -1, NULL))
        {
          g_autofree char *back = decode (tok, (int32_t *) ids->data, ids->len, 0);
          bool cleanable = strstr (inputs[i], " ,") || strstr (inputs[i], " .") ||
                           strstr (inputs[i], " ?") || strstr (inputs[i], " !") ||
                           strstr (inputs[i], " '");

          if (!cleanable || ember_tokenizer_get_kind (tok) == EMBER_TOKENIZER_SPM)
            {
              round_trip_checked++;
              if (g_str_equal (back, inputs[i]))
                round_trips++;
              else
                g_test_message ("input %u does not round-trip: “%s” → “%s”", i, inputs[i], back);
            }
        }
    }
  g_test_message ("%s: %u/%u inputs tokenized as llama.cpp does; %u/%u round trips",
                  path, passed, n_inputs, round_trips, round_trip_checked);
  g_assert_cmpuint (passed, ==, n_inputs);
  g_assert_cmpuint (round_trips, ==, round_trip_checked);
  ember_tokenizer_free (tok);
  ember_gguf_close (gguf);
}

static void
test_vocab_missing (void)
{
  g_test_skip ("no vocabularies: $HEARTH_SHARED_DIR/models/vocab is missing");
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir_path = vocab_dir ();
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_test_init (&argc, &argv, NULL);

  if (dir_path != NULL)
    dir = g_dir_open (dir_path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".gguf"))
      g_ptr_array_add (files, g_build_filename (dir_path, name, NULL));
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (files->pdata[i]);
      g_autofree char *test_path = g_strconcat ("/engine/tokenizer/vocab/", base, NULL);

      g_test_add_data_func (test_path, files->pdata[i], test_vocab_file);
    }
  if (files->len == 0)
    g_test_add_func ("/engine/tokenizer/vocab", test_vocab_missing);

  return g_test_run ();
}
