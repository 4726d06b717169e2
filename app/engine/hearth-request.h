/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRequest: one request to a model, whoever asks (the window, `hearth
 * run`, later `hearth serve`): the model, the messages (or a raw text), the
 * options, the stop strings. HearthEngine turns it into a prompt in one
 * place (hearth_engine_generate ()), so that the same request reads the
 * same everywhere.
 *
 * HearthOptions are Ollama's parameters, by Ollama's names, with Ollama's
 * defaults (hearth_options_init ()).
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HEARTH_BACKEND_AUTO,          /* a GPU where one is worth it, else the CPU */
  HEARTH_BACKEND_CPU,
  HEARTH_BACKEND_VULKAN,        /* the Vulkan device even where it is a CPU (lavapipe) */
} HearthBackend;

typedef struct
{
  float temperature;            /* 0.8; 0: greedy */
  gint32 top_k;                 /* 40; <= 0: off */
  float top_p;                  /* 0.9; 1: off */
  float min_p;                  /* 0: off */
  float typical_p;              /* 1: off */
  float repeat_penalty;         /* 1.1; 1: off */
  gint32 repeat_last_n;         /* 64; 0: off; -1: the whole history */
  float presence_penalty;
  float frequency_penalty;
  gint64 seed;                  /* < 0: from the clock */
  gint32 num_predict;           /* -1: until an end */
  guint num_ctx;                /* 0: the model's length, capped at 4096 */
  guint num_thread;             /* CPU threads; 0: every physical core */
} HearthOptions;

void hearth_options_init (HearthOptions *options);

/* Sets Ollama's parameter @name ("temperature", "top_k", "num_ctx" …) from
 * @value as text; the error names the parameter and says what it needs.
 * "stop" is a request's, not an option's (hearth_request_set_parameter ()). */
gboolean hearth_options_set (HearthOptions  *options,
                             const char     *name,
                             const char     *value,
                             GError        **error);

/* Checks the ranges; the message names the parameter. */
gboolean hearth_options_validate (const HearthOptions  *options,
                                  GError              **error);

/* The options as the JSON object a chat keeps with each reply. */
char *hearth_options_to_json (const HearthOptions *options);

#define HEARTH_OPTIONS_ERROR (hearth_options_error_quark ())
GQuark hearth_options_error_quark (void);

typedef enum
{
  HEARTH_OPTIONS_ERROR_INVALID,  /* a value of the wrong type or out of range */
  HEARTH_OPTIONS_ERROR_UNKNOWN,  /* a parameter Hearth does not apply */
} HearthOptionsError;

/* Where a remote model lives (hearth-remote.h). */
typedef enum
{
  HEARTH_REMOTE_OLLAMA,         /* Ollama's API: /api/chat, /api/tags */
  HEARTH_REMOTE_OPENAI,         /* OpenAI's: /v1/chat/completions, /v1/models */
} HearthRemoteKind;

typedef struct
{
  HearthRemoteKind kind;
  char *name;                   /* the server's name for people ("Workstation"), or NULL */
  char *url;                    /* the base URL (hearth_remote_normalize_url ()) */
  char *model;                  /* the model's name on that server */
  char *api_key;                /* sent as "Authorization: Bearer …", or NULL */
} HearthRemote;

/* Rules a request carries — a profile's pre- and post-processing
 * (app/profiles/hearth-rules.h puts them here: hearth_rules_set_on_request
 * ()) — which the engine knows only by these functions. All of them run on
 * the thread that asked for the reply. */
typedef struct
{
  /* A user's message (or a raw prompt) before the model reads it: the text
   * it reads instead (owned), or NULL where the rules refuse it, *@message
   * then the text to show instead of a reply (owned). What a person should
   * be told ("2 matches masked …") is appended to @notes (char *, owned). */
  char *(*input) (gpointer data, const char *text, char **message, GPtrArray *notes);
  /* One reply, as it streams: */
  gpointer (*output_new) (gpointer data);
  /* The text that may be shown now (owned); *@refused set once a rule
   * refuses what the model writes (the reply then stops). */
  char *(*output_feed) (gpointer stream, const char *text, gboolean *refused);
  /* At the end: what was held back, the rules applied (owned). */
  char *(*output_finish) (gpointer stream, gboolean *refused);
  /* After the end: the notes appended to @notes; the refusal's message
   * returned (owned), or NULL where nothing was refused. */
  char *(*output_done) (gpointer stream, GPtrArray *notes);
  void (*output_free) (gpointer stream);
  gpointer (*ref) (gpointer data);
  void (*unref) (gpointer data);
} HearthRequestRules;

