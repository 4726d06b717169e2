/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Profiles: a model of the store made from another with a Modelfile (a
 * base, a system prompt, parameters, a template, example messages), stored
 * as `ollama create` stores it. Every entry point makes, reads, exports and
 * lists them here: `hearth create` and `hearth show --modelfile`, the
 * interactive chat's /save, the Profiles page and its editor, a chat's
 * "Save as Profile…", and later `hearth serve`'s /api/create.
 */

#pragma once

#include <gio/gio.h>

#include "hearth-model-layers.h"
#include "hearth-modelfile.h"
#include "hearth-store.h"

G_BEGIN_DECLS

/* One line of progress, as `ollama create` prints them: "gathering model
 * components", "copying file sha256:… 100%", "using existing layer
 * sha256:…", "creating new layer sha256:…", "writing manifest",
 * "success". Not translated (scripts read them). */
typedef void (*HearthProfileProgress) (const char *status,
                                       gpointer    user_data);

/* The layers @modelfile's instructions make: its PARAMETERs typed as
 * Ollama stores them (stop strings gathered in one list), SYSTEM,
 * TEMPLATE, MESSAGEs, LICENSEs. Parameters Ollama no longer uses are left
 * out, each with a sentence in @warnings (char *, may be NULL). Fails where
 * hearth_modelfile_check () does. */
HearthModelLayers *hearth_profile_layers_from_modelfile (const HearthModelfile  *modelfile,
                                                         GPtrArray              *warnings,
                                                         GError                **error);

/* Writes model @name (replacing one of that name) from @modelfile, as
 * `ollama create` does: FROM a model of @store (its blobs shared), or FROM
 * a GGUF file (put in the store as a blob of its own, a copy, then used as
 * the base: no model is made of the file alone), or FROM "sha256:HEX", a
 * GGUF blob already in the store (uploaded to /api/blobs). @progress (may be NULL)
 * gets each step. Parameters left out (Ollama's deprecated ones) are left
 * out silently here: hearth_profile_layers_from_modelfile () tells a
 * caller that wants to say so. A FROM that is not in the store, a file that is not a
 * GGUF, an invalid name: an error that says so, and nothing written. */
gboolean hearth_profile_create (HearthStore            *store,
                                const char             *name,
                                const HearthModelfile  *modelfile,
                                HearthProfileProgress   progress,
                                gpointer                user_data,
                                GCancellable           *cancellable,
                                GError                **error);

typedef enum
{
  /* FROM the model it was made from (its base's name) and only what the
   * profile sets over its base, so that the text makes the same profile
   * (the same manifest) on another computer that has the base: for
   * export. A model made from no other (pulled, imported, made FROM a
   * GGUF file) is written as HEARTH_PROFILE_FROM_WEIGHTS writes it. */
  HEARTH_PROFILE_FROM_BASE,
  /* FROM the path of its weights' blob, as `ollama show --modelfile`
   * writes it, with the comment lines that tell to replace it. */
  HEARTH_PROFILE_FROM_WEIGHTS,
} HearthProfileFrom;

/* Model @name of @store as a Modelfile that hearth_profile_create () reads
 * back as the same layers. */
HearthModelfile *hearth_profile_to_modelfile (HearthStore        *store,
                                              const char         *name,
                                              HearthProfileFrom   from,
                                              GError            **error);

/* The model @name was made from (the "from" of its weights' layer, as
 * Ollama writes it: "llama3.2", "hf.co/org/repo:Q4_K_M"), or NULL where it
 * was made from no other model (or from a GGUF file). */
char *hearth_profile_get_base (HearthStore  *store,
                               const char   *name,
                               GError      **error);

/* One line on what @layers set, for a list: the system prompt's first
 * words and the parameters ("temperature 1 · “You are Mario from…”").
 * Translated; "" where they set nothing. */
char *hearth_profile_summary (const HearthModelLayers *layers);

typedef struct
{
  char *name;
  char *base;      /* hearth_profile_get_base () */
  char *summary;   /* hearth_profile_summary () */
  gint64 modified; /* UNIX seconds */
} HearthProfileInfo;

void hearth_profile_info_free (HearthProfileInfo *info);

/* The profiles of @store, sorted by name: the models made from another
 * (those with a base, and those on another server, whose base is
 * HOST:PORT/MODEL), each summarised by what it sets over its base. A
 * model whose layers cannot be read is listed with the reason as its
 * summary. */
GPtrArray *hearth_profile_list (HearthStore  *store,
                                GError      **error);

/* The value of Ollama parameter @param as PARAMETER lines write it: one
 * string for most, one per stop string; numbers the shortest text that
 * reads back as the same float32 or integer. */
GStrv hearth_profile_param_values (const HearthOllamaParam *param);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthProfileInfo, hearth_profile_info_free)

G_END_DECLS
