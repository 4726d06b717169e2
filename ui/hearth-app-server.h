/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthAppServer: `hearth serve` inside the app, for the preference "Let
 * other programs use Hearth". A HearthServer on the application's own
 * HearthContext (so the window and the programs share the loaded models),
 * started and stopped as the settings say: "serve", "serve-port" and
 * "serve-beyond-this-computer" (127.0.0.1, or 0.0.0.0); HEARTH_HOST, when
 * set, stands for the address and port instead, HEARTH_ORIGINS adds web
 * pages that may call it, as for `hearth serve`.
 *
 * Beyond this computer every request needs a token (Authorization:
 * Bearer TOKEN; GET / excepted, as clients probe it): HEARTH_API_KEY where
 * set, else one made from the system's random source when first needed
 * and kept only in memory, so a new one each time Hearth starts. Nothing of
 * it is written to the settings. On loopback a token is needed only where
 * HEARTH_API_KEY sets one, as for `hearth serve`.
 *
 * A port that cannot be listened on (taken, perhaps by Ollama) turns
 * "serve" back off and is kept as the error until the next try or a new
 * port. GTK-free; main thread only; "changed" is emitted there.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-context.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_APP_SERVER (hearth_app_server_get_type ())
G_DECLARE_FINAL_TYPE (HearthAppServer, hearth_app_server, HEARTH, APP_SERVER, GObject)

/* Follows @settings (the application's schema) from now on: listens at once
 * where "serve" is on. */
HearthAppServer *hearth_app_server_new (HearthContext *context,
                                        GSettings     *settings);

/* Whether it listens now. */
gboolean hearth_app_server_get_running (HearthAppServer *self);

/* Where programs reach it ("http://127.0.0.1:11434"), as it listens or as
 * it would with the settings as they are; with no trailing slash. Owned. */
char *hearth_app_server_dup_url (HearthAppServer *self);

/* The port it listens on, or would. */
guint16 hearth_app_server_get_port (HearthAppServer *self);

/* Whether it listens, or would, beyond this computer. */
gboolean hearth_app_server_get_public (HearthAppServer *self);

/* HEARTH_HOST as set in the environment (it overrides the port and
 * beyond-this-computer settings), or NULL. */
const char *hearth_app_server_get_host_override (HearthAppServer *self);

/* The token that requests need while it runs, or NULL where none is
 * needed (or it does not run). Borrowed. */
const char *hearth_app_server_get_token (HearthAppServer *self);

/* Whether the token comes from HEARTH_API_KEY. */
gboolean hearth_app_server_get_token_from_env (HearthAppServer *self);

/* Why the last try to listen failed, said for a person, or NULL. The
 * error's code is G_IO_ERROR_ADDRESS_IN_USE for a port taken. Borrowed. */
const GError *hearth_app_server_get_error (HearthAppServer *self);

G_END_DECLS
