/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the rules (hearth-rules.c) and their Modelfile lines
 * (hearth-rules-modelfile.c) share. Not public.
 */
#pragma once

#include "hearth-rules.h"

G_BEGIN_DECLS

/* The GRegex for one rule (owned by the caller), or NULL with @error set in
 * HEARTH_RULES_ERROR; the message does not name the rule. */
GRegex *hearth_rules_compile_rule_internal (const HearthRule *rule,
                                            GError          **error);

/* hearth_rules_parse_modelfile (), and where each rule was: two guints a
 * rule, its first and last line, appended to @lines (may be NULL). */
HearthRules *hearth_rules_parse_modelfile_internal (const char *text,
                                                    GArray     *lines,
                                                    GError    **error);

G_END_DECLS
