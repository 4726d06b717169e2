/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine wrappers of app/engine/ that the CLI and the store use:
 * HearthGguf (files good, damaged and not models), HearthTokenizer,
 * HearthChatTemplate with its variables, and the device list.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-chat-template.h"
#include "hearth-devices.h"
#include "hearth-gguf.h"
#include "hearth-tokenizer.h"
#include "test-models.h"

static char *tmp_dir;
static char *tiny_path;

static const char *
tiny_model (void)
{
  if (tiny_path == NULL)
    {
      hearth_test_model m;
      ember_error error = { 0 };

      g_assert_true (hearth_test_model_preset (&m, "tiny"));
      m.seed = 7;
      tiny_path = g_build_filename (tmp_dir, "tiny.gguf", NULL);
      g_assert_cmpint (hearth_test_model_write (&m, tiny_path, &error), ==, EMBER_OK);
    }
  return tiny_path;
}

/* ---- HearthGguf -------------------------------------------------------------- */

static void
test_gguf_bad_files (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.gguf", NULL);
  g_autofree char *junk = g_build_filename (tmp_dir, "junk.gguf", NULL);
  g_autofree char *cut = g_build_filename (tmp_dir, "cut.gguf", NULL);
  g_autofree char *data = NULL;
  gsize size = 0;
  g_autoptr (GError) error = NULL;
  HearthGguf *gguf;

  /* each error names the file, in the engine's words */
  gguf = hearth_gguf_open (missing, &error);
  g_assert_null (gguf);
  g_assert_error (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (junk, "this is no model, only words", -1, NULL));
  gguf = hearth_gguf_open (junk, &error);
  g_assert_null (gguf);
  g_assert_error (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, junk));
  g_clear_error (&error);

  /* a real file cut short */
  g_assert_true (g_file_get_contents (tiny_model (), &data, &size, NULL));
  g_assert_true (g_file_set_contents (cut, data, (gssize) (size / 2), NULL));
  gguf = hearth_gguf_open (cut, &error);
  g_assert_null (gguf);
  g_assert_error (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, cut));
}

