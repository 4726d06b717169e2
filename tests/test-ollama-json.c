/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hearth's JSON for Ollama's layers (app/profiles/hearth-ollama-json.c)
 * against Go's encoding/json itself: tests/ollama-json-oracle.go, built
 * with the `go` found on PATH (Debian's golang-go), encodes the same typed
 * values the way `ollama create` does, and the bytes must be the same.
 * Without Go the comparisons skip, visibly; a few fixed expectations run
 * anyway.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hearth-model-layers.h"
#include "hearth-ollama-json.h"
#include "test-models.h"

static char *tmp_dir;
static char *oracle;        /* the built oracle, or NULL */
static char *no_oracle;     /* why not */

static char *
to_hex (const char *data,
        gssize      len)
{
  gsize n = len < 0 ? strlen (data) : (gsize) len;
  GString *s = g_string_sized_new (2 * n + 1);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%02x", (guchar) data[i]);
  return g_string_free (s, FALSE);
}

static void
build_oracle (void)
{
  g_autofree char *src = g_build_filename (tmp_dir, "oracle", NULL);
  g_autofree char *main_go = g_build_filename (src, "main.go", NULL);
  g_autofree char *mod = g_build_filename (src, "go.mod", NULL);
  g_autofree char *go = g_find_program_in_path ("go");
  g_autofree char *text = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *cache = g_build_filename (tmp_dir, "gocache", NULL);
  g_autofree char *gopath = g_build_filename (tmp_dir, "gopath", NULL);
  char *argv[] = { NULL, (char *) "build", (char *) "-o", NULL, (char *) ".", NULL };
  g_autofree char *out = g_build_filename (tmp_dir, "ollama-json-oracle", NULL);
  int status = 0;

  if (go == NULL)
    {
      no_oracle = g_strdup ("go is not installed (Debian's golang-go)");
      return;
    }
  g_assert_cmpint (g_mkdir_with_parents (src, 0755), ==, 0);
  g_assert_true (g_file_get_contents (HEARTH_JSON_ORACLE, &text, NULL, NULL));
  g_assert_true (g_file_set_contents (main_go, text, -1, NULL));
  g_assert_true (g_file_set_contents (mod, "module oracle\n\ngo 1.19\n", -1, NULL));
  env = g_environ_setenv (env, "GOCACHE", cache, TRUE);
  env = g_environ_setenv (env, "GOPATH", gopath, TRUE);
  env = g_environ_setenv (env, "GOPROXY", "off", TRUE);
  env = g_environ_setenv (env, "GOFLAGS", "-mod=mod", TRUE);
  env = g_environ_setenv (env, "GO111MODULE", "on", TRUE);
  argv[0] = go;
  argv[3] = out;
  if (!g_spawn_sync (src, argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      no_oracle = g_strdup_printf ("the Go oracle does not build: %s", err != NULL ? err : "");
      return;
    }
  oracle = g_steal_pointer (&out);
}

/* The oracle's bytes for each line of @input. */
static GPtrArray *
run_oracle (const char *input)
{
  g_autofree char *in_path = g_build_filename (tmp_dir, "oracle-input", NULL);
  g_autofree char *cmd = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  int status = 0;

  g_assert_true (g_file_set_contents (in_path, input, -1, NULL));
  cmd = g_strdup_printf ("sh -c '\"%s\" < \"%s\"'", oracle, in_path);
  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      gsize n = strlen (lines[i]) / 2;
      guchar *b = g_malloc (n + 1);

      for (gsize j = 0; j < n; j++)
        b[j] = (guchar) g_ascii_strtoull ((char[]) { lines[i][2 * j], lines[i][2 * j + 1], 0 },
                                          NULL, 16);
      g_ptr_array_add (result, g_bytes_new_take (b, n));
    }
  return result;
}

/* One case: the params for Hearth and the oracle's input line. */
typedef struct {
  GPtrArray *params;
  GString *line;
} Case;

static Case *
case_new (void)
{
  Case *c = g_new0 (Case, 1);

  c->params = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_param_free);
  c->line = g_string_new ("params");
  return c;
}

static void
case_free (Case *c)
{
  g_ptr_array_unref (c->params);
  g_string_free (c->line, TRUE);
  g_free (c);
}

static void
add_f32 (Case       *c,
         const char *name,
         float       f)
{
  g_autofree char *h = to_hex (name, -1);
  guint32 bits;

  memcpy (&bits, &f, 4);
  g_ptr_array_add (c->params, hearth_ollama_param_new_float32 (name, f));
  g_string_append_printf (c->line, " %s f32 %08x", h, bits);
}

