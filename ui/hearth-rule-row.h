/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRuleRow: one of a profile's rules in the profile editor, an expander
 * row whose header sums it up ("Rule 2 · Reply · Mask", its pattern) and
 * whose content edits it: where it applies, its action, the kind of
 * pattern, the pattern (with the reason it cannot be used, in place), the
 * action's text, and buttons to move it up or down or remove it.
 */
#pragma once

#include <adwaita.h>

#include "hearth-rules.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_RULE_ROW (hearth_rule_row_get_type ())

G_DECLARE_FINAL_TYPE (HearthRuleRow, hearth_rule_row, HEARTH, RULE_ROW, AdwExpanderRow)

/* A row showing @rule, or an empty rule (the reply, mask, text) where
 * @rule is NULL. Signals, on the main context:
 *   ::changed ()       anything the rule says changed
 *   ::move (int delta) Move Up (-1) or Move Down (+1) was chosen
 *   ::remove ()        Remove was chosen */
GtkWidget       *hearth_rule_row_new (const HearthRule *rule);

/* Its place among @n_rules (from 0): the title's number, and whether it can
 * move up or down. */
void             hearth_rule_row_set_position (HearthRuleRow *self,
                                               guint          index,
                                               guint          n_rules);

/* Appends the rule shown to @rules (not compiled). */
void             hearth_rule_row_add_to (HearthRuleRow *self,
                                         HearthRules   *rules);
HearthRuleWhere  hearth_rule_row_get_where (HearthRuleRow *self);

/* Why the rule cannot be used, as shown under its pattern; or NULL.
 * Borrowed. */
const char      *hearth_rule_row_get_error (HearthRuleRow *self);

/* Expands the row and puts the focus in its pattern. */
void             hearth_rule_row_focus_pattern (HearthRuleRow *self);

G_END_DECLS
