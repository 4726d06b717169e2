/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal helpers shared by the engine's files. Not installed, not public.
 */
#pragma once

#include "ember-common.h"

#if defined(__GNUC__)
# define EMBER_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
# define EMBER_PRINTF(f, a)
#endif

/* Fills @error (if not NULL) and returns @status, so that a failure reads
 * `return ember_error_set (error, EMBER_ERROR_…, "…", …);`. */
ember_status ember_error_set (ember_error *error,
                              ember_status status,
                              const char  *format,
                              ...) EMBER_PRINTF (3, 4);

/* Grows the array whose pointer is at @data_ptr (a `T **`), of *cap elements
 * of @elem_size bytes, so that it holds at least @need; capacities double
 * from @first. False when memory runs out (the array is then unchanged). */
bool ember_grow (void   *data_ptr,
                 size_t *cap,
                 size_t  need,
                 size_t  elem_size,
                 size_t  first);

/* Logs through the callback, if there is one. */
void ember_log (ember_log_func  func,
                void           *user_data,
                ember_log_level level,
                const char     *format,
                ...) EMBER_PRINTF (4, 5);
