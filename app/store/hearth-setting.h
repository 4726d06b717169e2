/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One of Hearth's string settings as the services read it: the environment
 * variable that overrides it, else the GSettings key where the schema is
 * installed (a command run outside `meson devenv` may not see it).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $@env_name when set and not empty, else the setting @key, else NULL. */
char *hearth_setting_get_string (const char *env_name,
                                 const char *key);

G_END_DECLS
