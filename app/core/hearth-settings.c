/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-settings"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-go-template.h"
#include "hearth-ollama-template.h"
#include "hearth-settings.h"

struct _HearthSettings
{
  HearthOptions options;
  GPtrArray *stop;              /* char *, NULL-terminated */
  char *system;
  GHashTable *sources;          /* name → HearthSettingSource; absent: the default */
  GPtrArray *messages;          /* the model's examples: role, content, role, content … */
  char *template_text;          /* the model's own Jinja template, or NULL */
  HearthRules *rules;           /* the model's (a profile's) rules, or NULL */
};

HearthSettings *
hearth_settings_new (void)
{
  HearthSettings *self = g_new0 (HearthSettings, 1);

  hearth_options_init (&self->options);
  self->stop = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->stop, NULL);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->messages = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
hearth_settings_free (HearthSettings *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->stop);
  g_free (self->system);
  g_hash_table_unref (self->sources);
  g_ptr_array_unref (self->messages);
  g_free (self->template_text);
  g_clear_pointer (&self->rules, hearth_rules_unref);
  g_free (self);
}

const char *
hearth_setting_source_to_string (HearthSettingSource source)
{
  switch (source)
    {
    case HEARTH_SETTING_MODEL:
      return _("the model");
    case HEARTH_SETTING_CHAT:
      return _("this chat");
    case HEARTH_SETTING_REPLY:
      return _("this reply");
    case HEARTH_SETTING_REQUEST:
      return _("the request");
    case HEARTH_SETTING_DEFAULT:
    default:
      return _("the default");
    }
}

/* A JSON scalar as the text a Modelfile's PARAMETER line would hold. */
static char *
scalar_text (JsonNode *node)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    default:
      return NULL;
    }
}

static const char *
level_name (HearthSettingSource source)
{
  return hearth_setting_source_to_string (source);
}

gboolean
hearth_settings_apply_json (HearthSettings       *self,
                            JsonObject           *params,
                            HearthSettingSource   source,
                            GError              **error)
{
  HearthOptions options;
  g_autoptr (GPtrArray) stop = NULL;
  g_autoptr (GPtrArray) set = g_ptr_array_new ();
  g_autofree char *system = NULL;
  gboolean has_system = FALSE;
  g_autoptr (GList) members = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (params == NULL)
    return TRUE;
  options = self->options;
  members = json_object_get_members (params);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (params, name);

      if (g_str_equal (name, "stop"))
        {
          stop = g_ptr_array_new_with_free_func (g_free);
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_ptr_array_add (stop, g_strdup (json_node_get_string (node)));
          else if (JSON_NODE_HOLDS_ARRAY (node))
            {
              JsonArray *array = json_node_get_array (node);

              for (guint i = 0; i < json_array_get_length (array); i++)
                {
                  JsonNode *item = json_array_get_element (array, i);

                  if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
                    {
                      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID,
                                   _("stop (from %s) must be a list of texts"), level_name (source));
                      return FALSE;
                    }
                  g_ptr_array_add (stop, g_strdup (json_node_get_string (item)));
                }
            }
          else
            {
              g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("stop (from %s) must be a list of texts"),
                           level_name (source));
              return FALSE;
            }
          g_ptr_array_add (stop, NULL);
          g_ptr_array_add (set, (gpointer) name);
        }
      else if (g_str_equal (name, "system"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("system (from %s) must be a text"),
                           level_name (source));
              return FALSE;
            }
          g_free (system);
          system = g_strdup (json_node_get_string (node));
          has_system = TRUE;
          g_ptr_array_add (set, (gpointer) name);
        }
      else
        {
          g_autofree char *text = scalar_text (node);
          g_autoptr (GError) local = NULL;

          if (text != NULL && hearth_options_set (&options, name, text, &local))
            g_ptr_array_add (set, (gpointer) name);
          else if (g_error_matches (local, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_UNKNOWN)
                   && (source == HEARTH_SETTING_MODEL || source == HEARTH_SETTING_REQUEST))
            g_debug ("%s (from %s) is not a setting Hearth uses; left out", name, level_name (source));
          else if (local != NULL)
            {
              /* the message names the parameter already */
              g_set_error (error, HEARTH_OPTIONS_ERROR, local->code, _("%s (from %s)"), local->message,
                           level_name (source));
              return FALSE;
            }
          else
            {
              g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("%s (from %s): %s"),
                           name, level_name (source), _("not a number"));
              return FALSE;
            }
        }
    }
  {
    g_autoptr (GError) local = NULL;

    if (!hearth_options_validate (&options, &local))
      {
        g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("%s (from %s)"), local->message,
                     level_name (source));
        return FALSE;
      }
  }

  /* all of it, or nothing */
  self->options = options;
  if (stop != NULL)
    {
      g_ptr_array_unref (self->stop);
      self->stop = g_steal_pointer (&stop);
    }
  if (has_system)
    {
      g_free (self->system);
      self->system = g_steal_pointer (&system);
    }
  for (guint i = 0; i < set->len; i++)
    g_hash_table_insert (self->sources, g_strdup (set->pdata[i]), GINT_TO_POINTER (source));
  return TRUE;
}

