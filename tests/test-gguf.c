/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GGUF reader and writer: real files, a round trip through the writer,
 * one crafted file per validation rule with the message it must give, and
 * thousands of deterministic mutations of real and generated files, each of
 * which must load cleanly or fail with a message (run under AddressSanitizer
 * in CI, so that a read out of bounds fails the test).
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ember.h"
#include "gguf-touch.h"
#include "test-common.h"
#include "test-models.h"

/* ---- fixtures ------------------------------------------------------------ */

static char *
shared_path (const char *relative)
{
  const char *dir = g_getenv ("HEARTH_SHARED_DIR");

  if (dir == NULL)
    return NULL;
  return g_build_filename (dir, relative, NULL);
}

static ember_gguf *
open_bytes (const uint8_t *data,
            size_t         size,
            ember_error   *error)
{
  ember_gguf *gguf = NULL;

  memset (error, 0, sizeof *error);
  if (ember_gguf_open_memory (data, size, &gguf, error) != EMBER_OK)
    {
      g_assert_null (gguf);
      g_assert_cmpint (error->status, !=, EMBER_OK);
      g_assert_cmpstr (error->message, !=, "");
      return NULL;
    }
  return gguf;
}

/* A small model-like file with every metadata type, a nested array and a
 * tensor of every supported type. */
static uint8_t *
make_fixture (size_t *size)
{
  static const ember_type types[] = {
    EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16, EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1,
    EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0, EMBER_TYPE_Q2_K, EMBER_TYPE_Q3_K,
    EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K, EMBER_TYPE_Q6_K,
  };
  static const char *tokens[] = { "<unk>", "<s>", "</s>", "▁hello", "你好", "" };
  const int32_t token_types[] = { 2, 3, 3, 1, 1, 1 };
  const float scores[] = { 0.0f, 0.0f, 0.0f, -1.5f, -2.25f, -3.0f };
  /* [[1, 2], [3]] as uint16 arrays: type, count, values */
  static const uint8_t nested[] = {
    9, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,                 /* 2 arrays */
    2, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,  1, 0, 2, 0,    /* uint16 [1, 2] */
    2, 0, 0, 0,  1, 0, 0, 0, 0, 0, 0, 0,  3, 0,          /* uint16 [3] */
  };
  ember_gguf_writer *w = ember_gguf_writer_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  ember_error error = { 0 };
  uint8_t *data = NULL;
  uint8_t u8 = 200;
  int8_t i8 = -100;
  uint16_t u16 = 60000;
  int16_t i16 = -30000;
  int32_t i32 = -2000000000;
  uint64_t u64 = 18000000000000000000ull;
  int64_t i64 = -9000000000000000000ll;
  double f64 = 3.25;

  ember_gguf_writer_add_string (w, "general.architecture", "llama");
  ember_gguf_writer_add_string (w, "general.name", "fixture 模型");
  ember_gguf_writer_add_scalar (w, "test.u8", EMBER_GGUF_TYPE_UINT8, &u8);
  ember_gguf_writer_add_scalar (w, "test.i8", EMBER_GGUF_TYPE_INT8, &i8);
  ember_gguf_writer_add_scalar (w, "test.u16", EMBER_GGUF_TYPE_UINT16, &u16);
  ember_gguf_writer_add_scalar (w, "test.i16", EMBER_GGUF_TYPE_INT16, &i16);
  ember_gguf_writer_add_uint32 (w, "llama.context_length", 4096);
  ember_gguf_writer_add_scalar (w, "test.i32", EMBER_GGUF_TYPE_INT32, &i32);
  ember_gguf_writer_add_float32 (w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  ember_gguf_writer_add_bool (w, "test.bool", true);
  ember_gguf_writer_add_scalar (w, "test.u64", EMBER_GGUF_TYPE_UINT64, &u64);
  ember_gguf_writer_add_scalar (w, "test.i64", EMBER_GGUF_TYPE_INT64, &i64);
  ember_gguf_writer_add_scalar (w, "test.f64", EMBER_GGUF_TYPE_FLOAT64, &f64);
  ember_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens", tokens, G_N_ELEMENTS (tokens));
  ember_gguf_writer_add_array (w, "tokenizer.ggml.token_type", EMBER_GGUF_TYPE_INT32, token_types,
                               G_N_ELEMENTS (token_types));
  ember_gguf_writer_add_array (w, "tokenizer.ggml.scores", EMBER_GGUF_TYPE_FLOAT32, scores,
                               G_N_ELEMENTS (scores));
  ember_gguf_writer_add_raw (w, "test.nested", EMBER_GGUF_TYPE_ARRAY, nested, sizeof nested);

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      const ember_type_info *info = ember_type_get_info (types[i]);
      uint64_t dims[2] = { 256, 3 };
      uint64_t bytes;
      g_autofree uint8_t *payload = NULL;
      g_autofree char *name = g_strdup_printf ("blk.%zu.%s.weight", i, info->name);

      g_assert_true (ember_type_row_bytes (info, dims[0], &bytes));
      bytes *= dims[1];
      payload = g_malloc (bytes);
      for (uint64_t b = 0; b < bytes; b++)
        payload[b] = (uint8_t) g_rand_int (rand);
      ember_gguf_writer_add_tensor (w, name, types[i], 2, dims, payload);
    }

  g_assert_cmpint (ember_gguf_writer_write_memory (w, &data, size, &error), ==, EMBER_OK);
  ember_gguf_writer_free (w);
  return data;
}

