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
  GPtrArray *blocks;         /* HearthMarkdownBlock */
  GString *markup;           /* the text run being written */
  guint pending_breaks;      /* newlines owed before the next text */
  GArray *lists;             /* int per open list: -1 bullets, else the next number */
  guint quotes;              /* open block quotes */
  GString *code;             /* inside a code block */
  char *code_language;
  GString *cell_line;        /* inside a table row: its cells so far */
  guint cells;
} Renderer;

void
hearth_markdown_block_free (HearthMarkdownBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->text);
  g_free (block->language);
  g_free (block);
}

static void
add_block (Renderer           *r,
           HearthMarkdownKind  kind,
           char               *text,
           char               *language)
{
  HearthMarkdownBlock *block = g_new0 (HearthMarkdownBlock, 1);

  block->kind = kind;
  block->text = text;
  block->language = language;
  g_ptr_array_add (r->blocks, block);
}

/* Text blocks longer than this are cut, at a space outside any markup tag,
 * into pieces: a label is laid out whole each time its text changes. */
#define PIECE_BYTES 1500

/* Where to cut @markup (at most @limit bytes in), outside any tag: each
 * piece is a label of its own and so starts on a line of its own, so after
 * a line break or a sentence's end where there is one in the second half,
 * else after the last space; 0 when there is nowhere to cut. */
static gsize
cut_point (const char *markup,
           gsize       limit)
{
  int depth = 0;
  gsize space = 0, sentence = 0, line = 0;
  gboolean in_tag = FALSE, closing = FALSE;

  for (gsize i = 0; markup[i] != '\0' && i < limit; i++)
    {
      char c = markup[i];

      if (c == '<')
        {
          in_tag = TRUE;
          closing = markup[i + 1] == '/';
        }
      else if (c == '>' && in_tag)
        {
          in_tag = FALSE;
          depth += closing ? -1 : 1;
        }
      else if (in_tag || depth != 0)
        continue;
      else if (c == '\n')
        line = i + 1;
      else if (c == ' ')
        {
          space = i + 1;
          if (i > 0 && strchr (".!?:;", markup[i - 1]) != NULL)
            sentence = i + 1;
        }
      /* 。！？ end a sentence in Chinese, with no space after them */
      else if (i + 3 <= limit
               && (strncmp (markup + i, "\xe3\x80\x82", 3) == 0 || strncmp (markup + i, "\xef\xbc\x81", 3) == 0
                   || strncmp (markup + i, "\xef\xbc\x9f", 3) == 0))
        sentence = i + 3;
    }
  if (line >= limit / 2)
    return line;
  if (sentence >= limit / 2)
    return sentence;
  return space;
}

/* The text run so far becomes a block (or several, when long). */
static void
flush_text (Renderer *r)
{
  const char *rest = r->markup->str;
  gboolean continues = FALSE;

  while (strlen (rest) > PIECE_BYTES)
    {
      gsize cut = cut_point (rest, PIECE_BYTES);

      if (cut == 0)
        break;
      add_block (r, HEARTH_MARKDOWN_TEXT, g_strndup (rest, cut), NULL);
      ((HearthMarkdownBlock *) r->blocks->pdata[r->blocks->len - 1])->continues = continues;
      continues = TRUE;
      rest += cut;
    }
  if (*rest != '\0')
    {
      add_block (r, HEARTH_MARKDOWN_TEXT, g_strdup (rest), NULL);
      ((HearthMarkdownBlock *) r->blocks->pdata[r->blocks->len - 1])->continues = continues;
    }
  g_string_truncate (r->markup, 0);
  r->pending_breaks = 0;
}

/* Markup at the end of the run, after the newlines owed. */
static void
append_markup (Renderer   *r,
               const char *markup)
{
  GString *out = r->cell_line != NULL ? r->cell_line : r->markup;

  if (out == r->markup && r->markup->len > 0)
    for (; r->pending_breaks > 0; r->pending_breaks--)
      g_string_append_c (r->markup, '\n');
  if (out == r->markup)
    r->pending_breaks = 0;
  g_string_append (out, markup);
}

static void
append_text (Renderer   *r,
             const char *text,
             gssize      len)
{
  g_autofree char *escaped = NULL;
  g_autofree char *valid = NULL;

  if (len < 0)
    len = (gssize) strlen (text);
  if (len == 0)
    return;
  valid = g_utf8_make_valid (text, len);
  escaped = g_markup_escape_text (valid, -1);
  append_markup (r, escaped);
}

static void
owe_breaks (Renderer *r,
            guint     n)
{
  if (r->markup->len > 0)
    r->pending_breaks = MAX (r->pending_breaks, n);
}

/* At the start of a line in a quote: its mark. */
static void
quote_mark (Renderer *r)
{
  for (guint i = 0; i < r->quotes; i++)
    append_markup (r, "<span alpha=\"50%\">▎</span> ");
}