static void
add_int (Case       *c,
         const char *name,
         gint64      v)
{
  g_autofree char *h = to_hex (name, -1);

  g_ptr_array_add (c->params, hearth_ollama_param_new_int (name, v));
  g_string_append_printf (c->line, " %s int %" G_GINT64_FORMAT, h, v);
}

static void
add_bool (Case       *c,
          const char *name,
          gboolean    v)
{
  g_autofree char *h = to_hex (name, -1);

  g_ptr_array_add (c->params, hearth_ollama_param_new_bool (name, v));
  g_string_append_printf (c->line, " %s bool %d", h, v ? 1 : 0);
}

static void
add_str (Case       *c,
         const char *name,
         const char *v)
{
  g_autofree char *h = to_hex (name, -1);
  g_autofree char *hv = to_hex (v, -1);

  g_ptr_array_add (c->params, hearth_ollama_param_new_string (name, v));
  g_string_append_printf (c->line, " %s str %s", h, hv[0] != '\0' ? hv : "-");
}

static void
add_strs (Case              *c,
          const char        *name,
          const char * const *v)
{
  g_autofree char *h = to_hex (name, -1);

  g_ptr_array_add (c->params, hearth_ollama_param_new_strings (name, v));
  g_string_append_printf (c->line, " %s strs ", h);
  if (v[0] == NULL)
    g_string_append_c (c->line, '-');
  for (guint i = 0; v[i] != NULL; i++)
    {
      g_autofree char *hv = to_hex (v[i], -1);

      g_string_append_printf (c->line, "%s%s", i > 0 ? "." : "", hv);
    }
}

static const char *const strings[] = {
  "", "plain", "<|im_end|>", "a & b > c < d", "\"quoted\"", "back\\slash", "\\u003c",
  "line\nbreak\r\ttab", "\b\f\x01\x1f\x7f", "中文：您好，世界", "\xe2\x80\xa8 and \xe2\x80\xa9",
  "emoji 😀🦙", "bad \xff byte", "cut \xe4\xb8", "surrogate \xed\xa0\x80", "overlong \xc0\xaf",
  "too big \xf4\x90\x80\x80", "\xf0\x9f\x98", "</s>", "\\b not a backspace", "\\\b",
  "tail\xe2\x80", "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", NULL,
};

static void
compare (GPtrArray *cases,
         gboolean   messages)
{
  g_autoptr (GString) input = g_string_new (NULL);
  g_autoptr (GPtrArray) want = NULL;

  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);

      g_string_append_printf (input, "%s\n", c->line->str);
    }
  want = run_oracle (input->str);
  g_assert_cmpuint (want->len, ==, cases->len);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) got = messages ? hearth_ollama_json_messages (c->params, &error)
                                        : hearth_ollama_json_params (c->params, &error);

      g_assert_no_error (error);
      if (!g_bytes_equal (got, want->pdata[i]))
        {
          g_autofree char *a = g_strndup (g_bytes_get_data (got, NULL), g_bytes_get_size (got));
          g_autofree char *b = g_strndup (g_bytes_get_data (want->pdata[i], NULL),
                                          g_bytes_get_size (want->pdata[i]));

          g_error ("case %u (%s):\nHearth: %s\nGo:     %s", i, c->line->str, a, b);
        }
    }
}

