/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-engine"

#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "hearth-engine.h"
#include "hearth-engine-options.h"
#include "hearth-generation-private.h"
#include "hearth-go-template.h"
#include "hearth-remote.h"

#define DEFAULT_KEEP_ALIVE 300
#define DEFAULT_MAX_SESSIONS 2

/* ---- a loaded model and its thread ---------------------------------------- */

typedef struct
{
  HearthGeneration *generation; /* NULL: the thread should end */
  HearthRequest *request;
  guint max_sessions;
} Job;

typedef struct
{
  char *name;                   /* "" for the scratch session */
  ember_context *ctx;
  HearthBackend backend;        /* what it was asked for */
  guint num_thread;
} Session;

typedef struct
{
  /* main thread */
  char *path;
  GThread *thread;
  GAsyncQueue *queue;
  guint busy;                   /* requests queued or under way */
  guint unload_id;
  int keep_alive;               /* the last request's (HEARTH_KEEP_ALIVE_ENGINE: the engine's) */
  gint64 expires_at;            /* when unload_id fires (real time, µs); 0: none set */
  guint n_ctx;                  /* the context of its last reply */
  HearthBackend backend;        /* what ran it (HEARTH_BACKEND_AUTO before a reply) */
  GPtrArray *running;           /* HearthGeneration, asked and not finished */
  HearthEngine *engine;

  /* worker thread */
  ember_model *model;
  ember_tokenizer *tok;
  ember_template *chat_template;
  char *own_source;             /* the last request's own template, compiled: */
  ember_template *own_template; /* Jinja */
  HearthGoTemplate *own_go;     /* or Go's text/template (Ollama's) */
  char *bos;
  char *eos;
  GQueue sessions;              /* Session, most recent first */
} Loaded;

struct _HearthEngine
{
  GObject parent_instance;

  GHashTable *models;           /* path → Loaded */
  SoupSession *remote_session;  /* remote models' requests, made on first use */
  int keep_alive;
  guint max_sessions;
};

G_DEFINE_FINAL_TYPE (HearthEngine, hearth_engine, G_TYPE_OBJECT)

static void
job_free (Job *job)
{
  g_clear_object (&job->generation);
  hearth_request_free (job->request);
  g_free (job);
}

static void
session_free (Session *session)
{
  g_free (session->name);
  ember_context_free (session->ctx);
  g_free (session);
}

static char *
token_text (const ember_tokenizer *tok,
            int32_t                id)
{
  size_t len = 0;
  const char *text;

  if (id < 0)
    return g_strdup ("");
  text = ember_tokenizer_get_token_text (tok, id, &len);
  return text != NULL ? g_strndup (text, len) : g_strdup ("");
}

/* Worker: the model, its tokenizer and chat template. */
static gboolean
load (Loaded      *lm,
      ember_error *error)
{
  const ember_gguf *gguf;
  const ember_gguf_value *v;
  const char *source;
  size_t len;

  if (ember_model_load (lm->path, &lm->model, error) != EMBER_OK)
    return FALSE;
  gguf = ember_model_get_gguf (lm->model);
  if (ember_tokenizer_new_from_gguf (gguf, &lm->tok, error) != EMBER_OK)
    return FALSE;
  /* the model's chat template; none (a base model): the conversation as
   * plain text, as Ollama's "{{ .Prompt }}" gives it */
  v = ember_gguf_find_value (gguf, "tokenizer.chat_template");
  if (v != NULL && v->type == EMBER_GGUF_TYPE_STRING && strlen (v->string.data) != v->string.length)
    {
      g_snprintf (error->message, sizeof error->message,
                  _("%s: its chat template contains a NUL byte; the file is damaged"), lm->path);
      error->status = EMBER_ERROR_INVALID_ARGUMENT;
      return FALSE;
    }
  if (v != NULL && v->type == EMBER_GGUF_TYPE_STRING)
    {
      source = v->string.data, len = v->string.length;
      if (ember_template_new (source, len, &lm->chat_template, error) != EMBER_OK)
        return FALSE;
    }
  lm->bos = token_text (lm->tok, ember_tokenizer_get_bos (lm->tok));
  lm->eos = token_text (lm->tok, ember_tokenizer_get_eos (lm->tok));
  return TRUE;
}

