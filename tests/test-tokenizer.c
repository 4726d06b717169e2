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


static ember_tokenizer *
load_shared_vocab (const char  *name,
                   ember_gguf **gguf)
{
  g_autofree char *dir = vocab_dir ();
  g_autofree char *path = dir != NULL ? g_build_filename (dir, name, NULL) : NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the shared test vocabularies are missing");
      return NULL;
    }
  return load_tokenizer (path, gguf);
}

/* Texts of every kind survive encode + decode in SentencePiece and BPE. */
static void
test_round_trips (void)
{
  static const char *const vocabs[] = { "ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf" };
  static const char *const texts[] = {
    "中华人民共和国成立于1949年。你好，世界！",
    "日本語のテキスト、カタカナとひらがな。東京タワー",
    "한국어 텍스트입니다",
    "🚀 😶‍🌫️ 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇨🇳",
    "int main(void) {\n\treturn 0;\n}\n",
    "def f(x):\n    if x:\n        return x ** 2  # comment\n\n\n",
    "  a   b    c\t\td \t e  \r\n\r\n",
    "café naïve e\xcc\x81 Ünïcödé",
  };

  for (gsize v = 0; v < G_N_ELEMENTS (vocabs); v++)
    {
      ember_gguf *gguf;
      ember_tokenizer *tok = load_shared_vocab (vocabs[v], &gguf);

      if (tok == NULL)
        return;
      for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
        {
          g_autoptr (GArray) ids = encode (tok, texts[i], strlen (texts[i]), 0);
          g_autofree char *back = decode (tok, (int32_t *) ids->data, ids->len, 0);

          g_assert_cmpuint (ids->len, >, 0);
          g_assert_cmpstr (back, ==, texts[i]);
        }
      ember_tokenizer_free (tok);
      ember_gguf_close (gguf);
    }
}

static void
test_special_tokens (void)
{
  ember_gguf *gguf;
  ember_tokenizer *tok = load_shared_vocab ("ggml-vocab-gpt-2.gguf", &gguf);
  const char *text = "Hello<|endoftext|>world";

  if (tok == NULL)
    return;
  g_assert_cmpint (ember_tokenizer_get_kind (tok), ==, EMBER_TOKENIZER_BPE);
  g_assert_cmpstr (ember_tokenizer_get_pre (tok), ==, "gpt-2");
  g_assert_false (ember_tokenizer_get_add_bos (tok));
  g_assert_true (ember_tokenizer_is_eog (tok, 50256));
  {
    g_autoptr (GArray) parsed = encode (tok, text, strlen (text), EMBER_TOKENIZE_PARSE_SPECIAL);
    g_autoptr (GArray) plain = encode (tok, text, strlen (text), 0);
    g_autoptr (GArray) with_special = encode (tok, "Hello", 5, EMBER_TOKENIZE_ADD_SPECIAL);
    g_autofree char *s = ids_to_string ((int32_t *) parsed->data, parsed->len);
    g_autofree char *rendered = decode (tok, (int32_t *) parsed->data, parsed->len,
                                        EMBER_DETOKENIZE_RENDER_SPECIAL);
    g_autofree char *hidden = decode (tok, (int32_t *) parsed->data, parsed->len, 0);

    g_assert_cmpstr (s, ==, "15496 50256 6894");
    g_assert_cmpuint (plain->len, >, 3);
    g_assert_cmpuint (with_special->len, ==, 1); /* gpt2 adds no BOS */
    g_assert_cmpstr (rendered, ==, text);
    g_assert_cmpstr (hidden, ==, "Helloworld");
  }
  ember_tokenizer_free (tok);
  ember_gguf_close (gguf);

  tok = load_shared_vocab ("ggml-vocab-llama-spm.gguf", &gguf);
  {
    g_autoptr (GArray) ids = encode (tok, "<s>Hi</s>", 9,
                                     EMBER_TOKENIZE_ADD_SPECIAL | EMBER_TOKENIZE_PARSE_SPECIAL);
    g_autofree char *s = ids_to_string ((int32_t *) ids->data, ids->len);
    g_autoptr (GArray) empty = encode (tok, "", 0, EMBER_TOKENIZE_ADD_SPECIAL);
    g_autofree char *back = decode (tok, (int32_t *) ids->data, ids->len,
                                    EMBER_DETOKENIZE_REMOVE_SPECIAL);

    /* BOS added, then the text's own <s>, "▁Hi" and </s>. */
    g_assert_cmpuint (ids->len, ==, 4);
    g_assert_cmpint (g_array_index (ids, int32_t, 0), ==, 1);
    g_assert_cmpint (g_array_index (ids, int32_t, 1), ==, 1);
    g_assert_cmpint (g_array_index (ids, int32_t, 3), ==, 2);
    g_assert_cmpuint (empty->len, ==, 1);
    /* As llama.cpp: the leading space goes only when no BOS was removed. */
    g_assert_cmpstr (back, ==, " Hi");
    g_assert_cmpint (ember_tokenizer_get_token_type (tok, 1), ==, EMBER_TOKEN_TYPE_CONTROL);
    g_assert_cmpint (ember_tokenizer_get_token_type (tok, 3), ==, EMBER_TOKEN_TYPE_BYTE);
    g_assert_cmpint (ember_tokenizer_get_token_type (tok, 99999), ==, EMBER_TOKEN_TYPE_UNDEFINED);
    (void) s;
  }
  ember_tokenizer_free (tok);
  ember_gguf_close (gguf);
}

