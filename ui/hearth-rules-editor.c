/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-rules-editor"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-rule-row.h"
#include "hearth-rules-library.h"
#include "hearth-rules-editor.h"

/* The add menu's row that makes an empty rule (the others are the
 * library's entries, by index). */
#define EMPTY_RULE G_MAXUINT

struct _HearthRulesEditor
{
  GtkBox parent_instance;

  /* template children */
  AdwPreferencesGroup *rules_group;
  GtkListBox *list;
  GtkMenuButton *add_button;
  GtkPopover *add_popover;
  GtkListBox *add_list;
  AdwPreferencesGroup *test_group;
  GtkToggleButton *test_input;
  GtkToggleButton *test_output;
  GtkTextView *sample_view;
  GtkLabel *result_heading;
  GtkLabel *result_label;
  GtkLabel *refusal_label;
  GtkLabel *notes_label;

  /* owned; the rows borrowed from the list */
  GPtrArray *rows;          /* HearthRuleRow, in order */
  GtkTextTag *match_tag;    /* borrowed from the sample's tag table */
  GtkTextTag *refuse_tag;
  int drag_x, drag_y;       /* where in its row a rule is being dragged from */
};

G_DEFINE_FINAL_TYPE (HearthRulesEditor, hearth_rules_editor, GTK_TYPE_BOX)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static HearthRuleWhere
tested_side (HearthRulesEditor *self)
{
  return gtk_toggle_button_get_active (self->test_input) ? HEARTH_RULE_INPUT : HEARTH_RULE_OUTPUT;
}

/* ---- trying the rules ----------------------------------------------------------- */

/* The sample's matches highlighted, and what the rules of the side tried
 * make of it. A rule that cannot be used is left out; the others keep their
 * numbers. */
static void
refresh_test (HearthRulesEditor *self)
{
  HearthRuleWhere side = tested_side (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->sample_view);
  g_autoptr (HearthRules) rules = hearth_rules_new ();
  g_autoptr (HearthRulesResult) result = NULL;
  g_autoptr (GString) notes = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  g_autofree char *sample = NULL;
  GtkTextIter start, end;
  guint n_side = 0;

  gtk_widget_set_visible (GTK_WIDGET (self->test_group), self->rows->len > 0);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_all_tags (buffer, &start, &end);
  sample = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  for (guint i = 0; i < self->rows->len; i++)
    {
      HearthRuleRow *row = self->rows->pdata[i];

      if (hearth_rule_row_get_error (row) == NULL)
        hearth_rule_row_add_to (row, rules);
      else
        /* (a stand-in on the other side, which the side tried passes
         * over: the rules after it keep their numbers in the notes) */
        hearth_rules_add (rules, side == HEARTH_RULE_INPUT ? HEARTH_RULE_OUTPUT : HEARTH_RULE_INPUT,
                          HEARTH_RULE_NOTE, HEARTH_RULE_MATCH_TEXT, "-", NULL);
    }
  if (!hearth_rules_compile (rules, NULL))
    g_return_if_reached (); /* every rule was checked */

  for (guint i = 0; i < self->rows->len; i++)
    {
      const HearthRule *rule = hearth_rules_get_rule (rules, i);
      g_autoptr (GArray) pairs = NULL;

      if (hearth_rule_row_get_where (self->rows->pdata[i]) != side)
        continue;
      n_side++;
      if (hearth_rule_row_get_error (self->rows->pdata[i]) != NULL)
        {
          g_string_append_printf (notes, _("Rule %u cannot be used and is left out."), i + 1);
          g_string_append_c (notes, '\n');
          continue;
        }
      pairs = hearth_rules_find_matches (rules, i, sample);
      for (guint p = 0; p + 1 < pairs->len; p += 2)
        {
          const char *match_start = sample + g_array_index (pairs, guint, p);
          const char *match_end = sample + g_array_index (pairs, guint, p + 1);
          GtkTextIter from, to;

          /* (byte offsets to the buffer's character offsets) */
          gtk_text_buffer_get_iter_at_offset (buffer, &from,
                                              g_utf8_pointer_to_offset (sample, match_start));
          gtk_text_buffer_get_iter_at_offset (buffer, &to,
                                              g_utf8_pointer_to_offset (sample, match_end));
          gtk_text_buffer_apply_tag (buffer,
                                     rule->action == HEARTH_RULE_REFUSE ? self->refuse_tag
                                                                        : self->match_tag,
                                     &from, &to);
        }
    }

  result = side == HEARTH_RULE_INPUT ? hearth_rules_apply_input (rules, sample)
                                     : hearth_rules_apply_output (rules, sample);
  if (result->refused)
    gtk_label_set_text (self->result_heading, _("What is left before the refusal"));
  else
    gtk_label_set_text (self->result_heading, side == HEARTH_RULE_INPUT ? _("What the model reads")
                                                                        : _("What you see"));
  gtk_label_set_text (self->result_label, result->text);
  if (result->refused)
    {
      g_autofree char *text = g_strdup_printf (_("Rule %u refuses: %s"), result->refused_by + 1,
                                               result->refusal);

      gtk_label_set_text (self->refusal_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->refusal_label), result->refused);
  lines = hearth_rules_result_get_notes (result, rules);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *refused = result->refused ? g_strdup_printf (_("Rule %u refused"),
                                                                    result->refused_by + 1)
                                                 : NULL;

      /* (the refusal is said above, with its message) */
      if (g_strcmp0 (lines[i], refused) == 0)
        continue;
      g_string_append (notes, lines[i]);
      g_string_append_c (notes, '\n');
    }
  if (n_side == 0)
    g_string_append (notes, side == HEARTH_RULE_INPUT ? _("No rule applies to your message.")
                                                      : _("No rule applies to the reply."));
  else if (notes->len == 0 && !result->refused)
    g_string_append (notes, _("No rule matches this sample."));
  while (notes->len > 0 && notes->str[notes->len - 1] == '\n')
    g_string_truncate (notes, notes->len - 1);
  gtk_label_set_text (self->notes_label, notes->str);
  gtk_widget_set_visible (GTK_WIDGET (self->notes_label), notes->len > 0);
}