static void
unload_worker (Loaded *lm)
{
  Session *session;

  while ((session = g_queue_pop_head (&lm->sessions)) != NULL)
    session_free (session);
  g_clear_pointer (&lm->chat_template, ember_template_free);
  g_clear_pointer (&lm->own_template, ember_template_free);
  g_clear_pointer (&lm->own_go, hearth_go_template_free);
  g_clear_pointer (&lm->own_source, g_free);
  g_clear_pointer (&lm->tok, ember_tokenizer_free);
  g_clear_pointer (&lm->model, ember_model_free);
  g_clear_pointer (&lm->bos, g_free);
  g_clear_pointer (&lm->eos, g_free);
}

/* Worker: the cache of @request's session, made (or remade for another
 * context length) as needed; the least recent sessions beyond @max go. */
static ember_context *
session_context (Loaded              *lm,
                 HearthRequest *request,
                 guint                max,
                 HearthGeneration    *generation,
                 ember_error         *error)
{
  const char *name = request->session != NULL ? request->session : "";
  g_autofree char *cache_dir = g_build_filename (g_get_user_cache_dir (), "hearth", NULL);
  ember_context_options options;
  Session *session = NULL;

  for (GList *l = lm->sessions.head; l != NULL; l = l->next)
    if (g_str_equal (((Session *) l->data)->name, name))
      {
        session = l->data;
        g_queue_unlink (&lm->sessions, l);
        g_list_free_1 (l);
        break;
      }
  ember_context_options_init (&options);
  hearth_engine_options_from_environment (&options);
  options.n_ctx = request->options.num_ctx;
  options.backend = request->backend == HEARTH_BACKEND_CPU ? EMBER_BACKEND_CPU
                    : request->backend == HEARTH_BACKEND_VULKAN ? EMBER_BACKEND_VULKAN
                    : EMBER_BACKEND_AUTO;
  options.pipeline_cache_dir = cache_dir;
  options.n_threads = request->options.num_thread;
  if (session != NULL && request->options.num_ctx != 0
      && ember_context_get_n_ctx (session->ctx) != request->options.num_ctx)
    {
      g_autofree char *notice = g_strdup_printf (
        _("The context length changed to %u tokens: the conversation is read again"),
        request->options.num_ctx);

      hearth_generation_set_notice_internal (generation, notice);
      g_clear_pointer (&session, session_free);
    }
  if (session != NULL
      && (session->backend != request->backend || session->num_thread != request->options.num_thread))
    g_clear_pointer (&session, session_free);
  if (session == NULL)
    {
      ember_context *ctx = NULL;

      if (ember_context_new (lm->model, &options, &ctx, error) != EMBER_OK)
        return NULL;
      session = g_new0 (Session, 1);
      session->name = g_strdup (name);
      session->ctx = ctx;
      session->backend = request->backend;
      session->num_thread = request->options.num_thread;
      if (ember_context_get_fallback_reason (ctx) != NULL)
        {
          g_autofree char *notice = g_strdup_printf (_("Vulkan cannot be used (%s); running on the CPU"),
                                                     ember_context_get_fallback_reason (ctx));

          hearth_generation_set_notice_internal (generation, notice);
        }
    }
  g_queue_push_head (&lm->sessions, session);
  while (g_queue_get_length (&lm->sessions) > MAX (max, 1))
    session_free (g_queue_pop_tail (&lm->sessions));
  return session->ctx;
}

/* Worker: @text (@len bytes) as the model's tokens. */
static gboolean
encode (Loaded      *lm,
        const char  *text,
        size_t       len,
        int          flags,
        int32_t    **ids,
        size_t      *n_ids,
        GError     **error)
{
  ember_error e = { 0 };

  if (ember_tokenizer_encode (lm->tok, text, len, flags, ids, n_ids, &e) != EMBER_OK)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED, "%s", e.message);
      return FALSE;
    }
  if (*n_ids == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                   _("The conversation is empty and the model has no token to start from"));
      return FALSE;
    }
  return TRUE;
}

/* Logs @text, the prompt as the model reads it (G_MESSAGES_DEBUG=hearth-engine):
 * escaped for people in MESSAGE, its exact bytes in HEARTH_PROMPT. */
static void
log_prompt (const char *path,
            const char *text,
            gsize       len)
{
  g_autofree char *escaped = NULL;
  g_autofree char *message = NULL;
  GLogField fields[] = {
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "PRIORITY", "7", -1 },
    { "MESSAGE", NULL, -1 },
    { "HEARTH_PROMPT", text, (gssize) len },
  };

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  escaped = g_strescape (text, "\n");
  message = g_strdup_printf ("prompt for %s (%" G_GSIZE_FORMAT " bytes): %s", path, len, escaped);
  fields[2].value = message;
  g_log_structured_array (G_LOG_LEVEL_DEBUG, fields, G_N_ELEMENTS (fields));
}

