/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthServerDialog: the dialog that adds a remote server or changes one
 * (Preferences → Servers): its name, kind, address and an optional API
 * key. The "save" response is enabled only for an address that can be
 * used; what the answer does is the caller's (hearth-servers-page.c).
 */
#pragma once

#include <adwaita.h>

#include "hearth-remote-servers.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_SERVER_DIALOG (hearth_server_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HearthServerDialog, hearth_server_dialog, HEARTH, SERVER_DIALOG, AdwMessageDialog)

/* A dialog adding a server (@server NULL) or changing @server, whose key
 * is saved where @has_key. */
HearthServerDialog *hearth_server_dialog_new (GtkWindow          *parent,
                                              HearthRemoteServer *server,
                                              gboolean            has_key);

/* The server changed, or NULL when adding (borrowed). */
HearthRemoteServer *hearth_server_dialog_get_server (HearthServerDialog *self);
/* What was typed: the name (trimmed, may be ""), the kind, the address as
 * typed, the key (trimmed; "" for none typed). */
const char *hearth_server_dialog_get_name (HearthServerDialog *self);
HearthRemoteKind hearth_server_dialog_get_kind (HearthServerDialog *self);
const char *hearth_server_dialog_get_url (HearthServerDialog *self);
char *hearth_server_dialog_dup_key (HearthServerDialog *self);
/* Whether the saved key is to be forgotten. */
gboolean hearth_server_dialog_get_forget_key (HearthServerDialog *self);

G_END_DECLS
