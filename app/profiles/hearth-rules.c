/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rules: compiling them, reading and writing them as Modelfile comment lines,
 * applying them to a whole text, and applying output rules to a stream.
 *
 * Every kind of pattern becomes a GRegex (a text pattern escaped, text-i
 * caseless as well), so that one scanner serves them all. The whole-text
 * functions use g_regex_replace_eval(); the stream filter is written
 * separately, one stage per output rule, and the tests hold it to the
 * whole-text result for every way of splitting a text.
 *
 * A stream stage asks PCRE2 for a partial match (G_REGEX_MATCH_PARTIAL_HARD):
 * "no match" means that nothing held can start a match, so all of it is
 * released; a partial match means that the text from some position on might
 * still become one. GLib 2.74 does not tell where a partial match starts, so
 * the stage then tries each position in turn, anchored, to find it.
 */

#define G_LOG_DOMAIN "hearth-rules"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-rules-private.h"

G_DEFINE_QUARK (hearth-rules-error-quark, hearth_rules_error)

/* How much text before the scan position a stream stage keeps once it trims
 * what it has released, in characters: enough for \b and short lookbehinds. */
#define CONTEXT_CHARS 64

/* A stream stage trims what it has released once it holds this many bytes. */
#define TRIM_BYTES 4096

struct _HearthRules {
  gatomicrefcount ref_count;
  GPtrArray *rules;   /* HearthRule *, owned */
  GPtrArray *regexes; /* GRegex *, one per rule, or NULL until compiled */
};

/* ---- rules --------------------------------------------------------------- */

static void
rule_free (gpointer data)
{
  HearthRule *rule = data;

  g_free (rule->pattern);
  g_free (rule->text);
  g_free (rule);
}

HearthRules *
hearth_rules_new (void)
{
  HearthRules *rules = g_new0 (HearthRules, 1);

  g_atomic_ref_count_init (&rules->ref_count);
  rules->rules = g_ptr_array_new_with_free_func (rule_free);
  return rules;
}

HearthRules *
hearth_rules_ref (HearthRules *rules)
{
  g_return_val_if_fail (rules != NULL, NULL);

  g_atomic_ref_count_inc (&rules->ref_count);
  return rules;
}

void
hearth_rules_unref (HearthRules *rules)
{
  g_return_if_fail (rules != NULL);

  if (!g_atomic_ref_count_dec (&rules->ref_count))
    return;
  g_ptr_array_unref (rules->rules);
  g_clear_pointer (&rules->regexes, g_ptr_array_unref);
  g_free (rules);
}

void
hearth_rules_add (HearthRules     *rules,
                  HearthRuleWhere  where,
                  HearthRuleAction action,
                  HearthRuleMatch  match,
                  const char      *pattern,
                  const char      *text)
{
  HearthRule *rule;

  g_return_if_fail (rules != NULL);
  g_return_if_fail (pattern != NULL);

  rule = g_new0 (HearthRule, 1);
  rule->where = where;
  rule->action = action;
  rule->match = match;
  rule->pattern = g_strdup (pattern);
  rule->text = g_strdup (text);
  g_ptr_array_add (rules->rules, rule);
  g_clear_pointer (&rules->regexes, g_ptr_array_unref);
}

guint
hearth_rules_get_n_rules (const HearthRules *rules)
{
  g_return_val_if_fail (rules != NULL, 0);

  return rules->rules->len;
}

const HearthRule *
hearth_rules_get_rule (const HearthRules *rules,
                       guint              index)
{
  g_return_val_if_fail (rules != NULL, NULL);
  g_return_val_if_fail (index < rules->rules->len, NULL);

  return g_ptr_array_index (rules->rules, index);
}

gboolean
hearth_rules_equal (const HearthRules *a,
                    const HearthRules *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->rules->len != b->rules->len)
    return FALSE;
  for (guint i = 0; i < a->rules->len; i++)
    {
      const HearthRule *x = g_ptr_array_index (a->rules, i);
      const HearthRule *y = g_ptr_array_index (b->rules, i);

      if (x->where != y->where || x->action != y->action || x->match != y->match
          || g_strcmp0 (x->pattern, y->pattern) != 0 || g_strcmp0 (x->text, y->text) != 0)
        return FALSE;
    }
  return TRUE;
}

/* The GRegex for one rule. On failure, the message is GLib's, which names
 * the position (in characters) that PCRE2 reports. */