/* How a prompt a chat template rendered is read: special tokens parsed,
 * BOS added as the model says unless the template wrote it. */
static int
rendered_flags (Loaded     *lm,
                const char *text)
{
  int flags = EMBER_TOKENIZE_PARSE_SPECIAL;

  if (ember_tokenizer_get_add_bos (lm->tok) && !(lm->bos[0] != '\0' && g_str_has_prefix (text, lm->bos)))
    flags |= EMBER_TOKENIZE_ADD_SPECIAL;
  return flags;
}

/* Worker: the messages through a Go template (Ollama's text/template),
 * read as Ollama's runner reads the result (rendered_flags ()). */
static gboolean
go_prompt_text (Loaded         *lm,
                HearthRequest  *request,
                char          **text,
                gsize          *text_len,
                int            *flags,
                GError        **error)
{
  g_autofree HearthGoTemplateMessage *messages = g_new0 (HearthGoTemplateMessage, request->roles->len + 1);
  HearthGoTemplateData data = { 0 };
  g_autoptr (GError) local = NULL;

  for (guint i = 0; i < request->roles->len; i++)
    {
      messages[i].role = request->roles->pdata[i];
      messages[i].content = request->contents->pdata[i];
    }
  data.messages = messages;
  data.n_messages = request->roles->len;
  *text = hearth_go_template_render (lm->own_go, &data, &local);
  if (*text == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                   _("The chat template failed: %s"), local->message);
      return FALSE;
    }
  *text_len = strlen (*text);
  *flags = rendered_flags (lm, *text);
  return TRUE;
}

/* Worker: the prompt as text, and how to tokenize it. This is the one
 * place where a request becomes a prompt:
 *  - raw: the text as it is, special-token text read as text;
 *  - a model without a chat template (a base model such as stories260K):
 *    the turns' words one after another, system messages left out, as
 *    Ollama's "{{ .Prompt }}" gives it;
 *  - otherwise: the messages through the request's own chat template (a
 *    profile's) or the model's, special tokens parsed.
 * BOS is added as the model says, unless the template wrote it. */
static gboolean
prompt_text (Loaded         *lm,
             HearthRequest  *request,
             char          **text,
             gsize          *text_len,
             int            *flags,
             GError        **error)
{
  ember_value *context, *messages;
  ember_template_options options;
  ember_template *chat_template = lm->chat_template;
  ember_error e = { 0 };
  char *rendered = NULL;
  size_t rendered_len = 0;
  gboolean ok;

  *flags = ember_tokenizer_get_add_bos (lm->tok) ? EMBER_TOKENIZE_ADD_SPECIAL : 0;
  if (!request->raw && request->template_text != NULL)
    {
      if (g_strcmp0 (lm->own_source, request->template_text) != 0)
        {
          g_autoptr (GError) local = NULL;

          g_clear_pointer (&lm->own_template, ember_template_free);
          g_clear_pointer (&lm->own_go, hearth_go_template_free);
          g_clear_pointer (&lm->own_source, g_free);
          if (hearth_go_template_is_go_syntax (request->template_text))
            lm->own_go = hearth_go_template_new (request->template_text, &local);
          else if (ember_template_new (request->template_text, strlen (request->template_text),
                                       &lm->own_template, &e) != EMBER_OK)
            local = g_error_new_literal (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE, e.message);
          if (local != NULL)
            {
              g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                           _("The chat template cannot be used: %s"), local->message);
              return FALSE;
            }
          lm->own_source = g_strdup (request->template_text);
        }
      if (lm->own_go != NULL)
        return go_prompt_text (lm, request, text, text_len, flags, error);
      chat_template = lm->own_template;
    }
  if (request->raw)
    {
      *text = g_strdup (request->prompt != NULL ? request->prompt : "");
      *text_len = strlen (*text);
      return TRUE;
    }
  if (chat_template == NULL)
    {
      GString *joined = g_string_new (NULL);

      for (guint i = 0; i < request->roles->len; i++)
        if (!g_str_equal (request->roles->pdata[i], "system"))
          g_string_append (joined, request->contents->pdata[i]);
      *text_len = joined->len;
      *text = g_string_free (joined, FALSE);
      return TRUE;
    }

  messages = ember_value_new_list ();
  for (guint i = 0; i < request->roles->len; i++)
    {
      ember_value *m = ember_value_new_dict ();

      ember_value_dict_set (m, "role",
                            ember_value_new_string (request->roles->pdata[i], (size_t) -1), NULL);
      ember_value_dict_set (m, "content",
                            ember_value_new_string (request->contents->pdata[i], (size_t) -1), NULL);
      ember_value_list_append (messages, m, NULL);
    }
  context = ember_template_chat_context (messages, lm->bos, lm->eos);
  ember_template_options_init (&options);
  ok = context != NULL
       && ember_template_render (chat_template, context, &options, &rendered, &rendered_len, &e) == EMBER_OK;
  if (context == NULL)
    g_strlcpy (e.message, g_strerror (ENOMEM), sizeof e.message);
  ember_value_unref (context);
  if (!ok)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                   _("The model’s chat template failed: %s"), e.message);
      return FALSE;
    }
  *text = g_strndup (rendered, rendered_len);
  *text_len = rendered_len;
  free (rendered);
  *flags = rendered_flags (lm, *text);
  return TRUE;
}

