/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Markdown into the blocks a message shows (no display needed): the Pango
 * markup of each run of text — headings, emphasis, inline code, lists,
 * quotes, links (web and mail only), tables — the code blocks apart with
 * their language, text that streams in half-written, everything from the
 * message escaped (raw HTML is text), and the reasoning of a <think> block
 * kept apart from the answer. Each markup is checked by Pango's parser.
 */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "hearth-markdown.h"

#define BLOCK(blocks, i) ((HearthMarkdownBlock *) (blocks)->pdata[i])

/* @markup parsed by Pango (after GtkLabel's own <a href> links, which it
 * takes out first): its plain text (and it must parse). */
static char *
plain (const char *markup)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) links = g_regex_new ("<a href=\"[^\"]*\">|</a>", 0, 0, NULL);
  g_autofree char *pango = g_regex_replace_literal (links, markup, -1, 0, "", 0, NULL);
  char *text = NULL;

  if (!pango_parse_markup (pango, -1, 0, NULL, &text, NULL, &error))
    g_error ("not valid markup (%s): %s", error->message, markup);
  return text;
}

/* The text of every block, plain, one blank line between blocks (code as
 * it is); all markup joined. */
static char *
all_plain (GPtrArray *blocks,
           char     **markup)
{
  GString *text = g_string_new (NULL);
  GString *all = g_string_new (NULL);

  for (guint i = 0; i < blocks->len; i++)
    {
      HearthMarkdownBlock *block = blocks->pdata[i];
      g_autofree char *one = block->kind == HEARTH_MARKDOWN_TEXT ? plain (block->text)
                                                                 : g_strdup (block->text);

      g_string_append_printf (text, "%s%s", i > 0 ? "\n\n" : "", one);
      g_string_append (all, block->text);
    }
  if (markup != NULL)
    *markup = g_string_free (all, FALSE);
  else
    g_string_free (all, TRUE);
  return g_string_free (text, FALSE);
}

static void
test_blocks (void)
{
  g_autoptr (GPtrArray) blocks = hearth_markdown_to_blocks (
    "# Title\n\nSome **bold**, *italic*, `code` and ~~gone~~.\n\n"
    "- one\n- two\n  1. inner\n\n> quoted\n\n---\n\nLast.");
  g_autofree char *markup = NULL;
  g_autofree char *text = all_plain (blocks, &markup);

  /* a label per top-level block: heading, paragraph, list, quote, rule, paragraph */
  g_assert_cmpuint (blocks->len, ==, 6);
  for (guint i = 0; i < blocks->len; i++)
    g_assert_cmpint (BLOCK (blocks, i)->kind, ==, HEARTH_MARKDOWN_TEXT);
  g_assert_cmpstr (text, ==,
                   "Title\n\nSome bold, italic, code and gone.\n\n• one\n• two\n    1. inner\n\n"
                   "▎ quoted\n\n────────\n\nLast.");
  g_assert_nonnull (strstr (markup, "<span weight=\"bold\" size=\"xx-large\">Title</span>"));
  g_assert_nonnull (strstr (markup, "<b>bold</b>"));
  g_assert_nonnull (strstr (markup, "<i>italic</i>"));
  g_assert_nonnull (strstr (markup, "font_family=\"monospace\""));
  g_assert_nonnull (strstr (markup, "<s>gone</s>"));
}

static void
test_links_tables_code (void)
{
  g_autoptr (GPtrArray) blocks = hearth_markdown_to_blocks (
    "See [the site](https://example.org/a?b=1&c=2) or https://gnome.org, "
    "not [this](javascript:alert(1)).\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\nprint(\"hi\")\n```\n\nAfter &amp; done <b>not bold</b>");
  g_autofree char *markup = NULL;
  g_autofree char *text = all_plain (blocks, &markup);
  g_autofree char *last = NULL;

  g_assert_cmpuint (blocks->len, ==, 4);
  g_assert_cmpstr (text, ==, "See the site or https://gnome.org, not this.\n\na │ b\n1 │ 2\n\n"
                             "print(\"hi\")\n\nAfter & done <b>not bold</b>");
  g_assert_nonnull (strstr (markup, "<a href=\"https://example.org/a?b=1&amp;c=2\">"));
  g_assert_nonnull (strstr (markup, "<a href=\"https://gnome.org\">"));
  g_assert_null (strstr (markup, "javascript"));
  g_assert_nonnull (strstr (BLOCK (blocks, 1)->text, "<tt><b>a</b> │ <b>b</b></tt>"));

  g_assert_cmpint (BLOCK (blocks, 2)->kind, ==, HEARTH_MARKDOWN_CODE);
  g_assert_cmpstr (BLOCK (blocks, 2)->text, ==, "print(\"hi\")");
  g_assert_cmpstr (BLOCK (blocks, 2)->language, ==, "python");

  /* entities decoded, raw HTML shown as text */
  last = plain (BLOCK (blocks, 3)->text);
  g_assert_cmpstr (last, ==, "After & done <b>not bold</b>");
}

