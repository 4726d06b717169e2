/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Markdown (CommonMark with GitHub's tables, strikethrough, task lists and
 * autolinks, parsed by md4c) into the blocks a message shows: each
 * top-level block of text (a paragraph, heading, list, quote, table) as
 * Pango markup for a GtkLabel (headings, emphasis, inline code, links as
 * <a href>, lists, block quotes, tables), and fenced code blocks apart, with
 * their language, for a highlighted code view with a copy button.
 *
 * Raw HTML in the Markdown is shown as text, never interpreted; everything
 * from the message is escaped before it becomes markup.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  HEARTH_MARKDOWN_TEXT, /* @text is Pango markup */
  HEARTH_MARKDOWN_CODE, /* @text is the code, as written */
} HearthMarkdownKind;

typedef struct
{
  HearthMarkdownKind kind;
  char *text;
  char *language;       /* CODE: the fence's info word, or NULL */
  gboolean continues;   /* TEXT: the rest of the block before (a long paragraph is cut
                           into pieces, so that a growing reply lays out only its end) */
} HearthMarkdownBlock;

void hearth_markdown_block_free (HearthMarkdownBlock *block);

/* The blocks of @markdown (HearthMarkdownBlock), in order. */
GPtrArray *hearth_markdown_to_blocks (const char *markdown);

/* A widget for a code block: read-only, highlighted for @language, with a
 * copy button. */
GtkWidget *hearth_markdown_code_view_new (const char *code,
                                          const char *language);

/* Splits a reply into its reasoning (the text of a leading <think> block,
 * which may still be open while it streams) and its answer. *@reasoning
 * is NULL when there is none. */
void hearth_markdown_split_reasoning (const char  *text,
                                     char       **reasoning,
                                     char       **answer);

G_END_DECLS
