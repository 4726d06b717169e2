/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model store: names as Ollama parses them (and the ones that could
 * leave the store refused), Ollama's layout on disk, import by copy and by
 * link, copy, remove with its garbage collection.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "hearth-fit.h"
#include "hearth-library.h"
#include "hearth-ollama-template.h"
#include "hearth-catalogue.h"
#include "hearth-store.h"
#include "test-common.h"
#include "test-models.h"

static char *tmp_dir;

/* ---- names ----------------------------------------------------------------- */

static void
test_names (void)
{
  static const struct {
    const char *text, *full, *shown;
  } good[] = {
    { "qwen2.5:0.5b", "registry.ollama.ai/library/qwen2.5:0.5b", "qwen2.5:0.5b" },
    { "qwen2.5", "registry.ollama.ai/library/qwen2.5:latest", "qwen2.5:latest" },
    { "library/qwen2.5:latest", "registry.ollama.ai/library/qwen2.5:latest", "qwen2.5:latest" },
    { "hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M",
      "hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M",
      "hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M" },
    { "user/model:v1.2-q4_0", "registry.ollama.ai/user/model:v1.2-q4_0",
      "registry.ollama.ai/user/model:v1.2-q4_0" },
    { "localhost:8080/ns/m:t", "localhost:8080/ns/m:t", "localhost:8080/ns/m:t" },
    { "https://registry.ollama.ai/library/llama3:8b", "registry.ollama.ai/library/llama3:8b",
      "llama3:8b" },
    { "m:_tag", "registry.ollama.ai/library/m:_tag", "m:_tag" },
  };
  static const char *const bad[] = {
    "", "..", "../etc/passwd", "../../x:latest", "a/../b", "/abs", "/abs/path/model",
    "a/b/c/d", "model:", ":tag", "model:..", "model:.hidden", "mo del", "mo\\del", "m:t/x",
    ".hidden", "ns./m", "名字", "model:tag:extra", "a//b", "https://", "m:-t",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HearthModelName) name = hearth_model_name_parse (good[i].text, &error);
      g_autofree char *full = NULL;
      g_autofree char *shown = NULL;

      g_assert_no_error (error);
      full = hearth_model_name_to_full_string (name);
      shown = hearth_model_name_to_string (name);
      g_assert_cmpstr (full, ==, good[i].full);
      g_assert_cmpstr (shown, ==, good[i].shown);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HearthModelName) name = hearth_model_name_parse (bad[i], &error);

      if (name != NULL)
        g_error ("“%s” was accepted as a model name", bad[i]);
      g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME);
      g_assert_nonnull (strstr (error->message, "not a model name"));
    }

  /* the manifest path is Ollama's */
  {
    g_autoptr (HearthModelName) name = hearth_model_name_parse ("qwen2.5:0.5b", NULL);
    g_autofree char *path = hearth_model_name_manifest_path (name, "/root");

    g_assert_cmpstr (path, ==, "/root/manifests/registry.ollama.ai/library/qwen2.5/0.5b");
  }
}

/* ---- the store ------------------------------------------------------------- */

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

