/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside HearthServer: the state its routes share, and the answers every
 * route gives the same way ({"error": …}, a 405 naming the methods, a
 * request body read as a JSON object). The routes live by subject:
 * hearth-server-models.c (the store), hearth-server-generate.c (Ollama's
 * chat and generate), hearth-server-openai.c (OpenAI's /v1),
 * hearth-server-manage.c (show, create, pull), hearth-server-blobs.c.
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hearth-request.h"
#include "hearth-settings.h"
#include "hearth-server.h"
#include "hearth-store.h"

G_BEGIN_DECLS

typedef struct _HearthServerAccess HearthServerAccess;

struct _HearthServer
{
  GObject parent_instance;

  HearthContext *context;
  SoupServer *soup;
  gboolean public;
  guint n_waiting;      /* replies asked for and not yet finished */
  guint max_waiting;    /* past it, 503 (HEARTH_MAX_QUEUE) */
  GHashTable *streams;  /* HearthServerStream under way (the server's own) */
  HearthServerAccess *access; /* NULL until a setter of hearth-server-access.c */
};

typedef void (*HearthServerRoute) (HearthServer      *self,
                                   SoupServerMessage *msg);

/* @node as the response, with @status. */
void hearth_server_reply_json (SoupServerMessage *msg,
                               guint              status,
                               JsonNode          *node);

/* {"error": @message} with @status, as Ollama answers what it refuses. */
void hearth_server_reply_error (SoupServerMessage *msg,
                                guint              status,
                                const char        *message);

/* Whether @msg's method is one of @methods (NULL-terminated); if not, a
 * 405 naming those it takes. HEAD goes with GET. */
gboolean hearth_server_method_allowed (SoupServerMessage  *msg,
                                       const char * const *methods);

/* The request's body as a JSON object (owned by @parser), or NULL after a
 * 400 that says what is wrong with it. An empty body is an empty object. */
JsonObject *hearth_server_read_object (SoupServerMessage *msg,
                                       JsonParser        *parser);

/* Member @name of @o as a string: its value, NULL where it is absent or
 * null, and NULL after a 400 (*@bad set) where it is something else. */
const char *hearth_server_get_string (SoupServerMessage *msg,
                                      JsonObject        *o,
                                      const char        *name,
                                      gboolean          *bad);

/* A store error: 404 for model @name that is not there (without the
 * store's folder), 400 for a name that cannot be one, 500 for the rest. */
void hearth_server_reply_store_error (SoupServerMessage *msg,
                                      const GError      *error,
                                      const char        *name);

/* An answer written a piece at a time, from the server's main context,
 * while the request's message is held (paused): nothing is sent until the
 * first piece, so that what fails before it still gets its own status and
 * a whole answer (hearth_server_stream_reply ()). The client going away —
 * seen when a write fails, and by looking at the connection every quarter
 * of a second while nothing is written — cancels the stream's cancellable,
 * and from then on the message is never touched again. The server frees
 * the streams still under way when it goes. */
typedef struct _HearthServerStream HearthServerStream;

HearthServerStream *hearth_server_stream_new (HearthServer      *server,
                                              SoupServerMessage *msg);
/* Cancelled when the client goes (or the server stops). Borrowed. */
GCancellable *hearth_server_stream_get_cancellable (HearthServerStream *stream);
/* Whether a piece has been written (the status and headers are sent). */
gboolean hearth_server_stream_has_started (HearthServerStream *stream);
/* Writes @len bytes of @data; the first piece sends status 200 with
 * @content_type, chunked. Nothing after the client went. */
void hearth_server_stream_write (HearthServerStream *stream,
                                 const char         *content_type,
                                 const char         *data,
                                 gsize               len);
/* The whole answer, @node (NULL: none) with @status, where nothing has
 * been written; then as hearth_server_stream_end (). */
void hearth_server_stream_reply (HearthServerStream *stream,
                                 guint               status,
                                 JsonNode           *node);
/* Ends the answer (the last chunk) and frees @stream. */
void hearth_server_stream_end (HearthServerStream *stream);

/* Whether another reply may wait for the engine: if not, a 503 has been
 * given (by @error_func, in the route's own shape). Each TRUE is paired
 * with hearth_server_release_slot (). */
typedef void (*HearthServerErrorFunc) (SoupServerMessage *msg,
                                       guint              status,
                                       const char        *message);
gboolean hearth_server_take_slot (HearthServer          *self,
                                  SoupServerMessage     *msg,
                                  HearthServerErrorFunc  error_func);
void hearth_server_release_slot (HearthServer *self);

/* hearth-server-generate.c: replies, in each API's shape */
typedef enum {
  HEARTH_API_OLLAMA_CHAT,         /* /api/chat: NDJSON, "message" */
  HEARTH_API_OLLAMA_GENERATE,     /* /api/generate: NDJSON, "response" */
  HEARTH_API_OPENAI_CHAT,         /* /v1/chat/completions: SSE, "delta" */
  HEARTH_API_OPENAI_COMPLETION,   /* /v1/completions: SSE, "text" */
} HearthServerApi;

/* The request for model @name of the store, as `hearth run` makes it: the
 * model's own layers (a profile's system prompt, parameters, template,
 * messages) under @options (a request's "options", NULL: none; what Hearth
 * does not use is left out) and @system (NULL: the model's); *@settings
 * gets those settings, whose hearth_settings_apply_to () puts the rest
 * (system prompt, example messages, template, stop strings) into the
 * request once its messages are in. NULL after an answer in @api's shape
 * (400 for a bad option, 404 for no such model). */
HearthRequest *hearth_server_make_request (HearthServer       *self,
                                           SoupServerMessage  *msg,
                                           HearthServerApi     api,
                                           const char         *name,
                                           JsonObject         *options,
                                           const char         *system,
                                           HearthSettings    **settings);
/* @request's reply held to @format ("json" or a JSON schema's text; NULL:
 * free text); FALSE after a 400 that says what in the schema Hearth cannot
 * follow. */
gboolean hearth_server_set_format (SoupServerMessage *msg,
                                   HearthServerApi    api,
                                   HearthRequest     *request,
                                   const char        *format);
/* Answers @msg with @request's reply (taken) in @api's shape: streamed
 * (@stream) or whole; @include_usage: OpenAI's usage chunk at the end. */
void hearth_server_reply (HearthServer      *self,
                          SoupServerMessage *msg,
                          HearthServerApi    api,
                          const char        *name,
                          HearthRequest     *request,
                          gboolean           stream,
                          gboolean           include_usage);
/* An error in @api's shape. */
void hearth_server_reply_api_error (SoupServerMessage *msg,
                                    HearthServerApi    api,
                                    guint              status,
                                    const char        *message);
/* Member @name of @o as a boolean (@fallback where absent or null), or
 * FALSE after a 400 in @api's shape. */
gboolean hearth_server_get_bool (SoupServerMessage *msg,
                                 HearthServerApi    api,
                                 JsonObject        *o,
                                 const char        *name,
                                 gboolean           fallback,
                                 gboolean          *value);
/* Whether member @name is absent, null, false, 0, "" or empty: what a
 * client sends for a feature it does not use. */
gboolean hearth_server_is_unset (JsonObject *o,
                                 const char *name);
/* Ollama's keep_alive @node (NULL: absent) in seconds into *@seconds
 * (HEARTH_KEEP_ALIVE_ENGINE where absent), or a 400 in @api's shape. */
gboolean hearth_server_read_keep_alive (SoupServerMessage *msg,
                                        HearthServerApi    api,
                                        JsonNode          *node,
                                        int               *seconds);
void hearth_server_route_chat (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_generate (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_ps (HearthServer *self, SoupServerMessage *msg);

/* hearth-server-openai.c: OpenAI's /v1 */
void hearth_server_route_openai_chat (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_openai_completions (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_openai_models (HearthServer *self, SoupServerMessage *msg);
/* {"error": {"message", "type", "param", "code"}} as OpenAI answers, the
 * type from @status (404 not_found_error, 401 authentication_error, other
 * 4xx invalid_request_error, 5xx api_error). */
JsonNode *hearth_server_openai_error_node (guint       status,
                                           const char *message);
/* The same, as the answer. */
void hearth_server_reply_openai_error (SoupServerMessage *msg,
                                       guint              status,
                                       const char        *message);

/* hearth-server-models.c */
/* Begins an object for @m as /api/tags lists it (Ollama's
 * ListModelResponse: name, model, modified_at, size, digest, details),
 * left open for more members. */
void hearth_server_add_model (JsonBuilder            *b,
                              const HearthStoreModel *m);
void hearth_server_route_tags (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_copy (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_delete (HearthServer *self, SoupServerMessage *msg);

/* hearth-server-manage.c: /api/show, /api/create, /api/pull, and what
 * Hearth refuses (/api/push, embeddings) */
void hearth_server_route_show (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_create (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_pull (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_push (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_embed (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_openai_embeddings (HearthServer *self, SoupServerMessage *msg);

/* hearth-server-blobs.c: /api/blobs/DIGEST. The early handler gives it
 * @msg first (TRUE where @path is one of its own), so that a blob's bytes
 * go to the store as they come, past the limit on bodies. */
gboolean hearth_server_blobs_early (HearthServer      *self,
                                    SoupServerMessage *msg,
                                    const char        *path);
void hearth_server_route_blobs (HearthServer *self, SoupServerMessage *msg);

/* hearth-server-access.c: whether @msg (for @path) may go on to its
 * route, from its headers alone (Host, Origin, Authorization); if not, it
 * is answered (403, 401, or 204 for a CORS preflight). Called first by the
 * early handler, so that an allowed Origin's CORS headers are on every
 * answer, streamed ones too. */
gboolean hearth_server_check_access (HearthServer      *self,
                                     SoupServerMessage *msg,
                                     const char        *path);
void hearth_server_access_free (HearthServerAccess *access);

G_END_DECLS