static const char *const heading_open[] = {
  "<span weight=\"bold\" size=\"xx-large\">", "<span weight=\"bold\" size=\"x-large\">",
  "<span weight=\"bold\" size=\"large\">", "<span weight=\"bold\">",
};

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
        guint level = ((MD_BLOCK_H_DETAIL *) detail)->level;

        owe_breaks (r, 2);
        quote_mark (r);
        append_markup (r, heading_open[MIN (level, 4) - 1]);
      }
      break;
    case MD_BLOCK_P:
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      if (r->lists->len == 0)
        quote_mark (r);
      break;
    case MD_BLOCK_QUOTE:
      owe_breaks (r, 2);
      r->quotes++;
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        int start = type == MD_BLOCK_OL ? (int) ((MD_BLOCK_OL_DETAIL *) detail)->start : -1;

        owe_breaks (r, r->lists->len > 0 ? 1 : 2);
        g_array_append_val (r->lists, start);
      }
      break;
    case MD_BLOCK_LI:
      {
        int *next = &g_array_index (r->lists, int, r->lists->len - 1);
        MD_BLOCK_LI_DETAIL *li = detail;
        g_autoptr (GString) lead = g_string_new (NULL);

        owe_breaks (r, 1);
        quote_mark (r);
        for (guint i = 1; i < r->lists->len; i++)
          g_string_append (lead, "    ");
        if (li->is_task)
          g_string_append (lead, li->task_mark == ' ' ? "☐ " : "☑ ");
        else if (*next < 0)
          g_string_append (lead, r->lists->len % 2 == 1 ? "• " : "◦ ");
        else
          g_string_append_printf (lead, "%d. ", (*next)++);
        append_markup (r, lead->str);
      }
      break;
    case MD_BLOCK_CODE:
      {
        MD_BLOCK_CODE_DETAIL *code = detail;

        flush_text (r);
        r->code = g_string_new (NULL);
        if (code->lang.text != NULL && code->lang.size > 0)
          r->code_language = g_strndup (code->lang.text, code->lang.size);
      }
      break;
    case MD_BLOCK_HR:
      owe_breaks (r, 2);
      append_markup (r, "<span alpha=\"50%\">────────</span>");
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_TABLE:
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_TR:
      r->cell_line = g_string_new (NULL);
      r->cells = 0;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (r->cell_line != NULL && r->cells++ > 0)
        g_string_append (r->cell_line, " │ ");
      if (type == MD_BLOCK_TH && r->cell_line != NULL)
        g_string_append (r->cell_line, "<b>");
      break;
    default:
      break;
    }
  return 0;
}

static void
flush_code (Renderer *r)
{
  g_autoptr (GString) code = g_steal_pointer (&r->code);

  /* the block's last newline ends it; it is not a line of its own */
  if (code->len > 0 && code->str[code->len - 1] == '\n')
    g_string_truncate (code, code->len - 1);
  add_block (r, HEARTH_MARKDOWN_CODE, g_strdup (code->str), g_steal_pointer (&r->code_language));
}

/* Each top-level block is a label of its own: while a reply streams, only
 * the last one changes, and the others keep their layout. */
static void
end_of_top_block (Renderer *r)
{
  if (r->lists->len == 0 && r->quotes == 0 && r->cell_line == NULL)
    flush_text (r);
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
      append_markup (r, "</span>");
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_P:
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      break;
    case MD_BLOCK_QUOTE:
      r->quotes--;
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      g_array_set_size (r->lists, r->lists->len - 1);
      owe_breaks (r, r->lists->len > 0 ? 1 : 2);
      break;
    case MD_BLOCK_CODE:
      flush_code (r);
      break;
    case MD_BLOCK_TABLE:
      owe_breaks (r, 2);
      break;
    case MD_BLOCK_TH:
      if (r->cell_line != NULL)
        g_string_append (r->cell_line, "</b>");
      break;
    case MD_BLOCK_TR:
      {
        g_autoptr (GString) line = g_steal_pointer (&r->cell_line);
        g_autofree char *row = g_strconcat ("<tt>", line->str, "</tt>", NULL);

        owe_breaks (r, 1);
        append_markup (r, row);
      }
      break;
    default:
      break;
    }
  if (type == MD_BLOCK_H || type == MD_BLOCK_P || type == MD_BLOCK_QUOTE || type == MD_BLOCK_UL
      || type == MD_BLOCK_OL || type == MD_BLOCK_TABLE || type == MD_BLOCK_HR)
    end_of_top_block (r);
  return 0;
}

static const char *
span_open (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM:
      return "<i>";
    case MD_SPAN_STRONG:
      return "<b>";
    case MD_SPAN_CODE:
      return "<span font_family=\"monospace\" background=\"#80808033\">";
    case MD_SPAN_DEL:
      return "<s>";
    case MD_SPAN_U:
      return "<u>";
    default:
      return NULL;
    }
}