static char *
file_sha256 (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *hex = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  return g_strdup_printf ("sha256:%s", hex);
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

static void
test_import_list_copy_remove (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store", NULL);
  g_autofree char *gguf = make_model ("tiny.gguf", 1);
  g_autofree char *digest = file_sha256 (gguf);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (HearthModelName) name = hearth_model_name_parse ("tiny:q8", NULL);
  g_autoptr (JsonNode) manifest = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *path = NULL;
  JsonObject *o, *layer, *config;
  guint64 freed = 0;

  g_assert_true (hearth_store_import (store, gguf, "tiny:q8", FALSE, NULL, &error));
  g_assert_no_error (error);

  /* Ollama's layout: the manifest where Ollama looks, the blob named by
   * the file's SHA-256, a copy with the same bytes */
  path = g_build_filename (root, "manifests", "registry.ollama.ai", "library", "tiny", "q8", NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  blob = hearth_store_blob_path (store, digest, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (blob, G_FILE_TEST_IS_SYMLINK));
  {
    g_autofree char *copied = file_sha256 (blob);

    g_assert_cmpstr (copied, ==, digest);
  }
  manifest = hearth_store_read_manifest (store, name, &error);
  g_assert_no_error (error);
  o = json_node_get_object (manifest);
  g_assert_cmpint (json_object_get_int_member (o, "schemaVersion"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (o, "mediaType"), ==,
                   "application/vnd.docker.distribution.manifest.v2+json");
  layer = json_array_get_object_element (json_object_get_array_member (o, "layers"), 0);
  g_assert_cmpstr (json_object_get_string_member (layer, "mediaType"), ==,
                   "application/vnd.ollama.image.model");
  g_assert_cmpstr (json_object_get_string_member (layer, "digest"), ==, digest);
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (gguf, &st), ==, 0);
    g_assert_cmpint (json_object_get_int_member (layer, "size"), ==, st.st_size);
  }
  /* the config blob is what its digest says, and describes the model */
  config = json_object_get_object_member (o, "config");
  g_assert_cmpstr (json_object_get_string_member (config, "mediaType"), ==,
                   "application/vnd.docker.container.image.v1+json");
  {
    g_autofree char *config_path = hearth_store_blob_path (
      store, json_object_get_string_member (config, "digest"), NULL);
    g_autofree char *config_digest = file_sha256 (config_path);
    g_autofree char *text = NULL;

    g_assert_cmpstr (config_digest, ==, json_object_get_string_member (config, "digest"));
    g_assert_true (g_file_get_contents (config_path, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "\"model_format\":\"gguf\""));
    g_assert_nonnull (strstr (text, "\"model_family\":\"llama\""));
  }

  /* a second import under the same name is refused; a file that is not a
   * model is refused and leaves nothing behind */
  g_assert_false (hearth_store_import (store, gguf, "tiny:q8", FALSE, NULL, &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  {
    g_autofree char *junk = g_build_filename (tmp_dir, "junk.gguf", NULL);

    g_assert_true (g_file_set_contents (junk, "not a model", -1, NULL));
    g_assert_false (hearth_store_import (store, junk, "junk", FALSE, NULL, &error));
    g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT);
    /* the window shows it after "… was not imported:": the file named once */
    {
      g_autofree char *expected = g_strdup_printf ("%s: not a GGUF file (it does not start with "
                                                   "\"GGUF\")", junk);

      g_assert_cmpstr (error->message, ==, expected);
    }
    g_clear_error (&error);
    g_assert_false (hearth_store_import (store, gguf, "../escape", FALSE, NULL, &error));
    g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME);
    g_clear_error (&error);
  }
  g_assert_cmpuint (count_blobs (root), ==, 2);

  /* copy: a second name, the same blobs */
  g_assert_true (hearth_store_copy (store, "tiny:q8", "me/tiny-copy", &error));
  g_assert_no_error (error);
  g_assert_false (hearth_store_copy (store, "tiny:q8", "me/tiny-copy", &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (hearth_store_copy (store, "nothing", "other", &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  models = hearth_store_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 2);
  g_assert_cmpstr (((HearthStoreModel *) models->pdata[0])->name, ==,
                   "registry.ollama.ai/me/tiny-copy:latest");
  g_assert_cmpstr (((HearthStoreModel *) models->pdata[1])->name, ==, "tiny:q8");
  g_assert_cmpstr (((HearthStoreModel *) models->pdata[1])->model_path, ==, blob);
  g_assert_cmpuint (count_blobs (root), ==, 2);
  {
    g_autofree char *resolved = hearth_store_get_model_path (store, "me/tiny-copy", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (resolved, ==, blob);
  }

  /* remove: the blobs stay while the other name uses them */
  g_assert_true (hearth_store_remove (store, "tiny:q8", &freed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (freed, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR));
  g_assert_false (hearth_store_remove (store, "tiny:q8", NULL, &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "there is no model named “tiny:q8”"));
  g_clear_error (&error);

  /* the last name goes: so do its blobs, and the bytes are counted */
  g_assert_true (hearth_store_remove (store, "me/tiny-copy", &freed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (freed, >, 0);
  g_assert_cmpuint (count_blobs (root), ==, 0);
}

static void
test_import_link (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-link", NULL);
  g_autofree char *gguf = make_model ("linked.gguf", 2);
  g_autofree char *digest = file_sha256 (gguf);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autofree char *blob = NULL;
  g_autofree char *target = NULL;
  guint64 freed = 1;

  g_assert_true (hearth_store_import (store, gguf, "linked", TRUE, NULL, &error));
  g_assert_no_error (error);
  blob = hearth_store_blob_path (store, digest, NULL);
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_SYMLINK));
  target = g_file_read_link (blob, NULL);
  g_assert_cmpstr (target, ==, gguf);

  /* removing the model removes the link, never the user's file */
  g_assert_true (hearth_store_remove (store, "linked", &freed, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (gguf, G_FILE_TEST_IS_REGULAR));
}

/* Every entry of ROOT/blobs is a blob named by its digest: nothing half
 * written is left beside them. */
static void
assert_only_blobs (const char *root)
{
  g_autofree char *dir = g_build_filename (root, "blobs", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *file;

  g_assert_nonnull (d);
  while ((file = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_prefix (file, "sha256-") || strlen (file) != 7 + 64
          || strspn (file + 7, "0123456789abcdef") != 64)
        g_error ("%s/%s is not a blob", dir, file);
    }
}

/* The blob @digest is a file of its own (no link) whose bytes have that
 * SHA-256, and model @name loads from it. */
static void
assert_real_blob (HearthStore *store,
                  const char  *digest,
                  const char  *name)
{
  g_autofree char *blob = hearth_store_blob_path (store, digest, NULL);
  g_autofree char *got = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  ember_gguf *gguf = NULL;
  ember_error e = { 0 };

  g_assert_false (g_file_test (blob, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR));
  got = file_sha256 (blob);
  g_assert_cmpstr (got, ==, digest);
  path = hearth_store_get_model_path (store, name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ember_gguf_open (path, &gguf, &e), ==, EMBER_OK);
  ember_gguf_close (gguf);
}

/* A copy is a copy: importing by copy a file that another model has linked
 * replaces the link with the file's bytes (so moving the file breaks
 * nothing, for either model), and repairs a link whose file is gone; a link
 * import where the store has the bytes already keeps them. */
static void
test_import_copy_over_link (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-copy-over-link", NULL);
  g_autofree char *gguf = make_model ("moving.gguf", 4);
  g_autofree char *moved = g_build_filename (tmp_dir, "moved.gguf", NULL);
  g_autofree char *digest = file_sha256 (gguf);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autofree char *blob = hearth_store_blob_path (store, digest, NULL);

  g_assert_true (hearth_store_import (store, gguf, "linked", TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (hearth_store_import (store, gguf, "copied", FALSE, NULL, &error));
  g_assert_no_error (error);
  assert_real_blob (store, digest, "copied");
  assert_only_blobs (root);

  /* the user moves the file: both models still load */
  g_assert_cmpint (g_rename (gguf, moved), ==, 0);
  assert_real_blob (store, digest, "linked");
  assert_real_blob (store, digest, "copied");

  /* a link asked for where the bytes are in the store already: they stay */
  g_assert_true (hearth_store_import (store, moved, "linked-again", TRUE, NULL, &error));
  g_assert_no_error (error);
  assert_real_blob (store, digest, "linked-again");
  g_assert_true (hearth_store_remove (store, "linked", NULL, &error));
  g_assert_true (hearth_store_remove (store, "copied", NULL, &error));
  g_assert_true (hearth_store_remove (store, "linked-again", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));

  /* a link whose file was deleted: a copy import mends the model */
  g_assert_true (hearth_store_import (store, moved, "broken", TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (blob, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (g_rename (moved, gguf), ==, 0);
  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));   /* it dangles */
  g_assert_true (hearth_store_import (store, gguf, "mended", FALSE, NULL, &error));
  g_assert_no_error (error);
  assert_real_blob (store, digest, "broken");
  assert_only_blobs (root);
  g_unlink (gguf);
}

/* A manifest that cannot be read is skipped when listing, and keeps every
 * blob when another model is removed. */
static void
test_damaged_manifest (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-damaged", NULL);
  g_autofree char *gguf = make_model ("d.gguf", 3);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autofree char *bad = g_build_filename (root, "manifests", "registry.ollama.ai", "library",
                                           "broken", "latest", NULL);
  g_autofree char *bad_dir = g_path_get_dirname (bad);

  g_assert_true (hearth_store_import (store, gguf, "a", FALSE, NULL, &error));
  g_assert_true (hearth_store_copy (store, "a", "b", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (bad_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (bad, "{\"schemaVersion\": 2, \"layers\": [{}]}", -1, NULL));

  g_test_expect_message ("hearth-store", G_LOG_LEVEL_WARNING, "*manifest*damaged*");
  models = hearth_store_list (store, &error);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (models->len, ==, 2);

  g_assert_true (hearth_store_remove (store, "a", NULL, &error));
  g_assert_true (hearth_store_remove (store, "b", NULL, &error));
  g_assert_no_error (error);
  /* the damaged manifest might need them: the blobs stay */
  g_assert_cmpuint (count_blobs (root), ==, 2);
}

/* The digests @manifest names (config and layers), into @set. */
static void
add_digests_of (JsonNode   *manifest,
                GHashTable *set)
{
  JsonObject *o = json_node_get_object (manifest);
  JsonArray *layers = json_object_get_array_member (o, "layers");

  g_hash_table_add (set, g_strdup (json_object_get_string_member (
                           json_object_get_object_member (o, "config"), "digest")));
  for (guint i = 0; i < json_array_get_length (layers); i++)
    g_hash_table_add (set, g_strdup (json_object_get_string_member (
                             json_array_get_object_element (layers, i), "digest")));
}

/* Writes ROOT/blobs/@file (@text), last modified @age seconds ago. */
static void
put_blobs_file (const char *root,
                const char *file,
                const char *text,
                gint64      age)
{
  g_autofree char *path = g_build_filename (root, "blobs", file, NULL);
  struct utimbuf when = { time (NULL) - age, time (NULL) - age };

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (g_utime (path, &when), ==, 0);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* A removal leaves in blobs/ the blobs of the models that remain and the
 * files of the pulls in the Downloads list (.hearth-pulls), and removes
 * what nothing refers to: a config blob a failed pull left, the partial
 * and lock files of pulls nobody will go on with, a file pull's leftover;
 * not what is a few minutes old (an import may be about to write its
 * manifest), not a download that holds its lock, not files that are not
 * Hearth's. */
static void
test_prune (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-prune", NULL);
  g_autofree char *keep_gguf = make_model ("keep.gguf", 5);
  g_autofree char *gone_gguf = make_model ("gone.gguf", 6);
  g_autofree char *keep_digest = file_sha256 (keep_gguf);
  g_autofree char *gone_digest = file_sha256 (gone_gguf);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) keep_manifest = NULL;
  g_autoptr (HearthModelName) keep_name = hearth_model_name_parse ("keep", NULL);
  g_autoptr (GBytes) pulling_manifest = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *held_lock = NULL;
  /* digests of nothing in particular, each a different role */
  const char *pulled = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  const char *pulling = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
  guint64 freed = 0, would_free = 0;
  int fd;

  g_assert_true (hearth_store_import (store, keep_gguf, "keep", FALSE, NULL, &error));
  g_assert_true (hearth_store_import (store, gone_gguf, "gone", FALSE, NULL, &error));
  g_assert_no_error (error);
  keep_manifest = hearth_store_read_manifest (store, keep_name, &error);
  g_assert_no_error (error);

  /* a pull in the Downloads list: its finished config and its partial model */
  pulling_manifest = g_bytes_new_take (g_strdup_printf (
    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
    "\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
    "\"size\":100}]}", HEARTH_MEDIA_TYPE_MANIFEST, HEARTH_MEDIA_TYPE_CONFIG, pulled,
    HEARTH_MEDIA_TYPE_MODEL, pulling), 0);
  /* g_bytes_new_take () with 0 bytes keeps none: the text's own length */
  {
    gsize len = 0;
    char *text = g_bytes_unref_to_data (g_steal_pointer (&pulling_manifest), &len);

    pulling_manifest = g_bytes_new_take (text, strlen (text));
  }
  g_assert_true (hearth_store_pending_save (store, "other:1b", "other:1b", pulling_manifest, TRUE,
                                            &error));
  g_assert_no_error (error);
  put_blobs_file (root, "sha256-1111111111111111111111111111111111111111111111111111111111111111",
                  "{}", 3600);
  put_blobs_file (root, "sha256-2222222222222222222222222222222222222222222222222222222222222222"
                  ".partial", "half", 3600);
  put_blobs_file (root, "sha256-2222222222222222222222222222222222222222222222222222222222222222"
                  ".partial.json", "{}", 3600);

  /* what nothing refers to, an hour old: goes */
  put_blobs_file (root, "sha256-3333333333333333333333333333333333333333333333333333333333333333",
                  "{\"model_format\":\"gguf\"}", 3600);
  put_blobs_file (root, "sha256-4444444444444444444444444444444444444444444444444444444444444444"
                  ".partial", "half", 3600);
  put_blobs_file (root, "sha256-4444444444444444444444444444444444444444444444444444444444444444"
                  ".partial.json", "{}", 3600);
  put_blobs_file (root, "sha256-4444444444444444444444444444444444444444444444444444444444444444"
                  ".partial.lock", "", 3600);
  put_blobs_file (root, "sha256-5555555555555555555555555555555555555555555555555555555555555555"
                  ".partial.lock", "", 3600);
  put_blobs_file (root, "download-0123456789abcdef.partial", "half", 3600);
  put_blobs_file (root, "download-0123456789abcdef.partial.json", "{}", 3600);

  /* stays: a minute old, a download that holds its lock, not Hearth's */
  put_blobs_file (root, "sha256-6666666666666666666666666666666666666666666666666666666666666666",
                  "{}", 60);
  put_blobs_file (root, "sha256-7777777777777777777777777777777777777777777777777777777777777777"
                  ".partial", "half", 3600);
  put_blobs_file (root, "sha256-7777777777777777777777777777777777777777777777777777777777777777"
                  ".partial.lock", "", 3600);
  held_lock = g_build_filename (root, "blobs", "sha256-77777777777777777777777777777777777777777777"
                                "77777777777777777777.partial.lock", NULL);
  fd = g_open (held_lock, O_RDWR | O_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  put_blobs_file (root, "sha256-8888888888888888888888888888888888888888888888888888888888888888"
                  "-partial-0", "Ollama's", 3600);
  put_blobs_file (root, "notes.txt", "mine", 3600);

  before = hearth_test_list_blobs (root);
  g_test_message ("before: %s", before);
  g_assert_true (hearth_store_removal_frees (store, "gone", &would_free, &error));
  g_assert_no_error (error);
  g_assert_true (hearth_store_remove (store, "gone", &freed, &error));
  g_assert_no_error (error);
  close (fd);
  g_assert_cmpuint (freed, ==, would_free);
  /* the model's bytes, and the orphans' */
  {
    GStatBuf st;
    g_autofree char *gone_path = g_strdup (gone_gguf);

    g_assert_cmpint (g_stat (gone_path, &st), ==, 0);
    g_assert_cmpuint (freed, >, (guint64) st.st_size);
  }

  after = hearth_test_list_blobs (root);
  {
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GHashTable) keep_digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                                 NULL);
    GHashTableIter iter;
    gpointer key;

    add_digests_of (keep_manifest, keep_digests);
    g_hash_table_iter_init (&iter, keep_digests);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (names, g_strdup_printf ("sha256-%s", (char *) key + 7));
    g_ptr_array_add (names, g_strdup ("sha256-1111111111111111111111111111111111111111111111111111111111111111"));
    g_ptr_array_add (names, g_strdup ("sha256-2222222222222222222222222222222222222222222222222222222222222222.partial"));
    g_ptr_array_add (names, g_strdup ("sha256-2222222222222222222222222222222222222222222222222222222222222222.partial.json"));
    g_ptr_array_add (names, g_strdup ("sha256-6666666666666666666666666666666666666666666666666666666666666666"));
    g_ptr_array_add (names, g_strdup ("sha256-7777777777777777777777777777777777777777777777777777777777777777.partial"));
    g_ptr_array_add (names, g_strdup ("sha256-7777777777777777777777777777777777777777777777777777777777777777.partial.lock"));
    g_ptr_array_add (names, g_strdup ("sha256-8888888888888888888888888888888888888888888888888888888888888888-partial-0"));
    g_ptr_array_add (names, g_strdup ("notes.txt"));
    g_ptr_array_sort (names, compare_names);
    g_ptr_array_add (names, NULL);
    expected = g_strjoinv ("|", (char **) names->pdata);
  }
  g_assert_cmpstr (after, ==, expected);
  g_assert_false (g_str_equal (gone_digest, keep_digest));

  /* the pull leaves the list: pruning now takes its files too */
  hearth_store_pending_forget (store, "other:1b");
  {
    const char *released[] = { pulled, pulling, NULL };

    g_assert_cmpuint (hearth_store_prune (store, released), >, 0);
  }
  g_clear_pointer (&after, g_free);
  after = hearth_test_list_blobs (root);
  g_assert_null (strstr (after, "sha256-1111"));
  g_assert_null (strstr (after, "sha256-2222"));
}

/* ---- the library (the list the window shows) ----------------------------- */

typedef struct {
  guint calls;
  guint position, removed, added;
} ItemsChanged;

static void
on_items_changed (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  ItemsChanged *c)
{
  c->calls++;
  c->position = position;
  c->removed = removed;
  c->added = added;
}

static void
test_library (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-library", NULL);
  g_autofree char *one = make_model ("lib-1.gguf", 11);
  g_autofree char *two = make_model ("lib-2.gguf", 12);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelItem) item = NULL;
  ItemsChanged changed = { 0 };
  GStatBuf st1, st2;

  library = hearth_library_new (store);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (library)) == HEARTH_TYPE_MODEL_ITEM);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 0);
  g_assert_cmpuint (hearth_library_get_disk_usage (library), ==, 0);
  g_signal_connect (library, "items-changed", G_CALLBACK (on_items_changed), &changed);

  g_assert_true (hearth_store_import (store, one, "b-model", FALSE, NULL, &error));
  g_assert_true (hearth_store_import (store, two, "a-model", FALSE, NULL, &error));
  g_assert_true (hearth_store_copy (store, "b-model", "c-model", &error));
  g_assert_no_error (error);
  hearth_library_refresh (library);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_cmpuint (changed.added, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 3);

  /* sorted by name, described from the GGUF header */
  item = g_list_model_get_item (G_LIST_MODEL (library), 0);
  g_assert_cmpstr (hearth_model_item_get_name (item), ==, "a-model:latest");
  g_assert_cmpstr (hearth_model_item_get_family (item), ==, "llama");
  g_assert_cmpstr (hearth_model_item_get_quantization (item), ==, "F32");
  g_assert_nonnull (hearth_model_item_get_parameter_size (item));
  g_assert_cmpuint (hearth_model_item_get_context_length (item), >, 0);
  g_assert_cmpuint (hearth_model_item_get_size (item), >, 0);
  g_assert_cmpint (hearth_model_item_get_modified (item), >, 0);
  g_assert_true (g_file_test (hearth_model_item_get_model_path (item), G_FILE_TEST_IS_REGULAR));

  /* the disk: each model file once (c-model shares b-model's), and the
   * config blobs */
  g_assert_cmpint (g_stat (one, &st1), ==, 0);
  g_assert_cmpint (g_stat (two, &st2), ==, 0);
  g_assert_cmpuint (hearth_library_get_disk_usage (library), >=, (guint64) (st1.st_size + st2.st_size));
  g_assert_cmpuint (hearth_library_get_disk_usage (library), <, (guint64) (st1.st_size + st2.st_size) + 4096);

  /* nothing changed: no signal; one removed: one signal for that row */
  hearth_library_refresh (library);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_true (hearth_store_remove (store, "b-model", NULL, &error));
  hearth_library_refresh (library);
  g_assert_cmpuint (changed.calls, ==, 2);
  g_assert_cmpuint (changed.position, ==, 1);
  g_assert_cmpuint (changed.removed, ==, 1);
  g_assert_cmpuint (changed.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 2);
}


/* Linked models count with the size of their files (a file once, however
 * many blobs lead to it), and the library knows which are linked. */
static void
test_library_linked (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-library-linked", NULL);
  g_autofree char *one = make_model ("linked-1.gguf", 31);
  g_autofree char *two = make_model ("linked-2.gguf", 32);
  g_autofree char *blobs = g_build_filename (root, "blobs", NULL);
  g_autofree char *extra = g_build_filename (blobs, "sha256-extra-link", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = NULL;
  g_autoptr (HearthModelItem) item = NULL;
  g_autoptr (GError) error = NULL;
  guint64 usage;
  GStatBuf st1, st2;

  g_assert_true (hearth_store_import (store, one, "linked", TRUE, NULL, &error));
  g_assert_true (hearth_store_import (store, two, "copied", FALSE, NULL, &error));
  g_assert_no_error (error);
  library = hearth_library_new (store);
  g_assert_cmpuint (hearth_library_get_n_linked (library), ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (library), 1);
  g_assert_cmpstr (hearth_model_item_get_name (item), ==, "linked:latest");
  g_assert_cmpstr (hearth_model_item_get_link_target (item), ==, one);
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (library), 0);
  g_assert_null (hearth_model_item_get_link_target (item));

  g_assert_cmpint (g_stat (one, &st1), ==, 0);
  g_assert_cmpint (g_stat (two, &st2), ==, 0);
  usage = hearth_library_get_disk_usage (library);
  g_assert_cmpuint (usage, >=, (guint64) (st1.st_size + st2.st_size));
  g_assert_cmpuint (usage, <, (guint64) (st1.st_size + st2.st_size) + 4096);
  /* a second link to the same file takes no more; a link that leads
   * nowhere takes nothing */
  g_assert_cmpint (symlink (one, extra), ==, 0);
  g_assert_cmpuint (hearth_library_get_disk_usage (library), ==, usage);
  g_assert_cmpint (g_unlink (extra), ==, 0);
  g_assert_cmpint (symlink ("/nonexistent/file.gguf", extra), ==, 0);
  g_assert_cmpuint (hearth_library_get_disk_usage (library), ==, usage);
  g_assert_cmpint (g_unlink (extra), ==, 0);
}

static gboolean
library_has_n (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data))
         == GPOINTER_TO_UINT (g_object_get_data (data, "want"));
}

/* Waits (the main loop running) until @library has @n models. */
static void
wait_library (HearthLibrary *library,
              guint          n)
{
  g_object_set_data (G_OBJECT (library), "want", GUINT_TO_POINTER (n));
  hearth_test_wait_until (library_has_n, library, 10, "the library follows the store");
}

/* The library follows its store without being asked: a store that did not
 * exist yet, a model written by another HearthStore (as the CLI or Ollama
 * would), folders made at once for a new host, a removal; a burst of
 * changes is one ::items-changed. */
static void
test_library_follows_store (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-follow", "not", "yet", NULL);
  g_autofree char *gguf = make_model ("follow.gguf", 41);
  g_autoptr (HearthStore) mine = hearth_store_new (root);
  g_autoptr (HearthStore) other = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = hearth_library_new (mine);
  g_autoptr (GError) error = NULL;
  ItemsChanged changed = { 0 };

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 0);
  g_signal_connect (library, "items-changed", G_CALLBACK (on_items_changed), &changed);
  g_assert_true (hearth_store_import (other, gguf, "a", FALSE, NULL, &error));
  g_assert_no_error (error);
  wait_library (library, 1);
  g_assert_true (hearth_store_copy (other, "a", "example.com/team/b:v1", &error));
  g_assert_true (hearth_store_copy (other, "a", "example.com/team/b:v2", &error));
  g_assert_true (hearth_store_copy (other, "a", "example.com/team/c:v1", &error));
  g_assert_no_error (error);
  changed.calls = 0;
  wait_library (library, 4);
  g_assert_cmpuint (changed.calls, ==, 1);
  g_assert_true (hearth_store_remove (other, "example.com/team/b:v1", NULL, &error));
  g_assert_no_error (error);
  wait_library (library, 3);
}

/* ---- pulls under way ------------------------------------------------------- */

/* A pull's record survives (what a restart reads) and its manifest's blobs
 * are in use: removing the last model that has them keeps them. Broken
 * records are skipped, saying so. */
static void
test_pending (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-pending", NULL);
  g_autofree char *gguf = make_model ("p.gguf", 5);
  g_autofree char *digest = file_sha256 (gguf);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (HearthStorePending) one = NULL;
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (GBytes) manifest_bytes = NULL;
  g_autoptr (HearthModelName) name = hearth_model_name_parse ("a", NULL);
  g_autofree char *text = NULL;
  g_autofree char *junk = g_build_filename (root, ".hearth-pulls", "junk.json", NULL);
  g_autofree char *other = g_build_filename (root, ".hearth-pulls", "other.json", NULL);
  gsize len = 0;

  g_assert_true (hearth_store_import (store, gguf, "a", FALSE, NULL, &error));
  g_assert_no_error (error);
  manifest = hearth_store_read_manifest (store, name, &error);
  g_assert_no_error (error);
  {
    g_autoptr (JsonGenerator) gen = json_generator_new ();

    json_generator_set_root (gen, manifest);
    text = json_generator_to_data (gen, &len);
    manifest_bytes = g_bytes_new (text, len);
  }

  /* the same model, being pulled under another name */
  g_assert_true (hearth_store_pending_save (store, "elsewhere/b:q4", "elsewhere/b:q4", NULL,
                                            FALSE, &error));
  g_assert_true (hearth_store_pending_save (store, "elsewhere/b:q4", "https://x/b.gguf",
                                            manifest_bytes, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (junk, "{\"name\": \"../../x\", \"source\": \"y\"}", -1, NULL));
  g_assert_true (g_file_set_contents (other, "not json", -1, NULL));
  /* (in the folder's order) */
  g_test_expect_message ("hearth-store", G_LOG_LEVEL_WARNING, "*.hearth-pulls*.json*");
  g_test_expect_message ("hearth-store", G_LOG_LEVEL_WARNING, "*.hearth-pulls*.json*");
  list = hearth_store_pending_list (store);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (list->len, ==, 1);
  g_unlink (junk);
  g_unlink (other);
  one = hearth_store_pending_get (store, "elsewhere/b:q4");
  g_assert_nonnull (one);
  g_assert_cmpstr (one->source, ==, "https://x/b.gguf");
  g_assert_true (one->paused);
  g_assert_cmpstr (one->manifest, ==, text);

  /* the pull still needs the model's blobs */
  g_assert_true (hearth_store_remove (store, "a", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_blobs (root), ==, 2);
  {
    g_autofree char *blob = hearth_store_blob_path (store, digest, NULL);

    g_assert_true (g_file_test (blob, G_FILE_TEST_IS_REGULAR));
  }

  hearth_store_pending_forget (store, "elsewhere/b:q4");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = hearth_store_pending_list (store);
  g_assert_cmpuint (list->len, ==, 0);
  g_assert_null (hearth_store_pending_get (store, "elsewhere/b:q4"));
}

/* ---- the catalogue ----------------------------------------------------------- */

static void
test_catalogue (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "catalogue.json",
                                                 NULL);
  g_autofree char *data = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GPtrArray) chinese = NULL;
  g_autoptr (GError) error = NULL;
  const char *zh[] = { "zh_CN.UTF-8", "zh_CN", "zh", "C", NULL };
  guint n_chinese = 0;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  models = hearth_catalogue_parse (data, len, NULL, &error);
  g_assert_no_error (error);
  /* about twenty models Hearth runs, each pullable by name, some strong in
   * Chinese */
  g_assert_cmpuint (models->len, >=, 18);
  for (guint i = 0; i < models->len; i++)
    {
      HearthCatalogueModel *m = models->pdata[i];
      HearthFit fit;

      g_assert_true (g_str_equal (m->family, "llama") || g_str_equal (m->family, "qwen2")
                     || g_str_equal (m->family, "qwen3"));
      g_assert_cmpuint (m->quants->len, >=, 1);
      g_assert_cmpuint (m->cache_bytes, >, 0);
      n_chinese += m->chinese;
      hearth_catalogue_fit (m, m->quants->pdata[0], 0, 64ull << 30, &fit);
      g_assert_cmpuint (fit.needed, >, ((HearthCatalogueQuant *) m->quants->pdata[0])->size);
    }
  g_assert_cmpuint (n_chinese, >=, 5);

  /* qwen2.5:0.5b: 24 layers, 2 KV heads of 64: 24·2·64·4096·2·4 bytes of cache */
  g_assert_cmpstr (((HearthCatalogueModel *) models->pdata[0])->name, ==, "qwen2.5:0.5b");
  g_assert_cmpuint (((HearthCatalogueModel *) models->pdata[0])->cache_bytes, ==,
                    24ull * 2 * 64 * 4096 * 2 * 4);

  /* in Chinese, where the file has it */
  chinese = hearth_catalogue_parse (data, len, zh, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((HearthCatalogueModel *) chinese->pdata[0])->description, !=,
                   ((HearthCatalogueModel *) models->pdata[0])->description);
  g_assert_nonnull (g_utf8_strchr (((HearthCatalogueModel *) chinese->pdata[0])->description, -1,
                                   0x7684 /* 的 */));

  /* a broken file names what is wrong */
  {
    static const struct { const char *json, *says; } bad[] = {
      { "[]", "no list" },
      { "{\"models\": [1]}", "entry 1" },
      { "{\"models\": [{\"name\": \"../x\"}]}", "“name”" },
      { "{\"models\": [{\"name\": \"a\", \"title\": \"A\", \"family\": \"llama\", "
        "\"parameters\": \"1B\", \"license\": \"MIT\", \"description\": {\"en\": \"x\"}, "
        "\"languages\": [\"en\"], \"context_length\": 4096, \"layers\": 2, \"kv_heads\": 1, "
        "\"head_dim\": -64, \"quantizations\": []}]}", "head_dim" },
      { "{\"models\": [{\"name\": \"a\", \"title\": \"A\", \"family\": \"llama\", "
        "\"parameters\": \"1B\", \"license\": \"MIT\", \"description\": {\"en\": \"x\"}, "
        "\"languages\": [\"en\"], \"context_length\": 4096, \"layers\": 2, \"kv_heads\": 1, "
        "\"head_dim\": 64, \"quantizations\": [{\"tag\": \"a:q\", \"quant\": \"Q4_0\"}]}]}",
        "“size”" },
      { "{\"models\": [{\"name\": \"a\", \"title\": \"A\", \"family\": \"llama\", "
        "\"parameters\": \"1B\", \"license\": \"MIT\", \"description\": {\"zh_CN\": \"x\"}, "
        "\"languages\": [\"en\"]}]}", "English" },
      { "{\"models\": [", "not valid JSON" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GPtrArray) none = hearth_catalogue_parse (bad[i].json, strlen (bad[i].json),
                                                             NULL, &error);

        g_assert_null (none);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        if (strstr (error->message, bad[i].says) == NULL)
          g_error ("“%s” should say “%s”: %s", bad[i].json, bad[i].says, error->message);
        g_clear_error (&error);
      }
  }
}

/* ---- fit --------------------------------------------------------------- */

static void
test_fit (void)
{
  const guint64 gb = 1000000000ull;
  HearthFit fit;
  g_autofree char *gpu = NULL;
  g_autofree char *cpu = NULL;
  g_autofree char *slow = NULL;
  g_autofree char *none = NULL;

  /* a 4.4 GB model: on an 8 GB GPU; on a 4 GB one, slowly on the CPU with
   * 16 GB of RAM; nowhere with 4 GB of RAM */
  hearth_fit_estimate (4400000000ull, 8 * gb, 16 * gb, &fit);
  g_assert_cmpint (fit.verdict, ==, HEARTH_FIT_GPU);
  g_assert_cmpuint (fit.needed, >, 4400000000ull);
  gpu = hearth_fit_describe (&fit);
  g_assert_true (g_str_has_prefix (gpu, "needs about 5."));
  g_assert_nonnull (strstr (gpu, "it will run on the GPU"));

  hearth_fit_estimate (4400000000ull, 4 * gb, 16 * gb, &fit);
  g_assert_cmpint (fit.verdict, ==, HEARTH_FIT_CPU);
  slow = hearth_fit_describe (&fit);
  g_assert_nonnull (strstr (slow, "4.0"));
  g_assert_nonnull (strstr (slow, "it will run, slowly, on the CPU"));

  hearth_fit_estimate (4400000000ull, 0, 16 * gb, &fit);
  cpu = hearth_fit_describe (&fit);
  g_assert_nonnull (strstr (cpu, "no GPU Hearth can use"));

  hearth_fit_estimate (4400000000ull, 2 * gb, 4 * gb, &fit);
  g_assert_cmpint (fit.verdict, ==, HEARTH_FIT_NONE);
  none = hearth_fit_describe (&fit);
  g_assert_nonnull (strstr (none, "it will not fit"));

  /* this computer has some RAM */
  g_assert_cmpuint (hearth_fit_system_ram (), >, 0);
}

/* The layer of @type in @manifest read from the store, or NULL. */
static char *
layer_text (HearthStore *store,
            JsonNode    *manifest,
            const char  *type)
{
  JsonArray *layers = json_object_get_array_member (json_node_get_object (manifest), "layers");

  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *layer = json_array_get_object_element (layers, i);
      const char *digest = json_object_get_string_member (layer, "digest");

      if (g_str_equal (json_object_get_string_member (layer, "mediaType"), type))
        {
          g_autofree char *path = hearth_store_blob_path (store, digest, NULL);
          g_autofree char *actual = file_sha256 (path);
          char *text = NULL;
          gsize len = 0;

          /* each layer is what its digest and size say */
          g_assert_cmpstr (actual, ==, digest);
          g_assert_true (g_file_get_contents (path, &text, &len, NULL));
          g_assert_cmpint (json_object_get_int_member (layer, "size"), ==, (gint64) len);
          return text;
        }
    }
  return NULL;
}

/* Import writes what Ollama needs to chat with the model: the template,
 * params (stop strings) and system layers the GGUF's chat template implies;
 * none for a model without one. */
static void
test_import_ollama_layers (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-layers", NULL);
  g_autofree char *qwen = g_build_filename (tmp_dir, "qwen-tiny.gguf", NULL);
  g_autofree char *llama = make_model ("llama-tiny.gguf", 5);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelName) qwen_name = hearth_model_name_parse ("qwen-tiny", NULL);
  g_autoptr (HearthModelName) llama_name = hearth_model_name_parse ("llama-tiny", NULL);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (GBytes) chatml = g_resources_lookup_data ("/io/github/hearth/Hearth/ollama/chatml.gotmpl",
                                                       G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *template = NULL;
  g_autofree char *params = NULL;
  g_autofree char *system = NULL;
  hearth_test_model m;
  ember_error e = { 0 };

  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  m.arch = "qwen2"; /* the fixtures give qwen models a ChatML template */
  g_assert_cmpint (hearth_test_model_write (&m, qwen, &e), ==, EMBER_OK);

  g_assert_true (hearth_store_import (store, qwen, "qwen-tiny", FALSE, NULL, &error));
  g_assert_no_error (error);
  manifest = hearth_store_read_manifest (store, qwen_name, &error);
  g_assert_no_error (error);
  template = layer_text (store, manifest, HEARTH_MEDIA_TYPE_TEMPLATE);
  params = layer_text (store, manifest, HEARTH_MEDIA_TYPE_PARAMS);
  system = layer_text (store, manifest, HEARTH_MEDIA_TYPE_SYSTEM);
  g_assert_nonnull (chatml);
  g_assert_cmpstr (template, ==, g_bytes_get_data (chatml, NULL));
  g_assert_cmpstr (params, ==, "{\"stop\":[\"<|im_start|>\",\"<|im_end|>\"]}");
  g_assert_null (system); /* the fixture's template adds no system prompt */
  g_clear_pointer (&manifest, json_node_unref);

  /* a GGUF without a chat template: the model layer alone */
  g_assert_true (hearth_store_import (store, llama, "llama-tiny", TRUE, NULL, &error));
  g_assert_no_error (error);
  manifest = hearth_store_read_manifest (store, llama_name, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (manifest), "layers")), ==, 1);

  /* removing the model removes its text layers too */
  g_assert_true (hearth_store_remove (store, "qwen-tiny", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (hearth_store_remove (store, "llama-tiny", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_blobs (root), ==, 0);
}

static void
test_ollama_template (void)
{
  /* a default system prompt, as Qwen2.5's template writes one */
  static const char qwen_like[] =
    "{%- if messages[0].role != 'system' %}<|im_start|>system\nYou are Qwen.<|im_end|>\n{%- endif %}"
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}";
  /* one that carries today's date is no default */
  static const char dated[] =
    "{{ bos_token }}<|start_header_id|>system<|end_header_id|>\n\n"
    "{%- if messages[0].role == 'system' %}{{ messages[0].content }}"
    "{%- else %}Today is {{ strftime_now('%d %b %Y') }}.{%- endif %}<|eot_id|>"
    "{%- for m in messages if m.role != 'system' %}<|start_header_id|>{{ m.role }}"
    "<|end_header_id|>\n\n{{ m.content }}<|eot_id|>{%- endfor %}";
  /* a template that does not parse still has a recognisable family */
  static const char broken[] = "{% for m in messages %}<start_of_turn>{{ m.content";
  static const char zephyr[] = "{% for m in messages %}<|user|>\n{{ m.content }}</s>{% endfor %}";
  static const char *const families[][2] = {
    { "<|im_start|>", "chatml" },
    { "<|start_header_id|>", "llama3" },
    { "<start_of_turn>", "gemma" },
    { "<|user|><|assistant|><|end|>", "phi3" },
    { "[INST] ", "mistral" },
    { "'[INST]' + x", "mistral-tekken" },
    { "[SYSTEM_PROMPT][INST]", "mistral-v7" },
    { "<｜User｜><｜Assistant｜>", "deepseek-r1" },
  };
  g_autoptr (HearthOllamaTemplate) chat = NULL;
  g_autofree char *params = NULL;

  chat = hearth_ollama_template_new (qwen_like, -1, NULL, NULL);
  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->family, ==, "chatml");
  g_assert_cmpstr (chat->system, ==, "You are Qwen.");
  g_assert_cmpstr (chat->stop[0], ==, "<|im_start|>");
  g_clear_pointer (&chat, hearth_ollama_template_free);

  chat = hearth_ollama_template_new (dated, -1, "<|begin_of_text|>", "<|eot_id|>");
  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->family, ==, "llama3");
  g_assert_null (chat->system);
  params = hearth_ollama_template_params (chat);
  g_assert_cmpstr (params, ==,
                   "{\"stop\":[\"<|start_header_id|>\",\"<|end_header_id|>\",\"<|eot_id|>\"]}");
  g_clear_pointer (&chat, hearth_ollama_template_free);

  chat = hearth_ollama_template_new (broken, -1, NULL, NULL);
  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->family, ==, "gemma");
  g_assert_null (chat->system);
  g_assert_nonnull (strstr (chat->template, "<start_of_turn>model"));
  g_clear_pointer (&chat, hearth_ollama_template_free);

  g_assert_null (hearth_ollama_template_new (zephyr, -1, NULL, NULL));
  g_assert_null (hearth_ollama_template_new ("", 0, NULL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (families); i++)
    {
      chat = hearth_ollama_template_new (families[i][0], -1, NULL, NULL);
      g_assert_nonnull (chat);
      g_assert_cmpstr (chat->family, ==, families[i][1]);
      g_assert_nonnull (chat->stop[0]);
      g_assert_true (strlen (chat->template) > 50);
      g_clear_pointer (&chat, hearth_ollama_template_free);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-store-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/store/names", test_names);
  g_test_add_func ("/store/import-list-copy-remove", test_import_list_copy_remove);
  g_test_add_func ("/store/import-link", test_import_link);
  g_test_add_func ("/store/import-copy-over-link", test_import_copy_over_link);
  g_test_add_func ("/store/import-ollama-layers", test_import_ollama_layers);
  g_test_add_func ("/store/ollama-template", test_ollama_template);
  g_test_add_func ("/store/damaged-manifest", test_damaged_manifest);
  g_test_add_func ("/store/prune", test_prune);
  g_test_add_func ("/store/fit", test_fit);
  g_test_add_func ("/store/library", test_library);
  g_test_add_func ("/store/library-linked", test_library_linked);
  g_test_add_func ("/store/library-follows-store", test_library_follows_store);
  g_test_add_func ("/store/pending", test_pending);
  g_test_add_func ("/store/catalogue", test_catalogue);

  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmp_dir);
  }
  return status;
}
