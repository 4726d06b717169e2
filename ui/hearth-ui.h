/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The glue between the application (app/) and its widgets: installs the
 * window factory and the resources. Main thread only.
 */
#pragma once

#include "hearth-application.h"

G_BEGIN_DECLS

/* Makes @app open HearthWindows. Call before g_application_run(). */
void hearth_ui_install (HearthApplication *app);

/* "cairo" when GTK's GL renderer would run on the CPU (no render node in
 * @dri_dir, or LIBGL_ALWAYS_SOFTWARE), else NULL (GTK's own choice).
 * hearth_ui_install () sets GSK_RENDERER to it unless already set. */
const char *hearth_ui_pick_renderer (const char *dri_dir);

/* Whether every word of @query (split at spaces and tabs) is in @text,
 * in any case; an empty or NULL @query matches everything. */
gboolean hearth_ui_search_matches (const char *query,
                                   const char *text);

/* A modal chooser for one GGUF model file, for @parent, with @title: its
 * response is connected by the caller. */
GtkFileChooserNative *hearth_ui_gguf_chooser_new (GtkWindow  *parent,
                                                  const char *title);

/* Takes down *@chooser, still open when its owner (@owner, whose signal
 * handlers are taken off it) goes away, and clears the pointer. */
void hearth_ui_clear_chooser (GtkFileChooserNative **chooser,
                              gpointer               owner);

/* A failure a person must act on (an import, a download, a removal),
 * said whole: a message dialog with @heading and the reason @text, for the
 * window of @widget (may be NULL). Returns the dialog (borrowed). */
GtkWindow *hearth_ui_show_failure (GtkWidget  *widget,
                                   const char *heading,
                                   const char *text);

/* Shows the About window, transient for @parent. */
void hearth_ui_show_about (GtkWindow *parent);

/* Every widget of @type under @widget (itself included), in order. */
void hearth_ui_collect_widgets (GtkWidget *widget,
                                GType      type,
                                GPtrArray *found);

G_END_DECLS
