/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-request"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "ember.h"
#include "hearth-remote.h"
#include "hearth-request.h"

G_DEFINE_QUARK (hearth-options-error-quark, hearth_options_error)

/* ---- options ------------------------------------------------------------- */

void
hearth_options_init (HearthOptions *options)
{
  ember_generate_options gen;

  g_return_if_fail (options != NULL);

  ember_generate_options_init (&gen);
  *options = (HearthOptions) {
    .temperature = gen.sampler.temperature,
    .top_k = gen.sampler.top_k,
    .top_p = gen.sampler.top_p,
    .min_p = gen.sampler.min_p,
    .typical_p = gen.sampler.typical_p,
    .repeat_penalty = gen.sampler.repeat_penalty,
    .repeat_last_n = gen.sampler.repeat_last_n,
    .presence_penalty = gen.sampler.presence_penalty,
    .frequency_penalty = gen.sampler.frequency_penalty,
    .seed = gen.sampler.seed == EMBER_SEED_RANDOM ? -1 : (gint64) gen.sampler.seed,
    .num_predict = gen.num_predict,
    .num_ctx = 0,
    .num_thread = 0,
  };
}

static gboolean
parse_float (const char  *name,
             const char  *text,
             float       *value,
             GError     **error)
{
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (v))
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, _("%s needs a number, not “%s”"), name, text);
      return FALSE;
    }
  *value = (float) v;
  return TRUE;
}

static gboolean
parse_int (const char  *name,
           const char  *text,
           gint64       min,
           gint64       max,
           gint64      *value,
           GError     **error)
{
  if (!g_ascii_string_to_signed (text, 10, min, max, value, NULL))
    {
      g_autofree char *lo = g_strdup_printf ("%" G_GINT64_FORMAT, min);
      g_autofree char *hi = g_strdup_printf ("%" G_GINT64_FORMAT, max);

      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID,
                   _("%s needs a whole number from %s to %s, not “%s”"), name, lo, hi, text);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_options_set (HearthOptions  *o,
                    const char     *name,
                    const char     *value,
                    GError        **error)
{
  static const struct
  {
    const char *name;
    gsize offset;
  } floats[] = {
    { "temperature", G_STRUCT_OFFSET (HearthOptions, temperature) },
    { "top_p", G_STRUCT_OFFSET (HearthOptions, top_p) },
    { "min_p", G_STRUCT_OFFSET (HearthOptions, min_p) },
    { "typical_p", G_STRUCT_OFFSET (HearthOptions, typical_p) },
    { "repeat_penalty", G_STRUCT_OFFSET (HearthOptions, repeat_penalty) },
    { "presence_penalty", G_STRUCT_OFFSET (HearthOptions, presence_penalty) },
    { "frequency_penalty", G_STRUCT_OFFSET (HearthOptions, frequency_penalty) },
  };
  gint64 i;

  g_return_val_if_fail (o != NULL && name != NULL && value != NULL, FALSE);

  for (gsize k = 0; k < G_N_ELEMENTS (floats); k++)
    if (g_str_equal (name, floats[k].name))
      return parse_float (name, value, G_STRUCT_MEMBER_P (o, floats[k].offset), error);
  if (g_str_equal (name, "top_k"))
    {
      if (!parse_int (name, value, 0, G_MAXINT32, &i, error))
        return FALSE;
      o->top_k = (gint32) i;
      return TRUE;
    }
  if (g_str_equal (name, "repeat_last_n"))
    {
      if (!parse_int (name, value, -1, G_MAXINT32, &i, error))
        return FALSE;
      o->repeat_last_n = (gint32) i;
      return TRUE;
    }
  if (g_str_equal (name, "seed"))
    {
      if (!parse_int (name, value, G_MININT64, G_MAXINT64, &i, error))
        return FALSE;
      o->seed = i < 0 ? -1 : i;
      return TRUE;
    }
  if (g_str_equal (name, "num_predict"))
    {
      if (!parse_int (name, value, -2, G_MAXINT32, &i, error))
        return FALSE;
      o->num_predict = i < 0 ? -1 : (gint32) i;
      return TRUE;
    }
  if (g_str_equal (name, "num_ctx"))
    {
      if (!parse_int (name, value, 1, 1 << 24, &i, error))
        return FALSE;
      o->num_ctx = (guint) i;
      return TRUE;
    }
  if (g_str_equal (name, "num_thread"))
    {
      if (!parse_int (name, value, 0, 1024, &i, error))
        return FALSE;
      o->num_thread = (guint) i;
      return TRUE;
    }
  g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_UNKNOWN, _("unknown parameter “%s”"), name);
  return FALSE;
}

gboolean
hearth_options_validate (const HearthOptions  *o,
                         GError              **error)
{
  ember_sampler_params p = {
    .temperature = o->temperature,
    .top_k = o->top_k,
    .top_p = o->top_p,
    .min_p = o->min_p,
    .typical_p = o->typical_p,
    .repeat_penalty = o->repeat_penalty,
    .repeat_last_n = o->repeat_last_n,
    .presence_penalty = o->presence_penalty,
    .frequency_penalty = o->frequency_penalty,
    .seed = o->seed < 0 ? EMBER_SEED_RANDOM : (uint64_t) o->seed,
  };
  ember_error e = { 0 };

  g_return_val_if_fail (o != NULL, FALSE);

  if (ember_sampler_params_validate (&p, &e) != EMBER_OK)
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID, "%s", e.message);
      return FALSE;
    }
  return TRUE;
}