static void
test_streaming (void)
{
  /* text as it streams: an open code block, an open emphasis */
  g_autoptr (GPtrArray) open_code = hearth_markdown_to_blocks ("Here:\n\n```c\nint x");
  g_autoptr (GPtrArray) open_em = hearth_markdown_to_blocks ("a *b");
  g_autoptr (GPtrArray) empty = hearth_markdown_to_blocks ("");
  g_autoptr (GPtrArray) chinese = hearth_markdown_to_blocks ("## 标题\n\n中文 **加粗** 文本");
  g_autofree char *zh_all = NULL;
  g_autoptr (GPtrArray) broken = hearth_markdown_to_blocks ("bad \xff bytes & <tags>");
  g_autofree char *here = NULL;
  g_autofree char *em = NULL;
  g_autofree char *zh = NULL;
  g_autofree char *fixed = NULL;

  g_assert_cmpuint (open_code->len, ==, 2);
  here = plain (BLOCK (open_code, 0)->text);
  g_assert_cmpstr (here, ==, "Here:");
  g_assert_cmpstr (BLOCK (open_code, 1)->text, ==, "int x");
  g_assert_cmpstr (BLOCK (open_code, 1)->language, ==, "c");
  em = plain (BLOCK (open_em, 0)->text);
  g_assert_cmpstr (em, ==, "a *b");
  g_assert_cmpuint (empty->len, ==, 0);
  zh = plain (BLOCK (chinese, 0)->text);
  g_assert_cmpstr (zh, ==, "标题");
  zh_all = all_plain (chinese, NULL);
  g_assert_cmpstr (zh_all, ==, "标题\n\n中文 加粗 文本");
  fixed = plain (BLOCK (broken, 0)->text);
  g_assert_true (g_utf8_validate (fixed, -1, NULL));
  g_assert_nonnull (strstr (fixed, "& <tags>"));
}

/* A long paragraph comes in pieces cut at spaces outside markup; the pieces
 * make up the paragraph, and the first pieces stay the same as it grows. */
static void
test_long_paragraph (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GPtrArray) blocks = NULL;
  g_autoptr (GPtrArray) longer = NULL;
  g_autoptr (GString) joined = g_string_new (NULL);

  for (int i = 0; i < 400; i++)
    g_string_append_printf (text, "word%d **bold%d** ", i, i);
  blocks = hearth_markdown_to_blocks (text->str);
  g_assert_cmpuint (blocks->len, >, 3);
  g_assert_false (BLOCK (blocks, 0)->continues);
  for (guint i = 0; i < blocks->len; i++)
    {
      g_autofree char *piece = plain (BLOCK (blocks, i)->text);

      g_assert_cmpuint (strlen (BLOCK (blocks, i)->text), <=, 1500);
      if (i > 0)
        g_assert_true (BLOCK (blocks, i)->continues);
      g_string_append (joined, piece);
    }
  g_assert_true (g_str_has_prefix (joined->str, "word0 bold0 word1 bold1 "));
  g_assert_true (g_str_has_suffix (g_strchomp (joined->str), "word399 bold399"));

  g_string_append (text, "and more words at the end");
  longer = hearth_markdown_to_blocks (text->str);
  for (guint i = 0; i + 1 < blocks->len; i++)
    g_assert_cmpstr (BLOCK (longer, i)->text, ==, BLOCK (blocks, i)->text);
}

/* Pieces start on lines of their own, so they are cut after a sentence
 * where one ends in the second half of a piece: English and Chinese. */
static void
test_pieces_at_sentences (void)
{
  g_autoptr (GString) english = g_string_new (NULL);
  g_autoptr (GString) chinese = g_string_new (NULL);
  g_autoptr (GPtrArray) blocks = NULL;

  for (int i = 0; i < 120; i++)
    g_string_append_printf (english, "The cat %d saw a ball and ran after it. ", i);
  blocks = hearth_markdown_to_blocks (english->str);
  g_assert_cmpuint (blocks->len, >, 2);
  for (guint i = 0; i + 1 < blocks->len; i++)
    {
      const char *t = BLOCK (blocks, i)->text;

      g_assert_cmpuint (strlen (t), >=, 750);
      g_assert_true (g_str_has_suffix (t, "it. "));
    }
  g_clear_pointer (&blocks, g_ptr_array_unref);

  /* no spaces at all: cut after 。 */
  for (int i = 0; i < 120; i++)
    g_string_append (chinese, "小猫看见一个红色的球，就跑过去追它。");
  blocks = hearth_markdown_to_blocks (chinese->str);
  g_assert_cmpuint (blocks->len, >, 2);
  for (guint i = 0; i < blocks->len; i++)
    {
      g_assert_true (g_utf8_validate (BLOCK (blocks, i)->text, -1, NULL));
      g_assert_true (g_str_has_suffix (BLOCK (blocks, i)->text, "追它。"));
    }
}

static void
test_reasoning (void)
{
  char *reasoning = NULL, *answer = NULL;

  hearth_markdown_split_reasoning ("<think>\nLet me see.\n</think>\n\nThe answer.", &reasoning, &answer);
  g_assert_cmpstr (reasoning, ==, "Let me see.");
  g_assert_cmpstr (answer, ==, "The answer.");
  g_free (reasoning);
  g_free (answer);

  hearth_markdown_split_reasoning ("<think>still going", &reasoning, &answer);
  g_assert_cmpstr (reasoning, ==, "still going");
  g_assert_cmpstr (answer, ==, "");
  g_free (reasoning);
  g_free (answer);

  hearth_markdown_split_reasoning ("No thinking here <think>x</think>", &reasoning, &answer);
  g_assert_null (reasoning);
  g_assert_cmpstr (answer, ==, "No thinking here <think>x</think>");
  g_free (answer);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markdown/blocks", test_blocks);
  g_test_add_func ("/markdown/links-tables-code", test_links_tables_code);
  g_test_add_func ("/markdown/streaming", test_streaming);
  g_test_add_func ("/markdown/long-paragraph", test_long_paragraph);
  g_test_add_func ("/markdown/pieces-at-sentences", test_pieces_at_sentences);
  g_test_add_func ("/markdown/reasoning", test_reasoning);

  return g_test_run ();
}
