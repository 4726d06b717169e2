/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Markdown into the text model (a GtkTextBuffer, no view, no display): the
 * text a reader sees, and the tags on it — headings, emphasis, inline code,
 * lists, quotes, links with their addresses, tables, fenced code — and the
 * reasoning of a <think> block kept apart from the answer.
 */

#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "hearth-markdown.h"

static char *
render (const char     *markdown,
        GtkTextBuffer **out)
{
  GtkTextBuffer *buffer = gtk_text_buffer_new (NULL);
  GtkTextIter start, end;

  char *text;

  hearth_markdown_render (buffer, NULL, markdown);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  if (out != NULL)
    *out = buffer;
  else
    g_object_unref (buffer);
  return text;
}

/* Whether the text @what (first occurrence) carries tag @tag throughout. */
static gboolean
tagged (GtkTextBuffer *buffer,
        const char    *what,
        const char    *tag_name)
{
  GtkTextIter start, end, match_start, match_end;
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), tag_name);

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  if (tag == NULL
      || !gtk_text_iter_forward_search (&start, what, GTK_TEXT_SEARCH_TEXT_ONLY, &match_start,
                                        &match_end, NULL))
    return FALSE;
  for (GtkTextIter i = match_start; gtk_text_iter_compare (&i, &match_end) < 0;
       gtk_text_iter_forward_char (&i))
    if (!gtk_text_iter_has_tag (&i, tag))
      return FALSE;
  return TRUE;
}

static void
test_blocks (void)
{
  GtkTextBuffer *buffer = NULL;
  g_autofree char *text = render ("# Title\n\nSome **bold**, *italic*, `code` and ~~gone~~.\n\n"
                                  "- one\n- two\n  1. inner\n\n> quoted\n\n---\n\nLast.",
                                  &buffer);

  g_assert_cmpstr (text, ==,
                   "Title\n\nSome bold, italic, code and gone.\n\n• one\n• two\n1. inner\n\n"
                   "quoted\n\n────────\n\nLast.");
  g_assert_true (tagged (buffer, "Title", "h1"));
  g_assert_true (tagged (buffer, "bold", "strong"));
  g_assert_true (tagged (buffer, "italic", "em"));
  g_assert_true (tagged (buffer, "code", "code"));
  g_assert_true (tagged (buffer, "gone", "del"));
  g_assert_true (tagged (buffer, "quoted", "quote"));
  g_assert_true (tagged (buffer, "• one", "indent-1"));
  g_assert_true (tagged (buffer, "inner", "indent-2"));
  g_assert_false (tagged (buffer, "Some", "strong"));
  g_object_unref (buffer);
}

static void
test_links_tables_code (void)
{
  GtkTextBuffer *buffer = NULL;
  g_autofree char *text = render ("See [the site](https://example.org/a?b=1) or https://gnome.org.\n\n"
                                  "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                  "```python\nprint(\"hi\")\n```\n\nAfter &amp; done",
                                  &buffer);
  GtkTextIter start, at;

  g_assert_cmpstr (text, ==,
                   "See the site or https://gnome.org.\n\na │ b\n1 │ 2\n\nprint(\"hi\")\n\nAfter & done");
  gtk_text_buffer_get_start_iter (buffer, &start);
  at = start;
  gtk_text_iter_forward_chars (&at, 5);
  g_assert_cmpstr (hearth_markdown_link_at (&at), ==, "https://example.org/a?b=1");
  gtk_text_iter_forward_chars (&at, 12);
  g_assert_cmpstr (hearth_markdown_link_at (&at), ==, "https://gnome.org");
  g_assert_null (hearth_markdown_link_at (&start));
  g_assert_true (tagged (buffer, "a │ b", "table"));
  g_assert_true (tagged (buffer, "print(\"hi\")", "code-block"));
  g_object_unref (buffer);
}

static void
test_incomplete (void)
{
  /* text as it streams: an open code block and an open emphasis are fine */
  g_autofree char *open_code = render ("Here:\n\n```c\nint x", NULL);
  g_autofree char *open_em = render ("a *b", NULL);
  g_autofree char *empty = render ("", NULL);
  g_autofree char *chinese = render ("## 标题\n\n中文 **加粗** 文本", NULL);

  g_assert_cmpstr (open_code, ==, "Here:\n\nint x");
  g_assert_cmpstr (open_em, ==, "a *b");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (chinese, ==, "标题\n\n中文 加粗 文本");
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
  g_test_add_func ("/markdown/incomplete", test_incomplete);
  g_test_add_func ("/markdown/reasoning", test_reasoning);

  return g_test_run ();
}
