/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The models in the store as the window shows them: HearthLibrary is a
 * GListModel of HearthModelItem, sorted by name, each described from its
 * GGUF file's header (family, parameters, quantization, context length) and
 * its manifest (size, modified). It follows the store: a model added or
 * removed by anyone (this Hearth, `hearth` on the command line, another
 * Hearth, Ollama writing the same store) is in the list, or out of it, a
 * moment later (the store's manifests folders are watched; a burst of
 * changes is read once, ~200 ms after it ends, on the main context that
 * made the library). refresh () reads the store at once; whoever changes
 * the store calls it, so that the change shows without waiting.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MODEL_ITEM (hearth_model_item_get_type ())
G_DECLARE_FINAL_TYPE (HearthModelItem, hearth_model_item, HEARTH, MODEL_ITEM, GObject)

const char *hearth_model_item_get_name (HearthModelItem *self);
const char *hearth_model_item_get_family (HearthModelItem *self);          /* "llama", or NULL */
const char *hearth_model_item_get_parameter_size (HearthModelItem *self);  /* "494.03M", or NULL */
const char *hearth_model_item_get_quantization (HearthModelItem *self);    /* "Q4_K_M", or NULL */
guint64 hearth_model_item_get_context_length (HearthModelItem *self);      /* 0: unknown */
guint64 hearth_model_item_get_size (HearthModelItem *self);                /* bytes of its files */
gint64 hearth_model_item_get_modified (HearthModelItem *self);             /* UNIX seconds */
const char *hearth_model_item_get_model_path (HearthModelItem *self);      /* its GGUF, or NULL */
/* From the GGUF header (0 / NULL where the file does not say) */
guint64 hearth_model_item_get_embedding_length (HearthModelItem *self);
guint64 hearth_model_item_get_block_count (HearthModelItem *self);
guint64 hearth_model_item_get_head_count (HearthModelItem *self);
guint64 hearth_model_item_get_head_count_kv (HearthModelItem *self);
guint64 hearth_model_item_get_vocab_size (HearthModelItem *self);
const char *hearth_model_item_get_license (HearthModelItem *self);
gboolean hearth_model_item_has_chat_template (HearthModelItem *self);
/* Where a model imported by link has its file (the blob is a symbolic link
 * to it), or NULL for a file in the store. */
const char *hearth_model_item_get_link_target (HearthModelItem *self);

/* Whether @path is a GGUF model the library can take (readable, a file,
 * the engine's reader accepts it and finds a model in it), before asking
 * anything of it; else the reason, naming the file once, for a person. */
gboolean hearth_library_check_file (const char  *path,
                                    GError     **error);

#define HEARTH_TYPE_LIBRARY (hearth_library_get_type ())
G_DECLARE_FINAL_TYPE (HearthLibrary, hearth_library, HEARTH, LIBRARY, GObject)

/* The library of @store, read once. */
HearthLibrary *hearth_library_new (HearthStore *store);

HearthStore *hearth_library_get_store (HearthLibrary *self);

/* Shows the models of @store instead (another folder chosen). */
void hearth_library_set_store (HearthLibrary *self,
                               HearthStore   *store);

/* Reads the store again; emits ::items-changed where the list changed. */
void hearth_library_refresh (HearthLibrary *self);

/* Bytes the store's models take on disk: every blob, a linked one as the
 * size of the file it links to; a file counted once however many models
 * or blobs lead to it. */
guint64 hearth_library_get_disk_usage (HearthLibrary *self);

/* How many of the models have their file linked from elsewhere. */
guint hearth_library_get_n_linked (HearthLibrary *self);

G_END_DECLS
