/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-rule-row"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-rule-row.h"

/* The pattern in the header is cut after this many characters. */
#define SUMMARY_CHARS 48

/* The combo rows' items, in the order of the enums (hearth-rules.h). */
G_STATIC_ASSERT (HEARTH_RULE_INPUT == 0 && HEARTH_RULE_OUTPUT == 1);
G_STATIC_ASSERT (HEARTH_RULE_REFUSE == 0 && HEARTH_RULE_MASK == 1 && HEARTH_RULE_REPLACE == 2
                 && HEARTH_RULE_NOTE == 3);
G_STATIC_ASSERT (HEARTH_RULE_MATCH_TEXT == 0 && HEARTH_RULE_MATCH_TEXT_I == 1
                 && HEARTH_RULE_MATCH_REGEX == 2);

struct _HearthRuleRow
{
  AdwExpanderRow parent_instance;

  /* template children */
  GtkImage *handle;
  GtkImage *error_icon;
  AdwComboRow *where_row;
  AdwComboRow *action_row;
  AdwComboRow *match_row;
  AdwEntryRow *pattern_row;
  GtkListBoxRow *error_row;
  GtkLabel *error_label;
  AdwEntryRow *text_row;
  GtkListBoxRow *hint_row;
  GtkLabel *hint_label;
  GtkButton *up_button;
  GtkButton *down_button;
  GtkButton *remove_button;
  GtkActionable *buttons[3];   /* up, down, remove */

  /* owned */
  char *error;  /* why the rule cannot be used, or NULL */
  guint number; /* from 1 */
};

G_DEFINE_FINAL_TYPE (HearthRuleRow, hearth_rule_row, ADW_TYPE_EXPANDER_ROW)

enum
{
  SIGNAL_CHANGED,
  SIGNAL_MOVE,
  SIGNAL_REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static HearthRuleAction
get_action (HearthRuleRow *self)
{
  guint i = adw_combo_row_get_selected (self->action_row);

  return i <= HEARTH_RULE_NOTE ? (HearthRuleAction) i : HEARTH_RULE_MASK;
}

static HearthRuleMatch
get_match (HearthRuleRow *self)
{
  guint i = adw_combo_row_get_selected (self->match_row);

  return i <= HEARTH_RULE_MATCH_REGEX ? (HearthRuleMatch) i : HEARTH_RULE_MATCH_TEXT;
}

/* The header: "Rule 2 · Reply · Mask", and the pattern. */
static void
update_header (HearthRuleRow *self)
{
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (self->pattern_row));
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->text_row));
  const char *where = hearth_rule_row_get_where (self) == HEARTH_RULE_INPUT
                        ? C_("rule applies to", "Message")
                        : C_("rule applies to", "Reply");
  GtkStringObject *item = adw_combo_row_get_selected_item (self->action_row);
  const char *action = item != NULL ? gtk_string_object_get_string (item) : "";
  g_autofree char *title = g_strdup_printf (_("Rule %u · %s · %s"), self->number, where, action);
  g_autofree char *shown = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped = NULL;

  if (g_utf8_strlen (pattern, -1) > SUMMARY_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (pattern, 0, SUMMARY_CHARS);

      shown = g_strconcat (cut, "…", NULL);
    }
  else
    shown = g_strdup (pattern);
  /* (one line: the header sums it up) */
  g_strdelimit (shown, "\n\r\t", ' ');
  if (*pattern == '\0')
    subtitle = g_strdup (_("No pattern yet"));
  else if (hearth_rules_text_has_marker (pattern) || hearth_rules_text_has_marker (text))
    /* (its regular expression passes invisible markers along: nothing to read) */
    subtitle = g_strdup (_("Part of the library’s sentence limit: it counts the reply’s "
                           "sentences"));
  else
    switch (get_match (self))
      {
      case HEARTH_RULE_MATCH_TEXT_I:
        subtitle = g_strdup_printf (_("“%s”, ignoring case"), shown);
        break;
      case HEARTH_RULE_MATCH_REGEX:
        subtitle = g_strdup_printf (_("Regular expression %s"), shown);
        break;
      case HEARTH_RULE_MATCH_TEXT:
      default:
        subtitle = g_strdup_printf (_("“%s”"), shown);
        break;
      }
  /* (the header's labels read Pango markup) */
  escaped = g_markup_escape_text (subtitle, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), escaped);
}