/* Streaming hands out only whole UTF-8, whatever the token boundaries. */
static void
test_detokenizer (void)
{
  static const char *const vocabs[] = { "ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf" };
  const char *text = " 你好🦙 emoji 😶‍🌫️ and bad byte";

  for (gsize v = 0; v < G_N_ELEMENTS (vocabs); v++)
    {
      ember_gguf *gguf;
      ember_tokenizer *tok = load_shared_vocab (vocabs[v], &gguf);
      ember_detokenizer *detok;
      g_autoptr (GString) all = g_string_new (NULL);
      g_autoptr (GArray) ids = NULL;
      g_autofree char *oneshot = NULL;
      ember_error error = { 0 };
      const char *piece;
      size_t len;

      if (tok == NULL)
        return;
      ids = encode (tok, text, strlen (text), 0);
      oneshot = decode (tok, (int32_t *) ids->data, ids->len, 0);
      detok = ember_detokenizer_new (tok, 0);
      for (guint i = 0; i < ids->len; i++)
        {
          g_assert_cmpint (ember_detokenizer_feed (detok, g_array_index (ids, int32_t, i),
                                                   &piece, &len, &error), ==, EMBER_OK);
          g_assert_true (g_utf8_validate (piece, (gssize) len, NULL));
          g_string_append_len (all, piece, (gssize) len);
        }
      ember_detokenizer_flush (detok, &piece, &len);
      g_string_append_len (all, piece, (gssize) len);
      g_assert_cmpstr (all->str, ==, oneshot);

      /* A lone byte token is held back, then flushed as U+FFFD. */
      if (ember_tokenizer_get_kind (tok) == EMBER_TOKENIZER_SPM)
        {
          int32_t e4 = 3 + 0xE4; /* <0xE4> */

          g_assert_cmpint (ember_detokenizer_feed (detok, e4, &piece, &len, &error), ==, EMBER_OK);
          g_assert_cmpuint (len, ==, 0);
          ember_detokenizer_flush (detok, &piece, &len);
          g_assert_cmpstr (piece, ==, "\xef\xbf\xbd");
        }
      g_assert_cmpint (ember_detokenizer_feed (detok, -5, &piece, &len, &error), ==,
                       EMBER_ERROR_INVALID_ARGUMENT);
      ember_detokenizer_free (detok);
      ember_tokenizer_free (tok);
      ember_gguf_close (gguf);
    }
}

/* ---- synthetic vocabularies ------------------------------------------------ */

