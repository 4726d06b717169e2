/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GGUF writer: version 3, little-endian, tensors aligned to general.alignment
 * (32 unless set, up to 64). Used by the tests to make model fixtures. Misuse
 * (a missing name, rows that are not whole blocks, no memory) is remembered
 * and reported by the write functions; adding never fails loudly.
 */
#pragma once

#include "ember-common.h"
#include "ember-gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_gguf_writer ember_gguf_writer;

/* NULL only when out of memory. */
ember_gguf_writer *ember_gguf_writer_new (void);
void ember_gguf_writer_free (ember_gguf_writer *w);

/* Metadata, in the order added. @value points at a host C value of @type. */
void ember_gguf_writer_add_scalar (ember_gguf_writer *w, const char *key,
                                   ember_gguf_type type, const void *value);
void ember_gguf_writer_add_uint32 (ember_gguf_writer *w, const char *key, uint32_t value);
void ember_gguf_writer_add_float32 (ember_gguf_writer *w, const char *key, float value);
void ember_gguf_writer_add_bool (ember_gguf_writer *w, const char *key, bool value);
void ember_gguf_writer_add_string (ember_gguf_writer *w, const char *key, const char *value);
/* An array of @count scalars of @element_type, host C values packed at @values. */
void ember_gguf_writer_add_array (ember_gguf_writer *w, const char *key,
                                  ember_gguf_type element_type, const void *values,
                                  uint64_t count);
void ember_gguf_writer_add_string_array (ember_gguf_writer *w, const char *key,
                                         const char *const *values, uint64_t count);
/* A value of @type whose encoding (as in the file, after the type) is given
 * as is: nested arrays, or deliberately odd values for tests. */
void ember_gguf_writer_add_raw (ember_gguf_writer *w, const char *key, ember_gguf_type type,
                                const void *encoded, size_t length);

/* A tensor; @data (copied) holds its bytes in the type's block layout, or is
 * NULL for zeros. dims[0] is the contiguous row. */
void ember_gguf_writer_add_tensor (ember_gguf_writer *w, const char *name, ember_type type,
                                   uint32_t n_dims, const uint64_t *dims, const void *data);

/* The file's bytes, newly allocated (free() them). */
ember_status ember_gguf_writer_write_memory (ember_gguf_writer *w, uint8_t **out, size_t *size,
                                             ember_error *error);
ember_status ember_gguf_writer_write_file (ember_gguf_writer *w, const char *path,
                                           ember_error *error);

#ifdef __cplusplus
}
#endif
