/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Modelfile writer: a HearthModelfile as text that Hearth and
 * `ollama create` read back the same, and the check of a Modelfile made in
 * code (a FROM, known parameters and roles, texts that quoting can carry).
 */

#define G_LOG_DOMAIN "hearth-modelfile"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-modelfile-private.h"

/* Whether every line of @s but the last is free of @quote, so that
 * @quote @s @quote reads back as @s. */
static gboolean
quotable (const char *s,
          const char *quote)
{
  const char *line = s;

  for (const char *p = s; *p != '\0'; p++)
    if (is_line_end (*p))
      {
        if (find_in (line, (gsize) (p - line), quote) != NULL)
          return FALSE;
        line = p + 1;
      }
  return TRUE;
}

static gboolean
needs_quotes (const char *s)
{
  gsize n = strlen (s);

  return n == 0 || s[0] == '"' || is_blank (s[0]) || is_blank (s[n - 1])
         || strpbrk (s, "\r\n") != NULL;
}

static void
append_value (GString    *out,
              const char *s)
{
  const char *quote;

  if (!needs_quotes (s))
    {
      g_string_append (out, s);
      return;
    }
  if (*s == '\0')
    {
      g_string_append (out, "\"\"");
      return;
    }
  /* "…" where nothing inside could end it early, else """…""", which holds
   * anything but """ on a line that is not the last (a line that holds the
   * quote also holds ", so "…" cannot carry such text either); that text is
   * written as Ollama would, and hearth_modelfile_check() says so */
  if (strpbrk (s, "\r\n") == NULL && strchr (s, '"') == NULL)
    quote = "\"";
  else
    quote = "\"\"\"";
  g_string_append (out, quote);
  g_string_append (out, s);
  g_string_append (out, quote);
}

static gboolean
writable (const char *s)
{
  return !needs_quotes (s) || quotable (s, "\"\"\"");
}

static void
append_line (GString    *out,
             const char *instruction,
             const char *value)
{
  if (value == NULL)
    return;
  g_string_append_printf (out, "%s ", instruction);
  append_value (out, value);
  g_string_append_c (out, '\n');
}

char *
hearth_modelfile_to_string (const HearthModelfile *mf)
{
  GString *out;

  g_return_val_if_fail (mf != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < mf->comments->len; i++)
    g_string_append_printf (out, "#%s\n", (const char *) g_ptr_array_index (mf->comments, i));
  append_line (out, "FROM", mf->from);
  append_line (out, "DRAFT", mf->draft);
  append_line (out, "REQUIRES", mf->requires);
  append_line (out, "TEMPLATE", mf->template_text);
  append_line (out, "SYSTEM", mf->system);
  append_line (out, "RENDERER", mf->renderer);
  append_line (out, "PARSER", mf->parser);
  for (guint i = 0; i < mf->parameters->len; i++)
    {
      const HearthModelfileParameter *p = g_ptr_array_index (mf->parameters, i);

      g_string_append_printf (out, "PARAMETER %s ", p->name);
      append_value (out, p->value);
      g_string_append_c (out, '\n');
    }
  for (guint i = 0; i < mf->messages->len; i++)
    {
      const HearthModelfileMessage *m = g_ptr_array_index (mf->messages, i);

      g_string_append_printf (out, "MESSAGE %s ", m->role);
      append_value (out, m->content);
      g_string_append_c (out, '\n');
    }
  for (guint i = 0; i < mf->licenses->len; i++)
    append_line (out, "LICENSE", g_ptr_array_index (mf->licenses, i));
  if (mf->rules != NULL && hearth_rules_get_n_rules (mf->rules) > 0)
    {
      g_autofree char *rules = hearth_rules_to_modelfile (mf->rules);

      g_string_append (out, rules);
    }
  return g_string_free (out, FALSE);
}

gboolean
hearth_modelfile_check (const HearthModelfile  *mf,
                        GError                **error)
{
  const char *texts[] = { mf->from, mf->draft, mf->requires, mf->template_text, mf->system,
                          mf->renderer, mf->parser };

  g_return_val_if_fail (mf != NULL, FALSE);

  if (mf->from == NULL || *mf->from == '\0')
    {
      g_set_error_literal (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                           _("the Modelfile has no FROM line; it needs one, such as "
                             "FROM llama3.2 or FROM ./model.gguf"));
      return FALSE;
    }
  if (mf->rules != NULL && !hearth_rules_compile (mf->rules, error))
    return FALSE;
  if (mf->requires != NULL && !hearth_modelfile_is_semver_internal (mf->requires))
    {
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                   _("REQUIRES needs an Ollama version such as 0.14.0, not “%s”"), mf->requires);
      return FALSE;
    }
  for (guint i = 0; i < mf->parameters->len; i++)
    {
      const HearthModelfileParameter *p = g_ptr_array_index (mf->parameters, i);

      if (!hearth_modelfile_check_parameter (p->name, p->value, error))
        return FALSE;
      if (!writable (p->value))
        goto unwritable;
    }
  for (guint i = 0; i < mf->messages->len; i++)
    {
      const HearthModelfileMessage *m = g_ptr_array_index (mf->messages, i);

      if (!is_message_role (m->role))
        {
          g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                       _("“%s” is not a message role; expected system, user or assistant, "
                         "in lower case"), m->role);
          return FALSE;
        }
      if (!writable (m->content))
        goto unwritable;
    }
  for (guint i = 0; i < mf->licenses->len; i++)
    if (!writable (g_ptr_array_index (mf->licenses, i)))
      goto unwritable;
  for (guint i = 0; i < mf->comments->len; i++)
    if (strpbrk (g_ptr_array_index (mf->comments, i), "\r\n") != NULL)
      goto unwritable;
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !writable (texts[i]))
      goto unwritable;
  return TRUE;

unwritable:
  g_set_error_literal (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                       _("a text holds \"\"\" on a line that is not its last; no Modelfile "
                         "quoting can carry it"));
  return FALSE;
}