static void
test_gguf_not_a_model (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "vocab-only.gguf", NULL);
  const char *const tokens[] = { "<unk>", "<s>", "</s>", "a" };
  ember_gguf_writer *w = ember_gguf_writer_new ();
  ember_error e = { 0 };
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *bos = NULL;

  ember_gguf_writer_add_string (w, "tokenizer.ggml.model", "llama");
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens", tokens, G_N_ELEMENTS (tokens));
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.bos_token_id", 1);
  ember_gguf_writer_add_uint32 (w, "tokenizer.ggml.eos_token_id", 9);
  g_assert_cmpint (ember_gguf_writer_write_file (w, path, &e), ==, EMBER_OK);
  ember_gguf_writer_free (w);

  gguf = hearth_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hearth_gguf_get_path (gguf), ==, path);
  g_assert_cmpuint (hearth_gguf_get_n_tensors (gguf), ==, 0);
  g_assert_null (hearth_gguf_get_model_info (gguf, &error));
  g_assert_error (error, HEARTH_GGUF_ERROR, HEARTH_GGUF_ERROR_NOT_A_MODEL);
  g_assert_nonnull (strstr (error->message, "general.architecture"));

  /* typed getters: absent keys, kinds that differ, ids out of range */
  g_assert_true (hearth_gguf_has_key (gguf, "tokenizer.ggml.model"));
  g_assert_false (hearth_gguf_has_key (gguf, "general.architecture"));
  g_assert_null (hearth_gguf_get_string (gguf, "tokenizer.ggml.bos_token_id", NULL));
  g_assert_false (hearth_gguf_get_uint (gguf, "tokenizer.ggml.model", NULL));
  bos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.bos_token_id");
  g_assert_cmpstr (bos, ==, "<s>");
  g_assert_null (hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.eos_token_id"));
  g_assert_null (hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.unknown_token_id"));
  g_assert_null (hearth_gguf_get_string_array_item (gguf, "tokenizer.ggml.tokens", 4, NULL));
}

static char *
value_json (HearthGguf *gguf,
            const char *key,
            guint64     max_array)
{
  for (guint64 i = 0; i < hearth_gguf_get_n_metadata (gguf); i++)
    if (g_str_equal (hearth_gguf_get_key (gguf, i), key))
      {
        g_autoptr (JsonNode) node = hearth_gguf_dup_value_json (gguf, i, max_array);

        return json_to_string (node, FALSE);
      }
  g_assert_not_reached ();
}

static void
test_gguf_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthGguf) gguf = hearth_gguf_open (tiny_model (), &error);
  g_autofree char *arch = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *bos = NULL;
  const HearthModelInfo *info;
  HearthGgufTensor t;
  GStatBuf st;
  guint64 elements = 0, n_vocab = 0;
  gsize length = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (hearth_gguf_get_version (gguf), ==, 3);
  g_assert_cmpint (g_stat (tiny_model (), &st), ==, 0);
  g_assert_cmpuint (hearth_gguf_get_file_size (gguf), ==, (guint64) st.st_size);

  g_assert_cmpstr (hearth_gguf_get_string (gguf, "general.architecture", &length), ==, "llama");
  g_assert_cmpuint (length, ==, 5);
  arch = value_json (gguf, "general.architecture", 0);
  g_assert_cmpstr (arch, ==, "\"llama\"");
  for (guint64 i = 0; i < hearth_gguf_get_n_metadata (gguf); i++)
    if (g_str_equal (hearth_gguf_get_key (gguf, i), "tokenizer.ggml.tokens"))
      g_assert_cmpstr (hearth_gguf_get_value_type_name (gguf, i), ==, "array");
  g_assert_true (hearth_gguf_get_uint (gguf, "llama.block_count", &n_vocab));
  g_assert_cmpuint (n_vocab, ==, 2);

  /* long arrays summarised on request */
  summary = value_json (gguf, "tokenizer.ggml.tokens", 64);
  g_assert_true (g_str_has_prefix (summary, "{\"type\":\"array\",\"element_type\":\"string\",\"count\":"));
  {
    g_autofree char *scores = value_json (gguf, "tokenizer.ggml.scores", 0);

    g_assert_true (g_str_has_prefix (scores, "[0"));
  }

  bos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.bos_token_id");
  g_assert_cmpstr (bos, ==, hearth_gguf_get_string_array_item (gguf, "tokenizer.ggml.tokens", 1, NULL));

  g_assert_cmpuint (hearth_gguf_get_n_tensors (gguf), >, 0);
  for (guint64 i = 0; hearth_gguf_get_tensor (gguf, i, &t); i++)
    {
      guint64 n = 1;

      g_assert_nonnull (t.name);
      g_assert_nonnull (t.type_name);
      g_assert_cmpuint (t.n_dims, >=, 1);
      for (guint d = 0; d < t.n_dims; d++)
        n *= t.shape[d];
      g_assert_cmpuint (n, ==, t.n_elements);
      g_assert_cmpuint (t.size, >, 0);
      elements += t.n_elements;
    }
  g_assert_false (hearth_gguf_get_tensor (gguf, hearth_gguf_get_n_tensors (gguf), &t));

  info = hearth_gguf_get_model_info (gguf, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->architecture, ==, "llama");
  g_assert_cmpuint (info->parameter_count, ==, elements);
  g_assert_nonnull (info->parameter_label);
  g_assert_nonnull (info->file_type);
  g_assert_cmpuint (info->block_count, ==, 2);
  g_assert_cmpuint (info->embedding_length, ==, 64);
  g_assert_cmpuint (info->n_types, >, 0);
  g_assert_nonnull (info->types[0].type_name);
  g_assert_true (info->chat_template == hearth_gguf_get_string (gguf, "tokenizer.chat_template", NULL));
  g_assert_true (hearth_gguf_get_model_info (gguf, NULL) == info);
}

/* ---- HearthTokenizer ------------------------------------------------------------ */

