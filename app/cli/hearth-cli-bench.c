/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth bench MODEL [--backend auto|cpu|vulkan] [-p 512] [-n 128] [-r 3]
 * [--threads N] [--json]`: how fast the engine runs a model, measured as
 * llama-bench measures it, through the context's engine as every reply
 * goes (HearthRequest → HearthGeneration). After one warm-up, each
 * repetition reads a prompt of P pseudo-random token ids from an empty
 * cache, then generates N tokens by greedy argmax (an end-of-generation
 * token does not stop it). The engine times both parts on its thread.
 * Rates are the mean ± the sample standard deviation over the repetitions.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-context.h"
#include "hearth-gguf.h"

/* The prompt's token ids come from this seed: the same prompt every run. */
#define BENCH_SEED 1234

typedef struct
{
  /* options */
  const char *model_path;
  uint32_t n_prompt;
  uint32_t n_gen;
  uint32_t repetitions;
  uint32_t n_threads;       /* 0: every physical core */
  HearthBackend backend;
  gboolean json;
} BenchOptions;

typedef struct
{
  double mean;
  double sd;                /* sample standard deviation; 0 for one repetition */
} BenchStat;

typedef struct
{
  double load_seconds;
  BenchStat prompt_rate;    /* tokens/s */
  BenchStat gen_rate;       /* tokens/s */
  BenchStat first_token;    /* seconds */
  uint32_t n_threads;
  uint64_t cache_bytes;
  uint64_t peak_rss_bytes;
  HearthBackend backend;    /* what ran: CPU or VULKAN */
  char device[256];
  uint32_t dispatches;      /* per token on Vulkan; 0 on the CPU */
  const char *cpu_kernels;  /* static; NULL on Vulkan */
} BenchResult;

static BenchStat
compute_stat (const double *values,
              uint32_t      n)
{
  BenchStat st = { 0, 0 };
  double sum = 0, sq = 0;

  for (uint32_t i = 0; i < n; i++)
    sum += values[i];
  st.mean = sum / n;
  for (uint32_t i = 0; i < n; i++)
    sq += (values[i] - st.mean) * (values[i] - st.mean);
  st.sd = n > 1 ? sqrt (sq / (n - 1)) : 0;
  return st;
}

/* The largest resident set of the process so far, in bytes. */
static uint64_t
peak_rss_bytes (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return (uint64_t) usage.ru_maxrss * 1024; /* Linux counts in KiB */
}

/* ---- options ------------------------------------------------------------- */

static gboolean
parse_count (const char *name,
             const char *text,
             guint64     min,
             guint64     max,
             uint32_t   *value,
             FILE       *err)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &v, NULL))
    {
      g_autofree char *lo = g_strdup_printf ("%" G_GUINT64_FORMAT, min);
      g_autofree char *hi = g_strdup_printf ("%" G_GUINT64_FORMAT, max);

      fprintf (err, _("hearth bench: %s needs a whole number from %s to %s, not “%s”\n"), name, lo, hi, text);
      return FALSE;
    }
  *value = (uint32_t) v;
  return TRUE;
}

static int
parse_arguments (BenchOptions *o,
                 int           argc,
                 char        **argv,
                 FILE         *err)
{
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value = NULL;
      g_autofree char *name = NULL;

      if (arg[0] != '-' || arg[1] == '\0')
        {
          if (o->model_path != NULL)
            {
              fprintf (err, _("hearth bench: one model at a time; “%s” is one too many\n"), arg);
              return 2;
            }
          o->model_path = arg;
          continue;
        }
      if (g_str_equal (arg, "--json"))
        {
          o->json = TRUE;
          continue;
        }

      /* --name=value or --name value; a name it does not know is said as
       * such before any value is taken for it */
      if (g_str_has_prefix (arg, "--") && strchr (arg, '=') != NULL)
        name = g_strndup (arg, (gsize) (strchr (arg, '=') - arg));
      else
        name = g_strdup (arg);
      if (!g_str_equal (name, "-p") && !g_str_equal (name, "--n-prompt")
          && !g_str_equal (name, "-n") && !g_str_equal (name, "--n-gen")
          && !g_str_equal (name, "-r") && !g_str_equal (name, "--repetitions")
          && !g_str_equal (name, "--threads") && !g_str_equal (name, "--backend"))
        return hearth_cli_unknown_option (err, "bench", name);
      if (g_str_has_prefix (arg, "--") && strchr (arg, '=') != NULL)
        value = strchr (arg, '=') + 1;
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return hearth_cli_missing_value (err, "bench", name);

      if (g_str_equal (name, "-p") || g_str_equal (name, "--n-prompt"))
        {
          if (!parse_count (name, value, 1, 1 << 20, &o->n_prompt, err))
            return 2;
        }
      else if (g_str_equal (name, "-n") || g_str_equal (name, "--n-gen"))
        {
          if (!parse_count (name, value, 1, 1 << 20, &o->n_gen, err))
            return 2;
        }
      else if (g_str_equal (name, "-r") || g_str_equal (name, "--repetitions"))
        {
          if (!parse_count (name, value, 1, 1000, &o->repetitions, err))
            return 2;
        }
      else if (g_str_equal (name, "--threads"))
        {
          /* 0: every physical core */
          if (!parse_count (name, value, 0, 4096, &o->n_threads, err))
            return 2;
        }
      else if (g_str_equal (value, "vulkan"))
        o->backend = HEARTH_BACKEND_VULKAN;
      else if (g_str_equal (value, "cpu"))
        o->backend = HEARTH_BACKEND_CPU;
      else if (g_str_equal (value, "auto"))
        o->backend = HEARTH_BACKEND_AUTO;
      else
        {
          fprintf (err, _("hearth bench: unknown backend “%s” (auto, cpu or vulkan)\n"), value);
          return 2;
        }
    }

  if (o->model_path == NULL)
    {
      fprintf (err, _("hearth bench: which model? Usage: hearth bench MODEL.gguf [-p 512] [-n 128] [-r 3]\n"));
      return 2;
    }
  return 0;
}

/* ---- the measurement ----------------------------------------------------- */

/* Runs @request (taken) on @engine to its end; the finished generation. */
static HearthGeneration *
run_request (HearthEngine  *engine,
             HearthRequest *request)
{
  HearthGeneration *generation = hearth_engine_generate (engine, request);

  hearth_generation_wait (generation);
  return generation;
}

static gboolean
failed (HearthGeneration *generation,
        FILE             *err)
{
  const GError *error = hearth_generation_get_error (generation);
  const char *detail = hearth_generation_get_error_detail (generation);

  if (error == NULL)
    return FALSE;
  fprintf (err, "hearth bench: %s\n", detail != NULL ? detail : error->message);
  return TRUE;
}

static int
measure (HearthContext      *context,
         const BenchOptions *o,
         BenchResult        *result,
         FILE               *err)
{
  HearthEngine *engine = hearth_context_get_engine (context);
  g_autoptr (HearthRequest) request = hearth_request_new (o->model_path, "bench");
  g_autoptr (HearthGeneration) loaded = NULL;
  g_autofree double *prompt_rates = g_new (double, o->repetitions);
  g_autofree double *gen_rates = g_new (double, o->repetitions);
  g_autofree double *first_tokens = g_new (double, o->repetitions);
  const HearthGenerationStats *st;
  GRand *rand;

  hearth_engine_set_keep_alive (engine, -1);
  request->backend = o->backend;
  request->options.num_ctx = o->n_prompt + o->n_gen;
  request->options.num_thread = o->n_threads;
  request->options.temperature = 0;
  request->options.repeat_penalty = 1;
  request->ignore_eos = TRUE;
  request->read_again = TRUE;

  /* the model, loaded and timed on its own */
  {
    g_autoptr (HearthRequest) load = hearth_request_copy (request);

    load->load_only = TRUE;
    loaded = run_request (engine, g_steal_pointer (&load));
  }
  if (failed (loaded, err))
    return 1;
  if (hearth_generation_get_notice (loaded) != NULL)
    fprintf (err, "hearth bench: %s\n", hearth_generation_get_notice (loaded));
  st = hearth_generation_get_stats (loaded);
  result->load_seconds = st->load_seconds;

  request->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), o->n_prompt);
  rand = g_rand_new_with_seed (BENCH_SEED);
  for (uint32_t i = 0; i < o->n_prompt; i++)
    {
      gint32 id = g_rand_int_range (rand, 0, (gint32) st->n_vocab);

      g_array_append_val (request->tokens, id);
    }
  g_rand_free (rand);

  /* the warm-up, as llama-bench does it: the prompt and one token; then
   * the repetitions */
  for (uint32_t r = 0; r <= o->repetitions; r++)
    {
      g_autoptr (HearthRequest) once = hearth_request_copy (request);
      g_autoptr (HearthGeneration) generation = NULL;
      const HearthGenerationStats *gs;

      once->options.num_predict = r == 0 ? 1 : (gint32) o->n_gen;
      generation = run_request (engine, g_steal_pointer (&once));
      if (failed (generation, err))
        return 1;
      gs = hearth_generation_get_stats (generation);
      if (r == 0)
        continue;
      /* each generated token is decoded once after it is chosen: n_gen
       * decoding steps after the first token */
      prompt_rates[r - 1] = gs->prompt_seconds > 0 ? o->n_prompt / gs->prompt_seconds : 0;
      gen_rates[r - 1] = gs->generation_seconds > 0 ? gs->generated_tokens / gs->generation_seconds : 0;
      first_tokens[r - 1] = gs->prompt_seconds;
      result->n_threads = gs->n_threads;
      result->backend = gs->backend;
      g_strlcpy (result->device, hearth_generation_get_device (generation), sizeof result->device);
      result->dispatches = gs->dispatches_per_token;
      result->cpu_kernels = gs->cpu_kernels;
      result->cache_bytes = gs->cache_bytes;
    }

  result->prompt_rate = compute_stat (prompt_rates, o->repetitions);
  result->gen_rate = compute_stat (gen_rates, o->repetitions);
  result->first_token = compute_stat (first_tokens, o->repetitions);
  result->peak_rss_bytes = peak_rss_bytes ();
  return 0;
}

/* ---- output -------------------------------------------------------------- */

static char *
device_text (uint32_t n_threads)
{
  /* Translators: the device of the CPU backend */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "CPU (%u thread)", "CPU (%u threads)", n_threads),
                          n_threads);
}

static void
print_table (FILE                   *out,
             const BenchOptions     *o,
             const HearthModelInfo  *info,
             const BenchResult      *res)
{
  g_autofree char *file_name = g_path_get_basename (o->model_path);
  /* Translators: the model's name, architecture, quantization and size */
  g_autofree char *model = g_strdup_printf (_("%s (%s, %s, %s parameters)"),
                                            info->name != NULL ? info->name : file_name,
                                            info->architecture, info->file_type, info->parameter_label);
  g_autofree char *device = res->backend == HEARTH_BACKEND_CPU ? device_text (res->n_threads)
                                                              : g_strdup (res->device);
  g_autofree char *prompt = NULL;
  g_autofree char *gen = NULL;
  g_autofree char *first = NULL;
  g_autofree char *load = NULL;
  g_autofree char *rss = g_format_size (res->peak_rss_bytes);
  g_autofree char *cache = g_format_size (res->cache_bytes);
  g_autofree char *memory = NULL;
  g_autofree char *repetitions = NULL;

  /* Translators: a number of tokens, then their rate ± its standard deviation */
  prompt = g_strdup_printf (_("%u tokens: %.2f ± %.2f tokens/s"), o->n_prompt,
                            res->prompt_rate.mean, res->prompt_rate.sd);
  gen = g_strdup_printf (_("%u tokens: %.2f ± %.2f tokens/s"), o->n_gen,
                         res->gen_rate.mean, res->gen_rate.sd);
  /* Translators: seconds, then their standard deviation */
  first = g_strdup_printf (_("%.3f ± %.3f s"), res->first_token.mean, res->first_token.sd);
  load = g_strdup_printf (_("%.3f s"), res->load_seconds);
  /* Translators: the largest resident set of the process, then the size of the KV cache */
  memory = g_strdup_printf (_("%s resident at most, of which the KV cache takes %s"), rss, cache);
  /* Translators: how many times the measurement was repeated */
  repetitions = g_strdup_printf (_("%u, after one warm-up"), o->repetitions);

  hearth_cli_print_row (out, 2, 22, _("model"), model);
  hearth_cli_print_row (out, 2, 22, _("backend"), res->backend == HEARTH_BACKEND_VULKAN ? "vulkan" : "cpu");
  hearth_cli_print_row (out, 2, 22, _("device"), device);
  if (res->cpu_kernels != NULL)
    /* Translators: the kernels' name is as HEARTH_CPU takes it ("avx2", "reference"…) */
    hearth_cli_print_row (out, 2, 22, _("CPU kernels"), res->cpu_kernels);
  hearth_cli_print_row (out, 2, 22, _("prompt processing"), prompt);
  hearth_cli_print_row (out, 2, 22, _("generation"), gen);
  hearth_cli_print_row (out, 2, 22, _("time to first token"), first);
  hearth_cli_print_row (out, 2, 22, _("load time"), load);
  hearth_cli_print_row (out, 2, 22, _("memory"), memory);
  hearth_cli_print_row (out, 2, 22, _("repetitions"), repetitions);
}

static void
add_member_int (JsonBuilder *b,
                const char  *name,
                gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_member_double (JsonBuilder *b,
                   const char  *name,
                   double       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
print_json (FILE                   *out,
            const BenchOptions     *o,
            const HearthModelInfo  *info,
            const BenchResult      *res)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *device = res->backend == HEARTH_BACKEND_CPU
                              ? g_strdup_printf ("CPU (%u threads)", res->n_threads)
                              : g_strdup (res->device);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  hearth_cli_json_add_string (b, "model", o->model_path);
  hearth_cli_json_add_string (b, "name", info->name);
  hearth_cli_json_add_string (b, "architecture", info->architecture);
  hearth_cli_json_add_string (b, "quantization", info->file_type);
  add_member_int (b, "parameters", (gint64) info->parameter_count);
  hearth_cli_json_add_string (b, "backend", res->backend == HEARTH_BACKEND_VULKAN ? "vulkan" : "cpu");
  hearth_cli_json_add_string (b, "device", device);
  add_member_int (b, "threads", res->n_threads);
  json_builder_set_member_name (b, "cpu_kernels");
  if (res->cpu_kernels != NULL)
    json_builder_add_string_value (b, res->cpu_kernels);
  else
    json_builder_add_null_value (b);
  add_member_int (b, "repetitions", o->repetitions);
  add_member_double (b, "load_seconds", res->load_seconds);
  add_member_int (b, "prompt_tokens", o->n_prompt);
  add_member_double (b, "prompt_tokens_per_second", res->prompt_rate.mean);
  add_member_double (b, "prompt_tokens_per_second_sd", res->prompt_rate.sd);
  add_member_int (b, "generated_tokens", o->n_gen);
  add_member_double (b, "generation_tokens_per_second", res->gen_rate.mean);
  add_member_double (b, "generation_tokens_per_second_sd", res->gen_rate.sd);
  add_member_double (b, "time_to_first_token_seconds", res->first_token.mean);
  add_member_double (b, "time_to_first_token_seconds_sd", res->first_token.sd);
  /* GPU dispatches per generated token: the CPU backend makes none, so
   * there is no number to give there. */
  json_builder_set_member_name (b, "dispatches_per_token");
  if (res->backend == HEARTH_BACKEND_VULKAN)
    json_builder_add_int_value (b, res->dispatches);
  else
    json_builder_add_null_value (b);
  add_member_int (b, "kv_cache_bytes", (gint64) res->cache_bytes);
  add_member_int (b, "peak_rss_bytes", (gint64) res->peak_rss_bytes);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  fprintf (out, "%s\n", text);
}

/* ---- the command --------------------------------------------------------- */

int
hearth_cli_bench (HearthContext          *context,
                  const HearthCliCommand *command,
                  int                     argc,
                  char                  **argv,
                  FILE                   *out,
                  FILE                   *err)
{
  BenchOptions o = { NULL, 512, 128, 3, 0, FALSE };
  BenchResult res = { 0 };
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) error = NULL;
  const HearthModelInfo *info = NULL;
  int status;
  g_autofree char *resolved = NULL;

  status = parse_arguments (&o, argc, argv, err);
  if (status != 0)
    return status;

  resolved = hearth_cli_resolve_model (context, "bench", o.model_path, err);
  if (resolved == NULL)
    return 1;
  o.model_path = resolved;
  gguf = hearth_gguf_open (o.model_path, &error);
  if (gguf != NULL)
    info = hearth_gguf_get_model_info (gguf, &error);
  if (info == NULL)
    {
      fprintf (err, "hearth bench: %s\n", error->message);
      return 1;
    }

  if (info->context_length > 0 && (uint64_t) o.n_prompt + o.n_gen > info->context_length)
    {
      fprintf (err, _("hearth bench: -p %u and -n %u make %u tokens, more than the model’s context "
                      "of %u; ask for fewer\n"),
               o.n_prompt, o.n_gen, o.n_prompt + o.n_gen, (guint) info->context_length);
      return 2;
    }

  status = measure (context, &o, &res, err);
  if (status != 0)
    return status;

  if (o.json)
    print_json (out, &o, info, &res);
  else
    print_table (out, &o, info, &res);
  return 0;
}
