/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application layer's data files (data/hearth-app.gresource.xml),
 * compiled into it: the catalogue and the Go templates written for Ollama.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The file @name (relative to the resource base, e.g. "catalogue.json"). */
GBytes *hearth_app_data_lookup (const char  *name,
                                 GError     **error);

G_END_DECLS
