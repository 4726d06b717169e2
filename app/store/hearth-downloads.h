/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthDownloads: the pulls the application runs, as a GListModel of
 * HearthPull in the order they were asked for. Several run at once; each
 * may be paused, resumed or cancelled. The list survives a restart: the
 * store keeps a record of every pull under way (hearth_pull_start ()), and
 * hearth_downloads_restore () makes them again, running the ones that were
 * running and leaving paused the ones that were paused.
 *
 * Before a model's files are downloaded its size is checked against the
 * computer (hearth-fit.h): a model that would fit nowhere is stopped with
 * the reason, and resuming it downloads it all the same.
 *
 * A pull that ends with the model in the store leaves the list, the library
 * is read again and ::model-added (const char *name) is emitted.
 */
#pragma once

#include <libsoup/soup.h>

#include "hearth-library.h"
#include "hearth-pull.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DOWNLOADS (hearth_downloads_get_type ())
G_DECLARE_FINAL_TYPE (HearthDownloads, hearth_downloads, HEARTH, DOWNLOADS, GObject)

/* The downloads into @library's store over @session. */
HearthDownloads *hearth_downloads_new (HearthLibrary *library,
                                       SoupSession   *session);

/* Pulls @source (a model name, an hf.co/… name or a GGUF's https://
 * address) and returns its pull (borrowed); where a pull of that model is
 * in the list already, that one goes on. NULL, with the reason, where
 * @source cannot be pulled (HEARTH_STORE_ERROR_INVALID_NAME, or
 * HEARTH_STORE_ERROR_EXISTS where the model is installed). */
HearthPull *hearth_downloads_add (HearthDownloads  *self,
                                  const char       *source,
                                  GError          **error);

/* The pulls the store has records of and the list lacks. */
void hearth_downloads_restore (HearthDownloads *self);

/* The pull of the model named @name in the list (borrowed), or NULL. */
HearthPull *hearth_downloads_find (HearthDownloads *self,
                                   const char      *name);

/* Stops @pull, deletes what it received and takes it off the list. */
void hearth_downloads_cancel (HearthDownloads *self,
                              HearthPull      *pull);

G_END_DECLS
