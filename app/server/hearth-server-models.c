/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's routes over the model store: /api/tags, /api/copy,
 * /api/delete, as Ollama answers them.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-gguf.h"
#include "hearth-server-private.h"
#include "hearth-store.h"

void
hearth_server_add_model (JsonBuilder            *b,
                         const HearthStoreModel *m)
{
  g_autoptr (HearthGguf) gguf = m->model_path != NULL ? hearth_gguf_open (m->model_path, NULL) : NULL;
  const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (m->modified);
  g_autofree char *modified = when != NULL ? g_date_time_format_iso8601 (when) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, m->name);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, m->name);
  json_builder_set_member_name (b, "modified_at");
  json_builder_add_string_value (b, modified != NULL ? modified : "");
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) m->size);
  json_builder_set_member_name (b, "digest");
  /* as Ollama writes it: the hex digits alone */
  json_builder_add_string_value (b, m->manifest_digest != NULL && g_str_has_prefix (m->manifest_digest, "sha256:")
                                      ? m->manifest_digest + 7 : "");
  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parent_model");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "gguf");
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, info != NULL && info->architecture != NULL ? info->architecture : "");
  json_builder_set_member_name (b, "families");
  if (info != NULL && info->architecture != NULL)
    {
      json_builder_begin_array (b);
      json_builder_add_string_value (b, info->architecture);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "parameter_size");
  json_builder_add_string_value (b, info != NULL && info->parameter_label != NULL ? info->parameter_label : "");
  json_builder_set_member_name (b, "quantization_level");
  json_builder_add_string_value (b, info != NULL && info->file_type != NULL ? info->file_type : "");
  json_builder_end_object (b);
}

void
hearth_server_route_tags (HearthServer      *self,
            SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  models = hearth_store_list (hearth_context_get_store (self->context), &error);
  if (models == NULL)
    {
      hearth_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    {
      hearth_server_add_model (b, models->pdata[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  hearth_server_reply_json (msg, SOUP_STATUS_OK, node);
}

/* POST /api/copy {"source", "destination"}: 200 and no body. */
void
hearth_server_route_copy (HearthServer      *self,
            SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  const char *source, *destination;
  gboolean bad = FALSE;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "POST", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL)
    return;
  source = hearth_server_get_string (msg, o, "source", &bad);
  destination = bad ? NULL : hearth_server_get_string (msg, o, "destination", &bad);
  if (bad)
    return;
  if (source == NULL || source[0] == '\0' || destination == NULL || destination[0] == '\0')
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, _("“source” and “destination” are required"));
      return;
    }
  if (!hearth_store_copy (hearth_context_get_store (self->context), source, destination, &error))
    {
      hearth_server_reply_store_error (msg, error, source);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/* DELETE /api/delete {"model"} ("name" from older clients, as ollama-js
 * sends): the model and the files no other model uses; 200, no body. */
void
hearth_server_route_delete (HearthServer      *self,
              SoupServerMessage *msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  const char *model;
  gboolean bad = FALSE;

  if (!hearth_server_method_allowed (msg, (const char *[]) { "DELETE", NULL })
      || (o = hearth_server_read_object (msg, parser)) == NULL)
    return;
  model = hearth_server_get_string (msg, o, "model", &bad);
  if (!bad && model == NULL)
    model = hearth_server_get_string (msg, o, "name", &bad);
  if (bad)
    return;
  if (model == NULL || model[0] == '\0')
    {
      hearth_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, _("“model” is required"));
      return;
    }
  if (!hearth_store_remove (hearth_context_get_store (self->context), model, NULL, &error))
    {
      hearth_server_reply_store_error (msg, error, model);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}
