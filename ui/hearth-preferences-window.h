/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthPreferencesWindow: the application's preferences. Every row is bound
 * to a GSettings key through an action (app.color-scheme, …). Main thread only.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_PREFERENCES_WINDOW (hearth_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, HEARTH, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* A new preferences window, transient for @parent (may be NULL). */
HearthPreferencesWindow *hearth_preferences_window_new (GtkWindow *parent);

G_END_DECLS
