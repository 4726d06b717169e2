/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth run MODEL [PROMPT]`: generate text through the context's engine,
 * as the window does (the same request, the same prompt).
 * With PROMPT, one reply to one user message (through the model's chat
 * template; a model without one continues the conversation's text), or
 * with --raw a plain completion.
 * Without PROMPT: a chat on a terminal, or the prompt from standard input.
 * Only the generated text goes to stdout; --verbose adds statistics on
 * stderr.
 *
 * With --host URL (or HEARTH_HOST, as `ollama run` reads OLLAMA_HOST),
 * MODEL is a model on that server, an Ollama one (Ollama, or another
 * Hearth's `hearth serve`) or, with --openai or a URL ending in /v1, an
 * OpenAI-compatible one; the same request goes there instead of to the
 * engine (hearth-remote.h), with HEARTH_API_KEY (or OPENAI_API_KEY) as
 * its key.
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

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-context.h"
#include "hearth-gguf.h"
#include "hearth-model-name.h"
#include "hearth-profile.h"
#include "hearth-model-layers.h"
#include "hearth-remote.h"
#include "hearth-settings.h"

typedef struct
{
  /* options */
  const char *model_arg;
  char *model_path;          /* the file MODEL names */
  const char *prompt;
  gboolean verbose;
  HearthRequest *request;    /* model, options, stop strings, the system message, the
                                model's example messages and the conversation so far */
  GPtrArray *flags;          /* the parameters given as options: name, value, … (they
                                win over the model's own) */
  const char *system_flag;   /* --system */
  const char *host;          /* --host, or HEARTH_HOST: a remote server */
  gboolean host_from_environment;
  gboolean openai;           /* --openai: it is OpenAI-compatible */
  HearthRemote *remote;      /* MODEL on that server, or NULL: a local model */
  gboolean stored_remote;    /* MODEL is a model of the store that lives on a server */
  guint n_preamble;          /* the messages /clear keeps: system and examples */
  const char *model_name;    /* MODEL as a model of the store, or NULL: a file */
  HearthSettings *settings;  /* the model's own (its layers over Ollama's defaults) */
  HearthModelLayers *layers; /* its layers as stored (NULL: a file) */
  char *system;              /* the system prompt set in this session (--system,
                                /set system), or NULL: the model's */

  /* state */
  HearthEngine *engine;      /* the context's */
  double load_seconds;
  gboolean cancelled;        /* the last reply was stopped with Ctrl+C */
  gboolean chatting;         /* the interactive chat, where /clear exists */
  HearthContext *context;
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

/* ---- options ------------------------------------------------------------- */

/* Sets one Ollama parameter by name (also for /set parameter). */
static gboolean
set_parameter (RunState   *s,
               const char *name,
               const char *value)
{
  g_autoptr (GError) error = NULL;

  if (!hearth_request_set_parameter (s->request, name, value, &error))
    {
      fprintf (s->err, "hearth run: %s\n", error->message);
      return FALSE;
    }
  if (s->flags != NULL)
    {
      g_ptr_array_add (s->flags, g_strdup (name));
      g_ptr_array_add (s->flags, g_strdup (value));
    }
  return TRUE;
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
  if (g_str_equal (name, "--system") || g_str_equal (name, "--backend")
      || g_str_equal (name, "--format") || g_str_equal (name, "--host"))
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
          if (s->model_arg == NULL)
            s->model_arg = arg;
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
          s->request->raw = TRUE;
          continue;
        }
      if (g_str_equal (arg, "--verbose"))
        {
          s->verbose = TRUE;
          continue;
        }
      if (g_str_equal (arg, "--openai"))
        {
          s->openai = TRUE;
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
          s->system_flag = value;
          continue;
        }
      if (g_str_equal (name, "--host"))
        {
          s->host = value;
          continue;
        }
      if (g_str_equal (name, "--format"))
        {
          g_autoptr (GError) error = NULL;

          if (!hearth_request_set_format (s->request, value, &error))
            {
              fprintf (s->err, "hearth run: %s\n", error->message);
              return 2;
            }
          continue;
        }
      if (g_str_equal (name, "--backend"))
        {
          if (g_str_equal (value, "cpu"))
            s->request->backend = HEARTH_BACKEND_CPU;
          else if (g_str_equal (value, "vulkan"))
            s->request->backend = HEARTH_BACKEND_VULKAN;
          else if (g_str_equal (value, "auto"))
            s->request->backend = HEARTH_BACKEND_AUTO;
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

  if (s->model_arg == NULL)
    {
      fprintf (s->err, _("hearth run: which model? Usage: hearth run MODEL.gguf [PROMPT]\n"));
      return 2;
    }
  {
    g_autoptr (GError) error = NULL;

    if (!hearth_options_validate (&s->request->options, &error))
      {
        fprintf (s->err, "hearth run: %s\n", error->message);
        return 2;
      }
  }
  return 0;
}

/* ---- the engine --------------------------------------------------------- */

typedef struct
{
  RunState *s;
  HearthGeneration *generation;
  GString *reply;
  gboolean ends_with_newline;
} Turn;

static void
on_text_cb (HearthGeneration *generation,
            const char       *text,
            Turn             *turn)
{
  gsize length = strlen (text);

  if (length == 0)
    return;
  fwrite (text, 1, length, turn->s->out);
  fflush (turn->s->out);
  if (turn->reply != NULL)
    g_string_append_len (turn->reply, text, (gssize) length);
  turn->ends_with_newline = text[length - 1] == '\n';
}

/* Ctrl+C (the handler only sets a flag) stops the reply between tokens. */
static gboolean
watch_interrupt_cb (gpointer data)
{
  Turn *turn = data;

  if (interrupted)
    hearth_generation_cancel (turn->generation);
  return G_SOURCE_CONTINUE;
}

/* Runs @request (taken) to its end, the text on stdout as it comes (when
 * @reply is not NULL, also kept there). Returns the finished generation. */
static HearthGeneration *
run_request (RunState      *s,
             HearthRequest *request,
             GString       *reply,
             gboolean      *ends_with_newline)
{
  Turn turn = { s, NULL, reply, TRUE };
  guint watch;

  interrupted = 0;
  turn.generation = hearth_engine_generate (s->engine, request);
  g_signal_connect (turn.generation, "text", G_CALLBACK (on_text_cb), &turn);
  watch = g_timeout_add (50, watch_interrupt_cb, &turn);
  hearth_generation_wait (turn.generation);
  g_source_remove (watch);
  g_signal_handlers_disconnect_by_data (turn.generation, &turn);
  if (ends_with_newline != NULL)
    *ends_with_newline = turn.ends_with_newline;
  return turn.generation;
}

/* Says what went wrong with @generation, as `hearth run` says it. */
static void
print_error (RunState         *s,
             HearthGeneration *generation)
{
  const GError *error = hearth_generation_get_error (generation);
  const char *detail = hearth_generation_get_error_detail (generation);

  if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL) && s->chatting)
    fprintf (s->err, _("hearth run: the prompt does not fit in the context (%u tokens); "
                       "use a shorter prompt or a longer context (--num-ctx, or /clear in a chat)\n"),
             hearth_generation_get_stats (generation)->n_ctx);
  else if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL))
    fprintf (s->err, _("hearth run: the prompt does not fit in the context (%u tokens); "
                       "use a shorter prompt or a longer context (--num-ctx)\n"),
             hearth_generation_get_stats (generation)->n_ctx);
  else
    fprintf (s->err, "hearth run: %s\n", detail != NULL ? detail : error->message);
}

/* MODEL on the server that --host or HEARTH_HOST names: the remote, with
 * the key from the environment. 0.0.0.0 and :: (where a server listens on
 * every network) are this computer, as for Ollama's clients. */
static int
make_remote (RunState *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;
  HearthRemoteKind kind;
  const char *key;

  kind = s->openai || g_str_has_suffix (s->host, "/v1") || g_str_has_suffix (s->host, "/v1/")
           ? HEARTH_REMOTE_OPENAI
           : HEARTH_REMOTE_OLLAMA;
  url = hearth_remote_normalize_url (kind, s->host, &error);
  if (url == NULL)
    {
      fprintf (s->err, "hearth run: %s\n", error->message);
      return 2;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL && g_uri_get_port (uri) == 0)
    {
      /* port 0 is "any free port" to `hearth serve`: no server to talk to,
       * so HEARTH_HOST set for a server leaves `hearth run` local */
      if (s->host_from_environment)
        return 0;
      fprintf (s->err, _("hearth run: --host needs the port the server listens on, not 0\n"));
      return 2;
    }
  if (uri != NULL && (g_strcmp0 (g_uri_get_host (uri), "0.0.0.0") == 0
                      || g_strcmp0 (g_uri_get_host (uri), "::") == 0))
    {
      g_autoptr (GUri) here = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL,
                                           g_str_equal (g_uri_get_host (uri), "::") ? "::1" : "127.0.0.1",
                                           g_uri_get_port (uri), g_uri_get_path (uri), NULL, NULL);

      g_free (url);
      url = g_uri_to_string (here);
    }
  if (s->request->raw)
    {
      fprintf (s->err, _("hearth run: --raw is for a model on this computer; a server answers messages\n"));
      return 2;
    }
  key = g_getenv ("HEARTH_API_KEY");
  if ((key == NULL || *key == '\0') && kind == HEARTH_REMOTE_OPENAI)
    key = g_getenv ("OPENAI_API_KEY");
  s->remote = hearth_remote_new (kind, NULL, url, s->model_arg, key);
  s->model_path = g_strdup ("");
  return 0;
}

/* MODEL, a model of the store that lives on another server (a profile
 * made FROM http://HOST:PORT/MODEL, or one Ollama keeps so): the remote
 * its config names, with HEARTH_API_KEY; its own layers apply here. */
static int
stored_remote (RunState      *s,
               HearthContext *context)
{
  g_autofree char *host = NULL;
  g_autofree char *model = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;

  if (!hearth_model_layers_read_remote (hearth_context_get_store (context), s->model_arg, &host, &model))
    return 0;
  url = hearth_remote_normalize_url (HEARTH_REMOTE_OLLAMA, host, &error);
  if (url == NULL)
    {
      fprintf (s->err, "hearth run: %s: %s\n", s->model_arg, error->message);
      return 1;
    }
  if (s->request->raw)
    {
      fprintf (s->err, _("hearth run: --raw is for a model on this computer; a server answers messages\n"));
      return 2;
    }
  s->remote = hearth_remote_new (HEARTH_REMOTE_OLLAMA, NULL, url, model, g_getenv ("HEARTH_API_KEY"));
  s->model_path = g_strdup ("");
  s->stored_remote = TRUE;
  return 0;
}

/* The request as the model (a profile) says, then the options given:
 * the model's params, system prompt, example messages and template under
 * the command's --system and parameters. */
static int
apply_model (RunState      *s,
             HearthContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthSettings) settings = NULL;
  g_autoptr (HearthRequest) request = s->remote != NULL ? hearth_request_new_remote (s->remote, NULL)
                                                        : hearth_request_new (s->model_path, NULL);

  /* (MODEL named a model of the store where it resolved to another path;
   * a model on a server has no layers here: the server applies its own) */
  s->model_name = s->stored_remote ? s->model_arg
                  : s->remote != NULL || g_str_equal (s->model_path, s->model_arg) ? NULL : s->model_arg;
  settings = hearth_settings_new_for_model (hearth_context_get_store (context), s->model_name, NULL, &error);
  if (settings == NULL)
    {
      fprintf (s->err, "hearth run: %s\n", error->message);
      return 1;
    }
  if (s->model_name != NULL)
    {
      s->layers = hearth_model_layers_read (hearth_context_get_store (context), s->model_name, &error);
      if (s->layers == NULL)
        {
          fprintf (s->err, "hearth run: %s\n", error->message);
          return 1;
        }
    }
  s->system = g_strdup (s->system_flag);
  if (s->system_flag != NULL)
    hearth_request_add_message (request, "system", s->system_flag);
  hearth_settings_apply_to (settings, request);
  for (guint i = 0; i + 1 < s->flags->len; i += 2)
    if (!hearth_request_set_parameter (request, s->flags->pdata[i], s->flags->pdata[i + 1], &error))
      {
        fprintf (s->err, "hearth run: %s\n", error->message);
        return 2;
      }
  request->raw = s->request->raw;
  request->backend = s->request->backend;
  request->format = g_strdup (s->request->format);
  s->n_preamble = request->roles->len;
  hearth_request_free (s->request);
  s->request = g_steal_pointer (&request);
  s->settings = g_steal_pointer (&settings);
  return 0;
}

/* Loads the model (and its cache) before the first prompt, so that a model
 * that cannot run says so at once. */
static int
load (RunState *s)
{
  g_autoptr (HearthRequest) request = hearth_request_copy (s->request);
  g_autoptr (HearthGeneration) generation = NULL;

  request->load_only = TRUE;
  generation = run_request (s, g_steal_pointer (&request), NULL, NULL);
  if (hearth_generation_get_error (generation) != NULL)
    {
      print_error (s, generation);
      return 1;
    }
  if (hearth_generation_get_notice (generation) != NULL)
    fprintf (s->err, "hearth run: %s\n", hearth_generation_get_notice (generation));
  if (hearth_generation_get_stats (generation)->continues_text && s->verbose)
    fprintf (s->err, _("The model has no chat template: it continues the text of the conversation.\n"));
  s->load_seconds = hearth_generation_get_stats (generation)->load_seconds;
  return 0;
}

static void
print_stats (RunState         *s,
             HearthGeneration *generation)
{
  const HearthGenerationStats *st = hearth_generation_get_stats (generation);
  guint processed = st->prompt_tokens - st->prompt_reused;
  double prompt_rate = st->prompt_seconds > 0 ? processed / st->prompt_seconds : 0;
  guint after_first = st->generated_tokens > 0 ? st->generated_tokens - 1 : 0;
  double gen_rate = st->generation_seconds > 0 ? after_first / st->generation_seconds : 0;

  fprintf (s->err, _("device:               %s\n"), hearth_generation_get_device (generation));
  fprintf (s->err, _("load duration:        %.3f s\n"), s->load_seconds);
  fprintf (s->err, _("prompt eval count:    %u tokens (%u reused from the cache)\n"),
           processed, st->prompt_reused);
  fprintf (s->err, _("prompt eval duration: %.3f s\n"), st->prompt_seconds);
  fprintf (s->err, _("prompt eval rate:     %.2f tokens/s\n"), prompt_rate);
  fprintf (s->err, _("eval count:           %u tokens\n"), st->generated_tokens);
  fprintf (s->err, _("eval duration:        %.3f s\n"), st->generation_seconds);
  fprintf (s->err, _("eval rate:            %.2f tokens/s\n"), gen_rate);
  fprintf (s->err, _("time to first token:  %.3f s\n"), st->first_token_seconds);
  fprintf (s->err, _("stopped by:           %s\n"), hearth_stop_reason_to_string (st->stop_reason));
}

/* Generates one reply to the conversation so far (or, raw, to @raw_text);
 * its text is appended to @reply. Returns FALSE on an error (already
 * reported). */
static gboolean
generate (RunState   *s,
          const char *raw_text,
          GString    *reply)
{
  g_autoptr (HearthRequest) request = hearth_request_copy (s->request);
  g_autoptr (HearthGeneration) generation = NULL;
  const HearthGenerationStats *stats;
  gboolean ends_with_newline = TRUE;

  if (request->raw)
    {
      hearth_request_clear_messages (request);
      request->prompt = g_strdup (raw_text != NULL ? raw_text : "");
    }
  s->cancelled = FALSE;
  generation = run_request (s, g_steal_pointer (&request), reply, &ends_with_newline);
  stats = hearth_generation_get_stats (generation);
  if (hearth_generation_get_error (generation) != NULL)
    {
      print_error (s, generation);
      return FALSE;
    }
  if (stats->input_refused)
    {
      /* the profile's rules: the model never read the message */
      fprintf (s->err, "hearth run: %s\n", hearth_generation_get_refusal (generation));
      return FALSE;
    }
  if (!ends_with_newline || reply->len == 0)
    fputc ('\n', s->out);
  fflush (s->out);
  if (stats->stop_reason == HEARTH_STOP_REFUSED)
    fprintf (s->err, "hearth run: %s\n", hearth_generation_get_refusal (generation));
  for (const char *const *note = hearth_generation_get_notes (generation); *note != NULL; note++)
    fprintf (s->err, "hearth run: %s\n", *note);
  if (stats->stop_reason == HEARTH_STOP_CANCELLED)
    s->cancelled = TRUE;

  /* a one-shot run simply ends there (status 0); a chat can go on after /clear */
  if (stats->stop_reason == HEARTH_STOP_CONTEXT_FULL && s->chatting)
    fprintf (s->err, _("hearth run: the context is full (%u tokens): the reply was cut short. "
                       "Start again with /clear, or use a longer context (--num-ctx).\n"),
             stats->n_ctx);
  else if (stats->stop_reason == HEARTH_STOP_CONTEXT_FULL)
    fprintf (s->err, _("hearth run: the reply stopped at the end of the context (%u tokens); "
                       "a longer context (--num-ctx) lets it go further\n"),
             stats->n_ctx);
  if (s->verbose)
    print_stats (s, generation);
  return TRUE;
}

/* ---- the interactive chat ----------------------------------------------- */

static void
print_chat_help (RunState *s)
{
  fprintf (s->out, "%s\n", _("Available commands:"));
  fprintf (s->out, "  /set parameter NAME VALUE   %s\n", _("Set a parameter (temperature, top_k, top_p, min_p, …)"));
  fprintf (s->out, "  /set system TEXT            %s\n", _("Set the system message"));
  fprintf (s->out, "  /show                       %s\n", _("Show the model's information, settings, Modelfile …"));
  fprintf (s->out, "  /save NAME                  %s\n", _("Save this session's model, system message and parameters as a new model"));
  fprintf (s->out, "  /clear                      %s\n", _("Forget the conversation"));
  fprintf (s->out, "  /bye                        %s\n", _("Leave"));
  fprintf (s->out, "  /?                          %s\n", _("Show this help"));
  fprintf (s->out, "%s\n", _("Start and end a message of several lines with \"\"\"."));
}

static void
clear_conversation (RunState *s)
{
  HearthRequest *r = s->request;

  /* the system message and the model's examples stay; the cache keeps
   * what it can reuse */
  g_ptr_array_set_size (r->roles, s->n_preamble);
  g_ptr_array_set_size (r->contents, s->n_preamble);
}

/* The value set last in this session for parameter @name (--temperature,
 * /set parameter), or NULL. */
static const char *
session_parameter (RunState   *s,
                   const char *name)
{
  const char *value = NULL;

  for (guint i = 0; i + 1 < s->flags->len; i += 2)
    if (g_str_equal (s->flags->pdata[i], name))
      value = s->flags->pdata[i + 1];
  return value;
}

/* The model as this session has it: its Modelfile (@from: the base's name
 * or its weights' file; a GGUF file outside the store, FROM itself) with the
 * session's system prompt and parameters over the model's, and with
 * @with_messages the conversation as MESSAGEs after the model's own. */
static HearthModelfile *
session_modelfile (RunState           *s,
                   HearthProfileFrom   from,
                   gboolean            with_messages,
                   GError            **error)
{
  g_autoptr (HearthModelfile) modelfile = NULL;

  if (s->model_name != NULL)
    {
      modelfile = hearth_profile_to_modelfile (hearth_context_get_store (s->context), s->model_name, from,
                                               error);
      if (modelfile == NULL)
        return NULL;
    }
  else
    {
      modelfile = hearth_modelfile_new ();
      modelfile->from_path = g_canonicalize_filename (s->model_path, NULL);
      modelfile->from = g_strdup (modelfile->from_path);
    }
  if (s->system != NULL)
    {
      g_free (modelfile->system);
      modelfile->system = g_strdup (s->system);
    }
  for (guint i = 0; i + 1 < s->flags->len; i += 2)
    {
      const char *name = s->flags->pdata[i];
      const char *value = s->flags->pdata[i + 1];

      if (g_str_equal (name, "stop"))
        {
          /* added to the model's, as the session uses them */
          hearth_modelfile_add_parameter (modelfile, name, value);
          continue;
        }
      if (session_parameter (s, name) != value)
        continue; /* set again later */
      for (guint k = modelfile->parameters->len; k > 0; k--)
        {
          const HearthModelfileParameter *p = modelfile->parameters->pdata[k - 1];

          if (g_str_equal (p->name, name))
            g_ptr_array_remove_index (modelfile->parameters, k - 1);
        }
      hearth_modelfile_add_parameter (modelfile, name, value);
    }
  if (with_messages)
    for (guint i = s->n_preamble; i < s->request->roles->len; i++)
      hearth_modelfile_add_message (modelfile, s->request->roles->pdata[i], s->request->contents->pdata[i]);
  return g_steal_pointer (&modelfile);
}

static void
print_show_usage (RunState *s)
{
  fprintf (s->out, "%s\n", _("Available commands:"));
  fprintf (s->out, "  /show info         %s\n", _("Show details for this model"));
  fprintf (s->out, "  /show license      %s\n", _("Show the model's license"));
  fprintf (s->out, "  /show modelfile    %s\n", _("Show the Modelfile of this model"));
  fprintf (s->out, "  /show parameters   %s\n", _("Show the parameters of this model"));
  fprintf (s->out, "  /show system       %s\n", _("Show the system message"));
  fprintf (s->out, "  /show template     %s\n", _("Show the prompt template"));
  fputc ('\n', s->out);
}

/* A PARAMETER's value as `hearth show --parameters` prints it. */
static void
print_parameter (RunState   *s,
                 const char *name,
                 const char *value,
                 gboolean    quoted)
{
  g_autofree char *escaped = quoted ? g_strescape (value, "") : NULL;

  if (quoted)
    fprintf (s->out, "  %-30s \"%s\"\n", name, escaped);
  else
    fprintf (s->out, "  %-30s %s\n", name, value);
}

static void
show_parameters (RunState *s)
{
  g_autoptr (GPtrArray) done = g_ptr_array_new ();

  fprintf (s->out, "%s\n", _("Model defined parameters:"));
  if (s->layers == NULL || s->layers->params->len == 0)
    fprintf (s->out, "  %s\n", _("No additional parameters were specified for this model."));
  for (guint i = 0; s->layers != NULL && i < s->layers->params->len; i++)
    {
      const HearthOllamaParam *p = s->layers->params->pdata[i];
      g_auto (GStrv) values = hearth_profile_param_values (p);

      for (guint k = 0; values[k] != NULL; k++)
        print_parameter (s, p->name, values[k],
                         p->type == HEARTH_OLLAMA_VALUE_STRING || p->type == HEARTH_OLLAMA_VALUE_STRINGS);
    }
  fputc ('\n', s->out);
  if (s->flags->len == 0)
    return;
  fprintf (s->out, "%s\n", _("User defined parameters:"));
  for (guint i = 0; i + 1 < s->flags->len; i += 2)
    {
      const char *name = s->flags->pdata[i];

      if (g_str_equal (name, "stop"))
        print_parameter (s, name, s->flags->pdata[i + 1], TRUE);
      else if (!g_ptr_array_find_with_equal_func (done, name, g_str_equal, NULL))
        {
          print_parameter (s, name, session_parameter (s, name), FALSE);
          g_ptr_array_add (done, (gpointer) name);
        }
    }
  fputc ('\n', s->out);
}

/* The GGUF's own chat template or license (@template), or NULL. */
static char *
file_text (RunState *s,
           gboolean  template)
{
  g_autoptr (HearthGguf) gguf = hearth_gguf_open (s->model_path, NULL);
  const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;

  if (info == NULL)
    return NULL;
  return g_strdup (template ? info->chat_template : info->license);
}

/* /show WHAT: what the model is, as this session has changed it. */
static void
chat_show (RunState   *s,
           const char *args)
{
  g_autofree char *what = g_strstrip (g_strdup (args));
  g_autoptr (GError) error = NULL;

  if (what[0] == '\0')
    {
      print_show_usage (s);
      return;
    }
  what[strcspn (what, " \t")] = '\0'; /* the first word, as Ollama reads it */

  if (g_str_equal (what, "info"))
    {
      char *argv[] = { (char *) "show", (char *) s->model_arg, NULL };

      hearth_cli_show (s->context, NULL, 2, argv, s->out, s->err);
    }
  else if (g_str_equal (what, "license"))
    {
      g_autofree char *license = NULL;

      if (s->layers != NULL && s->layers->licenses->len > 0)
        {
          GString *all = g_string_new (NULL);

          for (guint i = 0; i < s->layers->licenses->len; i++)
            g_string_append_printf (all, "%s%s", i > 0 ? "\n" : "", (const char *) s->layers->licenses->pdata[i]);
          license = g_string_free (all, FALSE);
        }
      else
        license = file_text (s, FALSE);
      if (license == NULL || *license == '\0')
        fprintf (s->out, "%s\n", _("No license was specified for this model."));
      else
        fprintf (s->out, "%s\n", license);
    }
  else if (g_str_equal (what, "modelfile"))
    {
      g_autoptr (HearthModelfile) modelfile = session_modelfile (s, HEARTH_PROFILE_FROM_WEIGHTS, FALSE, &error);
      g_autofree char *text = modelfile != NULL ? hearth_modelfile_to_string (modelfile) : NULL;

      if (text == NULL)
        fprintf (s->out, "%s\n", error->message);
      else
        fprintf (s->out, "%s\n", text);
    }
  else if (g_str_equal (what, "parameters"))
    show_parameters (s);
  else if (g_str_equal (what, "system"))
    {
      const char *system = s->system != NULL ? s->system : hearth_settings_get_system (s->settings);

      if (system == NULL || *system == '\0')
        fprintf (s->out, "%s\n", _("No system message was specified for this model."));
      else
        fprintf (s->out, "%s\n\n", system);
    }
  else if (g_str_equal (what, "template"))
    {
      g_autofree char *template = g_strdup (hearth_settings_get_template (s->settings));

      if (template == NULL)
        template = file_text (s, TRUE);
      if (template == NULL || *template == '\0')
        fprintf (s->out, "%s\n", _("No prompt template was specified for this model."));
      else
        fprintf (s->out, "%s\n", template);
    }
  else
    fprintf (s->out, _("Unknown command “/show %s”. Type /? for help.\n"), what);
}

/* /save NAME: this session's model, system prompt, parameters and
 * conversation as a new model of the store, as Ollama's /save makes it. */
static void
chat_save (RunState   *s,
           const char *args)
{
  g_autofree char *copy = g_strstrip (g_strdup (args));
  g_autoptr (HearthModelName) name = NULL;
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;

  if (copy[0] == '\0' || strpbrk (copy, " \t") != NULL)
    {
      fprintf (s->out, "%s\n  %s\n", _("Usage:"), _("/save NAME"));
      return;
    }
  name = hearth_model_name_parse (copy, &error);
  if (name == NULL)
    {
      fprintf (s->out, "%s\n", error->message);
      return;
    }
  modelfile = session_modelfile (s, HEARTH_PROFILE_FROM_BASE, TRUE, &error);
  if (modelfile == NULL
      || !hearth_profile_create (hearth_context_get_store (s->context), copy, modelfile, NULL, NULL, NULL,
                                 &error))
    {
      fprintf (s->out, _("The model “%s” could not be saved: %s\n"), copy, error->message);
      return;
    }
  fprintf (s->out, _("Created new model '%s'\n"), copy);
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
          HearthOptions saved = s->request->options;
          g_autoptr (GError) error = NULL;

          if (!set_parameter (s, words[0], g_strstrip (words[1])))
            s->request->options = saved;
          else if (!hearth_options_validate (&s->request->options, &error))
            {
              s->request->options = saved;
              g_ptr_array_set_size (s->flags, s->flags->len - 2);
              fprintf (s->out, "%s\n", error->message);
            }
          else
            fprintf (s->out, _("Set parameter '%s' to '%s'\n"), words[0], words[1]);
        }
    }
  else if (g_str_has_prefix (line, "/set system "))
    {
      HearthRequest *r = s->request;

      for (guint i = 0; i < r->roles->len; i++)
        if (g_str_equal (r->roles->pdata[i], "system"))
          {
            g_ptr_array_remove_index (r->roles, i);
            g_ptr_array_remove_index (r->contents, i--);
          }
      if (r->roles->len == 0 || !g_str_equal (r->roles->pdata[0], "system"))
        s->n_preamble++;
      g_ptr_array_insert (r->roles, 0, g_strdup ("system"));
      g_ptr_array_insert (r->contents, 0, g_strdup (line + strlen ("/set system ")));
      g_free (s->system);
      s->system = g_strdup (line + strlen ("/set system "));
      fprintf (s->out, "%s\n", _("Set the system message."));
    }
  else if (g_str_equal (line, "/show") || g_str_has_prefix (line, "/show "))
    chat_show (s, line + strlen ("/show"));
  else if (g_str_equal (line, "/save") || g_str_has_prefix (line, "/save "))
    chat_save (s, line + strlen ("/save"));
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

      hearth_request_add_message (s->request, "user", line);
      reply = g_string_new (NULL);
      if (!generate (s, NULL, reply))
        {
          /* The message could not be answered: forget it, keep the chat. */
          g_ptr_array_remove_index (s->request->roles, s->request->roles->len - 1);
          g_ptr_array_remove_index (s->request->contents, s->request->contents->len - 1);
          continue;
        }
      hearth_request_add_message (s->request, "assistant", reply->str);
      fputc ('\n', s->out);
    }
}

/* ---- the command --------------------------------------------------------- */

static void
run_state_clear (RunState *s)
{
  g_clear_pointer (&s->request, hearth_request_free);
  g_clear_pointer (&s->flags, g_ptr_array_unref);
  g_clear_pointer (&s->model_path, g_free);
  g_clear_pointer (&s->settings, hearth_settings_free);
  g_clear_pointer (&s->layers, hearth_model_layers_free);
  g_clear_pointer (&s->system, g_free);
  g_clear_pointer (&s->remote, hearth_remote_free);
  g_clear_object (&s->engine);
}

int
hearth_cli_run_model (HearthContext          *context,
                      const HearthCliCommand *command,
                      int                     argc,
                      char                  **argv,
                      FILE                   *out,
                      FILE                   *err)
{
  RunState s = { 0 };
  struct sigaction action = { 0 }, previous;
  int status;

  s.context = context;
  s.out = out;
  s.err = err;
  /* the scratch cache: a chat's turns reuse what it holds */
  s.request = hearth_request_new ("", NULL);
  s.flags = g_ptr_array_new_with_free_func (g_free);

  status = parse_arguments (&s, argc, argv);
  /* as `ollama run` reads OLLAMA_HOST: the server to talk to (where
   * `hearth serve` reads it as where to listen) */
  if (status == 0 && s.host == NULL && g_getenv ("HEARTH_HOST") != NULL && *g_getenv ("HEARTH_HOST") != '\0')
    {
      s.host = g_getenv ("HEARTH_HOST");
      s.host_from_environment = TRUE;
    }
  if (status == 0 && s.host != NULL)
    status = make_remote (&s);
  if (status == 0 && s.remote == NULL)
    status = stored_remote (&s, context);
  if (status == 0 && s.remote != NULL)
    status = apply_model (&s, context);
  else if (status == 0)
    {
      s.model_path = hearth_cli_resolve_model (context, "run", s.model_arg, err);
      if (s.model_path == NULL)
        status = 1;
      else
        status = apply_model (&s, context);
    }
  if (status == 0)
    {
      s.engine = g_object_ref (hearth_context_get_engine (context));
      /* the model stays loaded until the command ends */
      hearth_engine_set_keep_alive (s.engine, -1);
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

  if (s.prompt == NULL && isatty (STDIN_FILENO))
    {
      if (s.request->raw)
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
      if (!s.request->raw)
        hearth_request_add_message (s.request, "user", s.prompt != NULL ? s.prompt : input);
      status = generate (&s, s.prompt != NULL ? s.prompt : input, reply) ? 0 : 1;
      if (status == 0 && s.cancelled)
        status = 130; /* as a shell reports a program stopped by Ctrl+C */
    }

  sigaction (SIGINT, &previous, NULL);
  run_state_clear (&s);
  return status;
}
