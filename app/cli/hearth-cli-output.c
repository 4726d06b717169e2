/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-cli-output.h"

int
hearth_cli_display_width (const char *s)
{
  int width = 0;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

void
hearth_cli_print_row (FILE       *out,
                      int         indent,
                      int         column,
                      const char *label,
                      const char *value)
{
  int pad = column - hearth_cli_display_width (label);

  fprintf (out, "%*s%s%*s%s\n", indent, "", label, pad > 1 ? pad : 1, "", value);
}

void
hearth_cli_json_add_string (JsonBuilder *b,
                            const char  *name,
                            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else if (g_utf8_validate (value, -1, NULL))
    json_builder_add_string_value (b, value);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (value, -1);

      json_builder_add_string_value (b, valid);
    }
}

gboolean
hearth_cli_is_option (const char *arg)
{
  return arg[0] == '-' && arg[1] != '\0';
}

int
hearth_cli_unknown_option (FILE       *err,
                           const char *command,
                           const char *option)
{
  fprintf (err, _("hearth %s: unknown option “%s”. Run “hearth help %s” for usage.\n"), command,
           option, command);
  return 2;
}

int
hearth_cli_missing_value (FILE       *err,
                          const char *command,
                          const char *option)
{
  fprintf (err, _("hearth %s: %s needs a value. Run “hearth help %s” for usage.\n"), command,
           option, command);
  return 2;
}
