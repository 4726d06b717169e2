/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model's own layers beside its weights, as Ollama stores them: params
 * (a JSON object of Ollama's parameters), system, template, messages (a
 * JSON array of {role, content}) and license; read from a model of the
 * store, and written as a model derived from another, byte for byte as
 * `ollama create` writes it (the same blobs, the same manifest).
 */
#pragma once

#include <glib.h>

#include "hearth-ollama-json.h"
#include "hearth-rules.h"
#include "hearth-store.h"

G_BEGIN_DECLS

/* The most bytes one of these layers may have (they are text). */
#define HEARTH_MODEL_LAYERS_MAX_BYTES (8 * 1024 * 1024)

typedef struct {
  GPtrArray *params;    /* HearthOllamaParam, sorted by name; empty when none */
  char *system;         /* or NULL */
  char *template;       /* or NULL */
  GPtrArray *messages;  /* HearthOllamaMessage; empty when none */
  GPtrArray *licenses;  /* char *, in the manifest's order; empty when none */
  HearthRules *rules;   /* Hearth's rules layer, compiled, or NULL */
} HearthModelLayers;

HearthModelLayers *hearth_model_layers_new (void);
void hearth_model_layers_free (HearthModelLayers *layers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModelLayers, hearth_model_layers_free)

/* The layers of model @name (where a type comes more than once, the last
 * one, as Ollama reads them; every license). Fails with
 * HEARTH_STORE_ERROR_CORRUPT, naming the model and the layer, where a
 * layer's blob is missing, larger than HEARTH_MODEL_LAYERS_MAX_BYTES or not
 * its manifest's size, or where params is not a JSON object of booleans,
 * numbers, strings and lists of strings, or messages not a JSON array of
 * objects whose role and content are strings. Text that is not UTF-8 is
 * read as Go reads it into JSON (each bad byte U+FFFD). */
HearthModelLayers *hearth_model_layers_read (HearthStore  *store,
                                             const char   *name,
                                             GError      **error);

/* The params layer's bytes @data (@len) read as a list of
 * HearthOllamaParam; @what names it in messages. */
GPtrArray *hearth_model_layers_parse_params (const char  *data,
                                             gsize        len,
                                             const char  *what,
                                             GError     **error);

/* Whether @text names a model on another server as FROM takes it,
 * "http://HOST:PORT/MODEL" (or https): its address into *@host
 * ("http://HOST:PORT") and the model's name there into *@model. */
gboolean hearth_model_layers_parse_remote (const char  *text,
                                           char       **host,
                                           char       **model);

/* Whether model @name of @store lives on another server (a manifest with
 * no weights whose config names "remote_host" and "remote_model", as
 * Ollama keeps such models): the two into *@host and *@model. */
gboolean hearth_model_layers_read_remote (HearthStore  *store,
                                          const char   *name,
                                          char        **host,
                                          char        **model);

/* Writes model @name (replacing one of that name, as `ollama create`
 * does) made from @base, either a model of @store, the digest
 * ("sha256:HEX") of a GGUF blob in it, or a model on another server
 * ("http://HOST:PORT/MODEL": its config says where, and it has no
 * weights), and @layers, as `ollama create`
 * does with a Modelfile "FROM @base" and those layers: @base's layers,
 * its GGUF blob shared (never copied), each marked "from" @base; a
 * template or system prompt of @layers replacing @base's; licenses added
 * after @base's; params merged with @base's (those of @layers win) into
 * one params layer; messages of @layers replacing @base's; then a config
 * blob and the manifest. New blobs are named by the SHA-256 of their
 * bytes, so the same content is the same blob. */
gboolean hearth_model_layers_write (HearthStore              *store,
                                    const char               *name,
                                    const char               *base,
                                    const HearthModelLayers  *layers,
                                    GError                  **error);

G_END_DECLS
