/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GGUF reader: maps a file, validates every count, length and offset before
 * use, and exposes the metadata and the tensor table. Part of the public API
 * (included by ember.h). A loaded ember_gguf is read-only and may be used
 * from several threads at once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember-common.h"
#include "ember-types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EMBER_GGUF_TYPE_UINT8 = 0,
  EMBER_GGUF_TYPE_INT8 = 1,
  EMBER_GGUF_TYPE_UINT16 = 2,
  EMBER_GGUF_TYPE_INT16 = 3,
  EMBER_GGUF_TYPE_UINT32 = 4,
  EMBER_GGUF_TYPE_INT32 = 5,
  EMBER_GGUF_TYPE_FLOAT32 = 6,
  EMBER_GGUF_TYPE_BOOL = 7,
  EMBER_GGUF_TYPE_STRING = 8,
  EMBER_GGUF_TYPE_ARRAY = 9,
  EMBER_GGUF_TYPE_UINT64 = 10,
  EMBER_GGUF_TYPE_INT64 = 11,
  EMBER_GGUF_TYPE_FLOAT64 = 12,
} ember_gguf_type;

#define EMBER_GGUF_MAX_DIMS 4

typedef struct ember_gguf ember_gguf;
typedef struct ember_gguf_value ember_gguf_value;

/* A metadata value. Everything it points to is owned by the ember_gguf. */
struct ember_gguf_value {
  ember_gguf_type type;
  union {
    uint64_t u;      /* UINT8, UINT16, UINT32, UINT64 */
    int64_t i;       /* INT8, INT16, INT32, INT64 */
    double f;        /* FLOAT32, FLOAT64 */
    bool b;          /* BOOL */
    struct {
      const char *data;   /* NUL-terminated copy; may contain NUL bytes before length */
      uint64_t length;
    } string;
    struct {
      ember_gguf_type type;    /* element type */
      uint64_t count;
      /* Numeric and BOOL elements: packed, aligned, host byte order, of the
       * C type of that width (uint8_t … double; bool as uint8_t 0/1). */
      const void *data;
      /* STRING and ARRAY elements: one value each. NULL otherwise. */
      const ember_gguf_value *items;
    } array;
  };
};

typedef struct {
  const char *name;
  uint32_t n_dims;
  uint64_t dims[EMBER_GGUF_MAX_DIMS]; /* dims[0] is the contiguous row; unused ones are 1 */
  uint64_t n_elements;
  const ember_type_info *type;
  uint64_t offset;                    /* from the start of the data section */
  uint64_t size;                      /* bytes */
  const void *data;                   /* inside the mapping */
} ember_gguf_tensor;

/* Opens and validates @path. On failure *out is NULL and @error says what is
 * wrong with the file, naming the key or tensor at fault. */
ember_status ember_gguf_open (const char  *path,
                              ember_gguf **out,
                              ember_error *error);

/* The same over @size bytes at @data, which must outlive the result. */
ember_status ember_gguf_open_memory (const void  *data,
                                     size_t       size,
                                     ember_gguf **out,
                                     ember_error *error);

void ember_gguf_close (ember_gguf *gguf);

uint32_t ember_gguf_get_version (const ember_gguf *gguf);
uint64_t ember_gguf_get_file_size (const ember_gguf *gguf);
uint32_t ember_gguf_get_alignment (const ember_gguf *gguf);

/* ---- metadata, in file order */
uint64_t ember_gguf_get_n_kv (const ember_gguf *gguf);
const char *ember_gguf_get_key (const ember_gguf *gguf, uint64_t index);
const ember_gguf_value *ember_gguf_get_value (const ember_gguf *gguf, uint64_t index);
/* NULL when @key is absent. */
const ember_gguf_value *ember_gguf_find_value (const ember_gguf *gguf, const char *key);

/* Typed getters by key: false when the key is absent or its value has another
 * kind. Integer getters accept every integer type whose value fits. */
bool ember_gguf_get_uint (const ember_gguf *gguf, const char *key, uint64_t *value);
bool ember_gguf_get_int (const ember_gguf *gguf, const char *key, int64_t *value);
bool ember_gguf_get_float (const ember_gguf *gguf, const char *key, double *value);
bool ember_gguf_get_bool (const ember_gguf *gguf, const char *key, bool *value);
/* NULL when absent or not a string; *length (may be NULL) excludes the NUL. */
const char *ember_gguf_get_string (const ember_gguf *gguf, const char *key, uint64_t *length);
/* The array at @key, or NULL when absent or not an array. */
const ember_gguf_value *ember_gguf_get_array (const ember_gguf *gguf, const char *key);

/* ---- tensors, in file order */
uint64_t ember_gguf_get_n_tensors (const ember_gguf *gguf);
const ember_gguf_tensor *ember_gguf_get_tensor (const ember_gguf *gguf, uint64_t index);
const ember_gguf_tensor *ember_gguf_find_tensor (const ember_gguf *gguf, const char *name);

/* Bytes one value of scalar @type takes in a file (and as a host C value):
 * 1, 2, 4 or 8; 0 for STRING and ARRAY, whose sizes vary. */
uint32_t ember_gguf_type_size (ember_gguf_type type);

/* A static name for @type ("uint32", "string", "array"). */
const char *ember_gguf_type_to_string (ember_gguf_type type);

#ifdef __cplusplus
}
#endif
