/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-markdown"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-markdown.h"

typedef struct
{
  GtkTextBuffer *buffer;
  GtkTextView *view;
  GPtrArray *tags;           /* GtkTextTag active now (spans and blocks) */
  guint pending_breaks;      /* newlines owed before the next text */
  GArray *lists;             /* int per open list: -1 bullets, else the next number */
  GString *code;             /* inside a fenced or indented code block */
  char *code_language;
  GString *cell_line;        /* inside a table row */
  guint cells;
  gboolean started;          /* something was written */
} Renderer;

static GtkTextTag *
named_tag (Renderer   *r,
           const char *name)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (r->buffer);
  GtkTextTag *tag = gtk_text_tag_table_lookup (table, name);

  if (tag != NULL)
    return tag;
  tag = gtk_text_tag_new (name);
  if (g_str_equal (name, "h1"))
    g_object_set (tag, "weight", PANGO_WEIGHT_BOLD, "scale", 1.5, NULL);
  else if (g_str_equal (name, "h2"))
    g_object_set (tag, "weight", PANGO_WEIGHT_BOLD, "scale", 1.3, NULL);
  else if (g_str_equal (name, "h3"))
    g_object_set (tag, "weight", PANGO_WEIGHT_BOLD, "scale", 1.15, NULL);
  else if (g_str_has_prefix (name, "h"))
    g_object_set (tag, "weight", PANGO_WEIGHT_BOLD, NULL);
  else if (g_str_equal (name, "strong"))
    g_object_set (tag, "weight", PANGO_WEIGHT_BOLD, NULL);
  else if (g_str_equal (name, "em"))
    g_object_set (tag, "style", PANGO_STYLE_ITALIC, NULL);
  else if (g_str_equal (name, "del"))
    g_object_set (tag, "strikethrough", TRUE, NULL);
  else if (g_str_equal (name, "code"))
    g_object_set (tag, "family", "monospace", "background-rgba", &(GdkRGBA) { 0.5, 0.5, 0.5, 0.15 },
                  NULL);
  else if (g_str_equal (name, "code-block") || g_str_equal (name, "table"))
    g_object_set (tag, "family", "monospace", "wrap-mode", GTK_WRAP_NONE, "paragraph-background-rgba",
                  &(GdkRGBA) { 0.5, 0.5, 0.5, 0.1 }, NULL);
  else if (g_str_equal (name, "quote"))
    g_object_set (tag, "left-margin", 16, "style", PANGO_STYLE_ITALIC, "foreground-rgba",
                  &(GdkRGBA) { 0.45, 0.45, 0.45, 1 }, NULL);
  else if (g_str_equal (name, "link"))
    g_object_set (tag, "underline", PANGO_UNDERLINE_SINGLE, "foreground-rgba",
                  &(GdkRGBA) { 0.11, 0.44, 0.85, 1 }, NULL);
  else if (g_str_has_prefix (name, "indent-"))
    g_object_set (tag, "left-margin", 18 * atoi (name + 7), NULL);
  gtk_text_tag_table_add (table, tag);
  g_object_unref (tag);
  return tag;
}

static void
push (Renderer   *r,
      GtkTextTag *tag)
{
  g_ptr_array_add (r->tags, tag);
}

static void
pop (Renderer   *r,
     GtkTextTag *tag)
{
  for (guint i = r->tags->len; i > 0; i--)
    if (r->tags->pdata[i - 1] == tag)
      {
        g_ptr_array_remove_index (r->tags, i - 1);
        return;
      }
}

/* Text at the end of the buffer, with the tags active now. */
static void
insert (Renderer   *r,
        const char *text,
        gssize      len)
{
  GtkTextIter end;
  int offset;

  if (len < 0)
    len = (gssize) strlen (text);
  if (len == 0)
    return;
  gtk_text_buffer_get_end_iter (r->buffer, &end);
  if (r->started)
    for (; r->pending_breaks > 0; r->pending_breaks--)
      {
        gtk_text_buffer_insert (r->buffer, &end, "\n", 1);
      }
  r->pending_breaks = 0;
  offset = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (r->buffer, &end, text, (int) len);
  if (r->tags->len > 0)
    {
      GtkTextIter start;

      gtk_text_buffer_get_iter_at_offset (r->buffer, &start, offset);
      gtk_text_buffer_get_end_iter (r->buffer, &end);
      for (guint i = 0; i < r->tags->len; i++)
        gtk_text_buffer_apply_tag (r->buffer, r->tags->pdata[i], &start, &end);
    }
  r->started = TRUE;
}