static const char *
span_close (MD_SPANTYPE type)
{
  switch (type)
    {
    case MD_SPAN_EM:
      return "</i>";
    case MD_SPAN_STRONG:
      return "</b>";
    case MD_SPAN_CODE:
      return "</span>";
    case MD_SPAN_DEL:
      return "</s>";
    case MD_SPAN_U:
      return "</u>";
    default:
      return NULL;
    }
}

/* Only addresses a browser or mail program should open become links. */
static gboolean
safe_link (const char *href)
{
  return g_str_has_prefix (href, "https://") || g_str_has_prefix (href, "http://")
         || g_str_has_prefix (href, "mailto:");
}

static int
enter_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Renderer *r = user_data;
  const char *open = span_open (type);

  if (r->code != NULL)
    return 0;
  if (open != NULL)
    append_markup (r, open);
  else if (type == MD_SPAN_A)
    {
      MD_SPAN_A_DETAIL *a = detail;
      g_autofree char *href = g_strndup (a->href.text, a->href.size);

      if (safe_link (href))
        {
          g_autofree char *escaped = g_markup_escape_text (href, -1);
          g_autofree char *tag = g_strdup_printf ("<a href=\"%s\">", escaped);

          append_markup (r, tag);
        }
      else
        append_markup (r, "<u>");
    }
  return 0;
}

static int
leave_span (MD_SPANTYPE  type,
            void        *detail,
            void        *user_data)
{
  Renderer *r = user_data;
  const char *close = span_close (type);

  if (r->code != NULL)
    return 0;
  if (close != NULL)
    append_markup (r, close);
  else if (type == MD_SPAN_A)
    {
      MD_SPAN_A_DETAIL *a = detail;
      g_autofree char *href = g_strndup (a->href.text, a->href.size);

      append_markup (r, safe_link (href) ? "</a>" : "</u>");
    }
  return 0;
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

static void
follow_dark (AdwStyleManager *style,
             GParamSpec      *pspec,
             GtkSourceBuffer *buffer)
{
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();
  GtkSourceStyleScheme *scheme = gtk_source_style_scheme_manager_get_scheme (
    schemes, adw_style_manager_get_dark (style) ? "Adwaita-dark" : "Adwaita");

  if (scheme != NULL)
    gtk_source_buffer_set_style_scheme (buffer, scheme);
}

/* A code block as a widget in the view: highlighted, with a copy button. */
GtkWidget *
hearth_markdown_code_view_new (const char *code,
                               const char *language)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *lang = NULL;
  GtkSourceBuffer *buffer = gtk_source_buffer_new (NULL);
  GtkWidget *view, *scroller, *overlay, *copy;
  AdwStyleManager *style = adw_style_manager_get_default ();

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
  follow_dark (style, NULL, buffer);
  /* light or dark with the rest of the window, also when it changes */
  g_signal_connect_object (style, "notify::dark", G_CALLBACK (follow_dark), buffer, 0);
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
  gtk_widget_set_hexpand (scroller, TRUE);
  gtk_widget_add_css_class (scroller, "card");

  copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"), -1);
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
  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      append_text (r, "\xef\xbf\xbd", -1);
      break;
    case MD_TEXT_BR:
      append_markup (r, "\n");
      break;
    case MD_TEXT_SOFTBR:
      append_markup (r, " ");
      break;
    case MD_TEXT_ENTITY:
      {
        const char *decoded = entity (text, size);

        append_text (r, decoded != NULL ? decoded : text, decoded != NULL ? -1 : (gssize) size);
      }
      break;
    default:
      append_text (r, text, (gssize) size);
      break;
    }
  return 0;
}

GPtrArray *
hearth_markdown_to_blocks (const char *markdown)
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

  g_return_val_if_fail (markdown != NULL, NULL);

  r.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_markdown_block_free);
  r.markup = g_string_new (NULL);
  r.lists = g_array_new (FALSE, FALSE, sizeof (int));
  if (md_parse (markdown, (MD_SIZE) strlen (markdown), &parser, &r) != 0)
    {
      /* md4c gave up (out of memory): the text as it is */
      g_ptr_array_set_size (r.blocks, 0);
      g_string_truncate (r.markup, 0);
      append_text (&r, markdown, -1);
    }
  /* text still streaming may leave a code block open */
  if (r.code != NULL)
    {
      flush_text (&r);
      flush_code (&r);
    }
  if (r.cell_line != NULL)
    g_string_free (r.cell_line, TRUE);
  flush_text (&r);
  g_free (r.code_language);
  g_string_free (r.markup, TRUE);
  g_array_unref (r.lists);
  return r.blocks;
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
