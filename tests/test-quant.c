/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU (de)quantizers against ggml's own output: the fixtures in
 * $HEARTH_SHARED_DIR/fixtures/quant were written by ggml's reference code
 * (8 rows of 1024 values per type). Dequantizing must give ggml's floats bit
 * for bit; quantizing must give ggml's bytes for the types listed as byte-exact
 * below, and a small normalised error for the others. Plus the scalar
 * conversions' edge cases and the error paths.
 */

#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ember.h"

#define FIXTURE_ROWS 8
#define FIXTURE_ROW_LENGTH 1024
#define FIXTURE_ELEMENTS (FIXTURE_ROWS * FIXTURE_ROW_LENGTH)

typedef struct {
  ember_type type;
  const char *file;   /* fixture prefix, as ggml names the type */
  bool byte_exact;    /* quantizing reproduces ggml's bytes */
  double max_nmse;    /* bound on |deq(q(x)) - x|² / |x|² */
} quant_case;

/* Every type quantizes byte for byte as ggml's quantize_row_*_ref does; the
 * error bounds are a second, looser check (measured on the fixture's input,
 * with some room) that would still catch a broken quantizer were a type ever
 * taken off the byte-exact list. */
static const quant_case cases[] = {
  { EMBER_TYPE_F16, "f16", true, 1e-7 },
  { EMBER_TYPE_BF16, "bf16", true, 1e-5 },
  { EMBER_TYPE_Q8_0, "q8_0", true, 2e-4 },
  { EMBER_TYPE_Q4_0, "q4_0", true, 4e-2 },
  { EMBER_TYPE_Q4_1, "q4_1", true, 1.5e-2 },
  { EMBER_TYPE_Q5_0, "q5_0", true, 1e-2 },
  { EMBER_TYPE_Q5_1, "q5_1", true, 4e-3 },
  { EMBER_TYPE_Q2_K, "q2_K", true, 1.5e-1 },
  { EMBER_TYPE_Q3_K, "q3_K", true, 8e-2 },
  { EMBER_TYPE_Q4_K, "q4_K", true, 1.2e-2 },
  { EMBER_TYPE_Q5_K, "q5_K", true, 4e-3 },
  { EMBER_TYPE_Q6_K, "q6_K", true, 1.2e-3 },
};

/* ---- fixtures ------------------------------------------------------------ */

/* The fixture folder, or NULL (and the test marked skipped) without it. */
static char *
fixture_dir (void)
{
  const char *shared = g_getenv ("HEARTH_SHARED_DIR");
  char *dir;

  if (shared == NULL || *shared == '\0')
    {
      g_test_skip ("HEARTH_SHARED_DIR is not set: no ggml quantization fixtures to compare with");
      return NULL;
    }
  dir = g_build_filename (shared, "fixtures", "quant", NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *reason =
        g_strdup_printf ("%s does not exist: no ggml quantization fixtures to compare with", dir);

      g_test_skip (reason);
      g_free (dir);
      return NULL;
    }
  return dir;
}

/* Reads fixture @name of exactly @size bytes; fails the test otherwise. */
static void *
read_fixture (const char *dir,
              const char *name,
              gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, size);
  return contents;
}

static gsize
row_bytes (ember_type type,
           uint64_t   n)
{
  uint64_t bytes = 0;

  g_assert_true (ember_type_row_bytes (ember_type_get_info (type), n, &bytes));
  return bytes;
}

/* ---- dequantization: ggml's floats, bit for bit ------------------------- */

static void
test_dequantize (gconstpointer data)
{
  const quant_case *c = data;
  g_autofree char *dir = fixture_dir ();
  g_autofree char *bin_name = NULL, *deq_name = NULL;
  g_autofree uint8_t *blocks = NULL;
  g_autofree uint32_t *expected = NULL;
  g_autofree uint32_t *got = NULL;
  gsize bytes = row_bytes (c->type, FIXTURE_ROW_LENGTH);
  ember_error error = { 0 };

  if (dir == NULL)
    return;
  bin_name = g_strdup_printf ("%s.ggml.bin", c->file);
  deq_name = g_strdup_printf ("%s.deq.f32", c->file);
  blocks = read_fixture (dir, bin_name, bytes * FIXTURE_ROWS);
  expected = read_fixture (dir, deq_name, FIXTURE_ELEMENTS * sizeof (float));
  got = g_new0 (uint32_t, FIXTURE_ELEMENTS);

  for (int row = 0; row < FIXTURE_ROWS; row++)
    g_assert_cmpint (ember_dequantize_row (c->type, blocks + row * bytes,
                                           (float *) got + row * FIXTURE_ROW_LENGTH,
                                           FIXTURE_ROW_LENGTH, &error),
                     ==, EMBER_OK);
  for (int i = 0; i < FIXTURE_ELEMENTS; i++)
    if (got[i] != expected[i])
      g_error ("%s element %d: got 0x%08x, ggml has 0x%08x", c->file, i, got[i], expected[i]);
}

