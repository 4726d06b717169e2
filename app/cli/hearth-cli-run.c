/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth run MODEL [PROMPT]`: generate text on the CPU reference engine.
 * With PROMPT, one reply to one user message (through the model's chat
 * template; a model without one continues the conversation's text), or
 * with --raw a plain completion.
 * Without PROMPT: a chat on a terminal, or the prompt from standard input.
 * Only the generated text goes to stdout; --verbose adds statistics on
 * stderr.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember.h"
#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-engine-options.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_model, ember_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_context, ember_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_tokenizer, ember_tokenizer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_template, ember_template_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ember_value, ember_value_unref)

typedef struct
{
  /* options */
  const char *model_path;
  char *model_path_owned;    /* the store's file where MODEL names a model */
  const char *prompt;
  const char *system;
  char *system_owned;        /* a system message set with /set system */
  gboolean raw;
  gboolean verbose;
  ember_backend backend;
  uint32_t num_ctx;
  ember_generate_options gen;
  GPtrArray *stops;          /* char *, NULL-terminated for ember */

  /* state */
  ember_model *model;
  ember_tokenizer *tok;
  ember_context *ctx;
  ember_template *chat_template;
  gboolean default_template;
  GPtrArray *messages;       /* ember_value dicts {role, content} */
  double load_seconds;
  gboolean cancelled;        /* the last reply was stopped with Ctrl+C */
  gboolean chatting;         /* the interactive chat, where /clear exists */
  FILE *out;
  FILE *err;
} RunState;

static volatile sig_atomic_t interrupted;

/* The first Ctrl+C stops the reply (or the prompt's processing); a second
 * one, before the first was handled, ends the program as usual. */
static void
sigint_cb (int signum)
{
  if (interrupted)
    {
      signal (SIGINT, SIG_DFL);
      raise (SIGINT);
    }
  interrupted = 1;
}

static bool
abort_cb (void *user_data)
{
  return interrupted != 0;
}

/* ---- options ------------------------------------------------------------- */

static gboolean
parse_float (const char *name,
             const char *text,
             float      *value,
             FILE       *err)
{
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (v))
    {
      fprintf (err, _("hearth run: %s needs a number, not “%s”\n"), name, text);
      return FALSE;
    }
  *value = (float) v;
  return TRUE;
}

static gboolean
parse_int (const char *name,
           const char *text,
           gint64      min,
           gint64      max,
           gint64     *value,
           FILE       *err)
{
  g_autoptr (GError) error = NULL;

  if (!g_ascii_string_to_signed (text, 10, min, max, value, &error))
    {
      g_autofree char *lo = g_strdup_printf ("%" G_GINT64_FORMAT, min);
      g_autofree char *hi = g_strdup_printf ("%" G_GINT64_FORMAT, max);

      fprintf (err, _("hearth run: %s needs a whole number from %s to %s, not “%s”\n"), name, lo, hi, text);
      return FALSE;
    }
  return TRUE;
}

/* Sets one Ollama parameter by name (also for /set parameter). */
static gboolean
set_parameter (RunState   *s,
               const char *name,
               const char *value)
{
  ember_sampler_params *p = &s->gen.sampler;
  gint64 i;

  if (g_str_equal (name, "temperature"))
    return parse_float (name, value, &p->temperature, s->err);
  if (g_str_equal (name, "top_p"))
    return parse_float (name, value, &p->top_p, s->err);
  if (g_str_equal (name, "min_p"))
    return parse_float (name, value, &p->min_p, s->err);
  if (g_str_equal (name, "typical_p"))
    return parse_float (name, value, &p->typical_p, s->err);
  if (g_str_equal (name, "repeat_penalty"))
    return parse_float (name, value, &p->repeat_penalty, s->err);
  if (g_str_equal (name, "presence_penalty"))
    return parse_float (name, value, &p->presence_penalty, s->err);
  if (g_str_equal (name, "frequency_penalty"))
    return parse_float (name, value, &p->frequency_penalty, s->err);
  if (g_str_equal (name, "top_k"))
    {
      if (!parse_int (name, value, 0, G_MAXINT32, &i, s->err))
        return FALSE;
      p->top_k = (int32_t) i;
      return TRUE;
    }
  if (g_str_equal (name, "repeat_last_n"))
    {
      if (!parse_int (name, value, -1, G_MAXINT32, &i, s->err))
        return FALSE;
      p->repeat_last_n = (int32_t) i;
      return TRUE;
    }
  if (g_str_equal (name, "seed"))
    {
      if (!parse_int (name, value, G_MININT64, G_MAXINT64, &i, s->err))
        return FALSE;
      p->seed = i < 0 ? EMBER_SEED_RANDOM : (uint64_t) i;
      return TRUE;
    }
  if (g_str_equal (name, "num_predict"))
    {
      if (!parse_int (name, value, -2, G_MAXINT32, &i, s->err))
        return FALSE;
      s->gen.num_predict = i < 0 ? -1 : (int32_t) i;
      return TRUE;
    }
  if (g_str_equal (name, "num_ctx"))
    {
      if (!parse_int (name, value, 1, 1 << 24, &i, s->err))
        return FALSE;
      s->num_ctx = (uint32_t) i;
      return TRUE;
    }
  if (g_str_equal (name, "stop"))
    {
      g_ptr_array_insert (s->stops, (gint) s->stops->len - 1, g_strdup (value));
      return TRUE;
    }
  fprintf (s->err, _("hearth run: unknown parameter “%s”\n"), name);
  return FALSE;
}

static const struct
{
  const char *option;
  const char *parameter;
} option_parameters[] = {
  { "--temperature", "temperature" }, { "--top-k", "top_k" }, { "--top-p", "top_p" },
  { "--min-p", "min_p" }, { "--typical-p", "typical_p" }, { "--repeat-penalty", "repeat_penalty" },
  { "--repeat-last-n", "repeat_last_n" }, { "--presence-penalty", "presence_penalty" },
  { "--frequency-penalty", "frequency_penalty" }, { "--seed", "seed" },
  { "--num-predict", "num_predict" }, { "--num-ctx", "num_ctx" }, { "--stop", "stop" },
};

/* Whether @name is an option of `hearth run` that takes a value. */
static gboolean
option_takes_value (const char *name)
{
  if (g_str_equal (name, "--system") || g_str_equal (name, "--backend"))
    return TRUE;
  for (gsize k = 0; k < G_N_ELEMENTS (option_parameters); k++)
    if (g_str_equal (name, option_parameters[k].option))
      return TRUE;
  return FALSE;
}

static int
parse_arguments (RunState *s,
                 int       argc,
                 char    **argv)
{
  gboolean options_done = FALSE;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value = NULL;
      g_autofree char *name = NULL;

      if (!options_done && g_str_equal (arg, "--"))
        {
          options_done = TRUE; /* what follows is the model and the prompt, even "-5 °C?" */
          continue;
        }
      if (options_done || arg[0] != '-' || arg[1] == '\0')
        {
          if (s->model_path == NULL)
            s->model_path = arg;
          else if (s->prompt == NULL)
            s->prompt = arg;
          else
            {
              fprintf (s->err, _("hearth run: give the prompt as one argument (quote it)\n"));
              return 2;
            }
          continue;
        }
      if (g_str_equal (arg, "--raw"))
        {
          s->raw = TRUE;
          continue;
        }
      if (g_str_equal (arg, "--verbose"))
        {
          s->verbose = TRUE;
          continue;
        }

      /* --name=value or --name value; a name it does not know is said as
       * such, wherever it is, before any value is taken for it */
      name = strchr (arg, '=') != NULL ? g_strndup (arg, (gsize) (strchr (arg, '=') - arg))
                                       : g_strdup (arg);
      if (!option_takes_value (name))
        return hearth_cli_unknown_option (s->err, "run", name);
      if (strchr (arg, '=') != NULL)
        value = strchr (arg, '=') + 1;
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return hearth_cli_missing_value (s->err, "run", name);

      if (g_str_equal (name, "--system"))
        {
          s->system = value;
          continue;
        }
      if (g_str_equal (name, "--backend"))
        {
          if (g_str_equal (value, "cpu"))
            s->backend = EMBER_BACKEND_CPU;
          else if (g_str_equal (value, "vulkan"))
            s->backend = EMBER_BACKEND_VULKAN;
          else if (g_str_equal (value, "auto"))
            s->backend = EMBER_BACKEND_AUTO;
          else
            {
              fprintf (s->err, _("hearth run: unknown backend “%s” (auto, cpu or vulkan)\n"), value);
              return 2;
            }
          continue;
        }
      for (gsize k = 0; k < G_N_ELEMENTS (option_parameters); k++)
        if (g_str_equal (name, option_parameters[k].option)
            && !set_parameter (s, option_parameters[k].parameter, value))
          return 2;
    }

  if (s->model_path == NULL)
    {
      fprintf (s->err, _("hearth run: which model? Usage: hearth run MODEL.gguf [PROMPT]\n"));
      return 2;
    }
  {
    ember_error error = { 0 };

    if (ember_sampler_params_validate (&s->gen.sampler, &error) != EMBER_OK)
      {
        fprintf (s->err, "hearth run: %s\n", error.message);
        return 2;
      }
  }
  return 0;
}

/* ---- the model ----------------------------------------------------------- */

static double
now_seconds (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static int
load (RunState *s)
{
  ember_context_options options;
  ember_error error = { 0 };
  double t0 = now_seconds ();
  const char *source;
  g_autofree char *cache_dir = NULL;

  if (ember_model_load (s->model_path, &s->model, &error) != EMBER_OK
      || ember_tokenizer_new_from_gguf (ember_model_get_gguf (s->model), &s->tok, &error) != EMBER_OK)
    {
      fprintf (s->err, "hearth run: %s\n", error.message);
      return 1;
    }

  cache_dir = g_build_filename (g_get_user_cache_dir (), "hearth", NULL);
  ember_context_options_init (&options);
  hearth_engine_options_from_environment (&options);
  options.n_ctx = s->num_ctx;
  options.backend = s->backend;
  options.pipeline_cache_dir = cache_dir;
  if (ember_context_new (s->model, &options, &s->ctx, &error) != EMBER_OK)
    {
      fprintf (s->err, "hearth run: %s\n", error.message);
      return 1;
    }
  ember_context_set_abort_func (s->ctx, abort_cb, NULL);
  if (ember_context_get_fallback_reason (s->ctx) != NULL)
    fprintf (s->err, _("hearth run: Vulkan cannot be used (%s); running on the CPU\n"),
             ember_context_get_fallback_reason (s->ctx));

  if (!s->raw)
    {
      size_t source_len = 0;

      if (!hearth_cli_model_chat_template (ember_model_get_gguf (s->model), s->model_path, &source,
                                           &source_len, &s->default_template, s->err))
        return 1;
      if (ember_template_new (source, source_len, &s->chat_template, &error) != EMBER_OK)
        {
          fprintf (s->err, _("hearth run: the model's chat template cannot be used: %s\n"), error.message);
          return 1;
        }
      if (s->default_template && s->verbose)
        fprintf (s->err, _("The model has no chat template: it continues the text of the conversation.\n"));
    }
  s->load_seconds = now_seconds () - t0;
  return 0;
}

/* The text of special token @id, or "" when the model has none. */
static const char *
special_text (const ember_tokenizer *tok,
              int32_t                id)
{
  size_t length;

  if (id < 0)
    return "";
  return ember_tokenizer_get_token_text (tok, id, &length);
}

static ember_value *
message_new (const char *role,
             const char *content)
{
  ember_value *m = ember_value_new_dict ();

  ember_value_dict_set (m, "role", ember_value_new_string (role, strlen (role)), NULL);
  ember_value_dict_set (m, "content", ember_value_new_string (content, strlen (content)), NULL);
  return m;
}

/* The prompt's tokens: the conversation through the chat template, or the
 * raw text. BOS is added as the model says, unless the template wrote it. */
static gboolean
build_prompt (RunState    *s,
              const char  *raw_text,
              int32_t    **ids,
              size_t      *n_ids)
{
  g_autofree char *text = NULL;
  size_t text_len;
  ember_error error = { 0 };
  int flags = EMBER_TOKENIZE_PARSE_SPECIAL;
  const char *bos = special_text (s->tok, ember_tokenizer_get_bos (s->tok));

  if (s->raw)
    {
      text = g_strdup (raw_text);
      text_len = strlen (text);
      flags = 0; /* a plain completion: special-token text is text */
    }
  else if (s->default_template)
    {
      /* no chat template (a base model): the conversation's turns as one
       * text to continue, as in the window and as Ollama's "{{ .Prompt }}" */
      GString *joined = g_string_new (NULL);

      for (guint i = 0; i < s->messages->len; i++)
        {
          const ember_value *m = g_ptr_array_index (s->messages, i);
          const char *role = ember_value_get_string (ember_value_dict_get (m, "role"), NULL);

          if (g_strcmp0 (role, "system") != 0)
            g_string_append (joined, ember_value_get_string (ember_value_dict_get (m, "content"), NULL));
        }
      text_len = joined->len;
      text = g_string_free (joined, FALSE);
      flags = 0;
    }
  else
    {
      ember_value *messages = ember_value_new_list ();
      g_autoptr (ember_value) context = NULL;
      const char *eos = special_text (s->tok, ember_tokenizer_get_eos (s->tok));
      ember_template_options options;

      for (guint i = 0; i < s->messages->len; i++)
        ember_value_list_append (messages, ember_value_ref (g_ptr_array_index (s->messages, i)), NULL);
      context = ember_template_chat_context (messages, bos, eos);
      ember_template_options_init (&options);
      if (context == NULL)
        g_strlcpy (error.message, g_strerror (ENOMEM), sizeof error.message);
      if (context == NULL
          || ember_template_render (s->chat_template, context, &options, &text, &text_len, &error) != EMBER_OK)
        {
          fprintf (s->err, _("hearth run: the chat template failed: %s\n"), error.message);
          return FALSE;
        }
    }

  if (ember_tokenizer_get_add_bos (s->tok) && !(bos[0] != '\0' && g_str_has_prefix (text, bos) && !s->raw))
    flags |= EMBER_TOKENIZE_ADD_SPECIAL;
  if (ember_tokenizer_encode (s->tok, text, text_len, flags, ids, n_ids, &error) != EMBER_OK)
    {
      fprintf (s->err, "hearth run: %s\n", error.message);
      return FALSE;
    }
  if (*n_ids == 0)
    {
      /* An empty raw prompt on a model without BOS: start from nothing is
       * impossible; say so. */
      free (*ids);
      *ids = NULL;
      fprintf (s->err, _("hearth run: the prompt is empty and the model has no BOS token to start from\n"));
      return FALSE;
    }
  return TRUE;
}

/* ---- generation ---------------------------------------------------------- */

typedef struct
{
  FILE *out;
  GString *reply;
  gboolean ends_with_newline;
} TextSink;

static bool
on_text_cb (const char *text,
            size_t      length,
            void       *user_data)
{
  TextSink *sink = user_data;

  fwrite (text, 1, length, sink->out);
  fflush (sink->out);
  g_string_append_len (sink->reply, text, (gssize) length);
  sink->ends_with_newline = text[length - 1] == '\n';
  return !interrupted;
}

static void
print_stats (RunState                   *s,
             const ember_generate_stats *st)
{
  double prompt_rate = st->prompt_seconds > 0 ? st->prompt_processed / st->prompt_seconds : 0;
  uint32_t after_first = st->generated_tokens > 0 ? st->generated_tokens - 1 : 0;
  double gen_rate = st->generation_seconds > 0 ? after_first / st->generation_seconds : 0;

  fprintf (s->err, _("device:               %s\n"), ember_context_get_device_name (s->ctx));
  fprintf (s->err, _("load duration:        %.3f s\n"), s->load_seconds);
  fprintf (s->err, _("prompt eval count:    %u tokens (%u reused from the cache)\n"),
           st->prompt_processed, st->prompt_tokens - st->prompt_processed);
  fprintf (s->err, _("prompt eval duration: %.3f s\n"), st->prompt_seconds);
  fprintf (s->err, _("prompt eval rate:     %.2f tokens/s\n"), prompt_rate);
  fprintf (s->err, _("eval count:           %u tokens\n"), st->generated_tokens);
  fprintf (s->err, _("eval duration:        %.3f s\n"), st->generation_seconds);
  fprintf (s->err, _("eval rate:            %.2f tokens/s\n"), gen_rate);
  fprintf (s->err, _("time to first token:  %.3f s\n"), st->first_token_seconds);
  fprintf (s->err, _("stopped by:           %s\n"), ember_stop_reason_to_string (st->stop_reason));
}

/* Generates one reply; its text is appended to @reply. Returns FALSE on an
 * error (already reported). */
static gboolean
generate (RunState   *s,
          const char *raw_text,
          GString    *reply)
{
  g_autofree int32_t *ids = NULL;
  size_t n_ids = 0;
  ember_generate_stats stats;
  ember_error error = { 0 };
  TextSink sink = { s->out, reply, TRUE };
  ember_status status;

  if (!build_prompt (s, raw_text, &ids, &n_ids))
    return FALSE;

  s->gen.stop = (const char *const *) s->stops->pdata;
  interrupted = 0;
  s->cancelled = FALSE;
  status = ember_generate (s->ctx, s->tok, ids, (uint32_t) n_ids, &s->gen, on_text_cb, &sink,
                           &stats, &error);
  if (status == EMBER_ERROR_CONTEXT_FULL)
    {
      if (s->chatting)
        fprintf (s->err, _("hearth run: the prompt does not fit in the context (%u tokens); "
                           "use a shorter prompt or a longer context (--num-ctx, or /clear in a chat)\n"),
                 ember_context_get_n_ctx (s->ctx));
      else
        fprintf (s->err, _("hearth run: the prompt does not fit in the context (%u tokens); "
                           "use a shorter prompt or a longer context (--num-ctx)\n"),
                 ember_context_get_n_ctx (s->ctx));
      return FALSE;
    }
  if (status != EMBER_OK)
    {
      fprintf (s->err, "hearth run: %s\n", error.message);
      return FALSE;
    }
  if (!sink.ends_with_newline || reply->len == 0)
    fputc ('\n', s->out);
  fflush (s->out);
  if (stats.stop_reason == EMBER_STOP_CANCELLED)
    s->cancelled = TRUE;

  /* a one-shot run simply ends there (status 0); a chat can go on after /clear */
  if (stats.stop_reason == EMBER_STOP_CONTEXT_FULL && s->chatting)
    fprintf (s->err, _("hearth run: the context is full (%u tokens): the reply was cut short. "
                       "Start again with /clear, or use a longer context (--num-ctx).\n"),
             ember_context_get_n_ctx (s->ctx));
  else if (stats.stop_reason == EMBER_STOP_CONTEXT_FULL)
    fprintf (s->err, _("hearth run: the reply stopped at the end of the context (%u tokens); "
                       "a longer context (--num-ctx) lets it go further\n"),
             ember_context_get_n_ctx (s->ctx));
  if (s->verbose)
    print_stats (s, &stats);
  return TRUE;
}

/* ---- the interactive chat ----------------------------------------------- */

static void
print_chat_help (RunState *s)
{
  fprintf (s->out, "%s\n", _("Available commands:"));
  fprintf (s->out, "  /set parameter NAME VALUE   %s\n", _("Set a parameter (temperature, top_k, top_p, min_p, …)"));
  fprintf (s->out, "  /set system TEXT            %s\n", _("Set the system message"));
  fprintf (s->out, "  /clear                      %s\n", _("Forget the conversation"));
  fprintf (s->out, "  /bye                        %s\n", _("Leave"));
  fprintf (s->out, "  /?                          %s\n", _("Show this help"));
  fprintf (s->out, "%s\n", _("Start and end a message of several lines with \"\"\"."));
}

static void
clear_conversation (RunState *s)
{
  g_ptr_array_set_size (s->messages, 0);
  if (s->system != NULL)
    g_ptr_array_add (s->messages, message_new ("system", s->system));
  ember_context_truncate (s->ctx, 0);
}

/* Handles a /command; returns FALSE to leave. */
static gboolean
chat_command (RunState   *s,
              const char *line)
{
  if (g_str_equal (line, "/bye") || g_str_equal (line, "/exit"))
    return FALSE;
  if (g_str_equal (line, "/?") || g_str_equal (line, "/help"))
    print_chat_help (s);
  else if (g_str_equal (line, "/clear"))
    {
      clear_conversation (s);
      fprintf (s->out, "%s\n", _("Cleared the conversation."));
    }
  else if (g_str_has_prefix (line, "/set parameter "))
    {
      g_auto (GStrv) words = g_strsplit (line + strlen ("/set parameter "), " ", 2);

      if (words[0] == NULL || words[1] == NULL)
        fprintf (s->out, "%s\n", _("Usage: /set parameter NAME VALUE"));
      else if (g_str_equal (words[0], "num_ctx"))
        fprintf (s->out, "%s\n", _("num_ctx cannot change during a chat; start again with --num-ctx."));
      else
        {
          /* A value the sampler refuses is not kept. */
          ember_generate_options saved = s->gen;
          ember_error error = { 0 };

          if (!set_parameter (s, words[0], g_strstrip (words[1])))
            s->gen = saved;
          else if (ember_sampler_params_validate (&s->gen.sampler, &error) != EMBER_OK)
            {
              s->gen = saved;
              fprintf (s->out, "%s\n", error.message);
            }
          else
            fprintf (s->out, _("Set parameter '%s' to '%s'\n"), words[0], words[1]);
        }
    }
  else if (g_str_has_prefix (line, "/set system "))
    {
      g_free (s->system_owned);
      s->system_owned = g_strdup (line + strlen ("/set system "));
      s->system = s->system_owned;
      for (guint i = 0; i < s->messages->len; i++)
        if (g_str_equal (ember_value_get_string (ember_value_dict_get (g_ptr_array_index (s->messages, i), "role"), NULL),
                         "system"))
          g_ptr_array_remove_index (s->messages, i--);
      g_ptr_array_insert (s->messages, 0, message_new ("system", line + strlen ("/set system ")));
      fprintf (s->out, "%s\n", _("Set the system message."));
    }
  else
    fprintf (s->out, _("Unknown command “%s”. Type /? for help.\n"), line);
  return TRUE;
}

/* Reads one message: a line, or lines between """ and """. NULL at the end. */
static char *
read_message (RunState *s)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean multi = FALSE;

  for (;;)
    {
      char *line = NULL;
      size_t cap = 0;
      ssize_t n;

      fputs (multi ? "... " : ">>> ", s->out);
      fflush (s->out);
      errno = 0;
      n = getline (&line, &cap, stdin);
      if (n < 0)
        {
          free (line);
          if (errno == EINTR && interrupted)
            {
              interrupted = 0;
              clearerr (stdin);
              fprintf (s->out, "\n%s\n", _("Use Ctrl + d or /bye to exit."));
              g_string_truncate (text, 0);
              multi = FALSE;
              continue;
            }
          return NULL;
        }
      if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
      if (!multi && n >= 6 && g_str_has_prefix (line, "\"\"\"") && g_str_has_suffix (line, "\"\"\""))
        {
          /* """a message""" on one line */
          g_string_append_len (text, line + 3, n - 6);
          free (line);
          return g_string_free (g_steal_pointer (&text), FALSE);
        }
      if (!multi && g_str_has_prefix (line, "\"\"\""))
        {
          multi = TRUE;
          g_string_append (text, line + 3);
        }
      else if (multi && g_str_has_suffix (line, "\"\"\""))
        {
          line[n - 3] = '\0';
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, line);
          free (line);
          return g_string_free (g_steal_pointer (&text), FALSE);
        }
      else if (multi)
        {
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, line);
        }
      else
        {
          g_string_append (text, line);
          free (line);
          return g_string_free (g_steal_pointer (&text), FALSE);
        }
      free (line);
    }
}

static int
chat (RunState *s)
{
  s->chatting = TRUE;
  for (;;)
    {
      g_autofree char *line = read_message (s);
      g_autoptr (GString) reply = NULL;

      if (line == NULL)
        {
          fputc ('\n', s->out);
          return 0;
        }
      if (g_strstrip (line)[0] == '\0')
        continue;
      if (line[0] == '/')
        {
          if (!chat_command (s, line))
            return 0;
          continue;
        }

      g_ptr_array_add (s->messages, message_new ("user", line));
      reply = g_string_new (NULL);
      if (!generate (s, NULL, reply))
        {
          /* The message could not be answered: forget it, keep the chat. */
          g_ptr_array_remove_index (s->messages, s->messages->len - 1);
          continue;
        }
      g_ptr_array_add (s->messages, message_new ("assistant", reply->str));
      fputc ('\n', s->out);
    }
}

/* ---- the command --------------------------------------------------------- */

static void
run_state_clear (RunState *s)
{
  g_clear_pointer (&s->chat_template, ember_template_free);
  g_clear_pointer (&s->ctx, ember_context_free);
  g_clear_pointer (&s->tok, ember_tokenizer_free);
  g_clear_pointer (&s->model, ember_model_free);
  g_clear_pointer (&s->messages, g_ptr_array_unref);
  g_clear_pointer (&s->stops, g_ptr_array_unref);
  g_clear_pointer (&s->system_owned, g_free);
  g_clear_pointer (&s->model_path_owned, g_free);
}

int
hearth_cli_run_model (const HearthCliCommand *command,
                      int                     argc,
                      char                  **argv,
                      FILE                   *out,
                      FILE                   *err)
{
  RunState s = { 0 };
  struct sigaction action = { 0 }, previous;
  int status;

  s.out = out;
  s.err = err;
  s.stops = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (s.stops, NULL);
  s.messages = g_ptr_array_new_with_free_func ((GDestroyNotify) ember_value_unref);
  ember_generate_options_init (&s.gen);

  status = parse_arguments (&s, argc, argv);
  if (status == 0)
    {
      s.model_path_owned = hearth_cli_resolve_model ("run", s.model_path, err);
      s.model_path = s.model_path_owned;
      if (s.model_path == NULL)
        status = 1;
    }
  if (status == 0)
    status = load (&s);
  if (status != 0)
    {
      run_state_clear (&s);
      return status;
    }

  /* Ctrl+C stops a reply, not the program. */
  action.sa_handler = sigint_cb;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, &previous);

  if (s.system != NULL)
    g_ptr_array_add (s.messages, message_new ("system", s.system));

  if (s.prompt == NULL && isatty (STDIN_FILENO))
    {
      if (s.raw)
        {
          /* --raw on a terminal without a prompt: complete from BOS */
          g_autoptr (GString) reply = g_string_new (NULL);

          status = generate (&s, "", reply) ? 0 : 1;
        }
      else
        status = chat (&s);
    }
  else
    {
      g_autoptr (GString) reply = g_string_new (NULL);
      g_autofree char *input = NULL;

      if (s.prompt == NULL)
        {
          /* the prompt from standard input */
          gsize length = 0;
          g_autoptr (GIOChannel) channel = g_io_channel_unix_new (STDIN_FILENO);

          g_io_channel_set_encoding (channel, NULL, NULL);
          if (g_io_channel_read_to_end (channel, &input, &length, NULL) != G_IO_STATUS_NORMAL)
            input = g_strdup ("");
        }
      if (!s.raw)
        g_ptr_array_add (s.messages, message_new ("user", s.prompt != NULL ? s.prompt : input));
      status = generate (&s, s.prompt != NULL ? s.prompt : input, reply) ? 0 : 1;
      if (status == 0 && s.cancelled)
        status = 130; /* as a shell reports a program stopped by Ctrl+C */
    }

  sigaction (SIGINT, &previous, NULL);
  run_state_clear (&s);
  return status;
}
