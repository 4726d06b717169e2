/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's encoding/json, as far as the layers `ollama create` writes need it.
 * tests/test-ollama-json.c checks every rule here against Go itself
 * (tests/ollama-json-oracle.go).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-model-name.h"
#include "hearth-ollama-json.h"

/* ---- values ---------------------------------------------------------------- */

static HearthOllamaParam *
param_new (const char           *name,
           HearthOllamaValueType type)
{
  HearthOllamaParam *p = g_new0 (HearthOllamaParam, 1);

  p->name = g_strdup (name);
  p->type = type;
  return p;
}

HearthOllamaParam *
hearth_ollama_param_new_bool (const char *name,
                              gboolean    value)
{
  HearthOllamaParam *p = param_new (name, HEARTH_OLLAMA_VALUE_BOOL);

  p->b = value != FALSE;
  return p;
}

HearthOllamaParam *
hearth_ollama_param_new_int (const char *name,
                             gint64      value)
{
  HearthOllamaParam *p = param_new (name, HEARTH_OLLAMA_VALUE_INT);

  p->i = value;
  return p;
}

HearthOllamaParam *
hearth_ollama_param_new_float32 (const char *name,
                                 float       value)
{
  return hearth_ollama_param_new_float (name, hearth_ollama_json_float32_value (value));
}

HearthOllamaParam *
hearth_ollama_param_new_float (const char *name,
                               double      value)
{
  HearthOllamaParam *p = param_new (name, HEARTH_OLLAMA_VALUE_FLOAT);

  p->f = value;
  return p;
}

HearthOllamaParam *
hearth_ollama_param_new_string (const char *name,
                                const char *value)
{
  HearthOllamaParam *p = param_new (name, HEARTH_OLLAMA_VALUE_STRING);

  p->s = g_strdup (value != NULL ? value : "");
  return p;
}

HearthOllamaParam *
hearth_ollama_param_new_strings (const char         *name,
                                 const char * const *value)
{
  HearthOllamaParam *p = param_new (name, HEARTH_OLLAMA_VALUE_STRINGS);

  p->strv = value != NULL ? g_strdupv ((char **) value) : g_new0 (char *, 1);
  return p;
}

HearthOllamaParam *
hearth_ollama_param_copy (const HearthOllamaParam *param)
{
  HearthOllamaParam *p = param_new (param->name, param->type);

  p->b = param->b;
  p->i = param->i;
  p->f = param->f;
  p->s = g_strdup (param->s);
  p->strv = param->strv != NULL ? g_strdupv (param->strv) : NULL;
  return p;
}

void
hearth_ollama_param_free (HearthOllamaParam *param)
{
  if (param == NULL)
    return;
  g_free (param->name);
  g_free (param->s);
  g_strfreev (param->strv);
  g_free (param);
}

HearthOllamaMessage *
hearth_ollama_message_new (const char *role,
                           const char *content)
{
  HearthOllamaMessage *m = g_new0 (HearthOllamaMessage, 1);

  m->role = g_strdup (role != NULL ? role : "");
  m->content = g_strdup (content != NULL ? content : "");
  return m;
}

void
hearth_ollama_message_free (HearthOllamaMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->role);
  g_free (message->content);
  g_free (message);
}

/* ---- numbers --------------------------------------------------------------- */

/* Shortest decimal digits (no leading or trailing zeros, at most 17) and
 * decimal exponent of the finite, non-zero @value, so that
 * 0.DIGITS × 10^(*exp10) reads back as @value: in float32 where @single,
 * else in float64. Among the shortest, the nearest to @value (what Go's
 * strconv picks). */
static gboolean
reads_back (const char *text,
            double      value,
            gboolean    single)
{
  if (single)
    return strtof (text, NULL) == (float) value;
  return strtod (text, NULL) == value;
}