/* What the text row means depends on the action; the hint on the pattern
 * type too. */
static void
update_text_row (HearthRuleRow *self)
{
  HearthRuleAction action = get_action (self);
  const char *title = NULL;

  switch (action)
    {
    case HEARTH_RULE_REFUSE:
      title = _("Message Shown (optional)");
      break;
    case HEARTH_RULE_MASK:
      title = _("Masked As");
      break;
    case HEARTH_RULE_REPLACE:
      title = _("Replace With");
      break;
    case HEARTH_RULE_NOTE:
    default:
      title = _("Note (optional)");
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->text_row), title);
  switch (action)
    {
    case HEARTH_RULE_REFUSE:
      gtk_label_set_text (self->hint_label,
                          hearth_rule_row_get_where (self) == HEARTH_RULE_INPUT
                            ? _("Your message is not sent; this is shown instead.")
                            : _("The reply stops before the match; this is shown below it."));
      break;
    case HEARTH_RULE_MASK:
      gtk_label_set_text (self->hint_label, _("Each match becomes this text, as written; empty "
                                              "removes it."));
      break;
    case HEARTH_RULE_REPLACE:
      gtk_label_set_text (self->hint_label,
                          get_match (self) == HEARTH_RULE_MATCH_REGEX
                            ? _("Each match becomes this text: \\0 is the whole match, \\1 the "
                                "first group, \\g<name> a named one.")
                            : _("Each match becomes this text."));
      break;
    case HEARTH_RULE_NOTE:
    default:
      gtk_label_set_text (self->hint_label, _("The text stays as it is; the note is shown "
                                              "beside it."));
      break;
    }
}

/* The rule as it stands, checked; the reason it cannot be used shown under
 * its pattern. */
static void
update_error (HearthRuleRow *self)
{
  g_autoptr (HearthRules) rules = hearth_rules_new ();
  g_autoptr (GError) error = NULL;

  hearth_rule_row_add_to (self, rules);
  g_clear_pointer (&self->error, g_free);
  if (!hearth_rules_check_rule (rules, 0, &error))
    self->error = g_strdup (error->message);
  gtk_label_set_text (self->error_label, self->error != NULL ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_row), self->error != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->error_icon), self->error != NULL);
  if (self->error != NULL
      && g_error_matches (error, HEARTH_RULES_ERROR, HEARTH_RULES_ERROR_REPLACEMENT))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->text_row), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->pattern_row), "error");
    }
  else if (self->error != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->pattern_row), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->text_row), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->pattern_row), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->text_row), "error");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pattern_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->error != NULL ? self->error : "", -1);
}

static void
changed_cb (HearthRuleRow *self)
{
  update_header (self);
  update_text_row (self);
  update_error (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
move_up_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_MOVE], 0, -1);
}

static void
move_down_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_MOVE], 0, 1);
}

static void
remove_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_REMOVE], 0);
}

static void
hearth_rule_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_RULE_ROW);
  G_OBJECT_CLASS (hearth_rule_row_parent_class)->dispose (object);
}

static void
hearth_rule_row_finalize (GObject *object)
{
  HearthRuleRow *self = HEARTH_RULE_ROW (object);

  g_free (self->error);
  G_OBJECT_CLASS (hearth_rule_row_parent_class)->finalize (object);
}

static void
hearth_rule_row_class_init (HearthRuleRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_rule_row_dispose;
  object_class->finalize = hearth_rule_row_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MOVE] = g_signal_new ("move", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/hearth-rule-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, handle);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, error_icon);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, where_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, action_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, match_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, pattern_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, error_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, text_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, hint_row);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, hint_label);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, up_button);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, down_button);
  gtk_widget_class_bind_template_child (widget_class, HearthRuleRow, remove_button);
  gtk_widget_class_install_action (widget_class, "rule.move-up", NULL, move_up_activated);
  gtk_widget_class_install_action (widget_class, "rule.move-down", NULL, move_down_activated);
  gtk_widget_class_install_action (widget_class, "rule.remove", NULL, remove_activated);
}

