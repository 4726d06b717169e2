/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Markdown (CommonMark with GitHub's tables, strikethrough and autolinks,
 * parsed by md4c) into a GtkTextBuffer: headings, emphasis, lists, links,
 * block quotes, tables, inline code and fenced code blocks.
 *
 * With a @view, each fenced code block becomes a child widget: a read-only
 * GtkSourceView highlighted for the block's language, with a copy button.
 * Without one (tests, no display), code blocks are text with the
 * "code-block" tag. Links are tagged "link" and carry their address as the
 * tag's "hearth-href" data; hearth_markdown_link_at () finds it.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Replaces the text of @buffer with @markdown rendered. */
void hearth_markdown_render (GtkTextBuffer *buffer,
                             GtkTextView   *view,
                             const char    *markdown);

/* The address of the link at @iter, or NULL. */
const char *hearth_markdown_link_at (const GtkTextIter *iter);

/* Splits a reply into its reasoning (the text of a leading <think> block,
 * which may still be open while it streams) and its answer. *@reasoning
 * is NULL when there is none. */
void hearth_markdown_split_reasoning (const char  *text,
                                     char       **reasoning,
                                     char       **answer);

G_END_DECLS
