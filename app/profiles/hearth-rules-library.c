/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules library: a constant table of starter rules, each entry with a
 * function that appends its rules. What each entry matches, and why every
 * output pattern is bounded, is in the header; the patterns are built here
 * from named pieces so that the sentence rules share one idea of a sentence.
 *
 * Digits are [0-9], not \d: GLib matches with Unicode properties, and \d
 * would take fullwidth and other scripts' digits for parts of a number.
 * Likewise the "not part of a longer word" checks list ASCII letters rather
 * than \w, which would count Chinese characters as word characters and miss
 * "电话13800138000".
 */

#define G_LOG_DOMAIN "hearth-rules"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-rules-library.h"

/* ---- pieces of patterns --------------------------------------------------- */

/* Closing quotes and brackets that may follow a sentence's end mark. */
#define CLOSERS "\"'”’)\\]）」』"
#define CLOSER "[" CLOSERS "]"
#define END_ASCII "[.!?]"
#define END_CJK "[。！？]"

/* The end of a sentence: up to three end marks and two closers; an ASCII
 * mark must be followed by a space or the end ("3.14" and "example.com" do
 * not end anything), a Chinese one need not. */
#define SENTENCE_END \
  "(?:" END_ASCII "{1,3}" CLOSER "{0,2}(?=\\s|\\z)|" END_CJK "{1,3}" CLOSER "{0,2})"

/* Where a sentence starts: the text's start, a line's start (after up to
 * four spaces of indentation), after an ASCII end mark (and a closer) and
 * one to three spaces, or right after a Chinese one (and a closer, or a
 * space); not after "1. " (a list item's number). Every lookbehind branch
 * has a fixed length, as PCRE2 needs. */
#define SENTENCE_START \
  "(?:\\A|(?<=" \
  END_ASCII "\\h|" END_ASCII "\\h\\h|" END_ASCII "\\h\\h\\h|" END_ASCII CLOSER "\\h|" \
  END_CJK "|" END_CJK CLOSER "|" END_CJK "\\h|" \
  "\\n|\\n\\h|\\n\\h\\h|\\n\\h\\h\\h|\\n\\h\\h\\h\\h))" \
  "(?<![0-9][.)]\\h)(?=\\S)"

/* After a repeated sentence: it ends there too (no further end marks or
 * closers, and after an ASCII end mark a space or the end). */
#define REPEAT_END \
  "(?![.!?。！？" CLOSERS "])(?:(?=\\s|\\z)|(?<=" END_CJK "|" END_CJK CLOSER "))"

/* A sentence said again, from a sentence's start: either the same text
 * right after it (up to three spaces between), where the text is one or
 * more sentences of 3 to 80 characters in all and the first copy with the
 * spaces after it is dropped, so that a run of copies shrinks to the last
 * one; or, after up to 64 characters that end a sentence, a copy of one
 * sentence, where that copy and the spaces before it are dropped (\K). The
 * lazy [^\n]{…}? stops at the first end mark that ends a sentence ("3.14"
 * does not), so a sentence's text needs no class of its own, and PCRE2
 * keeps a quantified class small where a quantified group would be copied
 * out. The atomic group keeps the second branch's copy to one sentence.
 * The longest possible match, 85 + 70 + 3 + 85 + 1 characters looked at,
 * stays inside HEARTH_RULES_WINDOW. */
#define REPEATED_SENTENCE \
  SENTENCE_START \
  "(?:([^\\n]{3,80}?" SENTENCE_END ")\\s{0,3}(?=\\1" REPEAT_END ")" \
  "|((?>[^\\n]{3,80}?" SENTENCE_END "))[\\s\\S]{0,64}?" SENTENCE_END "\\K\\s{0,3}\\2" \
  REPEAT_END ")"

/* One sentence for counting: an optional list number, then up to 199
 * characters and an end mark or a line break, or 200 characters without
 * either. With the marker and 32 spaces before it, at most 1 + 32 + 8 +
 * 199 + 5 + 1 characters are looked at. */
#define COUNTED_SENTENCE \
  "\\s{0,32}(?=\\S)(?:[0-9]{1,3}[.)]\\h{1,4})?" \
  "(?:[^\\n]{0,199}?(?:" SENTENCE_END "|(?=\\r?\\n))|[^\\n]{200})"

