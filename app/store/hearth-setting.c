/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-setting"

#include "config.h"

#include <gio/gio.h>

#include "hearth-setting.h"

char *
hearth_setting_get_string (const char *env_name,
                           const char *key)
{
  const char *env = g_getenv (env_name);
  GSettingsSchemaSource *source;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  source = g_settings_schema_source_get_default ();
  if (source == NULL
      || (schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE)) == NULL
      || !g_settings_schema_has_key (schema, key))
    return NULL;
  settings = g_settings_new (APPLICATION_ID);
  return g_settings_get_string (settings, key);
}