GRegex *
hearth_rules_compile_rule_internal (const HearthRule *rule,
                                    GError          **error)
{
  g_autofree char *escaped = NULL;
  GRegexCompileFlags flags = 0;
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GError) local = NULL;

  if (rule->pattern[0] == '\0')
    {
      g_set_error_literal (error, HEARTH_RULES_ERROR, HEARTH_RULES_ERROR_PATTERN,
                           _("the pattern is empty"));
      return NULL;
    }
  if (!g_utf8_validate (rule->pattern, -1, NULL)
      || (rule->text != NULL && !g_utf8_validate (rule->text, -1, NULL)))
    {
      g_set_error_literal (error, HEARTH_RULES_ERROR, HEARTH_RULES_ERROR_PATTERN,
                           _("the rule is not valid UTF-8"));
      return NULL;
    }

  if (rule->match == HEARTH_RULE_MATCH_REGEX)
    regex = g_regex_new (rule->pattern, 0, 0, &local);
  else
    {
      escaped = g_regex_escape_string (rule->pattern, -1);
      if (rule->match == HEARTH_RULE_MATCH_TEXT_I)
        flags |= G_REGEX_CASELESS;
      regex = g_regex_new (escaped, flags, 0, &local);
    }
  if (regex == NULL)
    {
      g_set_error_literal (error, HEARTH_RULES_ERROR, HEARTH_RULES_ERROR_PATTERN, local->message);
      return NULL;
    }

  if (rule->action == HEARTH_RULE_REPLACE && rule->text != NULL
      && !g_regex_check_replacement (rule->text, NULL, &local))
    {
      g_set_error_literal (error, HEARTH_RULES_ERROR, HEARTH_RULES_ERROR_REPLACEMENT,
                           local->message);
      return NULL;
    }
  return g_steal_pointer (&regex);
}

