/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan backend's foundations on a real device (lavapipe here): buffer
 * round trips through the staging buffer, tensors split across buffers, the
 * pipeline cache on disk, and every kernel against the CPU reference with a
 * normalised mean squared error bound, as ggml's test-backend-ops does. The
 * kernels get the very weights the CPU dequantizes, so the bound only covers
 * float rounding. With no device at all the tests skip, visibly, unless
 * HEARTH_REQUIRE_VULKAN is set.
 *
 * The kernels that only the model records (the residual add with RMS norm,
 * RoPE-store, attention, the embedding, the prompt batch's mat-mat and the
 * GLU forms of the mat-vec) run through single ops that record them as the
 * model does, against the CPU forward pass's own functions
 * (ember-cpu-ops.h), with every variant this device can run: the rows and
 * the cooperative families, with and without subgroup arithmetic.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "vulkan-test.h"
#include "ember-cpu-ops.h"
#include "ember-vk.h"

/* ggml's test-backend-ops default bound. */
#define MAX_NMSE 1e-7

static void
collect_log_cb (ember_log_level level,
                const char     *message,
                void           *user_data)
{
  GPtrArray *messages = user_data;

  g_ptr_array_add (messages, g_strdup (message));
}

static gboolean
logged (GPtrArray  *messages,
        const char *needle)
{
  for (guint i = 0; i < messages->len; i++)
    if (strstr (g_ptr_array_index (messages, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static ember_vulkan *
open_device (const char *cache_dir,
             GPtrArray  *messages)
{
  ember_vulkan_options options;
  ember_vulkan *vk = NULL;
  ember_error error = { 0 };

  vulkan_test_options_init (&options);
  options.pipeline_cache_dir = cache_dir;
  if (messages != NULL)
    {
      options.log_func = collect_log_cb;
      options.log_user_data = messages;
    }
  assert_ok (ember_vulkan_new (&options, &vk, &error), error);
  return vk;
}

static void
set_tuning (ember_vulkan          *vk,
            const ember_vk_tuning *tuning)
{
  ember_error error = { 0 };

  assert_ok (ember_vk_set_tuning (vk, tuning, &error), error);
}

static void
fill_random (float  *v,
             size_t  n,
             GRand  *rand)
{
  for (size_t i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}

static double
nmse (const float  *got,
      const double *want,
      size_t        n)
{
  double err = 0.0, norm = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      err += (got[i] - want[i]) * (got[i] - want[i]);
      norm += want[i] * want[i];
    }
  return norm > 0.0 ? err / norm : err;
}

/* ---- buffers ---------------------------------------------------------------- */

static void
check_round_trip (ember_vulkan *vk,
                  uint64_t      size,
                  uint64_t      offset,
                  gboolean      expect_mapped,
                  GRand        *rand)
{
  g_autofree guint8 *data = g_malloc (size + 1);
  g_autofree guint8 *back = g_malloc0 (size + 1);
  ember_vk_buffer *buffer = NULL;
  ember_error error = { 0 };

  for (uint64_t i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);

  assert_ok (ember_vk_buffer_new (vk, size + offset, &buffer, &error), error);
  g_assert_cmpint (ember_vk_buffer_is_mapped (buffer), ==, expect_mapped);
  g_assert_cmpuint (ember_vk_buffer_get_size (buffer), ==, size + offset);
  assert_ok (ember_vk_buffer_write (vk, buffer, offset, data, size, &error), error);
  assert_ok (ember_vk_buffer_read (vk, buffer, offset, back, size, &error), error);
  if (memcmp (data, back, size) != 0)
    g_error ("round trip of %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
             " changed the data", size, offset);

  /* Outside the buffer: refused, nothing read or written. */
  g_assert_cmpint (ember_vk_buffer_write (vk, buffer, offset + 1, data, size, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (ember_vk_buffer_read (vk, buffer, UINT64_MAX, back, 1, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  ember_vk_buffer_free (vk, buffer);
}

static void
test_buffer_round_trip (void)
{
  /* Sizes around the (lowered) staging chunk of 4096 bytes and one of an
   * odd size, and far above them. */
  static const uint64_t sizes[] = { 1, 3, 4095, 4096, 4097, 3 * 4096 + 5, 1u << 20 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  ember_vulkan *vk;
  ember_vk_tuning tuning = { 0 };

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  /* Whatever the device gives by default (lavapipe: mapped memory). */
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      ember_vk_buffer *probe = NULL;
      ember_error error = { 0 };
      gboolean mapped;

      assert_ok (ember_vk_buffer_new (vk, 4, &probe, &error), error);
      mapped = ember_vk_buffer_is_mapped (probe);
      ember_vk_buffer_free (vk, probe);
      check_round_trip (vk, sizes[i], 0, mapped, rand);
    }

  /* Through the staging buffer, in chunks of 4096 and then of 1000 bytes
   * (not a multiple of 4), at odd offsets too. */
  tuning.force_staging = true;
  for (int round = 0; round < 2; round++)
    {
      tuning.staging_chunk_bytes = round == 0 ? 4096 : 1000;
      set_tuning (vk, &tuning);
      for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          check_round_trip (vk, sizes[i], 0, FALSE, rand);
          check_round_trip (vk, sizes[i], 7, FALSE, rand);
        }
    }

  ember_vulkan_free (vk);
}

/* ---- mat-vec ---------------------------------------------------------------- */

typedef struct {
  ember_type type;
  uint32_t rows, cols;
  GByteArray *data;      /* the tensor's bytes */
  float *dequantized;    /* rows × cols, what the CPU reference reads */
} weights;

static void
weights_clear (weights *w)
{
  g_clear_pointer (&w->data, g_byte_array_unref);
  g_clear_pointer (&w->dequantized, g_free);
}

static void
make_weights (weights   *w,
              ember_type type,
              uint32_t   rows,
              uint32_t   cols,
              GRand     *rand)
{
  const ember_type_info *info = ember_type_get_info (type);
  g_autofree float *row = g_new (float, cols);
  ember_error error = { 0 };
  uint64_t row_bytes;

  g_assert_true (ember_type_row_bytes (info, cols, &row_bytes));
  w->type = type;
  w->rows = rows;
  w->cols = cols;
  w->data = g_byte_array_sized_new ((guint) (rows * row_bytes));
  g_byte_array_set_size (w->data, (guint) (rows * row_bytes));
  w->dequantized = g_new (float, (gsize) rows * cols);
  for (uint32_t r = 0; r < rows; r++)
    {
      guint8 *dst = w->data->data + r * row_bytes;

      fill_random (row, cols, rand);
      assert_ok (ember_quantize_row (type, row, dst, cols, &error), error);
      assert_ok (ember_dequantize_row (type, dst, w->dequantized + (gsize) r * cols, cols,
                                       &error), error);
    }
}

/* y = W·x in double precision over the dequantized weights. */
static void
reference_matvec (const weights *w,
                  const float   *x,
                  double        *y)
{
  for (uint32_t r = 0; r < w->rows; r++)
    {
      const float *row = w->dequantized + (gsize) r * w->cols;
      double sum = 0.0;

      for (uint32_t k = 0; k < w->cols; k++)
        sum += (double) row[k] * x[k];
      y[r] = sum;
    }
}

/* Runs W·x on @vk and checks it against the reference; returns the result
 * (g_free it). */
static float *
check_matvec (ember_vulkan  *vk,
              const weights *w,
              const float   *x,
              const double  *want,
              uint32_t      *n_parts)
{
  ember_vk_tensor *tensor = NULL;
  float *y = g_new (float, w->rows);
  ember_error error = { 0 };
  double e;

  assert_ok (ember_vk_tensor_new (vk, w->type, w->rows, w->cols, w->data->data, &tensor,
                                  &error), error);
  if (n_parts != NULL)
    *n_parts = ember_vk_tensor_get_n_parts (tensor);
  for (uint32_t i = 0; i < w->rows; i++)
    y[i] = NAN;
  assert_ok (ember_vulkan_matvec (vk, tensor, x, y, &error), error);
  ember_vk_tensor_free (vk, tensor);

  e = nmse (y, want, w->rows);
  if (!(e < MAX_NMSE))
    g_error ("%s %ux%u (%s): NMSE %g, bound %g; y[0] = %g, expected %g",
             ember_type_get_info (w->type)->name, w->rows, w->cols,
             ember_vk_uses_rows_matvec (vk) && w->cols % 8 == 0 ? "rows kernel"
             : ember_vk_uses_subgroup_ops (vk) ? "subgroups" : "shared memory", e, MAX_NMSE,
             y[0], want[0]);
  return y;
}

static const ember_type matvec_types[] = {
  EMBER_TYPE_F32, EMBER_TYPE_F16, EMBER_TYPE_BF16, EMBER_TYPE_Q4_0, EMBER_TYPE_Q4_1,
  EMBER_TYPE_Q5_0, EMBER_TYPE_Q5_1, EMBER_TYPE_Q8_0, EMBER_TYPE_Q2_K, EMBER_TYPE_Q3_K,
  EMBER_TYPE_Q4_K, EMBER_TYPE_Q5_K, EMBER_TYPE_Q6_K,
};

static void
test_matvec (void)
{
  static const uint32_t rows[] = { 1, 7, 63, 65, 1000 };
  static const uint32_t cols[] = { 32, 64, 172, 256, 576, 1536, 4096 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261125);
  ember_vulkan *vk;
  gboolean has_subgroups;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);
  has_subgroups = ember_vk_uses_subgroup_ops (vk);
  g_test_message ("subgroup arithmetic: %s", has_subgroups ? "yes" : "no");

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    for (gsize c = 0; c < G_N_ELEMENTS (cols); c++)
      for (gsize r = 0; r < G_N_ELEMENTS (rows); r++)
        {
          ember_type type = matvec_types[t];
          const ember_type_info *info = ember_type_get_info (type);
          weights w = { 0 };
          g_autofree float *x = NULL;
          g_autofree double *want = NULL;

          if (cols[c] % info->block_elements != 0)
            continue;
          make_weights (&w, type, rows[r], cols[c], rand);
          x = g_new (float, cols[c]);
          want = g_new (double, rows[r]);
          fill_random (x, cols[c], rand);
          reference_matvec (&w, x, want);

          /* The rows kernel, and the cooperative one with and without
           * subgroup arithmetic (where the device has it). */
          for (int sg = has_subgroups ? 1 : 0; sg >= -1; sg--)
            {
              ember_vk_tuning tuning = {
                .no_subgroup_ops = sg != 1,
                .matvec_kernel = sg < 0 ? EMBER_VK_MATVEC_ROWS : EMBER_VK_MATVEC_COOPERATIVE,
              };

              set_tuning (vk, &tuning);
              /* the tuning picks the family (a macro of the same name once
               * shadowed EMBER_VK_MATVEC_ROWS, and the rows kernel never ran
               * here) */
              g_assert_cmpint (ember_vk_uses_rows_matvec (vk), ==, sg < 0);
              g_free (check_matvec (vk, &w, x, want, NULL));
            }
          weights_clear (&w);
        }

  ember_vulkan_free (vk);
}

/* A W split into several buffers gives exactly what one buffer gives. */
static void
test_matvec_split (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    {
      ember_type type = matvec_types[t];
      weights w = { 0 };
      ember_vk_tuning tuning = { 0 };
      /* a whole number of blocks of every type */
      const uint32_t cols = 768;
      g_autofree float *x = g_new (float, cols);
      g_autofree double *want = g_new (double, 301);
      g_autofree float *whole = NULL;
      uint64_t row_bytes;
      uint32_t n_parts = 0;

      make_weights (&w, type, 301, cols, rand);
      fill_random (x, cols, rand);
      reference_matvec (&w, x, want);
      /* as the device holds a row (Q4_0 and Q8_0 are repacked) */
      row_bytes = ember_vk_row_bytes (type, cols);
      g_assert_cmpuint (row_bytes, >, 0);

      set_tuning (vk, NULL);
      whole = check_matvec (vk, &w, x, want, &n_parts);
      g_assert_cmpuint (n_parts, ==, 1);

      /* Limits of 1, 7 and 64 rows and a bit (not a whole number of rows),
       * uploaded through a staging chunk smaller than a part. */
      for (int i = 0; i < 3; i++)
        {
          static const uint64_t rows_per_part[] = { 1, 7, 64 };
          g_autofree float *split = NULL;
          uint64_t first, n, next = 0;

          /* buffers hold whole words: round the limit up to one */
          tuning.max_buffer_bytes = (rows_per_part[i] * row_bytes + (i == 2 ? row_bytes / 2 : 0)
                                     + 3) & ~(uint64_t) 3;
          tuning.force_staging = i == 1;
          tuning.staging_chunk_bytes = 5000;
          set_tuning (vk, &tuning);
          split = check_matvec (vk, &w, x, want, &n_parts);
          g_assert_cmpuint (n_parts, ==, (301 + rows_per_part[i] - 1) / rows_per_part[i]);
          g_assert_cmpmem (split, 301 * sizeof (float), whole, 301 * sizeof (float));

          /* The parts cover the rows in order, none larger than the limit. */
          {
            ember_vk_tensor *tensor = NULL;
            ember_error error = { 0 };

            assert_ok (ember_vk_tensor_new (vk, type, 301, cols, w.data->data, &tensor, &error),
                       error);
            for (uint32_t p = 0; p < ember_vk_tensor_get_n_parts (tensor); p++)
              {
                ember_vk_tensor_get_part (tensor, p, &first, &n);
                g_assert_cmpuint (first, ==, next);
                g_assert_cmpuint (n, <=, rows_per_part[i]);
                next = first + n;
              }
            g_assert_cmpuint (next, ==, 301);
            ember_vk_tensor_free (vk, tensor);
          }
        }

      /* A row larger than the largest buffer is refused clearly. */
      {
        ember_vk_tensor *tensor = NULL;
        ember_error error = { 0 };

        tuning.max_buffer_bytes = row_bytes - 4;
        set_tuning (vk, &tuning);
        g_assert_cmpint (ember_vk_tensor_new (vk, type, 301, cols, w.data->data, &tensor, &error),
                         ==, EMBER_ERROR_INVALID_ARGUMENT);
        g_assert_null (tensor);
        g_assert_nonnull (strstr (error.message, "larger than the largest buffer"));
      }
      weights_clear (&w);
    }

  ember_vulkan_free (vk);
}

static void
test_tensor_rejects (void)
{
  ember_vulkan *vk;
  ember_vk_tensor *tensor = NULL;
  ember_error error = { 0 };
  guint8 block[210] = { 0 };
  float x[256] = { 0 }, y[1];

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  /* Not a whole number of blocks. */
  g_assert_cmpint (ember_vk_tensor_new (vk, EMBER_TYPE_Q8_0, 1, 33, block, &tensor, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error.message, "whole number"));
  g_assert_cmpint (ember_vk_tensor_new (vk, EMBER_TYPE_F32, 0, 4, block, &tensor, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (ember_vk_tensor_new (vk, EMBER_TYPE_F32, 1, 4, NULL, &tensor, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);

  /* More than the device's memory: out of memory, said before any byte of
   * the (tiny) data is read. */
  g_assert_cmpint (ember_vk_tensor_new (vk, EMBER_TYPE_F32, 1u << 30, 4096, block, &tensor,
                                        &error), ==, EMBER_ERROR_OUT_OF_MEMORY);
  g_assert_null (tensor);
  g_assert_nonnull (strstr (error.message, "does not fit in the memory"));

  /* Every type has a kernel (an all-zero Q6_K block is zero); a missing
   * argument is refused. */
  assert_ok (ember_vk_tensor_new (vk, EMBER_TYPE_Q6_K, 1, 256, block, &tensor, &error), error);
  y[0] = NAN;
  assert_ok (ember_vulkan_matvec (vk, tensor, x, y, &error), error);
  g_assert_cmpfloat (y[0], ==, 0.0f);
  g_assert_cmpint (ember_vulkan_matvec (vk, tensor, NULL, y, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  ember_vk_tensor_free (vk, tensor);

  ember_vulkan_free (vk);
}

/* ---- RMS norm ----------------------------------------------------------------- */

static void
test_rms_norm (void)
{
  static const uint32_t sizes[] = { 1, 64, 172, 576, 4096 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const float eps = 1e-5f;
  ember_vulkan *vk;
  gboolean has_subgroups;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);
  has_subgroups = ember_vk_uses_subgroup_ops (vk);

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (uint32_t rows = 1; rows <= 3; rows += 2)
      {
        uint32_t n = sizes[i];
        g_autofree float *x = g_new (float, (gsize) n * rows);
        g_autofree float *w = g_new (float, n);
        g_autofree float *y = g_new (float, (gsize) n * rows);
        g_autofree double *want = g_new (double, (gsize) n * rows);

        fill_random (x, (gsize) n * rows, rand);
        fill_random (w, n, rand);
        for (uint32_t r = 0; r < rows; r++)
          {
            const float *xr = x + (gsize) r * n;
            double sum = 0.0, scale;

            for (uint32_t k = 0; k < n; k++)
              sum += (double) xr[k] * xr[k];
            scale = 1.0 / sqrt (sum / n + eps);
            for (uint32_t k = 0; k < n; k++)
              want[(gsize) r * n + k] = xr[k] * scale * w[k];
          }

        for (int sg = has_subgroups ? 1 : 0; sg >= 0; sg--)
          {
            ember_vk_tuning tuning = { .no_subgroup_ops = !sg };
            ember_error error = { 0 };
            double e;

            set_tuning (vk, &tuning);
            assert_ok (ember_vulkan_rms_norm (vk, x, w, y, n, rows, eps, &error), error);
            e = nmse (y, want, (gsize) n * rows);
            if (!(e < MAX_NMSE))
              g_error ("rms_norm %ux%u (%s): NMSE %g", rows, n,
                       sg ? "subgroups" : "shared memory", e);
          }
      }

  {
    ember_error error = { 0 };
    float v = 1.0f;

    g_assert_cmpint (ember_vulkan_rms_norm (vk, &v, &v, &v, 0, 1, eps, &error), ==,
                     EMBER_ERROR_INVALID_ARGUMENT);
  }
  ember_vulkan_free (vk);
}

/* ---- the pipeline cache --------------------------------------------------------- */

/* Opens a context with @dir as cache, runs one kernel and closes it. */
static void
use_cache (const char *dir,
           GPtrArray  *messages)
{
  ember_vulkan *vk = open_device (dir, messages);
  ember_error error = { 0 };
  float x[64], w[64], y[64];

  for (int i = 0; i < 64; i++)
    x[i] = w[i] = 1.0f;
  assert_ok (ember_vulkan_rms_norm (vk, x, w, y, 64, 1, 1e-5f, &error), error);
  g_assert_cmpfloat_with_epsilon (y[0], 1.0f, 1e-4f);
  ember_vulkan_free (vk);
}

static char *
only_cache_file (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_assert_null (found); /* no temporary file left behind */
      found = g_build_filename (dir, name, NULL);
    }
  g_assert_nonnull (found);
  return found;
}

static void
test_pipeline_cache (void)
{
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *good = NULL;
  gsize good_len = 0;
  ember_device_info *device;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;

  tmp = g_dir_make_tmp ("hearth-pipeline-cache-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  /* Two levels that do not exist yet. */
  dir = g_build_filename (tmp, "cache", "hearth", NULL);

  {
    g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);

    use_cache (dir, messages);
    g_assert_false (logged (messages, "ignoring the pipeline cache"));
    g_assert_false (logged (messages, "was not saved"));
  }
  path = only_cache_file (dir);
  g_assert_true (g_file_get_contents (path, &good, &good_len, NULL));
  g_assert_cmpuint (good_len, >=, 32);

  vk = open_device (NULL, NULL);
  device = g_memdup2 (ember_vulkan_get_device (vk), sizeof *device);
  ember_vulkan_free (vk);
  {
    guint32 header[4];

    memcpy (header, good, sizeof header);
    g_assert_cmpuint (GUINT32_FROM_LE (header[0]), >=, 32);
    g_assert_cmpuint (GUINT32_FROM_LE (header[1]), ==, 1);
    g_assert_cmpuint (GUINT32_FROM_LE (header[2]), ==, device->vendor_id);
    g_assert_cmpuint (GUINT32_FROM_LE (header[3]), ==, device->device_id);
  }

  /* A good cache is used without a word. */
  {
    g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);

    use_cache (dir, messages);
    g_assert_false (logged (messages, "ignoring the pipeline cache"));
  }

  /* Bad caches are ignored, said why, and replaced by a good one. */
  {
    static const struct {
      const char *why;
      int kind;
    } cases[] = {
      { "too short", 0 },
      { "header size", 1 },
      { "header version", 2 },
      { "another device", 3 },
      { "another driver version", 4 },
      { "header size", 5 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
        g_autofree char *bad = g_memdup2 (good, good_len);
        gsize bad_len = good_len;
        g_autofree char *after = NULL;
        gsize after_len = 0;
        guint32 v;

        switch (cases[i].kind)
          {
          case 0:
            bad_len = 10;
            break;
          case 1:
            v = GUINT32_TO_LE (4);
            memcpy (bad, &v, 4);
            break;
          case 2:
            v = GUINT32_TO_LE (7);
            memcpy (bad + 4, &v, 4);
            break;
          case 3:
            v = GUINT32_TO_LE (device->vendor_id ^ 0x1234);
            memcpy (bad + 8, &v, 4);
            break;
          case 4:
            bad[16] ^= 0x55;
            break;
          default:
            /* Random bytes. */
            for (gsize k = 0; k < bad_len; k++)
              bad[k] = (char) g_random_int ();
            v = GUINT32_TO_LE (0xffffff00u);
            memcpy (bad, &v, 4);
            break;
          }
        g_assert_true (g_file_set_contents (path, bad, (gssize) bad_len, NULL));
        use_cache (dir, messages);
        if (!logged (messages, cases[i].why))
          g_error ("case %" G_GSIZE_FORMAT ": no message saying \"%s\"", i, cases[i].why);
        g_assert_true (logged (messages, "ignoring the pipeline cache"));

        g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
        g_assert_cmpuint (after_len, >=, 32);
        g_assert_cmpmem (after, 32, good, 32);
      }
  }

  g_free (device);
  g_remove (path);
  g_rmdir (dir);
  {
    g_autofree char *parent = g_path_get_dirname (dir);

    g_rmdir (parent);
  }
  g_rmdir (tmp);
}

/* ---- argmax ----------------------------------------------------------------- */

/* ember_sample_greedy ()'s rule: the first largest; NaN never wins but at 0. */
static int32_t
reference_argmax (const float *x,
                  uint32_t     n)
{
  uint32_t best = 0;

  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return (int32_t) best;
}

static void
test_argmax (void)
{
  static const uint32_t sizes[] = { 1, 7, 63, 64, 65, 1000, 4097, 49152, 151936 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (31);
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);
  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int c = 0; c < 6; c++)
      {
        uint32_t n = sizes[s];
        g_autofree float *x = g_new (float, n);
        int32_t got = -1;
        ember_error error = { 0 };

        fill_random (x, n, rand);
        switch (c)
          {
          case 1: /* the largest twice: the first wins */
            x[n / 3] = x[n - 1] = 100.0f;
            break;
          case 2: /* NaN and +inf elsewhere */
            x[n / 2] = NAN;
            x[n - 1] = INFINITY;
            break;
          case 3: /* a NaN first value wins, as on the CPU */
            x[0] = NAN;
            x[n - 1] = 100.0f;
            break;
          case 4: /* nothing but -inf: index 0 */
            for (uint32_t i = 0; i < n; i++)
              x[i] = -INFINITY;
            break;
          case 5: /* all equal: index 0 */
            for (uint32_t i = 0; i < n; i++)
              x[i] = 0.5f;
            break;
          default:
            break;
          }
        assert_ok (ember_vulkan_argmax (vk, x, n, &got, &error), error);
        if (got != reference_argmax (x, n))
          g_error ("argmax of %u values (case %d): %d, the CPU says %d", n, c, got,
                   reference_argmax (x, n));
      }
  ember_vulkan_free (vk);
}

/* ---- the model's kernels against their CPU twins ------------------------------ */

/* Bounds on the NMSE, per kind of op (the measured values are logged with
 * g_test_message; on lavapipe they are far below these):
 *
 * - BOUND_ELEMENTWISE: each output is a few float operations on the same
 *   inputs as the CPU's (dequantization: d · q − m; rotations: x0·c − x1·s),
 *   computed in another order or fused into an FMA by the shader compiler.
 *   Each element is then off by a few ulp (2⁻²⁴ ≈ 6e-8 each), an NMSE of
 *   order 1e-14; 1e-12 leaves room for the ulp Vulkan allows and catches any
 *   wrong element (one wrong value in a thousand gives ≈ 1e-3).
 * - BOUND_REDUCTION (ggml's default, MAX_NMSE): sums over up to a few
 *   thousand terms (dot products, sums of squares, softmax) in float, in a
 *   different order on each side (the CPU's eight partial sums, the GPU's
 *   per-invocation sums and trees), with Vulkan's exp () at 3 + 2|x| ulp:
 *   the relative error of a sum of n terms of random sign grows as √n · ulp,
 *   cancellation in the dot products of random vectors adds another √n;
 *   for n = 4096 that is of order (64 · 64 · 6e-8)² ≈ 6e-8 at the very worst
 *   and 1e-12 typically. */
#define BOUND_ELEMENTWISE 1e-12
#define BOUND_REDUCTION MAX_NMSE

static double
nmse_f (const float *got,
        const float *want,
        size_t       n)
{
  double err = 0.0, norm = 0.0;

  for (size_t i = 0; i < n; i++)
    {
      err += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
      norm += (double) want[i] * want[i];
    }
  return norm > 0.0 ? err / norm : err;
}

/* Fails with @what and the numbers where got is not within @bound of want;
 * keeps the largest NMSE seen in *@worst. */
static void
check_nmse (const char  *what,
            const float *got,
            const float *want,
            size_t       n,
            double       bound,
            double      *worst)
{
  double e = nmse_f (got, want, n);

  if (!(e < bound))
    {
      size_t bad = 0;

      for (size_t i = 0; i < n; i++)
        if (!(fabsf (got[i] - want[i]) <= 1e-5f * (1.0f + fabsf (want[i]))))
          {
            bad = i;
            break;
          }
      g_error ("%s: NMSE %g, bound %g; [%" G_GSIZE_FORMAT "] = %.9g, the CPU says %.9g", what,
               e, bound, bad, got[bad], want[bad]);
    }
  if (e > *worst)
    *worst = e;
}

/* The part of @w's bytes from row @first on as an ember_matrix of @rows
 * rows, as the model loader makes them (@tensor gives it its type). */
static ember_matrix
matrix_of (const weights     *w,
           ember_gguf_tensor *tensor,
           uint32_t           first,
           uint32_t           rows)
{
  uint64_t row_bytes = 0;

  memset (tensor, 0, sizeof *tensor);
  tensor->name = "test";
  tensor->type = ember_type_get_info (w->type);
  g_assert_true (ember_type_row_bytes (tensor->type, w->cols, &row_bytes));
  return (ember_matrix) { tensor, w->data->data + (gsize) first * row_bytes, rows, w->cols,
                          row_bytes };
}

static ember_vk_tensor *
upload_weights (ember_vulkan  *vk,
                const weights *w)
{
  ember_vk_tensor *tensor = NULL;
  ember_error error = { 0 };

  assert_ok (ember_vk_tensor_new (vk, w->type, w->rows, w->cols, w->data->data, &tensor, &error),
             error);
  return tensor;
}

static const char *
type_name (ember_type type)
{
  return ember_type_get_info (type)->name;
}

/* ---- embedding ---- */

static void
test_embed (void)
{
  static const uint32_t cols[] = { 7, 172, 256, 576, 2304 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  double worst = 0.0;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    for (gsize c = 0; c < G_N_ELEMENTS (cols); c++)
      {
        const ember_type_info *info = ember_type_get_info (matvec_types[t]);
        weights w = { 0 };
        ember_vk_tensor *table;
        g_autofree float *got = NULL;

        if (cols[c] % info->block_elements != 0)
          continue;
        make_weights (&w, matvec_types[t], 5, cols[c], rand);
        got = g_new (float, cols[c]);
        /* in one buffer, then split a row per buffer (the row is found in
         * its part) */
        for (int split = 0; split < 2; split++)
          {
            ember_vk_tuning tuning = { .max_buffer_bytes = split ? 1 : 0 };

            if (split)
              tuning.max_buffer_bytes = (ember_vk_row_bytes (w.type, w.cols) + 3) & ~(uint64_t) 3;
            set_tuning (vk, &tuning);
            table = upload_weights (vk, &w);
            for (uint32_t row = 0; row < 5; row += 2)
              {
                g_autofree char *what = g_strdup_printf ("embed %s, %u columns, row %u%s",
                                                         info->name, cols[c], row,
                                                         split ? ", a row per buffer" : "");
                ember_error error = { 0 };
                float *want = w.dequantized + (gsize) row * cols[c];

                for (uint32_t i = 0; i < cols[c]; i++)
                  got[i] = NAN;
                assert_ok (ember_vulkan_embed (vk, table, row, got, &error), error);
                /* make_weights () dequantized with ember_dequantize_row (),
                 * the forward pass's embedding lookup */
                check_nmse (what, got, want, cols[c], BOUND_ELEMENTWISE, &worst);
              }
            ember_vk_tensor_free (vk, table);
          }
        weights_clear (&w);
      }
  g_test_message ("embed: largest NMSE %g", worst);
  ember_vulkan_free (vk);
}

/* ---- the residual add and RMS norm ---- */

static void
test_add_rms_norm (void)
{
  static const uint32_t sizes[] = { 1, 7, 64, 172, 576, 4096 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  const float eps = 1e-5f;
  double worst = 0.0;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (uint32_t rows = 1; rows <= 5; rows += 4)
      for (int add = 0; add < 2; add++)
        {
          uint32_t n = sizes[i];
          gsize size = (gsize) n * rows;
          g_autofree float *x = g_new (float, size);
          g_autofree float *t = g_new (float, size);
          g_autofree float *w = g_new (float, n);
          g_autofree float *x_gpu = NULL;
          g_autofree float *y = g_new (float, size);
          g_autofree float *want = g_new (float, size);
          g_autofree char *what = g_strdup_printf ("add_rms_norm %u × %u%s", rows, n,
                                                   add ? ", with the add" : "");
          ember_error error = { 0 };

          fill_random (x, size, rand);
          fill_random (t, size, rand);
          fill_random (w, n, rand);
          x_gpu = g_memdup2 (x, size * sizeof (float));
          assert_ok (ember_vulkan_add_rms_norm (vk, x_gpu, t, w, y, n, rows, add, eps, &error),
                     error);

          /* the forward pass: x += the sublayer's output, then its norm */
          if (add)
            for (gsize k = 0; k < size; k++)
              x[k] += t[k];
          for (uint32_t r = 0; r < rows; r++)
            ember_cpu_rms_norm (want + (gsize) r * n, x + (gsize) r * n, w, n, eps);
          /* one float addition each: the same bits */
          g_assert_cmpmem (x_gpu, size * sizeof (float), x, size * sizeof (float));
          check_nmse (what, y, want, size, BOUND_REDUCTION, &worst);
        }
  g_test_message ("add_rms_norm: largest NMSE %g", worst);
  ember_vulkan_free (vk);
}

/* ---- RoPE-store and attention ---- */

typedef struct {
  uint32_t n_head, n_head_kv, head_dim, rope_dims;
  gboolean neox, bias, norm;
} head_shape;

static const head_shape head_shapes[] = {
  { 4, 4, 64, 64, FALSE, FALSE, FALSE },   /* llama, no GQA */
  { 9, 3, 64, 64, TRUE, TRUE, FALSE },     /* qwen2: biases, GQA */
  /* qwen3: head norms. Not heads of 128 in groups of 4 (Qwen3-8B's
   * layout) nor 2: lavapipe takes three minutes, and most of one, to
   * compile those attention-rows variants, more than this test may */
  { 4, 2, 64, 64, TRUE, FALSE, TRUE },
  { 6, 2, 18, 10, FALSE, TRUE, TRUE },     /* odd head size, partial rotation */
  { 3, 1, 96, 32, TRUE, FALSE, FALSE },    /* NeoX, partial rotation, MQA */
  { 32, 2, 16, 16, FALSE, FALSE, FALSE },  /* 16 query heads per KV head */
  { 17, 1, 8, 8, TRUE, FALSE, FALSE },     /* 17: more than attention-rows takes */
  { 6, 3, 6, 6, FALSE, FALSE, FALSE },     /* head_dim not a multiple of 4 */
};

static ember_hparams
hparams_of (const head_shape *s)
{
  return (ember_hparams) {
    .n_head = s->n_head, .n_head_kv = s->n_head_kv, .head_dim = s->head_dim,
    .rms_eps = 1e-6f, .rope_dims = s->rope_dims, .rope_freq_base = 10000.0f,
    .rope_freq_scale = 1.0f, .rope_style = s->neox ? EMBER_ROPE_NEOX : EMBER_ROPE_NORMAL,
  };
}

static void
test_rope_store (void)
{
  static const uint32_t positions[] = { 0, 1, 37 };
  static const uint32_t tokens[] = { 1, 5 };
  const uint32_t n_ctx = 48;
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  double worst = 0.0;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  for (gsize s = 0; s < G_N_ELEMENTS (head_shapes); s++)
    for (gsize p = 0; p < G_N_ELEMENTS (positions); p++)
      for (gsize nt = 0; nt < G_N_ELEMENTS (tokens); nt++)
        {
          const head_shape *shape = &head_shapes[s];
          ember_model model = { .hp = hparams_of (shape) };
          const ember_hparams *hp = &model.hp;
          uint32_t q_dim = hp->n_head * hp->head_dim, kv_dim = hp->n_head_kv * hp->head_dim;
          uint32_t qkv_dim = q_dim + 2 * kv_dim, n = tokens[nt], pos = positions[p];
          ember_vk_heads heads = {
            hp->n_head, hp->n_head_kv, hp->head_dim, hp->rope_dims, shape->neox, hp->rms_eps,
            n_ctx, pos, n,
          };
          g_autofree float *qkv = g_new (float, (gsize) n * qkv_dim);
          g_autofree float *qkv_gpu = NULL;
          g_autofree float *rope = g_new (float, (gsize) n * hp->rope_dims);
          g_autofree float *bias = g_new (float, qkv_dim);
          g_autofree float *q_norm = g_new (float, hp->head_dim);
          g_autofree float *k_norm = g_new (float, hp->head_dim);
          g_autofree float *k_cache = g_new (float, (gsize) n_ctx * kv_dim);
          g_autofree float *v_cache = g_new (float, (gsize) n_ctx * kv_dim);
          g_autofree float *k_want = NULL;
          g_autofree float *v_want = NULL;
          g_autofree float *q_want = g_new (float, (gsize) n * q_dim);
          g_autofree char *what = NULL;
          ember_error error = { 0 };

          fill_random (qkv, (gsize) n * qkv_dim, rand);
          fill_random (bias, qkv_dim, rand);
          fill_random (q_norm, hp->head_dim, rand);
          fill_random (k_norm, hp->head_dim, rand);
          /* a cache with earlier positions in it: what the kernel must not
           * touch stays as it was */
          fill_random (k_cache, (gsize) n_ctx * kv_dim, rand);
          fill_random (v_cache, (gsize) n_ctx * kv_dim, rand);
          k_want = g_memdup2 (k_cache, (gsize) n_ctx * kv_dim * sizeof (float));
          v_want = g_memdup2 (v_cache, (gsize) n_ctx * kv_dim * sizeof (float));
          qkv_gpu = g_memdup2 (qkv, (gsize) n * qkv_dim * sizeof (float));
          for (uint32_t t = 0; t < n; t++)
            ember_rope_table (&model, pos + t, rope + (gsize) t * hp->rope_dims);

          assert_ok (ember_vulkan_rope_store (vk, &heads, qkv_gpu, rope,
                                              shape->bias ? bias : NULL,
                                              shape->norm ? q_norm : NULL,
                                              shape->norm ? k_norm : NULL, k_cache, v_cache,
                                              &error), error);

          /* the forward pass's order, token by token */
          for (uint32_t t = 0; t < n; t++)
            {
              const float *row = qkv + (gsize) t * qkv_dim;
              const float *tab = rope + (gsize) t * hp->rope_dims;
              float *q = q_want + (gsize) t * q_dim;
              float *k = k_want + (gsize) (pos + t) * kv_dim;
              float *v = v_want + (gsize) (pos + t) * kv_dim;

              memcpy (q, row, q_dim * sizeof (float));
              memcpy (k, row + q_dim, kv_dim * sizeof (float));
              memcpy (v, row + q_dim + kv_dim, kv_dim * sizeof (float));
              ember_cpu_add_bias (q, shape->bias ? bias : NULL, q_dim, 1);
              ember_cpu_add_bias (k, shape->bias ? bias + q_dim : NULL, kv_dim, 1);
              ember_cpu_add_bias (v, shape->bias ? bias + q_dim + kv_dim : NULL, kv_dim, 1);
              ember_cpu_head_norm (q, shape->norm ? q_norm : NULL, hp->n_head, hp->head_dim,
                                   hp->rms_eps);
              ember_cpu_head_norm (k, shape->norm ? k_norm : NULL, hp->n_head_kv, hp->head_dim,
                                   hp->rms_eps);
              ember_cpu_rope (&model, q, hp->n_head, tab);
              ember_cpu_rope (&model, k, hp->n_head_kv, tab);
            }

          what = g_strdup_printf ("rope_store %u/%u heads of %u, rope_dims %u%s%s%s, "
                                  "%u tokens at %u", hp->n_head, hp->n_head_kv, hp->head_dim,
                                  hp->rope_dims, shape->neox ? ", NeoX" : "",
                                  shape->bias ? ", biases" : "", shape->norm ? ", head norms" : "",
                                  n, pos);
          for (uint32_t t = 0; t < n; t++)
            {
              g_autofree char *q_what = g_strdup_printf ("%s: q of token %u", what, t);

              check_nmse (q_what, qkv_gpu + (gsize) t * qkv_dim, q_want + (gsize) t * q_dim, q_dim,
                          shape->norm ? BOUND_REDUCTION : BOUND_ELEMENTWISE, &worst);
            }
          {
            g_autofree char *k_what = g_strconcat (what, ": the k cache", NULL);
            g_autofree char *v_what = g_strconcat (what, ": the v cache", NULL);

            /* the whole cache: positions outside the batch are compared
             * with what was there, exactly enough */
            check_nmse (k_what, k_cache, k_want, (gsize) n_ctx * kv_dim,
                        shape->norm ? BOUND_REDUCTION : BOUND_ELEMENTWISE, &worst);
            check_nmse (v_what, v_cache, v_want, (gsize) n_ctx * kv_dim, BOUND_ELEMENTWISE,
                        &worst);
            for (uint32_t j = 0; j < n_ctx; j++)
              if (j < pos || j >= pos + n)
                {
                  g_assert_cmpmem (k_cache + (gsize) j * kv_dim, kv_dim * sizeof (float),
                                   k_want + (gsize) j * kv_dim, kv_dim * sizeof (float));
                  g_assert_cmpmem (v_cache + (gsize) j * kv_dim, kv_dim * sizeof (float),
                                   v_want + (gsize) j * kv_dim, kv_dim * sizeof (float));
                }
          }
        }
  g_test_message ("rope_store: largest NMSE %g", worst);
  ember_vulkan_free (vk);
}

static void
test_attention (void)
{
  static const uint32_t positions[] = { 0, 1, 63, 200 };
  static const uint32_t tokens[] = { 1, 7 };
  const uint32_t n_ctx = 216;
  g_autoptr (GRand) rand = g_rand_new_with_seed (23);
  double worst[2] = { 0.0, 0.0 };
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    return;
  vk = open_device (NULL, NULL);

  for (gsize s = 0; s < G_N_ELEMENTS (head_shapes); s++)
    for (gsize p = 0; p < G_N_ELEMENTS (positions); p++)
      for (gsize nt = 0; nt < G_N_ELEMENTS (tokens); nt++)
        {
          const head_shape *shape = &head_shapes[s];
          ember_hparams hp = hparams_of (shape);
          uint32_t q_dim = hp.n_head * hp.head_dim, kv_dim = hp.n_head_kv * hp.head_dim;
          uint32_t qkv_dim = q_dim + 2 * kv_dim, n = tokens[nt], pos = positions[p];
          ember_vk_heads heads = {
            hp.n_head, hp.n_head_kv, hp.head_dim, hp.rope_dims, shape->neox, hp.rms_eps,
            n_ctx, pos, n,
          };
          g_autofree float *qkv = g_new (float, (gsize) n * qkv_dim);
          g_autofree float *q = g_new (float, (gsize) n * q_dim);
          g_autofree float *k_cache = g_new (float, (gsize) n_ctx * kv_dim);
          g_autofree float *v_cache = g_new (float, (gsize) n_ctx * kv_dim);
          g_autofree float *want = g_new (float, (gsize) n * q_dim);
          g_autofree float *got = g_new (float, (gsize) n * q_dim);
          ember_cpu_attention_job job = { &hp, k_cache, v_cache, q, want, n, pos };

          /* q scaled up so that the softmax has clear winners; positions
           * past the last token's are NaN: a kernel that reads them fails */
          fill_random (qkv, (gsize) n * qkv_dim, rand);
          for (gsize i = 0; i < (gsize) n * qkv_dim; i++)
            qkv[i] *= 4.0f;
          fill_random (k_cache, (gsize) n_ctx * kv_dim, rand);
          fill_random (v_cache, (gsize) n_ctx * kv_dim, rand);
          for (gsize i = (gsize) (pos + n) * kv_dim; i < (gsize) n_ctx * kv_dim; i++)
            k_cache[i] = v_cache[i] = NAN;
          for (uint32_t t = 0; t < n; t++)
            memcpy (q + (gsize) t * q_dim, qkv + (gsize) t * qkv_dim, q_dim * sizeof (float));
          ember_cpu_attention_items (&job, 0, ember_cpu_attention_n_items (&job));

          /* both families, as HEARTH_VK_MATVEC picks them */
          for (int rows = 0; rows < 2; rows++)
            {
              ember_vk_tuning tuning = {
                .matvec_kernel = rows ? EMBER_VK_MATVEC_ROWS : EMBER_VK_MATVEC_COOPERATIVE,
              };
              gboolean rows_kernel;
              g_autofree char *what = NULL;
              ember_error error = { 0 };

              set_tuning (vk, &tuning);
              rows_kernel = ember_vk_uses_rows_attention (vk, hp.n_head, hp.n_head_kv,
                                                          hp.head_dim);
              g_assert_true (!rows_kernel || rows);
              what = g_strdup_printf ("%s %u/%u heads of %u, %u tokens at %u",
                                      rows_kernel ? "attention_rows" : "attention", hp.n_head,
                                      hp.n_head_kv, hp.head_dim, n, pos);
              for (gsize i = 0; i < (gsize) n * q_dim; i++)
                got[i] = NAN;
              assert_ok (ember_vulkan_attention (vk, &heads, qkv, k_cache, v_cache, got, &error),
                         error);
              check_nmse (what, got, want, (gsize) n * q_dim, BOUND_REDUCTION,
                          &worst[rows_kernel]);
            }
        }
  g_test_message ("attention: largest NMSE %g; attention_rows: %g", worst[0], worst[1]);
  ember_vulkan_free (vk);
}

/* ---- the GLU forms of the mat-vec, and the prompt batch's mat-mat ---- */

/* want[b][r] = silu(gate[r]·x[b]) * (up[r]·x[b]) for @w of gate rows then
 * as many up rows, as the forward pass computes the feed-forward. */
static void
cpu_glu (ember_pool    *pool,
         const weights *w,
         const float   *x,
         uint32_t       batch,
         float         *want)
{
  uint32_t n = w->rows / 2;
  ember_gguf_tensor tg, tu;
  ember_matrix gate = matrix_of (w, &tg, 0, n);
  ember_matrix up = matrix_of (w, &tu, n, n);
  g_autofree float *u = g_new (float, (gsize) batch * n);

  ember_cpu_matmul (pool, &gate, x, want, batch);
  ember_cpu_matmul (pool, &up, x, u, batch);
  ember_cpu_swiglu (want, u, (uint64_t) batch * n);
}

static void
test_matvec_glu (void)
{
  static const uint32_t rows[] = { 1, 7, 65, 300 };
  static const uint32_t cols[] = { 64, 256, 576 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (41);
  ember_pool *pool = ember_pool_new (2);
  double worst = 0.0;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    {
      ember_pool_free (pool);
      return;
    }
  vk = open_device (NULL, NULL);

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    for (gsize c = 0; c < G_N_ELEMENTS (cols); c++)
      for (gsize r = 0; r < G_N_ELEMENTS (rows); r++)
        {
          const ember_type_info *info = ember_type_get_info (matvec_types[t]);
          weights w = { 0 };
          ember_vk_tensor *tensor;
          g_autofree float *x = g_new (float, cols[c]);
          g_autofree float *want = g_new (float, rows[r]);
          g_autofree float *got = g_new (float, rows[r]);
          g_autofree char *what = NULL;
          ember_error error = { 0 };

          if (cols[c] % info->block_elements != 0)
            continue;
          make_weights (&w, matvec_types[t], 2 * rows[r], cols[c], rand);
          fill_random (x, cols[c], rand);
          cpu_glu (pool, &w, x, 1, want);
          tensor = upload_weights (vk, &w);
          for (uint32_t i = 0; i < rows[r]; i++)
            got[i] = NAN;
          assert_ok (ember_vulkan_matvec_glu (vk, tensor, x, got, &error), error);
          what = g_strdup_printf ("matvec_rows_%s_glu %u × %u", type_name (w.type), rows[r],
                                  cols[c]);
          check_nmse (what, got, want, rows[r], BOUND_REDUCTION, &worst);
          ember_vk_tensor_free (vk, tensor);
          weights_clear (&w);
        }
  g_test_message ("matvec_rows GLU: largest NMSE %g", worst);
  ember_vulkan_free (vk);
  ember_pool_free (pool);
}

static void
test_matvec_swiglu (void)
{
  static const uint32_t rows[] = { 1, 7, 65 };
  static const uint32_t cols[] = { 32, 172, 256, 576 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (43);
  ember_pool *pool = ember_pool_new (2);
  double worst[2] = { 0.0, 0.0 };
  gboolean has_subgroups;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    {
      ember_pool_free (pool);
      return;
    }
  vk = open_device (NULL, NULL);
  has_subgroups = ember_vk_uses_subgroup_ops (vk);
  if (!has_subgroups)
    g_test_message ("no subgroup arithmetic on this device: the _sg_swiglu variants are not run");

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    for (gsize c = 0; c < G_N_ELEMENTS (cols); c++)
      for (gsize r = 0; r < G_N_ELEMENTS (rows); r++)
        {
          const ember_type_info *info = ember_type_get_info (matvec_types[t]);
          uint32_t n = cols[c];
          weights w = { 0 };
          ember_gguf_tensor tensor_info;
          ember_matrix m;
          ember_vk_tensor *tensor;
          g_autofree float *gate_up = g_new (float, 2 * n);
          g_autofree float *glu = NULL;
          g_autofree float *want = g_new (float, rows[r]);
          g_autofree float *got = g_new (float, rows[r]);

          if (n % info->block_elements != 0)
            continue;
          make_weights (&w, matvec_types[t], rows[r], n, rand);
          /* gate values up to ±6: silu's curve, not just its middle */
          fill_random (gate_up, 2 * n, rand);
          for (uint32_t i = 0; i < n; i++)
            gate_up[i] *= 6.0f;
          glu = g_memdup2 (gate_up, n * sizeof (float));
          ember_cpu_swiglu (glu, gate_up + n, n);
          m = matrix_of (&w, &tensor_info, 0, rows[r]);
          ember_cpu_matmul (pool, &m, glu, want, 1);
          tensor = upload_weights (vk, &w);

          for (int sg = has_subgroups ? 1 : 0; sg >= 0; sg--)
            {
              ember_vk_tuning tuning = { .no_subgroup_ops = !sg };
              g_autofree char *what = g_strdup_printf ("matvec_%s%s_swiglu %u × %u",
                                                       type_name (w.type), sg ? "_sg" : "",
                                                       rows[r], n);
              ember_error error = { 0 };

              set_tuning (vk, &tuning);
              for (uint32_t i = 0; i < rows[r]; i++)
                got[i] = NAN;
              assert_ok (ember_vulkan_matvec_swiglu (vk, tensor, gate_up, got, &error), error);
              check_nmse (what, got, want, rows[r], BOUND_REDUCTION, &worst[sg]);
            }
          ember_vk_tensor_free (vk, tensor);
          weights_clear (&w);
        }
  g_test_message ("matvec SwiGLU: largest NMSE %g (shared memory), %g (subgroups)", worst[0],
                  worst[1]);
  ember_vulkan_free (vk);
  ember_pool_free (pool);
}

static void
test_matmat (void)
{
  /* rows around the tiles (64 and 128 rows per workgroup), tokens around
   * theirs (8 and 16), up to a whole prompt batch of 64 */
  static const struct {
    uint32_t rows, cols, tokens;
  } shapes[] = {
    { 7, 256, 1 }, { 130, 256, 17 }, { 65, 576, 64 }, { 3, 768, 5 },
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (47);
  ember_pool *pool = ember_pool_new (2);
  double worst = 0.0;
  ember_vulkan *vk;

  if (!vulkan_test_require_device ())
    {
      ember_pool_free (pool);
      return;
    }
  vk = open_device (NULL, NULL);

  for (gsize t = 0; t < G_N_ELEMENTS (matvec_types); t++)
    for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
      for (int glu = 0; glu < 2; glu++)
        {
          const ember_type_info *info = ember_type_get_info (matvec_types[t]);
          uint32_t out_rows = shapes[s].rows, n = shapes[s].tokens, cols = shapes[s].cols;
          weights w = { 0 };
          g_autofree float *x = g_new (float, (gsize) n * cols);
          g_autofree float *want = g_new (float, (gsize) n * out_rows);
          g_autofree float *got = g_new (float, (gsize) n * out_rows);

          if (cols % info->block_elements != 0)
            continue;
          make_weights (&w, matvec_types[t], glu ? 2 * out_rows : out_rows, cols, rand);
          fill_random (x, (gsize) n * cols, rand);
          if (glu)
            cpu_glu (pool, &w, x, n, want);
          else
            {
              ember_gguf_tensor tensor_info;
              ember_matrix m = matrix_of (&w, &tensor_info, 0, out_rows);

              ember_cpu_matmul (pool, &m, x, want, n);
            }

          /* in one buffer; the plain form also split (as large weights
           * are), 7 rows a buffer */
          for (int split = 0; split < (glu ? 1 : 2); split++)
            {
              ember_vk_tuning tuning = { 0 };
              ember_vk_tensor *tensor;
              g_autofree char *what = NULL;
              ember_error error = { 0 };

              if (split)
                tuning.max_buffer_bytes = 7 * ember_vk_row_bytes (w.type, cols);
              set_tuning (vk, &tuning);
              tensor = upload_weights (vk, &w);
              for (gsize i = 0; i < (gsize) n * out_rows; i++)
                got[i] = NAN;
              assert_ok (ember_vulkan_matmat (vk, tensor, x, n, got, glu, &error), error);
              what = g_strdup_printf ("matmat_rows_%s%s %u × %u, %u tokens%s",
                                      type_name (w.type), glu ? "_glu" : "", out_rows, cols, n,
                                      split ? ", 7 rows a buffer" : "");
              check_nmse (what, got, want, (gsize) n * out_rows, BOUND_REDUCTION, &worst);
              ember_vk_tensor_free (vk, tensor);
            }
          weights_clear (&w);
        }
  g_test_message ("matmat_rows: largest NMSE %g", worst);
  ember_vulkan_free (vk);
  ember_pool_free (pool);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vulkan-ops/buffer-round-trip", test_buffer_round_trip);
  g_test_add_func ("/vulkan-ops/matvec", test_matvec);
  g_test_add_func ("/vulkan-ops/matvec-split", test_matvec_split);
  g_test_add_func ("/vulkan-ops/argmax", test_argmax);
  g_test_add_func ("/vulkan-ops/tensor-rejects", test_tensor_rejects);
  g_test_add_func ("/vulkan-ops/rms-norm", test_rms_norm);
  g_test_add_func ("/vulkan-ops/pipeline-cache", test_pipeline_cache);
  g_test_add_func ("/vulkan-ops/embed", test_embed);
  g_test_add_func ("/vulkan-ops/add-rms-norm", test_add_rms_norm);
  g_test_add_func ("/vulkan-ops/rope-store", test_rope_store);
  g_test_add_func ("/vulkan-ops/attention", test_attention);
  g_test_add_func ("/vulkan-ops/matvec-glu", test_matvec_glu);
  g_test_add_func ("/vulkan-ops/matvec-swiglu", test_matvec_swiglu);
  g_test_add_func ("/vulkan-ops/matmat", test_matmat);

  return g_test_run ();
}