/* Worker: the request as the model's tokens. */
static gboolean
prompt_tokens (Loaded         *lm,
               HearthRequest  *request,
               int32_t       **ids,
               size_t         *n_ids,
               GError        **error)
{
  g_autofree char *text = NULL;
  gsize text_len = 0;
  int flags = 0;

  if (!prompt_text (lm, request, &text, &text_len, &flags, error))
    return FALSE;
  log_prompt (lm->path, text, text_len);
  return encode (lm, text, text_len, flags, ids, n_ids, error);
}

/* The tokens to keep free for the reply when turns are dropped to fit. */
static size_t
reply_room (HearthRequest *request,
            guint                n_ctx)
{
  size_t room = n_ctx / 4;

  if (request->options.num_predict > 0 && (size_t) request->options.num_predict < room)
    room = (size_t) request->options.num_predict;
  return MAX (room, 1);
}

/* Leaves out the oldest message that is neither a system message nor the
 * last one; FALSE when there is none left to drop. */
static gboolean
drop_oldest_turn (HearthRequest *request)
{
  for (guint i = 0; i + 1 < request->roles->len; i++)
    if (!g_str_equal (request->roles->pdata[i], "system"))
      {
        g_ptr_array_remove_index (request->roles, i);
        g_ptr_array_remove_index (request->contents, i);
        return TRUE;
      }
  return FALSE;
}

static bool
on_text (const char *text,
         size_t      length,
         void       *user_data)
{
  return hearth_generation_append_internal (user_data, text, length);
}

static bool
should_abort (void *user_data)
{
  return hearth_generation_is_cancelled_internal (user_data);
}

static ember_generate_options
generate_options (const HearthRequest *request)
{
  const HearthOptions *o = &request->options;
  ember_generate_options options;

  ember_generate_options_init (&options);
  options.sampler.temperature = o->temperature;
  options.sampler.top_k = o->top_k;
  options.sampler.top_p = o->top_p;
  options.sampler.min_p = o->min_p;
  options.sampler.typical_p = o->typical_p;
  options.sampler.repeat_penalty = o->repeat_penalty;
  options.sampler.repeat_last_n = o->repeat_last_n;
  options.sampler.presence_penalty = o->presence_penalty;
  options.sampler.frequency_penalty = o->frequency_penalty;
  options.sampler.seed = o->seed < 0 ? EMBER_SEED_RANDOM : (uint64_t) o->seed;
  options.num_predict = o->num_predict;
  options.stop = (const char *const *) request->stop;
  options.ignore_eos = request->ignore_eos;
  return options;
}

static HearthStopReason
stop_reason (ember_stop_reason reason)
{
  switch (reason)
    {
    case EMBER_STOP_END_OF_GENERATION:
      return HEARTH_STOP_END_OF_GENERATION;
    case EMBER_STOP_STRING:
      return HEARTH_STOP_STRING;
    case EMBER_STOP_LIMIT:
      return HEARTH_STOP_LIMIT;
    case EMBER_STOP_CONTEXT_FULL:
      return HEARTH_STOP_CONTEXT_FULL;
    case EMBER_STOP_CANCELLED:
    default:
      return HEARTH_STOP_CANCELLED;
    }
}

