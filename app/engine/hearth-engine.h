/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthEngine: the only code that touches both GLib objects and ember.
 *
 * Each loaded model has one long-lived worker thread; requests go to it
 * through a queue and are answered in order. A reply is a HearthGeneration,
 * whose text, phase changes and end arrive on the main context of the
 * thread that called hearth_engine_generate () (see hearth-generation.h).
 *
 * Residency, as Ollama's keep_alive: a model stays loaded for
 * "keep-alive" seconds after its last reply (default 300; 0 unloads at
 * once, a negative value keeps it until the engine goes). Requests for the
 * same model share it, whichever chat they come from.
 *
 * The prompt is the conversation through the model's chat template; a model
 * without one (a base model such as stories260K) continues the text of the
 * conversation's turns, as Ollama's "{{ .Prompt }}" does.
 *
 * KV cache reuse: each request names a session (a chat); the model keeps a
 * cache per session for the most recent "max-sessions" sessions (default
 * 2), so that the next turn of a chat processes only its new tokens, and
 * going back and forth between two chats processes only what changed.
 * A request with another context length rebuilds that session's cache, and
 * its generation's notice says so.
 */
#pragma once

#include <gio/gio.h>

#include "ember.h"
#include "hearth-generation.h"

G_BEGIN_DECLS

typedef struct
{
  char *model_path;                 /* the GGUF file */
  char *session;                    /* whose cache (a chat's id); NULL: a scratch cache */
  GPtrArray *roles;                 /* "system", "user", "assistant" (char *) */
  GPtrArray *contents;              /* the messages' text (char *) */
  ember_generate_options options;   /* sampling, num_predict (stop is set from @stop) */
  GStrv stop;                       /* stop strings, or NULL */
  guint num_ctx;                    /* 0: the model's length, capped at 4096 */
  gboolean drop_oldest;             /* when the conversation does not fit: leave out its
                                       oldest turns (never a system message, never the
                                       last message) until it does, with room for a reply */
} HearthEngineRequest;

HearthEngineRequest *hearth_engine_request_new (const char *model_path,
                                                const char *session);
void hearth_engine_request_add_message (HearthEngineRequest *request,
                                        const char          *role,
                                        const char          *content);
void hearth_engine_request_free (HearthEngineRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthEngineRequest, hearth_engine_request_free)

#define HEARTH_TYPE_ENGINE (hearth_engine_get_type ())
G_DECLARE_FINAL_TYPE (HearthEngine, hearth_engine, HEARTH, ENGINE, GObject)

HearthEngine *hearth_engine_new (void);

/* Answers the conversation of @request (taken) with the model's chat
 * template; the reply comes as the returned generation (a new reference). */
HearthGeneration *hearth_engine_generate (HearthEngine        *self,
                                          HearthEngineRequest *request);

void hearth_engine_set_keep_alive (HearthEngine *self,
                                   int           seconds);
int hearth_engine_get_keep_alive (HearthEngine *self);
void hearth_engine_set_max_sessions (HearthEngine *self,
                                     guint         n);

/* How many models are loaded (or loading) now. */
guint hearth_engine_get_n_loaded (HearthEngine *self);
/* Unloads every model that has no request under way. */
void hearth_engine_unload_idle (HearthEngine *self);

G_END_DECLS
