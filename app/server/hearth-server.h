/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthServer: Ollama's HTTP API (and later OpenAI's) on Hearth's own
 * store and engine, through the one HearthContext, so that programs
 * written for Ollama work unchanged. libsoup's SoupServer, in the
 * thread-default main context of the thread that listens (the context's
 * own thread).
 */

#pragma once

#include <gio/gio.h>

#include "hearth-context.h"

G_BEGIN_DECLS

#define HEARTH_SERVER_DEFAULT_PORT 11434

/* Replies being written or waiting for the engine, at most (past them:
 * 503); HEARTH_MAX_QUEUE changes it for `hearth serve`. */
#define HEARTH_SERVER_DEFAULT_MAX_QUEUE 64

#define HEARTH_SERVER_ERROR (hearth_server_error_quark ())
GQuark hearth_server_error_quark (void);

typedef enum {
  HEARTH_SERVER_ERROR_INVALID_HOST,  /* HEARTH_HOST that names no address and port */
} HearthServerError;

#define HEARTH_TYPE_SERVER (hearth_server_get_type ())
G_DECLARE_FINAL_TYPE (HearthServer, hearth_server, HEARTH, SERVER, GObject)

/* The server for @context's store and engine (the window's own where it
 * runs in the app). Its last reference gone, it stops listening at once
 * (the port is free again) and the replies under way stop at their next
 * token, ending their answers as a finished reply would. */
HearthServer *hearth_server_new (HearthContext *context);

/* Reads an address as OLLAMA_HOST takes it ("127.0.0.1:8080",
 * "0.0.0.0", ":11434", "http://localhost:8080", "[::1]:11434"): the host
 * (127.0.0.1 where it is empty) into *@host and the port (11434 where none
 * is given; 80 or 443 for a bare http:// or https://; 0 for any free one)
 * into *@port. */
gboolean hearth_server_parse_host (const char  *text,
                                   char       **host,
                                   guint16     *port,
                                   GError     **error);

/* Listens on @host (an IP address or "localhost") and @port (0: any free
 * one). A port in use fails with G_IO_ERROR_ADDRESS_IN_USE. */
gboolean hearth_server_listen (HearthServer  *self,
                               const char    *host,
                               guint16        port,
                               GError       **error);

/* Stops listening and closes every connection, as the app does when the
 * person turns the server off (and as the last reference going does): a
 * reply under way is cancelled (its generation stops between tokens) and
 * its client sees the connection end; the port is free at once. Listening
 * again afterwards is not supported: make a new server. */
void hearth_server_stop (HearthServer *self);

/* "http://127.0.0.1:11434/" as it listens, or NULL before (and after
 * hearth_server_stop ()). */
char *hearth_server_get_url (HearthServer *self);

/* Replies being written or waiting at most; past them a request is
 * refused with 503 (HEARTH_SERVER_DEFAULT_MAX_QUEUE until set). */
void hearth_server_set_max_queue (HearthServer *self,
                                  guint         n);

/* Whether it listens beyond this computer (not on a loopback address). */
gboolean hearth_server_is_public (HearthServer *self);

/* Who may talk to it (hearth-server-access.c). Whatever these say, while
 * it listens on loopback it answers only requests for this computer's own
 * names (a Host header of localhost, 127.0.0.1 and the like), which stops
 * web pages that reach it by DNS rebinding. */

/* Requires "Authorization: Bearer @key" of every request but CORS
 * preflights and GET / (what clients probe), else 401; NULL or "" requires
 * none (the default). `hearth serve` sets it from HEARTH_API_KEY. */
void hearth_server_set_api_key (HearthServer *self,
                                const char   *key);

/* Whether a key is required (hearth_server_set_api_key ()). */
gboolean hearth_server_get_needs_api_key (HearthServer *self);

/* The origins of web pages that may call it (CORS), beside the default
 * ones (http and https on localhost, 127.0.0.1 and 0.0.0.0 at any port;
 * app://, file://, tauri://, vscode-webview://, vscode-file://), as
 * Ollama's OLLAMA_ORIGINS takes them: comma-separated, a "*" within one
 * standing for any characters (a subdomain, a port, an extension's id),
 * "*" alone for any origin; NULL none. Pages from other origins are refused (403).
 * `hearth serve` sets it from HEARTH_ORIGINS. */
void hearth_server_set_origins (HearthServer *self,
                                const char   *origins);

G_END_DECLS