static void
shortest_digits (double    value,
                 gboolean  single,
                 char     *digits,
                 int      *exp10)
{
  double a = fabs (value);

  for (int p = 1; p <= 17; p++)
    {
      char text[64];
      char mant[32];
      int e = 0, n = 0;
      guint64 m;

      /* "d.ddde±X": the nearest p-digit decimal */
      g_snprintf (text, sizeof text, "%.*e", p - 1, a);
      for (const char *c = text; *c != 'e'; c++)
        if (g_ascii_isdigit (*c))
          mant[n++] = *c;
      mant[n] = '\0';
      e = atoi (strchr (text, 'e') + 1);
      m = g_ascii_strtoull (mant, NULL, 10);

      /* the nearest first; then its neighbours, since at a power of two
       * the numbers that read back reach further above than below, and
       * the one on the wide side may do where the nearest does not (only
       * one of them can) */
      for (int k = 0; k < 3; k++)
        {
          guint64 c = k == 0 ? m : k == 1 ? m + 1 : m - 1;
          char cand[64];
          char cdig[32];
          int ce, len;

          if (c == 0)
            continue;
          len = g_snprintf (cdig, sizeof cdig, "%" G_GUINT64_FORMAT, c);
          ce = e + len - p;  /* 9.99 + 1 digit → 10.0 */
          g_snprintf (cand, sizeof cand, "%c.%se%d", cdig[0], cdig + 1, ce);
          if (!reads_back (cand, a, single))
            continue;
          while (len > 1 && cdig[len - 1] == '0')
            cdig[--len] = '\0';
          memcpy (digits, cdig, (gsize) len + 1);
          *exp10 = ce + 1;
          return;
        }
    }
  g_assert_not_reached ();
}

/* strconv.FormatFloat (value, 'f' or 'e', -1, 64 or 32) with encoding/json's
 * choice between them and its "e-07" → "e-7". */