/* The cap's markers: noncharacters, which Unicode keeps for a program's
 * own use, so a model never writes them. The marker for n sentences is
 * U+FDD0 + n. */
#define MARKER_BASE 0xFDD0
#define MARKER_CLASS "[\\x{FDD0}-\\x{FDEF}]"
#define CAP_MAX 20

#define EMAIL \
  "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,160}\\.[A-Za-z]{2,24}" \
  "(?![A-Za-z0-9-])"

/* Mainland China mobile numbers: 1, then 3 to 9, then 9 digits (3-4-4). */
#define CN_MOBILE "(?:(?:\\+|00)86[ -]?|86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
/* +CC and groups of up to 8 digits (at least two after the country code,
 * each after a separator; the area code may be in parentheses), at least 8
 * digits in all; or +CC with 8 to 15 digits run together. */
#define INTL_PHONE \
  "(?=(?:[^0-9\\n]{0,3}[0-9]){8})\\+[0-9]{1,3}(?:[ .-]?\\([0-9]{1,4}\\))?" \
  "(?:[ .-][0-9]{1,8}){2,5}" \
  "|\\+[0-9]{8,15}"
#define PHONE \
  "(?<![0-9A-Za-z+_%@])(?<![0-9][.-])(?:" CN_MOBILE "|" INTL_PHONE ")(?![0-9A-Za-z@])"

#define CN_ID \
  "[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
#define CN_ID_ALONE "(?<![0-9A-Za-z])" CN_ID "(?![0-9A-Za-z])"

#define BANK_CARD \
  "(?<![0-9A-Za-z_@.-])(?<![0-9][ -])" \
  "(?!" CN_ID "(?![0-9A-Za-z]))(?!(?:86)?1[3-9][0-9]{9}(?![0-9]))" \
  "(?:[0-9]{13,19}(?![0-9])" \
  "|[0-9]{4}(?:[ -][0-9]{4}){2}[ -](?:[0-9]{4}(?:[ -][0-9]{1,3})?|[0-9]{1,3})(?![ -]?[0-9]))" \
  "(?![A-Za-z@])"

#define INVISIBLE \
  "[\\x{00AD}\\x{200B}\\x{200C}\\x{200E}\\x{200F}\\x{2060}\\x{FEFF}\\x{202A}-\\x{202E}" \
  "\\x{2066}-\\x{2069}]" \
  "|(?<![\\p{Extended_Pictographic}\\x{FE0F}\\x{1F3FB}-\\x{1F3FF}])\\x{200D}" \
  "|\\x{200D}(?!\\p{Extended_Pictographic})"

#define JAILBREAK \
  "(?i)" \
  "(?<!n't\\s)(?<!not\\s)(?<!never\\s)" \
  "\\b(?:ignore|disregard|forget|override)\\s+(?:all\\s+|any\\s+|every\\s+)?(?:of\\s+)?" \
  "(?:the\\s+|your\\s+|my\\s+|these\\s+|those\\s+)?" \
  "(?:(?:previous|prior|above|earlier|preceding|former|original|initial|system)\\s+" \
  "(?:instructions?|prompts?|rules|directions|guidelines|directives|commands)\\b" \
  "|(?:instructions?|prompts?|rules|guidelines)\\s+(?:you\\s+(?:got|were\\s+given|received)\\s+)?" \
  "(?:before|above|so\\s+far)\\b)" \
  "|\\byou\\s+(?:are|will|shall|must)\\s+(?:now\\s+)?(?:going\\s+to\\s+)?" \
  "(?:act\\s+as\\s+|be\\s+|become\\s+|called\\s+|pretend\\s+to\\s+be\\s+)?(?:a\\s+)?(?-i:DAN)\\b" \
  "|\\b(?:act|pretend)\\s+(?:as|to\\s+be)\\s+(?:a\\s+)?(?-i:DAN)\\b" \
  "|(?-i:\\bDAN\\b)[^\\n]{0,60}\\bdo\\s+anything\\s+now\\b" \
  "|\\bdo\\s+anything\\s+now\\b[^\\n]{0,10}(?-i:\\bDAN\\b)|(?-i:\\bDo\\s+Anything\\s+Now\\b)" \
  "|\\byou\\s+are\\s+(?:now\\s+)?(?:in|running\\s+in|operating\\s+in)\\s+developer\\s+mode\\b" \
  "|\\b(?:chatgpt|gpt|act\\s+as|respond\\s+as|simulate)\\b[^.\\n]{0,40}" \
  "\\bdeveloper\\s+mode\\b" \
  "|\\b(?:pretend|act\\s+as\\s+(?:if|though)|imagine)\\s+(?:that\\s+)?you\\s+" \
  "(?:have|had|are\\s+under|were\\s+under)\\s+no\\s+" \
  "(?:restrictions|rules|limits|limitations|filters|guidelines|constraints|boundaries)\\b" \
  "|(?<!不要|不能|不可|请勿|别|勿|不)(?:忽略|无视|忘记|忘掉|不要理会)掉?(?:所有|全部|一切)?你?" \
  "(?:之前|以上|前面|上面|先前|此前|刚才)的?(?:所有|全部|一切)?的?" \
  "(?:指令|指示|提示词?|规则|设定|要求)" \
  "|你现在是\\s*(?-i:DAN)" \
  "|你(?:现在)?(?:已经)?(?:处于|进入了?|进入到|开启了?|启用了?|在)\\s*开发者模式" \
  "|(?:扮演|假装|假设|想象)[^。！？\\n]{0,12}没有任何?(?:限制|约束|规则|底线|过滤)"

