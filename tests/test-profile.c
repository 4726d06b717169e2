/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Profiles (app/profiles/hearth-profile.c): the Modelfile of Ollama's
 * tutorial made into a profile over a base that has layers of its own (as a
 * model pulled from Ollama's registry has), with Ollama's progress lines;
 * exported as a Modelfile that makes the same manifest again; written as
 * `ollama show --modelfile` writes it; FROM a GGUF file; listed with a
 * summary; and everything refused before anything is written.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-profile.h"
#include "test-models.h"

static const char tutorial[] =
  "FROM llama3.2\n"
  "# set the temperature to 1 [higher is more creative, lower is more coherent]\n"
  "PARAMETER temperature 1\n"
  "\n"
  "# set the system message\n"
  "SYSTEM \"\"\"\n"
  "You are Mario from Super Mario Bros. Answer as Mario, the assistant, only.\n"
  "\"\"\"\n";

static char *tmp_dir;

static char *
make_gguf (const char *file,
           guint64     seed)
{
  hearth_test_model m;
  char *path = g_build_filename (tmp_dir, file, NULL);
  ember_error error = { 0 };

  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  m.seed = seed;
  g_assert_cmpint (hearth_test_model_write (&m, path, &error), ==, EMBER_OK);
  return path;
}

static HearthStore *
new_store (const char *name)
{
  g_autofree char *root = g_build_filename (tmp_dir, name, NULL);

  return hearth_store_new (root);
}

/* "llama3.2" as a pull from Ollama's registry leaves it: the weights,
 * a template, stop strings and a license, made from no other model. */
static void
add_base (HearthStore *store)
{
  g_autofree char *gguf = make_gguf ("base.gguf", 7);
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = NULL;
  static const char *const stop[] = { "<|eot_id|>", "<|start_header_id|>", NULL };

  digest = hearth_store_add_blob_file (store, gguf, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (layers->params, hearth_ollama_param_new_strings ("stop", stop));
  g_ptr_array_add (layers->params, hearth_ollama_param_new_float32 ("temperature", 0.6f));
  layers->template = g_strdup ("{{ if .System }}<|system|>{{ .System }}{{ end }}{{ .Prompt }}");
  g_ptr_array_add (layers->licenses, g_strdup ("LLAMA 3.2 COMMUNITY LICENSE"));
  g_assert_true (hearth_model_layers_write (store, "llama3.2", digest, layers, &error));
  g_assert_no_error (error);
}

static char *
manifest_text (HearthStore *store,
               const char  *name_text)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, NULL);
  g_autofree char *path = hearth_model_name_manifest_path (name, hearth_store_get_root (store));
  char *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
  return data;
}

