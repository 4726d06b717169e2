/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * jinja2's builtin tests (`x is defined`, `n is divisibleby 3` …).
 */

#include "config.h"

#include <string.h>

#include "ember-template-strings.h"

/* ---- tests ------------------------------------------------------------------------------ */

static const char *const test_names[] = {
  "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false",
  "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt",
  "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined",
  "upper", "==", "!=", "<", "<=", ">", ">=",
};

bool
tpl_test_exists (const char *name)
{
  for (size_t i = 0; i < sizeof test_names / sizeof test_names[0]; i++)
    if (strcmp (test_names[i], name) == 0)
      return true;
  return false;
}

int
tpl_apply_test (tpl_render   *r,
                const char   *name,
                ember_value  *v,
                ember_value **args,
                size_t        n_args)
{
  ember_value *other = n_args > 0 ? args[0] : NULL;
  int k = v->kind;

  if (strcmp (name, "defined") == 0)
    return k != EMBER_VALUE_UNDEFINED;
  if (strcmp (name, "undefined") == 0)
    return k == EMBER_VALUE_UNDEFINED;
  if (strcmp (name, "none") == 0)
    return k == EMBER_VALUE_NULL;
  if (strcmp (name, "boolean") == 0)
    return k == EMBER_VALUE_BOOL;
  if (strcmp (name, "true") == 0)
    return k == EMBER_VALUE_BOOL && v->u.b;
  if (strcmp (name, "false") == 0)
    return k == EMBER_VALUE_BOOL && !v->u.b;
  if (strcmp (name, "integer") == 0)
    return k == EMBER_VALUE_INT;
  if (strcmp (name, "float") == 0)
    return k == EMBER_VALUE_FLOAT;
  if (strcmp (name, "number") == 0)
    return value_is_number (v);
  if (strcmp (name, "string") == 0)
    return k == EMBER_VALUE_STRING;
  if (strcmp (name, "mapping") == 0)
    return k == EMBER_VALUE_DICT && !(v->flags & VALUE_NAMESPACE);
  if (strcmp (name, "iterable") == 0)
    return k == EMBER_VALUE_STRING || k == EMBER_VALUE_LIST || k == EMBER_VALUE_UNDEFINED
           || (k == EMBER_VALUE_DICT && !(v->flags & VALUE_NAMESPACE));
  if (strcmp (name, "sequence") == 0)
    return k == EMBER_VALUE_STRING || k == EMBER_VALUE_LIST || k == EMBER_VALUE_UNDEFINED
           || (k == EMBER_VALUE_DICT && !(v->flags & VALUE_NAMESPACE));
  if (strcmp (name, "callable") == 0)
    return k == EMBER_VALUE_CALLABLE;
  if (strcmp (name, "escaped") == 0)
    return k == EMBER_VALUE_STRING && (v->flags & VALUE_SAFE);
  if (strcmp (name, "lower") == 0 || strcmp (name, "upper") == 0)
    {
      ember_value *s = tpl_str_of (r, v);

      return s == NULL ? -1 : str_is (s, name);
    }
  if (strcmp (name, "odd") == 0 || strcmp (name, "even") == 0 || strcmp (name, "divisibleby") == 0)
    {
      ember_value *divisor = NULL, two = { .kind = EMBER_VALUE_INT, .flags = VALUE_POOLED };
      ember_value *rem;

      two.u.i = 2;
      divisor = name[0] == 'd' ? other : &two;
      if (divisor == NULL)
        return tpl_fail (r, "divisibleby needs a number"), -1;
      if ((rem = tpl_binop (r, OP_MOD, v, divisor)) == NULL)
        return -1;
      if (strcmp (name, "odd") == 0)
        return value_as_double (rem) == 1.0;
      return value_as_double (rem) == 0.0;
    }
  if (strcmp (name, "sameas") == 0)
    {
      if (other == NULL)
        return tpl_fail (r, "sameas needs a value"), -1;
      if (v == other)
        return 1;
      if (k != other->kind)
        return 0;
      if (k == EMBER_VALUE_NULL)
        return 1;
      if (k == EMBER_VALUE_BOOL)
        return v->u.b == other->u.b;
      if (k == EMBER_VALUE_INT)
        return v->u.i == other->u.i && v->u.i >= -5 && v->u.i <= 256;
      return 0;
    }
  if (strcmp (name, "in") == 0)
    return other == NULL ? (tpl_fail (r, "in needs a container"), -1) : tpl_compare (r, OP_IN, v, other);

  {
    static const struct { const char *names[3]; tpl_op op; } comparisons[] = {
      { { "eq", "equalto", "==" }, OP_EQ },
      { { "ne", "!=", NULL }, OP_NE },
      { { "lt", "lessthan", "<" }, OP_LT },
      { { "le", "<=", NULL }, OP_LE },
      { { "gt", "greaterthan", ">" }, OP_GT },
      { { "ge", ">=", NULL }, OP_GE },
    };

    for (size_t i = 0; i < sizeof comparisons / sizeof comparisons[0]; i++)
      for (size_t j = 0; j < 3 && comparisons[i].names[j] != NULL; j++)
        if (strcmp (comparisons[i].names[j], name) == 0)
          {
            if (other == NULL)
              return tpl_fail (r, "the test '%s' needs a value to compare with", name), -1;
            return tpl_compare (r, comparisons[i].op, v, other);
          }
  }
  return tpl_fail (r, "no test named '%s'", name), -1;
}