/* Worker: what runs the model, in @stats. */
static void
describe_context (Loaded                *lm,
                  const ember_context   *ctx,
                  HearthGenerationStats *stats)
{
  const ember_hparams *hp = ember_model_get_hparams (lm->model);

  stats->n_ctx = ember_context_get_n_ctx (ctx);
  stats->n_vocab = hp->n_vocab;
  stats->n_ctx_train = hp->n_ctx_train;
  stats->backend = ember_context_get_backend (ctx) == EMBER_BACKEND_VULKAN ? HEARTH_BACKEND_VULKAN
                                                                           : HEARTH_BACKEND_CPU;
  stats->n_threads = ember_context_get_n_threads (ctx);
  stats->cpu_kernels = stats->backend == HEARTH_BACKEND_CPU
                         ? ember_cpu_kernels_to_string (ember_context_get_cpu_kernels (ctx))
                         : NULL;
  stats->cache_bytes = ember_context_get_cache_bytes (ctx);
  stats->dispatches_per_token = ember_context_get_dispatches_per_token (ctx);
}

/* Worker: ends @generation with @error (taken), keeping the engine's own
 * words (@e) as its detail. */
static void
fail (HearthGeneration            *generation,
      const HearthGenerationStats *stats,
      const ember_error           *e,
      GError                      *error)
{
  if (e != NULL)
    hearth_generation_set_detail_internal (generation, e->message);
  hearth_generation_finish_internal (generation, stats, error);
}

/* Worker: one reply. */
static void
run_job (Loaded *lm,
         Job    *job)
{
  HearthGeneration *generation = job->generation;
  HearthRequest *request = job->request;
  HearthGenerationStats stats = { 0 };
  ember_generate_stats st = { 0 };
  ember_generate_options options;
  ember_json_grammar *grammar = NULL;
  ember_error e = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree int32_t *ids = NULL;
  size_t n_ids = 0;
  ember_context *ctx;
  ember_status status;
  double started;

  if (hearth_generation_is_cancelled_internal (generation))
    {
      stats.stop_reason = HEARTH_STOP_CANCELLED;
      hearth_generation_finish_internal (generation, &stats, NULL);
      return;
    }
  if (lm->model == NULL)
    {
      double t0 = hearth_generation_elapsed_internal (generation);

      hearth_generation_set_phase_internal (generation, HEARTH_GENERATION_LOADING);
      if (!load (lm, &e))
        {
          unload_worker (lm);
          fail (generation, NULL, &e,
                g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LOAD,
                             _("The model cannot be loaded: %s"), e.message));
          return;
        }
      stats.load_seconds = hearth_generation_elapsed_internal (generation) - t0;
    }
  stats.continues_text = lm->chat_template == NULL && request->template_text == NULL && !request->raw;
  ctx = session_context (lm, request, job->max_sessions, generation, &e);
  if (ctx == NULL)
    {
      fail (generation, NULL, &e,
            g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LOAD,
                         _("The model cannot run: %s"), e.message));
      return;
    }
  hearth_generation_set_device_internal (generation, ember_context_get_device_name (ctx));
  describe_context (lm, ctx, &stats);
  if (request->load_only)
    {
      stats.stop_reason = HEARTH_STOP_LIMIT;
      hearth_generation_finish_internal (generation, &stats, NULL);
      return;
    }
  if (request->tokens != NULL)
    {
      for (guint i = 0; i < request->tokens->len; i++)
        if (g_array_index (request->tokens, gint32, i) < 0
            || (guint) g_array_index (request->tokens, gint32, i) >= stats.n_vocab)
          {
            hearth_generation_finish_internal (
              generation, NULL,
              g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED,
                           _("Token %d is not in the model’s vocabulary of %u"),
                           g_array_index (request->tokens, gint32, i), stats.n_vocab));
            return;
          }
      n_ids = request->tokens->len;
      ids = g_memdup2 (request->tokens->data, n_ids * sizeof (int32_t));
    }
  else if (!prompt_tokens (lm, request, &ids, &n_ids, &error))
    {
      hearth_generation_finish_internal (generation, NULL, g_steal_pointer (&error));
      return;
    }
  if (n_ids == 0)
    {
      hearth_generation_finish_internal (
        generation, NULL,
        g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                     _("The conversation is empty and the model has no token to start from")));
      return;
    }
  stats.prompt_tokens = (guint) n_ids;
  /* asked to: the oldest turns go until the rest fits with room for a
   * reply (a quarter of the context, or num_predict if less) */
  while (request->drop_oldest && n_ids + reply_room (request, stats.n_ctx) > stats.n_ctx
         && drop_oldest_turn (request))
    {
      stats.dropped_messages++;
      g_clear_pointer (&ids, free);
      if (!prompt_tokens (lm, request, &ids, &n_ids, &error))
        {
          hearth_generation_finish_internal (generation, NULL, g_steal_pointer (&error));
          return;
        }
      stats.prompt_tokens = (guint) n_ids;
    }
  if (n_ids >= stats.n_ctx)
    {
      hearth_generation_finish_internal (
        generation, &stats,
        g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                     _("The conversation is %u tokens long, and the model’s context holds %u"),
                     (guint) n_ids, stats.n_ctx));
      return;
    }

  if (request->format != NULL
      && ember_json_grammar_new (request->format, strlen (request->format), &grammar, &e) != EMBER_OK)
    {
      fail (generation, NULL, &e,
            g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FORMAT,
                         _("The format cannot be followed: %s"), e.message));
      return;
    }

  hearth_generation_set_phase_internal (generation, HEARTH_GENERATION_READING);
  if (request->read_again)
    ember_context_truncate (ctx, 0);
  ember_context_set_abort_func (ctx, should_abort, generation);
  options = generate_options (request);
  options.grammar = grammar;
  started = hearth_generation_elapsed_internal (generation);
  status = ember_generate (ctx, lm->tok, ids, (uint32_t) n_ids, &options, on_text, generation, &st,
                           &e);
  ember_context_set_abort_func (ctx, NULL, NULL);
  ember_json_grammar_free (grammar);

  stats.prompt_tokens = st.prompt_tokens;
  stats.prompt_reused = st.prompt_tokens - st.prompt_processed;
  stats.generated_tokens = st.generated_tokens;
  stats.prompt_seconds = st.prompt_seconds;
  stats.generation_seconds = st.generation_seconds;
  stats.first_token_seconds = st.generated_tokens > 0 ? started + st.first_token_seconds : 0;
  stats.tokens_per_second = st.generation_seconds > 0 && st.generated_tokens > 1
                              ? (st.generated_tokens - 1) / st.generation_seconds : 0;
  stats.stop_reason = stop_reason (st.stop_reason);
  stats.dispatches_per_token = ember_context_get_dispatches_per_token (ctx);

  if (status == EMBER_ERROR_CANCELLED)
    {
      stats.stop_reason = HEARTH_STOP_CANCELLED;
      status = EMBER_OK;
    }
  if (status == EMBER_ERROR_CONTEXT_FULL)
    error = g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                         _("The conversation is %u tokens long, and the model’s context holds %u"),
                         (guint) n_ids, stats.n_ctx);
  else if (status == EMBER_ERROR_INVALID_ARGUMENT && request->format != NULL)
    /* the model's vocabulary cannot write the next byte of the document */
    error = g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FORMAT,
                         _("The model cannot write this format: %s"), e.message);
  else if (status != EMBER_OK)
    {
      error = g_error_new (HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED, "%s", e.message);
      /* a cache in an unknown state is not reused */
      ember_context_truncate (ctx, 0);
    }
  hearth_generation_finish_internal (generation, &stats, g_steal_pointer (&error));
}