/* ---- real files ---------------------------------------------------------- */

static void
test_stories (void)
{
  g_autofree char *path = hearth_test_shared_file ("models/stories260K.gguf");
  ember_gguf *gguf = NULL;
  ember_error error = { 0 };
  const ember_gguf_tensor *t;
  const ember_gguf_value *tokens;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;

  if (path == NULL)
    return;

  g_assert_cmpint (ember_gguf_open (path, &gguf, &error), ==, EMBER_OK);
  g_assert_cmpuint (ember_gguf_get_version (gguf), ==, 3);
  g_assert_cmpuint (ember_gguf_get_alignment (gguf), ==, 32); /* no general.alignment */
  g_assert_cmpuint (ember_gguf_get_n_kv (gguf), ==, 19);
  g_assert_cmpuint (ember_gguf_get_n_tensors (gguf), ==, 48);

  g_assert_cmpstr (ember_gguf_get_string (gguf, "general.architecture", NULL), ==, "llama");
  g_assert_true (ember_gguf_get_uint (gguf, "llama.context_length", &u));
  g_assert_cmpuint (u, ==, 2048);
  g_assert_true (ember_gguf_get_int (gguf, "llama.block_count", &i));
  g_assert_cmpint (i, ==, 5);
  g_assert_true (ember_gguf_get_float (gguf, "llama.attention.layer_norm_rms_epsilon", &f));
  g_assert_cmpfloat_with_epsilon (f, 1e-5, 1e-9);
  g_assert_false (ember_gguf_get_float (gguf, "llama.block_count", &f));
  g_assert_false (ember_gguf_get_uint (gguf, "general.architecture", &u));
  g_assert_false (ember_gguf_get_uint (gguf, "no.such.key", &u));
  /* the harmless oddity of this file: a misspelled, obsolete key */
  g_assert_nonnull (ember_gguf_find_value (gguf, "tokenizer.ggml.seperator_token_id"));

  tokens = ember_gguf_get_array (gguf, "tokenizer.ggml.tokens");
  g_assert_nonnull (tokens);
  g_assert_cmpint (tokens->array.type, ==, EMBER_GGUF_TYPE_STRING);
  g_assert_cmpuint (tokens->array.count, ==, 512);
  g_assert_cmpstr (tokens->array.items[1].string.data, ==, "<s>");
  g_assert_cmpstr (tokens->array.items[2].string.data, ==, "</s>");

  t = ember_gguf_find_tensor (gguf, "token_embd.weight");
  g_assert_nonnull (t);
  g_assert_cmpstr (t->type->name, ==, "F32");
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpuint (t->dims[0], ==, 64);
  g_assert_cmpuint (t->dims[1], ==, 512);
  g_assert_cmpuint (t->size, ==, 64 * 512 * 4);
  g_assert_cmpuint (t->n_elements, ==, 64 * 512);

  {
    uint64_t params = 0;

    for (uint64_t k = 0; k < ember_gguf_get_n_tensors (gguf); k++)
      params += ember_gguf_get_tensor (gguf, k)->n_elements;
    g_assert_cmpuint (params, ==, 292800);
  }
  g_assert_cmpuint (gguf_touch (gguf), >, 0);
  ember_gguf_close (gguf);
}