static void
side_toggled_cb (GtkToggleButton   *button,
                 HearthRulesEditor *self)
{
  if (gtk_toggle_button_get_active (button))
    refresh_test (self);
}

/* ---- the rules ------------------------------------------------------------------ */

static void
renumber (HearthRulesEditor *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    hearth_rule_row_set_position (self->rows->pdata[i], i, self->rows->len);
  gtk_widget_set_visible (GTK_WIDGET (self->list), self->rows->len > 0);
}

static void
rules_changed (HearthRulesEditor *self)
{
  renumber (self);
  refresh_test (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Puts @row at @index (among the rows without it), the focus kept where it
 * was. */
static void
move_row (HearthRulesEditor *self,
          HearthRuleRow     *row,
          guint              index)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (self)));
  guint from;

  if (!g_ptr_array_find (self->rows, row, &from))
    return;
  index = MIN (index, self->rows->len - 1);
  if (index == from)
    return;
  g_object_ref (row);
  g_ptr_array_remove_index (self->rows, from);
  g_ptr_array_insert (self->rows, index, row);
  gtk_list_box_remove (self->list, GTK_WIDGET (row));
  gtk_list_box_insert (self->list, GTK_WIDGET (row), index);
  g_object_unref (row);
  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (row)))
    gtk_widget_grab_focus (focus);
  rules_changed (self);
}

static void
row_move_cb (HearthRuleRow     *row,
             int                delta,
             HearthRulesEditor *self)
{
  guint i;

  if (!g_ptr_array_find (self->rows, row, &i) || (delta < 0 && i == 0))
    return;
  move_row (self, row, i + delta);
}

static void
row_remove_cb (HearthRuleRow     *row,
               HearthRulesEditor *self)
{
  guint i;

  if (!g_ptr_array_find (self->rows, row, &i))
    return;
  g_ptr_array_remove_index (self->rows, i);
  gtk_list_box_remove (self->list, GTK_WIDGET (row));
  /* (the focus to the next rule, the one before, or the add button) */
  if (self->rows->len > 0)
    gtk_widget_grab_focus (self->rows->pdata[MIN (i, self->rows->len - 1)]);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->add_button));
  rules_changed (self);
}

