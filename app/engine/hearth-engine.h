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
 * once, a negative value keeps it until the engine goes); a request's own
 * keep_alive (an API client's) holds for its model after that request, as
 * Ollama's does. Requests for the same model share it, whichever chat or
 * client they come from.
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

#include "hearth-generation.h"
#include "hearth-request.h"

G_BEGIN_DECLS


#define HEARTH_TYPE_ENGINE (hearth_engine_get_type ())
G_DECLARE_FINAL_TYPE (HearthEngine, hearth_engine, HEARTH, ENGINE, GObject)

HearthEngine *hearth_engine_new (void);

/* Answers @request (taken): a request for a remote model (request->remote)
 * goes to its server (hearth-remote.h), on the calling thread's main
 * context. Otherwise, the one place where a request becomes a
 * prompt (the messages through the model's chat template, a model without
 * one continuing their text, or the raw text); the reply comes as the
 * returned generation (a new reference). With G_MESSAGES_DEBUG=hearth-engine
 * each prompt is logged (its exact bytes also in the structured field
 * HEARTH_PROMPT). */
HearthGeneration *hearth_engine_generate (HearthEngine  *self,
                                          HearthRequest *request);

void hearth_engine_set_keep_alive (HearthEngine *self,
                                   int           seconds);
int hearth_engine_get_keep_alive (HearthEngine *self);
void hearth_engine_set_max_sessions (HearthEngine *self,
                                     guint         n);

/* How many models are loaded (or loading) now. */
guint hearth_engine_get_n_loaded (HearthEngine *self);
/* A model loaded now (hearth_engine_list_loaded ()). */
typedef struct
{
  char *path;                   /* the GGUF file */
  gboolean busy;                /* a request is queued or under way */
  gint64 expires_at;            /* when it will be unloaded if nothing more is asked of it
                                   (UNIX time, µs); G_MAXINT64: not while the engine lives */
  guint n_ctx;                  /* the context of its last reply (0: none yet) */
  HearthBackend backend;        /* what ran its last reply (HEARTH_BACKEND_AUTO: none yet) */
} HearthLoadedModel;

/* The models loaded (or loading) now, as HearthLoadedModel. */
GPtrArray *hearth_engine_list_loaded (HearthEngine *self);

/* Unloads the model of @path now if it is idle, else as soon as the
 * requests for it are answered (Ollama's keep_alive 0). Nothing if it is
 * not loaded. */
void hearth_engine_unload (HearthEngine *self,
                           const char   *path);

/* Unloads every model that has no request under way. */
void hearth_engine_unload_idle (HearthEngine *self);

G_END_DECLS