/* The model's threads (this one, and the pool ember starts from it, which
 * inherits it) are a little nicer than the window's: on a machine whose
 * cores all compute, the main loop otherwise waits for a time slice while
 * a reply streams. The window takes little CPU, so the reply barely slows. */
#define WORKER_NICE 5

static gpointer
worker (gpointer data)
{
  Loaded *lm = data;

#ifdef __linux__
  if (setpriority (PRIO_PROCESS, (id_t) gettid (), WORKER_NICE) != 0)
    g_debug ("the model's thread keeps its priority: %s", g_strerror (errno));
#endif

  for (;;)
    {
      Job *job = g_async_queue_pop (lm->queue);
      gboolean quit = job->generation == NULL;

      if (!quit)
        run_job (lm, job);
      job_free (job);
      if (quit)
        break;
    }
  unload_worker (lm);
  return NULL;
}

/* ---- the main thread's side --------------------------------------------------- */

static Loaded *
loaded_new (HearthEngine *engine,
            const char   *path)
{
  Loaded *lm = g_new0 (Loaded, 1);

  lm->engine = engine;
  lm->path = g_strdup (path);
  lm->queue = g_async_queue_new ();
  lm->running = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&lm->sessions);
  lm->thread = g_thread_new ("hearth-model", worker, lm);
  return lm;
}