/* Dragging a rule: from its header (inside, the entries and lists keep
 * their own drags). */
static GdkContentProvider *
drag_prepare_cb (GtkDragSource     *source,
                 double             x,
                 double             y,
                 HearthRulesEditor *self)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  GtkWidget *picked = gtk_widget_pick (row, x, y, GTK_PICK_DEFAULT);

  for (GtkWidget *w = picked; w != NULL && w != row; w = gtk_widget_get_parent (w))
    if (GTK_IS_REVEALER (w) || GTK_IS_BUTTON (w))
      return NULL;
  if (picked == NULL)
    return NULL;
  self->drag_x = (int) x;
  self->drag_y = (int) y;
  return gdk_content_provider_new_typed (HEARTH_TYPE_RULE_ROW, row);
}

static void
drag_begin_cb (GtkDragSource     *source,
               GdkDrag           *drag,
               HearthRulesEditor *self)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autoptr (GdkPaintable) icon = gtk_widget_paintable_new (row);

  gtk_drag_source_set_icon (source, icon, self->drag_x, self->drag_y);
  gtk_widget_add_css_class (row, "dim-label");
}

static void
drag_end_cb (GtkDragSource     *source,
             GdkDrag           *drag,
             gboolean           delete_data,
             HearthRulesEditor *self)
{
  gtk_widget_remove_css_class (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source)),
                               "dim-label");
}

/* A rule dropped on @target's row: before it when dropped on its upper
 * half, else after it. */
static gboolean
drop_cb (GtkDropTarget     *target,
         const GValue      *value,
         double             x,
         double             y,
         HearthRulesEditor *self)
{
  GtkWidget *over = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  HearthRuleRow *dragged = g_value_get_object (value);
  guint from, to;

  if (!HEARTH_IS_RULE_ROW (dragged) || !g_ptr_array_find (self->rows, dragged, &from)
      || !g_ptr_array_find (self->rows, over, &to))
    return FALSE;
  if (GTK_WIDGET (dragged) == over)
    return TRUE;
  if (y >= gtk_widget_get_height (over) / 2.0)
    to++;
  if (from < to)
    to--;
  move_row (self, dragged, to);
  return TRUE;
}

static HearthRuleRow *
append_row (HearthRulesEditor *self,
            const HearthRule  *rule)
{
  GtkWidget *row = hearth_rule_row_new (rule);
  GtkDragSource *source = gtk_drag_source_new ();
  GtkDropTarget *target = gtk_drop_target_new (HEARTH_TYPE_RULE_ROW, GDK_ACTION_MOVE);

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect (source, "prepare", G_CALLBACK (drag_prepare_cb), self);
  g_signal_connect (source, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (source, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));
  g_signal_connect_swapped (row, "changed", G_CALLBACK (rules_changed), self);
  g_signal_connect (row, "move", G_CALLBACK (row_move_cb), self);
  g_signal_connect (row, "remove", G_CALLBACK (row_remove_cb), self);
  g_ptr_array_add (self->rows, row);
  gtk_list_box_append (self->list, row);
  return HEARTH_RULE_ROW (row);
}

/* ---- adding ----------------------------------------------------------------------- */