static void
test_vocab_files (void)
{
  g_autofree char *dir = shared_path ("models/vocab");
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint n = 0;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    {
      g_test_skip ("models/vocab is missing (../shared is not beside the checkout)");
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      ember_gguf *gguf = NULL;
      ember_error error = { 0 };

      if (!g_str_has_suffix (name, ".gguf"))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (ember_gguf_open (path, &gguf, &error) != EMBER_OK)
        g_error ("%s: %s", name, error.message);
      g_assert_nonnull (ember_gguf_get_string (gguf, "tokenizer.ggml.model", NULL));
      g_assert_nonnull (ember_gguf_get_array (gguf, "tokenizer.ggml.tokens"));
      gguf_touch (gguf);
      ember_gguf_close (gguf);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

static void
test_legacy_v1 (void)
{
  g_autofree char *path = hearth_test_shared_file ("models/legacy/tinyllamas-stories-260k-f32.ggufv1.gguf");
  ember_gguf *gguf = NULL;
  ember_error error = { 0 };

  if (path == NULL)
    return;
  g_assert_cmpint (ember_gguf_open (path, &gguf, &error), ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_null (gguf);
  g_assert_nonnull (strstr (error.message, "unsupported old format: GGUF version 1"));
  g_assert_true (g_str_has_prefix (error.message, path));
}

static void
test_open_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-gguf-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.gguf", NULL);
  ember_gguf *gguf = NULL;
  ember_error error = { 0 };

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_cmpint (ember_gguf_open (empty, &gguf, &error), !=, EMBER_OK);
  g_assert_nonnull (strstr (error.message, "is empty"));
  g_assert_cmpint (ember_gguf_open (dir, &gguf, &error), !=, EMBER_OK);
  g_assert_nonnull (strstr (error.message, "not a regular file"));
  g_assert_cmpint (ember_gguf_open ("/nonexistent/x.gguf", &gguf, &error), !=, EMBER_OK);
  g_assert_nonnull (strstr (error.message, "No such file"));
  g_assert_null (gguf);
  g_unlink (empty);
  g_rmdir (dir);
}

/* ---- the writer ---------------------------------------------------------- */

static void
test_writer_round_trip (void)
{
  size_t size = 0;
  g_autofree uint8_t *data = make_fixture (&size);
  ember_error error = { 0 };
  ember_gguf *gguf = open_bytes (data, size, &error);
  const ember_gguf_value *v;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  uint64_t len = 0;

  if (gguf == NULL)
    g_error ("the fixture does not load: %s", error.message);

  g_assert_cmpuint (ember_gguf_get_n_kv (gguf), ==, 17);
  g_assert_cmpstr (ember_gguf_get_string (gguf, "general.name", &len), ==, "fixture 模型");
  g_assert_cmpuint (len, ==, strlen ("fixture 模型"));
  g_assert_true (ember_gguf_get_uint (gguf, "test.u8", &u) && u == 200);
  g_assert_true (ember_gguf_get_int (gguf, "test.i8", &i) && i == -100);
  g_assert_true (ember_gguf_get_uint (gguf, "test.u16", &u) && u == 60000);
  g_assert_true (ember_gguf_get_int (gguf, "test.i16", &i) && i == -30000);
  g_assert_true (ember_gguf_get_int (gguf, "test.i32", &i) && i == -2000000000);
  g_assert_false (ember_gguf_get_uint (gguf, "test.i32", &u)); /* negative */
  g_assert_true (ember_gguf_get_uint (gguf, "test.u64", &u) && u == 18000000000000000000ull);
  g_assert_false (ember_gguf_get_int (gguf, "test.u64", &i)); /* does not fit */
  g_assert_true (ember_gguf_get_int (gguf, "test.i64", &i) && i == -9000000000000000000ll);
  g_assert_true (ember_gguf_get_float (gguf, "test.f64", &f) && f == 3.25);
  g_assert_true (ember_gguf_get_bool (gguf, "test.bool", &b) && b);

  v = ember_gguf_get_array (gguf, "tokenizer.ggml.tokens");
  g_assert_cmpuint (v->array.count, ==, 6);
  g_assert_cmpstr (v->array.items[4].string.data, ==, "你好");
  g_assert_cmpuint (v->array.items[5].string.length, ==, 0);
  v = ember_gguf_get_array (gguf, "tokenizer.ggml.scores");
  g_assert_cmpint (v->array.type, ==, EMBER_GGUF_TYPE_FLOAT32);
  g_assert_cmpfloat (((const float *) v->array.data)[4], ==, -2.25f);
  v = ember_gguf_get_array (gguf, "tokenizer.ggml.token_type");
  g_assert_cmpint (((const int32_t *) v->array.data)[1], ==, 3);

  v = ember_gguf_get_array (gguf, "test.nested");
  g_assert_cmpint (v->array.type, ==, EMBER_GGUF_TYPE_ARRAY);
  g_assert_cmpuint (v->array.count, ==, 2);
  g_assert_cmpuint (v->array.items[0].array.count, ==, 2);
  g_assert_cmpuint (((const uint16_t *) v->array.items[0].array.data)[1], ==, 2);
  g_assert_cmpuint (((const uint16_t *) v->array.items[1].array.data)[0], ==, 3);

  g_assert_cmpuint (ember_gguf_get_n_tensors (gguf), ==, 13);
  for (uint64_t k = 0; k < 13; k++)
    {
      const ember_gguf_tensor *t = ember_gguf_get_tensor (gguf, k);
      uint64_t row;

      g_assert_cmpuint ((uintptr_t) ((const uint8_t *) t->data - data) % 32, ==, 0);
      g_assert_true (ember_type_row_bytes (t->type, 256, &row));
      g_assert_cmpuint (t->size, ==, row * 3);
      g_assert_true (ember_gguf_find_tensor (gguf, t->name) == t);
    }
  g_assert_null (ember_gguf_find_tensor (gguf, "no.such.tensor"));
  ember_gguf_close (gguf);
}

/* ---- one crafted file per rule ------------------------------------------ */

/* Little-endian byte builder for hand-made files. */
static void
put32 (GByteArray *b,
       uint32_t    v)
{
  uint8_t x[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };

  g_byte_array_append (b, x, 4);
}

static void
put64 (GByteArray *b,
       uint64_t    v)
{
  put32 (b, (uint32_t) v);
  put32 (b, (uint32_t) (v >> 32));
}

static void
putstr (GByteArray *b,
        const char *s)
{
  put64 (b, strlen (s));
  g_byte_array_append (b, (const uint8_t *) s, strlen (s));
}

static GByteArray *
header (uint32_t version,
        uint64_t n_tensors,
        uint64_t n_kv)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const uint8_t *) "GGUF", 4);
  put32 (b, version);
  put64 (b, n_tensors);
  put64 (b, n_kv);
  return b;
}