static void on_generation_finished (HearthGeneration *generation,
                                    Loaded           *lm);
static void schedule_unload (Loaded *lm);

/* Ends the thread (after its current job) and frees everything. */
static void
loaded_free (Loaded *lm)
{
  Job *quit = g_new0 (Job, 1);

  for (guint i = 0; i < lm->running->len; i++)
    {
      hearth_generation_cancel (lm->running->pdata[i]);
      g_signal_handlers_disconnect_by_func (lm->running->pdata[i], on_generation_finished, lm);
    }
  g_clear_handle_id (&lm->unload_id, g_source_remove);
  g_async_queue_push (lm->queue, quit);
  g_thread_join (lm->thread);
  g_async_queue_unref (lm->queue);
  g_ptr_array_unref (lm->running);
  g_free (lm->path);
  g_free (lm);
}

static gboolean
unload_cb (gpointer data)
{
  Loaded *lm = data;

  lm->unload_id = 0;
  if (lm->busy == 0)
    g_hash_table_remove (lm->engine->models, lm->path);
  return G_SOURCE_REMOVE;
}

static void
on_generation_finished (HearthGeneration *generation,
                        Loaded           *lm)
{
  const HearthGenerationStats *stats = hearth_generation_get_stats (generation);

  g_signal_handlers_disconnect_by_func (generation, on_generation_finished, lm);
  if (stats->n_ctx > 0)
    {
      lm->n_ctx = stats->n_ctx;
      lm->backend = stats->backend;
    }
  g_ptr_array_remove (lm->running, generation);
  lm->busy--;
  if (lm->busy == 0)
    schedule_unload (lm);
}

static int
keep_alive_of (Loaded *lm)
{
  return lm->keep_alive == HEARTH_KEEP_ALIVE_ENGINE ? lm->engine->keep_alive : lm->keep_alive;
}

/* Sets the timer that unloads an idle model after its keep-alive. */
static void
schedule_unload (Loaded *lm)
{
  int keep_alive = keep_alive_of (lm);

  g_clear_handle_id (&lm->unload_id, g_source_remove);
  lm->expires_at = 0;
  if (keep_alive < 0)
    return;
  lm->expires_at = g_get_real_time () + (gint64) keep_alive * G_USEC_PER_SEC;
  if (keep_alive == 0)
    lm->unload_id = g_idle_add (unload_cb, lm);
  else
    lm->unload_id = g_timeout_add_seconds ((guint) keep_alive, unload_cb, lm);
}

/* The request's rules on what the model is to read: each user message (or
 * the raw prompt) as they leave it; FALSE where they refuse, and then
 * @generation has finished. */
static gboolean
apply_input_rules (HearthRequest    *request,
                   HearthGeneration *generation)
{
  /* (the generation's notes from now on: NULL-terminated, as it hands them out) */
  GPtrArray *notes = g_ptr_array_new_null_terminated (0, g_free, TRUE);

  if (request->raw && request->prompt != NULL)
    {
      char *message = NULL;
      char *text = request->rules->input (request->rules_data, request->prompt, &message, notes);

      if (text == NULL)
        {
          hearth_generation_refuse_internal (generation, message, notes);
          return FALSE;
        }
      g_free (request->prompt);
      request->prompt = text;
    }
  for (guint i = 0; !request->raw && i < request->roles->len; i++)
    {
      char *message = NULL;
      char *text;

      if (!g_str_equal (request->roles->pdata[i], "user"))
        continue;
      text = request->rules->input (request->rules_data, request->contents->pdata[i], &message,
                                    notes);
      if (text == NULL)
        {
          hearth_generation_refuse_internal (generation, message, notes);
          return FALSE;
        }
      g_free (request->contents->pdata[i]);
      request->contents->pdata[i] = text;
    }
  hearth_generation_set_rules_internal (generation, request->rules, request->rules_data, notes,
                                        request->keep_unruled);
  return TRUE;
}