/* ---- the entries ----------------------------------------------------------- */

typedef void (*AddFunc) (guint        number,
                         HearthRules *rules);

typedef struct {
  HearthRulesLibraryEntry entry; /* first: an entry's address is its item's */
  AddFunc add;
} Item;

static void
add_mask_email (guint        number,
                HearthRules *rules)
{
  /* Translators: what an e-mail address in a reply becomes. */
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX, EMAIL,
                    _("[email]"));
}

static void
add_mask_phone (guint        number,
                HearthRules *rules)
{
  /* Translators: what a phone number in a reply becomes. */
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX, PHONE,
                    _("[phone]"));
}

static void
add_mask_cn_id (guint        number,
                HearthRules *rules)
{
  /* Translators: what a Chinese ID card number in a reply becomes. */
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX,
                    CN_ID_ALONE, _("[ID number]"));
}

static void
add_mask_bank_card (guint        number,
                    HearthRules *rules)
{
  /* Translators: what a bank card number in a reply becomes. */
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX,
                    BANK_CARD, _("[card number]"));
}

static void
add_clean_input (guint        number,
                 HearthRules *rules)
{
  hearth_rules_add (rules, HEARTH_RULE_INPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX, INVISIBLE,
                    "");
  hearth_rules_add (rules, HEARTH_RULE_INPUT, HEARTH_RULE_REPLACE, HEARTH_RULE_MATCH_REGEX,
                    "(?<=\\S)\\h{2,}(?=\\S)", " ");
  hearth_rules_add (rules, HEARTH_RULE_INPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX,
                    "\\h+(?=\\r?\\n|\\z)", "");
  hearth_rules_add (rules, HEARTH_RULE_INPUT, HEARTH_RULE_REPLACE, HEARTH_RULE_MATCH_REGEX,
                    "(?:\\r?\\n){3,}", "\\n\\n");
}

static void
add_refuse_jailbreak (guint        number,
                      HearthRules *rules)
{
  hearth_rules_add (rules, HEARTH_RULE_INPUT, HEARTH_RULE_REFUSE, HEARTH_RULE_MATCH_REGEX, JAILBREAK,
                    _("This message looks like an attempt to make the model ignore its "
                      "instructions, so it was not sent."));
}

static void
add_drop_repeats (guint        number,
                  HearthRules *rules)
{
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX,
                    REPEATED_SENTENCE, "");
}

/* The marker for @n sentences as a pattern or replacement escape. Owned by
 * the caller. */
static char *
marker_escape (guint n)
{
  return g_strdup_printf ("\\x{%04X}", MARKER_BASE + n);
}