gboolean
hearth_rules_compile (HearthRules *rules,
                      GError     **error)
{
  g_autoptr (GPtrArray) regexes = NULL;

  g_return_val_if_fail (rules != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  regexes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  for (guint i = 0; i < rules->rules->len; i++)
    {
      g_autoptr (GError) local = NULL;
      GRegex *regex = hearth_rules_compile_rule_internal (g_ptr_array_index (rules->rules, i), &local);

      if (regex == NULL)
        {
          g_set_error (error, HEARTH_RULES_ERROR, local->code, _("rule %u: %s"), i + 1,
                       local->message);
          return FALSE;
        }
      g_ptr_array_add (regexes, regex);
    }
  g_clear_pointer (&rules->regexes, g_ptr_array_unref);
  rules->regexes = g_steal_pointer (&regexes);
  return TRUE;
}

static GRegex *
regex_at (const HearthRules *rules,
          guint              index)
{
  return g_ptr_array_index (rules->regexes, index);
}

gboolean
hearth_rules_check_rule (const HearthRules *rules,
                         guint              index,
                         GError           **error)
{
  g_autoptr (GRegex) regex = NULL;

  g_return_val_if_fail (rules != NULL, FALSE);
  g_return_val_if_fail (index < rules->rules->len, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  regex = hearth_rules_compile_rule_internal (g_ptr_array_index (rules->rules, index), error);
  return regex != NULL;
}

GArray *
hearth_rules_find_matches (const HearthRules *rules,
                           guint              index,
                           const char        *text)
{
  GArray *pairs;
  g_autoptr (GMatchInfo) match_info = NULL;

  g_return_val_if_fail (rules != NULL && rules->regexes != NULL, NULL);
  g_return_val_if_fail (index < rules->rules->len, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  pairs = g_array_new (FALSE, FALSE, sizeof (guint));
  /* (the same scan as g_regex_replace_eval () in apply_whole ()) */
  g_regex_match_full (regex_at (rules, index), text, -1, 0, G_REGEX_MATCH_NOTEMPTY, &match_info,
                      NULL);
  while (g_match_info_matches (match_info))
    {
      int start, end;

      if (g_match_info_fetch_pos (match_info, 0, &start, &end) && end > start)
        {
          guint pair[2] = { start, end };

          g_array_append_vals (pairs, pair, 2);
        }
      if (!g_match_info_next (match_info, NULL))
        break;
    }
  return pairs;
}

/* The message a refusing rule shows. Owned by the caller. */
static char *
refusal_message (const HearthRule *rule)
{
  if (rule->text != NULL && rule->text[0] != '\0')
    return g_strdup (rule->text);
  return g_strdup (_("The profile's rules refused this."));
}

/* Appends what one match becomes under a MASK, REPLACE or NOTE @rule. */
static void
append_action (const HearthRule *rule,
               const GMatchInfo *match_info,
               const char       *subject,
               int               start,
               int               end,
               GString          *out)
{
  switch (rule->action)
    {
    case HEARTH_RULE_MASK:
      if (rule->text != NULL)
        g_string_append (out, rule->text);
      break;
    case HEARTH_RULE_REPLACE:
      if (rule->text != NULL)
        {
          /* The replacement was checked when the rules were compiled. */
          g_autofree char *expanded = g_match_info_expand_references (match_info, rule->text,
                                                                      NULL);
          if (expanded != NULL)
            g_string_append (out, expanded);
        }
      break;
    case HEARTH_RULE_NOTE:
    case HEARTH_RULE_REFUSE:
    default:
      g_string_append_len (out, subject + start, end - start);
      break;
    }
}

/* ---- applying rules to a whole text -------------------------------------- */

void
hearth_rules_result_free (HearthRulesResult *result)
{
  if (result == NULL)
    return;
  g_free (result->text);
  g_free (result->refusal);
  g_free (result->counts);
  g_free (result);
}

static HearthRulesResult *
result_new (const HearthRules *rules)
{
  HearthRulesResult *result = g_new0 (HearthRulesResult, 1);

  result->n_rules = rules->rules->len;
  result->counts = g_new0 (guint, MAX (result->n_rules, 1));
  return result;
}

/* Whether @text holds one of the noncharacters U+FDD0…U+FDEF, as it is or
 * as a regular expression's \x{FDDx} escape. */
gboolean
hearth_rules_text_has_marker (const char *text)
{
  if (text == NULL)
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0xFDD0 && c <= 0xFDEF)
        return TRUE;
      if (c == '\\' && (g_ascii_strncasecmp (p, "\\x{FDD", 6) == 0
                         || g_ascii_strncasecmp (p, "\\x{FDE", 6) == 0))
        return TRUE;
    }
  return FALSE;
}

char **
hearth_rules_result_get_notes (const HearthRulesResult *result,
                               const HearthRules       *rules)
{
  g_autoptr (GStrvBuilder) notes = g_strv_builder_new ();

  g_return_val_if_fail (result != NULL && rules != NULL, NULL);

  for (guint i = 0; i < result->n_rules && i < rules->rules->len; i++)
    {
      const HearthRule *rule = g_ptr_array_index (rules->rules, i);
      guint n = result->counts[i];
      g_autofree char *note = NULL;
      gboolean input = rule->where == HEARTH_RULE_INPUT;

      if (n == 0)
        continue;
      /* a chain's bookkeeping (the sentence cap's markers) is no news */
      if (hearth_rules_text_has_marker (rule->pattern) || hearth_rules_text_has_marker (rule->text))
        continue;

      switch (rule->action)
        {
        case HEARTH_RULE_MASK:
          if (rule->text == NULL || rule->text[0] == '\0')
            note = g_strdup_printf (input ? ngettext ("%u match removed from your message by "
                                                      "the profile’s rules",
                                                      "%u matches removed from your message by "
                                                      "the profile’s rules", n)
                                          : ngettext ("%u match removed by the profile’s rules",
                                                      "%u matches removed by the profile’s rules",
                                                      n),
                                    n);
          else
            note = g_strdup_printf (input ? ngettext ("%u match in your message masked as "
                                                      "“%s” by the profile’s rules",
                                                      "%u matches in your message masked as "
                                                      "“%s” by the profile’s rules", n)
                                          : ngettext ("%u match masked as “%s” by the "
                                                      "profile’s rules",
                                                      "%u matches masked as “%s” by the "
                                                      "profile’s rules", n),
                                    n, rule->text);
          break;
        case HEARTH_RULE_REPLACE:
          note = g_strdup_printf (input ? ngettext ("%u match in your message replaced by the "
                                                    "profile’s rules",
                                                    "%u matches in your message replaced by the "
                                                    "profile’s rules", n)
                                        : ngettext ("%u match replaced by the profile’s rules",
                                                    "%u matches replaced by the profile’s rules",
                                                    n),
                                  n);
          break;
        case HEARTH_RULE_NOTE:
          if (rule->text != NULL && rule->text[0] != '\0')
            note = g_strdup (rule->text);
          else
            note = g_strdup_printf (ngettext ("%u match noted by the profile’s rules",
                                              "%u matches noted by the profile’s rules", n),
                                    n);
          break;
        case HEARTH_RULE_REFUSE:
        default:
          if (result->refused && result->refused_by == i)
            note = g_strdup_printf (input ? _("Your message was refused by rule %u of the "
                                              "profile’s rules")
                                          : _("The reply was stopped by rule %u of the "
                                              "profile’s rules"),
                                    i + 1);
          break;
        }
      if (note != NULL)
        g_strv_builder_add (notes, note);
    }
  return g_strv_builder_end (notes);
}

typedef struct {
  const HearthRule *rule;
  guint count;
} EvalData;

static gboolean
eval_cb (const GMatchInfo *match_info,
         GString          *out,
         gpointer          user_data)
{
  EvalData *data = user_data;
  const char *subject = g_match_info_get_string (match_info);
  int start, end;

  g_match_info_fetch_pos (match_info, 0, &start, &end);
  append_action (data->rule, match_info, subject, start, end, out);
  data->count++;
  return FALSE;
}

/* The rules of @where applied to the whole of @text, one after the other. A
 * refusal cuts the text at the refused match; the rules after it still apply
 * to what is left, and the last rule to refuse gives the message. */
static HearthRulesResult *
apply_whole (const HearthRules *rules,
             HearthRuleWhere    where,
             const char        *text)
{
  HearthRulesResult *result = result_new (rules);
  g_autofree char *current = g_strdup (text);

  for (guint i = 0; i < rules->rules->len; i++)
    {
      const HearthRule *rule = g_ptr_array_index (rules->rules, i);
      GRegex *regex = regex_at (rules, i);

      if (rule->where != where)
        continue;

      if (rule->action == HEARTH_RULE_REFUSE)
        {
          g_autoptr (GMatchInfo) match_info = NULL;
          int start, end;

          if (g_regex_match_full (regex, current, -1, 0, G_REGEX_MATCH_NOTEMPTY, &match_info, NULL))
            {
              g_match_info_fetch_pos (match_info, 0, &start, &end);
              current[start] = '\0';
              result->refused = TRUE;
              result->refused_by = i;
              g_free (result->refusal);
              result->refusal = refusal_message (rule);
              result->counts[i] = 1;
            }
        }
      else
        {
          EvalData data = { rule, 0 };
          char *next = g_regex_replace_eval (regex, current, -1, 0, G_REGEX_MATCH_NOTEMPTY,
                                             eval_cb, &data, NULL);

          if (next != NULL)
            {
              g_free (current);
              current = next;
            }
          result->counts[i] = data.count;
        }
    }
  result->text = g_steal_pointer (&current);
  return result;
}

HearthRulesResult *
hearth_rules_apply_input (const HearthRules *rules,
                          const char        *text)
{
  g_return_val_if_fail (rules != NULL && rules->regexes != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  return apply_whole (rules, HEARTH_RULE_INPUT, text);
}

HearthRulesResult *
hearth_rules_apply_output (const HearthRules *rules,
                           const char        *text)
{
  g_return_val_if_fail (rules != NULL && rules->regexes != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  return apply_whole (rules, HEARTH_RULE_OUTPUT, text);
}

/* ---- output rules as a stream filter -------------------------------------- */

typedef struct {
  guint index;
  const HearthRule *rule; /* borrowed from the stream's rules */
  GRegex *regex;          /* borrowed */
  GString *held;          /* context already released, then text not yet decided */
  gsize done;             /* bytes of held already released */
  gboolean trimmed;       /* whether held no longer starts at the text's start */
} Stage;

struct _HearthRulesStream {
  HearthRules *rules;  /* owned reference */
  GArray *stages;      /* Stage, one per output rule, in order */
  GString *partial;    /* the bytes of a UTF-8 character not yet complete */
  HearthRulesResult *result;
  gboolean stopped;
};

HearthRulesStream *
hearth_rules_stream_new (HearthRules *rules)
{
  HearthRulesStream *stream;

  g_return_val_if_fail (rules != NULL && rules->regexes != NULL, NULL);

  stream = g_new0 (HearthRulesStream, 1);
  stream->rules = hearth_rules_ref (rules);
  stream->stages = g_array_new (FALSE, TRUE, sizeof (Stage));
  stream->partial = g_string_new (NULL);
  stream->result = result_new (rules);
  for (guint i = 0; i < rules->rules->len; i++)
    {
      const HearthRule *rule = g_ptr_array_index (rules->rules, i);
      Stage stage = { i, rule, regex_at (rules, i), NULL, 0, FALSE };

      if (rule->where != HEARTH_RULE_OUTPUT)
        continue;
      stage.held = g_string_new (NULL);
      g_array_append_val (stream->stages, stage);
    }
  return stream;
}

void
hearth_rules_stream_free (HearthRulesStream *stream)
{
  if (stream == NULL)
    return;
  for (guint i = 0; i < stream->stages->len; i++)
    g_string_free (g_array_index (stream->stages, Stage, i).held, TRUE);
  g_array_unref (stream->stages);
  g_string_free (stream->partial, TRUE);
  hearth_rules_result_free (stream->result);
  hearth_rules_unref (stream->rules);
  g_free (stream);
}

const HearthRulesResult *
hearth_rules_stream_get_result (HearthRulesStream *stream)
{
  g_return_val_if_fail (stream != NULL, NULL);

  return stream->result;
}

/* Where a match, or the beginning of one, starts at or after @from in the
 * stage's held text: TRUE with *@start (and, for a complete match, *@end and
 * *@complete) set, or FALSE where nothing there can become a match.
 * @match_info receives the complete match's information. */
static gboolean
stage_find (Stage       *stage,
            gsize        from,
            gboolean     final,
            int         *start,
            int         *end,
            gboolean    *complete,
            GMatchInfo **match_info)
{
  GRegexMatchFlags flags = G_REGEX_MATCH_NOTEMPTY;
  const char *s = stage->held->str;
  gssize len = stage->held->len;
  gboolean found;

  if (stage->trimmed)
    flags |= G_REGEX_MATCH_NOTBOL;
  if (!final)
    flags |= G_REGEX_MATCH_PARTIAL_HARD;

  found = g_regex_match_full (stage->regex, s, len, from, flags, match_info, NULL);
  if (found)
    {
      g_match_info_fetch_pos (*match_info, 0, start, end);
      *complete = TRUE;
      return TRUE;
    }
  if (*match_info == NULL || !g_match_info_is_partial_match (*match_info))
    return FALSE;
  g_clear_pointer (match_info, g_match_info_unref);

  /* Somewhere from @from on, the text might still become a match: find the
   * first position where an anchored match starts or might start. */
  for (const char *p = s + from; p < s + len; p = g_utf8_next_char (p))
    {
      g_autoptr (GMatchInfo) anchored = NULL;

      if (g_regex_match_full (stage->regex, s, len, p - s, flags | G_REGEX_MATCH_ANCHORED,
                              &anchored, NULL))
        {
          g_match_info_fetch_pos (anchored, 0, start, end);
          *complete = TRUE;
          *match_info = g_steal_pointer (&anchored);
          return TRUE;
        }
      if (g_match_info_is_partial_match (anchored))
        {
          *start = p - s;
          *end = len;
          *complete = FALSE;
          return TRUE;
        }
    }
  /* PCRE2 said partial but no position confirms it: hold nothing back. */
  return FALSE;
}

/* Drops what the stage has released, keeping a little of it as context for
 * lookbehinds and \b. */
static void
stage_trim (Stage *stage)
{
  const char *s = stage->held->str;
  const char *keep = s + stage->done;
  gsize cut;

  if (stage->done < TRIM_BYTES)
    return;
  for (guint i = 0; i < CONTEXT_CHARS && keep > s; i++)
    keep = g_utf8_prev_char (keep);
  cut = keep - s;
  g_string_erase (stage->held, 0, cut);
  stage->done -= cut;
  stage->trimmed = TRUE;
}

/* Passes @len bytes of valid UTF-8 through one stage, appending what it
 * releases to @out. Returns FALSE where the stage's rule refused: then @out
 * holds the text before the refused match. */
static gboolean
stage_push (HearthRulesStream *stream,
            Stage             *stage,
            const char        *text,
            gsize              len,
            gboolean           final,
            GString           *out)
{
  HearthRulesResult *result = stream->result;

  g_string_append_len (stage->held, text, len);

  while (stage->done < stage->held->len)
    {
      g_autoptr (GMatchInfo) match_info = NULL;
      const char *s = stage->held->str;
      int start, end;
      gboolean complete;

      if (!stage_find (stage, stage->done, final, &start, &end, &complete, &match_info))
        {
          g_string_append_len (out, s + stage->done, stage->held->len - stage->done);
          stage->done = stage->held->len;
          break;
        }

      if (!complete)
        {
          /* Hold back from the partial match on, unless it is longer than
           * the window: then give up on that start and look again. */
          if (g_utf8_strlen (s + start, stage->held->len - start) > HEARTH_RULES_WINDOW)
            {
              gsize next = g_utf8_next_char (s + start) - s;

              g_string_append_len (out, s + stage->done, next - stage->done);
              stage->done = next;
              continue;
            }
          g_string_append_len (out, s + stage->done, start - stage->done);
          stage->done = start;
          break;
        }

      g_string_append_len (out, s + stage->done, start - stage->done);
      result->counts[stage->index]++;
      if (stage->rule->action == HEARTH_RULE_REFUSE)
        {
          result->refused = TRUE;
          result->refused_by = stage->index;
          g_free (result->refusal);
          result->refusal = refusal_message (stage->rule);
          stage->done = stage->held->len;
          return FALSE;
        }
      append_action (stage->rule, match_info, s, start, end, out);
      stage->done = end;
    }

  stage_trim (stage);
  return TRUE;
}

/* Runs @text (valid UTF-8) through every stage from @first on. Returns what
 * the last stage released (owned by the caller). */
static char *
stream_run (HearthRulesStream *stream,
            guint              first,
            const char        *text,
            gsize              len,
            gboolean           final)
{
  g_autoptr (GString) current = g_string_new_len (text, len);

  for (guint i = first; i < stream->stages->len; i++)
    {
      Stage *stage = &g_array_index (stream->stages, Stage, i);
      g_autoptr (GString) out = g_string_new (NULL);

      if (!stage_push (stream, stage, current->str, current->len, final, out))
        {
          /* The stream stops here; what came before the refused match goes
           * on through the later rules, which may refuse in their turn. */
          stream->stopped = TRUE;
          final = TRUE;
        }
      g_string_free (current, TRUE);
      current = g_steal_pointer (&out);
    }
  return g_string_free (g_steal_pointer (&current), FALSE);
}

/* Moves the complete UTF-8 characters at the start of stream->partial into
 * @valid, invalid bytes as U+FFFD; at the end of the stream, an incomplete
 * character too. */
static void
take_characters (HearthRulesStream *stream,
                 gboolean           final,
                 GString           *valid)
{
  const char *p = stream->partial->str;
  const char *end = p + stream->partial->len;
  const char *good_end;

  if (g_utf8_validate_len (p, end - p, &good_end))
    {
      g_string_append_len (valid, p, end - p);
      g_string_truncate (stream->partial, 0);
      return;
    }
  g_string_append_len (valid, p, good_end - p);
  p = good_end;
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -2 && !final)
        break;
      if (c == (gunichar) -2)
        {
          /* A character cut short at the end of the reply: one U+FFFD. */
          g_string_append_unichar (valid, 0xFFFD);
          p = end;
          break;
        }
      if (c == (gunichar) -1 || c == (gunichar) -2 || c == 0)
        {
          g_string_append_unichar (valid, 0xFFFD);
          p++;
          continue;
        }
      g_string_append_unichar (valid, c);
      p = g_utf8_next_char (p);
    }
  g_string_erase (stream->partial, 0, p - stream->partial->str);
}

char *
hearth_rules_stream_feed (HearthRulesStream *stream,
                          const char        *chunk,
                          gssize             len,
                          gboolean          *refused)
{
  g_autoptr (GString) valid = g_string_new (NULL);
  char *out;

  g_return_val_if_fail (stream != NULL, NULL);
  g_return_val_if_fail (chunk != NULL || len == 0, NULL);

  if (stream->stopped)
    {
      if (refused != NULL)
        *refused = stream->result->refused;
      return g_strdup ("");
    }
  if (len < 0)
    len = strlen (chunk);
  g_string_append_len (stream->partial, chunk, len);
  take_characters (stream, FALSE, valid);
  out = stream_run (stream, 0, valid->str, valid->len, FALSE);
  if (refused != NULL)
    *refused = stream->result->refused;
  return out;
}

char *
hearth_rules_stream_finish (HearthRulesStream *stream,
                            gboolean          *refused)
{
  g_autoptr (GString) valid = g_string_new (NULL);
  char *out;

  g_return_val_if_fail (stream != NULL, NULL);

  if (stream->stopped)
    {
      if (refused != NULL)
        *refused = stream->result->refused;
      return g_strdup ("");
    }
  take_characters (stream, TRUE, valid);
  out = stream_run (stream, 0, valid->str, valid->len, TRUE);
  stream->stopped = TRUE;
  if (refused != NULL)
    *refused = stream->result->refused;
  return out;
}