static void
test_params_oracle (void)
{
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);
  static const float floats[] = {
    0.7f, 1.0f, 1e-7f, 1e21f, 0.1f, -0.0f, 0.0f, 0.8f, 0.9f, 0.05f, 1.1f, 0.95f, 2.5f, 100.0f,
    1e-6f, 9.999999e-7f, 1.0000001e-6f, 9.99999e20f, 9.9999998e20f, 1.0000001e21f, 3.4028235e38f,
    1.17549435e-38f, 1.4e-45f, 16777216.0f, 16777218.0f, 0.3f, 123456.79f, 1e20f, 0.33333334f,
    -1.5f, -1e-7f, 999999.94f, 1e10f, 1.5e-5f, 65504.0f, 0.0001f, 0.000001f,
  };
  Case *c = case_new ();
  GRand *rand = g_rand_new_with_seed (1616);

  for (guint i = 0; i < G_N_ELEMENTS (floats); i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "f%03u", i);
      add_f32 (c, name, floats[i]);
    }
  g_ptr_array_add (cases, c);

  /* powers of two (where what reads back is lopsided), their neighbours,
   * and random bit patterns */
  c = case_new ();
  for (int e = -149; e <= 127; e++)
    {
      char name[16];
      float f = ldexpf (1.0f, e);

      g_snprintf (name, sizeof name, "p%+04d", e);
      add_f32 (c, name, f);
      g_snprintf (name, sizeof name, "q%+04d", e);
      add_f32 (c, name, nextafterf (f, INFINITY));
      g_snprintf (name, sizeof name, "r%+04d", e);
      add_f32 (c, name, nextafterf (f, 0));
    }
  g_ptr_array_add (cases, c);
  for (guint k = 0; k < 40; k++)
    {
      c = case_new ();
      for (guint i = 0; i < 100; i++)
        {
          char name[16];
          guint32 bits = g_rand_int (rand);
          float f;

          memcpy (&f, &bits, 4);
          if (!isfinite (f))
            continue;
          g_snprintf (name, sizeof name, "x%03u", i);
          add_f32 (c, name, f);
        }
      g_ptr_array_add (cases, c);
    }
  g_rand_free (rand);

  /* ints (the server holds them as float64), bools */
  c = case_new ();
  add_int (c, "num_ctx", 2048);
  add_int (c, "zero", 0);
  add_int (c, "minus", -1);
  add_int (c, "big", 131072);
  add_int (c, "max", G_MAXINT64);
  add_int (c, "min", G_MININT64);
  add_int (c, "p53", (G_GINT64_CONSTANT (1) << 53) + 1);
  add_int (c, "e15", G_GINT64_CONSTANT (1000000000000000));
  add_int (c, "odd", G_GINT64_CONSTANT (123456789012345678));
  add_int (c, "e20", G_GINT64_CONSTANT (999999999999999999));
  add_bool (c, "use_mmap", TRUE);
  add_bool (c, "numa", FALSE);
  g_ptr_array_add (cases, c);

  /* strings, as values and as keys (sorted bytewise) */
  c = case_new ();
  for (guint i = 0; strings[i] != NULL; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "s%02u", i);
      add_str (c, name, strings[i]);
    }
  g_ptr_array_add (cases, c);
  c = case_new ();
  add_int (c, "Z", 1);
  add_int (c, "a", 2);
  add_int (c, "_", 3);
  add_int (c, "a<b", 4);
  add_int (c, "ab", 5);
  add_int (c, "中", 7);
  add_int (c, "é", 8);
  g_ptr_array_add (cases, c);

  /* stop lists */
  c = case_new ();
  {
    static const char *const stop[] = { "<|im_start|>", "<|im_end|>", "\n\nUser:", NULL };
    static const char *const none[] = { NULL };

    add_strs (c, "stop", stop);
    add_strs (c, "empty", none);
    add_strs (c, "all", strings);
  }
  add_f32 (c, "temperature", 0.7f);
  add_int (c, "num_ctx", 4096);
  g_ptr_array_add (cases, c);

  /* nothing at all */
  g_ptr_array_add (cases, case_new ());

  if (oracle == NULL)
    {
      g_test_skip (no_oracle);
      return;
    }
  compare (cases, FALSE);
}

static void
test_messages_oracle (void)
{
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);
  Case *c = case_new ();

  g_string_assign (c->line, "messages");
  g_ptr_array_unref (c->params);
  c->params = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_message_free);
  for (guint i = 0; strings[i] != NULL; i++)
    {
      const char *role = i % 3 == 0 ? "user" : i % 3 == 1 ? "ASSISTANT" : "System";
      g_autofree char *hr = to_hex (role, -1);
      g_autofree char *hc = to_hex (strings[i], -1);

      g_ptr_array_add (c->params, hearth_ollama_message_new (role, strings[i]));
      g_string_append_printf (c->line, " %s %s", hr, hc[0] != '\0' ? hc : "-");
    }
  g_ptr_array_add (cases, c);

  if (oracle == NULL)
    {
      g_test_skip (no_oracle);
      return;
    }
  compare (cases, TRUE);
}

/* A derived model's manifest and config blob, decoded into Ollama's own
 * structs and encoded again by Go, come out unchanged. */