static void
append_go_float (GString  *out,
                 double    value,
                 gboolean  single)
{
  char digits[32];
  int exp10 = 0, n;
  double a = fabs (value);
  gboolean use_e;

  if (signbit (value))
    g_string_append_c (out, '-');
  if (a == 0)
    {
      g_string_append_c (out, '0');
      return;
    }
  shortest_digits (value, single, digits, &exp10);
  n = (int) strlen (digits);
  if (single)
    use_e = (float) a < 1e-6f || (float) a >= 1e21f;
  else
    use_e = a < 1e-6 || a >= 1e21;

  if (use_e)
    {
      int e = exp10 - 1;

      g_string_append_c (out, digits[0]);
      if (n > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      /* Go writes at least two exponent digits; encoding/json drops the
       * zero of a negative one ("e-07" → "e-7") */
      if (e < 0)
        g_string_append_printf (out, "e-%d", -e);
      else
        g_string_append_printf (out, "e+%02d", e);
      return;
    }
  if (exp10 <= 0)
    {
      g_string_append (out, "0.");
      for (int i = 0; i < -exp10; i++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
      return;
    }
  for (int i = 0; i < exp10; i++)
    g_string_append_c (out, i < n ? digits[i] : '0');
  if (n > exp10)
    {
      g_string_append_c (out, '.');
      g_string_append (out, digits + exp10);
    }
}

double
hearth_ollama_json_float32_value (float value)
{
  g_autoptr (GString) text = g_string_new (NULL);

  if (!isfinite (value))
    return (double) value;
  append_go_float (text, value, TRUE);
  return g_ascii_strtod (text->str, NULL);
}

gboolean
hearth_ollama_json_append_number (GString *out,
                                  double   value)
{
  if (!isfinite (value))
    return FALSE;
  append_go_float (out, value, FALSE);
  return TRUE;
}

/* ---- strings --------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at @s (@left bytes there), as
 * Go's utf8.DecodeRune accepts them, or 0. */
static int
utf8_valid_len (const guchar *s,
                gsize         left)
{
  guchar c = s[0], lo = 0x80, hi = 0xbf;
  int n;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;  /* no surrogates */
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if (left < (gsize) n)
    return 0;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (int i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return n;
}

char *
hearth_ollama_json_utf8 (const char *text,
                         gssize      len)
{
  const guchar *s = (const guchar *) text;
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  GString *out = g_string_sized_new (n);

  for (gsize i = 0; i < n;)
    {
      int l = utf8_valid_len (s + i, n - i);

      if (l == 0)
        {
          g_string_append (out, "\xef\xbf\xbd");
          i++;
          continue;
        }
      g_string_append_len (out, (const char *) s + i, l);
      i += (gsize) l;
    }
  return g_string_free (out, FALSE);
}

void
hearth_ollama_json_append_string (GString    *out,
                                  const char *text,
                                  gssize      len)
{
  const guchar *s = (const guchar *) text;
  gsize n = len < 0 ? strlen (text) : (gsize) len;

  g_string_append_c (out, '"');
  for (gsize i = 0; i < n;)
    {
      guchar c = s[i];
      int l;

      if (c < 0x80)
        {
          switch (c)
            {
            case '"': g_string_append (out, "\\\""); break;
            case '\\': g_string_append (out, "\\\\"); break;
            case '\n': g_string_append (out, "\\n"); break;
            case '\r': g_string_append (out, "\\r"); break;
            case '\t': g_string_append (out, "\\t"); break;
            /* Go 1.22 and later, which Ollama is built with */
            case '\b': g_string_append (out, "\\b"); break;
            case '\f': g_string_append (out, "\\f"); break;
            case '<': case '>': case '&':
              g_string_append_printf (out, "\\u00%02x", c);
              break;
            default:
              if (c < 0x20)
                g_string_append_printf (out, "\\u00%02x", c);
              else
                g_string_append_c (out, (char) c);
            }
          i++;
          continue;
        }
      l = utf8_valid_len (s + i, n - i);
      if (l == 0)
        {
          g_string_append (out, "\xef\xbf\xbd");
          i++;
          continue;
        }
      if (l == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
        g_string_append (out, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
      else
        g_string_append_len (out, (const char *) s + i, l);
      i += (gsize) l;
    }
  g_string_append_c (out, '"');
}

/* ---- layers ---------------------------------------------------------------- */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  const HearthOllamaParam *pa = *(HearthOllamaParam * const *) a;
  const HearthOllamaParam *pb = *(HearthOllamaParam * const *) b;

  return strcmp (pa->name, pb->name);  /* bytewise, as Go's sort of keys */
}

GBytes *
hearth_ollama_json_params (GPtrArray  *params,
                           GError    **error)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr (GString) out = g_string_new ("{");

  for (guint i = 0; params != NULL && i < params->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (params, i));
  g_ptr_array_sort (sorted, compare_names);

  for (guint i = 0; i < sorted->len; i++)
    {
      const HearthOllamaParam *p = g_ptr_array_index (sorted, i);

      if (p->name == NULL || p->name[0] == '\0')
        {
          g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                               _("a parameter has no name"));
          return NULL;
        }
      if (i > 0 && strcmp (p->name, ((HearthOllamaParam *) g_ptr_array_index (sorted, i - 1))->name) == 0)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                       _("the parameter “%s” is given twice"), p->name);
          return NULL;
        }
      if (i > 0)
        g_string_append_c (out, ',');
      hearth_ollama_json_append_string (out, p->name, -1);
      g_string_append_c (out, ':');
      switch (p->type)
        {
        case HEARTH_OLLAMA_VALUE_BOOL:
          g_string_append (out, p->b ? "true" : "false");
          break;
        case HEARTH_OLLAMA_VALUE_INT:
          /* the server reads it as a float64 */
          append_go_float (out, (double) p->i, FALSE);
          break;
        case HEARTH_OLLAMA_VALUE_FLOAT:
          if (!hearth_ollama_json_append_number (out, p->f))
            {
              g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                           _("the parameter “%s” is not a finite number"), p->name);
              return NULL;
            }
          break;
        case HEARTH_OLLAMA_VALUE_STRING:
          hearth_ollama_json_append_string (out, p->s != NULL ? p->s : "", -1);
          break;
        case HEARTH_OLLAMA_VALUE_STRINGS:
          g_string_append_c (out, '[');
          for (guint j = 0; p->strv != NULL && p->strv[j] != NULL; j++)
            {
              if (j > 0)
                g_string_append_c (out, ',');
              hearth_ollama_json_append_string (out, p->strv[j], -1);
            }
          g_string_append_c (out, ']');
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_string_append (out, "}\n");
  return g_string_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
hearth_ollama_json_messages (GPtrArray  *messages,
                             GError    **error)
{
  g_autoptr (GString) out = g_string_new ("[");

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      const HearthOllamaMessage *m = g_ptr_array_index (messages, i);
      g_autofree char *role = hearth_ollama_json_utf8 (m->role != NULL ? m->role : "", -1);
      g_autofree char *lower = g_utf8_strdown (role, -1);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"role\":");
      hearth_ollama_json_append_string (out, lower, -1);
      g_string_append (out, ",\"content\":");
      hearth_ollama_json_append_string (out, m->content != NULL ? m->content : "", -1);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]\n");
  return g_string_free_to_bytes (g_steal_pointer (&out));
}
