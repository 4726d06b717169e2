/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthWindow: the main window. A sidebar (the chats) and a content area in
 * an AdwLeaflet that folds on narrow windows. Remembers its size in GSettings.
 * Main thread only.
 */
#pragma once

#include <adwaita.h>

#include "hearth-application.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_WINDOW (hearth_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthWindow, hearth_window, HEARTH, WINDOW, AdwApplicationWindow)

/* A new window of @app; floating until presented (owned by @app then). */
HearthWindow *hearth_window_new (HearthApplication *app);

/* The window's chat view (borrowed). */
GtkWidget *hearth_window_get_chat_view (HearthWindow *self);

G_END_DECLS
