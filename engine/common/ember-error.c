/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-private.h"

const char *
ember_version (void)
{
  return PACKAGE_VERSION;
}

const char *
ember_status_to_string (ember_status status)
{
  switch (status)
    {
    case EMBER_OK:
      return "ok";
    case EMBER_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case EMBER_ERROR_NO_DEVICE:
      return "no device";
    case EMBER_ERROR_VULKAN:
      return "Vulkan error";
    case EMBER_ERROR_OUT_OF_MEMORY:
      return "out of memory";
    case EMBER_ERROR_DEVICE_LOST:
      return "device lost";
    case EMBER_ERROR_CONTEXT_FULL:
      return "context full";
    case EMBER_ERROR_CANCELLED:
      return "cancelled";
    default:
      return "unknown status";
    }
}

ember_status
ember_error_set (ember_error *error,
                 ember_status status,
                 const char  *format,
                 ...)
{
  va_list args;

  if (error == NULL)
    return status;

  error->status = status;
  va_start (args, format);
  vsnprintf (error->message, sizeof error->message, format, args);
  va_end (args);

  return status;
}

bool
ember_grow (void   *data_ptr,
            size_t *cap,
            size_t  need,
            size_t  elem_size,
            size_t  first)
{
  void *data, *grown;
  size_t c = *cap > 0 ? *cap : first;

  if (need <= *cap)
    return true;
  while (c < need)
    {
      if (c > SIZE_MAX / 2)
        return false;
      c *= 2;
    }
  if (c > SIZE_MAX / elem_size)
    return false;
  memcpy (&data, data_ptr, sizeof data);
  grown = realloc (data, c * elem_size);
  if (grown == NULL)
    return false;
  memcpy (data_ptr, &grown, sizeof grown);
  *cap = c;
  return true;
}

void
ember_log (ember_log_func  func,
           void           *user_data,
           ember_log_level level,
           const char     *format,
           ...)
{
  char message[1024];
  va_list args;

  if (func == NULL)
    return;

  va_start (args, format);
  vsnprintf (message, sizeof message, format, args);
  va_end (args);

  func (level, message, user_data);
}
