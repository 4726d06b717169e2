/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth show MODEL [--template | --json [--verbose]]`: a model's
 * description, as `ollama show` gives it. MODEL is a path to a .gguf file
 * (names from the model library come with the library).
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-model-description.h"
#include "hearth-model-layers.h"
#include "hearth-modelfile.h"
#include "hearth-profile.h"
#include "hearth-settings.h"
#include "hearth-gguf.h"

/* Arrays longer than this are summarised in --json unless --verbose. */
#define SHOW_ARRAY_LIMIT 64

/* Text from the file made safe for a terminal: valid UTF-8, and control
 * characters (escape sequences) shown as U+FFFD; newlines kept if asked. */
static char *
printable (const char *text,
           gboolean    keep_newlines)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *s = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c == '\n' && keep_newlines) || c == '\t' || !(g_unichar_iscntrl (c) || (c >= 0x80 && c < 0xa0)))
        g_string_append_unichar (s, c);
      else
        g_string_append_unichar (s, 0xfffd);
    }
  return g_string_free (s, FALSE);
}

static void
print_row (FILE       *out,
           const char *label,
           const char *value)
{
  g_autofree char *safe = printable (value, FALSE);

  hearth_cli_print_row (out, 4, 24, label, safe);
}

static void
print_row_uint (FILE       *out,
                const char *label,
                guint64    value)
{
  g_autofree char *text = NULL;

  if (value == 0)
    return;
  text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  print_row (out, label, text);
}

/* "292,800" */
static char *
format_thousands (guint64 value)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  GString *s = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

static void
print_text_block (FILE       *out,
                  const char *text)
{
  g_autofree char *safe = printable (text, TRUE);
  g_auto (GStrv) lines = g_strsplit (safe, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i + 1] == NULL && lines[i][0] == '\0')
        break;
      fprintf (out, "    %s\n", lines[i]);
    }
}

static void
print_description (FILE                  *out,
                   const char            *path,
                   HearthGguf            *gguf,
                   const HearthModelInfo *info)
{
  g_autofree char *params = format_thousands (info->parameter_count);
  g_autofree char *params_text = g_strdup_printf ("%s (%s)", info->parameter_label, params);
  g_autofree char *size = g_format_size (hearth_gguf_get_file_size (gguf));
  g_autofree char *n_tensors = format_thousands (hearth_gguf_get_n_tensors (gguf));
  g_autofree char *file_text = g_strdup_printf (_("%s, GGUF version %u, %s tensors"),
                                                size, hearth_gguf_get_version (gguf), n_tensors);

  fprintf (out, "  %s\n", _("Model"));
  if (info->name != NULL)
    print_row (out, _("name"), info->name);
  print_row (out, _("architecture"), info->architecture);
  print_row (out, _("parameters"), params_text);
  print_row (out, _("quantization"), info->file_type);
  print_row_uint (out, _("context length"), info->context_length);
  print_row_uint (out, _("embedding length"), info->embedding_length);
  print_row_uint (out, _("layers"), info->block_count);
  print_row_uint (out, _("attention heads"), info->head_count);
  print_row_uint (out, _("key/value heads"), info->head_count_kv);
  print_row_uint (out, _("head size"), info->key_length);
  print_row_uint (out, _("feed forward length"), info->feed_forward_length);
  if (info->rope_dimension_count > 0 || !info->rope_freq_base_default)
    {
      g_autofree char *rope = NULL;
      g_autofree char *dims = format_thousands (info->rope_dimension_count);

      if (info->rope_freq_base_default)
        /* Translators: RoPE settings: dimensions, then the frequency base */
        rope = g_strdup_printf (_("%s dimensions, base %g (the default)"),
                                dims, info->rope_freq_base);
      else
        /* Translators: RoPE settings: dimensions, then the frequency base */
        rope = g_strdup_printf (_("%s dimensions, base %g"), dims, info->rope_freq_base);
      print_row (out, _("rope"), rope);
    }
  if (info->rope_scaling_type != NULL)
    {
      g_autofree char *scaling = g_strdup_printf ("%s × %g", info->rope_scaling_type,
                                                  info->rope_scaling_factor);

      print_row (out, _("rope scaling"), scaling);
    }
  if (info->vocab_size > 0)
    {
      g_autofree char *n_tokens = format_thousands (info->vocab_size);
      /* Translators: the vocabulary's size, then its kind (llama, gpt2, bert) */
      g_autofree char *vocab = g_strdup_printf (_("%s tokens (%s)"), n_tokens,
                                                info->tokenizer_model != NULL ? info->tokenizer_model : "?");

      print_row (out, _("vocabulary"), vocab);
    }
  print_row (out, _("file"), file_text);
  print_row (out, _("path"), path);

  fprintf (out, "\n  %s\n", _("Tensor types"));
  for (guint i = 0; i < info->n_types; i++)
    {
      g_autofree char *elements = format_thousands (info->types[i].elements);
      g_autofree char *bytes = g_format_size (info->types[i].bytes);
      g_autofree char *tensors = format_thousands (info->types[i].tensors);
      g_autofree char *text = g_strdup_printf (_("%s tensors, %s parameters, %s"),
                                               tensors, elements, bytes);

      print_row (out, info->types[i].type_name, text);
    }

  fprintf (out, "\n  %s\n", _("Chat template"));
  if (info->chat_template != NULL)
    {
      guint lines = 1;

      for (const char *p = info->chat_template; *p != '\0'; p++)
        lines += *p == '\n' && p[1] != '\0';
      {
        g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                              "from the model file, %u line (hearth show --template prints it)",
                                                              "from the model file, %u lines (hearth show --template prints it)",
                                                              lines),
                                                 lines);

        print_row (out, _("source"), text);
      }
    }
  else
    {
      print_row (out, _("source"), _("none in the file: the model continues the text of a chat"));
    }

  if (info->license != NULL)
    {
      fprintf (out, "\n  %s\n", _("License"));
      print_text_block (out, info->license);
    }
}

/* ---- the settings a chat with the model starts with ---------------------- */

typedef struct
{
  HearthOllamaParam *param;     /* its effective value */
  HearthSettingSource source;
} Setting;

static void
setting_clear (gpointer data)
{
  Setting *setting = data;

  hearth_ollama_param_free (setting->param);
}

static gboolean
layers_set (const HearthModelLayers *layers,
            const char              *name)
{
  for (guint i = 0; layers != NULL && i < layers->params->len; i++)
    if (g_str_equal (((HearthOllamaParam *) layers->params->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

static void
add_setting (GArray                  *settings,
             HearthSettings          *resolved,
             HearthOllamaParam       *param)
{
  Setting setting = { param, hearth_settings_get_source (resolved, param->name) };

  g_array_append_val (settings, setting);
}

/* What a chat with model @desc starts with: the main sampling settings,
 * then everything else its params layer sets, each with its level (Ollama's
 * default or the model's). */
static GArray *
model_settings (HearthModelDescription *desc)
{
  HearthSettings *resolved = desc->settings;
  const HearthModelLayers *layers = desc->layers;
  g_autoptr (GArray) settings = NULL;
  const HearthOptions *o;
  const char *const *stop;

  settings = g_array_new (FALSE, TRUE, sizeof (Setting));
  g_array_set_clear_func (settings, setting_clear);
  o = hearth_settings_get_options (resolved);
  add_setting (settings, resolved, hearth_ollama_param_new_float32 ("temperature", o->temperature));
  add_setting (settings, resolved, hearth_ollama_param_new_int ("top_k", o->top_k));
  add_setting (settings, resolved, hearth_ollama_param_new_float32 ("top_p", o->top_p));
  add_setting (settings, resolved, hearth_ollama_param_new_float32 ("min_p", o->min_p));
  add_setting (settings, resolved, hearth_ollama_param_new_float32 ("repeat_penalty", o->repeat_penalty));
  add_setting (settings, resolved, hearth_ollama_param_new_int ("repeat_last_n", o->repeat_last_n));
  add_setting (settings, resolved, hearth_ollama_param_new_int ("num_predict", o->num_predict));
  if (o->num_ctx > 0 || layers_set (layers, "num_ctx"))
    add_setting (settings, resolved, hearth_ollama_param_new_int ("num_ctx", o->num_ctx));
  stop = hearth_settings_get_stop (resolved);
  if (stop != NULL && stop[0] != NULL)
    add_setting (settings, resolved, hearth_ollama_param_new_strings ("stop", stop));
  /* the rest of what the model sets (seed, typical_p, or what Hearth keeps
   * out of its options: num_gpu …) as the layer holds it */
  for (guint i = 0; layers != NULL && i < layers->params->len; i++)
    {
      const HearthOllamaParam *p = layers->params->pdata[i];
      gboolean listed = FALSE;

      for (guint k = 0; k < settings->len && !listed; k++)
        listed = g_str_equal (g_array_index (settings, Setting, k).param->name, p->name);
      if (!listed)
        {
          Setting setting = { hearth_ollama_param_copy (p), HEARTH_SETTING_MODEL };

          g_array_append_val (settings, setting);
        }
    }
  return g_steal_pointer (&settings);
}

/* "You are Mario from Super Mario Bros. Answer as Mario, the assistant,
 * only." and "…" where more lines follow */
static char *
first_line (const char *text)
{
  const char *start = text;
  const char *end;

  while (*start == '\n' || *start == '\r')
    start++;
  end = start + strcspn (start, "\r\n");
  if (end[strspn (end, "\r\n")] == '\0')
    return g_strndup (start, (gsize) (end - start));
  return g_strdup_printf ("%.*s …", (int) (end - start), start);
}

/* A profile's rules, one a line as its Modelfile writes them (without the
 * "# hearth: RULE" that makes them comments). */
static void
print_rules (FILE        *out,
             HearthRules *rules)
{
  g_autofree char *lines = NULL;
  g_auto (GStrv) split = NULL;
  guint n = 0;

  if (rules == NULL || hearth_rules_get_n_rules (rules) == 0)
    return;
  lines = hearth_rules_to_modelfile (rules);
  split = g_strsplit (lines, "\n", -1);
  fprintf (out, "\n  %s\n", _("Rules"));
  for (guint i = 0; split[i] != NULL; i++)
    {
      g_autofree char *number = NULL;

      if (!g_str_has_prefix (split[i], "# hearth: RULE "))
        {
          /* a long text's next lines */
          if (split[i][0] != '\0')
            fprintf (out, "%*s%s\n", 4 + 24, "", split[i]);
          continue;
        }
      number = g_strdup_printf ("%u", ++n);
      print_row (out, number, split[i] + strlen ("# hearth: RULE "));
    }
}

static void
print_settings (FILE           *out,
                GArray         *settings,
                HearthSettings *resolved)
{
  const char *system = hearth_settings_get_system (resolved);

  fprintf (out, "\n  %s\n", _("Settings"));
  for (guint i = 0; i < settings->len; i++)
    {
      const Setting *setting = &g_array_index (settings, Setting, i);
      g_auto (GStrv) values = hearth_profile_param_values (setting->param);
      g_autofree char *joined = g_strjoinv (", ", values);
      /* Translators: a setting's value, then where it comes from ("the model",
       * "the default") */
      g_autofree char *text = g_strdup_printf (_("%s  (%s)"), joined,
                                               hearth_setting_source_to_string (setting->source));

      print_row (out, setting->param->name, text);
    }
  if (system != NULL && *system != '\0')
    {
      g_autofree char *line = first_line (system);
      g_autofree char *text = g_strdup_printf (_("%s  (%s)"), line,
                                               hearth_setting_source_to_string (
                                                 hearth_settings_get_source (resolved, "system")));

      print_row (out, _("system"), text);
    }
  print_rules (out, hearth_settings_get_rules (resolved));
}

/* The level's name in --json, for scripts (untranslated). */
static const char *
source_id (HearthSettingSource source)
{
  switch (source)
    {
    case HEARTH_SETTING_MODEL:
      return "model";
    case HEARTH_SETTING_CHAT:
      return "chat";
    case HEARTH_SETTING_REPLY:
      return "reply";
    case HEARTH_SETTING_REQUEST:
      return "request";
    case HEARTH_SETTING_DEFAULT:
    default:
      return "default";
    }
}

static void
add_settings_json (JsonBuilder    *b,
                   GArray         *settings,
                   HearthSettings *resolved)
{
  const char *system = hearth_settings_get_system (resolved);

  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  for (guint i = 0; i < settings->len; i++)
    {
      const Setting *setting = &g_array_index (settings, Setting, i);
      const HearthOllamaParam *p = setting->param;
      g_auto (GStrv) values = hearth_profile_param_values (p);

      json_builder_set_member_name (b, p->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "value");
      switch (p->type)
        {
        case HEARTH_OLLAMA_VALUE_BOOL:
          json_builder_add_boolean_value (b, p->b);
          break;
        case HEARTH_OLLAMA_VALUE_INT:
          json_builder_add_int_value (b, p->i);
          break;
        case HEARTH_OLLAMA_VALUE_FLOAT:
          /* the text a Modelfile writes, so that 0.8 is 0.8 */
          json_builder_add_double_value (b, g_ascii_strtod (values[0], NULL));
          break;
        case HEARTH_OLLAMA_VALUE_STRINGS:
          json_builder_begin_array (b);
          for (guint k = 0; values[k] != NULL; k++)
            json_builder_add_string_value (b, values[k]);
          json_builder_end_array (b);
          break;
        case HEARTH_OLLAMA_VALUE_STRING:
        default:
          json_builder_add_string_value (b, values[0] != NULL ? values[0] : "");
          break;
        }
      hearth_cli_json_add_string (b, "source", source_id (setting->source));
      json_builder_end_object (b);
    }
  if (system != NULL)
    {
      json_builder_set_member_name (b, "system");
      json_builder_begin_object (b);
      hearth_cli_json_add_string (b, "value", system);
      hearth_cli_json_add_string (b, "source", source_id (hearth_settings_get_source (resolved, "system")));
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* ---- --json -------------------------------------------------------------- */

static void
add_member_uint (JsonBuilder *b,
                 const char  *name,
                 guint64     value)
{
  json_builder_set_member_name (b, name);
  if (value == 0)
    json_builder_add_null_value (b);
  else if (value > G_MAXINT64)
    json_builder_add_double_value (b, (double) value);
  else
    json_builder_add_int_value (b, (gint64) value);
}

static char *
describe_json (HearthModelDescription *desc,
               GArray                 *settings,
               gboolean                verbose)
{
  const char *path = desc->path;
  HearthGguf *gguf = desc->gguf;
  const HearthModelInfo *info = desc->info;
  HearthSettings *resolved = desc->settings;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  hearth_cli_json_add_string (b, "path", path);
  hearth_cli_json_add_string (b, "architecture", info->architecture);
  hearth_cli_json_add_string (b, "name", info->name);
  json_builder_set_member_name (b, "parameters");
  json_builder_add_int_value (b, (gint64) info->parameter_count);
  hearth_cli_json_add_string (b, "parameter_size", info->parameter_label);
  hearth_cli_json_add_string (b, "quantization", info->file_type);
  add_member_uint (b, "context_length", info->context_length);
  add_member_uint (b, "embedding_length", info->embedding_length);
  add_member_uint (b, "block_count", info->block_count);
  add_member_uint (b, "feed_forward_length", info->feed_forward_length);
  add_member_uint (b, "head_count", info->head_count);
  add_member_uint (b, "head_count_kv", info->head_count_kv);
  add_member_uint (b, "key_length", info->key_length);
  add_member_uint (b, "value_length", info->value_length);
  add_member_uint (b, "rope_dimension_count", info->rope_dimension_count);
  json_builder_set_member_name (b, "rope_freq_base");
  if (isfinite (info->rope_freq_base))
    json_builder_add_double_value (b, info->rope_freq_base);
  else
    json_builder_add_null_value (b);
  hearth_cli_json_add_string (b, "rope_scaling_type", info->rope_scaling_type);
  hearth_cli_json_add_string (b, "tokenizer_model", info->tokenizer_model);
  add_member_uint (b, "vocab_size", info->vocab_size);
  hearth_cli_json_add_string (b, "license", info->license);
  hearth_cli_json_add_string (b, "chat_template", info->chat_template);
  json_builder_set_member_name (b, "gguf_version");
  json_builder_add_int_value (b, hearth_gguf_get_version (gguf));
  json_builder_set_member_name (b, "file_size");
  json_builder_add_int_value (b, (gint64) hearth_gguf_get_file_size (gguf));
  if (settings != NULL)
    add_settings_json (b, settings, resolved);

  json_builder_set_member_name (b, "tensor_types");
  json_builder_begin_array (b);
  for (guint i = 0; i < info->n_types; i++)
    {
      json_builder_begin_object (b);
      hearth_cli_json_add_string (b, "type", info->types[i].type_name);
      json_builder_set_member_name (b, "tensors");
      json_builder_add_int_value (b, (gint64) info->types[i].tensors);
      json_builder_set_member_name (b, "parameters");
      json_builder_add_int_value (b, (gint64) info->types[i].elements);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) info->types[i].bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "metadata");
  json_builder_add_value (b, hearth_model_description_dup_metadata (desc, verbose ? 0 : SHOW_ARRAY_LIMIT));

  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      HearthGgufTensor t;

      if (!verbose && i >= SHOW_ARRAY_LIMIT)
        break;
      hearth_gguf_get_tensor (gguf, i, &t);
      json_builder_begin_object (b);
      hearth_cli_json_add_string (b, "name", t.name);
      hearth_cli_json_add_string (b, "type", t.type_name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < t.n_dims; d++)
        json_builder_add_int_value (b, (gint64) t.shape[d]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

/* ---- the command --------------------------------------------------------- */

/* --parameters, --system, --license: a model's own layer, as `ollama show`
 * prints it (nothing where the model has none). */
static int
print_layer (const HearthModelLayers *layers,
             const char              *which,
             FILE                    *out)
{
  if (layers == NULL)
    return 0;
  if (g_str_equal (which, "--system"))
    {
      if (layers->system != NULL)
        fprintf (out, "%s\n", layers->system);
      return 0;
    }
  if (g_str_equal (which, "--license"))
    {
      for (guint i = 0; i < layers->licenses->len; i++)
        fprintf (out, "%s%s\n", i > 0 ? "\n" : "", (const char *) layers->licenses->pdata[i]);
      return 0;
    }
  {
    g_autofree char *text = hearth_model_description_format_parameters (layers);

    if (text[0] != '\0')
      fprintf (out, "%s\n", text);
  }
  return 0;
}

/* --modelfile: the model as a Modelfile that `hearth create` (and `ollama
 * create`) read back as the same layers, FROM its weights' file as `ollama
 * show --modelfile` writes it; a GGUF file outside the store, FROM itself. */
static int
print_modelfile (HearthStore *store,
                 const char  *name,
                 const char  *file,
                 FILE        *out,
                 FILE        *err)
{
  g_autoptr (HearthModelfile) modelfile = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (name != NULL)
    {
      modelfile = hearth_profile_to_modelfile (store, name, HEARTH_PROFILE_FROM_WEIGHTS, &error);
      if (modelfile == NULL)
        {
          fprintf (err, "hearth show: %s\n", error->message);
          return 1;
        }
    }
  else
    {
      modelfile = hearth_modelfile_new ();
      g_ptr_array_add (modelfile->comments, g_strdup (" Modelfile written by \"hearth show\""));
      modelfile->from = g_strdup (file);
    }
  text = hearth_modelfile_to_string (modelfile);
  fputs (text, out);
  return 0;
}

/* A model of the store that lives on another server: no file here to
 * describe, so where it lives, then its own layers and settings. */
static int
show_remote (HearthStore *store,
             const char  *name,
             const char  *host,
             const char  *model,
             const char  *layer,
             gboolean     want_template,
             gboolean     want_json,
             FILE        *out,
             FILE        *err)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_read (store, name, &error);
  g_autoptr (HearthSettings) settings = NULL;
  g_autoptr (GArray) model_set = NULL;
  HearthModelDescription desc = { 0 };

  if (layers == NULL || (settings = hearth_settings_new_for_model (store, name, NULL, &error)) == NULL)
    {
      fprintf (err, "hearth show: %s\n", error->message);
      return 1;
    }
  if (layer != NULL && g_str_equal (layer, "--modelfile"))
    {
      g_autoptr (HearthModelfile) modelfile = hearth_profile_to_modelfile (store, name, HEARTH_PROFILE_FROM_WEIGHTS,
                                                                           &error);
      g_autofree char *text = NULL;

      if (modelfile == NULL)
        {
          fprintf (err, "hearth show: %s\n", error->message);
          return 1;
        }
      text = hearth_modelfile_to_string (modelfile);
      fputs (text, out);
      return 0;
    }
  if (layer != NULL)
    return print_layer (layers, layer, out);
  if (want_template)
    {
      if (layers->template != NULL)
        fputs (layers->template, out);
      else
        /* Translators: the server's address */
        fprintf (err, _("hearth show: %s lives on %s, which applies its own chat template\n"), name, host);
      return 0;
    }
  if (want_json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;
      g_autofree char *parameters = hearth_model_description_format_parameters (layers);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "remote_host");
      json_builder_add_string_value (b, host);
      json_builder_set_member_name (b, "remote_model");
      json_builder_add_string_value (b, model);
      json_builder_set_member_name (b, "parameters");
      json_builder_add_string_value (b, parameters);
      json_builder_set_member_name (b, "system");
      json_builder_add_string_value (b, layers->system != NULL ? layers->system : "");
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      {
        g_autofree char *json = json_to_string (node, TRUE);

        fprintf (out, "%s\n", json);
      }
      return 0;
    }
  fprintf (out, "  %s\n", _("Model"));
  print_row (out, _("on the server"), host);
  print_row (out, _("named there"), model);
  desc.layers = layers;
  desc.settings = settings;
  model_set = model_settings (&desc);
  print_settings (out, model_set, settings);
  return 0;
}

int
hearth_cli_show (HearthContext          *context,
                 const HearthCliCommand *command,
                 int                     argc,
                 char                  **argv,
                 FILE                   *out,
                 FILE                   *err)
{
  gboolean want_template = FALSE, want_json = FALSE, verbose = FALSE;
  const char *layer = NULL;     /* --parameters, --system, --license */
  const char *path = NULL;
  g_autofree char *resolved = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autoptr (HearthModelDescription) desc = NULL;
  g_autoptr (GArray) model_set = NULL;
  HearthStore *store = hearth_context_get_store (context);
  const char *name;
  const HearthModelInfo *info;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--template"))
        want_template = TRUE;
      else if (g_str_equal (argv[i], "--parameters") || g_str_equal (argv[i], "--system")
               || g_str_equal (argv[i], "--license") || g_str_equal (argv[i], "--modelfile"))
        {
          if (layer != NULL && !g_str_equal (layer, argv[i]))
            {
              fprintf (err, _("hearth show: %s and %s cannot be used together\n"), layer, argv[i]);
              return 2;
            }
          layer = argv[i];
        }
      else if (g_str_equal (argv[i], "--json"))
        want_json = TRUE;
      else if (g_str_equal (argv[i], "--verbose"))
        verbose = TRUE;
      else if (hearth_cli_is_option (argv[i]))
        return hearth_cli_unknown_option (err, "show", argv[i]);
      else if (path == NULL)
        path = argv[i];
      else
        {
          fprintf (err, _("hearth show: only one model at a time\n"));
          return 2;
        }
    }
  if (path == NULL)
    {
      fprintf (err, _("hearth show: which model? Usage: hearth show MODEL.gguf [--template | --json]\n"));
      return 2;
    }
  if (want_template && want_json)
    {
      fprintf (err, _("hearth show: --template and --json cannot be used together\n"));
      return 2;
    }
  if (layer != NULL && (want_template || want_json))
    {
      fprintf (err, _("hearth show: %s cannot be used with --template or --json\n"), layer);
      return 2;
    }

  {
    g_autofree char *host = NULL;
    g_autofree char *model = NULL;

    if (hearth_model_layers_read_remote (store, path, &host, &model))
      return show_remote (store, path, host, model, layer, want_template, want_json, out, err);
  }
  resolved = hearth_cli_resolve_model (context, "show", path, err);
  if (resolved == NULL)
    return 1;
  /* a model of the store (MODEL resolved to its blob) has layers of its
   * own (a profile's); a GGUF file outside the store has none */
  name = g_str_equal (resolved, path) ? NULL : path;
  if (name != NULL)
    {
      layers = hearth_model_layers_read (store, name, &error);
      if (layers == NULL)
        {
          fprintf (err, "hearth show: %s\n", error->message);
          return 1;
        }
    }
  if (layer != NULL && g_str_equal (layer, "--modelfile"))
    return print_modelfile (store, name, resolved, out, err);
  if (layer != NULL)
    return print_layer (layers, layer, out);
  /* the file, the layers and what a chat with it starts with, described
   * as /api/show describes them */
  desc = name != NULL ? hearth_model_description_new (store, name, &error)
                      : hearth_model_description_new_for_file (resolved, &error);
  if (desc == NULL)
    {
      fprintf (err, "hearth show: %s\n", error->message);
      return 1;
    }
  path = resolved;
  info = desc->info;
  if (name != NULL)
    {
      /* the template it reads: its own where it has one (as hearth run and
       * the window resolve it), else the file's */
      model_set = model_settings (desc);
      if (want_template && hearth_settings_get_template (desc->settings) != NULL)
        {
          fputs (hearth_settings_get_template (desc->settings), out);
          return 0;
        }
    }

  if (want_template)
    {
      if (info->chat_template == NULL)
        {
          fprintf (err, _("hearth show: %s has no chat template: in a chat it continues the text\n"),
                   path);
          return 0;
        }
      fputs (info->chat_template, out);
      return 0;
    }

  if (want_json)
    {
      g_autofree char *json = describe_json (desc, model_set, verbose);

      fprintf (out, "%s\n", json);
      return 0;
    }

  print_description (out, path, desc->gguf, info);
  if (model_set != NULL)
    print_settings (out, model_set, desc->settings);
  return 0;
}