gboolean
hearth_settings_apply_text (HearthSettings       *self,
                            const char           *json,
                            HearthSettingSource   source,
                            GError              **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  g_return_val_if_fail (self != NULL, FALSE);

  if (json == NULL || *json == '\0')
    return TRUE;
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("The settings of %s are not JSON: %s"),
                   level_name (source), local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("The settings of %s are not a JSON object"),
                   level_name (source));
      return FALSE;
    }
  return hearth_settings_apply_json (self, json_node_get_object (root), source, error);
}

gboolean
hearth_settings_apply_model (HearthSettings           *self,
                             const HearthModelLayers  *layers,
                             GError                  **error)
{
  g_return_val_if_fail (self != NULL && layers != NULL, FALSE);

  if (layers->params->len > 0)
    {
      g_autoptr (GBytes) bytes = hearth_ollama_json_params (layers->params, error);
      g_autofree char *text = NULL;

      if (bytes == NULL)
        return FALSE;
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (!hearth_settings_apply_text (self, text, HEARTH_SETTING_MODEL, error))
        return FALSE;
    }
  if (layers->system != NULL)
    {
      g_free (self->system);
      self->system = g_strdup (layers->system);
      g_hash_table_insert (self->sources, g_strdup ("system"), GINT_TO_POINTER (HEARTH_SETTING_MODEL));
    }
  g_ptr_array_set_size (self->messages, 0);
  for (guint i = 0; i < layers->messages->len; i++)
    {
      const HearthOllamaMessage *m = layers->messages->pdata[i];

      g_ptr_array_add (self->messages, g_strdup (m->role));
      g_ptr_array_add (self->messages, g_strdup (m->content));
    }
  g_clear_pointer (&self->template_text, g_free);
  self->template_text = g_strdup (layers->template);
  g_clear_pointer (&self->rules, hearth_rules_unref);
  if (layers->rules != NULL)
    self->rules = hearth_rules_ref (layers->rules);
  return TRUE;
}

HearthSettings *
hearth_settings_new_for_model (HearthStore          *store,
                               const char           *model,
                               const HearthOptions  *base,
                               GError              **error)
{
  g_autoptr (HearthSettings) self = hearth_settings_new ();
  g_autoptr (HearthModelLayers) layers = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  if (base != NULL)
    self->options = *base;
  if (model == NULL)
    return g_steal_pointer (&self);
  layers = hearth_model_layers_read (store, model, error);
  if (layers == NULL || !hearth_settings_apply_model (self, layers, error))
    return NULL;
  /* A GGUF imported by Hearth carries its own Jinja template and a Go
   * template Hearth wrote beside it for Ollama (the family's, from
   * data/ollama/): the exact one is the file's, which the engine reads by
   * itself. Any other template of the model's own (a profile's TEMPLATE, a
   * model from Ollama's registry) is what the model reads, as in Ollama. */
  if (self->template_text != NULL && hearth_go_template_is_go_syntax (self->template_text))
    {
      g_autofree char *path = hearth_store_get_model_path (store, model, NULL);
      g_autoptr (HearthGguf) gguf = path != NULL ? hearth_gguf_open (path, NULL) : NULL;
      g_autoptr (HearthOllamaTemplate) ours = gguf != NULL ? hearth_ollama_template_new_for_gguf (gguf) : NULL;

      if (ours != NULL && g_strcmp0 (ours->template, self->template_text) == 0)
        g_clear_pointer (&self->template_text, g_free);
    }
  return g_steal_pointer (&self);
}

const HearthOptions *
hearth_settings_get_options (HearthSettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->options;
}

const char *const *
hearth_settings_get_stop (HearthSettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->stop->pdata;
}

const char *
hearth_settings_get_template (HearthSettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->template_text;
}

const char *
hearth_settings_get_system (HearthSettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->system;
}

HearthRules *
hearth_settings_get_rules (HearthSettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->rules;
}

HearthSettingSource
hearth_settings_get_source (HearthSettings *self,
                            const char     *name)
{
  g_return_val_if_fail (self != NULL && name != NULL, HEARTH_SETTING_DEFAULT);
  return GPOINTER_TO_INT (g_hash_table_lookup (self->sources, name));
}

void
hearth_settings_apply_to (HearthSettings *self,
                          HearthRequest  *request)
{
  g_return_if_fail (self != NULL && request != NULL);

  request->options = self->options;
  g_strfreev (request->stop);
  request->stop = self->stop->len > 1 ? g_strdupv ((char **) self->stop->pdata) : NULL;
  if (self->system != NULL && *self->system != '\0'
      && (request->roles->len == 0 || !g_str_equal (request->roles->pdata[0], "system")))
    {
      g_ptr_array_insert (request->roles, 0, g_strdup ("system"));
      g_ptr_array_insert (request->contents, 0, g_strdup (self->system));
    }
  /* the model's examples, after the system message, before the rest */
  if (self->messages->len > 0)
    {
      guint at = request->roles->len > 0 && g_str_equal (request->roles->pdata[0], "system") ? 1 : 0;

      for (guint i = 0; i + 1 < self->messages->len; i += 2, at++)
        {
          g_ptr_array_insert (request->roles, (gint) at, g_strdup (self->messages->pdata[i]));
          g_ptr_array_insert (request->contents, (gint) at, g_strdup (self->messages->pdata[i + 1]));
        }
    }
  if (self->template_text != NULL && request->template_text == NULL)
    request->template_text = g_strdup (self->template_text);
  if (self->rules != NULL)
    hearth_rules_set_on_request (self->rules, request);
}
