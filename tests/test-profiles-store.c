/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model's own layers in the store (app/profiles/hearth-model-layers.c):
 * a model derived from another written as `ollama create` writes it, read
 * back; its GGUF shared with the base, never copied; removals that keep
 * what the base uses; the same content the same blobs; damaged layers
 * refused with a message that names the model and the layer.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-model-layers.h"
#include "hearth-store.h"
#include "test-models.h"

static char *tmp_dir;

static char *
make_model (const char *file,
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

static guint
count_blobs (const char *root)
{
  g_autofree char *dir = g_build_filename (root, "blobs", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
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

static char *
blob_text (HearthStore *store,
           const char  *digest)
{
  g_autofree char *path = hearth_store_blob_path (store, digest, NULL);
  char *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
  return data;
}

static HearthModelLayers *
profile_layers (void)
{
  HearthModelLayers *l = hearth_model_layers_new ();
  static const char *const stop[] = { "<|im_end|>", "User:", NULL };

  g_ptr_array_add (l->params, hearth_ollama_param_new_float32 ("temperature", 0.7f));
  g_ptr_array_add (l->params, hearth_ollama_param_new_int ("num_ctx", 4096));
  g_ptr_array_add (l->params, hearth_ollama_param_new_strings ("stop", stop));
  l->system = g_strdup ("您是一个乐于助人的助手。 <b> & \"quotes\"");
  l->template = g_strdup ("{{ .System }}{{ .Prompt }}");
  g_ptr_array_add (l->messages, hearth_ollama_message_new ("user", "你好"));
  g_ptr_array_add (l->messages, hearth_ollama_message_new ("assistant", "Hi <there>"));
  g_ptr_array_add (l->licenses, g_strdup ("MIT License\n"));
  return l;
}

static void
test_write_read (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store", NULL);
  g_autofree char *gguf = make_model ("tiny.gguf", 1);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelLayers) in = profile_layers ();
  g_autoptr (HearthModelLayers) back = NULL;
  g_autoptr (HearthModelName) base_name = hearth_model_name_parse ("base", NULL);
  g_autoptr (HearthModelName) derived_name = hearth_model_name_parse ("derived", NULL);
  g_autoptr (JsonNode) base = NULL;
  g_autoptr (JsonNode) derived = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  g_autofree char *params = NULL;
  g_autofree char *messages = NULL;
  g_autofree char *config = NULL;
  g_autofree char *base_model = NULL;
  g_autofree char *derived_model = NULL;
  JsonArray *layers;
  guint blobs;
  static const char *const order[] = {
    "application/vnd.ollama.image.model", "application/vnd.ollama.image.template",
    "application/vnd.ollama.image.system", "application/vnd.ollama.image.license",
    "application/vnd.ollama.image.params", "application/vnd.ollama.image.messages",
  };

  g_assert_true (hearth_store_import (store, gguf, "base", FALSE, NULL, &error));
  g_assert_no_error (error);
  blobs = count_blobs (root);

  g_assert_true (hearth_model_layers_write (store, "derived", "base", in, &error));
  g_assert_no_error (error);

  /* the GGUF is the base's blob: no second copy */
  base_model = hearth_store_get_model_path (store, "base", NULL);
  derived_model = hearth_store_get_model_path (store, "derived", NULL);
  g_assert_cmpstr (base_model, ==, derived_model);

  /* the manifest as Ollama writes it: the base's layers marked "from",
   * then template, system, license, params, messages; a final newline */
  text = manifest_text (store, "derived");
  g_assert_true (g_str_has_prefix (text, "{\"schemaVersion\":2,\"mediaType\":"
                                   "\"application/vnd.docker.distribution.manifest.v2+json\","
                                   "\"config\":{\"mediaType\":"
                                   "\"application/vnd.docker.container.image.v1+json\","
                                   "\"digest\":\"sha256:"));
  g_assert_true (g_str_has_suffix (text, "}]}\n"));
  g_assert_nonnull (strstr (text, ",\"from\":\"base:latest\"}"));
  base = hearth_store_read_manifest (store, base_name, &error);
  g_assert_no_error (error);
  derived = hearth_store_read_manifest (store, derived_name, &error);
  g_assert_no_error (error);
  layers = json_object_get_array_member (json_node_get_object (derived), "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);

      g_assert_cmpstr (json_object_get_string_member (l, "mediaType"), ==, order[i]);
      g_assert_cmpint (json_object_has_member (l, "from"), ==, i == 0);
    }

  /* the blobs' bytes, as Go's encoding/json writes them */
  params = blob_text (store, json_object_get_string_member (
                                json_array_get_object_element (layers, 4), "digest"));
  g_assert_cmpstr (params, ==, "{\"num_ctx\":4096,\"stop\":[\"\\u003c|im_end|\\u003e\",\"User:\"],"
                               "\"temperature\":0.7}\n");
  messages = blob_text (store, json_object_get_string_member (
                                  json_array_get_object_element (layers, 5), "digest"));
  g_assert_cmpstr (messages, ==, "[{\"role\":\"user\",\"content\":\"你好\"},"
                                 "{\"role\":\"assistant\",\"content\":\"Hi \\u003cthere\\u003e\"}]\n");
  config = blob_text (store, json_object_get_string_member (
                                json_object_get_object_member (json_node_get_object (derived),
                                                               "config"), "digest"));
  g_assert_true (g_str_has_prefix (config, "{\"model_format\":\"gguf\",\"model_family\":"));
  g_assert_true (g_str_has_suffix (config, ",\"architecture\":\"amd64\",\"os\":\"linux\"}\n"));

  /* read back */
  back = hearth_model_layers_read (store, "derived", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->system, ==, in->system);
  g_assert_cmpstr (back->template, ==, in->template);
  g_assert_cmpuint (back->licenses->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (back->licenses, 0), ==, "MIT License\n");
  g_assert_cmpuint (back->messages->len, ==, 2);
  g_assert_cmpstr (((HearthOllamaMessage *) back->messages->pdata[1])->content, ==, "Hi <there>");
  g_assert_cmpuint (back->params->len, ==, 3);
  {
    HearthOllamaParam *num_ctx = back->params->pdata[0];
    HearthOllamaParam *stop = back->params->pdata[1];
    HearthOllamaParam *temperature = back->params->pdata[2];

    g_assert_cmpstr (num_ctx->name, ==, "num_ctx");
    g_assert_cmpint (num_ctx->type, ==, HEARTH_OLLAMA_VALUE_INT);
    g_assert_cmpint (num_ctx->i, ==, 4096);
    g_assert_cmpint (stop->type, ==, HEARTH_OLLAMA_VALUE_STRINGS);
    g_assert_cmpstr (stop->strv[0], ==, "<|im_end|>");
    g_assert_cmpint (temperature->type, ==, HEARTH_OLLAMA_VALUE_FLOAT);
    g_assert_cmpfloat (temperature->f, ==, 0.7);
  }

  /* the same content: the same blobs, the same manifest */
  g_assert_true (hearth_model_layers_write (store, "again", "base", in, &error));
  g_assert_no_error (error);
  text2 = manifest_text (store, "again");
  g_assert_cmpstr (text, ==, text2);
  /* derived: template, system, license, params, messages, config */
  g_assert_cmpuint (count_blobs (root), ==, blobs + 6);

  /* removing a derived model keeps what the base and the other use */
  g_assert_true (hearth_store_remove (store, "derived", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (base_model, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_blobs (root), ==, blobs + 6);
  g_clear_pointer (&back, hearth_model_layers_free);
  back = hearth_model_layers_read (store, "again", &error);
  g_assert_no_error (error);
  g_assert_true (hearth_store_remove (store, "again", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_blobs (root), ==, blobs);
  g_assert_true (g_file_test (base_model, G_FILE_TEST_EXISTS));
  g_clear_pointer (&back, hearth_model_layers_free);
  back = hearth_model_layers_read (store, "base", &error);
  g_assert_no_error (error);
}

static void
test_derive_twice (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-twice", NULL);
  g_autofree char *gguf = make_model ("tiny2.gguf", 2);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelLayers) first = profile_layers ();
  g_autoptr (HearthModelLayers) second = hearth_model_layers_new ();
  g_autoptr (HearthModelLayers) back = NULL;
  g_autoptr (HearthModelLayers) from_blob = NULL;
  g_autofree char *model = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *text = NULL;

  g_assert_true (hearth_store_import (store, gguf, "base", FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (hearth_model_layers_write (store, "first", "base", first, &error));
  g_assert_no_error (error);

  /* from "first": params merged (the new one wins), system kept,
   * licenses added */
  g_ptr_array_add (second->params, hearth_ollama_param_new_float32 ("temperature", 0.25f));
  g_ptr_array_add (second->params, hearth_ollama_param_new_bool ("use_mmap", FALSE));
  g_ptr_array_add (second->licenses, g_strdup ("second licence"));
  g_assert_true (hearth_model_layers_write (store, "ns/second:v1", "first", second, &error));
  g_assert_no_error (error);
  back = hearth_model_layers_read (store, "ns/second:v1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->system, ==, first->system);
  g_assert_cmpuint (back->licenses->len, ==, 2);
  g_assert_cmpstr (back->licenses->pdata[1], ==, "second licence");
  g_assert_cmpuint (back->params->len, ==, 4);
  g_assert_cmpstr (((HearthOllamaParam *) back->params->pdata[2])->name, ==, "temperature");
  g_assert_cmpfloat (((HearthOllamaParam *) back->params->pdata[2])->f, ==, 0.25);
  g_assert_cmpuint (back->messages->len, ==, 2);
  text = manifest_text (store, "ns/second:v1");
  g_assert_nonnull (strstr (text, "\"from\":\"first:latest\""));

  /* from a blob: only the GGUF, no "from" */
  model = hearth_store_get_model_path (store, "base", NULL);
  digest = g_strdup_printf ("sha256:%s", strrchr (model, '-') + 1);
  g_assert_true (hearth_model_layers_write (store, "loose", digest, second, &error));
  g_assert_no_error (error);
  from_blob = hearth_model_layers_read (store, "loose", &error);
  g_assert_no_error (error);
  g_assert_null (from_blob->system);
  g_assert_cmpuint (from_blob->params->len, ==, 2);
  g_clear_pointer (&text, g_free);
  text = manifest_text (store, "loose");
  g_assert_null (strstr (text, "\"from\""));

  /* a base that is not there */
  g_assert_false (hearth_model_layers_write (store, "x", "missing", second, &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hearth_model_layers_write (store, "x",
                                             "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                                             second, &error));
  g_assert_nonnull (error);
}

/* Model @name: the base's GGUF and one layer of @type holding @data. */
static void
write_bad (HearthStore *store,
           const char  *name_text,
           const char  *type,
           const char  *data,
           gsize        len,
           gint64       size)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *model = hearth_store_get_model_path (store, "base", NULL);
  g_autofree char *digest = hearth_store_write_blob (store, data, len, &error);
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (model, &st), ==, 0);
  text = g_strdup_printf ("{\"schemaVersion\":2,\"mediaType\":\"x\",\"layers\":["
                          "{\"mediaType\":\"application/vnd.ollama.image.model\","
                          "\"digest\":\"sha256:%s\",\"size\":%" G_GINT64_FORMAT "},"
                          "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%" G_GINT64_FORMAT
                          "}]}", strrchr (model, '-') + 1, (gint64) st.st_size, type, digest,
                          size >= 0 ? size : (gint64) len);
  bytes = g_bytes_new (text, strlen (text));
  g_assert_true (hearth_store_write_manifest_bytes (store, name, bytes, &error));
  g_assert_no_error (error);
}

static void
expect_bad (HearthStore *store,
            const char  *name,
            const char  *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_read (store, name, &error);

  g_assert_null (layers);
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT);
  if (strstr (error->message, what) == NULL || strstr (error->message, name) == NULL)
    g_error ("for %s: “%s” does not say “%s”", name, error->message, what);
}

static void
test_bad_layers (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-bad", NULL);
  g_autofree char *gguf = make_model ("tiny3.gguf", 3);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = g_malloc0 (HEARTH_MODEL_LAYERS_MAX_BYTES + 1);
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();

  g_assert_true (hearth_store_import (store, gguf, "base", FALSE, NULL, &error));
  g_assert_no_error (error);

  write_bad (store, "array", HEARTH_MEDIA_TYPE_PARAMS, "[1,2]", 5, -1);
  expect_bad (store, "array", "params layer of model “array:latest” is not a JSON object");
  write_bad (store, "garbage", HEARTH_MEDIA_TYPE_PARAMS, "{\"a\":", 5, -1);
  expect_bad (store, "garbage", "params layer of model “garbage:latest” is not JSON");
  write_bad (store, "wrong-type", HEARTH_MEDIA_TYPE_PARAMS, "{\"stop\":[1]}", 12, -1);
  expect_bad (store, "wrong-type", "“stop”");
  write_bad (store, "nested", HEARTH_MEDIA_TYPE_PARAMS, "{\"x\":{}}", 8, -1);
  expect_bad (store, "nested", "“x”");
  write_bad (store, "messages", HEARTH_MEDIA_TYPE_MESSAGES, "{}", 2, -1);
  expect_bad (store, "messages", "messages layer of model “messages:latest” is not a JSON array");
  write_bad (store, "message", HEARTH_MEDIA_TYPE_MESSAGES, "[{\"role\":1}]", 12, -1);
  expect_bad (store, "message", "message 1 of the messages layer");
  write_bad (store, "size", HEARTH_MEDIA_TYPE_SYSTEM, "hello", 5, 6);
  expect_bad (store, "size", "where its manifest says 6");
  write_bad (store, "huge", HEARTH_MEDIA_TYPE_TEMPLATE, huge, HEARTH_MODEL_LAYERS_MAX_BYTES + 1, -1);
  expect_bad (store, "huge", "template layer of model “huge:latest” is too large");
  write_bad (store, "nul", HEARTH_MEDIA_TYPE_PARAMS, "{}\0", 3, -1);
  expect_bad (store, "nul", "NUL");
  write_bad (store, "gone", HEARTH_MEDIA_TYPE_LICENSE, "gone", 4, -1);
  {
    g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "gone", -1);
    g_autofree char *digest = g_strdup_printf ("sha256:%s", hex);
    g_autofree char *blob = hearth_store_blob_path (store, digest, NULL);

    g_assert_cmpint (g_unlink (blob), ==, 0);
  }
  expect_bad (store, "gone", "license layer of model “gone:latest” is missing");

  /* a derived model of a base with a bad params layer: the error, no model */
  g_ptr_array_add (layers->params, hearth_ollama_param_new_int ("num_ctx", 1));
  g_assert_false (hearth_model_layers_write (store, "child", "array", layers, &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not a JSON object"));
  g_clear_error (&error);
  {
    g_autoptr (HearthModelName) child = hearth_model_name_parse ("child", NULL);
    g_autoptr (JsonNode) m = hearth_store_read_manifest (store, child, &error);

    g_assert_null (m);
    g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-profiles-store-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/profiles-store/write-read", test_write_read);
  g_test_add_func ("/profiles-store/derive-twice", test_derive_twice);
  g_test_add_func ("/profiles-store/bad-layers", test_bad_layers);
  status = g_test_run ();
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf \"%s\"", tmp_dir);

    g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  }
  return status;
}