/* Appends one tensor info. */
static void
tensor_info (GByteArray     *b,
             const char     *name,
             uint32_t        n_dims,
             const uint64_t *dims,
             uint32_t        type,
             uint64_t        offset)
{
  putstr (b, name);
  put32 (b, n_dims);
  for (uint32_t d = 0; d < n_dims; d++)
    put64 (b, dims[d]);
  put32 (b, type);
  put64 (b, offset);
}

/* Pads to 32 and appends @n data bytes. */
static void
data_section (GByteArray *b,
              size_t      n)
{
  static const uint8_t zero[1] = { 0 };

  while (b->len % 32 != 0)
    g_byte_array_append (b, zero, 1);
  for (size_t i = 0; i < n; i++)
    g_byte_array_append (b, zero, 1);
}

static void
expect_error (GByteArray *b,
              const char *fragment)
{
  /* An exact-size heap copy, so that any overread is caught by ASan. */
  g_autofree uint8_t *copy = g_memdup2 (b->data, b->len);
  ember_error error = { 0 };
  ember_gguf *gguf = open_bytes (copy, b->len, &error);

  if (gguf != NULL)
    g_error ("expected an error containing \"%s\", but the file loaded", fragment);
  if (strstr (error.message, fragment) == NULL)
    g_error ("expected an error containing \"%s\", got \"%s\"", fragment, error.message);
  g_byte_array_unref (b);
}

static void
test_validation_messages (void)
{
  const uint64_t dims_64x2[] = { 64, 2 };
  GByteArray *b;

  b = g_byte_array_new ();
  g_byte_array_append (b, (const uint8_t *) "GGML\3\0\0\0", 8);
  expect_error (b, "not a GGUF file");

  expect_error (header (4, 0, 0), "GGUF version 4 is not supported");
  expect_error (header (0x03000000u, 0, 0), "big-endian");
  expect_error (header (1, 0, 0), "unsupported old format");

  b = header (3, 0, 0);
  g_byte_array_set_size (b, 10);
  expect_error (b, "truncated");

  expect_error (header (3, 1000000, 0), "claims 1,000,000 tensors");
  expect_error (header (3, 0, UINT64_MAX), "metadata entries");

  /* a string longer than the file */
  b = header (3, 0, 1);
  putstr (b, "general.name");
  put32 (b, EMBER_GGUF_TYPE_STRING);
  put64 (b, 1ull << 40);
  expect_error (b, "metadata key general.name: a string value is 1,099,511,627,776 bytes long");

  /* an unknown value type */
  b = header (3, 0, 1);
  putstr (b, "x.y");
  put32 (b, 13);
  expect_error (b, "metadata key x.y: unknown value type 13");

  /* an empty key, a key with a NUL inside */
  b = header (3, 0, 1);
  putstr (b, "");
  data_section (b, 32);
  expect_error (b, "the key is empty");
  b = header (3, 0, 1);
  put64 (b, 3);
  g_byte_array_append (b, (const uint8_t *) "a\0b", 3);
  data_section (b, 32);
  expect_error (b, "contains a NUL byte");

  /* a duplicate key */
  b = header (3, 0, 2);
  for (int i = 0; i < 2; i++)
    {
      putstr (b, "llama.block_count");
      put32 (b, EMBER_GGUF_TYPE_UINT32);
      put32 (b, 5);
    }
  expect_error (b, "metadata key llama.block_count appears twice");

  /* an array that cannot fit */
  b = header (3, 0, 1);
  putstr (b, "tokenizer.ggml.scores");
  put32 (b, EMBER_GGUF_TYPE_ARRAY);
  put32 (b, EMBER_GGUF_TYPE_FLOAT32);
  put64 (b, 1ull << 60);
  expect_error (b, "float32 elements cannot fit");

  /* arrays nested too deep */
  b = header (3, 0, 1);
  putstr (b, "deep");
  put32 (b, EMBER_GGUF_TYPE_ARRAY);
  for (int i = 0; i < 10; i++)
    {
      put32 (b, EMBER_GGUF_TYPE_ARRAY);
      put64 (b, 1);
    }
  expect_error (b, "nested more than 8 deep");

  /* alignment */
  b = header (3, 0, 1);
  putstr (b, "general.alignment");
  put32 (b, EMBER_GGUF_TYPE_UINT32);
  put32 (b, 24);
  expect_error (b, "general.alignment must be a power of two");

  /* tensors: bad dimensions, types, sizes, offsets */
  b = header (3, 1, 0);
  tensor_info (b, "t", 5, (const uint64_t[]) { 1, 1, 1, 1, 1 }, EMBER_TYPE_F32, 0);
  expect_error (b, "tensor t has 5 dimensions");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, (const uint64_t[]) { 64, 0 }, EMBER_TYPE_F32, 0);
  expect_error (b, "tensor t: dimension 1 is 0");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, (const uint64_t[]) { 1ull << 40, 1ull << 40 }, EMBER_TYPE_F32, 0);
  expect_error (b, "impossibly large");

  b = header (3, 1, 0);
  tensor_info (b, "blk.0.attn_q.weight", 2, dims_64x2, 16, 0);
  expect_error (b, "tensor blk.0.attn_q.weight has type IQ2_XXS (16), which Hearth does not support");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, dims_64x2, 99, 0);
  expect_error (b, "tensor t has unknown type 99");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, (const uint64_t[]) { 33, 2 }, EMBER_TYPE_Q4_0, 0);
  expect_error (b, "rows of 33 elements are not a whole number of Q4_0 blocks");

  b = header (3, 1, 0);
  tensor_info (b, "blk.3.ffn_up.weight", 2, dims_64x2, EMBER_TYPE_F32, 0);
  data_section (b, 100);
  expect_error (b, "tensor blk.3.ffn_up.weight: data ends at byte 608, past the end of the file (196 bytes)");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, dims_64x2, EMBER_TYPE_F32, 16);
  data_section (b, 1024);
  expect_error (b, "tensor t: data offset 16 is not a multiple of the alignment (32)");

  b = header (3, 1, 0);
  tensor_info (b, "t", 2, dims_64x2, EMBER_TYPE_F32, UINT64_MAX - 31);
  data_section (b, 1024);
  expect_error (b, "impossibly large");

  b = header (3, 2, 0);
  tensor_info (b, "a", 2, dims_64x2, EMBER_TYPE_F32, 0);
  tensor_info (b, "b", 2, dims_64x2, EMBER_TYPE_F32, 256);
  data_section (b, 1024);
  expect_error (b, "tensors a and b overlap");

  b = header (3, 2, 0);
  tensor_info (b, "same", 2, dims_64x2, EMBER_TYPE_F32, 0);
  tensor_info (b, "same", 2, dims_64x2, EMBER_TYPE_F32, 512);
  data_section (b, 1024);
  expect_error (b, "tensor same appears twice");

  /* and the same shapes, done right, load */
  {
    g_autoptr (GByteArray) good = header (3, 2, 0);
    ember_error error = { 0 };
    ember_gguf *gguf;

    tensor_info (good, "a", 2, dims_64x2, EMBER_TYPE_F32, 0);
    tensor_info (good, "b", 2, dims_64x2, EMBER_TYPE_F32, 512);
    data_section (good, 1024);
    gguf = open_bytes (good->data, good->len, &error);
    g_assert_nonnull (gguf);
    ember_gguf_close (gguf);
  }
}

