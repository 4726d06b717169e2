/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ember's common vocabulary: status codes, the error struct every fallible
 * call fills, logging. Every other engine header builds on this one; users
 * include ember.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ------------------------------------------------ */

typedef enum {
  EMBER_OK = 0,
  EMBER_ERROR_INVALID_ARGUMENT,
  EMBER_ERROR_NO_DEVICE,      /* no usable Vulkan device, or the one asked for is missing */
  EMBER_ERROR_VULKAN,         /* any other failure reported by the Vulkan driver */
  EMBER_ERROR_OUT_OF_MEMORY,  /* host or device memory */
  EMBER_ERROR_DEVICE_LOST,
  EMBER_ERROR_CONTEXT_FULL,   /* the tokens do not fit in the context: nothing was changed */
  EMBER_ERROR_CANCELLED,
} ember_status;

#define EMBER_ERROR_MESSAGE_MAX 512

typedef struct {
  ember_status status;
  char message[EMBER_ERROR_MESSAGE_MAX];
} ember_error;

/* A static, untranslated name for @status ("no device"). Never NULL. */
const char *ember_status_to_string (ember_status status);

/* The engine's version string ("0.1.0"); static. */
const char *ember_version (void);

/* ---- logging ------------------------------------------------------------ */

typedef enum {
  EMBER_LOG_LEVEL_DEBUG,
  EMBER_LOG_LEVEL_INFO,
  EMBER_LOG_LEVEL_WARNING,
} ember_log_level;

/* Called synchronously from the thread that made the engine call. */
typedef void (*ember_log_func) (ember_log_level level,
                                const char     *message,
                                void           *user_data);

#ifdef __cplusplus
}
#endif
