/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rules as Modelfile comment lines, read and written:
 *
 *   # hearth: RULE output mask regex "[\\w.]+@[\\w.]+" "[email]"
 *
 * Ollama reads a line whose first non-blank character is # as a comment, so
 * a profile with rules stays a valid Ollama model. The Modelfile parser's
 * own readers (hearth-modelfile.c) are private to it, and its quoting cannot
 * hold a value inside a comment anyway, so this file has its own small
 * reader: "…" with the escapes \" \\ \n \r \t, and """…""" taken as written,
 * whose lines after the first start with "#" and one optional space (which
 * are not part of the text) so that Ollama skips them too.
 */

#define G_LOG_DOMAIN "hearth-rules"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-rules-private.h"

static const char *const where_words[] = { "input", "output" };
static const char *const action_words[] = { "refuse", "mask", "replace", "note" };
static const char *const match_words[] = { "text", "text-i", "regex" };

/* ---- reading -------------------------------------------------------------- */

typedef struct {
  const char *p;
  const char *end;
  const char *line_start;
  guint line;
} Cursor;

static guint
column_at (const Cursor *c,
           const char   *at)
{
  return (guint) g_utf8_strlen (c->line_start, at - c->line_start) + 1;
}

static void
set_error_at (GError      **error,
              int           code,
              const Cursor *c,
              const char   *at,
              const char   *message)
{
  g_set_error (error, HEARTH_RULES_ERROR, code, _("line %u, column %u: %s"), c->line,
               column_at (c, at), message);
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static gboolean
is_line_end (char c)
{
  return c == '\n' || c == '\r';
}

static void
skip_blanks (Cursor *c)
{
  while (c->p < c->end && is_blank (*c->p))
    c->p++;
}

/* Moves past the rest of the line and its line break. */
static void
next_line (Cursor *c)
{
  while (c->p < c->end && !is_line_end (*c->p))
    c->p++;
  if (c->p < c->end && *c->p == '\r')
    {
      c->p++;
      if (c->p < c->end && *c->p == '\n')
        c->p++;
    }
  else if (c->p < c->end && *c->p == '\n')
    c->p++;
  c->line++;
  c->line_start = c->p;
}

/* Whether the text at c->p starts with @word followed by a blank or the end
 * of the line; if so, moves past it. */
static gboolean
skip_word (Cursor     *c,
           const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return FALSE;
  if (c->p + n < c->end && !is_blank (c->p[n]) && !is_line_end (c->p[n]))
    return FALSE;
  c->p += n;
  return TRUE;
}

/* Reads one of @words (@n of them) at c->p; its index, or -1 with @error
 * set (@what names the field in a message). */
static int
read_keyword (Cursor            *c,
              const char *const *words,
              guint              n,
              const char        *what,
              GError           **error)
{
  const char *start = c->p;
  g_autofree char *word = NULL;

  while (c->p < c->end && !is_blank (*c->p) && !is_line_end (*c->p))
    c->p++;
  word = g_strndup (start, c->p - start);
  for (guint i = 0; i < n; i++)
    if (g_str_equal (word, words[i]))
      {
        skip_blanks (c);
        return (int) i;
      }

  if (word[0] == '\0')
    {
      g_autofree char *msg = g_strdup_printf (_("a rule needs its %s here"), what);
      set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, start, msg);
    }
  else
    {
      g_autofree char *msg = NULL;

      if (words == where_words)
        msg = g_strdup_printf (_("unknown place “%s”"), word);
      else if (words == action_words)
        msg = g_strdup_printf (_("unknown action “%s”"), word);
      else
        msg = g_strdup_printf (_("unknown kind of pattern “%s”"), word);
      set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, start, msg);
    }
  return -1;
}

/* Reads a """…""" value whose opening quotes are at c->p. */
static char *
read_long_value (Cursor  *c,
                 GError **error)
{
  Cursor open = *c;
  g_autoptr (GString) value = g_string_new (NULL);

  c->p += 3;
  for (;;)
    {
      const char *p = c->p;

      while (p < c->end && !is_line_end (*p))
        {
          if (c->end - p >= 3 && memcmp (p, "\"\"\"", 3) == 0)
            {
              g_string_append_len (value, c->p, p - c->p);
              c->p = p + 3;
              return g_string_free (g_steal_pointer (&value), FALSE);
            }
          p++;
        }
      g_string_append_len (value, c->p, p - c->p);
      c->p = p;
      if (c->p >= c->end)
        break;

      /* The value goes on, on a comment line of its own. */
      g_string_append_c (value, '\n');
      next_line (c);
      if (c->p >= c->end || *c->p != '#')
        {
          set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, c->p,
                        _("a rule's text that goes on to this line needs a # at its start"));
          return NULL;
        }
      c->p++;
      if (c->p < c->end && *c->p == ' ')
        c->p++;
    }
  set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, &open, open.p,
                _("the \"\"\" opened here is never closed"));
  return NULL;
}

/* Reads a "…" or """…""" value at c->p. */
static char *
read_value (Cursor  *c,
            GError **error)
{
  const char *open = c->p;
  g_autoptr (GString) value = g_string_new (NULL);

  if (c->p >= c->end || is_line_end (*c->p) || *c->p != '"')
    {
      set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, c->p,
                    _("a rule's pattern and text are written in quotes: \"…\""));
      return NULL;
    }
  if (c->end - c->p >= 3 && memcmp (c->p, "\"\"\"", 3) == 0)
    return read_long_value (c, error);

  c->p++;
  while (c->p < c->end && !is_line_end (*c->p) && *c->p != '"')
    {
      if (*c->p != '\\')
        {
          g_string_append_c (value, *c->p++);
          continue;
        }
      if (c->p + 1 >= c->end || is_line_end (c->p[1]))
        break;
      switch (c->p[1])
        {
        case '"': g_string_append_c (value, '"'); break;
        case '\\': g_string_append_c (value, '\\'); break;
        case 'n': g_string_append_c (value, '\n'); break;
        case 'r': g_string_append_c (value, '\r'); break;
        case 't': g_string_append_c (value, '\t'); break;
        default:
          {
            g_autofree char *escape = g_strndup (c->p, g_utf8_next_char (c->p + 1) - c->p);
            g_autofree char *msg = g_strdup_printf (
              _("unknown escape “%s”: inside quotes, write \\\" \\\\ \\n \\r or \\t"), escape);

            set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, c->p, msg);
            return NULL;
          }
        }
      c->p += 2;
    }
  if (c->p >= c->end || *c->p != '"')
    {
      set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, open,
                    _("the quote opened here is never closed on its line"));
      return NULL;
    }
  c->p++;
  return g_string_free (g_steal_pointer (&value), FALSE);
}

/* Reads the rest of a rule line, after "RULE", into @rules. */
static gboolean
read_rule (Cursor      *c,
           HearthRules *rules,
           GError     **error)
{
  int where, action, match;
  Cursor at_pattern;
  g_autofree char *pattern = NULL;
  g_autofree char *text = NULL;
  HearthRule rule;
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GError) local = NULL;

  skip_blanks (c);
  if ((where = read_keyword (c, where_words, G_N_ELEMENTS (where_words), _("place (input or output)"),
                             error)) < 0
      || (action = read_keyword (c, action_words, G_N_ELEMENTS (action_words),
                                 _("action (refuse, mask, replace or note)"), error)) < 0
      || (match = read_keyword (c, match_words, G_N_ELEMENTS (match_words),
                                _("kind of pattern (text, text-i or regex)"), error)) < 0)
    return FALSE;

  at_pattern = *c;
  if ((pattern = read_value (c, error)) == NULL)
    return FALSE;
  skip_blanks (c);
  if (c->p < c->end && !is_line_end (*c->p))
    {
      if ((text = read_value (c, error)) == NULL)
        return FALSE;
      skip_blanks (c);
      if (c->p < c->end && !is_line_end (*c->p))
        {
          set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, c, c->p,
                        _("a rule ends after its pattern and text"));
          return FALSE;
        }
    }

  /* Compiled on its own first, so that an error can point at the line. */
  rule.where = where;
  rule.action = action;
  rule.match = match;
  rule.pattern = pattern;
  rule.text = text;
  regex = hearth_rules_compile_rule_internal (&rule, &local);
  if (regex == NULL)
    {
      set_error_at (error, local->code, &at_pattern, at_pattern.p, local->message);
      return FALSE;
    }
  hearth_rules_add (rules, where, action, match, pattern, text);
  return TRUE;
}

HearthRules *
hearth_rules_parse_modelfile (const char *text,
                              GError    **error)
{
  return hearth_rules_parse_modelfile_internal (text, NULL, error);
}

HearthRules *
hearth_rules_parse_modelfile_internal (const char *text,
                                       GArray     *lines,
                                       GError    **error)
{
  g_autoptr (HearthRules) rules = hearth_rules_new ();
  const char *bad;
  Cursor c;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  c.p = text;
  c.end = text + strlen (text);
  c.line_start = text;
  c.line = 1;

  if (!g_utf8_validate (text, -1, &bad))
    {
      Cursor at = c;

      for (const char *p = text; p < bad; p++)
        if (*p == '\n' || (*p == '\r' && p[1] != '\n'))
          {
            at.line++;
            at.line_start = p + 1;
          }
      set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, &at, bad, _("the text is not valid UTF-8"));
      return NULL;
    }

  while (c.p < c.end)
    {
      skip_blanks (&c);
      if (c.p < c.end && *c.p == '#')
        {
          c.p++;
          skip_blanks (&c);
          if (skip_word (&c, "hearth:"))
            {
              const char *directive;

              skip_blanks (&c);
              directive = c.p;
              if (!skip_word (&c, "RULE"))
                {
                  set_error_at (error, HEARTH_RULES_ERROR_SYNTAX, &c, directive,
                                _("unknown Hearth line: Hearth reads “# hearth: RULE …”"));
                  return NULL;
                }
              guint first = c.line;

              if (!read_rule (&c, rules, error))
                return NULL;
              if (lines != NULL)
                {
                  g_array_append_val (lines, first);
                  g_array_append_val (lines, c.line);
                }
            }
        }
      next_line (&c);
    }

  if (!hearth_rules_compile (rules, error))
    return NULL;
  return g_steal_pointer (&rules);
}

/* ---- writing -------------------------------------------------------------- */

static void
append_value (GString    *out,
              const char *value)
{
  /* """…""" for a text of several lines that it can hold as written. */
  if (strchr (value, '\n') != NULL && strchr (value, '\r') == NULL
      && strstr (value, "\"\"\"") == NULL && !g_str_has_suffix (value, "\""))
    {
      g_string_append (out, "\"\"\"");
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p != '\n')
            g_string_append_c (out, *p);
          else if (p[1] == '\n' || p[1] == '\0')
            g_string_append (out, "\n#");
          else
            g_string_append (out, "\n# ");
        }
      g_string_append (out, "\"\"\"");
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    switch (*p)
      {
      case '"': g_string_append (out, "\\\""); break;
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      case '\t': g_string_append (out, "\\t"); break;
      default: g_string_append_c (out, *p); break;
      }
  g_string_append_c (out, '"');
}

char *
hearth_rules_to_modelfile (const HearthRules *rules)
{
  g_autoptr (GString) out = g_string_new (NULL);

  g_return_val_if_fail (rules != NULL, NULL);

  for (guint i = 0; i < hearth_rules_get_n_rules (rules); i++)
    {
      const HearthRule *rule = hearth_rules_get_rule (rules, i);

      g_string_append_printf (out, "# hearth: RULE %s %s %s ", where_words[rule->where],
                              action_words[rule->action], match_words[rule->match]);
      append_value (out, rule->pattern);
      if (rule->text != NULL)
        {
          g_string_append_c (out, ' ');
          append_value (out, rule->text);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