/* Metadata keys and tensor names are text (llama.cpp refuses a file whose
 * names are not UTF-8, and the window shows the keys): a name that is not
 * strict UTF-8 is refused, the message saying which entry and where; names
 * in other scripts load. String values are not checked here: the tokenizer
 * and the template read them with llama.cpp's handling of bad bytes. */
static void
test_utf8_names (void)
{
  static const struct {
    const char *bytes;
    const char *why;
  } bad[] = {
    { "general.\xC3", "a truncated sequence" },
    { "general.\xC0\xAFname", "an overlong '/'" },
    { "general.\xE0\x80\xAFname", "an overlong '/' in three bytes" },
    { "general.\xED\xA0\x80name", "a surrogate (U+D800)" },
    { "general.\xF4\x90\x80\x80name", "past U+10FFFF" },
    { "general.\xFFname", "a byte that never starts a sequence" },
    { "general.\x80name", "a stray continuation byte" },
  };
  const uint64_t dims_64x2[] = { 64, 2 };
  GByteArray *b;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("a key with %s", bad[i].why);
      /* entry 1, the bad byte 8 bytes into its key: at byte 24 + 27 + 8 + 8 */
      b = header (3, 0, 2);
      putstr (b, "general.architecture");
      put32 (b, EMBER_GGUF_TYPE_STRING);
      putstr (b, "llama");
      putstr (b, bad[i].bytes);
      put32 (b, EMBER_GGUF_TYPE_UINT32);
      put32 (b, 1);
      expect_error (b, "metadata entry 1: the key is not valid UTF-8 (byte 8 of it, at byte 85 of the "
                       "file)");
    }

  b = header (3, 1, 0);
  tensor_info (b, "blk.0.\xED\xBF\xBF", 2, dims_64x2, EMBER_TYPE_F32, 0);
  data_section (b, 1024);
  expect_error (b, "tensor 0: the name is not valid UTF-8 (byte 6 of it, at byte 38 of the file)");

  /* other scripts are text: a key and a tensor name in Chinese load */
  {
    g_autoptr (GByteArray) good = header (3, 1, 1);
    ember_error error = { 0 };
    ember_gguf *gguf;

    putstr (good, "general.名称");
    put32 (good, EMBER_GGUF_TYPE_STRING);
    putstr (good, "小故事");
    tensor_info (good, "权重.\xF0\x9F\x94\xA5", 2, dims_64x2, EMBER_TYPE_F32, 0);
    data_section (good, 1024);
    gguf = open_bytes (good->data, good->len, &error);
    g_assert_nonnull (gguf);
    g_assert_nonnull (ember_gguf_find_value (gguf, "general.名称"));
    ember_gguf_close (gguf);
  }

  /* a file written by the writer, read from disk as the store does */
  {
    g_autofree char *dir = g_dir_make_tmp ("hearth-gguf-utf8-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "bad-key.gguf", NULL);
    ember_gguf_writer *w = ember_gguf_writer_new ();
    ember_error error = { 0 };
    ember_gguf *gguf = NULL;

    ember_gguf_writer_add_string (w, "general.architecture", "llama");
    ember_gguf_writer_add_string (w, "tokenizer.ggml.\xC3\x28", "x");
    g_assert_cmpint (ember_gguf_writer_write_file (w, path, NULL), ==, EMBER_OK);
    ember_gguf_writer_free (w);
    g_assert_cmpint (ember_gguf_open (path, &gguf, &error), !=, EMBER_OK);
    g_assert_null (gguf);
    g_assert_nonnull (strstr (error.message, "metadata entry 1: the key is not valid UTF-8 (byte 15 of it"));
    g_unlink (path);
    g_rmdir (dir);
  }
}