static void
test_tokenizer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthGguf) gguf = hearth_gguf_open (tiny_model (), &error);
  g_autoptr (HearthTokenizer) tok = NULL;
  g_autoptr (GArray) with = NULL;
  g_autoptr (GArray) without = NULL;
  g_autoptr (GArray) empty = NULL;
  const char *text;

  g_assert_no_error (error);
  tok = hearth_tokenizer_new (gguf, &error);
  g_assert_no_error (error);
  /* the tokenizer keeps nothing of the file */
  g_clear_pointer (&gguf, hearth_gguf_unref);

  g_assert_cmpint (hearth_tokenizer_get_bos (tok), ==, 1);
  g_assert_true (hearth_tokenizer_get_add_bos (tok));
  text = hearth_tokenizer_get_token_text (tok, 1, NULL);
  g_assert_nonnull (text);
  g_assert_null (hearth_tokenizer_get_token_text (tok, (gint32) hearth_tokenizer_get_n_vocab (tok), NULL));

  with = hearth_tokenizer_encode (tok, "hello world", -1, HEARTH_TOKENIZE_ADD_SPECIAL, &error);
  g_assert_no_error (error);
  without = hearth_tokenizer_encode (tok, "hello world", -1,
                                     HEARTH_TOKENIZE_ADD_SPECIAL | HEARTH_TOKENIZE_NO_BOS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (with->len, >, 1);
  g_assert_cmpint (g_array_index (with, gint32, 0), ==, 1);
  g_assert_cmpuint (without->len, ==, with->len - 1);
  g_assert_cmpmem (without->data, without->len * sizeof (gint32),
                   with->data + sizeof (gint32), without->len * sizeof (gint32));

  empty = hearth_tokenizer_encode (tok, "", 0, HEARTH_TOKENIZE_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_tokenizer_bad_vocabulary (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "no-vocab.gguf", NULL);
  ember_gguf_writer *w = ember_gguf_writer_new ();
  ember_error e = { 0 };
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) error = NULL;

  ember_gguf_writer_add_string (w, "general.architecture", "llama");
  g_assert_cmpint (ember_gguf_writer_write_file (w, path, &e), ==, EMBER_OK);
  ember_gguf_writer_free (w);
  gguf = hearth_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_null (hearth_tokenizer_new (gguf, &error));
  g_assert_error (error, HEARTH_TOKENIZER_ERROR, HEARTH_TOKENIZER_ERROR_VOCABULARY);
  g_assert_cmpstr (error->message, !=, "");
}

/* ---- HearthChatTemplate ----------------------------------------------------------- */

static void
test_chat_template (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatTemplate) t = NULL;
  g_autoptr (HearthTemplateVars) chat = hearth_template_vars_new_for_chat ("<s>", NULL);
  g_autoptr (HearthTemplateVars) json = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  t = hearth_chat_template_new ("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }};"
                                "{% endfor %}{% if add_generation_prompt %}>{% endif %}{{ eos_token }}",
                                -1, &error);
  g_assert_no_error (error);

  hearth_template_vars_add_message (chat, "system", "be brief");
  hearth_template_vars_add_message (chat, "user", "hi");
  text = hearth_chat_template_render (t, chat, 0, 0, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "<s>system:be brief;user:hi;>");
  g_assert_cmpuint (length, ==, strlen (text));

  /* variables from JSON, with a BOS given only where it is absent */
  json = hearth_template_vars_new_from_json ("{\"messages\": [{\"role\": \"user\", \"content\": \"1\"}], "
                                             "\"bos_token\": \"[B]\"}", -1, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_template_vars_has (json, "bos_token"));
  g_assert_false (hearth_template_vars_has (json, "eos_token"));
  hearth_template_vars_set_string (json, "eos_token", "[E]");
  hearth_template_vars_add_message (json, "assistant", "2");
  again = hearth_chat_template_render (t, json, 0, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, "[B]user:1;assistant:2;[E]");

  /* the date pinned */
  {
    g_autoptr (HearthChatTemplate) date = hearth_chat_template_new ("{{ strftime_now('%Y') }}", -1, &error);
    g_autofree char *year = NULL;

    g_assert_no_error (error);
    year = hearth_chat_template_render (date, NULL, 1705320000, 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (year, ==, "2024");
  }

  g_assert_nonnull (strstr (hearth_chat_template_get_default_source (), "<|im_start|>"));
}

