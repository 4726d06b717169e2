/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GGUF file as the application sees it: the engine's reader behind a
 * reference-counted boxed type. The version, the size, the metadata (keys,
 * typed getters, values as JSON), the tensor table and the model's
 * description (architecture, size, quantization, shapes, chat template …).
 * Everything a getter returns is borrowed from the HearthGguf and lives as
 * long as it does. Read-only: usable from several threads at once.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HEARTH_GGUF_ERROR (hearth_gguf_error_quark ())

typedef enum
{
  HEARTH_GGUF_ERROR_INVALID,     /* cannot be read, or not a valid GGUF file */
  HEARTH_GGUF_ERROR_NOT_A_MODEL, /* valid GGUF, but no model (no general.architecture) */
} HearthGgufError;

GQuark hearth_gguf_error_quark (void);

#define HEARTH_TYPE_GGUF (hearth_gguf_get_type ())

typedef struct _HearthGguf HearthGguf;

GType hearth_gguf_get_type (void) G_GNUC_CONST;

/* Opens and validates @path. On failure the error (HEARTH_GGUF_ERROR_INVALID)
 * says what is wrong and names the file: "cannot open PATH: …", or
 * "PATH: reason" once the file is open. */
HearthGguf *hearth_gguf_open (const char  *path,
                              GError     **error);

/* Wraps the engine's own reader of a file that app/engine/ code already
 * opened (an ember_gguf, for instance that of a loaded model), without
 * copying or owning it: @reader must outlive the result. For code that holds
 * an engine object; everything else opens files with hearth_gguf_open (). */
HearthGguf *hearth_gguf_new_for_reader (gconstpointer reader);

HearthGguf *hearth_gguf_ref (HearthGguf *self);
void hearth_gguf_unref (HearthGguf *self);

/* The path it was opened from; NULL for a wrapped reader. */
const char *hearth_gguf_get_path (HearthGguf *self);
guint32 hearth_gguf_get_version (HearthGguf *self);
guint64 hearth_gguf_get_file_size (HearthGguf *self);

/* ---- metadata, in file order */

guint64 hearth_gguf_get_n_metadata (HearthGguf *self);
/* The key at @index (bytes from the file: not necessarily UTF-8). */
const char *hearth_gguf_get_key (HearthGguf *self,
                                 guint64     index);
/* The value's type: "uint32", "string", "array" … (static, untranslated). */
const char *hearth_gguf_get_value_type_name (HearthGguf *self,
                                             guint64     index);
/* The value at @index as JSON: numbers (unsigned ones above G_MAXINT64 as
 * doubles; NaN and infinities as null), booleans, strings (bytes that are
 * not UTF-8 replaced), arrays. An array with more than @max_array elements
 * (0: no limit), nested ones included, is summarised as {"type": "array",
 * "element_type": "…", "count": N}. Free with json_node_unref (). */
JsonNode *hearth_gguf_dup_value_json (HearthGguf *self,
                                      guint64     index,
                                      guint64     max_array);

gboolean hearth_gguf_has_key (HearthGguf *self,
                              const char *key);
/* The string at @key, or NULL where it is absent or not a string. The text
 * is NUL-terminated but may hold NUL bytes before *length (may be NULL). */
const char *hearth_gguf_get_string (HearthGguf *self,
                                    const char *key,
                                    gsize      *length);
/* FALSE where @key is absent or not an integer that fits. */
gboolean hearth_gguf_get_uint (HearthGguf *self,
                               const char *key,
                               guint64    *value);
/* Element @index of the string array at @key, or NULL where there is no
 * such array or element. */
const char *hearth_gguf_get_string_array_item (HearthGguf *self,
                                               const char *key,
                                               guint64     index,
                                               gsize      *length);
/* The text of the special token whose id the file keeps at @key
 * ("tokenizer.ggml.bos_token_id"), newly allocated; NULL where there is
 * none. */
char *hearth_gguf_dup_special_token (HearthGguf *self,
                                     const char *key);

/* ---- tensors, in file order */

#define HEARTH_GGUF_MAX_DIMS 4

typedef struct
{
  const char *name;
  const char *type_name;                 /* "F32", "Q4_K" … */
  guint n_dims;
  guint64 shape[HEARTH_GGUF_MAX_DIMS];   /* shape[0] is the contiguous row */
  guint64 n_elements;
  guint64 offset;                        /* from the start of the data section */
  guint64 size;                          /* bytes */
} HearthGgufTensor;

guint64 hearth_gguf_get_n_tensors (HearthGguf *self);
/* Fills @tensor (its strings borrowed from @self); FALSE past the end. */
gboolean hearth_gguf_get_tensor (HearthGguf       *self,
                                 guint64           index,
                                 HearthGgufTensor *tensor);

/* ---- the model's description */

#define HEARTH_MODEL_INFO_MAX_TYPES 16

typedef struct
{
  const char *type_name;  /* "Q4_K" */
  guint64 tensors;
  guint64 elements;
  guint64 bytes;
} HearthModelTypeUsage;

/* Numbers are 0 and strings NULL where the file does not say. */
typedef struct
{
  const char *architecture;       /* general.architecture */
  const char *name;               /* general.name */
  const char *license;            /* general.license */
  const char *chat_template;      /* tokenizer.chat_template */
  const char *tokenizer_model;    /* tokenizer.ggml.model */
  guint64 vocab_size;

  guint64 parameter_count;
  const char *parameter_label;    /* general.size_label, else "292.80K", "7.24B" */
  const char *file_type;          /* "Q4_K_M", else the dominant tensor type */
  guint64 tensor_bytes;

  guint64 context_length;
  guint64 embedding_length;
  guint64 block_count;
  guint64 feed_forward_length;
  guint64 head_count;
  guint64 head_count_kv;
  guint64 key_length;
  guint64 value_length;
  double rms_epsilon;
  guint64 rope_dimension_count;
  double rope_freq_base;          /* 10000 where the file does not say */
  gboolean rope_freq_base_default;
  const char *rope_scaling_type;  /* "linear", "yarn" …, or NULL */
  double rope_scaling_factor;
  guint64 rope_original_context_length;

  HearthModelTypeUsage types[HEARTH_MODEL_INFO_MAX_TYPES]; /* largest first */
  guint n_types;
} HearthModelInfo;

/* The description of the model the file holds, made once. NULL, with
 * HEARTH_GGUF_ERROR_NOT_A_MODEL, where the file holds no model (a
 * vocabulary only); the message does not name the file. */
const HearthModelInfo *hearth_gguf_get_model_info (HearthGguf  *self,
                                                   GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthGguf, hearth_gguf_unref)

G_END_DECLS
