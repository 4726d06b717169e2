/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthServersPage: Preferences → Servers, the remote servers whose models
 * chats may use: each with its name, kind, address, whether an API key is
 * saved and what a check of its models found; "Add Server", and a row's
 * change, check and remove (servers.add, servers.edit, servers.check,
 * servers.remove). Shows the list of the application's context.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_SERVERS_PAGE (hearth_servers_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthServersPage, hearth_servers_page, HEARTH, SERVERS_PAGE, AdwPreferencesPage)

GtkWidget *hearth_servers_page_new (void);

G_END_DECLS
