/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-ollama-template"

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-ollama-template.h"
#include "hearth-app-data.h"
#include "hearth-chat-template.h"

/* Default system prompts longer than this are not taken (a template that
 * pastes tool manuals into the system turn). */
#define MAX_SYSTEM (64 * 1024)

typedef struct
{
  const char *family;
  const char *const *stop;
} Family;

static const char *const chatml_stop[] = { "<|im_start|>", "<|im_end|>", NULL };
static const char *const llama3_stop[] = { "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                                           NULL };
static const char *const gemma_stop[] = { "<start_of_turn>", "<end_of_turn>", NULL };
static const char *const phi3_stop[] = { "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", NULL };
static const char *const mistral_stop[] = { "[INST]", "[/INST]", NULL };
static const char *const deepseek_stop[] = { "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
                                             "<｜User｜>", "<｜Assistant｜>", NULL };

static const Family families[] = {
  { "chatml", chatml_stop },
  { "llama3", llama3_stop },
  { "gemma", gemma_stop },
  { "phi3", phi3_stop },
  { "mistral", mistral_stop },
  { "mistral-tekken", mistral_stop },
  { "mistral-v7", mistral_stop },
  { "deepseek-r1", deepseek_stop },
};

static gboolean
has (const char *text,
     gsize       len,
     const char *marker)
{
  return g_strstr_len (text, (gssize) len, marker) != NULL;
}

/* The family by the markers a template writes; NULL for another format.
 * GLM (<|user|> without <|end|>), Zephyr (<|user|> with </s>), gpt-oss
 * (<|end|> without <|user|>) and Granite are other formats. */
static const Family *
detect (const char *jinja,
        gsize       len)
{
  const char *name = NULL;

  if (has (jinja, len, "<|im_start|>"))
    name = "chatml";
  else if (has (jinja, len, "<|start_header_id|>"))
    name = "llama3";
  else if (has (jinja, len, "<start_of_turn>"))
    name = "gemma";
  else if (has (jinja, len, "<|user|>") && has (jinja, len, "<|assistant|>")
           && has (jinja, len, "<|end|>"))
    name = "phi3";
  else if (has (jinja, len, "[SYSTEM_PROMPT]") && has (jinja, len, "[INST]"))
    name = "mistral-v7";
  else if (has (jinja, len, "[INST] "))
    name = "mistral";
  else if (has (jinja, len, "[INST]"))
    name = "mistral-tekken";
  else if (has (jinja, len, "<｜User｜>") && has (jinja, len, "<｜Assistant｜>"))
    name = "deepseek-r1";

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (families); i++)
    if (g_str_equal (families[i].family, name))
      return &families[i];
  return NULL;
}

/* ---- the default system prompt ------------------------------------------ */

#define SYSTEM_PROBE "Hearth-system-probe"
#define USER_PROBE "Hearth-user-probe"

/* @t rendered for the probe conversation at @now, or NULL if it fails. */
static char *
render (HearthChatTemplate *t,
        gboolean            with_system,
        const char         *bos,
        const char         *eos,
        gint64              now)
{
  g_autoptr (HearthTemplateVars) vars = hearth_template_vars_new_for_chat (bos, eos);
  g_autofree char *text = NULL;
  gsize len = 0;

  if (with_system)
    hearth_template_vars_add_message (vars, "system", SYSTEM_PROBE);
  hearth_template_vars_add_message (vars, "user", USER_PROBE);
  text = hearth_chat_template_render (t, vars, now, 1024 * 1024, &len, NULL);
  if (text == NULL || strlen (text) != len)
    return NULL;
  return g_steal_pointer (&text);
}

/* What the template writes where the system message goes when there is
 * none, at time @now: "" for nothing, NULL when it cannot be told. */
static char *
default_system_at (HearthChatTemplate *t,
                   const char         *bos,
                   const char         *eos,
                   gint64              now)
{
  g_autofree char *with = render (t, TRUE, bos, eos, now);
  g_autofree char *without = render (t, FALSE, bos, eos, now);
  const char *mark;
  gsize prefix, suffix, len;

  if (with == NULL || without == NULL)
    return NULL;
  mark = strstr (with, SYSTEM_PROBE);
  if (mark == NULL || strstr (mark + 1, SYSTEM_PROBE) != NULL)
    return NULL;
  prefix = (gsize) (mark - with);
  suffix = strlen (mark + strlen (SYSTEM_PROBE));
  len = strlen (without);
  if (len < prefix + suffix || strncmp (without, with, prefix) != 0
      || strcmp (without + len - suffix, mark + strlen (SYSTEM_PROBE)) != 0)
    return NULL;
  return g_strndup (without + prefix, len - prefix - suffix);
}

/* The system prompt @jinja adds when a conversation has none: the same
 * on two different days, or none at all. */
static char *
default_system (const char *jinja,
                gsize       len,
                const char *bos,
                const char *eos)
{
  g_autoptr (HearthChatTemplate) t = hearth_chat_template_new (jinja, (gssize) len, NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  if (t == NULL)
    return NULL;
  /* 2024-01-15 and 2025-07-04 (noon UTC): different day, month and year */
  first = default_system_at (t, bos, eos, 1705320000);
  second = default_system_at (t, bos, eos, 1751630400);
  if (first == NULL || second == NULL || !g_str_equal (first, second) || first[0] == '\0'
      || strlen (first) > MAX_SYSTEM || !g_utf8_validate (first, -1, NULL))
    return NULL;
  return g_steal_pointer (&first);
}

/* ---- the template --------------------------------------------------------- */

HearthOllamaTemplate *
hearth_ollama_template_new (const char *jinja,
                            gssize      len,
                            const char *bos,
                            const char *eos)
{
  g_autofree char *path = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  HearthOllamaTemplate *self;
  const Family *family;
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (jinja != NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (jinja);
  family = detect (jinja, (gsize) len);
  if (family == NULL)
    return NULL;
  path = g_strdup_printf ("ollama/%s.gotmpl", family->family);
  bytes = hearth_app_data_lookup (path, &error);
  if (bytes == NULL)
    {
      /* a build without its resources: a bug, not the user's input */
      g_critical ("no Ollama template for “%s”: %s", family->family, error->message);
      return NULL;
    }
  data = g_bytes_get_data (bytes, &size);

  self = g_new0 (HearthOllamaTemplate, 1);
  self->family = family->family;
  self->template = g_strndup (data, size);
  self->stop = g_strdupv ((char **) family->stop);
  self->system = default_system (jinja, (gsize) len, bos, eos);
  return self;
}

HearthOllamaTemplate *
hearth_ollama_template_new_for_gguf (HearthGguf *gguf)
{
  gsize length = 0;
  const char *jinja;
  g_autofree char *bos = NULL;
  g_autofree char *eos = NULL;

  g_return_val_if_fail (gguf != NULL, NULL);

  jinja = hearth_gguf_get_string (gguf, "tokenizer.chat_template", &length);
  if (jinja == NULL || !g_utf8_validate_len (jinja, length, NULL) || strlen (jinja) != length)
    return NULL;
  bos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.bos_token_id");
  eos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.eos_token_id");
  return hearth_ollama_template_new (jinja, (gssize) length, bos, eos);
}

char *
hearth_ollama_template_params (const HearthOllamaTemplate *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "stop");
  json_builder_begin_array (b);
  for (char **s = self->stop; *s != NULL; s++)
    json_builder_add_string_value (b, *s);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
hearth_ollama_template_free (HearthOllamaTemplate *self)
{
  if (self == NULL)
    return;
  g_free (self->template);
  g_strfreev (self->stop);
  g_free (self->system);
  g_free (self);
}