static void
add_row_activated_cb (GtkListBox        *list,
                      GtkListBoxRow     *menu_row,
                      HearthRulesEditor *self)
{
  guint entry = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (menu_row), "hearth-entry"));
  HearthRuleRow *row;

  gtk_popover_popdown (self->add_popover);
  if (entry == EMPTY_RULE)
    {
      row = append_row (self, NULL);
      rules_changed (self);
      hearth_rule_row_focus_pattern (row);
    }
  else
    {
      const HearthRulesLibraryEntry *e = hearth_rules_library_get_entry (entry);
      GtkSpinButton *spin = g_object_get_data (G_OBJECT (menu_row), "hearth-number");
      g_autoptr (HearthRules) added = hearth_rules_new ();

      g_return_if_fail (e != NULL);
      /* (a number typed and not yet taken) */
      if (spin != NULL)
        gtk_spin_button_update (spin);
      hearth_rules_library_add (e, spin != NULL ? (guint) gtk_spin_button_get_value_as_int (spin)
                                                : 0,
                                added);
      g_return_if_fail (hearth_rules_get_n_rules (added) > 0);
      row = NULL;
      for (guint i = 0; i < hearth_rules_get_n_rules (added); i++)
        {
          HearthRuleRow *r = append_row (self, hearth_rules_get_rule (added, i));

          if (row == NULL)
            row = r;
        }
      rules_changed (self);
      /* (shown, not opened: an entry may add several rules) */
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
  /* tried on the side the new rule applies to */
  if (hearth_rule_row_get_where (row) == HEARTH_RULE_INPUT)
    gtk_toggle_button_set_active (self->test_input, TRUE);
  else
    gtk_toggle_button_set_active (self->test_output, TRUE);
}

/* A row of the add menu: @title, @description under it. */
static GtkWidget *
add_menu_row (HearthRulesEditor *self,
              const char        *title,
              const char        *description,
              guint              entry)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title_label = gtk_label_new (title);
  GtkWidget *description_label = gtk_label_new (description);

  gtk_label_set_xalign (GTK_LABEL (title_label), 0);
  gtk_label_set_wrap (GTK_LABEL (title_label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (title_label), 32);
  gtk_label_set_xalign (GTK_LABEL (description_label), 0);
  gtk_label_set_wrap (GTK_LABEL (description_label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (description_label), 32);
  gtk_widget_add_css_class (description_label, "caption");
  gtk_widget_add_css_class (description_label, "dim-label");
  gtk_box_append (GTK_BOX (box), title_label);
  gtk_box_append (GTK_BOX (box), description_label);
  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  g_object_set_data (G_OBJECT (row), "hearth-entry", GUINT_TO_POINTER (entry));
  gtk_list_box_append (self->add_list, row);
  return row;
}

static void
number_activated_cb (GtkText       *text,
                     GtkListBoxRow *row)
{
  GtkWidget *list = gtk_widget_get_parent (GTK_WIDGET (row));

  g_signal_emit_by_name (list, "row-activated", row);
}

static void
fill_add_menu (HearthRulesEditor *self)
{
  GtkWidget *heading = gtk_label_new (_("From the Library"));
  GtkWidget *heading_row = gtk_list_box_row_new ();

  add_menu_row (self, _("Empty Rule"), _("A pattern of your own, to fill in."), EMPTY_RULE);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_set_margin_start (heading, 6);
  gtk_widget_set_margin_top (heading, 12);
  gtk_widget_set_margin_bottom (heading, 3);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (heading_row), heading);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (heading_row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (heading_row), FALSE);
  gtk_widget_set_can_focus (heading_row, FALSE);
  gtk_list_box_append (self->add_list, heading_row);
  for (guint i = 0; i < hearth_rules_library_get_n_entries (); i++)
    {
      const HearthRulesLibraryEntry *e = hearth_rules_library_get_entry (i);
      GtkWidget *row = add_menu_row (self, hearth_rules_library_entry_get_title (e),
                                     hearth_rules_library_entry_get_description (e), i);

      if (e->takes_number)
        {
          GtkWidget *box = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row));
          GtkWidget *spin = gtk_spin_button_new_with_range (1, e->max_number, 1);

          /* the number under the description (beside it, the menu would
           * be wider than a phone) */
          gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), e->default_number);
          gtk_widget_set_halign (spin, GTK_ALIGN_START);
          gtk_widget_set_margin_top (spin, 4);
          gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          hearth_rules_library_entry_get_title (e), -1);
          gtk_box_append (GTK_BOX (box), spin);
          g_object_set_data (G_OBJECT (row), "hearth-number", spin);
          /* (Enter in the number adds the entry, as a click on it does) */
          g_signal_connect_object (gtk_editable_get_delegate (GTK_EDITABLE (spin)), "activate",
                                   G_CALLBACK (number_activated_cb), row, 0);
        }
    }
}

