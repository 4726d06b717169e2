/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What there is to say about a model: its GGUF file (what the file says of
 * itself, its metadata and tensors), its own layers (a profile's system
 * prompt, parameters, template, messages, licenses) and the settings a chat
 * with it starts with. `hearth show` prints it; `hearth serve`'s /api/show
 * answers it in Ollama's shape (ShowResponse), from the same description.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hearth-gguf.h"
#include "hearth-model-layers.h"
#include "hearth-settings.h"
#include "hearth-store.h"

G_BEGIN_DECLS

typedef struct {
  char *name;                   /* the store's name ("tiny:latest"), NULL for a file of its own */
  char *path;                   /* the GGUF file (a blob of the store, or the file) */
  HearthGguf *gguf;
  const HearthModelInfo *info;  /* of @gguf */
  HearthModelLayers *layers;    /* the model's own; NULL for a file */
  HearthSettings *settings;     /* what a chat starts with; NULL for a file */
  char *parent_model;           /* what it was made from (hearth_profile_get_base ()), or NULL */
  gint64 modified;              /* its manifest's modification time, UNIX seconds (0 for a file) */
} HearthModelDescription;

/* Model @name of @store described. A name that is none, or not in the
 * store: HEARTH_STORE_ERROR_INVALID_NAME or _NOT_FOUND; damaged layers:
 * HEARTH_STORE_ERROR_CORRUPT; a file the GGUF reader refuses: its error. */
HearthModelDescription *hearth_model_description_new (HearthStore  *store,
                                                      const char   *name,
                                                      GError      **error);

/* The GGUF file at @path, outside the store (no layers, no settings). */
HearthModelDescription *hearth_model_description_new_for_file (const char  *path,
                                                               GError     **error);

void hearth_model_description_free (HearthModelDescription *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModelDescription, hearth_model_description_free)

/* The file's metadata as a JSON object, key by key (keys that are not
 * UTF-8 left out), as hearth_gguf_dup_value_json () writes each value:
 * arrays longer than @max_array (0: no limit) summarised. */
JsonNode *hearth_model_description_dup_metadata (HearthModelDescription *self,
                                                 guint64                 max_array);

/* @layers' parameters as `ollama show --parameters` prints them and
 * Ollama's /api/show gives them: a line each ("%-30s %s", one per stop
 * string, text in Go's quotes), "" where there are none. */
char *hearth_model_description_format_parameters (const HearthModelLayers *layers);

/* Ollama's ShowResponse for model @self (from the store) of @store:
 * license, modelfile (as `hearth show --modelfile` writes it), parameters,
 * template, system, details, messages, model_info (the metadata without
 * general.name and tokenizer.chat_template, with general.parameter_count;
 * arrays longer than 5 given as [] unless @verbose), tensors (with
 * @verbose), capabilities (what Hearth can do with it: "completion") and
 * modified_at. NULL where the Modelfile cannot be written (damaged
 * layers). */
JsonNode *hearth_model_description_to_ollama (HearthModelDescription  *self,
                                              HearthStore             *store,
                                              gboolean                 verbose,
                                              GError                 **error);

G_END_DECLS
