/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthDiscoverPage: the catalogue of recommended models (hearth-catalogue.h)
 * as the Models window shows it: each model with what it needs against this
 * computer (runs on the GPU, on the CPU, too big), a Chinese badge for the
 * models strong in it, its description and one row per quantization with a
 * Download button (or Installed / Downloading). Filters: strong in Chinese,
 * fits this computer, and the window's search. Toasts go to the nearest
 * AdwToastOverlay. Main thread only.
 */
#pragma once

#include <adwaita.h>

#include "hearth-downloads.h"
#include "hearth-library.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DISCOVER_PAGE (hearth_discover_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthDiscoverPage, hearth_discover_page, HEARTH, DISCOVER_PAGE, AdwBin)

/* What the page shows installed (@library) and downloading (@downloads),
 * and where its Download buttons start pulls; once. */
void hearth_discover_page_set_models (HearthDiscoverPage *self,
                                      HearthLibrary      *library,
                                      HearthDownloads    *downloads);

/* Shows the models that have every word of @query (any case). */
void hearth_discover_page_set_query (HearthDiscoverPage *self,
                                     const char         *query);

G_END_DECLS