/* ---- the object ------------------------------------------------------------------- */

static void
hearth_rules_editor_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_RULES_EDITOR);
  G_OBJECT_CLASS (hearth_rules_editor_parent_class)->dispose (object);
}

static void
hearth_rules_editor_finalize (GObject *object)
{
  HearthRulesEditor *self = HEARTH_RULES_EDITOR (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_rules_editor_parent_class)->finalize (object);
}

static void
hearth_rules_editor_class_init (HearthRulesEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_rules_editor_dispose;
  object_class->finalize = hearth_rules_editor_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-rules-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, rules_group);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, list);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, add_button);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, add_popover);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, add_list);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, test_group);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, test_input);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, test_output);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, sample_view);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, result_heading);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, result_label);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, refusal_label);
  gtk_widget_class_bind_template_child (widget_class, HearthRulesEditor, notes_label);
}

static void
hearth_rules_editor_init (HearthRulesEditor *self)
{
  GtkTextBuffer *buffer;
  GdkRGBA yellow = { 0.965, 0.827, 0.176, 0.45 }; /* Adwaita's yellow 2 */
  GdkRGBA red = { 0.878, 0.106, 0.141, 0.30 };    /* its red 3 */

  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
  buffer = gtk_text_view_get_buffer (self->sample_view);
  self->match_tag = gtk_text_buffer_create_tag (buffer, "match", "background-rgba", &yellow, NULL);
  self->refuse_tag = gtk_text_buffer_create_tag (buffer, "refused", "background-rgba", &red,
                                                 "underline", PANGO_UNDERLINE_SINGLE, NULL);
  gtk_text_buffer_set_text (buffer, _("Hello! Write to me at ada@example.com or call "
                                      "555-0100."), -1);
  fill_add_menu (self);
  g_signal_connect (self->add_list, "row-activated", G_CALLBACK (add_row_activated_cb), self);
  g_signal_connect (self->test_input, "toggled", G_CALLBACK (side_toggled_cb), self);
  g_signal_connect (self->test_output, "toggled", G_CALLBACK (side_toggled_cb), self);
  g_signal_connect_swapped (buffer, "changed", G_CALLBACK (refresh_test), self);
  refresh_test (self);
}

GtkWidget *
hearth_rules_editor_new (void)
{
  return g_object_new (HEARTH_TYPE_RULES_EDITOR, NULL);
}

void
hearth_rules_editor_set_rules (HearthRulesEditor *self,
                               const HearthRules *rules)
{
  g_return_if_fail (HEARTH_IS_RULES_EDITOR (self));

  while (self->rows->len > 0)
    {
      gtk_list_box_remove (self->list, self->rows->pdata[self->rows->len - 1]);
      g_ptr_array_set_size (self->rows, self->rows->len - 1);
    }
  for (guint i = 0; rules != NULL && i < hearth_rules_get_n_rules (rules); i++)
    append_row (self, hearth_rules_get_rule (rules, i));
  /* (the side tried: that of the first rule) */
  if (self->rows->len > 0 && hearth_rule_row_get_where (self->rows->pdata[0]) == HEARTH_RULE_INPUT)
    gtk_toggle_button_set_active (self->test_input, TRUE);
  rules_changed (self);
}

HearthRules *
hearth_rules_editor_get_rules (HearthRulesEditor *self)
{
  HearthRules *rules;

  g_return_val_if_fail (HEARTH_IS_RULES_EDITOR (self), NULL);

  if (self->rows->len == 0)
    return NULL;
  rules = hearth_rules_new ();
  for (guint i = 0; i < self->rows->len; i++)
    hearth_rule_row_add_to (self->rows->pdata[i], rules);
  return rules;
}

char *
hearth_rules_editor_get_problem (HearthRulesEditor *self)
{
  g_return_val_if_fail (HEARTH_IS_RULES_EDITOR (self), NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      const char *error = hearth_rule_row_get_error (self->rows->pdata[i]);

      if (error != NULL)
        return g_strdup_printf (_("Rule %u: %s"), i + 1, error);
    }
  return NULL;
}
