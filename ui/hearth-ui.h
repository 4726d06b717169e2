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

/* Shows the About window, transient for @parent. */
void hearth_ui_show_about (GtkWindow *parent);

G_END_DECLS