/* ---- mutations ----------------------------------------------------------- */

/* Where the structural fields of a valid file are: counts, lengths, types
 * and offsets, found by walking the file as the format describes it. */
typedef struct
{
  GArray *fields; /* guint64 offsets of 8-byte fields */
  GArray *fields32; /* guint64 offsets of 4-byte fields */
  uint64_t end_of_infos;
} FieldMap;

static uint64_t
rd64 (const uint8_t *p)
{
  uint64_t v = 0;

  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint32_t
rd32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t
walk_value (const uint8_t *d,
            uint64_t       pos,
            uint32_t       type,
            FieldMap      *map)
{
  static const uint64_t sizes[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

  if (type == EMBER_GGUF_TYPE_STRING)
    {
      g_array_append_val (map->fields, pos);
      return pos + 8 + rd64 (d + pos);
    }
  if (type == EMBER_GGUF_TYPE_ARRAY)
    {
      uint32_t et = rd32 (d + pos);
      uint64_t count = rd64 (d + pos + 4);
      uint64_t count_pos = pos + 4;

      g_array_append_val (map->fields32, pos);
      g_array_append_val (map->fields, count_pos);
      pos += 12;
      if (et == EMBER_GGUF_TYPE_STRING || et == EMBER_GGUF_TYPE_ARRAY)
        {
          /* Only the first few elements' fields: enough to aim at. */
          for (uint64_t i = 0; i < count; i++)
            {
              if (i < 4)
                pos = walk_value (d, pos, et, map);
              else if (et == EMBER_GGUF_TYPE_STRING)
                pos += 8 + rd64 (d + pos);
              else
                pos = walk_value (d, pos, et, &(FieldMap) { map->fields, map->fields32, 0 });
            }
          return pos;
        }
      return pos + count * sizes[et];
    }
  return pos + sizes[type];
}

static FieldMap
map_fields (const uint8_t *d)
{
  FieldMap map = { g_array_new (FALSE, FALSE, sizeof (guint64)),
                   g_array_new (FALSE, FALSE, sizeof (guint64)), 0 };
  uint64_t n_tensors = rd64 (d + 8), n_kv = rd64 (d + 16);
  uint64_t pos = 24;
  guint64 at;

  at = 8;
  g_array_append_val (map.fields, at);
  at = 16;
  g_array_append_val (map.fields, at);
  at = 4;
  g_array_append_val (map.fields32, at);

  for (uint64_t i = 0; i < n_kv; i++)
    {
      uint32_t type;

      g_array_append_val (map.fields, pos); /* key length */
      pos += 8 + rd64 (d + pos);
      g_array_append_val (map.fields32, pos); /* value type */
      type = rd32 (d + pos);
      pos = walk_value (d, pos + 4, type, &map);
    }
  for (uint64_t i = 0; i < n_tensors; i++)
    {
      uint32_t n_dims;

      g_array_append_val (map.fields, pos); /* name length */
      pos += 8 + rd64 (d + pos);
      g_array_append_val (map.fields32, pos); /* n_dims */
      n_dims = rd32 (d + pos);
      pos += 4;
      for (uint32_t k = 0; k < n_dims; k++, pos += 8)
        g_array_append_val (map.fields, pos);
      g_array_append_val (map.fields32, pos); /* type */
      pos += 4;
      g_array_append_val (map.fields, pos); /* offset */
      pos += 8;
    }
  map.end_of_infos = pos;
  return map;
}

/* Loads a mutated copy: a clean load is touched everywhere, an error must
 * carry a message. Returns TRUE when it loaded. */
static gboolean
try_mutation (const uint8_t *bytes,
              size_t         size)
{
  g_autofree uint8_t *copy = g_memdup2 (bytes, size > 0 ? size : 1);
  ember_error error = { 0 };
  ember_gguf *gguf = open_bytes (copy, size, &error);

  if (gguf == NULL)
    return FALSE;
  gguf_touch (gguf);

  /* What parses goes on to everything that reads a model: the description,
   * the tokenizer, the loader; each must succeed or say why. */
  {
    ember_model_info info;
    ember_tokenizer *tok = NULL;
    ember_model *model = NULL;
    ember_gguf *again = NULL;

    if (ember_model_info_from_gguf (gguf, &info, &error) != EMBER_OK)
      g_assert_cmpstr (error.message, !=, "");
    if (ember_tokenizer_new_from_gguf (gguf, &tok, &error) == EMBER_OK)
      {
        int32_t *ids = NULL;
        size_t n_ids = 0;

        if (ember_tokenizer_encode (tok, "Hello 世界 <s>", strlen ("Hello 世界 <s>"),
                                    EMBER_TOKENIZE_ADD_SPECIAL | EMBER_TOKENIZE_PARSE_SPECIAL,
                                    &ids, &n_ids, &error) == EMBER_OK)
          free (ids);
        ember_tokenizer_free (tok);
      }
    else
      g_assert_cmpstr (error.message, !=, "");
    g_assert_cmpint (ember_gguf_open_memory (copy, size, &again, &error), ==, EMBER_OK);
    if (ember_model_load_gguf (again, &model, &error) == EMBER_OK)
      ember_model_free (model);
    else
      g_assert_cmpstr (error.message, !=, "");
  }
  ember_gguf_close (gguf);
  return TRUE;
}

static guint
mutate_file (const uint8_t *orig,
             size_t         size,
             guint32        seed,
             guint         *loaded)
{
  static const uint64_t interesting[] = {
    0, 1, 2, 7, 8, 31, 32, 33, 255, 256, 4096, 65535, 0x7fffffff, 0x80000000u, 0xffffffffu,
    0x100000000ull, 1ull << 40, 0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX,
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree uint8_t *buf = g_malloc (size);
  FieldMap map = map_fields (orig);
  uint64_t header_span = MIN (map.end_of_infos + 64, size);
  guint n = 0;

  /* Truncations: at every structural boundary we know of, and at random. */
  for (guint i = 0; i < map.fields->len; i++)
    {
      uint64_t at = g_array_index (map.fields, guint64, i);

      *loaded += try_mutation (orig, at + g_rand_int_range (rand, 0, 9));
      n++;
    }
  for (guint i = 0; i < 150; i++, n++)
    *loaded += try_mutation (orig, g_rand_int_range (rand, 0, (gint32) MIN (size, G_MAXINT32)));

  /* Count, length, type and offset corruptions. */
  for (guint i = 0; i < map.fields->len; i++)
    for (guint k = 0; k < 4; k++, n++)
      {
        uint64_t at = g_array_index (map.fields, guint64, i);
        uint64_t v = interesting[g_rand_int_range (rand, 0, G_N_ELEMENTS (interesting))];

        if (k == 0)
          v = rd64 (orig + at) + (uint64_t) g_rand_int_range (rand, -3, 4);
        memcpy (buf, orig, size);
        for (int byte = 0; byte < 8; byte++)
          buf[at + byte] = (uint8_t) (v >> (8 * byte));
        *loaded += try_mutation (buf, size);
      }
  for (guint i = 0; i < map.fields32->len; i++)
    for (guint k = 0; k < 3; k++, n++)
      {
        uint64_t at = g_array_index (map.fields32, guint64, i);
        uint32_t v = (uint32_t) interesting[g_rand_int_range (rand, 0, G_N_ELEMENTS (interesting))];

        if (k == 0)
          v = (uint32_t) g_rand_int_range (rand, 0, 40); /* types near the valid ones */
        memcpy (buf, orig, size);
        for (int byte = 0; byte < 4; byte++)
          buf[at + byte] = (uint8_t) (v >> (8 * byte));
        *loaded += try_mutation (buf, size);
      }

  /* Bit flips, mostly in the header and tables where they matter. */
  for (guint i = 0; i < 400; i++, n++)
    {
      uint64_t at = g_rand_int_range (rand, 0, 4) > 0
                      ? (uint64_t) g_rand_int_range (rand, 0, (gint32) header_span)
                      : (uint64_t) g_rand_int_range (rand, 0, (gint32) MIN (size, G_MAXINT32));

      memcpy (buf, orig, size);
      buf[at] ^= (uint8_t) (1u << g_rand_int_range (rand, 0, 8));
      if (g_rand_boolean (rand))
        buf[g_rand_int_range (rand, 0, (gint32) header_span)] ^= (uint8_t) g_rand_int (rand);
      *loaded += try_mutation (buf, size);
    }

  g_array_unref (map.fields);
  g_array_unref (map.fields32);
  return n;
}

static void
test_mutations (void)
{
  const char *shared_files[] = {
    "models/stories260K.gguf",
    "models/vocab/ggml-vocab-bert-bge.gguf",
  };
  size_t fixture_size = 0;
  g_autofree uint8_t *fixture = make_fixture (&fixture_size);
  guint total = 0, loaded = 0, files = 0;

  total += mutate_file (fixture, fixture_size, 1, &loaded);
  files++;

  /* Generated models: a SentencePiece llama and a BPE qwen2 with K-quants. */
  {
    g_autofree char *dir = g_dir_make_tmp ("hearth-mutate-XXXXXX", NULL);
    const struct { const char *arch; ember_type type; } models[] = {
      { "llama", EMBER_TYPE_Q8_0 },
      { "qwen2", EMBER_TYPE_Q4_K },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
      {
        g_autofree char *path = g_build_filename (dir, "model.gguf", NULL);
        g_autofree char *contents = NULL;
        gsize len = 0;
        hearth_test_model m;
        ember_error error = { 0 };

        g_assert_true (hearth_test_model_preset (&m, "tiny"));
        m.arch = models[i].arch;
        m.n_embd = 256;
        m.weight_type = models[i].type;
        g_assert_cmpint (hearth_test_model_write (&m, path, &error), ==, EMBER_OK);
        g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
        total += mutate_file ((const uint8_t *) contents, len, 10 + (guint32) i, &loaded);
        files++;
        g_unlink (path);
      }
    g_rmdir (dir);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (shared_files); i++)
    {
      g_autofree char *path = shared_path (shared_files[i]);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL))
        {
          g_test_message ("%s is missing: mutating generated files only", shared_files[i]);
          continue;
        }
      total += mutate_file ((const uint8_t *) contents, len, 100 + (guint32) i, &loaded);
      files++;
    }

  g_test_message ("%u mutations of %u files: %u loaded cleanly, %u refused with a message",
                  total, files, loaded, total - loaded);
  g_assert_cmpuint (total, >=, 2000);
  /* Both outcomes happen: the mutations are not all trivially fatal. */
  g_assert_cmpuint (loaded, >, 0);
  g_assert_cmpuint (total - loaded, >, 0);
}

/* ---- generated models --------------------------------------------------- */

static void
test_generated_models (void)
{
  static const ember_type types[] = {
    EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16, EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1,
    EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0, EMBER_TYPE_Q2_K, EMBER_TYPE_Q3_K,
    EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K, EMBER_TYPE_Q6_K,
  };
  static const char *const archs[] = { "llama", "qwen2", "qwen3" };
  g_autofree char *dir = g_dir_make_tmp ("hearth-models-XXXXXX", NULL);

  for (gsize a = 0; a < G_N_ELEMENTS (archs); a++)
    for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
      {
        hearth_test_model m;
        g_autofree char *path = g_build_filename (dir, "model.gguf", NULL);
        ember_gguf *gguf = NULL;
        ember_model_info info;
        ember_error error = { 0 };
        const ember_gguf_tensor *q;
        g_autofree float *stored = NULL;
        g_autofree float *source = NULL;
        double e;

        /* 256-wide rows, so that every type (K-quants included) is used as is */
        g_assert_true (hearth_test_model_preset (&m, "tiny"));
        m.arch = archs[a];
        m.n_embd = 256;
        m.n_ff = 512;
        m.n_head = 4;
        m.n_head_kv = 2;
        m.head_dim = g_str_equal (archs[a], "qwen3") ? 64 : 0;
        m.n_vocab = 320;
        m.weight_type = types[t];
        m.seed = 42 + t;
        if (hearth_test_model_write (&m, path, &error) != EMBER_OK)
          g_error ("%s %s: %s", archs[a], ember_type_get_info (types[t])->name, error.message);

        if (ember_gguf_open (path, &gguf, &error) != EMBER_OK)
          g_error ("%s", error.message);
        gguf_touch (gguf);
        g_assert_cmpint (ember_model_info_from_gguf (gguf, &info, &error), ==, EMBER_OK);
        g_assert_cmpstr (info.architecture, ==, archs[a]);
        g_assert_cmpuint (info.block_count, ==, 2);
        g_assert_cmpuint (info.embedding_length, ==, 256);
        g_assert_cmpuint (info.head_count_kv, ==, 2);
        g_assert_cmpuint (info.key_length, ==, 64);
        g_assert_cmpuint (info.vocab_size, ==, 320);
        g_assert_cmpstr (info.tokenizer_model, ==, g_str_equal (archs[a], "llama") ? "llama" : "gpt2");
        g_assert_true ((info.chat_template != NULL) == !g_str_equal (archs[a], "llama"));
        g_assert_nonnull (ember_gguf_find_tensor (gguf, "output.weight"));
        g_assert_true ((ember_gguf_find_tensor (gguf, "blk.1.attn_q.bias") != NULL) == g_str_equal (archs[a], "qwen2"));
        g_assert_true ((ember_gguf_find_tensor (gguf, "blk.1.attn_k_norm.weight") != NULL) == g_str_equal (archs[a], "qwen3"));

        /* the matrices have the type asked for, and hold the source values */
        q = ember_gguf_find_tensor (gguf, "blk.0.ffn_down.weight");
        g_assert_nonnull (q);
        g_assert_cmpint (q->type->type, ==, types[t]);
        stored = g_new (float, q->n_elements);
        g_assert_cmpint (ember_dequantize_row (types[t], q->data, stored, q->n_elements, &error), ==, EMBER_OK);
        source = hearth_test_model_tensor_values (&m, q->name, q->n_elements);
        e = hearth_test_nmse (stored, source, q->n_elements);
        /* Q2_K is the coarsest: ~0.1; the 8-bit and float types far below */
        if (e > 0.15)
          g_error ("%s %s: normalised error %g", archs[a], q->type->name, e);
        if (types[t] == EMBER_TYPE_F32)
          g_assert_cmpfloat (e, ==, 0.0);

        ember_gguf_close (gguf);
        g_unlink (path);
      }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gguf/stories260K", test_stories);
  g_test_add_func ("/gguf/vocab-files", test_vocab_files);
  g_test_add_func ("/gguf/legacy-v1", test_legacy_v1);
  g_test_add_func ("/gguf/open-errors", test_open_errors);
  g_test_add_func ("/gguf/writer-round-trip", test_writer_round_trip);
  g_test_add_func ("/gguf/validation-messages", test_validation_messages);
  g_test_add_func ("/gguf/utf8-names", test_utf8_names);
  g_test_add_func ("/gguf/mutations", test_mutations);
  g_test_add_func ("/gguf/generated-models", test_generated_models);

  return g_test_run ();
}
