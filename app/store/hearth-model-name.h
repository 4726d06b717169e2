/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Model names as Ollama parses them: [HOST/][NAMESPACE/]MODEL[:TAG], with
 * registry.ollama.ai, library and latest where a part is left out
 * ("qwen2.5:0.5b", "library/qwen2.5:latest", "hf.co/user/repo:Q4_K_M").
 * Every part is checked so that no name can reach outside the store.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_MODEL_NAME_DEFAULT_HOST "registry.ollama.ai"
#define HEARTH_MODEL_NAME_DEFAULT_NAMESPACE "library"
#define HEARTH_MODEL_NAME_DEFAULT_TAG "latest"

#define HEARTH_STORE_ERROR (hearth_store_error_quark ())

typedef enum {
  HEARTH_STORE_ERROR_INVALID_NAME,
  HEARTH_STORE_ERROR_NOT_FOUND,
  HEARTH_STORE_ERROR_EXISTS,
  HEARTH_STORE_ERROR_CORRUPT,
  HEARTH_STORE_ERROR_IO,
  HEARTH_STORE_ERROR_WONT_FIT,    /* too big for this computer's memory */
} HearthStoreError;

GQuark hearth_store_error_quark (void);

typedef struct {
  char *host;
  char *namespace_;
  char *model;
  char *tag;
} HearthModelName;

/* Parses @text; NULL with HEARTH_STORE_ERROR_INVALID_NAME and a message
 * saying which part is wrong. A leading "http://" or "https://" is dropped,
 * as Ollama does. */
HearthModelName *hearth_model_name_parse (const char  *text,
                                          GError     **error);
void hearth_model_name_free (HearthModelName *name);

/* "model:tag" for Ollama's own library, else "host/namespace/model:tag". */
char *hearth_model_name_to_string (const HearthModelName *name);

/* "host/namespace/model:tag", always. */
char *hearth_model_name_to_full_string (const HearthModelName *name);

/* @root/manifests/host/namespace/model/tag */
char *hearth_model_name_manifest_path (const HearthModelName *name,
                                       const char            *root);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModelName, hearth_model_name_free)

G_END_DECLS
