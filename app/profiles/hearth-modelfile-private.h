/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the Modelfile's reader (hearth-modelfile.c) and its writer
 * (hearth-modelfile-write.c) share: the characters and words of Ollama's
 * Modelfile grammar. Not public.
 */
#pragma once

#include <string.h>

#include "hearth-modelfile.h"

G_BEGIN_DECLS

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_line_end (char c)
{
  return c == '\n' || c == '\r';
}

static inline gboolean
is_message_role (const char *role)
{
  return g_str_equal (role, "system") || g_str_equal (role, "user")
         || g_str_equal (role, "assistant");
}

/* @needle in the @n bytes at @s (which may hold NUL bytes), or NULL. */
static inline const char *
find_in (const char *s,
         gsize       n,
         const char *needle)
{
  gsize k = strlen (needle);

  for (gsize i = 0; i + k <= n; i++)
    if (memcmp (s + i, needle, k) == 0)
      return s + i;
  return NULL;
}

/* golang.org/x/mod/semver's IsValid, after an optional "v". */
gboolean hearth_modelfile_is_semver_internal (const char *text);

G_END_DECLS