static void
add_cap_sentences (guint        number,
                   HearthRules *rules)
{
  g_autofree char *last = marker_escape (number);
  g_autofree char *refuse = g_strconcat (last, "\\s{0,200}\\S", NULL);
  g_autofree char *message = NULL;

  /* The reply's first sentence gets marker 1; the sentence after marker
   * n - 1 moves it on, as marker n. */
  for (guint n = 1; n <= number; n++)
    {
      g_autofree char *before = n == 1 ? g_strdup ("\\A") : marker_escape (n - 1);
      g_autofree char *after = marker_escape (n);
      g_autofree char *pattern = g_strconcat (before, "(" COUNTED_SENTENCE ")", NULL);
      g_autofree char *replacement = g_strconcat ("\\1", after, NULL);

      hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_REPLACE, HEARTH_RULE_MATCH_REGEX,
                        pattern, replacement);
    }

  /* More text after the last marker: the reply stops there. */
  message = g_strdup_printf (ngettext ("The reply was stopped after %u sentence.",
                                       "The reply was stopped after %u sentences.", number),
                             number);
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_REFUSE, HEARTH_RULE_MATCH_REGEX, refuse,
                    message);
  hearth_rules_add (rules, HEARTH_RULE_OUTPUT, HEARTH_RULE_MASK, HEARTH_RULE_MATCH_REGEX,
                    MARKER_CLASS, "");
}

static const Item items[] = {
  { { "mask-email", N_("Hide e-mail addresses"),
      N_("Replaces every e-mail address in a reply with “[email]”."),
      FALSE, 0, 0 },
    add_mask_email },
  { { "mask-phone", N_("Hide phone numbers"),
      N_("Replaces international phone numbers (+44 20 7946 0958) and mainland China mobile "
         "numbers (138 0013 8000) in a reply with “[phone]”."),
      FALSE, 0, 0 },
    add_mask_phone },
  { { "mask-cn-id", N_("Hide Chinese ID card numbers"),
      N_("Replaces 18-character mainland China resident ID card numbers in a reply with "
         "“[ID number]”."),
      FALSE, 0, 0 },
    add_mask_cn_id },
  { { "mask-bank-card", N_("Hide bank card numbers"),
      N_("Replaces 13 to 19 digits in a row or in groups of four, as bank card numbers are "
         "written, in a reply with “[card number]”."),
      FALSE, 0, 0 },
    add_mask_bank_card },
  { { "clean-input", N_("Clean up pasted text"),
      N_("Removes invisible characters from your message and collapses runs of spaces and "
         "blank lines."),
      FALSE, 0, 0 },
    add_clean_input },
  { { "refuse-jailbreak", N_("Refuse jailbreak attempts"),
      N_("Refuses to send a message that uses a well-known opening for talking a model out of "
         "its instructions, such as “ignore all previous instructions”."),
      FALSE, 0, 0 },
    add_refuse_jailbreak },
  { { "drop-repeats", N_("Drop repeated sentences"),
      N_("Removes a sentence from a reply when the reply has just said it."),
      FALSE, 0, 0 },
    add_drop_repeats },
  { { "cap-sentences", N_("Limit replies to a number of sentences"),
      N_("Stops a reply once it has said the number of sentences you choose."),
      TRUE, 3, CAP_MAX },
    add_cap_sentences },
};

G_STATIC_ASSERT (CAP_MAX < 0xFDEF - MARKER_BASE);

/* ---- public API ------------------------------------------------------------ */

guint
hearth_rules_library_get_n_entries (void)
{
  return G_N_ELEMENTS (items);
}

const HearthRulesLibraryEntry *
hearth_rules_library_get_entry (guint index)
{
  if (index >= G_N_ELEMENTS (items))
    return NULL;
  return &items[index].entry;
}

const HearthRulesLibraryEntry *
hearth_rules_library_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    if (strcmp (items[i].entry.id, id) == 0)
      return &items[i].entry;
  return NULL;
}

/* The item of one of the table's entries, or NULL for any other pointer. */
static const Item *
item_of (const HearthRulesLibraryEntry *entry)
{
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    if (entry == &items[i].entry)
      return &items[i];
  return NULL;
}

const char *
hearth_rules_library_entry_get_title (const HearthRulesLibraryEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  return _(entry->title);
}

const char *
hearth_rules_library_entry_get_description (const HearthRulesLibraryEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  return _(entry->description);
}

void
hearth_rules_library_add (const HearthRulesLibraryEntry *entry,
                          guint                          number,
                          HearthRules                   *rules)
{
  const Item *item;

  g_return_if_fail (entry != NULL);
  g_return_if_fail (rules != NULL);
  item = item_of (entry);
  g_return_if_fail (item != NULL);
  g_return_if_fail (!entry->takes_number || (number >= 1 && number <= entry->max_number));

  item->add (number, rules);
}