typedef enum {
  BREAK_NOTHING,
  BREAK_NO_MODEL,
  BREAK_UNKNOWN_MODEL,
  BREAK_UNKNOWN_PRE,
  BREAK_SCORES_LENGTH,
  BREAK_BOS_RANGE,
  BREAK_BAD_MERGE,
  BREAK_NO_MERGES,
  BREAK_DUPLICATE,
  BREAK_TOKEN_TYPE,
  BREAK_TOKENS_TYPE,
} breakage;

/* A small byte-level BPE vocabulary: the 256 byte tokens, "he", "ll",
 * "hell", "hello", "Ġw", "Ġwo", plus <|endoftext|>; written with the GGUF
 * writer, maybe broken on purpose. */
static ember_status
make_bpe (breakage          how,
          ember_tokenizer **tok,
          ember_error      *error)
{
  static const char *const extra[] = { "he", "ll", "hell", "hello", "\xc4\xa0w", "\xc4\xa0wo", "<|endoftext|>" };
  static const char *merges_ok[] = { "h e", "l l", "he ll", "hell o", "\xc4\xa0 w", "\xc4\xa0w o" };
  static const char *merges_bad[] = { "h e", "ll" };
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (int32_t));
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  ember_gguf_writer *w = ember_gguf_writer_new ();
  ember_gguf *gguf = NULL;
  uint8_t *data = NULL;
  size_t size = 0;
  ember_status status;

  for (int b = 0; b < 256; b++)
    {
      /* GPT-2's printable stand-in for each byte. */
      gunichar c;
      char buf[8] = { 0 };
      int n = 0;

      if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE))
        c = (gunichar) b;
      else
        {
          for (int x = 0; x < b; x++)
            if (!((x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE)))
              n++;
          c = 256 + (gunichar) n;
        }
      g_unichar_to_utf8 (c, buf);
      g_ptr_array_add (tokens, g_strdup (buf));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (extra); i++)
    g_ptr_array_add (tokens, g_strdup (extra[i]));
  if (how == BREAK_DUPLICATE)
    g_ptr_array_add (tokens, g_strdup ("hell"));
  for (guint i = 0; i < tokens->len; i++)
    {
      int32_t t = i + 1 == tokens->len && how != BREAK_DUPLICATE ? 3 : 1;
      float s = 0.0f;

      if (how == BREAK_TOKEN_TYPE && i == 7)
        t = 42;
      g_array_append_val (types, t);
      g_array_append_val (scores, s);
    }

  if (how != BREAK_NO_MODEL)
    ember_gguf_writer_add_string (w, "tokenizer.ggml.model", how == BREAK_UNKNOWN_MODEL ? "sentencepiece-ng" : "gpt2");
  ember_gguf_writer_add_string (w, "tokenizer.ggml.pre", how == BREAK_UNKNOWN_PRE ? "frobnicate" : "gpt-2");
  if (how == BREAK_TOKENS_TYPE)
    ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.tokens", 7);
  else
    ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens",
                                        (const char *const *) tokens->pdata, tokens->len);
  ember_gguf_writer_add_array (w, "tokenizer.ggml.token_type", EMBER_GGUF_TYPE_INT32,
                               types->data, types->len);
  ember_gguf_writer_add_array (w, "tokenizer.ggml.scores", EMBER_GGUF_TYPE_FLOAT32,
                               scores->data, how == BREAK_SCORES_LENGTH ? 3 : scores->len);
  if (how == BREAK_BAD_MERGE)
    ember_gguf_writer_add_string_array (w, "tokenizer.ggml.merges", merges_bad, G_N_ELEMENTS (merges_bad));
  else if (how != BREAK_NO_MERGES)
    ember_gguf_writer_add_string_array (w, "tokenizer.ggml.merges", merges_ok, G_N_ELEMENTS (merges_ok));
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.bos_token_id", how == BREAK_BOS_RANGE ? 100000 : 262);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.eos_token_id", 262);

  g_assert_cmpint (ember_gguf_writer_write_memory (w, &data, &size, error), ==, EMBER_OK);
  ember_gguf_writer_free (w);
  g_assert_cmpint (ember_gguf_open_memory (data, size, &gguf, error), ==, EMBER_OK);
  status = ember_tokenizer_new_from_gguf (gguf, tok, error);
  ember_gguf_close (gguf);   /* the tokenizer keeps nothing of it */
  free (data);
  return status;
}