static void
test_chat_template_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthChatTemplate) raises = NULL;
  g_autoptr (HearthChatTemplate) big = NULL;

  g_assert_null (hearth_chat_template_new ("{% if x %}\nno end", -1, &error));
  g_assert_error (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, "line"));
  g_clear_error (&error);

  raises = hearth_chat_template_new ("{{ raise_exception('no system role') }}", -1, &error);
  g_assert_no_error (error);
  g_assert_null (hearth_chat_template_render (raises, NULL, 0, 0, NULL, &error));
  g_assert_error (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_RENDER);
  g_assert_nonnull (strstr (error->message, "no system role"));
  g_clear_error (&error);

  /* the output limit holds */
  big = hearth_chat_template_new ("{% for i in range(1000) %}0123456789{% endfor %}", -1, &error);
  g_assert_no_error (error);
  g_assert_null (hearth_chat_template_render (big, NULL, 0, 100, NULL, &error));
  g_assert_error (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_RENDER);
  g_clear_error (&error);

  g_assert_null (hearth_template_vars_new_from_json ("{\"a\": ", -1, &error));
  g_assert_error (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_JSON);
  g_assert_nonnull (strstr (error->message, "line 1"));
  g_clear_error (&error);

  g_assert_null (hearth_template_vars_new_from_json ("[1, 2]", -1, &error));
  g_assert_error (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_NOT_OBJECT);
}

/* ---- devices ----------------------------------------------------------------------- */

static void
test_devices (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = hearth_devices_list (&error);
  guint chosen = G_MAXUINT;

  if (devices == NULL)
    {
      g_test_skip_printf ("no Vulkan: %s", error->message);
      return;
    }
  if (devices->len == 0)
    {
      g_test_skip ("no Vulkan device");
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      const HearthDevice *d = devices->pdata[i];

      g_assert_nonnull (d->name);
      g_assert_nonnull (d->type_name);
      g_assert_true (d->usable == (d->unusable_reason == NULL));
      g_assert_false (hearth_device_runs_backend (d, HEARTH_BACKEND_CPU));
      g_assert_true (hearth_device_runs_backend (d, HEARTH_BACKEND_VULKAN));
      g_assert_true (hearth_device_runs_backend (d, HEARTH_BACKEND_AUTO)
                     == !g_str_equal (d->type_name, "CPU"));
    }

  if (hearth_devices_choose (devices, NULL, &chosen, &error))
    {
      g_autofree char *index = g_strdup_printf ("%u", ((HearthDevice *) devices->pdata[chosen])->index);
      guint again = G_MAXUINT;

      g_assert_cmpuint (chosen, <, devices->len);
      g_assert_true (hearth_devices_choose (devices, index, &again, &error));
      g_assert_cmpuint (again, ==, chosen);
    }
  else
    g_clear_error (&error);

  g_assert_false (hearth_devices_choose (devices, "4096", &chosen, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == HEARTH_DEVICES_ERROR);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-wrapper-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/wrapper/gguf/bad-files", test_gguf_bad_files);
  g_test_add_func ("/wrapper/gguf/not-a-model", test_gguf_not_a_model);
  g_test_add_func ("/wrapper/gguf/model", test_gguf_model);
  g_test_add_func ("/wrapper/tokenizer", test_tokenizer);
  g_test_add_func ("/wrapper/tokenizer/bad-vocabulary", test_tokenizer_bad_vocabulary);
  g_test_add_func ("/wrapper/chat-template", test_chat_template);
  g_test_add_func ("/wrapper/chat-template/errors", test_chat_template_errors);
  g_test_add_func ("/wrapper/devices", test_devices);

  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmp_dir);
  }
  g_free (tiny_path);
  g_free (tmp_dir);
  return status;
}