static void
test_manifest_oracle (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store", NULL);
  g_autofree char *gguf = g_build_filename (tmp_dir, "tiny.gguf", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();
  g_autoptr (HearthModelName) name = hearth_model_name_parse ("hf.co/me/derived:v1", NULL);
  g_autofree char *path = hearth_model_name_manifest_path (name, root);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) input = g_string_new (NULL);
  g_autoptr (GPtrArray) want = NULL;
  g_autofree char *text = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *h1 = NULL;
  g_autofree char *h2 = NULL;
  hearth_test_model m;
  ember_error eerr = { 0 };

  if (oracle == NULL)
    {
      g_test_skip (no_oracle);
      return;
    }
  g_assert_true (hearth_test_model_preset (&m, "tiny"));
  g_assert_cmpint (hearth_test_model_write (&m, gguf, &eerr), ==, EMBER_OK);
  g_assert_true (hearth_store_import (store, gguf, "ns/base:q8", FALSE, NULL, &error));
  g_assert_no_error (error);
  layers->system = g_strdup ("<system> & 您");
  g_ptr_array_add (layers->params, hearth_ollama_param_new_float32 ("top_p", 0.9f));
  g_ptr_array_add (layers->licenses, g_strdup ("licence"));
  g_assert_true (hearth_model_layers_write (store, "hf.co/me/derived:v1", "ns/base:q8", layers,
                                            &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  manifest = hearth_store_read_manifest (store, name, &error);
  g_assert_no_error (error);
  config_path = hearth_store_blob_path (store, json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (manifest), "config"), "digest"), NULL);
  g_assert_true (g_file_get_contents (config_path, &config, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"from\":\"ns/base:q8\""));

  h1 = to_hex (text, -1);
  h2 = to_hex (config, -1);
  g_string_append_printf (input, "manifest %s\nconfig %s\n", h1, h2);
  want = run_oracle (input->str);
  g_assert_cmpuint (want->len, ==, 2);
  g_assert_cmpmem (text, strlen (text), g_bytes_get_data (want->pdata[0], NULL),
                   g_bytes_get_size (want->pdata[0]));
  g_assert_cmpmem (config, strlen (config), g_bytes_get_data (want->pdata[1], NULL),
                   g_bytes_get_size (want->pdata[1]));
}

/* What needs no Go: the rules as known. */
static void
test_fixed (void)
{
  static const struct {
    float f;
    const char *json;
  } f32[] = {
    { 0.7f, "0.7" }, { 1.0f, "1" }, { 1e-7f, "1e-7" }, { 1e21f, "1e+21" }, { 0.1f, "0.1" },
    { -0.0f, "-0" }, { 1e20f, "100000000000000000000" }, { 0.000001f, "0.000001" },
    { 3.4028235e38f, "3.4028235e+38" }, { 16777216.0f, "16777216" },
  };
  g_autoptr (GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_ollama_param_free);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  static const char *const stop[] = { "<|im_end|>", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (f32); i++)
    {
      g_autoptr (GString) s = g_string_new (NULL);

      g_assert_true (hearth_ollama_json_append_number (s, hearth_ollama_json_float32_value (f32[i].f)));
      g_assert_cmpstr (s->str, ==, f32[i].json);
    }

  g_ptr_array_add (params, hearth_ollama_param_new_strings ("stop", stop));
  g_ptr_array_add (params, hearth_ollama_param_new_int ("num_ctx", 8192));
  g_ptr_array_add (params, hearth_ollama_param_new_float32 ("temperature", 0.7f));
  g_ptr_array_add (params, hearth_ollama_param_new_string ("x", "a&b\xe2\x80\xa8\xff"));
  bytes = hearth_ollama_json_params (params, &error);
  g_assert_no_error (error);
  {
    static const char want[] = "{\"num_ctx\":8192,\"stop\":[\"\\u003c|im_end|\\u003e\"],"
                               "\"temperature\":0.7,\"x\":\"a\\u0026b\\u2028\xef\xbf\xbd\"}\n";

    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), want,
                     sizeof want - 1);
  }

  /* what encoding/json refuses */
  g_ptr_array_add (params, hearth_ollama_param_new_float ("nan", NAN));
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = hearth_ollama_json_params (params, &error);
  g_assert_null (bytes);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "nan"));
  g_clear_error (&error);
  g_ptr_array_remove_index (params, params->len - 1);
  g_ptr_array_add (params, hearth_ollama_param_new_int ("stop", 1));
  bytes = hearth_ollama_json_params (params, &error);
  g_assert_null (bytes);
  g_assert_nonnull (strstr (error->message, "twice"));
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-ollama-json-XXXXXX", NULL);
  build_oracle ();
  g_test_add_func ("/ollama-json/fixed", test_fixed);
  g_test_add_func ("/ollama-json/params-against-go", test_params_oracle);
  g_test_add_func ("/ollama-json/messages-against-go", test_messages_oracle);
  g_test_add_func ("/ollama-json/manifest-against-go", test_manifest_oracle);
  ret = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("chmod -R u+w \"%s\"", tmp_dir);
    g_autofree char *rm = g_strdup_printf ("rm -rf \"%s\"", tmp_dir);

    g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
    g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  }
  return ret;
}
