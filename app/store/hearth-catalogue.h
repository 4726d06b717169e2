/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The catalogue of recommended models (data/catalogue.json, in the
 * resources): Ollama names, sizes per quantization, what running each
 * needs, licence and languages. Read and checked by hearth_catalogue_load ();
 * an entry that is not well formed is an error naming it, not a guess.
 */
#pragma once

#include <glib.h>

#include "hearth-fit.h"

G_BEGIN_DECLS

typedef struct {
  char *tag;            /* the Ollama name to pull: "qwen2.5:0.5b-instruct-q8_0" */
  char *quant;          /* "Q8_0" */
  guint64 size;         /* bytes of the download */
} HearthCatalogueQuant;

typedef struct {
  char *name;           /* "qwen2.5:0.5b" */
  char *title;          /* "Qwen2.5 0.5B" */
  char *family;         /* the GGUF architecture: "qwen2" */
  char *parameters;     /* "494M" */
  char *description;    /* in the user's language where the file has it, else English */
  char *license;
  char **languages;     /* ISO 639-1 codes */
  gboolean chinese;     /* strong in Chinese */
  guint64 context_length;
  guint64 cache_bytes;  /* the KV cache at Hearth's default context */
  GPtrArray *quants;    /* HearthCatalogueQuant, the default first */
} HearthCatalogueModel;

void hearth_catalogue_model_free (HearthCatalogueModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthCatalogueModel, hearth_catalogue_model_free)

/* The models described by @data (@len bytes of JSON), as
 * HearthCatalogueModel; @languages: the user's languages, best first, as
 * g_get_language_names () gives them (NULL: English). */
GPtrArray *hearth_catalogue_parse (const char          *data,
                                   gsize                len,
                                   const char * const  *languages,
                                   GError             **error);

/* The catalogue in Hearth's resources, in the user's language. */
GPtrArray *hearth_catalogue_load (GError **error);

/* Will @quant of @model fit on a computer with @gpu_bytes of GPU memory
 * (0: none) and @ram_bytes of RAM? */
void hearth_catalogue_fit (const HearthCatalogueModel *model,
                           const HearthCatalogueQuant *quant,
                           guint64                     gpu_bytes,
                           guint64                     ram_bytes,
                           HearthFit                  *fit);

G_END_DECLS