HearthGeneration *
hearth_engine_generate (HearthEngine        *self,
                        HearthRequest *request)
{
  HearthGeneration *generation;
  Loaded *lm;
  Job *job;

  g_return_val_if_fail (HEARTH_IS_ENGINE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  generation = hearth_generation_new_internal ();
  /* a profile's rules: the model never reads what they refuse */
  if (request->rules != NULL && !request->load_only && request->tokens == NULL
      && !apply_input_rules (request, generation))
    {
      hearth_request_free (request);
      return generation;
    }
  if (request->remote != NULL)
    {
      /* another server answers: no model of ours is loaded */
      if (self->remote_session == NULL)
        self->remote_session = hearth_remote_session_new ();
      hearth_remote_generate (self->remote_session, request, generation);
      return generation;
    }
  lm = g_hash_table_lookup (self->models, request->model_path);
  if (lm == NULL)
    {
      lm = loaded_new (self, request->model_path);
      g_hash_table_insert (self->models, lm->path, lm);
    }
  g_clear_handle_id (&lm->unload_id, g_source_remove);
  lm->expires_at = 0;
  lm->keep_alive = request->keep_alive;
  lm->busy++;
  g_ptr_array_add (lm->running, g_object_ref (generation));
  g_signal_connect (generation, "finished", G_CALLBACK (on_generation_finished), lm);

  job = g_new0 (Job, 1);
  job->generation = g_object_ref (generation);
  job->request = request;
  job->max_sessions = self->max_sessions;
  g_async_queue_push (lm->queue, job);
  return generation;
}

void
hearth_engine_set_keep_alive (HearthEngine *self,
                              int           seconds)
{
  g_return_if_fail (HEARTH_IS_ENGINE (self));
  self->keep_alive = seconds;
}

int
hearth_engine_get_keep_alive (HearthEngine *self)
{
  g_return_val_if_fail (HEARTH_IS_ENGINE (self), 0);
  return self->keep_alive;
}

void
hearth_engine_set_max_sessions (HearthEngine *self,
                                guint         n)
{
  g_return_if_fail (HEARTH_IS_ENGINE (self));
  self->max_sessions = MAX (n, 1);
}

guint
hearth_engine_get_n_loaded (HearthEngine *self)
{
  g_return_val_if_fail (HEARTH_IS_ENGINE (self), 0);
  return g_hash_table_size (self->models);
}

static gboolean
is_idle (gpointer key,
         gpointer value,
         gpointer user_data)
{
  return ((Loaded *) value)->busy == 0;
}

void
hearth_engine_unload_idle (HearthEngine *self)
{
  g_return_if_fail (HEARTH_IS_ENGINE (self));
  g_hash_table_foreach_remove (self->models, is_idle, NULL);
}

static void
loaded_model_free (HearthLoadedModel *m)
{
  g_free (m->path);
  g_free (m);
}

GPtrArray *
hearth_engine_list_loaded (HearthEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) loaded_model_free);
  GHashTableIter iter;
  Loaded *lm;

  g_return_val_if_fail (HEARTH_IS_ENGINE (self), list);

  g_hash_table_iter_init (&iter, self->models);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lm))
    {
      HearthLoadedModel *m = g_new0 (HearthLoadedModel, 1);
      int keep_alive = keep_alive_of (lm);

      m->path = g_strdup (lm->path);
      m->busy = lm->busy > 0;
      if (keep_alive < 0)
        m->expires_at = G_MAXINT64;
      else if (lm->busy > 0 || lm->expires_at == 0)
        m->expires_at = g_get_real_time () + (gint64) keep_alive * G_USEC_PER_SEC;
      else
        m->expires_at = lm->expires_at;
      m->n_ctx = lm->n_ctx;
      m->backend = lm->backend;
      g_ptr_array_add (list, m);
    }
  return list;
}

void
hearth_engine_unload (HearthEngine *self,
                      const char   *path)
{
  Loaded *lm;

  g_return_if_fail (HEARTH_IS_ENGINE (self));

  lm = g_hash_table_lookup (self->models, path);
  if (lm == NULL)
    return;
  lm->keep_alive = 0;
  if (lm->busy == 0)
    g_hash_table_remove (self->models, path);
}

HearthEngine *
hearth_engine_new (void)
{
  return g_object_new (HEARTH_TYPE_ENGINE, NULL);
}

static void
hearth_engine_dispose (GObject *object)
{
  HearthEngine *self = HEARTH_ENGINE (object);

  /* replies under way are cancelled; each thread ends after its job */
  g_clear_pointer (&self->models, g_hash_table_unref);
  g_clear_object (&self->remote_session);

  G_OBJECT_CLASS (hearth_engine_parent_class)->dispose (object);
}

static void
hearth_engine_class_init (HearthEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_engine_dispose;
}

static void
hearth_engine_init (HearthEngine *self)
{
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) loaded_free);
  self->keep_alive = DEFAULT_KEEP_ALIVE;
  self->max_sessions = DEFAULT_MAX_SESSIONS;
}
