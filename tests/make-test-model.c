/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * make-test-model OUT.gguf [--preset tiny|smollm2-135m|qwen2-0.5b|qwen2-1.5b|qwen3-0.6b]
 *                          [--type F32|F16|BF16|Q4_0|…|Q6_K] [--seed N]
 *
 * Writes a model with real shapes and random weights (its output is noise):
 * for benchmarks and by-hand tests of big shapes.
 */

#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "test-models.h"

static bool
parse_type (const char *name,
            ember_type *type)
{
  for (uint32_t id = 0; id < 64; id++)
    {
      const ember_type_info *info = ember_type_get_info (id);

      if (info != NULL && g_ascii_strcasecmp (info->name, name) == 0)
        {
          *type = info->type;
          return true;
        }
    }
  return false;
}

int
main (int    argc,
      char **argv)
{
  const char *out = NULL, *preset = "tiny", *type_name = "F32";
  hearth_test_model m;
  ember_error error = { 0 };
  uint64_t seed = 1;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--preset") && i + 1 < argc)
        preset = argv[++i];
      else if (g_str_equal (argv[i], "--type") && i + 1 < argc)
        type_name = argv[++i];
      else if (g_str_equal (argv[i], "--seed") && i + 1 < argc)
        seed = g_ascii_strtoull (argv[++i], NULL, 10);
      else if (argv[i][0] != '-' && out == NULL)
        out = argv[i];
      else
        {
          fprintf (stderr, "usage: make-test-model OUT.gguf [--preset NAME] [--type TYPE] [--seed N]\n");
          return 2;
        }
    }
  if (out == NULL || !hearth_test_model_preset (&m, preset))
    {
      fprintf (stderr, "make-test-model: give an output file and a known preset "
                       "(tiny, smollm2-135m, qwen2-0.5b, qwen2-1.5b, qwen3-0.6b)\n");
      return 2;
    }
  if (!parse_type (type_name, &m.weight_type))
    {
      fprintf (stderr, "make-test-model: unknown type %s\n", type_name);
      return 2;
    }
  m.seed = seed;
  if (hearth_test_model_write (&m, out, &error) != EMBER_OK)
    {
      fprintf (stderr, "make-test-model: %s\n", error.message);
      return 1;
    }
  return 0;
}