/* ---- quantization: ggml's bytes, or a bounded error --------------------- */

static double
normalised_mse (const float *x,
                const float *y,
                size_t       n)
{
  double error = 0, norm = 0;

  for (size_t i = 0; i < n; i++)
    {
      error += ((double) y[i] - x[i]) * ((double) y[i] - x[i]);
      norm += (double) x[i] * x[i];
    }
  return error / norm;
}

static void
test_quantize (gconstpointer data)
{
  const quant_case *c = data;
  g_autofree char *dir = fixture_dir ();
  g_autofree char *src_name = NULL, *bin_name = NULL;
  g_autofree float *src = NULL;
  g_autofree uint8_t *expected = NULL;
  g_autofree uint8_t *got = NULL;
  g_autofree float *back = NULL;
  gsize bytes = row_bytes (c->type, FIXTURE_ROW_LENGTH);
  ember_error error = { 0 };
  double nmse;

  if (dir == NULL)
    return;
  src_name = g_strdup_printf ("%s.src.f32", c->file);
  bin_name = g_strdup_printf ("%s.ggml.bin", c->file);
  src = read_fixture (dir, src_name, FIXTURE_ELEMENTS * sizeof (float));
  expected = read_fixture (dir, bin_name, bytes * FIXTURE_ROWS);
  got = g_malloc0 (bytes * FIXTURE_ROWS);
  back = g_new0 (float, FIXTURE_ELEMENTS);

  for (int row = 0; row < FIXTURE_ROWS; row++)
    {
      g_assert_cmpint (ember_quantize_row (c->type, src + row * FIXTURE_ROW_LENGTH,
                                           got + row * bytes, FIXTURE_ROW_LENGTH, &error),
                       ==, EMBER_OK);
      g_assert_cmpint (ember_dequantize_row (c->type, got + row * bytes,
                                             back + row * FIXTURE_ROW_LENGTH,
                                             FIXTURE_ROW_LENGTH, &error),
                       ==, EMBER_OK);
    }

  nmse = normalised_mse (src, back, FIXTURE_ELEMENTS);
  g_test_message ("%s: normalised MSE %.3g (bound %.3g)", c->file, nmse, c->max_nmse);
  g_assert_cmpfloat (nmse, <, c->max_nmse);

  if (c->byte_exact)
    for (gsize i = 0; i < bytes * FIXTURE_ROWS; i++)
      if (got[i] != expected[i])
        g_error ("%s byte %" G_GSIZE_FORMAT " (block %" G_GSIZE_FORMAT ", offset %" G_GSIZE_FORMAT
                 "): got 0x%02x, ggml wrote 0x%02x", c->file, i,
                 i / ember_type_get_info (c->type)->block_bytes,
                 i % ember_type_get_info (c->type)->block_bytes, got[i], expected[i]);
}

/* ---- scalar conversions -------------------------------------------------- */

