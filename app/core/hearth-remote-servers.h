/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRemoteServers: the servers Hearth may talk to instead of its own
 * engine (Preferences → Servers), a GListModel of HearthRemoteServer in
 * the order they were added. The context owns the one list
 * (hearth_context_get_servers ()).
 *
 * The list is kept in the "servers" setting (id, name, kind, URL; never a
 * key) where there are settings, and only in memory where there are none
 * (a command run from a plain build). API keys live in the user's keyring
 * through libsecret (schema io.github.hearth.Hearth.ServerKey, attribute
 * "server-id"), never in settings or plain files. Where there is no
 * keyring (no Secret Service on the session bus, or no bus at all),
 * keeping a key fails with HEARTH_REMOTE_SERVERS_ERROR_KEYRING, saying so,
 * and the servers without a key work as before.
 *
 * A chat's model on a server is the string hearth_remote_model_string
 * (server id, model name) ("remote://ID/MODEL");
 * hearth_remote_servers_resolve () turns it into the HearthRemote that a
 * request carries, with the key.
 *
 * Main thread only.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-remote-server.h"
#include "hearth-remote.h"

G_BEGIN_DECLS

#define HEARTH_REMOTE_SERVERS_ERROR (hearth_remote_servers_error_quark ())
GQuark hearth_remote_servers_error_quark (void);

typedef enum
{
  HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND, /* no server has that id */
  HEARTH_REMOTE_SERVERS_ERROR_INVALID,   /* a name or a key that cannot be used */
  HEARTH_REMOTE_SERVERS_ERROR_KEYRING,   /* the keyring cannot be reached */
} HearthRemoteServersError;

#define HEARTH_TYPE_REMOTE_SERVERS (hearth_remote_servers_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemoteServers, hearth_remote_servers, HEARTH, REMOTE_SERVERS, GObject)

/* @settings: io.github.hearth.Hearth, or NULL (the list in memory only). */
HearthRemoteServers *hearth_remote_servers_new (GSettings *settings);

/* The server with @id, or NULL. Borrowed. */
HearthRemoteServer *hearth_remote_servers_lookup (HearthRemoteServers *self,
                                                  const char          *id);

/* Adds a server: @url as the user typed it (hearth_remote_normalize_url ()
 * makes it whole), @name the name people see (NULL or "": the URL's host).
 * Returns it (borrowed), or NULL with an error saying what is wrong with
 * the address. */
HearthRemoteServer *hearth_remote_servers_add (HearthRemoteServers  *self,
                                               const char           *name,
                                               HearthRemoteKind      kind,
                                               const char           *url,
                                               GError              **error);

/* Changes server @id's name, kind and URL (as for _add ()). */
gboolean hearth_remote_servers_change (HearthRemoteServers  *self,
                                       const char           *id,
                                       const char           *name,
                                       HearthRemoteKind      kind,
                                       const char           *url,
                                       GError              **error);

/* Removes server @id, and its key from the keyring. Chats whose model was
 * on it say so at their next reply. FALSE if there is none. */
gboolean hearth_remote_servers_remove (HearthRemoteServers *self,
                                       const char          *id);

/* Keeps @key (NULL or "": none; the stored one is removed) as server
 * @id's API key in the keyring. Fails with
 * HEARTH_REMOTE_SERVERS_ERROR_KEYRING, a message a person can act on,
 * where there is no keyring, and HEARTH_REMOTE_SERVERS_ERROR_INVALID for a
 * key that cannot go in a header (spaces, control characters). */
void hearth_remote_servers_set_key_async (HearthRemoteServers *self,
                                          const char          *id,
                                          const char          *key,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean hearth_remote_servers_set_key_finish (HearthRemoteServers  *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* Whether server @id has a key in the keyring (for a "key saved" line; the
 * key itself is not handed out). No keyring: FALSE, with the error. */
void hearth_remote_servers_has_key_async (HearthRemoteServers *self,
                                          const char          *id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean hearth_remote_servers_has_key_finish (HearthRemoteServers  *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* The models server @id offers (its /api/tags or /v1/models, with its
 * key): char * names, in the server's order. Errors as the engine's
 * (HEARTH_ENGINE_ERROR_REMOTE, _REMOTE_KEY), said plainly. */
void hearth_remote_servers_list_models_async (HearthRemoteServers *self,
                                              const char          *id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray *hearth_remote_servers_list_models_finish (HearthRemoteServers  *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* The remote of a chat's model string ("remote://ID/MODEL"), with the
 * server's key (looked up once, then remembered; a keyring that cannot be
 * reached is a server without a key). NULL, with a
 * HEARTH_REMOTE_SERVERS_ERROR_NOT_FOUND naming the model, where the server
 * is not in the list; FALSE from hearth_remote_parse_model_string () for a
 * string that is not a remote model's. */
HearthRemote *hearth_remote_servers_resolve (HearthRemoteServers  *self,
                                             const char           *model,
                                             GError              **error);

/* How a remote model is shown: "MODEL (SERVER NAME)" (a new string), or
 * NULL for a string that is not a remote model's. */
char *hearth_remote_servers_describe_model (HearthRemoteServers *self,
                                            const char          *model);

G_END_DECLS
