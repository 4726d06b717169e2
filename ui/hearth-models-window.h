/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthModelsWindow: the models in the store (HearthLibrary): what each is,
 * the space they take, and removing one after saying what that frees; the
 * downloads under way (HearthDownloads); a catalogue of recommended models
 * with what each needs against this computer (Discover); downloading a
 * model by name or address (models.pull, Ctrl+D) and importing a GGUF file
 * by link or copy (models.import, Ctrl+O). Main thread only.
 */
#pragma once

#include <adwaita.h>

#include "hearth-downloads.h"
#include "hearth-library.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MODELS_WINDOW (hearth_models_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthModelsWindow, hearth_models_window, HEARTH, MODELS_WINDOW, AdwWindow)

/* A new window showing @library and @downloads, transient for @parent
 * (may be NULL). */
HearthModelsWindow *hearth_models_window_new (GtkWindow       *parent,
                                              HearthLibrary   *library,
                                              HearthDownloads *downloads);

G_END_DECLS