static uint32_t
bits_of (float f)
{
  uint32_t u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static float
float_of (uint32_t u)
{
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

static void
test_fp16 (void)
{
  static const struct {
    uint32_t f32;
    uint16_t f16;
  } narrow[] = {
    { 0x00000000, 0x0000 },  /* 0 */
    { 0x80000000, 0x8000 },  /* -0 */
    { 0x3f800000, 0x3c00 },  /* 1 */
    { 0xc0000000, 0xc000 },  /* -2 */
    { 0x477fe000, 0x7bff },  /* 65504, the largest half */
    { 0x477fefff, 0x7bff },  /* just under the tie: rounds down */
    { 0x477ff000, 0x7c00 },  /* 65520, a tie at the top: overflows to infinity */
    { 0x7f7fffff, 0x7c00 },  /* FLT_MAX */
    { 0x7f800000, 0x7c00 },  /* inf */
    { 0xff800000, 0xfc00 },  /* -inf */
    { 0x7fc00000, 0x7e00 },  /* NaN */
    { 0xffc00001, 0xfe00 },  /* -NaN with payload: canonical, sign kept */
    { 0x7f800001, 0x7e00 },  /* signalling NaN */
    { 0x38800000, 0x0400 },  /* 2^-14, the smallest normal */
    { 0x387fc000, 0x03ff },  /* the largest subnormal */
    { 0x33800000, 0x0001 },  /* 2^-24, the smallest subnormal */
    { 0x33000000, 0x0000 },  /* 2^-25, a tie: to even, zero */
    { 0x33000001, 0x0001 },  /* just over the tie */
    { 0x33c00000, 0x0002 },  /* 1.5 * 2^-24, a tie: to even, 2 */
    { 0xb3c00000, 0x8002 },
    { 0x00000001, 0x0000 },  /* a float subnormal */
    { 0x3f801000, 0x3c00 },  /* 1 + 2^-11, a tie: to even, 1 */
    { 0x3f803000, 0x3c02 },  /* 1 + 3 * 2^-11, a tie: to even, 1 + 2^-9 */
    { 0x3f801001, 0x3c01 },  /* just over a tie */
    { 0x3fffffff, 0x4000 },  /* a carry into the exponent */
  };
  static const struct {
    uint16_t f16;
    uint32_t f32;
  } widen[] = {
    { 0x0000, 0x00000000 }, { 0x8000, 0x80000000 }, { 0x3c00, 0x3f800000 },
    { 0x7bff, 0x477fe000 }, { 0x0400, 0x38800000 }, { 0x03ff, 0x387fc000 },
    { 0x0001, 0x33800000 }, { 0x8001, 0xb3800000 }, { 0x7c00, 0x7f800000 },
    { 0xfc00, 0xff800000 }, { 0x7e00, 0x7fc00000 },
    { 0x7c01, 0x7fc02000 },  /* a signalling NaN comes back quiet */
  };

  for (size_t i = 0; i < G_N_ELEMENTS (narrow); i++)
    {
      g_test_message ("fp32 0x%08x", narrow[i].f32);
      g_assert_cmphex (ember_fp32_to_fp16 (float_of (narrow[i].f32)), ==, narrow[i].f16);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (widen); i++)
    {
      g_test_message ("fp16 0x%04x", widen[i].f16);
      g_assert_cmphex (bits_of (ember_fp16_to_fp32 (widen[i].f16)), ==, widen[i].f32);
    }

  /* Every half that is not a NaN survives the round trip. */
  for (uint32_t h = 0; h <= 0xffff; h++)
    if ((h & 0x7c00) != 0x7c00 || (h & 0x3ff) == 0)
      g_assert_cmphex (ember_fp32_to_fp16 (ember_fp16_to_fp32 ((uint16_t) h)), ==, h);
}

static void
test_bf16 (void)
{
  static const struct {
    uint32_t f32;
    uint16_t bf16;
  } narrow[] = {
    { 0x00000000, 0x0000 }, { 0x80000000, 0x8000 }, { 0x3f800000, 0x3f80 },
    { 0x3f808000, 0x3f80 },  /* a tie: to even */
    { 0x3f818000, 0x3f82 },  /* a tie: to even, up */
    { 0x3f808001, 0x3f81 },  /* just over a tie */
    { 0x00000001, 0x0000 },  /* float subnormals are kept, rounded */
    { 0x00008000, 0x0000 },
    { 0x00018000, 0x0002 },
    { 0x7f7fffff, 0x7f80 },  /* FLT_MAX rounds to infinity */
    { 0x7f800000, 0x7f80 }, { 0xff800000, 0xff80 },
    { 0x7fc00000, 0x7fc0 },
    { 0x7f800001, 0x7fc0 },  /* signalling NaN: made quiet */
    { 0xff812345, 0xffc1 },  /* sign and top payload kept */
  };

  for (size_t i = 0; i < G_N_ELEMENTS (narrow); i++)
    {
      g_test_message ("fp32 0x%08x", narrow[i].f32);
      g_assert_cmphex (ember_fp32_to_bf16 (float_of (narrow[i].f32)), ==, narrow[i].bf16);
    }
  g_assert_cmphex (bits_of (ember_bf16_to_fp32 (0x3f80)), ==, 0x3f800000);
  g_assert_cmphex (bits_of (ember_bf16_to_fp32 (0x8001)), ==, 0x80010000);
  g_assert_cmphex (bits_of (ember_bf16_to_fp32 (0xffc1)), ==, 0xffc10000);
  for (uint32_t h = 0; h <= 0xffff; h++)
    if ((h & 0x7f80) != 0x7f80 || (h & 0x7f) == 0)
      g_assert_cmphex (ember_fp32_to_bf16 (ember_bf16_to_fp32 ((uint16_t) h)), ==, h);
}

/* ---- other unit tests ---------------------------------------------------- */

static void
test_f32_copies (void)
{
  float src[3] = { 1.5f, -0.0f, 1e-40f }, dst[3] = { 0 }, back[3] = { 0 };
  ember_error error = { 0 };

  g_assert_cmpint (ember_quantize_row (EMBER_TYPE_F32, src, dst, 3, &error), ==, EMBER_OK);
  g_assert_cmpint (ember_dequantize_row (EMBER_TYPE_F32, dst, back, 3, &error), ==, EMBER_OK);
  g_assert_cmpmem (back, sizeof back, src, sizeof src);
}

/* All-zero input gives all-zero scales and values, never a NaN. */
static void
test_zeros (void)
{
  float zeros[256] = { 0 }, back[256];
  uint8_t blocks[256 * 4];

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ember_error error = { 0 };

      memset (back, 0xff, sizeof back);
      g_assert_cmpint (ember_quantize_row (cases[i].type, zeros, blocks, 256, &error), ==, EMBER_OK);
      g_assert_cmpint (ember_dequantize_row (cases[i].type, blocks, back, 256, &error), ==, EMBER_OK);
      for (int j = 0; j < 256; j++)
        g_assert_cmpfloat (back[j], ==, 0.0f);
    }
}

static void
test_errors (void)
{
  float values[256] = { 0 };
  uint8_t blocks[1024] = { 0 };
  ember_error error = { 0 };

  /* Not a whole number of blocks. */
  g_assert_cmpint (ember_dequantize_row (EMBER_TYPE_Q4_0, blocks, values, 33, &error),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "33 elements"));
  g_assert_nonnull (strstr (error.message, "Q4_0"));
  g_assert_cmpint (ember_quantize_row (EMBER_TYPE_Q6_K, values, blocks, 128, &error),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "Q6_K"));

  /* A type ggml has and Hearth does not, and an id nobody has. */
  g_assert_cmpint (ember_dequantize_row ((ember_type) 16, blocks, values, 256, &error),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "IQ2_XXS"));
  g_assert_cmpint (ember_quantize_row ((ember_type) 1000, values, blocks, 256, &error),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "1000"));

  /* No buffers. */
  g_assert_cmpint (ember_quantize_row (EMBER_TYPE_Q8_0, NULL, blocks, 32, &error),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (ember_dequantize_row (EMBER_TYPE_Q8_0, blocks, NULL, 32, NULL),
                   ==, EMBER_ERROR_INVALID_ARGUMENT);

  /* Zero elements is nothing to do, and fine. */
  g_assert_cmpint (ember_dequantize_row (EMBER_TYPE_Q4_K, NULL, NULL, 0, &error), ==, EMBER_OK);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/quant/fp16", test_fp16);
  g_test_add_func ("/quant/bf16", test_bf16);
  g_test_add_func ("/quant/f32", test_f32_copies);
  g_test_add_func ("/quant/zeros", test_zeros);
  g_test_add_func ("/quant/errors", test_errors);
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dequantize = g_strdup_printf ("/quant/dequantize/%s", cases[i].file);
      g_autofree char *quantize = g_strdup_printf ("/quant/quantize/%s", cases[i].file);

      g_test_add_data_func (dequantize, &cases[i], test_dequantize);
      g_test_add_data_func (quantize, &cases[i], test_quantize);
    }

  return g_test_run ();
}
