/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRulesEditor: the profile editor's Rules section. The rules in order
 * (HearthRuleRow each; moved with their buttons or by dragging), "Add a
 * Rule" with the starter library and an empty rule, and "Try the Rules": a
 * sample text where what the rules match is highlighted, and what they make
 * of it, their notes and a refusal shown below, for your message or for the
 * reply.
 */
#pragma once

#include <adwaita.h>

#include "hearth-rules.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_RULES_EDITOR (hearth_rules_editor_get_type ())

G_DECLARE_FINAL_TYPE (HearthRulesEditor, hearth_rules_editor, HEARTH, RULES_EDITOR, GtkBox)

/* ::changed (), on the main context: a rule was added, changed, moved or
 * removed. */
GtkWidget   *hearth_rules_editor_new (void);

/* Shows @rules (may be NULL: none), replacing what was shown. */
void         hearth_rules_editor_set_rules (HearthRulesEditor *self,
                                            const HearthRules *rules);

/* The rules shown, in order, not compiled; NULL where there are none. */
HearthRules *hearth_rules_editor_get_rules (HearthRulesEditor *self);

/* The first rule that cannot be used, as "Rule 2: why" (owned by the
 * caller); or NULL. */
char        *hearth_rules_editor_get_problem (HearthRulesEditor *self);

G_END_DECLS
