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

static void
test_blocks (void)
{
  g_autoptr (GPtrArray) blocks = hearth_markdown_to_blocks (
    "# Title\n\nSome **bold**, *italic*, `code` and ~~gone~~.\n\n"
    "- one\n- two\n  1. inner\n\n> quoted\n\n---\n\nLast.");
  g_autofree char *text = NULL;
  const char *markup;

  g_assert_cmpuint (blocks->len, ==, 1);
  g_assert_cmpint (BLOCK (blocks, 0)->kind, ==, HEARTH_MARKDOWN_TEXT);
  markup = BLOCK (blocks, 0)->text;
  text = plain (markup);
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
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;

  g_assert_cmpuint (blocks->len, ==, 3);
  g_assert_cmpint (BLOCK (blocks, 0)->kind, ==, HEARTH_MARKDOWN_TEXT);
  first = plain (BLOCK (blocks, 0)->text);
  g_assert_cmpstr (first, ==, "See the site or https://gnome.org, not this.\n\na │ b\n1 │ 2");
  g_assert_nonnull (strstr (BLOCK (blocks, 0)->text, "<a href=\"https://example.org/a?b=1&amp;c=2\">"));
  g_assert_nonnull (strstr (BLOCK (blocks, 0)->text, "<a href=\"https://gnome.org\">"));
  g_assert_null (strstr (BLOCK (blocks, 0)->text, "javascript"));
  g_assert_nonnull (strstr (BLOCK (blocks, 0)->text, "<tt><b>a</b> │ <b>b</b></tt>"));

  g_assert_cmpint (BLOCK (blocks, 1)->kind, ==, HEARTH_MARKDOWN_CODE);
  g_assert_cmpstr (BLOCK (blocks, 1)->text, ==, "print(\"hi\")");
  g_assert_cmpstr (BLOCK (blocks, 1)->language, ==, "python");

  /* entities decoded, raw HTML shown as text */
  last = plain (BLOCK (blocks, 2)->text);
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
  g_assert_cmpstr (zh, ==, "标题\n\n中文 加粗 文本");
  fixed = plain (BLOCK (broken, 0)->text);
  g_assert_true (g_utf8_validate (fixed, -1, NULL));
  g_assert_nonnull (strstr (fixed, "& <tags>"));
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
  g_test_add_func ("/markdown/reasoning", test_reasoning);

  return g_test_run ();
}
