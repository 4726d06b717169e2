/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth bench MODEL [--backend auto|cpu|vulkan] [-p 512] [-n 128] [-r 3]
 * [--threads N] [--json]`: how fast the engine runs a model, measured as
 * llama-bench measures it. After one warm-up, each repetition processes a
 * prompt of P pseudo-random token ids in one batch, then generates N tokens
 * one at a time by greedy argmax. Rates are the mean ± the sample standard
 * deviation over the repetitions.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "ember.h"
#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-engine-options.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_model, ember_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_context, ember_context_free)

/* The prompt's token ids come from this seed: the same prompt every run. */
#define BENCH_SEED 1234

typedef struct
{
  /* options */
  const char *model_path;
  uint32_t n_prompt;
  uint32_t n_gen;
  uint32_t repetitions;
  uint32_t n_threads;       /* 0: every online processor */
  ember_backend backend;
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
  ember_backend backend;    /* what ran: CPU or VULKAN */
  char device[256];
  uint32_t dispatches;      /* per token on Vulkan; 0 on the CPU */
} BenchResult;

static double
now_seconds (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

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
          /* 0: every online processor */
          if (!parse_count (name, value, 0, 4096, &o->n_threads, err))
            return 2;
        }
      else if (g_str_equal (value, "vulkan"))
        o->backend = EMBER_BACKEND_VULKAN;
      else if (g_str_equal (value, "cpu"))
        o->backend = EMBER_BACKEND_CPU;
      else if (g_str_equal (value, "auto"))
        o->backend = EMBER_BACKEND_AUTO;
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

/* The prompt, then the generated tokens, from an empty cache. Fills the
 * three timings of one repetition; @n_gen may be 1 for the warm-up. */
static ember_status
run_once (ember_context *ctx,
          const int32_t *prompt,
          uint32_t       n_prompt,
          uint32_t       n_gen,
          uint32_t       n_vocab,
          float         *logits,
          double        *prompt_seconds,
          double        *gen_seconds,
          double        *first_token_seconds,
          ember_error   *error)
{
  double t0, t1, t2;
  ember_status status;
  int32_t token;

  ember_context_truncate (ctx, 0);

  t0 = now_seconds ();
  status = ember_context_decode (ctx, prompt, n_prompt, logits, error);
  if (status != EMBER_OK)
    return status;
  t1 = now_seconds ();

  /* greedy, as the engine does it: on Vulkan the argmax on the device */
  t2 = t1;
  token = ember_logits_argmax (logits, n_vocab);
  for (uint32_t i = 0; i < n_gen; i++)
    {
      status = ember_context_decode_argmax (ctx, token, &token, error);
      if (status != EMBER_OK)
        return status;
      if (i == 0)
        t2 = now_seconds ();
    }

  *prompt_seconds = t1 - t0;
  *gen_seconds = now_seconds () - t1;
  *first_token_seconds = t2 - t0;
  return EMBER_OK;
}

static int
measure (const BenchOptions *o,
         ember_model        *model,
         BenchResult        *result,
         FILE               *err)
{
  const ember_hparams *hp = ember_model_get_hparams (model);
  g_autoptr (ember_context) ctx = NULL;
  g_autofree int32_t *prompt = g_new (int32_t, o->n_prompt);
  g_autofree float *logits = g_new (float, hp->n_vocab);
  g_autofree double *prompt_rates = g_new (double, o->repetitions);
  g_autofree double *gen_rates = g_new (double, o->repetitions);
  g_autofree double *first_tokens = g_new (double, o->repetitions);
  GRand *rand = g_rand_new_with_seed (BENCH_SEED);
  ember_context_options options;
  ember_error error = { 0 };
  double prompt_seconds, gen_seconds, first_token_seconds;

  for (uint32_t i = 0; i < o->n_prompt; i++)
    prompt[i] = (int32_t) g_rand_int_range (rand, 0, (gint32) hp->n_vocab);
  g_rand_free (rand);

  g_autofree char *cache_dir = g_build_filename (g_get_user_cache_dir (), "hearth", NULL);

  ember_context_options_init (&options);
  hearth_engine_options_from_environment (&options);
  options.n_ctx = o->n_prompt + o->n_gen;
  options.n_threads = o->n_threads;
  options.backend = o->backend;
  options.pipeline_cache_dir = cache_dir;
  if (ember_context_new (model, &options, &ctx, &error) != EMBER_OK)
    {
      fprintf (err, "hearth bench: %s\n", error.message);
      return 1;
    }
  if (ember_context_get_fallback_reason (ctx) != NULL)
    fprintf (err, _("hearth bench: Vulkan cannot be used (%s); measuring the CPU\n"),
             ember_context_get_fallback_reason (ctx));

  /* The warm-up, as llama-bench does it: the prompt and one token. */
  if (run_once (ctx, prompt, o->n_prompt, 1, hp->n_vocab, logits,
                &prompt_seconds, &gen_seconds, &first_token_seconds, &error) != EMBER_OK)
    {
      fprintf (err, "hearth bench: %s\n", error.message);
      return 1;
    }

  for (uint32_t r = 0; r < o->repetitions; r++)
    {
      if (run_once (ctx, prompt, o->n_prompt, o->n_gen, hp->n_vocab, logits,
                    &prompt_seconds, &gen_seconds, &first_token_seconds, &error) != EMBER_OK)
        {
          fprintf (err, "hearth bench: %s\n", error.message);
          return 1;
        }
      prompt_rates[r] = o->n_prompt / prompt_seconds;
      gen_rates[r] = o->n_gen / gen_seconds;
      first_tokens[r] = first_token_seconds;
    }

  result->prompt_rate = compute_stat (prompt_rates, o->repetitions);
  result->gen_rate = compute_stat (gen_rates, o->repetitions);
  result->first_token = compute_stat (first_tokens, o->repetitions);
  result->n_threads = ember_context_get_n_threads (ctx);
  result->backend = ember_context_get_backend (ctx);
  g_strlcpy (result->device, ember_context_get_device_name (ctx), sizeof result->device);
  result->dispatches = ember_context_get_dispatches_per_token (ctx);
  result->cache_bytes = ember_context_get_cache_bytes (ctx);
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
             const ember_model_info *info,
             const BenchResult      *res)
{
  g_autofree char *file_name = g_path_get_basename (o->model_path);
  /* Translators: the model's name, architecture, quantization and size */
  g_autofree char *model = g_strdup_printf (_("%s (%s, %s, %s parameters)"),
                                            info->name != NULL ? info->name : file_name,
                                            info->architecture, info->file_type, info->parameter_label);
  g_autofree char *device = res->backend == EMBER_BACKEND_CPU ? device_text (res->n_threads)
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
  hearth_cli_print_row (out, 2, 22, _("backend"), res->backend == EMBER_BACKEND_VULKAN ? "vulkan" : "cpu");
  hearth_cli_print_row (out, 2, 22, _("device"), device);
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
            const ember_model_info *info,
            const BenchResult      *res)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *device = res->backend == EMBER_BACKEND_CPU
                              ? g_strdup_printf ("CPU (%u threads)", res->n_threads)
                              : g_strdup (res->device);
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  hearth_cli_json_add_string (b, "model", o->model_path);
  hearth_cli_json_add_string (b, "name", info->name);
  hearth_cli_json_add_string (b, "architecture", info->architecture);
  hearth_cli_json_add_string (b, "quantization", info->file_type);
  add_member_int (b, "parameters", (gint64) info->parameter_count);
  hearth_cli_json_add_string (b, "backend", res->backend == EMBER_BACKEND_VULKAN ? "vulkan" : "cpu");
  hearth_cli_json_add_string (b, "device", device);
  add_member_int (b, "threads", res->n_threads);
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
  if (res->backend == EMBER_BACKEND_VULKAN)
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
hearth_cli_bench (const HearthCliCommand *command,
                  int                     argc,
                  char                  **argv,
                  FILE                   *out,
                  FILE                   *err)
{
  BenchOptions o = { NULL, 512, 128, 3, 0, FALSE };
  BenchResult res = { 0 };
  g_autoptr (ember_model) model = NULL;
  ember_model_info info;
  ember_error error = { 0 };
  const ember_hparams *hp;
  double t0;
  int status;
  g_autofree char *resolved = NULL;

  status = parse_arguments (&o, argc, argv, err);
  if (status != 0)
    return status;

  resolved = hearth_cli_resolve_model ("bench", o.model_path, err);
  if (resolved == NULL)
    return 1;
  o.model_path = resolved;
  t0 = now_seconds ();
  if (ember_model_load (o.model_path, &model, &error) != EMBER_OK)
    {
      fprintf (err, "hearth bench: %s\n", error.message);
      return 1;
    }
  res.load_seconds = now_seconds () - t0;
  if (ember_model_info_from_gguf (ember_model_get_gguf (model), &info, &error) != EMBER_OK)
    {
      fprintf (err, "hearth bench: %s\n", error.message);
      return 1;
    }

  hp = ember_model_get_hparams (model);
  if ((uint64_t) o.n_prompt + o.n_gen > hp->n_ctx_train)
    {
      fprintf (err, _("hearth bench: -p %u and -n %u make %u tokens, more than the model’s context "
                      "of %u; ask for fewer\n"),
               o.n_prompt, o.n_gen, o.n_prompt + o.n_gen, hp->n_ctx_train);
      return 2;
    }

  status = measure (&o, model, &res, err);
  if (status != 0)
    return status;

  if (o.json)
    print_json (out, &o, &info, &res);
  else
    print_table (out, &o, &info, &res);
  return 0;
}