typedef struct
{
  char *model_path;             /* the GGUF file ("" for a remote model) */
  char *session;                /* whose cache (a chat's id); NULL: a scratch cache */
  HearthBackend backend;
  gboolean raw;                 /* TRUE: @prompt as it is, no template, no special tokens */
  char *prompt;                 /* with @raw: the text to continue */
  GPtrArray *roles;             /* otherwise: "system", "user", "assistant" (char *) */
  GPtrArray *contents;          /* the messages' text (char *) */
  GArray *tokens;               /* or the prompt as token ids (gint32), or NULL */
  char *template_text;          /* a chat template of the request's own (a profile's
                                   TEMPLATE, Jinja), or NULL: the model's */
  HearthOptions options;
  GStrv stop;                   /* stop strings, or NULL */
  gboolean drop_oldest;         /* when the conversation does not fit: leave out its
                                   oldest turns (never a system message, never the
                                   last message) until it does, with room for a reply */
  gboolean load_only;           /* load the model and make the session's cache, no reply
                                   (as Ollama's empty prompt) */
  gboolean ignore_eos;          /* an end-of-generation token does not end the reply
                                   (benchmarks: exactly num_predict tokens) */
  gboolean read_again;          /* read the whole prompt, reusing none of the cache
                                   (benchmarks: every repetition the same work) */
  int keep_alive;               /* seconds the model stays loaded after this reply, as
                                   Ollama's keep_alive (0: unloaded at once, < 0: until
                                   the engine goes); HEARTH_KEEP_ALIVE_ENGINE: the
                                   engine's own (hearth_engine_set_keep_alive ()) */
  char *format;                 /* the reply's form (hearth_request_set_format ()): NULL,
                                   free text; "json", a JSON document whose top level is an
                                   object; or a JSON Schema's text, a document of it */
  const HearthRequestRules *rules;  /* a profile's rules (static functions), or NULL */
  gpointer rules_data;          /* their data, a reference held (rules->ref) */
  gboolean keep_unruled;        /* keep what the model wrote before the output rules
                                   changed it (hearth_generation_get_unruled_text ()):
                                   only where the person asked for it */
  HearthRemote *remote;         /* a model on another server, which answers instead of the
                                   engine (the options that differ from Ollama's defaults,
                                   the stop strings and the messages go with the request;
                                   model_path, backend, template_text, tokens and the
                                   engine's own switches do not apply), or NULL */
} HearthRequest;

#define HEARTH_KEEP_ALIVE_ENGINE G_MININT

HearthRequest *hearth_request_new (const char *model_path,
                                   const char *session);
/* A request answered by @remote's server (copied). */
HearthRequest *hearth_request_new_remote (const HearthRemote *remote,
                                          const char         *session);
HearthRequest *hearth_request_copy (const HearthRequest *request);
void hearth_request_add_message (HearthRequest *request,
                                 const char    *role,
                                 const char    *content);
/* Removes the messages (and the raw prompt). */
void hearth_request_clear_messages (HearthRequest *request);
/* Makes the reply a JSON document, by masking at each step the tokens that
 * could not continue one (engine/grammar/ember-json-grammar.h), as Ollama's
 * "format" and OpenAI's "response_format" ask: @format is "json" (any
 * document whose top level is an object) or the text of a JSON Schema (a
 * document of it; the subset Hearth follows is in HACKING.md), NULL or ""
 * for free text again. A malformed or unsupported schema is a
 * HEARTH_OPTIONS_ERROR_INVALID whose message says what and where
 * ("… unsupported keyword “pattern” at /properties/name"), and the request
 * is left as it was. The reply ends when its document is complete (stop
 * reason HEARTH_STOP_END_OF_GENERATION) and is steered to close it before
 * num_predict runs out; HEARTH_STOP_LIMIT means the budget was too small
 * for a whole document. Stop strings still apply, and may cut it. */
gboolean hearth_request_set_format (HearthRequest  *request,
                                    const char     *format,
                                    GError        **error);
/* hearth_options_set (), and "stop", which adds a stop string. */
gboolean hearth_request_set_parameter (HearthRequest  *request,
                                       const char     *name,
                                       const char     *value,
                                       GError        **error);
void hearth_request_free (HearthRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRequest, hearth_request_free)

G_END_DECLS
