/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-store"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "hearth-model-name.h"

G_DEFINE_QUARK (hearth-store-error-quark, hearth_store_error)

/* What each part may hold: Ollama's limits, and no "." or ".." that a path
 * could be made of (a part starts with a letter or a digit; a tag may also
 * start with "_"). A host may carry a port. */
typedef enum {
  PART_HOST,
  PART_NAMESPACE,
  PART_MODEL,
  PART_TAG,
} Part;

static gboolean
part_is_valid (Part        part,
               const char *s,
               gsize       len)
{
  gsize max = part == PART_HOST ? 350 : 80;

  if (len == 0 || len > max)
    return FALSE;
  if (!g_ascii_isalnum (s[0]) && !(part == PART_TAG && s[0] == '_'))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (g_ascii_isalnum (c) || c == '_' || c == '-')
        continue;
      if (c == '.' && part != PART_NAMESPACE)
        continue;
      if (c == ':' && part == PART_HOST)
        continue;
      return FALSE;
    }
  return TRUE;
}

static const char *
part_name (Part part)
{
  switch (part)
    {
    case PART_HOST:
      return _("host");
    case PART_NAMESPACE:
      return _("namespace");
    case PART_MODEL:
      return _("model");
    case PART_TAG:
    default:
      return _("tag");
    }
}

void
hearth_model_name_free (HearthModelName *name)
{
  if (name == NULL)
    return;
  g_free (name->host);
  g_free (name->namespace_);
  g_free (name->model);
  g_free (name->tag);
  g_free (name);
}

HearthModelName *
hearth_model_name_parse (const char  *text,
                         GError     **error)
{
  g_autoptr (HearthModelName) name = g_new0 (HearthModelName, 1);
  g_auto (GStrv) parts = NULL;
  const char *s = text;
  const char *slash, *colon;
  guint n;
  struct {
    Part part;
    char **value;
  } checks[4];

  g_return_val_if_fail (text != NULL, NULL);

  if (g_str_has_prefix (s, "https://"))
    s += strlen ("https://");
  else if (g_str_has_prefix (s, "http://"))
    s += strlen ("http://");
  if (*s == '\0' || !g_utf8_validate (s, -1, NULL))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                   _("“%s” is not a model name"), text);
      return NULL;
    }

  /* the tag: after the last ':' that follows the last '/' */
  slash = strrchr (s, '/');
  colon = strrchr (slash != NULL ? slash : s, ':');
  if (colon != NULL)
    name->tag = g_strdup (colon + 1);
  else
    name->tag = g_strdup (HEARTH_MODEL_NAME_DEFAULT_TAG);

  {
    g_autofree char *path = g_strndup (s, colon != NULL ? (gsize) (colon - s) : strlen (s));

    parts = g_strsplit (path, "/", -1);
  }
  n = g_strv_length (parts);
  if (n == 0 || n > 3)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                   _("“%s” is not a model name: it has %u parts separated by “/” "
                   "(at most host/namespace/model)"), text, n);
      return NULL;
    }
  name->model = g_strdup (parts[n - 1]);
  name->namespace_ = g_strdup (n >= 2 ? parts[n - 2] : HEARTH_MODEL_NAME_DEFAULT_NAMESPACE);
  name->host = g_strdup (n == 3 ? parts[0] : HEARTH_MODEL_NAME_DEFAULT_HOST);

  checks[0].part = PART_HOST, checks[0].value = &name->host;
  checks[1].part = PART_NAMESPACE, checks[1].value = &name->namespace_;
  checks[2].part = PART_MODEL, checks[2].value = &name->model;
  checks[3].part = PART_TAG, checks[3].value = &name->tag;
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    if (!part_is_valid (checks[i].part, *checks[i].value, strlen (*checks[i].value)))
      {
        if (checks[i].part == PART_NAMESPACE)
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                       _("“%s” is not a model name: its %s “%s” may hold only letters, digits, "
                         "“_” and “-”, and must start with a letter or a digit"),
                       text, part_name (checks[i].part), *checks[i].value);
        else
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                       _("“%s” is not a model name: its %s “%s” may hold only letters, digits, "
                         "“_”, “-” and “.”, and must start with a letter or a digit"),
                       text, part_name (checks[i].part), *checks[i].value);
        return NULL;
      }
  return g_steal_pointer (&name);
}

char *
hearth_model_name_to_full_string (const HearthModelName *name)
{
  return g_strdup_printf ("%s/%s/%s:%s", name->host, name->namespace_, name->model, name->tag);
}

char *
hearth_model_name_to_string (const HearthModelName *name)
{
  if (g_ascii_strcasecmp (name->host, HEARTH_MODEL_NAME_DEFAULT_HOST) == 0
      && g_str_equal (name->namespace_, HEARTH_MODEL_NAME_DEFAULT_NAMESPACE))
    return g_strdup_printf ("%s:%s", name->model, name->tag);
  return hearth_model_name_to_full_string (name);
}

char *
hearth_model_name_manifest_path (const HearthModelName *name,
                                 const char            *root)
{
  return g_build_filename (root, "manifests", name->host, name->namespace_, name->model,
                           name->tag, NULL);
}
