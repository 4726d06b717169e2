/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthDownloadRow: one pull of the downloads list: the model's name, what
 * is happening ("1.2 GB of 4.7 GB · 3.1 MB/s · about 19 minutes left", or
 * why it stopped), a progress bar that never moves backwards, and buttons
 * to pause or resume and to cancel (after asking: what was received is
 * deleted). Actions: download.toggle, download.cancel.
 */
#pragma once

#include <adwaita.h>

#include "hearth-downloads.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DOWNLOAD_ROW (hearth_download_row_get_type ())
G_DECLARE_FINAL_TYPE (HearthDownloadRow, hearth_download_row, HEARTH, DOWNLOAD_ROW, GtkListBoxRow)

HearthDownloadRow *hearth_download_row_new (HearthDownloads *downloads,
                                            HearthPull      *pull);

/* What the row says of @pull's progress, for people (also for tests). */
char *hearth_download_row_describe (HearthPull *pull);

G_END_DECLS