static void
owe_breaks (Renderer *r,
            guint     n)
{
  if (r->started)
    r->pending_breaks = MAX (r->pending_breaks, n);
}

static void
copy_code (GtkButton *button,
           gpointer   user_data)
{
  const char *code = g_object_get_data (G_OBJECT (button), "hearth-code");

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), code);
  gtk_button_set_icon_name (button, "object-select-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Copied"));
}

/* A code block as a widget in the view: highlighted, with a copy button. */
static GtkWidget *
code_widget (const char *code,
             const char *language)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  GtkSourceLanguage *lang = NULL;
  GtkSourceBuffer *buffer = gtk_source_buffer_new (NULL);
  GtkWidget *view, *scroller, *overlay, *copy;
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkSourceStyleScheme *scheme;

  if (language != NULL && *language != '\0')
    {
      g_autofree char *id = g_ascii_strdown (language, -1);

      lang = gtk_source_language_manager_get_language (languages, id);
      if (lang == NULL)
        {
          g_autofree char *file = g_strconcat ("x.", id, NULL);

          lang = gtk_source_language_manager_guess_language (languages, file, NULL);
        }
    }
  if (lang != NULL)
    gtk_source_buffer_set_language (buffer, lang);
  scheme = gtk_source_style_scheme_manager_get_scheme (
    schemes, adw_style_manager_get_dark (style) ? "Adwaita-dark" : "Adwaita");
  if (scheme != NULL)
    gtk_source_buffer_set_style_scheme (buffer, scheme);
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), code, -1);

  view = gtk_source_view_new_with_buffer (buffer);
  g_object_unref (buffer);
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 40);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Code"), -1);

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_widget_set_size_request (scroller, 420, -1);
  gtk_widget_add_css_class (scroller, "card");

  copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_widget_set_halign (copy, GTK_ALIGN_END);
  gtk_widget_set_valign (copy, GTK_ALIGN_START);
  gtk_widget_set_margin_top (copy, 4);
  gtk_widget_set_margin_end (copy, 4);
  gtk_widget_add_css_class (copy, "flat");
  g_object_set_data_full (G_OBJECT (copy), "hearth-code", g_strdup (code), g_free);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_code), NULL);

  overlay = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (overlay), scroller);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), copy);
  gtk_widget_set_margin_top (overlay, 4);
  gtk_widget_set_margin_bottom (overlay, 4);
  return overlay;
}

static void
flush_code (Renderer *r)
{
  g_autoptr (GString) code = g_steal_pointer (&r->code);
  g_autofree char *language = g_steal_pointer (&r->code_language);

  /* the block's last newline is the block's end, not a line of its own */
  if (code->len > 0 && code->str[code->len - 1] == '\n')
    g_string_truncate (code, code->len - 1);
  owe_breaks (r, 2);
  if (r->view != NULL)
    {
      GtkTextIter end;
      GtkTextChildAnchor *anchor;

      insert (r, "\xe2\x80\x8b", -1); /* a zero-width space keeps the breaks */
      gtk_text_buffer_get_end_iter (r->buffer, &end);
      anchor = gtk_text_buffer_create_child_anchor (r->buffer, &end);
      gtk_text_view_add_child_at_anchor (r->view, code_widget (code->str, language), anchor);
    }
  else
    {
      GtkTextTag *tag = named_tag (r, "code-block");

      push (r, tag);
      insert (r, code->len > 0 ? code->str : " ", -1);
      pop (r, tag);
    }
  owe_breaks (r, 2);
}

static GtkTextTag *
indent_tag (Renderer *r)
{
  g_autofree char *name = g_strdup_printf ("indent-%u", r->lists->len);

  return named_tag (r, name);
}