static guint
count_files (HearthStore *store,
             const char  *folder)
{
  g_autofree char *dir = g_build_filename (hearth_store_get_root (store), folder, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
collect (const char *status,
         gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strdup (status));
}

static const HearthOllamaParam *
find_param (const HearthModelLayers *layers,
            const char              *name)
{
  for (guint i = 0; i < layers->params->len; i++)
    if (g_str_equal (((HearthOllamaParam *) layers->params->pdata[i])->name, name))
      return layers->params->pdata[i];
  return NULL;
}

/* A number of the params layer (JSON does not say int or float: 1 reads
 * back as an integer, as Go's any holds a float64 either way). */
static double
number (const HearthOllamaParam *p)
{
  g_assert_nonnull (p);
  g_assert_true (p->type == HEARTH_OLLAMA_VALUE_INT || p->type == HEARTH_OLLAMA_VALUE_FLOAT);
  return p->type == HEARTH_OLLAMA_VALUE_INT ? (double) p->i : p->f;
}

static void
test_tutorial (void)
{
  g_autoptr (HearthStore) store = new_store ("tutorial");
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (HearthModelfile) exported = NULL;
  g_autoptr (HearthModelfile) reread = NULL;
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) profiles = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  const HearthProfileInfo *info;
  guint used = 0, made = 0;

  add_base (store);
  modelfile = hearth_modelfile_parse (tutorial, -1, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_profile_create (store, "mario", modelfile, collect, lines, NULL, &error));
  g_assert_no_error (error);

  /* Ollama's lines: the base's four layers used, the params and system
   * prompt new */
  g_assert_cmpuint (lines->len, >=, 4);
  g_assert_cmpstr (lines->pdata[0], ==, "gathering model components");
  g_assert_cmpstr (lines->pdata[lines->len - 2], ==, "writing manifest");
  g_assert_cmpstr (lines->pdata[lines->len - 1], ==, "success");
  for (guint i = 1; i + 2 < lines->len; i++)
    {
      if (g_str_has_prefix (lines->pdata[i], "using existing layer sha256:"))
        used++;
      else if (g_str_has_prefix (lines->pdata[i], "creating new layer sha256:"))
        made++;
      else
        g_assert_not_reached ();
    }
  g_assert_cmpuint (used, ==, 3); /* weights, template, license */
  g_assert_cmpuint (made, ==, 2); /* params (merged), system */

  layers = hearth_model_layers_read (store, "mario", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (layers->system, ==,
                   "\nYou are Mario from Super Mario Bros. Answer as Mario, the assistant, only.\n");
  g_assert_cmpfloat (number (find_param (layers, "temperature")), ==, 1.0);
  g_assert_nonnull (find_param (layers, "stop")); /* the base's, kept */
  g_assert_nonnull (layers->template);
  g_assert_cmpuint (layers->licenses->len, ==, 1);

  base = hearth_profile_get_base (store, "mario", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (base, ==, "llama3.2:latest");
  g_clear_pointer (&base, g_free);
  g_assert_null (hearth_profile_get_base (store, "llama3.2", &error));
  g_assert_no_error (error);

  /* the list: the profile, not its base; the summary says what it sets
   * over the base (not the base's stop strings) */
  profiles = hearth_profile_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (profiles->len, ==, 1);
  info = profiles->pdata[0];
  g_assert_cmpstr (info->name, ==, "mario:latest");
  g_assert_cmpstr (info->base, ==, "llama3.2:latest");
  g_assert_nonnull (strstr (info->summary, "temperature 1"));
  g_assert_nonnull (strstr (info->summary, "You are Mario from Super Mario Bros. An"));
  g_assert_null (strstr (info->summary, "stop"));

  /* exported: FROM the base, what the tutorial said and nothing else */
  exported = hearth_profile_to_modelfile (store, "mario", HEARTH_PROFILE_FROM_BASE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exported->from, ==, "llama3.2:latest");
  g_assert_cmpstr (exported->system, ==, modelfile->system);
  g_assert_null (exported->template_text);
  g_assert_cmpuint (exported->parameters->len, ==, 1);
  g_assert_cmpstr (hearth_modelfile_get_parameter (exported, "temperature"), ==, "1");
  g_assert_cmpuint (exported->licenses->len, ==, 0);
  g_assert_cmpuint (exported->messages->len, ==, 0);

  /* … and read back, the same manifest, byte for byte */
  text = hearth_modelfile_to_string (exported);
  reread = hearth_modelfile_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_profile_create (store, "mario-again", reread, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  first = manifest_text (store, "mario");
  again = manifest_text (store, "mario-again");
  g_assert_cmpstr (first, ==, again);
  g_clear_pointer (&reread, hearth_modelfile_free);
  g_clear_pointer (&text, g_free);

  /* as `ollama show --modelfile`: FROM the weights, every layer */
  g_clear_pointer (&exported, hearth_modelfile_free);
  exported = hearth_profile_to_modelfile (store, "mario", HEARTH_PROFILE_FROM_WEIGHTS, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (exported->from, hearth_store_get_root (store)));
  g_assert_true (g_path_is_absolute (exported->from));
  g_assert_nonnull (exported->template_text);
  g_assert_cmpuint (exported->licenses->len, ==, 1);
  g_assert_cmpuint (exported->parameters->len, ==, 3); /* 2 stop lines, temperature */
  text = hearth_modelfile_to_string (exported);
  g_assert_nonnull (strstr (text, "# FROM mario\n"));
  reread = hearth_modelfile_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_profile_create (store, "mario-weights", reread, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr (HearthModelLayers) copy = hearth_model_layers_read (store, "mario-weights", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (copy->system, ==, layers->system);
    g_assert_cmpstr (copy->template, ==, layers->template);
    g_assert_cmpuint (copy->params->len, ==, layers->params->len);
    g_assert_cmpfloat (number (find_param (copy, "temperature")), ==, 1.0);
  }

  /* removing the profile keeps its base */
  g_assert_true (hearth_store_remove (store, "mario", NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&layers, hearth_model_layers_free);
  layers = hearth_model_layers_read (store, "llama3.2", &error);
  g_assert_no_error (error);
  {
    g_autofree char *weights = hearth_store_get_model_path (store, "llama3.2", &error);

    g_assert_no_error (error);
    g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  }
}

/* A profile made FROM a GGUF file: the file as a blob of its own, no
 * model named after it alone, and no "from" on its weights (as Ollama). */
static void
test_from_file (void)
{
  g_autoptr (HearthStore) store = new_store ("from-file");
  g_autofree char *gguf = make_gguf ("own.gguf", 11);
  g_autofree char *folder = g_build_filename (tmp_dir, "modelfiles", NULL);
  g_autofree char *path = g_build_filename (folder, "Modelfile", NULL);
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (HearthModelfile) shown = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GPtrArray) profiles = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, "FROM ../own.gguf\nSYSTEM Be brief.\n", -1, NULL));
  modelfile = hearth_modelfile_parse_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_profile_create (store, "brief", modelfile, collect, lines, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (lines->pdata[1], "copying file sha256:"));
  g_assert_true (g_str_has_suffix (lines->pdata[1], " 100%"));

  models = hearth_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 1);
  g_assert_cmpstr (((HearthStoreModel *) models->pdata[0])->name, ==, "brief:latest");
  text = manifest_text (store, "brief");
  g_assert_null (strstr (text, "\"from\""));
  g_assert_null (hearth_profile_get_base (store, "brief", &error));
  g_assert_no_error (error);
  profiles = hearth_profile_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (profiles->len, ==, 0);

  /* exported FROM its weights: it has no base to name */
  shown = hearth_profile_to_modelfile (store, "brief", HEARTH_PROFILE_FROM_BASE, &error);
  g_assert_no_error (error);
  g_assert_true (g_path_is_absolute (shown->from));
  g_assert_cmpstr (shown->system, ==, "Be brief.");

  /* the same file again: the blob is shared */
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (hearth_profile_create (store, "brief2", modelfile, collect, lines, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 2; i + 2 < lines->len; i++)
    g_assert_true (g_str_has_prefix (lines->pdata[i], "using existing layer"));
}

static void
expect_refused (HearthStore *store,
                const char  *name,
                const char  *text,
                GQuark       domain,
                int          code,
                const char  *words)
{
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;
  guint blobs = count_files (store, "blobs");
  g_autoptr (GPtrArray) models = hearth_store_list (store, NULL);

  modelfile = hearth_modelfile_parse (text, -1, &error);
  g_assert_no_error (error);
  g_assert_false (hearth_profile_create (store, name, modelfile, NULL, NULL, NULL, &error));
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, words));
  g_assert_cmpuint (count_files (store, "blobs"), ==, blobs);
  {
    g_autoptr (GPtrArray) after = hearth_store_list (store, NULL);

    g_assert_cmpuint (after->len, ==, models->len);
  }
}

