/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside HearthServer: the state its routes share, and the answers every
 * route gives the same way ({"error": …}, a 405 naming the methods, a
 * request body read as a JSON object). The routes live by subject:
 * hearth-server-models.c (the store), hearth-server-generate.c (Ollama's
 * chat and generate), hearth-server-openai.c (OpenAI's /v1).
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hearth-server.h"

G_BEGIN_DECLS

typedef struct _HearthServerAccess HearthServerAccess;

struct _HearthServer
{
  GObject parent_instance;

  HearthContext *context;
  SoupServer *soup;
  gboolean public;
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

/* hearth-server-models.c */
void hearth_server_route_tags (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_copy (HearthServer *self, SoupServerMessage *msg);
void hearth_server_route_delete (HearthServer *self, SoupServerMessage *msg);

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
