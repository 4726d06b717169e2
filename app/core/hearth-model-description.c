/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model described once, for `hearth show` and /api/show alike. Ollama's
 * ShowResponse (api/types.go, server/routes.go GetModelInfo) is the shape
 * of hearth_model_description_to_ollama (); what Hearth cannot do with a
 * model (tools, thinking, images) is not claimed in its capabilities.
 */

#define G_LOG_DOMAIN "hearth-model-description"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-model-description.h"
#include "hearth-profile.h"

/* Ollama gives arrays of the metadata longer than this as [] unless
 * asked to be verbose (server/routes.go getModelData). */
#define OLLAMA_ARRAY_LIMIT 5

/* Ollama's "%-30s" of a parameter's name. */
#define OLLAMA_PARAMETER_WIDTH 30

static gboolean
open_file (HearthModelDescription  *self,
           GError                 **error)
{
  self->gguf = hearth_gguf_open (self->path, error);
  if (self->gguf == NULL)
    return FALSE;
  self->info = hearth_gguf_get_model_info (self->gguf, error);
  if (self->info == NULL)
    g_prefix_error (error, "%s: ", self->path);
  return self->info != NULL;
}

HearthModelDescription *
hearth_model_description_new (HearthStore  *store,
                              const char   *name,
                              GError      **error)
{
  g_autoptr (HearthModelDescription) self = g_new0 (HearthModelDescription, 1);
  g_autoptr (HearthModelName) parsed = NULL;
  g_autofree char *manifest = NULL;
  GStatBuf st;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  parsed = hearth_model_name_parse (name, error);
  if (parsed == NULL)
    return NULL;
  self->name = hearth_model_name_to_string (parsed);
  self->path = hearth_store_get_model_path (store, name, error);
  if (self->path == NULL)
    return NULL;
  self->layers = hearth_model_layers_read (store, name, error);
  if (self->layers == NULL)
    return NULL;
  self->settings = hearth_settings_new_for_model (store, name, NULL, error);
  if (self->settings == NULL)
    return NULL;
  self->parent_model = hearth_profile_get_base (store, name, NULL);
  manifest = hearth_model_name_manifest_path (parsed, hearth_store_get_root (store));
  if (g_stat (manifest, &st) == 0)
    self->modified = st.st_mtime;
  if (!open_file (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

HearthModelDescription *
hearth_model_description_new_for_file (const char  *path,
                                       GError     **error)
{
  g_autoptr (HearthModelDescription) self = g_new0 (HearthModelDescription, 1);

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  if (!open_file (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
hearth_model_description_free (HearthModelDescription *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->path);
  g_clear_pointer (&self->gguf, hearth_gguf_unref);
  g_clear_pointer (&self->layers, hearth_model_layers_free);
  g_clear_pointer (&self->settings, hearth_settings_free);
  g_free (self->parent_model);
  g_free (self);
}

/* Adds the metadata's members to the object being built in @b; with
 * @ollama, as Ollama's model_info has them (see the header). */
static void
add_metadata (HearthModelDescription *self,
              JsonBuilder            *b,
              guint64                 max_array,
              gboolean                ollama)
{
  HearthGguf *gguf = self->gguf;

  for (guint64 i = 0; i < hearth_gguf_get_n_metadata (gguf); i++)
    {
      const char *key = hearth_gguf_get_key (gguf, i);
      g_autoptr (JsonNode) value = NULL;

      if (!g_utf8_validate (key, -1, NULL))
        continue;
      if (ollama && (g_str_equal (key, "general.name") || g_str_equal (key, "tokenizer.chat_template")
                     || g_str_equal (key, "general.parameter_count")))
        continue;
      value = hearth_gguf_dup_value_json (gguf, i, max_array);
      /* a summary where Ollama gives an empty list */
      if (ollama && JSON_NODE_HOLDS_OBJECT (value))
        {
          json_node_unref (value);
          value = json_node_new (JSON_NODE_ARRAY);
          json_node_take_array (value, json_array_new ());
        }
      json_builder_set_member_name (b, key);
      json_builder_add_value (b, g_steal_pointer (&value));
    }
  if (ollama)
    {
      /* Ollama counts the parameters of the tensors and adds it */
      json_builder_set_member_name (b, "general.parameter_count");
      json_builder_add_int_value (b, (gint64) self->info->parameter_count);
    }
}

JsonNode *
hearth_model_description_dup_metadata (HearthModelDescription *self,
                                       guint64                 max_array)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (b);
  add_metadata (self, b, max_array, FALSE);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* @text in Go's quotes, as %#v writes a string: \" \\ \n \r \t, other
 * control characters as \x.., the rest (UTF-8) as it is. */
static void
append_go_quoted (GString    *out,
                  const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

char *
hearth_model_description_format_parameters (const HearthModelLayers *layers)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; layers != NULL && i < layers->params->len; i++)
    {
      const HearthOllamaParam *p = layers->params->pdata[i];
      gboolean text = p->type == HEARTH_OLLAMA_VALUE_STRING || p->type == HEARTH_OLLAMA_VALUE_STRINGS;
      g_auto (GStrv) values = hearth_profile_param_values (p);

      for (guint k = 0; values[k] != NULL; k++)
        {
          if (out->len > 0)
            g_string_append_c (out, '\n');
          g_string_append_printf (out, "%-*s ", OLLAMA_PARAMETER_WIDTH, p->name);
          if (text)
            append_go_quoted (out, values[k]);
          else
            g_string_append (out, values[k]);
        }
    }
  return g_string_free (out, FALSE);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* Ollama's omitempty: a member only where it has something. */
static void
add_string_if (JsonBuilder *b,
               const char  *name,
               const char  *value)
{
  if (value != NULL && value[0] != '\0')
    add_string (b, name, value);
}

JsonNode *
hearth_model_description_to_ollama (HearthModelDescription  *self,
                                    HearthStore             *store,
                                    gboolean                 verbose,
                                    GError                 **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autofree char *modelfile_text = NULL;
  g_autofree char *license = NULL;
  g_autofree char *parameters = NULL;
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *modified = NULL;
  const HearthModelInfo *info;
  const char *template;

  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);

  info = self->info;
  modelfile = hearth_profile_to_modelfile (store, self->name, HEARTH_PROFILE_FROM_WEIGHTS, error);
  if (modelfile == NULL)
    return NULL;
  modelfile_text = hearth_modelfile_to_string (modelfile);
  g_ptr_array_add (self->layers->licenses, NULL);
  license = g_strjoinv ("\n", (char **) self->layers->licenses->pdata);
  g_ptr_array_remove_index (self->layers->licenses, self->layers->licenses->len - 1);
  parameters = hearth_model_description_format_parameters (self->layers);
  /* the template it is read with: its own, else its file's */
  template = hearth_settings_get_template (self->settings);
  if (template == NULL)
    template = info->chat_template;

  json_builder_begin_object (b);
  add_string_if (b, "license", license);
  add_string_if (b, "modelfile", modelfile_text);
  add_string_if (b, "parameters", parameters);
  add_string_if (b, "template", template);
  add_string_if (b, "system", self->layers->system);

  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  add_string (b, "parent_model", self->parent_model != NULL ? self->parent_model : "");
  add_string (b, "format", "gguf");
  add_string (b, "family", info->architecture != NULL ? info->architecture : "");
  json_builder_set_member_name (b, "families");
  if (info->architecture != NULL)
    {
      json_builder_begin_array (b);
      json_builder_add_string_value (b, info->architecture);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  add_string (b, "parameter_size", info->parameter_label != NULL ? info->parameter_label : "");
  add_string (b, "quantization_level", info->file_type != NULL ? info->file_type : "");
  json_builder_end_object (b);

  if (self->layers->messages->len > 0)
    {
      json_builder_set_member_name (b, "messages");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->layers->messages->len; i++)
        {
          const HearthOllamaMessage *m = self->layers->messages->pdata[i];

          json_builder_begin_object (b);
          add_string (b, "role", m->role);
          add_string (b, "content", m->content);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  json_builder_set_member_name (b, "model_info");
  json_builder_begin_object (b);
  add_metadata (self, b, verbose ? 0 : OLLAMA_ARRAY_LIMIT, TRUE);
  json_builder_end_object (b);

  if (verbose)
    {
      json_builder_set_member_name (b, "tensors");
      json_builder_begin_array (b);
      for (guint64 i = 0; i < hearth_gguf_get_n_tensors (self->gguf); i++)
        {
          HearthGgufTensor t;

          hearth_gguf_get_tensor (self->gguf, i, &t);
          json_builder_begin_object (b);
          add_string (b, "name", t.name);
          add_string (b, "type", t.type_name);
          json_builder_set_member_name (b, "shape");
          json_builder_begin_array (b);
          for (guint d = 0; d < t.n_dims; d++)
            json_builder_add_int_value (b, (gint64) t.shape[d]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  /* what Hearth's engine does with it: text, nothing more yet (no tools,
   * no thinking, no images, no embeddings) */
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "completion");
  json_builder_end_array (b);

  when = g_date_time_new_from_unix_local (self->modified);
  modified = when != NULL ? g_date_time_format_iso8601 (when) : NULL;
  add_string (b, "modified_at", modified != NULL ? modified : "");
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