static void
test_refused (void)
{
  g_autoptr (HearthStore) store = new_store ("refused");
  g_autofree char *not_gguf = g_build_filename (tmp_dir, "notes.txt", NULL);
  g_autofree char *from_text = g_strdup_printf ("FROM %s\n", not_gguf);
  g_autoptr (HearthModelfile) modelfile = hearth_modelfile_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autoptr (GError) error = NULL;

  add_base (store);
  g_assert_true (g_file_set_contents (not_gguf, "not a model\n", -1, NULL));

  expect_refused (store, "bad name!", tutorial, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                  "bad name!");
  expect_refused (store, "p", "FROM llama9\n", HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                  "hearth pull llama9");
  expect_refused (store, "p", "FROM ./nowhere.gguf\n", HEARTH_STORE_ERROR,
                  HEARTH_STORE_ERROR_NOT_FOUND, "no such file");
  expect_refused (store, "p", from_text, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                  "notes.txt");
  expect_refused (store, "p", "FROM llama3.2\nDRAFT llama3.2\n", HEARTH_MODELFILE_ERROR,
                  HEARTH_MODELFILE_ERROR_UNSUPPORTED, "DRAFT");

  /* made in code: checked as a Modelfile is */
  g_assert_false (hearth_profile_create (store, "p", modelfile, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  modelfile->from = g_strdup ("llama3.2");
  hearth_modelfile_add_parameter (modelfile, "temperature", "warm");
  g_assert_false (hearth_profile_create (store, "p", modelfile, NULL, NULL, NULL, &error));
  g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER);
  g_assert_nonnull (strstr (error->message, "temperature"));
  g_clear_error (&error);

  /* Ollama's deprecated parameters: left out, and said */
  g_clear_pointer (&modelfile, hearth_modelfile_free);
  modelfile = hearth_modelfile_parse ("FROM llama3.2\nPARAMETER penalize_newline true\n"
                                      "PARAMETER top_k 20\nPARAMETER stop a\nPARAMETER stop b\n",
                                      -1, &error);
  g_assert_no_error (error);
  layers = hearth_profile_layers_from_modelfile (modelfile, warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (warnings->pdata[0], "penalize_newline"));
  g_assert_cmpuint (layers->params->len, ==, 2);
  g_assert_null (find_param (layers, "penalize_newline"));
  g_assert_cmpint (find_param (layers, "top_k")->i, ==, 20);
  g_assert_cmpstr (find_param (layers, "stop")->strv[1], ==, "b");
}

static void
test_summary_and_values (void)
{
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();
  g_autofree char *summary = NULL;
  g_autofree char *empty = NULL;
  static const char *const stop[] = { "A:", "B:", NULL };
  g_autoptr (HearthOllamaParam) t = hearth_ollama_param_new_float32 ("temperature", 0.7f);
  g_autoptr (HearthOllamaParam) k = hearth_ollama_param_new_int ("top_k", -3);
  g_autoptr (HearthOllamaParam) s = hearth_ollama_param_new_strings ("stop", stop);
  g_autoptr (HearthOllamaParam) b = hearth_ollama_param_new_bool ("numa", TRUE);
  g_auto (GStrv) tv = hearth_profile_param_values (t);
  g_auto (GStrv) kv = hearth_profile_param_values (k);
  g_auto (GStrv) sv = hearth_profile_param_values (s);
  g_auto (GStrv) bv = hearth_profile_param_values (b);

  g_assert_cmpstr (tv[0], ==, "0.7");
  g_assert_null (tv[1]);
  g_assert_cmpstr (kv[0], ==, "-3");
  g_assert_cmpuint (g_strv_length (sv), ==, 2);
  g_assert_cmpstr (sv[1], ==, "B:");
  g_assert_cmpstr (bv[0], ==, "true");

  empty = hearth_profile_summary (layers);
  g_assert_cmpstr (empty, ==, "");

  /* 40 characters of the system prompt (characters, not bytes), on one
   * line */
  layers->system = g_strdup ("  你是一位耐心的老师，用简单的话回答孩子们的问题。\n"
                             "每个回答不超过三句话，并且总是以一个问题结束，让孩子继续思考。");
  g_ptr_array_add (layers->params, hearth_ollama_param_copy (t));
  g_ptr_array_add (layers->messages, hearth_ollama_message_new ("user", "hi"));
  g_ptr_array_add (layers->messages, hearth_ollama_message_new ("assistant", "hello"));
  summary = hearth_profile_summary (layers);
  g_assert_true (g_utf8_validate (summary, -1, NULL));
  g_assert_null (strchr (summary, '\n'));
  g_assert_true (g_str_has_prefix (summary, "“你是一位耐心的老师，用简单的话回答孩子们的问题。 每个回答不超过三句话，并且总是…”"));
  g_assert_nonnull (strstr (summary, "总是…” · temperature 0.7 · 2 example messages"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-profile-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/profile/tutorial", test_tutorial);
  g_test_add_func ("/profile/from-file", test_from_file);
  g_test_add_func ("/profile/refused", test_refused);
  g_test_add_func ("/profile/summary-and-values", test_summary_and_values);
  status = g_test_run ();
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf \"%s\"", tmp_dir);

    g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  }
  g_free (tmp_dir);
  return status;
}
