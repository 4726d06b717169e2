/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model that lives on another machine: an Ollama server (Ollama itself,
 * or another Hearth's `hearth serve`) or an OpenAI-compatible one (vLLM,
 * llama.cpp's server …). A HearthRequest that carries a HearthRemote is
 * answered by that server instead of the local engine, through the same
 * HearthGeneration: hearth_engine_generate () hands it to
 * hearth_remote_generate (), which POSTs Ollama's /api/chat (a stream of
 * JSON lines) or OpenAI's /v1/chat/completions (server-sent events) with
 * libsoup, asynchronously on the calling thread's main context; no worker
 * thread is involved.
 *
 * What the server sends back is checked before use: a line longer than
 * HEARTH_REMOTE_MAX_LINE, a line that is not the JSON object expected, a
 * member of the wrong type, an error status or an {"error"} in the stream
 * end the reply with a HEARTH_ENGINE_ERROR_REMOTE (or _REMOTE_KEY) whose
 * message a person can act on, and the text written so far stays in the
 * generation. Cancelling the generation aborts the HTTP request.
 *
 * The chat's model names a remote model as "remote://SERVER-ID/MODEL"
 * (hearth_remote_model_string ()): a string that is never a name of the
 * store (those have no "://") nor a file's path (those start with "/").
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "hearth-generation.h"
#include "hearth-request.h"

G_BEGIN_DECLS

/* The longest line (an NDJSON object, an SSE line) or error body read
 * from a server; anything longer ends the reply with an error. */
#define HEARTH_REMOTE_MAX_LINE (1024 * 1024)

/* The longest model list (/api/tags, /v1/models) read from a server. */
#define HEARTH_REMOTE_MAX_LIST (16 * 1024 * 1024)

/* How long a server may stay silent (connecting, loading a model before
 * its first byte, between two lines) before the reply fails: generous,
 * since a big model takes minutes to load. */
#define HEARTH_REMOTE_TIMEOUT_SECONDS 300

/* The prefix of a remote model's string (hearth_remote_model_string ()). */
#define HEARTH_REMOTE_SCHEME "remote://"

/* HearthRemote is declared in hearth-request.h (a request carries one). */

/* A new remote; @api_key NULL or "" for none. */
HearthRemote *hearth_remote_new (HearthRemoteKind  kind,
                                 const char       *name,
                                 const char       *url,
                                 const char       *model,
                                 const char       *api_key);
HearthRemote *hearth_remote_copy (const HearthRemote *remote);
void hearth_remote_free (HearthRemote *remote);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRemote, hearth_remote_free)

/* "ollama" or "openai" (static). */
const char *hearth_remote_kind_to_string (HearthRemoteKind kind);
/* FALSE where @text is neither. */
gboolean hearth_remote_kind_from_string (const char       *text,
                                         HearthRemoteKind *kind);

/* The base URL of a server as the user typed it, made whole as Ollama's
 * clients make OLLAMA_HOST whole: no scheme is http:// (and, for
 * Ollama, port 11434); a trailing "/" goes; for an OpenAI-compatible
 * server an empty path becomes "/v1" (where its API lives: the base URL
 * that OpenAI's clients take). NULL, with a HEARTH_ENGINE_ERROR_REMOTE
 * saying what is wrong, for something that is not an http(s) address. */
char *hearth_remote_normalize_url (HearthRemoteKind   kind,
                                   const char        *text,
                                   GError           **error);

/* "remote://@server_id/@model" (a new string). */
char *hearth_remote_model_string (const char *server_id,
                                  const char *model);
/* Whether @text is a remote model's string; if so, its parts (new
 * strings; either pointer may be NULL). */
gboolean hearth_remote_parse_model_string (const char  *text,
                                           char       **server_id,
                                           char       **model);

/* Starts answering @request (taken; its remote set) into @generation
 * through @session; see the top of this file. The phases are QUEUED until
 * the request is sent, READING until the first text, then WRITING; the
 * device is "Ollama at URL" (or "OpenAI-compatible server at URL");
 * ::finished carries the server's statistics (Ollama's counts and
 * durations; OpenAI's usage, with times measured here) and its stop
 * reason. */
void hearth_remote_generate (SoupSession      *session,
                             HearthRequest    *request,
                             HearthGeneration *generation);

/* The models that @remote's server offers (its model field is not used):
 * GET /api/tags (Ollama) or /models under the base URL (OpenAI). */
void hearth_remote_list_models_async (SoupSession         *session,
                                      const HearthRemote  *remote,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* The model names (char *), in the server's order, or NULL with a
 * HEARTH_ENGINE_ERROR_REMOTE(_KEY) said plainly. */
GPtrArray *hearth_remote_list_models_finish (GAsyncResult  *result,
                                             GError       **error);

/* A session for remote servers: Hearth's user agent, the system's proxy
 * settings, HEARTH_REMOTE_TIMEOUT_SECONDS. */
SoupSession *hearth_remote_session_new (void);

G_END_DECLS
