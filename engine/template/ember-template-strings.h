/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Python's string operations on UTF-8 values, shared by the methods and the
 * filters of the template interpreter. Each returns a pooled value, or NULL
 * after failing the render.
 */
#pragma once

#include <time.h>

#include "ember-template-private.h"

/* strip/lstrip/rstrip: @chars NULL for whitespace. */
ember_value *str_strip (tpl_render  *r,
                        ember_value *s,
                        ember_value *chars,
                        bool         left,
                        bool         right);
/* split/rsplit: @sep NULL for runs of whitespace; @maxsplit -1 for all. */
ember_value *str_split (tpl_render  *r,
                        ember_value *s,
                        ember_value *sep,
                        int64_t      maxsplit,
                        bool         from_right);
ember_value *str_replace (tpl_render  *r,
                          ember_value *s,
                          ember_value *old,
                          ember_value *new_text,
                          int64_t      count);
/* lower, upper, title (Python's), capitalize, swapcase. */
ember_value *str_case (tpl_render  *r,
                       ember_value *s,
                       const char  *how);
/* jinja2's |title filter (words begin after spaces, -, (, {, [, <). */
ember_value *str_title_filter (tpl_render  *r,
                               ember_value *s);
/* Index in code points, or -1. */
int64_t str_find (const ember_value *s,
                  const ember_value *sub,
                  bool               from_right);
int64_t str_count (const ember_value *s,
                   const ember_value *sub);
/* sep.join(items); @strict: items must be strings (Python), else str() them
 * (jinja2's |join). */
ember_value *str_join (tpl_render  *r,
                       ember_value *sep,
                       ember_value *items,
                       bool         strict);
ember_value *str_splitlines (tpl_render  *r,
                             ember_value *s,
                             bool         keepends);
/* isdigit, isalpha … by the part after "is". */
bool str_is (const ember_value *s,
             const char        *what);
/* center, ljust, rjust, zfill. */
ember_value *str_pad (tpl_render  *r,
                      ember_value *s,
                      int64_t      width,
                      const char  *how);
/* strftime in the C locale, as Python's is. */
ember_value *str_strftime (tpl_render      *r,
                           ember_value     *format,
                           const struct tm *tm);
