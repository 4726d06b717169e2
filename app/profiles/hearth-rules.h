/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rules: a profile's pre- and post-processing. A rule applies to the input
 * (the user's message before it reaches the model) or to the output (the
 * reply as it streams); it matches plain text, plain text ignoring case, or a
 * regular expression (GRegex: PCRE2 syntax, UTF-8); and it refuses, masks,
 * replaces or notes what it matched. Rules apply in order, each to what the
 * one before it produced.
 *
 * Matches never overlap and are never empty: a rule scans its text from the
 * start, takes the leftmost match, continues after it, and a pattern that
 * could match nothing (a*) only counts where it matches something.
 * "text-i" is PCRE2's caseless matching in UTF mode: Unicode simple case
 * folding, one character for one (ß does not match "ss").
 *
 * In a Modelfile, a rule is one comment line that Ollama ignores:
 *
 *   # hearth: RULE <input|output> <refuse|mask|replace|note> <text|text-i|regex> "PATTERN" ["TEXT"]
 *
 * A value is "…" (with the escapes \" \\ \n \r \t) or """…""" (raw, and it
 * may span lines: each line after the first starts with "#", then one
 * optional space, so that Ollama reads it as a comment too).
 *
 * Output rules run as a stream filter (HearthRulesStream): text that might
 * still become part of a match is held back, and released as soon as it
 * cannot. A text or text-i pattern holds back less than its own length; a
 * regular expression holds back at most HEARTH_RULES_WINDOW characters, so
 * a match longer than that is not guaranteed to be found while streaming.
 * Nothing a rule removed is ever emitted, not even in part: what a stream has
 * emitted is always the beginning of what the whole-text function gives.
 *
 * A refusal cuts the text before the refused match; the rules after the
 * refusing one still apply to what is left, and where several rules refuse,
 * the last of them (in the rules' order) gives the message. After a refusal,
 * a stream's counts may be lower than the whole-text counts, since it stops
 * reading; the text, the refusal and its message are the same.
 *
 * Invalid UTF-8 in a stream becomes U+FFFD, one per bad byte, and one for a
 * character cut short at the end of the reply.
 *
 * Nothing here touches GTK or a main context; a HearthRules is immutable once
 * compiled and may be shared between threads, a stream belongs to one thread.
 */
#pragma once

#include <glib.h>

#include "hearth-request.h"

G_BEGIN_DECLS

#define HEARTH_RULES_ERROR (hearth_rules_error_quark ())

typedef enum {
  HEARTH_RULES_ERROR_SYNTAX,      /* a Modelfile rule line that does not parse */
  HEARTH_RULES_ERROR_PATTERN,     /* a regular expression that does not compile */
  HEARTH_RULES_ERROR_REPLACEMENT, /* a replacement naming a group badly */
} HearthRulesError;

GQuark hearth_rules_error_quark (void);

/* The most characters a regular expression's possible match is held back for
 * while streaming. */
#define HEARTH_RULES_WINDOW 256

typedef enum {
  HEARTH_RULE_INPUT,
  HEARTH_RULE_OUTPUT,
} HearthRuleWhere;

typedef enum {
  HEARTH_RULE_REFUSE,  /* text: the message shown instead (optional) */
  HEARTH_RULE_MASK,    /* text: what each match becomes, as written (optional: "") */
  HEARTH_RULE_REPLACE, /* text: what each match becomes, \0 \1 \g<name> expanded */
  HEARTH_RULE_NOTE,    /* text: the note shown beside the reply (optional) */
} HearthRuleAction;

typedef enum {
  HEARTH_RULE_MATCH_TEXT,   /* the pattern as written */
  HEARTH_RULE_MATCH_TEXT_I, /* the pattern as written, ignoring case */
  HEARTH_RULE_MATCH_REGEX,  /* a PCRE2 regular expression */
} HearthRuleMatch;

typedef struct {
  HearthRuleWhere where;
  HearthRuleAction action;
  HearthRuleMatch match;
  char *pattern; /* owned, UTF-8, not empty */
  char *text;    /* owned, UTF-8, or NULL where the action needs none */
} HearthRule;

typedef struct _HearthRules HearthRules;

HearthRules *hearth_rules_new (void);
HearthRules *hearth_rules_ref (HearthRules *rules);
void         hearth_rules_unref (HearthRules *rules);

/* Appends a rule (copies @pattern and @text); the rules need compiling again
 * after this. */
void         hearth_rules_add (HearthRules     *rules,
                               HearthRuleWhere  where,
                               HearthRuleAction action,
                               HearthRuleMatch  match,
                               const char      *pattern,
                               const char      *text);
guint        hearth_rules_get_n_rules (const HearthRules *rules);
/* Borrowed; valid as long as @rules is. */
const HearthRule *hearth_rules_get_rule (const HearthRules *rules,
                                         guint              index);
gboolean     hearth_rules_equal (const HearthRules *a,
                                 const HearthRules *b);

/* Compiles every pattern and checks every replacement. A regular expression
 * that does not compile names its rule (counted from 1) and the position
 * PCRE2 reports. Every function below needs compiled rules. */
gboolean     hearth_rules_compile (HearthRules *rules,
                                   GError     **error);

/* Checks rule @index alone, as hearth_rules_compile () would: FALSE with
 * @error set, its message not naming the rule (for an editor that shows it
 * beside the rule). @rules need not be compiled. */
gboolean     hearth_rules_check_rule (const HearthRules *rules,
                                      guint              index,
                                      GError           **error);

/* Where rule @index, on its own, matches @text as the rules scan it (the
 * leftmost match, then after it; never overlapping, never empty): pairs of
 * byte offsets, start then end, in a new array of guint (owned by the
 * caller). A refusing rule's first pair is where it refuses. For showing
 * matches in a sample; @rules must be compiled. */
GArray      *hearth_rules_find_matches (const HearthRules *rules,
                                        guint              index,
                                        const char        *text);

/* ---- Modelfile lines ----------------------------------------------------- */

/* Reads every "# hearth: RULE" line of a Modelfile's @text (other lines are
 * not looked at) into new, compiled rules. Errors name the line and column,
 * counted from 1 (columns in characters). */
HearthRules *hearth_rules_parse_modelfile (const char *text,
                                           GError    **error);
/* The rules as Modelfile lines, each ending in "\n". Owned by the caller. */
char        *hearth_rules_to_modelfile (const HearthRules *rules);

/* ---- applying rules to a whole text -------------------------------------- */

typedef struct {
  char *text;        /* the text after the rules; on a refusal, the text
                      * before the refused match, the rules after it applied */
  gboolean refused;
  char *refusal;     /* the refusing rule's message, or NULL */
  guint refused_by;  /* the refusing rule's index */
  guint n_rules;
  guint *counts;     /* matches per rule, n_rules of them */
} HearthRulesResult;

void  hearth_rules_result_free (HearthRulesResult *result);
/* One line a person can read per rule that changed or noted something, in
 * order ("3 matches masked as “[email]” by the profile’s rules");
 * NULL-terminated, owned by the caller. Rules whose pattern or text holds
 * one of Unicode's noncharacters U+FDD0…U+FDEF — the markers a chain of
 * rules passes along, as the library's sentence cap does — say nothing:
 * their work is bookkeeping (a refusal's message is still the refusal). */
char **hearth_rules_result_get_notes (const HearthRulesResult *result,
                                      const HearthRules       *rules);

/* Whether @text (a rule's pattern or text) holds one of the markers U+FDD0…
 * U+FDEF, as it is or as a \x{FDDx} escape: a rule of a chain's
 * bookkeeping (the library's sentence cap), which says nothing in notes. */
gboolean hearth_rules_text_has_marker (const char *text);

/* The input rules of @rules applied to @text. Owned by the caller. */
HearthRulesResult *hearth_rules_apply_input (const HearthRules *rules,
                                             const char        *text);
/* The output rules of @rules applied to the whole of @text at once: what a
 * HearthRulesStream emits, however the text is split. Owned by the caller. */
HearthRulesResult *hearth_rules_apply_output (const HearthRules *rules,
                                              const char        *text);

/* ---- output rules as a stream filter -------------------------------------- */

typedef struct _HearthRulesStream HearthRulesStream;

/* Holds a reference on @rules, which must be compiled. */
HearthRulesStream *hearth_rules_stream_new (HearthRules *rules);
void               hearth_rules_stream_free (HearthRulesStream *stream);

/* Takes the next @len bytes of the reply (-1: up to a NUL); they may end, or
 * start, in the middle of a UTF-8 character. Returns the text that is safe to
 * emit now, valid UTF-8, possibly "" (owned by the caller). Once a rule
 * refuses, *@refused is set, the text before the refused match is the last
 * thing returned, and every later call returns "". */
char              *hearth_rules_stream_feed (HearthRulesStream *stream,
                                             const char        *chunk,
                                             gssize             len,
                                             gboolean          *refused);
/* Ends the reply: returns the held-back tail with the rules applied. */
char              *hearth_rules_stream_finish (HearthRulesStream *stream,
                                               gboolean          *refused);
/* What was counted so far (text NULL): a result for _get_notes(). Borrowed. */
const HearthRulesResult *hearth_rules_stream_get_result (HearthRulesStream *stream);

/* ---- on a request ----------------------------------------------------------- */

/* Gives @request @rules (compiled; a reference is taken), so that the engine
 * applies them wherever the request goes (hearth_engine_generate ()): the
 * input rules to each user message (or the raw prompt) before the model
 * reads it, the output rules to the reply as it streams. Rules with nothing
 * in them change nothing. */
void hearth_rules_set_on_request (HearthRules   *rules,
                                  HearthRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRules, hearth_rules_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRulesResult, hearth_rules_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRulesStream, hearth_rules_stream_free)

G_END_DECLS