char *
hearth_options_to_json (const HearthOptions *o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_double_value (b, o->temperature);
  json_builder_set_member_name (b, "top_k");
  json_builder_add_int_value (b, o->top_k);
  json_builder_set_member_name (b, "top_p");
  json_builder_add_double_value (b, o->top_p);
  json_builder_set_member_name (b, "min_p");
  json_builder_add_double_value (b, o->min_p);
  json_builder_set_member_name (b, "repeat_penalty");
  json_builder_add_double_value (b, o->repeat_penalty);
  json_builder_set_member_name (b, "num_predict");
  json_builder_add_int_value (b, o->num_predict);
  json_builder_set_member_name (b, "num_ctx");
  json_builder_add_int_value (b, o->num_ctx);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ---- requests ------------------------------------------------------------ */

HearthRequest *
hearth_request_new (const char *model_path,
                    const char *session)
{
  HearthRequest *request;

  g_return_val_if_fail (model_path != NULL, NULL);

  request = g_new0 (HearthRequest, 1);
  request->model_path = g_strdup (model_path);
  request->session = g_strdup (session);
  request->roles = g_ptr_array_new_with_free_func (g_free);
  request->contents = g_ptr_array_new_with_free_func (g_free);
  hearth_options_init (&request->options);
  request->keep_alive = HEARTH_KEEP_ALIVE_ENGINE;
  return request;
}

HearthRequest *
hearth_request_new_remote (const HearthRemote *remote,
                           const char         *session)
{
  HearthRequest *request;

  g_return_val_if_fail (remote != NULL, NULL);

  request = hearth_request_new ("", session);
  request->remote = hearth_remote_copy (remote);
  return request;
}

HearthRequest *
hearth_request_copy (const HearthRequest *request)
{
  HearthRequest *copy;

  g_return_val_if_fail (request != NULL, NULL);

  copy = hearth_request_new (request->model_path, request->session);
  copy->backend = request->backend;
  copy->raw = request->raw;
  copy->keep_alive = request->keep_alive;
  copy->prompt = g_strdup (request->prompt);
  copy->template_text = g_strdup (request->template_text);
  for (guint i = 0; i < request->roles->len; i++)
    hearth_request_add_message (copy, request->roles->pdata[i], request->contents->pdata[i]);
  if (request->tokens != NULL)
    {
      copy->tokens = g_array_sized_new (FALSE, FALSE, sizeof (gint32), request->tokens->len);
      g_array_append_vals (copy->tokens, request->tokens->data, request->tokens->len);
    }
  copy->options = request->options;
  copy->stop = g_strdupv (request->stop);
  copy->drop_oldest = request->drop_oldest;
  copy->load_only = request->load_only;
  copy->ignore_eos = request->ignore_eos;
  copy->read_again = request->read_again;
  copy->format = g_strdup (request->format);
  copy->remote = request->remote != NULL ? hearth_remote_copy (request->remote) : NULL;
  copy->keep_unruled = request->keep_unruled;
  copy->rules = request->rules;
  copy->rules_data = request->rules != NULL ? request->rules->ref (request->rules_data) : NULL;
  return copy;
}

void
hearth_request_add_message (HearthRequest *request,
                            const char    *role,
                            const char    *content)
{
  g_return_if_fail (request != NULL && role != NULL && content != NULL);

  g_ptr_array_add (request->roles, g_strdup (role));
  g_ptr_array_add (request->contents, g_strdup (content));
}

void
hearth_request_clear_messages (HearthRequest *request)
{
  g_return_if_fail (request != NULL);

  g_ptr_array_set_size (request->roles, 0);
  g_ptr_array_set_size (request->contents, 0);
  g_clear_pointer (&request->prompt, g_free);
  g_clear_pointer (&request->tokens, g_array_unref);
}

gboolean
hearth_request_set_format (HearthRequest  *request,
                           const char     *format,
                           GError        **error)
{
  ember_json_grammar *grammar = NULL;
  ember_error e = { 0 };

  g_return_val_if_fail (request != NULL, FALSE);

  if (format == NULL || *format == '\0')
    {
      g_clear_pointer (&request->format, g_free);
      return TRUE;
    }
  /* compiled once here to say what is wrong now; the model's thread
   * compiles it again for each reply */
  if (ember_json_grammar_new (format, strlen (format), &grammar, &e) != EMBER_OK)
    {
      g_set_error (error, HEARTH_OPTIONS_ERROR, HEARTH_OPTIONS_ERROR_INVALID,
                   _("The format cannot be followed: %s"), e.message);
      return FALSE;
    }
  ember_json_grammar_free (grammar);
  g_free (request->format);
  request->format = g_strdup (format);
  return TRUE;
}

gboolean
hearth_request_set_parameter (HearthRequest  *request,
                              const char     *name,
                              const char     *value,
                              GError        **error)
{
  g_return_val_if_fail (request != NULL && name != NULL && value != NULL, FALSE);

  if (g_str_equal (name, "stop"))
    {
      guint n = request->stop != NULL ? g_strv_length (request->stop) : 0;

      request->stop = g_renew (char *, request->stop, n + 2);
      request->stop[n] = g_strdup (value);
      request->stop[n + 1] = NULL;
      return TRUE;
    }
  return hearth_options_set (&request->options, name, value, error);
}

void
hearth_request_free (HearthRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->model_path);
  g_free (request->session);
  g_free (request->prompt);
  g_free (request->template_text);
  g_ptr_array_unref (request->roles);
  g_ptr_array_unref (request->contents);
  g_clear_pointer (&request->tokens, g_array_unref);
  g_strfreev (request->stop);
  g_free (request->format);
  g_clear_pointer (&request->remote, hearth_remote_free);
  if (request->rules != NULL)
    request->rules->unref (request->rules_data);
  g_free (request);
}