static void
hearth_rule_row_init (HearthRuleRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->number = 1;
  self->buttons[0] = GTK_ACTIONABLE (self->up_button);
  self->buttons[1] = GTK_ACTIONABLE (self->down_button);
  self->buttons[2] = GTK_ACTIONABLE (self->remove_button);
}

GtkWidget *
hearth_rule_row_new (const HearthRule *rule)
{
  HearthRuleRow *self = g_object_new (HEARTH_TYPE_RULE_ROW, NULL);

  adw_combo_row_set_selected (self->where_row, rule != NULL ? rule->where : HEARTH_RULE_OUTPUT);
  adw_combo_row_set_selected (self->action_row, rule != NULL ? rule->action : HEARTH_RULE_MASK);
  adw_combo_row_set_selected (self->match_row, rule != NULL ? rule->match : HEARTH_RULE_MATCH_TEXT);
  gtk_editable_set_text (GTK_EDITABLE (self->pattern_row), rule != NULL ? rule->pattern : "");
  gtk_editable_set_text (GTK_EDITABLE (self->text_row),
                         rule != NULL && rule->text != NULL ? rule->text : "");
  update_header (self);
  update_text_row (self);
  update_error (self);
  g_signal_connect_swapped (self->where_row, "notify::selected", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->action_row, "notify::selected", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->match_row, "notify::selected", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->pattern_row, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->text_row, "changed", G_CALLBACK (changed_cb), self);
  return GTK_WIDGET (self);
}

void
hearth_rule_row_set_position (HearthRuleRow *self,
                              guint          index,
                              guint          n_rules)
{
  g_return_if_fail (HEARTH_IS_RULE_ROW (self));

  self->number = index + 1;
  update_header (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rule.move-up", index > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rule.move-down", index + 1 < n_rules);
  /* (a row taken out of the list and put back, as moving does, leaves GTK
   * 4.8's buttons thinking their actions gone: they look again) */
  for (guint i = 0; i < G_N_ELEMENTS (self->buttons); i++)
    {
      g_autofree char *name = g_strdup (gtk_actionable_get_action_name (self->buttons[i]));

      gtk_actionable_set_action_name (self->buttons[i], NULL);
      gtk_actionable_set_action_name (self->buttons[i], name);
    }
}

void
hearth_rule_row_add_to (HearthRuleRow *self,
                        HearthRules   *rules)
{
  const char *text;

  g_return_if_fail (HEARTH_IS_RULE_ROW (self));
  g_return_if_fail (rules != NULL);

  text = gtk_editable_get_text (GTK_EDITABLE (self->text_row));
  /* (what a match becomes is always said, if only as ""; a refusal's
   * message and a note are left out when empty) */
  if (*text == '\0' && (get_action (self) == HEARTH_RULE_REFUSE
                        || get_action (self) == HEARTH_RULE_NOTE))
    text = NULL;
  hearth_rules_add (rules, hearth_rule_row_get_where (self), get_action (self), get_match (self),
                    gtk_editable_get_text (GTK_EDITABLE (self->pattern_row)), text);
}

HearthRuleWhere
hearth_rule_row_get_where (HearthRuleRow *self)
{
  g_return_val_if_fail (HEARTH_IS_RULE_ROW (self), HEARTH_RULE_OUTPUT);

  return adw_combo_row_get_selected (self->where_row) == HEARTH_RULE_INPUT ? HEARTH_RULE_INPUT
                                                                           : HEARTH_RULE_OUTPUT;
}

const char *
hearth_rule_row_get_error (HearthRuleRow *self)
{
  g_return_val_if_fail (HEARTH_IS_RULE_ROW (self), NULL);

  return self->error;
}

void
hearth_rule_row_focus_pattern (HearthRuleRow *self)
{
  g_return_if_fail (HEARTH_IS_RULE_ROW (self));

  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (self), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->pattern_row));
}
