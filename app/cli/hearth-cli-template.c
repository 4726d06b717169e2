/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth template (MODEL.gguf | FILE.jinja) --context FILE.json [--now UNIX_SECONDS]`:
 * renders a chat template (a file's, or a model's tokenizer.chat_template)
 * with the engine's Jinja interpreter and prints the prompt exactly.
 * `--ollama` prints instead, as JSON, the Go template, stop strings and
 * default system prompt Hearth writes for Ollama.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "hearth-cli-commands.h"
#include "hearth-chat-template.h"
#include "hearth-cli-output.h"
#include "hearth-ollama-template.h"

static gboolean
parse_now (const char *text,
           gint64     *now)
{
  char *end = NULL;
  gint64 value;

  errno = 0;
  value = g_ascii_strtoll (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0)
    return FALSE;
  *now = value;
  return TRUE;
}

/* Whether @path starts with GGUF's magic: a model, not a template file. */
static gboolean
is_gguf_file (const char *path)
{
  char magic[4] = { 0 };
  FILE *f = fopen (path, "rb");
  gboolean gguf;

  if (f == NULL)
    return FALSE;
  gguf = fread (magic, 1, 4, f) == 4 && memcmp (magic, "GGUF", 4) == 0;
  fclose (f);
  return gguf;
}

gboolean
hearth_cli_gguf_chat_template (HearthGguf  *gguf,
                               const char  *path,
                               const char **source,
                               gsize       *length,
                               gboolean    *is_default,
                               FILE        *err)
{
  gsize len = 0;
  const char *text = hearth_gguf_get_string (gguf, "tokenizer.chat_template", &len);

  *is_default = FALSE;
  if (text != NULL)
    {
      if (strlen (text) != len)
        {
          fprintf (err, _("hearth: the chat template of %s contains a NUL byte; the file is damaged\n"),
                   path);
          return FALSE;
        }
      *source = text;
      *length = len;
      return TRUE;
    }
  if (hearth_gguf_has_key (gguf, "tokenizer.chat_template"))
    fprintf (err, _("hearth: the chat template of %s is not text; Hearth uses its default (ChatML)\n"),
             path);
  *is_default = TRUE;
  *source = hearth_chat_template_get_default_source ();
  *length = strlen (*source);
  return TRUE;
}

/* --ollama: what Hearth writes into the store for Ollama, as JSON. */
static int
print_ollama (const char *source,
              gsize       len,
              const char *bos,
              const char *eos,
              const char *path,
              FILE       *out,
              FILE       *err)
{
  g_autoptr (HearthOllamaTemplate) chat = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (strlen (source) != len || !g_utf8_validate (source, (gssize) len, NULL))
    {
      fprintf (err, _("hearth template: %s is not UTF-8 text\n"), path);
      return 1;
    }
  chat = hearth_ollama_template_new (source, (gssize) len, bos, eos);
  if (chat == NULL)
    fprintf (err, _("hearth template: Hearth does not know the format of this chat template; Ollama "
                    "would use its plain “{{ .Prompt }}”\n"));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "family");
  if (chat != NULL)
    json_builder_add_string_value (b, chat->family);
  else
    json_builder_add_null_value (b);
  if (chat != NULL)
    {
      json_builder_set_member_name (b, "template");
      json_builder_add_string_value (b, chat->template);
      json_builder_set_member_name (b, "system");
      if (chat->system != NULL)
        json_builder_add_string_value (b, chat->system);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "parameters");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "stop");
      json_builder_begin_array (b);
      for (char **stop = chat->stop; *stop != NULL; stop++)
        json_builder_add_string_value (b, *stop);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  fprintf (out, "%s\n", text);
  return 0;
}

int
hearth_cli_run_template (HearthContext          *context,
                         const HearthCliCommand *command,
                         int                     argc,
                         char                  **argv,
                         FILE                   *out,
                         FILE                   *err)
{
  const char *template_path = NULL, *context_path = NULL, *now_text = NULL;
  g_autoptr (GError) gerror = NULL;
  g_autoptr (HearthTemplateVars) vars = NULL;
  g_autoptr (HearthChatTemplate) template = NULL;
  g_autofree char *bos_text = NULL;
  g_autofree char *eos_text = NULL;
  g_autofree char *source = NULL;
  g_autofree char *json = NULL;
  g_autofree char *output = NULL;
  gsize source_len = 0, json_len = 0, output_len = 0;
  gint64 now = 0;
  gboolean ollama = FALSE;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const char **slot = NULL;
      const char *value = NULL;

      if (g_str_equal (a, "--ollama"))
        {
          ollama = TRUE;
          continue;
        }
      if (g_str_equal (a, "--context") || g_str_equal (a, "--now"))
        {
          slot = g_str_equal (a, "--context") ? &context_path : &now_text;
          if (i + 1 >= argc)
            return hearth_cli_missing_value (err, "template", a);
          value = argv[++i];
        }
      else if (g_str_has_prefix (a, "--context="))
        slot = &context_path, value = a + strlen ("--context=");
      else if (g_str_has_prefix (a, "--now="))
        slot = &now_text, value = a + strlen ("--now=");
      else if (hearth_cli_is_option (a))
        {
          g_autofree char *name = g_strndup (a, strcspn (a, "="));

          return hearth_cli_unknown_option (err, "template", name);
        }
      else if (template_path == NULL)
        {
          template_path = a;
          continue;
        }
      else
        {
          fprintf (err, _("hearth template: too many arguments. Run “hearth help template” for usage.\n"));
          return 2;
        }
      *slot = value;
    }

  if (template_path == NULL || (context_path == NULL) == !ollama)
    {
      fprintf (err, _("hearth template: usage: hearth template (MODEL.gguf | FILE.jinja) (--context FILE.json [--now UNIX_SECONDS] | --ollama)\n"));
      return 2;
    }
  if (now_text != NULL && !parse_now (now_text, &now))
    {
      fprintf (err, _("hearth template: --now wants a positive number of seconds since 1970, not “%s”\n"),
               now_text);
      return 2;
    }

  if (is_gguf_file (template_path))
    {
      /* MODEL: its chat template (or the default), and its BOS and EOS
       * texts unless the context file gives them. */
      g_autoptr (HearthGguf) gguf = hearth_gguf_open (template_path, &gerror);
      gboolean is_default = FALSE;
      const char *text;
      gsize len = 0;

      if (gguf == NULL)
        {
          fprintf (err, "hearth template: %s\n", gerror->message);
          return 1;
        }
      if (!hearth_cli_gguf_chat_template (gguf, template_path, &text, &len, &is_default, err))
        return 1;
      if (is_default && !hearth_gguf_has_key (gguf, "tokenizer.chat_template"))
        fprintf (err, _("hearth template: %s has no chat template; rendering Hearth’s default (ChatML)\n"),
                 template_path);
      source = g_strndup (text, len);
      source_len = len;
      bos_text = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.bos_token_id");
      eos_text = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.eos_token_id");
    }
  else if (!g_file_get_contents (template_path, &source, &source_len, &gerror))
    {
      fprintf (err, _("hearth template: cannot read the template: %s\n"), gerror->message);
      return 1;
    }
  if (ollama)
    return print_ollama (source, source_len, bos_text, eos_text, template_path, out, err);
  if (!g_file_get_contents (context_path, &json, &json_len, &gerror))
    {
      fprintf (err, _("hearth template: cannot read the context: %s\n"), gerror->message);
      return 1;
    }
  vars = hearth_template_vars_new_from_json (json, (gssize) json_len, &gerror);
  if (vars == NULL
      && g_error_matches (gerror, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_NOT_OBJECT))
    {
      fprintf (err, _("hearth template: “%s” must hold one JSON object, whose keys become the template’s variables\n"),
               context_path);
      return 1;
    }
  if (vars == NULL)
    {
      fprintf (err, _("hearth template: “%s” is not valid JSON: %s\n"), context_path, gerror->message);
      return 1;
    }

  if (bos_text != NULL && !hearth_template_vars_has (vars, "bos_token"))
    hearth_template_vars_set_string (vars, "bos_token", bos_text);
  if (eos_text != NULL && !hearth_template_vars_has (vars, "eos_token"))
    hearth_template_vars_set_string (vars, "eos_token", eos_text);

  template = hearth_chat_template_new (source, (gssize) source_len, &gerror);
  if (template != NULL)
    output = hearth_chat_template_render (template, vars, now, 0, &output_len, &gerror);
  if (output == NULL)
    {
      fprintf (err, _("hearth template: %s: %s\n"), template_path, gerror->message);
      return 3;
    }

  fwrite (output, 1, output_len, out);
  fflush (out);
  return 0;
}