static int
enter_block (MD_BLOCKTYPE  type,
             void         *detail,
             void         *user_data)
{
  Renderer *r = user_data;

  switch (type)
    {
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", ((MD_BLOCK_H_DETAIL *) detail)->level);

        owe_breaks (r, 2);
        push (r, named_tag (r, name));
      }
      break;
    case MD_BLOCK_P:
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      break;
    case MD_BLOCK_QUOTE:
      owe_breaks (r, 2);
      push (r, named_tag (r, "quote"));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        int start = type == MD_BLOCK_OL ? (int) ((MD_BLOCK_OL_DETAIL *) detail)->start : -1;

        owe_breaks (r, r->lists->len > 0 ? 1 : 2);
        g_array_append_val (r->lists, start);
        push (r, indent_tag (r));
      }
      break;
    case MD_BLOCK_LI:
      {
        int *next = &g_array_index (r->lists, int, r->lists->len - 1);
        MD_BLOCK_LI_DETAIL *li = detail;

        owe_breaks (r, 1);
        if (li->is_task)
          insert (r, li->task_mark == ' ' ? "☐ " : "☑ ", -1);
        else if (*next < 0)
          insert (r, r->lists->len % 2 == 1 ? "• " : "◦ ", -1);
        else
          {
            g_autofree char *number = g_strdup_printf ("%d. ", (*next)++);

            insert (r, number, -1);
          }
      }
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        r->code = g_string_new (NULL);
        if (code->lang.text != NULL)
          r->code_language = g_strndup (code->lang.text, code->lang.size);
      }
      break;
    case MD_BLOCK_HR:
      owe_breaks (r, 2);
      insert (r, "────────", -1);
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_TABLE:
      owe_breaks (r, 2);
      push (r, named_tag (r, "table"));
      break;
    case MD_BLOCK_TR:
      r->cell_line = g_string_new (NULL);
      r->cells = 0;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (r->cell_line != NULL && r->cells++ > 0)
        g_string_append (r->cell_line, " │ ");
      break;
    default:
      break;
    }
  return 0;
}

static int
leave_block (MD_BLOCKTYPE  type,
             void         *detail,
             void         *user_data)
{
  Renderer *r = user_data;

  switch (type)
    {
    case MD_BLOCK_H:
      {
        g_autofree char *name = g_strdup_printf ("h%u", ((MD_BLOCK_H_DETAIL *) detail)->level);

        pop (r, named_tag (r, name));
        owe_breaks (r, 2);
      }
      break;
    case MD_BLOCK_P:
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      break;
    case MD_BLOCK_QUOTE:
      pop (r, named_tag (r, "quote"));
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      pop (r, indent_tag (r));
      g_array_set_size (r->lists, r->lists->len - 1);
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      break;
    case MD_BLOCK_CODE:
      flush_code (r);
      break;
    case MD_BLOCK_TABLE:
      pop (r, named_tag (r, "table"));
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_TR:
      owe_breaks (r, 1);
      insert (r, r->cell_line->str, (gssize) r->cell_line->len);
      g_string_free (g_steal_pointer (&r->cell_line), TRUE);
      break;
    default:
      break;
    }
  return 0;
}

static const char *
span_tag_name (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM:
      return "em";
    case MD_SPAN_STRONG:
      return "strong";
    case MD_SPAN_CODE:
      return "code";
    case MD_SPAN_DEL:
      return "del";
    default:
      return NULL;
    }
}

static int
enter_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Renderer *r = user_data;
  const char *name = span_tag_name (type);

  if (name != NULL)
    push (r, named_tag (r, name));
  else if (type == MD_SPAN_A)
    {
      MD_SPAN_A_DETAIL *a = detail;
      GtkTextTag *tag = gtk_text_tag_new (NULL);

      /* each link its own tag, carrying its address */
      g_object_set (tag, "underline", PANGO_UNDERLINE_SINGLE, "foreground-rgba",
                    &(GdkRGBA) { 0.11, 0.44, 0.85, 1 }, NULL);
      g_object_set_data_full (G_OBJECT (tag), "hearth-href",
                              g_strndup (a->href.text, a->href.size), g_free);
      gtk_text_tag_table_add (gtk_text_buffer_get_tag_table (r->buffer), tag);
      g_object_unref (tag);
      push (r, tag);
    }
  return 0;
}

