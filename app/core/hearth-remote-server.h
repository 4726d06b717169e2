/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRemoteServer: one server that Hearth talks to instead of its own
 * engine (an item of HearthRemoteServers, the context's list): an Ollama
 * server or an OpenAI-compatible one, by its id (Hearth's, stable; the
 * chats' model strings name it), the name people gave it, its kind and its
 * base URL. Its API key is not here: it lives in the user's keyring
 * (hearth_remote_servers_set_key_async ()).
 *
 * The properties ("id", "name", "kind" as the HearthRemoteKind's number,
 * "url") are read-only from outside and notify when
 * hearth_remote_servers_change () changes them.
 */
#pragma once

#include <glib-object.h>

#include "hearth-request.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_REMOTE_SERVER (hearth_remote_server_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemoteServer, hearth_remote_server, HEARTH, REMOTE_SERVER, GObject)

const char *hearth_remote_server_get_id (HearthRemoteServer *self);
const char *hearth_remote_server_get_name (HearthRemoteServer *self);
HearthRemoteKind hearth_remote_server_get_kind (HearthRemoteServer *self);
const char *hearth_remote_server_get_url (HearthRemoteServer *self);

/* For HearthRemoteServers: */
HearthRemoteServer *hearth_remote_server_new (const char       *id,
                                              const char       *name,
                                              HearthRemoteKind  kind,
                                              const char       *url);
void hearth_remote_server_set (HearthRemoteServer *self,
                               const char         *name,
                               HearthRemoteKind    kind,
                               const char         *url);

G_END_DECLS