static void
test_synthetic_bpe (void)
{
  ember_error error = { 0 };
  ember_tokenizer *tok = NULL;

  g_assert_cmpint (make_bpe (BREAK_NOTHING, &tok, &error), ==, EMBER_OK);
  {
    g_autoptr (GArray) ids = encode (tok, "hello world<|endoftext|>", 24, EMBER_TOKENIZE_PARSE_SPECIAL);
    g_autofree char *s = ids_to_string ((int32_t *) ids->data, ids->len);
    g_autofree char *back = decode (tok, (int32_t *) ids->data, ids->len, EMBER_DETOKENIZE_RENDER_SPECIAL);
    char piece[16];

    /* "hello", "Ġwo" then r, l, d as byte tokens, then the control token. */
    g_assert_cmpstr (s, ==, "259 261 114 108 100 262");
    g_assert_cmpstr (back, ==, "hello world<|endoftext|>");
    g_assert_cmpuint (ember_tokenizer_token_to_piece (tok, 261, false, piece, sizeof piece), ==, 3);
    g_assert_cmpint (memcmp (piece, " wo", 3), ==, 0);
    g_assert_cmpuint (ember_tokenizer_token_to_piece (tok, 262, false, piece, sizeof piece), ==, 0);
    g_assert_cmpint (ember_tokenizer_get_bos (tok), ==, 262);
  }
  {
    /* Invalid UTF-8 becomes U+FFFD, as in llama.cpp. */
    g_autoptr (GArray) ids = encode (tok, "h\xff", 2, 0);
    g_autofree char *back = decode (tok, (int32_t *) ids->data, ids->len, 0);

    g_assert_cmpstr (back, ==, "h\xef\xbf\xbd");
  }
  ember_tokenizer_free (tok);
}

static void
test_broken_vocab (void)
{
  static const struct { breakage how; const char *message; } cases[] = {
    { BREAK_NO_MODEL, "tokenizer.ggml.model is missing" },
    { BREAK_UNKNOWN_MODEL, "unsupported tokenizer “sentencepiece-ng”" },
    { BREAK_UNKNOWN_PRE, "unknown pre-tokenizer “frobnicate”" },
    { BREAK_SCORES_LENGTH, "tokenizer.ggml.scores has 3 entries" },
    { BREAK_BOS_RANGE, "tokenizer.ggml.bos_token_id is 100000, outside the vocabulary" },
    { BREAK_BAD_MERGE, "merge 1 in tokenizer.ggml.merges" },
    { BREAK_NO_MERGES, "tokenizer.ggml.merges is missing" },
    { BREAK_DUPLICATE, "the token “hell” twice" },
    { BREAK_TOKEN_TYPE, "unknown type 42" },
    { BREAK_TOKENS_TYPE, "tokenizer.ggml.tokens is not an array of strings" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ember_error error = { 0 };
      ember_tokenizer *tok = (ember_tokenizer *) &error;

      g_assert_cmpint (make_bpe (cases[i].how, &tok, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
      g_assert_null (tok);
      if (strstr (error.message, cases[i].message) == NULL)
        g_error ("case %zu: “%s” does not say “%s”", i, error.message, cases[i].message);
    }
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
  g_test_add_func ("/engine/tokenizer/round-trips", test_round_trips);
  g_test_add_func ("/engine/tokenizer/special-tokens", test_special_tokens);
  g_test_add_func ("/engine/tokenizer/detokenizer", test_detokenizer);
  g_test_add_func ("/engine/tokenizer/synthetic-bpe", test_synthetic_bpe);
  g_test_add_func ("/engine/tokenizer/broken-vocab", test_broken_vocab);

  return g_test_run ();
}