static int
leave_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Renderer *r = user_data;
  const char *name = span_tag_name (type);

  if (name != NULL)
    pop (r, named_tag (r, name));
  else if (type == MD_SPAN_A && r->tags->len > 0)
    {
      /* the link's tag is the last one pushed that carries an address */
      for (guint i = r->tags->len; i > 0; i--)
        if (g_object_get_data (r->tags->pdata[i - 1], "hearth-href") != NULL)
          {
            g_ptr_array_remove_index (r->tags, i - 1);
            break;
          }
    }
  return 0;
}

static const char *
entity (const char *text,
        gsize       len)
{
  static const char *const entities[][2] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
    { "&nbsp;", "\xc2\xa0" }, { "&copy;", "©" }, { "&mdash;", "—" }, { "&ndash;", "–" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    if (strlen (entities[i][0]) == len && memcmp (entities[i][0], text, len) == 0)
      return entities[i][1];
  return NULL;
}

static int
on_text (MD_TEXTTYPE   type,
         const MD_CHAR *text,
         MD_SIZE        size,
         void          *user_data)
{
  Renderer *r = user_data;

  if (r->code != NULL)
    {
      g_string_append_len (r->code, text, size);
      return 0;
    }
  if (r->cell_line != NULL)
    {
      g_string_append_len (r->cell_line, text, size);
      return 0;
    }
  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      insert (r, "\xef\xbf\xbd", -1);
      break;
    case MD_TEXT_BR:
      insert (r, "\n", 1);
      break;
    case MD_TEXT_SOFTBR:
      insert (r, " ", 1);
      break;
    case MD_TEXT_ENTITY:
      {
        const char *decoded = entity (text, size);

        insert (r, decoded != NULL ? decoded : text, decoded != NULL ? -1 : (gssize) size);
      }
      break;
    default:
      insert (r, text, (gssize) size);
      break;
    }
  return 0;
}

void
hearth_markdown_render (GtkTextBuffer *buffer,
                        GtkTextView   *view,
                        const char    *markdown)
{
  MD_PARSER parser = {
    .abi_version = 0,
    .flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML,
    .enter_block = enter_block,
    .leave_block = leave_block,
    .enter_span = enter_span,
    .leave_span = leave_span,
    .text = on_text,
  };
  Renderer r = { 0 };

  g_return_if_fail (GTK_IS_TEXT_BUFFER (buffer));
  g_return_if_fail (markdown != NULL);

  gtk_text_buffer_set_text (buffer, "", 0);
  r.buffer = buffer;
  r.view = view;
  r.tags = g_ptr_array_new ();
  r.lists = g_array_new (FALSE, FALSE, sizeof (int));
  if (md_parse (markdown, (MD_SIZE) strlen (markdown), &parser, &r) != 0)
    gtk_text_buffer_set_text (buffer, markdown, -1);
  if (r.code != NULL)
    flush_code (&r);
  if (r.cell_line != NULL)
    g_string_free (r.cell_line, TRUE);
  g_free (r.code_language);
  g_ptr_array_unref (r.tags);
  g_array_unref (r.lists);
}

const char *
hearth_markdown_link_at (const GtkTextIter *iter)
{
  g_autoptr (GSList) tags = gtk_text_iter_get_tags (iter);

  for (GSList *l = tags; l != NULL; l = l->next)
    {
      const char *href = g_object_get_data (l->data, "hearth-href");

      if (href != NULL)
        return href;
    }
  return NULL;
}

void
hearth_markdown_split_reasoning (const char  *text,
                                 char       **reasoning,
                                 char       **answer)
{
  const char *start = text, *end;

  g_return_if_fail (text != NULL);

  while (g_ascii_isspace (*start))
    start++;
  *reasoning = NULL;
  if (!g_str_has_prefix (start, "<think>"))
    {
      *answer = g_strdup (text);
      return;
    }
  start += strlen ("<think>");
  end = strstr (start, "</think>");
  if (end == NULL)
    {
      /* still thinking */
      *reasoning = g_strstrip (g_strdup (start));
      *answer = g_strdup ("");
      return;
    }
  *reasoning = g_strstrip (g_strndup (start, (gsize) (end - start)));
  end += strlen ("</think>");
  while (g_ascii_isspace (*end))
    end++;
  *answer = g_strdup (end);
}
